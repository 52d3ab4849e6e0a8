"""Two-stage least squares with absorbed fixed effects and weak-identification diagnostics.

``iv("y ~ x1 + x2 | fe1 + fe2 | d ~ z1 + z2", data, vcov={"CRV1": "firm"})`` estimates

    y = d'β + x'γ + FE + u,   d instrumented by z (excluded) and x (included),

by 2SLS (Theil 1953): with X = [x, d] and Z = [x, z] after absorbing the fixed effects,
``b = (X'P_Z X)⁻¹X'P_Z y`` (weighted: ``P_Z = Z(Z'WZ)⁻¹Z'W``). The grammar is fixest's and
pyfixest's; the fixed-effect part is optional (``y ~ x | d ~ z``), and terms may use ``log``,
``L``, ``F``, ``D`` and products as in :func:`~vagg.estimate.linear.fixed_effects.feols`.

``iv`` is ``feols`` with a second stage: the same formula parser
(:mod:`vagg.estimate.linear.formula`), sample builder (:mod:`vagg.estimate.linear.sample`:
missing values, logs, lags, zero weights and singletons dropped and counted), demeaner
(:mod:`vagg.estimate.linear.demean`), collinear-control rule
(:func:`~vagg.estimate.linear.fixed_effects.drop_collinear`) and covariance code
(:mod:`vagg.estimate.linear.sandwich`, the sandwich with ``X̂ = P_Z X`` in place of ``X``), so
``vcov=``, ``ssc=``, ``panel=`` and the defaults mean the same in both:

* **default vcov**: CRV1 by the first fixed effect when there is one (fixest), iid otherwise;
* **default ssc** ``"stata"``: ivreghdfe's (Baum, Schaffer & Stillman 2007; Correia 2016),
  which is reghdfe's count of absorbed levels except that the constant is counted whenever a
  fixed effect is nested in a cluster variable (``absorb_ct``). Then with K coefficients and
  ``df_a`` absorbed levels: iid ``s² = e'We/(N − K − df_a)``; HC1 ``N/(N − K − df_a)``; CRV1
  ``G/(G − 1)·(N − 1)/(N − K − df_a)`` (two-way: the smaller G); t-tests with
  ``N − K − df_a`` or ``G − 1`` degrees of freedom. Without fixed effects these are
  linearmodels' ``IV2SLS(...).fit(debiased=True)``;
* **collinear exogenous regressors** are dropped with a warning; collinear or absorbed
  instruments and endogenous regressors raise, naming them.

The weak-identification statistics (:mod:`vagg.estimate.linear.weak_iv`) are computed on the
weighted arrays with the exogenous part partialled out and take their cluster scores from
:func:`vagg.estimate.linear.sandwich.score_meat`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg
from scipy.linalg import cho_factor, cho_solve

from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas
from vagg.estimate.linear import weak_iv
from vagg.estimate.linear.assemble import make_result
from vagg.estimate.linear.demean import DemeanMethod, demean
from vagg.estimate.linear.fixed_effects import (
    drop_collinear,
    fit_statistics,
    small_sample_summary,
)
from vagg.estimate.linear.formula import parse_formula
from vagg.estimate.linear.sample import EstimationSample, build_sample, parse_vcov
from vagg.estimate.linear.sandwich import absorbed_df, parse_ssc, sandwich_vcov, small_sample
from vagg.estimate.linear.stepwise_formula import expand_stepwise
from vagg.estimate.results import HypothesisTest, NotAvailable, Result

__all__ = ["FirstStage", "FirstStages", "iv"]

_RANK_TOL = 1e-9


@dataclass(frozen=True)
class FirstStage:
    """First-stage summary of one endogenous regressor: instrument coefficients, F, partial R²."""

    endog: str
    coefficients: pd.DataFrame = field(repr=False)
    f: HypothesisTest
    partial_r2: float
    sw_f: HypothesisTest | NotAvailable

    def __str__(self) -> str:
        return f"{self.endog}: {self.f}; partial R2 = {self.partial_r2:.4f}; {self.sw_f}"


class FirstStages(dict[str, FirstStage]):
    """First-stage summaries keyed by endogenous regressor; prints one line per regressor."""

    def __str__(self) -> str:
        return "; ".join(str(v) for v in self.values())


def iv(
    formula: str,
    data: Any,
    *,
    vcov: str | Mapping[str, Any] | None = None,
    weights: str | None = None,
    panel: tuple[str, str] | None = None,
    ssc: str | Mapping[str, Any] | None = None,
    drop_singletons: bool = True,
    demeaner: DemeanMethod = "auto",
) -> Result:
    """Two-stage least squares with absorbed fixed effects and weak-IV diagnostics.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 | fe1 + fe2^fe3 | d1 + d2 ~ z1 + z2 + z3"`` (the fixed-effect part is
        optional; ``0`` or ``- 1`` among the exogenous terms drops the constant of a model
        without fixed effects). Terms as in :func:`~vagg.estimate.linear.fixed_effects.feols`.
    data : pandas.DataFrame or polars.DataFrame
        The table.
    vcov : str, dict or None
        ``"iid"``, ``"hetero"`` (HC1), ``{"CRV1": "g"}`` or ``{"CRV1": "g1+g2"}``. Default:
        CRV1 by the first fixed effect if there is one, else iid (as ``feols``).
    weights : str or None
        Column of analytic weights; rows with weight 0 are dropped, negative is an error.
    panel : tuple of (str, str) or None
        ``(unit, time)`` for ``L``/``F``/``D`` terms.
    ssc : str, dict or None
        Small-sample convention (:mod:`vagg.estimate.linear.sandwich`); default ``"stata"``
        (ivreghdfe).
    drop_singletons : bool
        Drop observations alone in a level of a fixed effect (reghdfe default True).
    demeaner : str
        ``"auto"``, ``"exact"``, ``"alternating"`` or ``"within"``.

    Returns
    -------
    Result
        ``model="iv"``. ``diagnostics`` holds ``first_stage`` (per endogenous regressor:
        instrument coefficients, first-stage F, partial R², Sanderson–Windmeijer F),
        ``kp_rk_lm`` (Kleibergen–Paap rk LM under the chosen vcov; Anderson's LM under iid),
        ``kp_rk_wald`` and ``kp_rk_wald_f``, ``cragg_donald_f``, ``stock_yogo`` (Stock & Yogo
        2005 critical values where tabulated) and ``anderson_rubin`` (H0: all endogenous
        coefficients zero), as ivreg2/ivreghdfe compute them, plus ``collinear_dropped`` and
        ``small_sample`` as in ``feols``. ``extra["first_stage"]`` maps each endogenous
        regressor to the Result of its first-stage regression; ``extra["df_absorbed"]`` and
        ``extra["n_partialled"]`` are the absorbed levels and partialled parameters.

    Raises
    ------
    EstimationError
        What ``feols`` raises (unknown or non-numeric columns, malformed formula or vcov, an
        empty sample, ...), a formula without an IV part, fewer instruments than endogenous
        regressors, an instrument or endogenous regressor without variation (or none left after
        absorbing fixed effects and partialling out the exogenous regressors), collinear
        instruments or endogenous regressors (named).

    References
    ----------
    Theil (1953); Baum, Schaffer & Stillman (2007) *Stata Journal* 7(4); Correia (2016)
    reghdfe/ivreghdfe; Kleibergen & Paap (2006); Stock & Yogo (2005).
    """
    started = time.perf_counter()
    if expand_stepwise(formula) is not None:
        raise EstimationError(
            f"formula {formula!r} is stepwise (one model per step); fit it with "
            f"vagg.stepwise(formula, data, model='iv', ...)"
        )
    frame = as_pandas(data)
    spec = parse_formula(formula)
    if not spec.endog:
        raise EstimationError(
            f"formula {formula!r}: expected 'y ~ exog | endog ~ instruments' or "
            "'y ~ exog | fe | endog ~ instruments'"
        )
    vc = parse_vcov(vcov, spec)
    ssc_opts = parse_ssc(ssc)
    sample = build_sample(frame, spec, vc, weights, panel, drop_singletons)
    result = _fit(sample, ssc_opts, demeaner)
    result.diagnostics.seconds = time.perf_counter() - started
    return result


@dataclass
class _Design:
    """The demeaned arrays of one IV fit, and the same weighted with the exogenous part
    partialled out (the inputs of :mod:`vagg.estimate.linear.weak_iv`)."""

    y: np.ndarray
    x: np.ndarray
    z: np.ndarray
    names: list[str]
    instrument_names: list[str]
    n_exog: int
    weights: np.ndarray | None
    root_w: np.ndarray
    y_p: np.ndarray = field(repr=False)
    endog_p: np.ndarray = field(repr=False)
    instr_p: np.ndarray = field(repr=False)
    collinear: dict[str, str] = field(default_factory=dict)


def _design(s: EstimationSample, demeaner: DemeanMethod) -> _Design:
    """Absorb the fixed effects, drop collinear exogenous regressors, partial out the rest,
    and check that every instrument and endogenous regressor keeps variation."""
    assert s.instruments is not None
    n, n_x = s.x.shape
    n_exog = n_x - s.n_endog
    w = None if s.weights is None else s.weights / s.weights.mean()
    root_w = np.ones(n) if w is None else np.sqrt(w)
    raw = np.column_stack([s.y, s.x, s.instruments])
    if s.effects:
        dm = demean(raw, [e.codes for e in s.effects], w, method=demeaner, tol=1e-12)
        if not dm.converged:
            raise EstimationError(
                f"fixed effects {list(s.spec.fe_labels)}: demeaning did not converge"
            )
        arrays = dm.values
        removed = "absorbing the fixed effects"
    else:
        arrays = raw
        removed = "removing the constant" if s.spec.intercept else ""
    y_t, x_t, z_t = arrays[:, 0], arrays[:, 1 : 1 + n_x], arrays[:, 1 + n_x :]
    keep, collinear = drop_collinear(
        s.x[:, :n_exog], x_t[:, :n_exog], w, s.names[:n_exog], bool(s.effects)
    )
    exog = x_t[:, keep]
    exog_w = exog * root_w[:, None]
    d = _Design(
        y=y_t,
        x=np.column_stack([exog, x_t[:, n_exog:]]),
        z=np.column_stack([exog, z_t]),
        names=[s.names[j] for j in keep] + s.names[n_exog:],
        instrument_names=list(s.instrument_names),
        n_exog=len(keep),
        weights=w,
        root_w=root_w,
        y_p=_residualize((y_t * root_w)[:, None], exog_w),
        endog_p=_residualize(x_t[:, n_exog:] * root_w[:, None], exog_w),
        instr_p=_residualize(z_t * root_w[:, None], exog_w),
        collinear=collinear,
    )
    removed = " and ".join(filter(None, [removed, "partialling out the exogenous regressors"]))
    for role, names, raw_cols, arr in (
        ("instrument", s.instrument_names, s.instruments, d.instr_p),
        ("endogenous regressor", s.names[n_exog:], s.x[:, n_exog:], d.endog_p),
    ):
        _check_columns(raw_cols, arr, names, role, removed)
    return d


def _fit(s: EstimationSample, ssc: str | dict[str, Any], demeaner: DemeanMethod) -> Result:
    d = _design(s, demeaner)
    n = len(s.y)
    rw = d.root_w[:, None]
    xw, zw = d.x * rw, d.z * rw
    xhat_w = zw @ _least_squares(zw, xw)
    beta = _least_squares(xhat_w, d.y * d.root_w)
    resid = d.y - d.x @ beta
    k = len(d.names)
    small = small_sample(ssc, s.vcov.kind, n, k, s.effects, s.clusters, constant_if_nested=True)
    bread = np.linalg.inv(xhat_w.T @ xhat_w)
    vcov = sandwich_vcov(xhat_w / rw, resid, d.weights, bread, s.vcov.kind, s.clusters, small)
    df_a = small.absorbed_df + int(small.details.get("nested_adj", 0))
    n_partialled = d.n_exog + df_a
    first = {name: _first_stage(s, d, ssc, j, name) for j, name in enumerate(d.names[d.n_exog :])}
    diagnostics: dict[str, Any] = {
        **_weak_iv_diagnostics(s, d, n_partialled, first),
        "backend": "vagg",
        "collinear_dropped": list(d.collinear),
        "collinear_reasons": d.collinear,
    }
    rss, r2, adj, r2_within = fit_statistics(s, d.y, resid, k, absorbed_df(ssc, k, s.effects))
    diagnostics["small_sample"] = small_sample_summary(small)
    diagnostics["rss"] = rss
    return make_result(
        s.spec,
        s.vcov,
        s,
        d.names,
        beta,
        vcov,
        small,
        r2,
        adj,
        r2_within,
        diagnostics,
        model="iv",
        extra={"first_stage": first, "df_absorbed": df_a, "n_partialled": n_partialled},
    )


def _weak_iv_diagnostics(
    s: EstimationSample, d: _Design, n_partialled: int, first_results: dict[str, Result]
) -> dict[str, Any]:
    """Weak-identification statistics of :mod:`vagg.estimate.linear.weak_iv` on the partialled
    arrays, under the model's vcov."""
    kinds: dict[str, weak_iv.VcovKind] = {"iid": "iid", "hetero": "robust", "CRV1": "cluster"}
    clusters = np.column_stack([c.codes for c in s.clusters]) if s.clusters else None
    kw: dict[str, Any] = {
        "n_partialled": n_partialled,
        "vcov": kinds[s.vcov.kind],
        "clusters": clusters,
    }
    first = weak_iv.first_stage_f(d.endog_p, d.instr_p, **kw)
    kp = weak_iv.kleibergen_paap_rk(d.endog_p, d.instr_p, **kw)
    summaries = FirstStages()
    for j, name in enumerate(d.names[d.n_exog :]):
        table = first_results[name].tidy().set_index("term").loc[d.instrument_names]
        summaries[name] = FirstStage(name, table, first[j].f, first[j].partial_r2, first[j].sw_f)
    return {
        "first_stage": summaries,
        "kp_rk_lm": kp.lm,
        "kp_rk_wald": kp.wald,
        "kp_rk_wald_f": kp.wald_f,
        "cragg_donald_f": weak_iv.cragg_donald_f(d.endog_p, d.instr_p, n_partialled=n_partialled),
        "stock_yogo": weak_iv.stock_yogo_critical_values(
            d.x.shape[1] - d.n_exog, d.z.shape[1] - d.n_exog
        ),
        "anderson_rubin": weak_iv.anderson_rubin(d.y_p, d.endog_p, d.instr_p, **kw),
    }


def _first_stage(
    s: EstimationSample, d: _Design, ssc: str | dict[str, Any], j: int, name: str
) -> Result:
    """OLS of one endogenous regressor on all instruments, with the model's vcov conventions."""
    rw = d.root_w[:, None]
    zw = d.z * rw
    target = d.x[:, d.n_exog + j]
    coef = _least_squares(zw, target * d.root_w)
    resid = target - d.z @ coef
    k = d.z.shape[1]
    small = small_sample(
        ssc, s.vcov.kind, len(s.y), k, s.effects, s.clusters, constant_if_nested=True
    )
    bread = np.linalg.inv(zw.T @ zw)
    vcov = sandwich_vcov(d.z, resid, d.weights, bread, s.vcov.kind, s.clusters, small)
    names = d.names[: d.n_exog] + d.instrument_names
    rhs = " + ".join([*(t.label for t in s.spec.regressors), *d.instrument_names])
    fe_part = f" | {' + '.join(s.spec.fe_labels)}" if s.effects else ""
    na = NotAvailable("not computed for a first stage")
    return make_result(
        s.spec,
        s.vcov,
        s,
        names,
        coef,
        vcov,
        small,
        na,
        na,
        na,
        {},
        model="first_stage",
        formula=f"{name} ~ {rhs}{fe_part}",
        depvar=name,
    )


# -- checks of instruments and endogenous regressors ----------------------------------------


def _dependent_columns(a: np.ndarray) -> list[int]:
    """Indices of columns that are (numerically) linear combinations of earlier columns."""
    if a.shape[1] == 0:
        return []
    scale = np.linalg.norm(a, axis=0)
    scale[scale == 0] = 1
    _, r, perm = linalg.qr(a / scale, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > _RANK_TOL * max(diag.max(), 1e-300)).sum()) if diag.size else 0
    return sorted(perm[rank:].tolist())


def _residualize(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    if x.shape[1] == 0:
        return a
    return a - x @ _least_squares(x, a)


def _least_squares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """argmin_c ‖a c − b‖ from the Cholesky factor of a′a with one step of iterative
    refinement (as :mod:`fixed_effects` solves OLS). The columns of ``a`` are of full rank here
    (collinear regressors were dropped, instruments checked), and on the normal equations this
    is several times faster than the SVD of the tall ``a`` that ``lstsq`` computes; should
    a′a still not be positive definite, ``lstsq`` decides."""
    try:
        factor = cho_factor(a.T @ a)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]
    coef = cho_solve(factor, a.T @ b)
    return coef + cho_solve(factor, a.T @ (b - a @ coef))


def _check_columns(
    raw: np.ndarray,
    partialled: np.ndarray,
    names: list[str],
    role: str,
    absorbed: str,
    require_variation: bool = True,
) -> None:
    """Raise when a column has no variation, or none left after partialling, or is collinear."""
    spread = np.ptp(raw, axis=0)
    for j, name in enumerate(names):
        if not require_variation:
            break
        if spread[j] == 0:
            raise EstimationError(f"{role} {name!r} has no variation in the estimation sample")
        if np.linalg.norm(partialled[:, j]) <= 1e-8 * np.linalg.norm(raw[:, j] - raw[:, j].mean()):
            raise EstimationError(f"{role} {name!r} has no variation left after {absorbed}")
    dependent = _dependent_columns(partialled)
    if dependent:
        after = f" after {absorbed}" if absorbed else ""
        raise EstimationError(
            f"{role}s {[names[j] for j in dependent]} are collinear with the other {role}s"
            f"{after}; drop them"
        )
