"""M2 of paper 003: congestion, the negative externality of agglomeration (DENS, HIGHDENS, INV,
WAGEPREM, DIST_CORE, MOVE).

Paper 003 §1.2: past a density threshold, land rent, transport and time costs offset the
gains of agglomeration; digitised factors relieve congestion, timely inventory adjustment
saves costs, and the savings let firms move away from the cluster core. The designed study
(spec 003 §4.2, M2) measures

* DENS_cjt = employment of CIC2 division j in county c and year t / area of c (persons per
  km²); HIGHDENS = 1{DENS_cjt > p75 of DENS over the counties of j in t};
* INV_ft = inventory / sales (存货 / 主营业务收入);
* WAGEPREM_ft = w_ft / median_{i ∈ city × CIC2 × t} w_it, w = wage bill / employment
  (a congestion-cost proxy);
* DIST_CORE_ft = km from the firm's county to the densest county of its city (total
  employment of ``firms`` per km²); MOVE_ft = 1{the county changes between t − 1 and t to a
  county farther from the core}; ``move_next`` = MOVE_f,t+1 for the LPM of the spec.

Employment aggregates are sums over the firm-years of ``firms`` (above-scale firms, the CIE
universe). Consecutive years only for MOVE (:mod:`vagg.data.panel`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from vagg.data.frames import like
from vagg.data.geography import great_circle_km
from vagg.data.panel import PanelIndex, lag_columns
from vagg.errors import VaggError
from vagg.measures._firm_inputs import (
    Report,
    add_excluded,
    cic2_expr,
    county_firms,
    county_points,
    firm_table,
    new_report,
    ratio,
)

__all__ = ["core_distance", "density", "inventory_ratio", "wage_premium"]


def _result(out: pl.DataFrame, template: Any, report: Report, return_report: bool) -> Any:
    result = like(out, template)
    return (result, report) if return_report else result


def density(
    firms: Any, counties: Any, *, quantile: float = 0.75, return_report: bool = False
) -> Any:
    """DENS (same-CIC2 employment per km² in the firm's county) and HIGHDENS for every firm-year.

    DENS_cjt = Σ_{i ∈ c, j, t} employment_i / area_km2_c. HIGHDENS_ft = 1{DENS > q_jt}, q_jt
    the ``quantile`` (0.75) of DENS_cjt over the counties with employment in division j and
    year t (linear interpolation).

    Parameters
    ----------
    firms : DataFrame
        ``firm_id``, ``year``, ``cic4``, ``county_code`` (nullable), ``employment`` (≥ 0).
    counties : DataFrame
        ``county_code``, ``area_km2`` (> 0), ``lat``, ``lon``.
    quantile : float
        The threshold quantile of HIGHDENS.
    return_report : bool
        Also return the report (firm-years without a county).

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``cic2``, ``county_code``, ``dens``, ``dens_threshold``,
        ``highdens`` (0/1), for the firm-years with a county, in the order of ``firms``.

    References
    ----------
    Paper 003 §1.2; spec 003 §4.2 (M2); Ciccone & Hall (1996) for employment density.
    """
    if not 0.0 < quantile < 1.0:
        raise VaggError(f"quantile must be in (0, 1), got {quantile!r}")
    points = county_points(counties, ["area_km2"])
    report = new_report(0)
    data = county_firms(firms, points, report, "dens")
    report["n_rows"] = data.height + sum(report["excluded"].get("dens", {}).values())
    cells = (
        data.group_by("cic2", "year", "county_code")
        .agg(pl.col("employment").sum().alias("_emp"))
        .join(points.select("county_code", "area_km2"), on="county_code")
        .with_columns((pl.col("_emp") / pl.col("area_km2")).alias("dens"))
    )
    positive = cells.filter(pl.col("_emp") > 0)
    cuts = positive.group_by("cic2", "year").agg(
        pl.col("dens").quantile(quantile, interpolation="linear").alias("dens_threshold")
    )
    cells = cells.join(cuts, on=["cic2", "year"], how="left")
    out = data.join(
        cells.select("cic2", "year", "county_code", "dens", "dens_threshold"),
        on=["cic2", "year", "county_code"],
        how="left",
        maintain_order="left",
    ).with_columns(
        pl.when(pl.col("dens_threshold").is_not_null())
        .then((pl.col("dens") > pl.col("dens_threshold")).cast(pl.Int8))
        .alias("highdens")
    )
    add_excluded(report, "highdens", "no employment in the CIC2-year", out["highdens"].null_count())
    out = out.select("firm_id", "year", "cic2", "county_code", "dens", "dens_threshold", "highdens")
    return _result(out, firms, report, return_report)


def inventory_ratio(firms: Any, *, return_report: bool = False) -> Any:
    """INV_ft = inventory_ft / sales_ft (存货 / 主营业务收入), shared by M2 and M5.

    Parameters
    ----------
    firms : DataFrame
        ``firm_id``, ``year``, ``inventory`` (≥ 0, may be missing), ``sales`` (≥ 0).
    return_report : bool
        Also return the report (missing inventory; sales missing, zero or negative).

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``inv`` (null where undefined), in the order of ``firms``.

    References
    ----------
    Paper 003 §1.2 and §1.5; spec 003 §4.2 (M2, M5).
    """
    data = firm_table(firms, ["inventory", "sales"], nonnegative=["inventory", "sales"])
    report = new_report(data.height)
    out = ratio(data, "inv", pl.col("inventory"), "sales", report, numerator_columns=["inventory"])
    return _result(out.select("firm_id", "year", "inv"), firms, report, return_report)


def wage_premium(firms: Any, *, return_report: bool = False) -> Any:
    """WAGEPREM_ft = w_ft / median{w_it : i in the firm's city × CIC2 × year}, w = wage_bill /
    employment (thousand RMB per worker).

    Firm-years with employment ≤ 0 or a missing wage bill have no average wage: they are
    excluded from the measure and from the medians and counted; a cell whose median is not
    positive gives null (counted).

    Parameters
    ----------
    firms : DataFrame
        ``firm_id``, ``year``, ``cic4``, ``city_code``, ``wage_bill`` (≥ 0), ``employment``
        (≥ 0).
    return_report : bool
        Also return the report.

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``avg_wage``, ``median_wage``, ``wageprem``, in the order of
        ``firms``.

    References
    ----------
    Spec 003 §4.2 (M2): the wage premium as a congestion-cost proxy (Combes, Duranton &
    Gobillon 2008 on urban wage premia).
    """
    data = firm_table(
        firms,
        ["cic4", "city_code", "wage_bill", "employment"],
        nonnegative=["wage_bill", "employment"],
    ).with_columns(cic2_expr())
    report = new_report(data.height)
    data = ratio(
        data,
        "avg_wage",
        pl.col("wage_bill"),
        "employment",
        report,
        numerator_columns=["wage_bill"],
    )
    data = data.with_columns(
        pl.col("avg_wage").median().over("city_code", "cic2", "year").alias("median_wage")
    )
    bad_median = (pl.col("median_wage") <= 0).fill_null(False) & pl.col("avg_wage").is_not_null()
    add_excluded(
        report,
        "wageprem",
        "median wage of the city x CIC2 not positive",
        data.filter(bad_median).height,
    )
    out = data.with_columns(
        pl.when(pl.col("median_wage") > 0)
        .then(pl.col("avg_wage") / pl.col("median_wage"))
        .alias("wageprem")
    ).select("firm_id", "year", "avg_wage", "median_wage", "wageprem")
    return _result(out, firms, report, return_report)


def _cores(data: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """The densest county of each city and year: total employment of ``data`` per km² over
    the counties of the city in ``points``; ties go to the smallest county code."""
    employment = data.group_by("county_code", "year").agg(pl.col("employment").sum().alias("_emp"))
    years = data.select("year").unique()
    grid = points.select("county_code", "city_code", "area_km2", "lat", "lon").join(
        years, how="cross"
    )
    grid = grid.join(employment, on=["county_code", "year"], how="left").with_columns(
        (pl.col("_emp").fill_null(0.0) / pl.col("area_km2")).alias("_dens")
    )
    return (
        grid.filter(pl.col("_dens") > 0)
        .sort(["city_code", "year", "_dens", "county_code"], descending=[False, False, True, False])
        .group_by("city_code", "year", maintain_order=True)
        .first()
        .select(
            "city_code",
            "year",
            pl.col("county_code").alias("core_county"),
            pl.col("lat").alias("_core_lat"),
            pl.col("lon").alias("_core_lon"),
        )
    )


def _distance_to_core(
    frame: pl.DataFrame, county: str, cores: pl.DataFrame, points: pl.DataFrame, name: str
) -> pl.DataFrame:
    located = frame.join(
        points.select(
            pl.col("county_code").alias(county), "city_code", pl.col("lat"), pl.col("lon")
        ),
        on=county,
        how="left",
        maintain_order="left",
    ).join(cores.drop("core_county"), on=["city_code", "year"], how="left", maintain_order="left")
    ok = located["_core_lat"].is_not_null() & located["lat"].is_not_null()
    dist = np.full(located.height, np.nan)
    if ok.any():
        sub = located.filter(ok)
        dist[ok.to_numpy()] = np.asarray(
            great_circle_km(
                sub["lat"].to_numpy(),
                sub["lon"].to_numpy(),
                sub["_core_lat"].to_numpy(),
                sub["_core_lon"].to_numpy(),
            )
        )
    return located.drop("city_code", "lat", "lon", "_core_lat", "_core_lon").with_columns(
        pl.Series(name, dist).fill_nan(None)
    )


def core_distance(firms: Any, counties: Any, *, return_report: bool = False) -> Any:
    """DIST_CORE_ft (km to the densest county of the firm's city) and MOVE_ft, MOVE_f,t+1.

    The core of city c in year t is its county with the highest employment density (total
    employment of the firm-years of ``firms`` per km²; ties to the smallest code). DIST_CORE_ft
    = great-circle km from the centroid of the firm's county to the core's centroid (0 for a
    firm in the core). MOVE_ft = 1{county_ft ≠ county_f,t−1 and d(county_ft) > d(county_f,t−1)},
    both distances measured to the year-t cores (of each county's own city), so a change of
    the core alone is not a move; 0 when the county is unchanged or the new one is not
    farther; null without a county in t or t − 1 (consecutive years, gap-aware).
    ``move_next`` is MOVE_f,t+1 on the row of t (the dependent variable of the spec's LPM).

    Parameters
    ----------
    firms : DataFrame
        ``firm_id``, ``year``, ``cic4``, ``county_code`` (nullable), ``employment`` (≥ 0).
    counties : DataFrame
        ``county_code``, ``city_code``, ``area_km2`` (> 0), ``lat``, ``lon``.
    return_report : bool
        Also return the report.

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``county_code``, ``core_county``, ``dist_core``, ``move``,
        ``move_next``, for the firm-years with a county, in the order of ``firms``.

    References
    ----------
    Paper 003 §1.2 (inventory savings let firms move away from the cluster core); spec 003
    §4.2 (M2).
    """
    points = county_points(counties, ["area_km2", "city_code"])
    report = new_report(0)
    data = county_firms(firms, points, report, "dist_core")
    report["n_rows"] = data.height + sum(report["excluded"].get("dist_core", {}).values())
    cores = _cores(data, points)
    out = _distance_to_core(data, "county_code", cores, points, "dist_core")
    core_names = cores.select("city_code", "year", "core_county")
    out = out.join(points.select("county_code", "city_code"), on="county_code", how="left").join(
        core_names, on=["city_code", "year"], how="left", maintain_order="left"
    )
    add_excluded(report, "dist_core", "city without employment", out["dist_core"].null_count())
    out = lag_columns(out, ["county_code"], suffix="_prev").rename(
        {"county_code_prev": "_prev_county"}
    )
    out = _distance_to_core(out, "_prev_county", cores, points, "_prev_dist")
    move = (
        pl.when(pl.col("_prev_county").is_null())
        .then(None)
        .when(pl.col("county_code") == pl.col("_prev_county"))
        .then(pl.lit(0, dtype=pl.Int8))
        .otherwise((pl.col("dist_core") > pl.col("_prev_dist")).cast(pl.Int8))
    )
    out = out.with_columns(move.alias("move"))
    n_no_prev = out["_prev_county"].null_count()
    add_excluded(report, "move", "no county in t-1", n_no_prev)
    add_excluded(
        report, "move", "distance to a core undefined", out["move"].null_count() - n_no_prev
    )
    move_next = PanelIndex.from_columns(out["firm_id"].to_numpy(), out["year"].to_numpy()).shift(
        out["move"].cast(pl.Float64).fill_null(np.nan).to_numpy(), -1
    )
    out = out.with_columns(pl.Series("move_next", move_next).fill_nan(None).cast(pl.Int8))
    out = out.select(
        "firm_id", "year", "county_code", "core_county", "dist_core", "move", "move_next"
    )
    return _result(out, firms, report, return_report)
