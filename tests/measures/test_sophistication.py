"""PRODY (RTV) and EXPY (MET), paper 004 eq. (12)–(13); Hausmann, Hwang & Rodrik (2007).

References (tests/reference/province_measures.json): a hand-computed two-economy, two-product
example of HHR's formulas; a second implementation written here with Balassa RCA weights (the
form of R ``economiccomplexity::productivity_levels``, trade_measures.md §6.1) on the synthetic
province exports; closed forms: Σ_i EXPY_it = Σ_i PGDP_it, and a one-product exporter's EXPY is
that product's PRODY.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.measures.sophistication import export_shares, expy, prody

REF = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "province_measures.json").read_text()
)
EXPORTS = pd.DataFrame(
    {
        "province_code": ["11", "11", "12", "12"],
        "hs4": ["8471", "6110", "8471", "6110"],
        "year": 2005,
        "export_value_usd": [90.0, 10.0, 20.0, 80.0],
    }
)
INCOME = pd.DataFrame({"province_code": ["11", "12"], "year": 2005,
                       "gdp_per_capita": [1000.0, 10000.0]})  # fmt: skip


def test_hhr_two_by_two() -> None:
    ref = REF["hhr_two_by_two"]
    rtv = prody(EXPORTS, INCOME).set_index("hs4")["prody"]
    np.testing.assert_allclose([rtv["8471"], rtv["6110"]], ref["prody"], rtol=1e-14)
    met = expy(EXPORTS, INCOME)
    np.testing.assert_allclose(met["expy"], ref["expy"], rtol=1e-14)
    assert met["expy"].sum() == pytest.approx(INCOME["gdp_per_capita"].sum(), rel=1e-14)
    shares = export_shares(EXPORTS)
    assert shares.groupby("province_code")["share"].sum().tolist() == [1.0, 1.0]


def _rca_reference(exports: pl.DataFrame, panel: pl.DataFrame, year: int) -> pd.Series:
    """PRODY with Balassa RCA weights and EXPY, by numpy matrices (independent of vagg)."""
    flows = exports.filter(pl.col("year") == year).to_pandas()
    matrix = flows.pivot_table(index="province_code", columns="hs4",
                               values="export_value_usd", fill_value=0.0)  # fmt: skip
    income = (
        panel.filter(pl.col("year") == year).to_pandas().set_index("province_code")
        .loc[matrix.index, "gdp_per_capita"].to_numpy()
    )  # fmt: skip
    e = matrix.to_numpy()
    share = e / e.sum(axis=1, keepdims=True)
    rca = share / (e.sum(axis=0) / e.sum())
    rtv = (rca * income[:, None]).sum(axis=0) / rca.sum(axis=0)
    return pd.Series(share @ rtv, index=matrix.index)


def test_matches_rca_weighted_implementation(province_economy: dict) -> None:
    exports = province_economy["province_exports"]
    panel = province_economy["province_panel"]
    met = expy(exports, panel)
    assert isinstance(met, pl.DataFrame) and met.height == 30 * 21
    for year in (2004, 2015):
        expected = _rca_reference(exports, panel, year)
        got = met.filter(pl.col("year") == year).to_pandas().set_index("province_code")["expy"]
        np.testing.assert_allclose(got.loc[expected.index], expected, rtol=1e-12)
    totals = met.join(panel.select("province_code", "year", "gdp_per_capita"),
                      on=["province_code", "year"]).group_by("year").agg(
                          pl.col("expy").sum(), pl.col("gdp_per_capita").sum())  # fmt: skip
    np.testing.assert_allclose(totals["expy"], totals["gdp_per_capita"], rtol=1e-12)


def test_fixed_prody_and_single_product_exporter() -> None:
    rtv = prody(EXPORTS, INCOME)[["hs4", "prody"]]
    one = pd.DataFrame({"province_code": ["13"], "hs4": ["6110"], "year": 2005,
                        "export_value_usd": [5.0]})  # fmt: skip
    met = expy(one, prody=rtv)
    assert met["expy"].item() == pytest.approx(9000.0, rel=1e-14)
    keyed = expy(EXPORTS, prody=prody(EXPORTS, INCOME))  # (product, year, prody)
    np.testing.assert_allclose(keyed["expy"], REF["hhr_two_by_two"]["expy"], rtol=1e-14)


def test_expy_is_linear_in_income() -> None:
    scaled = expy(EXPORTS, INCOME.assign(gdp_per_capita=INCOME["gdp_per_capita"] / 1e4))
    np.testing.assert_allclose(scaled["expy"] * 1e4, REF["hhr_two_by_two"]["expy"], rtol=1e-14)


# --- bad inputs: one test per error case


def test_error_province_missing_in_a_year() -> None:
    two = pd.concat([EXPORTS, EXPORTS.assign(year=2006)]).iloc[:-2]
    income = pd.concat([INCOME, INCOME.assign(year=2006)])
    with pytest.raises(SchemaError, match=r"province_exports.*missing.*\('12', 2006\)"):
        expy(two, income)


def test_error_unknown_province_code() -> None:
    with pytest.raises(SchemaError, match=r"'province_exports', column 'province_code'.*'99'"):
        prody(EXPORTS.assign(province_code=["11", "11", "99", "99"]), INCOME)


def test_error_negative_exports() -> None:
    bad = EXPORTS.assign(export_value_usd=[90.0, -10.0, 20.0, 80.0])
    with pytest.raises(SchemaError, match=r"column 'export_value_usd'.*rows \[1\]"):
        prody(bad, INCOME)


def test_error_province_without_exports() -> None:
    bad = EXPORTS.assign(export_value_usd=[0.0, 0.0, 20.0, 80.0])
    with pytest.raises(SchemaError, match=r"no exports in a year.*\('11', 2005\)"):
        expy(bad, INCOME)


def test_error_income_missing() -> None:
    with pytest.raises(SchemaError, match=r"'province_panel', column 'gdp_per_capita'.*'12'"):
        expy(EXPORTS, INCOME.iloc[:1])


def test_error_nonpositive_income() -> None:
    with pytest.raises(SchemaError, match=r"column 'gdp_per_capita': must be positive"):
        prody(EXPORTS, INCOME.assign(gdp_per_capita=[1000.0, 0.0]))


def test_error_product_without_prody() -> None:
    partial = pd.DataFrame({"hs4": ["8471"], "prody": [2000.0]})
    with pytest.raises(SchemaError, match=r"table 'prody', column 'hs4'.*no PRODY.*'6110'"):
        expy(EXPORTS, prody=partial)
