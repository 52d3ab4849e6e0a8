"""Study ``quality_cities``: city virtual agglomeration and export product quality (paper 001).

Zhao Chunming, Ban Yuanhao, Li Hongbing & Liu Ye (2022), "虚拟集聚能否促进城市出口产品质量升级",
《经济管理》2022(7): 23–41. Customs lines 2005–2015 → KSW export quality (eq. 18–21) by city ×
HS4 × year; Bartik virtual agglomeration from the 2004 census shares and China's OECD digital
input coefficients (eq. 22); eq. (17) with city, year and HS4 fixed effects, errors clustered
by city × HS4.

Exhibits (``vagg replicate quality_cities``): Table 1 (descriptives), Table 2 (baseline, 4
columns), Table 3 (endogeneity: province FE, province × year FE, lag, 2SLS with the lag and
the two historical instruments, KP rk LM and Wald F), Figure 2 (placebo). The panel is built in
:mod:`.panels`, the exhibits in :mod:`.tables`, the options in :mod:`.options`.
"""

from __future__ import annotations

from vagg.studies.base import FigureEntry, Study, TableEntry, Text
from vagg.studies.quality_cities.extensions import (
    table_extensions,
    table_location,
    table_measurement,
    table_mp,
    table_regime,
)
from vagg.studies.quality_cities.options import OPTIONS
from vagg.studies.quality_cities.panels import CONTROLS
from vagg.studies.quality_cities.tables import (
    figure_pareto,
    figure_placebo,
    table_baseline,
    table_descriptive,
    table_endogeneity,
)
from vagg.studies.registry import register
from vagg.studies.truth import TruthCheck

__all__ = ["OPTIONS", "PAPER", "STUDY"]

PAPER = (
    "赵春明、班元浩、李宏兵、刘焯 (2022), 经济管理 2022(7): 虚拟集聚能否促进城市出口产品质量升级"
)

_GROUPS = ("centre", "peri", "east", "mid", "west")
_NOTE: Text = {
    "zh": "括号内为城市行业（城市×HS4）层面聚类稳健标准误；控制变量为 fdi、open、fisc、dlp、sci、"
    "edu、wage、gdp、fixinv。",
    "en": "Standard errors clustered by city × HS4 in parentheses. Controls: fdi, open, fisc, "
    "dlp, sci, edu, wage, gdp, fixinv.",
}

STUDY = register(
    Study(
        "quality_cities",
        {
            "zh": "虚拟集聚能否促进城市出口产品质量升级",
            "en": "Can virtual agglomeration upgrade cities' export quality?",
        },
        [
            TableEntry(
                "1", table_descriptive, title={"zh": "主要变量描述性统计", "en": "Descriptives"}
            ),
            TableEntry(
                "2",
                table_baseline,
                title={"zh": "基准回归结果", "en": "Baseline"},
                notes=[_NOTE],
                options={"keep": ["vagg", *CONTROLS]},
            ),
            TableEntry(
                "3",
                table_endogeneity,
                title={"zh": "内生性问题", "en": "Endogeneity"},
                columns=[
                    {"zh": "(1) 省份FE", "en": "(1) province FE"},
                    {"zh": "(2) 省份×年份FE", "en": "(2) province × year FE"},
                    {"zh": "(3) 滞后一期", "en": "(3) lag"},
                    {"zh": "(4) 2SLS 滞后一期", "en": "(4) 2SLS lag"},
                    {"zh": "(5) 2SLS 固话", "en": "(5) 2SLS telephones"},
                    {"zh": "(6) 2SLS 邮局", "en": "(6) 2SLS post offices"},
                ],
                notes=[_NOTE],
                options={
                    "keep": ["vagg", "vagg_lag"],
                    "diagnostics": ["kp_rk_lm", "kp_rk_wald_f"],
                },
            ),
            TableEntry(
                "4",
                table_measurement,
                title={"zh": "测量偏误与进一步稳健性检验", "en": "Measurement and robustness"},
                notes=[
                    _NOTE,
                    {
                        "zh": "第(2)列按城市×HS6聚类；第(4)(5)列为工企—海关匹配样本"
                        "（2005–2013）的企业层面 c_qua，控制企业、城市和年份固定效应，"
                        "按企业聚类；第(5)列加入企业年龄、规模、人均资产及城市控制变量。",
                        "en": "Column (2) clusters by city x HS6. Columns (4)-(5): firm-level "
                        "c_qua on the matched CIE-customs firm-years (2005-2013), firm, city and "
                        "year FE, clustered by firm; (5) adds firm age, size, assets per worker "
                        "and the city controls.",
                    },
                ],
                options={"keep": ["vagg_in", "vagg", "vagg_txt"], "show_depvar": True},
            ),
            TableEntry(
                "5",
                table_regime,
                title={"zh": "贸易方式异质性", "en": "Trade regime and end use"},
                columns=[
                    {"zh": "(1) 加工贸易", "en": "(1) processing"},
                    {"zh": "(2) 一般贸易", "en": "(2) ordinary"},
                    {"zh": "(3) 中间品", "en": "(3) intermediate"},
                    {"zh": "(4) 最终品", "en": "(4) final"},
                ],
                notes=[_NOTE],
                options={"keep": ["vagg"]},
            ),
            TableEntry(
                "6",
                table_location,
                title={"zh": "地理区位异质性", "en": "Location"},
                notes=[_NOTE],
                options={"keep": ["vagg", *[f"vagg_{g}" for g in _GROUPS]]},
            ),
            TableEntry(
                "7",
                table_mp,
                title={"zh": "影响机制检验结果", "en": "Mechanism: Melitz-Polanec components"},
                notes=[
                    _NOTE,
                    {
                        "zh": "被解释变量为城市×HS4 质量变化（t−1→t）的 Melitz–Polanec 分解项，"
                        "单位为企业×HS6 产品；gap = between + entry + exit。",
                        "en": "Outcomes: Melitz-Polanec components of the city x HS4 quality "
                        "change t-1 -> t, firm x HS6 units; gap = between + entry + exit.",
                    },
                ],
                options={"keep": ["vagg"], "show_depvar": True},
            ),
            TableEntry(
                "8",
                table_extensions,
                title={"zh": "拓展性分析结果", "en": "Extensions"},
                notes=[
                    _NOTE,
                    {
                        "zh": "(1)–(4) 被解释变量为城市-年份变量，标准误按城市聚类。",
                        "en": "(1)-(4): city-year outcomes, errors clustered by city.",
                    },
                ],
                options={"keep": ["vagg_lag", "vagg", "coa", "d_coa"], "show_depvar": True},
            ),
            FigureEntry(
                "1",
                figure_pareto,
                title={
                    "zh": "帕累托分布的累积密度函数图和概率密度函数图",
                    "en": "Pareto CDF and PDF",
                },
            ),
            FigureEntry("2", figure_placebo, title={"zh": "安慰剂检验", "en": "Placebo test"}),
        ],
        truth=[
            TruthCheck("quality_cities.baseline", "2", "vagg", 3),
            TruthCheck("quality_cities.baseline", "3", "vagg", 0),
            TruthCheck("quality_cities.province_year", "3", "vagg", 1),
            TruthCheck("quality_cities.lagged", "3", "vagg_lag", 2),
            TruthCheck("quality_cities.iv_lag", "3", "vagg", 3),
            TruthCheck("quality_cities.iv_tel", "3", "vagg", 4),
            TruthCheck("quality_cities.iv_post", "3", "vagg", 5),
            TruthCheck("quality_cities.hs6", "4", "vagg", 1),
            TruthCheck("quality_cities.firm", "4", "vagg", -4),
            TruthCheck("quality_cities.firm_controls", "4", "vagg", -3),
            TruthCheck("quality_cities.baseline", "4", "vagg", -2),
            TruthCheck("quality_cities.baseline", "4", "vagg", -1),
            *[
                TruthCheck(f"quality_cities.vagg_x_{g}", "6", f"vagg_{g}", i)
                for i, g in enumerate(_GROUPS)
                if g != "peri"
            ],
            *[
                TruthCheck(f"quality_cities.mp_{c}", "7", "vagg", i)
                for i, c in enumerate(("within", "between", "entry", "exit", "total", "gap"))
            ],
            *[
                TruthCheck(f"quality_cities.{c}", "5", "vagg", i)
                for i, c in enumerate(("processing", "ordinary", "intermediate", "final"))
            ],
            TruthCheck("quality_cities.lnitff", "8", "vagg", 1),
        ],
        paper=PAPER,
        lang="zh",
        options=OPTIONS,
        synthetic_parts=("cities",),
    )
)
