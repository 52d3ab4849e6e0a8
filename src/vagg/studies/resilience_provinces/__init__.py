"""Study ``resilience_provinces``: virtual agglomeration and regional export resilience,
moderated by innovation (paper 002).

30 provinces × 2009–2020 (N = 360). Export resilience SL in Martin's relative-growth form
(eq. E1), virtual agglomeration Vag as the distance-decayed location quotient of ICT
employment (eq. E2), pooled OLS with year dummies (eq. E3) and the Vag × R&D moderation
(eq. E4). Specification with every printed number: spec 002.

Exhibits, in the paper's order (``vagg replicate resilience_provinces``):

* Table 1 — descriptive statistics, with the paper's print beside them;
* Table 2 — stepwise baseline: Vag, + year FE, + GDP, TAX, CPI, FDI (HC1, adj. R²);
* Table 3 — Vag lagged one and two years, no year FE (conventional SEs);
* Table 4 — moderation by R&D, raw and product-centred interaction (conventional SEs);
* Table 4b (not in the paper) — eq. (E4) with controls and year FE clustered by province,
  with wild-cluster-bootstrap p-values: the table the truth check reads;
* Figure A1 (not in the paper) — Vag's coefficient with each province left out.

The package holds the panel (:mod:`.panels`), the regressions (:mod:`.models`), the exhibits
(:mod:`.tables`) and the options (:mod:`.options`); this module declares the study.
"""

from __future__ import annotations

from vagg.studies.base import FigureEntry, Study, TableEntry, Text
from vagg.studies.registry import register
from vagg.studies.resilience_provinces.models import RENAME, WCB_TERMS, wcb_key
from vagg.studies.resilience_provinces.options import OPTIONS
from vagg.studies.resilience_provinces.panels import CONTROLS
from vagg.studies.resilience_provinces.tables import (
    diagnostics_available,
    figure_leave_one_out,
    table_baseline,
    table_descriptive,
    table_lags,
    table_moderation,
    table_truth,
)
from vagg.studies.truth import TruthCheck

__all__ = ["OPTIONS", "PAPER", "STUDY"]

PAPER = "Paper 002 (Hans Publishers, title not in the extracted text): 虚拟集聚与区域出口韧性"

_STATS = ("nobs", "adj_r2")
_DV: Text = {"zh": "被解释变量：SL（出口韧性）", "en": "Dependent variable: SL (export resilience)"}
_WCB = [wcb_key(t) for t in WCB_TERMS]
_WCB_NOTE: Text = {
    "zh": "WCB（如有）：省份聚类野自助法（WCR，Rademacher 权重）t 统计量，方括号内为自助 p 值"
    "（原文未报告）。",
    "en": "WCB (where shown): wild cluster bootstrap (WCR, Rademacher weights, provinces as "
    "clusters) t, bootstrap p-value in brackets (not in the paper).",
}

STUDY = register(
    Study(
        "resilience_provinces",
        {
            "zh": "虚拟集聚、创新水平与区域出口韧性",
            "en": "Virtual agglomeration, innovation and regional export resilience",
        },
        [
            TableEntry(
                "1",
                table_descriptive,
                title={"zh": "主要变量描述性统计", "en": "Descriptive statistics"},
            ),
            TableEntry(
                "2",
                table_baseline,
                title={"zh": "基准回归", "en": "Baseline (stepwise)"},
                notes=[
                    _DV,
                    {
                        "zh": "混合 OLS，(2)–(6) 含年份固定效应，无省份固定效应；默认异方差稳健"
                        "标准误（HC1），选项 table2_se=cluster 时按省份聚类。",
                        "en": "Pooled OLS; year fixed effects from (2) on, no province effects; "
                        "heteroskedasticity-robust (HC1) standard errors by default, clustered "
                        "by province with the option table2_se=cluster.",
                    },
                    _WCB_NOTE,
                ],
                rename=RENAME,
                options={"stats": _STATS, "diagnostics": _WCB},
                layout=diagnostics_available,
            ),
            TableEntry(
                "3",
                table_lags,
                title={"zh": "滞后期的稳健性检验结果", "en": "Robustness: lagged Vag"},
                notes=[
                    _DV,
                    {
                        "zh": "混合 OLS，无年份固定效应（原文无 TIME FIXED 行）；常规标准误；"
                        "滞后在省内取。",
                        "en": "Pooled OLS without year effects (the paper has no TIME FIXED "
                        "row); conventional standard errors; lags within province.",
                    },
                ],
                rename=RENAME,
                options={"stats": _STATS, "keep": ["L(vag)", "L(vag, 2)", *CONTROLS]},
            ),
            TableEntry(
                "4",
                table_moderation,
                title={"zh": "调节效应", "en": "Moderating effect of innovation"},
                notes=[
                    _DV,
                    {
                        "zh": "XZ = Vag×R&D；XZ_c = (Vag − 均值)×(R&D − 均值)，仅乘积项中心化；"
                        "无控制变量与固定效应；常规标准误。",
                        "en": "XZ = Vag × R&D; XZ_c = (Vag − mean)(R&D − mean), only the "
                        "product centred; no controls or fixed effects; conventional "
                        "standard errors.",
                    },
                ],
                rename=RENAME,
                options={"stats": _STATS},
            ),
            TableEntry(
                "4b",
                table_truth,
                title={
                    "zh": "调节效应：含控制变量与年份固定效应、省份聚类（补充，原文未报告）",
                    "en": "Moderation with controls and year FE, clustered by province "
                    "(not in the paper)",
                },
                notes=[
                    _DV,
                    {
                        "zh": "标准误按省份聚类（CR1，30 个聚类）。",
                        "en": "Standard errors clustered by province (CR1, 30 clusters).",
                    },
                    _WCB_NOTE,
                ],
                rename=RENAME,
                options={"stats": _STATS, "diagnostics": _WCB},
                layout=diagnostics_available,
            ),
            FigureEntry(
                "A1",
                figure_leave_one_out,
                title={
                    "zh": "逐一剔除省份的 Vag 系数（表2第(6)列，补充）",
                    "en": "Vag coefficient of Table 2 col (6), one province left out",
                },
            ),
        ],
        truth=[
            TruthCheck("sl_vag", "4b", "vag", 0),
            TruthCheck("sl_innovation", "4b", "innovation", 0),
            TruthCheck("sl_vag_x_innovation", "4b", "vag:innovation", 0),
            TruthCheck("sl_pgdp", "4b", "pgdp", 0),
            TruthCheck("sl_tax", "4b", "tax", 0),
            TruthCheck("sl_consumption", "4b", "cons", 0),
            TruthCheck("sl_fdi", "4b", "fdi", 0),
            TruthCheck("sl_vag_centred", "4b", "vag", 1),
            *[TruthCheck(f"sl_t2_vag_c{c}", "2", "vag", c - 1) for c in range(2, 7)],
            *[TruthCheck(f"sl_t2_{v}_c6", "2", v, 5) for v in CONTROLS],
            TruthCheck("sl_t3_lag1", "3", "L(vag)", 0),
            TruthCheck("sl_t3_lag2", "3", "L(vag, 2)", 1),
            TruthCheck("sl_t4_vag_c1", "4", "vag", 0),
            TruthCheck("sl_t4_rd_c1", "4", "innovation", 0),
            TruthCheck("sl_t4_vag_c2", "4", "vag", 1),
            TruthCheck("sl_t4_rd_c2", "4", "innovation", 1),
            TruthCheck("sl_t4_xz_c2", "4", "vag:innovation", 1),
            TruthCheck("sl_t4_vag_c3", "4", "vag", 2),
        ],
        paper=PAPER,
        lang="zh",
        options=OPTIONS,
        tables=("province_panel", "national_series"),
        synthetic_parts=("provinces",),
    )
)
