"""HS nomenclature vintages and the conversion of HS codes to HS 2002 (paper 001 §1.1).

Paper 001 converts every year of the customs data to HS 2002 six-digit codes. China Customs
switched nomenclature with the WCO revisions (:data:`CHINA_HS_VINTAGES`): HS 1996 until 2001,
HS 2002 in 2002–2006, HS 2007 in 2007–2011, HS 2012 in 2012–2016, HS 2017 in 2017–2021 and
HS 2022 from 2022. The conversion needs the UN correlation tables (HS 2007/2012 → HS 2002).
They are not among the public reference files vagg reads (the UN HS 2002/HS 2007 → BEC tables
and the Broda–Greenfield–Weinstein elasticities, :mod:`vagg.data.concordance`) and are not
shipped, so :func:`hs_concordance` checks a concordance the user supplies, in a documented
layout that a UN correlation table fits once read into a frame. The valid HS 2002 codes can be
taken from the real UN HS 2002 → BEC table (``read_hs_bec(path)["hs6"]``).

Codes are handled as Int32 internally (joins on integers are several times faster than on
text at 10⁷ customs lines) and written back as six-character text with leading zeros.
Written here: no Python package maps customs lines between HS vintages (the R package
``concordance`` maps vectors of codes in memory).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import polars as pl

from vagg.data.errors import SchemaError
from vagg.measures.customs import keyed_lazy

__all__ = [
    "CHINA_HS_VINTAGES",
    "HS_TARGET_VINTAGE",
    "china_hs_vintage",
    "hs6_int",
    "hs_concordance",
    "valid_hs2002",
]

CHINA_HS_VINTAGES: tuple[tuple[int, int], ...] = (
    (1996, 1996),
    (2002, 2002),
    (2007, 2007),
    (2012, 2012),
    (2017, 2017),
    (2022, 2022),
)
"""(first year, HS vintage) of China Customs' nomenclature; years before 1996 are HS 1992."""


HS_TARGET_VINTAGE = 2002
"""The vintage every code is converted to (paper 001)."""


def china_hs_vintage(year: pl.Expr) -> pl.Expr:
    """The HS vintage China Customs used in ``year`` (:data:`CHINA_HS_VINTAGES`), as an expr.

    Parameters
    ----------
    year : polars.Expr
        Integer years.

    Returns
    -------
    polars.Expr
        Int64 vintage (1992, 1996, 2002, 2007, 2012, 2017 or 2022).
    """
    expr: Any = pl.lit(1992, dtype=pl.Int64)
    for first_year, vintage in CHINA_HS_VINTAGES:
        expr = pl.when(year >= first_year).then(pl.lit(vintage, dtype=pl.Int64)).otherwise(expr)
    return expr


def hs6_int(text: pl.Expr) -> pl.Expr:
    """First six digits as Int32 (null unless the text starts with six digits)."""
    six = text.cast(pl.String).str.strip_chars().str.replace_all(r"[.\s]", "").str.slice(0, 6)
    return pl.when(six.str.contains(r"^\d{6}$")).then(six.cast(pl.Int32, strict=False))


_UN_CODE_COLUMN = re.compile(r"^(?:from|to)?hs(\d{4})$")


def _un_vintage(column: str) -> int | None:
    """The vintage of a UN correlation-table code column ("HS 2007", "From HS 2007")."""
    found = _UN_CODE_COLUMN.match(column.replace(" ", "").lower())
    return int(found.group(1)) if found else None


def _un_layout(frame: pl.DataFrame, vintage: int | None) -> pl.DataFrame:
    """Rename a UN correlation table ("HS 2007" / "From HS 2007" and "HS 2002" columns)."""
    coded = {c: _un_vintage(c) for c in frame.columns if _un_vintage(c) is not None}
    targets = [c for c, v in coded.items() if v == HS_TARGET_VINTAGE]
    sources = [c for c, v in coded.items() if v != HS_TARGET_VINTAGE]
    if len(targets) != 1 or len(sources) != 1:
        raise SchemaError(
            "hs_concordance",
            None,
            "needs columns vintage, hs6, hs6_2002 [, weight] or a UN correlation table with "
            f"one source and one 'HS 2002' column; columns are {frame.columns}",
        )
    source, target = sources[0], targets[0]
    out = frame.rename({source: "hs6", target: "hs6_2002"})
    return out.with_columns(pl.lit(vintage or coded[source], dtype=pl.Int64).alias("vintage"))


def hs_concordance(
    table: Any,
    *,
    vintage: int | None = None,
    hs2002_codes: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Check and normalise an HS vintage → HS 2002 concordance.

    Layout (documented for users who bring the UN correlation tables):

    ``vintage`` : int
        HS revision of the source code (1992, 1996, 2007, 2012, 2017, 2022); may be given by
        the ``vintage`` argument instead when the table holds one revision.
    ``hs6`` : str
        Six-digit code in that revision ("0101.10" and "10110" are read as "010110").
    ``hs6_2002`` : str
        The HS 2002 six-digit code it maps to.
    ``weight`` : float, optional
        Share of the source code's trade assigned to this target (used by
        ``one_to_many="split"``); each source code's weights must sum to 1. Without it, a
        source code mapped to k targets gets 1/k each.

    A UN table read as is ("From HS 2007"/"HS 2007" and "To HS 2002"/"HS 2002" columns) is
    renamed to this layout, the vintage read from the column name.

    Parameters
    ----------
    table : pandas.DataFrame or polars.DataFrame
        The concordance.
    vintage : int, optional
        Source revision when the table has no ``vintage`` column.
    hs2002_codes : sequence of str, optional
        Valid HS 2002 codes (e.g. ``read_hs_bec(path)["hs6"]`` of the UN HS 2002 → BEC table);
        a target outside it is an error.

    Returns
    -------
    polars.DataFrame
        ``vintage`` (Int64), ``hs6`` and ``hs6_2002`` (Int32 codes), ``weight`` (Float64) and
        ``n_targets`` (targets of the source code).

    Raises
    ------
    SchemaError
        Naming the column and rows for a missing column, a malformed code, a duplicate
        (vintage, hs6, hs6_2002) row, weights that are not positive or do not sum to 1, or a
        target outside ``hs2002_codes``.
    """
    frame = keyed_lazy(table, "hs_concordance").collect()
    if not {"hs6", "hs6_2002"} <= set(frame.columns):
        frame = _un_layout(frame, vintage)
    if "vintage" not in frame.columns:
        if vintage is None:
            raise SchemaError(
                "hs_concordance", "vintage", "missing; add the column or pass vintage=..."
            )
        frame = frame.with_columns(pl.lit(vintage, dtype=pl.Int64).alias("vintage"))
    frame = frame.with_row_index("_row").with_columns(
        pl.col("vintage").cast(pl.Int64, strict=False),
        hs6_int(pl.col("hs6")).alias("_from"),
        hs6_int(pl.col("hs6_2002")).alias("_to"),
    )
    for column, code in (("hs6", "_from"), ("hs6_2002", "_to"), ("vintage", "vintage")):
        bad = frame.filter(pl.col(code).is_null())
        if bad.height:
            raise SchemaError(
                "hs_concordance",
                column,
                "malformed or missing code" if column != "vintage" else "missing vintage",
                bad["_row"].to_list(),
                bad.height,
                bad[column].to_list(),
            )
    dup = frame.filter(pl.struct("vintage", "_from", "_to").is_duplicated())
    if dup.height:
        raise SchemaError(
            "hs_concordance",
            "hs6",
            "duplicate (vintage, hs6, hs6_2002) rows",
            dup["_row"].to_list(),
            dup.height,
            dup["hs6"].to_list(),
        )
    n_targets = pl.len().over("vintage", "_from").cast(pl.Int64)
    if "weight" in frame.columns:
        frame = frame.with_columns(pl.col("weight").cast(pl.Float64, strict=False))
        bad = frame.filter(pl.col("weight").is_null() | (pl.col("weight") <= 0))
        if bad.height:
            raise SchemaError(
                "hs_concordance",
                "weight",
                "weights must be positive numbers",
                bad["_row"].to_list(),
                bad.height,
                bad["weight"].to_list(),
            )
        total = pl.col("weight").sum().over("vintage", "_from")
        bad = frame.filter((total - 1.0).abs() > 1e-6)
        if bad.height:
            raise SchemaError(
                "hs_concordance",
                "weight",
                "the weights of a source code must sum to 1",
                bad["_row"].to_list(),
                bad.height,
                bad["hs6"].to_list(),
            )
    else:
        frame = frame.with_columns((1.0 / n_targets).alias("weight"))
    if hs2002_codes is not None:
        valid = pl.Series([str(c) for c in hs2002_codes]).cast(pl.Int32, strict=False)
        bad = frame.filter(~pl.col("_to").is_in(valid.drop_nulls().implode()))
        if bad.height:
            raise SchemaError(
                "hs_concordance",
                "hs6_2002",
                "target codes are not HS 2002 codes",
                bad["_row"].to_list(),
                bad.height,
                bad["hs6_2002"].to_list(),
            )
    return frame.select(
        "vintage",
        pl.col("_from").alias("hs6"),
        pl.col("_to").alias("hs6_2002"),
        "weight",
        n_targets.alias("n_targets"),
    ).sort("vintage", "hs6", "hs6_2002")


def valid_hs2002(hs2002_codes: Sequence[str] | None) -> pl.Series | None:
    if hs2002_codes is None:
        return None
    codes = pl.Series("hs6", [str(c) for c in hs2002_codes]).str.zfill(6)
    return codes.cast(pl.Int32, strict=False).drop_nulls().unique()
