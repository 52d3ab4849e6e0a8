"""Tests of vagg.estimate.did.psm_did (did_terms, psm_did, event_study).

References: closed-form truths planted in simulated panels (event-time effect paths, DID
effects), statsmodels OLS/WLS dummy regressions on the same rows (unit and time dummies via
C()), statsmodels' f_test for the pre-trend Wald test, and vagg's ``psm`` (validated against
psmatch2/MatchIt in test_matching.py) for the matched sample and weights.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from vagg.estimate.did.event_study import event_study
from vagg.estimate.did.psm_did import did_term_names, did_terms, psm_did
from vagg.estimate.errors import EstimationError
from vagg.estimate.matching.psm import psm
from vagg.report.inference_figures import plot_event_study

# truth of the simulated event study: lags 0..3 and the binned lag ≥ 4; leads are zero
LAGS = {0: 1.0, 1: 1.5, 2: 2.0, 3: 2.5, 4: 3.0}
START = 6


def event_panel(seed: int = 2, pretrend: float = 0.0) -> pd.DataFrame:
    """80 units × 12 periods; units 0–39 treated from period 6 (one date: no staggering),
    40–79 never treated. y = α_i + 0.1 t + effect(r) + pretrend·r·1{r < 0} + ε."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(80), 12)
    time = np.tile(np.arange(12), 80)
    treated = unit < 40
    rel = np.where(treated, time - START, np.nan)
    lag = np.clip(np.nan_to_num(rel, nan=-1), -1, 4).astype(int)
    effect = np.array([LAGS.get(k, 0.0) for k in lag])  # zero before the event and untreated
    trend = np.where(treated & (rel < 0), pretrend * np.nan_to_num(rel), 0.0)
    y = rng.normal(size=80)[unit] + 0.1 * time + effect + trend + rng.normal(size=len(unit))
    return pd.DataFrame(
        {
            "unit": unit,
            "time": time,
            "start": np.where(treated, float(START), np.nan),
            "rel": rel,
            "x": rng.normal(size=len(unit)),
            "y": y,
        }
    )


def independent_dummies(d: pd.DataFrame, lo: int, hi: int, ref: int, bins: bool) -> list[str]:
    """Event dummies written out here: d_{k} = 1{rel == k}, with bins at the ends."""
    names = []
    rel = d["rel"]
    for k in range(lo, hi + 1):
        if k == ref:
            continue
        name = f"d{k + 100}"
        if bins and k == lo:
            d[name] = (rel <= k).astype(float)
        elif bins and k == hi:
            d[name] = (rel >= k).astype(float)
        else:
            d[name] = (rel == k).astype(float)
        names.append(name)
    return names


# --------------------------------------------------------------------------- event study
def test_event_study_recovers_known_path_and_matches_statsmodels() -> None:
    d = event_panel()
    es = event_study("x", d, outcome="y", unit="unit", time="time", treatment_start="start")
    coef = es.coefficients(level=0.99).set_index("rel_time")
    truth = {k: 0.0 for k in (-4, -3, -2)} | LAGS
    for k, value in truth.items():
        row = coef.loc[k]
        assert row["conf_low"] <= value <= row["conf_high"], (k, row["estimate"])
    assert bool(coef.loc[-1, "reference"]) and coef.loc[-1, "estimate"] == 0.0
    assert bool(coef.loc[-4, "binned"]) and bool(coef.loc[4, "binned"])
    test = es.pretrend_test()
    assert test.pvalue > 0.05 and test.df == (3, 79)  # three leads; 80 clusters − 1
    assert es.diagnostics["staggered"] is False and es.diagnostics["treated_units"] == 40
    # independent dummy regression
    sm_data = d.copy()
    names = independent_dummies(sm_data, -4, 4, -1, bins=True)
    fit = smf.ols(f"y ~ {' + '.join(names)} + x + C(unit) + C(time)", sm_data).fit()
    for k, name in zip([-4, -3, -2, 0, 1, 2, 3, 4], names, strict=True):
        assert es.result.params[es.terms[k]] == pytest.approx(fit.params[name], abs=1e-8)
    # with iid errors the pre-trend F equals statsmodels' f_test on the dummy regression
    es_iid = event_study(
        "x", d, outcome="y", unit="unit", time="time", treatment_start="start", vcov="iid"
    )
    f = fit.f_test(", ".join(f"{n} = 0" for n in names[:3]))
    assert es_iid.pretrend_test().statistic == pytest.approx(float(f.fvalue), rel=1e-8)
    assert es_iid.pretrend_test().pvalue == pytest.approx(float(f.pvalue), rel=1e-7)


def test_planted_pretrend_is_rejected() -> None:
    d = event_panel(pretrend=0.3)
    es = event_study("", d, outcome="y", unit="unit", time="time", treatment_start="start")
    assert es.pretrend_test().pvalue < 0.01
    # the leads follow the planted slope: β_{-3} = 0.3·(−3 − (−1)) = −0.6
    coef = es.coefficients().set_index("rel_time")
    assert coef.loc[-3, "conf_low"] <= -0.6 <= coef.loc[-3, "conf_high"]


def test_event_time_column_and_dropped_endpoints() -> None:
    d = event_panel()
    by_start = event_study("", d, outcome="y", unit="unit", time="time", treatment_start="start")
    by_rel = event_study("", d, outcome="y", unit="unit", time="time", event_time="rel")
    pd.testing.assert_series_equal(by_start.result.params, by_rel.result.params)
    es = event_study(
        "",
        d,
        outcome="y",
        unit="unit",
        time="time",
        event_time="rel",
        window=(-3, 3),
        reference=-2,
        endpoints="drop",
        vcov="iid",
    )
    outside = int(((d["rel"] < -3) | (d["rel"] > 3)).sum())
    assert outside == 40 * 5  # rel −6, −5, −4, 4 and 5
    assert es.result.sample is not None
    assert es.result.sample.dropped["outside_window"] == outside
    assert es.result.sample.n_input == len(d) and es.result.nobs == len(d) - outside
    sub = d[~((d["rel"] < -3) | (d["rel"] > 3))].copy()
    names = independent_dummies(sub, -3, 3, -2, bins=False)
    fit = smf.ols(f"y ~ {' + '.join(names)} + C(unit) + C(time)", sub).fit()
    for k, name in zip([-3, -1, 0, 1, 2, 3], names, strict=True):
        assert es.result.params[es.terms[k]] == pytest.approx(fit.params[name], abs=1e-8)
        assert es.result.bse[es.terms[k]] == pytest.approx(fit.bse[name], rel=1e-8)
    test = es.pretrend_test()
    assert test.terms == ("event_m3", "event_m1")


def test_event_study_plot() -> None:
    es = event_study(
        "", event_panel(), outcome="y", unit="unit", time="time", treatment_start="start"
    )
    fig = plot_event_study(es, title="dynamics")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert (
        labels[0] == "≤-4"
        and labels[-1] == "≥4"
        and "reference (-1)" in [t.get_text() for t in ax.get_legend().get_texts()]
    )
    plt.close(fig)
    assert "Pre-trend test" in es.summary()


def test_event_study_bad_input() -> None:
    d = event_panel()
    kw = dict(outcome="y", unit="unit", time="time")
    with pytest.raises(EstimationError, match="reference period -6 is outside"):
        event_study("", d, **kw, treatment_start="start", reference=-6)
    with pytest.raises(EstimationError, match="lo < hi"):
        event_study("", d, **kw, treatment_start="start", window=(3, -3))
    with pytest.raises(EstimationError, match="exactly one"):
        event_study("", d, **kw, treatment_start="start", event_time="rel")
    with pytest.raises(EstimationError, match="exactly one"):
        event_study("", d, **kw)
    with pytest.raises(EstimationError, match="treatment_start column 'begin'"):
        event_study("", d, **kw, treatment_start="begin")
    with pytest.raises(EstimationError, match="not a whole number"):
        event_study("", d.assign(rel=d["rel"] + 0.5), **kw, event_time="rel")
    bad = d.copy()
    bad.loc[0, "start"] = 5.0
    with pytest.raises(EstimationError, match="varies within units"):
        event_study("", bad, **kw, treatment_start="start")
    all_treated = d[d["unit"] < 40]
    with pytest.raises(EstimationError, match="collinear"):
        event_study("", all_treated, **kw, treatment_start="start", window=(-6, 5))


# --------------------------------------------------------------------------- did_terms
def test_did_terms() -> None:
    d = pd.DataFrame({"treat": [0, 1, 1, 0], "post": [1, 1, 0, 0], "v": [2.0, 3.0, 4.0, np.nan]})
    out = did_terms(d, "treat", "post", "v")
    assert did_term_names("treat", "post", "v") == ["treat_post", "treat_post_v"]
    assert out["treat_post"].tolist() == [0, 1, 0, 0]
    assert out["treat_post_v"].tolist()[:3] == [0.0, 3.0, 0.0] and np.isnan(out["treat_post_v"][3])
    assert "treat_post" not in d.columns  # a copy
    with pytest.raises(EstimationError, match="already has a column 'treat_post'"):
        did_terms(d.assign(treat_post=9.0), "treat", "post")
    with pytest.raises(EstimationError, match="must be 0/1"):
        did_terms(d.assign(treat=[0, 2, 1, 0]), "treat", "post")
    with pytest.raises(EstimationError, match="post column 'post' does not vary"):
        did_terms(d.assign(post=1), "treat", "post")
    with pytest.raises(EstimationError, match="triple column 'w'"):
        did_terms(d, "treat", "post", "w")


# --------------------------------------------------------------------------- PSM-DID
TAU, BETA = 0.5, 0.4


@pytest.fixture(scope="module")
def did_panel() -> pd.DataFrame:
    """300 firms × 6 years; treatment selected on x (logit), post = year ≥ 3; y = α_i +
    0.2·year + x + τ·treat·post + β·treat·post·v + ε with τ = 0.5, β = 0.4."""
    rng = np.random.default_rng(17)
    n_firms, n_years = 300, 6
    firm = np.repeat(np.arange(n_firms), n_years)
    year = np.tile(np.arange(n_years), n_firms)
    x_firm = rng.normal(size=n_firms)
    treat_firm = rng.uniform(size=n_firms) < 1 / (1 + np.exp(0.7 - x_firm))
    x = x_firm[firm] + 0.3 * rng.normal(size=len(firm))
    treat = treat_firm[firm].astype(int)
    post = (year >= 3).astype(int)
    v = rng.uniform(size=len(firm))
    y = (
        rng.normal(size=n_firms)[firm]
        + 0.2 * year
        + x
        + TAU * treat * post
        + BETA * treat * post * v
        + 0.5 * rng.normal(size=len(firm))
    )
    return pd.DataFrame(
        {"firm": firm, "year": year, "treat": treat, "post": post, "x": x, "v": v, "y": y}
    )


def test_psm_did_year_by_year_matching(did_panel: pd.DataFrame) -> None:
    res = psm_did(
        did_panel,
        outcome="y",
        treat="treat",
        post="post",
        covariates="x",
        formula_rhs="x",
        triple=["v"],
        fe=["firm", "year"],
        by="year",
    )
    ci = res.conf_int()
    assert ci.loc["treat_post", "lower"] <= TAU <= ci.loc["treat_post", "upper"]
    assert ci.loc["treat_post_v", "lower"] <= BETA <= ci.loc["treat_post_v", "upper"]
    matching = psm(did_panel, "treat", ["x"], by="year")
    pd.testing.assert_series_equal(
        res.extra["weights"].dropna(), matching.weights.dropna(), check_names=False
    )
    pd.testing.assert_series_equal(res.extra["matching"].status, matching.status)
    # independent WLS with dummies on the matched rows
    rows = matching.weights.notna()
    m = did_panel[rows].assign(tp=lambda t: t["treat"] * t["post"])
    m["tpv"] = m["tp"] * m["v"]
    fit = smf.wls("y ~ tp + tpv + x + C(firm) + C(year)", m, weights=matching.weights[rows]).fit()
    assert res.params["treat_post"] == pytest.approx(fit.params["tp"], abs=1e-8)
    assert res.params["treat_post_v"] == pytest.approx(fit.params["tpv"], abs=1e-8)
    s = res.sample
    assert s is not None and s.n_input == len(did_panel)
    assert s.n_used + sum(s.dropped.values()) == s.n_input
    assert s.dropped.get("control_not_matched", 0) > 0
    assert res.model == "psm_did"


def test_psm_did_unit_level_pre_period_matching(did_panel: pd.DataFrame) -> None:
    res = psm_did(
        did_panel,
        outcome="y",
        treat="treat",
        post="post",
        covariates=["x"],
        fe="firm + year",
        unit="firm",
        k=2,
    )
    assert res.conf_int().loc["treat_post", "lower"] <= TAU + BETA / 2
    assert TAU + BETA / 2 <= res.conf_int().loc["treat_post", "upper"]  # E[v] = 1/2
    # the unit table written out here: pre-period means of x
    units = did_panel[did_panel["post"] == 0].groupby("firm")[["treat", "x"]].mean()
    matching = psm(units, "treat", ["x"], k=2)
    row_w = matching.weights.reindex(did_panel["firm"]).to_numpy()
    np.testing.assert_allclose(res.extra["weights"].to_numpy(), row_w, equal_nan=True)
    rows = np.isfinite(row_w)
    m = did_panel[rows].assign(tp=lambda t: t["treat"] * t["post"])
    fit = smf.wls("y ~ tp + C(firm) + C(year)", m, weights=row_w[rows]).fit()
    assert res.params["treat_post"] == pytest.approx(fit.params["tp"], abs=1e-8)


def test_psm_did_required_terms_allow_an_absorbed_treat_post(did_panel: pd.DataFrame) -> None:
    """A fixed effect that absorbs treat × post (here a group for the treated post-period
    rows, as industry effects absorb an industry switch): by default an error; with
    ``required`` naming the triple term, the Result leaves treat × post out and the triple
    term equals WLS with the same dummies on the matched rows (statsmodels)."""
    d = did_panel.assign(g=did_panel["treat"] * did_panel["post"])
    kw: dict[str, Any] = dict(
        outcome="y", treat="treat", post="post", covariates="x", formula_rhs="x",
        triple=["v"], fe="firm + year + g", by="year",
    )  # fmt: skip
    with pytest.raises(EstimationError, match="treat_post"):
        psm_did(d, **kw)
    res = psm_did(d, **kw, required=["treat_post_v"])
    assert "treat_post" not in res.params.index
    w = res.extra["weights"]
    rows = w.notna()
    m = d[rows].assign(tpv=lambda t: t["treat"] * t["post"] * t["v"])
    fit = smf.wls("y ~ tpv + x + C(firm) + C(year) + C(g)", m, weights=w[rows]).fit()
    assert res.params["treat_post_v"] == pytest.approx(fit.params["tpv"], abs=1e-8)


def test_psm_did_ipw_and_plain_two_by_two(did_panel: pd.DataFrame) -> None:
    res = psm_did(
        did_panel, outcome="y", treat="treat", post="post", covariates="x", weights="ipw", by="year"
    )
    w = psm(did_panel, "treat", ["x"], by="year").ipw_weights("att")
    d = did_panel.assign(tp=did_panel["treat"] * did_panel["post"])
    fit = smf.wls("y ~ treat + post + tp", d, weights=w).fit()
    assert res.params["treat_post"] == pytest.approx(fit.params["tp"], abs=1e-10)
    assert res.params["treat"] == pytest.approx(fit.params["treat"], abs=1e-10)
    assert res.nobs == len(did_panel)
    ms = psm_did(
        did_panel,
        outcome="y",
        treat="treat",
        post="post",
        covariates="x",
        weights="matched_sample",
        fe=["firm", "year"],
        by="year",
    )
    assert set(ms.extra["weights"].dropna()) == {1.0}


def test_psm_did_bad_input(did_panel: pd.DataFrame) -> None:
    kw = dict(outcome="y", treat="treat", post="post", covariates="x")
    with pytest.raises(EstimationError, match="treat column 'treat' does not vary"):
        psm_did(did_panel.assign(treat=1), **kw)
    with pytest.raises(EstimationError, match="covariate column 'xx'"):
        psm_did(did_panel, **{**kw, "covariates": ["xx"]})
    with pytest.raises(EstimationError, match="weights='bogus'"):
        psm_did(did_panel, **kw, weights="bogus")  # type: ignore[arg-type]
    with pytest.raises(EstimationError, match="'treat' varies within units"):
        flipped = did_panel.assign(treat=np.where(did_panel["year"] == 0, 0, did_panel["treat"]))
        psm_did(flipped, **kw, unit="firm")


def test_pvalues_use_cluster_degrees_of_freedom(did_panel: pd.DataFrame) -> None:
    res = psm_did(
        did_panel,
        outcome="y",
        treat="treat",
        post="post",
        covariates="x",
        fe=["firm", "year"],
        by="year",
    )
    g = res.n_clusters["firm"]
    assert res.df_resid == g - 1
    t = res.tvalues["treat_post"]
    assert res.pvalues["treat_post"] == pytest.approx(2 * stats.t.sf(abs(t), g - 1))
