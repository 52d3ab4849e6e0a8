"""Province controls, constant-price GDP and the coastal/inland splits of papers 002 and 004.

Every measure here is a ratio or a re-basing of ``province_panel`` columns (units in
``vagg.data.schemas.provinces``), one row per province-year:

Paper 002 (export resilience; spec 002 §1.3):
    pgdp        economic development level (经济发展水平): gdp_per_capita / ``pgdp_scale``
                (10⁴ RMB per head by default)
    tax         tax burden (税负水平): tax_revenue / gdp
    cons        consumption level (社会消费水平; "CPI" in the paper's tables, *not* consumer
                prices): retail_sales / gdp
    fdi         FDI / GDP, FDI converted from USD at the annual average rate
    innovation  the R&D moderator (创新水平): 100·rd_expenditure / gdp (R&D intensity, percent)
                by default, or any column the user supplies (e.g. the composite score of the
                中国区域创新能力评价报告, which matches Table 1's range 15.8–62.1)
    internet    ln broadband_subscribers (Table 1's "Internet", descriptive only), when present

Paper 004 (Internet and sophistication; §(二)4):
    urban  urban population / total population = urbanisation_rate / 100
    gov    government expenditure / GDP
    lab    average years of schooling (:func:`average_schooling` computes it from the
           yearbook's population aged 6+ by educational attainment)
    open   FDI / GDP, FDI converted from USD at the annual average RMB/USD rate

Table 1 of 002 prints GDP between 4,287 and 47,118 (mean 12,509): not current per-capita GDP
in yuan (≈ 10,000–165,000 over 2009–2020) and not in 10⁴ yuan; the unit is not stated. A
coefficient per yuan of that size (≈ 1e-5) is ≈ 0.1 per 10⁴ yuan, hence the default scale.

Coastal/inland: paper 004 never defines 沿海/内地, and its N's imply two different splits
(spec 004 §1.1): 14/16 provinces in Tables 1 and 3, 15/15 in Tables 2, 5 and 6.
:data:`COASTAL_SPLITS` names the lists vagg uses (conventions, documented with their rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from vagg.data import geography
from vagg.data.errors import SchemaError
from vagg.data.frames import like
from vagg.errors import VaggError
from vagg.measures._provinces import (
    check_balanced,
    check_nonnegative,
    check_positive,
    known_codes,
    province_table,
    year_table,
)

__all__ = [
    "COASTAL_SPLITS",
    "SCHOOLING_YEARS",
    "average_schooling",
    "chain_index",
    "coastal_split",
    "real_gdp",
    "resilience_controls",
    "sophistication_controls",
]

_EAST_NBS4 = ("11", "12", "13", "31", "32", "33", "35", "37", "44", "46")
_NORTHEAST = ("21", "22", "23")
_SEA_COAST = tuple(geography.provinces().loc[lambda t: t["coastal"], "province_code"].sort_values())

COASTAL_SPLITS: dict[str, tuple[str, ...]] = {
    # the 11 provinces with a sea coast (辽 冀 津 鲁 苏 沪 浙 闽 粤 桂 琼)
    "sea_coast": _SEA_COAST,
    # NBS four-belt east (10) + northeast (3) + Guangxi, the one sea-coast province outside
    # them: 004 Tables 1 and 3 (N 167 = 14·12 − 1, 191 = 16·12 − 1)
    "coastal_14": tuple(sorted((*_EAST_NBS4, *_NORTHEAST, "45"))),
    # coastal_14 + Anhui (the fourth province of the Yangtze River Delta region with Shanghai,
    # Jiangsu and Zhejiang): 004 Tables 2, 5 and 6 (N 179 = 15·12 − 1, 180, 165)
    "coastal_15": tuple(sorted((*_EAST_NBS4, *_NORTHEAST, "45", "34"))),
}
"""Named coastal lists (province codes). Each is a convention: the paper gives no list."""


def coastal_split(split: str | Sequence[str] = "coastal_14") -> pd.DataFrame:
    """The coastal dummy of the 30 provinces under a named split or a list of codes.

    Parameters
    ----------
    split : str or sequence of str
        ``"coastal_14"`` (14 coastal / 16 inland: 004 Tables 1 and 3), ``"coastal_15"`` (15/15:
        004 Tables 2, 5, 6), ``"sea_coast"`` (the 11 provinces with a sea coast, the
        ``coastal`` flag of :mod:`vagg.data.geography`), or the user's own list of coastal
        codes (each must be one of the 30).

    Returns
    -------
    pandas.DataFrame
        (province_code, coastal) for the 30 provinces, ascending by code.

    Notes
    -----
    Rules: ``coastal_14`` is the NBS four-belt east (北京 天津 河北 上海 江苏 浙江 福建 山东 广东
    海南) and northeast (辽宁 吉林 黑龙江) plus 广西; ``coastal_15`` adds 安徽. Paper 004 reports
    only the counts (spec 004 §1.1), so these lists reproduce its N's, not a printed list.
    """
    if isinstance(split, str):
        if split not in COASTAL_SPLITS:
            raise VaggError(
                f"argument 'split': expected one of {sorted(COASTAL_SPLITS)} or a list of "
                f"province codes, got {split!r}"
            )
        coastal = set(COASTAL_SPLITS[split])
    else:
        coastal = {str(c) for c in split}
        unknown = sorted(coastal - set(known_codes()))
        if unknown:
            raise SchemaError(
                "coastal_split",
                "province_code",
                "unknown province codes (expected codes of vagg.data.geography.provinces())",
                n_bad=len(unknown),
                examples=unknown,
            )
    codes = known_codes()
    return pd.DataFrame({"province_code": codes, "coastal": [c in coastal for c in codes]})


def _cumulative_log_index(frame: pl.DataFrame, column: str) -> pl.Expr:
    """Σ_{s ≤ t} ln(index_s / 100) within province (years sorted, consecutive)."""
    return (pl.col(column) / 100.0).log().cum_sum().over("province_code", order_by="year")


def _base_year_check(frame: pl.DataFrame, table: str, base_year: int) -> None:
    years = frame["year"].to_list()
    if base_year not in set(years):
        raise SchemaError(
            table,
            "year",
            f"the base year {base_year} is not in the table (years {min(years)}–{max(years)}); "
            "choose a base year it covers",
        )


def chain_index(panel: Any, column: str, *, base_year: int = 2004, name: str | None = None) -> Any:
    """Chain a previous-year = 100 index into a level index with ``base_year`` = 100.

    level_t = 100·Π_{s=base+1}^{t} (idx_s/100) for t > base and
    100 / Π_{s=t+1}^{base} (idx_s/100) for t < base. Yearbooks print the GDP index and the
    fixed-asset investment price index as previous year = 100 (上年=100); ``province_panel``
    stores ``fai_price_index`` as a level (2000 = 100), which this produces from the yearbook
    series (``base_year=2000``).

    Parameters
    ----------
    panel : DataFrame
        province_code, year, ``column`` (> 0), a balanced panel containing ``base_year``.
    column : str
        The previous-year = 100 index.
    base_year : int
        The year whose level is 100.
    name : str, optional
        Output column name (default ``column`` + ``"_level"``).

    Returns
    -------
    DataFrame
        (province_code, year, ``name``); pandas if ``panel`` is.
    """
    table = province_table(panel, "province_panel", [column])
    check_balanced(table, "province_panel")
    check_positive(table, "province_panel", column, "a chained index multiplies it")
    _base_year_check(table, "province_panel", base_year)
    out_name = name or f"{column}_level"
    cum = table.sort("province_code", "year").with_columns(
        _cumulative_log_index(table, column).alias("_c")
    )
    base = cum.filter(pl.col("year") == base_year).select("province_code", pl.col("_c").alias("_b"))
    out = cum.join(base, on="province_code").select(
        "province_code", "year", (100.0 * (pl.col("_c") - pl.col("_b")).exp()).alias(out_name)
    )
    return like(out.sort("province_code", "year"), panel)


def real_gdp(panel: Any, *, base_year: int = 2004) -> Any:
    """GDP and per-capita GDP at constant ``base_year`` prices, chained from the GDP index.

    Y_t = GDP_base · Π_{s=base+1}^{t} (gdp_index_s/100) (and backwards for t < base), the
    deflation paper 004 describes for ALLO's output ("用 GDP 指数将其折算为 2004 年不变价");
    real per-capita GDP = Y_t·10⁸ / (population_t·10⁴), in RMB at base-year prices.

    Parameters
    ----------
    panel : DataFrame
        ``province_panel`` with gdp (100 million RMB, current), gdp_index (previous year = 100)
        and population (10k); balanced, containing ``base_year``.
    base_year : int
        Price base (2004 in paper 004).

    Returns
    -------
    DataFrame
        (province_code, year, real_gdp [100 million RMB, base prices], real_gdp_per_capita
        [RMB, base prices]); pandas if ``panel`` is.

    References
    ----------
    Paper 004 §(二)3; spec 004 §1.2 (ALLO).
    """
    table = province_table(panel, "province_panel", ["gdp", "gdp_index", "population"])
    check_balanced(table, "province_panel")
    for column in ("gdp", "gdp_index", "population"):
        check_positive(table, "province_panel", column, "real GDP takes its log or divides by it")
    _base_year_check(table, "province_panel", base_year)
    cum = table.sort("province_code", "year").with_columns(
        _cumulative_log_index(table, "gdp_index").alias("_c")
    )
    base = cum.filter(pl.col("year") == base_year).select(
        "province_code", pl.col("_c").alias("_b"), pl.col("gdp").log().alias("_y0")
    )
    out = (
        cum.join(base, on="province_code")
        .with_columns((pl.col("_y0") + pl.col("_c") - pl.col("_b")).exp().alias("real_gdp"))
        .select(
            "province_code",
            "year",
            "real_gdp",
            (pl.col("real_gdp") * 1e4 / pl.col("population")).alias("real_gdp_per_capita"),
        )
        .sort("province_code", "year")
    )
    return like(out, panel)


def _fdi_ratio(table: pl.DataFrame, national: Any) -> pl.Expr:
    rates = year_table(national, "national_series", ["rmb_per_usd"])
    check_positive(rates, "national_series", "rmb_per_usd", "FDI is converted to RMB with it")
    absent = sorted(set(table["year"].to_list()) - set(rates["year"].to_list()))
    if absent:
        raise SchemaError(
            "national_series",
            "rmb_per_usd",
            "exchange rate missing for year(s) of the panel",
            n_bad=len(absent),
            examples=absent,
        )
    return pl.col("fdi_usd") * pl.col("rmb_per_usd") / (pl.col("gdp") * 1e8)


def _with_rates(table: pl.DataFrame, national: Any) -> pl.DataFrame:
    rates = year_table(national, "national_series", ["rmb_per_usd"])
    return table.join(
        rates.select("year", pl.col("rmb_per_usd").cast(pl.Float64)), on="year", how="left"
    )


def _checked(panel: Any, columns: Sequence[str], positive: Sequence[str]) -> pl.DataFrame:
    table = province_table(panel, "province_panel", columns)
    for column in columns:
        if column in positive:
            check_positive(table, "province_panel", column, "the controls divide by it")
        else:
            check_nonnegative(table, "province_panel", column, "a control")
    return table.with_columns(pl.col(c).cast(pl.Float64) for c in columns)


def resilience_controls(
    panel: Any,
    national: Any,
    *,
    pgdp_scale: float = 1e4,
    innovation: str = "rd_intensity",
) -> Any:
    """The controls and the R&D moderator of paper 002 (GDP, TAX, CPI, FDI; R&D; Internet).

    pgdp = gdp_per_capita / pgdp_scale; tax = tax_revenue / gdp; cons = retail_sales / gdp;
    fdi = fdi_usd·rmb_per_usd / (gdp·10⁸); innovation = 100·rd_expenditure / gdp (or the
    column named by ``innovation``); internet = ln broadband_subscribers when the panel has it.
    See the module docstring for the definitions and units.

    Parameters
    ----------
    panel : DataFrame
        ``province_panel`` with gdp, gdp_per_capita, tax_revenue, retail_sales, fdi_usd and
        rd_expenditure (unless ``innovation`` names another column).
    national : DataFrame
        ``national_series`` with rmb_per_usd for every year of the panel.
    pgdp_scale : float
        Divisor of per-capita GDP (default 10⁴: 10⁴ RMB per head).
    innovation : str
        ``"rd_intensity"`` (default) or the name of a panel column holding the moderator.

    Returns
    -------
    DataFrame
        (province_code, year, pgdp, tax, cons, fdi, innovation[, internet]); pandas if
        ``panel`` is. Rows need not form a balanced panel (each row is its own ratio).

    References
    ----------
    Paper 002 §3.2.3–3.2.4; spec 002 §1.3 and Table 1.
    """
    if not np.isfinite(pgdp_scale) or pgdp_scale <= 0:
        raise VaggError(f"argument 'pgdp_scale': must be positive, got {pgdp_scale!r}")
    columns = ["gdp", "gdp_per_capita", "tax_revenue", "retail_sales", "fdi_usd"]
    columns.append("rd_expenditure" if innovation == "rd_intensity" else innovation)
    table = _checked(panel, columns, positive=("gdp", "gdp_per_capita"))
    has_internet = "broadband_subscribers" in _column_names(panel)
    if has_internet:
        extra = province_table(panel, "province_panel", ["broadband_subscribers"])
        check_positive(extra, "province_panel", "broadband_subscribers", "Internet is its log")
        table = table.with_columns(extra["broadband_subscribers"].cast(pl.Float64))
    fdi = _fdi_ratio(table, national)
    table = _with_rates(table, national)
    moderator = (
        100.0 * pl.col("rd_expenditure") / pl.col("gdp")
        if innovation == "rd_intensity"
        else pl.col(innovation)
    )
    exprs = [
        (pl.col("gdp_per_capita") / pgdp_scale).alias("pgdp"),
        (pl.col("tax_revenue") / pl.col("gdp")).alias("tax"),
        (pl.col("retail_sales") / pl.col("gdp")).alias("cons"),
        fdi.alias("fdi"),
        moderator.alias("innovation"),
    ]
    if has_internet:
        exprs.append(pl.col("broadband_subscribers").log().alias("internet"))
    out = table.select("province_code", "year", *exprs).sort("province_code", "year")
    return like(out, panel)


def sophistication_controls(panel: Any, national: Any) -> Any:
    """The controls of paper 004: URBAN, GOV, LAB and OPEN.

    urban = urbanisation_rate / 100; gov = government_expenditure / gdp; lab =
    schooling_years; open = fdi_usd·rmb_per_usd / (gdp·10⁸), FDI converted "依据当年人民币兑换
    美元的汇率均值" (at the year's average RMB/USD rate).

    Parameters
    ----------
    panel : DataFrame
        ``province_panel`` with urbanisation_rate (percent), government_expenditure, gdp,
        schooling_years and fdi_usd.
    national : DataFrame
        ``national_series`` with rmb_per_usd for every year of the panel.

    Returns
    -------
    DataFrame
        (province_code, year, urban, gov, lab, open); pandas if ``panel`` is.

    References
    ----------
    Paper 004 §(二)4; spec 004 §1.2.
    """
    columns = ["urbanisation_rate", "government_expenditure", "gdp", "schooling_years", "fdi_usd"]
    table = _checked(panel, columns, positive=("gdp",))
    fdi = _fdi_ratio(table, national)
    table = _with_rates(table, national)
    out = table.select(
        "province_code",
        "year",
        (pl.col("urbanisation_rate") / 100.0).alias("urban"),
        (pl.col("government_expenditure") / pl.col("gdp")).alias("gov"),
        pl.col("schooling_years").alias("lab"),
        fdi.alias("open"),
    ).sort("province_code", "year")
    return like(out, panel)


SCHOOLING_YEARS: dict[str, float] = {
    "no_schooling": 0.0,
    "primary": 6.0,
    "junior_secondary": 9.0,
    "senior_secondary": 12.0,
    "tertiary": 16.0,
}
"""Years assigned to each attainment level (未上学 0, 小学 6, 初中 9, 高中 12, 大专及以上 16)."""


def average_schooling(
    frame: Any, years: dict[str, float] | None = None, *, name: str = "schooling_years"
) -> Any:
    """Average years of schooling from the population aged 6+ by educational attainment.

    LAB_it = Σ_e years_e · P_eit / Σ_e P_eit, the attainment counts P of the yearbook table
    "各地区按性别和受教育程度分的人口" (6 岁及以上人口: 未上学, 小学, 初中, 高中, 大专及以上; a
    sample survey, so counts are in persons of the sample), with the customary years
    :data:`SCHOOLING_YEARS` (e.g. 陈钊、陆铭、金煜 2004). Pass ``years`` to use other levels (e.g.
    大专 15, 本科 16, 研究生 19 where the edition splits tertiary education).

    Parameters
    ----------
    frame : DataFrame
        province_code, year and one column per key of ``years`` (counts ≥ 0, not all 0).
    years : dict, optional
        Column → years of schooling (default :data:`SCHOOLING_YEARS`).
    name : str
        Output column (default ``schooling_years``, the ``province_panel`` column).

    Returns
    -------
    DataFrame
        (province_code, year, ``name``); pandas if ``frame`` is.

    References
    ----------
    Paper 004 §(二)4 (LAB, 人均受教育年限); Barro & Lee (1993) for attainment-weighted years.
    """
    weights = dict(SCHOOLING_YEARS if years is None else years)
    if not weights:
        raise VaggError("argument 'years': give at least one attainment level")
    table = province_table(frame, "schooling", list(weights))
    for column in weights:
        check_nonnegative(table, "schooling", column, "a population count")
    total = pl.sum_horizontal(pl.col(c).cast(pl.Float64) for c in weights)
    table = table.with_columns(total.alias("_n"))
    empty = table.filter(pl.col("_n") <= 0)
    if empty.height:
        raise SchemaError(
            "schooling",
            None,
            "no population in any attainment level; (province_code, year)",
            n_bad=empty.height,
            examples=list(empty.select("province_code", "year").head(5).iter_rows()),
        )
    weighted = pl.sum_horizontal(pl.col(c).cast(pl.Float64) * w for c, w in weights.items())
    out = table.select("province_code", "year", (weighted / pl.col("_n")).alias(name))
    return like(out.sort("province_code", "year"), frame)


def _column_names(frame: Any) -> list[str]:
    return [str(c) for c in frame.columns]
