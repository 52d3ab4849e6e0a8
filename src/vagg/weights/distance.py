"""Inverse great-circle distance weights, for the 30 provinces and for any points.

w_ij = d_ij^(−γ) for i ≠ j (γ = ``power``, 1 or 2 in the papers), w_ii = 0, and w_ij = 0 when
d_ij exceeds an optional cut-off; d_ij is the haversine distance between the points in km
(R = 6371.0088 km; Beijing–Shanghai = 1067.31 km; methods note ``regional_and_estimators.md``
§3.2–3.3). For the provinces the points are the capitals' coordinates of
:mod:`vagg.data.geography`.

Why not libpysal's ``DistanceBand(binary=False, alpha=-γ, distance_metric="arc")``: it needs a
cut-off (a band), returns arc distances on R = 6371.0 and builds a KD-tree for what is, at the
sizes of regional panels, one dense n × n computation. The numbers agree (tests).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import numpy.typing as npt
import pandas as pd

from vagg.data import geography

from .core import SpatialWeights, Standardize, finish
from .errors import WeightsError, ids_text

__all__ = ["distance_km", "inverse_distance", "inverse_distance_provinces"]


def distance_km(
    points: pd.DataFrame,
    *,
    id_column: str | None = None,
    lat: str = "lat",
    lon: str = "lon",
    radius_km: float = geography.EARTH_RADIUS_KM,
) -> pd.DataFrame:
    """The n × n great-circle distances (km) between points given in decimal degrees.

    d = 2R·asin(sqrt(sin²(Δφ/2) + cos φ1·cos φ2·sin²(Δλ/2))) (haversine; methods note §3.2),
    through :func:`vagg.data.geography.great_circle_km`.

    Parameters
    ----------
    points : DataFrame
        One row per unit with latitude and longitude columns.
    id_column : str, optional
        The ids (default: the index).
    lat, lon : str
        Column names of the coordinates (decimal degrees).
    radius_km : float
        Earth radius (6371.0088 km, IUGG mean radius).

    Returns
    -------
    DataFrame
        Labelled by id on both axes, zero diagonal.
    """
    for column in (lat, lon) + ((id_column,) if id_column else ()):
        if column not in points.columns:
            raise WeightsError(f"distance_km: column {column!r} is not in the points table")
    ids = list(points[id_column]) if id_column else list(points.index)
    if pd.Index(ids).has_duplicates:
        dup = list(pd.Index(ids)[pd.Index(ids).duplicated()])
        raise WeightsError(f"distance_km: ids repeat: {ids_text(dup)}")
    phi = points[lat].to_numpy(dtype=float)
    lam = points[lon].to_numpy(dtype=float)
    bad = ~np.isfinite(phi) | ~np.isfinite(lam) | (np.abs(phi) > 90) | (np.abs(lam) > 180)
    if bad.any():
        raise WeightsError(
            f"distance_km: coordinates must be finite degrees (|lat| ≤ 90, |lon| ≤ 180); "
            f"offending ids {ids_text([ids[i] for i in np.flatnonzero(bad)])}"
        )
    matrix = np.asarray(
        geography.great_circle_km(phi[:, None], lam[:, None], phi[None, :], lam[None, :], radius_km)
    )
    np.fill_diagonal(matrix, 0.0)
    index = pd.Index(ids, name="id")
    return pd.DataFrame(matrix, index=index, columns=index.copy())


def _inverse(
    distances: pd.DataFrame, power: float, cutoff_km: float | None, name: str
) -> npt.NDArray[np.float64]:
    if not np.isfinite(power) or power <= 0:
        raise WeightsError(f"{name}: power must be positive; got {power!r}")
    if cutoff_km is not None and (not np.isfinite(cutoff_km) or cutoff_km <= 0):
        raise WeightsError(f"{name}: cutoff_km must be positive; got {cutoff_km!r}")
    d = distances.to_numpy(dtype=float)
    off = ~np.eye(len(d), dtype=bool)
    if np.any(d[off] <= 0):
        i, j = np.argwhere((d <= 0) & off)[0]
        ids = list(distances.index)
        raise WeightsError(
            f"{name}: units {ids[i]!r} and {ids[j]!r} are at distance 0 (same coordinates); "
            "inverse distance is undefined"
        )
    with np.errstate(divide="ignore"):
        w = np.where(off, d ** (-power), 0.0)
    if cutoff_km is not None:
        w[d > cutoff_km] = 0.0
    return w


def inverse_distance(
    points: pd.DataFrame,
    *,
    power: float = 1.0,
    cutoff_km: float | None = None,
    id_column: str | None = None,
    lat: str = "lat",
    lon: str = "lon",
    standardize: Standardize = "row",
    radius_km: float = geography.EARTH_RADIUS_KM,
) -> SpatialWeights:
    """Inverse great-circle distance weights w_ij = d_ij^(−power) between your own points.

    Parameters
    ----------
    points : DataFrame
        One row per unit: latitude and longitude (decimal degrees) and the id (``id_column``
        or the index).
    power : float
        γ in d^(−γ) (1: inverse distance; 2: inverse squared distance, the gravity form).
    cutoff_km : float, optional
        Weights of pairs farther apart than this are 0 (a distance band). Units left without
        a neighbour are then islands, which row standardisation refuses (naming them).
    standardize : {"row", None}
        Row-standardise (default) or keep the raw d^(−γ).

    Returns
    -------
    SpatialWeights

    References
    ----------
    Methods note ``regional_and_estimators.md`` §3.2–3.3 (haversine; inverse distance).
    """
    name = f"inverse distance^{power:g}" + (f" (cut-off {cutoff_km:g} km)" if cutoff_km else "")
    distances = distance_km(points, id_column=id_column, lat=lat, lon=lon, radius_km=radius_km)
    matrix = _inverse(distances, power, cutoff_km, name)
    info = {
        "builder": "inverse_distance",
        "power": power,
        "cutoff_km": cutoff_km,
        "radius_km": radius_km,
    }
    return finish(matrix, list(distances.index), name, info, standardize)


def inverse_distance_provinces(
    *,
    power: float = 1.0,
    cutoff_km: float | None = None,
    provinces: Iterable[Hashable] | None = None,
    standardize: Standardize = "row",
) -> SpatialWeights:
    """Inverse distance between the capitals of the 30 provinces, w_ij = d_ij^(−power).

    d_ij is :func:`vagg.data.geography.distance_matrix_km` (haversine, R = 6371.0088 km,
    capitals' coordinates from GeoNames); paper 004 Table 4 ("geographic distance").

    Parameters
    ----------
    power : float
        γ of d^(−γ) (1 or 2).
    cutoff_km : float, optional
        Pairs farther apart get weight 0.
    provinces : iterable of str, optional
        Codes of a subset, whose block is built and standardised among themselves.
    standardize : {"row", None}
        Row-standardise (default) or keep d^(−γ).

    Returns
    -------
    SpatialWeights
    """
    table = geography.provinces()
    if provinces is not None:
        wanted = [str(p) for p in provinces]
        unknown = [p for p in wanted if p not in set(table["province_code"])]
        if unknown:
            raise WeightsError(
                f"inverse_distance_provinces: unknown province codes {ids_text(unknown)}"
            )
        table = table.set_index("province_code").loc[wanted].reset_index()
    weights = inverse_distance(
        table,
        power=power,
        cutoff_km=cutoff_km,
        id_column="province_code",
        standardize=standardize,
    )
    info = {
        **weights.info,
        "builder": "inverse_distance_provinces",
        "points": "provincial capitals",
    }
    return SpatialWeights(
        weights.matrix,
        weights.ids,
        weights.name + " (provincial capitals)",
        info,
        weights._scale,
    )
