"""Callaway–Sant'Anna against stored csdid numbers (tests/reference/staggered_castle_csdid.json,
made by tests/reference/make_staggered_references.py with csdid 0.4.3 on the castle-doctrine
panel; provenance inside the file), so the check runs where csdid is not installed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vagg.estimate import callaway_santanna

REF = json.loads(
    (Path(__file__).parents[2] / "reference" / "staggered_castle_csdid.json").read_text("utf-8")
)
KEYS = {"group": "cohort", "dynamic": "event_time", "calendar": "time"}


@pytest.fixture(scope="module")
def fit(castle):
    return callaway_santanna(castle, "l_homicide", "sid", "year", "effyear", bootstrap=0)


def test_att_gt(fit):
    f, ref = fit.att_gt, REF["att_gt"]
    np.testing.assert_array_equal(f["cohort"], ref["cohort"])
    np.testing.assert_array_equal(f["time"], ref["time"])
    np.testing.assert_allclose(f["estimate"], ref["estimate"], atol=1e-12)
    np.testing.assert_allclose(f["std_error"], ref["std_error"], atol=1e-12)


@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_aggregations(fit, kind):
    agg, ref = fit.aggregate(kind), REF[kind]
    assert agg.overall is not None
    assert agg.overall["estimate"].iloc[0] == pytest.approx(ref["overall"], abs=1e-12)
    assert agg.overall["std_error"].iloc[0] == pytest.approx(ref["overall_se"], abs=1e-12)
    if kind != "simple":
        np.testing.assert_array_equal(agg.frame[KEYS[kind]], ref["keys"])
        np.testing.assert_allclose(agg.frame["estimate"], ref["estimate"], atol=1e-12)
        np.testing.assert_allclose(agg.frame["std_error"], ref["std_error"], atol=1e-12)
