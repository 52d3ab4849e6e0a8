"""Schema objects and the validator every canonical table passes through on load.

A :class:`TableSchema` lists the columns (dtype, unit, nullability, allowed values, bounds,
code pattern), the key that must be unique, and the column a large table is partitioned by.
:func:`validate` checks a pandas or polars frame against it and either returns the frame with
canonical dtypes or raises :class:`~vagg.data.errors.SchemaError` naming the table, column and
first offending rows. Validation runs on polars so it stays fast on tens of millions of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import as_polars, check_unique_key, raise_if_rows

__all__ = ["Column", "DType", "TableSchema", "validate"]

DType = Literal["str", "int", "float", "bool"]

_POLARS_DTYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
}


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``unit`` is stated for every quantity (e.g. ``"thousand RMB"``, ``"USD"``, ``"persons"``);
    ``pattern`` is a regular expression every non-null value of a code column must match in
    full (HS codes keep their leading zeros); ``allowed`` lists the permitted values;
    ``ge``/``le`` are inclusive bounds; ``finite`` (default True) rejects NaN and ±inf in a
    float column (missing values are nulls, never NaN).
    """

    name: str
    dtype: DType
    description: str
    unit: str = ""
    nullable: bool = False
    allowed: tuple[Any, ...] | None = None
    ge: float | None = None
    le: float | None = None
    pattern: str | None = None
    required: bool = True
    finite: bool = True


@dataclass(frozen=True)
class TableSchema:
    """A canonical table: its columns, unique key and unit of observation."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partition_by: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table '{self.name}' has no column '{name}'")

    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: _POLARS_DTYPES[c.dtype] for c in self.columns}


def _cast_column(frame: pl.DataFrame, table: str, col: Column) -> pl.Series:
    """Cast one column to its canonical dtype, naming the rows that cannot be cast."""
    series = frame[col.name]
    target = _POLARS_DTYPES[col.dtype]
    if series.dtype == target:
        return series
    if col.dtype == "str" and series.dtype.is_numeric():
        raise SchemaError(
            table,
            col.name,
            f"must be text (codes keep leading zeros), got numbers of type {series.dtype}; "
            "read the file with this column as string",
        )
    if col.dtype == "int" and series.dtype.is_float():
        fractional = series.is_not_null() & (series != series.round(0))
        raise_if_rows(frame, table, col.name, pl.lit(fractional), "must hold whole numbers")
    if col.dtype == "bool" and series.dtype == pl.String:  # polars cannot cast text to bool
        words = {"true": True, "false": False, "1": True, "0": False}
        flags = (
            series.str.strip_chars()
            .str.to_lowercase()
            .replace_strict(words, default=None, return_dtype=pl.Boolean)
        )
        failed = flags.is_null() & series.is_not_null()
        raise_if_rows(
            frame, table, col.name, pl.lit(failed), "values cannot be read as bool (true/false)"
        )
        return flags
    try:
        return series.cast(target, strict=True)
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        casted = series.cast(target, strict=False)
        failed = casted.is_null() & series.is_not_null()
        raise_if_rows(
            frame, table, col.name, pl.lit(failed), f"values cannot be read as {col.dtype}"
        )
        raise


def validate(
    df: pd.DataFrame | pl.DataFrame,
    schema: TableSchema,
    *,
    allow_extra: bool = True,
) -> pl.DataFrame:
    """Check ``df`` against ``schema`` and return it as polars with canonical dtypes.

    Checks, in order: required columns present; each column castable to its dtype; no nulls
    in non-nullable columns; no NaN/±inf in float columns (unless ``finite=False``);
    values in ``allowed``; bounds ``ge``/``le``; code ``pattern``;
    unique ``key``. The first failure raises :class:`SchemaError` with the table, the column
    and the first offending row numbers (0-based, in input order). Extra columns are kept
    (``allow_extra=True``) or rejected.
    """
    frame = as_polars(df)
    table = schema.name
    missing = [c.name for c in schema.columns if c.required and c.name not in frame.columns]
    if missing:
        raise SchemaError(
            table,
            missing[0],
            f"required column(s) missing: {missing}; present: {frame.columns}",
        )
    if not allow_extra:
        extra = [c for c in frame.columns if c not in schema.column_names]
        if extra:
            raise SchemaError(table, extra[0], f"unexpected column(s): {extra}")

    casted = []
    for col in schema.columns:
        if col.name in frame.columns:
            casted.append(_cast_column(frame, table, col).alias(col.name))
    frame = frame.with_columns(casted)

    for col in schema.columns:
        if col.name not in frame.columns:
            continue
        name = col.name
        c = pl.col(name)
        if not col.nullable:
            raise_if_rows(frame, table, name, c.is_null(), "missing values are not allowed")
        if col.dtype == "float" and col.finite:
            raise_if_rows(
                frame,
                table,
                name,
                c.is_nan() | c.is_infinite(),
                "NaN or ±inf is not allowed (write a missing value as empty/null)",
            )
        if col.allowed is not None:
            raise_if_rows(
                frame,
                table,
                name,
                c.is_not_null() & ~c.is_in(list(col.allowed)),
                f"unknown values (allowed: {list(col.allowed)})",
            )
        if col.ge is not None:
            raise_if_rows(frame, table, name, c < col.ge, f"values must be >= {col.ge}")
        if col.le is not None:
            raise_if_rows(frame, table, name, c > col.le, f"values must be <= {col.le}")
        if col.pattern is not None:
            raise_if_rows(
                frame,
                table,
                name,
                c.is_not_null() & ~c.str.contains(f"^(?:{col.pattern})$"),
                f"malformed codes (expected pattern {col.pattern!r})",
            )
    check_unique_key(frame, table, schema.key)
    return frame
