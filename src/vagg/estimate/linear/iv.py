"""Two-stage least squares with absorbed fixed effects and weak-identification diagnostics.

``iv("y ~ x1 + x2 | fe1 + fe2 | d ~ z1 + z2", data, vcov={"CRV1": "firm"})`` estimates

    y = d'beta + x'gamma + FE + u,   d instrumented by z (excluded) and x (included),

by 2SLS (Theil 1953): with X = [x, d] and Z = [x, z] after absorbing the fixed effects,
b = (X'P_Z X)^-1 X'P_Z y. The fixed-effect part is optional (``y ~ x | d ~ z``). Fixed effects
may be interactions written ``a^b``; ``0`` in the exogenous part drops the constant of a model
without fixed effects.

Conventions (ivreghdfe with ``small``, which ``absorb()`` implies; Baum, Schaffer & Stillman
2007; Correia 2016), with K the number of coefficients and df_a the absorbed fixed-effect levels
(:func:`vagg.estimate.linear.weak_iv.absorbed_fixed_effect_dof`; nested-in-cluster fixed effects
are not
counted, and at least 1 is counted when fixed effects are absorbed):

* iid: V = s^2 (X'P_Z X)^-1, s^2 = e'e / (N - K - df_a);
* hetero: HC1, the sandwich with X_hat = P_Z X times N / (N - K - df_a);
* CRV1: cluster sandwich times G / (G - 1) * (N - 1) / (N - K - df_a); two-way clustering adds
  the two one-way meats and subtracts the intersection's, with G the smaller cluster count;
* t-based inference with N - K - df_a degrees of freedom, or G - 1 with clusters.

These coincide with linearmodels ``IV2SLS(...).fit(debiased=True)`` without fixed effects.
Weights are analytic weights (normalised to mean one). Singleton fixed-effect groups are dropped
as reghdfe and pyfixest do, and counted in ``Result.sample``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear import weak_iv
from vagg.estimate.linear.demean import demean
from vagg.estimate.results import HypothesisTest, NotAvailable, Result, SampleAccounting

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
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


@dataclass(frozen=True)
class _Spec:
    depvar: str
    exog: list[str]
    constant: bool
    fixed_effects: list[tuple[str, ...]]
    endog: list[str]
    instruments: list[str]


# -- formula and options -----------------------------------------------------------------------


def _terms(part: str, formula: str, where: str) -> list[str]:
    terms = [t.strip() for t in part.split("+")]
    if any(not t for t in terms):
        raise EstimationError(f"formula {formula!r}: empty term in the {where} part")
    return terms


def _parse_formula(formula: str) -> _Spec:
    parts = [p.strip() for p in formula.split("|")]
    if len(parts) not in (2, 3) or "~" not in parts[0] or "~" not in parts[-1]:
        raise EstimationError(
            f"formula {formula!r}: expected 'y ~ exog | endog ~ instruments' or "
            "'y ~ exog | fe | endog ~ instruments'"
        )
    if any(p.count("~") != 1 for p in (parts[0], parts[-1])) or (
        len(parts) == 3 and "~" in parts[1]
    ):
        raise EstimationError(f"formula {formula!r}: each '~' separates one side from the other")
    lhs, rhs = (s.strip() for s in parts[0].split("~"))
    endog_part, instr_part = (s.strip() for s in parts[-1].split("~"))
    constant = True
    exog = []
    for term in _terms(rhs, formula, "exogenous") if rhs else []:
        if term in ("0", "-1"):
            constant = False
        elif term != "1":
            exog.append(term)
    fixed_effects = []
    if len(parts) == 3:
        fixed_effects = [
            tuple(s.strip() for s in t.split("^")) for t in _terms(parts[1], formula, "fixed")
        ]
    endog = _terms(endog_part, formula, "endogenous")
    instruments = _terms(instr_part, formula, "instrument")
    names = [lhs, *exog, *endog, *instruments, *(c for fe in fixed_effects for c in fe)]
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        raise EstimationError(
            f"formula {formula!r}: {bad} are not column names; "
            "transform variables in the data first"
        )
    roles = {"dependent": [lhs], "exogenous": exog, "endogenous": endog, "instrument": instruments}
    seen: dict[str, str] = {}
    for role, cols in roles.items():
        for col in cols:
            if col in seen:
                both = (
                    f"listed twice as {role}"
                    if seen[col] == role
                    else (f"both {seen[col]} and {role}")
                )
                raise EstimationError(f"formula {formula!r}: column {col!r} is {both}")
            seen[col] = role
    if len(instruments) < len(endog):
        raise EstimationError(
            f"formula {formula!r}: underidentified, {len(instruments)} excluded instrument(s) "
            f"{instruments} for {len(endog)} endogenous regressor(s) {endog}"
        )
    return _Spec(lhs, exog, constant and not fixed_effects, fixed_effects, endog, instruments)


def _parse_vcov(vcov: str | Mapping[str, str] | None) -> tuple[str, list[str]]:
    if vcov is None or vcov == "iid":
        return "iid", []
    if vcov in ("hetero", "HC1", "robust"):
        return "hetero", []
    if isinstance(vcov, Mapping) and len(vcov) == 1:
        ((kind, spec),) = vcov.items()
        if kind in ("CRV1", "cluster") and isinstance(spec, str):
            cols = [c.strip() for c in spec.split("+")]
            if 1 <= len(cols) <= 2 and all(cols):
                return "CRV1", cols
    raise EstimationError(
        f"vcov: expected None, 'iid', 'hetero' or {{'CRV1': 'col'}} / {{'CRV1': 'col1+col2'}}, "
        f"got {vcov!r}"
    )


# -- sample --------------------------------------------------------------------------------------


def _rows(mask: np.ndarray, index: pd.Index) -> str:
    hits = index[np.asarray(mask)]
    shown = ", ".join(repr(i) for i in hits[:5])
    return f"{shown}{', ...' if len(hits) > 5 else ''} ({len(hits)} row(s))"


def _prepare(
    data: pd.DataFrame,
    spec: _Spec,
    clusters: list[str],
    weights: str | None,
    formula: str,
    drop_singletons: bool,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Select the used columns, check them, and drop rows with missing values and singletons."""
    fe_cols = [c for fe in spec.fixed_effects for c in fe]
    model_cols = [spec.depvar, *spec.exog, *spec.endog, *spec.instruments]
    used = list(dict.fromkeys([*model_cols, *fe_cols, *clusters, *([weights] if weights else [])]))
    missing_cols = [c for c in used if c not in data.columns]
    if missing_cols:
        raise EstimationError(
            f"data: column(s) {missing_cols} used by formula {formula!r} / vcov / weights "
            f"not found; available columns include {list(data.columns)[:20]}"
        )
    numeric = list(dict.fromkeys([*model_cols, *([weights] if weights else [])]))
    for col in numeric:
        if not (pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col])):
            raise EstimationError(
                f"data: column {col!r} must be numeric (dtype {data[col].dtype}); "
                "encode categories as fixed effects or dummies first"
            )
    frame = data[used]
    missing = frame.isna().any(axis=1).to_numpy()
    frame = frame.loc[~missing]
    values = frame[numeric].to_numpy(dtype=float)
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        cols = [c for c, b in zip(numeric, (~np.isfinite(values)).any(axis=0), strict=True) if b]
        raise EstimationError(
            f"data: columns {cols} hold infinite values in rows {_rows(bad, frame.index)}"
        )
    if weights:
        nonpositive = frame[weights].to_numpy(dtype=float) <= 0
        if nonpositive.any():
            raise EstimationError(
                f"weights: column {weights!r} must be positive; "
                f"non-positive in rows {_rows(nonpositive, frame.index)}"
            )
    dropped = {"missing": int(missing.sum())}
    if spec.fixed_effects and drop_singletons:
        codes = _fe_codes(frame, spec.fixed_effects)
        keep = _non_singletons(codes)
        dropped["singleton_fe"] = int((~keep).sum())
        frame = frame.loc[keep]
    if frame.shape[0] == 0:
        raise EstimationError(f"data: no rows left for formula {formula!r} ({dropped})")
    return frame, dropped


def _fe_codes(frame: pd.DataFrame, fixed_effects: list[tuple[str, ...]]) -> list[np.ndarray]:
    codes = []
    for fe in fixed_effects:
        key = frame[fe[0]] if len(fe) == 1 else pd.MultiIndex.from_frame(frame[list(fe)])
        codes.append(pd.factorize(key)[0])
    return codes


def _non_singletons(codes: list[np.ndarray]) -> np.ndarray:
    """Rows kept after iteratively dropping fixed-effect groups of size one (reghdfe default)."""
    keep = np.ones(codes[0].size, dtype=bool)
    while True:
        before = keep.sum()
        for code in codes:
            counts = np.bincount(code[keep], minlength=int(code.max()) + 1)
            keep &= counts[code] > 1
        if keep.sum() == before:
            return keep


def _absorb(
    df: pd.DataFrame,
    columns: list[str],
    fe: list[tuple[str, ...]],
    *,
    weights: np.ndarray | None = None,
    clusters: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, int]:
    """Demean ``columns`` by the fixed effects ``fe`` (weighted).

    Uses vagg's demeaner (:func:`vagg.estimate.linear.demean.demean`: the large effect swept out
    exactly, the small ones solved jointly; alternating projections when they are not small),
    the same one ``feols`` uses. Returns the demeaned N x len(columns) array and the absorbed
    levels df_a counted as reghdfe does
    (:func:`~vagg.estimate.linear.weak_iv.absorbed_fixed_effect_dof`).
    """
    codes = _fe_codes(df, fe)
    w = None if weights is None else np.asarray(weights, dtype=float)
    x = np.ascontiguousarray(df[columns].to_numpy(dtype=float))
    result = demean(x, [np.asarray(c) for c in codes], w, tol=1e-12)
    if not result.converged:
        raise EstimationError(f"fixed effects {fe}: demeaning did not converge")
    return result.values, weak_iv.absorbed_fixed_effect_dof(codes, clusters or [])


# -- linear algebra ------------------------------------------------------------------------------


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
    return a - x @ np.linalg.lstsq(x, a, rcond=None)[0]


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


def _vcov(
    xhat: np.ndarray, resid: np.ndarray, kind: str, n_params: int, cluster_codes: np.ndarray | None
) -> np.ndarray:
    n = xhat.shape[0]
    bread = np.linalg.inv(xhat.T @ xhat)
    if kind == "iid":
        return bread * float(resid @ resid) / (n - n_params)
    if kind == "hetero":
        meat = weak_iv.score_covariance(xhat * resid[:, None], "robust") * n
        return bread @ meat @ bread * n / (n - n_params)
    assert cluster_codes is not None
    meat = weak_iv.score_covariance(xhat * resid[:, None], "cluster", cluster_codes) * n
    g = weak_iv.n_clusters(cluster_codes)
    return bread @ meat @ bread * g / (g - 1) * (n - 1) / (n - n_params)


# -- the estimator -------------------------------------------------------------------------------


def iv(
    formula: str,
    data: Any,
    *,
    vcov: str | Mapping[str, str] | None = None,
    weights: str | None = None,
    drop_singletons: bool = True,
) -> Result:
    """Two-stage least squares with absorbed fixed effects and weak-IV diagnostics.

    Parameters
    ----------
    formula : ``"y ~ x1 + x2 | fe1 + fe2^fe3 | d1 + d2 ~ z1 + z2 + z3"`` (fixed-effect part
        optional; ``0`` among the exogenous terms drops the constant).
    data : pandas (or polars) DataFrame.
    vcov : None / ``"iid"``, ``"hetero"`` (HC1) or ``{"CRV1": "g"}`` / ``{"CRV1": "g1+g2"}``.
    weights : column of positive analytic weights.
    drop_singletons : drop fixed-effect groups with one observation (reghdfe default).

    Returns
    -------
    Result with ``model="iv"``. ``diagnostics`` holds ``first_stage`` (per endogenous regressor:
    instrument coefficients, first-stage F, partial R², Sanderson–Windmeijer F), ``kp_rk_lm``
    (Kleibergen–Paap rk LM under the chosen vcov; Anderson's LM under iid), ``kp_rk_wald`` and
    ``kp_rk_wald_f``, ``cragg_donald_f``, ``stock_yogo`` (Stock & Yogo 2005 critical values where
    tabulated) and ``anderson_rubin`` (H0: all endogenous coefficients zero), all computed as in
    ivreg2/ivreghdfe (:mod:`vagg.estimate.linear.weak_iv`). ``extra["first_stage"]`` maps each
    endogenous regressor to the Result of its first-stage regression.

    Raises
    ------
    EstimationError: unknown or non-numeric columns, a malformed formula or vcov, fewer
    instruments than endogenous regressors, an instrument without variation (or none left after
    absorbing fixed effects and partialling out the exogenous regressors), collinear instruments
    or regressors (named), non-positive weights.

    References: Theil (1953); Baum, Schaffer & Stillman (2007) *Stata Journal* 7(4);
    Correia (2016) reghdfe/ivreghdfe; Kleibergen & Paap (2006); Stock & Yogo (2005).
    """
    if not isinstance(data, pd.DataFrame):
        if not hasattr(data, "to_pandas"):
            raise EstimationError(f"data: expected a pandas or polars DataFrame, got {type(data)}")
        data = data.to_pandas()
    spec = _parse_formula(formula)
    kind, cluster_cols = _parse_vcov(vcov)
    frame, dropped = _prepare(data, spec, cluster_cols, weights, formula, drop_singletons)
    ctx = _Context(formula, spec, kind, cluster_cols, len(data), len(frame), dropped)
    if cluster_cols:
        ctx.cluster_codes = np.column_stack([pd.factorize(frame[c])[0] for c in cluster_cols])
    d = _design(frame, spec, weights, ctx.cluster_codes)

    names = d.exog_names + spec.endog
    x = np.column_stack([d.exog, d.endog])
    z = np.column_stack([d.exog, d.instr])
    xhat = z @ np.linalg.lstsq(z, x, rcond=None)[0]
    beta = np.linalg.lstsq(xhat, d.y, rcond=None)[0]
    resid = d.y - x @ beta
    n, n_params = len(frame), x.shape[1] + d.df_a
    if n - n_params <= 0:
        raise EstimationError(
            f"data: {n} observations for {x.shape[1]} coefficients and {d.df_a} absorbed levels"
        )
    first_results = {
        name: _first_stage_result(name, z, d.endog[:, j], d.exog_names + spec.instruments, d, ctx)
        for j, name in enumerate(spec.endog)
    }
    result = Result(
        params=pd.Series(beta, index=names),
        vcov=pd.DataFrame(
            _vcov(xhat, resid, kind, n_params, ctx.cluster_codes), index=names, columns=names
        ),
        nobs=n,
        model="iv",
        depvar=spec.depvar,
        diagnostics=_diagnostics(d, spec, ctx, first_results),
        extra={"first_stage": first_results, "df_absorbed": d.df_a, "n_partialled": d.n_partialled},
        **_fit_stats(frame[spec.depvar].to_numpy(float), d, resid, spec, n_params),
    )
    return _finish(result, formula, ctx)


@dataclass
class _Context:
    """What the Results of one call share: the specification, vcov and sample accounting."""

    formula: str
    spec: _Spec
    kind: str
    cluster_cols: list[str]
    n_input: int
    n_used: int
    dropped: dict[str, int]
    cluster_codes: np.ndarray | None = None


@dataclass
class _Design:
    """Weighted, fixed-effect-demeaned arrays, and the same with the exogenous part partialled."""

    y: np.ndarray
    endog: np.ndarray
    exog: np.ndarray
    instr: np.ndarray
    exog_names: list[str]
    weights: np.ndarray
    df_a: int
    y_t: np.ndarray
    endog_t: np.ndarray
    instr_t: np.ndarray

    @property
    def n_partialled(self) -> int:
        return self.exog.shape[1] + self.df_a


def _design(
    frame: pd.DataFrame, spec: _Spec, weights: str | None, cluster_codes: np.ndarray | None
) -> _Design:
    """Absorb the fixed effects, apply the weights, partial out the exogenous regressors, and
    check that every regressor and instrument keeps variation and none is collinear."""
    n = len(frame)
    w = np.ones(n) if weights is None else frame[weights].to_numpy(dtype=float)
    w = w / w.mean()
    root_w = np.sqrt(w)
    columns = list(dict.fromkeys([spec.depvar, *spec.endog, *spec.exog, *spec.instruments]))
    if spec.fixed_effects:
        nesting = [] if cluster_codes is None else list(cluster_codes.T)
        demeaned, df_a = _absorb(frame, columns, spec.fixed_effects, weights=w, clusters=nesting)
        df_a = max(df_a, 1)  # ivreghdfe's absorb_ct: the constant is always counted
        removed = "absorbing the fixed effects"
    else:
        demeaned, df_a = frame[columns].to_numpy(dtype=float), 0
        removed = "removing the constant" if spec.constant else ""
    col = dict(zip(columns, (demeaned * root_w[:, None]).T, strict=True))
    raw = dict(zip(columns, frame[columns].to_numpy(dtype=float).T, strict=True))
    const = [root_w] if spec.constant else []
    exog = np.column_stack([*const, *(col[c] for c in spec.exog)]) if const or spec.exog else None
    exog = np.empty((n, 0)) if exog is None else exog
    if spec.exog:
        _check_columns(
            np.column_stack([raw[c] for c in spec.exog]),
            _residualize(exog[:, len(const) :], exog[:, : len(const)]),
            spec.exog,
            "exogenous regressor",
            removed,
            require_variation=bool(const) or bool(spec.fixed_effects),
        )
    endog = np.column_stack([col[c] for c in spec.endog])
    instr = np.column_stack([col[c] for c in spec.instruments])
    d = _Design(
        y=col[spec.depvar],
        endog=endog,
        exog=exog,
        instr=instr,
        exog_names=(["Intercept"] if spec.constant else []) + spec.exog,
        weights=w,
        df_a=df_a,
        y_t=_residualize(col[spec.depvar][:, None], exog),
        endog_t=_residualize(endog, exog),
        instr_t=_residualize(instr, exog),
    )
    removed = " and ".join(filter(None, [removed, "partialling out the exogenous regressors"]))
    for role, names, arr in (
        ("instrument", spec.instruments, d.instr_t),
        ("endogenous regressor", spec.endog, d.endog_t),
    ):
        _check_columns(np.column_stack([raw[c] for c in names]), arr, names, role, removed)
    return d


def _diagnostics(
    d: _Design, spec: _Spec, ctx: _Context, first_results: dict[str, Result]
) -> dict[str, Any]:
    """Weak-identification statistics of :mod:`vagg.estimate.linear.weak_iv` on the partialled
    arrays."""
    kinds: dict[str, weak_iv.VcovKind] = {"iid": "iid", "hetero": "robust", "CRV1": "cluster"}
    kw: dict[str, Any] = {
        "n_partialled": d.n_partialled,
        "vcov": kinds[ctx.kind],
        "clusters": ctx.cluster_codes,
    }
    first = weak_iv.first_stage_f(d.endog_t, d.instr_t, **kw)
    kp = weak_iv.kleibergen_paap_rk(d.endog_t, d.instr_t, **kw)
    summaries = FirstStages()
    for j, name in enumerate(spec.endog):
        table = first_results[name].tidy().set_index("term").loc[spec.instruments]
        summaries[name] = FirstStage(name, table, first[j].f, first[j].partial_r2, first[j].sw_f)
    return {
        "first_stage": summaries,
        "kp_rk_lm": kp.lm,
        "kp_rk_wald": kp.wald,
        "kp_rk_wald_f": kp.wald_f,
        "cragg_donald_f": weak_iv.cragg_donald_f(d.endog_t, d.instr_t, n_partialled=d.n_partialled),
        "stock_yogo": weak_iv.stock_yogo_critical_values(len(spec.endog), len(spec.instruments)),
        "anderson_rubin": weak_iv.anderson_rubin(d.y_t, d.endog_t, d.instr_t, **kw),
    }


def _fe_names(spec: _Spec) -> list[str]:
    return ["^".join(fe) for fe in spec.fixed_effects]


def _first_stage_result(
    name: str, z: np.ndarray, target: np.ndarray, names: list[str], d: _Design, ctx: _Context
) -> Result:
    """OLS of one endogenous regressor on all instruments, with the model's vcov conventions."""
    coef = np.linalg.lstsq(z, target, rcond=None)[0]
    resid = target - z @ coef
    n_params = z.shape[1] + d.df_a
    fit = Result(
        params=pd.Series(coef, index=names),
        vcov=pd.DataFrame(
            _vcov(z, resid, ctx.kind, n_params, ctx.cluster_codes), index=names, columns=names
        ),
        nobs=z.shape[0],
        model="first_stage",
        depvar=name,
        df_resid=z.shape[0] - n_params,
    )
    fe_part = f" | {' + '.join(_fe_names(ctx.spec))}" if ctx.spec.fixed_effects else ""
    rhs = " + ".join([*ctx.spec.exog, *ctx.spec.instruments])
    return _finish(fit, f"{name} ~ {rhs}{fe_part}", ctx)


def _fit_stats(
    y_raw: np.ndarray, d: _Design, resid: np.ndarray, spec: _Spec, n_params: int
) -> dict[str, Any]:
    """R² on the original dependent variable (centred when the model has an intercept or fixed
    effects), adjusted R² with N - K - df_a, and the within R² on the demeaned variable."""
    n = y_raw.size
    rss = float(resid @ resid)
    has_intercept = spec.constant or bool(spec.fixed_effects)
    center = np.average(y_raw, weights=d.weights) if has_intercept else 0.0
    r2 = 1 - rss / float(np.sum(d.weights * (y_raw - center) ** 2))
    out: dict[str, Any] = {
        "r2": r2,
        "adj_r2": 1 - (1 - r2) * (n - int(has_intercept)) / (n - n_params),
        "df_resid": n - n_params,
    }
    if spec.fixed_effects:
        out["r2_within"] = 1 - rss / float(d.y @ d.y)
    return out


def _finish(result: Result, formula: str, ctx: _Context) -> Result:
    result.formula = formula
    result.vcov_type = ctx.kind
    result.fixed_effects = tuple(_fe_names(ctx.spec))
    result.sample = SampleAccounting(
        n_input=ctx.n_input, n_used=ctx.n_used, dropped=dict(ctx.dropped)
    )
    if ctx.cluster_codes is not None:
        codes = ctx.cluster_codes
        result.clusters = tuple(ctx.cluster_cols)
        result.n_clusters = {c: int(codes[:, i].max()) + 1 for i, c in enumerate(ctx.cluster_cols)}
        result.df_resid = weak_iv.n_clusters(codes) - 1
    return result
