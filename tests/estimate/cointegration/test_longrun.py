"""Kernel long-run covariances and bandwidths against arch and the closed forms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vagg.estimate.cointegration.longrun import (
    andrews_bandwidth,
    kernel_weights,
    long_run_covariance,
    rule_bandwidth,
)
from vagg.estimate.errors import EstimationError


@pytest.fixture(scope="module")
def series(grunfeld: pd.DataFrame) -> np.ndarray:
    """General Motors' investment residual and differenced regressors (a real 19 × 3 series)."""
    g = grunfeld[grunfeld["firm"] == "General Motors"]
    x = np.column_stack([np.ones(20), g[["value", "capital"]].to_numpy()])
    y = g["invest"].to_numpy()
    u = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return np.column_stack([u[1:], np.diff(g[["value", "capital"]].to_numpy(), axis=0)])


@pytest.mark.parametrize(
    ("kernel", "arch_name", "bandwidth"),
    [
        ("bartlett", "Bartlett", 3.0),
        ("bartlett", "Bartlett", None),
        ("qs", "QuadraticSpectral", 2.5),
        ("qs", "QuadraticSpectral", None),
        ("parzen", "Parzen", None),
    ],
)
def test_matches_arch_kernel_estimators(
    series: np.ndarray, kernel: str, arch_name: str, bandwidth: float | None
) -> None:
    lrcov = pytest.importorskip("arch.covariance.kernel")
    ref = getattr(lrcov, arch_name)(series, bandwidth=bandwidth, center=False)
    mine = long_run_covariance(
        series, kernel, "newey-west" if bandwidth is None else bandwidth, integer_bandwidth=False
    )
    assert mine.bandwidth == pytest.approx(ref.bandwidth, rel=1e-12)
    np.testing.assert_allclose(mine.short_run, ref.cov.short_run, rtol=1e-12)
    np.testing.assert_allclose(mine.one_sided, ref.cov.one_sided, rtol=1e-10)
    np.testing.assert_allclose(mine.long_run, ref.cov.long_run, rtol=1e-10)


def test_bartlett_weights_and_psd() -> None:
    np.testing.assert_allclose(kernel_weights("bartlett", 3, 50), [1, 0.75, 0.5, 0.25])
    rng = np.random.default_rng(1)
    u = rng.normal(size=(40, 3))
    omega = long_run_covariance(u, "bartlett", 4).long_run
    assert np.linalg.eigvalsh(omega).min() > 0


def test_qs_weight_closed_form() -> None:
    x = 6 * math.pi * (1 / 2.0) / 5
    expected = 3 / x**2 * (math.sin(x) / x - math.cos(x))
    assert kernel_weights("quadratic-spectral", 2.0, 10)[1] == pytest.approx(expected)


def test_rule_of_thumb_bandwidth() -> None:
    """⌊4 (T/100)^{2/9}⌋: 2 for T = 20 (xtpedroni / pco rule), 4 for T = 100."""
    assert rule_bandwidth(20) == 2.0
    assert rule_bandwidth(100) == 4.0


def test_andrews_bandwidth_closed_form() -> None:
    """Andrews (1991) eq. (6.4) with the AR(1) estimates of the series."""
    rng = np.random.default_rng(7)
    e = rng.normal(size=200)
    u = np.empty(200)
    u[0] = e[0]
    for t in range(1, 200):
        u[t] = 0.6 * u[t - 1] + e[t]
    rho = float(u[:-1] @ u[1:] / (u[:-1] @ u[:-1]))
    s2 = float(np.mean((u[1:] - rho * u[:-1]) ** 2))
    alpha1 = (4 * rho**2 * s2**2 / ((1 - rho) ** 6 * (1 + rho) ** 2)) / (s2**2 / (1 - rho) ** 4)
    assert andrews_bandwidth(u, "bartlett") == pytest.approx(1.1447 * (alpha1 * 200) ** (1 / 3))
    alpha2 = (4 * rho**2 * s2**2 / (1 - rho) ** 8) / (s2**2 / (1 - rho) ** 4)
    assert andrews_bandwidth(u, "qs") == pytest.approx(1.3221 * (alpha2 * 200) ** (1 / 5))


def test_unknown_kernel_is_named() -> None:
    with pytest.raises(EstimationError, match="kernel='triangle'"):
        long_run_covariance(np.ones((5, 1)), "triangle", 1)


def test_bad_bandwidth_is_named() -> None:
    with pytest.raises(EstimationError, match="bandwidth='silverman'"):
        long_run_covariance(np.ones((5, 1)), "bartlett", "silverman")  # type: ignore[arg-type]
