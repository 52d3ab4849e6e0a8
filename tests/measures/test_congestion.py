"""M2 of paper 003 (vagg.measures.congestion): DENS, HIGHDENS, INV, WAGEPREM, DIST_CORE, MOVE.

Expected numbers are worked out by hand in the comments (distances along the equator are
R·Δλ with R = 6371.0088 km) or recomputed with pandas group-bys on random frames.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.measures.congestion import core_distance, density, inventory_ratio, wage_premium

DEG_KM = 6371.0088 * math.pi / 180.0


def _counties() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county_code": ["110101", "110102", "110103", "120101"],
            "city_code": ["1101", "1101", "1101", "1201"],
            "area_km2": [10.0, 100.0, 50.0, 20.0],
            "lat": [0.0, 0.0, 0.0, 10.0],
            "lon": [100.0, 101.0, 103.0, 100.0],
        }
    )


def test_density_and_highdens_hand_numbers() -> None:
    firms = pd.DataFrame(
        {
            "firm_id": ["A", "B", "C", "D", "E"],
            "year": 2005,
            "cic4": ["1311", "1320", "1311", "1330", "3911"],
            "county_code": ["110101", "110101", "110102", "110103", None],
            "employment": [50, 50, 200, 100, 9],
        }
    )
    out, report = density(firms, _counties(), return_report=True)
    got = out.set_index("firm_id")
    # CIC2 13: 100/10 = 10, 200/100 = 2, 100/50 = 2; p75 of [2, 2, 10] = 2 + 0.5·8 = 6
    assert got.loc[["A", "B", "C", "D"], "dens"].tolist() == [10.0, 10.0, 2.0, 2.0]
    assert got.loc["A", "dens_threshold"] == pytest.approx(6.0)
    assert got.loc[["A", "B", "C", "D"], "highdens"].tolist() == [1, 1, 0, 0]
    assert "E" not in got.index
    assert report["excluded"]["dens"] == {"missing county_code": 1}
    # head counts per km², so a money rescale does not exist; doubling all employment doubles DENS
    doubled = density(firms.assign(employment=firms.employment * 2), _counties())
    np.testing.assert_allclose(doubled["dens"], out["dens"] * 2)
    assert doubled["highdens"].tolist() == out["highdens"].tolist()


def test_density_rejects_bad_areas() -> None:
    counties = _counties()
    counties.loc[2, "area_km2"] = 0.0
    firms = pd.DataFrame(
        {
            "firm_id": ["A"],
            "year": [2005],
            "cic4": ["1311"],
            "county_code": ["110101"],
            "employment": [5],
        }
    )
    with pytest.raises(SchemaError, match=r"'counties', column 'area_km2'.*rows \[2\]"):
        density(firms, counties)


def test_inventory_ratio_hand_numbers_and_rescale() -> None:
    firms = pl.DataFrame(
        {
            "firm_id": ["A", "B", "C"],
            "year": [2005, 2005, 2005],
            "inventory": [25.0, 3.0, None],
            "sales": [100.0, 0.0, 50.0],
        }
    )
    out, report = inventory_ratio(firms, return_report=True)
    assert out["inv"].to_list() == [0.25, None, None]
    assert report["excluded"]["inv"] == {"sales not positive": 1, "missing inventory": 1}
    scaled = firms.with_columns(pl.col("inventory") * 1e3, pl.col("sales") * 1e3)
    assert inventory_ratio(scaled)["inv"].to_list() == [0.25, None, None]


def test_wage_premium_hand_numbers() -> None:
    firms = pd.DataFrame(
        {
            "firm_id": ["A", "B", "C", "D", "E"],
            "year": 2005,
            "cic4": ["1311", "1312", "1313", "1314", "1311"],
            "city_code": ["1101", "1101", "1101", "1101", "1201"],
            "wage_bill": [10.0, 40.0, 80.0, 5.0, 30.0],
            "employment": [10, 20, 20, 0, 10],
        }
    )
    out, report = wage_premium(firms, return_report=True)
    # city 1101 × CIC2 13: wages 1, 2, 4 (D has no workers) -> median 2
    assert out["wageprem"].tolist()[:3] == [0.5, 1.0, 2.0]
    assert pd.isna(out["wageprem"].iloc[3])
    assert out["wageprem"].iloc[4] == 1.0
    assert report["excluded"]["avg_wage"] == {"employment not positive": 1}


def test_wage_premium_matches_pandas_on_random_frame() -> None:
    rng = np.random.default_rng(11)
    n = 2000
    firms = pd.DataFrame(
        {
            "firm_id": [f"F{i:05d}" for i in range(n)],
            "year": rng.integers(2003, 2006, n),
            "cic4": rng.choice(["1311", "1320", "3911", "3921"], n),
            "city_code": rng.choice(["1101", "1201", "3101"], n),
            "wage_bill": rng.lognormal(5, 1, n),
            "employment": rng.integers(0, 500, n),
        }
    )
    out = wage_premium(firms)
    frame = firms[firms.employment > 0].copy()
    frame["w"] = frame.wage_bill / frame.employment
    frame["cic2"] = frame.cic4.str[:2]
    frame["med"] = frame.groupby(["city_code", "cic2", "year"])["w"].transform("median")
    expected = (frame.w / frame.med).reindex(firms.index)
    np.testing.assert_allclose(out["wageprem"].to_numpy(), expected.to_numpy(), rtol=1e-12)
    scaled = wage_premium(firms.assign(wage_bill=firms.wage_bill * 1e-3))
    np.testing.assert_allclose(scaled["wageprem"], out["wageprem"], rtol=1e-12)


def test_core_distance_and_moves_hand_numbers() -> None:
    firms = pd.DataFrame(
        {
            "firm_id": ["F", "F", "G", "G", "H", "H", "K"],
            "year": [2004, 2005, 2004, 2005, 2004, 2005, 2005],
            "cic4": ["1311"] * 7,
            "county_code": ["110102", "110103", "110103", "110102", "110101", "110101", "120101"],
            "employment": [10, 10, 10, 10, 500, 500, 10],
        }
    )
    out, report = core_distance(firms, _counties(), return_report=True)
    got = out.set_index(["firm_id", "year"])
    # city 1101: densest county 110101 (500/10 per km²) in both years; K's city has one county.
    assert (got["core_county"] == ["110101"] * 6 + ["120101"]).all()
    assert got.loc[("F", 2004), "dist_core"] == pytest.approx(1 * DEG_KM, rel=1e-12)
    assert got.loc[("F", 2005), "dist_core"] == pytest.approx(3 * DEG_KM, rel=1e-12)
    assert got.loc[("H", 2005), "dist_core"] == 0.0
    assert got.loc[("K", 2005), "dist_core"] == 0.0
    # F moves out (1° -> 3°), G moves in, H stays; first years have no move
    assert got.loc[("F", 2005), "move"] == 1
    assert got.loc[("G", 2005), "move"] == 0
    assert got.loc[("H", 2005), "move"] == 0
    assert pd.isna(got.loc[("F", 2004), "move"])
    assert got.loc[("F", 2004), "move_next"] == 1 and got.loc[("G", 2004), "move_next"] == 0
    assert pd.isna(got.loc[("F", 2005), "move_next"])
    assert report["excluded"]["move"] == {"no county in t-1": 4}


def test_core_distance_needs_consecutive_years() -> None:
    firms = pd.DataFrame(
        {
            "firm_id": ["F", "F", "H", "H"],
            "year": [2003, 2005, 2003, 2005],
            "cic4": ["1311"] * 4,
            "county_code": ["110102", "110103", "110101", "110101"],
            "employment": [10, 10, 500, 500],
        }
    )
    out = core_distance(firms, _counties())
    assert out["move"].isna().all()  # 2003 -> 2005 is not a move between consecutive years


def test_density_matches_pandas_on_random_frame() -> None:
    rng = np.random.default_rng(12)
    counties = pd.DataFrame(
        {
            "county_code": [str(410100 + i) for i in range(30)],
            "city_code": [str(4101 + i // 10) for i in range(30)],
            "area_km2": rng.uniform(50, 3000, 30),
            "lat": rng.uniform(30, 36, 30),
            "lon": rng.uniform(110, 116, 30),
        }
    )
    n = 1500
    firms = pd.DataFrame(
        {
            "firm_id": [f"F{i:05d}" for i in range(n)],
            "year": rng.integers(2004, 2008, n),
            "cic4": rng.choice(["1311", "1322", "3911", "2611"], n),
            "county_code": rng.choice(counties.county_code, n),
            "employment": rng.integers(1, 2000, n),
        }
    )
    out = density(firms, counties)
    frame = firms.assign(cic2=firms.cic4.str[:2]).merge(counties, on="county_code", how="left")
    emp = frame.groupby(["cic2", "year", "county_code"])["employment"].transform("sum")
    dens = emp / frame.area_km2
    cells = frame.assign(dens=dens).drop_duplicates(["cic2", "year", "county_code"])
    cut = cells.groupby(["cic2", "year"])["dens"].quantile(0.75)
    threshold = cut.reindex(pd.MultiIndex.from_frame(frame[["cic2", "year"]])).to_numpy()
    np.testing.assert_allclose(out["dens"].to_numpy(), dens.to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(out["highdens"].to_numpy(), (dens.to_numpy() > threshold))
    share = out["highdens"].mean()
    assert 0.1 < share < 0.5
