"""Market segmentation by relative prices (paper 001 eq. 24; Gui et al. 2006) against a
brute-force loop over city pairs written from the formulas, its invariances and edge cases,
the traffic-cost proxy's closed form, and bad input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.measures.integration import (
    CPI_CATEGORIES_ZH,
    market_segmentation,
    traffic_cost_proxy,
)

CATS = ("a", "b", "c")
INDEX = {  # chained indices, previous year = 100
    "110100": {"a": 102.0, "b": 105.0, "c": 100.0},
    "120100": {"a": 101.0, "b": 103.0, "c": 104.0},
    "130100": {"a": 106.0, "b": 100.0, "c": 101.0},
    "140100": {"a": 99.0, "b": 104.0, "c": 102.5},
}


def _long(index: dict[str, dict[str, float]] = INDEX, year: int = 2010) -> pd.DataFrame:
    return pd.DataFrame(
        [(c, year, k, v) for c, row in index.items() for k, v in row.items()],
        columns=["city_code", "year", "category", "index"],
    )


def _brute(index: dict[str, dict[str, float]], demean: str, ddof: int = 0) -> dict[str, float]:
    """mseg by explicit loops over ordered pairs, written from the formulas."""
    cities = sorted(index)
    dq = {
        (i, j, k): abs(math.log(index[i][k] / 100) - math.log(index[j][k] / 100))
        for i in cities
        for j in cities
        if i != j
        for k in CATS
    }
    out = {}
    for i in cities:
        variances = []
        for j in cities:
            if j == i:
                continue
            q = []
            for k in CATS:
                if demean == "good_year":
                    pairs = list(itertools.combinations(cities, 2))
                    mean = sum(dq[(a, b, k)] for a, b in pairs) / len(pairs)
                else:
                    mean = sum(dq[(i, m, k)] for m in cities if m != i) / (len(cities) - 1)
                q.append(dq[(i, j, k)] - mean)
            variances.append(float(np.var(q, ddof=ddof)))
        out[i] = sum(variances) / len(variances)
    return out


@pytest.mark.parametrize("demean", ["good_year", "city"])
@pytest.mark.parametrize("ddof", [0, 1])
def test_matches_the_pairwise_loop(demean: str, ddof: int) -> None:
    out = market_segmentation(_long(), categories=CATS, demean=demean, ddof=ddof)
    got = out.data.set_index("city_code")
    for city, mseg in _brute(INDEX, demean, ddof).items():
        assert got.loc[city, "mseg"] == pytest.approx(mseg, rel=1e-12)
        assert got.loc[city, "integ"] == pytest.approx(math.sqrt(1 / mseg), rel=1e-12)
        assert got.loc[city, "n_partners"] == 3
    assert out.excluded == {}


def test_common_category_shock_leaves_segmentation_unchanged() -> None:
    shocked = {c: {**row, "a": row["a"] * 1.07} for c, row in INDEX.items()}
    base = market_segmentation(_long(), categories=CATS).data["mseg"].to_numpy()
    moved = market_segmentation(_long(shocked), categories=CATS).data["mseg"].to_numpy()
    assert moved == pytest.approx(base, rel=1e-10)


def test_two_cities_are_fully_demeaned() -> None:
    two = {c: INDEX[c] for c in ("110100", "120100")}
    out = market_segmentation(_long(two), categories=CATS)
    assert out.data["mseg"].tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    assert out.data["integ"].isna().all()
    assert out.excluded == {"mseg = 0 (integ null)": 2}


def test_wide_layout_with_chinese_headers_equals_long() -> None:
    zh = {"甲": "a", "乙": "b", "丙": "c"}
    wide = pd.DataFrame(
        [{"city_code": c, "year": 2010, **{z: INDEX[c][k] for z, k in zh.items()}} for c in INDEX]
    )
    a = market_segmentation(wide, categories=CATS, columns=zh).data["mseg"]
    b = market_segmentation(_long(), categories=CATS).data["mseg"]
    assert a.to_numpy() == pytest.approx(b.to_numpy(), rel=1e-14)


def test_default_eight_categories_from_the_city_panel_layout() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for c in ("110100", "120100", "130100"):
        rows.append(
            {
                "city_code": c,
                "year": 2012,
                **{f"cpi_{k}": 100 + rng.uniform(-3, 5) for k in CPI_CATEGORIES_ZH.values()},
            }
        )
    out = market_segmentation(pd.DataFrame(rows))
    assert out.data["mseg"].gt(0).all()
    assert set(CPI_CATEGORIES_ZH.values()) == {
        "food",
        "tobacco_liquor",
        "clothing",
        "household",
        "health",
        "transport_communication",
        "recreation_education",
        "housing",
    }


def test_level_index_equals_chained_after_conversion() -> None:
    level = []
    for c, row in INDEX.items():
        for k, v in row.items():
            level.append((c, 2009, k, 200.0))
            level.append((c, 2010, k, 200.0 * v / 100))
    frame = pd.DataFrame(level, columns=["city_code", "year", "category", "index"])
    out = market_segmentation(frame, categories=CATS, index_type="level")
    chained = market_segmentation(_long(), categories=CATS).data["mseg"].to_numpy()
    assert out.data["mseg"].to_numpy() == pytest.approx(chained, rel=1e-12)
    assert out.excluded == {"no previous year (level index)": 4}


def test_partners_within_province() -> None:
    index = {**INDEX, "110200": {"a": 100.0, "b": 100.0, "c": 103.0}}
    out = market_segmentation(_long(index), categories=CATS, partners="province")
    got = out.data.set_index("city_code")
    assert got.loc["110100", "n_partners"] == 1
    assert got.loc["120100", "n_partners"] == 0
    assert pd.isna(got.loc["120100", "mseg"])
    assert out.excluded["city-year without partners (mseg null)"] == 3


def test_province_map_must_cover_the_cities() -> None:
    with pytest.raises(SchemaError, match=r"cities without a province.*130100"):
        market_segmentation(
            _long(),
            categories=CATS,
            partners="province",
            province={"110100": "11", "120100": "12", "140100": "14"},
        )


def test_partner_table() -> None:
    pairs = pd.DataFrame({"city_a": ["110100", "120100"], "city_b": ["120100", "130100"]})
    out = market_segmentation(_long(), categories=CATS, partners=pairs)
    assert out.data.set_index("city_code")["n_partners"].to_dict() == {
        "110100": 1,
        "120100": 2,
        "130100": 1,
        "140100": 0,
    }


def test_rows_of_other_categories_are_counted() -> None:
    base = _long()
    extra = pd.concat([base, base[base.category == "a"].assign(category="d")])
    out = market_segmentation(extra, categories=CATS)
    assert out.excluded == {"price rows of other categories (not used)": 4}


def test_missing_category_is_counted() -> None:
    frame = _long().iloc[1:]  # 110100 lacks category a
    out = market_segmentation(frame, categories=CATS)
    assert out.excluded == {"missing price category": 1}
    assert "110100" not in set(out.data["city_code"])


def test_polars_in_polars_out() -> None:
    out = market_segmentation(pl.from_pandas(_long()), categories=CATS)
    assert isinstance(out.data, pl.DataFrame)


def test_non_positive_index_names_rows() -> None:
    frame = _long()
    frame.loc[2, "index"] = 0.0
    with pytest.raises(SchemaError, match=r"prices.*index.*positive.*rows \[2\]"):
        market_segmentation(frame, categories=CATS)


def test_duplicate_city_year_category_is_an_error() -> None:
    with pytest.raises(SchemaError, match="duplicate key"):
        market_segmentation(pd.concat([_long(), _long().iloc[[0]]]), categories=CATS)


def test_missing_wide_column_is_named() -> None:
    wide = pd.DataFrame({"city_code": ["110100"], "year": [2010], "cpi_food": [101.0]})
    with pytest.raises(SchemaError, match=r"prices.*cpi_tobacco_liquor"):
        market_segmentation(wide)


def test_bad_option_is_an_error() -> None:
    with pytest.raises(SchemaError, match="demean"):
        market_segmentation(_long(), categories=CATS, demean="pair")  # type: ignore[arg-type]


def test_traffic_proxy_closed_form_and_counted_nulls() -> None:
    panel = pd.DataFrame(
        {
            "city_code": ["110100", "110100", "120100", "130100"],
            "year": [2010, 2011, 2010, 2010],
            "road_area": [9000.0, 9500.0, 0.0, None],
            "population": [1200.0, 1250.0, 800.0, 500.0],
        }
    )
    out = traffic_cost_proxy(panel)
    got = out.data.set_index(["city_code", "year"])
    assert got.loc[("110100", 2010), "lnitff"] == pytest.approx(math.log(9000 / 1200))
    assert got.loc[("110100", 2011), "itff"] == pytest.approx(9500 / 1250)
    assert pd.isna(got.loc[("120100", 2010), "lnitff"])
    assert out.excluded == {
        "missing road area or population (null)": 1,
        "non-positive road area or population (null)": 1,
    }


def test_traffic_proxy_missing_column_is_named() -> None:
    with pytest.raises(SchemaError, match="road_area"):
        traffic_cost_proxy(
            pd.DataFrame({"city_code": ["110100"], "year": [2010], "population": [1.0]})
        )
