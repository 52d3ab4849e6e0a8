"""The mechanism indicators M1–M6 of the study ``resilience_firms`` (spec 003 §4.2) on the
CIE firm-years, and the pre-shock mediators and moderators on sample C.

Each indicator comes from its measure in :mod:`vagg.measures` (nothing is recomputed here):

=========  ==============================================================  =========
code       measure                                                         table
=========  ==============================================================  =========
NEWPROD    :func:`vagg.measures.export_structure.new_product_share`        7 (M1)
PCHURN     :func:`vagg.measures.export_structure.product_churn` (HS6)      7 (M1)
INV        :func:`vagg.measures.congestion.inventory_ratio`                8 (M2)
MOVE_next  :func:`vagg.measures.congestion.core_distance` (``move_next``)  8 (M2)
HIGHDENS   :func:`vagg.measures.congestion.density` (p75 within CIC2)      8 (M2)
NSRC       :func:`vagg.measures.supply_chain.source_diversity` ("all")     9 (M3)
IMPHHI     :func:`vagg.measures.supply_chain.source_diversity` ("all")     9 (M3)
SWITCH     :func:`vagg.measures.supply_chain.source_switching` ("all")     9 (M3)
REPLACE    :func:`vagg.measures.supply_chain.replacement` (``supply_shocks``)  9 (M3)
NEWDEST    :func:`vagg.measures.market_response.destination_churn`         10 (M4)
DCHURN     :func:`vagg.measures.market_response.destination_churn`         10 (M4)
REALLOC    :func:`vagg.measures.market_response.reallocation`              10 (M4)
EMERG      :func:`vagg.measures.market_response.emerging_share`            10 (M4)
OFFSET     :func:`vagg.measures.market_response.offset`                    10 (M4)
OPEX       :func:`vagg.measures.operating_costs.cost_ratios`               11 (M5)
COSTR      :func:`vagg.measures.operating_costs.cost_ratios`               11 (M5)
FINPRESS   :func:`vagg.measures.operating_costs.cost_ratios`               11 (M5)
STRICT     :func:`vagg.measures.green_smart.strict_share`                  12 (M6)
SMART      :func:`vagg.measures.green_smart.smart_imports`                 12 (M6)
=========  ==============================================================  =========

An indicator whose inputs the dataset lacks (the CIE items of paper 003, ``counties``,
``world_imports``, ``supply_shocks``) is left out and recorded in the manifest; its table
cells are blank.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import polars as pl

from vagg.errors import VaggError
from vagg.estimate.mechanisms.mediation import Mediation
from vagg.measures.congestion import core_distance, density, inventory_ratio
from vagg.measures.export_structure import new_product_share, product_churn
from vagg.measures.green_smart import smart_imports, strict_share
from vagg.measures.market_response import (
    destination_churn,
    emerging_share,
    hit_destinations,
    offset,
    reallocation,
)
from vagg.measures.operating_costs import cost_ratios
from vagg.measures.supply_chain import replacement, source_diversity, source_switching
from vagg.studies.data import StudyData
from vagg.studies.resilience_firms.models import mediate
from vagg.studies.resilience_firms.panels import BASE_YEAR, CONTROLS, VAGG, panel

__all__ = [
    "MEDIATORS",
    "cross_with_mediators",
    "indicators",
    "mechanism_frame",
    "mediation_of",
    "offset_frame",
    "replace_frame",
]

_KEYS = ["firm_id", "year"]
#: The pre-shock mediators of Tables 7 and 9–12 (M-b): (code, indicator, year).
MEDIATORS: tuple[tuple[str, str, int], ...] = (
    ("NEWPROD_2008", "NEWPROD", 2008),
    ("SWITCH_2009", "SWITCH", 2009),
    ("REALLOC_2009", "REALLOC", 2009),
    ("OPEX_2008", "OPEX", 2008),
    ("STRICT_2008", "STRICT", 2008),
)


def _pl(frame: Any) -> pl.DataFrame:
    table = getattr(frame, "table", frame)
    return table if isinstance(table, pl.DataFrame) else pl.from_pandas(table)


def _all_group(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("regime_group") == "all").drop("regime_group")


def _builders(data: StudyData, d: dict[str, Any]) -> dict[str, Callable[[], pl.DataFrame]]:
    firms = data.table("firms")
    exports, imports = d["exports"], d["imports"]

    def costs() -> pl.DataFrame:
        return _pl(cost_ratios(firms)).select(
            *_KEYS, pl.col("opex").alias("OPEX"), pl.col("costr").alias("COSTR"),
            pl.col("finpress").alias("FINPRESS"),
        )  # fmt: skip

    def sourcing() -> pl.DataFrame:
        products = data.table("products")
        div = _all_group(_pl(source_diversity(imports, products, regimes=("all",))))
        switch = _all_group(_pl(source_switching(imports, products, regimes=("all",))))
        return div.select(*_KEYS, "NSRC", "IMPHHI").join(
            switch.select(*_KEYS, "SWITCH"), on=_KEYS, how="full", coalesce=True
        )

    def smart() -> pl.DataFrame:
        rates = data.table("national_series").select("year", "rmb_per_usd")
        frame = _pl(smart_imports(imports, firms, rmb_per_usd=rates))
        return frame.select(*_KEYS, pl.col("smart").cast(pl.Float64).alias("SMART"))

    return {
        "NEWPROD": lambda: _pl(new_product_share(firms)).select(
            *_KEYS, pl.col("newprod").alias("NEWPROD")
        ),
        "PCHURN": lambda: _pl(product_churn(exports)).select(
            *_KEYS, pl.col("pchurn").alias("PCHURN")
        ),
        "INV": lambda: _pl(inventory_ratio(firms)).select(*_KEYS, pl.col("inv").alias("INV")),
        "MOVE": lambda: _pl(core_distance(firms, data.table("counties"))).select(
            *_KEYS, pl.col("move_next").cast(pl.Float64).alias("MOVE_next")
        ),
        "M3": sourcing,
        "M4": lambda: _pl(destination_churn(exports)).select(*_KEYS, "NEWDEST", "DCHURN"),
        "REALLOC": lambda: _pl(reallocation(exports, data.table("world_imports"))).select(
            *_KEYS, "REALLOC"
        ),
        "EMERG": lambda: _pl(emerging_share(exports)).select(*_KEYS, "EMERG"),
        "M5": costs,
        "STRICT": lambda: _pl(strict_share(exports)).select(
            *_KEYS, pl.col("strict").alias("STRICT")
        ),
        "SMART": smart,
    }


def indicators(data: StudyData) -> dict[str, pl.DataFrame]:
    """Every indicator frame the dataset allows (group name → frame keyed by firm and year);
    the groups whose inputs are missing are recorded in the manifest."""
    d = panel(data)
    out = {}
    for name, build in _builders(data, d).items():
        try:
            out[name] = build()
        except VaggError as err:
            data.note_dropped(f"mechanism indicator {name} not available: {err}", {})
    return out


def _mechanism_frame(data: StudyData) -> pl.DataFrame:
    frame = panel(data)["firm_years"]
    for values in indicators(data).values():
        frame = frame.join(values, on=_KEYS, how="left")
    return frame


def mechanism_frame(data: StudyData) -> pd.DataFrame:
    """CIE firm-years with vagg, controls and every available indicator (cached)."""
    return data.cached("resilience_firms_mechanisms", _mechanism_frame).to_pandas()


def cross_with_mediators(data: StudyData) -> pd.DataFrame:
    """Sample C with the pre-shock mediators :data:`MEDIATORS` and HIGHDENS of 2007 (the
    firm's CIC2 × county density above the CIC2's 75th percentile; spec 003 M2)."""
    cross = panel(data)["cross"]
    mech = pl.from_pandas(mechanism_frame(data))
    for code, indicator, year in MEDIATORS:
        if indicator not in mech.columns:
            continue
        values = mech.filter(pl.col("year") == year).select(
            "firm_id", pl.col(indicator).alias(code)
        )
        cross = cross.join(values, on="firm_id", how="left")
    try:
        dens = _pl(density(data.table("firms"), data.table("counties")))
    except VaggError as err:
        data.note_dropped(f"HIGHDENS not available: {err}", {})
    else:
        hd = dens.filter(pl.col("year") == BASE_YEAR).select(
            "firm_id", pl.col("highdens").cast(pl.Float64).alias("HIGHDENS")
        )
        cross = cross.join(hd, on="firm_id", how="left").with_columns(
            (pl.col("vagg_h") * pl.col("HIGHDENS")).alias("vagg_h_x_HIGHDENS")
        )
    return cross.to_pandas()


def offset_frame(data: StudyData) -> pd.DataFrame:
    """Sample C with OFFSET (2008 → 2009): hit destinations are those whose imports from the
    world (excluding China) fell by more than the median destination's (ln M_2009 − ln M_2008
    below the median over destinations)."""
    world = data.table("world_imports")
    m = world.group_by("destination", "year").agg(pl.col("imports_usd").sum().alias("m"))
    wide = m.filter(pl.col("year") == 2008).join(
        m.filter(pl.col("year") == 2009), on="destination", suffix="_1"
    )
    g = wide.filter((pl.col("m") > 0) & (pl.col("m_1") > 0)).select(
        (pl.col("m_1").log() - pl.col("m").log()).alias("g")
    )
    hit = hit_destinations(world, threshold=float(g["g"].median()))  # type: ignore[arg-type]
    cross = panel(data)["cross"]
    trade = panel(data)["exports"].join(cross.select("firm_id"), on="firm_id", how="semi")
    measure = offset(trade, hit)
    data.note_dropped(
        "OFFSET: firms of sample C", {k: int(v) for k, v in measure.counts.items()},
        n_input=cross.height,
    )  # fmt: skip
    return cross.join(_pl(measure).select("firm_id", "OFFSET"), on="firm_id").to_pandas()


def replace_frame(data: StudyData) -> pd.DataFrame:
    """REPLACE after the dataset's ``supply_shocks`` (regimes together; horizon t, t + 1),
    one row per exposed firm × shock, with vagg and the controls of the year before the
    shock."""
    d = panel(data)
    measure = replacement(
        d["imports"], data.table("products"), data.table("supply_shocks"), regimes=("all",)
    )
    rows = _pl(measure).filter(pl.col("regime_group") == "all")
    data.note_dropped(
        "REPLACE: exposed firms", {k: int(v) for k, v in measure.counts.items()},
        n_input=rows.height,
    )  # fmt: skip
    before = d["firm_years"].select(
        "firm_id", (pl.col("year") + 1).alias("shock_year"), "cic4", *VAGG, *CONTROLS
    )
    return rows.join(before, on=["firm_id", "shock_year"]).to_pandas()


def _mediation(data: StudyData, mediator: str) -> Mediation:
    return mediate(data, cross_with_mediators(data), mediator)


def mediation_of(data: StudyData, mediator: str) -> Mediation:
    """(M-b) of RESIS through ``mediator`` on sample C
    (:func:`vagg.studies.resilience_firms.models.mediate`), fitted once per run for the
    mechanism table and Figure 2."""
    return data.cached(
        "resilience_firms_mediation", _mediation, params={"mediator": mediator}, disk=False
    )
