"""Shared input checks of the firm-level trade measures of study ``resilience_firms`` (paper 003).

The export-resilience outcomes (:mod:`vagg.measures.export_resilience`), the foreign demand
shocks (:mod:`vagg.measures.demand_shocks`), the supply-chain indicators
(:mod:`vagg.measures.supply_chain`) and the market-response indicators
(:mod:`vagg.measures.market_response`) all read a *firm-linked customs frame*: customs rows
carrying the CIE ``firm_id`` of the declaring party (:func:`vagg.measures.customs.attach_firms`
or :func:`vagg.measures.linkage.link_customs` give it), with ``year``, ``value_usd`` and, as a
measure needs them, ``partner`` and ``hs6`` (or ``hs8``, whose first six digits are used),
``flow`` and ``regime``. Several rows per firm × year × partner × product are summed. This
module checks those frames once, with errors naming table, column and rows, and holds the
result type :class:`FirmMeasure` (a table plus the count of every unit left out).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import check_rows, check_unique_key, like, require_columns
from vagg.errors import VaggError
from vagg.measures.customs import ORDINARY, PROCESSING, keyed_lazy

__all__ = [
    "REGIME_GROUPS",
    "FirmMeasure",
    "check_option",
    "data_years",
    "firm_trade",
    "output",
    "require_consecutive",
    "require_years",
    "world_imports_checked",
]

#: Trade-regime groups of the supply-chain measures (trade_measures §0.1): ordinary trade
#: (10), processing trade (14 and 15), and both together.
REGIME_GROUPS: dict[str, tuple[str, ...]] = {
    "ordinary": (ORDINARY,),
    "processing": PROCESSING,
    "all": (ORDINARY, *PROCESSING),
}


@dataclass(frozen=True)
class FirmMeasure:
    """A firm-level measure with the accounting of what it left out.

    Attributes
    ----------
    table : pandas.DataFrame or polars.DataFrame
        The measure, one row per unit of observation; pandas when the main input was pandas.
    counts : dict of str to int
        Units (firms, firm-years or cells, as each function states) left out of the measure
        or flagged, by reason; zero counts are kept so that a report shows every reason.
    options : dict
        The conventions applied (years, group column, form, …).
    """

    table: Any
    counts: dict[str, int] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def report(self) -> str:
        """One line per reason: ``reason: count``."""
        return "\n".join(f"{k}: {v}" for k, v in self.counts.items())


def check_option(name: str, value: object, allowed: Iterable[object]) -> None:
    """Raise :class:`VaggError` when argument ``name`` is not one of ``allowed``."""
    allowed = list(allowed)
    if value not in allowed:
        raise VaggError(f"argument '{name}': expected one of {allowed}, got {value!r}")


def _hs6_expr(names: Sequence[str]) -> pl.Expr:
    source = "hs6" if "hs6" in names else "hs8"
    return pl.col(source).cast(pl.String).str.slice(0, 6).alias("hs6")


def firm_trade(
    trade: Any,
    table: str = "trade",
    *,
    flow: str | None = "export",
    products: bool = False,
    partners: bool = False,
    regime: bool = False,
) -> pl.LazyFrame:
    """The checked rows of a firm-linked customs frame, as a LazyFrame.

    Columns returned: ``_row`` (the row's position in ``trade``, for errors), ``firm_id``
    (text), ``year`` (Int64), ``value_usd`` (Float64) and, when
    asked, ``hs6`` (six-digit text, from ``hs6`` or the first six digits of ``hs8``),
    ``partner`` (text) and ``regime`` (text). When the frame has a ``flow`` column only rows
    of ``flow`` are kept; without one every row is taken to be of that flow. Missing or
    negative values, missing years, firms or partners and product codes that do not start
    with six digits are errors naming the rows. The columns used are read once into memory
    (a scanned Parquet dataset is read column-wise, only those columns).
    """
    lf = keyed_lazy(trade, table).with_row_index("_row")
    names = lf.collect_schema().names()
    need = ["firm_id", "year", "value_usd"]
    if products and "hs6" not in names:
        need.append("hs8")
    if partners:
        need.append("partner")
    if regime:
        need.append("regime")
    require_columns(lf, table, need)
    keep = ["_row", *need]
    if products and "hs6" in names:
        keep.append("hs6")
    if flow is not None and "flow" in names:
        keep.append("flow")
    # one pass over the (possibly scanned) table: the columns used, then checks in memory
    frame = lf.select(keep).collect()
    if flow is not None and "flow" in names:
        check_rows(
            frame,
            table,
            [
                (
                    pl.col("flow").is_null() | ~pl.col("flow").is_in(["export", "import"]),
                    "flow",
                    "flow must be export/import",
                )
            ],
        )
        frame = frame.filter(pl.col("flow") == flow)
    cols: list[pl.Expr] = [
        pl.col("_row"),
        pl.col("firm_id").cast(pl.String),
        pl.col("year"),
        pl.col("value_usd").cast(pl.Float64),
    ]
    checks = [
        (pl.col("firm_id").is_null(), "firm_id", "missing firm_id"),
        (pl.col("year").is_null(), "year", "missing year"),
        (
            pl.col("value_usd").is_null() | (pl.col("value_usd") < 0),
            "value_usd",
            "missing or negative value",
        ),
    ]
    if products:
        cols.append(_hs6_expr(names))
        src = "hs6" if "hs6" in names else "hs8"
        six = pl.col(src).cast(pl.String).str.slice(0, 6)
        checks.append(
            (
                pl.col(src).is_null() | ~six.str.contains(r"^\d{6}$"),
                src,
                "product code must start with six digits",
            )
        )
    if partners:
        cols.append(pl.col("partner").cast(pl.String))
        checks.append((pl.col("partner").is_null(), "partner", "missing partner country"))
    if regime:
        cols.append(pl.col("regime").cast(pl.String))
    check_rows(frame, table, checks, row_col="_row")
    return frame.select(cols).lazy()


def data_years(lf: pl.LazyFrame) -> list[int]:
    """The distinct years of a checked frame, sorted."""
    return sorted(int(y) for y in lf.select(pl.col("year").unique()).collect()["year"])


def require_years(present: Iterable[int], years: Iterable[int], table: str, purpose: str) -> None:
    """Raise naming every year of ``years`` absent from ``present`` (a year with no rows at
    all is a data problem, not a year in which every firm stopped exporting)."""
    have = set(present)
    missing = sorted({int(y) for y in years} - have)
    if missing:
        raise SchemaError(
            table,
            "year",
            f"year(s) {missing} needed for {purpose} have no rows in the data "
            f"(years present: {sorted(have)})",
        )


def require_consecutive(present: Sequence[int], table: str) -> None:
    """Raise naming the calendar years missing between the first and last year present."""
    if not present:
        return
    gaps = sorted(set(range(min(present), max(present) + 1)) - set(present))
    if gaps:
        raise SchemaError(
            table,
            "year",
            f"year(s) {gaps} have no rows although earlier and later years do; a year-on-year "
            "change across a gap is not a one-year change (fill the year or pass a sub-period)",
        )


def world_imports_checked(world_imports: Any) -> pl.LazyFrame:
    """The ``world_imports`` table (destination, hs6, year, imports_usd), checked: columns,
    a unique key, non-negative imports (a null is a missing cell, kept and counted by the
    measures)."""
    table = "world_imports"
    lf = keyed_lazy(world_imports, table)
    require_columns(lf, table, ["destination", "hs6", "year", "imports_usd"])
    lf = lf.select(
        pl.col("destination").cast(pl.String),
        pl.col("hs6").cast(pl.String).str.zfill(6),
        pl.col("year"),
        pl.col("imports_usd").cast(pl.Float64),
    )
    check_rows(
        lf,
        table,
        [
            (pl.col("destination").is_null(), "destination", "missing destination"),
            (~pl.col("hs6").str.contains(r"^\d{6}$"), "hs6", "not six digits"),
            (pl.col("year").is_null(), "year", "missing year"),
            (pl.col("imports_usd") < 0, "imports_usd", "negative imports"),
        ],
    )
    check_unique_key(lf, table, ["destination", "hs6", "year"])
    return lf


def output(frame: pl.DataFrame, template: Any) -> Any:
    """``frame`` in the kind of ``template`` (pandas or polars)."""
    return like(frame, template)
