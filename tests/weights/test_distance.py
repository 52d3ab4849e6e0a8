"""Inverse great-circle distance weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vagg.weights as vw
from vagg.data import geography
from vagg.weights import WeightsError

CITIES = pd.DataFrame(
    {"lat": [39.9042, 31.2304, 23.1291], "lon": [116.4074, 121.4737, 113.2644]},
    index=["Beijing", "Shanghai", "Guangzhou"],
)


def test_beijing_shanghai_distance_agrees_with_libpysal() -> None:
    """Methods note §3.2: 1067.310 km with libpysal's arcdist (R = 6371.0)."""
    sphere = pytest.importorskip("libpysal.cg.sphere")
    d = vw.distance_km(CITIES, radius_km=6371.0)
    ref = sphere.arcdist((116.4074, 39.9042), (121.4737, 31.2304), radius=6371.0)
    assert d.loc["Beijing", "Shanghai"] == pytest.approx(ref, rel=1e-12)
    assert d.loc["Beijing", "Shanghai"] == pytest.approx(1067.310, abs=5e-4)


@pytest.mark.parametrize("power", [1.0, 2.0])
def test_inverse_distance_agrees_with_libpysal_distance_band(power: float) -> None:
    libpysal = pytest.importorskip("libpysal")
    table = geography.provinces()
    w = vw.inverse_distance_provinces(power=power, standardize=None)
    points = table[["lon", "lat"]].to_numpy()
    band = libpysal.weights.DistanceBand(
        points,
        threshold=5000.0,
        binary=False,
        alpha=-power,
        distance_metric="arc",
        radius=geography.EARTH_RADIUS_KM,
        ids=list(table["province_code"]),
        silence_warnings=True,
    )
    ref = vw.from_libpysal(band).align(w.ids)
    np.testing.assert_allclose(w.matrix.toarray(), ref.matrix.toarray(), rtol=1e-9)


def test_cutoff_drops_far_pairs_and_names_islands() -> None:
    d = vw.distance_km(CITIES)
    w = vw.inverse_distance(CITIES, cutoff_km=1200, standardize=None)
    assert w.neighbors("Beijing") == pytest.approx({"Shanghai": 1 / d.loc["Beijing", "Shanghai"]})
    assert w.islands == ("Guangzhou",)  # 1,213 km from Shanghai, farther from Beijing
    with pytest.raises(WeightsError, match=r"islands\): \['Guangzhou'\]"):
        vw.inverse_distance(CITIES, cutoff_km=1200)


def test_row_standardised_inverse_distance() -> None:
    w = vw.inverse_distance(CITIES, power=2)
    d = vw.distance_km(CITIES).to_numpy()
    with np.errstate(divide="ignore"):
        raw = np.where(d > 0, d**-2.0, 0.0)
    np.testing.assert_allclose(w.matrix.toarray(), raw / raw.sum(axis=1, keepdims=True))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"power": 0}, "power must be positive"), ({"cutoff_km": -5}, "cutoff_km must be positive")],
)
def test_bad_parameters(kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WeightsError, match=message):
        vw.inverse_distance(CITIES, **kwargs)


def test_same_coordinates_are_refused() -> None:
    twins = pd.concat([CITIES, CITIES.iloc[[0]].rename(index={"Beijing": "Peking"})])
    with pytest.raises(WeightsError, match="'Beijing' and 'Peking' are at distance 0"):
        vw.inverse_distance(twins)


def test_bad_coordinates_are_named() -> None:
    bad = CITIES.assign(lat=[39.9, 95.0, 23.1])
    with pytest.raises(WeightsError, match=r"offending ids \['Shanghai'\]"):
        vw.distance_km(bad)
