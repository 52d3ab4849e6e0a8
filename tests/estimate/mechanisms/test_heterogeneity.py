"""Tests of vagg.estimate.mechanisms.heterogeneity.

References: statsmodels OLS on the group subsets and on the pooled interaction model (fitted
here, and the pinned WAGE1 numbers in tests/reference/mechanism_wage1.json with provenance),
statsmodels' f_test for the joint Wald test, suest z computed by hand from statsmodels SEs,
and a hand replication of one permutation of the group labels.
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
from vagg.estimate.mechanisms.heterogeneity import heterogeneity

REF = json.loads(
    (Path(__file__).parents[2] / "reference" / "mechanism_wage1.json").read_text(encoding="utf-8")
)["heterogeneity"]
FORMULA = "lwage ~ educ + exper + tenure"


@pytest.fixture(scope="module")
def firms() -> pd.DataFrame:
    """A small firm panel: 60 firms × 5 years, ownership constant within firm, the slope of x
    0.5 for private firms and 1.0 for state-owned ones."""
    rng = np.random.default_rng(8)
    firm = np.repeat(np.arange(60), 5)
    year = np.tile(np.arange(5), 60)
    soe = (firm % 3 == 0).astype(int)
    x = rng.normal(size=300)
    y = (0.5 + 0.5 * soe) * x + 0.2 * year + rng.normal(size=60)[firm] + rng.normal(size=300)
    return pd.DataFrame({"firm": firm, "year": year, "soe": soe, "x": x, "y": y})


class SerialEngine:
    def __init__(self) -> None:
        self.calls = 0

    def map(self, fn, items):  # type: ignore[no-untyped-def]
        self.calls += 1
        return [fn(item) for item in items]


def test_groups_equal_statsmodels_on_subsets(wage1: pd.DataFrame) -> None:
    h = heterogeneity(FORMULA, wage1, by="female", vcov="hetero", test="suest")
    assert list(h.groups) == [0, 1]
    for g, res in h.groups.items():
        assert res.params["educ"] == pytest.approx(REF["educ"][str(g)], abs=1e-12)
        assert res.bse["educ"] == pytest.approx(REF["educ_se_hc1"][str(g)], rel=1e-9)
        fit = smf.ols(FORMULA, wage1[wage1["female"] == g]).fit(cov_type="HC1")
        np.testing.assert_allclose(res.params.to_numpy(), fit.params.to_numpy(), atol=1e-12)
    # suest z by hand from the independent numbers
    d = REF["educ"]["1"] - REF["educ"]["0"]
    se = math.hypot(REF["educ_se_hc1"]["1"], REF["educ_se_hc1"]["0"])
    row = h.difference.iloc[0]
    assert row["difference"] == pytest.approx(d, abs=1e-12)
    assert row["std_error"] == pytest.approx(se, rel=1e-9)
    assert row["statistic"] == pytest.approx(d / se, rel=1e-9)
    assert row["pvalue"] == pytest.approx(2 * stats.norm.sf(abs(d / se)), rel=1e-8)
    tidy = h.tidy()
    assert list(tidy.columns[:2]) == ["group", "term"] and set(tidy["group"]) == {0, 1}


def test_interaction_t_equals_statsmodels_pooled(wage1: pd.DataFrame) -> None:
    h = heterogeneity(FORMULA, wage1, by="female", vcov="hetero")
    row = h.difference.iloc[0]
    assert row["difference"] == pytest.approx(REF["interaction_coef"], abs=1e-12)
    assert row["statistic"] == pytest.approx(REF["interaction_t_hc1"], rel=1e-9)
    # iid and clustered errors too (Stata-style CRV1 = statsmodels' cluster correction)
    pooled = "lwage ~ educ + exper + tenure + female + educ:female"
    h_iid = heterogeneity(FORMULA, wage1, by="female", vcov="iid")
    fit = smf.ols(pooled, wage1).fit()
    assert h_iid.difference.iloc[0]["statistic"] == pytest.approx(
        fit.tvalues["educ:female"], rel=1e-9
    )
    assert h_iid.difference.iloc[0]["pvalue"] == pytest.approx(fit.pvalues["educ:female"])
    d = wage1.assign(cell=wage1["numdep"] * 10 + wage1["smsa"])
    h_cl = heterogeneity(FORMULA, d, by="female", vcov={"CRV1": "cell"})
    fit = smf.ols(pooled, d).fit(cov_type="cluster", cov_kwds={"groups": d["cell"]})
    assert h_cl.difference.iloc[0]["statistic"] == pytest.approx(
        fit.tvalues["educ:female"], rel=1e-9
    )


def test_three_or_more_groups_joint_wald_equals_statsmodels(wage1: pd.DataFrame) -> None:
    h = heterogeneity(FORMULA, wage1, by="region", reference="northeast", vcov="iid")
    assert h.reference == "northeast" and next(iter(h.groups)) == "northeast"
    d = wage1.copy()
    others = ["northcen", "south", "west"]
    for j, g in enumerate(others, start=1):
        d[f"g{j}"] = (d["region"] == g).astype(float)
    fit = smf.ols(FORMULA + " + g1 + g2 + g3 + educ:g1 + educ:g2 + educ:g3", d).fit()
    diff = h.difference.set_index("group")
    for j, g in enumerate(others, start=1):
        assert diff.loc[g, "difference"] == pytest.approx(fit.params[f"educ:g{j}"], abs=1e-12)
        assert diff.loc[g, "statistic"] == pytest.approx(fit.tvalues[f"educ:g{j}"], rel=1e-9)
    joint = fit.f_test("educ:g1 = 0, educ:g2 = 0, educ:g3 = 0")
    assert diff.loc["joint", "statistic"] == pytest.approx(float(joint.fvalue), rel=1e-9)
    assert diff.loc["joint", "pvalue"] == pytest.approx(float(joint.pvalue), rel=1e-8)


def test_fully_interacted_pool_reproduces_group_coefficients(firms: pd.DataFrame) -> None:
    h = heterogeneity("y ~ x | firm + year", firms, by="soe", pooled="full")
    assert h.pooled is not None
    coef = h.pooled.params
    assert coef["x"] == pytest.approx(h.groups[0].params["x"], abs=1e-10)
    assert coef["x"] + coef["x:soe_g1"] == pytest.approx(h.groups[1].params["x"], abs=1e-10)
    assert h.pooled.fixed_effects == ("firm^soe", "year^soe")
    # the key-only pool keeps year effects common: statsmodels with dummies
    h_key = heterogeneity("y ~ x | firm + year", firms, by="soe", vcov="iid")
    fit = smf.ols("y ~ x + x:soe + C(firm) + C(year)", firms).fit()
    assert h_key.difference.iloc[0]["difference"] == pytest.approx(fit.params["x:soe"], abs=1e-10)
    assert h_key.difference.iloc[0]["statistic"] == pytest.approx(fit.tvalues["x:soe"], rel=1e-8)


def test_suest_joint_test_by_hand(wage1: pd.DataFrame) -> None:
    h = heterogeneity(FORMULA, wage1, by="region", vcov="hetero", test="suest")
    fits = {g: smf.ols(FORMULA, wage1[wage1["region"] == g]).fit(cov_type="HC1") for g in h.groups}
    ref = fits["northcen"]
    others = ["northeast", "south", "west"]
    d = np.array([fits[g].params["educ"] - ref.params["educ"] for g in others])
    cov = np.diag([fits[g].bse["educ"] ** 2 for g in others]) + ref.bse["educ"] ** 2
    chi2 = float(d @ np.linalg.solve(cov, d))
    joint = h.difference.set_index("group").loc["joint"]
    assert joint["statistic"] == pytest.approx(chi2, rel=1e-9)
    assert joint["pvalue"] == pytest.approx(stats.chi2.sf(chi2, 3), rel=1e-8)


def test_permutation_at_cluster_level(firms: pd.DataFrame) -> None:
    kwargs = dict(by="soe", test="permutation", vcov={"CRV1": "firm"}, reps=60, seed=4)
    h = heterogeneity("y ~ x | year", firms, **kwargs)
    engine = SerialEngine()
    h2 = heterogeneity("y ~ x | year", firms, **kwargs, engine=engine)
    assert engine.calls == 1
    assert h.permutation_draws is not None and h2.permutation_draws is not None
    np.testing.assert_array_equal(h.permutation_draws, h2.permutation_draws)
    assert h.permutation_draws.shape == (60, 2, 1)
    row = h.difference.iloc[0]
    assert row["difference"] == pytest.approx(
        h.groups[1].params["x"] - h.groups[0].params["x"], abs=1e-12
    )
    assert row["pvalue"] < 0.05  # the planted difference of 0.5 is found
    # hand replication of permutation 0: firm-level labels permuted, statsmodels per group
    rng = np.random.default_rng(np.random.SeedSequence(4).spawn(60)[0])
    codes = pd.factorize(firms["firm"])[0]
    labels = np.zeros(codes.max() + 1, dtype=int)
    labels[codes] = firms["soe"].to_numpy()
    permuted = rng.permutation(labels)[codes]
    for g in (0, 1):
        fit = smf.ols("y ~ x + C(year)", firms[permuted == g]).fit()
        assert h.permutation_draws[0, g, 0] == pytest.approx(fit.params["x"], abs=1e-10)
    # no heterogeneity (fresh noise, common slope 0.5): the test does not reject
    rng = np.random.default_rng(21)
    noise = rng.normal(size=60)[firms["firm"]] + rng.normal(size=300)
    no_effect = firms.assign(y=0.5 * firms["x"] + 0.2 * firms["year"] + noise)
    h0 = heterogeneity("y ~ x | year", no_effect, **kwargs)
    assert h0.difference.iloc[0]["pvalue"] > 0.05


def test_bad_input(wage1: pd.DataFrame, firms: pd.DataFrame) -> None:
    small = wage1.copy()
    small.loc[small.index[:3], "region"] = "island"
    with pytest.raises(EstimationError, match="group region=island has 3 usable"):
        heterogeneity(FORMULA, small, by="region")
    with pytest.raises(EstimationError, match="by column 'regio'"):
        heterogeneity(FORMULA, wage1, by="regio")
    with pytest.raises(EstimationError, match=r"key term.*'married'"):
        heterogeneity(FORMULA, wage1, by="female", key="married")
    with pytest.raises(EstimationError, match="need at least two"):
        heterogeneity(FORMULA, wage1[wage1["female"] == 1], by="female")
    with pytest.raises(EstimationError, match="is a variable of the formula"):
        heterogeneity(FORMULA + " + female", wage1, by="female")
    with pytest.raises(EstimationError, match="reference"):
        heterogeneity(FORMULA, wage1, by="female", reference=2)
    with pytest.raises(EstimationError, match="varies within clusters"):
        heterogeneity(
            "y ~ x",
            firms.assign(g=firms["year"] % 2),
            by="g",
            test="permutation",
            vcov={"CRV1": "firm"},
            reps=5,
        )
    with pytest.raises(EstimationError, match="group soe=1: key term 'z'"):
        z = np.where(firms["soe"] == 1, 1.0, np.sin(np.arange(300)))  # constant for SOEs
        heterogeneity("y ~ z + x", firms.assign(z=z), by="soe")
    with pytest.warns(UserWarning, match="2 rows have 'female' missing"):
        d = wage1.copy()
        d.loc[d.index[:2], "female"] = np.nan
        h = heterogeneity(FORMULA, d, by="female", test="suest")
    assert h.n_missing_group == 2 and sum(r.nobs for r in h.groups.values()) == 524
