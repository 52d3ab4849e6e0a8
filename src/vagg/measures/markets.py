"""Import and export margins of firms and the domestic-input price proxy rpdip (paper 000).

* :func:`trade_margins` — the extensive and intensive margins of a firm's intermediate-goods
  imports and of its exports (paper 000 Table 8: impinput_var, impinput_val, exp_var,
  exp_val, the import-substitution analysis);
* :func:`imported_input_share` — imported intermediates over CIE intermediate inputs
  (Table 8: impinput_ratio);
* :func:`rpdip` / :func:`firm_rpdip` — the relative price of domestic inputs proxied by the
  number of upstream domestic varieties (Kee & Tang 2016, AER; paper 000 Table 7, after
  邵朝对 & 苏丹妮 2019).

Customs rows are those of the firm's linked customs codes (see
:func:`vagg.measures.value_added.attach_firms`); regimes 10, 14 and 15 as in the DVAR
(trade_measures.md §0.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import check_rows, check_unique_key, like, require_columns
from vagg.measures.customs import (
    ORDINARY,
    PROCESSING,
    attach_firms,
    customs_checked,
    firm_rows,
    industry_sectors,
    keyed_lazy,
    product_classes,
    unknown_products,
)
from vagg.measures.io_weights import input_weight_matrix

__all__ = ["firm_rpdip", "imported_input_share", "rpdip", "trade_margins"]

_CORE_REGIMES = [ORDINARY, *PROCESSING]


def trade_margins(customs: Any, links: Any, products: Any) -> Any:
    """Extensive and intensive margins of intermediate imports and of exports, by firm-year.

    Over the firm's customs rows under regimes 10, 14 and 15:

    - imports of BEC-intermediate HS6 products: ``n_import_hs6`` (extensive margin: number of
      distinct HS6 codes; paper 000 Table 8 impinput_var = log of it), ``import_value``
      (USD, raw values as declared — no intermediary gross-up; impinput_val = log of it;
      intensive margin per product = import_value / n_import_hs6), ``n_import_origins``
      (distinct origin countries);
    - exports of all products: ``n_export_hs6`` (exp_var = log of it), ``export_value``
      (exp_val = log of it), ``n_export_destinations``.

    One row per linked firm-year with any customs record; zero counts and values where a
    firm has no such flow (logs are left to the analysis, which must drop the zeros). HS
    codes missing from ``products`` are an error naming the rows; an unknown regime code
    likewise. Kee & Tang (2016); Bernard, Jensen & Schott (2009) for the margins.

    Returns DataFrame(firm_id, year, n_import_hs6, import_value, n_import_origins,
    n_export_hs6, export_value, n_export_destinations), like ``customs``.
    """
    checked = customs_checked(customs, ["party_id", "partner"])
    rows = attach_firms(checked, links)
    classes = product_classes(products)
    core = pl.col("regime").is_in(_CORE_REGIMES)
    base = rows.join(classes, on="hs6", how="left")
    firm_years = base.group_by("firm_id", "year").agg(
        pl.col("end_use").null_count().alias("_unknown")
    )
    imports = base.filter(
        core & (pl.col("flow") == "import") & (pl.col("end_use") == "intermediate")
    )
    exports = base.filter(core & (pl.col("flow") == "export") & pl.col("end_use").is_not_null())

    def margins(flow: pl.LazyFrame, n_hs6: str, value: str, n_partners: str) -> pl.LazyFrame:
        return flow.group_by("firm_id", "year").agg(
            pl.col("hs6").n_unique().cast(pl.Int64).alias(n_hs6),
            pl.col("value_usd").sum().alias(value),
            pl.col("partner").n_unique().cast(pl.Int64).alias(n_partners),
        )

    columns = ["n_import_hs6", "import_value", "n_import_origins"]
    columns += ["n_export_hs6", "export_value", "n_export_destinations"]
    out = (
        firm_years.join(margins(imports, *columns[:3]), on=["firm_id", "year"], how="left")
        .join(margins(exports, *columns[3:]), on=["firm_id", "year"], how="left")
        .with_columns(pl.col(columns).fill_null(0))
        .sort("firm_id", "year")
        .collect()
    )
    if out["_unknown"].sum() > 0:
        unknown_products(checked, classes, links=links)
    out = out.select("firm_id", "year", *columns)
    return like(out, customs)


def imported_input_share(
    trade: Any, firms: Any, national_series: Any, *, value: str = "import_value"
) -> Any:
    """Imported intermediates as a share of the firm's intermediate inputs.

    impinput_ratio_ft = M_ft / (MI_ft × 1000 / rmb_per_usd_t)

    with M_ft the firm's intermediate-goods imports in USD (column ``value`` of ``trade``;
    by default :func:`trade_margins`' ``import_value``, the raw declared value) and MI the
    CIE intermediate inputs (thousand RMB) converted at the year's rate. Paper 000 Table 8,
    column (3) (进口中间投入占比). Firm-years of ``trade`` without a CIE record are not
    returned; where MI is missing (the CIE has no intermediate inputs in 2010) or not
    positive, the share is null (kept, so the rows can be counted).

    Returns DataFrame(firm_id, year, imports_usd, mi_usd, imported_input_share), like
    ``trade``.
    """
    tr = keyed_lazy(trade, "trade")
    require_columns(tr, "trade", ["firm_id", "year", value])
    tr = tr.select("firm_id", "year", pl.col(value).alias("imports_usd"))
    check_unique_key(tr, "trade", ["firm_id", "year"])
    fm = keyed_lazy(firms, "firms")
    require_columns(fm, "firms", ["firm_id", "year", "intermediate_inputs"])
    fm = fm.select("firm_id", "year", "intermediate_inputs")
    check_unique_key(fm, "firms", ["firm_id", "year"])
    rate = keyed_lazy(national_series, "national_series")
    require_columns(rate, "national_series", ["year", "rmb_per_usd"])
    rate = rate.select("year", "rmb_per_usd")
    check_unique_key(rate, "national_series", ["year"])
    joined = tr.with_columns(pl.col("firm_id").cast(pl.String)).join(
        fm.with_columns(pl.col("firm_id").cast(pl.String)), on=["firm_id", "year"], how="inner"
    )
    joined = joined.join(rate, on="year", how="left")
    check_rows(
        joined,
        "national_series",
        [(pl.col("rmb_per_usd").is_null() | (pl.col("rmb_per_usd") <= 0), "year", "no rate")],
    )
    mi = pl.col("intermediate_inputs") * 1000.0 / pl.col("rmb_per_usd")
    out = (
        joined.with_columns(mi.alias("mi_usd"))
        .with_columns(
            pl.when(pl.col("mi_usd") > 0)
            .then(pl.col("imports_usd") / pl.col("mi_usd"))
            .alias("imported_input_share")
        )
        .select("firm_id", "year", "imports_usd", "mi_usd", "imported_input_share")
        .sort("firm_id", "year")
        .collect()
    )
    return like(out, trade)


def _firm_sectors(firms: Any, industries: Any) -> pl.LazyFrame:
    """(firm_id, year, io_sector) of each CIE firm-year; a cic4 without IO sector is an error."""
    fm = firm_rows(firms, ["firm_id", "year", "cic4"])
    joined = fm.join(industry_sectors(industries), on="cic4", how="left")
    check_rows(
        joined,
        "firms",
        [(pl.col("io_sector").is_null(), "cic4", "CIC4 code has no IO sector in 'industries'")],
        row_col="_firms_row",
    )
    return joined.select("firm_id", "year", "io_sector")


def rpdip(customs: Any, links: Any, firms: Any, industries: Any, io_national: Any) -> Any:
    """Relative price of domestic inputs, proxied by upstream domestic variety (Table 7).

    N_kt = #{(f, h)}: distinct firm × HS6 export varieties in year t of the CIE firms whose
    CIE industry (cic4 of that year) maps to IO sector k — a customs code is placed in an
    industry only through its linked CIE record, so exports of unlinked parties and of linked
    firms without a CIE record that year are not counted; all export regimes count (a
    variety is a product the firm makes);

    rpdip_jt = log(1 + Σ_k w_in[j, k] N_kt)

    with the input weights w_in[j, k] of the latest national IO benchmark table not after t,
    diagonal included (:func:`vagg.measures.io_weights.io_input_weights`). More domestic
    upstream varieties lower the relative price of domestic inputs (Kee & Tang 2016, AER,
    §IV; paper 000 Table 7 after 邵朝对 & 苏丹妮 2019). The sign is the paper's: rpdip rises
    with upstream variety (Table 7 (5) reports +0.2152 for DVAR on rpdip), so a *higher*
    rpdip means *cheaper* domestic inputs relative to imported ones.

    Computed for every IO sector of the benchmark table and every year of ``firms`` (sectors
    with no varieties have N = 0); sectors without intermediate purchases get NaN. Returns
    DataFrame(io_sector, year, n_varieties, rpdip) — n_varieties is N_jt of the sector
    itself — like ``firms``.
    """
    sectors = _firm_sectors(firms, industries)
    exports = customs_checked(customs, ["party_id"]).filter(pl.col("flow") == "export")
    varieties = (
        attach_firms(exports, links)
        .select("firm_id", "year", "hs6")
        .unique()
        .join(sectors, on=["firm_id", "year"], how="inner")
        .group_by("io_sector", "year")
        .agg(pl.len().cast(pl.Int64).alias("n_varieties"))
        .collect()
    )
    years = sorted(sectors.select(pl.col("year").unique()).collect()["year"].to_list())
    firm_sectors = set(sectors.select(pl.col("io_sector").unique()).collect()["io_sector"])
    parts = []
    for year in years:
        w, codes, _ = input_weight_matrix(io_national, int(year), diagonal=True)
        missing = sorted(firm_sectors - set(codes))
        if missing:
            raise SchemaError(
                "industries",
                "io_sector",
                f"IO sectors absent from the io_national benchmark used for {year}",
                n_bad=len(missing),
                examples=missing,
            )
        counts = dict(
            varieties.filter(pl.col("year") == year).select("io_sector", "n_varieties").iter_rows()
        )
        n = np.array([counts.get(c, 0) for c in codes], dtype=float)
        with np.errstate(invalid="ignore"):
            value = np.log1p(w @ n)
        parts.append(
            pl.DataFrame(
                {
                    "io_sector": codes,
                    "year": np.full(len(codes), year, dtype=np.int64),
                    "n_varieties": n.astype(np.int64),
                    "rpdip": value,
                }
            )
        )
    schema = {
        "io_sector": pl.String,
        "year": pl.Int64,
        "n_varieties": pl.Int64,
        "rpdip": pl.Float64,
    }
    out = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    return like(out, firms)


def firm_rpdip(firms: Any, industries: Any, sector_rpdip: Any) -> Any:
    """rpdip of each CIE firm-year: the value of its IO sector (cic4 of that year) and year
    from :func:`rpdip` (paper 000 Table 7 uses it as the firm's rpdip).

    A firm-year whose sector-year has no rpdip is an error naming it. Returns
    DataFrame(firm_id, year, io_sector, rpdip), like ``firms``.
    """
    sectors = _firm_sectors(firms, industries)
    table = keyed_lazy(sector_rpdip, "sector_rpdip")
    require_columns(table, "sector_rpdip", ["io_sector", "year", "rpdip"])
    table = table.select("io_sector", "year", "rpdip")
    check_unique_key(table, "sector_rpdip", ["io_sector", "year"])
    keys: Sequence[str] = ("io_sector", "year")
    joined = sectors.join(table, on=list(keys), how="left", coalesce=True)
    check_rows(
        joined,
        "sector_rpdip",
        [(pl.col("rpdip").is_null(), "io_sector", "no rpdip for the firm's sector-year")],
    )
    return like(joined.sort("firm_id", "year").collect(), firms)
