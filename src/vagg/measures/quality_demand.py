"""The KSW demand regression with absorbed fixed effects (paper 001 eq. 18), fast at 10⁷ rows.

Paper 001 eq. (18) (Khandelwal, Schott & Wei 2013, with the price instrument of 施炳展 &
邵文波 2014):

    ln q_hgft = −σ ln p_hgft + γ ln GDP_prov(g),t + α_h + α_ft + ε_hgft,

h = HS6 product, g = firm, f = destination, t = year, with ~5,000 product and ~3,000
destination × year effects on 10⁷ firm-product-destination-year cells. The residual ε̂ (all
fixed effects removed, evaluated at the *actual* ln p) is what the quality measure uses.
:func:`demand_regression` solves it by Frisch–Waugh–Lovell: every column is projected off the
fixed effects once with vagg's exact demeaner (:func:`vagg.estimate.linear.demean.demean`:
within-product means plus one dense solve for the destination × year effects, no iteration),
then OLS or 2SLS runs on the few demeaned columns, and ε̂ = ỹ − X̃β̂. This module is the one
place the measures import the demeaner.

Written here rather than calling an estimator: the measure needs the residual vector for 10⁷
rows and nothing of a full fit's inference; pyfixest's ``feols`` gives the same coefficients
and residuals (tests) but builds model matrices and iterates its demeaner, which costs more
time and memory at this size (``benchmarks/bench_quality.py``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from vagg.errors import VaggError
from vagg.estimate.diagnostics import Diagnostics

__all__ = ["DemandFit", "demand_regression", "fixed_effect_codes"]


@dataclass
class DemandFit:
    """Result of :func:`demand_regression`.

    Attributes
    ----------
    result : vagg.estimate.results.Result
        Coefficients by term with the classical (iid) covariance, ``nobs``, the absorbed
        fixed effects, ``df_resid`` = n − k − rank of the fixed-effect dummies, and for 2SLS the
        first-stage F of the excluded instruments in ``diagnostics["first_stage_f"]``.
    residuals : numpy.ndarray
        ε̂ in the row order of the input, every fixed effect removed, evaluated at the actual
        values of the endogenous regressor.
    absorbed_rank : int or None
        Rank of the fixed-effect dummy matrix (None when the iterative demeaner ran).
    timings : dict of str to float
        Seconds spent demeaning and solving.
    """

    result: Any
    residuals: np.ndarray
    absorbed_rank: int | None
    timings: dict[str, float] = field(default_factory=dict)


def _column(name: str, values: Any, n: int) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise VaggError(
            f"demand_regression: column '{name}' has shape {arr.shape}, expected ({n},)"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise VaggError(
            f"demand_regression: column '{name}' has {int(bad.sum())} missing or infinite "
            f"values (first at rows {rows})"
        )
    return arr


def _solve(a: np.ndarray, b: np.ndarray, what: str) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise VaggError(
            f"demand_regression: {what} is singular (a regressor is collinear with the fixed "
            "effects or with another regressor)"
        ) from None


def _first_stage(
    zt: np.ndarray, x_endog: np.ndarray, endog: list[str], instruments: list[str], n_free: int
) -> dict[str, Any]:
    """First-stage F of the excluded instruments for each endogenous regressor (iid errors):
    F = ((SSR_r − SSR_u)/q) / (SSR_u/(n − rank D − m)), restricted = exogenous regressors only.
    Rows of ``zt`` are [instruments, exog]; rows of ``x_endog`` the endogenous regressors."""
    from vagg.estimate.results import HypothesisTest

    n_excl = len(instruments)
    full = x_endog - _solve(zt @ zt.T, zt @ x_endog.T, "Z'Z").T @ zt
    w = zt[n_excl:]
    restr = x_endog - _solve(w @ w.T, w @ x_endog.T, "W'W").T @ w if len(w) else x_endog
    df2 = n_free - zt.shape[0]
    out: dict[str, Any] = {}
    for j, name in enumerate(endog):
        ssr_full = float(full[j] @ full[j])
        ssr_restr = float(restr[j] @ restr[j])
        out[f"first_stage_f[{name}]"] = HypothesisTest.f(
            f"first-stage F ({name})",
            ((ssr_restr - ssr_full) / n_excl) / (ssr_full / df2),
            n_excl,
            df2,
            null="excluded instruments irrelevant (iid errors)",
            terms=tuple(instruments),
        )
    if len(endog) == 1:
        out["first_stage_f"] = out[f"first_stage_f[{endog[0]}]"]
    return out


def demand_regression(
    y: Any,
    exog: dict[str, Any],
    fixed_effects: Sequence[Any],
    *,
    endog: dict[str, Any] | None = None,
    instruments: dict[str, Any] | None = None,
    fe_names: Sequence[str] = (),
    depvar: str = "y",
) -> DemandFit:
    """OLS or 2SLS of ``y`` on regressors with absorbed fixed effects, and its residuals.

    With D the fixed-effect dummies and M_D the projection off them, the estimator is 2SLS on
    the demeaned columns (OLS when there is no endogenous regressor):

        X̃ = M_D[endog, exog],  Z̃ = M_D[instruments, exog],  ỹ = M_D y
        β̂ = (X̃'P_Z X̃)⁻¹ X̃'P_Z ỹ,  P_Z = Z̃(Z̃'Z̃)⁻¹Z̃'
        ε̂ = ỹ − X̃β̂ = M_D(y − Xβ̂),  V̂ = s²(X̃'P_Z X̃)⁻¹,  s² = ε̂'ε̂ / (n − k − rank D).

    Paper 001 eq. (18): y = ln q, endog = ln p, instrument = the firm's mean ln p of the same
    product in its other destinations that year, exog = ln provincial real GDP, fixed effects =
    HS6 and destination × year. With σ imposed (KSW 2013), y = ln q + σ_h ln p and no endog.

    Parameters
    ----------
    y : array_like
        Dependent variable, length n.
    exog : dict of str to array_like
        Exogenous regressors by name (may be empty).
    fixed_effects : sequence of array_like
        One non-negative integer code array of length n per effect.
    endog : dict of str to array_like, optional
        Endogenous regressors by name.
    instruments : dict of str to array_like, optional
        Excluded instruments by name (at least as many as ``endog``).
    fe_names : sequence of str
        Names of the fixed effects, for the result.
    depvar : str
        Name of ``y``, for the result.

    Returns
    -------
    DemandFit
        The fit (a :class:`vagg.estimate.results.Result`) and the residual vector.

    Raises
    ------
    VaggError
        A column is missing values or has the wrong length, there are fewer instruments than
        endogenous regressors, or the moment matrix is singular.
    """
    from vagg.estimate.linear.demean import demean  # the one import of the demeaner
    from vagg.estimate.results import Result, SampleAccounting

    started = time.perf_counter()
    y_arr = np.asarray(y, dtype=float)
    n = y_arr.shape[0]
    y_arr = _column(depvar, y_arr, n)
    endog = dict(endog or {})
    instruments = dict(instruments or {})
    if len(instruments) < len(endog):
        raise VaggError(
            f"demand_regression: {len(endog)} endogenous regressor(s) {list(endog)} need at "
            f"least as many instruments; got {list(instruments)}"
        )
    names = [*endog, *exog]
    columns = [y_arr]
    columns += [_column(k, v, n) for k, v in endog.items()]
    columns += [_column(k, v, n) for k, v in exog.items()]
    columns += [_column(k, v, n) for k, v in instruments.items()]
    codes = [np.asarray(c) for c in fixed_effects]
    stacked = np.column_stack(columns)
    del columns
    demeaned = demean(stacked, codes)
    del stacked
    t_demean = time.perf_counter() - started
    rows = demeaned.values.T  # (columns, n), C-contiguous: each column is one row in memory
    k_endog, k = len(endog), len(names)
    yt = rows[0]
    xt = rows[1 : 1 + k]
    zt = np.concatenate([rows[1 + k :], rows[1 + k_endog : 1 + k]], axis=0)
    rank = demeaned.absorbed_rank
    if rank is None:
        rank = sum(len(np.unique(c)) for c in codes)
    df_resid = n - k - rank
    if df_resid <= 0:
        raise VaggError(
            f"demand_regression: no residual degrees of freedom (n = {n}, k = {k}, "
            f"fixed-effect rank = {rank})"
        )
    diagnostics: dict[str, Any] = {}
    if k_endog:
        zz = zt @ zt.T
        zx = zt @ xt.T
        zz_inv_zx = _solve(zz, zx, "Z'Z")
        xpx = zx.T @ zz_inv_zx
        beta = _solve(xpx, zz_inv_zx.T @ (zt @ yt), "X'P_Z X")
        diagnostics = _first_stage(zt, xt[:k_endog], list(endog), list(instruments), n - rank)
    elif k:
        xpx = xt @ xt.T
        beta = _solve(xpx, xt @ yt, "X'X")
    else:  # no regressor (σ imposed, no control): the residual is y off the fixed effects
        xpx, beta = np.zeros((0, 0)), np.zeros(0)
    residuals = yt - beta @ xt if k else yt.copy()
    s2 = float(residuals @ residuals) / df_resid
    vcov = s2 * np.linalg.inv(xpx) if k else xpx
    params = pd.Series(beta, index=names, dtype=float)
    result = Result(
        params=params,
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        nobs=n,
        model="iv" if k_endog else "ols",
        formula=f"{depvar} ~ {' + '.join(names)} | {' + '.join(fe_names)}"
        + (f" | {' + '.join(endog)} ~ {' + '.join(instruments)}" if k_endog else ""),
        depvar=depvar,
        vcov_type="iid",
        fixed_effects=tuple(fe_names),
        df_resid=float(df_resid),
        diagnostics=Diagnostics.of(diagnostics),
        sample=SampleAccounting(n_input=n, n_used=n),
    )
    return DemandFit(
        result=result,
        residuals=residuals,
        absorbed_rank=demeaned.absorbed_rank,
        timings={"demean": t_demean, "total": time.perf_counter() - started},
    )


def fixed_effect_codes(frame: pl.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Integer codes of the combinations of ``columns``, for :func:`demand_regression`.

    Mixed-radix codes (not necessarily contiguous; the demeaner compacts them); text is coded
    through a categorical cast, integers by their offset from the minimum.

    Parameters
    ----------
    frame : polars.DataFrame
        The data.
    columns : sequence of str
        Columns whose combinations define the fixed effect (e.g. ``["partner", "year"]``).

    Returns
    -------
    numpy.ndarray
        Int64 codes, one per row.
    """
    code = np.zeros(frame.height, dtype=np.int64)
    for column in columns:
        series = frame[column]
        if series.dtype.is_integer():
            coded = series.cast(pl.Int64) - series.min()
        else:
            coded = series.cast(pl.String).cast(pl.Categorical).to_physical().cast(pl.Int64)
        part = coded.to_numpy()
        code = code * (int(part.max()) + 1 if len(part) else 1) + part
    return code
