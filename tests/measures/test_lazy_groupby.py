"""DuckDB group-by sums of a lazy polars query, checked against pandas' own group-by."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.measures.lazy_groupby import lazy_group_sums


def _rows(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    firm = np.array([f"F{i:05d}" for i in rng.integers(0, 400, n)], dtype=object)
    firm[rng.random(n) < 0.01] = None  # a null key is a group of its own, as in polars
    return pd.DataFrame(
        {
            "firm": firm,
            "hs": rng.integers(0, 30, n).astype(np.int32),
            "year": rng.integers(2000, 2004, n).astype(np.int16),
            "value": rng.lognormal(3, 1, n),
            "qty": rng.lognormal(1, 1, n),
        }
    )


def _expected(rows: pd.DataFrame) -> pd.DataFrame:
    return (
        rows.groupby(["hs", "firm", "year"], dropna=False)
        .agg(value=("value", "sum"), qty=("qty", "sum"), n=("value", "size"))
        .reset_index()
    )


def test_sums_counts_and_order_equal_pandas() -> None:
    rows = _rows(60_000)
    got, dropped = lazy_group_sums(
        pl.from_pandas(rows).lazy(),
        ["hs", "firm", "year"],
        ["value", "qty"],
        count="n",
        sort_by=["hs", "firm", "year"],
    )
    exp = _expected(rows)
    assert got.height == len(exp) and dropped == {"value": 0.0, "qty": 0.0, "n": 0.0}
    assert got.schema["hs"] == pl.Int32 and got.schema["year"] == pl.Int16
    assert got.schema["n"] == pl.Int64
    # the order is polars' sort: nulls first, then ascending
    assert got.equals(got.sort(["hs", "firm", "year"], nulls_last=False))
    merged = got.to_pandas().merge(exp, on=["hs", "firm", "year"], suffixes=("", "_pd"))
    assert len(merged) == len(exp)
    np.testing.assert_allclose(merged["value"], merged["value_pd"], rtol=1e-12)
    np.testing.assert_allclose(merged["qty"], merged["qty_pd"], rtol=1e-12)
    assert (merged["n"] == merged["n_pd"]).all()
    assert got["firm"].null_count() == exp["firm"].isna().sum()


def test_thin_groups_are_dropped_and_totalled() -> None:
    rows = _rows(20_000, seed=1)
    exp = _expected(rows)
    per_hs = exp.groupby("hs").size()
    n_min = int(per_hs.median()) + 1
    thin = per_hs.index[per_hs < n_min]
    assert 0 < len(thin) < len(per_hs)
    got, dropped = lazy_group_sums(
        pl.from_pandas(rows).lazy(),
        ["hs", "firm", "year"],
        ["value", "qty"],
        count="n",
        sort_by=["hs", "firm", "year"],
        thin=("hs", n_min),
    )
    gone = exp[exp["hs"].isin(thin)]
    assert set(got["hs"].unique()) == set(per_hs.index) - set(thin)
    assert got.height == len(exp) - len(gone)
    assert dropped["n"] == len(rows[rows["hs"].isin(thin)])
    assert dropped["value"] == pytest.approx(rows.loc[rows["hs"].isin(thin), "value"].sum())


def test_spills_under_a_small_memory_limit_and_handles_no_rows() -> None:
    rows = pl.from_pandas(_rows(200_000, seed=2))
    got, _ = lazy_group_sums(
        rows.lazy(),
        ["firm", "hs", "year"],
        ["value"],
        count="n",
        sort_by=["firm"],
        memory_limit="30MB",
    )
    exp = rows.group_by("firm", "hs", "year").agg(pl.col("value").sum(), pl.len())
    assert got.height == exp.height and got["n"].sum() == rows.height
    assert got["value"].sum() == pytest.approx(rows["value"].sum(), rel=1e-12)
    empty, dropped = lazy_group_sums(
        rows.lazy().filter(pl.col("value") < 0),
        ["firm", "hs"],
        ["value"],
        count="n",
        sort_by=["firm"],
        thin=("hs", 5),
    )
    assert empty.height == 0 and empty.schema["hs"] == pl.Int32 and dropped["n"] == 0.0
