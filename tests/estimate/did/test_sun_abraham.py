"""Tests of vagg.estimate.did.sun_abraham.

References:
- pyfixest 0.60 ``event_study(estimator="saturated")``: the same saturated cohort × relative
  period regression with unit and year fixed effects (``i(rel_time, first_treated_period,
  ref=-1, ref2=0)``) and its ``aggregate()`` with Sun–Abraham cohort-share weights and the
  fixed-weight delta-method SE — vagg with ``share_variance=False`` and fixest's small-sample
  convention must agree to 1e-8.
- A hand-built saturated regression with pyfixest ``feols`` (dummies built here), for the
  cohort-specific δ_{e,l} and their clustered SEs.
- The closed form of the share-variance term (SA Prop. 6): V_s = n⁻² Σ_i ψ_i ψ_i' with
  ψ_{i,l} = 1{E_i ∈ h_l}(δ_{E_i,l} − ν_l)/P(E ∈ h_l), computed here from the δ's.
- An exact identity: without covariates in a balanced panel, SA's ν_l with never-treated
  controls equals Callaway–Sant'Anna's event-time aggregate with never-treated controls and a
  universal base period (both are cohort-share-weighted long differences from period g − 1).
Data: castle-doctrine panel (conftest).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from vagg.estimate import callaway_santanna, sun_abraham

pf = pytest.importorskip("pyfixest")


@pytest.fixture(scope="module")
def pyfixest_saturated(castle):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pf.event_study(
            castle,
            yname="l_homicide",
            idname="sid",
            tname="year",
            gname="effyear",
            estimator="saturated",
            cluster="sid",
        )
        agg = model.aggregate()
    return model, agg


def test_iw_effects_match_pyfixest_saturated_aggregate(castle, pyfixest_saturated):
    _, agg = pyfixest_saturated
    ours = sun_abraham(
        castle, "l_homicide", "sid", "year", "effyear", ssc="fixest", share_variance=False
    ).coefficients()
    ref = agg.reset_index()
    np.testing.assert_array_equal(ours["rel_time"], ref["period"].astype(float))
    np.testing.assert_allclose(ours["estimate"], ref["Estimate"].astype(float), atol=1e-8)
    np.testing.assert_allclose(ours["std_error"], ref["Std. Error"].astype(float), atol=1e-8)


@pytest.mark.parametrize(
    ("controls", "refs"),
    [([], (-1,)), (["l_police", "unemployrt"], (-1,)), ([], (-1, -6))],
)
def test_cohort_effects_match_a_hand_built_saturated_regression(castle, controls, refs):
    data = castle.copy()
    names = []
    for g in sorted(data.loc[data["effyear"] > 0, "effyear"].unique()):
        rel = data["year"] - g
        for k in sorted(rel[data["effyear"] == g].unique()):
            if k in refs:
                continue
            name = f"d_{g}_{'m' if k < 0 else 'p'}{abs(k)}"
            data[name] = ((data["effyear"] == g) & (rel == k)).astype(float)
            names.append((g, k, name))
    fml = "l_homicide ~ " + " + ".join([*(n for *_, n in names), *controls]) + " | sid + year"
    ref = pf.feols(fml, data, vcov={"CRV1": "sid"})
    fit = sun_abraham(
        castle,
        "l_homicide",
        "sid",
        "year",
        "effyear",
        controls=controls,
        ssc="fixest",
        reference=refs,
    )
    ce = fit.cohort_effects
    assert len(ce) == len(names)
    for (g, k, name), (_, row) in zip(names, ce.iterrows(), strict=True):
        assert (row["cohort"], row["rel_time"]) == (g, k)
        assert row["estimate"] == pytest.approx(ref.coef()[name], abs=1e-10)
        assert row["std_error"] == pytest.approx(ref.se()[name], abs=1e-10)


def test_share_variance_term_is_the_closed_form(castle):
    with_s = sun_abraham(castle, "l_homicide", "sid", "year", "effyear", ssc="fixest")
    without = sun_abraham(
        castle, "l_homicide", "sid", "year", "effyear", ssc="fixest", share_variance=False
    )
    ce = with_s.cohort_effects
    g_unit = castle.groupby("sid")["effyear"].first().to_numpy()
    n = len(g_unit)
    levels = with_s.coefficients()["rel_time"].to_numpy()
    psi = np.zeros((n, len(levels)))
    for j, lv in enumerate(levels):
        cells = ce[ce["rel_time"] == lv]
        inside = np.isin(g_unit, cells["cohort"])
        sizes = np.array([np.sum(g_unit == g) for g in cells["cohort"]], float)
        nu = float(sizes @ cells["estimate"].to_numpy() / sizes.sum())
        delta = dict(zip(cells["cohort"], cells["estimate"], strict=True))
        psi[inside, j] = [(delta[g] - nu) / (sizes.sum() / n) for g in g_unit[inside]]
    v_s = psi.T @ psi / n**2
    np.testing.assert_allclose(
        with_s.effects.vcov.to_numpy() - without.effects.vcov.to_numpy(), v_s, atol=1e-14
    )
    # the share term only adds variance
    assert np.all(with_s.coefficients()["std_error"] >= without.coefficients()["std_error"])


def test_sun_abraham_equals_callaway_santanna_universal_never(castle):
    sa = sun_abraham(castle, "l_homicide", "sid", "year", "effyear").coefficients()
    cs = (
        callaway_santanna(
            castle, "l_homicide", "sid", "year", "effyear", base_period="universal", bootstrap=0
        )
        .aggregate("dynamic")
        .frame
    )
    cs = cs[cs["event_time"] != -1]
    np.testing.assert_allclose(sa["estimate"], cs["estimate"], atol=1e-10)


def test_last_treated_cohort_as_control(castle):
    """With the 2010 cohort as controls, the never treated are left out and 2010 dropped; the
    fit equals ``control_cohort="never"`` on that sample with 2010 recoded as never treated."""
    fit = sun_abraham(castle, "l_homicide", "sid", "year", "effyear", control_cohort="last")
    sub = castle[(castle["effyear"] > 0) & (castle["year"] < 2010)].copy()
    sub["effyear"] = sub["effyear"].where(sub["effyear"] != 2010, 0)
    ref = sun_abraham(sub, "l_homicide", "sid", "year", "effyear")
    pd.testing.assert_frame_equal(fit.coefficients(), ref.coefficients(), check_exact=False)
    s = fit.effects.sample
    assert s is not None
    assert s.dropped == {"never_treated_left_out": 29 * 11, "after_last_cohort": 21}
    assert s.n_used == 21 * 10


def test_summary_and_uniform_band(castle):
    fit = sun_abraham(castle, "l_homicide", "sid", "year", "effyear", seed=3)
    f = fit.coefficients()
    crit = float(fit.effects.crit_value)
    assert 1.96 < crit < 3.5
    np.testing.assert_allclose(f["band_high"] - f["estimate"], crit * f["std_error"])
    assert "Sun–Abraham" in fit.summary()
    assert fit.weights.groupby("rel_time")["weight"].sum().to_numpy() == pytest.approx(1.0)
