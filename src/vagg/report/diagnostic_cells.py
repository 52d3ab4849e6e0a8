"""Diagnostic cells of a regression table: what a Result's diagnostic prints as.

A diagnostic may be a number, a :class:`~vagg.estimate.results.HypothesisTest`, a result
holding an F test (first stages, Anderson–Rubin), Stock–Yogo critical values or a mapping of
these (one sub-row per key); :func:`diagnostic_statistic` turns each into the printed
statistic and its p-value.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from vagg.errors import VaggError
from vagg.estimate.results import HypothesisTest, NotAvailable

__all__ = ["ABSENT", "TableError", "diagnostic_statistic", "expand_diagnostic"]


class TableError(VaggError):
    """A regression table received arguments it cannot use; the message names the argument."""


class _Absent:
    """Marks a diagnostic a column does not have (printed blank, unlike NotAvailable)."""


ABSENT: Any = _Absent()


def expand_diagnostic(value: Any) -> dict[str | None, Any]:
    """A diagnostic as {sub-row: value}: one row, or one per key of a mapping (first_stage)."""
    if value is ABSENT:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return {None: value}


def diagnostic_statistic(value: Any, key: str) -> tuple[Any, float | None]:
    """The printed statistic of a diagnostic and its p-value (None when it has none).

    Test results (``HypothesisTest``: ``statistic``, ``pvalue``) give both; results holding
    an F test (``AndersonRubin``, ``FirstStage``: ``f``) give the F test's; Stock–Yogo critical
    values give the 10% maximal IV size value; plain numbers and NotAvailable are printed as is.
    """
    if value is ABSENT or value is None or isinstance(value, NotAvailable):
        return value, None
    if isinstance(value, HypothesisTest):
        return value.statistic, float(value.pvalue)
    if isinstance(getattr(value, "f", None), HypothesisTest):
        return diagnostic_statistic(value.f, key)
    if hasattr(value, "iv_size"):
        table = value.iv_size
        if isinstance(table, NotAvailable):
            return table, None
        return table.get(0.10, NotAvailable("no 10% maximal size value")), None
    if isinstance(value, numbers.Real | np.floating | np.integer):
        return float(value), None
    raise TableError(
        f"diagnostics: cannot print {key!r}, a {type(value).__name__}; give a number, a "
        "HypothesisTest, or NotAvailable"
    )
