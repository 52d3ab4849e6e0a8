"""Checks shared by the unit-level cointegration estimators: collinearity and singular Ω̂.

Each raises :class:`~vagg.estimate.errors.EstimationError` naming the estimator, the unit and
the regressors involved, so that a bad unit in a panel of thirty is found at once.
"""

from __future__ import annotations

import numpy as np

from ..errors import EstimationError

__all__ = ["COLLINEAR_TOL", "SINGULAR_TOL", "check_collinear", "check_long_run", "trend_matrix"]

#: A column whose sum of squares left after projecting on the columns before it is below this
#: share of its own sum of squares is a linear combination of them.
COLLINEAR_TOL = 1e-10

#: A long-run variance below this share of the scale of its series is treated as zero.
SINGULAR_TOL = 1e-10


def trend_matrix(nobs: int, trend: str) -> tuple[np.ndarray, list[str]]:
    """Deterministic terms of one unit: ``"c"`` → a constant; ``"ct"`` → a constant and the
    trend ``t = 1..n`` (``arch``'s ``add_trend`` coding)."""
    if trend == "c":
        return np.ones((nobs, 1)), ["Intercept"]
    if trend == "ct":
        return np.column_stack([np.ones(nobs), np.arange(1, nobs + 1, dtype=float)]), [
            "Intercept",
            "trend",
        ]
    raise EstimationError(f"trend={trend!r}; use 'c' (unit intercepts) or 'ct' (and trends)")


def check_collinear(
    z: np.ndarray, names: list[str], where: str, unit: object, n_det: int = 0
) -> None:
    """Raise when a column of ``z`` is a linear combination of the columns before it.

    The first ``n_det`` columns are the deterministic terms (the first being the intercept):
    every other column is first checked against them alone (a regressor constant within the
    unit is reported as collinear with its intercept), then the columns are checked in order.
    A column is collinear when what is left of it after the projection is below
    :data:`COLLINEAR_TOL` times its sum of squares around its mean (its raw sum of squares for
    the deterministic terms).
    """
    gram = z.T @ z

    def left_over(j: int, keep: list[int]) -> float:
        if not keep:
            return float(gram[j, j])
        b = gram[keep, j]
        return float(gram[j, j] - b @ np.linalg.lstsq(gram[np.ix_(keep, keep)], b, rcond=None)[0])

    det = list(range(n_det))
    candidates = [(j, det) for j in range(n_det, z.shape[1])]
    candidates += [(j, list(range(j))) for j in range(z.shape[1])]
    centred = ((z - z.mean(axis=0)) ** 2).sum(axis=0)
    for j, keep in candidates:
        own = gram[j, j]
        # With an intercept among the deterministic terms, compare with the variation the
        # column has around its mean: a level far from zero is not information.
        scale = centred[j] if (n_det and j >= n_det) else own
        if own <= 0 or left_over(j, keep) <= COLLINEAR_TOL * scale:
            others = [names[i] for i in keep]
            with_what = f"a combination of {others}" if others else "zero throughout"
            raise EstimationError(
                f"{where}: regressor {names[j]!r} is {with_what} in unit {unit!r} (collinear "
                "regressors); drop or redefine it, or drop the unit"
            )


def check_long_run(
    omega: np.ndarray, names: list[str], where: str, unit: object, scale_11: float
) -> None:
    """Raise when ``Ω̂`` of ``(u, Δx)`` is singular: ``Ω̂_22`` not positive definite, or
    ``ω̂_11·2 = ω̂_11 − ω̂_12 Ω̂_22⁻¹ ω̂_21`` zero relative to ``scale_11`` (the variance of y)."""
    o22 = omega[1:, 1:]
    diag = np.diag(o22)
    eig = np.linalg.eigvalsh(o22) if o22.size else np.array([1.0])
    if o22.size and (diag.min() <= 0 or eig.min() <= SINGULAR_TOL * diag.max()):
        raise EstimationError(
            f"{where}: the long-run covariance of the differenced regressors "
            f"{names} is singular in unit {unit!r} (smallest eigenvalue {eig.min():.3g}); a "
            "regressor's changes are a combination of the others' — drop one, or the unit"
        )
    o12 = omega[0, 1:]
    w112 = float(omega[0, 0] - o12 @ np.linalg.solve(o22, o12)) if o22.size else omega[0, 0]
    if not w112 > SINGULAR_TOL * max(scale_11, np.finfo(float).tiny):
        raise EstimationError(
            f"{where}: the long-run covariance of (residual, Δx) is singular in unit {unit!r} "
            f"(conditional long-run variance ω₁₁·₂ = {w112:.3g}): the regressors fit the "
            "outcome exactly in this unit, so its standard error and t are undefined; drop it"
        )
