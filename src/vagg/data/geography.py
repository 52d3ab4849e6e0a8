"""The 30 provinces of the papers: codes, names, capitals, regional groups, contiguity, distances.

Conventions
-----------
Provinces
    The 30 provincial-level units used by the province panels of papers 002 and 004: mainland
    China without Tibet (54), Hong Kong, Macao and Taiwan. Codes are the two-digit GB/T 2260
    administrative division codes, kept as strings ("11" Beijing … "65" Xinjiang).
Capitals
    ``lat``/``lon`` are the decimal-degree coordinates (4 decimals) of the city centre of each
    provincial capital (the municipality itself for Beijing, Tianjin, Shanghai and Chongqing),
    taken from the GeoNames gazetteer (``geonames_id`` gives the record; populated-place point of
    the capital, cities15000 extract). They agree within 10 km with the capital label points of
    the Apache ECharts China map (checked in the tests).
Regions
    ``region`` is the NBS three-belt division used by Chinese empirical papers:
    east = 北京 天津 河北 辽宁 上海 江苏 浙江 福建 山东 广东 海南 (11);
    central = 山西 吉林 黑龙江 安徽 江西 河南 湖北 湖南 (8);
    west = 内蒙古 广西 重庆 四川 贵州 云南 陕西 甘肃 青海 宁夏 新疆 (11, Tibet excluded).
    ``coastal`` marks the 11 provinces with a sea coast: 辽宁 河北 天津 山东 江苏 上海 浙江 福建
    广东 广西 海南 (the coastal/inland split of paper 004).
Contiguity
    Queen contiguity: two provinces are neighbours when they share a land border. Among the 30
    provinces there are 64 such pairs (the 68 land links of the 31 mainland provinces minus
    Tibet's four with Xinjiang, Qinghai, Sichuan and Yunnan); the list matches the touching
    province outlines of the ECharts China map pair for pair. Hainan has no land neighbour, so
    Hainan–Guangdong is added by convention (``by_convention`` is true for that pair only), as
    in most Chinese spatial-econometrics papers, so that no row of a weight matrix is empty.
    Each unordered pair is stored once with ``province_a < province_b``.
Distances
    Great-circle (haversine) distances between capitals with the mean Earth radius
    R = 6371.0088 km (IUGG); see the methods note ``regional_and_estimators.md`` §3.2, which
    verifies Beijing (39.9042N, 116.4074E)–Shanghai (31.2304N, 121.4737E) = 1067.312 km with
    this radius.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from vagg.data.shipped import read_resource, to_bool

__all__ = [
    "EARTH_RADIUS_KM",
    "contiguity_matrix",
    "distance_matrix_km",
    "great_circle_km",
    "province_contiguity",
    "provinces",
]

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG arithmetic mean radius R1), in kilometres."""

_PROVINCES_FILE = "provinces.csv"
_CONTIGUITY_FILE = "province_contiguity.csv"


@lru_cache(maxsize=1)
def _provinces_cached() -> pd.DataFrame:
    frame = read_resource(_PROVINCES_FILE)
    for column in ("lat", "lon"):
        frame[column] = frame[column].astype(float)
    frame["geonames_id"] = frame["geonames_id"].astype(int)
    frame["coastal"] = to_bool(frame, "coastal", _PROVINCES_FILE)
    return frame


@lru_cache(maxsize=1)
def _contiguity_cached() -> pd.DataFrame:
    frame = read_resource(_CONTIGUITY_FILE)
    frame["by_convention"] = to_bool(frame, "by_convention", _CONTIGUITY_FILE)
    return frame


def provinces() -> pd.DataFrame:
    """Return the 30 provinces with codes, names, capitals and regional groups.

    Columns: ``province_code`` (GB/T 2260, str, "11" … "65"), ``name_zh`` (e.g. 北京),
    ``name_zh_full`` (e.g. 北京市), ``name_en``, ``capital_zh``, ``capital_en``, ``lat``, ``lon``
    (capital city centre, decimal degrees), ``geonames_id``, ``region`` (east/central/west, NBS
    three belts) and ``coastal`` (bool). The conventions and sources are in the module
    docstring. Returns a fresh copy, sorted by code.
    """
    return _provinces_cached().copy()


def province_contiguity(include_convention: bool = True) -> pd.DataFrame:
    """Return the queen-contiguity pairs of the 30 provinces, each unordered pair once.

    Columns: ``province_a`` < ``province_b`` (codes, str), ``name_zh_a``, ``name_zh_b`` and
    ``by_convention`` (true only for Hainan–Guangdong, which share no land border). With
    ``include_convention=False`` the conventional link is left out (64 land pairs; otherwise
    65). Reference: shared land borders, checked against the ECharts China map outlines;
    ``regional_and_estimators.md`` §3.3 lists the same links for the 31 provinces.
    """
    pairs = _contiguity_cached().copy()
    if not include_convention:
        pairs = pairs.loc[~pairs["by_convention"]].reset_index(drop=True)
    return pairs


def contiguity_matrix(include_convention: bool = True) -> pd.DataFrame:
    """Return the 30×30 binary queen-contiguity matrix C (symmetric, zero diagonal).

    C[i, j] = 1 when provinces i and j share a land border (or are Hainan–Guangdong and
    ``include_convention`` is true), else 0. Index and columns are the province codes in
    ascending order. Row-standardise with W = D⁻¹C, D = diag(C·1) (methods note §3.3) where a
    spatial weight matrix is needed; with the conventional link no row of C is empty.
    """
    codes = list(_provinces_cached()["province_code"])
    position = {code: i for i, code in enumerate(codes)}
    matrix = np.zeros((len(codes), len(codes)), dtype=np.int64)
    for a, b in province_contiguity(include_convention)[["province_a", "province_b"]].itertuples(
        index=False
    ):
        matrix[position[a], position[b]] = 1
        matrix[position[b], position[a]] = 1
    return pd.DataFrame(
        matrix,
        index=pd.Index(codes, name="province_code"),
        columns=pd.Index(codes, name="province_code"),
    )


def _as_degrees(value: npt.ArrayLike, name: str, limit: float) -> npt.NDArray[np.float64]:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"great_circle_km: argument '{name}' is not numeric: {exc}") from exc
    bad = ~np.isfinite(array) | (np.abs(array) > limit)
    if np.any(bad):
        shown = array[bad].ravel()[:5].tolist()
        raise ValueError(
            f"great_circle_km: argument '{name}' must be finite degrees within ±{limit:g}; "
            f"{int(bad.sum())} offending value(s), e.g. {shown}"
        )
    return array


def great_circle_km(
    lat1: npt.ArrayLike,
    lon1: npt.ArrayLike,
    lat2: npt.ArrayLike,
    lon2: npt.ArrayLike,
    radius_km: float = EARTH_RADIUS_KM,
) -> npt.NDArray[np.float64] | float:
    """Great-circle distance in km between points given in decimal degrees (haversine).

    d = 2R·asin( sqrt( sin²(Δφ/2) + cos φ1 · cos φ2 · sin²(Δλ/2) ) ), φ latitude and λ
    longitude in radians, R = 6371.0088 km by default (methods note
    ``regional_and_estimators.md`` §3.2: Beijing–Shanghai = 1067.312 km with this radius;
    libpysal's ``arcdist`` uses R = 6371.0, Stata ``spwmatrix`` 6371.009). Arguments broadcast
    like numpy arrays; a scalar input returns a float.
    """
    phi1 = np.radians(_as_degrees(lat1, "lat1", 90.0))
    lam1 = np.radians(_as_degrees(lon1, "lon1", 180.0))
    phi2 = np.radians(_as_degrees(lat2, "lat2", 90.0))
    lam2 = np.radians(_as_degrees(lon2, "lon2", 180.0))
    if not np.isfinite(radius_km) or radius_km <= 0:
        raise ValueError(f"great_circle_km: radius_km must be positive, got {radius_km!r}")
    h = (
        np.sin((phi2 - phi1) / 2.0) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2.0) ** 2
    )
    distance = 2.0 * radius_km * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    if distance.ndim == 0:
        return float(distance)
    return distance


def distance_matrix_km(radius_km: float = EARTH_RADIUS_KM) -> pd.DataFrame:
    """Return the 30×30 matrix of great-circle distances (km) between provincial capitals.

    d_ij = great_circle_km(lat_i, lon_i, lat_j, lon_j) with the capitals of :func:`provinces`;
    symmetric with a zero diagonal; index and columns are province codes. This is the d_ij of
    the distance-decayed virtual agglomeration Σ_j LQ_j / d_ij (paper 002; methods note §3.1)
    and of inverse-distance weight matrices (§3.3).
    """
    table = _provinces_cached()
    lat = table["lat"].to_numpy()
    lon = table["lon"].to_numpy()
    matrix = np.asarray(
        great_circle_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :], radius_km)
    )
    np.fill_diagonal(matrix, 0.0)
    codes = pd.Index(table["province_code"], name="province_code")
    return pd.DataFrame(matrix, index=codes, columns=codes.copy())
