"""Tests of vagg.estimate.did.callaway_santanna against two independent implementations.

References (each computed in the test, on the same rows):
- ``csdid`` 0.4.3 (PyPI; a port of R ``did`` 2.x by Callaway & Sant'Anna): ATT(g,t), their
  analytic influence-function SEs (``bstrap=False``), the Wald pre-test ``W`` and the
  ``aggte`` aggregations (simple, group, dynamic with min_e/max_e/balance_e, calendar).
- ``differences`` 0.3.0 (PyPI, Dor Leventer; an independent implementation of CS with
  Sant'Anna & Zhao's estimators): ATT(g,t) and SEs, including its ``dr-ipt`` estimator for
  vagg's ``dr_imp`` (the improved DR of Sant'Anna & Zhao 2020 eq. (3.4)).
Data: the castle-doctrine panel of Cheng & Hoekstra (2013) from ``causaldata`` (conftest).
Tolerances: 1e-12 without covariates; with covariates csdid fits the logit with statsmodels
(converged to ~1e-10), so 1e-9; differences' inverse probability tilting stops earlier, so
1e-6 for its SEs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from vagg.estimate import StaggeredEffects, callaway_santanna
from vagg.estimate.errors import EstimationError

csdid_att_gt = pytest.importorskip("csdid.att_gt")

X = ["l_police", "unemployrt"]
CONTROL = {"never": "nevertreated", "notyet": "notyettreated"}


def _csdid(data: pd.DataFrame, control: str, method: str, base: str, x: list[str] | None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = csdid_att_gt.ATTgt(
            yname="l_homicide",
            tname="year",
            idname="sid",
            gname="effyear",
            data=data,
            control_group=CONTROL[control],
            xformla=None if x is None else "~ " + " + ".join(x),
        )
        return model.fit(est_method=method, base_period=base, bstrap=False)


@pytest.mark.parametrize("base", ["varying", "universal"])
@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_att_gt_matches_csdid_without_covariates(castle, method, control, base):
    ref = _csdid(castle, control, method, base, None)
    fit = callaway_santanna(
        castle,
        "l_homicide",
        "sid",
        "year",
        "effyear",
        control=control,
        method=method,
        base_period=base,
        bootstrap=0,
    )
    f = fit.att_gt
    assert list(f["cohort"]) == [float(g) for g in ref.results["group"]]
    assert list(f["time"]) == [float(t) for t in ref.results["year"]]
    np.testing.assert_allclose(f["estimate"], ref.results["att"], atol=1e-12)
    np.testing.assert_allclose(f["std_error"], ref.results["se"], atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("base", ["varying", "universal"])
@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_att_gt_and_pretest_match_csdid_with_time_varying_covariates(
    castle_x, method, control, base
):
    ref = _csdid(castle_x, control, method, base, X)
    fit = callaway_santanna(
        castle_x,
        "l_homicide",
        "sid",
        "year",
        "effyear",
        x=X,
        control=control,
        method=method,
        base_period=base,
        bootstrap=0,
    )
    f = fit.att_gt
    np.testing.assert_allclose(f["estimate"], ref.results["att"], atol=1e-9)
    np.testing.assert_allclose(f["std_error"], ref.results["se"], atol=1e-9, equal_nan=True)
    test = fit.pretrend_test()
    assert test.statistic == pytest.approx(ref.MP["W"], rel=1e-8)
    assert test.pvalue == pytest.approx(ref.MP["Wpval"], abs=1e-5)


AGGREGATIONS = [
    ("simple", {}),
    ("group", {}),
    ("dynamic", {}),
    ("dynamic", {"min_e": -4, "max_e": 3}),
    ("dynamic", {"balance_e": 2}),
    ("calendar", {}),
]


@pytest.mark.parametrize("control", ["never", "notyet"])
@pytest.mark.parametrize(("kind", "options"), AGGREGATIONS)
def test_aggregations_match_csdid_aggte(castle, control, kind, options):
    ref = _csdid(castle, control, "dr", "varying", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.aggte(typec=kind, bstrap=False, **options)
    a = ref.atte
    fit = callaway_santanna(
        castle, "l_homicide", "sid", "year", "effyear", control=control, bootstrap=0
    )
    agg = fit.aggregate(kind, **options)
    assert isinstance(agg, StaggeredEffects)
    assert agg.overall is not None
    assert agg.overall["estimate"].iloc[0] == pytest.approx(a["overall_att"], abs=1e-12)
    assert agg.overall["std_error"].iloc[0] == pytest.approx(a["overall_se"], abs=1e-12)
    if kind != "simple":
        np.testing.assert_allclose(agg.frame["estimate"], a["att_egt"], atol=1e-12)
        np.testing.assert_allclose(agg.frame["std_error"], a["se_egt"], atol=1e-12)
        keys = {"group": "cohort", "dynamic": "event_time", "calendar": "time"}[kind]
        np.testing.assert_array_equal(agg.frame[keys], np.asarray(a["egt"], float))


@pytest.mark.parametrize(
    ("method", "reference"),
    [("reg", "reg"), ("ipw", "std_ipw"), ("dr", "dr"), ("dr_imp", "dr-ipt")],
)
@pytest.mark.parametrize("control", ["never", "notyet"])
def test_att_gt_matches_differences(castle_x, method, reference, control):
    differences = pytest.importorskip("differences")
    frame = castle_x.assign(cohort=castle_x["effyear"].replace(0, np.nan))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = differences.ATTgt(data=frame.set_index(["sid", "year"]), cohort_column="cohort")
        model.fit(
            "l_homicide ~ l_police0 + unemployrt0",
            est_method=reference,
            control_group={"never": "never_treated", "notyet": "not_yet_treated"}[control],
            progress_bar=False,
        )
        ref = model.results()
    ours = callaway_santanna(
        castle_x,
        "l_homicide",
        "sid",
        "year",
        "effyear",
        x=["l_police0", "unemployrt0"],
        method=method,
        control=control,
        bootstrap=0,
    ).att_gt
    att = ref[("ATTgtElements", "", "ATT")].to_numpy()
    se = ref[("ATTgtElements", "analytic", "std_error")].to_numpy()
    np.testing.assert_allclose(ours["estimate"], att, atol=1e-8)
    np.testing.assert_allclose(ours["std_error"], se, atol=1e-6)


def test_without_covariates_all_methods_are_the_difference_in_mean_changes(castle):
    """Closed form: with only an intercept every 2×2 estimator is the difference of mean
    changes, e.g. ATT(2007, 2007) = mean Δ(2006→2007) of the 13 adopters − of the 29 never
    adopters."""
    y = castle.pivot(index="sid", columns="year", values="l_homicide")
    g = castle.groupby("sid")["effyear"].first()
    dy = y[2007] - y[2006]
    closed = dy[g == 2007].mean() - dy[g == 0].mean()
    for method in ("reg", "ipw", "dr", "dr_imp"):
        f = callaway_santanna(
            castle, "l_homicide", "sid", "year", "effyear", method=method, bootstrap=0
        ).att_gt
        cell = f[(f["cohort"] == 2007) & (f["time"] == 2007)]
        assert cell["estimate"].iloc[0] == pytest.approx(closed, abs=1e-12)


def test_clustered_se_is_the_cluster_sum_of_influence_functions(castle_x):
    """With clusters above the unit, V = n⁻² Σ_c S_c S_c' (R did's analytic clustered SE,
    csdid ``clustervar``)."""
    ref = _csdid(castle_x.assign(), "never", "reg", "varying", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = csdid_att_gt.ATTgt(
            yname="l_homicide",
            tname="year",
            idname="sid",
            gname="effyear",
            data=castle_x,
            control_group="nevertreated",
            clustervar="region",
        ).fit(est_method="reg", bstrap=False)
    fit = callaway_santanna(
        castle_x,
        "l_homicide",
        "sid",
        "year",
        "effyear",
        method="reg",
        cluster="region",
        bootstrap=0,
    )
    np.testing.assert_allclose(fit.att_gt["estimate"], ref.results["att"], atol=1e-12)
    np.testing.assert_allclose(fit.att_gt["std_error"], model.results["se"], atol=1e-10)
    assert fit.att_gt_effects.n_clusters == 9


def test_uniform_band_is_wider_than_pointwise_and_reproducible(castle):
    kwargs = dict(control="never", bootstrap=999, seed=11)
    fit = callaway_santanna(castle, "l_homicide", "sid", "year", "effyear", **kwargs)
    again = callaway_santanna(castle, "l_homicide", "sid", "year", "effyear", **kwargs)
    dyn = fit.aggregate("dynamic")
    crit = float(dyn.crit_value)
    k = len(dyn.frame)
    # between the pointwise normal quantile and the Bonferroni bound for k effects
    assert 1.96 < crit < float(__import__("scipy").stats.norm.isf(0.025 / k))
    assert crit == float(again.aggregate("dynamic").crit_value)
    assert np.all(
        dyn.frame["band_high"] - dyn.frame["band_low"]
        > dyn.frame["conf_high"] - dyn.frame["conf_low"]
    )
    rad = callaway_santanna(
        castle, "l_homicide", "sid", "year", "effyear", multiplier="rademacher", seed=11
    ).aggregate("dynamic")
    assert float(rad.crit_value) == pytest.approx(crit, rel=0.1)


def test_anticipation_shifts_the_base_period(castle):
    """With δ = 1 the post cells of cohort g compare with g − 2 (R did's rule)."""
    fit = callaway_santanna(
        castle, "l_homicide", "sid", "year", "effyear", anticipation=1, bootstrap=0
    )
    f = fit.att_gt
    post = f[f["time"] >= f["cohort"] - 1]
    np.testing.assert_array_equal(post["base"], post["cohort"] - 2)
    ref = _csdid(castle, "never", "dr", "varying", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_a = csdid_att_gt.ATTgt(
            yname="l_homicide",
            tname="year",
            idname="sid",
            gname="effyear",
            data=castle,
            control_group="nevertreated",
            anticipation=1,
        ).fit(est_method="dr", bstrap=False)
    assert len(ref.results["att"]) >= len(ref_a.results["att"])
    np.testing.assert_allclose(f["estimate"], ref_a.results["att"], atol=1e-12)


def test_results_objects(castle):
    fit = callaway_santanna(castle, "l_homicide", "sid", "year", "effyear", bootstrap=99)
    text = fit.summary()
    assert "Callaway–Sant'Anna" in text and "Overall ATT" in text
    res = fit.aggregate("group").to_result()
    assert "group_overall" in res.params.index
    assert res.sample is not None and res.sample.n_used == 550
    with pytest.raises(EstimationError, match="kind="):
        fit.aggregate("weekly")  # type: ignore[arg-type]
    with pytest.raises(EstimationError, match="singular"):
        fit.pretrend_test()


def test_universal_base_dynamic_matches_csdid(castle):
    """With a universal base the e = −1 effect is 0 with no SE, as csdid (R did) report it."""
    ref = _csdid(castle, "notyet", "dr", "universal", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.aggte(typec="dynamic", bstrap=False)
    fit = callaway_santanna(
        castle,
        "l_homicide",
        "sid",
        "year",
        "effyear",
        control="notyet",
        base_period="universal",
        bootstrap=0,
    )
    agg = fit.aggregate("dynamic")
    np.testing.assert_allclose(agg.frame["estimate"], ref.atte["att_egt"], atol=1e-12)
    se_ref = np.asarray(ref.atte["se_egt"], float)
    np.testing.assert_allclose(agg.frame["std_error"], se_ref, atol=1e-12, equal_nan=True)
    base = agg.frame[agg.frame["event_time"] == -1]
    assert base["estimate"].iloc[0] == 0.0 and np.isnan(base["std_error"].iloc[0])


def test_polars_input_gives_the_same_numbers(castle):
    pl = pytest.importorskip("polars")
    cols = ["sid", "year", "l_homicide", "effyear"]
    a = callaway_santanna(castle[cols], "l_homicide", "sid", "year", "effyear", bootstrap=0)
    b = callaway_santanna(
        pl.from_pandas(castle[cols]), "l_homicide", "sid", "year", "effyear", bootstrap=0
    )
    pd.testing.assert_frame_equal(a.att_gt, b.att_gt)


def test_mammen_multiplier_weights_have_the_closed_form_moments():
    """Mammen (1993): two points (1 ∓ √5)/2 with E v = 0, E v² = 1, E v³ = 1; the draws'
    sample moments are within 4 standard errors of them."""
    from vagg.estimate.inference.wild_bootstrap import bootstrap_weights

    v, enumerated = bootstrap_weights("mammen", 2000, 500, np.random.default_rng(0))
    assert not enumerated
    assert set(np.unique(v)) == {(1 - np.sqrt(5)) / 2, (1 + np.sqrt(5)) / 2}
    n = v.size
    assert abs(v.mean()) < 4 * 1 / np.sqrt(n)
    assert abs((v**2).mean() - 1) < 4 * np.sqrt(np.var(v**2) / n)
    assert abs((v**3).mean() - 1) < 4 * np.sqrt(np.var(v**3) / n)
