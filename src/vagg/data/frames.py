"""The one frame toolkit of vagg: pandas/polars adapters and row checks.

Every measure and estimator takes pandas or polars tables (design.md, "Measures": the output
type follows the input). The adapters here turn any of them into the frame a function works
on (:func:`as_polars`, :func:`as_lazy`, :func:`as_pandas`) and back (:func:`like`); the checks
name the table, the column and the first offending rows (:func:`require_columns`,
:func:`check_rows`, :func:`raise_if_rows`, :func:`check_unique_key`).

**Null policy.** A row check is a boolean *mask of bad rows*; where the mask is null (it was
computed from a missing value) the row is **not** flagged. A check that must reject missing
values says so in its mask (``pl.col("x").is_null() | (pl.col("x") < 0)``), so that the rule
for missing values is always written where the check is, with its own message, and a
nullable column's missing values never trip a range check meant for its present ones. The
schema validator (:func:`vagg.data.schemas.validate`) and every measure use this one policy.

Written here rather than taken from a library: pandas and polars convert each other
(``pl.from_pandas``, ``DataFrame.to_pandas``), but neither names the offending rows of a
failed check; this module only adds that and a clear error for a non-frame input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.errors import VaggError

__all__ = [
    "MAX_SHOWN",
    "Check",
    "FrameError",
    "as_lazy",
    "as_pandas",
    "as_polars",
    "check_rows",
    "check_unique_key",
    "like",
    "raise_if_rows",
    "raise_unmatched_codes",
    "require_columns",
    "rows_text",
]

#: How many offending rows an error message shows.
MAX_SHOWN = 5

#: One row check: (mask of bad rows, column named in the error, problem).
Check = tuple[pl.Expr, str, str]


class FrameError(VaggError, TypeError):
    """A table argument is not a pandas or polars DataFrame (also a ``TypeError``)."""


def _not_a_frame(frame: Any, table: str) -> FrameError:
    return FrameError(
        f"table '{table}': expected a pandas or polars DataFrame, got {type(frame).__name__}"
    )


def _from_pandas(frame: pd.DataFrame) -> pl.DataFrame:
    """``frame`` as polars (index dropped). Object columns mixing numbers and text are read as
    text, so that a later cast to the canonical dtype names the rows that do not fit."""
    frame = frame.reset_index(drop=True)
    try:
        return pl.from_pandas(frame)
    except (TypeError, ValueError, ArithmeticError, pl.exceptions.PolarsError):
        pass
    fixed = frame.copy()
    for column in fixed.columns:
        if fixed[column].dtype == object:
            fixed[column] = fixed[column].map(lambda v: None if pd.isna(v) else str(v))
    return pl.from_pandas(fixed)


def as_polars(frame: Any, table: str = "data") -> pl.DataFrame:
    """``frame`` as an eager polars DataFrame.

    Parameters
    ----------
    frame : pandas.DataFrame or polars.DataFrame or polars.LazyFrame
        The table (a LazyFrame is collected; a pandas index is dropped).
    table : str
        Its name in the error raised for any other type (:class:`FrameError`).

    Returns
    -------
    polars.DataFrame
    """
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pd.DataFrame):
        return _from_pandas(frame)
    raise _not_a_frame(frame, table)


def as_lazy(frame: Any, table: str = "data") -> pl.LazyFrame:
    """``frame`` as a polars LazyFrame (see :func:`as_polars` for the accepted types)."""
    if isinstance(frame, pl.LazyFrame):
        return frame
    return as_polars(frame, table).lazy()


def as_pandas(frame: Any, table: str = "data") -> pd.DataFrame:
    """``frame`` as a pandas DataFrame (a pandas frame is returned as is, a polars one
    converted with ``to_pandas()``; a LazyFrame is collected first)."""
    if isinstance(frame, pd.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect().to_pandas()
    if hasattr(frame, "to_pandas"):
        return frame.to_pandas()
    raise _not_a_frame(frame, table)


def like(result: pl.DataFrame, template: Any) -> Any:
    """``result`` as pandas when ``template`` is a pandas frame, else as polars (the output
    type of a measure follows its input, design.md "Measures")."""
    return result.to_pandas() if isinstance(template, pd.DataFrame) else result


def rows_text(labels: Sequence[object] | pd.Index) -> str:
    """The first :data:`MAX_SHOWN` row labels, ``repr``-ed, and how many more there are."""
    shown = ", ".join(repr(v) for v in list(labels[:MAX_SHOWN]))
    more = len(labels) - MAX_SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")


def _names(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    return frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns


def require_columns(frame: pl.DataFrame | pl.LazyFrame, table: str, columns: Sequence[str]) -> None:
    """Raise :class:`~vagg.data.errors.SchemaError` naming the columns of ``columns`` missing
    from ``frame`` (table ``table``)."""
    present = _names(frame)
    missing = [c for c in columns if c not in present]
    if missing:
        raise SchemaError(table, missing[0], f"missing required column(s) {missing}")


def check_rows(
    frame: pl.DataFrame | pl.LazyFrame,
    table: str,
    checks: Sequence[Check],
    row_col: str | None = None,
) -> None:
    """Raise for the first check that flags a row, naming the rows and their values.

    Parameters
    ----------
    frame : polars.DataFrame or polars.LazyFrame
        The table checked (all checks are counted in one pass).
    table : str
        Its name in the error.
    checks : sequence of (polars.Expr, str, str)
        ``(bad, column, problem)``: ``bad`` marks the offending rows — a null counts as not
        offending (the module's null policy) — ``column`` is named in the error and its values
        shown, ``problem`` says what is wrong.
    row_col : str, optional
        A column holding the row numbers to report (positions in the user's table carried
        through a join); default: the positions in ``frame``.

    Raises
    ------
    SchemaError
        With the table, the column, the first :data:`MAX_SHOWN` rows, their number and values.
    """
    if not checks:
        return
    lazy = frame.lazy()
    masks = [bad.fill_null(False) for bad, _, _ in checks]
    counts = lazy.select([m.sum().alias(f"c{i}") for i, m in enumerate(masks)]).collect()
    for i, (mask, (_, column, problem)) in enumerate(zip(masks, checks, strict=True)):
        n_bad = int(counts[f"c{i}"][0])
        if n_bad:
            indexed = lazy.with_row_index("__row") if row_col is None else lazy
            bad = (
                indexed.filter(mask)
                .select(pl.col(row_col or "__row").alias("__row"), column)
                .sort("__row")
                .head(MAX_SHOWN)
                .collect()
            )
            raise SchemaError(
                table, column, problem, bad["__row"].to_list(), n_bad, bad[column].to_list()
            )


def raise_if_rows(
    frame: pl.DataFrame | pl.LazyFrame, table: str, column: str, mask: pl.Expr, problem: str
) -> None:
    """One row check: :func:`check_rows` with the single check ``(mask, column, problem)``."""
    check_rows(frame, table, [(mask, column, problem)])


def raise_unmatched_codes(
    frame: pl.DataFrame | pl.LazyFrame, table: str, column: str, unmatched: pl.Expr, problem: str
) -> None:
    """Raise naming the rows where ``unmatched`` holds — a code of ``column`` that a lookup
    table lacks (a null counts as matched, the null policy) — with the distinct codes, sorted,
    as examples (one unknown code usually stands in many rows)."""
    hits = frame.lazy().with_row_index("__row").filter(unmatched.fill_null(False)).collect()
    if hits.height:
        codes = hits[column].unique().sort().head(MAX_SHOWN).to_list()
        raise SchemaError(
            table, column, problem, hits["__row"].head(MAX_SHOWN).to_list(), hits.height, codes
        )


def check_unique_key(frame: pl.DataFrame | pl.LazyFrame, table: str, key: Sequence[str]) -> None:
    """Raise :class:`~vagg.data.errors.SchemaError` listing the first duplicated values of
    ``key`` (a key is unique: a duplicate is an error, never a silent group-by)."""
    if not key:
        return
    dup = (
        frame.lazy().with_row_index("__row").filter(pl.struct(list(key)).is_duplicated()).collect()
    )
    if dup.height:
        head = dup.head(MAX_SHOWN)
        examples = [tuple(r) for r in head.select(list(key)).iter_rows()]
        raise SchemaError(
            table,
            None,
            f"duplicate key {tuple(key)} (a key must be unique; aggregate or fix the records)",
            head["__row"].to_list(),
            dup.height,
            examples,
        )
