"""Estimation helpers of the study ``resilience_firms`` (paper 003): the regression templates
of spec 003 §4.1 with their fixed effects, controls and clustering.

* (B1) cross-section: ``R ~ vagg_2007 + X_2007 + ln X_2007 | CIC4 + city``, clustered by CIC4
  (vagg_h varies by membership × industry; spec 003 §4.1 B1);
* (B2) panel shock design: ``Δ ln X ~ Loss + vagg_t−1 + Loss × vagg_t−1 + X_t−1 | firm +
  CIC4×year + province×year``, clustered by firm;
* (M-a) mechanism outcome: ``M ~ vagg + X | firm + CIC4 + year``, clustered by firm (paper 000
  eq. 5 with M as the dependent variable);
* (M-b) mediation on the cross-section (:func:`vagg.mediation`, Sobel and cluster bootstrap);
* (M-c) moderation on the cross-section (raw interaction).

An equation that cannot be estimated on a dataset (an indicator whose inputs the dataset
lacks, a group without members) is a blank cell and a note in the manifest
(:func:`vagg.studies.dvar_firms.models.attempt`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

import vagg
from vagg.errors import VaggError
from vagg.estimate.errors import EstimationError
from vagg.estimate.mechanisms.mediation import Mediation
from vagg.estimate.results import Result
from vagg.report.layouts import difference_result
from vagg.studies.data import StudyData
from vagg.studies.dvar_firms.models import quiet_collinearity
from vagg.studies.resilience_firms.panels import CONTROLS, panel

__all__ = [
    "CROSS_CLUSTER",
    "CROSS_FE",
    "FIRM_CLUSTER",
    "PANEL_FE",
    "SHOCK_FE",
    "attempt",
    "cross_frame",
    "cross_ols",
    "indirect_result",
    "mediate",
    "ols",
    "panel_ols",
    "require",
]

#: (B1): CIC4 and city fixed effects, errors clustered by CIC4.
CROSS_FE = "cic4 + city_code"
CROSS_CLUSTER = {"CRV1": "cic4"}
#: (M-a): firm, CIC4 and year fixed effects, errors clustered by firm.
PANEL_FE = "firm_id + cic4 + year"
#: (B2): firm, CIC4 × year and province × year fixed effects, errors clustered by firm.
SHOCK_FE = "firm_id + jt + pt"
FIRM_CLUSTER = {"CRV1": "firm_id"}


def attempt(data: StudyData, where: str, fit: Callable[[], Result]) -> Result | None:
    """``fit()``, or None (a blank cell, recorded in the manifest) when the equation cannot be
    estimated on this dataset: an estimation problem, or a table or column of paper 003 that
    the dataset does not hold (any :class:`vagg.errors.VaggError`)."""
    try:
        return fit()
    except VaggError as err:
        data.note_dropped(f"not estimated: {where}: {err}", {})
        return None


def require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """An EstimationError (a blank cell) when ``frame`` lacks one of ``columns`` or has no
    value in it — the indicator's inputs are not in this dataset."""
    missing = [c for c in columns if c not in frame.columns or frame[c].notna().sum() == 0]
    if missing:
        raise EstimationError(f"{what}: no values of {missing} in this dataset")


def ols(
    depvar: str,
    regressors: Sequence[str],
    frame: pd.DataFrame,
    *,
    fe: str,
    vcov: Any,
    key: Sequence[str] | None = None,
    weights: str | None = None,
) -> Result:
    """``depvar ~ regressors | fe`` (optionally weighted); a ``key`` regressor (default: the
    first) that drops out (collinear with the fixed effects) is an EstimationError. Absorbed
    controls drop quietly, as in reghdfe."""
    require(frame, [depvar, *regressors], depvar)
    formula = f"{depvar} ~ {' + '.join(regressors)} | {fe}"
    with quiet_collinearity():
        result = vagg.feols(formula, frame, vcov=vcov, weights=weights)
    lost = [t for t in (key or regressors[:1]) if t not in result.params.index]
    if lost:
        raise EstimationError(f"{formula}: {lost} collinear with the fixed effects")
    return result


def cross_frame(data: StudyData) -> pd.DataFrame:
    """Sample C (:func:`vagg.studies.resilience_firms.panels.cross_section`) as pandas."""
    return panel(data)["cross"].to_pandas()


def cross_ols(
    outcome: str,
    regressors: Sequence[str],
    frame: pd.DataFrame,
    *,
    controls: bool = True,
    key: Sequence[str] | None = None,
) -> Result:
    """(B1): ``outcome ~ regressors [+ age + size + cl + debt + herfind + ln X_2007] | CIC4 +
    city``, clustered by CIC4 (spec 003 §4.1)."""
    rhs = [*regressors, *((*CONTROLS, "lnx07") if controls else ())]
    return ols(outcome, rhs, frame, fe=CROSS_FE, vcov=CROSS_CLUSTER, key=key)


def panel_ols(depvar: str, regressor: str, frame: pd.DataFrame) -> Result:
    """(M-a): ``depvar ~ regressor + controls | firm + CIC4 + year``, clustered by firm."""
    return ols(depvar, [regressor, *CONTROLS], frame, fe=PANEL_FE, vcov=FIRM_CLUSTER)


def mediate(
    data: StudyData, frame: pd.DataFrame, mediator: str, outcome: str = "RESIS"
) -> Mediation:
    """(M-b) on sample C: ``outcome`` on vagg_h through ``mediator`` with the (B1) controls and
    fixed effects; Sobel's test and a percentile interval from the option
    ``mediation_bootstrap`` resamples of CIC4 industries (clusters)."""
    require(frame, [mediator, outcome], f"mediation through {mediator}")
    rows = frame.dropna(subset=[mediator, outcome, "vagg_h", *CONTROLS, "lnx07"])
    with quiet_collinearity():
        return vagg.mediation(
            rows,
            outcome=outcome,
            treatment="vagg_h",
            mediator=mediator,
            controls=[*CONTROLS, "lnx07"],
            fe=["cic4", "city_code"],
            vcov=CROSS_CLUSTER,
            bootstrap=int(data.option("mediation_bootstrap")),
            cluster="cic4",
            seed=data.seed or 0,
        )


def indirect_result(med: Mediation) -> Result:
    """The indirect effect a·δ as a one-row Result (term ``indirect``) with Sobel's standard
    error, for tables and truth checks; the bootstrap interval is in ``extra``."""
    result = difference_result({"indirect": (med.indirect, med.indirect_se)})
    result.extra["bootstrap_ci"] = med.bootstrap_ci
    result.extra["sobel_z"] = med.sobel.statistic
    return result
