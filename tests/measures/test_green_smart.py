"""M6 of paper 003 (vagg.measures.green_smart): the shipped HS lists, SMART, KL, MATINT,
EGSHARE, STRICT.

The HS lists are checked against the real UN HS 2002/2007 → BEC tables when they are present
next to the repository (``../shared/data/concordance``; the tests skip otherwise): every
shipped code is an HS 2007 subheading, and APEC's 441872 (created in HS 2007) is correctly
rejected as an HS 2002 code. Shares are worked out by hand or recomputed with pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from _ksw_synthetic import shared_file

from vagg.data.concordance import read_hs_bec
from vagg.data.errors import SchemaError
from vagg.measures.green_smart import (
    EU27,
    STRICT_DESTINATIONS,
    HSListError,
    egshare,
    factor_intensity,
    hs_list,
    smart_imports,
    strict_share,
)


def _hs_codes(vintage: str) -> pd.Series:
    name = f"HS{vintage}_to_BEC_Conversion_and_Correlation_Tables.csv"
    path = shared_file("concordance", name)
    if path is None:
        pytest.skip(f"public UN HS {vintage} -> BEC table not found next to the repository")
    return read_hs_bec(path)["hs6"]


def test_shipped_lists_content() -> None:
    table = hs_list()
    assert list(table.columns) == ["list", "hs6", "description", "source"]
    assert set(table["list"]) == {"environmental_apec", "intelligent_equipment"}
    assert table["source"].str.len().min() > 20 and table["description"].str.len().min() > 10
    apec = hs_list("environmental_apec")
    assert set(apec["hs6"]) == {"441872", "840290"}  # the verified rows of Annex C (of 54)
    smart = set(hs_list("intelligent_equipment")["hs6"])
    assert {"847950", "853710"} <= smart
    assert {c for c in smart if c.startswith("8471")} == {
        "847130", "847141", "847149", "847150", "847160", "847170", "847180", "847190",
    }  # fmt: skip
    machine_tools = {c for c in smart if "8456" <= c[:4] <= "8463"}
    assert len(machine_tools) == 13 and len(smart) == 23


def test_shipped_codes_are_hs2007_subheadings() -> None:
    codes = _hs_codes("2007")
    assert len(hs_list(hs_codes=codes)) == 25


def test_code_outside_the_concordance_is_an_error_naming_list_and_code() -> None:
    hs2002 = _hs_codes("2002")
    with pytest.raises(HSListError, match=r"HS list 'environmental_apec'.*'441872'"):
        hs_list("environmental_apec", hs_codes=hs2002)
    assert len(hs_list("intelligent_equipment", hs_codes=hs2002)) == 23


def test_hs_list_errors_without_reference_files() -> None:
    valid = [c for c in hs_list()["hs6"] if c != "847950"]
    with pytest.raises(HSListError, match=r"'intelligent_equipment'.*'847950'"):
        hs_list("intelligent_equipment", hs_codes=valid)
    with pytest.raises(HSListError, match=r"unknown HS list 'robots'.*environmental_apec"):
        hs_list("robots")
    lines = pd.DataFrame({"firm_id": ["A"], "year": [2005], "hs6": ["840290"], "value_usd": [1.0]})
    with pytest.raises(HSListError, match=r"'goods'.*'8402'"):
        egshare(lines, goods=["8402"])
    with pytest.raises(HSListError, match=r"duplicated codes \['840290'\]"):
        egshare(lines, goods=["840290", "8402.90"])


def _exports() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "firm_id": ["A", "A", "A", "B", "C"],
            "year": [2008, 2008, 2008, 2008, 2008],
            "flow": ["export"] * 5,
            "hs8": ["84029000", "44187210", "61091000", "61091000", "61091000"],
            "partner": ["DEU", "USA", "GBR", "JPN", "USA"],
            "value_usd": [20.0, 30.0, 50.0, 10.0, 0.0],
        }
    )


def test_egshare_and_strict_hand_numbers() -> None:
    eg, report = egshare(_exports(), return_report=True)
    got = eg.set_index("firm_id")
    assert got.loc["A", "egshare"] == pytest.approx(0.5)  # (20 + 30) / 100
    assert got.loc["B", "egshare"] == 0.0 and pd.isna(got.loc["C", "egshare"])
    assert report["excluded"]["egshare"] == {"no exports (zero total)": 1}
    st = strict_share(_exports()).set_index("firm_id")
    assert st.loc["A", "strict"] == pytest.approx(0.7)  # DEU 20 + GBR 50 of 100
    assert st.loc["B", "strict"] == 1.0
    only_eu = strict_share(_exports(), destinations=EU27).set_index("firm_id")
    assert only_eu.loc["A", "strict"] == pytest.approx(0.2)
    assert len(EU27) == 27 and len(STRICT_DESTINATIONS) == 32
    with pytest.raises(HSListError, match="alpha-3"):
        strict_share(_exports(), destinations=["EU"])


def test_shares_match_pandas_and_ignore_money_scale() -> None:
    rng = np.random.default_rng(5)
    n = 1500
    codes = ["840290", "441872", "610910", "847130"]
    lines = pd.DataFrame(
        {
            "firm_id": rng.choice([f"F{i}" for i in range(50)], n),
            "year": rng.integers(2007, 2010, n),
            "hs6": rng.choice(codes, n),
            "partner": rng.choice(["DEU", "USA", "JPN", "VNM", "NOR"], n),
            "value_usd": rng.lognormal(6, 1.5, n),
        }
    )
    out = egshare(lines, goods=["840290", "441872"])
    grouped = lines.groupby(["firm_id", "year"])
    expected = grouped.apply(
        lambda g: g.value_usd[g.hs6.isin(["840290", "441872"])].sum() / g.value_usd.sum(),
        include_groups=False,
    ).sort_index()
    np.testing.assert_allclose(out["egshare"].to_numpy(), expected.to_numpy(), rtol=1e-12)
    strict = strict_share(lines)
    expected_strict = grouped.apply(
        lambda g: g.value_usd[g.partner.isin(STRICT_DESTINATIONS)].sum() / g.value_usd.sum(),
        include_groups=False,
    ).sort_index()
    np.testing.assert_allclose(strict["strict"].to_numpy(), expected_strict.to_numpy(), rtol=1e-12)
    rescaled = egshare(lines.assign(value_usd=lines.value_usd * 6.8), goods=["840290", "441872"])
    np.testing.assert_allclose(rescaled["egshare"], out["egshare"], rtol=1e-12)


def test_smart_imports_hand_numbers() -> None:
    firms = pl.DataFrame(
        {
            "firm_id": ["A", "B", "C"],
            "year": [2005, 2005, 2005],
            "fixed_assets": [80.0, 50.0, 0.0],
        }
    )
    imports = pl.DataFrame(
        {
            "firm_id": ["A", "A", "C", "Z"],
            "year": [2005, 2005, 2005, 2005],
            "flow": ["import", "export", "import", "import"],
            "hs8": ["84795010", "84795010", "84713000", "84795010"],
            "value_usd": [1000.0, 5000.0, 10.0, 1.0],
        }
    )
    out, report = smart_imports(imports, firms, rmb_per_usd=8.0, return_report=True)
    # A: 1000 USD × 8 / 1000 = 8 thousand RMB over 80 -> 0.1; the export line is ignored
    assert out["smart"].to_list() == [1, 0, 1]
    assert out["smart_value"].to_list() == [pytest.approx(0.1), 0.0, None]
    assert report["excluded"]["smart_value"] == {"fixed_assets not positive": 1}
    assert report["import_firm_years_not_in_firms"] == 1
    rates = pl.DataFrame({"year": [2005], "rmb_per_usd": [8.0]})
    same = smart_imports(imports, firms, rmb_per_usd=rates)
    assert same["smart_value"].to_list() == out["smart_value"].to_list()
    scaled = smart_imports(
        imports.with_columns(pl.col("value_usd") * 1e3),
        firms.with_columns(pl.col("fixed_assets") * 1e3),
        rmb_per_usd=8.0,
    )
    assert scaled["smart_value"].to_list()[:2] == [pytest.approx(0.1), 0.0]
    with pytest.raises(HSListError, match=r"no positive exchange rate for years \[2005\]"):
        smart_imports(imports, firms, rmb_per_usd=rates.with_columns(pl.lit(2006).alias("year")))


def test_factor_intensity_hand_numbers_and_bad_input() -> None:
    firms = pd.DataFrame(
        {
            "firm_id": ["A", "B"],
            "year": [2005, 2005],
            "fixed_assets": [300.0, 10.0],
            "employment": [100, 0],
            "intermediate_inputs": [60.0, None],
            "gross_output": [80.0, 20.0],
        }
    )
    out, report = factor_intensity(firms, return_report=True)
    assert out["kl"].iloc[0] == 3.0 and pd.isna(out["kl"].iloc[1])
    assert out["matint"].iloc[0] == 0.75 and pd.isna(out["matint"].iloc[1])
    assert report["excluded"] == {
        "kl": {"employment not positive": 1},
        "matint": {"missing intermediate_inputs": 1},
    }
    firms.loc[1, "fixed_assets"] = -5.0
    with pytest.raises(SchemaError, match=r"column 'fixed_assets'.*rows \[1\]"):
        factor_intensity(firms)
