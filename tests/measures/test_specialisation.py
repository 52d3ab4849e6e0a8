"""Export specialisation and diversification (eq. 25–26), the employment location quotient,
co-agglomeration and co-evolution (eq. 27–28): hand examples, the LQ identity, bounds, the
paper's λ rule, and bad input."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from vagg.data.errors import SchemaError
from vagg.measures.specialisation import co_agglomeration, export_structure, location_quotient

# exports (city, hs4): A sells 6 of p1 and 2 of p2; B sells 2 of p1 and 10 of p3
EXPORTS = pd.DataFrame(
    {
        "city_code": ["110100", "110100", "120100", "120100"],
        "hs4": ["0101", "0202", "0101", "0303"],
        "year": [2010] * 4,
        "value": [6.0, 2.0, 2.0, 10.0],
    }
)
# national shares: p1 8/20, p2 2/20, p3 10/20; A: (.75, .25, 0); B: (1/6, 0, 5/6)


def test_rzi_and_rdi_by_hand() -> None:
    out = export_structure(EXPORTS).data.set_index("city_code")
    assert out.loc["110100", "spe"] == pytest.approx(max(0.75 / 0.4, 0.25 / 0.1))
    assert out.loc["120100", "spe"] == pytest.approx(max((1 / 6) / 0.4, (5 / 6) / 0.5))
    rdi_a = 1 / (abs(0.75 - 0.4) + abs(0.25 - 0.1) + abs(0 - 0.5))
    assert out.loc["110100", "div"] == pytest.approx(rdi_a)
    assert out.loc["110100", "lndiv"] == pytest.approx(math.log(rdi_a))
    assert out.loc["110100", "n_products"] == 3


def test_printed_forms_and_inverse_herfindahl() -> None:
    printed = export_structure(EXPORTS, spe="printed", div="printed").data.set_index("city_code")
    assert printed.loc["110100", "spe"] == pytest.approx(2.5 / 3)
    assert printed.loc["110100", "div"] == pytest.approx(1 / (0.75 / 0.4 + 0.25 / 0.1))
    hhi = export_structure(EXPORTS, div="inverse_hhi").data.set_index("city_code")
    assert hhi.loc["120100", "div"] == pytest.approx(1 / ((1 / 6) ** 2 + (5 / 6) ** 2))


def test_national_table_adds_exports_of_other_cities() -> None:
    national = pd.DataFrame(
        {
            "hs4": ["0101", "0202", "0303", "0404"],
            "year": [2010] * 4,
            "value": [8.0, 2.0, 10.0, 20.0],
        }
    )
    out = export_structure(EXPORTS, national=national).data.set_index("city_code")
    assert out.loc["110100", "spe"] == pytest.approx(0.25 / 0.05)
    assert out.loc["110100", "n_products"] == 4


def test_city_like_the_nation_has_undefined_rdi() -> None:
    one = EXPORTS[EXPORTS.city_code == "110100"]
    out = export_structure(one)
    assert out.data["div"].isna().all()
    assert out.data["spe"].tolist() == pytest.approx([1.0])
    assert out.excluded == {"shares equal to the nation's (div undefined, null)": 1}


def test_zero_export_city_is_counted() -> None:
    zero = pd.concat(
        [
            EXPORTS,
            pd.DataFrame(
                {"city_code": ["130100"], "hs4": ["0101"], "year": [2010], "value": [0.0]}
            ),
        ]
    )
    out = export_structure(zero)
    assert out.excluded == {"city-year with zero exports": 1}


def test_negative_exports_name_rows() -> None:
    bad = EXPORTS.assign(value=[6.0, -2.0, 2.0, 10.0])
    with pytest.raises(SchemaError, match=r"exports.*value.*>= 0.*rows \[1\]"):
        export_structure(bad)


def test_product_missing_from_national_table() -> None:
    national = pd.DataFrame({"hs4": ["0101", "0202"], "year": [2010] * 2, "value": [8.0, 2.0]})
    with pytest.raises(SchemaError, match="absent from the national table"):
        export_structure(EXPORTS, national=national)


PANEL = pd.DataFrame(
    {
        "city_code": ["110100", "120100", "130100", "110100", "120100", "130100"],
        "year": [2010, 2010, 2010, 2011, 2011, 2011],
        "secondary_employment": [30.0, 50.0, 20.0, 32.0, 48.0, 25.0],
        "employment": [100.0, 80.0, 70.0, 101.0, 82.0, 71.0],
    }
)


def test_location_quotient_identity() -> None:
    agg = location_quotient(PANEL).data.merge(PANEL, on=["city_code", "year"])
    for _, part in agg.groupby("year"):
        weights = part["employment"] / part["employment"].sum()
        assert (weights * part["agg"]).sum() == pytest.approx(1.0, abs=1e-14)
    first = agg.iloc[0]
    assert first["agg"] == pytest.approx((30 / 100) / (100 / 250))


def test_location_quotient_national_reference_and_errors() -> None:
    national = pd.DataFrame(
        {"year": [2010, 2011], "secondary_employment": [40.0, 40.0], "employment": [100.0, 100.0]}
    )
    out = location_quotient(PANEL, national=national).data
    assert out["agg"].iloc[0] == pytest.approx(0.3 / 0.4)
    with pytest.raises(SchemaError, match=r"no national employment for years \[2011\]"):
        location_quotient(PANEL, national=national.iloc[:1])
    with pytest.raises(SchemaError, match="exceeds"):
        location_quotient(PANEL.assign(secondary_employment=200.0))


def test_non_positive_employment_is_counted() -> None:
    out = location_quotient(PANEL.assign(employment=[0.0, 80, 70, 101, 82, 71]))
    assert out.excluded == {"missing or non-positive employment": 1}


AGG = pd.DataFrame(
    {
        "city_code": ["110100"] * 4 + ["120100"],
        "year": [2010, 2011, 2012, 2013, 2010],
        "agg": [1.0, 1.2, 1.1, 1.1, 0.8],
    }
)
VAGG = pd.DataFrame(
    {
        "city_code": ["110100"] * 4 + ["130100"],
        "year": [2010, 2011, 2012, 2013, 2010],
        "vagg": [0.5, 0.7, 0.8, 0.9, 0.6],
    }
)


def test_coagglomeration_and_coevolution_by_hand() -> None:
    out = co_agglomeration(AGG, VAGG)
    got = out.data.set_index(["city_code", "year"])
    assert got.loc[("110100", 2010), "coa"] == pytest.approx(1 - 0.5 / 1.5)
    assert pd.isna(got.loc[("110100", 2010), "d_coa"])
    # 2011: both rise → λ = +1
    assert got.loc[("110100", 2011), "d_coa"] == pytest.approx(math.sqrt(0.2 * 0.2))
    # 2012: agg falls, vagg rises → λ = −1
    assert got.loc[("110100", 2012), "d_coa"] == pytest.approx(-math.sqrt(0.1 * 0.1))
    # 2013: agg unchanged → product 0 → λ = −1 and d_coa = 0
    assert got.loc[("110100", 2013), "d_coa"] == 0.0
    assert out.excluded == {
        "city-year in only one of agg, vagg": 2,
        "no previous year (d_coa null)": 1,
    }
    assert got["coa"].between(0, 1).all()


def test_equal_levels_give_full_coagglomeration_and_minmax_rescales() -> None:
    same = co_agglomeration(
        AGG.rename(columns={"agg": "x"}),
        AGG.rename(columns={"agg": "y"}),
        agg_column="x",
        vagg_column="y",
    )
    assert same.data["coa"].tolist() == pytest.approx([1.0] * 5)
    scaled = co_agglomeration(AGG, VAGG, rescale="minmax").data
    assert scaled["agg"].min() == 0.0 and scaled["vagg"].max() == 1.0


def test_zero_sum_gives_null_coa() -> None:
    zero = co_agglomeration(AGG.assign(agg=0.0), VAGG.assign(vagg=0.0))
    assert zero.data["coa"].isna().all()
    assert zero.excluded["agg + vagg = 0 (coa null)"] == 4


def test_duplicate_city_year_in_vagg_is_an_error() -> None:
    with pytest.raises(SchemaError, match=r"table 'vagg'.*duplicate key"):
        co_agglomeration(AGG, pd.concat([VAGG, VAGG.iloc[[0]]]))
