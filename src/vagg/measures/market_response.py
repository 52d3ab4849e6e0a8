"""Speed of market response of exporters: NEWDEST, DCHURN, REALLOC, OFFSET, EMERG (paper 003, M4).

Mechanism M4 of study ``resilience_firms`` (spec 003 §4.2; paper §1.4: platforms let firms
track demand by country, adjust their export regions and target new emerging markets) is
measured on the firm's exports by destination (a firm-linked customs frame: firm_id, year,
partner, value_usd; with a ``flow`` column only exports are read):

* :func:`destination_churn` — NEWDEST (destinations added) and DCHURN (value added plus value
  dropped across destinations over average exports);
* :func:`reallocation` — REALLOC, the shift of the firm's destination shares toward
  destinations whose imports (excluding China) grew, in standard-deviation units;
* :func:`offset` — OFFSET, export gains in destinations not hit by a collapse per unit of the
  losses in those hit (:func:`hit_destinations` picks the hit ones from ``world_imports``);
* :func:`emerging_share` — EMERG, the export share of emerging and developing destinations
  first served within the last two years. The default classification is the IMF World
  Economic Outlook's: every economy outside its advanced-economy group
  (:data:`IMF_WEO_ADVANCED`) is emerging or developing.

The years of the data must be consecutive (a year-on-year change across a missing year is an
error naming it). Written here: each indicator is a short aggregation of customs rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from vagg.errors import VaggError
from vagg.measures._firm_trade import (
    FirmMeasure,
    data_years,
    firm_trade,
    output,
    require_consecutive,
    require_years,
    world_imports_checked,
)

__all__ = [
    "IMF_WEO_ADVANCED",
    "destination_churn",
    "emerging_share",
    "hit_destinations",
    "offset",
    "reallocation",
]

IMF_WEO_ADVANCED: tuple[str, ...] = (
    "AND", "AUS", "AUT", "BEL", "CAN", "CHE", "CYP", "CZE", "DEU", "DNK", "ESP", "EST", "FIN",
    "FRA", "GBR", "GRC", "HKG", "HRV", "IRL", "ISL", "ISR", "ITA", "JPN", "KOR", "LTU", "LUX",
    "LVA", "MAC", "MLT", "NLD", "NOR", "NZL", "PRI", "PRT", "SGP", "SMR", "SVK", "SVN", "SWE",
    "TWN", "USA",
)  # fmt: skip
"""The 41 advanced economies of the IMF *World Economic Outlook* (April 2024, Statistical
Appendix, "Classification of economies"), as ISO 3166 alpha-3 codes. The group has grown since
the 2008–09 collapse (e.g. Latvia, Lithuania, Croatia and Andorra joined later); pass the
list of the WEO vintage you need as ``advanced`` to :func:`emerging_share`."""


def _exports(trade: Any) -> tuple[pl.LazyFrame, list[int]]:
    ex = firm_trade(trade, "trade", flow="export", partners=True)
    years = data_years(ex)
    require_consecutive(years, "trade")
    cells = (
        ex.group_by("firm_id", "year", pl.col("partner").alias("destination"))
        .agg(pl.col("value_usd").sum().alias("x"))
        .filter(pl.col("x") > 0)
    )
    return cells, years


def _with_lag(cells: pl.LazyFrame, years: list[int]) -> pl.LazyFrame:
    """(firm_id, year, destination, x, x_lag) for t after the first year, zeros filled."""
    lag = cells.select(
        "firm_id", (pl.col("year") + 1).alias("year"), "destination", pl.col("x").alias("x_lag")
    ).filter(pl.col("year") <= max(years))
    key = ["firm_id", "year", "destination"]
    return (
        cells.join(lag, on=key, how="full", coalesce=True)
        .filter(pl.col("year") > min(years))
        .with_columns(pl.col("x", "x_lag").fill_null(0.0))
    )


def destination_churn(trade: Any) -> FirmMeasure:
    """NEWDEST and DCHURN: destinations added and the churn of export value across them.

    NEWDEST_ft = #{d: X_fdt > 0, X_fd,t−1 = 0}
    DROPDEST_ft = #{d: X_fdt = 0, X_fd,t−1 > 0}
    DCHURN_ft = (Σ_{d added} X_fdt + Σ_{d dropped} X_fd,t−1) / ((X_ft + X_f,t−1)/2)

    One row per firm and year t after the first year of the data with exports in t or t − 1
    (an entry has DCHURN = 2, as does an exit). Spec 003 §4.2 M4 (NEWDEST, DCHURN); the
    churning of Bernard, Redding & Schott (2010) applied to destinations.
    ``counts["first_year"]`` counts the firms of the first year (no t − 1).

    Returns :class:`FirmMeasure` with table (firm_id, year, exports, exports_lag, NEWDEST,
    DROPDEST, DCHURN).
    """
    cells, years = _exports(trade)
    if not years:
        raise VaggError("table 'trade': no export rows")
    lagged = _with_lag(cells, years)
    added = (pl.col("x") > 0) & (pl.col("x_lag") == 0)
    dropped = (pl.col("x") == 0) & (pl.col("x_lag") > 0)
    out = (
        lagged.group_by("firm_id", "year")
        .agg(
            pl.col("x").sum().alias("exports"),
            pl.col("x_lag").sum().alias("exports_lag"),
            added.sum().cast(pl.Int64).alias("NEWDEST"),
            dropped.sum().cast(pl.Int64).alias("DROPDEST"),
            (pl.col("x").filter(added).sum() + pl.col("x_lag").filter(dropped).sum()).alias(
                "_churn"
            ),
        )
        .with_columns(
            (pl.col("_churn") / ((pl.col("exports") + pl.col("exports_lag")) / 2)).alias("DCHURN")
        )
        .drop("_churn")
        .sort("firm_id", "year")
        .collect()
    )
    first = cells.filter(pl.col("year") == min(years)).select(pl.col("firm_id").n_unique())
    return FirmMeasure(output(out, trade), {"first_year": int(first.collect().item())}, {})


def _destination_growth(wi: pl.LazyFrame) -> pl.LazyFrame:
    """ĝ_dt = ln M_dt − ln M_d,t−1 with M_dt = Σ_h imports (destinations with M > 0 both years)."""
    total = (
        wi.group_by("destination", "year")
        .agg(pl.col("imports_usd").sum().alias("m"))
        .filter(pl.col("m") > 0)
    )
    lag = total.select("destination", (pl.col("year") + 1).alias("year"), pl.col("m").alias("m0"))
    return total.join(lag, on=["destination", "year"], how="inner").select(
        "destination", "year", (pl.col("m").log() - pl.col("m0").log()).alias("g")
    )


def reallocation(trade: Any, world_imports: Any, *, ddof: int = 1) -> FirmMeasure:
    """REALLOC: the shift of a firm's export shares toward destinations whose imports grew.

    REALLOC_ft = Σ_d (s_fdt − s_fd,t−1) · z(ĝ_dt),
    ĝ_dt = ln M_dt − ln M_d,t−1,  z(ĝ_dt) = (ĝ_dt − mean_d ĝ_t) / sd_d(ĝ_t)

    with s the firm's destination shares of exports, M_dt = Σ_h imports_usd the destination's
    imports from the world excluding China (``world_imports``), and z standardised across the
    destinations with ĝ in year t (standard deviation with ``ddof``). Positive values mean
    the firm moved toward growing markets. Spec 003 §4.2 M4 (REALLOC).

    One row per firm-year with exports in both t and t − 1. Destinations of the firm without
    ĝ (no imports in t or t − 1) contribute nothing and are counted
    (``counts["cells_without_growth"]``, firm × destination × year). Years of the firm-years
    without any world-import rows (t or t − 1) are an error naming them.

    Returns :class:`FirmMeasure` with table (firm_id, year, REALLOC, n_destinations,
    n_destinations_covered).
    """
    cells, years = _exports(trade)
    wi = world_imports_checked(world_imports)
    lagged = _with_lag(cells, years)
    both = lagged.with_columns(
        pl.col("x").sum().over("firm_id", "year").alias("_xt"),
        pl.col("x_lag").sum().over("firm_id", "year").alias("_x0"),
    ).filter((pl.col("_xt") > 0) & (pl.col("_x0") > 0))
    used = data_years(both)
    require_years(
        data_years(wi), sorted({*used, *(t - 1 for t in used)}), "world_imports", "REALLOC"
    )
    g = _destination_growth(wi)
    z = g.with_columns(
        (
            (pl.col("g") - pl.col("g").mean().over("year")) / pl.col("g").std(ddof).over("year")
        ).alias("z")
    ).select("destination", "year", "z")
    ds = (pl.col("x") / pl.col("_xt")) - (pl.col("x_lag") / pl.col("_x0"))
    joined = both.join(z, on=["destination", "year"], how="left")
    out = (
        joined.group_by("firm_id", "year")
        .agg(
            (ds * pl.col("z")).filter(pl.col("z").is_not_null()).sum().alias("REALLOC"),
            pl.len().cast(pl.Int64).alias("n_destinations"),
            pl.col("z").is_not_null().sum().cast(pl.Int64).alias("n_destinations_covered"),
        )
        .sort("firm_id", "year")
        .collect()
    )
    n_missing = int((out["n_destinations"] - out["n_destinations_covered"]).sum())
    return FirmMeasure(output(out, trade), {"cells_without_growth": n_missing}, {"ddof": ddof})


def hit_destinations(
    world_imports: Any, *, start: int = 2008, end: int = 2009, threshold: float = 0.0
) -> list[str]:
    """The destinations hit by a collapse: ln M_d,end − ln M_d,start < ``threshold``, with
    M_dt = Σ_h imports_usd (imports from the world excluding China, ``world_imports``).
    Destinations without positive imports in both years are not classified. The hit set of
    :func:`offset` (spec 003 §4.2 M4). Either year without rows is an error naming it."""
    wi = world_imports_checked(world_imports)
    require_years(data_years(wi), [start, end], "world_imports", "the hit destinations")
    m = wi.group_by("destination", "year").agg(pl.col("imports_usd").sum().alias("m"))
    m0 = m.filter(pl.col("year") == start).select("destination", pl.col("m").alias("m0"))
    m1 = m.filter(pl.col("year") == end).select("destination", "m")
    g = (
        m1.join(m0, on="destination")
        .filter((pl.col("m") > 0) & (pl.col("m0") > 0))
        .select("destination", (pl.col("m").log() - pl.col("m0").log()).alias("g"))
    )
    hit = g.filter(pl.col("g") < threshold).select("destination").collect()
    return sorted(hit["destination"].to_list())


def offset(trade: Any, hit: Sequence[str], *, start: int = 2008, end: int = 2009) -> FirmMeasure:
    """OFFSET: export gains in destinations not hit per unit of losses in the hit ones.

    OFFSET_f = Σ_{d ∉ H} max(0, ΔX_fd) / Σ_{d ∈ H} |min(0, ΔX_fd)|,  ΔX_fd = X_fd,end − X_fd,start

    with H the hit destinations (``hit``, ISO3 codes, e.g. from :func:`hit_destinations`).
    OFFSET = 1: the firm made up its losses in hit markets elsewhere. Spec 003 §4.2 M4
    (OFFSET, 2008→2009). Firms with no loss in hit destinations have no OFFSET
    (``counts["no_loss_in_hit"]``). ``start`` or ``end`` without trade rows is an error
    naming it.

    Returns :class:`FirmMeasure` with table (firm_id, gain_not_hit, loss_hit, OFFSET).
    """
    hit = [str(h) for h in hit]
    if not hit:
        raise VaggError("argument 'hit': give at least one hit destination")
    ex = firm_trade(trade, "trade", flow="export", partners=True)
    require_years(data_years(ex), [start, end], "trade", f"OFFSET {start}→{end}")
    x = ex.filter(pl.col("year").is_in([start, end]))
    by = x.group_by("firm_id", pl.col("partner").alias("destination")).agg(
        (pl.col("value_usd").filter(pl.col("year") == end).sum()
         - pl.col("value_usd").filter(pl.col("year") == start).sum()).alias("dx")
    )  # fmt: skip
    is_hit = pl.col("destination").is_in(hit)
    firm = (
        by.group_by("firm_id")
        .agg(
            pl.col("dx").filter(~is_hit).clip(lower_bound=0).sum().alias("gain_not_hit"),
            (-pl.col("dx").filter(is_hit)).clip(lower_bound=0).sum().alias("loss_hit"),
        )
        .sort("firm_id")
        .collect()
    )
    n_out = int((firm["loss_hit"] <= 0).sum())
    out = firm.filter(pl.col("loss_hit") > 0).with_columns(
        (pl.col("gain_not_hit") / pl.col("loss_hit")).alias("OFFSET")
    )
    options = {"start": start, "end": end, "hit": sorted(hit)}
    return FirmMeasure(output(out, trade), {"no_loss_in_hit": n_out}, options)


def emerging_share(
    trade: Any,
    *,
    window: int = 2,
    emerging: Sequence[str] | None = None,
    advanced: Sequence[str] = IMF_WEO_ADVANCED,
) -> FirmMeasure:
    """EMERG: the export share of emerging or developing destinations first served recently.

    EMERG_ft = Σ_{d ∈ E, t − window < first_fd ≤ t} X_fdt / X_ft

    with first_fd the first year the firm exported to d and E the emerging and developing
    destinations: ``emerging`` when given, else every destination outside ``advanced`` (the
    IMF WEO advanced economies, :data:`IMF_WEO_ADVANCED`) and other than China. With the
    default ``window=2``, "first served within the last 2 years" is first_fd ∈ {t − 1, t}.
    Spec 003 §4.2 M4 (EMERG; paper §1.4, "target new emerging markets").

    A destination first seen in the first year of the data may have been served before, so
    firm-years t < first year + ``window`` are left out (``counts["left_censored"]``).

    Returns :class:`FirmMeasure` with table (firm_id, year, exports, new_emerging_exports,
    EMERG), one row per firm-year with exports.
    """
    if window < 1:
        raise VaggError(f"argument 'window': must be at least 1, got {window!r}")
    cells, years = _exports(trade)
    if emerging is not None:
        in_e = pl.col("destination").is_in([str(d) for d in emerging])
    else:
        rich = [str(d) for d in advanced]
        in_e = ~pl.col("destination").is_in([*rich, "CHN"])
    first = pl.col("year").min().over("firm_id", "destination")
    new = (first > pl.col("year") - window) & in_e
    start = (min(years) if years else 0) + window
    firm_years = (
        cells.with_columns(new.alias("_new"))
        .group_by("firm_id", "year")
        .agg(
            pl.col("x").sum().alias("exports"),
            pl.col("x").filter(pl.col("_new")).sum().alias("new_emerging_exports"),
        )
        .with_columns((pl.col("new_emerging_exports") / pl.col("exports")).alias("EMERG"))
        .sort("firm_id", "year")
        .collect()
    )
    n_censored = int((firm_years["year"] < start).sum())
    out = firm_years.filter(pl.col("year") >= start)
    options = {"window": window, "emerging": None if emerging is None else sorted(emerging)}
    return FirmMeasure(output(out, trade), {"left_censored": n_censored}, options)
