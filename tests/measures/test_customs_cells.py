"""Tests for vagg.measures.customs_cells and hs_vintage: customs lines → KSW cells.

Expected values are computed independently in each test with pandas on the same lines (sums of
value and quantity per cell, counts of the lines each rule leaves out). Real HS codes: the UN
HS 2002 → BEC and HS 2007 → BEC tables (public reference files next to the repository; tests
that need them skip without them) show that 851712 (mobile telephones) exists in HS 2007 but
not in HS 2002 and that 852520 (HS 2002 transmission apparatus with reception) does not exist
in HS 2007 — the pair the example concordances below map.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from _ksw_synthetic import shared_file

from vagg.data.concordance import read_hs_bec
from vagg.data.errors import SchemaError
from vagg.measures.customs_cells import EXCLUSION_REASONS, customs_cells
from vagg.measures.hs_vintage import china_hs_vintage, hs_concordance

KEY = ["party_id", "city_code", "hs6", "partner", "year"]


def make_lines(n: int = 3000, seed: int = 11) -> pd.DataFrame:
    """Export lines in HS 2002 (years 2003–2006), several HS8 lines per HS6 and repeated
    shipments of the same cell, all valid (one unit per product, no intermediaries)."""
    rng = np.random.default_rng(seed)
    hs8 = np.array(["84713010", "84713090", "61091000", "94036000", "85252000", "85171100"])
    units = {"8471": "piece", "6109": "piece", "9403": "kg", "8525": "set", "8517": "set"}
    code = rng.choice(hs8, n)
    frame = pd.DataFrame(
        {
            "party_id": [f"P{k:09d}" for k in rng.integers(0, 40, n)],
            "firm_name": "某某电子有限公司",
            "city_code": rng.choice(["110100", "440300"], n),
            "year": rng.integers(2003, 2007, n),
            "flow": "export",
            "regime": rng.choice(["10", "15"], n),
            "hs8": code,
            "partner": rng.choice(["USA", "JPN", "DEU"], n),
            "value_usd": rng.lognormal(8, 1, n),
            "quantity": rng.lognormal(3, 1, n),
            "unit": [units[c[:4]] for c in code],
        }
    )
    return frame


def _expected_cells(lines: pd.DataFrame) -> pd.DataFrame:
    lines = lines.assign(hs6=lines["hs8"].str[:6])
    out = lines.groupby(KEY, as_index=False).agg(
        value_usd=("value_usd", "sum"), quantity=("quantity", "sum"), n_lines=("hs8", "size")
    )
    return out.sort_values(["hs6", *[k for k in KEY if k != "hs6"]]).reset_index(drop=True)


def _cells(result: object) -> pd.DataFrame:
    cells = result.cells  # type: ignore[attr-defined]
    return cells if isinstance(cells, pd.DataFrame) else cells.to_pandas()


def test_cells_sum_lines_and_give_unit_values() -> None:
    lines = make_lines()
    res = customs_cells(lines, min_product_cells=0)
    got, exp = _cells(res), _expected_cells(lines)
    pd.testing.assert_frame_equal(got[KEY], exp[KEY])
    np.testing.assert_allclose(got["value_usd"], exp["value_usd"], rtol=1e-12)
    np.testing.assert_allclose(got["quantity"], exp["quantity"], rtol=1e-12)
    np.testing.assert_allclose(got["unit_value"], exp["value_usd"] / exp["quantity"], rtol=1e-12)
    assert (got["n_lines"].to_numpy() == exp["n_lines"].to_numpy()).all()
    assert res.n_lines == len(lines) and res.n_lines_used == len(lines)
    assert set(res.excluded_lines) == set(EXCLUSION_REASONS)
    assert (got["hs4"] == got["hs6"].str[:4]).all()


def test_lazy_parquet_scan_gives_the_same_cells(tmp_path: object) -> None:
    lines = make_lines()
    path = f"{tmp_path}/customs.parquet"
    pl.from_pandas(lines).write_parquet(path)
    lazy = customs_cells(pl.scan_parquet(path), min_product_cells=0)
    assert isinstance(lazy.cells, pl.DataFrame)
    eager = customs_cells(lines, min_product_cells=0)
    pd.testing.assert_frame_equal(lazy.cells.to_pandas(), _cells(eager))


def test_zero_quantity_lines_are_counted() -> None:
    lines = make_lines()
    lines.loc[[3, 10, 11], "quantity"] = 0.0
    res = customs_cells(lines, min_product_cells=0)
    assert res.excluded_lines["quantity_nonpositive"] == 3
    assert res.excluded_value["quantity_nonpositive"] == pytest.approx(
        lines.loc[[3, 10, 11], "value_usd"].sum()
    )
    pd.testing.assert_frame_equal(
        _cells(res)[KEY], _expected_cells(lines.drop(index=[3, 10, 11]))[KEY]
    )


def test_missing_quantity_lines_are_counted() -> None:
    lines = make_lines()
    lines.loc[[5, 6], "quantity"] = np.nan
    res = customs_cells(lines, min_product_cells=0)
    assert res.excluded_lines["quantity_missing"] == 2
    assert _cells(res)["quantity"].notna().all()
    report = res.report().set_index("item")
    assert report.loc["left out: quantity_missing", "lines"] == 2
    assert report.loc["lines used", "lines"] == len(lines) - 2


def test_mixed_units_keep_the_dominant_unit() -> None:
    lines = make_lines()
    knit = lines.index[lines["hs8"] == "61091000"]
    lines.loc[knit[:5], "unit"] = "kg"  # a few T-shirt lines declared in kg
    res = customs_cells(lines, min_product_cells=0)
    assert res.excluded_lines["unit_not_dominant_in_hs6"] == 5
    assert res.excluded_value["unit_not_dominant_in_hs6"] == pytest.approx(
        lines.loc[knit[:5], "value_usd"].sum()
    )
    units = res.dominant_units.to_pandas().set_index("hs6")
    assert units.loc["610910", "unit"] == "piece"
    assert units.loc["610910", "value_share"] < 1.0
    dropped = customs_cells(lines, min_product_cells=0, mixed_units="drop_product")
    assert "610910" not in set(_cells(dropped)["hs6"])
    assert dropped.excluded_lines["unit_not_dominant_in_hs6"] == len(knit)


def test_mixed_units_error_names_the_product() -> None:
    lines = make_lines()
    lines.loc[lines.index[lines["hs8"] == "94036000"][:2], "unit"] = "piece"
    with pytest.raises(
        SchemaError, match=r"table 'customs', column 'unit'.*940360: \['kg', 'piece'\]"
    ):
        customs_cells(lines, min_product_cells=0, mixed_units="error")


def test_hs_codes_outside_the_concordance_are_counted_or_an_error() -> None:
    lines = make_lines()
    lines.loc[[7, 8], "year"] = 2008  # HS 2007 years: 85252000 does not exist there
    lines.loc[[7, 8], "hs8"] = ["85171200", "39269090"]
    lines.loc[[7, 8], "unit"] = "set"
    conc = pd.DataFrame({"vintage": [2007], "hs6": ["851712"], "hs6_2002": ["852520"]})
    res = customs_cells(lines, concordance=conc, min_product_cells=0)
    assert res.excluded_lines["hs_not_in_concordance"] == 1
    converted = _cells(res)
    assert ((converted["year"] == 2008) & (converted["hs6"] == "852520")).sum() == 1
    with pytest.raises(SchemaError, match=r"table 'customs', column 'hs8'.*rows \[8\]"):
        customs_cells(lines, concordance=conc, min_product_cells=0, unknown_hs="error")


def test_without_a_concordance_other_vintages_are_counted() -> None:
    lines = make_lines()
    lines.loc[:9, "year"] = 2009
    res = customs_cells(lines, min_product_cells=0)
    assert res.excluded_lines["hs_not_in_concordance"] == 10
    same = customs_cells(lines, min_product_cells=0, vintage=2002)
    assert same.excluded_lines["hs_not_in_concordance"] == 0


def test_one_to_many_codes_dropped_split_or_an_error() -> None:
    lines = make_lines()
    lines.loc[:19, "year"] = 2010
    lines.loc[:19, "hs8"] = "85171200"
    lines.loc[:19, "unit"] = "set"
    conc = pd.DataFrame(
        {
            "vintage": [2007, 2007],
            "hs6": ["851712", "851712"],
            "hs6_2002": ["852520", "851711"],
            "weight": [0.75, 0.25],
        }
    )
    res = customs_cells(lines, concordance=conc, min_product_cells=0)
    assert res.excluded_lines["hs_one_to_many"] == 20
    split = customs_cells(lines, concordance=conc, min_product_cells=0, one_to_many="split")
    cells = _cells(split)
    assert split.excluded_lines["hs_one_to_many"] == 0
    assert split.n_lines_used == len(lines)
    assert cells["value_usd"].sum() == pytest.approx(lines["value_usd"].sum(), rel=1e-12)
    moved = cells[cells["year"] == 2010]
    assert moved.loc[moved["hs6"] == "852520", "value_usd"].sum() == pytest.approx(
        0.75 * lines.loc[:19, "value_usd"].sum(), rel=1e-12
    )
    mobiles = lines.loc[:19].groupby(["party_id", "city_code", "partner"])
    expected_uv = (mobiles["value_usd"].sum() / mobiles["quantity"].sum()).sort_index()
    got_uv = moved[moved["hs6"] == "852520"].set_index(["party_id", "city_code", "partner"])
    np.testing.assert_allclose(
        got_uv["unit_value"].sort_index(), expected_uv.to_numpy(), rtol=1e-12
    )
    with pytest.raises(SchemaError, match=r"column 'hs8'.*several HS 2002 codes"):
        customs_cells(lines, concordance=conc, min_product_cells=0, one_to_many="error")


def test_real_hs2002_codes_catch_codes_of_other_vintages() -> None:
    path = shared_file("concordance", "HS2002_to_BEC_Conversion_and_Correlation_Tables.csv")
    if path is None:
        pytest.skip("public UN HS 2002 → BEC table not found next to the repository")
    hs2002 = read_hs_bec(path)["hs6"]
    lines = make_lines()
    lines.loc[[1, 2], "hs8"] = "85171200"  # an HS 2007 code declared in a 2003–2006 year
    res = customs_cells(lines, hs2002_codes=hs2002, min_product_cells=0)
    assert res.excluded_lines["hs_not_in_concordance"] == 2
    bad = pd.DataFrame({"vintage": [2007], "hs6": ["852520"], "hs6_2002": ["851712"]})
    with pytest.raises(SchemaError, match=r"hs_concordance.*hs6_2002.*not HS 2002.*851712"):
        hs_concordance(bad, hs2002_codes=hs2002)


def test_sample_rules_intermediaries_imports_chapters_thin_products() -> None:
    lines = make_lines()
    lines.loc[[0, 1], "firm_name"] = "深圳市某某进出口有限公司"
    lines.loc[[2], "flow"] = "import"
    lines.loc[[3, 4], ["hs8", "unit"]] = ["02013000", "kg"]  # beef: chapter 02
    lines.loc[[5], "value_usd"] = 0.0
    res = customs_cells(lines, min_product_cells=0)
    counts = res.excluded_lines
    assert counts["intermediary"] == 2 and counts["not_export"] == 1
    assert counts["chapter_excluded"] == 2 and counts["value_missing_or_nonpositive"] == 1
    keep = customs_cells(lines, min_product_cells=0, drop_chapters=(), drop_intermediaries=False)
    assert keep.excluded_lines["chapter_excluded"] == 0 and keep.excluded_lines["intermediary"] == 0
    cells = _expected_cells(lines.drop(index=[0, 1, 2, 3, 4, 5]))
    per_product = cells.groupby("hs6").size()
    threshold = int(per_product.sort_values().iloc[1])  # leaves out the thinnest product(s)
    thin = customs_cells(lines, min_product_cells=threshold)
    gone = per_product[per_product < threshold].index
    assert set(_cells(thin)["hs6"]) == set(per_product.index) - set(gone)
    assert thin.excluded_lines["product_too_few_cells"] == int(
        cells.loc[cells["hs6"].isin(gone), "n_lines"].sum()
    )


def test_unit_value_trimming_within_product_year() -> None:
    lines = make_lines()
    res = customs_cells(lines, min_product_cells=0, trim_unit_value=(0.05, 0.95))
    cells = _expected_cells(lines)
    uv = cells["value_usd"] / cells["quantity"]
    lo = uv.groupby([cells["hs6"], cells["year"]]).transform(lambda s: s.quantile(0.05))
    hi = uv.groupby([cells["hs6"], cells["year"]]).transform(lambda s: s.quantile(0.95))
    outside = (uv < lo) | (uv > hi)
    assert len(_cells(res)) == int((~outside).sum())
    assert res.excluded_lines["unit_value_trimmed"] == int(cells.loc[outside, "n_lines"].sum())


def test_missing_firm_name_needs_an_explicit_choice() -> None:
    lines = make_lines().drop(columns="firm_name")
    with pytest.raises(SchemaError, match=r"column 'firm_name'.*drop_intermediaries=False"):
        customs_cells(lines)
    assert len(_cells(customs_cells(lines, drop_intermediaries=False, min_product_cells=0)))


def test_concordance_layouts_and_errors() -> None:
    un = pl.DataFrame({"From HS 2007": ["851712", "847130"], "To HS 2002": ["852520", "847130"]})
    conc = hs_concordance(un)
    assert conc["vintage"].to_list() == [2007, 2007]
    assert conc["hs6_2002"].to_list() == [847130, 852520]
    with pytest.raises(SchemaError, match="weights of a source code must sum to 1"):
        hs_concordance(
            pd.DataFrame(
                {
                    "vintage": [2007, 2007],
                    "hs6": ["851712"] * 2,
                    "hs6_2002": ["852520", "851711"],
                    "weight": [0.5, 0.2],
                }
            )
        )
    with pytest.raises(SchemaError, match=r"duplicate \(vintage, hs6, hs6_2002\)"):
        hs_concordance(
            pd.DataFrame(
                {"vintage": [2007] * 2, "hs6": ["0101.10"] * 2, "hs6_2002": ["010110"] * 2}
            )
        )
    with pytest.raises(SchemaError, match=r"column 'hs6'.*malformed.*rows \[1\]"):
        hs_concordance(
            pd.DataFrame({"hs6": ["851712", "85x"], "hs6_2002": ["852520"] * 2}), vintage=2007
        )


def test_china_hs_vintage_calendar() -> None:
    years = pl.DataFrame({"year": [1995, 2000, 2001, 2002, 2006, 2007, 2011, 2012, 2016, 2017]})
    got = years.select(china_hs_vintage(pl.col("year"))).to_series().to_list()
    assert got == [1992, 1996, 1996, 2002, 2002, 2007, 2007, 2012, 2012, 2017]
