"""IO input/output weights and δ_j (paper 000 eq. 6, 8–9) on hand-made tables, against the
synthetic generator's own pandas implementation, and on bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.data.synth.economy import generate
from vagg.data.synth.io_tables import io_weights as generator_io_weights
from vagg.measures.io_weights import (
    benchmark_year,
    import_share_of_inputs,
    io_input_weights,
    io_output_weights,
)

# Hand-made 3-sector flow matrix Z[k, j]: row k supplies column j (deliberately asymmetric,
# so that a transposed Z gives different weights).
#          to A  to B  to C
# from A     1     2     3
# from B     4     0     6
# from C     0     8     9
Z = {
    ("A", "A"): 1.0,
    ("A", "B"): 2.0,
    ("A", "C"): 3.0,
    ("B", "A"): 4.0,
    ("B", "B"): 0.0,
    ("B", "C"): 6.0,
    ("C", "A"): 0.0,
    ("C", "B"): 8.0,
    ("C", "C"): 9.0,
}


def _io(year: int = 2002, scale: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "year": year,
                "from_sector": k,
                "to_sector": j,
                "domestic_use": 0.75 * v * scale,
                "imported_use": 0.25 * v * scale,
            }
            for (k, j), v in Z.items()
        ]
    )


def _matrix(frame: pd.DataFrame, other: str) -> pd.DataFrame:
    return frame.pivot(index="io_sector", columns=other, values="weight")


def test_input_weights_are_column_shares_of_z() -> None:
    w = _matrix(io_input_weights(_io(), 2005), "upstream_sector")
    # hand: A buys 1 (A) + 4 (B) + 0 (C) = 5; B buys 2 + 0 + 8 = 10; C buys 3 + 6 + 9 = 18
    expected = pd.DataFrame(
        [[1 / 5, 4 / 5, 0.0], [2 / 10, 0.0, 8 / 10], [3 / 18, 6 / 18, 9 / 18]],
        index=list("ABC"),
        columns=list("ABC"),
    )
    np.testing.assert_allclose(w.loc[list("ABC"), list("ABC")], expected, rtol=1e-14)


def test_input_weights_equal_normalised_direct_coefficients() -> None:
    # a_kj = Z[k, j] / X_j with arbitrary outputs X; w_in[j, k] = a_kj / Σ_k a_kj
    z = np.array([[Z[(k, j)] for j in "ABC"] for k in "ABC"])
    x = np.array([20.0, 35.0, 50.0])
    a = z / x[None, :]
    expected = (a / a.sum(axis=0, keepdims=True)).T
    w = _matrix(io_input_weights(_io(), 2002), "upstream_sector").to_numpy()
    np.testing.assert_allclose(w, expected, rtol=1e-14)


def test_output_weights_are_row_shares_and_diagonal_zeroed_without_renormalising() -> None:
    full = _matrix(io_output_weights(_io(), 2002), "downstream_sector")
    # hand: A sells 1 + 2 + 3 = 6; B sells 4 + 0 + 6 = 10; C sells 0 + 8 + 9 = 17
    np.testing.assert_allclose(full.loc["A"], [1 / 6, 2 / 6, 3 / 6], rtol=1e-14)
    np.testing.assert_allclose(full.loc["C"], [0.0, 8 / 17, 9 / 17], rtol=1e-14)
    off = _matrix(io_output_weights(_io(), 2002, diagonal=False), "downstream_sector")
    np.testing.assert_allclose(off.loc["A"], [0.0, 2 / 6, 3 / 6], rtol=1e-14)
    np.testing.assert_allclose(off.loc["C"], [0.0, 8 / 17, 0.0], rtol=1e-14)
    assert (off.sum(axis=1) <= 1 + 1e-12).all()
    assert off.loc["C"].sum() == pytest.approx(8 / 17)  # not renormalised to 1


def test_orientation_upstream_is_not_downstream() -> None:
    w_in = _matrix(io_input_weights(_io(), 2002), "upstream_sector")
    w_out = _matrix(io_output_weights(_io(), 2002), "downstream_sector")
    # what A buys from B (4 of 5) differs from what A sells to B (2 of 6)
    assert w_in.loc["A", "B"] == pytest.approx(0.8)
    assert w_out.loc["A", "B"] == pytest.approx(1 / 3)


def test_benchmark_is_latest_not_after_year_or_earliest() -> None:
    io = pd.concat([_io(2002), _io(2007, scale=2.0)])
    assert benchmark_year([2002, 2007, 2012], 2000) == 2002
    assert benchmark_year([2002, 2007, 2012], 2006) == 2002
    assert benchmark_year([2002, 2007, 2012], 2007) == 2007
    assert benchmark_year([2002, 2007, 2012], 2015) == 2012
    assert set(io_input_weights(io, 2001)["benchmark"]) == {2002}
    assert set(io_input_weights(io, 2010)["benchmark"]) == {2007}


def test_import_share_of_inputs_by_hand() -> None:
    totals = pd.DataFrame(
        {
            "year": 2002,
            "sector": list("ABC"),
            "output": [100.0, 200.0, 300.0],
            "imports": [10.0, 50.0, 0.0],
            "exports": [10.0, 50.0, 30.0],
        }
    )
    # μ = IM / (X + IM − EX): A 10/100 = 0.1, B 50/200 = 0.25, C 0
    delta = import_share_of_inputs(_io(), totals, 2004).set_index("io_sector")["delta"]
    # δ_A = 0.2·0.1 + 0.8·0.25 = 0.22; δ_B = 0.2·0.1 + 0 + 0.8·0 = 0.02;
    # δ_C = (3·0.1 + 6·0.25 + 9·0)/18 = 0.1
    assert delta["A"] == pytest.approx(0.22, abs=1e-14)
    assert delta["B"] == pytest.approx(0.02, abs=1e-14)
    assert delta["C"] == pytest.approx(0.1, abs=1e-14)


def test_sector_without_purchases_has_undefined_weights() -> None:
    io = _io()
    io.loc[io["to_sector"] == "A", ["domestic_use", "imported_use"]] = 0.0
    w = _matrix(io_input_weights(io, 2002), "upstream_sector")
    assert w.loc["A"].isna().all()
    assert not w.loc["B"].isna().any()


def test_output_type_follows_input() -> None:
    assert isinstance(io_input_weights(pl.from_pandas(_io()), 2002), pl.DataFrame)
    assert isinstance(io_output_weights(_io(), 2002), pd.DataFrame)


def test_bad_input_names_table_column_and_rows() -> None:
    io = _io()
    io.loc[4, "imported_use"] = -1.0
    with pytest.raises(SchemaError, match=r"io_national.*imported_use.*rows \[4\]"):
        io_input_weights(io, 2002)
    with pytest.raises(SchemaError, match="domestic_use"):
        io_input_weights(_io().drop(columns="domestic_use"), 2002)
    totals = pd.DataFrame(
        {"year": 2002, "sector": ["A", "B"], "output": 1.0, "imports": 0.0, "exports": 0.0}
    )
    with pytest.raises(SchemaError, match=r"io_totals.*sector.*'C'"):
        import_share_of_inputs(_io(), totals, 2002)


@pytest.fixture(scope="module")
def tiny_io(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    out: Path = tmp_path_factory.mktemp("tiny")
    generate("tiny", 0, out)
    return pd.read_parquet(out / "io_national.parquet"), pd.read_parquet(out / "io_totals.parquet")


def test_agrees_with_the_generators_pandas_weights(
    tiny_io: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    io, totals = tiny_io
    for year in (2000, 2004, 2008, 2013):
        ref_in, ref_out = generator_io_weights(io, year)
        w_in = _matrix(io_input_weights(io, year), "upstream_sector")
        w_out = _matrix(io_output_weights(io, year), "downstream_sector")
        np.testing.assert_allclose(w_in.loc[ref_in.index, ref_in.columns], ref_in, atol=1e-14)
        np.testing.assert_allclose(w_out.loc[ref_out.index, ref_out.columns], ref_out, atol=1e-14)
        # δ_j = w_in · μ as the generator plants it (economy.py)
        bench = totals[totals["year"] == benchmark_year(totals["year"], year)].set_index("sector")
        mu = bench["imports"] / (bench["output"] + bench["imports"] - bench["exports"])
        ref_delta = ref_in.fillna(0.0) @ mu.reindex(ref_in.columns)
        delta = import_share_of_inputs(io, totals, year).set_index("io_sector")["delta"]
        np.testing.assert_allclose(delta.loc[ref_delta.index], ref_delta, atol=1e-14)
