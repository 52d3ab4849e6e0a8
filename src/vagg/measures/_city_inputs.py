"""Shared input handling of the city measures of paper 001 and the result they return.

Every city measure (:mod:`vagg.measures.shift_share`, :mod:`~vagg.measures.integration`,
:mod:`~vagg.measures.specialisation`, :mod:`~vagg.measures.historical_iv`,
:mod:`~vagg.measures.text`) takes pandas or polars tables, checks them with the errors below and
returns a :class:`CityMeasure`: the measure table (pandas when the main input was pandas, else
polars), the count of input rows left out by reason, and notes on the conventions applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import as_polars, like
from vagg.data.frames import require_columns as require
from vagg.data.schemas import check_unique_key, raise_if_rows

__all__ = [
    "CityMeasure",
    "as_polars",
    "codes_as_text",
    "like",
    "require",
    "require_numeric",
    "unique_key",
    "year_int",
]


@dataclass
class CityMeasure:
    """A city measure with the accounting of every input row it left out.

    Attributes
    ----------
    data : pandas.DataFrame or polars.DataFrame
        One row per unit of the measure (city-year, city, …); the type follows the main input.
    n_input : int
        Rows of the main input.
    excluded : dict of str to int
        Input rows (or units, as the measure states) left out, by reason, in the order the
        rules apply. Nothing else is dropped.
    notes : list of str
        The conventions applied (defaults and options of the spec's open choices).
    """

    data: Any
    n_input: int
    excluded: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def report(self) -> pd.DataFrame:
        """The accounting as a table: input, each exclusion, and the rows of the measure."""
        rows: list[tuple[str, int]] = [("input rows", self.n_input)]
        rows += [(f"excluded: {k}", v) for k, v in self.excluded.items()]
        rows.append(("rows of the measure", len(self.data)))
        return pd.DataFrame(rows, columns=["item", "count"])


def require_numeric(frame: pl.DataFrame, table: str, columns: Sequence[str]) -> pl.DataFrame:
    """Cast ``columns`` to Float64, naming the rows whose values are not numbers."""
    out = []
    for column in columns:
        series = frame[column]
        if series.dtype.is_numeric():
            out.append(series.cast(pl.Float64))
            continue
        cast = series.cast(pl.Float64, strict=False)
        bad = cast.is_null() & series.is_not_null()
        raise_if_rows(frame, table, column, pl.lit(bad), "values must be numbers")
        out.append(cast)
    return frame.with_columns(out)


def codes_as_text(frame: pl.DataFrame, table: str, columns: Sequence[str]) -> pl.DataFrame:
    """Code columns as text; numbers are an error (leading zeros would be lost)."""
    for column in columns:
        if frame[column].dtype.is_numeric():
            raise SchemaError(
                table,
                column,
                f"must be text (codes keep leading zeros), got numbers of type "
                f"{frame[column].dtype}; read the column as string",
            )
    return frame.with_columns(pl.col(c).cast(pl.String) for c in columns)


def year_int(frame: pl.DataFrame, table: str, column: str = "year") -> pl.DataFrame:
    """The year column as Int64, naming rows that are not whole numbers."""
    series = frame[column]
    cast = series.cast(pl.Int64, strict=False)
    bad = cast.is_null() & series.is_not_null()
    if series.dtype.is_float():
        bad = bad | (series.is_not_null() & (series != series.round(0)))
    raise_if_rows(frame, table, column, pl.lit(bad), "years must be whole numbers")
    return frame.with_columns(cast.alias(column))


def unique_key(frame: pl.DataFrame, table: str, key: Sequence[str]) -> None:
    """Raise naming the duplicated key values of ``table``."""
    check_unique_key(frame, table, key)
