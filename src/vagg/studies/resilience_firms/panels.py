"""Derived frames of the study ``resilience_firms`` (paper 003): firm-years, trade, the
2007 cross-section and the panel of the shock design.

:func:`derive` builds, once per run (memoised by :meth:`StudyData.cached`):

* ``firm_years`` — every CIE firm-year with platform membership I_ft, vagg_h / vagg_f /
  vagg_b (paper 000 eq. 7–9, by gross output, employment and fixed assets), their lags,
  the controls of paper 000 §2.3, ownership, region, high-tech flag and the industry
  switchers of paper 000 eq. (10) — :func:`vagg.studies.dvar_firms.panels.firm_years`, the
  same chain as paper 000 (without the production function, which this study does not use);
* ``exports`` / ``imports`` — the customs lines of the CIE firms, linked by
  :func:`vagg.measures.linkage.link_customs` (intermediaries set aside) and attached by
  :func:`vagg.measures.customs.attach_firms`;
* ``cross`` — sample C of spec 003 §2: firms in the CIE in 2007 with positive own exports in
  2007, with the outcomes RESIS, RECOV, RENEW, SURV of spec §3 (and the variants of Table 5)
  and the 2007 regressors, controls and ln X_2007;
* ``shock_panel`` — the firm-years of design (B2): Δ ln X_ft, Loss_ft and Gain_ft of the
  firm's foreign demand shock (:func:`vagg.measures.demand_shocks.foreign_demand_shocks`,
  lagged export shares only), vagg, I and the controls at t − 1 (None when the dataset has
  no ``world_imports``).

Every exclusion is counted with :meth:`StudyData.note_dropped` (it goes to the manifest).
The mechanism indicators are in :mod:`vagg.studies.resilience_firms.mechanisms`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from vagg.measures.customs import attach_firms
from vagg.measures.demand_shocks import collapse_exposure, foreign_demand_shocks
from vagg.measures.export_resilience import (
    Form,
    cic2_groups,
    export_growth_panel,
    main_hs2,
    recovery,
    renewal,
    resistance,
    survival,
)
from vagg.studies.data import StudyData
from vagg.studies.dvar_firms.panels import VAGG, firm_years, linkage
from vagg.studies.errors import StudyError

__all__ = [
    "BASE_YEAR",
    "CONTROLS",
    "OUTCOMES",
    "VAGG",
    "cross_section",
    "derive",
    "panel",
    "party_links",
    "shock_panel",
    "trade_lines",
]

#: The pre-shock year of the cross-section (spec 003 §2: "exporters in the pre-shock year").
BASE_YEAR = 2007
#: Controls of spec 003 §2 (paper 000 §2.3); the cross-section adds ln X_2007 (``lnx07``).
CONTROLS: tuple[str, ...] = ("age", "size", "cl", "debt", "herfind")
#: The four resilience outcomes of spec 003 §3.
OUTCOMES: tuple[str, ...] = ("RESIS", "RECOV", "RENEW", "SURV")
_KEYS = ["firm_id", "year"]


def panel(data: StudyData) -> dict[str, Any]:
    """The derived frames (:func:`derive`, cached)."""
    return data.cached("resilience_firms_panels", derive)


def _no_markups() -> pl.DataFrame:
    """An empty markup frame: :func:`firm_years` joins markups, which this study does not use."""
    return pl.DataFrame(
        schema={
            "firm_id": pl.String,
            "year": pl.Int64,
            "markup": pl.Float64,
            "log_markup": pl.Float64,
            "tfp": pl.Float64,
            "markup_status": pl.String,
        }
    )


def party_links(links: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Customs parties → CIE firms for every year of the party's trade.

    :func:`vagg.measures.linkage.link_customs` links party-years to CIE firm-years, so a
    firm's exports vanish in a year it is missing from the CIE (below the scale threshold)
    although its customs code still trades. Resilience is about the firm's exports, not about
    its presence in the CIE: a firm of sample C that leaves the CIE in 2008 would show
    X_2008 = 0 and a Davis–Haltiwanger growth of +2 into 2009, and every import pair of 2009
    would look new (SWITCH = 1). A party linked to one CIE firm in all the years it was linked
    therefore keeps that firm in every year (first frame: party_id, firm_id); a party linked
    to several firms keeps its year-by-year links (second frame: party_id, year, firm_id)."""
    per_party = links.group_by("party_id").agg(pl.col("firm_id").n_unique().alias("_n"))
    single = per_party.filter(pl.col("_n") == 1).select("party_id")
    always = links.join(single, on="party_id", how="semi").select("party_id", "firm_id").unique()
    yearly = links.join(single, on="party_id", how="anti").select("party_id", "year", "firm_id")
    return always, yearly


def trade_lines(data: StudyData, links: dict[str, Any]) -> pl.DataFrame:
    """Customs lines of CIE firms (``firm_id`` attached by :func:`party_links`, every year of
    a linked party; party-years not linked are counted by
    :func:`vagg.studies.dvar_firms.panels.linkage`)."""
    customs = data.table("customs")
    always, yearly = party_links(pl.DataFrame(links["customs_links"]))
    lines = pl.concat(
        [
            attach_firms(customs.lazy(), always).collect(),
            attach_firms(customs.lazy(), yearly).collect(),
        ],
        how="diagonal_relaxed",
    )
    data.note_dropped(
        "customs lines of parties not linked to a CIE firm",
        {"not linked": customs.height - lines.height},
        n_input=customs.height,
    )
    return lines.with_columns(pl.col("hs8").str.slice(0, 6).alias("hs6"))


def _frame(measure: Any) -> pl.DataFrame:
    table = measure.table
    return table if isinstance(table, pl.DataFrame) else pl.from_pandas(table)


def _note(data: StudyData, stage: str, measure: Any, n_input: int) -> None:
    data.note_dropped(stage, {k: int(v) for k, v in measure.counts.items()}, n_input=n_input)


def cross_section(data: StudyData, frame: pl.DataFrame, exports: pl.DataFrame) -> pl.DataFrame:
    """Sample C with its outcomes (spec 003 §3) and 2007 regressors.

    RESIS = g_f(2008→2009) − ḡ of the firm's CIC2 in 2007 (Davis–Haltiwanger growth, exit −2),
    RECOV the same for 2009 → ``recovery_end`` (option), RENEW the share of 2011 exports in
    (HS6, destination) pairs new since 2005–2007, SURV = 1{X_2009 > 0 | X_2008 > 0}; the
    benchmark is the mean over sample C (the group mean is absorbed by the CIC4 effects of
    the regressions; it matters for Martin's ratio). Also for Table 5: ``RESIS_martin``,
    ``RECOV_martin`` (option ``growth_form`` flips the default), ``RESIS_hs2`` (main-HS2
    benchmark), ``RECOV_2010`` / ``RECOV_2011``, ``RESIS_log`` (Δ ln X of survivors minus the
    CIC2 mean) and ``EXPOSURE`` (the 2007 mix × the 2008→2009 destination collapse)."""
    base = frame.filter(pl.col("year") == BASE_YEAR)
    x07 = (
        exports.filter(pl.col("year") == BASE_YEAR)
        .group_by("firm_id")
        .agg(pl.col("value_usd").sum().alias("x07"))
    )
    sample = base.join(x07, on="firm_id", how="left")
    kept = sample.filter(pl.col("x07") > 0)
    data.note_dropped(
        "sample C: CIE firms of 2007 without own exports in 2007",
        {"no 2007 exports": sample.height - kept.height},
        n_input=sample.height,
    )
    c = kept.with_columns(pl.col("x07").log().alias("lnx07"))
    ids = c.select("firm_id")
    trade = exports.join(ids, on="firm_id", how="semi")
    groups = cic2_groups(data.table("firms"), BASE_YEAR).join(ids, on="firm_id", how="semi")
    form: Form = "martin" if data.option("growth_form") == "martin" else "difference"
    other: Form = "martin" if form == "difference" else "difference"
    end = data.option("recovery_end")
    pieces: list[tuple[str, Any, str]] = [
        ("RESIS", resistance(trade, groups, form=form), "RESIS"),
        ("RECOV", recovery(trade, groups, form=form, end=end), "RECOV"),
        (f"RESIS_{other}", resistance(trade, groups, form=other), "RESIS"),
        (f"RECOV_{other}", recovery(trade, groups, form=other, end=end), "RECOV"),
        ("RECOV_2010", recovery(trade, groups, form=form, end=2010), "RECOV"),
        ("RECOV_2011", recovery(trade, groups, form=form, end=2011), "RECOV"),
        ("RESIS_hs2", resistance(trade, main_hs2(trade, BASE_YEAR), group="hs2", form=form),
         "RESIS"),
        ("RENEW", renewal(trade), "RENEW"),
        ("SURV", survival(trade), "SURV"),
    ]  # fmt: skip
    for name, measure, column in pieces:
        _note(data, f"cross-section {name}", measure, c.height)
        values = _frame(measure).select("firm_id", pl.col(column).alias(name))
        c = c.join(values, on="firm_id", how="left")
    if world_imports_available(data):
        exposure = collapse_exposure(trade, data.table("world_imports"))
        _note(data, "cross-section EXPOSURE", exposure, c.height)
        c = c.join(_frame(exposure).select("firm_id", "EXPOSURE"), on="firm_id", how="left")
    return _log_resistance(data, trade, c).sort("firm_id")


def _log_resistance(data: StudyData, trade: pl.DataFrame, c: pl.DataFrame) -> pl.DataFrame:
    """``RESIS_log``: Δ ln X 2008→2009 (:func:`export_growth_panel`; firms exporting in both
    years, exits left out) minus its mean over the firm's CIC2 — Table 5's log-growth
    definition beside the Davis–Haltiwanger one."""
    growth = export_growth_panel(trade)
    _note(data, "cross-section RESIS_log", growth, c.height)
    g = (
        _frame(growth)
        .filter(pl.col("year") == 2009)
        .select("firm_id", pl.col("dln_exports").alias("dlnx"))
    )
    out = c.with_columns(pl.col("cic4").str.slice(0, 2).alias("cic2")).join(
        g, on="firm_id", how="left"
    )
    return out.with_columns(
        (pl.col("dlnx") - pl.col("dlnx").mean().over("cic2")).alias("RESIS_log")
    ).drop("dlnx")


def world_imports_available(data: StudyData) -> bool:
    """Whether the dataset holds the ``world_imports`` table (the demand shocks need it)."""
    return data.has_table("world_imports")


def shock_panel(data: StudyData, frame: pl.DataFrame, exports: pl.DataFrame) -> pl.DataFrame:
    """Design (B2): CIE firm-years t whose firm is in the CIE in t − 1 and exports in t − 1
    and t, with Δ ln X_ft, FD_ft, Loss = max(0, −FD), Gain = max(0, FD), and vagg, I and the
    controls of t − 1 (suffix ``_l``); ``jt`` = CIC4 × year and ``pt`` = province × year."""
    growth = export_growth_panel(exports)
    _note(data, "panel (B2): Δ ln X", growth, exports.select("firm_id", "year").n_unique())
    shocks = foreign_demand_shocks(
        exports, data.table("world_imports"), missing=data.option("fd_missing")
    )
    _note(data, "panel (B2): foreign demand shocks", shocks, growth.table.shape[0])
    lagged = frame.select(
        "firm_id",
        (pl.col("year") + 1).alias("year"),
        pl.col("cic4").alias("cic4_l"),
        pl.col("city_code").str.slice(0, 2).alias("province_l"),
        *(pl.col(c).alias(f"{c}_l") for c in (*VAGG, "member", *CONTROLS)),
    )
    out = (
        frame.select(*_KEYS)
        .join(lagged, on=_KEYS)
        .join(_frame(growth).select(*_KEYS, pl.col("dln_exports").alias("dlnx")), on=_KEYS)
        .join(_frame(shocks).select(*_KEYS, "FD", "LOSS", "GAIN"), on=_KEYS)
    )
    return out.with_columns(
        pl.concat_str("cic4_l", pl.lit("_"), pl.col("year").cast(pl.String)).alias("jt"),
        pl.concat_str("province_l", pl.lit("_"), pl.col("year").cast(pl.String)).alias("pt"),
    ).sort(_KEYS)


def derive(data: StudyData) -> dict[str, Any]:
    """Everything the tables read, derived once: ``linkage``, ``firm_years``, ``exports``,
    ``imports``, ``cross`` and ``shock_panel`` (None without ``world_imports``)."""
    links = linkage(data)
    frame = firm_years(data, links, _no_markups())
    city = data.table("firms").select(*_KEYS, "city_code")
    frame = frame.join(city, on=_KEYS, how="left")
    lines = trade_lines(data, links)
    exports = lines.filter(pl.col("flow") == "export")
    imports = lines.filter(pl.col("flow") == "import")
    if exports.is_empty():
        raise StudyError(
            "resilience_firms: no customs export line is linked to a CIE firm; check the "
            "linkage report"
        )
    cross = cross_section(data, frame, exports)
    shocks = shock_panel(data, frame, exports) if world_imports_available(data) else None
    return {
        "linkage": links,
        "firm_years": frame,
        "exports": exports,
        "imports": imports,
        "cross": cross,
        "shock_panel": shocks,
    }
