"""The staggered DID recovers planted dynamic effects where static two-way FE is biased.

The panel of ``conftest.staggered_simulation``: cohorts 3, 5, 7 and never treated, effects
τ_g(e) = b_g(e + 1) growing with exposure and faster for early cohorts. Truths are computed
from the planted τ: the event-time effects θ_es(e), the overall ATT over treated cells, and
the exact estimand of static TWFE, Σ D̃τ / Σ D̃D (D̃ the two-way residual of the treatment
dummy; these are Goodman-Bacon's 2021 decomposition weights), which puts little or negative
weight on the long exposures of early cohorts, where the effects are largest.
"""

from __future__ import annotations

import numpy as np
import pytest

from vagg.estimate import callaway_santanna, feols, sun_abraham


def test_twfe_is_biased_by_construction(simulated):
    panel, truth = simulated
    # the closed-form TWFE estimand is far below the ATT it is meant to summarise
    assert truth["twfe"] < 0.3 * truth["simple"]
    assert truth["twfe_weights"].min() < 0  # some treated cells get negative weight
    res = feols("y ~ d | unit + time", panel)
    ci = res.conf_int().loc["d"]
    # TWFE estimates its own estimand ...
    assert ci["lower"] <= truth["twfe"] <= ci["upper"]
    # ... which is not the ATT: the interval excludes the planted effect by a wide margin
    assert ci["upper"] < truth["simple"] - 1.0


def test_callaway_santanna_recovers_planted_event_time_effects(simulated):
    panel, truth = simulated
    for control in ("never", "notyet"):
        fit = callaway_santanna(panel, "y", "unit", "time", "cohort", control=control, seed=1)
        dyn = fit.aggregate("dynamic").frame
        planted = np.array([truth["dynamic"][int(e)] for e in dyn["event_time"]])
        # every planted θ_es(e), pre-periods (0) included, lies in the uniform 95% band
        assert np.all((dyn["band_low"] <= planted) & (planted <= dyn["band_high"]))
        simple = fit.aggregate("simple").overall
        assert simple is not None
        lo, hi = simple["conf_low"].iloc[0], simple["conf_high"].iloc[0]
        assert lo <= truth["simple"] <= hi
        # and CS is far closer to the truth than TWFE
        res = feols("y ~ d | unit + time", panel)
        bias_cs = abs(simple["estimate"].iloc[0] - truth["simple"])
        assert bias_cs < 0.1 * abs(float(res.params["d"]) - truth["simple"])
        assert fit.pretrend_test().pvalue > 0.01


def test_sun_abraham_recovers_planted_event_time_effects(simulated):
    panel, truth = simulated
    fit = sun_abraham(panel, "y", "unit", "time", "cohort", seed=1)
    f = fit.coefficients()
    planted = np.array([truth["dynamic"][int(e)] for e in f["rel_time"]])
    assert np.all((f["band_low"] <= planted) & (planted <= f["band_high"]))
    # the cohort-specific effects recover b_g (e + 1)
    ce = fit.cohort_effects
    post = ce[ce["rel_time"] >= 0]
    slope = {3: 0.6, 5: 0.4, 7: 0.2}
    cell_truth = np.array(
        [slope[int(g)] * (e + 1) for g, e in zip(post["cohort"], post["rel_time"], strict=True)]
    )
    z = (post["estimate"].to_numpy() - cell_truth) / post["std_error"].to_numpy()
    assert np.mean(np.abs(z) < 1.96) > 0.85


def test_static_twfe_event_study_mixes_cohorts_but_saturated_does_not(simulated):
    """A plain event study with common relative-time dummies (vagg ``event_study``) is
    contaminated by the heterogeneous cohorts at long horizons; the IW estimate is not."""
    from vagg.estimate import event_study

    panel, truth = simulated
    start = panel["cohort"].where(panel["cohort"] > 0)
    es = event_study(
        "",
        panel.assign(start=start),
        outcome="y",
        unit="unit",
        time="time",
        treatment_start="start",
        window=(-5, 7),
        endpoints="bin",
    ).coefficients()
    sa = sun_abraham(panel, "y", "unit", "time", "cohort").coefficients()
    e = 7
    twfe_err = abs(float(es.loc[es["rel_time"] == e, "estimate"].iloc[0]) - truth["dynamic"][e])
    sa_err = abs(float(sa.loc[sa["rel_time"] == e, "estimate"].iloc[0]) - truth["dynamic"][e])
    assert sa_err < twfe_err
    assert sa_err < 2.5 * float(sa.loc[sa["rel_time"] == e, "std_error"].iloc[0])


@pytest.mark.slow
def test_coverage_across_seeds():
    """Across 20 seeds the uniform band of CS's event-time effects covers all planted effects
    in at least 85% of seeds (nominal 95%)."""
    from conftest import staggered_simulation  # type: ignore[import-not-found]

    hits = 0
    for seed in range(20):
        panel, truth = staggered_simulation(seed, n=600)
        dyn = (
            callaway_santanna(panel, "y", "unit", "time", "cohort", seed=seed)
            .aggregate("dynamic")
            .frame
        )
        planted = np.array([truth["dynamic"][int(e)] for e in dyn["event_time"]])
        hits += bool(np.all((dyn["band_low"] <= planted) & (planted <= dyn["band_high"])))
    assert hits >= 17
