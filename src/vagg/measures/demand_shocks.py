"""Firm-specific foreign demand shocks from lagged export shares (paper 003, spec §2 shock (ii)).

The panel shock design of study ``resilience_firms`` (spec 003 §4.1 (B2)) needs, for every
exporter and year, a shift-share foreign demand shock

    FD_ft = Σ_{d,h} w_fdh,t−1 · Δ ln M^{−CHN}_dh,t,
    w_fdh,t−1 = X_fdh,t−1 / X_f,t−1,

with X_fdh,t−1 the firm's exports of HS6 product h to destination d in t − 1 and M^{−CHN}_dh,t
destination d's imports of h from the world excluding China (table ``world_imports``:
destination, hs6, year, imports_usd, BACI-like), and its two halves LOSS_ft = max(0, −FD_ft)
and GAIN_ft = max(0, FD_ft). Hummels, Jørgensen, Munch & Xiang (2014, *AER* 104(6)) build the
same firm-level world-demand shock from lagged firm export shares; Mayer, Melitz & Ottaviano
(2021) and Aghion et al. (2022) use it for French exporters.

**No future information.** The weights are the firm's shares of t − 1 only; nothing of year t
(or later) trade enters FD_t, so the shock is predetermined with respect to the firm's year-t
choices (tested: changing year-t exports leaves FD_t unchanged).

**Missing and zero world imports.** A (d, h) cell of the firm's t − 1 exports has no log change
when ``world_imports`` has no row (or a null) for it in t − 1 or t (``missing``) or a zero value
in either year (``zero``: the log is undefined). Such cells are counted and, by default, add
nothing to FD (their weight stays in the denominator: ``missing="drop"``); with
``missing="renormalise"`` FD is the mean over the covered cells, Σ_ok w·Δln M / Σ_ok w. Each
row reports ``covered_share`` = Σ_ok w, so a user can drop badly covered firm-years. Exports
to China itself (re-imports) are never covered, since the import data exclude China.

:func:`collapse_exposure` applies the same formula to one base-year mix and one pair of years:
the exposure of the firm's 2007 destination × HS6 mix to the 2008→2009 import collapse (an
export-specific control of spec 003 §2).

Written here: no Python package builds firm-level shift-share demand shocks from customs
records; the formula is one join, and the accounting of uncovered cells is the part that matters.
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from vagg.measures._firm_trade import (
    FirmMeasure,
    check_option,
    data_years,
    firm_trade,
    output,
    require_years,
    world_imports_checked,
)

__all__ = ["collapse_exposure", "export_shares", "foreign_demand_shocks"]

Missing = Literal["drop", "renormalise"]
_KEY = ["destination", "hs6"]


def export_shares(trade: Any) -> Any:
    """Each firm's export shares by destination × HS6 and year.

    w_fdh,t = X_fdh,t / Σ_{d',h'} X_fd'h',t

    over the export rows of ``trade`` (firm_id, year, partner, hs6 or hs8, value_usd; rows of
    one cell summed; cells with zero value left out). The weights of the shift-share shock
    FD (Hummels et al. 2014). Returns DataFrame(firm_id, year, destination, hs6, exports,
    share), like ``trade``.
    """
    out = _shares(firm_trade(trade, "trade", flow="export", products=True, partners=True))
    return output(out.sort("firm_id", "year", "destination", "hs6").collect(), trade)


def _shares(ex: pl.LazyFrame) -> pl.LazyFrame:
    cells = (
        ex.group_by("firm_id", "year", pl.col("partner").alias("destination"), "hs6")
        .agg(pl.col("value_usd").sum().alias("exports"))
        .filter(pl.col("exports") > 0)
    )
    total = pl.col("exports").sum().over("firm_id", "year")
    return cells.with_columns((pl.col("exports") / total).alias("share"))


def _apply(
    weights: pl.LazyFrame,
    m0: pl.LazyFrame,
    m1: pl.LazyFrame,
    key: list[str],
    join: list[str],
    missing: Missing,
    name: str,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Σ w·(ln M1 − ln M0) by ``key``; weights (key…, destination, hs6, share), the import
    levels joined on ``join``."""
    # the log change of every import cell first (a small table), then one join to the weights
    m_0, m_1 = pl.col("_m0"), pl.col("_m1")
    code = (
        pl.when(m_0.is_null() | m_1.is_null())
        .then(pl.lit(1, pl.Int8))
        .when((m_0 == 0) | (m_1 == 0))
        .then(pl.lit(2, pl.Int8))
        .otherwise(pl.lit(0, pl.Int8))
    )
    changes = (
        m0.join(m1, on=join, how="full", coalesce=True)
        .with_columns(code.alias("_code"))
        .with_columns(pl.when(pl.col("_code") == 0).then(m_1.log() - m_0.log()).alias("_dln"))
        .select(*join, "_code", "_dln")
    )
    cells = weights.join(changes, on=join, how="left").with_columns(pl.col("_code").fill_null(1))
    ok = pl.col("_code") == 0
    agg = (
        cells.with_columns(
            (pl.col("share") * pl.col("_dln")).fill_null(0.0).alias("_c"),
            pl.when(ok).then(pl.col("share")).otherwise(0.0).alias("_w"),
        )
        .group_by(key)
        .agg(
            pl.col("_c").sum().alias("_num"),
            pl.col("_w").sum().alias("covered_share"),
            pl.len().cast(pl.Int64).alias("n_cells"),
            ok.sum().cast(pl.Int64).alias("n_cells_covered"),
            (pl.col("_code") == 1).sum().alias("_n_missing"),
            (pl.col("_code") == 2).sum().alias("_n_zero"),
        )
        .collect()
    )
    covered = pl.col("n_cells_covered") > 0
    value = pl.col("_num") if missing == "drop" else pl.col("_num") / pl.col("covered_share")
    agg = agg.with_columns(pl.when(covered).then(value).otherwise(None).alias(name))
    counts = {
        "cells_missing_world_imports": int(agg["_n_missing"].sum()),
        "cells_zero_world_imports": int(agg["_n_zero"].sum()),
        "units_without_covered_cells": int((agg["n_cells_covered"] == 0).sum()),
    }
    return agg.drop("_num", "_n_missing", "_n_zero"), counts


def _imports(wi: pl.LazyFrame, name: str, shift: int = 0) -> pl.LazyFrame:
    return wi.select(
        "destination",
        "hs6",
        (pl.col("year") + shift).alias("year"),
        pl.col("imports_usd").alias(name),
    )


def foreign_demand_shocks(
    trade: Any,
    world_imports: Any,
    *,
    years: list[int] | None = None,
    missing: Missing = "drop",
) -> FirmMeasure:
    """FD_ft = Σ_{d,h} w_fdh,t−1 Δ ln M^{−CHN}_dh,t, with LOSS = max(0, −FD), GAIN = max(0, FD).

    w_fdh,t−1 = X_fdh,t−1 / X_f,t−1 are the firm's export shares of t − 1 (export rows of
    ``trade``: firm_id, year, partner, hs6 or hs8, value_usd) and Δ ln M^{−CHN}_dh,t =
    ln M_dh,t − ln M_dh,t−1 the change in destination d's imports of h from the world excluding
    China (``world_imports``: destination, hs6, year, imports_usd). Spec 003 §2 shock (ii) and
    §4.1 (B2) (Loss_ft, Gain_ft); Hummels, Jørgensen, Munch & Xiang (2014).

    One row per firm exporting in t − 1 and year t of ``years`` (default: every t with
    exports in t − 1 and world imports in t − 1 and t). A year of ``years`` whose t − 1 has
    no trade rows, or whose t or t − 1 has no world-import rows, is an error naming it.
    Cells without a log change (no row, null or zero imports) are counted in ``counts``
    (``cells_missing_world_imports``, ``cells_zero_world_imports``) and treated by
    ``missing`` (module docstring); a firm-year with no covered cell has FD null
    (``units_without_covered_cells``).

    Returns :class:`FirmMeasure` with table (firm_id, year, FD, LOSS, GAIN, covered_share,
    n_cells, n_cells_covered).
    """
    check_option("missing", missing, ["drop", "renormalise"])
    ex = firm_trade(trade, "trade", flow="export", products=True, partners=True)
    wi = world_imports_checked(world_imports)
    trade_years, wi_years = data_years(ex), data_years(wi)
    if years is None:
        years = [t for t in wi_years if t - 1 in trade_years and t - 1 in wi_years]
    else:
        years = [int(t) for t in years]
        require_years(trade_years, [t - 1 for t in years], "trade", "the lagged export shares")
        need = sorted({*years, *(t - 1 for t in years)})
        require_years(wi_years, need, "world_imports", "the import changes")
    weights = (
        _shares(ex)
        .filter(pl.col("year").is_in([t - 1 for t in years]))
        .with_columns(pl.col("year") + 1)
        .select("firm_id", "year", "destination", "hs6", "share")
    )
    table, counts = _apply(
        weights,
        _imports(wi, "_m0", shift=1),
        _imports(wi, "_m1"),
        ["firm_id", "year"],
        ["year", *_KEY],
        missing,
        "FD",
    )
    fd = pl.col("FD")
    table = (
        table.with_columns(
            pl.when(fd < 0).then(-fd).otherwise(0.0).alias("LOSS"),
            pl.when(fd > 0).then(fd).otherwise(0.0).alias("GAIN"),
        )
        .with_columns(
            pl.when(fd.is_null()).then(None).otherwise(pl.col(c)).alias(c) for c in ("LOSS", "GAIN")
        )
        .select(
            "firm_id", "year", "FD", "LOSS", "GAIN", "covered_share", "n_cells", "n_cells_covered"
        )
        .sort("firm_id", "year")
    )
    return FirmMeasure(output(table, trade), counts, {"years": years, "missing": missing})


def collapse_exposure(
    trade: Any,
    world_imports: Any,
    *,
    base: int = 2007,
    pre: int = 2008,
    trough: int = 2009,
    missing: Missing = "drop",
) -> FirmMeasure:
    """The exposure of the firm's base-year export mix to the collapse in world imports.

    EXPOSURE_f = Σ_{d,h} w_fdh,base · (ln M^{−CHN}_dh,trough − ln M^{−CHN}_dh,pre)

    with w the firm's export shares by destination × HS6 in ``base`` (2007) and M the
    destination's imports from the world excluding China in ``pre`` (2008) and ``trough``
    (2009). Negative values mean the firm's markets collapsed more. Spec 003 §2 (the firm's
    shock exposure, "2007 destination × HS6 mix × destination import collapse"); the
    shift-share construction of Hummels et al. (2014). Uncovered cells as in
    :func:`foreign_demand_shocks`. ``base`` without trade rows, or ``pre``/``trough`` without
    world-import rows, is an error naming the year.

    Returns :class:`FirmMeasure` with table (firm_id, EXPOSURE, covered_share, n_cells,
    n_cells_covered), one row per firm exporting in ``base``.
    """
    check_option("missing", missing, ["drop", "renormalise"])
    ex = firm_trade(trade, "trade", flow="export", products=True, partners=True)
    wi = world_imports_checked(world_imports)
    require_years(data_years(ex), [base], "trade", "the base-year export mix")
    require_years(data_years(wi), [pre, trough], "world_imports", "the collapse")
    weights = (
        _shares(ex).filter(pl.col("year") == base).select("firm_id", "destination", "hs6", "share")
    )

    def one(year: int, name: str) -> pl.LazyFrame:
        return wi.filter(pl.col("year") == year).select(
            "destination", "hs6", pl.col("imports_usd").alias(name)
        )

    table, counts = _apply(
        weights, one(pre, "_m0"), one(trough, "_m1"), ["firm_id"], _KEY, missing, "EXPOSURE"
    )
    table = table.select("firm_id", "EXPOSURE", "covered_share", "n_cells", "n_cells_covered").sort(
        "firm_id"
    )
    options = {"base": base, "pre": pre, "trough": trough, "missing": missing}
    return FirmMeasure(output(table, trade), counts, options)
