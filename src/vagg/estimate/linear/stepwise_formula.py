"""fixest's stepwise functions in a formula: ``sw()``, ``csw()``, ``sw0()``, ``csw0()``
expanded into the formulas of the steps (:func:`expand_stepwise`).

The expansion is kept apart from :func:`vagg.estimate.linear.stepwise.stepwise`, which fits the
steps, so that ``feols`` and ``iv`` can recognise (and refuse) a stepwise formula without
importing the module that calls them.
"""

from __future__ import annotations

import re

from vagg.estimate.errors import EstimationError

__all__ = ["STEPWISE_FUNCTIONS", "expand_stepwise"]

STEPWISE_FUNCTIONS = ("sw", "csw", "sw0", "csw0")
_CALL = re.compile(r"\b(csw0|sw0|csw|sw)\s*\(")


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
