"""Descriptive tables of the study ``resilience_firms`` (paper 003): Table 0a (descriptive
statistics of sample C) and Table 0b (linkage and shock exposure)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from vagg.report.layouts import frame_table
from vagg.report.tables import RegressionTable
from vagg.studies.base import Text, resolve_text
from vagg.studies.data import StudyData
from vagg.studies.dvar_firms.descriptives import describe
from vagg.studies.resilience_firms.panels import BASE_YEAR, panel

__all__ = ["table_descriptive", "table_linkage"]

_DESCRIBED: tuple[tuple[str, Text], ...] = (
    ("RESIS", {"zh": "抵抗力 RESIS", "en": "Resistance RESIS"}),
    ("RECOV", {"zh": "恢复力 RECOV", "en": "Recovery RECOV"}),
    ("RENEW", {"zh": "更新力 RENEW", "en": "Renewal RENEW"}),
    ("SURV", {"zh": "存活 SURV", "en": "Survival SURV"}),
    ("vagg_h", "vagg_h"),
    ("vagg_f", "vagg_f"),
    ("vagg_b", "vagg_b"),
    ("member", {"zh": "平台会员 I", "en": "Platform member I"}),
    ("lnx07", {"zh": "2007年出口对数", "en": "ln exports 2007"}),
    ("EXPOSURE", {"zh": "冲击暴露", "en": "Shock exposure"}),
    ("age", "age"),
    ("size", "size"),
    ("cl", "cl"),
    ("debt", "debt"),
    ("herfind", "herfind"),
)


def table_descriptive(data: StudyData, engine: Any) -> RegressionTable:
    """Table 0a: N, firms, mean, sd, 1st and 99th percentiles of the outcomes, regressors and
    controls of sample C (spec 003 §2)."""
    cross = panel(data)["cross"]
    names = [(n, label) for n, label in _DESCRIBED if n in cross.columns]
    stats = describe(cross.with_columns(pl.lit(BASE_YEAR).alias("year")), [n for n, _ in names])
    zh = data.lang == "zh"
    columns = ["观测值", "企业数", "均值", "标准差", "P1", "P99"] if zh else [
        "N", "Firms", "Mean", "SD", "P1", "P99"
    ]  # fmt: skip
    rows = []
    for (_, label), r in zip(names, stats.itertuples(index=False), strict=True):
        firms = int(r.firms)
        rows.append((resolve_text(label, data.lang), [int(r.n), firms, r.mean, r.sd, r.p1, r.p99],
                     [firms] * 6))  # fmt: skip
    return frame_table(
        rows,
        columns=columns,
        stub="变量" if zh else "Variable",
        title="表0a　描述性统计" if zh else "Table 0a: Descriptive statistics",
        notes=[
            "样本 C：2007年在工业企业数据库中且有自营出口的企业。"
            if zh
            else "Sample C: CIE firms of 2007 with own customs exports in 2007."
        ],
        lang=data.lang,
    )


def table_linkage(data: StudyData, engine: Any) -> RegressionTable:
    """Table 0b: customs party-years and platform members linked to CIE firms, the size of
    sample C, and the exposure of its 2007 export mix to the 2008–09 collapse."""
    d = panel(data)
    links = d["linkage"]
    c, p = links["customs_excluded"], links["platform_excluded"]
    cross = d["cross"]
    zh = data.lang == "zh"
    rows: list[tuple[str, list[Any], list[int | None]]] = [
        ("海关企业-年份" if zh else "Customs party-years", [c["party_years"]], [None]),
        ("其中贸易中间商" if zh else "of which intermediaries", [c["intermediary"]], [None]),
        ("未匹配" if zh else "unmatched", [c["unmatched"] + c["ambiguous"]], [None]),
        ("平台会员" if zh else "Platform members", [p["members"]], [None]),
        ("平台会员未匹配" if zh else "members unmatched", [p["unmatched"] + p["ambiguous"]],
         [None]),
        ("样本 C 企业数" if zh else "Firms in sample C", [cross.height], [None]),
        ("样本 C 中平台会员" if zh else "members in sample C",
         [int(cross["member"].sum())], [None]),
    ]  # fmt: skip
    if "EXPOSURE" in cross.columns:
        e = cross["EXPOSURE"].drop_nulls()
        n = e.len()
        rows += [
            ("冲击暴露均值" if zh else "Shock exposure: mean", [float(e.mean() or np.nan)], [n]),
            ("冲击暴露标准差" if zh else "Shock exposure: sd", [float(e.std() or np.nan)], [n]),
        ]
    return frame_table(
        rows,
        columns=["数值" if zh else "Value"],
        stub="项目" if zh else "Item",
        title="表0b　数据匹配与冲击暴露" if zh else "Table 0b: Linkage and shock exposure",
        notes=[
            "冲击暴露 = Σ w_fdh,2007 · ln(M_dh,2009/M_dh,2008)。"
            if zh
            else "Exposure = Σ w_fdh,2007 · ln(M_dh,2009/M_dh,2008)."
        ],
        lang=data.lang,
    )
