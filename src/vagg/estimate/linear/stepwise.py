"""fixest's stepwise formulas: ``sw()``, ``csw()``, ``sw0()``, ``csw0()``, one Result per step.

``stepwise("y ~ x | fe", ...)`` with one stepwise function on the right-hand side fits one model
per step, in order, as fixest and pyfixest do (paper 002's Table 2 is such a table):

* ``sw(a, b)`` — ``y ~ a``, ``y ~ b`` (each in turn);
* ``csw(a, b)`` — ``y ~ a``, ``y ~ a + b`` (cumulative);
* ``sw0(a, b)`` / ``csw0(a, b)`` — the same, after a first model without any of them.

Other terms of the formula stay in every step (``y ~ x + csw(a, b) | fe``). The Results come
back in a :class:`StepwiseResults` (a list), which :func:`vagg.report.regression_table` takes
as it is. ``vagg.feols`` and ``vagg.iv`` fit one model and return one Result, so they refuse a
stepwise formula and point here; :func:`expand_stepwise` gives the formulas of the steps.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from vagg.estimate.errors import EstimationError
from vagg.estimate.results import Result

__all__ = ["STEPWISE_FUNCTIONS", "StepwiseResults", "expand_stepwise", "stepwise"]

STEPWISE_FUNCTIONS = ("sw", "csw", "sw0", "csw0")
_CALL = re.compile(r"\b(csw0|sw0|csw|sw)\s*\(")


class StepwiseResults(list[Result]):
    """The Results of a stepwise formula, one per step, in order (a list with a summary)."""

    def __repr__(self) -> str:
        formulas = [r.formula for r in self]
        return f"<StepwiseResults {len(self)} steps: {formulas}>"


def _arguments(text: str, open_at: int) -> tuple[list[str], int]:
    """The comma-separated arguments of the call whose ``(`` is at ``open_at``, and the index
    after its ``)``."""
    depth, args, start = 0, [], open_at + 1
    for pos in range(open_at, len(text)):
        ch = text[pos]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(text[start:pos].strip())
                return [a for a in args if a], pos + 1
        elif ch == "," and depth == 1:
            args.append(text[start:pos].strip())
            start = pos + 1
    raise EstimationError(f"formula {text!r}: unbalanced parentheses in a stepwise function")


def expand_stepwise(formula: str) -> list[str] | None:
    """The formulas of the steps of ``formula``, or None when it has no stepwise function.

    Raises :class:`EstimationError` for more than one stepwise function, one outside the
    right-hand side (before the first ``|``), or one without arguments.
    """
    calls = list(_CALL.finditer(formula))
    if not calls:
        return None
    if len(calls) > 1:
        raise EstimationError(
            f"formula {formula!r}: one stepwise function (sw, csw, sw0, csw0) per formula"
        )
    call = calls[0]
    tilde = formula.find("~")
    bar = formula.find("|", tilde)
    if tilde < 0 or call.start() < tilde or (0 <= bar < call.start()):
        raise EstimationError(
            f"formula {formula!r}: {call.group(1)}() is supported on the right-hand side "
            "(between '~' and the first '|') only"
        )
    kind = call.group(1)
    args, end = _arguments(formula, call.end() - 1)
    if not args:
        raise EstimationError(f"formula {formula!r}: {kind}() needs at least one term")
    if kind.startswith("csw"):
        steps = [args[: j + 1] for j in range(len(args))]
    else:
        steps = [[a] for a in args]
    if kind.endswith("0"):
        steps = [[], *steps]
    return [_substitute(formula, call.start(), end, step) for step in steps]


def _substitute(formula: str, start: int, end: int, terms: list[str]) -> str:
    before, after = formula[:start].rstrip(), formula[end:].lstrip()
    if terms:
        return f"{before} {' + '.join(terms)} {after}".strip()
    if before.endswith("+"):
        before = before[:-1].rstrip()
    elif after.startswith("+"):
        after = after[1:].lstrip()
    lhs, _, rest = f"{before} {after}".partition("~")
    rhs, bar, tail = rest.partition("|")
    rhs = rhs.strip() or "1"
    return f"{lhs.strip()} ~ {rhs}{' ' + bar + ' ' + tail.strip() if bar else ''}"


def stepwise(
    formula: str, data: Any, *, model: Literal["feols", "iv"] = "feols", **kwargs: Any
) -> StepwiseResults:
    """Fit every step of a stepwise formula with ``vagg.feols`` (or ``vagg.iv``).

    Parameters
    ----------
    formula : str
        A formula with one of ``sw()``, ``csw()``, ``sw0()``, ``csw0()`` on the right-hand
        side, e.g. ``"y ~ csw(x1, x2, x3) | firm + year"``.
    data : pandas.DataFrame or polars.DataFrame
        The table.
    model : {"feols", "iv"}
        The estimator of each step.
    **kwargs
        Passed to the estimator (``vcov=``, ``ssc=``, ``weights=``, ``panel=`` ...).

    Returns
    -------
    StepwiseResults
        One Result per step, in fixest's order.
    """
    from vagg.estimate.linear.fixed_effects import feols
    from vagg.estimate.linear.iv import iv

    steps = expand_stepwise(formula)
    if steps is None:
        raise EstimationError(
            f"formula {formula!r} has no stepwise function; use one of {list(STEPWISE_FUNCTIONS)}"
        )
    if model not in ("feols", "iv"):
        raise EstimationError(f"model={model!r}; use 'feols' or 'iv'")
    fit = feols if model == "feols" else iv
    return StepwiseResults(fit(step, data, **kwargs) for step in steps)
