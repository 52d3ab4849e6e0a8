"""Bad inputs of the staggered DID estimators: one clear StaggeredDataError (a VaggError) per
problem, naming the column and the offending units or rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vagg.errors import VaggError
from vagg.estimate import StaggeredDataError, callaway_santanna, sun_abraham
from vagg.estimate.errors import EstimationError


@pytest.fixture
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    units, periods = 40, 6
    cohort = np.array([0, 3, 4, 5] * 10)
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(units), periods),
            "t": np.tile(np.arange(1, periods + 1), units),
            "y": rng.normal(size=units * periods),
            "g": np.repeat(cohort, periods).astype(float),
            "x1": rng.normal(size=units * periods),
        }
    )


def _cs(data: pd.DataFrame, **kw):
    return callaway_santanna(data, "y", "id", "t", "g", bootstrap=0, **kw)


def _sa(data: pd.DataFrame, **kw):
    return sun_abraham(data, "y", "id", "t", "g", **kw)


def test_the_error_class_is_a_vagg_error():
    assert issubclass(StaggeredDataError, EstimationError)
    assert issubclass(StaggeredDataError, VaggError)


@pytest.mark.parametrize("estimator", [_cs, _sa])
def test_unbalanced_panel_lists_units(panel, estimator):
    data = panel.drop(index=[13, 40])  # unit 2 misses t = 2, unit 6 misses t = 5
    with pytest.raises(StaggeredDataError, match=r"unbalanced: 2 units of 'id'.*units 2, 6"):
        estimator(data)


@pytest.mark.parametrize("estimator", [_cs, _sa])
def test_cohort_varying_within_unit(panel, estimator):
    data = panel.copy()
    data.loc[(data["id"] == 5) & (data["t"] == 6), "g"] = 4.0
    with pytest.raises(StaggeredDataError, match=r"'g' varies within units of 'id' \(units 5\)"):
        estimator(data)


def test_no_never_treated_with_never_controls(panel):
    data = panel[panel["g"] > 0]
    with pytest.raises(StaggeredDataError, match=r"no never-treated units.*control='notyet'"):
        _cs(data)
    with pytest.raises(StaggeredDataError, match="no never-treated units"):
        _sa(data)
    # not-yet-treated controls work: the last cohort becomes the comparison group
    fit = _cs(data, control="notyet")
    assert fit.att_gt_effects.sample is not None
    assert fit.att_gt_effects.sample.dropped == {"after_last_cohort": 2 * 30}


@pytest.mark.parametrize("estimator", [_cs, _sa])
def test_cohort_not_among_periods(panel, estimator):
    data = panel.copy()
    data.loc[data["id"] == 7, "g"] = 9.0
    with pytest.raises(StaggeredDataError, match=r"cohorts \[9.0\] of column 'g' are not periods"):
        estimator(data)


@pytest.mark.parametrize("column", ["y", "x1", "t"])
def test_missing_values_name_rows(panel, column):
    data = panel.copy()
    data.loc[[17, 33], column] = np.nan
    with pytest.raises(
        StaggeredDataError, match=rf"column '{column}' has missing values at rows 17, 33"
    ):
        _cs(data, x=["x1"])


def test_missing_cohort_means_never_treated(panel):
    coded = panel.copy()
    coded["g"] = coded["g"].replace(0.0, np.nan)
    a = _cs(panel).att_gt["estimate"]
    b = _cs(coded).att_gt["estimate"]
    np.testing.assert_array_equal(a, b)


def test_too_few_units_in_a_cohort(panel):
    data = panel[~panel["id"].isin([1, 5, 9, 13, 17, 21, 25, 29, 33])]  # cohort 3 keeps unit 37
    with pytest.raises(
        StaggeredDataError, match=r"cohort 3 of column 'g' has 1 unit\(s\) \(units 37\)"
    ):
        _cs(data, min_units=2)
    few_never = panel[~panel["id"].isin(range(0, 36, 4))]  # 1 never-treated unit left (36)
    with pytest.raises(
        StaggeredDataError, match=r"never-treated group.*1 unit\(s\).*3 needed with 1"
    ):
        _cs(few_never, x=["x1"])


def test_duplicate_keys_and_unknown_columns(panel):
    with pytest.raises(StaggeredDataError, match=r"\('id', 't'\) is not a unique key"):
        _cs(pd.concat([panel, panel.iloc[[3]]]))
    with pytest.raises(EstimationError, match="cohort column 'gg' is not in data"):
        callaway_santanna(panel, "y", "id", "t", "gg")


def test_always_treated_units_are_dropped_and_counted(panel):
    data = panel.copy()
    data.loc[data["id"].isin([0, 4]), "g"] = 1.0
    fit = _cs(data)
    s = fit.att_gt_effects.sample
    assert s is not None and s.dropped == {"always_treated": 12} and s.n_used == 228
    assert any("units 0, 4" in note for note in fit.att_gt_effects.notes)


def test_bad_options(panel):
    for kw, msg in [
        ({"control": "all"}, "control="),
        ({"method": "ols"}, "method="),
        ({"base_period": "first"}, "base_period="),
        ({"multiplier": "webb"}, "multiplier="),
        ({"alpha": 1.5}, "alpha="),
    ]:
        with pytest.raises(EstimationError, match=msg):
            _cs(panel, **kw)
    with pytest.raises(EstimationError, match="control_cohort="):
        _sa(panel, control_cohort="first")


def test_cluster_must_nest_units(panel):
    data = panel.assign(region=np.arange(len(panel)) % 3)
    with pytest.raises(StaggeredDataError, match="cluster column 'region' varies within units"):
        _cs(data, cluster="region")
