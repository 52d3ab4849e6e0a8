"""The fixest-style formula parser used by ``feols`` (labels, intercept, fixed effects, errors)."""

from __future__ import annotations

import numpy as np
import pytest

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.evaluate import MISSING, MISSING_LAG, NONPOSITIVE_IN_LOG, OK, evaluate
from vagg.estimate.linear.formula import parse_formula


def test_terms_labels_and_fixed_effects() -> None:
    spec = parse_formula("log(y) ~ x1 + L(x2) + L(x2,2) + F(x3) + D(log(x4), 2) + a:b | f1 + f2^f3")
    assert spec.depvar.label == "log(y)"
    assert [t.label for t in spec.regressors] == [
        "x1",
        "L(x2)",
        "L(x2, 2)",
        "F(x3)",
        "D(log(x4), 2)",
        "a:b",
    ]
    assert spec.fixed_effects == (("f1",), ("f2", "f3"))
    assert spec.fe_labels == ("f1", "f2^f3")
    assert not spec.intercept
    assert spec.needs_panel() and spec.uses_log()
    assert spec.columns() == ["y", "x1", "x2", "x3", "x4", "a", "b", "f1", "f2", "f3"]


@pytest.mark.parametrize(
    ("text", "intercept"),
    [
        ("y ~ x", True),
        ("y ~ 1 + x", True),
        ("y ~ x - 1", False),
        ("y ~ 0 + x", False),
        ("y ~ x + 0", False),
    ],
)
def test_intercept(text: str, intercept: bool) -> None:
    assert parse_formula(text).intercept is intercept


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("y ~ x + x", "more than once"),
        ("y ~ y", "both sides"),
        ("y ~ x | a | b", "third part must be"),
        ("y ~ x | d ~ x", "both exogenous and instrument"),
        ("y ~ x | d + e ~ z", "underidentified"),
        ("y ~ x | d ~ z z", "expected '\\+' between the instrument terms"),
        ("y ~ log(x, 2)", "one argument"),
        ("y ~ L(x, b)", "whole number"),
        ("y ~ x % z", "cannot read.*supported: column names"),
        ("y ~ poly(x, 2)", r"function poly\(\) is not supported; supported:"),
        ("y ~ i(g, keep=1)", r"keep= is not supported \(only ref=\)"),
        ("y ~ i(g):x", r"as i\(var, x\)"),
        ("y ~ x - z", "only '- 1'"),
        ("y ~ x | f + f", "more than once"),
        ("y", "formula must be"),
    ],
)
def test_malformed(text: str, message: str) -> None:
    with pytest.raises(EstimationError, match=message):
        parse_formula(text)


def test_evaluate_reasons_without_panel() -> None:
    cols = {"x": np.array([1.0, np.nan, -2.0, np.e]), "z": np.array([2.0, 2.0, 2.0, np.nan])}
    values, reason = evaluate(parse_formula("y ~ log(x):z").regressors[0], cols, None)
    assert reason.tolist() == [OK, MISSING, NONPOSITIVE_IN_LOG, MISSING]
    assert values[0] == 0.0
    with pytest.raises(EstimationError, match="panel"):
        evaluate(parse_formula("y ~ L(x)").regressors[0], cols, None)
    assert MISSING_LAG not in reason


@pytest.mark.parametrize(
    ("text", "fes", "exog", "endog", "instruments", "intercept"),
    [
        ("y ~ x | a + b | d ~ z1 + z2", ("a", "b"), ["x"], ["d"], ["z1", "z2"], False),
        ("y ~ x | d ~ z", (), ["x"], ["d"], ["z"], True),
        ("y ~ 1 | a | d ~ log(z)", ("a",), [], ["d"], ["log(z)"], False),
        ("y ~ 0 + x | d + e ~ z1 + L(z2)", (), ["x"], ["d", "e"], ["z1", "L(z2)"], False),
    ],
)
def test_instrumental_variables_part(text, fes, exog, endog, instruments, intercept) -> None:
    """fixest / pyfixest grammar: ``y ~ exog | fe | endog ~ instruments``, FE part optional."""
    spec = parse_formula(text)
    assert spec.fe_labels == fes
    assert [t.label for t in spec.regressors] == exog
    assert [t.label for t in spec.endog] == endog
    assert [t.label for t in spec.instruments] == instruments
    assert spec.intercept is intercept
