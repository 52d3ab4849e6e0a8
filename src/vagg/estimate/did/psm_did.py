"""Difference-in-differences: DID terms and PSM-DID on top of ``feols``.

Paper 000 (Ren & Liang 2022) eq. (10) and Table 3 treat a firm's change of industry as a
quasi-natural experiment::

    DVAR_fjt = α·treat_f × post_ft + β·treat_f × post_ft × vagg_fjt + X'γ + ν_f + ν_j + ν_t + ε

estimated by DID on the full sample (columns 1–3) and on a propensity-score-matched sample
(PSM-DID, columns 4–6; Tables 6–7 columns 3–4 for the mechanisms). :func:`did_terms` builds
the interaction columns, :func:`psm_did` matches (with :func:`~vagg.estimate.matching.psm.psm`)
and estimates the DID on the matched or weighted sample;
:func:`~vagg.estimate.did.event_study.event_study` replaces
treat × post by leads and lags of the treatment date to show dynamics and pre-trends.

References: Angrist & Pischke (2009) ch. 5; Heckman, Ichimura & Todd (1997) on matching DID;
Borusyak, Jaravel & Spiess (2024) and Sun & Abraham (2021) on binned endpoints and the
problems of two-way fixed effects event studies under staggered adoption with heterogeneous
effects (the estimator here is the conventional TWFE one; with staggered dates its lags are
weighted averages that can mix cohorts, recorded in ``diagnostics["staggered"]``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas, require_columns, rows_text
from vagg.estimate.linear.fixed_effects import feols
from vagg.estimate.linear.formula import control_terms, fe_text, formula_text
from vagg.estimate.matching.psm import psm
from vagg.estimate.results import Result, SampleAccounting

__all__ = ["did_term_names", "did_terms", "psm_did"]


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
    common_support: bool = False,
    vcov: str | Mapping[str, Any] | None = None,
    seed: int = 0,
    required: Sequence[str] | None = None,
) -> Result:
    """PSM-DID: propensity-score matching, then DID on the matched (or IPW-weighted) sample.

    1. Matching with :func:`~vagg.estimate.matching.psm.psm` of ``treat`` on ``covariates``
       (``k`` neighbours, ``caliper``, ``replace``, ``model``, ``common_support``, which is
       False by default as in psmatch2 and MatchIt):

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

    ``required`` names the DID terms that must be estimated (default: all of them); a term
    not in it that the fixed effects absorb (treat × post when industry effects absorb the
    switch itself) is left out of the Result, as reghdfe drops it.

    Returns the DID :class:`Result` (``model="psm_did"``) with ``extra["matching"]`` (the
    :class:`~vagg.estimate.matching.psm.Matching`), ``extra["weights"]`` (row weights aligned to
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
    for t in terms if required is None else required:
        if t not in result.params.index:
            raise EstimationError(
                f"{where}: {t!r} could not be estimated in {formula!r} "
                f"({(result.diagnostics.collinear_reasons or {}).get(t, 'collinear')})"
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
