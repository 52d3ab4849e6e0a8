"""Input checks and safe ratios shared by the CIE-based mechanism measures of paper 003.

The mechanism measures of the firm-resilience study (:mod:`export_structure`,
:mod:`congestion`, :mod:`operating_costs`, :mod:`green_smart`) read the CIE firm-years
(``firms``), firm-linked customs lines (``firm_id``, ``year``, ``hs6`` or ``hs8``, ``partner``,
``value_usd``) and the ``counties`` table. The helpers here do the parts they share:

* :func:`firm_table` — the firm-years as polars, the key (firm_id, year) unique, money
  columns as floats, negative values in columns that cannot be negative rejected with the rows;
* :func:`ratio` — a ratio that is null (never ±inf) where the denominator is missing, zero or
  negative or the numerator is missing, with the number of firm-years excluded for each reason;
* :func:`trade_lines` — customs lines of one flow with ``hs6``, values checked and missing
  values excluded and counted.

A report is a plain dict: ``{"n_rows": …, "excluded": {measure: {reason: count}}}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import (
    as_polars,
    check_rows,
    check_unique_key,
    raise_unmatched_codes,
    require_columns,
)

__all__ = [
    "CODE_COLUMNS",
    "Report",
    "add_excluded",
    "cic2_expr",
    "county_firms",
    "county_points",
    "firm_table",
    "new_report",
    "ratio",
    "trade_lines",
]

#: Code columns, kept as text (a code read as a number is turned back into text).
CODE_COLUMNS = frozenset(
    {"firm_id", "cic4", "cic2", "county_code", "city_code", "hs6", "hs8", "hs4", "partner"}
)

#: ``{"n_rows": int, "excluded": {measure: {reason: count}}}``
Report = dict[str, Any]


def new_report(n_rows: int) -> Report:
    """An empty report for a table of ``n_rows`` rows."""
    return {"n_rows": n_rows, "excluded": {}}


def add_excluded(report: Report, measure: str, reason: str, count: int) -> None:
    """Record ``count`` firm-years excluded from ``measure`` for ``reason`` (zero is skipped)."""
    if count:
        report["excluded"].setdefault(measure, {})[reason] = int(count)


def cic2_expr(cic4: str = "cic4") -> pl.Expr:
    """The CIC 2-digit division: the first two characters of the CIC4 code."""
    return pl.col(cic4).cast(pl.String).str.slice(0, 2).alias("cic2")


def firm_table(
    firms: Any,
    columns: Sequence[str],
    *,
    nonnegative: Sequence[str] = (),
    table: str = "firms",
    key: Sequence[str] = ("firm_id", "year"),
) -> pl.DataFrame:
    """``firms`` as polars with ``key`` + ``columns``, the key unique, money columns as Float64.

    Columns in ``nonnegative`` must not hold negative values (a null is allowed and becomes
    an excluded firm-year in the measure); a negative value raises
    :class:`~vagg.data.errors.SchemaError` naming the column and the rows.
    """
    data = as_polars(firms, table)
    require_columns(data, table, [*key, *columns])
    check_unique_key(data, table, tuple(key))
    wanted = list(dict.fromkeys([*key, *columns]))
    data = data.select(wanted)
    if "year" in data.columns and not data["year"].dtype.is_integer():
        try:
            data = data.with_columns(pl.col("year").cast(pl.Int64, strict=True))
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            raise SchemaError(table, "year", "years must be whole numbers") from None
    codes = [c for c in wanted if c in CODE_COLUMNS]
    data = data.with_columns(pl.col(c).cast(pl.String) for c in codes)
    numeric = [
        c for c in columns if c not in codes and (c in nonnegative or data[c].dtype.is_numeric())
    ]
    for column in numeric:
        if not data[column].dtype.is_numeric():
            raise SchemaError(table, column, f"must be numeric, got {data[column].dtype}")
    data = data.with_columns(pl.col(c).cast(pl.Float64) for c in numeric)
    check_rows(
        data,
        table,
        [(pl.col(c) < 0, c, "negative value (must be >= 0)") for c in nonnegative],
    )
    check_rows(
        data,
        table,
        [(pl.col(c).is_infinite() | pl.col(c).is_nan(), c, "not a finite number") for c in numeric],
    )
    return data


def ratio(
    frame: pl.DataFrame,
    name: str,
    numerator: pl.Expr,
    denominator: str,
    report: Report,
    *,
    numerator_columns: Sequence[str] = (),
) -> pl.DataFrame:
    """``frame`` with column ``name`` = numerator / ``denominator``, null where undefined.

    A firm-year gets null — and is counted in ``report["excluded"][name]`` — when the
    denominator is missing ("missing <den>"), zero or negative ("<den> not positive"), or a
    numerator column is missing ("missing <col>"). The ratio is therefore never ±inf or NaN.
    """
    den = pl.col(denominator)
    missing_den = den.is_null()
    bad_den = (den <= 0).fill_null(False)
    counts = frame.select(
        missing_den.sum().alias("_missing"),
        bad_den.sum().alias("_bad"),
        *[
            (pl.col(c).is_null() & ~missing_den & ~bad_den).sum().alias(f"_n{i}")
            for i, c in enumerate(numerator_columns)
        ],
    ).row(0)
    add_excluded(report, name, f"missing {denominator}", counts[0])
    add_excluded(report, name, f"{denominator} not positive", counts[1])
    for i, column in enumerate(numerator_columns):
        add_excluded(report, name, f"missing {column}", counts[2 + i])
    value = pl.when(~missing_den & ~bad_den).then(numerator / den)
    return frame.with_columns(value.alias(name))


def trade_lines(
    lines: Any,
    table: str,
    *,
    flow: str | None,
    extra: Sequence[str] = (),
    need_hs6: bool = True,
    report: Report | None = None,
    measure: str = "",
) -> pl.DataFrame:
    """Firm-linked customs lines of ``flow`` with ``firm_id``, ``year``, ``value_usd`` (Float64)
    and, when ``need_hs6``, ``hs6`` (the column itself, else the first six digits of ``hs8``).

    When the table has a ``flow`` column, only the rows of ``flow`` are kept; without it every
    row is taken to be of that flow. Negative values raise :class:`SchemaError`; missing values
    are dropped and counted in ``report`` under ``measure``.
    """
    data = as_polars(lines, table)
    base = ["firm_id", "year", "value_usd", *extra]
    require_columns(data, table, base)
    if need_hs6 and "hs6" not in data.columns:
        if "hs8" not in data.columns:
            raise SchemaError(table, "hs6", "missing required column(s) ['hs6'] (or 'hs8')")
        data = data.with_columns(pl.col("hs8").cast(pl.String).str.slice(0, 6).alias("hs6"))
    if flow is not None and "flow" in data.columns:
        data = data.filter(pl.col("flow") == flow)
    keep = [*base, "hs6"] if need_hs6 else base
    data = data.select(list(dict.fromkeys(keep))).with_columns(pl.col("value_usd").cast(pl.Float64))
    if need_hs6:
        data = data.with_columns(pl.col("hs6").cast(pl.String))
        check_rows(
            data,
            table,
            [(~pl.col("hs6").str.contains(r"^\d{6}$"), "hs6", "HS6 code is not six digits")],
        )
    check_rows(data, table, [(pl.col("value_usd") < 0, "value_usd", "negative trade value")])
    n_missing = data["value_usd"].null_count()
    if report is not None:
        add_excluded(report, measure, "missing value_usd", n_missing)
    return data.filter(pl.col("value_usd").is_not_null())


def county_points(counties: Any, extra: Sequence[str] = ()) -> pl.DataFrame:
    """The ``counties`` table (``county_code`` unique, as text) with centroids checked; with
    ``area_km2`` among ``extra``, areas must be present and positive."""
    data = firm_table(counties, ["lat", "lon", *extra], table="counties", key=("county_code",))
    if "area_km2" in extra:
        check_rows(
            data,
            "counties",
            [
                (
                    pl.col("area_km2").is_null() | (pl.col("area_km2") <= 0),
                    "area_km2",
                    "county area missing or not positive",
                )
            ],
        )
    check = data.filter(
        pl.col("lat").is_null()
        | pl.col("lon").is_null()
        | (pl.col("lat").abs() > 90)
        | (pl.col("lon").abs() > 180)
    )
    if check.height:
        raise SchemaError(
            "counties",
            "lat",
            "county centroid missing or outside ±90/±180 degrees",
            n_bad=check.height,
            examples=check["county_code"].head(5).to_list(),
        )
    return data.with_columns(pl.col("county_code").cast(pl.String))


def county_firms(
    firms: Any, counties: pl.DataFrame, report: Report, measure: str, extra: Sequence[str] = ()
) -> pl.DataFrame:
    """Firm-years with a county (``county_code``) known to ``counties``; missing county codes
    are excluded and counted, a code absent from ``counties`` is an error naming the rows."""
    data = firm_table(
        firms, ["cic4", "county_code", "employment", *extra], nonnegative=["employment"]
    )
    data = data.with_columns(pl.col("county_code").cast(pl.String), cic2_expr())
    raise_unmatched_codes(
        data,
        "firms",
        "county_code",
        ~pl.col("county_code").is_in(counties["county_code"].implode()),
        "county code not in the counties table",
    )
    add_excluded(report, measure, "missing county_code", data["county_code"].null_count())
    return data.filter(pl.col("county_code").is_not_null())
