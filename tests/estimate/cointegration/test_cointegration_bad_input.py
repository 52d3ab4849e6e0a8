"""Bad input to vagg.fmols / vagg.dols: one test per error, the message names the culprit."""

from __future__ import annotations

import pandas as pd
import pytest

import vagg
from vagg.estimate.errors import EstimationError

PANEL = ("firm", "year")


def test_gap_within_a_unit(grunfeld: pd.DataFrame) -> None:
    data = grunfeld.drop(grunfeld.index[(grunfeld.firm == "IBM") & (grunfeld.year == 1945)])
    with pytest.raises(EstimationError, match=r"unit 'IBM' has a gap in 'year': period\(s\) 1945"):
        vagg.fmols("invest ~ value", data, panel=PANEL)


def test_missing_value_inside_a_unit_is_a_gap(grunfeld: pd.DataFrame) -> None:
    data = grunfeld.copy()
    data.loc[(data.firm == "Chrysler") & (data.year == 1940), "value"] = float("nan")
    with pytest.raises(EstimationError, match=r"unit 'Chrysler' has a gap.*1940"):
        vagg.dols("invest ~ value", data, panel=PANEL)


def test_collinear_regressors(grunfeld: pd.DataFrame) -> None:
    data = grunfeld.assign(value2=2 * grunfeld["value"])
    with pytest.raises(EstimationError, match=r"regressor 'value2' is a combination of.*collinear"):
        vagg.fmols("invest ~ value + value2", data, panel=PANEL)


def test_regressor_constant_in_a_unit(grunfeld: pd.DataFrame) -> None:
    data = grunfeld.copy()
    data.loc[data.firm == "Goodyear", "capital"] = 5.0
    with pytest.raises(
        EstimationError, match=r"'capital' is a combination of \['Intercept'\].*unit 'Goodyear'"
    ):
        vagg.fmols("invest ~ value + capital", data, panel=PANEL)


def test_singular_long_run_covariance(grunfeld: pd.DataFrame) -> None:
    """An outcome that is an exact linear function of the regressor in one unit."""
    data = grunfeld.copy()
    gm = data.firm == "General Motors"
    data.loc[gm, "invest"] = 3.0 + 0.5 * data.loc[gm, "value"]
    with pytest.raises(EstimationError, match=r"singular in unit 'General Motors'"):
        vagg.fmols("invest ~ value", data, panel=PANEL, bandwidth=2)


def test_singular_long_run_variance_dols(grunfeld: pd.DataFrame) -> None:
    data = grunfeld.copy()
    gm = data.firm == "General Motors"
    data.loc[gm, "invest"] = 3.0 + 0.5 * data.loc[gm, "value"]
    with pytest.raises(EstimationError, match=r"singular long-run covariance"):
        vagg.dols("invest ~ value", data, panel=PANEL, bandwidth=2)


def test_t_too_short_for_fmols(grunfeld: pd.DataFrame) -> None:
    data = grunfeld[grunfeld.year <= 1938]
    with pytest.raises(EstimationError, match=r"has 4 periods.*T too short"):
        vagg.fmols("invest ~ value + capital", data, panel=PANEL)


def test_t_too_short_for_dols_leads_and_lags(grunfeld: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"3 lag\(s\) and 3 lead\(s\).*T too short"):
        vagg.dols("invest ~ value + capital", grunfeld, panel=PANEL, leads=3, lags=3)


def test_fixed_effects_part_is_refused(grunfeld: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"fixed-effects part.*demean_time=True"):
        vagg.fmols("invest ~ value | year", grunfeld, panel=PANEL)


def test_duplicate_keys(grunfeld: pd.DataFrame) -> None:
    data = pd.concat([grunfeld, grunfeld.iloc[[3]]])
    with pytest.raises(EstimationError, match=r"duplicate \(firm, year\) pairs"):
        vagg.fmols("invest ~ value", data, panel=PANEL)


def test_unknown_estimator(grunfeld: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"estimator='between'"):
        vagg.fmols("invest ~ value", grunfeld, panel=PANEL, estimator="between")  # type: ignore[arg-type]


def test_negative_leads(grunfeld: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"leads=-1 must be a non-negative integer"):
        vagg.dols("invest ~ value", grunfeld, panel=PANEL, leads=-1)
