"""Province controls (papers 002 and 004), constant-price GDP, chained indices, coastal splits.

References: hand arithmetic on one typed province-year (ratios, the FDI conversion at the
annual RMB/USD rate), a hand-chained index, and the N's printed by paper 004 (spec 004 §1.1:
FMOLS N = 14·12 − 1 = 167 and 16·12 − 1 = 191 in Table 1, 15·12 − 1 = 179 in Table 2); the
synthetic economy's real GDP path (generated in 2000 prices, independent code) for the chain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data import geography
from vagg.data.errors import SchemaError
from vagg.errors import VaggError
from vagg.measures.regional import (
    COASTAL_SPLITS,
    average_schooling,
    chain_index,
    coastal_split,
    real_gdp,
    resilience_controls,
    sophistication_controls,
)

ROW = pd.DataFrame(
    {
        "province_code": ["32"],
        "year": [2012],
        "gdp": [54058.0],  # 100 million RMB
        "gdp_per_capita": [68347.0],
        "tax_revenue": [4782.6],
        "retail_sales": [18331.3],
        "fdi_usd": [3.576e10],
        "rd_expenditure": [1288.0],
        "broadband_subscribers": [1462.4],
        "urbanisation_rate": [63.0],
        "government_expenditure": [7027.7],
        "schooling_years": [9.4],
    }
)
RATES = pd.DataFrame({"year": [2012], "rmb_per_usd": [6.31]})


def test_resilience_controls_by_hand() -> None:
    out = resilience_controls(ROW, RATES).iloc[0]
    assert out["pgdp"] == pytest.approx(6.8347)
    assert out["tax"] == pytest.approx(4782.6 / 54058.0)
    assert out["cons"] == pytest.approx(18331.3 / 54058.0)
    assert out["fdi"] == pytest.approx(3.576e10 * 6.31 / 5.4058e12)
    assert out["innovation"] == pytest.approx(100 * 1288.0 / 54058.0)
    assert out["internet"] == pytest.approx(np.log(1462.4))
    raw = resilience_controls(ROW, RATES, pgdp_scale=1.0, innovation="schooling_years").iloc[0]
    assert raw["pgdp"] == 68347.0 and raw["innovation"] == 9.4


def test_sophistication_controls_by_hand() -> None:
    out = sophistication_controls(pl.from_pandas(ROW), RATES)
    assert isinstance(out, pl.DataFrame)
    row = out.row(0, named=True)
    assert row["urban"] == pytest.approx(0.63)
    assert row["gov"] == pytest.approx(7027.7 / 54058.0)
    assert row["lab"] == 9.4
    assert row["open"] == pytest.approx(3.576e10 * 6.31 / 5.4058e12)


def test_coastal_splits_reproduce_printed_counts() -> None:
    sizes = {name: int(coastal_split(name)["coastal"].sum()) for name in COASTAL_SPLITS}
    assert sizes == {"sea_coast": 11, "coastal_14": 14, "coastal_15": 15}
    assert (14 * 12 - 1, 16 * 12 - 1, 15 * 12 - 1) == (167, 191, 179)  # 004 Tables 1 and 2
    sea = set(geography.provinces().query("coastal")["province_code"])
    assert sea <= set(COASTAL_SPLITS["coastal_14"]) <= set(COASTAL_SPLITS["coastal_15"])
    custom = coastal_split(["11", "31"])
    assert custom.loc[custom["coastal"], "province_code"].tolist() == ["11", "31"]


def test_chain_index_by_hand() -> None:
    panel = pd.DataFrame({"province_code": "11", "year": [2003, 2004, 2005, 2006],
                          "idx": [104.0, 110.0, 105.0, 102.0]})  # fmt: skip
    out = chain_index(panel, "idx", base_year=2004)
    np.testing.assert_allclose(out["idx_level"], [100 / 1.10, 100.0, 105.0, 107.1], rtol=1e-12)


def test_real_gdp_recovers_generated_path(province_economy: dict) -> None:
    panel = province_economy["province_panel"]
    real = real_gdp(panel, base_year=2000)
    # generated GDP in 2000 is real GDP at 2000 prices, and gdp_index is its growth
    first = panel.filter(pl.col("year") == 2000).sort("province_code")["gdp"].to_numpy()
    wide = real.pivot(on="year", index="province_code", values="real_gdp").sort("province_code")
    growth = panel.pivot(on="year", index="province_code", values="gdp_index").sort("province_code")
    expected = first[:, None] * np.cumprod(
        np.column_stack([np.ones(30), growth.select([str(y) for y in range(2001, 2021)])
                         .to_numpy() / 100]), axis=1)  # fmt: skip
    np.testing.assert_allclose(wide.select([str(y) for y in range(2000, 2021)]).to_numpy(),
                               expected, rtol=1e-12)  # fmt: skip
    rebased = real_gdp(panel, base_year=2004)
    ratio = rebased.join(real, on=["province_code", "year"]).with_columns(
        (pl.col("real_gdp") / pl.col("real_gdp_right")).alias("r")
    )
    spread = ratio.group_by("province_code").agg(pl.col("r").max() - pl.col("r").min())
    assert spread["r"].max() < 1e-12  # re-basing multiplies a province's path by a constant


def test_average_schooling_by_hand() -> None:
    counts = pd.DataFrame({"province_code": ["11"], "year": [2010], "no_schooling": [10.0],
                           "primary": [20.0], "junior_secondary": [30.0],
                           "senior_secondary": [25.0], "tertiary": [15.0]})  # fmt: skip
    # (0·10 + 6·20 + 9·30 + 12·25 + 16·15) / 100 = 9.3
    assert average_schooling(counts)["schooling_years"].item() == pytest.approx(9.3)


# --- bad inputs: one test per error case


def test_error_schooling_without_population() -> None:
    counts = pd.DataFrame({"province_code": ["11"], "year": [2010], "primary": [0.0]})
    with pytest.raises(SchemaError, match=r"table 'schooling'.*no population.*\('11', 2010\)"):
        average_schooling(counts, {"primary": 6.0})


def test_error_exchange_rate_missing() -> None:
    with pytest.raises(SchemaError, match=r"'national_series', column 'rmb_per_usd'.*\[2012\]"):
        sophistication_controls(ROW, RATES.assign(year=2013))


def test_error_nonpositive_gdp() -> None:
    with pytest.raises(SchemaError, match=r"column 'gdp': must be positive.*rows \[0\]"):
        resilience_controls(ROW.assign(gdp=0.0), RATES)


def test_error_unknown_province_code() -> None:
    with pytest.raises(SchemaError, match=r"column 'province_code': unknown province codes"):
        sophistication_controls(ROW.assign(province_code="54"), RATES)


def test_error_unknown_code_in_custom_split() -> None:
    with pytest.raises(SchemaError, match=r"coastal_split.*\['54'\]"):
        coastal_split(["11", "54"])


def test_error_unknown_split_name() -> None:
    with pytest.raises(VaggError, match="argument 'split'"):
        coastal_split("coastal_12")


def test_error_base_year_not_in_panel(province_economy: dict) -> None:
    panel = province_economy["province_panel"].filter(pl.col("year") >= 2005)
    with pytest.raises(SchemaError, match=r"base year 2004 is not in the table"):
        real_gdp(panel)


def test_error_province_missing_in_a_year(province_economy: dict) -> None:
    panel = province_economy["province_panel"]
    holed = panel.filter(~((pl.col("province_code") == "46") & (pl.col("year") == 2010)))
    with pytest.raises(SchemaError, match=r"province is missing in a year.*\('46', 2010\)"):
        real_gdp(holed)
