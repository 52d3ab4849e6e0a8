"""Fully modified OLS of one cointegrating regression (Phillips & Hansen 1990).

Model of one unit: ``y_t = d_t'δ + x_t'β + u_t`` with ``x_t`` I(1) and ``d_t`` the deterministic
terms (a constant, and a trend with ``trend="ct"``). Steps (methods notes §5.1):

1. OLS of ``y`` on ``[x, d]`` gives residuals ``û_t``; the regressors' innovations are
   ``η̂_2t = Δ(x_t − d_t'Γ̂)`` (``Δx_t`` with a constant only; with a trend, the differences of
   the detrended ``x``). ``η̂_t = (û_t, η̂_2t')'`` for ``t = 2..T``.
2. Kernel long-run covariances of ``η̂`` (:mod:`.longrun`): ``Ω̂`` (two-sided) and ``Λ̂``
   (one-sided, ``Λ̂[a,b] = Σ_{s≥0} w_s Ê[η_{a,t} η_{b,t−s}]``).
3. Corrections: ``y⁺_t = y_t − ω̂_12 Ω̂_22⁻¹ η̂_2t`` and ``λ̂⁺_12 = λ̂_12 − ω̂_12 Ω̂_22⁻¹ Λ̂_22``.
4. ``θ̂ = (Σ z_t z_t')⁻¹ (Σ z_t y⁺_t − n·[λ̂⁺_12'; 0])`` over ``t = 2..T`` with ``z_t = (x_t, d_t)``
   and ``n = T − 1``.
5. ``Var(θ̂) = ω̂_11·2 (Σ z_t z_t')⁻¹`` with ``ω̂_11·2 = ω̂_11 − ω̂_12 Ω̂_22⁻¹ ω̂_21``
   (times ``n/(n − k)`` with ``df_adjust``).

These are the conventions of ``arch.unitroot.cointegration.FullyModifiedOLS`` (``diff=False``,
``x_trend`` equal to ``trend``), which the tests reproduce unit by unit to 1e-10. Written here
rather than called from ``arch`` because the panel estimators need the pieces (``Σzz'``,
``ω̂_11·2``) of every unit, one bandwidth rule across units, and errors naming the unit.

References: Phillips & Hansen (1990); Hansen & Phillips (1990); Pedroni (2000, 2001).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EstimationError
from .longrun import Bandwidth, LongRunCovariance, long_run_covariance
from .unit_checks import check_collinear, check_long_run, trend_matrix

__all__ = ["UnitFit", "fmols_unit"]


@dataclass(frozen=True)
class UnitFit:
    """One unit's cointegrating regression.

    ``params`` and ``cov`` are over ``names`` (the regressors, then the deterministic terms);
    ``zz`` is ``Σ z_t z_t'`` over the rows the estimator used, ``nobs`` their number,
    ``long_run_variance`` the variance used for ``cov`` (``ω̂_11·2`` for FM-OLS, the residual
    long-run variance for DOLS), ``lrc`` the kernel covariance estimate, ``resid`` the
    residuals ``y − z'θ̂`` over all the unit's periods, ``r2`` / ``r2_adj`` their R²,
    ``n_coint`` the number of leading coefficients of the cointegrating relation (regressors
    and deterministic terms; DOLS's ``Δx`` leads and lags follow them).
    """

    names: list[str]
    params: np.ndarray
    cov: np.ndarray
    zz: np.ndarray
    nobs: int
    long_run_variance: float
    lrc: LongRunCovariance
    resid: np.ndarray
    r2: float
    r2_adj: float
    extra: dict[str, float]
    n_coint: int


def fit_r2(y: np.ndarray, resid: np.ndarray, nvar: int, with_const: bool) -> tuple[float, float]:
    """R² and adjusted R² of residuals ``resid`` of ``y`` (centred when there is a constant)."""
    n = len(y)
    centred = y - y.mean() if with_const else y
    ssr = float(resid @ resid)
    tss = float(centred @ centred)
    if tss <= 0:
        return float("nan"), float("nan")
    r2 = 1.0 - ssr / tss
    adj = 1.0 - (ssr / (n - nvar)) / (tss / (n - int(with_const))) if n > nvar else float("nan")
    return r2, adj


def fmols_unit(
    y: np.ndarray,
    x: np.ndarray,
    names: list[str],
    *,
    unit: object = None,
    trend: str = "c",
    kernel: str = "bartlett",
    bandwidth: Bandwidth = "newey-west",
    integer_bandwidth: bool = True,
    df_adjust: bool = False,
) -> UnitFit:
    """FM-OLS of ``y`` on ``x`` (and the deterministic terms of ``trend``) for one unit.

    Parameters
    ----------
    y : numpy.ndarray
        The outcome over the unit's consecutive periods (length T).
    x : numpy.ndarray
        The I(1) regressors (T × k), columns named ``names``.
    names : list of str
        Names of the columns of ``x``.
    unit : object
        The unit's id, for error messages.
    trend : str
        ``"c"`` (intercept) or ``"ct"`` (intercept and linear trend).
    kernel, bandwidth, integer_bandwidth
        See :func:`~vagg.estimate.cointegration.longrun.long_run_covariance`; the automatic
        bandwidth is computed from ``η̂`` of this unit.
    df_adjust : bool
        Scale the covariance by ``n/(n − k)``.

    Returns
    -------
    UnitFit
        ``names`` = the regressors, then ``"Intercept"`` (and ``"trend"``).

    Raises
    ------
    EstimationError
        Too few periods, collinear regressors, or a singular long-run covariance (naming
        the unit).
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    t_obs, k = x.shape
    det, det_names = trend_matrix(t_obs, trend)
    all_names = [*names, *det_names]
    nvar = k + det.shape[1]
    if t_obs - 1 <= nvar:
        raise EstimationError(
            f"fmols: unit {unit!r} has {t_obs} periods; FM-OLS with {nvar} coefficients needs "
            f"at least {nvar + 2} (T too short)"
        )
    n_det = det.shape[1]
    check_collinear(np.column_stack([det, x]), [*det_names, *names], "fmols", unit, n_det)
    z_full = np.column_stack([x, det])
    check_collinear(np.column_stack([det, x])[1:], [*det_names, *names], "fmols", unit, n_det)
    ols = np.linalg.lstsq(z_full, y, rcond=None)[0]
    u = y - z_full @ ols
    if det.shape[1] > 1:
        gamma = np.linalg.lstsq(det, x, rcond=None)[0]
        eta2 = np.diff(x - det @ gamma, axis=0)
    else:
        eta2 = np.diff(x, axis=0)
    eta = np.column_stack([u[1:], eta2])
    lrc = long_run_covariance(
        eta, kernel, bandwidth, integer_bandwidth=integer_bandwidth, periods=t_obs
    )
    omega, lam = lrc.long_run, lrc.one_sided
    check_long_run(omega, list(names), "fmols", unit, float(np.var(y)))
    o12, o22 = omega[0, 1:], omega[1:, 1:]
    a = np.linalg.solve(o22, o12)  # Ω̂_22⁻¹ ω̂_21
    y_plus = y[1:] - eta2 @ a
    lam12_plus = lam[0, 1:] - a @ lam[1:, 1:]
    z = z_full[1:]
    n = z.shape[0]
    zz = z.T @ z
    rhs = z.T @ y_plus
    rhs[:k] -= n * lam12_plus
    params = np.linalg.solve(zz, rhs)
    w112 = float(omega[0, 0] - o12 @ a)
    scale = n / (n - nvar) if df_adjust else 1.0
    cov = scale * w112 * np.linalg.inv(zz)
    resid = y - z_full @ params
    r2, r2_adj = fit_r2(y, resid, nvar, True)
    return UnitFit(
        names=all_names,
        params=params,
        cov=cov,
        zz=zz,
        nobs=n,
        long_run_variance=scale * w112,
        lrc=lrc,
        resid=resid,
        r2=r2,
        r2_adj=r2_adj,
        extra={"omega_11_2": w112},
        n_coint=nvar,
    )
