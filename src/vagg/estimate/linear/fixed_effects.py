"""Fixed-effects OLS (``feols``) with fixest formulas, Stata panel operators and exact demeaning.

``feols("y ~ x1 + L(x2) | firm + industry + year", data, panel=("firm", "year"))`` estimates

    y_it = x_it'β + α_firm + γ_industry + δ_year + ε_it

by the Frisch–Waugh–Lovell theorem (methods notes §11.2): ``y`` and ``X`` are demeaned by all
fixed effects (:mod:`vagg.estimate.linear.demean`; exact for one large and several small effects)
and
``β̂ = (X̃'WX̃)⁻¹X̃'Wỹ``. Standard errors follow :mod:`vagg.estimate.linear.sandwich`. The same
model can
be estimated by pyfixest (``backend="pyfixest"``) on the same sample; the tests check that both
give the same numbers, and that they equal linearmodels and Stata (xtreg) references.

Choices (and how they compare with Stata reghdfe and R fixest):

* **Default vcov**: clustered (CRV1) by the first fixed effect when there is one (fixest's
  default; pyfixest 0.60 defaults to iid), iid otherwise.
* **Default small-sample convention** ``ssc="stata"``: reghdfe's (see
  :mod:`vagg.estimate.linear.sandwich`: for CRV1, ``G/(G−1)·(N−1)/(N−K)`` with ``K`` the slopes plus
  the absorbed levels *not* nested in the cluster variable; for iid ``σ̂² = RSS/(N−K)`` with
  all absorbed levels counted). ``ssc="fixest"`` and ``ssc="linearmodels"`` give those
  packages' numbers, ``ssc="plm"`` R plm's documented within-model corrections; a
  ``pyfixest.ssc(...)`` dict is accepted too.
* **Singletons** (groups of one observation in any effect) are dropped, iteratively, before
  estimation, as reghdfe (≥ 5) and fixest do by default: they do not change β̂ but would
  inflate N and the degrees of freedom. ``drop_singletons=False`` keeps them (``xtreg, fe``).
* **Weights** are analytic weights (Stata ``aweight``, fixest/pyfixest ``weights=``): weighted
  least squares; N is the number of rows. Rows with zero weight are dropped and counted.
* **Collinear regressors** (no variation left after the fixed effects, or a combination of other
  regressors) are dropped with a warning, in formula order, and listed in
  ``result.diagnostics["collinear_dropped"]``.
* **Sample accounting**: ``result.sample.dropped`` counts rows by the first reason that applies:
  ``missing`` (a value of the row is missing in a used column: variables, fixed effects,
  clusters, weights), ``nonpositive_in_log`` (``log(x)`` with ``x ≤ 0``), ``missing_lag`` (a
  lag/lead/difference needs a period the unit does not have, or whose value is unusable),
  ``zero_weight``, then ``singleton_fe``. The rules live in :mod:`vagg.estimate.linear.sample`:
  :func:`estimation_sample` (the rows and arrays) and :func:`estimation_rows` (the rows and
  counts) give the sample of a model without fitting it, :func:`fit_sample` fits it.

References: Correia (2017) reghdfe; Bergé (2018) fixest; Cameron, Gelbach & Miller (2011);
Cameron & Miller (2015) on small-sample corrections.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas
from vagg.estimate.linear.assemble import make_result
from vagg.estimate.linear.demean import DemeanMethod, demean
from vagg.estimate.linear.formula import ParsedFormula, parse_formula
from vagg.estimate.linear.sample import (
    ZERO_WEIGHT,
    EstimationSample,
    VcovSpec,
    build_sample,
    estimation_rows,
    estimation_sample,
    parse_vcov,
)
from vagg.estimate.linear.sandwich import (
    SmallSample,
    absorbed_df,
    parse_ssc,
    sandwich_vcov,
    small_sample,
)
from vagg.estimate.linear.stepwise_formula import expand_stepwise
from vagg.estimate.results import NotAvailable, Result

#: A regressor whose partialled-out sum of squares is below this share of its raw sum of
#: squares is collinear with the fixed effects (reghdfe uses a similar relative test).
COLLINEAR_TOL = 1e-9

__all__ = [
    "COLLINEAR_TOL",
    "ZERO_WEIGHT",
    "EstimationSample",
    "drop_collinear",
    "estimation_rows",
    "estimation_sample",
    "feols",
    "feols_quietly",
    "fit_sample",
    "fit_statistics",
    "small_sample_summary",
]


def drop_collinear(
    x_raw: np.ndarray, x: np.ndarray, weights: np.ndarray | None, names: list[str], has_fe: bool
) -> tuple[list[int], dict[str, str]]:
    """Indices of the regressors to keep, and why the others were dropped (with a warning).

    Parameters
    ----------
    x_raw : numpy.ndarray
        The regressors before the fixed effects are partialled out (N × k).
    x : numpy.ndarray
        The same after partialling out (``x_raw`` itself without fixed effects).
    weights : numpy.ndarray or None
        Analytic weights.
    names : list of str
        Labels of the columns, for the warning and the reasons.
    has_fe : bool
        Whether fixed effects were partialled out.

    Returns
    -------
    tuple of (list of int, dict)
        Kept column indices, and the dropped labels with their reason. A column is dropped,
        in formula order, when its partialled sum of squares is at most :data:`COLLINEAR_TOL`
        of its raw one (no variation within the effects), or when its residual on the kept
        columns is at most that share of its own (collinear with them); ``feols`` and ``iv``
        both drop collinear exogenous regressors this way (reghdfe and fixest do too).
    """
    wx = x if weights is None else x * weights[:, None]
    gram = x.T @ wx
    raw = np.einsum("ij,ij->j", x_raw, x_raw if weights is None else x_raw * weights[:, None])
    dropped: dict[str, str] = {}
    keep: list[int] = []
    for j in range(x.shape[1]):
        if has_fe and gram[j, j] <= COLLINEAR_TOL * raw[j]:
            dropped[names[j]] = "collinear with the fixed effects (no variation left within them)"
            continue
        if keep:
            sub = gram[np.ix_(keep, keep)]
            b = gram[keep, j]
            resid = gram[j, j] - b @ np.linalg.solve(sub, b)
        else:
            resid = gram[j, j]
        if resid <= COLLINEAR_TOL * gram[j, j] or gram[j, j] == 0:
            dropped[names[j]] = "collinear with the other regressors"
            continue
        keep.append(j)
    if dropped:
        warnings.warn(
            "dropped collinear regressors: " + "; ".join(f"{k} ({v})" for k, v in dropped.items()),
            UserWarning,
            stacklevel=4,
        )
    return keep, dropped


def feols(
    formula: str,
    data: Any,
    *,
    vcov: str | Mapping[str, Any] | None = None,
    weights: str | None = None,
    panel: tuple[str, str] | None = None,
    ssc: str | Mapping[str, Any] | None = None,
    drop_singletons: bool = True,
    backend: Literal["vagg", "pyfixest"] = "vagg",
    demeaner: DemeanMethod = "auto",
) -> Result:
    """Fixed-effects OLS: ``feols("y ~ x1 + x2 | fe1 + fe2", data)``.

    The model ``y = Xβ + Σ_j D_j α_j + ε`` is estimated by demeaning ``y`` and ``X`` by all
    fixed effects and running (weighted) OLS on the residuals (Frisch–Waugh–Lovell; methods
    notes §11.2), as reghdfe and fixest do.

    Parameters
    ----------
    formula:
        fixest syntax: ``y ~ x1 + x2 | fe1 + fe2^fe3``; regressors may be ``log(x)``,
        ``L(x)``, ``L(x, k)``, ``F(x)``, ``D(x)`` and products ``a:b``
        (:mod:`vagg.estimate.linear.formula`). Without fixed effects an intercept is included
        unless the formula says ``- 1``.
    data:
        pandas or polars DataFrame.
    vcov:
        ``"iid"``, ``"hetero"`` (HC1), ``{"CRV1": "a"}`` or ``{"CRV1": "a+b"}`` (two-way).
        Default: CRV1 by the first fixed effect if there is one, else iid.
    weights:
        Column of analytic weights (WLS); rows with weight 0 are dropped, negative is an error.
    panel:
        ``(unit, time)`` columns for ``L``/``F``/``D`` (Stata semantics: the lag is the value at
        ``t − k`` of the same unit, missing when that period is absent).
    ssc:
        Small-sample convention: ``"stata"`` (default, reghdfe), ``"fixest"``,
        ``"linearmodels"``, ``"plm"``, or a ``pyfixest.ssc(...)`` dict
        (:mod:`vagg.estimate.linear.sandwich`).
    drop_singletons:
        Drop observations alone in a level of a fixed effect (iteratively); default True.
    backend:
        ``"vagg"`` (exact/iterative demeaner and sandwich estimators here) or ``"pyfixest"``
        (the same sample estimated by ``pyfixest.feols``).
    demeaner:
        ``"auto"``, ``"exact"``, ``"alternating"`` or ``"within"``
        (:func:`vagg.estimate.linear.demean.demean`).

    Returns
    -------
    Result
        ``params``, ``vcov``, ``nobs``, ``r2``, ``adj_r2``, ``r2_within`` (n/a without fixed
        effects), ``fixed_effects``, ``vcov_type``, ``clusters``, ``n_clusters``,
        ``df_resid`` (clustered: min G − 1), ``sample`` (rows dropped by reason) and
        ``diagnostics`` (``collinear_dropped``, ``small_sample``, ``demeaner``, ...).

    Raises
    ------
    EstimationError
        Unknown column (with close matches), non-numeric or all-missing variable, malformed
        formula, lags without ``panel``, duplicate (unit, time) keys, empty sample (after
        missing values or singletons), every regressor collinear with the fixed effects.
    """
    started = time.perf_counter()
    if expand_stepwise(formula) is not None:
        raise EstimationError(
            f"formula {formula!r} is stepwise (one model per step); fit it with "
            f"vagg.stepwise(formula, data, model='feols', ...)"
        )
    frame = as_pandas(data)
    spec = parse_formula(formula)
    if spec.endog:
        raise EstimationError(
            f"formula {formula!r} has an instrumental-variables part "
            "('endogenous ~ instruments'); estimate it with vagg.iv"
        )
    vc = parse_vcov(vcov, spec)
    ssc_opts = parse_ssc(ssc)
    if backend not in ("vagg", "pyfixest"):
        raise EstimationError(f"backend={backend!r}; use 'vagg' or 'pyfixest'")
    sample = build_sample(frame, spec, vc, weights, panel, drop_singletons)
    if backend == "pyfixest":
        from vagg.estimate.linear.pyfixest_backend import fit_with_pyfixest

        result = fit_with_pyfixest(spec, vc, ssc_opts, sample)
    else:
        result = _fit(spec, vc, ssc_opts, sample, demeaner)
    result.diagnostics.seconds = time.perf_counter() - started
    return result


def feols_quietly(formula: str, data: Any, **kwargs: Any) -> Result:
    """:func:`feols` without the "dropped collinear regressors" warning, for estimators that
    check the terms they need themselves (the dropped ones stay listed in
    ``result.diagnostics["collinear_dropped"]``); other warnings pass through."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="dropped collinear regressors")
        return feols(formula, data, **kwargs)


def fit_sample(
    sample: EstimationSample,
    *,
    ssc: str | Mapping[str, Any] | None = None,
    demeaner: DemeanMethod = "auto",
) -> Result:
    """:func:`feols` on a sample from :func:`estimation_sample` (the same Result, without
    building the sample again); ``ssc`` and ``demeaner`` as in :func:`feols`."""
    return _fit(sample.spec, sample.vcov, parse_ssc(ssc), sample, demeaner)


def _fit(
    spec: ParsedFormula,
    vc: VcovSpec,
    ssc: str | dict[str, Any],
    s: EstimationSample,
    demeaner: DemeanMethod,
) -> Result:
    n = len(s.y)
    has_fe = bool(s.effects)
    diagnostics: dict[str, Any] = {"backend": "vagg"}
    yx = np.column_stack([s.y, s.x])
    if has_fe:
        dm = demean(yx, [e.codes for e in s.effects], s.weights, method=demeaner)
        if not dm.converged:
            warnings.warn("the iterative demeaner did not converge", RuntimeWarning, stacklevel=3)
        yx_t = dm.values
        diagnostics.update(demeaner=dm.method, demean_seconds=dm.seconds)
        if dm.absorbed_rank is not None:
            diagnostics["absorbed_rank_exact"] = dm.absorbed_rank
    else:
        yx_t = yx
    y_t, x_t = yx_t[:, 0], yx_t[:, 1:]
    keep, dropped = drop_collinear(s.x, x_t, s.weights, s.names, has_fe)
    if not keep and s.names:
        raise EstimationError(
            f"every regressor of {spec.text!r} is collinear with the fixed effects or the other "
            f"regressors ({dropped}); nothing to estimate"
        )
    diagnostics["collinear_dropped"] = list(dropped)
    diagnostics["collinear_reasons"] = dropped
    names = [s.names[j] for j in keep]
    x_t = x_t[:, keep]
    k = len(keep)
    if k == 0:  # y ~ 1 | fe: the fixed effects alone (the first step of csw0)
        beta, resid, bread = np.empty(0), y_t, np.empty((0, 0))
    else:
        wx = x_t if s.weights is None else x_t * s.weights[:, None]
        factor = cho_factor(x_t.T @ wx)
        beta = cho_solve(factor, wx.T @ y_t)
        resid = y_t - x_t @ beta
        beta = beta + cho_solve(factor, wx.T @ resid)  # one step of iterative refinement
        resid = y_t - x_t @ beta
        bread = cho_solve(factor, np.eye(k))

    small = small_sample(ssc, vc.kind, n, k, s.effects, s.clusters)
    vcov = sandwich_vcov(x_t, resid, s.weights, bread, vc.kind, s.clusters, small)

    rss, r2, adj, r2_within = fit_statistics(s, y_t, resid, k, absorbed_df(ssc, k, s.effects))
    diagnostics["small_sample"] = small_sample_summary(small)
    diagnostics["rss"] = rss
    return make_result(spec, vc, s, names, beta, vcov, small, r2, adj, r2_within, diagnostics)


def fit_statistics(
    s: EstimationSample, y_t: np.ndarray, resid: np.ndarray, k: int, absorbed: int
) -> tuple[float, float | NotAvailable, float | NotAvailable, float | NotAvailable]:
    """``(RSS, R², adjusted R², within R²)`` of a fit on the sample ``s``.

    ``R² = 1 − RSS/TSS`` with TSS about the (weighted) mean when the model has an intercept or
    fixed effects; adjusted ``1 − (1 − R²)(N − c)/(N − k − absorbed)`` (reghdfe ``r2_a``,
    fixest; ``c`` = 1 with an intercept); within ``1 − RSS/Σ wᵢỹᵢ²`` on the demeaned ``ỹ``
    (``y_t``). ``resid`` are the unweighted residuals ``ỹ − X̃β̂``; ``k`` the coefficients.
    """
    n = len(s.y)
    has_fe = bool(s.effects)
    w = np.ones(n) if s.weights is None else s.weights
    rss = float(np.sum(w * resid**2))
    has_intercept = has_fe or s.spec.intercept
    ybar = float(np.sum(w * s.y) / np.sum(w)) if has_intercept else 0.0
    tss = float(np.sum(w * (s.y - ybar) ** 2))
    r2: float | NotAvailable = (
        1 - rss / tss if tss > 0 else NotAvailable("the dependent variable is constant")
    )
    adj: float | NotAvailable = NotAvailable("no degrees of freedom")
    if isinstance(r2, float) and n - k - absorbed > 0:
        adj = 1 - (1 - r2) * (n - int(has_intercept)) / (n - k - absorbed)
    r2_within: float | NotAvailable = NotAvailable("no fixed effects")
    if has_fe:
        tss_w = float(np.sum(w * y_t**2))
        r2_within = 1 - rss / tss_w if tss_w > 0 else NotAvailable("y is absorbed by the effects")
    return rss, r2, adj, r2_within


def small_sample_summary(small: SmallSample) -> dict[str, Any]:
    """The ``diagnostics["small_sample"]`` entry: convention, K, absorbed df, scales, details."""
    return {
        "convention": small.convention,
        "K": small.k_total,
        "absorbed_df": small.absorbed_df,
        "scales": small.scales,
        **small.details,
    }
