"""Dynamic OLS of one cointegrating regression (Saikkonen 1991; Stock & Watson 1993).

Model of one unit: ``y_t = x_t'β + d_t'δ + Σ_{j=−p}^{q} Δx_{t+j}'γ_j + e_t`` — the levels
regression augmented with the current difference, ``p`` lags and ``q`` leads of ``Δx``, which
absorb the correlation between ``u_t`` and the regressors' innovations. It is estimated by OLS
over the periods where every lead and lag exists (``t = p+2 .. T−q``); ``d_t`` is a constant,
and with ``trend="ct"`` a trend counted from 1 over those periods.

Covariance (``cov_type``):

* ``"unadjusted"`` (default): ``σ̂²_LR (Z'Z)⁻¹``, with ``σ̂²_LR`` the kernel long-run variance
  of the residuals (:mod:`.longrun`, not demeaned) — the variance Pedroni's and
  ``xtpedroni``'s group-mean DOLS t-statistics use (``xtpedroni`` divides the autocovariances
  by ``T + 2K`` instead of the number of residuals, a quirk not copied here);
* ``"robust"``: the kernel HAC sandwich ``(Z'Z)⁻¹ Ŝ (Z'Z)⁻¹`` of the scores ``z_t e_t``.

With ``df_adjust`` the covariance is scaled by ``n/(n − m)``, ``m`` the number of regressors.
These are the conventions of ``arch.unitroot.cointegration.DynamicOLS`` with fixed ``lags``
and ``leads`` (its ``fit(cov_type, kernel, bandwidth, force_int, df_adjust)``), which the
tests reproduce unit by unit. Written here for the same reasons as :mod:`.fmols_unit`.

References: Saikkonen (1991); Stock & Watson (1993); Pedroni (2001); Neal (2014) xtpedroni.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..errors import EstimationError
from .fmols_unit import UnitFit, fit_r2
from .longrun import Bandwidth, long_run_covariance
from .unit_checks import check_collinear, trend_matrix

__all__ = ["dols_regressors", "dols_unit"]


def dols_regressors(
    x: np.ndarray, names: list[str], leads: int, lags: int
) -> tuple[np.ndarray, list[str], slice]:
    """The ``Δx`` lead/lag block of a DOLS regression and the rows where it exists.

    Returns the block over the kept rows (columns ordered ``Δx_{t−p} … Δx_t … Δx_{t+q}``,
    each over the regressors), its names (``L2.D(x)``, ``D(x)``, ``F1.D(x)``) and the slice
    of the periods kept.
    """
    t_obs = x.shape[0]
    dx = np.full_like(x, np.nan)
    dx[1:] = np.diff(x, axis=0)
    keep = slice(lags + 1, t_obs - leads)
    cols: list[np.ndarray] = []
    labels: list[str] = []
    for j in range(-lags, leads + 1):
        shifted = np.full_like(dx, np.nan)
        if j < 0:
            shifted[-j:] = dx[:j]
        elif j > 0:
            shifted[:-j] = dx[j:]
        else:
            shifted = dx
        cols.append(shifted[keep])
        prefix = "" if j == 0 else (f"L{-j}." if j < 0 else f"F{j}.")
        labels += [f"{prefix}D({n})" for n in names]
    return np.column_stack(cols), labels, keep


def dols_unit(
    y: np.ndarray,
    x: np.ndarray,
    names: list[str],
    *,
    unit: object = None,
    trend: str = "c",
    leads: int = 1,
    lags: int = 1,
    cov_type: Literal["unadjusted", "robust"] = "unadjusted",
    kernel: str = "bartlett",
    bandwidth: Bandwidth = "newey-west",
    integer_bandwidth: bool = False,
    df_adjust: bool = False,
) -> UnitFit:
    """DOLS of ``y`` on ``x``, the deterministic terms and ``p`` lags / ``q`` leads of ``Δx``.

    Parameters
    ----------
    y, x, names, unit, trend
        As in :func:`~vagg.estimate.cointegration.fmols_unit.fmols_unit`.
    leads, lags : int
        ``q`` and ``p`` (non-negative).
    cov_type : str
        ``"unadjusted"`` or ``"robust"`` (module docstring).
    kernel, bandwidth, integer_bandwidth
        The long-run variance (:func:`~vagg.estimate.cointegration.longrun.long_run_covariance`);
        the automatic bandwidth comes from this unit's residuals (or scores). ``arch``'s DOLS
        does not round the bandwidth by default, hence ``integer_bandwidth=False`` here.
    df_adjust : bool
        Scale the covariance by ``n/(n − m)``.

    Returns
    -------
    UnitFit
        ``names`` = the regressors, the deterministic terms, then the ``Δx`` block.
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    t_obs, k = x.shape
    if leads < 0 or lags < 0:
        raise EstimationError(f"dols: leads={leads} and lags={lags} must be non-negative")
    block, block_names, keep = dols_regressors(x, names, leads, lags)
    n = block.shape[0]
    det, det_names = trend_matrix(max(n, 0), trend)
    m = k + det.shape[1] + block.shape[1]
    if n <= m:
        raise EstimationError(
            f"dols: unit {unit!r} has {t_obs} periods; DOLS with {lags} lag(s) and {leads} "
            f"lead(s) keeps {max(n, 0)} and estimates {m} coefficients (T too short); use "
            "fewer leads and lags or a longer panel"
        )
    z = np.column_stack([x[keep], det, block])
    all_names = [*names, *det_names, *block_names]
    check_collinear(
        np.column_stack([det, x[keep], block]),
        [*det_names, *names, *block_names],
        "dols",
        unit,
        det.shape[1],
    )
    yk = y[keep]
    zz = z.T @ z
    params = np.linalg.solve(zz, z.T @ yk)
    resid = yk - z @ params
    scale = n / (n - m) if df_adjust else 1.0
    zz_inv = np.linalg.inv(zz)
    if cov_type == "unadjusted":
        lrc = long_run_covariance(
            resid, kernel, bandwidth, integer_bandwidth=integer_bandwidth, periods=t_obs
        )
        sigma2 = float(lrc.long_run[0, 0])
        if not sigma2 > 1e-10 * max(float(np.var(y)), np.finfo(float).tiny):
            raise EstimationError(
                f"dols: the long-run variance of the residuals is zero in unit {unit!r} "
                f"(σ²_LR = {sigma2:.3g}; singular long-run covariance): the regressors fit "
                "the outcome exactly there; drop the unit"
            )
        cov = scale * sigma2 * zz_inv
        lr_var = scale * sigma2
    elif cov_type == "robust":
        lrc = long_run_covariance(
            z * resid[:, None],
            kernel,
            bandwidth,
            integer_bandwidth=integer_bandwidth,
            periods=t_obs,
        )
        cov = scale * n * zz_inv @ lrc.long_run @ zz_inv
        lr_var = float("nan")
    else:
        raise EstimationError(f"cov_type={cov_type!r}; use 'unadjusted' or 'robust'")
    full_resid = np.full(t_obs, np.nan)
    full_resid[keep] = resid
    r2, r2_adj = fit_r2(yk, resid, m, True)
    return UnitFit(
        names=all_names,
        params=params,
        cov=cov,
        zz=zz,
        nobs=n,
        long_run_variance=lr_var,
        lrc=lrc,
        resid=full_resid,
        r2=r2,
        r2_adj=r2_adj,
        extra={"leads": float(leads), "lags": float(lags)},
        n_coint=k + det.shape[1],
    )
