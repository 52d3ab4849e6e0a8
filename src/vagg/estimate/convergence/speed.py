"""Speed of convergence, half-life and the convergence "acceleration", in closed form.

With ``g_i = ln(y_i,t+T / y_i,t) / T`` (average annual growth over a window of ``T`` years)
regressed on ``ln y_i,t`` with slope ``b`` (Barro & Sala-i-Martin 1992; methods notes §7):

* the slope on the *total* growth ``ln(y_t+T / y_t)`` is ``β = T·b``, and since
  ``1 + β = e^{−λT}``, the speed of convergence is ``λ = −ln(1 + β)/T = −ln(1 + T·b)/T``;
  it needs ``1 + β > 0`` (and ``β < 0`` for ``λ > 0``);
* the half-life is ``ln 2 / λ`` years;
* standard errors by the delta method: ``se(λ) = se(β) / ((1 + β) T)``,
  ``se(half-life) = ln 2 · se(λ) / λ²``.

In the interaction model ``g = a + α1 ln y + α2 ln INTER + α3 ln y × ln INTER + …`` (paper 004
eq. 26, after Mao Rui), the effective slope is ``b(m) = α1 + α3·m`` at ``ln INTER = m``; paper
004 prints the "convergence acceleration" as ``α3/α1`` (Table 6: 0.051/0.060 = 85%). Also
available: ``∂λ/∂m = −c·α3 / ((1 + c·b(m)) T)`` (``c = T`` when the growth is annualised).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import EstimationError

__all__ = [
    "SPEED_TOL",
    "convergence_speed",
    "half_life",
    "ratio_with_se",
    "speed_with_se",
]


#: ``1 + β`` at or below this is treated as ≤ 0 (λ = −ln(1 + β)/T undefined or meaningless).
SPEED_TOL = 1e-10


def convergence_speed(beta: float, horizon: float, *, annualized: bool = True) -> float:
    """``λ = −ln(1 + T·b)/T`` (``annualized``: ``b`` is the slope on average annual growth) or
    ``λ = −ln(1 + β)/T`` (``β`` the slope on total growth over ``T`` years).

    Raises :class:`EstimationError` when ``T ≤ 0`` or ``1 + β ≤ 0`` (the log is undefined).
    """
    if not horizon > 0:
        raise EstimationError(f"convergence_speed: horizon={horizon!r} must be positive")
    total = beta * horizon if annualized else beta
    if not 1.0 + total > SPEED_TOL:
        raise EstimationError(
            f"convergence_speed: 1 + β = {1.0 + total:.4g} ≤ 0 (β = {total:.4g} over "
            f"{horizon:g} years); λ = −ln(1 + β)/T is undefined — the gaps more than close"
        )
    return -math.log1p(total) / horizon


def half_life(speed: float) -> float:
    """``ln 2 / λ``: the years it takes to close half the gap. Needs ``λ > 0``."""
    if not speed > 0:
        raise EstimationError(
            f"half_life: the speed λ = {speed:.4g} is not positive (no convergence), so the "
            "half-life is undefined"
        )
    return math.log(2.0) / speed


def speed_with_se(
    beta: float, se: float, horizon: float, *, annualized: bool = True
) -> tuple[float, float]:
    """``(λ, se(λ))`` with the delta method (module docstring); raises as
    :func:`convergence_speed`."""
    lam = convergence_speed(beta, horizon, annualized=annualized)
    c = horizon if annualized else 1.0
    return lam, abs(c * se / ((1.0 + c * beta) * horizon))


def ratio_with_se(
    num: float, den: float, var_num: float, var_den: float, cov: float
) -> tuple[float, float]:
    """``(num/den, se)`` by the delta method, gradient ``(1/den, −num/den²)``."""
    if den == 0:
        raise EstimationError("ratio_with_se: the denominator is zero")
    grad = np.array([1.0 / den, -num / den**2])
    v = np.array([[var_num, cov], [cov, var_den]])
    return num / den, float(math.sqrt(max(grad @ v @ grad, 0.0)))
