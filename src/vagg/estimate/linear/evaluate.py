"""Evaluation of parsed formula terms on a table, with the reason each unusable row is dropped.

:func:`evaluate` computes a term (:mod:`vagg.estimate.linear.formula`) for every row of the
input table and says, per row, why the value cannot be used: missing, a non-positive value
inside ``log``, or a lag/lead/difference whose period the unit does not have (Stata's
gap-aware semantics, :mod:`vagg.estimate.linear.panel_ops`). The sample builder
(:mod:`vagg.estimate.linear.sample`) counts the rows by the reason that takes precedence.
Written here because model-matrix builders (formulaic, patsy) report neither the reason nor
gap-aware lags.
"""

from __future__ import annotations

import numpy as np

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.formula import (
    Column,
    Indicator,
    Interaction,
    Log,
    Shift,
    Term,
)
from vagg.estimate.linear.panel_ops import PanelIndex

__all__ = [
    "MISSING",
    "MISSING_LAG",
    "NONPOSITIVE_IN_LOG",
    "OK",
    "REASON_NAMES",
    "combine_reasons",
    "evaluate",
]

# Why a row cannot be used, in order of precedence (a row missing x and with log(z ≤ 0) is
# counted once, as missing).
OK, MISSING, NONPOSITIVE_IN_LOG, MISSING_LAG = 0, 1, 2, 3
REASON_NAMES = {
    MISSING: "missing",
    NONPOSITIVE_IN_LOG: "nonpositive_in_log",
    MISSING_LAG: "missing_lag",
}


def combine_reasons(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, the reason that takes precedence (smallest non-zero code)."""
    both = (a != OK) & (b != OK)
    return np.where(a == OK, b, np.where(both, np.minimum(a, b), a))


def evaluate(
    term: Term, columns: dict[str, np.ndarray], panel: PanelIndex | None
) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``term`` for every row and, per row, why it is unusable (0 when usable).

    ``columns`` maps column names to float arrays over the full input table (before any row is
    dropped), so lags see every period. Codes: :data:`MISSING` (a value of this row is NaN),
    :data:`NONPOSITIVE_IN_LOG` (``log`` of a value ≤ 0 in this row), :data:`MISSING_LAG` (the
    lagged/led period is not observed, or its value is unusable).
    """
    if isinstance(term, Column):
        values = columns[term.name]
        return values, np.where(np.isnan(values), MISSING, OK).astype(np.int8)
    if isinstance(term, Indicator):
        raise EstimationError(f"{term.label} is expanded by the sample builder, not evaluated")
    if isinstance(term, Log):
        values, reason = evaluate(term.arg, columns, panel)
        bad = (reason == OK) & ~(values > 0)
        reason = np.where(bad, NONPOSITIVE_IN_LOG, reason).astype(np.int8)
        out = np.full(len(values), np.nan)
        ok = reason == OK
        out[ok] = np.log(values[ok])
        return out, reason
    if isinstance(term, Interaction):
        values, reason = evaluate(term.factors[0], columns, panel)
        for f in term.factors[1:]:
            v, r = evaluate(f, columns, panel)
            values = values * v
            reason = combine_reasons(reason, r)
        return values, reason.astype(np.int8)
    if panel is None:
        raise EstimationError(
            f"term {term.label!r} needs panel=(unit, time) to know which row is t−k"
        )
    values, reason = evaluate(term.arg, columns, panel)
    if isinstance(term, Shift):
        return _shift(panel, values, reason, term.k)
    for _ in range(term.order):
        lagged, lag_reason = _shift(panel, values, reason, 1)
        values = values - lagged
        reason = combine_reasons(reason, lag_reason)
    return values, reason.astype(np.int8)


def _shift(
    panel: PanelIndex, values: np.ndarray, reason: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    src = panel.source_rows(k)
    found = src >= 0
    safe = np.where(found, src, 0)
    out = np.where(found, values[safe], np.nan)
    usable = found & (reason[safe] == OK)
    return np.where(usable, out, np.nan), np.where(usable, OK, MISSING_LAG).astype(np.int8)
