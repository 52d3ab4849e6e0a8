"""Tests for vagg.data.geography: provinces, contiguity and great-circle distances.

Independent references:
- regional_and_estimators.md §3.2 (methods note): haversine distances Beijing–Shanghai for three
  radii, checked there with libpysal 4.14.1 and by hand.
- tests/reference/province_contiguity_echarts.csv: pairs of touching province outlines in the
  ECharts China map (provenance column in the file).
- tests/reference/province_capitals_echarts.csv: capital label points of the same map.
- libpysal.cg.sphere.arcdist (when installed) for the whole distance matrix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vagg.data import geography

REFERENCE = Path(__file__).resolve().parents[1] / "reference"

# GB/T 2260 province-level codes of mainland China without Tibet (54).
EXPECTED_CODES = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "61", "62", "63", "64", "65",
]  # fmt: skip

EAST = set("北京 天津 河北 辽宁 上海 江苏 浙江 福建 山东 广东 海南".split())
CENTRAL = set("山西 吉林 黑龙江 安徽 江西 河南 湖北 湖南".split())
WEST = set("内蒙古 广西 重庆 四川 贵州 云南 陕西 甘肃 青海 宁夏 新疆".split())
COASTAL = set("辽宁 河北 天津 山东 江苏 上海 浙江 福建 广东 广西 海南".split())


def test_thirty_provinces_with_string_codes() -> None:
    table = geography.provinces()
    assert list(table["province_code"]) == EXPECTED_CODES
    assert all(isinstance(code, str) and len(code) == 2 for code in table["province_code"])
    assert table["province_code"].is_unique
    assert "西藏" not in set(table["name_zh"])
    names = dict(zip(table["province_code"], table["name_zh"], strict=True))
    assert names["11"] == "北京"
    assert names["65"] == "新疆"
    assert names["50"] == "重庆"


def test_regions_follow_nbs_three_belts() -> None:
    table = geography.provinces()
    by_region = table.groupby("region")["name_zh"].apply(set).to_dict()
    assert by_region == {"east": EAST, "central": CENTRAL, "west": WEST}


def test_coastal_provinces() -> None:
    table = geography.provinces()
    assert set(table.loc[table["coastal"], "name_zh"]) == COASTAL
    assert table["coastal"].dtype == bool


def test_capitals_agree_with_echarts_label_points() -> None:
    reference = pd.read_csv(
        REFERENCE / "province_capitals_echarts.csv", dtype={"province_code": str}
    )
    table = geography.provinces().merge(reference, on="province_code", suffixes=("", "_ref"))
    assert len(table) == 30
    assert (table["name_zh"] == table["name_zh_ref"]).all()
    gap = geography.great_circle_km(table["lat"], table["lon"], table["lat_ref"], table["lon_ref"])
    # Two independent sources of a city-centre point: they differ by a few km at most.
    assert float(np.max(gap)) < 10.0


def test_great_circle_matches_methods_note_oracle() -> None:
    # regional_and_estimators.md §3.2: Beijing (39.9042N, 116.4074E) – Shanghai
    # (31.2304N, 121.4737E): 1067.312 km with R = 6371.0088, 1067.310 km with libpysal's
    # R = 6371.0, 1068.506 km with R = 6378.137.
    args = (39.9042, 116.4074, 31.2304, 121.4737)
    assert geography.great_circle_km(*args) == pytest.approx(1067.312, abs=1e-3)
    assert geography.great_circle_km(*args, radius_km=6371.0) == pytest.approx(1067.310, abs=1e-3)
    assert geography.great_circle_km(*args, radius_km=6378.137) == pytest.approx(1068.506, abs=1e-3)


def test_great_circle_closed_forms_and_broadcasting() -> None:
    r = geography.EARTH_RADIUS_KM
    # A quarter meridian and half the equator: πR/2 and πR.
    assert geography.great_circle_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(np.pi * r / 2)
    assert geography.great_circle_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(np.pi * r)
    lat = np.array([0.0, 10.0, 20.0])
    result = geography.great_circle_km(lat[:, None], 0.0, lat[None, :], 0.0)
    assert isinstance(result, np.ndarray)
    assert result.shape == (3, 3)
    # Along a meridian the distance is R·Δφ.
    assert result[0, 2] == pytest.approx(r * np.radians(20.0))
    assert isinstance(geography.great_circle_km(1.0, 2.0, 3.0, 4.0), float)


def test_great_circle_rejects_bad_coordinates() -> None:
    with pytest.raises(ValueError, match="lat1"):
        geography.great_circle_km(95.0, 0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="lon2"):
        geography.great_circle_km(0.0, 0.0, 0.0, np.nan)
    with pytest.raises(ValueError, match="radius_km"):
        geography.great_circle_km(0.0, 0.0, 1.0, 1.0, radius_km=-1.0)


def test_distance_matrix_beijing_shanghai_and_shape() -> None:
    matrix = geography.distance_matrix_km()
    assert matrix.shape == (30, 30)
    assert list(matrix.index) == EXPECTED_CODES
    assert list(matrix.columns) == EXPECTED_CODES
    # Beijing–Shanghai ≈ 1067 km (methods note §3.2); city-centre points differ by < 2 km.
    assert matrix.loc["11", "31"] == pytest.approx(1067.0, abs=5.0)
    values = matrix.to_numpy()
    np.testing.assert_allclose(values, values.T)
    assert np.all(np.diag(values) == 0.0)
    assert np.all(values[~np.eye(30, dtype=bool)] > 0)


def test_distance_matrix_matches_libpysal_arcdist() -> None:
    sphere = pytest.importorskip("libpysal.cg.sphere")
    table = geography.provinces()
    matrix = geography.distance_matrix_km(radius_km=sphere.RADIUS_EARTH_KM)
    points = list(zip(table["lon"], table["lat"], strict=True))  # arcdist takes (lon, lat)
    expected = np.array(
        [[sphere.arcdist(p, q, sphere.RADIUS_EARTH_KM) for q in points] for p in points]
    )
    np.testing.assert_allclose(matrix.to_numpy(), expected, rtol=1e-9, atol=1e-6)


def test_contiguity_pairs_stored_once_with_convention_flag() -> None:
    pairs = geography.province_contiguity()
    assert len(pairs) == 65
    assert (pairs["province_a"] < pairs["province_b"]).all()
    assert not pairs.duplicated(subset=["province_a", "province_b"]).any()
    convention = pairs.loc[pairs["by_convention"], ["province_a", "province_b"]]
    assert convention.values.tolist() == [["44", "46"]]
    land = geography.province_contiguity(include_convention=False)
    assert len(land) == 64
    assert not land["by_convention"].any()
    names = dict(
        zip(*[geography.provinces()[c] for c in ("province_code", "name_zh")], strict=True)
    )
    assert (pairs["province_a"].map(names) == pairs["name_zh_a"]).all()
    assert (pairs["province_b"].map(names) == pairs["name_zh_b"]).all()


def test_land_contiguity_equals_touching_outlines_of_echarts_map() -> None:
    reference = pd.read_csv(REFERENCE / "province_contiguity_echarts.csv", dtype=str)
    expected = set(zip(reference["province_a"], reference["province_b"], strict=True))
    land = geography.province_contiguity(include_convention=False)
    assert set(zip(land["province_a"], land["province_b"], strict=True)) == expected


def _neighbours(code: str) -> set[str]:
    row = geography.contiguity_matrix().loc[code]
    return set(row.index[row == 1])


def test_known_neighbours() -> None:
    matrix = geography.contiguity_matrix()
    assert matrix.loc["11", "13"] == 1  # Beijing–Hebei
    assert matrix.loc["11", "37"] == 0  # Beijing–Shandong
    assert matrix.loc["12", "37"] == 0  # Tianjin–Shandong
    assert _neighbours("65") == {"62", "63"}  # Xinjiang: Gansu, Qinghai
    assert _neighbours("50") == {"51", "52", "43", "42", "61"}  # Chongqing
    assert _neighbours("46") == {"44"}  # Hainan, by convention
    assert _neighbours("15") == {"23", "22", "21", "13", "14", "61", "64", "62"}  # Inner Mongolia


def test_contiguity_matrix_properties() -> None:
    matrix = geography.contiguity_matrix()
    values = matrix.to_numpy()
    assert matrix.shape == (30, 30)
    assert list(matrix.index) == EXPECTED_CODES
    assert list(matrix.columns) == EXPECTED_CODES
    assert set(np.unique(values)) == {0, 1}
    np.testing.assert_array_equal(values, values.T)
    assert np.all(np.diag(values) == 0)
    assert np.all(values.sum(axis=1) >= 1)
    # Methods note §3.3 checksum: 68 land links for 31 provinces, minus Tibet's 4, plus
    # Hainan–Guangdong = 65 links, i.e. 130 non-zeros.
    assert values.sum() == 130
    land = geography.contiguity_matrix(include_convention=False)
    assert land.loc["46"].sum() == 0


def test_row_standardised_weights_with_libpysal() -> None:
    weights_module = pytest.importorskip("libpysal.weights")
    matrix = geography.contiguity_matrix()
    neighbours = {code: [c for c in matrix.columns if matrix.loc[code, c]] for code in matrix.index}
    w = weights_module.W(neighbours, silence_warnings=True)
    w.transform = "r"
    dense, ids = w.full()
    np.testing.assert_allclose(dense.sum(axis=1), 1.0)
    assert w.islands == []
    assert w.n_components == 1
    assert w.s0 == pytest.approx(30.0)
    order = [ids.index(code) for code in matrix.index]
    expected = matrix.to_numpy() / matrix.to_numpy().sum(axis=1, keepdims=True)
    np.testing.assert_allclose(dense[np.ix_(order, order)], expected)
