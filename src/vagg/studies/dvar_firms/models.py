"""Estimation helpers of the study ``dvar_firms`` (paper 000): the regressions of eq. (5) and
(10) with the paper's fixed effects, controls and clustering, the IV with the lagged vagg, and
the year-by-year matching samples (matching design per the study's options).

Every regression is ``y ~ x + controls | firm + CIC4 + year`` clustered by firm (paper 000
eq. 5: "控制了年份、个体及行业固定效应"). An equation that cannot be estimated on a dataset (a
group without platform members, treat × post absorbed in a small matched sample) becomes a
blank cell and a note in the manifest, never a silent gap.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd

import vagg
from vagg.estimate.errors import EstimationError
from vagg.estimate.matching.ipw import PSMInputError
from vagg.estimate.results import Result
from vagg.report.layouts import min_firms
from vagg.studies.base import Text, resolve_text
from vagg.studies.data import StudyData
from vagg.studies.dvar_firms.panels import CONTROLS, OWNERSHIP_DUMMIES, VAGG, derive
from vagg.studies.publish import firm_count

__all__ = [
    "CLUSTER",
    "FIXED_EFFECTS",
    "PSM_COVARIATES",
    "RHS_CONTROLS",
    "SEPARATION_CHECK_BELOW",
    "SHOWN_CONTROLS",
    "STATS",
    "analysis_frame",
    "attempt",
    "did_frame",
    "did_ols",
    "fe_ols",
    "in_lang",
    "iv_lagged",
    "matching_design",
    "matching_frame",
    "psm_did_ols",
    "quiet_collinearity",
]

#: Fixed effects of every regression (eq. 5: ν_f + ν_j + ν_t) and the clustering.
FIXED_EFFECTS = "firm_id + cic4 + year"
CLUSTER = {"CRV1": "firm_id"}
#: Right-hand-side controls of §2.3: the five firm controls and the ownership dummies.
RHS_CONTROLS: tuple[str, ...] = (*CONTROLS, *OWNERSHIP_DUMMIES)
#: Controls that vary within firms (the others drop out with firm and year fixed effects
#: whenever they are constant within firms): the "控制变量" row of the tables.
SHOWN_CONTROLS = ["size", "cl", "debt", "herfind"]
#: Model statistics at the foot of the one-equation-per-column tables (the paper's R² is the
#: within R² of reghdfe; both are shown).
STATS = ("nobs", "r2", "r2_within")
#: Years with fewer treated rows than this are checked for separation of the logit score
#: before matching (:func:`matching_frame`).
SEPARATION_CHECK_BELOW = 100
#: Covariates of the propensity scores (Tables 2, 3, 6, 7).
PSM_COVARIATES: tuple[str, ...] = CONTROLS


@contextmanager
def quiet_collinearity() -> Iterator[None]:
    """Controls constant within firms drop out with firm fixed effects (as in reghdfe); the
    Result lists them in ``diagnostics["collinear_dropped"]``, so the warning is not repeated."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*dropped collinear regressors")
        yield


def analysis_frame(data: StudyData) -> pd.DataFrame:
    """The analysis panel (:func:`vagg.studies.dvar_firms.panels.analysis_panel`) as pandas."""
    return data.cached("dvar_firms_panels", derive)["panel"].to_pandas()


def fe_ols(
    depvar: str,
    regressors: Sequence[str],
    frame: pd.DataFrame,
    *,
    controls: bool = True,
    weights: str | None = None,
    key: Sequence[str] | None = None,
) -> Result:
    """``depvar ~ regressors [+ controls] | firm + CIC4 + year``, clustered by firm (eq. 5).

    Controls that the fixed effects absorb drop out quietly (reghdfe does the same); a ``key``
    regressor (default: all ``regressors``) that drops out is an EstimationError."""
    rhs = [*regressors, *(RHS_CONTROLS if controls else ())]
    formula = f"{depvar} ~ {' + '.join(rhs)} | {FIXED_EFFECTS}"
    with quiet_collinearity():
        result = vagg.feols(formula, frame, vcov=CLUSTER, weights=weights)
    lost = [t for t in (regressors if key is None else key) if t not in result.params.index]
    if lost:
        raise EstimationError(
            f"{formula}: {lost} collinear with the fixed effects or the other regressors"
        )
    return result


def iv_lagged(depvar: str, regressor: str, frame: pd.DataFrame) -> Result:
    """2SLS of ``depvar`` on ``regressor`` instrumented by its one-year lag, with the controls
    and fixed effects of eq. (5) (Tables 6–7, column 2). Controls without variation within
    the fixed effects are left out (they are absorbed; the IV estimator refuses them)."""
    absorbed = set(fe_ols(depvar, [regressor], frame).diagnostics.collinear_dropped or [])
    controls = [c for c in RHS_CONTROLS if c not in absorbed]
    exogenous = " + ".join(controls) if controls else "1"
    formula = f"{depvar} ~ {exogenous} | {FIXED_EFFECTS} | {regressor} ~ {regressor}_lag"
    return vagg.iv(formula, frame, vcov=CLUSTER)


def attempt(data: StudyData, where: str, fit: Callable[[], Result]) -> Result | None:
    """``fit()``, or None (a blank cell, recorded in the manifest) when the equation cannot be
    estimated on this dataset (e.g. a group without platform members)."""
    try:
        return fit()
    except EstimationError as err:
        data.note_dropped(f"not estimated: {where}: {err}", {})
        return None


_SEPARATION: dict[tuple[str, int], bool] = {}


def _score_separates(rows: pd.DataFrame, treatment: str) -> bool:
    """Whether the logit score of ``treatment`` on :data:`PSM_COVARIATES` fails on ``rows``
    (memoised by the rows' content: the same year's rows recur across the equations)."""
    key = (treatment, int(pd.util.hash_pandas_object(rows, index=False).sum()))
    if key not in _SEPARATION:
        if len(_SEPARATION) > 10_000:
            _SEPARATION.clear()
        try:
            vagg.psm(rows, treatment, list(PSM_COVARIATES), k=1)
            _SEPARATION[key] = False
        except PSMInputError:
            _SEPARATION[key] = True
    return _SEPARATION[key]


def matching_frame(
    data: StudyData, frame: pd.DataFrame, treatment: str, outcome: str, stage: str
) -> pd.DataFrame:
    """Rows usable for year-by-year matching on :data:`PSM_COVARIATES`: outcome and covariates
    present, in years that have both treated and control rows (a score needs both) and whose
    logit score exists (a year whose treated and controls the covariates separate — few
    treated rows on a small dataset — has no maximum-likelihood score; it is left out rather
    than stopping the table; checked in years with fewer than
    :data:`SEPARATION_CHECK_BELOW` treated rows). The rows left out are counted by reason."""
    needed = [outcome, treatment, *PSM_COVARIATES]
    complete = frame.dropna(subset=needed)
    by_year = complete.groupby("year")[treatment].agg(["min", "max"])
    years = by_year.index[(by_year["min"] == 0) & (by_year["max"] == 1)]
    usable = complete[complete["year"].isin(years)]
    separated = []
    treated = usable.groupby("year")[treatment].sum()
    for year in years:
        if treated.get(year, 0) >= SEPARATION_CHECK_BELOW:
            continue
        rows = usable.loc[usable["year"] == year, [treatment, *PSM_COVARIATES]]
        if _score_separates(rows, treatment):
            separated.append(year)
    kept = usable[~usable["year"].isin(separated)]
    data.note_dropped(
        stage,
        {
            "outcome or covariates missing": len(frame) - len(complete),
            "year without treated or without control rows": len(complete) - len(usable),
            "year whose logit score does not exist (separation)": len(usable) - len(kept),
        },
        n_input=len(frame),
    )
    return kept.reset_index(drop=True)


def did_frame(data: StudyData, frame: pd.DataFrame) -> pd.DataFrame:
    """Firm-years with a DID status (firms switching industry more than once excluded), with
    the terms treat × post and treat × post × vagg of eq. (10)."""
    did = frame[frame["treat"].notna() & frame["post"].notna()]
    data.note_dropped(
        "DID sample: firm-years without treat/post (several industry switches)",
        {"several switches": len(frame) - len(did)},
        n_input=len(frame),
    )
    return vagg.did_terms(did, "treat", "post", *VAGG)


def did_ols(data: StudyData, outcome: str, frame: pd.DataFrame, v: str) -> Result | None:
    """Eq. (10): outcome on treat × post and treat × post × v, controls and fixed effects."""
    return attempt(
        data,
        f"DID {outcome} on {v}",
        lambda: fe_ols(outcome, ["treat_post", f"treat_post_{v}"], frame, key=[f"treat_post_{v}"]),
    )


def psm_did_ols(data: StudyData, outcome: str, frame: pd.DataFrame, v: str) -> Result | None:
    """PSM-DID: switchers matched 1:1 to non-switchers on the covariates, then eq. (10) on
    the matched sample (unweighted, Stata's ``if _weight != .``). With the option
    ``psm_did_unit="firm"`` (default) firms are matched on their pre-switch covariate means
    and keep their whole panels; with ``"firm_year"`` firm-years are matched year by year."""
    firm_level = data.option("psm_did_unit") == "firm"
    stage = f"PSM-DID ({outcome}, {v}): rows not matched"
    if firm_level:
        usable = frame.dropna(subset=[outcome, "treat", "post", *PSM_COVARIATES])
        data.note_dropped(
            stage, {"outcome or covariates missing": len(frame) - len(usable)}, n_input=len(frame)
        )
        usable = usable.reset_index(drop=True)
    else:
        usable = matching_frame(data, frame, "treat", outcome, stage)

    def fit() -> Result:
        with quiet_collinearity():
            result = vagg.psm_did(
                usable,
                outcome=outcome,
                treat="treat",
                post="post",
                covariates=list(PSM_COVARIATES),
                formula_rhs=list(RHS_CONTROLS),
                triple=[v],
                fe=FIXED_EFFECTS,
                by=None if firm_level else "year",
                unit="firm_id" if firm_level else None,
                required=[f"treat_post_{v}"],
                k=1,
                weights="matched_sample",
                vcov=CLUSTER,
                **matching_design(data),
            )
        n_firms = firm_count(result)
        if n_firms is not None and n_firms < min_firms():
            # a matched sample this small would withhold the whole table (disclosure rule)
            raise EstimationError(
                f"the matched sample has {n_firms} firms, fewer than the disclosure "
                f"threshold {min_firms()}"
            )
        return result

    return attempt(data, f"PSM-DID {outcome} on {v}", fit)


def matching_design(data: StudyData) -> dict[str, Any]:
    """The matching arguments the study's options set (``replace``, ``caliper``,
    ``common_support`` of :func:`vagg.psm` and :func:`vagg.psm_did`)."""
    return {
        "replace": data.option("matching_replace"),
        "caliper": data.option("matching_caliper"),
        "common_support": data.option("matching_common_support"),
    }


def in_lang(data: StudyData, text: Text) -> str:
    """``text`` in the run's language."""
    return resolve_text(text, data.lang)
