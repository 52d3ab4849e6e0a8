"""Study ``resilience_firms``: virtual agglomeration and firms' export resilience (paper 003).

徐志龙,《虚拟集聚对企业出口韧性的影响研究》 (DOI 10.69979/3029-2700.25.01.068) is conceptual:
it defines export resilience (resistance, recovery, renewal) and argues six mechanisms through
which virtual agglomeration strengthens it, with no data. This study is the empirical design of
spec 003 in the style of paper 000: CIE firms linked to their customs records and to the
platform's member list, vagg by paper 000 eq. (7)–(9), the 2008–09 trade collapse and
firm-specific foreign demand shocks.

Exhibits (``vagg replicate resilience_firms``):

* Table 0a / 0b — descriptives of sample C; linkage and shock exposure;
* Table 1 — (B1) RESIS, RECOV, RENEW, SURV × vagg_h / vagg_f / vagg_b, without and with controls;
* Table 2 — selection: PSM 1:1 and 1:3, IPW;
* Table 3 — endogeneity: 2SLS with the lagged vagg; DID and PSM-DID on industry switchers;
  Table 3b — the staggered DID of platform entry (TWFE, Callaway–Sant'Anna, Sun–Abraham);
* Table 4 — heterogeneity (ownership, region, regime, high-tech, SMEs);
* Table 5 — robustness of the definitions;
* Table 6 — (B2) the panel shock design, Loss × vagg and Gain asymmetry;
* Tables 7–12 — one per mechanism M1–M6: (M-a), the mechanism's own test, (M-b) mediation;
* Table A1 and Figure 1 — event study around the collapses, members vs non-members;
* Figure 2 — the mechanisms' indirect effects with bootstrap intervals.

Modules: :mod:`.panels` (derived frames), :mod:`.mechanisms` (indicators),
:mod:`.models` (regression templates), :mod:`.tables`, :mod:`.mechanism_tables`,
:mod:`.descriptives`, :mod:`.figures`, :mod:`.options`, :mod:`.checks` (truth checks).
"""

from __future__ import annotations

from vagg.report.layouts import keep_available, packed_table
from vagg.studies.base import FigureEntry, Study, TableEntry, Text
from vagg.studies.registry import register
from vagg.studies.resilience_firms.checks import TRUTH
from vagg.studies.resilience_firms.descriptives import table_descriptive, table_linkage
from vagg.studies.resilience_firms.figures import figure_event, figure_indirect
from vagg.studies.resilience_firms.mechanism_tables import (
    MECHANISMS,
    mechanism_table,
    table_staggered,
)
from vagg.studies.resilience_firms.options import OPTIONS
from vagg.studies.resilience_firms.panels import VAGG
from vagg.studies.resilience_firms.tables import (
    table_baseline,
    table_endogeneity,
    table_event,
    table_heterogeneity,
    table_robustness,
    table_selection,
    table_shock,
)

__all__ = ["OPTIONS", "PAPER", "STUDY"]

PAPER = "徐志龙 (2025), 虚拟集聚对企业出口韧性的影响研究, DOI 10.69979/3029-2700.25.01.068"

_CROSS_NOTE: Text = {
    "zh": "样本 C：2007年在工业企业数据库中且有自营出口的企业；控制 CIC4 行业与城市固定效应，"
    "标准误按 CIC4 聚类；控制变量为 age、size、cl、debt、herfind 与 2007 年出口对数。",
    "en": "Sample C: CIE firms of 2007 with own exports in 2007; CIC4 and city fixed effects, "
    "standard errors clustered by CIC4; controls age, size, cl, debt, herfind and ln exports "
    "2007.",
}
_PANEL_NOTE: Text = {
    "zh": "(M-a) 控制企业、CIC4 行业与年份固定效应，标准误按企业聚类；(M-b) 在样本 C 上估计，"
    "a·δ 的标准误为 Sobel 标准误，CIC4 聚类自助法区间见 manifest 与图2。",
    "en": "(M-a): firm, CIC4 and year fixed effects, errors clustered by firm; (M-b) on sample "
    "C, a·δ with Sobel's standard error (the CIC4 cluster-bootstrap interval is in the "
    "manifest and Figure 2).",
}
_PACKED_NOTE: Text = {
    "zh": "每个单元格为一个独立方程，行表示对应解释变量的系数；各方程样本量见 CSV。",
    "en": "Each cell is a separate equation; rows give the coefficient of the regressor named; "
    "each equation's observations are in the CSV.",
}
_VAGG_LABELS = {v: v for v in VAGG}
_MECHANISM_TITLES: dict[str, Text] = {
    "M1": {"zh": "机制一：出口结构调整", "en": "M1: export-structure adjustment"},
    "M2": {"zh": "机制二：缓解集聚拥挤", "en": "M2: congestion relief"},
    "M3": {"zh": "机制三：供应链柔性", "en": "M3: supply-chain flexibility"},
    "M4": {"zh": "机制四：市场响应速度", "en": "M4: market response speed"},
    "M5": {"zh": "机制五：经营成本", "en": "M5: operating costs"},
    "M6": {"zh": "机制六：智能化与绿色化出口", "en": "M6: intelligent and green exports"},
}


def _mechanism_entry(mechanism: str) -> TableEntry:
    table = MECHANISMS[mechanism][0]
    return TableEntry(
        table,
        mechanism_table(mechanism),
        title=_MECHANISM_TITLES[mechanism],
        notes=[_PANEL_NOTE, _PACKED_NOTE],
        rename=_VAGG_LABELS,
        layout=packed_table,
    )


STUDY = register(
    Study(
        "resilience_firms",
        {
            "zh": "虚拟集聚对企业出口韧性的影响研究",
            "en": "Virtual agglomeration and firms' export resilience",
        },
        [
            TableEntry("0a", table_descriptive, title={"zh": "描述性统计", "en": "Descriptives"}),
            TableEntry(
                "0b",
                table_linkage,
                title={"zh": "数据匹配与冲击暴露", "en": "Linkage and shock exposure"},
            ),
            TableEntry(
                "1",
                table_baseline,
                title={"zh": "基准估计结果", "en": "Baseline (B1)"},
                notes=[
                    _CROSS_NOTE,
                    _PACKED_NOTE,
                    {
                        "zh": "奇数列不含控制变量，偶数列含控制变量。",
                        "en": "Odd columns without controls, even columns with them.",
                    },
                ],
                rename=_VAGG_LABELS,
                layout=packed_table,
            ),
            TableEntry(
                "2",
                table_selection,
                title={"zh": "样本选择性偏差修正", "en": "Selection: PSM and IPW"},
                notes=[_CROSS_NOTE],
                rename=_VAGG_LABELS,
                options={"keep": list(VAGG), "stats": ("nobs", "r2")},
                layout=keep_available,
            ),
            TableEntry(
                "3",
                table_endogeneity,
                title={"zh": "内生性处理", "en": "Endogeneity: 2SLS, DID, PSM-DID"},
                notes=[
                    {
                        "zh": "(1)–(3) 以 2006 年虚拟集聚为工具变量；(4)–(9) 被解释变量为 OPEX，"
                        "treat 为变更一次行业的企业（式10）。",
                        "en": "(1)–(3): vagg instrumented by its 2006 value; (4)–(9): OPEX on "
                        "treat × post × vagg of industry switchers (paper 000 eq. 10).",
                    }
                ],
                options={
                    "keep": [*VAGG, "treat_post", *[f"treat_post_{v}" for v in VAGG]],
                    "diagnostics": ["kp_rk_lm", "kp_rk_wald_f"],
                    "stats": ("nobs",),
                },
                layout=keep_available,
            ),
            TableEntry(
                "3b",
                table_staggered,
                title={
                    "zh": "交错双重差分：加入平台对经营费用率的动态效应",
                    "en": "Staggered DID: platform entry and OPEX by event time",
                },
                notes=[
                    {
                        "zh": "(1) 双向固定效应；(2) Callaway–Sant'Anna 事件时间 ATT；"
                        "(3) Sun–Abraham 交互加权估计。e<k> 为加入平台后第 k 年。",
                        "en": "(1) two-way FE; (2) Callaway–Sant'Anna event-time ATT; (3) "
                        "Sun–Abraham interaction-weighted effects. e<k>: k years after "
                        "joining.",
                    }
                ],
                options={"stats": ("nobs",)},
            ),
            TableEntry(
                "4",
                table_heterogeneity,
                title={"zh": "异质性分析", "en": "Heterogeneity"},
                notes=[_CROSS_NOTE, _PACKED_NOTE],
                rename=_VAGG_LABELS,
                layout=packed_table,
            ),
            TableEntry(
                "5",
                table_robustness,
                title={"zh": "稳健性检验", "en": "Robustness of definitions"},
                notes=[_CROSS_NOTE, _PACKED_NOTE],
                rename=_VAGG_LABELS,
                layout=packed_table,
            ),
            TableEntry(
                "6",
                table_shock,
                title={"zh": "面板冲击设计", "en": "Panel shock design (B2)"},
                notes=[
                    {
                        "zh": "被解释变量为出口对数增长；Loss = max(0, −FD)；控制企业、行业×年份、"
                        "省份×年份固定效应，标准误按企业聚类。",
                        "en": "Δ ln exports on Loss = max(0, −FD), vagg at t − 1 and their "
                        "product; firm, CIC4 × year and province × year effects, errors "
                        "clustered by firm.",
                    }
                ],
                options={"stats": ("nobs", "r2")},
            ),
            *[_mechanism_entry(m) for m in MECHANISMS],
            TableEntry(
                "A1",
                table_event,
                title={
                    "zh": "事件研究：危机前后会员与非会员出口",
                    "en": "Event study around the collapses: members vs non-members",
                },
                columns=["2008–09", {"zh": "第二次冲击", "en": "Second collapse"}],
                options={"stats": ("nobs",)},
            ),
            FigureEntry(
                "1",
                figure_event,
                title={
                    "zh": "危机前后平台会员与非会员的出口（事件研究）",
                    "en": "Exports of members vs non-members around the collapses",
                },
            ),
            FigureEntry(
                "2",
                figure_indirect,
                title={"zh": "各机制的间接效应", "en": "Indirect effects of the mechanisms"},
            ),
        ],
        truth=TRUTH,
        paper=PAPER,
        lang="zh",
        options=OPTIONS,
        tables=("firms", "customs", "platform", "industries", "products", "io_national"),
        synthetic_parts=("firms",),
    )
)
