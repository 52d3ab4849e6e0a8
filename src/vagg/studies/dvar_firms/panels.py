"""Derived panels of the study ``dvar_firms`` (paper 000): linkage, firm-years, analysis panel.

Three frames, derived together by :func:`derive` (memoised as one value with
:meth:`vagg.studies.data.StudyData.cached`), each exclusion counted with
:meth:`~vagg.studies.data.StudyData.note_dropped` (it goes to the manifest):

* :func:`linkage` — customs parties and platform members linked to CIE firms
  (:mod:`vagg.measures.linkage`; paper 000 §2.3 "匹配数据"), with match rates by year and, on
  a synthetic dataset that holds ``truth_links.parquet``, precision and recall;
* :func:`firm_years` — every CIE firm-year: platform membership I_ft, virtual agglomeration
  (eq. 7–9) weighted by gross output (the paper), employment and fixed assets (Table 5) and
  lagged one year (the instrument of Tables 6–7), the controls of §2.3, ownership, region,
  high-tech flag, industry switchers (eq. 10), markups and ACF productivity (Table 6) and the
  domestic-input price proxy rpdip (Table 7);
* :func:`analysis_panel` — the firm-years with an export DVAR by eq. (6) (and its three
  alternatives of Table 5) that pass the cleaning rules, with export prices, marginal cost
  and the import and export margins of Table 8.

Measures are computed on the whole CIE before the analysis sample is cut, so that the
agglomeration shares (eq. 7: members' share of *all* CIE output of the sector), the CR4 and
the upstream varieties are those of the industry, not of the sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from vagg.data.panel import lag_columns
from vagg.measures.agglomeration import Weight, platform_membership, virtual_agglomeration
from vagg.measures.firm_controls import firm_controls, industry_switchers, ownership
from vagg.measures.linkage import link_customs, link_platform, linkage_quality
from vagg.measures.markets import firm_rpdip, imported_input_share, rpdip, trade_margins
from vagg.measures.markups import (
    cie_production_panel,
    dlw_markups,
    export_prices,
    marginal_cost,
)
from vagg.measures.production import ProductionFunctionError, acf
from vagg.measures.value_added import (
    export_dvar,
    firm_trade,
    import_share_by_year,
    intermediary_shares,
)
from vagg.studies.data import StudyData
from vagg.studies.errors import StudyError

__all__ = [
    "CLEANING_RULES",
    "CONTROLS",
    "MARKUP_GROUPS",
    "MARKUP_SHIFTERS",
    "OWNERSHIP_DUMMIES",
    "VAGG",
    "VAGG_WEIGHTS",
    "analysis_panel",
    "derive",
    "firm_years",
    "linkage",
    "production",
    "production_panel",
]

#: The three virtual-agglomeration measures of eq. (7)–(9).
VAGG: tuple[str, ...] = ("vagg_h", "vagg_f", "vagg_b")
#: Weight of eq. (7) → suffix of the columns (Table 5 replaces gross output by these two).
VAGG_WEIGHTS: dict[Weight, str] = {"gross_output": "", "employment": "_emp", "fixed_assets": "_fa"}
#: Firm controls of §2.3 (age, size, liquidity, leverage, CR4).
CONTROLS: tuple[str, ...] = ("age", "size", "cl", "debt", "herfind")
#: Ownership dummies of §2.3 (private is the omitted category).
OWNERSHIP_DUMMIES: tuple[str, ...] = ("state", "collective", "legal", "foreign")

#: Cleaning rules of §2.3 ("剔除了一些关键指标缺失、不符合会计准则、不符合逻辑以及固定资产
#: 合计等关键指标为 0 的数据"; Nie, Jiang & Yang 2012; Brandt, Van Biesebroeck & Zhang 2012),
#: applied to the analysis panel in this order; the first that holds is the reason counted.
CLEANING_RULES: tuple[tuple[str, pl.Expr], ...] = (
    ("fewer than 8 employees", pl.col("employment") < 8),
    ("net fixed assets not positive", pl.col("fixed_assets") <= 0),
    ("total assets below current assets", pl.col("total_assets") < pl.col("current_assets")),
    ("total assets below net fixed assets", pl.col("total_assets") < pl.col("fixed_assets")),
    ("founded after the survey year", pl.col("founding_year") > pl.col("year")),
)


def _counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    """Value counts of ``column`` (nulls left out) as {value: count}."""
    counts = frame.filter(pl.col(column).is_not_null())[column].value_counts()
    return {str(k): int(v) for k, v in counts.iter_rows()}


# ---------------------------------------------------------------------------- linkage


def linkage(data: StudyData) -> dict[str, Any]:
    """Customs and platform linkage to the CIE, with its report (paper 000 §2.3).

    Customs party-years → CIE firm-years by name, then zip + phone, intermediaries set aside
    (:func:`vagg.measures.linkage.link_customs`); platform members → CIE firms by normalised
    name (:func:`~vagg.measures.linkage.link_platform`). Party-years and member names left
    unlinked (intermediary, ambiguous, unmatched) are counted. With the dataset's
    ``truth_links.parquet`` (synthetic data), precision and recall of both linkages
    (:func:`~vagg.measures.linkage.linkage_quality`).

    Returns a dict: ``customs_links`` (party_id, year, firm_id, match_pass),
    ``platform_links`` (firm_id, member_name, member_since), ``customs_report`` (by year),
    ``platform_report`` (by first paid year), ``customs_excluded``, ``platform_excluded`` and
    ``quality`` (None without true links).
    """
    firms = data.table("firms")
    customs = link_customs(data.table("customs"), firms)
    members = link_platform(data.table("platform"), firms)
    c = customs.excluded
    data.note_dropped(
        "linkage: customs party-years not linked to a CIE firm",
        {k: c[k] for k in ("intermediary", "ambiguous", "unmatched")},
        n_input=c["party_years"],
    )
    p = members.excluded
    data.note_dropped(
        "linkage: platform member names not linked to a CIE firm",
        {k: p[k] for k in ("ambiguous", "unmatched")},
        n_input=p["members"],
    )
    quality = None
    true_links = data.dataset / "truth_links.parquet"
    if true_links.is_file():
        truth = pl.read_parquet(true_links)
        quality = {
            "customs": linkage_quality(customs, truth),
            "platform": linkage_quality(members, truth),
        }
    return {
        "customs_links": customs.links,
        "platform_links": members.links,
        "customs_report": customs.report,
        "platform_report": members.report,
        "customs_excluded": dict(c),
        "platform_excluded": dict(p),
        "quality": quality,
    }


# ---------------------------------------------------------------------------- production


#: firm groups across which the markup response to vagg may differ: those of Table 4
#: (ownership, the west, high-tech industries, pure processing exporters)
MARKUP_GROUPS: tuple[str, ...] = ("state", "foreign", "private", "west", "high_tech", "processing")
#: first-stage markup shifters of the production function (DLW 2012 §IV.A): the platform
#: membership and the virtual agglomeration whose effect on the markup Table 6 estimates, and
#: each vagg times each of :data:`MARKUP_GROUPS` (the heterogeneity of Table 4), so that ε̂
#: absorbs neither the effect nor its differences between groups
MARKUP_SHIFTERS: tuple[str, ...] = (
    "member",
    *VAGG,
    *(f"{v}_x_{g}" for v in VAGG for g in MARKUP_GROUPS),
)


def _markup_groups(data: StudyData, trade: pl.DataFrame) -> pl.DataFrame:
    """0/1 columns :data:`MARKUP_GROUPS` of every CIE firm-year: ownership dummies
    (:func:`vagg.measures.firm_controls.ownership`), west (:func:`_regions`), the industry's
    high-tech flag, and pure processing exporters (exports under regimes 14/15 only, from the
    customs ``trade`` of :func:`vagg.measures.value_added.firm_trade`); unknown is 0."""
    firms = data.table("firms")
    keys = ["firm_id", "year"]
    owners = ownership(firms).select(*keys, "state", "foreign", "private")
    tech = data.table("industries").select(
        "cic4", pl.col("high_tech").cast(pl.Float64).alias("high_tech")
    )
    processing = trade.select(
        *keys, ((pl.col("ex_p") > 0) & (pl.col("ex_o") <= 0)).cast(pl.Float64).alias("processing")
    )
    frame = (
        firms.select(*keys, "cic4")
        .join(owners, on=keys, how="left")
        .join(_regions(data, firms).select(*keys, "region"), on=keys, how="left")
        .join(tech.unique("cic4"), on="cic4", how="left")
        .join(processing, on=keys, how="left")
        .with_columns((pl.col("region") == "west").alias("west"))
    )
    return frame.select(*keys, *(pl.col(g).cast(pl.Float64).fill_null(0.0) for g in MARKUP_GROUPS))


def production_panel(
    data: StudyData, links: Mapping[str, Any], trade: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The ACF input panel (:func:`vagg.measures.markups.cie_production_panel`) with the
    first-stage markup shifters :data:`MARKUP_SHIFTERS` (membership from the platform
    ``links`` of :func:`linkage`; vagg by eq. 7–9 with gross-output weights; the groups of
    :func:`_markup_groups`; ``trade`` as derived from ``links`` when not given)."""
    if trade is None:
        trade = _dvar_inputs(data, links)["trade"]
    firms = data.table("firms")
    keys = ["firm_id", "year"]
    panel = cie_production_panel(firms, industries=data.table("industries"))
    membership = platform_membership(firms, links["platform_links"])
    measure = virtual_agglomeration(
        firms, membership, data.table("industries"), data.table("io_national")
    )
    panel = (
        panel.join(measure.select(*keys, *VAGG), on=keys, how="left")
        .join(membership, on=keys, how="left")
        .with_columns(pl.col("member").fill_null(False).cast(pl.Float64))
        .join(_markup_groups(data, trade), on=keys, how="left")
    )
    return panel.with_columns(
        (pl.col(v) * pl.col(g)).alias(f"{v}_x_{g}") for v in VAGG for g in MARKUP_GROUPS
    ).drop(MARKUP_GROUPS)


def production(
    data: StudyData, links: Mapping[str, Any], trade: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Markups and ACF productivity of every CIE firm-year (paper 000 Table 6).

    Gross-output Cobb–Douglas production functions by 2-digit CIC industry, estimated by
    Ackerberg, Caves & Frazer (2015) (:func:`vagg.measures.production.acf`; y, l, k, m = logs of
    gross output, employment, net fixed assets, intermediate inputs); tfp = ω̂. Markups by De
    Loecker & Warzynski (2012) with materials as the flexible input,
    μ = θ_m · gross output / intermediate inputs (:func:`vagg.measures.markups.dlw_markups`;
    by default the output is purged of the first-stage residual ε̂, DLW 2012 eq. 11; the
    option ``markup_correction="none"`` keeps the observed share, whose output shock then
    moves the markup). Industries
    too small for the estimator are skipped and counted; when no industry can be estimated
    (a very small dataset) one technology is fitted to all firms, and the fallback is
    recorded.

    The first stage holds the markup shifters :data:`MARKUP_SHIFTERS` (platform membership,
    vagg_h / vagg_f / vagg_b and their products with the groups of Table 4; DLW 2012
    §IV.A), so that the corrected markup keeps their effect, and its differences between
    groups, instead of leaving them in ε̂. (``trade``: the firms' customs trade of
    :func:`vagg.measures.value_added.firm_trade`, for the processing group.)

    Returns DataFrame(firm_id, year, markup, log_markup, tfp, markup_status).
    """
    panel = production_panel(data, links, trade)
    within = data.option("markup_first_stage") == "firm_effects"
    by: str | None = "cic2"
    try:
        fit = acf(
            panel,
            output="gross_output",
            by=by,
            shifters=MARKUP_SHIFTERS,
            first_stage_firm_effects=within,
        )
    except ProductionFunctionError:
        by = None
        fit = acf(
            panel,
            output="gross_output",
            by=by,
            shifters=MARKUP_SHIFTERS,
            first_stage_firm_effects=within,
        )
        data.note_dropped("production function: pooled over industries (too few firms)", {})
    excluded = dict(fit.report["excluded"])
    data.note_dropped(
        f"production function (ACF, gross output, by {by or 'all firms'})",
        excluded,
        n_input=int(fit.report["n_input"]),
    )
    markups = dlw_markups(panel, fit, correct=data.option("markup_correction") == "dlw")
    status = _counts(markups.filter(pl.col("status") != "ok"), "status")
    data.note_dropped("markups (DLW): firm-years without a markup", status, n_input=markups.height)
    tfp = fit.firm_years.select("firm_id", "year", pl.col("omega").alias("tfp"))
    return markups.select(
        "firm_id", "year", "markup", "log_markup", pl.col("status").alias("markup_status")
    ).join(tfp, on=["firm_id", "year"], how="left")


# ---------------------------------------------------------------------------- firm-years


def _regions(data: StudyData, firms: pl.DataFrame) -> pl.DataFrame:
    """east / central / west of each firm-year: city → province (the first two digits of the
    GB/T 2260 city code) → region of the ``provinces`` table (the shipped 30-province table
    when the dataset has none)."""
    if data.has_table("provinces"):
        provinces = data.table("provinces").select("province_code", "region")
    else:
        from vagg.data.geography import provinces as shipped

        provinces = pl.from_pandas(shipped()[["province_code", "region"]])
    return firms.select(
        "firm_id", "year", pl.col("city_code").str.slice(0, 2).alias("province_code")
    ).join(provinces, on="province_code", how="left")


def firm_years(data: StudyData, links: Mapping[str, Any], markups: pl.DataFrame) -> pl.DataFrame:
    """Every CIE firm-year with the regressors, controls and mechanism variables of paper 000.

    * ``member`` (I_ft, eq. 7) and ``ever_member`` (a member in some year of the CIE);
    * vagg_h / vagg_f / vagg_b (eq. 7–9, gross-output shares), their ``_emp`` and ``_fa``
      versions (employment and fixed-asset shares, Table 5) and ``_lag`` values (t − 1);
    * controls age, size, cl, debt, herfind (§2.3; invalid inputs set to missing and counted),
      ownership type and dummies (Zhang, Chen & Liu 2013), ``region`` (east/central/west),
      ``high_tech``, ``io_sector``;
    * ``treat`` / ``post`` of the industry-switcher DID (eq. 10; switches of the option
      ``did_level``; firms switching more than once are neither and are counted);
    * ``log_markup``, ``markup``, ``tfp`` (``markups``, from :func:`production`) and ``rpdip``
      (Table 7, from the customs ``links`` of :func:`linkage`).
    """
    firms = data.table("firms")
    industries = data.table("industries")
    io_national = data.table("io_national")
    membership = platform_membership(firms, links["platform_links"])
    frame = firms.select(
        "firm_id", "year", "cic4", "employment", "founding_year", "sales", "gross_output"
    ).join(membership, on=["firm_id", "year"], how="left")
    frame = frame.with_columns(
        pl.col("member").fill_null(False).cast(pl.Int8),
        pl.col("member").fill_null(False).any().over("firm_id").cast(pl.Int8).alias("ever_member"),
    )
    for weight, suffix in VAGG_WEIGHTS.items():
        measure = virtual_agglomeration(firms, membership, industries, io_national, weight=weight)
        frame = frame.join(
            measure.select(
                "firm_id",
                "year",
                *([] if suffix else ["io_sector", "agg_h"]),
                *(pl.col(v).alias(v + suffix) for v in VAGG),
            ),
            on=["firm_id", "year"],
            how="left",
        )
    frame = lag_columns(frame.sort("firm_id", "year"), list(VAGG))

    controls = firm_controls(firms, on_invalid="null")
    data.note_dropped(
        "controls set to missing (invalid inputs)",
        _counts(controls, "invalid"),
        n_input=controls.height,
    )
    owners = ownership(firms)
    data.note_dropped(
        "ownership unknown (no positive paid-in capital)",
        {"no paid-in capital": int(owners["ownership"].null_count())},
        n_input=owners.height,
    )
    level = data.option("did_level")
    switchers = industry_switchers(
        firms, industries=industries if level == "io_sector" else None, level=level
    )
    several = switchers.filter(pl.col("n_switches") > 1)
    data.note_dropped(
        "DID: firm-years of firms changing industry more than once (treat/post missing)",
        {"several switches": several.height},
        n_input=switchers.height,
    )
    sector = industries.select("cic4", pl.col("high_tech").cast(pl.Int8).alias("high_tech")).unique(
        "cic4"
    )
    regions = _regions(data, firms)
    unknown = regions.filter(pl.col("region").is_null())
    data.note_dropped(
        "region unknown (city code's province not in the provinces table)",
        {"region unknown": unknown.height},
        n_input=regions.height,
    )
    price_index = rpdip(
        data.table("customs"), links["customs_links"], firms, industries, io_national
    )
    prices = firm_rpdip(firms, industries, price_index).select("firm_id", "year", "rpdip")
    keys = ["firm_id", "year"]
    frame = (
        frame.join(controls.drop("invalid", "cr4_small_industry"), on=keys, how="left")
        .join(owners, on=keys, how="left")
        .join(switchers.select(*keys, "treat", "post"), on=keys, how="left")
        .join(regions.select(*keys, "region"), on=keys, how="left")
        .join(sector, on="cic4", how="left")
        .join(prices, on=keys, how="left")
        .join(markups, on=keys, how="left")
    )
    return frame.sort(keys)


# ---------------------------------------------------------------------------- analysis panel

_DVAR_VARIANTS = ("dvar1", "dvar2", "dvar3")


def _dvar_inputs(data: StudyData, links: Mapping[str, Any]) -> dict[str, Any]:
    """m_kt, firm trade and δ_jt: the inputs of every variant of eq. (6)."""
    customs, products = data.table("customs"), data.table("products")
    shares = intermediary_shares(customs, products)
    trade = firm_trade(customs, links["customs_links"], products, shares)
    years = sorted(data.table("firms")["year"].unique().to_list())
    delta = import_share_by_year(data.table("io_national"), data.table("io_totals"), years)
    return {"trade": trade, "delta": delta}


def _dvar(data: StudyData, inputs: Mapping[str, Any], variant: str) -> pl.DataFrame:
    result = export_dvar(
        inputs["trade"],
        data.table("firms"),
        data.table("industries"),
        inputs["delta"],
        data.table("national_series"),
        variant=variant,  # type: ignore[arg-type]
    )
    label = "eq. (6)" if variant == "paper" else variant
    data.note_dropped(f"DVAR {label}: linked firm-years", result.excluded, n_input=result.n_input)
    return result.data


def _clean(data: StudyData, panel: pl.DataFrame) -> pl.DataFrame:
    """Drop and count the firm-years that fail :data:`CLEANING_RULES` (first reason counted)."""
    reason = pl.lit(None, pl.String)
    for name, rule in reversed(CLEANING_RULES):
        reason = pl.when(rule.fill_null(False)).then(pl.lit(name)).otherwise(reason)
    flagged = panel.with_columns(reason.alias("_reason"))
    counts = {name: 0 for name, _ in CLEANING_RULES} | _counts(flagged, "_reason")
    data.note_dropped("cleaning rules (§2.3)", counts, n_input=panel.height)
    return flagged.filter(pl.col("_reason").is_null()).drop("_reason")


def analysis_panel(
    data: StudyData,
    links: Mapping[str, Any],
    firm_frame: pl.DataFrame,
    inputs: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """The firm-year panel of paper 000's regressions.

    The CIE firm-years linked to their own customs records with regime 10/14/15 exports and a
    DVAR by eq. (6) in [0, 1] (:func:`vagg.measures.value_added.export_dvar`; every exclusion
    counted), that pass :data:`CLEANING_RULES`, joined with ``firm_frame`` (:func:`firm_years`)
    and with

    * ``dvar1`` – ``dvar3``: the alternatives of Table 5 (null where that variant drops the
      firm-year, e.g. dvar1 without CIE intermediate inputs in 2010);
    * ``regime_type`` (processing / ordinary / mixed) and ``processing`` (1 for pure
      processing exporters, the 加工贸易 group of Table 4);
    * ``log_price`` (mean log unit value of the firm's export lines relative to the same HS6
      product, unit and year; :func:`vagg.measures.markups.export_prices`) and
      ``log_mc`` = log_price − log_markup (:func:`vagg.measures.markups.marginal_cost`;
      Sheng & Liu 2017);
    * the margins of Table 8: ``n_import_hs6``, ``import_value`` (BEC-intermediate imports),
      ``n_export_hs6``, ``export_value`` and ``impinput_ratio`` (imports over CIE
      intermediate inputs).
    """
    if inputs is None:
        inputs = _dvar_inputs(data, links)
    base = _dvar(data, inputs, "paper").select(
        "firm_id", "year", "regime_type", "ex", "ex_p", "ex_o", "kappa_p", "dvar_p", "dvar_o",
        "dvar",
    )  # fmt: skip
    keys = ["firm_id", "year"]
    for variant in _DVAR_VARIANTS:
        alternative = _dvar(data, inputs, variant).select(*keys, pl.col("dvar").alias(variant))
        base = base.join(alternative, on=keys, how="left")
    cie = data.table("firms").select(
        *keys, "total_assets", "current_assets", "fixed_assets", "intermediate_inputs"
    )
    panel = base.join(firm_frame, on=keys, how="left").join(cie, on=keys, how="left")
    panel = _clean(data, panel)

    customs = data.table("customs")
    prices, report = export_prices(
        customs, links["customs_links"], within_hs6=True, return_report=True
    )
    data.note_dropped(
        "export prices: customs export lines left out",
        report["excluded"],
        n_input=int(report["n_lines"]),
    )
    costs, matched = marginal_cost(
        prices.select(*keys, "log_price"),
        firm_frame.select(*keys, "log_markup"),
        return_report=True,
    )
    data.note_dropped(
        "marginal cost: export-price firm-years without a markup",
        {
            "no CIE firm-year": int(matched["prices_without_markup"]),
            "markup missing": int(matched["matched_without_markup_value"]),
        },
        n_input=prices.height,
    )
    margins = trade_margins(customs, links["customs_links"], data.table("products"))
    ratio = imported_input_share(margins, data.table("firms"), data.table("national_series"))
    panel = (
        panel.join(prices.select(*keys, "log_price"), on=keys, how="left")
        .join(costs.select(*keys, pl.col("log_marginal_cost").alias("log_mc")), on=keys, how="left")
        .join(margins, on=keys, how="left")
        .join(
            ratio.select(*keys, pl.col("imported_input_share").alias("impinput_ratio")),
            on=keys,
            how="left",
        )
        .with_columns((pl.col("regime_type") == "processing").cast(pl.Int8).alias("processing"))
    )
    if panel.is_empty():
        raise StudyError(
            "dvar_firms: no firm-year has an export DVAR (no CIE firm is linked to customs "
            "exports); check the linkage report"
        )
    return panel.sort(keys)


def derive(data: StudyData) -> dict[str, Any]:
    """Everything the study's tables and figures read, derived once (and cached as one value
    by :meth:`StudyData.cached`, so each exclusion is recorded once per run): ``linkage``
    (:func:`linkage`), ``firm_years`` (:func:`firm_years`) and ``panel``
    (:func:`analysis_panel`)."""
    links = linkage(data)
    inputs = _dvar_inputs(data, links)
    frame = firm_years(data, links, production(data, links, inputs["trade"]))
    panel = analysis_panel(data, links, frame, inputs)
    return {"linkage": links, "firm_years": frame, "panel": panel}
