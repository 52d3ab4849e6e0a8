"""M1 of paper 003 (vagg.measures.export_structure): NEWPROD, PCHURN, firm EXPY, UPG, ISOL.

Expected numbers are worked out by hand in the comments, recomputed with plain pandas loops on
random frames, or taken from paper 004's province EXPY (vagg.measures.sophistication.expy) by
treating each province as one "firm".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.measures.export_structure import (
    firm_expy,
    isolation,
    new_product_share,
    product_churn,
    upgrading,
)
from vagg.measures.sophistication import expy

R_KM = 6371.0088
DEG_KM = R_KM * math.pi / 180.0  # one degree of longitude on the equator


def test_new_product_share_hand_numbers_and_exclusions() -> None:
    firms = pd.DataFrame(
        {
            "firm_id": ["A", "B", "C", "D"],
            "year": 2005,
            "new_product_output": [30.0, None, 10.0, 0.0],
            "gross_output": [120.0, 100.0, 0.0, 50.0],
        }
    )
    out, report = new_product_share(firms, return_report=True)
    assert isinstance(out, pd.DataFrame)
    assert out["newprod"].iloc[0] == pytest.approx(0.25)  # 30 / 120
    assert pd.isna(out["newprod"].iloc[1]) and pd.isna(out["newprod"].iloc[2])
    assert out["newprod"].iloc[3] == 0.0
    assert report["excluded"]["newprod"] == {
        "gross_output not positive": 1,
        "missing new_product_output": 1,
    }
    assert np.isfinite(out["newprod"].dropna()).all()
    scaled = firms.assign(
        new_product_output=firms["new_product_output"] * 7.3,
        gross_output=firms["gross_output"] * 7.3,
    )
    pd.testing.assert_series_equal(new_product_share(scaled)["newprod"], out["newprod"])


def test_new_product_share_rejects_bad_input() -> None:
    firms = pl.DataFrame(
        {
            "firm_id": ["A", "B"],
            "year": [2005, 2005],
            "new_product_output": [1.0, -2.0],
            "gross_output": [10.0, 10.0],
        }
    )
    with pytest.raises(SchemaError, match=r"'firms', column 'new_product_output'.*rows \[1\]"):
        new_product_share(firms)
    with pytest.raises(SchemaError, match="missing required column"):
        new_product_share(firms.drop("gross_output"))
    dup = pl.concat([firms.head(1), firms.head(1)])
    with pytest.raises(SchemaError, match="duplicate key"):
        new_product_share(dup)


def _lines() -> pd.DataFrame:
    rows = [
        # firm A 2005: h1 100, h2 50 ; 2006: h1 80 (two regimes 30 + 50), h3 70 ; 2007: none
        ("A", 2005, "10000001", 100.0),
        ("A", 2005, "20000001", 50.0),
        ("A", 2006, "10000001", 30.0),
        ("A", 2006, "10000099", 50.0),
        ("A", 2006, "30000001", 70.0),
        # firm B: 2005 and 2007 (a gap: 2007 is a re-entry, not a change)
        ("B", 2005, "10000001", 10.0),
        ("B", 2007, "10000001", 10.0),
        # firm C: same line both years -> churn 0
        ("C", 2005, "40000001", 5.0),
        ("C", 2006, "40000001", 15.0),
    ]
    frame = pd.DataFrame(rows, columns=["firm_id", "year", "hs8", "value_usd"])
    frame["flow"] = "export"
    imports = pd.DataFrame(
        {
            "firm_id": ["A"],
            "year": [2006],
            "hs8": ["99000001"],
            "value_usd": [1e6],
            "flow": ["import"],
        }
    )
    return pd.concat([frame, imports], ignore_index=True)


def test_product_churn_hand_numbers() -> None:
    out, report = product_churn(_lines(), return_report=True)
    a = out[(out.firm_id == "A") & (out.year == 2006)].iloc[0]
    # added h3 = 70, dropped h2 = 50, mid-point of X = (150 + 150) / 2
    assert (a.added_value, a.dropped_value, a.n_added, a.n_dropped) == (70.0, 50.0, 1, 1)
    assert a.pchurn == pytest.approx(120.0 / 150.0)
    c = out[(out.firm_id == "C") & (out.year == 2006)].iloc[0]
    assert c.pchurn == 0.0
    assert set(zip(out.firm_id, out.year, strict=True)) == {("A", 2006), ("C", 2006)}
    assert report["excluded"]["pchurn"] == {
        "first year of the table (no t-1)": 3,
        "no exports in t-1 (entry)": 1,
    }
    assert report["exits_without_row"] == 3  # A and C in 2007, B in 2006


def _pandas_churn(frame: pd.DataFrame) -> dict[tuple[str, int], float]:
    cells = frame.groupby(["firm_id", "year", "hs6"])["value_usd"].sum()
    cells = cells[cells > 0]
    out = {}
    for (firm, year), now in cells.groupby(level=[0, 1]):
        key_prev = (firm, year - 1)
        try:
            before = cells.loc[key_prev]
        except KeyError:
            continue
        now = now.droplevel([0, 1])
        added = now[~now.index.isin(before.index)].sum()
        dropped = before[~before.index.isin(now.index)].sum()
        out[(firm, year)] = (added + dropped) / ((now.sum() + before.sum()) / 2)
    return out


def _random_lines(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 3000
    frame = pd.DataFrame(
        {
            "firm_id": rng.choice([f"F{i:03d}" for i in range(60)], n),
            "year": rng.integers(2000, 2007, n),
            "hs6": rng.choice([f"{h:06d}" for h in range(840100, 840130)], n),
            "value_usd": rng.lognormal(8, 2, n) * (rng.random(n) > 0.05),
        }
    )
    return frame


def test_product_churn_matches_pandas_on_random_frame() -> None:
    frame = _random_lines(3)
    out = product_churn(frame)
    expected = _pandas_churn(frame)
    got = {(f, y): v for f, y, v in zip(out.firm_id, out.year, out.pchurn, strict=True)}
    assert got.keys() == expected.keys() and len(got) > 100
    np.testing.assert_allclose([got[k] for k in expected], list(expected.values()), rtol=1e-12)
    assert ((out.pchurn >= 0) & (out.pchurn <= 2)).all()
    rescaled = product_churn(frame.assign(value_usd=frame.value_usd * 1e-3))
    np.testing.assert_allclose(rescaled.pchurn, out.pchurn, rtol=1e-12)


def test_product_churn_rejects_negative_values_and_bad_codes() -> None:
    frame = _random_lines(4).head(20)
    frame.loc[5, "value_usd"] = -1.0
    with pytest.raises(SchemaError, match=r"'exports', column 'value_usd'.*negative"):
        product_churn(frame)
    frame = _random_lines(4).head(20)
    frame.loc[2, "hs6"] = "84A1"
    with pytest.raises(SchemaError, match=r"column 'hs6'.*six digits"):
        product_churn(frame)


def test_firm_expy_hand_number_and_prody_checks() -> None:
    lines = pd.DataFrame(
        {
            "firm_id": ["A", "A", "B"],
            "year": 2005,
            "hs4": ["8471", "6110", "9999"],
            "value_usd": [30.0, 70.0, 5.0],
        }
    )
    prody = pd.DataFrame({"hs4": ["8471", "6110"], "prody": [10.0, 20.0]})
    out, report = firm_expy(lines, prody, return_report=True)
    assert out["expy"].tolist() == [pytest.approx(0.3 * 10 + 0.7 * 20)]
    assert report["excluded"]["expy"] == {
        "product without PRODY (lines)": 1,
        "no product with a PRODY": 1,
    }
    with pytest.raises(SchemaError, match="needs `prody`"):
        firm_expy(lines)


def test_firm_expy_equals_province_expy_of_paper_004(province_economy: dict) -> None:
    exports = province_economy["province_exports"]
    panel = province_economy["province_panel"]
    reference = expy(exports, panel).sort(["province_code", "year"])
    as_firms = exports.rename({"province_code": "firm_id", "export_value_usd": "value_usd"})
    got = firm_expy(as_firms, province_exports=exports, income=panel).sort(["firm_id", "year"])
    assert got.height == reference.height == 30 * 21
    np.testing.assert_allclose(got["expy"].to_numpy(), reference["expy"].to_numpy(), rtol=1e-12)


def test_upgrading_is_gap_aware() -> None:
    index = pl.DataFrame(
        {
            "firm_id": ["A", "A", "A", "B"],
            "year": [2001, 2002, 2004, 2002],
            "expy": [1.0, 3.0, 10.0, 5.0],
        }
    )
    out, report = upgrading(index, return_report=True)
    assert out["upg"].to_list() == [None, 2.0, None, None]
    assert report["excluded"]["upg"] == {"no observation in t-1": 3}
    quality = index.rename({"expy": "quality"})
    assert upgrading(quality, column="quality")["upg"].to_list() == [None, 2.0, None, None]


def _counties() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county_code": ["110101", "110102", "110103", "110104"],
            "lat": [0.0, 0.0, 0.0, 0.0],
            "lon": [100.0, 101.0, 102.0, 104.0],
        }
    )


def test_isolation_hand_distances() -> None:
    firms = pd.DataFrame(
        {
            "firm_id": ["A", "B", "C", "D", "E", "F"],
            "year": 2005,
            "cic4": ["1311", "1312", "1313", "1314", "3911", "1311"],
            "county_code": ["110101", "110102", "110103", "110104", "110104", None],
            "employment": [1000, 10, 10, 5, 7, 3],
        }
    )
    out, report = isolation(firms, _counties(), return_report=True)
    got = dict(zip(out.firm_id, out.isol, strict=True))
    # CIC2 13 county employment [1000, 10, 10, 5]: the 0.9 quantile is 703, so the top decile
    # is county 110101 alone (lon 100); distances along the equator are R * dlon.
    assert got["A"] == 0.0
    assert got["B"] == pytest.approx(1 * DEG_KM, rel=1e-12)
    assert got["C"] == pytest.approx(2 * DEG_KM, rel=1e-12)
    assert got["D"] == pytest.approx(4 * DEG_KM, rel=1e-12)
    assert got["E"] == 0.0  # CIC2 39: its only county is its own
    assert "F" not in got
    assert report["excluded"]["isol"] == {"missing county_code": 1}


def test_isolation_rejects_unknown_county() -> None:
    firms = pd.DataFrame(
        {
            "firm_id": ["A"],
            "year": [2005],
            "cic4": ["1311"],
            "county_code": ["999999"],
            "employment": [5],
        }
    )
    with pytest.raises(SchemaError, match=r"county_code.*not in the counties table.*999999"):
        isolation(firms, _counties())


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R_KM * math.asin(math.sqrt(h))


def test_isolation_matches_brute_force_on_random_frame() -> None:
    rng = np.random.default_rng(21)
    counties = pd.DataFrame(
        {
            "county_code": [str(320100 + i) for i in range(40)],
            "lat": rng.uniform(25, 40, 40),
            "lon": rng.uniform(105, 122, 40),
        }
    )
    n = 600
    firms = pd.DataFrame(
        {
            "firm_id": [f"F{i:04d}" for i in range(n)],
            "year": rng.integers(2004, 2007, n),
            "cic4": rng.choice(["1311", "1322", "3911", "3952", "2611"], n),
            "county_code": rng.choice(counties.county_code, n),
            "employment": rng.integers(0, 900, n),
        }
    )
    out = isolation(firms, counties)
    coords = zip(counties.lat, counties.lon, strict=True)
    points = dict(zip(counties.county_code, coords, strict=True))
    frame = firms.assign(cic2=firms.cic4.str[:2])
    emp = frame.groupby(["cic2", "year", "county_code"])["employment"].sum()
    nearest = {}
    for (cic2, year), cell in emp.groupby(level=[0, 1]):
        cell = cell[cell > 0].droplevel([0, 1])
        top = cell[cell >= np.quantile(cell.to_numpy(), 0.9)].index
        for county in cell.index.union(frame.county_code.unique()):
            nearest[(cic2, year, county)] = min(
                _haversine_km(*points[county], *points[c]) for c in top
            )
    keys = zip(frame.cic2, frame.year, frame.county_code, strict=True)
    expected = [nearest[k] for k in keys]
    np.testing.assert_allclose(out["isol"].to_numpy(), expected, rtol=1e-9, atol=1e-9)
    assert (out["isol"] == 0).sum() > 0 and out["isol"].max() > 100
