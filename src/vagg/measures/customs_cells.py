"""Customs lines → firm × HS6 × destination × year cells, the input of the quality measures.

The KSW export-quality measure (:mod:`vagg.measures.quality`; paper 001 eq. 18–21) needs one
observation per firm g, HS 2002 six-digit product h, destination f and year t with its export
value, quantity and unit value. :func:`customs_cells` builds those cells from customs lines
(HS8 × regime × month records as China Customs distributes them, or the canonical ``customs``
table of :mod:`vagg.data.schemas`), lazily with polars, so that a Parquet dataset of tens of
millions of lines (``polars.scan_parquet``) is aggregated without ever being materialised in
pandas; the cell group-by itself runs in DuckDB under a memory limit
(:func:`vagg.measures.lazy_groupby.lazy_group_sums`), so 10⁸ lines fit in a few GB. Every
line left out is counted by reason (:class:`CustomsCells`), never dropped silently. The steps
follow paper 001 §"数据来源" and trade_measures.md §3.4:

1. exports only; trade intermediaries out (Ahn, Khandelwal & Wei 2011 name keywords);
2. lines with a missing or non-positive value, a missing or non-positive quantity or no unit
   out (a unit value needs both);
3. HS codes converted to HS 2002 (below); codes outside the concordance out (or an error);
4. agricultural and resource chapters out (spec 001 §1.1 [C]: HS 01–27 by default);
5. one quantity unit per HS6 product: ln q must be comparable within the product fixed effect,
   so lines declared in another unit than the product's dominant one (largest export value,
   pooled over years) are out (or the whole product, or an error);
6. lines summed to cells (value and quantity), unit value = value / quantity;
7. products with fewer than ``min_product_cells`` cells out (the paper drops "products with
   fewer than 100 observations"); optional trimming of unit values within HS6-year.

**HS vintages** (:mod:`vagg.measures.hs_vintage`): every line is converted to HS 2002 with
China Customs' calendar of revisions and a concordance the user supplies (the real UN HS 2007 /
HS 2012 → HS 2002 correlation tables are not among the public files vagg reads and are not
shipped); without one, only lines already in HS 2002 are used and the others are counted as
``hs_not_in_concordance``. The valid HS 2002 codes can be taken from the real UN HS 2002 → BEC
table (``read_hs_bec(...)["hs6"]``) and passed as ``hs2002_codes``.

Written here rather than taken from a library: no Python package converts Chinese customs
lines between HS vintages and to KSW cells; the R package ``concordance`` does the code
mapping only, for vectors of codes in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import require_columns
from vagg.measures.customs import hs6_text, keyed_lazy
from vagg.measures.hs_vintage import (
    HS_TARGET_VINTAGE,
    china_hs_vintage,
    hs6_int,
    hs_concordance,
    valid_hs2002,
)
from vagg.measures.lazy_groupby import lazy_group_sums
from vagg.measures.linkage import INTERMEDIARY_KEYWORDS, _intermediary_expr, normalize_name_expr

__all__ = [
    "CELL_KEY",
    "DEFAULT_DROP_CHAPTERS",
    "EXCLUSION_REASONS",
    "CustomsCells",
    "customs_cells",
]

DEFAULT_DROP_CHAPTERS: tuple[int, ...] = tuple(range(1, 28))
"""HS chapters left out by default: agricultural (01–24) and mineral/resource (25–27)
products (spec 001 §1.1, a documented convention [C])."""

CELL_KEY: tuple[str, ...] = ("party_id", "city_code", "hs6", "partner", "year")
"""Default cell key: firm (customs code) × city × HS6 × destination × year. The city is part
of the key, so a firm shipping a product to one destination from two cities has two cells,
each counted in its own city's aggregates."""

EXCLUSION_REASONS: tuple[str, ...] = (
    "not_export",
    "intermediary",
    "value_missing_or_nonpositive",
    "quantity_missing",
    "quantity_nonpositive",
    "unit_missing",
    "hs_malformed",
    "hs_not_in_concordance",
    "hs_one_to_many",
    "chapter_excluded",
    "unit_not_dominant_in_hs6",
    "product_too_few_cells",
    "unit_value_trimmed",
)
"""Reasons a customs line is left out, in the order the rules apply (first match counts)."""


@dataclass
class CustomsCells:
    """Cells built by :func:`customs_cells`, with the accounting of every line left out.

    Attributes
    ----------
    cells : pandas.DataFrame or polars.DataFrame
        One row per cell (the key columns, any extra keys, ``unit``, ``value_usd``,
        ``quantity``, ``unit_value`` = value_usd / quantity, ``n_lines``, ``hs4``); pandas if
        the lines were pandas, else polars.
    n_lines : int
        Customs lines read.
    excluded_lines : dict of str to int
        Lines left out, by reason (:data:`EXCLUSION_REASONS`; zero counts are kept).
    excluded_value : dict of str to float
        Export value (USD) of those lines, by reason.
    dominant_units : polars.DataFrame
        hs6, unit kept and its share of the product's value among the units declared.
    options : dict
        The conventions applied.
    """

    cells: Any
    n_lines: int
    excluded_lines: dict[str, int]
    excluded_value: dict[str, float]
    dominant_units: pl.DataFrame
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def n_lines_used(self) -> int:
        """Lines that entered a cell."""
        return self.n_lines - sum(self.excluded_lines.values())

    def report(self) -> pd.DataFrame:
        """The accounting as a table: lines read, each exclusion, lines used, cells."""
        rows: list[tuple[str, int, float]] = [("lines read", self.n_lines, float("nan"))]
        rows += [
            (f"left out: {k}", v, self.excluded_value.get(k, 0.0))
            for k, v in self.excluded_lines.items()
        ]
        rows.append(("lines used", self.n_lines_used, float("nan")))
        rows.append(("cells", len(self.cells), float("nan")))
        return pd.DataFrame(rows, columns=["item", "lines", "value_usd"])


def _reason_expr(
    names: Sequence[str],
    *,
    drop_intermediaries: bool,
    keywords: Sequence[str],
    drop_chapters: Sequence[int],
    one_to_many: str,
) -> pl.Expr:
    """The first rule a line fails (null if it passes them all); ``_hs``/``_n_targets`` come
    from the concordance join."""
    rules: list[tuple[pl.Expr, str]] = []
    if "flow" in names:
        rules.append((pl.col("flow").ne_missing("export"), "not_export"))
    if drop_intermediaries:
        rules.append(
            (_intermediary_expr(normalize_name_expr(pl.col("firm_name")), keywords), "intermediary")
        )
    value, quantity = pl.col("value_usd"), pl.col("quantity")
    rules += [
        (value.is_null() | value.is_nan() | (value <= 0), "value_missing_or_nonpositive"),
        (quantity.is_null() | quantity.is_nan(), "quantity_missing"),
        (quantity <= 0, "quantity_nonpositive"),
        (pl.col("unit").is_null() | (pl.col("unit").str.strip_chars() == ""), "unit_missing"),
        (pl.col("_hs_raw").is_null(), "hs_malformed"),
        (pl.col("_hs").is_null(), "hs_not_in_concordance"),
    ]
    if one_to_many == "drop":
        rules.append((pl.col("_n_targets") > 1, "hs_one_to_many"))
    if drop_chapters:
        chapters = [int(c) for c in drop_chapters]
        rules.append(((pl.col("_hs") // 10_000).is_in(chapters), "chapter_excluded"))
    expr: Any = pl.lit(None, dtype=pl.String)
    for mask, reason in reversed(rules):
        expr = pl.when(mask.fill_null(False)).then(pl.lit(reason)).otherwise(expr)
    return expr


def _raise_lines(
    lines: pl.LazyFrame, reason: pl.Expr, wanted: str, column: str, problem: str, n_bad: int
) -> None:
    bad = (
        lines.filter(reason == wanted)
        .select(pl.col("_line").alias("_row"), column)
        .sort("_row")
        .head(5)
        .collect()
    )
    raise SchemaError(
        "customs", column, problem, bad["_row"].to_list(), n_bad, bad[column].to_list()
    )


def customs_cells(
    lines: Any,
    *,
    concordance: Any = None,
    hs2002_codes: Sequence[str] | None = None,
    vintage: int | None = None,
    unknown_hs: Literal["drop", "error"] = "drop",
    one_to_many: Literal["drop", "split", "error"] = "drop",
    mixed_units: Literal["dominant", "drop_product", "error"] = "dominant",
    drop_intermediaries: bool = True,
    intermediary_keywords: Sequence[str] = INTERMEDIARY_KEYWORDS,
    drop_chapters: Sequence[int] = DEFAULT_DROP_CHAPTERS,
    min_product_cells: int = 100,
    trim_unit_value: tuple[float, float] | None = None,
    key: Sequence[str] = CELL_KEY,
    extra_keys: Sequence[str] = (),
) -> CustomsCells:
    """Aggregate customs lines to firm × HS6 (HS 2002) × destination × year cells.

    Implements the sample construction of paper 001 (§"数据来源": intermediaries, agricultural
    and resource products and thin products out, every year converted to HS 2002 six-digit)
    and trade_measures.md §3.4 step 1 (value > 0 and quantity > 0, one quantity unit, unit
    value = value / quantity), as one lazy polars query: the lines are read twice (once for
    the counts and the units, once for the cells) and never held in pandas; the second pass
    streams the kept lines into DuckDB, which sums them to cells, drops thin products and
    sorts within a bounded memory (:func:`vagg.measures.lazy_groupby.lazy_group_sums`).

    Parameters
    ----------
    lines : polars.LazyFrame, polars.DataFrame or pandas.DataFrame
        Customs lines with ``party_id``, ``year``, ``hs8`` (or ``hs6``), ``partner``,
        ``value_usd``, ``quantity``, ``unit`` and the other ``key`` columns (``city_code`` by
        default); ``flow`` (only "export" lines are used) and ``firm_name`` (needed when
        ``drop_intermediaries``) and ``hs_vintage`` are read when present. A lazy scan
        (``polars.scan_parquet("customs/*.parquet")``) is the way to pass 10⁷ lines.
    concordance : DataFrame, optional
        HS vintage → HS 2002 concordance in the layout of :func:`hs_concordance`. Without it
        only lines already in HS 2002 can be used.
    hs2002_codes : sequence of str, optional
        Valid HS 2002 codes; HS 2002 lines with another code count as
        ``hs_not_in_concordance``.
    vintage : int, optional
        HS vintage of every line. Default: the ``hs_vintage`` column if present, else China
        Customs' calendar (:func:`china_hs_vintage` of ``year``).
    unknown_hs : {"drop", "error"}
        Lines whose code has no HS 2002 counterpart: counted and left out, or an error naming
        the first lines.
    one_to_many : {"drop", "split", "error"}
        Lines whose source code maps to several HS 2002 codes: left out (counted), split
        across the targets by the concordance weights (value and quantity alike, so the unit
        value is kept), or an error.
    mixed_units : {"dominant", "drop_product", "error"}
        An HS6 product declared in several quantity units: keep the unit with the largest
        export value over all years (default), drop the product, or raise.
    drop_intermediaries : bool
        Leave out lines of firms whose name marks a trade intermediary.
    intermediary_keywords : sequence of str
        The name keywords (default: Ahn, Khandelwal & Wei 2011).
    drop_chapters : sequence of int
        HS 2002 chapters left out (default 1–27; empty to keep all).
    min_product_cells : int
        Products with fewer cells over the whole sample are left out (0 keeps all).
    trim_unit_value : (float, float), optional
        Quantiles (e.g. (0.01, 0.99)) outside which cells are trimmed within HS6-year.
    key : sequence of str
        Cell key; must contain ``hs6``, ``partner`` and ``year``.
    extra_keys : sequence of str
        Further key columns (e.g. ``("regime",)`` for quality by trade regime).

    Returns
    -------
    CustomsCells
        The cells and the counts of every line left out.

    Raises
    ------
    SchemaError
        A required column is missing, or (with the "error" options) a line has a code outside
        the concordance, a one-to-many code, or a product mixes units.
    """
    for option, choice, choices in (
        ("unknown_hs", unknown_hs, ("drop", "error")),
        ("one_to_many", one_to_many, ("drop", "split", "error")),
        ("mixed_units", mixed_units, ("dominant", "drop_product", "error")),
    ):
        if choice not in choices:
            raise SchemaError("customs", None, f"argument {option} must be one of {choices}")
    key = list(dict.fromkeys([*key, *extra_keys]))
    if not {"hs6", "partner", "year"} <= set(key):
        raise SchemaError("customs", None, f"key {key} must contain hs6, partner and year")
    lf = keyed_lazy(lines, "customs")
    names = lf.collect_schema().names()
    hs_column = "hs8" if "hs8" in names else "hs6"
    need = [c for c in key if c != "hs6"] + [hs_column, "value_usd", "quantity", "unit"]
    if drop_intermediaries:
        if "firm_name" not in names:
            raise SchemaError(
                "customs",
                "firm_name",
                "missing; needed to leave out trade intermediaries (or pass "
                "drop_intermediaries=False)",
            )
        need.append("firm_name")
    require_columns(lf, "customs", need)
    optional = [c for c in ("flow", "hs_vintage") if c in names]
    # the line number in the input, for error messages (joins below may reorder rows)
    lf = lf.select(list(dict.fromkeys([*need, *optional]))).with_row_index("_line")

    if vintage is not None:
        vint = pl.lit(int(vintage), dtype=pl.Int64)
    elif "hs_vintage" in names:
        vint = pl.col("hs_vintage").cast(pl.Int64)
    else:
        vint = china_hs_vintage(pl.col("year"))
    lf = lf.with_columns(
        vint.alias("_vintage"),
        hs6_int(pl.col(hs_column)).alias("_hs_raw"),
        pl.col("value_usd").cast(pl.Float64),
        pl.col("quantity").cast(pl.Float64),
        pl.col("unit").cast(pl.String),
    )
    conc = (
        hs_concordance(concordance, hs2002_codes=hs2002_codes) if concordance is not None else None
    )
    valid = valid_hs2002(hs2002_codes)
    same = pl.col("_hs_raw")
    if valid is not None:
        same = pl.when(pl.col("_hs_raw").is_in(valid.implode())).then(pl.col("_hs_raw"))
    if conc is not None:
        summary = conc.group_by("vintage", "hs6").agg(
            pl.col("hs6_2002").first().alias("_to"), pl.col("n_targets").first()
        )
        lf = lf.join(
            summary.lazy(),
            left_on=["_vintage", "_hs_raw"],
            right_on=["vintage", "hs6"],
            how="left",
        )
        mapped, n_targets = pl.col("_to"), pl.col("n_targets")
    else:
        mapped, n_targets = pl.lit(None, dtype=pl.Int32), pl.lit(None, dtype=pl.Int64)
    is_2002 = pl.col("_vintage") == HS_TARGET_VINTAGE
    lf = lf.with_columns(
        pl.when(is_2002).then(same).otherwise(mapped).alias("_hs"),
        pl.when(is_2002).then(pl.lit(1, dtype=pl.Int64)).otherwise(n_targets).alias("_n_targets"),
    )
    reason = _reason_expr(
        names,
        drop_intermediaries=drop_intermediaries,
        keywords=intermediary_keywords,
        drop_chapters=drop_chapters,
        one_to_many=one_to_many,
    )
    lf = lf.with_columns(reason.alias("_reason"))
    kept = lf.filter(pl.col("_reason").is_null())
    if one_to_many == "split" and conc is not None:
        targets = conc.select(
            pl.col("vintage").alias("_vintage"),
            pl.col("hs6").alias("_hs_raw"),
            pl.col("hs6_2002").alias("_split_to"),
            "weight",
        ).lazy()
        kept = kept.join(targets, on=["_vintage", "_hs_raw"], how="left").with_columns(
            pl.when(pl.col("_n_targets") > 1)
            .then(pl.col("_split_to"))
            .otherwise(pl.col("_hs"))
            .alias("_hs"),
            *[
                pl.when(pl.col("_n_targets") > 1)
                .then(pl.col(c) * pl.col("weight"))
                .otherwise(pl.col(c))
                .alias(c)
                for c in ("value_usd", "quantity")
            ],
        )
    # a split line becomes several rows of the converted table: count it once, by its weights
    if one_to_many == "split" and conc is not None:
        row_weight = pl.when(pl.col("_n_targets") > 1).then(pl.col("weight")).otherwise(1.0)
        line_weight = row_weight.sum()
    else:
        row_weight = pl.lit(1.0, dtype=pl.Float64)
        line_weight = pl.len().cast(pl.Float64)
    counts_q = lf.group_by("_reason").agg(
        pl.len().alias("lines"), pl.col("value_usd").fill_nan(None).sum().alias("value")
    )
    units_q = kept.group_by("_hs", "unit").agg(
        line_weight.alias("lines"), pl.col("value_usd").sum().alias("value")
    )
    counts, units = pl.collect_all([counts_q, units_q], engine="streaming")
    excluded = dict.fromkeys(EXCLUSION_REASONS, 0)
    excluded_value = dict.fromkeys(EXCLUSION_REASONS, 0.0)
    n_lines = int(counts["lines"].sum())
    for row in counts.filter(pl.col("_reason").is_not_null()).iter_rows(named=True):
        excluded[row["_reason"]] = int(row["lines"])
        excluded_value[row["_reason"]] = float(row["value"] or 0.0)
    if unknown_hs == "error" and excluded["hs_not_in_concordance"]:
        _raise_lines(
            lf,
            pl.col("_reason"),
            "hs_not_in_concordance",
            hs_column,
            "HS codes with no HS 2002 counterpart in the concordance",
            excluded["hs_not_in_concordance"],
        )
    if one_to_many == "error" and conc is not None:
        multi = lf.filter(pl.col("_reason").is_null() & (pl.col("_n_targets") > 1))
        n_multi = int(multi.select(pl.len()).collect().item())
        if n_multi:
            _raise_lines(
                lf.with_columns(
                    pl.when(pl.col("_reason").is_null() & (pl.col("_n_targets") > 1))
                    .then(pl.lit("multi"))
                    .alias("_multi")
                ),
                pl.col("_multi"),
                "multi",
                hs_column,
                "HS codes that map to several HS 2002 codes (one_to_many='error')",
                n_multi,
            )

    dominant, allowed = _dominant_units(units, mixed_units)
    dropped_units = units.join(allowed, on=["_hs", "unit"], how="anti")
    excluded["unit_not_dominant_in_hs6"] = round(float(dropped_units["lines"].sum()))
    excluded_value["unit_not_dominant_in_hs6"] = float(dropped_units["value"].sum())

    group_keys = ["_hs" if c == "hs6" else c for c in key]
    order = [c for c in group_keys if c != "_hs"]
    # the cell group-by is the memory peak (~17 million string-keyed cells at 10^8 lines):
    # polars streams the kept lines, DuckDB aggregates them within a memory limit
    rows = kept.join(allowed.lazy(), on=["_hs", "unit"], how="inner").with_columns(
        row_weight.alias("_line_weight")
    )
    cells, thin_totals = lazy_group_sums(
        rows,
        [*group_keys, "unit"],
        ["value_usd", "quantity", "_line_weight"],
        count="n_lines",
        sort_by=["_hs", *order],
        thin=("_hs", min_product_cells) if min_product_cells > 0 else None,
    )
    if min_product_cells > 0:
        excluded["product_too_few_cells"] = round(thin_totals["_line_weight"])
        excluded_value["product_too_few_cells"] = thin_totals["value_usd"]
    cells, excluded, excluded_value = _trim(cells, excluded, excluded_value, trim_unit_value)
    cells = (
        cells.with_columns(
            hs6_text(pl.col("_hs")).alias("hs6"),
            (pl.col("value_usd") / pl.col("quantity")).alias("unit_value"),
        )
        .with_columns(pl.col("hs6").str.slice(0, 4).alias("hs4"))
        .select([*key, "unit", "value_usd", "quantity", "unit_value", "n_lines", "hs4"])
    )
    dominant_units = dominant.select(hs6_text(pl.col("_hs")).alias("hs6"), "unit", "value_share")
    out_cells = cells.to_pandas() if isinstance(lines, pd.DataFrame) else cells
    return CustomsCells(
        cells=out_cells,
        n_lines=n_lines,
        excluded_lines=excluded,
        excluded_value=excluded_value,
        dominant_units=dominant_units,
        options={
            "vintage": vintage
            if vintage is not None
            else ("hs_vintage column" if "hs_vintage" in names else "China Customs calendar"),
            "concordance": conc is not None,
            "unknown_hs": unknown_hs,
            "one_to_many": one_to_many,
            "mixed_units": mixed_units,
            "drop_intermediaries": drop_intermediaries,
            "drop_chapters": list(drop_chapters),
            "min_product_cells": min_product_cells,
            "trim_unit_value": trim_unit_value,
            "key": key,
        },
    )


def _dominant_units(units: pl.DataFrame, rule: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per HS6 the unit with the largest value (ties: alphabetical first); the (hs6, unit)
    pairs allowed into cells under ``rule``."""
    ranked = units.sort(["_hs", "value", "unit"], descending=[False, True, False])
    totals = units.group_by("_hs").agg(
        pl.col("value").sum().alias("_total"), pl.len().alias("_n_units")
    )
    dominant = (
        ranked.group_by("_hs", maintain_order=True)
        .first()
        .join(totals, on="_hs")
        .with_columns((pl.col("value") / pl.col("_total")).alias("value_share"))
        .sort("_hs")
    )
    mixed = dominant.filter(pl.col("_n_units") > 1)
    if rule == "error" and mixed.height:
        examples = (
            units.join(mixed.select("_hs"), on="_hs")
            .sort("_hs", "unit")
            .group_by("_hs", maintain_order=True)
            .agg(pl.col("unit"))
            .head(5)
        )
        shown = [
            f"{int(h):06d}: {u}"
            for h, u in zip(examples["_hs"].to_list(), examples["unit"].to_list(), strict=True)
        ]
        raise SchemaError(
            "customs",
            "unit",
            f"{mixed.height} HS6 products are declared in several quantity units "
            f"(mixed_units='error'): {shown}",
        )
    allowed = dominant.select("_hs", "unit")
    if rule == "drop_product":
        allowed = allowed.join(mixed.select("_hs"), on="_hs", how="anti")
    return dominant, allowed


def _trim(
    cells: pl.DataFrame,
    excluded: dict[str, int],
    excluded_value: dict[str, float],
    trim: tuple[float, float] | None,
) -> tuple[pl.DataFrame, dict[str, int], dict[str, float]]:
    """Trim unit values within HS6-year (quantiles ``trim``); count the lines trimmed."""
    if trim is None:
        return cells, excluded, excluded_value
    lo, hi = trim
    if not 0.0 <= lo < hi <= 1.0:
        raise SchemaError("customs", None, f"trim_unit_value {trim} must be 0 <= lo < hi <= 1")
    uv = pl.col("value_usd") / pl.col("quantity")
    over = ["_hs", "year"]
    outside = (uv < uv.quantile(lo, "linear").over(over)) | (
        uv > uv.quantile(hi, "linear").over(over)
    )
    flagged = cells.with_columns(outside.alias("_out"))
    dropped = flagged.filter(pl.col("_out"))
    excluded["unit_value_trimmed"] = round(float(dropped["_line_weight"].sum()))
    excluded_value["unit_value_trimmed"] = float(dropped["value_usd"].sum())
    return flagged.filter(~pl.col("_out")).drop("_out"), excluded, excluded_value
