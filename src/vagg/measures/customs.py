"""Customs records made ready for the trade measures: checked, classified, tied to firms.

The DVAR (:mod:`vagg.measures.value_added`) and the market measures
(:mod:`vagg.measures.markets`) read the customs table the same way: the required columns, flows
and trade-regime codes checked (:func:`customs_checked`), HS codes as six-digit integers for fast
joins (:func:`hs6_text` turns them back into text), the BEC end-use class of each product
(:func:`product_classes`), the rows of linked parties with their CIE firm
(:func:`attach_firms`), and the CIE firm-years and industries they are joined to
(:func:`firm_rows`, :func:`industry_sectors`), with join keys in one type
(:func:`keyed_lazy`). Trade regimes (trade_measures.md §0.1): 10 ordinary, 14 and 15
processing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from vagg.data.frames import as_lazy, check_rows, check_unique_key, require_columns
from vagg.data.schemas import REGIMES

__all__ = [
    "ORDINARY",
    "PROCESSING",
    "attach_firms",
    "customs_checked",
    "firm_rows",
    "hs6_code",
    "hs6_text",
    "industry_sectors",
    "keyed_lazy",
    "product_classes",
    "unknown_products",
]

#: The ordinary trade regime and the processing regimes (customs regime codes).
ORDINARY = "10"
PROCESSING = ("14", "15")


def keyed_lazy(frame: Any, table: str) -> pl.LazyFrame:
    """A polars LazyFrame view of a pandas / polars (eager or lazy) table
    (:func:`vagg.data.frames.as_lazy`) with the join keys in one type whatever the source:
    ``year`` Int64, ``firm_id`` and ``party_id`` text."""
    lf = as_lazy(frame, table)
    names = lf.collect_schema().names()
    keys = {"year": pl.Int64, "firm_id": pl.String, "party_id": pl.String}
    casts = [pl.col(k).cast(t) for k, t in keys.items() if k in names]
    return lf.with_columns(casts) if casts else lf


def firm_rows(firms: Any, columns: Sequence[str]) -> pl.LazyFrame:
    """The CIE firm-years' ``columns`` (``firm_id`` as text), their key checked unique, with
    ``_firms_row``: each row's position in ``firms`` (for errors naming the user's rows)."""
    fm = keyed_lazy(firms, "firms")
    require_columns(fm, "firms", columns)
    fm = fm.select(columns).with_columns(pl.col("firm_id").cast(pl.String))
    check_unique_key(fm, "firms", ["firm_id", "year"])
    return fm.with_row_index("_firms_row")


def industry_sectors(industries: Any) -> pl.LazyFrame:
    """(cic4, io_sector) of the ``industries`` table, one row per CIC4 code (checked)."""
    ind = keyed_lazy(industries, "industries")
    require_columns(ind, "industries", ["cic4", "io_sector"])
    ind = ind.select("cic4", "io_sector")
    check_unique_key(ind, "industries", ["cic4"])
    return ind


def customs_checked(customs: Any, columns: Sequence[str]) -> pl.LazyFrame:
    """The customs table with its required columns, flows and regime codes checked."""
    lf = keyed_lazy(customs, "customs")
    need = list(dict.fromkeys(["year", "flow", "regime", "hs8", "value_usd", *columns]))
    require_columns(lf, "customs", need)
    lf = lf.select(need)
    check_rows(
        lf,
        "customs",
        [
            (
                pl.col("flow").is_null() | ~pl.col("flow").is_in(["export", "import"]),
                "flow",
                "flow must be export/import",
            ),
            (
                pl.col("regime").is_null() | ~pl.col("regime").is_in(list(REGIMES)),
                "regime",
                "unknown trade-regime code",
            ),
            (hs6_code(pl.col("hs8")).is_null(), "hs8", "HS code must start with six digits"),
            (
                pl.col("value_usd").is_null() | (pl.col("value_usd") < 0),
                "value_usd",
                "missing or negative value",
            ),
            (pl.col("year").is_null(), "year", "missing year"),
        ],
    )
    return lf.with_columns(hs6_code(pl.col("hs8")).alias("hs6"))


def hs6_code(text: pl.Expr) -> pl.Expr:
    """The HS6 code as an integer (joins on integers are several times faster than on text
    at 10⁷ customs rows); null unless the text starts with six digits."""
    six = text.str.slice(0, 6)
    return pl.when(six.str.contains(r"^\d{6}$")).then(six.cast(pl.Int32, strict=False))


def hs6_text(code: pl.Expr) -> pl.Expr:
    """The integer HS6 code back as six-digit text (leading zeros restored)."""
    return code.cast(pl.String).str.zfill(6)


def attach_firms(customs: pl.LazyFrame, links: Any) -> pl.LazyFrame:
    """Customs rows of linked parties with their ``firm_id`` (inner join).

    ``links`` holds ``party_id`` and ``firm_id`` and optionally ``year`` (then the link holds
    for that year only, as :func:`vagg.measures.linkage.link_customs` returns it; without
    ``year`` it holds for every year, as the synthetic ``truth_links.parquet``). Each key
    maps to one firm; a firm may declare under several customs codes (their trade is summed).
    """
    lk = keyed_lazy(links, "links")
    require_columns(lk, "links", ["party_id", "firm_id"])
    key = ["party_id", "year"] if "year" in lk.collect_schema().names() else ["party_id"]
    lk = lk.filter(pl.col("firm_id").is_not_null() & pl.col("party_id").is_not_null())
    lk = lk.select([*key, "firm_id"]).with_columns(pl.col("firm_id").cast(pl.String))
    check_unique_key(lk, "links", key)
    return customs.join(lk, on=key, how="inner")


def product_classes(products: Any) -> pl.LazyFrame:
    """hs6 (as integer) → BEC end-use class, checked for missing columns, codes that are not
    six digits and duplicate codes."""
    lf = keyed_lazy(products, "products")
    require_columns(lf, "products", ["hs6", "end_use"])
    lf = lf.select("hs6", "end_use")
    check_rows(lf, "products", [(hs6_code(pl.col("hs6")).is_null(), "hs6", "not six digits")])
    check_unique_key(lf, "products", ["hs6"])
    return lf.with_columns(hs6_code(pl.col("hs6")).alias("hs6"))


def unknown_products(
    customs: pl.LazyFrame,
    classes: pl.LazyFrame,
    *,
    subset: pl.Expr | None = None,
    links: Any = None,
) -> None:
    """Raise naming the rows of ``customs`` (positions in the table as given) whose HS6 code
    is not in the products concordance, among the rows in ``subset`` and, with ``links``, of
    linked parties only. ``customs`` is the frame :func:`customs_checked` returns."""
    known = classes.select("hs6").collect()["hs6"]
    frame = customs.with_row_index("_customs_row")
    if subset is not None:
        frame = frame.filter(subset)
    if links is not None:
        frame = attach_firms(frame, links)
    check_rows(
        frame,
        "customs",
        [
            (
                pl.col("hs6").is_null() | ~pl.col("hs6").is_in(known.implode()),
                "hs8",
                "HS6 code not in the products table",
            )
        ],
        row_col="_customs_row",
    )
