"""M1 of paper 003: the firm's ability to adjust its export structure (NEWPROD, PCHURN, UPG, ISOL).

Paper 003 (Xu, 虚拟集聚对企业出口韧性的影响研究) §1.1 argues that virtual agglomeration spreads
knowledge beyond geographic distance and feeds consumer feedback into production, so that
firms adjust their export structure faster under external risk. The designed study
(spec 003 §4.2, M1) measures that ability by

* NEWPROD_ft = new-product output / gross output (CIE 新产品产值 / 工业总产值);
* PCHURN_ft = (value of HS6 lines added + value of HS6 lines dropped) / ((X_ft + X_f,t−1)/2);
* UPG_ft = EXPY_ft − EXPY_f,t−1, the change of the firm's export sophistication
  EXPY_ft = Σ_h (x_fht / X_ft) · PRODY_h with PRODY of paper 004 eq. (12) (Hausmann, Hwang &
  Rodrik 2007), or the change of the firm's KSW quality (paper 001 eq. 18–21);
* ISOL_fjt = great-circle distance from the firm's county to the nearest county in the top
  decile of same-CIC2 employment (the spillover-beyond-distance test: vagg × ISOL).

Growth and change measures use consecutive years only (the gap-aware lag of
:mod:`vagg.data.panel`): a firm observed in 2003 and 2005 has no change in 2005.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import as_polars, like, require_columns
from vagg.data.geography import great_circle_km
from vagg.data.panel import PanelIndex
from vagg.measures._firm_inputs import (
    Report,
    add_excluded,
    county_firms,
    county_points,
    firm_table,
    new_report,
    ratio,
    trade_lines,
)
from vagg.measures.sophistication import prody as province_prody

__all__ = [
    "firm_expy",
    "isolation",
    "new_product_share",
    "product_churn",
    "upgrading",
]


def _result(out: pl.DataFrame, template: Any, report: Report, return_report: bool) -> Any:
    result = like(out, template)
    return (result, report) if return_report else result


def new_product_share(firms: Any, *, return_report: bool = False) -> Any:
    """NEWPROD_ft = new_product_output_ft / gross_output_ft (spec 003 §4.2, M1).

    Parameters
    ----------
    firms : DataFrame
        CIE firm-years: ``firm_id``, ``year``, ``new_product_output`` (新产品产值, thousand
        RMB, ≥ 0, may be missing) and ``gross_output`` (工业总产值, ≥ 0).
    return_report : bool
        Also return the report of excluded firm-years (missing new-product output, gross
        output missing, zero or negative).

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``newprod`` (null where undefined) in the order of ``firms``;
        pandas if ``firms`` is. With ``return_report``, ``(frame, report)``.

    References
    ----------
    Paper 003 §1.1; spec 003 §4.2 (M1). Years in which the CIE does not report new-product
    output give missing values, counted in the report.
    """
    data = firm_table(
        firms,
        ["new_product_output", "gross_output"],
        nonnegative=["new_product_output", "gross_output"],
    )
    report = new_report(data.height)
    out = ratio(
        data,
        "newprod",
        pl.col("new_product_output"),
        "gross_output",
        report,
        numerator_columns=["new_product_output"],
    )
    return _result(out.select("firm_id", "year", "newprod"), firms, report, return_report)


def _firm_product_year(exports: Any, product: str, report: Report, measure: str) -> pl.DataFrame:
    """Exports summed to firm × product × year (lines of several regimes, partners or HS8
    codes of one product are added up; that sum is the measure's definition, not a repair)."""
    lines = trade_lines(
        exports,
        "exports",
        flow="export",
        extra=[] if product == "hs6" else [product],
        report=report,
        measure=measure,
    )
    return (
        lines.with_columns(pl.col(product).cast(pl.String))
        .group_by("firm_id", "year", product)
        .agg(pl.col("value_usd").sum())
    )


def product_churn(exports: Any, *, product: str = "hs6", return_report: bool = False) -> Any:
    """PCHURN_ft = (Σ_{h added} x_fht + Σ_{h dropped} x_fh,t−1) / ((X_ft + X_f,t−1)/2).

    A line h is *added* in t when x_fht > 0 and x_fh,t−1 = 0, *dropped* when x_fh,t−1 > 0 and
    x_fht = 0 (a line absent from the table exports zero). X_ft = Σ_h x_fht. PCHURN ∈ [0, 2]:
    0 when the firm exports the same lines in both years, 2 when it replaces all of them.

    Defined for the firm-years with exports in t and in t − 1 (consecutive years). Excluded
    and counted: a firm's first year with exports after a year without (entry, including
    re-entry after a gap and the first year of the table); a year with no exports after a year
    with exports (exit) has no row.

    Parameters
    ----------
    exports : DataFrame
        Firm-linked customs lines: ``firm_id``, ``year``, ``value_usd`` (≥ 0) and ``hs6`` (or
        ``hs8``, whose first six digits are used); with a ``flow`` column only ``"export"``
        rows are used. Lines are summed within firm × ``product`` × year.
    product : str
        The product column (``"hs6"`` by default; e.g. ``"hs8"`` for finer lines).
    return_report : bool
        Also return the report of excluded firm-years.

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``exports`` (X_ft), ``added_value``, ``dropped_value``,
        ``n_added``, ``n_dropped``, ``pchurn``; sorted by firm and year.

    References
    ----------
    Spec 003 §4.2 (M1); the added/dropped decomposition of Bernard, Redding & Schott (2010),
    scaled by the mid-point of Davis & Haltiwanger (1992).
    """
    report = new_report(0)
    cells = _firm_product_year(exports, product, report, "pchurn")
    cells = cells.filter(pl.col("value_usd") > 0)
    totals = cells.group_by("firm_id", "year").agg(pl.col("value_usd").sum().alias("exports"))
    report["n_rows"] = totals.height
    prev_totals = totals.select(
        "firm_id", (pl.col("year") + 1).alias("year"), pl.col("exports").alias("_prev")
    )
    pairs = totals.join(prev_totals, on=["firm_id", "year"], how="left")
    first_year = totals["year"].min() if totals.height else None
    no_prev = pairs.filter(pl.col("_prev").is_null())
    n_first = no_prev.filter(pl.col("year") == first_year).height
    add_excluded(report, "pchurn", "first year of the table (no t-1)", n_first)
    add_excluded(report, "pchurn", "no exports in t-1 (entry)", no_prev.height - n_first)
    last_year = totals["year"].max() if totals.height else None
    n_exit = (
        prev_totals.filter(pl.col("year") <= last_year)
        .join(totals, on=["firm_id", "year"], how="anti")
        .height
    )
    report["exits_without_row"] = n_exit
    pairs = pairs.filter(pl.col("_prev").is_not_null())
    now = cells.join(pairs.select("firm_id", "year"), on=["firm_id", "year"])
    before = cells.with_columns(pl.col("year") + 1).join(
        pairs.select("firm_id", "year"), on=["firm_id", "year"]
    )
    keys = ["firm_id", "year", product]
    added = (
        now.join(before, on=keys, how="anti")
        .group_by("firm_id", "year")
        .agg(pl.col("value_usd").sum().alias("added_value"), pl.len().alias("n_added"))
    )
    dropped = (
        before.join(now, on=keys, how="anti")
        .group_by("firm_id", "year")
        .agg(pl.col("value_usd").sum().alias("dropped_value"), pl.len().alias("n_dropped"))
    )
    out = (
        pairs.join(added, on=["firm_id", "year"], how="left")
        .join(dropped, on=["firm_id", "year"], how="left")
        .with_columns(
            pl.col("added_value").fill_null(0.0),
            pl.col("dropped_value").fill_null(0.0),
            pl.col("n_added").fill_null(0).cast(pl.Int64),
            pl.col("n_dropped").fill_null(0).cast(pl.Int64),
        )
        .with_columns(
            (
                (pl.col("added_value") + pl.col("dropped_value"))
                / ((pl.col("exports") + pl.col("_prev")) / 2.0)
            ).alias("pchurn")
        )
        .select(
            "firm_id",
            "year",
            "exports",
            "added_value",
            "dropped_value",
            "n_added",
            "n_dropped",
            "pchurn",
        )
        .sort("firm_id", "year")
    )
    return _result(out, exports, report, return_report)


def firm_expy(
    exports: Any,
    prody: Any = None,
    *,
    province_exports: Any = None,
    income: Any = None,
    product: str = "hs4",
    return_report: bool = False,
) -> Any:
    """Firm export sophistication EXPY_ft = Σ_h (x_fht / X_ft) · PRODY_h(t).

    The firm version of paper 004 eq. (13): the product's PRODY (004 eq. 12, Hausmann, Hwang &
    Rodrik 2007) weighted by the firm's export shares. PRODY is either given (``prody``: a
    table ``product``, ``prody`` for a fixed PRODY — a base year or a world PRODY from country
    data — or ``product``, ``year``, ``prody``) or computed from province exports and income by
    :func:`vagg.measures.sophistication.prody` (``province_exports`` and ``income``, 004's
    definition). Firm lines whose product has no PRODY are excluded and counted (their share
    is dropped and the other shares renormalised).

    Parameters
    ----------
    exports : DataFrame
        Firm-linked customs lines: ``firm_id``, ``year``, ``value_usd`` and the ``product``
        column (``hs4`` by default; derive it from ``hs8`` first: ``hs8.str[:4]``); with a
        ``flow`` column only exports are used.
    prody : DataFrame, optional
        PRODY by product (and year).
    province_exports, income : DataFrame, optional
        The tables of :func:`vagg.measures.sophistication.prody`, used when ``prody`` is None.
    product : str
        The product column shared by ``exports`` and PRODY.
    return_report : bool
        Also return the report (lines and value without a PRODY).

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``expy``, sorted by firm and year.

    References
    ----------
    Paper 004 eq. (12)–(13); Hausmann, Hwang & Rodrik (2007), *J. Econ. Growth* 12, eq. (2).
    """
    report = new_report(0)
    lines = trade_lines(
        exports,
        "exports",
        flow="export",
        extra=[product],
        need_hs6=False,
        report=report,
        measure="expy",
    )
    cells = (
        lines.with_columns(pl.col(product).cast(pl.String))
        .group_by("firm_id", "year", product)
        .agg(pl.col("value_usd").sum())
        .filter(pl.col("value_usd") > 0)
    )
    if prody is None:
        if province_exports is None or income is None:
            raise SchemaError(
                "prody", "prody", "firm_expy needs `prody` or both `province_exports` and `income`"
            )
        table = as_polars(province_prody(province_exports, income, product=product))
    else:
        table = as_polars(prody, "prody")
    require_columns(table, "prody", [product, "prody"])
    keys = [product, "year"] if "year" in table.columns else [product]
    rtv = table.select(*keys, pl.col("prody").cast(pl.Float64)).with_columns(
        pl.col(product).cast(pl.String)
    )
    if "year" in keys:
        rtv = rtv.with_columns(pl.col("year").cast(cells.schema["year"]))
    dup = rtv.filter(pl.struct(keys).is_duplicated())
    if dup.height:
        raise SchemaError(
            "prody",
            product,
            "duplicate PRODY keys",
            n_bad=dup.height,
            examples=dup[product].head(5).to_list(),
        )
    joined = cells.join(rtv, on=keys, how="left")
    missing = joined.filter(pl.col("prody").is_null() | pl.col("prody").is_nan())
    add_excluded(report, "expy", "product without PRODY (lines)", missing.height)
    report["value_without_prody"] = float(missing["value_usd"].sum())
    kept = joined.filter(pl.col("prody").is_not_null() & pl.col("prody").is_not_nan())
    out = (
        kept.group_by("firm_id", "year")
        .agg(
            ((pl.col("value_usd") * pl.col("prody")).sum() / pl.col("value_usd").sum()).alias(
                "expy"
            )
        )
        .sort("firm_id", "year")
    )
    n_firm_years = cells.select("firm_id", "year").unique().height
    report["n_rows"] = n_firm_years
    add_excluded(report, "expy", "no product with a PRODY", n_firm_years - out.height)
    return _result(out, exports, report, return_report)


def upgrading(
    index: Any,
    *,
    column: str = "expy",
    name: str = "upg",
    return_report: bool = False,
) -> Any:
    """UPG_ft = I_ft − I_f,t−1 for a firm-year index I (EXPY or KSW quality), consecutive years.

    Parameters
    ----------
    index : DataFrame
        ``firm_id``, ``year`` and ``column``: :func:`firm_expy` (``expy``) or firm KSW quality
        (``vagg.measures.quality.aggregate_quality(..., level="firm")``, column ``quality``).
    column, name : str
        The index column and the output column.
    return_report : bool
        Also return the report (firm-years without the previous year, missing index).

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``column``, ``name`` (null without a value at t − 1; the lag is
        gap-aware, :mod:`vagg.data.panel`), in the order of ``index``.

    References
    ----------
    Spec 003 §4.2 (M1): UPG = ΔEXPY (004 eq. 12–13) or Δ firm quality (001 eq. 18–21).
    """
    data = firm_table(index, [column], table="index")
    report = new_report(data.height)
    panel = PanelIndex.from_columns(data["firm_id"].to_numpy(), data["year"].to_numpy())
    values = data[column].to_numpy().astype(float)
    lagged = panel.shift(values, 1)
    change = values - lagged
    add_excluded(report, name, f"missing {column}", int(np.isnan(values).sum()))
    add_excluded(
        report, name, "no observation in t-1", int((np.isnan(lagged) & ~np.isnan(values)).sum())
    )
    out = data.select("firm_id", "year", column).with_columns(
        pl.Series(name, change).fill_nan(None)
    )
    return _result(out, index, report, return_report)


def _nearest_top(pairs: pl.DataFrame, top: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """For every (cic2, year, county) of ``pairs``: km to the nearest county of ``top`` with
    the same (cic2, year); NaN when there is none. One distance matrix from the counties of
    ``pairs`` to those of ``top`` is computed and sliced per group (a county in ``top`` is at
    distance 0 from itself)."""
    rows = pairs["county_code"].unique().sort()
    cols = top["county_code"].unique().sort()
    where = points.select("county_code", "lat", "lon")
    a = pl.DataFrame({"county_code": rows}).join(where, on="county_code", maintain_order="left")
    b = pl.DataFrame({"county_code": cols}).join(where, on="county_code", maintain_order="left")
    matrix = np.asarray(
        great_circle_km(
            a["lat"].to_numpy()[:, None],
            a["lon"].to_numpy()[:, None],
            b["lat"].to_numpy()[None, :],
            b["lon"].to_numpy()[None, :],
        )
    ).reshape(len(rows), len(cols))
    row_of = {code: i for i, code in enumerate(rows.to_list())}
    col_of = {code: j for j, code in enumerate(cols.to_list())}
    targets = {
        key: [col_of[c] for c in group["county_code"].to_list()]
        for key, group in top.partition_by(["cic2", "year"], as_dict=True).items()
    }
    pieces = []
    for key, group in pairs.partition_by(["cic2", "year"], as_dict=True).items():
        index = [row_of[c] for c in group["county_code"].to_list()]
        if key in targets:
            dist = matrix[np.ix_(index, targets[key])].min(axis=1)
        else:
            dist = np.full(len(index), np.nan)
        pieces.append(group.with_columns(pl.Series("isol", dist, dtype=pl.Float64)))
    if not pieces:
        return pairs.with_columns(pl.lit(None, dtype=pl.Float64).alias("isol"))
    return pl.concat(pieces)


def isolation(
    firms: Any,
    counties: Any,
    *,
    top_share: float = 0.10,
    return_report: bool = False,
) -> Any:
    """ISOL_fjt = km from the firm's county to the nearest county in the top decile of
    same-CIC2 employment in year t (0 when the firm's own county is in it).

    E_cjt = Σ employment of the firms of CIC2 division j in county c in year t (from
    ``firms``). The top decile of (j, t) are the counties with E_cjt > 0 at or above the
    (1 − ``top_share``) quantile of E_cjt over the counties with E_cjt > 0 (linear
    interpolation, so the largest county always qualifies). Distances are great-circle
    (haversine) between county centroids, :func:`vagg.data.geography.great_circle_km`.

    Parameters
    ----------
    firms : DataFrame
        CIE firm-years: ``firm_id``, ``year``, ``cic4``, ``county_code`` (nullable, 6-digit
        text), ``employment`` (≥ 0).
    counties : DataFrame
        ``county_code``, ``lat``, ``lon`` (centroid, decimal degrees).
    top_share : float
        Share of counties in the top group (0.10: the top decile).
    return_report : bool
        Also return the report (firm-years without a county).

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``cic2``, ``county_code``, ``isol`` (km), in the order of the
        firm-years with a county.

    References
    ----------
    Spec 003 §4.2 (M1), spillover-beyond-distance test; haversine with R = 6371.0088 km.
    """
    if not 0.0 < top_share <= 1.0:
        raise SchemaError("counties", None, f"top_share must be in (0, 1], got {top_share!r}")
    points = county_points(counties)
    report = new_report(0)
    data = county_firms(firms, points, report, "isol")
    report["n_rows"] = data.height + data["county_code"].null_count()
    cells = (
        data.group_by("cic2", "year", "county_code")
        .agg(pl.col("employment").sum().alias("_emp"))
        .filter(pl.col("_emp") > 0)
    )
    cut = pl.col("_emp").quantile(1.0 - top_share, interpolation="linear").over("cic2", "year")
    top = cells.filter(pl.col("_emp") >= cut).join(points, on="county_code")
    pairs = data.select("cic2", "year", "county_code").unique()
    dist_table = _nearest_top(pairs, top, points)
    out = data.join(
        dist_table, on=["cic2", "year", "county_code"], how="left", maintain_order="left"
    )
    out = out.with_columns(pl.col("isol").fill_nan(None))
    add_excluded(report, "isol", "no county with same-CIC2 employment", out["isol"].null_count())
    out = out.select("firm_id", "year", "cic2", "county_code", "isol")
    return _result(out, firms, report, return_report)
