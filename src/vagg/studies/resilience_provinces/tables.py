"""Exhibits of the study ``resilience_provinces`` (paper 002): Tables 1–4, Table 4b and the
leave-one-province-out figure.

Each function takes the run's :class:`~vagg.studies.data.StudyData` and engine and returns the
Results of its columns (or a finished table / figure). Table 1 prints the achieved moments
beside the paper's (the calibration check of the synthetic economy; on real data, the
comparison with the print).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from vagg.data import geography
from vagg.estimate.results import Result
from vagg.report.influence import leave_one_out_figure
from vagg.report.tables import RegressionTable, TableRow, regression_table
from vagg.studies.data import StudyData
from vagg.studies.resilience_provinces.models import (
    analysis_frame,
    baseline_steps,
    lag_models,
    leave_one_out,
    moderation_models,
    truth_models,
    with_wild_bootstrap,
)

__all__ = [
    "PAPER_TABLE1",
    "describe",
    "diagnostics_available",
    "figure_leave_one_out",
    "table_baseline",
    "table_descriptive",
    "table_lags",
    "table_moderation",
    "table_truth",
]

#: Paper 002 Table 1 (N, mean, sd, min, max), copied from the print (spec 002 §1.4).
PAPER_TABLE1: dict[str, tuple[float, float, float, float, float]] = {
    "year": (360, 2014, 3.457, 2009, 2020),
    "sl": (360, 0.226, 0.129, 0.0672, 0.869),
    "vag": (360, 0.0307, 0.158, 0.000117, 0.974),
    "pgdp": (360, 12509, 7875, 4287, 47118),
    "tax": (360, 0.0812, 0.0294, 0.0422, 0.200),
    "cons": (360, 0.376, 0.0661, 0.222, 0.538),
    "fdi": (360, 0.0201, 0.0159, 0.000100, 0.0819),
    "internet": (360, 7.045, 1.037, 3.490, 9.066),
    "innovation": (360, 29.11, 10.56, 15.78, 62.14),
}
_LABELS = {
    "year": "Year",
    "sl": "SL",
    "vag": "Vag",
    "pgdp": "GDP",
    "tax": "TAX",
    "cons": "CPI",
    "fdi": "FDI",
    "internet": "Internet",
    "innovation": "R&D",
}


def describe(frame: pd.DataFrame) -> pd.DataFrame:
    """N (non-missing), mean, sd (n − 1), min and max of Table 1's variables of ``frame``,
    one row per variable present, in Table 1's order."""
    rows = []
    for name in PAPER_TABLE1:
        if name not in frame.columns:
            continue
        x = frame[name].astype(float).dropna()
        rows.append(
            {
                "variable": name,
                "n": len(x),
                "mean": x.mean(),
                "sd": x.std(ddof=1),
                "min": x.min(),
                "max": x.max(),
            }
        )
    return pd.DataFrame(rows, columns=["variable", "n", "mean", "sd", "min", "max"])


def _number(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def table_descriptive(data: StudyData, engine: Any) -> RegressionTable:
    """Table 1: N, mean, sd, min, max of each variable, with the paper's print beside them."""
    stats = describe(analysis_frame(data))
    zh = data.lang == "zh"
    header = ("N", "mean", "sd", "min", "max", "paper mean", "paper sd", "paper min", "paper max")
    if zh:
        header = ("N", "均值", "标准差", "最小值", "最大值", "原文均值", "原文标准差", "原文最小值",
                  "原文最大值")  # fmt: skip
    rows, records = [], []
    for r in stats.itertuples(index=False):
        paper = PAPER_TABLE1[r.variable]
        values = [r.n, r.mean, r.sd, r.min, r.max, *paper[1:]]
        label = _LABELS[r.variable]
        rows.append(TableRow(label, tuple(_number(float(v)) for v in values), "statistic",
                             "statistics"))  # fmt: skip
        pairs = zip(header, values, strict=True)
        records += [{"row": label, "column": c, "value": float(v)} for c, v in pairs]
    notes = (
        "GDP 为人均地区生产总值（万元）；R&D 为研发经费占 GDP 百分比；"
        "CPI 为社会消费品零售总额/GDP；"
        "原文 GDP、R&D 与 Vag 的单位或标准化方式未说明，见研究文档。"
        if zh
        else "GDP: GDP per head (10⁴ RMB); R&D: R&D expenditure, percent of GDP; CPI: retail "
        "sales / GDP. The paper's units of GDP and R&D and its rescaling of Vag are not stated; "
        "see the study's docs.",
    )
    return RegressionTable(
        header=(header,),
        stub="变量" if zh else "Variable",
        rows=tuple(rows),
        notes=notes,
        title="表1　主要变量描述性统计" if zh else "Table 1: Descriptive statistics",
        lang=data.lang,
        estimates=pd.DataFrame.from_records(records, columns=["row", "column", "value"]),
    )


def diagnostics_available(
    results: Sequence[Result], *, diagnostics: Sequence[str] = (), **options: Any
) -> RegressionTable:
    """:func:`vagg.report.regression_table` showing those of ``diagnostics`` that some column
    holds (Table 2 has wild-bootstrap rows only when its errors are clustered)."""
    shown = [d for d in diagnostics if any(d in r.diagnostics for r in results)]
    return regression_table(results, diagnostics=shown or None, **options)


def table_baseline(data: StudyData, engine: Any) -> list[Result]:
    """Table 2: stepwise baseline, (1) Vag only, (2) + year FE, (3)–(6) + GDP, TAX, CPI, FDI;
    HC1 (or clustered by province with wild-cluster-bootstrap p-values: option table2_se)."""
    frame = analysis_frame(data)
    se = str(data.option("table2_se"))
    results = baseline_steps(frame, se)
    if se == "cluster":
        reps = int(data.option("bootstrap_reps"))
        results = [with_wild_bootstrap(r, frame, reps=reps, seed=data.seed) for r in results]
    return results


def table_lags(data: StudyData, engine: Any) -> list[Result]:
    """Table 3: L.Vag and L2.Vag with contemporaneous controls, no year FE, conventional SEs."""
    return lag_models(analysis_frame(data), "iid")


def table_moderation(data: StudyData, engine: Any) -> list[Result]:
    """Table 4: Vag + R&D; + XZ; + XZ_c (only the product centred); conventional SEs, no
    controls (option table4_controls adds them with year FE)."""
    return moderation_models(
        analysis_frame(data), "iid", controls=bool(data.option("table4_controls"))
    )


def table_truth(data: StudyData, engine: Any) -> list[Result]:
    """Table 4b (not in the paper): eq. (E4) with controls and year FE, clustered by province,
    raw and product-centred interaction, with wild-cluster-bootstrap p-values."""
    return truth_models(
        analysis_frame(data), reps=int(data.option("bootstrap_reps")), seed=data.seed
    )


def figure_leave_one_out(data: StudyData, engine: Any) -> Any:
    """Figure A1 (not in the paper): Table 2 col (6)'s Vag coefficient with each province left
    out, 95 % HC1 intervals; the full-sample estimate and interval shaded."""
    estimates = leave_one_out(analysis_frame(data))
    names = geography.provinces().set_index("province_code")
    labels = {
        code: {"zh": str(names.at[code, "name_zh"]), "en": str(names.at[code, "name_en"])}
        for code in names.index
    }
    return leave_one_out_figure(
        estimates,
        unit_labels=labels,
        xlabel={"zh": "Vag 系数（剔除该省份）", "en": "Vag coefficient, province left out"},
        ylabel={"zh": "剔除的省份", "en": "Province left out"},
        lang=data.lang,
    )
