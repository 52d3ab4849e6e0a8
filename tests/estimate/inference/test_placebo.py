"""``vagg.estimate.inference.placebo``: the FWL fast path against re-estimation from scratch.

References (all computed independently of the placebo code path, live in the test):

* every draw re-estimated by ``vagg.estimate.feols`` on the table with the permuted column
  (``Placebo.draw(r)``), which is itself validated against Stata, linearmodels and pyfixest
  (``tests/estimate/linear/test_fixed_effects.py``): coefficients and t-statistics to 1e-10;
* a few draws re-estimated by ``pyfixest.feols`` 0.60 (CRV1 by firm, ``ssc`` = pyfixest's
  defaults) on the same permuted tables;
* the exact permutation distribution of a 6-row regression: all 720 permutations, each fitted
  by statsmodels OLS;
* p-values counted by hand on a fixed set of draws.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from vagg.engine import Local
from vagg.estimate import feols
from vagg.estimate.errors import EstimationError
from vagg.estimate.inference import permutation
from vagg.estimate.inference.placebo import Placebo, placebo
from vagg.report.inference_figures import plot_placebo

matplotlib.use("Agg")

FORMULA = "y ~ x + z | firm + year + ind"


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """A small unbalanced panel: 40 firms × up to 7 years, 4 industries, a few missing."""
    rng = np.random.default_rng(7)
    rows = [(f, t) for f in range(40) for t in range(7) if rng.random() < 0.8]
    frame = pd.DataFrame(rows, columns=["firm", "year"])
    n = len(frame)
    frame["ind"] = (frame["firm"] % 4 + (rng.random(n) < 0.1)) % 4
    frame["region"] = frame["firm"] % 3
    firm_effect = rng.normal(size=40)[frame["firm"]]
    frame["x"] = rng.normal(size=n) + 0.5 * firm_effect
    frame["z"] = rng.normal(size=n) + 0.2 * frame["year"]
    frame["adopt"] = (rng.random(40) < 0.4).astype(float)[frame["firm"]]
    frame["w"] = rng.uniform(0.5, 2.0, n)
    frame["y"] = (
        0.4 * frame["x"]
        + 0.3 * frame["adopt"]
        - 0.2 * frame["z"]
        + firm_effect
        + 0.1 * frame["year"]
        + rng.normal(size=n)
    )
    frame.loc[[3, 50], "z"] = np.nan
    frame.index = [f"r{i}" for i in range(n)]
    return frame


def _brute_force(pl: Placebo, data: pd.DataFrame, formula: str, draws: range, **kw: Any) -> None:
    for r in draws:
        permuted = data.copy()
        permuted[pl.var] = pl.draw(r)
        fit = feols(formula, permuted, **kw)
        assert abs(fit.params[pl.var] - pl.coefs[r]) <= 1e-10
        assert abs(fit.tvalues[pl.var] - pl.tvalues[r]) <= 1e-10


@pytest.mark.parametrize(
    "vcov", ["iid", "hetero", {"CRV1": "firm"}, {"CRV1": "firm+year"}], ids=str
)
def test_fast_path_equals_refitting_every_draw(panel: pd.DataFrame, vcov: Any) -> None:
    pl = placebo(FORMULA, panel, var="x", reps=12, seed=1, vcov=vcov, batch_size=5)
    real = feols(FORMULA, panel, vcov=vcov)
    assert pl.estimate == pytest.approx(real.params["x"], abs=1e-12)
    assert pl.tvalue == pytest.approx(real.tvalues["x"], abs=1e-12)
    _brute_force(pl, panel, FORMULA, range(12), vcov=vcov)
    assert pl.diagnostics["fwl_check"]["coef_difference"] < 1e-10


def test_weights_no_fixed_effects_and_alternating(panel: pd.DataFrame) -> None:
    pl = placebo(FORMULA, panel, var="x", reps=6, weights="w", vcov="hetero")
    _brute_force(pl, panel, FORMULA, range(6), weights="w", vcov="hetero")
    pl = placebo("y ~ x + z", panel, var="x", reps=6, vcov="hetero")
    _brute_force(pl, panel, "y ~ x + z", range(6), vcov="hetero")
    pl = placebo("y ~ x + z | firm", panel, var="x", reps=6, ssc="fixest")
    _brute_force(pl, panel, "y ~ x + z | firm", range(6), ssc="fixest")
    pl = placebo(FORMULA, panel, var="x", reps=4, demeaner="alternating")
    assert pl.diagnostics["demeaner"] == "alternating"
    for r in range(4):
        permuted = panel.copy()
        permuted["x"] = pl.draw(r)
        fit = feols(FORMULA, permuted)
        assert abs(fit.params["x"] - pl.coefs[r]) <= 1e-8


def test_agrees_with_pyfixest_on_permuted_tables(panel: pd.DataFrame) -> None:
    pf = pytest.importorskip("pyfixest")
    pl = placebo(FORMULA, panel, var="x", reps=3, vcov={"CRV1": "firm"}, ssc="fixest")
    for r in range(3):
        permuted = panel.copy()
        permuted["x"] = pl.draw(r)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = pf.feols(
                FORMULA, permuted.reset_index(drop=True), vcov={"CRV1": "firm"}, fixef_tol=1e-12
            )
        assert abs(fit.coef()["x"] - pl.coefs[r]) <= 1e-10
        assert abs(fit.tstat()["x"] - pl.tvalues[r]) <= 1e-8


def test_exact_permutation_distribution_against_statsmodels() -> None:
    data = pd.DataFrame(
        {
            "y": [1.0, 2.3, 2.9, 4.2, 4.8, 7.1],
            "x": [0.0, 1.0, 1.5, 3.0, 3.5, 5.0],
            "z": [1.0, 0.0, 1.0, 0.0, 1.0, 1.0],
        }
    )
    perms = np.array(list(itertools.permutations(range(6))))
    pl = placebo("y ~ x + z", data, var="x", permutations=perms, vcov="iid")
    exog = sm.add_constant(data[["x", "z"]])
    reference = []
    for p in perms:
        exog_p = exog.copy()
        exog_p["x"] = data["x"].to_numpy()[p]
        fit = sm.OLS(data["y"], exog_p).fit()
        reference.append((fit.params["x"], fit.tvalues["x"]))
    ref = np.array(reference)
    np.testing.assert_allclose(pl.coefs, ref[:, 0], atol=1e-12)
    np.testing.assert_allclose(pl.tvalues, ref[:, 1], atol=1e-9)
    real = sm.OLS(data["y"], exog).fit().params["x"]
    exact = np.mean(np.abs(ref[:, 0]) >= abs(real) * (1 - 1e-10))
    assert pl.pvalue == pytest.approx(exact)
    assert pl.reps == math.factorial(6)


def test_permutations_keep_the_values(panel: pd.DataFrame) -> None:
    used = feols(FORMULA, panel).sample
    pl = placebo(FORMULA, panel, var="x", reps=5, seed=3)
    sample = panel["z"].notna()
    assert sample.sum() == used.n_used
    real = np.sort(panel.loc[sample, "x"].to_numpy())
    for r in range(5):
        draw = pl.draw(r)
        assert draw[~sample].isna().all()
        np.testing.assert_array_equal(np.sort(draw[sample].to_numpy()), real)
        assert not np.array_equal(draw[sample].to_numpy(), panel.loc[sample, "x"].to_numpy())

    for loop_strata in (1000, 0):  # the shuffle-per-stratum and the sort-by-key paths
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(permutation, "LOOP_STRATA", loop_strata)
            pl = placebo(FORMULA, panel, var="x", reps=4, strata=["year", "region"])
        for r in range(4):
            draw = pl.draw(r)[sample]
            for _, cell in panel[sample].groupby(["year", "region"]):
                np.testing.assert_array_equal(
                    np.sort(draw[cell.index].to_numpy()), np.sort(cell["x"].to_numpy())
                )


def test_level_permutation_moves_whole_units(panel: pd.DataFrame) -> None:
    formula = "y ~ adopt + z | year + ind"
    pl = placebo(formula, panel, var="adopt", reps=6, level="firm", vcov={"CRV1": "firm"})
    sample = panel["z"].notna()
    firms = panel[sample].groupby("firm")["adopt"].first()
    for r in range(6):
        draw = pl.draw(r)[sample]
        per_firm = draw.groupby(panel.loc[sample, "firm"])
        assert (per_firm.nunique() == 1).all()
        np.testing.assert_array_equal(np.sort(per_firm.first().to_numpy()), np.sort(firms))
    _brute_force(pl, panel, formula, range(6), vcov={"CRV1": "firm"})

    pl = placebo(formula, panel, var="adopt", reps=4, level="firm", strata="region")
    region = panel[sample].groupby("firm")["region"].first()
    for r in range(4):
        moved = pl.draw(r)[sample].groupby(panel.loc[sample, "firm"]).first()
        for g in range(3):
            assert moved[region == g].sum() == firms[region == g].sum()


def test_user_permutations(panel: pd.DataFrame) -> None:
    sample = panel["z"].notna().to_numpy()
    n = int(sample.sum())
    rng = np.random.default_rng(0)
    perms = np.array([rng.permutation(n) for _ in range(3)])
    pl = placebo(FORMULA, panel, var="x", permutations=perms)
    x = panel["x"].to_numpy()[sample]
    for r in range(3):
        np.testing.assert_array_equal(pl.draw(r).to_numpy()[sample], x[perms[r]])
    _brute_force(pl, panel, FORMULA, range(3))

    units = np.sort(panel["firm"].unique())
    unit_perms = np.array([rng.permutation(len(units)) for _ in range(2)])
    pl = placebo("y ~ adopt + z | year", panel, var="adopt", level="firm", permutations=unit_perms)
    adopt = panel.groupby("firm")["adopt"].first().loc[units].to_numpy()
    for r in range(2):
        got = pl.draw(r)[sample].groupby(panel.loc[sample, "firm"]).first()
        np.testing.assert_array_equal(got.loc[units].to_numpy(), adopt[unit_perms[r]])


def test_same_seed_same_draws_on_every_engine(panel: pd.DataFrame) -> None:
    serial = placebo(FORMULA, panel, var="x", reps=10, seed=11)
    again = placebo(FORMULA, panel, var="x", reps=10, seed=11, batch_size=3, engine=Local(2))
    # the draws are identical; the batch size changes only the rounding of the products
    for r in range(10):
        pd.testing.assert_series_equal(again.draw(r), serial.draw(r))
    np.testing.assert_allclose(again.coefs, serial.coefs, rtol=0, atol=1e-14)
    np.testing.assert_allclose(again.tvalues, serial.tvalues, rtol=0, atol=1e-12)
    other = placebo(FORMULA, panel, var="x", reps=10, seed=12)
    assert not np.allclose(serial.coefs, other.coefs)
    pytest.importorskip("distributed")
    from vagg.engine import Dask

    with Dask(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as eng:
        on_dask = placebo(FORMULA, panel, var="x", reps=10, seed=11, batch_size=4, engine=eng)
    np.testing.assert_allclose(on_dask.coefs, serial.coefs, rtol=0, atol=1e-14)
    np.testing.assert_allclose(on_dask.tvalues, serial.tvalues, rtol=0, atol=1e-12)
    for r in (0, 9):
        pd.testing.assert_series_equal(on_dask.draw(r), serial.draw(r))


def test_p_values_against_a_hand_count(panel: pd.DataFrame) -> None:
    real = placebo(FORMULA, panel, var="x", reps=1)
    made = Placebo(
        var="x",
        coefs=np.array([-3.0, -1.0, 0.5, 2.0, 2.5, np.nan]),
        tvalues=np.array([-1.0, 0.1, 4.0, -5.0, 2.0, np.nan]),
        estimate=2.0,
        std_error=0.5,
        tvalue=4.0,
        result=real.result,
        scheme="rows",
        seed=0,
    )
    # |c| ≥ 2: -3, 2, 2.5 of 5 valid draws; c ≥ 2: 2, 2.5; c ≤ 2: four; |t| ≥ 4: 4, -5
    assert made.pvalue == pytest.approx(3 / 5)
    assert made.permutation_pvalue(plus_one=True) == pytest.approx(4 / 6)
    assert made.permutation_pvalue(alternative="greater") == pytest.approx(2 / 5)
    assert made.permutation_pvalue(alternative="less") == pytest.approx(4 / 5)
    assert made.pvalue_t == pytest.approx(2 / 5)
    lo, hi = made.pvalue_ci()
    assert (lo, hi) == pytest.approx((0.6 - 1.959964 * math.sqrt(0.24 / 5), 1.0))

    pl = placebo(FORMULA, panel, var="x", reps=200, seed=5, vcov="iid")
    hand = np.mean(np.abs(pl.coefs) >= abs(feols(FORMULA, panel, vcov="iid").params["x"]))
    assert pl.pvalue == pytest.approx(hand)
    table = pl.tidy()
    assert table.loc[0, "pvalue"] == pl.pvalue
    assert table.loc[0, "placebo_mean"] == pytest.approx(pl.coefs.mean())
    assert "p-value" in pl.summary()


def test_plot_marks_the_estimate(panel: pd.DataFrame) -> None:
    pl = placebo(FORMULA, panel, var="x", reps=50)
    fig = plot_placebo(pl, hist=True)
    ax = fig.axes[0]
    assert any(np.allclose(line.get_xdata(), pl.estimate) for line in ax.lines)
    assert len(ax.patches) > 0
    fig = plot_placebo(pl, statistic="t")
    assert any(np.allclose(line.get_xdata(), pl.tvalue) for line in fig.axes[0].lines)


def test_bad_input(panel: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"var='q' is not a regressor.*\['x', 'z'\]"):
        placebo(FORMULA, panel, var="q", reps=5)
    const = panel.assign(c=1.0)
    with pytest.raises(EstimationError, match="takes one value"):
        placebo("y ~ x + c | firm", const, var="c", reps=5)
    with pytest.raises(EstimationError, match=r"not constant within 40 units \(0, 1, 2"):
        placebo(FORMULA, panel, var="x", level="firm", reps=5)
    with pytest.raises(EstimationError, match="reps must be a positive integer"):
        placebo(FORMULA, panel, var="x", reps=0)
    with pytest.raises(EstimationError, match="shape"):
        placebo(FORMULA, panel, var="x", permutations=np.zeros((2, 5), dtype=int))
    n = int(panel["z"].notna().sum())
    bad = np.tile(np.arange(n), (2, 1))
    bad[1, 0] = 1
    with pytest.raises(EstimationError, match="row 1 is not a permutation"):
        placebo(FORMULA, panel, var="x", permutations=bad)
    gap = panel.copy()
    gap.loc["r10", "region"] = np.nan
    with pytest.raises(EstimationError, match=r"strata=\['region'\]: missing in 1 rows.*'r10'"):
        placebo(FORMULA, gap, var="x", strata="region", reps=5)
    with pytest.raises(EstimationError, match="column 'regoin'"):
        placebo(FORMULA, panel, var="x", strata="regoin", reps=5)
    with pytest.raises(EstimationError, match="one value in every stratum"):
        placebo("y ~ adopt + z | year", panel, var="adopt", strata="firm", reps=5)
    with pytest.raises(EstimationError, match="dropped from the real fit"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            placebo("y ~ adopt + z | firm", panel, var="adopt", reps=5)


def test_collinear_draws_are_left_out() -> None:
    rng = np.random.default_rng(3)
    n = 20
    data = pd.DataFrame({"x": np.zeros(n), "z": np.zeros(n), "y": rng.normal(size=n)})
    data.loc[0, "z"] = 1.0
    data.loc[1, "x"] = 1.0
    identity = np.arange(n)
    onto_z = identity.copy()
    onto_z[[0, 1]] = [1, 0]  # row 0 takes row 1's value: x becomes z, collinear
    perms = np.array([identity, onto_z, np.roll(identity, 3)])
    with pytest.warns(UserWarning, match="1 of 3 draws"):
        pl = placebo("y ~ x + z", data, var="x", permutations=perms, vcov="iid")
    assert np.isnan(pl.coefs[1]) and np.isnan(pl.tvalues[1])
    assert pl.coefs[0] == pytest.approx(pl.estimate, abs=1e-12)
    assert pl.n_valid == 2
    # the identity draw ties with the estimate (counted); the shifted one is compared by hand
    expected = (1 + (abs(pl.coefs[2]) >= abs(pl.estimate))) / 2
    assert pl.pvalue == pytest.approx(expected)
