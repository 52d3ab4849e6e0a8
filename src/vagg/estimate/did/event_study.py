"""Event studies: leads and lags of a treatment date on top of ``feols``, with a joint
pre-trend test (Angrist & Pischke 2009 ch. 5; Borusyak, Jaravel & Spiess 2024 and Sun &
Abraham 2021 on binned endpoints and staggered adoption: the estimator is the conventional
two-way fixed effects one, and with staggered dates its lags can mix cohorts, recorded in
``diagnostics["staggered"]``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas, require_columns, rows_text
from vagg.estimate.linear.fixed_effects import feols_quietly
from vagg.estimate.linear.formula import control_terms, fe_text, formula_text
from vagg.estimate.results import HypothesisTest, Result, SampleAccounting

__all__ = ["EventStudy", "event_study"]


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
