"""Study ``dvar_firms``: virtual agglomeration and firms' export DVAR (paper 000).

Ren Wanwan & Liang Qihui (2022), "虚拟集聚与企业出口国内增加值率——基于上下游关联视角",
《国际贸易问题》2022(11). CIE firm-years 2000–2013 linked to their customs records and to the
Alibaba 1688.com paid-member list; export DVAR by eq. (6), virtual agglomeration by
eq. (7)–(9), DVAR on vagg with firm, industry (CIC4) and year fixed effects, errors clustered
by firm (eq. 5).

Exhibits, in the paper's order (``vagg replicate dvar_firms``):

* Table 0a / 0b — descriptive statistics and the linkage report (the paper's "备索" appendix);
* Table 1 — baseline, vagg_h / vagg_f / vagg_b without and with controls (6 columns);
* Table 2 — year-by-year propensity-score matching 1:1 and 1:3, and IPW (9 columns);
* Table 3 — DID and PSM-DID on industry switchers, treat × post × vagg (eq. 10; 6 columns);
* Table 4 — heterogeneity by ownership, region, trade regime, high-tech (30 equations);
  Table 4b (not in the paper) — the differences between those groups' coefficients;
* Table 5 — vagg by employment and fixed assets, DVAR1–DVAR3 (15 equations);
* Table 6 — the markup channel: FE, IV-2SLS (lagged vagg), DID, PSM-DID, markup → DVAR,
  price and productivity (21 equations); Table 6b (not in the paper) — DVAR on the markup
  and rpdip together, and the marginal-cost channel;
* Table 7 — the domestic-input price channel rpdip (13 equations);
* Table 8 — import substitution: import and export margins (15 equations);
* Figures 1–2 — vagg over 2000–2013, overall and by group (12 panels).

The package holds the derived panels (:mod:`.panels`), the regressions' helpers
(:mod:`.models`), the regression tables (:mod:`.tables`), the descriptive exhibits — Tables
0a–0b, Figures 1–2 — (:mod:`.descriptives`) and the options a user may set (:mod:`.options`:
the markup correction, the DID treatment level, the matching design); this module declares
the study. The layouts that are not specific to the paper are in :mod:`vagg.report.layouts`.
"""

from __future__ import annotations

from vagg.report.layouts import keep_available, packed_table
from vagg.studies.base import FigureEntry, Study, TableEntry, Text
from vagg.studies.dvar_firms.checks import TRUTH
from vagg.studies.dvar_firms.descriptives import (
    figure_groups,
    figure_timeline,
    table_descriptive,
    table_linkage,
)
from vagg.studies.dvar_firms.models import SHOWN_CONTROLS, STATS
from vagg.studies.dvar_firms.options import OPTIONS
from vagg.studies.dvar_firms.panels import VAGG
from vagg.studies.dvar_firms.tables import (
    table_baseline,
    table_did,
    table_heterogeneity,
    table_heterogeneity_tests,
    table_joint_mechanism,
    table_levels,
    table_margins,
    table_markup,
    table_matching,
    table_robustness,
    table_rpdip,
)
from vagg.studies.registry import register

__all__ = ["OPTIONS", "PAPER", "STUDY"]

PAPER = "Ren & Liang (2022), 国际贸易问题 2022(11): 虚拟集聚与企业出口国内增加值率"

_BASE_NOTE: Text = {
    "zh": "控制了年份、个体及行业（CIC4）固定效应，标准误按企业聚类；控制变量为 age、size、cl、"
    "debt、herfind 与所有制虚拟变量（age 与个体、年份固定效应共线，回归中自动剔除）。",
    "en": "Year, firm and industry (CIC4) fixed effects; standard errors clustered by firm. "
    "Controls: age, size, cl, debt, herfind and ownership dummies (age is collinear with the "
    "firm and year effects and drops out).",
}
_PACKED_NOTE: Text = {
    "zh": "每个单元格为一个独立方程，行表示对应解释变量的系数；各方程样本量见 CSV。",
    "en": "Each cell is a separate equation; rows give the coefficient of the regressor "
    "named; each equation's observations are in the CSV.",
}
_VAGG_LABELS = {"vagg_h": "vagg_h", "vagg_f": "vagg_f", "vagg_b": "vagg_b"}
_DID_LABELS: dict[str, Text] = {
    "treat_post": {"zh": "treat × post", "en": "treat × post"},
    **{f"treat_post_{v}": f"treat × post × {v}" for v in VAGG},
}


# ---------------------------------------------------------------------------- the study


def _notes(*texts: Text) -> list[Text]:
    return list(texts)


STUDY = register(
    Study(
        "dvar_firms",
        {
            "zh": "虚拟集聚与企业出口国内增加值率——基于上下游关联视角",
            "en": "Virtual agglomeration and firms' export DVAR: upstream-downstream linkages",
        },
        [
            TableEntry(
                "0a",
                table_descriptive,
                title={"zh": "描述性统计", "en": "Descriptive statistics"},
            ),
            TableEntry(
                "0b",
                table_linkage,
                title={"zh": "数据匹配报告", "en": "Linkage report"},
            ),
            TableEntry(
                "1",
                table_baseline,
                title={"zh": "基准估计结果", "en": "Baseline estimates"},
                notes=_notes(_BASE_NOTE),
                rename=_VAGG_LABELS,
                options={"keep": list(VAGG), "controls": SHOWN_CONTROLS, "stats": STATS},
                layout=keep_available,
            ),
            TableEntry(
                "1b",
                table_levels,
                title={
                    "zh": "出口国内增加值率均值（补充，原文未报告）",
                    "en": "Mean export DVAR by trade regime (not in the paper)",
                },
                columns=[
                    {"zh": "加工贸易 (1)", "en": "Processing (1)"},
                    {"zh": "一般贸易 (2)", "en": "Ordinary (2)"},
                    {"zh": "混合贸易 (3)", "en": "Mixed (3)"},
                    {"zh": "混合贸易 DVAR_o (4)", "en": "Mixed, DVAR_o (4)"},
                ],
                notes=[
                    {
                        "zh": "纯加工贸易、纯一般贸易与混合贸易出口企业-年份的 DVAR 均值（式 6），"
                        "(4) 为混合贸易企业一般贸易出口的 DVAR_o；标准误按企业聚类。",
                        "en": "Mean DVAR (eq. 6) of pure processing, pure ordinary and mixed "
                        "exporters' firm-years; (4) the mixed exporters' DVAR_o; standard "
                        "errors clustered by firm.",
                    }
                ],
                rename={"Intercept": {"zh": "均值", "en": "mean"}},
                options={"keep": ["Intercept"], "stats": ("nobs",)},
                layout=keep_available,
            ),
            TableEntry(
                "2",
                table_matching,
                title={"zh": "样本选择性偏差修正", "en": "Sample selection: PSM and IPW"},
                columns=[
                    *[{"zh": f"1:1匹配 ({i})", "en": f"1:1 NN ({i})"} for i in (1, 2, 3)],
                    *[{"zh": f"1:3匹配 ({i})", "en": f"1:3 NN ({i})"} for i in (4, 5, 6)],
                    *[{"zh": f"匹配加权 ({i})", "en": f"IPW ({i})"} for i in (7, 8, 9)],
                ],
                notes=_notes(
                    _BASE_NOTE,
                    {
                        "zh": "实验组为平台会员企业-年份，控制组为样本期内从未参与虚拟集群的企业；"
                        "按年份逐年以 logit 倾向得分最近邻匹配（有放回），在匹配样本上回归；"
                        "(7)–(9) 以 ATT 逆概率权重 p/(1−p) 加权。",
                        "en": "Treated: platform members' firm-years; controls: firms never on "
                        "the platform. Nearest-neighbour matching on a logit score, year by "
                        "year, with replacement; regressions on the matched samples; (7)–(9) "
                        "weighted by the ATT inverse-probability weights p/(1−p).",
                    },
                ),
                rename=_VAGG_LABELS,
                options={"keep": list(VAGG), "controls": SHOWN_CONTROLS, "stats": STATS},
                layout=keep_available,
            ),
            TableEntry(
                "3",
                table_did,
                title={"zh": "DID回归结果", "en": "DID: industry switchers"},
                notes=_notes(
                    _BASE_NOTE,
                    {
                        "zh": "treat 为样本期内变更一次行业（默认为投入产出部门，选项 did_level="
                        "cic4 时为 CIC4 行业）的企业，post 为变更当年及以后；"
                        "PSM-DID 以变更前协变量均值 1:1 匹配企业并保留其全部年份后回归（式10；"
                        "选项 psm_did_unit=firm_year 时按年份匹配企业-年份）。",
                        "en": "treat: firms that change industry once (IO sector by default; "
                        "CIC4 with did_level=cic4); post: the switch year on. PSM-DID: firms "
                        "matched 1:1 on their pre-switch covariate means, eq. (10) on the "
                        "matched firms' whole panels (psm_did_unit=firm_year: firm-years "
                        "matched year by year).",
                    },
                ),
                rename=_DID_LABELS,
                options={
                    "keep": ["treat_post", *[f"treat_post_{v}" for v in VAGG]],
                    "controls": SHOWN_CONTROLS,
                    "stats": STATS,
                },
                layout=keep_available,
            ),
            TableEntry(
                "4",
                table_heterogeneity,
                title={"zh": "异质性分析", "en": "Heterogeneity"},
                notes=_notes(_BASE_NOTE, _PACKED_NOTE),
                rename=_VAGG_LABELS,
                layout=packed_table,
            ),
            TableEntry(
                "4b",
                table_heterogeneity_tests,
                title={
                    "zh": "异质性差异检验（补充，原文未报告）",
                    "en": "Heterogeneity: differences between groups (not in the paper)",
                },
                notes=_notes(
                    {
                        "zh": "单元格为两组系数之差，括号内为标准误（分样本估计，方差相加，"
                        "正态检验）。",
                        "en": "Each cell is the difference between two groups' coefficients "
                        "of Table 4, standard error in parentheses (split samples, variances "
                        "added, normal test).",
                    }
                ),
                rename=_VAGG_LABELS,
                layout=packed_table,
            ),
            TableEntry(
                "5",
                table_robustness,
                title={"zh": "稳健性检验", "en": "Robustness"},
                notes=_notes(
                    _BASE_NOTE,
                    _PACKED_NOTE,
                    {
                        "zh": "(1)(2) 以从业人数、固定资产代替销售产值测算虚拟集聚；(3)–(5) "
                        "被解释变量为 DVAR1（Upward 等 2013）、DVAR2（Kee 和 Tang 2016）、"
                        "DVAR3（Koopman 等 2012）。",
                        "en": "(1)–(2): vagg weighted by employment and by fixed assets; "
                        "(3)–(5): DVAR1 (Upward et al. 2013), DVAR2 (Kee & Tang 2016), DVAR3 "
                        "(Koopman et al. 2012).",
                    },
                ),
                rename=_VAGG_LABELS,
                layout=packed_table,
            ),
            TableEntry(
                "6",
                table_markup,
                title={"zh": "企业加成率中间机制检验", "en": "The markup channel"},
                notes=_notes(
                    _BASE_NOTE,
                    _PACKED_NOTE,
                    {
                        "zh": "Mrkup 为 De Loecker–Warzynski 加成率的对数（ACF 柯布-道格拉斯生产"
                        "函数，按两位数行业估计，中间投入为可变投入）；vagg_h1、vagg_f1、vagg_b1 "
                        "为 DID 与 PSM-DID 中的三重交互项；(2) 以滞后一期的虚拟集聚为工具变量；"
                        "price 为企业出口产品平均价格（对数单位价值，相对同一 HS6 产品），tfp 为 "
                        "ACF 生产率。",
                        "en": "Mrkup: log De Loecker–Warzynski markup (ACF Cobb–Douglas by "
                        "2-digit industry, materials flexible); vagg_h1, vagg_f1, vagg_b1: the "
                        "triple interactions of the DID and PSM-DID; (2) instruments vagg by "
                        "its one-year lag; price: mean log export unit value relative to the "
                        "same HS6 product; tfp: ACF productivity.",
                    },
                ),
                rename={
                    **_VAGG_LABELS,
                    "log_markup": "Mrkup",
                    "log_price": "price",
                    "dvar": "DVAR",
                },
                options={"diagnostics": ["kp_rk_lm", "kp_rk_wald_f"], "show_depvar": True},
                layout=packed_table,
            ),
            TableEntry(
                "6b",
                table_joint_mechanism,
                title={
                    "zh": "加成率与国内中间品相对价格的联合检验及边际成本（补充，原文未报告）",
                    "en": "Markup and rpdip together; marginal cost (not in the paper)",
                },
                notes=_notes(
                    _BASE_NOTE,
                    {
                        "zh": "(1) DVAR 同时对加成率对数与 rpdip 回归；(2)–(4) 被解释变量为边际"
                        "成本对数（出口价格对数减加成率对数，盛丹和刘竹青 2017）。",
                        "en": "(1): DVAR on the log markup and rpdip together; (2)–(4): log "
                        "marginal cost (log export price − log markup; Sheng & Liu 2017).",
                    },
                ),
                rename={**_VAGG_LABELS, "log_markup": "Mrkup", "dvar": "DVAR", "log_mc": "mc"},
                options={
                    "keep": ["log_markup", "rpdip", *VAGG],
                    "controls": SHOWN_CONTROLS,
                    "show_depvar": True,
                    "stats": STATS,
                },
                layout=keep_available,
            ),
            TableEntry(
                "7",
                table_rpdip,
                title={
                    "zh": "国内中间品相对价格机制检验",
                    "en": "The relative price of domestic inputs (rpdip)",
                },
                notes=_notes(
                    _BASE_NOTE,
                    _PACKED_NOTE,
                    {
                        "zh": "rpdip = −ln(1 + Σ_k w_jk N_kt)，N_kt 为上游行业 k 的国内出口品种数"
                        "（Kee 和 Tang 2016）。",
                        "en": "rpdip = −ln(1 + Σ_k w_jk N_kt), N_kt the domestic export "
                        "varieties of upstream industry k (Kee & Tang 2016).",
                    },
                ),
                rename={**_VAGG_LABELS, "dvar": "DVAR"},
                options={"diagnostics": ["kp_rk_lm", "kp_rk_wald_f"], "show_depvar": True},
                layout=packed_table,
            ),
            TableEntry(
                "8",
                table_margins,
                title={"zh": "虚拟集聚与中间品进口替代", "en": "Import substitution"},
                notes=_notes(
                    _BASE_NOTE,
                    _PACKED_NOTE,
                    {
                        "zh": "impinput_var：进口 HS6 中间品个数的对数；impinput_val：中间品进口额"
                        "的对数；impinput_ratio：进口中间品占中间投入的比值；exp_var：出口 HS6 "
                        "产品数的对数；exp_val：出口额的对数。",
                        "en": "impinput_var: log number of imported HS6 intermediates; "
                        "impinput_val: log intermediate imports; impinput_ratio: imported "
                        "intermediates over intermediate inputs; exp_var: log number of "
                        "exported HS6 products; exp_val: log exports.",
                    },
                ),
                rename=_VAGG_LABELS,
                layout=packed_table,
            ),
            FigureEntry(
                "1",
                figure_timeline,
                title={
                    "zh": "中国工业企业虚拟集聚发展进程（2000—2013年）",
                    "en": "Virtual agglomeration of Chinese industrial firms, 2000–2013",
                },
            ),
            FigureEntry(
                "2",
                figure_groups,
                title={
                    "zh": "中国工业企业虚拟集聚的分布特征",
                    "en": "Virtual agglomeration by ownership, regime, region and industry",
                },
            ),
        ],
        truth=TRUTH,
        paper=PAPER,
        lang="zh",
        options=OPTIONS,
        tables=(
            "firms",
            "customs",
            "platform",
            "industries",
            "products",
            "io_national",
            "io_totals",
            "national_series",
        ),
        synthetic_parts=("firms",),
    )
)
