"""Tests of vagg.estimate.mechanisms.mediation (moderation: test_moderation.py).

References: statsmodels OLS fitted here on the same rows (independent of feols), the pinned
statsmodels numbers in tests/reference/mechanism_wage1.json (WAGE1, provenance inside), hand
computations of Sobel's z and the bootstrap resample (closed forms from methods notes §10.1).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from vagg.estimate.errors import EstimationError
from vagg.estimate.mechanisms.mediation import estimation_rows, mediation
from vagg.estimate.results import NotAvailable

REF = json.loads(
    (Path(__file__).parents[2] / "reference" / "mechanism_wage1.json").read_text(encoding="utf-8")
)
CONTROLS = ["exper", "female"]


class SerialEngine:
    """Stand-in for vagg.engine: map in order, recording how many items it got."""

    def __init__(self) -> None:
        self.items = 0

    def map(self, fn, items):  # type: ignore[no-untyped-def]
        items = list(items)
        self.items += len(items)
        return [fn(item) for item in reversed(items)][::-1]


# --------------------------------------------------------------------------- mediation
def test_wage1_matches_pinned_statsmodels(wage1: pd.DataFrame) -> None:
    ref = REF["mediation"]
    m = mediation(
        wage1, outcome="lwage", treatment="educ", mediator="tenure", controls=CONTROLS, vcov="iid"
    )
    assert m.total == pytest.approx(ref["c"], abs=1e-12)
    assert m.a == pytest.approx(ref["a"], abs=1e-12)
    assert m.b == pytest.approx(ref["b"], abs=1e-12)
    assert m.direct == pytest.approx(ref["c_prime"], abs=1e-12)
    assert m.indirect_se == pytest.approx(ref["sobel_se"], rel=1e-10)
    assert m.sobel.statistic == pytest.approx(ref["sobel_z"], rel=1e-10)
    assert m.sobel.pvalue == pytest.approx(2 * stats.norm.sf(ref["sobel_z"]), rel=1e-10)
    # the identity c = c' + ab, on the independent numbers and on ours
    assert ref["c"] - ref["c_prime"] - ref["a"] * ref["b"] == pytest.approx(0, abs=1e-12)
    assert m.total - m.direct - m.indirect == pytest.approx(0, abs=1e-12)
    assert m.proportion_mediated == pytest.approx(ref["a"] * ref["b"] / ref["c"], rel=1e-10)
    assert isinstance(m.bootstrap_ci, NotAvailable)
    assert [r.nobs for r in m.results] == [526] * 3


def test_hetero_sobel_is_hand_computation_from_statsmodels(wage1: pd.DataFrame) -> None:
    m = mediation(
        wage1,
        outcome="lwage",
        treatment="educ",
        mediator="tenure",
        controls=CONTROLS,
        vcov="hetero",
    )
    fa = smf.ols("tenure ~ educ + exper + female", wage1).fit(cov_type="HC1")
    fb = smf.ols("lwage ~ educ + tenure + exper + female", wage1).fit(cov_type="HC1")
    a, b = fa.params["educ"], fb.params["tenure"]
    se = math.sqrt(b**2 * fa.bse["educ"] ** 2 + a**2 * fb.bse["tenure"] ** 2)
    assert m.sobel.statistic == pytest.approx(a * b / se, rel=1e-9)
    assert m.results[1].bse["educ"] == pytest.approx(fa.bse["educ"], rel=1e-9)


def test_identity_with_absorbed_fixed_effects(wage1: pd.DataFrame) -> None:
    m = mediation(
        wage1,
        outcome="lwage",
        treatment="educ",
        mediator="tenure",
        controls=CONTROLS,
        fe="industry",
    )
    assert abs(m.total - m.direct - m.indirect) < 1e-10
    # independent: industry dummies in statsmodels give the same four coefficients
    c = smf.ols("lwage ~ educ + exper + female + C(industry)", wage1).fit().params["educ"]
    fa = smf.ols("tenure ~ educ + exper + female + C(industry)", wage1).fit()
    fb = smf.ols("lwage ~ educ + tenure + exper + female + C(industry)", wage1).fit()
    assert m.total == pytest.approx(c, abs=1e-10)
    assert m.a == pytest.approx(fa.params["educ"], abs=1e-10)
    assert m.b == pytest.approx(fb.params["tenure"], abs=1e-10)
    assert m.direct == pytest.approx(fb.params["educ"], abs=1e-10)
    assert m.results[0].fixed_effects == ("industry",)


def test_identity_with_two_way_fixed_effects_and_weights() -> None:
    rng = np.random.default_rng(3)
    n = 600
    d = pd.DataFrame(
        {
            "firm": rng.integers(0, 60, n),
            "year": rng.integers(0, 8, n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "w": rng.uniform(0.5, 2, n),
        }
    )
    d["m"] = 0.5 * d["x"] + 0.2 * d["z"] + 0.1 * d["firm"] % 3 + rng.normal(size=n)
    d["y"] = 0.3 * d["x"] + 0.7 * d["m"] + 0.05 * d["year"] + rng.normal(size=n)
    m = mediation(
        d,
        outcome="y",
        treatment="x",
        mediator="m",
        controls="z",
        fe=["firm", "year"],
        weights="w",
    )
    assert abs(m.total - m.direct - m.indirect) < 1e-10
    wls = smf.wls("y ~ x + m + z + C(firm) + C(year)", d, weights=d["w"]).fit()
    assert m.b == pytest.approx(wls.params["m"], abs=1e-10)


def test_common_sample_drops_rows_missing_in_any_equation(wage1: pd.DataFrame) -> None:
    d = wage1.copy()
    d.loc[d.index[:30], "tenure"] = np.nan  # mediator missing: not in (2) or (3)
    d.loc[d.index[40:45], "exper"] = np.nan  # a control missing: in none
    m = mediation(
        d, outcome="lwage", treatment="educ", mediator="tenure", controls=CONTROLS, vcov="iid"
    )
    assert m.sample.n_used == 526 - 35
    assert m.sample.dropped == {"missing": 35}
    assert all(r.nobs == 491 for r in m.results)
    assert all(r.sample is not None and r.sample.n_input == 526 for r in m.results)
    cc = d.dropna(subset=["tenure", "exper"])
    c = smf.ols("lwage ~ educ + exper + female", cc).fit().params["educ"]
    assert m.total == pytest.approx(c, abs=1e-12)
    assert abs(m.total - m.direct - m.indirect) < 1e-12
    # on their own samples the identity fails: the point of the common sample
    c_alone = smf.ols("lwage ~ educ + exper + female", d).fit().params["educ"]
    assert abs(c_alone - m.direct - m.indirect) > 1e-4


def test_estimation_rows_counts_singletons(wage1: pd.DataFrame) -> None:
    d = wage1.copy()
    d["cell"] = np.arange(len(d)) // 2
    d.loc[d.index[0], "lwage"] = np.nan  # row 1 becomes a singleton of cell 0
    rows, dropped = estimation_rows("lwage ~ educ | cell", d)
    assert dropped == {"missing": 1, "singleton_fe": 1}
    assert 0 not in rows and 1 not in rows and len(rows) == 524


def test_bootstrap_resamples_clusters_reproducibly(wage1: pd.DataFrame) -> None:
    kwargs = dict(
        outcome="lwage",
        treatment="educ",
        mediator="tenure",
        controls=CONTROLS,
        fe="industry",
        cluster="industry",
        bootstrap=30,
        seed=11,
    )
    m1 = mediation(wage1, **kwargs)
    engine = SerialEngine()
    m2 = mediation(wage1, **kwargs, engine=engine)
    assert engine.items == 2  # 30 resamples in chunks of 25
    assert m1.bootstrap_draws is not None and m2.bootstrap_draws is not None
    np.testing.assert_array_equal(m1.bootstrap_draws, m2.bootstrap_draws)
    m3 = mediation(wage1, **{**kwargs, "seed": 12})
    assert not np.array_equal(m1.bootstrap_draws, m3.bootstrap_draws)
    # hand replication of resample 0: draw industries with replacement, refit with statsmodels
    rng = np.random.default_rng(np.random.SeedSequence(11).spawn(30)[0])
    codes = pd.factorize(wage1["industry"])[0]
    clusters = [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]
    draw = rng.integers(0, len(clusters), len(clusters))
    sample = wage1.iloc[np.concatenate([clusters[g] for g in draw])]
    fa = smf.ols("tenure ~ educ + exper + female + C(industry)", sample).fit()
    fb = smf.ols("lwage ~ educ + tenure + exper + female + C(industry)", sample).fit()
    assert m1.bootstrap_draws[0] == pytest.approx(
        fa.params["educ"] * fb.params["tenure"], abs=1e-10
    )
    low, high = np.quantile(m1.bootstrap_draws, [0.025, 0.975])
    assert m1.bootstrap_ci == (pytest.approx(low), pytest.approx(high))
    tidy = m1.tidy().set_index("effect")
    assert tidy.loc["indirect", "interval"] == "bootstrap percentile"
    assert tidy.loc["indirect", "conf_low"] == pytest.approx(low)


def test_bootstrap_on_worker_processes_equals_serial(wage1: pd.DataFrame) -> None:
    engines = pytest.importorskip("vagg.engine")
    kwargs = dict(
        outcome="lwage", treatment="educ", mediator="tenure", cluster="industry", bootstrap=30
    )
    serial = mediation(wage1, **kwargs)
    with engines.Local(2) as engine:
        parallel = mediation(wage1, **kwargs, engine=engine)
    assert serial.bootstrap_draws is not None and parallel.bootstrap_draws is not None
    np.testing.assert_array_equal(serial.bootstrap_draws, parallel.bootstrap_draws)


def test_row_bootstrap_percentile_and_bc(wage1: pd.DataFrame) -> None:
    m = mediation(
        wage1,
        outcome="lwage",
        treatment="educ",
        mediator="tenure",
        controls=CONTROLS,
        bootstrap=40,
        seed=1,
    )
    draws = m.bootstrap_draws
    assert draws is not None and np.isfinite(draws).all()
    z0 = stats.norm.ppf(np.mean(draws < m.indirect))
    q = stats.norm.cdf(2 * z0 + stats.norm.ppf([0.05, 0.95]))
    assert m.bootstrap_interval(0.90, "bc") == tuple(
        pytest.approx(v) for v in np.quantile(draws, q)
    )


def test_conclusions_follow_wen_and_ye() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    x = rng.normal(size=n)
    m = 0.8 * x + rng.normal(size=n)
    full = pd.DataFrame({"x": x, "m": m, "y": 0.5 * m + rng.normal(size=n)})
    partial = full.assign(y=0.5 * m + 0.4 * x + rng.normal(size=n))
    masking = full.assign(y=0.5 * m - 0.4 * x + rng.normal(size=n))
    none = full.assign(y=0.4 * x + rng.normal(size=n), m=rng.normal(size=n))
    kw = dict(outcome="y", treatment="x", mediator="m")
    assert mediation(full, **kw).conclusion().startswith("full mediation")
    assert mediation(partial, **kw).conclusion().startswith("partial mediation")
    assert mediation(masking, **kw).conclusion().startswith("suppression")
    assert mediation(none, **kw).conclusion().startswith("no significant indirect effect")
    text = mediation(partial, **kw).summary()
    assert "c - (c' + ab)" in text and "partial mediation" in text


def test_mediation_bad_input(wage1: pd.DataFrame) -> None:
    kw = dict(outcome="lwage", treatment="educ", mediator="tenure")
    with pytest.raises(EstimationError, match="three different"):
        mediation(wage1, **{**kw, "mediator": "educ"})
    with pytest.raises(EstimationError, match="identical"):
        mediation(wage1.assign(educ2=wage1["educ"]), **{**kw, "mediator": "educ2"})
    with pytest.raises(EstimationError, match="does not vary"):
        mediation(wage1.assign(one=1.0), **{**kw, "treatment": "one"})
    with pytest.raises(EstimationError, match="treatment column 'educc'"):
        mediation(wage1, **{**kw, "treatment": "educc"})
    with pytest.raises(EstimationError, match="edu"):
        mediation(wage1, **kw, controls=["edu"])
    d = wage1.assign(ind_educ=wage1["industry"] * 2.0)  # absorbed by the industry effects
    with pytest.raises(EstimationError, match=r"equation \(1\).*ind_educ.*collinear"):
        mediation(d, **{**kw, "treatment": "ind_educ"}, fe="industry")
    with pytest.raises(EstimationError, match=r"treatment 'ind_educ'.*collinear"):
        mediation(d, **{**kw, "treatment": "ind_educ"}, fe="industry", controls="exper")
    with pytest.raises(EstimationError, match="uses"):
        mediation(wage1, **kw, controls=["educ:exper"])
