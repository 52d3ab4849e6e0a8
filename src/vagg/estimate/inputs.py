"""Checks of the tables and column arguments that estimators receive, with readable errors.

Every estimator takes a pandas or polars table and names columns by role (``outcome=``,
``treatment=``, ``strata=``, ...). These helpers turn the table into pandas, check that the
named columns exist and name the offending argument, column and rows when they do not — the
errors of design.md ("bad input raises a clear error naming the table/argument, column and
offending rows").
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from vagg.estimate.errors import EstimationError

#: How many offending row labels an error message shows.
MAX_SHOWN = 5


def as_pandas(data: Any) -> pd.DataFrame:
    """``data`` as a pandas DataFrame (a polars DataFrame is converted with ``to_pandas()``)."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas"):
        return data.to_pandas()
    raise EstimationError(f"data must be a pandas or polars DataFrame; got {type(data).__name__}")


def rows_text(labels: Sequence[object] | pd.Index) -> str:
    """The first :data:`MAX_SHOWN` row labels, ``repr``-ed, and how many more there are."""
    shown = ", ".join(repr(v) for v in list(labels[:MAX_SHOWN]))
    more = len(labels) - MAX_SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")


def check_columns(frame: pd.DataFrame, needed: Sequence[str], what: Mapping[str, str]) -> None:
    """Raise for the first name in ``needed`` that is not a column of ``frame``; ``what`` says
    what each column is for (default: "used in the formula"), and close matches are offered."""
    columns = [str(c) for c in frame.columns]
    for name in needed:
        if name not in frame.columns:
            close = difflib.get_close_matches(name, columns, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise EstimationError(
                f"data: column {name!r} ({what.get(name, 'used in the formula')}) is not in the "
                f"table{hint}"
            )


def require_columns(frame: pd.DataFrame, where: str, **roles: str | None) -> None:
    """Raise naming the argument when a column given for a role is not in the table.

    ``require_columns(frame, "mediation", outcome="y", cluster=None)``: ``None`` roles are
    skipped; a role given something other than a string is an error too.
    """
    for role, column in roles.items():
        if column is None:
            continue
        if not isinstance(column, str):
            raise EstimationError(f"{where}: {role} must be a column name; got {column!r}")
        if column not in frame.columns:
            raise EstimationError(
                f"{where}: {role} column {column!r} is not in data "
                f"(columns: {[str(c) for c in frame.columns][:20]})"
            )
