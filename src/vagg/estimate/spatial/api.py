"""``vagg.spatial``: maximum likelihood for SAR, SEM, SAC, SDM and SDEM, in cross-sections and
fixed-effects panels, with paper 004's interaction model as a second spatial-lag term.

Why written here: spreg (PySAL) has cross-section ML SAR/SEM/SDM/SDEM and one-way FE panel
SAR/SEM, but no ML SAC, no two-way effects in the installed version, no Lee–Yu correction,
no standard errors for the effects and nothing like the interaction model of paper 004; the
Stata (xsmle, spxtregress) and R (splm, spatialreg) implementations the papers use are not
available in Python (methods note ``python_ecosystem.md`` §1, §3.9–3.10). The estimates are
checked against spreg where it has the model and against Stata's ``spregress, ml`` on
Anselin's Columbus data otherwise (tests, ``tests/reference/``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from vagg.estimate.diagnostics import Diagnostics
from vagg.weights import SpatialWeights

from ..errors import EstimationError
from ..results import HypothesisTest, SampleAccounting
from .design import Design, Effects, build_design, project
from .information import expected_information, invert, observed_information
from .likelihood import MODELS, Fit, Likelihood
from .logdet import LogDetMethod
from .results import SpatialResult, pseudo_r2

__all__ = ["spatial"]

Model = Literal["sar", "sem", "sac", "sdm", "sdem"]


def spatial(
    formula: str,
    data: Any,
    w: SpatialWeights,
    *,
    model: Model = "sar",
    panel: tuple[str, str] | None = None,
    effects: Effects = None,
    unit: str | None = None,
    lee_yu: bool = False,
    interaction: str | None = None,
    slx: Sequence[str] | None = None,
    w_error: SpatialWeights | None = None,
    vcov: Literal["eim", "oim"] = "eim",
    logdet: LogDetMethod = "auto",
    bounds: Mapping[str, tuple[float, float]] | None = None,
    start: Mapping[str, float] | None = None,
    allow_islands: bool = False,
    require_row_standardized: bool = False,
    effect_draws: int = 1000,
    seed: int | None = 0,
) -> SpatialResult:
    """Maximum-likelihood spatial regression: SAR, SEM, SAC, SDM, SDEM and the interaction model.

    Models (𝒲 = I_T ⊗ W; μ the fixed effects; methods note ``regional_and_estimators.md`` §4):

    * ``"sar"``  y = ρ𝒲y + Xβ + μ + ε
    * ``"sem"``  y = Xβ + μ + u,  u = λ𝒲u + ε
    * ``"sac"``  y = ρ𝒲y + Xβ + μ + u,  u = λℳu + ε  (ℳ = ``w_error`` or W; SARAR)
    * ``"sdm"``  y = ρ𝒲y + Xβ + 𝒲Xθ + μ + ε
    * ``"sdem"`` y = Xβ + 𝒲Xθ + μ + u,  u = λ𝒲u + ε

    and, with ``interaction="INTER"`` (models with ρ), paper 004's eq. (25):
    y_t = ρWy_t + ρ′·Z_tWy_t + X_tβ + … with Z_t = diag(INTER_t), the same likelihood with a
    second spatial-lag term whose Jacobian Σ_t ln|I − ρW − ρ′Z_tW| changes every period.

    ε ~ N(0, σ²I). β and σ² are concentrated out and the likelihood is maximised over the
    spatial parameters (:mod:`.likelihood`); the variances come from the analytic information
    matrix (:mod:`.information`).

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"``: plain columns of ``data`` (an intercept is added in cross-sections
        and pooled panels unless ``- 1``; fixed effects go in ``effects=``).
    data : DataFrame
        pandas or polars; a cross-section (one row per unit) or a balanced panel (one row per
        unit and period). Missing values are an error (a spatial model cannot drop units).
    w : SpatialWeights
        The weight matrix (:mod:`vagg.weights`). It is aligned to the data by id: the data
        must hold exactly W's units, else the error names the ids that differ.
    model : {"sar", "sem", "sac", "sdm", "sdem"}
        The model.
    panel : (unit, time), optional
        Column names of a panel; ``None`` for a cross-section.
    effects : {None, "individual", "time", "twoways"}
        Fixed effects of a panel (``None``: pooled, with an intercept).
    unit : str, optional
        Column of unit ids of a cross-section (default: the index of ``data``).
    lee_yu : bool
        Lee & Yu's (2010) bias correction for fixed-effects panels (transformation approach):
        with individual effects only σ² is rescaled by T/(T − 1); with time effects ρ, β and σ²
        change (W must be row-standardised). Default off, as in spreg, xsmle and splm.
    interaction : str, optional
        Column INTER of paper 004's interaction model (models "sar", "sdm", "sac").
    slx : sequence of str, optional
        Regressors whose spatial lags W·x enter an SDM/SDEM (default: all, except the
        intercept).
    w_error : SpatialWeights, optional
        A second matrix ℳ for the error process of SAC/SEM/SDEM (default: ``w``).
    vcov : {"eim", "oim"}
        Analytic expected information (default; spreg, spatialreg) or the observed information
        by numerical differentiation (Stata ``spregress, ml``).
    logdet : {"auto", "eigen", "lu"}
        ln|I − ρW| by eigenvalues (exact; default up to 2,000 units) or sparse LU.
    bounds : mapping, optional
        Search intervals, e.g. ``{"rho": (-0.9, 0.99)}``; each must lie in the stable range.
    start : mapping, optional
        Starting values of the spatial parameters (two- and three-parameter models).
    allow_islands : bool
        Accept units without neighbours (refused by default, naming them).
    require_row_standardized : bool
        Refuse a W whose rows do not sum to one.
    effect_draws, seed : int
        Simulation draws and seed for the standard errors of the effects (``result.effects``).

    Returns
    -------
    SpatialResult
        ``params`` (β, W_x, rho, rho:INTER, lambda), ``vcov``, ``loglik``, ``sigma2``, ``aic``,
        ``diagnostics`` (LR tests against OLS, σ² and its SE, the stable interval, convergence),
        ``effects`` (direct/indirect/total).

    Raises
    ------
    EstimationError
        Unbalanced panels, duplicated (unit, time) rows, missing values, W not aligned with the
        data (the ids are named), islands, non-square or not row-standardised W when
        required, bounds outside the stable range, collinear regressors.

    References
    ----------
    Anselin (1988) *Spatial Econometrics*; Elhorst (2014) *Spatial Econometrics*, ch. 3;
    LeSage & Pace (2009) *Introduction to Spatial Econometrics*; Lee & Yu (2010),
    J. Econometrics 154: 165–185; paper 004 eq. (24)–(25), (27).

    Examples
    --------
    >>> import vagg.weights as vw
    >>> w = vw.queen_provinces()                                   # doctest: +SKIP
    >>> res = vagg.spatial("met ~ urban + gov + lab + open", panel_df, w, model="sac",
    ...                    panel=("province", "year"), effects="twoways")  # doctest: +SKIP
    >>> res.effects.tidy()                                          # doctest: +SKIP
    """
    if model not in MODELS:
        raise EstimationError(f"spatial: model must be one of {sorted(MODELS)}; got {model!r}")
    has_lag, has_error, _ = MODELS[model]
    if interaction is not None and not has_lag:
        raise EstimationError(
            f"spatial: interaction= needs a spatial lag of y (model 'sar', 'sdm' or 'sac'); "
            f"got model={model!r}"
        )
    if w_error is not None and not has_error:
        raise EstimationError(f"spatial: w_error= applies to error models, not {model!r}")
    if vcov not in ("eim", "oim"):
        raise EstimationError(f"spatial: vcov must be 'eim' or 'oim'; got {vcov!r}")
    design = build_design(
        formula,
        data,
        w,
        panel=panel,
        unit=unit,
        effects=effects,
        model=model,
        slx=slx,
        interaction=interaction,
        w_error=w_error,
        allow_islands=allow_islands,
        require_row_standardized=require_row_standardized,
    )
    lik = Likelihood(design, model, lee_yu=lee_yu, logdet=logdet, bounds=bounds)
    fit = lik.maximize(start)
    info = expected_information(lik, fit) if vcov == "eim" else observed_information(lik, fit)
    names = design.names + lik.names
    full = invert(info, [*names, "sigma2"])
    q = len(names)
    params = pd.Series(np.concatenate([fit.beta, fit.spatial]), index=names, dtype=float)
    vcov_frame = pd.DataFrame(full[:q, :q], index=names, columns=names)
    return _result(formula, design, lik, fit, params, vcov_frame, full, vcov, effect_draws, seed)


def _result(
    formula: str,
    design: Design,
    lik: Likelihood,
    fit: Fit,
    params: pd.Series,
    vcov: pd.DataFrame,
    full: np.ndarray,
    vcov_type: str,
    draws: int,
    seed: int | None,
) -> SpatialResult:
    model = lik.model
    k_spatial = len(lik.names)
    n_params = design.k + k_spatial + 1
    diagnostics: dict[str, Any] = {
        "sigma2": fit.sigma2,
        "sigma2_se": float(np.sqrt(full[-1, -1])),
        "converged": fit.converged,
    }
    ll_ols, _ = lik.ols()
    if design.slx_names:
        keep = [j for j, n in enumerate(design.names) if n not in design.slx_names]
        ll_plain = _ols_loglik(lik, keep)
        df = k_spatial + len(design.slx_names)
        diagnostics["lr_ols"] = HypothesisTest.chi2(
            "LR vs OLS",
            2 * (fit.loglik - ll_plain),
            df,
            null="no spatial terms (ρ/λ = 0 and θ = 0)",
            terms=tuple(lik.names + design.slx_names),
        )
        diagnostics["lr_slx"] = HypothesisTest.chi2(
            "LR vs SLX",
            2 * (fit.loglik - ll_ols),
            k_spatial,
            null="ρ/λ = 0 (the SLX model)",
            terms=tuple(lik.names),
        )
    else:
        diagnostics["lr_ols"] = HypothesisTest.chi2(
            "LR vs OLS",
            2 * (fit.loglik - ll_ols),
            k_spatial,
            null="no spatial terms",
            terms=tuple(lik.names),
        )
    if fit.at_bound:
        diagnostics["at_bound"] = fit.at_bound
    fe = {"individual": ("unit",), "time": ("time",), "twoways": ("unit", "time")}
    lag_spec, linear = _effects_setup(design, lik, params)
    extra = {
        **lik.describe(),
        "weights": design.w.name,
        "weights_info": dict(design.w.info),
        "n_units": design.n,
        "n_periods": design.t,
        "units": list(design.units),
        "periods": list(design.periods),
        "evaluations": fit.evaluations,
    }
    if design.w_error is not None:
        extra["weights_error"] = design.w_error.name
    return SpatialResult(
        params=params,
        vcov=vcov,
        nobs=design.n * design.t,
        model=model + ("+interaction" if design.z is not None else ""),
        formula=formula,
        depvar=design.depvar,
        vcov_type=vcov_type,
        fixed_effects=fe.get(design.effects or "", ()),
        df_resid=None,
        r2=_pseudo_r2(design, lik, fit),
        loglik=fit.loglik,
        diagnostics=Diagnostics.of(diagnostics),
        sample=SampleAccounting(n_input=design.n_input, n_used=design.n * design.t),
        extra=extra,
        sigma2=fit.sigma2,
        aic=-2.0 * fit.loglik + 2.0 * n_params,
        spatial_terms=tuple(lik.names),
        weights_name=design.w.name,
        effect_draws=draws,
        seed=seed,
        _lag_spec=lag_spec,
        _linear=linear,
    )


def _ols_loglik(lik: Likelihood, keep: list[int]) -> float:
    r = lik._py.ravel()
    x = lik._px.reshape(-1, lik.design.k)[:, keep]
    beta, *_ = np.linalg.lstsq(x, r, rcond=None)
    e = r - x @ beta
    s2 = float(e @ e) / lik.n_eff
    return float(-0.5 * lik.n_eff * (np.log(2 * np.pi) + np.log(s2) + 1.0))


def _effects_setup(
    design: Design, lik: Likelihood, params: pd.Series
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """What the effects need: a spec of the lag kit (built on first use) or the linear ones."""
    names = list(params.index)
    terms = [n for n in design.names if n != "Intercept" and n not in design.slx_names]
    beta_idx = [names.index(t) for t in terms]
    theta_idx = [names.index(f"W_{t}") if f"W_{t}" in names else -1 for t in terms]
    if lik.has_lag and terms:
        spec = {
            "w": design.w,
            "terms": terms,
            "beta_idx": beta_idx,
            "theta_idx": theta_idx,
            "rho_idx": [names.index(n) for n in lik.names if n != "lambda"],
            "z": design.z,
            "rho_max": min(0.999, abs(float(params["rho"])) + 0.2),
        }
        return spec, None
    return None, {
        "terms": terms,
        "beta_idx": beta_idx,
        "theta_idx": theta_idx,
        "mean_row_sum": float(design.w.row_sums.mean()),
    }


def _pseudo_r2(design: Design, lik: Likelihood, fit: Fit) -> float:
    """corr(y, A⁻¹Xβ)² (within the fixed effects)."""
    mean = np.tensordot(lik._px if design.effects else design.x, fit.beta, axes=(2, 0))
    if lik.has_lag:
        w = design.w.matrix
        eye = sp.identity(design.n, format="csc")
        rho = float(fit.spatial[0])
        fitted = np.empty_like(mean)
        if design.z is None:
            lu = splu(sp.csc_array(eye - rho * w))
            fitted = lu.solve(mean)
        else:
            rho_z = float(fit.spatial[1])
            for t in range(design.t):
                a = eye - sp.diags_array(rho + rho_z * design.z[:, t]) @ w
                fitted[:, t] = splu(sp.csc_array(a)).solve(mean[:, t])
        mean = project(fitted, design.effects)
    y = project(design.y, design.effects)
    return pseudo_r2(y.ravel(), mean.ravel())
