"""Firm export resilience to a collapse: resistance, recovery, renewal, survival (paper 003).

Spec 003 §3 designs four firm-level outcomes of the 2008–09 trade collapse from the exports of
firm-linked customs rows (``firm_id``, ``year``, ``value_usd``; ``hs6``/``hs8`` and ``partner``
for RENEW), after the resilience definition the paper takes from 任卓然、徐青文、贺灿飞 (2023):
resist, recover, renew.

* :func:`dh_growth` — the Davis–Haltiwanger growth of each firm's exports between two years,
  g = (X1 − X0)/((X1 + X0)/2) ∈ [−2, 2]: an exit is −2, an entry +2, and a firm with no
  exports in either year has no growth (left out and counted). Davis, Haltiwanger & Schuh
  (1996), *Job Creation and Destruction*, ch. 2.
* :func:`relative_growth`, :func:`resistance` (RESIS, 2008→2009), :func:`recovery` (RECOV,
  2009→2011, 2010 as an option) — g_f minus the mean g of the firm's group (CIC2 by default,
  main-product HS2 with :func:`main_hs2`), or Martin's (2012) ratio (g_f − g_ref)/|g_ref|.
* :func:`renewal` (RENEW) — the share of end-year exports in (HS6, destination) pairs not
  exported in the pre-period.
* :func:`survival` (SURV) — 1{X_2009 > 0} among the exporters of 2008.
* :func:`export_growth_panel` — Δ ln X_ft, the dependent variable of the panel shock design
  (spec 003 (B2)).

**Missing firms and missing years.** A firm without export rows in a year exported nothing
that year (an exit is −2, not a missing value). A year with no rows at all in the data is an
error naming it: it is a hole in the data, not a year in which every firm stopped exporting.

**Group benchmark.** The benchmark includes the firm itself (the mean g of its group, as
spec 003 §3 states), so a group is never empty; with ``leave_out=True`` it is the mean over
the *other* firms of the group, and a firm alone in its group has no benchmark. Firms without
a group, in a group smaller than ``min_group_size``, alone in their group under
``leave_out``, or (Martin form) whose benchmark is exactly zero are left out and counted —
never an error, since one such group should not stop the other firms' measures.

Written here: no Python package computes firm-level trade-collapse resilience; each measure
is a few lines of arithmetic and the accounting of the firms left out is the part that matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import polars as pl

from vagg.data.frames import check_rows, check_unique_key, require_columns
from vagg.errors import VaggError
from vagg.measures._firm_trade import (
    FirmMeasure,
    check_option,
    data_years,
    firm_trade,
    output,
    require_consecutive,
    require_years,
)
from vagg.measures.customs import keyed_lazy

__all__ = [
    "cic2_groups",
    "dh_growth",
    "export_growth_panel",
    "main_hs2",
    "recovery",
    "relative_growth",
    "renewal",
    "resistance",
    "survival",
]

Form = Literal["difference", "martin"]


def _firm_year_exports(trade: Any) -> tuple[pl.LazyFrame, list[int]]:
    ex = firm_trade(trade, "trade", flow="export")
    totals = ex.group_by("firm_id", "year").agg(pl.col("value_usd").sum().alias("exports"))
    return totals, data_years(ex)


def _exports_in(totals: pl.LazyFrame, year: int, name: str) -> pl.LazyFrame:
    return totals.filter(pl.col("year") == year).select("firm_id", pl.col("exports").alias(name))


def _growth(totals: pl.LazyFrame, start: int, end: int) -> pl.DataFrame:
    firms = totals.select("firm_id").unique()
    x0, x1 = pl.col("x_start"), pl.col("x_end")
    return (
        firms.join(_exports_in(totals, start, "x_start"), on="firm_id", how="left")
        .join(_exports_in(totals, end, "x_end"), on="firm_id", how="left")
        .with_columns(x0.fill_null(0.0), x1.fill_null(0.0))
        .with_columns(
            pl.when(x0 + x1 > 0).then((x1 - x0) / ((x1 + x0) / 2)).alias("g"),
            pl.when((x0 > 0) & (x1 > 0))
            .then(pl.lit("continuer"))
            .when(x0 > 0)
            .then(pl.lit("exit"))
            .when(x1 > 0)
            .then(pl.lit("entry"))
            .otherwise(pl.lit("none"))
            .alias("status"),
        )
        .sort("firm_id")
        .collect()
    )


def dh_growth(trade: Any, start: int, end: int) -> FirmMeasure:
    """Davis–Haltiwanger export growth of each firm between ``start`` and ``end``.

    g_f = (X_f,end − X_f,start) / ((X_f,end + X_f,start)/2) ∈ [−2, 2]

    with X_ft the sum of the firm's export ``value_usd`` in year t (0 when it has no export
    rows that year): an exit (X_end = 0) is −2, an entry (X_start = 0) +2. Firms of ``trade``
    with no exports in either year have no growth and are left out (``counts["both_zero"]``).
    Spec 003 §3 (the growth convention of RESIS and RECOV); Davis, Haltiwanger & Schuh (1996).

    Either year without any row in ``trade`` is an error naming it.

    Returns :class:`FirmMeasure` with table (firm_id, x_start, x_end, g, status), status one
    of continuer / exit / entry.
    """
    out, both_zero = _dh(trade, start, end)
    return FirmMeasure(output(out, trade), {"both_zero": both_zero}, {"start": start, "end": end})


def _dh(trade: Any, start: int, end: int) -> tuple[pl.DataFrame, int]:
    totals, years = _firm_year_exports(trade)
    require_years(years, [start, end], "trade", f"export growth {start}→{end}")
    out = _growth(totals, start, end)
    both_zero = int((out["status"] == "none").sum())
    return out.filter(pl.col("status") != "none"), both_zero


def _groups(groups: Any, group: str) -> pl.LazyFrame:
    lf = keyed_lazy(groups, "groups")
    require_columns(lf, "groups", ["firm_id", group])
    lf = lf.select(pl.col("firm_id").cast(pl.String), pl.col(group).cast(pl.String))
    check_unique_key(lf, "groups", ["firm_id"])
    return lf


def relative_growth(
    trade: Any,
    groups: Any,
    start: int,
    end: int,
    *,
    group: str = "cic2",
    form: Form = "difference",
    leave_out: bool = False,
    min_group_size: int = 1,
    name: str = "relative_growth",
) -> FirmMeasure:
    """Firm export growth relative to its group's, between ``start`` and ``end``.

    difference (default):  R_f = g_f − ḡ_G(f)
    martin:                R_f = (g_f − ḡ_G(f)) / |ḡ_G(f)|

    g_f the Davis–Haltiwanger growth of :func:`dh_growth` and ḡ_G the unweighted mean g of the
    firms of the firm's group G (column ``group`` of ``groups``, one row per firm: CIC2 by
    default — :func:`cic2_groups` — or the main-product HS2 of :func:`main_hs2`). With
    ``leave_out=True`` the mean is over the group's other firms. Spec 003 §3 (RESIS, RECOV);
    Davis, Haltiwanger & Schuh (1996) for g; Martin (2012, *J. Econ. Geogr.* 12(1)) for the
    ratio form.

    Left out and counted (``counts``): ``both_zero`` (no exports in either year), ``no_group``
    (firm absent from ``groups`` or with a null group), ``small_group`` (fewer than
    ``min_group_size`` firms with a growth), ``empty_benchmark`` (alone in its group under
    ``leave_out``), ``zero_benchmark`` (Martin form, ḡ_G = 0).

    Returns :class:`FirmMeasure` with table (firm_id, <group>, g, g_ref, n_group, <name>).
    """
    check_option("form", form, ["difference", "martin"])
    if min_group_size < 1:
        raise _argument_error("min_group_size", min_group_size, "must be at least 1")
    g, both_zero = _dh(trade, start, end)
    joined = g.lazy().join(_groups(groups, group), on="firm_id", how="left").collect()
    no_group = int(joined[group].null_count())
    grouped = joined.filter(pl.col(group).is_not_null())
    n = pl.len().over(group)
    total = pl.col("g").sum().over(group)
    ref: pl.Expr = total / n
    if leave_out:
        ref = pl.when(n > 1).then((total - pl.col("g")) / (n - 1)).otherwise(None)
    grouped = grouped.with_columns(ref.alias("g_ref"), n.cast(pl.Int64).alias("n_group"))
    small = pl.col("n_group") < min_group_size
    n_small = int(grouped.select(small.sum()).item())
    grouped = grouped.filter(~small)
    n_empty = int(grouped["g_ref"].null_count())
    grouped = grouped.filter(pl.col("g_ref").is_not_null())
    n_zero = 0
    if form == "martin":
        zero = pl.col("g_ref") == 0
        n_zero = int(grouped.select(zero.sum()).item())
        grouped = grouped.filter(~zero)
        value = (pl.col("g") - pl.col("g_ref")) / pl.col("g_ref").abs()
    else:
        value = pl.col("g") - pl.col("g_ref")
    out = grouped.with_columns(value.alias(name)).select(
        "firm_id", group, "g", "g_ref", "n_group", name
    )
    counts = {
        "both_zero": both_zero,
        "no_group": no_group,
        "small_group": n_small,
        "empty_benchmark": n_empty,
        "zero_benchmark": n_zero,
    }
    options = {
        "start": start,
        "end": end,
        "group": group,
        "form": form,
        "leave_out": leave_out,
        "min_group_size": min_group_size,
    }
    return FirmMeasure(output(out.sort("firm_id"), trade), counts, options)


def _argument_error(name: str, value: object, problem: str) -> VaggError:
    return VaggError(f"argument '{name}': {problem}, got {value!r}")


def resistance(
    trade: Any,
    groups: Any,
    *,
    pre: int = 2008,
    trough: int = 2009,
    group: str = "cic2",
    form: Form = "difference",
    leave_out: bool = False,
    min_group_size: int = 1,
) -> FirmMeasure:
    """RESIS: resistance to the collapse, g_f(pre→trough) − ḡ_G (or Martin's ratio).

    RESIS_f = g_f,2008→2009 − mean_{G(f)} g,  g = (X_2009 − X_2008)/((X_2009 + X_2008)/2),

    exit = −2. Spec 003 §3 (RESIS); Davis, Haltiwanger & Schuh (1996); Martin (2012) for
    ``form="martin"``. See :func:`relative_growth` for the arguments and the firms left out;
    the value column is ``RESIS``.
    """
    return relative_growth(
        trade,
        groups,
        pre,
        trough,
        group=group,
        form=form,
        leave_out=leave_out,
        min_group_size=min_group_size,
        name="RESIS",
    )


def recovery(
    trade: Any,
    groups: Any,
    *,
    trough: int = 2009,
    end: int = 2011,
    group: str = "cic2",
    form: Form = "difference",
    leave_out: bool = False,
    min_group_size: int = 1,
) -> FirmMeasure:
    """RECOV: recovery after the trough, g_f(trough→end) − ḡ_G (or Martin's ratio).

    RECOV_f = g_f,2009→2011 − mean_{G(f)} g (``end=2010`` is the spec's option). Spec 003
    §3 (RECOV); Davis, Haltiwanger & Schuh (1996); Martin (2012). See
    :func:`relative_growth`; the value column is ``RECOV``.
    """
    return relative_growth(
        trade,
        groups,
        trough,
        end,
        group=group,
        form=form,
        leave_out=leave_out,
        min_group_size=min_group_size,
        name="RECOV",
    )


def renewal(
    trade: Any, *, pre_years: Sequence[int] = (2005, 2006, 2007), end: int = 2011
) -> FirmMeasure:
    """RENEW: the share of end-year exports in (HS6, destination) pairs new since the pre-period.

    RENEW_f = Σ_{(h,d) ∉ P_f} X_fhd,end / Σ_{(h,d)} X_fhd,end,
    P_f = {(h, d): X_fhd,t > 0 for some t ∈ pre_years}

    over the firm's export rows (``hs6`` or ``hs8``, ``partner``). A firm that did not export
    in the pre-period has RENEW = 1 (``pre_exporter`` false; restrict to pre-period exporters
    for the spec's sample). Firms with pre-period exports but none in ``end`` have no RENEW
    (``counts["no_end_exports"]``). Spec 003 §3 (RENEW, "developing a new growth path",
    任卓然、徐青文、贺灿飞 2023).

    Any of ``pre_years`` or ``end`` without rows in ``trade`` is an error naming it.

    Returns :class:`FirmMeasure` with table (firm_id, exports_end, new_pair_exports,
    pre_exporter, RENEW).
    """
    pre = [int(y) for y in pre_years]
    if not pre or end in pre:
        raise _argument_error(
            "pre_years", tuple(pre_years), "must be non-empty and must not contain 'end'"
        )
    ex = firm_trade(trade, "trade", flow="export", products=True, partners=True)
    require_years(data_years(ex), [*pre, end], "trade", "RENEW")
    cells = ex.filter(pl.col("value_usd") > 0)
    pairs = cells.filter(pl.col("year").is_in(pre)).select("firm_id", "hs6", "partner").unique()
    pairs = pairs.with_columns(pl.lit(True).alias("_old"))
    last = cells.filter(pl.col("year") == end).join(
        pairs, on=["firm_id", "hs6", "partner"], how="left"
    )
    pre_firms = pairs.select("firm_id").unique().with_columns(pl.lit(True).alias("pre_exporter"))
    out = (
        last.group_by("firm_id")
        .agg(
            pl.col("value_usd").sum().alias("exports_end"),
            pl.col("value_usd").filter(pl.col("_old").is_null()).sum().alias("new_pair_exports"),
        )
        .join(pre_firms, on="firm_id", how="left")
        .with_columns(
            pl.col("pre_exporter").fill_null(False),
            (pl.col("new_pair_exports") / pl.col("exports_end")).alias("RENEW"),
        )
        .sort("firm_id")
        .collect()
    )
    n_pre = pre_firms.select(pl.len()).collect().item()
    n_lost = int(n_pre - out["pre_exporter"].sum())
    return FirmMeasure(
        output(out, trade), {"no_end_exports": n_lost}, {"pre_years": pre, "end": end}
    )


def survival(trade: Any, *, pre: int = 2008, trough: int = 2009) -> FirmMeasure:
    """SURV: export survival through the collapse, 1{X_f,trough > 0} for firms with X_f,pre > 0.

    SURV_f = 1{X_f,2009 > 0 | X_f,2008 > 0}. Firms of ``trade`` that did not export in
    ``pre`` are not in the sample (``counts["not_exporting_in_pre"]``). Spec 003 §3 (SURV).
    Either year without rows in ``trade`` is an error naming it.

    Returns :class:`FirmMeasure` with table (firm_id, x_pre, x_trough, SURV) (SURV as 0/1
    integers).
    """
    totals, years = _firm_year_exports(trade)
    require_years(years, [pre, trough], "trade", f"SURV {pre}→{trough}")
    g = _growth(totals, pre, trough)
    n_out = int((g["x_start"] <= 0).sum())
    out = g.filter(pl.col("x_start") > 0).select(
        "firm_id",
        pl.col("x_start").alias("x_pre"),
        pl.col("x_end").alias("x_trough"),
        (pl.col("x_end") > 0).cast(pl.Int64).alias("SURV"),
    )
    return FirmMeasure(
        output(out, trade), {"not_exporting_in_pre": n_out}, {"pre": pre, "trough": trough}
    )


def export_growth_panel(trade: Any) -> FirmMeasure:
    """Δ ln X_ft = ln X_ft − ln X_f,t−1, the outcome of the panel shock design (spec 003 (B2)).

    One row per firm-year with exports X_ft > 0; ``dln_exports`` is null where the firm did
    not export in t − 1 (``counts["entry"]``: entries and re-entries after a year without
    exports; ``counts["first_year"]``: the first year of the data, whose t − 1 is not
    observed). Firm-years with X_f,t−1 > 0 and X_ft = 0 have no row (``counts["exit"]``;
    their growth is the Davis–Haltiwanger −2 of :func:`dh_growth`, not a log change).

    The years of ``trade`` must be consecutive: a calendar year without rows between the
    first and last is an error naming it.

    Returns :class:`FirmMeasure` with table (firm_id, year, exports, dln_exports).
    """
    totals, years = _firm_year_exports(trade)
    require_consecutive(years, "trade")
    x = totals.filter(pl.col("exports") > 0)
    lag = x.select("firm_id", (pl.col("year") + 1).alias("year"), pl.col("exports").alias("_lag"))
    out = (
        x.join(lag, on=["firm_id", "year"], how="left")
        .with_columns((pl.col("exports").log() - pl.col("_lag").log()).alias("dln_exports"))
        .sort("firm_id", "year")
        .collect()
    )
    first = min(years) if years else None
    last = max(years) if years else None
    n_first = int((out["year"] == first).sum())
    n_entry = int((out["dln_exports"].is_null() & (out["year"] != first)).sum())
    exits = (
        lag.filter(pl.col("year") <= last)
        .join(x.select("firm_id", "year"), on=["firm_id", "year"], how="anti")
        .select(pl.len())
        .collect()
        .item()
    )
    counts = {"first_year": n_first, "entry": n_entry, "exit": int(exits)}
    out = out.select("firm_id", "year", "exports", "dln_exports")
    return FirmMeasure(output(out, trade), counts, {"years": years})


def main_hs2(trade: Any, year: int = 2007) -> Any:
    """Each firm's main export HS2 chapter in ``year``: the chapter with the largest export
    value (ties to the lower code) — the alternative benchmark group of RESIS/RECOV
    (spec 003 §3, "main-HS2 group"). Returns DataFrame(firm_id, hs2), like ``trade``."""
    ex = firm_trade(trade, "trade", flow="export", products=True)
    require_years(data_years(ex), [year], "trade", "the main HS2 chapter")
    out = (
        ex.filter(pl.col("year") == year)
        .group_by("firm_id", pl.col("hs6").str.slice(0, 2).alias("hs2"))
        .agg(pl.col("value_usd").sum())
        .sort(["firm_id", "value_usd", "hs2"], descending=[False, True, False])
        .group_by("firm_id", maintain_order=True)
        .first()
        .select("firm_id", "hs2")
        .collect()
    )
    return output(out, trade)


def cic2_groups(firms: Any, year: int = 2007) -> Any:
    """Each CIE firm's two-digit industry (CIC2 = first two digits of ``cic4``) in ``year``,
    the default benchmark group of RESIS/RECOV (spec 003 §3). A firm-year with a missing
    or malformed ``cic4`` is an error naming the row. Returns DataFrame(firm_id, cic2), like
    ``firms``."""
    fm = keyed_lazy(firms, "firms")
    require_columns(fm, "firms", ["firm_id", "year", "cic4"])
    fm = (
        fm.with_row_index("_row")
        .filter(pl.col("year") == year)
        .select("_row", pl.col("firm_id").cast(pl.String), pl.col("cic4").cast(pl.String))
    )
    bad = ~pl.col("cic4").str.contains(r"^\d{4}$").fill_null(False)
    check_rows(fm, "firms", [(bad, "cic4", "missing or not four digits")], row_col="_row")
    check_unique_key(fm, "firms", ["firm_id"])
    out = fm.select("firm_id", pl.col("cic4").str.slice(0, 2).alias("cic2")).sort("firm_id")
    return output(out.collect(), firms)
