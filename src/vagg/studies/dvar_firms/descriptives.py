"""The descriptive exhibits of the study ``dvar_firms`` (paper 000): Table 0a (descriptive
statistics), Table 0b (the linkage report) and Figures 1–2 (virtual agglomeration over
2000–2013, overall and by group). Aggregates only: cells and points built from fewer than
:func:`~vagg.report.layouts.min_firms` firms (``--min-firms``, default 10) are suppressed;
the extremes of Table 0a are the 1st and 99th percentiles, never one firm's value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import polars as pl

from vagg.measures.agglomeration import vagg_timeline
from vagg.report.figures import Panel, line_figure, panel_grid
from vagg.report.layouts import SUPPRESSED, frame_table, min_firms
from vagg.report.tables import RegressionTable
from vagg.studies.base import Text, resolve_text
from vagg.studies.data import StudyData
from vagg.studies.dvar_firms.models import in_lang
from vagg.studies.dvar_firms.panels import VAGG, derive

__all__ = ["describe", "figure_groups", "figure_timeline", "table_descriptive", "table_linkage"]

_DESCRIBED: tuple[tuple[str, Text], ...] = (
    ("dvar", {"zh": "出口国内增加值率 DVAR（式6）", "en": "Export DVAR (eq. 6)"}),
    ("dvar1", "DVAR1"),
    ("dvar2", "DVAR2"),
    ("dvar3", "DVAR3"),
    ("vagg_h", "vagg_h"),
    ("vagg_f", "vagg_f"),
    ("vagg_b", "vagg_b"),
    ("vagg_h_emp", {"zh": "vagg_h（从业人数）", "en": "vagg_h (employment)"}),
    ("vagg_f_emp", {"zh": "vagg_f（从业人数）", "en": "vagg_f (employment)"}),
    ("vagg_b_emp", {"zh": "vagg_b（从业人数）", "en": "vagg_b (employment)"}),
    ("vagg_h_fa", {"zh": "vagg_h（固定资产）", "en": "vagg_h (fixed assets)"}),
    ("vagg_f_fa", {"zh": "vagg_f（固定资产）", "en": "vagg_f (fixed assets)"}),
    ("vagg_b_fa", {"zh": "vagg_b（固定资产）", "en": "vagg_b (fixed assets)"}),
    ("member", {"zh": "平台会员 I", "en": "Platform member I"}),
    ("log_markup", {"zh": "加成率对数 Mrkup", "en": "Log markup"}),
    ("tfp", {"zh": "ACF 生产率 tfp", "en": "ACF productivity tfp"}),
    ("log_price", {"zh": "出口价格对数 price", "en": "Log export price"}),
    ("log_mc", {"zh": "边际成本对数", "en": "Log marginal cost"}),
    ("rpdip", "rpdip"),
    ("impinput_var", "impinput_var"),
    ("impinput_val", "impinput_val"),
    ("impinput_ratio", "impinput_ratio"),
    ("exp_var", "exp_var"),
    ("exp_val", "exp_val"),
    ("age", "age"),
    ("size", "size"),
    ("cl", "cl"),
    ("debt", "debt"),
    ("herfind", "herfind"),
    ("state", "state"),
    ("collective", "collect"),
    ("legal", "legal"),
    ("foreign", "foreign"),
    ("private", "private"),
    ("processing", {"zh": "加工贸易企业", "en": "Processing exporter"}),
    ("east", {"zh": "东部", "en": "East"}),
    ("central", {"zh": "中部", "en": "Central"}),
    ("west", {"zh": "西部", "en": "West"}),
    ("high_tech", {"zh": "高新技术产业", "en": "High-tech industry"}),
    ("treat", "treat"),
    ("post", "post"),
)


def _with_margins(panel: pl.DataFrame) -> pl.DataFrame:
    """The logs of Table 8 (positive values only) and region dummies, for the description."""

    def log_of(column: str) -> pl.Expr:
        return pl.when(pl.col(column) > 0).then(pl.col(column).cast(pl.Float64).log())

    return panel.with_columns(
        log_of("n_import_hs6").alias("impinput_var"),
        log_of("import_value").alias("impinput_val"),
        log_of("n_export_hs6").alias("exp_var"),
        log_of("export_value").alias("exp_val"),
        *[(pl.col("region") == r).cast(pl.Int8).alias(r) for r in ("east", "central", "west")],
    )


def describe(panel: pl.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    """N (firm-years with a finite value), firms, mean, sd, min, max and the 1st and 99th
    percentiles (linear interpolation) of each variable of ``panel`` (one row per variable,
    in order). Table 0a publishes the percentiles: a minimum or maximum is one firm's value."""
    rows = []
    for name in variables:
        values = panel.select("firm_id", pl.col(name).cast(pl.Float64).alias("x")).filter(
            pl.col("x").is_not_null() & pl.col("x").is_finite()
        )
        stats = values.select(
            pl.len().alias("n"),
            pl.col("firm_id").n_unique().alias("firms"),
            pl.col("x").mean().alias("mean"),
            pl.col("x").std().alias("sd"),
            pl.col("x").min().alias("min"),
            pl.col("x").max().alias("max"),
            pl.col("x").quantile(0.01, "linear").alias("p1"),
            pl.col("x").quantile(0.99, "linear").alias("p99"),
        ).row(0, named=True)
        rows.append({"variable": name, **stats})
    columns = ["variable", "n", "firms", "mean", "sd", "min", "max", "p1", "p99"]
    return pd.DataFrame(rows, columns=columns)


def table_descriptive(data: StudyData, engine: Any) -> RegressionTable:
    """Table 0a: N, firms, mean, sd, 1st and 99th percentiles of the variables of the
    analysis panel."""
    panel = _with_margins(data.cached("dvar_firms_panels", derive)["panel"])
    stats = describe(panel, [name for name, _ in _DESCRIBED])
    zh = data.lang == "zh"
    columns = (
        ["观测值", "企业数", "均值", "标准差", "P1", "P99"]
        if zh
        else ["N", "Firms", "Mean", "SD", "P1", "P99"]
    )
    rows = []
    for (_, label), record in zip(_DESCRIBED, stats.itertuples(index=False), strict=True):
        firms = int(record.firms)
        values = [int(record.n), firms, record.mean, record.sd, record.p1, record.p99]
        rows.append((in_lang(data, label), values, [firms] * 6))
    title = "表0a　描述性统计" if zh else "Table 0a: Descriptive statistics"
    note = (
        "样本：与海关记录匹配、出口 DVAR 可计算并通过清洗规则的企业-年份。"
        if zh
        else "Sample: CIE firm-years linked to their customs records with an export DVAR that "
        "pass the cleaning rules."
    )
    return frame_table(
        rows,
        columns=columns,
        stub="变量" if zh else "Variable",
        title=title,
        notes=[note],
        lang=data.lang,
    )


def _count(n: Any) -> str:
    """A count of firms for a note: the number, or "suppressed" when it is positive and below
    the disclosure threshold (:func:`~vagg.report.layouts.min_firms`); zero names no firm."""
    return str(n) if not isinstance(n, int | float) or n == 0 or n >= min_firms() else SUPPRESSED


def table_linkage(data: StudyData, engine: Any) -> RegressionTable:
    """Table 0b: customs and platform linkage by CIE year; precision and recall against the
    true links on synthetic data."""
    links = data.cached("dvar_firms_panels", derive)["linkage"]
    years = set(data.table("firms")["year"].unique().to_list())
    zh = data.lang == "zh"
    members = {int(r["member_since"]): r for r in links["platform_report"].iter_rows(named=True)}
    rows: list[tuple[str, list[Any], list[int | None]]] = []
    for r in (
        links["customs_report"].filter(pl.col("year").is_in(list(years))).iter_rows(named=True)
    ):
        year = int(r["year"])
        exporters, matched = int(r["exporters"]), int(r["matched"])
        platform = members.get(year)
        joined = None if platform is None else int(platform["members"])
        linked = None if platform is None else int(platform["linked"])
        values = [
            exporters,
            matched,
            matched / exporters if exporters else None,
            r["matched_value_share"],
            r["intermediary_value_share"],
            joined,
            linked,
            None,
            None,
        ]
        firms = [exporters, matched, exporters, matched, exporters, joined, linked, None, None]
        rows.append((str(year), values, firms))
    quality = links["quality"]
    if quality is not None:
        for name, label in (("customs", "海关匹配"), ("platform", "平台匹配")):
            q = quality[name]
            text = label if zh else f"{name.capitalize()} linkage"
            values = [None] * 7 + [q["precision"], q["recall"]]
            firms = [None] * 7 + [int(q["n_found"]), int(q["n_true"])]
            rows.append((text, values, firms))
    columns = (
        ["出口企业", "匹配企业", "匹配率", "匹配出口额占比", "中间商出口占比", "新增会员",
         "匹配会员", "精确率", "召回率"]
        if zh
        else ["Exporters", "Matched", "Match rate", "Matched export share",
              "Intermediary export share", "New members", "Members linked", "Precision",
              "Recall"]
    )  # fmt: skip
    c = {k: _count(v) for k, v in links["customs_excluded"].items()}
    later = _count(sum(int(r["members"]) for y, r in members.items() if y not in years))
    notes = [
        f"海关企业-年份 {c['party_years']} 个：中间商 {c['intermediary']}，名称匹配 "
        f"{c['linked_name']}，邮编+电话匹配 {c['linked_zip_phone']}，多重匹配 "
        f"{c['ambiguous']}，未匹配 {c['unmatched']}；首次付费年份不在样本期内的会员 {later} 个。"
        if zh
        else f"Customs party-years {c['party_years']}: intermediaries {c['intermediary']}, "
        f"linked by name {c['linked_name']}, by zip + phone {c['linked_zip_phone']}, "
        f"ambiguous {c['ambiguous']}, unmatched {c['unmatched']}; platform members whose "
        f"first paid year lies outside the CIE years: {later}."
    ]
    if quality is not None:
        notes.append(
            "精确率与召回率按合成数据的真实匹配（truth_links.parquet）计算：海关按企业-年份，"
            "平台按会员名称。"
            if zh
            else "Precision and recall against the synthetic data's true links "
            "(truth_links.parquet): customs by party-year, platform by member name."
        )
    return frame_table(
        rows,
        columns=columns,
        stub="年份" if zh else "Year",
        title="表0b　数据匹配报告" if zh else "Table 0b: Linkage report",
        notes=notes,
        lang=data.lang,
    )


# ---------------------------------------------------------------------------- figures

_MEASURE_LABELS: dict[str, Text] = {
    "vagg_h": {"zh": "同行业虚拟集聚度 vagg_h", "en": "Same industry (vagg_h)"},
    "vagg_f": {"zh": "上游产业虚拟集聚度 vagg_f", "en": "Upstream (vagg_f)"},
    "vagg_b": {"zh": "下游产业虚拟集聚度 vagg_b", "en": "Downstream (vagg_b)"},
}


def _timeline(panel: pl.DataFrame, by: str | None = None) -> pl.DataFrame:
    """Mean vagg by year (and group) with points from fewer than min_firms() firms removed."""
    line = vagg_timeline(panel, None, by=by)
    enough = pl.col("n_firms") >= min_firms()
    return line.with_columns(pl.when(enough).then(pl.col(v)).alias(v) for v in VAGG)


#: The y axis of Figures 1 and 2: the mean of platform members' share of industry output.
_VAGG_AXIS: Text = {"zh": "虚拟集聚度（产出份额）", "en": "Virtual agglomeration (output share)"}


def figure_timeline(data: StudyData, engine: Any) -> Any:
    """Figure 1: mean vagg_h, vagg_f and vagg_b over the years."""
    panel = data.cached("dvar_firms_panels", derive)["panel"]
    long = _timeline(panel).unpivot(
        index="year", on=list(VAGG), variable_name="measure", value_name="value"
    )
    return line_figure(
        long,
        y="value",
        group="measure",
        group_labels=_MEASURE_LABELS,
        ylabel=_VAGG_AXIS,
        lang=data.lang,
    )


#: Figure 2's rows: (column, {value: label}, caption stem).
_FIGURE_GROUPS: tuple[tuple[str, Mapping[Any, Text], Text], ...] = (
    (
        "ownership",
        {
            "private": {"zh": "私营", "en": "Private"},
            "foreign": {"zh": "外资", "en": "Foreign"},
            "state": {"zh": "国有", "en": "State"},
        },
        {"zh": "分所有制", "en": "By ownership"},
    ),
    (
        "processing",
        {
            0: {"zh": "非加工贸易", "en": "Non-processing"},
            1: {"zh": "加工贸易", "en": "Processing"},
        },
        {"zh": "分贸易方式", "en": "By trade regime"},
    ),
    (
        "region",
        {
            "east": {"zh": "东部", "en": "East"},
            "central": {"zh": "中部", "en": "Central"},
            "west": {"zh": "西部", "en": "West"},
        },
        {"zh": "分地区", "en": "By region"},
    ),
    (
        "high_tech",
        {
            0: {"zh": "非高新技术产业", "en": "Non-high-tech"},
            1: {"zh": "高新技术产业", "en": "High-tech"},
        },
        {"zh": "分行业", "en": "By industry"},
    ),
)
_PANEL_MEASURES: dict[str, Text] = {
    "vagg_h": {"zh": "同行业虚拟集聚度", "en": "same-industry vagg"},
    "vagg_f": {"zh": "上游产业虚拟集聚度", "en": "upstream vagg"},
    "vagg_b": {"zh": "下游产业虚拟集聚度", "en": "downstream vagg"},
}


def figure_groups(data: StudyData, engine: Any) -> Any:
    """Figure 2: mean vagg_h / vagg_f / vagg_b by ownership, trade regime, region and
    industry (12 panels, (a)–(l))."""
    panel = data.cached("dvar_firms_panels", derive)["panel"]
    panels = []
    for column, groups, stem in _FIGURE_GROUPS:
        part = panel.filter(pl.col(column).is_in(list(groups)))
        line = _timeline(part, by=column)
        for v in VAGG:
            caption = {
                lang: f"{resolve_text(stem, lang)}"
                f"{'' if lang == 'zh' else ': '}{resolve_text(_PANEL_MEASURES[v], lang)}"
                for lang in ("zh", "en")
            }
            panels.append(
                Panel(line, v, caption, group=column, group_labels=dict(groups), ylabel=_VAGG_AXIS)
            )
    return panel_grid(panels, ncols=3, lang=data.lang)
