"""Export domestic value-added ratio (DVAR) of firms by trade regime — paper 000 eq. (6).

Three steps, each a pure function of canonical tables:

1. :func:`intermediary_shares` — m_kt, the share of China's ordinary imports of HS6 product k
   in year t that trade intermediaries handle (Ahn, Khandelwal & Wei 2011);
2. :func:`firm_trade` — per linked CIE firm-year: processing and ordinary exports and the
   BEC-intermediate imports of each regime grossed up for indirect imports, 1/(1 − m_kt);
3. :func:`export_dvar` — DVAR by regime (processing, ordinary, mixed) with the foreign content
   of domestic inputs from the IO tables (δ_jt), in the paper's form or one of three
   published alternatives (paper 000 Table 5), with every dropped firm-year counted.

Trade regimes (trade_measures.md §0.1): 10 ordinary, 14 and 15 processing; every other code
of :data:`vagg.data.schemas.REGIMES` is "other" and left out (counted); a code outside that
list is an error. Customs values are USD; CIE money is thousand RMB and is converted with the
year's ``national_series.rmb_per_usd``. References: Kee & Tang (2016, AER); Upward, Wang &
Zheng (2013, JCE); Zhang, Chen & Liu (2013, 经济研究); Koopman, Wang & Wei (2012, JDE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import polars as pl

from vagg.data.frames import check_rows, check_unique_key, like, require_columns
from vagg.measures.customs import (
    ORDINARY,
    PROCESSING,
    attach_firms,
    customs_checked,
    firm_rows,
    hs6_code,
    hs6_text,
    industry_sectors,
    keyed_lazy,
    product_classes,
    unknown_products,
)
from vagg.measures.linkage import flag_intermediaries

__all__ = [
    "DVARResult",
    "aggregate_dvar",
    "export_dvar",
    "firm_trade",
    "import_share_by_year",
    "intermediary_shares",
]

VARIANTS = ("paper", "dvar1", "dvar2", "dvar3")
#: Koopman, Wang & Wei (2012): foreign content of domestically purchased inputs, about 5%
KWW_FOREIGN_SHARE = 0.05

# ---------------------------------------------------------------------------- step 1: m_kt


def intermediary_shares(customs: Any, products: Any, *, cap: float = 0.95) -> Any:
    """Share of each HS6 product's ordinary imports handled by trade intermediaries.

    m_kt = Σ_{i ∈ intermediaries} M^O_ikt / Σ_i M^O_ikt

    over all regime-10 (ordinary) import rows of HS6 product k in year t, capped at ``cap``
    so that 1/(1 − m) stays finite (trade_measures.md §1.5 step 3). Intermediaries are the
    declaring firms whose names carry 进出口 / 贸易 / 经贸 / 科贸 / 外经
    (:func:`vagg.measures.linkage.flag_intermediaries`; Ahn, Khandelwal & Wei 2011, JIE).
    Used by paper 000 eq. (6): MIA = Σ_k M_k / (1 − m_k).

    Products with no ordinary imports in a year have no row (:func:`firm_trade` reads a
    missing m as 0). HS codes missing from ``products`` are an error naming the rows.

    Returns DataFrame(hs6, year, m), pandas or polars like ``customs``.
    """
    if not 0.0 <= cap < 1.0:
        raise ValueError(f"cap must lie in [0, 1), got {cap}")
    lf = customs_checked(customs, ["firm_name"])
    is_ordinary_import = (pl.col("flow") == "import") & (pl.col("regime") == ORDINARY)
    ordinary = lf.filter(is_ordinary_import)
    classes = product_classes(products)
    names = ordinary.select("firm_name").unique().collect()
    flags = pl.Series("intermediary", flag_intermediaries(names["firm_name"]), dtype=pl.Boolean)
    flagged = names.with_columns(flags).lazy()
    out = (
        ordinary.join(flagged, on="firm_name", how="left")
        .select(
            "hs6",
            "year",
            pl.when(pl.col("intermediary"))
            .then(pl.col("value_usd"))
            .otherwise(0.0)
            .alias("_inter"),
            pl.col("value_usd").alias("_total"),
        )
        .group_by("hs6", "year")
        .agg(pl.col("_inter").sum(), pl.col("_total").sum())
        .select(
            "hs6",
            "year",
            pl.when(pl.col("_total") > 0)
            .then(pl.min_horizontal(pl.col("_inter") / pl.col("_total"), pl.lit(cap)))
            .otherwise(0.0)
            .alias("m"),
        )
        .sort("year", "hs6")
        .collect()
    )
    known = classes.select("hs6").collect()["hs6"]
    if not out["hs6"].is_in(known.implode()).all():
        unknown_products(lf, classes, subset=is_ordinary_import)
    return like(out.with_columns(hs6_text(pl.col("hs6"))), customs)


# ---------------------------------------------------------------------------- step 2: firm trade


def firm_trade(
    customs: Any,
    links: Any,
    products: Any,
    shares: Any,
    *,
    unknown_hs: Literal["raise", "exclude"] = "raise",
) -> Any:
    """Exports by regime and intermediary-adjusted intermediate imports per linked firm-year.

    For firm f, year t (customs rows of its linked customs codes, see :func:`attach_firms`):

    - EX_p = exports under regimes 14 + 15, EX_o = exports under regime 10, EX = EX_p + EX_o;
    - MIA_p = Σ_k M^p_k / (1 − m_kt), MIA_o = Σ_n M^o_n / (1 − m_nt) over imports of
      BEC-intermediate HS6 products (paper 000 eq. 6 grosses up both regimes; Zhang, Chen &
      Liu 2013); m_kt from :func:`intermediary_shares`, 0 where the product has no row;
    - m_raw_p, m_raw_o: the same imports without the gross-up (Kee & Tang 2016 use the raw
      processing imports, variant ``dvar2`` of :func:`export_dvar`).

    Left out and counted: imports of capital, consumption and unclassified goods under
    regimes 10/14/15 (``capital_imports``, ``consumption_imports``, ``unclassified_imports``,
    USD) and rows under any other regime (``n_regime_other``, rows of both flows). HS codes
    missing from ``products`` raise an error naming the rows, or with
    ``unknown_hs="exclude"`` are dropped and counted in ``n_unknown_hs``.

    Returns DataFrame(firm_id, year, ex, ex_p, ex_o, mia_p, mia_o, m_raw_p, m_raw_o,
    capital_imports, consumption_imports, unclassified_imports, n_regime_other,
    n_unknown_hs), one row per linked firm-year with customs records, like ``customs``.
    """
    if unknown_hs not in ("raise", "exclude"):
        raise ValueError(f"unknown_hs must be 'raise' or 'exclude', got {unknown_hs!r}")
    checked = customs_checked(customs, ["party_id"])
    linked = attach_firms(checked, links)
    classes = product_classes(products)
    m = keyed_lazy(shares, "shares")
    require_columns(m, "shares", ["hs6", "year", "m"])
    m = m.select("hs6", "year", "m")
    check_unique_key(m, "shares", ["hs6", "year"])
    check_rows(
        m,
        "shares",
        [
            (
                pl.col("m").is_null() | ~pl.col("m").is_between(0.0, 1.0, closed="left"),
                "m",
                "m ∉ [0,1)",
            ),
            (hs6_code(pl.col("hs6")).is_null(), "hs6", "not six digits"),
        ],
    )
    m = m.with_columns(hs6_code(pl.col("hs6")).alias("hs6"))

    value = pl.col("value_usd")
    known = pl.col("end_use").is_not_null()
    export = (pl.col("flow") == "export") & known
    imports = (pl.col("flow") == "import") & known
    proc = pl.col("regime").is_in(list(PROCESSING))
    ordn = pl.col("regime") == ORDINARY
    inter = pl.col("end_use") == "intermediate"
    gross = value / (1.0 - pl.col("m").fill_null(0.0))
    core_imports = imports & (proc | ordn)
    # each measure is a row-level column first, so the group-by runs plain sums
    parts = {
        "ex_p": (value, export & proc),
        "ex_o": (value, export & ordn),
        "mia_p": (gross, imports & proc & inter),
        "mia_o": (gross, imports & ordn & inter),
        "m_raw_p": (value, imports & proc & inter),
        "m_raw_o": (value, imports & ordn & inter),
        **{
            f"{use}_imports": (value, core_imports & (pl.col("end_use") == use))
            for use in ("capital", "consumption", "unclassified")
        },
    }
    counts = {"n_regime_other": ~(proc | ordn), "n_unknown_hs": ~known}
    out = (
        linked.join(classes, on="hs6", how="left")
        .join(m, on=["hs6", "year"], how="left")
        .select(
            "firm_id",
            "year",
            *(
                pl.when(mask).then(expr).otherwise(0.0).alias(k)
                for k, (expr, mask) in parts.items()
            ),
            *(mask.cast(pl.Int64).alias(k) for k, mask in counts.items()),
        )
        .group_by("firm_id", "year")
        .agg(pl.all().sum())
        .with_columns((pl.col("ex_p") + pl.col("ex_o")).alias("ex"))
        .select("firm_id", "year", "ex", *parts, *counts)
        .sort("firm_id", "year")
        .collect()
    )
    if unknown_hs == "raise" and out["n_unknown_hs"].sum() > 0:
        unknown_products(checked, classes, links=links)
    return like(out, customs)


# ---------------------------------------------------------------------------- step 3: DVAR


def import_share_by_year(io_national: Any, io_totals: Any, years: Sequence[int]) -> Any:
    """δ_jt for each year: :func:`vagg.measures.io_weights.import_share_of_inputs` (latest
    benchmark table not after t) stacked over ``years``.

    Returns DataFrame(io_sector, year, delta, benchmark), like ``io_national``.
    """
    from vagg.measures.io_weights import import_share_of_inputs

    parts = [
        keyed_lazy(import_share_of_inputs(io_national, io_totals, int(y)), "import_share")
        .with_columns(pl.lit(int(y), pl.Int64).alias("year"))
        .collect()
        for y in sorted({int(y) for y in years})
    ]
    out = pl.concat(parts).select("io_sector", "year", "delta", "benchmark")
    return like(out, io_national)


@dataclass
class DVARResult:
    """Firm-year DVAR with the accounting of every firm-year left out.

    ``data``: one row per retained firm-year (see :func:`export_dvar`); ``excluded``: number
    of firm-years dropped by reason, in the order the rules apply; ``flagged``: firm-years
    kept but flagged; ``dropped``: (firm_id, year, reason) of each dropped firm-year;
    ``n_input``: firm-years of ``trade``.
    """

    data: Any
    excluded: dict[str, int]
    flagged: dict[str, int]
    dropped: Any
    n_input: int
    variant: str
    notes: list[str] = field(default_factory=list)

    def report(self) -> pd.DataFrame:
        """The accounting as a table: input, each exclusion, each flag, retained."""
        rows = [("input firm-years (linked, with customs records)", self.n_input)]
        rows += [(f"dropped: {k}", v) for k, v in self.excluded.items()]
        rows += [(f"flagged (kept): {k}", v) for k, v in self.flagged.items()]
        rows.append(("retained", len(self.data)))
        return pd.DataFrame(rows, columns=["item", "firm_years"])


def _year_table(frame: Any, table: str, value: str) -> pl.LazyFrame:
    lf = keyed_lazy(frame, table)
    require_columns(lf, table, ["year", value])
    lf = lf.select("year", value)
    check_unique_key(lf, table, ["year"])
    return lf


def _delta_table(import_share: Any) -> tuple[pl.LazyFrame, list[str]]:
    lf = keyed_lazy(import_share, "import_share")
    require_columns(lf, "import_share", ["io_sector", "delta"])
    key = ["io_sector", "year"] if "year" in lf.collect_schema().names() else ["io_sector"]
    lf = lf.select([*key, "delta"])
    check_unique_key(lf, "import_share", key)
    return lf, key


def export_dvar(
    trade: Any,
    firms: Any,
    industries: Any,
    import_share: Any,
    national_series: Any,
    *,
    variant: Literal["paper", "dvar1", "dvar2", "dvar3"] = "paper",
    trim: tuple[float, float] | None = (0.0, 1.0),
    foreign_content: Literal["firm", "exports"] = "firm",
    constant_foreign_share: float = KWW_FOREIGN_SHARE,
) -> DVARResult:
    """Firm export DVAR by trade regime (paper 000 eq. 6) and three alternatives (Table 5).

    Inputs: ``trade`` from :func:`firm_trade`; ``firms`` (CIE: firm_id, year, cic4, sales,
    and intermediate_inputs for ``dvar1``; thousand RMB); ``industries`` (cic4 → io_sector);
    ``import_share`` δ (io_sector, delta, and optionally year; :func:`import_share_by_year`);
    ``national_series`` (year, rmb_per_usd). Y = sales × 1000 / rmb_per_usd (USD), likewise
    MI from intermediate_inputs; κ_p = EX_p/EX, κ_o = EX_o/EX; regime type ``processing``
    (EX_o = 0), ``ordinary`` (EX_p = 0) or ``mixed``.

    ``variant="paper"`` — paper 000 eq. (6) (after Zhang, Chen & Liu 2013; Upward, Wang &
    Zheng 2013; Kee & Tang 2016), with D + EX_o = Y − EX_p:

        DVAR_p = 1 − (MIA_p + δ_j EX_p) / EX_p
        DVAR_o = 1 − [MIA_o · EX_o / (Y − EX_p) + δ_j EX_o] / EX_o
        DVAR   = κ_p DVAR_p + κ_o DVAR_o            (mixed firms)

    ``variant="dvar1"`` — Upward, Wang & Zheng (2013) / Zhang et al. (2013), trade_measures.md
    §1.2–1.3: foreign content of domestic inputs δ^F = δ_j · max(0, MI − M_A), M_A = MIA_p +
    MIA_o, s = 1 (``foreign_content="firm"``) or X/Y (``"exports"``, only the exported share):

        processing: 1 − (MIA_p + s δ^F) / EX_p;   ordinary: 1 − (MIA_o + δ^F) / Y
        mixed:      1 − [MIA_p + EX_o · MIA_o / (Y − EX_p) + s δ^F] / EX

    (components dvar_p / dvar_o share δ^F by export shares, so κ_p dvar_p + κ_o dvar_o =
    dvar). Firm-years whose MI is missing (the CIE has no intermediate inputs in 2010) are
    dropped and counted.

    ``variant="dvar2"`` — Kee & Tang (2016): eq. (6) without the intermediary gross-up of
    processing imports (MIA_p replaced by the raw processing imports; ordinary imports stay
    grossed up, as KT and most followers do).

    ``variant="dvar3"`` — Koopman, Wang & Wei (2012): eq. (6) with a constant foreign share
    of domestic inputs (``constant_foreign_share``, 5%) in place of δ_j.

    Dropped and counted (``DVARResult.excluded``), in this order: firm-years with no CIE
    record; no regime 10/14/15 exports; Y missing or ≤ 0; Y − EX_p ≤ 0 where the ordinary
    part is needed; (dvar1) MI missing; DVAR outside ``trim`` — **trimmed, not winsorised**
    (``trim=None`` keeps them; Kee & Tang drop such excess importers). Flagged and kept
    (``DVARResult.flagged``, among retained firm-years; column ``no_processing_imports``):
    processing exports without processing intermediate imports (possible misreporting;
    trade_measures.md §1.5 step 8).

    Errors: a cic4 with no IO sector, a sector-year without δ, a year without an exchange
    rate, duplicate keys, missing columns.

    ``data`` columns: firm_id, year, cic4, io_sector, regime_type, ex, ex_p, ex_o, kappa_p,
    kappa_o, mia_p, mia_o, y_usd, delta, dvar_p, dvar_o, dvar, no_processing_imports (plus
    mi_usd and delta_f for dvar1), like ``trade``.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if foreign_content not in ("firm", "exports"):
        raise ValueError(f"foreign_content must be 'firm' or 'exports', got {foreign_content!r}")
    if trim is not None and not trim[0] <= trim[1]:
        raise ValueError(f"trim must be (low, high) with low <= high, got {trim}")

    tr = keyed_lazy(trade, "trade")
    trade_cols = ["firm_id", "year", "ex_p", "ex_o", "mia_p", "mia_o", "m_raw_p"]
    require_columns(tr, "trade", trade_cols)
    tr = tr.select(trade_cols).with_columns(pl.col("firm_id").cast(pl.String))
    check_unique_key(tr, "trade", ["firm_id", "year"])

    need_mi = variant == "dvar1"
    firm_cols = ["firm_id", "year", "cic4", "sales", *(["intermediate_inputs"] if need_mi else [])]
    fm = firm_rows(firms, firm_cols)
    ind = industry_sectors(industries)
    rate = _year_table(national_series, "national_series", "rmb_per_usd")
    delta, delta_key = _delta_table(import_share)

    panel = tr.join(fm, on=["firm_id", "year"], how="left").collect()
    n_input = panel.height
    reasons: list[tuple[str, pl.Expr]] = [("no CIE record", pl.col("_firms_row").is_null())]
    matched = panel.filter(pl.col("_firms_row").is_not_null()).lazy()
    rows_of_firms = "(rows of 'firms')"
    check_rows(
        matched.join(ind, on="cic4", how="left"),
        "firms",
        [(pl.col("io_sector").is_null(), "cic4", "CIC4 code has no IO sector in 'industries'")],
        row_col="_firms_row",
    )
    no_rate = pl.col("rmb_per_usd").is_null() | (pl.col("rmb_per_usd") <= 0)
    check_rows(
        matched.join(rate, on="year", how="left"),
        "national_series",
        [(no_rate, "year", f"no positive RMB/USD rate for these firm-years' year {rows_of_firms}")],
        row_col="_firms_row",
    )
    no_delta = pl.col("delta").is_null() | pl.col("delta").is_nan()
    check_rows(
        matched.join(ind, on="cic4").join(delta, on=delta_key, how="left"),
        "import_share",
        [(no_delta, "io_sector", f"no δ for these firm-years' IO sector (-year) {rows_of_firms}")],
        row_col="_firms_row",
    )

    ex_p, ex_o, y = pl.col("ex_p"), pl.col("ex_o"), pl.col("y_usd")
    ex = ex_p + ex_o
    panel_lf = (
        panel.lazy()
        .join(ind, on="cic4", how="left")
        .join(rate, on="year", how="left")
        .join(delta, on=delta_key, how="left")
        .with_columns(
            (pl.col("sales") * 1000.0 / pl.col("rmb_per_usd")).alias("y_usd"),
            *(
                [(pl.col("intermediate_inputs") * 1000.0 / pl.col("rmb_per_usd")).alias("mi_usd")]
                if need_mi
                else []
            ),
        )
    )
    reasons += [
        ("no regime 10/14/15 exports", ex <= 0),
        ("sales (Y) missing or ≤ 0", y.is_null() | (y <= 0)),
        ("Y − EX_p ≤ 0 (ordinary exports need domestic sales)", (ex_o > 0) & (y - ex_p <= 0)),
    ]
    if need_mi:
        reasons.append(("CIE intermediate inputs (MI) missing (dvar1)", pl.col("mi_usd").is_null()))

    # apply the reasons in order; the first that holds is the one recorded
    reason_expr = pl.lit(None, pl.String)
    for name, cond in reversed(reasons):
        reason_expr = pl.when(cond.fill_null(False)).then(pl.lit(name)).otherwise(reason_expr)
    staged = panel_lf.with_columns(reason_expr.alias("reason")).collect()
    kept = staged.filter(pl.col("reason").is_null()).lazy()
    dvar_frame = _dvar_formulas(kept, variant, foreign_content, constant_foreign_share).collect()

    trim_reason = None
    if trim is not None:
        lo, hi = trim
        trim_reason = f"DVAR outside [{lo:g}, {hi:g}] (trimmed)"
        outside = dvar_frame.filter(~pl.col("dvar").is_between(lo, hi) | pl.col("dvar").is_nan())
        dvar_frame = dvar_frame.filter(pl.col("dvar").is_between(lo, hi))
    else:
        outside = dvar_frame.clear()
    dropped = pl.concat(
        [
            staged.filter(pl.col("reason").is_not_null()).select("firm_id", "year", "reason"),
            outside.select("firm_id", "year", pl.lit(trim_reason, pl.String).alias("reason")),
        ]
    )
    excluded = {name: int((dropped["reason"] == name).sum()) for name, _ in reasons}
    if trim_reason is not None:
        excluded[trim_reason] = outside.height
    flagged = {
        "processing exports without processing intermediate imports": int(
            dvar_frame["no_processing_imports"].sum()
        )
    }
    notes = [f"variant {variant}"]
    if variant == "dvar1":
        notes.append(f"foreign content of domestic inputs scaled by: {foreign_content}")
    if variant == "dvar3":
        notes.append(f"constant foreign share of domestic inputs: {constant_foreign_share}")
    return DVARResult(
        data=like(dvar_frame.sort("firm_id", "year"), trade),
        excluded=excluded,
        flagged=flagged,
        dropped=like(dropped.sort("firm_id", "year"), trade),
        n_input=n_input,
        variant=variant,
        notes=notes,
    )


def _dvar_formulas(
    kept: pl.LazyFrame, variant: str, foreign_content: str, constant: float
) -> pl.LazyFrame:
    """DVAR_p, DVAR_o and DVAR of each firm-year under ``variant`` (see :func:`export_dvar`)."""
    ex_p, ex_o, y = pl.col("ex_p"), pl.col("ex_o"), pl.col("y_usd")
    ex = ex_p + ex_o
    mia_p = pl.col("m_raw_p") if variant == "dvar2" else pl.col("mia_p")
    mia_o = pl.col("mia_o")
    delta = pl.lit(constant) if variant == "dvar3" else pl.col("delta")
    regime = (
        pl.when(ex_o <= 0)
        .then(pl.lit("processing"))
        .when(ex_p <= 0)
        .then(pl.lit("ordinary"))
        .otherwise(pl.lit("mixed"))
    )
    frame = kept.with_columns(
        regime.alias("regime_type"),
        ex.alias("ex"),
        (ex_p / ex).alias("kappa_p"),
        (ex_o / ex).alias("kappa_o"),
        ((ex_p > 0) & (pl.col("m_raw_p") <= 0)).alias("no_processing_imports"),
    )
    if variant == "dvar1":
        delta_f = delta * pl.max_horizontal(pl.col("mi_usd") - pl.col("mia_p") - mia_o, pl.lit(0.0))
        share = pl.lit(1.0) if foreign_content == "firm" else ex / y
        frame = frame.with_columns(delta_f.alias("delta_f"))
        d_f = pl.col("delta_f")
        dvar_p = 1.0 - mia_p / ex_p - share * d_f / ex
        dvar_o_mixed = 1.0 - mia_o / (y - ex_p) - share * d_f / ex
        dvar_o_only = 1.0 - (mia_o + d_f) / y
        dvar_o = pl.when(ex_p > 0).then(dvar_o_mixed).otherwise(dvar_o_only)
    else:
        dvar_p = 1.0 - (mia_p + delta * ex_p) / ex_p
        dvar_o = 1.0 - (mia_o * ex_o / (y - ex_p) + delta * ex_o) / ex_o
    rt = pl.col("regime_type")
    frame = frame.with_columns(
        pl.when(rt != "ordinary").then(dvar_p).alias("dvar_p"),
        pl.when(rt != "processing").then(dvar_o).alias("dvar_o"),
    ).with_columns(
        pl.when(rt == "processing")
        .then(pl.col("dvar_p"))
        .when(rt == "ordinary")
        .then(pl.col("dvar_o"))
        .otherwise(pl.col("kappa_p") * pl.col("dvar_p") + pl.col("kappa_o") * pl.col("dvar_o"))
        .alias("dvar")
    )
    cols = [
        "firm_id", "year", "cic4", "io_sector", "regime_type", "ex", "ex_p", "ex_o", "kappa_p",
        "kappa_o", "mia_p", "mia_o", "m_raw_p", "y_usd", "delta",
        *(["mi_usd", "delta_f"] if variant == "dvar1" else []),
        "dvar_p", "dvar_o", "dvar", "no_processing_imports",
    ]  # fmt: skip
    return frame.select(cols)


def aggregate_dvar(dvar: Any, by: Sequence[str] = ("year",)) -> Any:
    """Export-weighted DVAR of groups (trade_measures.md §1.5 step 9; Kee & Tang 2016):

    DVAR_g = Σ_{i∈g} EX_i · DVAR_i / Σ_{i∈g} EX_i

    ``dvar`` is :attr:`DVARResult.data`; ``by`` any of its columns (year, regime_type,
    io_sector, …). Returns DataFrame(*by, dvar, ex, n_firm_years), like ``dvar``.
    """
    lf = keyed_lazy(dvar, "dvar")
    require_columns(lf, "dvar", [*by, "dvar", "ex"])
    out = (
        lf.group_by(list(by))
        .agg(
            ((pl.col("dvar") * pl.col("ex")).sum() / pl.col("ex").sum()).alias("dvar"),
            pl.col("ex").sum(),
            pl.len().cast(pl.Int64).alias("n_firm_years"),
        )
        .sort(list(by))
        .collect()
    )
    return like(out, dvar)
