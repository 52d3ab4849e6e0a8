"""Input checks shared by the province measures (papers 002 and 004).

Every province measure reads the canonical ``province_panel``, ``province_exports`` or
``national_series`` tables (``vagg.data.schemas.provinces``), pandas or polars. The checks
here turn the ways real yearbook data go wrong into one-line errors naming the table, the
column and the offending rows: a missing column, a duplicated (province, year), a province code
outside the 30 provinces of :mod:`vagg.data.geography`, a province missing in a year, a missing
or non-positive value where a logarithm or a ratio needs a positive one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from vagg.data import geography
from vagg.data.errors import SchemaError
from vagg.data.frames import as_polars, require_columns
from vagg.data.schemas import check_unique_key, raise_if_rows
from vagg.errors import VaggError

__all__ = [
    "check_balanced",
    "check_nonnegative",
    "check_option",
    "check_positive",
    "known_codes",
    "province_table",
    "sample_sd",
    "year_table",
]


def known_codes() -> list[str]:
    """The 30 province codes of :func:`vagg.data.geography.provinces`, ascending."""
    return list(geography.provinces()["province_code"])


def _canonical_keys(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """Province codes as text and years as integers (numbers read from a spreadsheet)."""
    out = frame
    if "province_code" in out.columns and out["province_code"].dtype != pl.String:
        if not out["province_code"].dtype.is_integer():
            raise SchemaError(
                table,
                "province_code",
                f"must hold two-digit codes as text, got {out['province_code'].dtype}",
            )
        out = out.with_columns(pl.col("province_code").cast(pl.String))
    if "year" in out.columns and out["year"].dtype != pl.Int64:
        try:
            out = out.with_columns(pl.col("year").cast(pl.Int64, strict=True))
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            raise SchemaError(table, "year", "years must be whole numbers") from None
    return out


def province_table(
    frame: Any,
    table: str,
    columns: Sequence[str],
    *,
    key: Sequence[str] = ("province_code", "year"),
    codes: bool = True,
) -> pl.DataFrame:
    """``frame`` as polars with ``key`` + ``columns`` present, the key unique and (when
    ``codes``) every province code among the 30 provinces of the papers."""
    data = as_polars(frame, table)
    require_columns(data, table, [*key, *columns])
    data = _canonical_keys(data, table)
    check_unique_key(data, table, tuple(key))
    raise_if_rows(data, table, "year", pl.col("year").is_null(), "missing years")
    if codes and "province_code" in key:
        raise_if_rows(
            data,
            table,
            "province_code",
            pl.col("province_code").is_null() | ~pl.col("province_code").is_in(known_codes()),
            "unknown province codes (expected one of the 30 two-digit GB/T 2260 codes of "
            "vagg.data.geography.provinces(); Tibet '54' is not among them)",
        )
    return data


def year_table(frame: Any, table: str, columns: Sequence[str]) -> pl.DataFrame:
    """A national series keyed by year (``national_series`` or the user's own totals)."""
    return province_table(frame, table, columns, key=("year",), codes=False)


def check_balanced(frame: pl.DataFrame, table: str) -> tuple[list[str], list[int]]:
    """Raise :class:`SchemaError` unless every province appears in every year of the table's
    span; return the sorted codes and years.

    A measure that aggregates over provinces (a national total, a location quotient, PRODY)
    would silently change meaning if a province were missing in a year, so this is an error
    naming the missing (province, year) pairs, not a gap to skip.
    """
    codes = sorted(frame["province_code"].unique().to_list())
    years_seen = frame["year"].unique().to_list()
    if not codes:
        raise SchemaError(table, "province_code", "the table has no rows")
    years = list(range(min(years_seen), max(years_seen) + 1))
    full = pl.DataFrame({"province_code": codes}).join(
        pl.DataFrame({"year": years}, schema={"year": pl.Int64}), how="cross"
    )
    missing = full.join(frame.select("province_code", "year"), on=["province_code", "year"],
                        how="anti").sort("province_code", "year")  # fmt: skip
    if missing.height:
        raise SchemaError(
            table,
            "year",
            f"a province is missing in a year: every province must appear in every year "
            f"{years[0]}–{years[-1]}; missing (province_code, year)",
            n_bad=missing.height,
            examples=list(missing.head(5).iter_rows()),
        )
    return codes, years


def _bad_value(column: str) -> pl.Expr:
    c = pl.col(column)
    return c.is_null() | c.is_nan() | c.is_infinite()


def _numeric(frame: pl.DataFrame, table: str, column: str) -> pl.DataFrame:
    """``column`` as Float64; text that is not a number (e.g. "1,234") is an error naming rows."""
    data = frame.with_columns(pl.col(column).cast(pl.Float64, strict=False).alias("_value"))
    raise_if_rows(
        data,
        table,
        column,
        pl.col("_value").is_null() & pl.col(column).is_not_null(),
        "values are not numbers (remove thousands separators and notes)",
    )
    return data.with_columns(pl.col("_value").alias(column)).drop("_value")


def check_positive(frame: pl.DataFrame, table: str, column: str, why: str) -> None:
    """Raise naming the rows where ``column`` is missing, not finite or not > 0."""
    data = _numeric(frame, table, column)
    raise_if_rows(
        data,
        table,
        column,
        _bad_value(column) | (pl.col(column) <= 0),
        f"must be positive and not missing ({why})",
    )


def check_nonnegative(frame: pl.DataFrame, table: str, column: str, why: str) -> None:
    """Raise naming the rows where ``column`` is missing, not finite or negative."""
    data = _numeric(frame, table, column)
    raise_if_rows(
        data,
        table,
        column,
        _bad_value(column) | (pl.col(column) < 0),
        f"must be non-negative and not missing ({why})",
    )


def check_option(name: str, value: object, allowed: Sequence[object]) -> None:
    """Raise :class:`VaggError` when an option is not one of ``allowed``."""
    if value not in allowed:
        raise VaggError(f"argument '{name}': expected one of {list(allowed)}, got {value!r}")


def sample_sd(values: np.ndarray) -> float:
    """Standard deviation with n − 1 (Stata's ``summarize``, as Table 1 of paper 002 prints)."""
    return float(np.std(values, ddof=1))
