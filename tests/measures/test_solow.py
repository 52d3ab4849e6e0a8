"""Perpetual-inventory capital and Solow TFP (paper 004's ALLO).

References (tests/reference/province_measures.json): a hand-computed perpetual inventory and
Solow residual; the synthetic economy's capital stock, accumulated by its own code in 2000
prices with K_2000 = I_2000/(0.10 + 0.096) (vagg.data.synth.provinces, a second
implementation); statsmodels OLS with province and year dummies for the estimated capital share.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
import statsmodels.formula.api as smf

from vagg.data.errors import SchemaError
from vagg.errors import VaggError
from vagg.measures.solow import capital_stock, solow_tfp

REF = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "province_measures.json").read_text()
)
PIM = pd.DataFrame(
    {
        "province_code": "11",
        "year": [2004, 2005, 2006],
        "fixed_asset_investment": [10.0, 12.1, 14.641],
        "fai_price_index": [100.0, 110.0, 121.0],
    }
)


def test_perpetual_inventory_by_hand() -> None:
    ref = REF["pim_hand"]["capital"]
    fixed = capital_stock(PIM, base_year=2004, depreciation=0.1, initial_growth=0.1)
    np.testing.assert_allclose(fixed["real_investment"], [10.0, 11.0, 12.1], rtol=1e-14)
    np.testing.assert_allclose(fixed["capital_stock"], ref, rtol=1e-14)
    growth = capital_stock(PIM, base_year=2004, depreciation=0.1)  # g = (12.1/10)^(1/2) − 1
    np.testing.assert_allclose(growth["capital_stock"], ref, rtol=1e-12)
    later = capital_stock(PIM, base_year=2006, depreciation=0.1, initial_growth=0.1)
    np.testing.assert_allclose(later["capital_stock"], np.array(ref) * 1.21, rtol=1e-12)


def test_capital_matches_generator(province_economy: dict) -> None:
    panel = province_economy["province_panel"]
    # the generator starts its capital in 2000 at the steady state of the province's average
    # real investment growth 2000–2020, the measure's default start on a 2000–2020 panel
    mine = capital_stock(panel, base_year=2000, depreciation=0.096)
    joined = mine.join(panel.select("province_code", "year", "capital_stock"),
                       on=["province_code", "year"])  # fmt: skip
    np.testing.assert_allclose(joined["capital_stock"], joined["capital_stock_right"], rtol=1e-10)


def test_solow_residual_by_hand() -> None:
    panel = pd.DataFrame({"province_code": "11", "year": [2004], "gdp": [200.0],
                          "gdp_index": [110.0], "population": [1000.0],
                          "employment_total": [100.0], "k": [500.0]})  # fmt: skip
    out = solow_tfp(panel, capital="k").iloc[0]
    assert out["ln_tfp"] == pytest.approx(REF["solow_hand"]["ln_tfp"], abs=1e-12)
    assert out["tfp"] == pytest.approx(np.exp(REF["solow_hand"]["ln_tfp"]), rel=1e-12)


def test_estimated_share_matches_dummy_ols(province_economy: dict) -> None:
    panel = province_economy["province_panel"].filter(pl.col("year").is_between(2004, 2015))
    out = solow_tfp(panel, capital_share="estimate").to_pandas()
    frame = out.assign(
        y=np.log(out["real_gdp"] / out["labour"]), k=np.log(out["capital_stock"] / out["labour"])
    )
    ols = smf.ols("y ~ k + C(province_code) + C(year)", data=frame).fit()
    assert out["capital_share"].iloc[0] == pytest.approx(ols.params["k"], rel=1e-9)
    fixed = solow_tfp(panel).to_pandas()
    expected = (np.log(fixed["real_gdp"]) - 0.4 * np.log(fixed["capital_stock"])
                - 0.6 * np.log(fixed["labour"]))  # fmt: skip
    np.testing.assert_allclose(fixed["ln_tfp"], expected, rtol=1e-12)


# --- bad inputs: one test per error case


def test_error_investment_collapse() -> None:
    falling = PIM.assign(fixed_asset_investment=[10.0, 2.0, 0.5])
    with pytest.raises(SchemaError, match=r"g \+ δ > 0.*\['11'\]"):
        capital_stock(falling)


def test_error_nonpositive_investment() -> None:
    with pytest.raises(SchemaError, match=r"column 'fixed_asset_investment'.*rows \[1\]"):
        capital_stock(PIM.assign(fixed_asset_investment=[10.0, 0.0, 1.0]))


def test_error_price_base_year_missing() -> None:
    with pytest.raises(SchemaError, match="price base year 2000 is not in the panel"):
        capital_stock(PIM, base_year=2000)


def test_error_province_missing_in_a_year() -> None:
    two = pd.concat([PIM, PIM.assign(province_code="12")]).iloc[:-1]
    with pytest.raises(SchemaError, match=r"province is missing in a year.*\('12', 2006\)"):
        capital_stock(two)


def test_error_nonpositive_labour() -> None:
    panel = pd.DataFrame({"province_code": "11", "year": [2004], "gdp": [200.0],
                          "gdp_index": [110.0], "population": [1000.0],
                          "employment_total": [0.0], "k": [500.0]})  # fmt: skip
    with pytest.raises(SchemaError, match=r"column 'employment_total': must be positive"):
        solow_tfp(panel, capital="k")


def test_error_bad_capital_share() -> None:
    with pytest.raises(VaggError, match="argument 'capital_share'"):
        solow_tfp(PIM, capital_share=1.5)
