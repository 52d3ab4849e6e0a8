"""Fixed-effects spatial panels against spreg (US state incomes) and the Cigar numbers.

References: tests/reference/spatial_spreg.json (spreg 1.9.0 Panel_FE_Lag/Error, ML_LagFE/ErrorFE
with W·x and with period dummies) and spatial_cigar.json (methods note §4.7; Elhorst 2014
§3.6.2 for the LR tests).
"""

from __future__ import annotations

import numpy as np
import pytest
from spatial_data import reference

from vagg.estimate.spatial import spatial

PANEL = ("state", "year")


def _check(res, ref, tol=1e-5) -> None:  # type: ignore[no-untyped-def]
    for term, value in ref["coef"].items():
        assert res.params[term] == pytest.approx(value, rel=tol), term
    for term, value in ref["se"].items():
        assert res.bse[term] == pytest.approx(value, rel=tol), term
    assert res.sigma2 == pytest.approx(ref["sigma2"], rel=tol)


@pytest.mark.parametrize("model", ["sar", "sem", "sdm", "sdem"])
def test_individual_effects_match_spreg(us_income, spreg_ref, model) -> None:
    data, w = us_income
    res = spatial("g ~ lag_ln", data, w, model=model, panel=PANEL, effects="individual")
    _check(res, spreg_ref[f"usinc_fe_{model}"])
    assert res.nobs == 480 and res.fixed_effects == ("unit",)


def test_spreg_panel_fe_loglik_omits_one_over_nt(us_income, spreg_ref) -> None:
    """spreg 1.9.0 Panel_FE_Lag reports ℓ − (NT/2)·ln(NT) (methods note §4.6); ML_LagFE does not."""
    data, w = us_income
    res = spatial("g ~ lag_ln", data, w, model="sar", panel=PANEL, effects="individual")
    assert res.loglik == pytest.approx(-788.896, abs=5e-4)  # methods note §4.7
    shifted = res.loglik - 240 * np.log(480)
    assert shifted == pytest.approx(spreg_ref["usinc_fe_sar"]["logll"], abs=1e-6)
    sdm = spatial("g ~ lag_ln", data, w, model="sdm", panel=PANEL, effects="individual")
    assert sdm.loglik == pytest.approx(spreg_ref["usinc_fe_sdm"]["logll"], abs=1e-6)


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_twoway_effects_match_spreg_with_period_dummies(us_income, spreg_ref, model) -> None:
    data, w = us_income
    res = spatial("g ~ lag_ln", data, w, model=model, panel=PANEL, effects="twoways")
    _check(res, spreg_ref[f"usinc_twoways_{model}"])


def test_lee_yu_individual_only_rescales_sigma2(us_income) -> None:
    """Lee & Yu (2010): with individual effects the transformation approach gives the direct
    approach's β and ρ, and σ² times T/(T − 1)."""
    data, w = us_income
    for model in ("sar", "sac"):
        direct = spatial("g ~ lag_ln", data, w, model=model, panel=PANEL, effects="individual")
        ly = spatial(
            "g ~ lag_ln", data, w, model=model, panel=PANEL, effects="individual", lee_yu=True
        )
        np.testing.assert_allclose(ly.params, direct.params, rtol=1e-6)
        assert ly.sigma2 == pytest.approx(direct.sigma2 * 10 / 9, rel=1e-6)


@pytest.fixture(scope="module")
def cigar_ref():  # type: ignore[no-untyped-def]
    return reference("spatial_cigar.json")


def test_cigar_sdm_twoways(cigar, cigar_ref) -> None:
    data, w = cigar
    assert w.links == 188  # 94 pairs
    ref = cigar_ref["sdm_twoways_direct"]
    res = spatial("logc ~ logp + logy", data, w, model="sdm", panel=PANEL, effects="twoways")
    for term, value in ref["coef"].items():
        assert res.params[term] == pytest.approx(value, abs=5e-5), term
    for term, value in ref["t"].items():
        assert res.tvalues[term] == pytest.approx(value, abs=5e-3), term
    assert res.sigma2 == pytest.approx(ref["sigma2"], abs=5e-6)
    effects = res.impacts(method="delta").table["estimate"]
    for effect, terms in ref["effects"].items():
        for term, value in terms.items():
            assert effects[(effect, term)] == pytest.approx(value, abs=5e-5)


def test_cigar_sdm_lee_yu_twoways(cigar, cigar_ref) -> None:
    data, w = cigar
    ref = cigar_ref["sdm_twoways_lee_yu"]
    res = spatial(
        "logc ~ logp + logy", data, w, model="sdm", panel=PANEL, effects="twoways", lee_yu=True
    )
    for term, value in ref["coef"].items():
        assert res.params[term] == pytest.approx(value, abs=5e-5), term
    assert res.sigma2 == pytest.approx(ref["sigma2"], abs=5e-6)
    assert res.extra["n_effective"] == 45 * 29


def test_cigar_likelihoods_give_elhorsts_published_lr_tests(cigar, cigar_ref) -> None:
    """The non-spatial log-likelihoods behind the LR tests of Elhorst (2014, §3.6.2)."""
    data, w = cigar
    ll = {}
    for effects in ("individual", "time", "twoways"):
        res = spatial("logc ~ logp + logy", data, w, panel=PANEL, effects=effects)
        ll[effects] = res.loglik - res.diagnostics["lr_ols"].statistic / 2
    published = cigar_ref["published_lr"]
    lr_units = 2 * (ll["twoways"] - ll["time"])
    lr_time = 2 * (ll["twoways"] - ll["individual"])
    assert lr_units == pytest.approx(published["spatial_fe_given_time_fe"]["statistic"], abs=0.05)
    assert lr_time == pytest.approx(published["time_fe_given_spatial_fe"]["statistic"], abs=0.05)


def test_pooled_panel_has_an_intercept_and_t_jacobians(us_income) -> None:
    data, w = us_income
    res = spatial("g ~ lag_ln", data, w, model="sar", panel=PANEL)
    assert "Intercept" in res.params.index and res.fixed_effects == ()
    assert res.extra["jacobian_weight"] == 10
