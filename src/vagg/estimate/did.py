"""Difference-in-differences: DID terms, PSM-DID and event studies on top of ``feols``.

Paper 000 (Ren & Liang 2022) eq. (10) and Table 3 treat a firm's change of industry as a
quasi-natural experiment::

    DVAR_fjt = α·treat_f × post_ft + β·treat_f × post_ft × vagg_fjt + X'γ + ν_f + ν_j + ν_t + ε

estimated by DID on the full sample (columns 1–3) and on a propensity-score-matched sample
(PSM-DID, columns 4–6; Tables 6–7 columns 3–4 for the mechanisms). :func:`did_terms` builds
the interaction columns, :func:`psm_did` matches (with :func:`~vagg.estimate.matching.psm`)
and estimates the DID on the matched or weighted sample, and :func:`event_study` replaces
treat × post by leads and lags of the treatment date to show dynamics and pre-trends.

References: Angrist & Pischke (2009) ch. 5; Heckman, Ichimura & Todd (1997) on matching DID;
Borusyak, Jaravel & Spiess (2024) and Sun & Abraham (2021) on binned endpoints and the
problems of two-way fixed effects event studies under staggered adoption with heterogeneous
effects (the estimator here is the conventional TWFE one; with staggered dates its lags are
weighted averages that can mix cohorts, recorded in ``diagnostics["staggered"]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import EstimationError
from .fixed_effects import feols, feols_quietly
from .formula import control_terms, fe_text, formula_text
from .inputs import as_pandas, require_columns, rows_text
from .matching import psm
from .results import HypothesisTest, Result, SampleAccounting

__all__ = [
    "EventStudy",
    "did_term_names",
    "did_terms",
    "event_study",
    "psm_did",
]


# --------------------------------------------------------------------------- helpers
def _binary(frame: pd.DataFrame, column: str, where: str, role: str) -> np.ndarray:
    series = frame[column]
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise EstimationError(f"{where}: {role} column {column!r} must be 0/1 numeric")
    values = series.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isnan(values) & ~np.isin(values, (0.0, 1.0))
    if bad.any():
        raise EstimationError(
            f"{where}: {role} column {column!r} must be 0/1; other values at rows "
            f"{rows_text(frame.index[bad])}"
        )
    present = values[~np.isnan(values)]
    if len(np.unique(present)) < 2:
        value = "no rows" if len(present) == 0 else f"all {present[0]:g}"
        raise EstimationError(f"{where}: {role} column {column!r} does not vary ({value})")
    return values


def _fresh(frame: pd.DataFrame, name: str) -> str:
    while name in frame.columns:
        name = f"_{name}"
    return name


# --------------------------------------------------------------------------- did_terms
def did_term_names(treat: str, post: str, *triple: str) -> list[str]:
    """Names :func:`did_terms` gives: ``f"{treat}_{post}"`` then ``f"{treat}_{post}_{x}"``."""
    base = f"{treat}_{post}"
    return [base, *[f"{base}_{x}" for x in triple]]


def did_terms(data: Any, treat: str, post: str, *triple: str) -> pd.DataFrame:
    """A copy of ``data`` with the DID interaction columns of paper 000 eq. (10).

    ``{treat}_{post}`` = treat × post (the DID term) and, for each x in ``triple``,
    ``{treat}_{post}_{x}`` = treat × post × x (e.g. ``treat_post`` and ``treat_post_vagg_h``
    for columns ``treat``, ``post`` and ``vagg_h``). Missing values propagate. The lower-order
    terms of a full triple difference (x, treat × x, post × x) are not added: eq. (10) omits
    them; add them to the formula when the design needs them.

    Raises :class:`EstimationError` for unknown columns, treat or post that are not 0/1 or do
    not vary, non-numeric ``triple`` columns, or an existing column of the same name with other
    values.
    """
    where = "did_terms"
    frame = as_pandas(data)
    require_columns(frame, where, treat=treat, post=post)
    for x in triple:
        require_columns(frame, where, triple=x)
        if not pd.api.types.is_numeric_dtype(frame[x]):
            raise EstimationError(f"{where}: triple column {x!r} is not numeric")
    d = _binary(frame, treat, where, "treat")
    p = _binary(frame, post, where, "post")
    out = frame.copy()
    names = did_term_names(treat, post, *triple)
    values = [d * p, *[d * p * frame[x].to_numpy(dtype=float, na_value=np.nan) for x in triple]]
    for name, v in zip(names, values, strict=True):
        if name in frame.columns:
            old = frame[name].to_numpy(dtype=float, na_value=np.nan)
            if not np.allclose(old, v, equal_nan=True):
                raise EstimationError(
                    f"{where}: data already has a column {name!r} with other values; rename it"
                )
        out[name] = v
    return out


# --------------------------------------------------------------------------- PSM-DID
def _unit_table(
    frame: pd.DataFrame,
    unit: str,
    treat: str,
    post: np.ndarray,
    covariates: list[str],
    by: list[str],
    where: str,
) -> pd.DataFrame:
    """One row per unit: treat, the mean of the covariates over its pre-period rows, ``by``."""
    for col in [treat, *by]:
        varies = frame.groupby(unit, sort=False)[col].nunique(dropna=True) > 1
        if varies.any():
            raise EstimationError(
                f"{where}: {col!r} varies within units of {unit!r} (e.g. {list(varies.index[varies][:5])}); "  # noqa: E501
                "unit-level matching needs it constant per unit"
            )
    pre = frame[post == 0]
    table = pre.groupby(unit, sort=True)[covariates].mean()
    fixed = frame.groupby(unit, sort=True)[[treat, *by]].first()
    return fixed.join(table, how="left")


def psm_did(
    data: Any,
    *,
    outcome: str,
    treat: str,
    post: str,
    covariates: str | Sequence[str],
    formula_rhs: str | Sequence[str] = (),
    triple: Sequence[str] = (),
    fe: str | Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    unit: str | None = None,
    k: int = 1,
    caliper: float | None = None,
    replace: bool = True,
    model: Literal["logit", "probit"] = "logit",
    weights: Literal["matched", "matched_sample", "ipw"] = "matched",
    common_support: bool = True,
    vcov: str | Mapping[str, Any] | None = None,
    seed: int = 0,
) -> Result:
    """PSM-DID: propensity-score matching, then DID on the matched (or IPW-weighted) sample.

    1. Matching with :func:`~vagg.estimate.matching.psm` of ``treat`` on ``covariates``
       (``k`` neighbours, ``caliper``, ``replace``, ``model``, ``common_support``):

       * ``unit=None`` (paper 000): rows are matched to rows, within ``by`` groups — with
         ``by="year"`` each year's treated firm-years to that year's controls ("year by year").
         Use lagged or base-year covariate columns when the current ones may respond to
         treatment.
       * ``unit="firm"``: units are matched on the mean of their covariates over their
         pre-period rows (``post == 0``); treat and ``by`` must be constant within a unit; the
         unit's weight applies to all its rows. Units with no pre-period row are not matched.

    2. ``outcome ~ {treat}_{post} [+ {treat}_{post}_{x} for x in triple] + formula_rhs | fe``
       (:func:`did_terms`; paper 000 eq. (10)) by ``feols`` with analytic weights:
       ``"matched"`` psmatch2's ``_weight`` (1 for matched treated, Σ 1/n_i for a control used
       by treated i with n_i matches) on the matched sample; ``"matched_sample"`` weight 1 on
       the matched sample (Stata's ``reg ... if _weight != .``); ``"ipw"`` the ATT odds weights
       p̂/(1 − p̂) for controls on every row with a score (no support rule). Without ``fe``,
       ``treat`` and ``post`` enter as main effects (the 2×2 DID); with fixed effects they are
       taken to be absorbed (unit and time effects) — add them to ``formula_rhs`` otherwise.

    Returns the DID :class:`Result` (``model="psm_did"``) with ``extra["matching"]`` (the
    :class:`~vagg.estimate.matching.Matching`), ``extra["weights"]`` (row weights aligned to
    the input, NaN off the sample) and a ``sample`` that counts rows lost in matching (by
    psmatch2 status) and in the regression. Raises :class:`EstimationError` (or the
    ``PSMInputError`` of ``psm``) for unknown columns, treat/post not 0/1 or constant, an
    unknown ``weights`` option, or treat varying within a unit in unit mode.
    """
    where = "psm_did"
    frame = as_pandas(data)
    if not frame.index.is_unique:
        frame = frame.reset_index(drop=True)
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    by_cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    require_columns(frame, where, outcome=outcome, treat=treat, post=post, unit=unit)
    for c in covs:
        require_columns(frame, where, covariate=c)
    for c in by_cols:
        require_columns(frame, where, by=c)
    if weights not in ("matched", "matched_sample", "ipw"):
        raise EstimationError(
            f"{where}: weights={weights!r}; use 'matched', 'matched_sample' or 'ipw'"
        )
    _binary(frame, treat, where, "treat")
    p = _binary(frame, post, where, "post")
    options: dict[str, Any] = {
        "model": model,
        "k": k,
        "replace": replace,
        "caliper": caliper,
        "common_support": common_support,
        "seed": seed,
    }

    dropped: dict[str, int] = {}
    if unit is None:
        matching = psm(frame, treat, covs, by=by_cols or None, **options)
        status = matching.status.to_numpy()
        unit_weights = None
        w_match = matching.weights.to_numpy()
        w_ipw = matching.ipw_weights("att").to_numpy()
    else:
        units = _unit_table(frame, unit, treat, p, covs, by_cols, where)
        no_pre = units[covs].isna().all(axis=1).to_numpy()
        matching = psm(units[~no_pre], treat, covs, by=by_cols or None, **options)
        unit_weights = pd.DataFrame(
            {
                "status": matching.status,
                "matched": matching.weights,
                "ipw": matching.ipw_weights("att"),
            }
        ).reindex(units.index)
        unit_weights.loc[units.index[no_pre], "status"] = "no_pre_period"
        row_unit = frame[unit]
        status = unit_weights["status"].reindex(row_unit).to_numpy()
        status = np.where(pd.isna(status), "missing", status)
        w_match = unit_weights["matched"].reindex(row_unit).to_numpy(dtype=float)
        w_ipw = unit_weights["ipw"].reindex(row_unit).to_numpy(dtype=float)

    if weights == "ipw":
        w = w_ipw
        lost = ~np.isfinite(w)
        dropped["missing"] = int(lost.sum())
    else:
        w = w_match if weights == "matched" else np.where(np.isnan(w_match), np.nan, 1.0)
        lost = ~np.isfinite(w)
        reasons, counts = np.unique(status[lost].astype(str), return_counts=True)
        dropped.update({str(r): int(c) for r, c in zip(reasons, counts, strict=True)})

    terms = did_term_names(treat, post, *triple)
    work = did_terms(frame, treat, post, *triple)
    wcol = _fresh(work, "_psm_did_weight")
    work[wcol] = w
    rhs = list(terms)
    fe_part = fe_text(fe)
    if not fe_part:
        rhs = [treat, post, *rhs]
    formula = formula_text(outcome, [*rhs, *control_terms(formula_rhs)], fe_part)
    matched = work[~lost]
    if len(matched) == 0:
        raise EstimationError(f"{where}: the matched sample is empty (rows lost: {dropped})")
    result = feols(formula, matched, vcov=vcov, weights=wcol)
    for t in terms:
        if t not in result.params.index:
            raise EstimationError(
                f"{where}: {t!r} could not be estimated in {formula!r} "
                f"({result.diagnostics.get('collinear_reasons', {}).get(t, 'collinear')})"
            )
    reg = result.sample
    assert reg is not None
    dropped = {key: v for key, v in dropped.items() if v}
    for key, v in reg.dropped.items():
        if v:
            dropped[key] = dropped.get(key, 0) + int(v)
    result.sample = SampleAccounting(len(frame), result.nobs, dropped)
    result.model = "psm_did"
    weight_series = pd.Series(np.where(lost, np.nan, w), index=frame.index, name="psm_did_weight")
    result.extra.update(
        matching=matching,
        weights=weight_series,
        unit_weights=unit_weights,
        did_terms=terms,
        weight_kind=weights,
    )
    result.diagnostics["psm"] = {**options, "by": by_cols, "unit": unit, "covariates": covs}
    return result


# --------------------------------------------------------------------------- event study
def _event_name(k: int) -> str:
    return f"event_m{-k}" if k < 0 else f"event_p{k}"


@dataclass(eq=False)
class EventStudy:
    """Leads and lags of an event (see :func:`event_study`). ``result`` is the regression;
    ``terms`` maps each estimated relative period to its coefficient name."""

    result: Result
    window: tuple[int, int]
    reference: int
    endpoints: str
    terms: dict[int, str]
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def coefficients(self, level: float = 0.95) -> pd.DataFrame:
        """One row per relative period in the window: estimate, SE and interval; the reference
        period has estimate 0 and no SE; ``binned`` marks endpoint bins."""
        ci = self.result.conf_int(level)
        lo, hi = self.window
        rows: list[dict[str, Any]] = []
        for k in range(lo, hi + 1):
            binned = self.endpoints == "bin" and k in (lo, hi)
            if k == self.reference:
                rows.append(
                    {
                        "rel_time": k,
                        "term": None,
                        "estimate": 0.0,
                        "std_error": np.nan,
                        "pvalue": np.nan,
                        "conf_low": np.nan,
                        "conf_high": np.nan,
                        "reference": True,
                        "binned": binned,
                    }
                )
                continue
            t = self.terms[k]
            rows.append(
                {
                    "rel_time": k,
                    "term": t,
                    "estimate": float(self.result.params[t]),
                    "std_error": float(self.result.bse[t]),
                    "pvalue": float(self.result.pvalues[t]),
                    "conf_low": float(ci.loc[t, "lower"]),
                    "conf_high": float(ci.loc[t, "upper"]),
                    "reference": False,
                    "binned": binned,
                }
            )
        return pd.DataFrame(rows)

    def tidy(self) -> pd.DataFrame:
        return self.coefficients()

    def pretrend_test(self, include_endpoint: bool = True) -> HypothesisTest:
        """Joint Wald test that all leads (relative periods < 0 other than the reference) are
        zero, with the Result's vcov: F = b'V⁻¹b/q on (q, df_resid) — for clustered errors
        df_resid = G − 1 as in Stata's ``test`` after ``reghdfe`` — or χ²(q) without df.
        ``include_endpoint=False`` leaves out the binned lower endpoint."""
        lo = self.window[0]
        leads = [
            self.terms[k]
            for k in sorted(self.terms)
            if k < 0 and not (not include_endpoint and self.endpoints == "bin" and k == lo)
        ]
        if not leads:
            raise EstimationError(
                f"event_study: no leads to test in window {self.window} with reference "
                f"{self.reference}"
            )
        b = self.result.params[leads].to_numpy()
        v = self.result.vcov.loc[leads, leads].to_numpy()
        w = float(b @ np.linalg.solve(v, b))
        q = len(leads)
        df = self.result.df_resid
        null = " = ".join(leads) + " = 0"
        if df is None:
            return HypothesisTest.chi2("pre-trend Wald", w, q, null, tuple(leads))
        return HypothesisTest.f("pre-trend Wald", w / q, q, df, null, tuple(leads))

    def plot(self, ax: Any = None, level: float = 0.95, title: str | None = None) -> Any:
        """Coefficients with ``level`` confidence intervals against relative time; the reference
        period is drawn at zero with a hollow marker, a dashed line marks the event. Returns the
        matplotlib Figure."""
        import matplotlib.pyplot as plt

        table = self.coefficients(level)
        if ax is None:
            fig, ax = plt.subplots(figsize=(6.4, 4.0))
        else:
            fig = ax.figure
        est = table[~table["reference"]]
        ax.errorbar(
            est["rel_time"],
            est["estimate"],
            yerr=[est["estimate"] - est["conf_low"], est["conf_high"] - est["estimate"]],
            fmt="o",
            color="C0",
            capsize=3,
            label=f"estimate, {level:.0%} CI",
        )
        ax.plot(table["rel_time"], table["estimate"], color="C0", lw=0.8, alpha=0.6)
        ax.plot(
            [self.reference],
            [0.0],
            "o",
            mfc="white",
            color="C0",
            label=f"reference ({self.reference})",
        )
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.axvline(self.reference + 0.5, color="grey", ls="--", lw=0.8)
        lo, hi = self.window
        ticks = list(range(lo, hi + 1))
        labels = [str(k) for k in ticks]
        if self.endpoints == "bin":
            labels[0], labels[-1] = f"≤{lo}", f"≥{hi}"
        ax.set_xticks(ticks, labels)
        ax.set_xlabel("periods relative to the event")
        ax.set_ylabel(f"effect on {self.result.depvar}")
        if title:
            ax.set_title(title)
        ax.legend(frameon=False)
        return fig

    def summary(self) -> str:
        lines = [
            f"Event study, window {self.window}, reference {self.reference}, endpoints "
            f"{self.endpoints}",
            self.coefficients().to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        try:
            lines.append(f"Pre-trend test (all leads = 0): {self.pretrend_test()}")
        except EstimationError:
            pass
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<EventStudy window={self.window} reference={self.reference} n={self.result.nobs}>"


def event_study(
    formula_rhs: str | Sequence[str],
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    event_time: str | None = None,
    treatment_start: str | None = None,
    window: tuple[int, int] = (-4, 4),
    reference: int = -1,
    endpoints: Literal["bin", "drop"] = "bin",
    fe: str | Sequence[str] | None = None,
    vcov: str | Mapping[str, Any] | None = None,
    weights: str | None = None,
) -> EventStudy:
    """Two-way fixed-effects event study with leads and lags of the treatment date.

    y_it = Σ_{k ∈ [lo, hi], k ≠ ref} β_k·1{r_it = k} + X'γ + α_i + δ_t + ε_it, with
    r_it = t − E_i the period relative to unit i's event (``treatment_start`` E_i, or the
    relative time itself in ``event_time``); never-treated units (E_i missing) have all dummies
    0 and serve as controls. Dummies are named ``event_m{k}`` (k periods before) and
    ``event_p{k}`` (k periods after; ``event_p0`` the event period). β_ref = 0 by construction
    (``reference``, default −1: the period before the event).

    ``endpoints="bin"`` (default): the first and last dummies collect everything beyond the
    window, 1{r ≤ lo} and 1{r ≥ hi} (binned endpoints, so periods outside the window are not
    folded into the reference); ``"drop"``: treated units' rows outside the window are dropped
    (counted as ``outside_window``). ``fe`` defaults to ``unit + time``; ``vcov`` to feols'
    default (clustered by the first fixed effect, the unit). ``formula_rhs`` adds controls
    (``""`` for none). Generalises paper 000 eq. (10) to dynamic effects.

    Raises :class:`EstimationError` for unknown columns, both or neither of ``event_time`` /
    ``treatment_start``, non-integer relative times, a window with lo ≥ hi, a reference period
    outside the window, or event dummies collinear with the fixed effects (e.g. every unit
    treated at the same date, without never-treated controls).
    """
    where = "event_study"
    frame = as_pandas(data)
    require_columns(frame, where, outcome=outcome, unit=unit, time=time, weights=weights)
    if (event_time is None) == (treatment_start is None):
        raise EstimationError(f"{where}: give exactly one of event_time= and treatment_start=")
    lo, hi = (int(window[0]), int(window[1]))
    if (lo, hi) != tuple(window) or lo >= hi:
        raise EstimationError(f"{where}: window={window!r} must be two integers lo < hi")
    if not lo <= reference <= hi or int(reference) != reference:
        raise EstimationError(
            f"{where}: reference period {reference!r} is outside the window [{lo}, {hi}]"
        )
    if endpoints not in ("bin", "drop"):
        raise EstimationError(f"{where}: endpoints={endpoints!r}; use 'bin' or 'drop'")
    if event_time is not None:
        require_columns(frame, where, event_time=event_time)
        source = event_time
        rel = frame[event_time].to_numpy(dtype=float, na_value=np.nan)
    else:
        assert treatment_start is not None
        require_columns(frame, where, treatment_start=treatment_start)
        source = treatment_start
        if not pd.api.types.is_numeric_dtype(frame[time]):
            raise EstimationError(f"{where}: time column {time!r} must be numeric")
        start = frame[treatment_start].to_numpy(dtype=float, na_value=np.nan)
        rel = frame[time].to_numpy(dtype=float) - start
        varies = frame.groupby(unit)[treatment_start].nunique(dropna=False) > 1
        if varies.any():
            raise EstimationError(
                f"{where}: {treatment_start!r} varies within units of {unit!r} "
                f"(e.g. {list(varies.index[varies][:5])}); it must be the unit's first "
                "treated period"
            )
    fractional = np.isfinite(rel) & (rel != np.round(rel))
    if fractional.any():
        raise EstimationError(
            f"{where}: relative time from {source!r} is not a whole number at rows "
            f"{rows_text(frame.index[fractional])}"
        )
    work = frame.copy()
    treated = np.isfinite(rel)
    outside = treated & ((rel < lo) | (rel > hi))
    if endpoints == "drop":
        work = work[~outside]
        rel = rel[~outside]
        treated = treated[~outside]
    terms: dict[int, str] = {}
    for k in range(lo, hi + 1):
        if k == reference:
            continue
        name = _event_name(k)
        if name in frame.columns:
            raise EstimationError(f"{where}: data already has a column {name!r}; rename it")
        if endpoints == "bin" and k == lo:
            dummy = treated & (rel <= lo)
        elif endpoints == "bin" and k == hi:
            dummy = treated & (rel >= hi)
        else:
            dummy = treated & (rel == k)
        work[name] = dummy.astype(float)
        terms[k] = name
    fe_part = fe_text(fe) or f"{unit} + {time}"
    formula = formula_text(outcome, [*terms.values(), *control_terms(formula_rhs)], fe_part)
    result = feols_quietly(formula, work, vcov=vcov, weights=weights)
    lost = [t for t in terms.values() if t not in result.params.index]
    if lost:
        raise EstimationError(
            f"{where}: event dummies {lost} are collinear with the fixed effects or each other "
            f"in {formula!r} (no never-treated units and a single event date, or no treated "
            "observation at those relative periods)"
        )
    if endpoints == "drop":
        reg = result.sample
        assert reg is not None
        dropped = {**reg.dropped, "outside_window": int(outside.sum())}
        result.sample = SampleAccounting(len(frame), result.nobs, dropped)
    n_dates: int | None = None
    if pd.api.types.is_numeric_dtype(work[time]):
        starts = work[time].to_numpy(dtype=float)[treated] - rel[treated]
        n_dates = len(np.unique(starts))
    result.model = "event_study"
    return EventStudy(
        result=result,
        window=(lo, hi),
        reference=int(reference),
        endpoints=endpoints,
        terms=terms,
        diagnostics={
            "treated_units": int(work.loc[treated, unit].nunique()),
            "never_treated_units": int(work.loc[~treated, unit].nunique()),
            "outside_window_rows": int(outside.sum()),
            "event_dates": n_dates,
            "staggered": None if n_dates is None else n_dates > 1,
        },
    )
