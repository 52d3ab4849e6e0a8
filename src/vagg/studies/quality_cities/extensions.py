"""Tables 4, 6 and 8 of paper 001: measurement variants, location and the extensions.

* Table 4: (1) ``vagg_in`` (shift = digital input Σ_d Z_ds, million USD, ×1/1000); (2)
  ``hs6_qua`` on city × HS6 × year, clustered by city × HS6; (3) ``vagg_txt`` =
  ln(1 + dictionary count) of the work reports, without HS4 FE; (4)–(5) firm-level ``c_qua``
  on the matched CIE–customs firm-years (:mod:`.firms`); (6) province and (7) city
  clustering of the baseline.
* Table 5: quality re-aggregated over processing (regime 14/15) and ordinary (10) lines, and
  over BEC intermediate and final HS6 lines (``hs6_end_use``); baseline design.
* Table 6: vagg × centre, × peri (= 1 − centre, an exact re-parametrisation of (1)), × east,
  × mid, × west; the main effects are absorbed by the city FE.
* Table 7: the Melitz–Polanec components (eq. 23) of each city × HS4's quality change
  t−1 → t as outcomes; units are firm × HS6 products (quality value-weighted over
  destinations), the spec's option, because entry and exit happen at the firm-product level;
  ``gap`` = between + entry + exit.
* Table 8: city-year outcomes on the city × HS4 × year rows (as printed): minteg (eq. 24) on
  L.vagg, lnitff, ln div and ln spe (eq. 25–26, HS4 exports); hs4_qua on coa and d_coa
  (eq. 27–28). Columns (1)–(4) cluster by city (the outcome varies by city-year only; the
  spec's recommended option), (5)–(6) by city × HS4.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl

import vagg
from vagg.measures.decomposition import melitz_polanec
from vagg.measures.integration import market_segmentation, traffic_cost_proxy
from vagg.measures.quality import aggregate_quality
from vagg.measures.shift_share import bartik_vagg
from vagg.measures.specialisation import co_agglomeration, export_structure, location_quotient
from vagg.measures.text import vagg_txt
from vagg.studies.data import StudyData
from vagg.studies.quality_cities.firms import firm_models
from vagg.studies.quality_cities.panels import (
    CONTROLS,
    YEARS,
    _shifts,
    derive,
    input_folder,
    read_inputs,
)
from vagg.studies.quality_cities.tables import CLUSTER, panel

__all__ = [
    "MP_OUTCOMES",
    "city_year_outcomes",
    "mp_panel",
    "table_extensions",
    "table_location",
    "table_measurement",
    "table_mp",
    "table_regime",
]

MP_OUTCOMES = ("within", "between", "entry", "exit", "total", "gap")

_X = " + ".join(CONTROLS)
_FE = "city_code + year + hs4"


def city_year_outcomes(data: StudyData) -> pl.DataFrame:
    """minteg, lnitff, lndiv, lnspe, coa, d_coa, vagg_in and vagg_txt by city-year."""
    folder = input_folder(data)
    t = read_inputs(folder)
    city_panel = t["city_panel"]
    integ = pl.DataFrame(market_segmentation(city_panel).data)
    traffic = pl.DataFrame(traffic_cost_proxy(city_panel).data)
    quality = data.cached("quality_cities_panel", derive)["quality"]
    exports = quality.group_by("city_code", "hs4", "year").agg(pl.col("value_usd").sum())
    structure = pl.DataFrame(export_structure(exports, value="value_usd").data)
    agg = location_quotient(city_panel).data
    vagg_ct = panel(data).select("city_code", "year", "vagg").unique()
    coa = pl.DataFrame(co_agglomeration(agg, vagg_ct).data).select(
        "city_code", "year", "coa", "d_coa"
    )
    v_in = bartik_vagg(
        t["census_2004"],
        _shifts(folder),
        shift="data_input",
        name="vagg_in",
        scale=1e-3,
        years=YEARS,
    )
    frames = [
        integ.select("city_code", "year", pl.col("integ").alias("minteg")),
        traffic.select("city_code", "year", "lnitff"),
        structure.select(
            "city_code",
            "year",
            pl.col("div").log().alias("lndiv"),
            pl.col("spe").log().alias("lnspe"),
        ),
        coa,
        pl.DataFrame(v_in.data).select("city_code", "year", "vagg_in"),
    ]
    texts_path = folder / "texts.parquet"
    if texts_path.is_file():
        txt = vagg_txt(pl.read_parquet(texts_path), hmm=False).data
        frames.append(
            pl.DataFrame(txt).select(pl.col("region_code").alias("city_code"), "year", "vagg_txt")
        )
    out = frames[0]
    for frame in frames[1:]:
        out = out.join(
            frame.with_columns(pl.col("year").cast(pl.Int64)),
            on=["city_code", "year"],
            how="full",
            coalesce=True,
        )
    return out.with_columns(pl.col("year").cast(pl.Int64))


def _wide(data: StudyData) -> pd.DataFrame:
    outcomes = data.cached("quality_cities_city_year", city_year_outcomes)
    frame = panel(data).join(outcomes, on=["city_code", "year"], how="left").to_pandas()
    frame["peri"] = 1 - frame["centre"]
    for group in ("east", "mid", "west"):
        frame[group] = (frame["region"] == group).astype(int)
    for group in ("centre", "peri", "east", "mid", "west"):
        frame[f"vagg_{group}"] = frame["vagg"] * frame[group]
    return frame


def table_measurement(data: StudyData, engine: Any) -> dict[str, Any]:
    """Table 4: vagg_in, hs6_qua, vagg_txt, firm-level c_qua without and with controls
    (:mod:`.firms`), province and city clusters; header → result (the optional inputs —
    texts, CIE firms — leave their columns out)."""
    p = _wide(data)
    quality = data.cached("quality_cities_panel", derive)["quality"]
    hs6 = pl.DataFrame(aggregate_quality(quality, "city_hs6", name="hs6_qua")).with_columns(
        pl.col("year").cast(pl.Int64), pl.col("hs6").str.slice(0, 4).alias("hs4")
    )
    cy = p.drop_duplicates(["city_code", "year"])[["city_code", "year", "vagg", *CONTROLS]]
    hs6p = hs6.to_pandas().merge(cy, on=["city_code", "year"], how="inner")
    hs6p["city_hs6"] = hs6p["city_code"] + "_" + hs6p["hs6"]
    zh = data.lang == "zh"
    out = {
        "(1) vagg_in": vagg.feols(f"hs4_qua ~ vagg_in + {_X} | {_FE}", p, vcov=CLUSTER),
        "(2) hs6_qua": vagg.feols(
            f"hs6_qua ~ vagg + {_X} | city_code + year + hs6", hs6p, vcov={"CRV1": "city_hs6"}
        ),
    }
    if "vagg_txt" in p.columns:
        out["(3) vagg_txt"] = vagg.feols(
            f"hs4_qua ~ vagg_txt + {_X} | city_code + year", p, vcov=CLUSTER
        )
    firm = firm_models(data)
    if firm:
        out["(4) c_qua"] = firm[0]
        out["(5) c_qua" + (" 企业控制" if zh else " firm controls")] = firm[1]
    base = f"hs4_qua ~ vagg + {_X} | {_FE}"
    out["(6) 省份聚类" if zh else "(6) province clusters"] = vagg.feols(
        base, p, vcov={"CRV1": "province_code"}
    )
    out["(7) 城市聚类" if zh else "(7) city clusters"] = vagg.feols(
        base, p, vcov={"CRV1": "city_code"}
    )
    return out


def table_location(data: StudyData, engine: Any) -> list[Any]:
    """Table 6: vagg interacted with centre, periphery, east, mid and west."""
    p = _wide(data)
    return [
        vagg.feols(f"hs4_qua ~ vagg + vagg_{g} + {_X} | {_FE}", p, vcov=CLUSTER)
        for g in ("centre", "peri", "east", "mid", "west")
    ]


def table_extensions(data: StudyData, engine: Any) -> list[Any]:
    """Table 8: integration, traffic, diversification, specialisation, coa and d_coa."""
    p = _wide(data)
    city = {"CRV1": "city_code"}
    cyfe = "city_code + year"
    lagged = p[p["vagg_lag"].notna()]
    return [
        vagg.feols(f"minteg ~ vagg_lag + {_X} | {cyfe}", lagged, vcov=city),
        vagg.feols(f"lnitff ~ vagg + {_X} | {cyfe}", p, vcov=city),
        vagg.feols(f"lndiv ~ vagg + {_X} | {cyfe}", p[np.isfinite(p["lndiv"])], vcov=city),
        vagg.feols(f"lnspe ~ vagg + {_X} | {cyfe}", p[np.isfinite(p["lnspe"])], vcov=city),
        vagg.feols(f"hs4_qua ~ coa + {_X} | {_FE}", p[p["coa"].notna()], vcov=CLUSTER),
        vagg.feols(f"hs4_qua ~ d_coa + {_X} | {_FE}", p[p["d_coa"].notna()], vcov=CLUSTER),
    ]


def mp_panel(data: StudyData) -> pl.DataFrame:
    """Melitz–Polanec components per city × HS4 × year, firm × HS6 units."""
    quality = data.cached("quality_cities_panel", derive)["quality"]
    units = pl.DataFrame(
        aggregate_quality(
            quality, by=["party_id", "hs6", "city_code", "hs4", "year"], name="quality"
        )
    )
    mp = melitz_polanec(units, unit=("party_id", "hs6"), group=("city_code", "hs4"))
    frame = pl.DataFrame(mp.data).rename({"exitt": "exit"}, strict=False)
    return frame.with_columns(pl.col("year").cast(pl.Int64))


def table_mp(data: StudyData, engine: Any) -> list[Any]:
    """Table 7: within, between, entry, exit, total and gap on vagg (baseline design)."""
    mp = data.cached("quality_cities_mp", mp_panel)
    p = panel(data).join(mp, on=["city_code", "hs4", "year"], how="inner").to_pandas()
    return [
        vagg.feols(f"{y} ~ vagg + {_X} | {_FE}", p[p[y].notna()], vcov=CLUSTER) for y in MP_OUTCOMES
    ]


def table_regime(data: StudyData, engine: Any) -> list[Any]:
    """Table 5: processing, ordinary, intermediate and final quality on vagg."""
    quality = data.cached("quality_cities_panel", derive)["quality"]
    cy = panel(data).select("city_code", "year", "vagg", *CONTROLS).unique()
    cells = quality.lazy().select("city_code", "hs4", "hs6", "year", "regime", "value_usd", "rqua")
    subsets = [
        cells.filter(pl.col("regime").is_in(["14", "15"])),
        cells.filter(pl.col("regime") == "10"),
    ]
    end_use_path = input_folder(data) / "hs6_end_use.parquet"
    if end_use_path.is_file():
        end_use = pl.read_parquet(end_use_path).select("hs6", "end_use").lazy()
        tagged = cells.join(end_use, on="hs6", how="left")
        subsets += [tagged.filter(pl.col("end_use") == k) for k in ("intermediate", "final")]
    out = []
    for sub in subsets:  # one subset of the cells in memory at a time
        hs4 = pl.DataFrame(
            aggregate_quality(sub.collect(), "city_hs4", name="hs4_qua")
        ).with_columns(pl.col("year").cast(pl.Int64))
        frame = hs4.join(cy, on=["city_code", "year"], how="inner").with_columns(
            (pl.col("city_code") + "_" + pl.col("hs4")).alias("city_hs4")
        )
        out.append(vagg.feols(f"hs4_qua ~ vagg + {_X} | {_FE}", frame.to_pandas(), vcov=CLUSTER))
    return out
