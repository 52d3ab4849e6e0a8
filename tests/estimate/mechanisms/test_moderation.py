"""Tests of vagg.estimate.mechanisms.moderation (raw and mean-centred interaction models).

References: the pinned statsmodels numbers in tests/reference/mechanism_wage1.json (WAGE1,
provenance inside), statsmodels OLS and ``t_test`` fitted here on the same rows (independent
of feols), and the centring identities (closed forms from methods notes §10.2).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from vagg.estimate.errors import EstimationError
from vagg.estimate.mechanisms.moderation import moderation
from vagg.estimate.results import NotAvailable

REF = json.loads(
    (Path(__file__).parents[2] / "reference" / "mechanism_wage1.json").read_text(encoding="utf-8")
)


def test_moderation_identities_on_wage1(wage1: pd.DataFrame) -> None:
    ref = REF["moderation"]
    mo = moderation(
        wage1, outcome="lwage", x="educ", moderator="exper", controls="female", vcov="iid"
    )
    raw, cen = mo.raw, mo.centered
    assert not isinstance(cen, NotAvailable)
    for term in ("educ", "exper", "educ:exper"):
        assert raw.params[term] == pytest.approx(ref["raw"][term], abs=1e-12)
        assert cen.params[term] == pytest.approx(ref["centered"][term], abs=1e-12)
    assert mo.means["educ"] == pytest.approx(ref["mean_educ"], abs=1e-12)
    # closed forms: c3 = b3 (same SE), c1 = b1 + b3 z̄, c2 = b2 + b3 x̄, Var(c1), same R²
    b1, b2, b3 = (raw.params[t] for t in ("educ", "exper", "educ:exper"))
    zbar, xbar = ref["mean_exper"], ref["mean_educ"]
    assert cen.params["educ:exper"] == pytest.approx(b3, abs=1e-12)
    assert cen.bse["educ:exper"] == pytest.approx(raw.bse["educ:exper"], rel=1e-9)
    assert cen.bse["educ:exper"] == pytest.approx(ref["raw_se_interaction"], rel=1e-9)
    assert cen.params["educ"] == pytest.approx(b1 + b3 * zbar, abs=1e-12)
    assert cen.params["exper"] == pytest.approx(b2 + b3 * xbar, abs=1e-12)
    v = raw.vcov
    var_c1 = v.loc["educ", "educ"] + zbar**2 * v.loc["educ:exper", "educ:exper"]
    var_c1 += 2 * zbar * v.loc["educ", "educ:exper"]
    assert cen.bse["educ"] == pytest.approx(math.sqrt(var_c1), rel=1e-9)
    assert cen.bse["educ"] == pytest.approx(ref["centered_se_educ"], rel=1e-9)
    assert raw.r2 == pytest.approx(ref["r2"], abs=1e-12)
    assert cen.r2 == pytest.approx(raw.r2, abs=1e-12)
    assert cen.extra["centered_at"] == {"educ": xbar, "exper": zbar}


def test_moderation_with_fixed_effects_and_missing_rows(wage1: pd.DataFrame) -> None:
    d = wage1.copy()
    d.loc[d.index[:20], "female"] = np.nan
    mo = moderation(
        d, outcome="lwage", x="educ", moderator="exper", controls="female", fe="industry"
    )
    used = d.dropna(subset=["female"])
    assert mo.means["exper"] == pytest.approx(used["exper"].mean(), abs=1e-12)
    assert mo.sample.dropped == {"missing": 20}
    raw, cen = mo.raw, mo.centered
    assert not isinstance(cen, NotAvailable)
    b1, b3 = raw.params["educ"], raw.params["educ:exper"]
    assert cen.params["educ"] == pytest.approx(b1 + b3 * used["exper"].mean(), abs=1e-12)
    assert cen.params["educ:exper"] == pytest.approx(b3, abs=1e-12)
    assert cen.r2 == pytest.approx(raw.r2, abs=1e-12)
    assert cen.r2_within == pytest.approx(raw.r2_within, abs=1e-12)
    sm_fit = smf.ols("lwage ~ educ * exper + female + C(industry)", used).fit()
    assert b3 == pytest.approx(sm_fit.params["educ:exper"], abs=1e-12)


def test_simple_slopes_match_statsmodels_linear_combination(wage1: pd.DataFrame) -> None:
    mo = moderation(wage1, outcome="lwage", x="educ", moderator="exper", vcov="iid")
    fit = smf.ols("lwage ~ educ + exper + educ:exper", wage1).fit()
    slopes = mo.simple_slopes(at=[5.0, 30.0])
    for z, row in zip([5.0, 30.0], slopes.itertuples(), strict=True):
        test = fit.t_test(f"educ + {z} * educ:exper = 0")
        assert row.slope == pytest.approx(float(test.effect[0]), abs=1e-12)
        assert row.std_error == pytest.approx(float(test.sd[0, 0]), rel=1e-9)
        assert row.pvalue == pytest.approx(float(test.pvalue), rel=1e-6)
    assert len(mo.simple_slopes()) == 3


def test_moderation_without_centering_and_bad_input(wage1: pd.DataFrame) -> None:
    mo = moderation(wage1, outcome="lwage", x="educ", moderator="exper", center=False)
    assert isinstance(mo.centered, NotAvailable)
    assert set(mo.tidy()["model"]) == {"raw"}
    with pytest.raises(EstimationError, match="three different"):
        moderation(wage1, outcome="lwage", x="educ", moderator="educ")
    with pytest.raises(EstimationError, match="moderator column 'expr'"):
        moderation(wage1, outcome="lwage", x="educ", moderator="expr")
    with pytest.raises(EstimationError, match="uses"):
        moderation(
            wage1,
            outcome="lwage",
            x="educ",
            moderator="exper",
            controls=["expersq", "exper:female"],
        )
    with pytest.raises(EstimationError, match="does not vary"):
        moderation(wage1.assign(k=2.0), outcome="lwage", x="educ", moderator="k")
