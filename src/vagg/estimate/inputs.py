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

import pandas as pd

from vagg.data.frames import MAX_SHOWN, as_pandas, rows_text
from vagg.estimate.errors import EstimationError

__all__ = ["MAX_SHOWN", "as_pandas", "check_columns", "require_columns", "rows_text"]


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
