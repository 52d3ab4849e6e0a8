"""``vagg data check``: validate a dataset folder and summarise it.

Every table present is checked against its schema (partitioned tables one partition at a
time, so a customs folder of 10⁸ rows never sits in memory whole); codes that point to other
tables (cities, industries, products) must exist there. The report lists row counts and the
key moments the studies are calibrated on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.io import iter_partitions, read_table, table_path
from vagg.data.schemas import SCHEMAS

__all__ = [
    "REFERENCES",
    "CheckReport",
    "check_dataset",
]

#: (table, column) → (reference table, column) that must contain every value
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("firms", "cic4"): ("industries", "cic4"),
    ("firms", "city_code"): ("cities", "city_code"),
    ("customs", "city_code"): ("cities", "city_code"),
    ("census_2004", "city_code"): ("cities", "city_code"),
    ("census_2004", "cic4"): ("industries", "cic4"),
    ("city_panel", "city_code"): ("cities", "city_code"),
    ("cities", "province_code"): ("provinces", "province_code"),
    ("products", "cic4"): ("industries", "cic4"),
}


@dataclass
class CheckReport:
    """Row counts, moments and problems found in a dataset."""

    rows: dict[str, int] = field(default_factory=dict)
    moments: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_references(
    table: str, frame: pl.DataFrame, known: dict[str, set[str]], report: CheckReport
) -> None:
    for (tab, col), (ref_tab, ref_col) in REFERENCES.items():
        if tab != table or ref_tab not in known or col not in frame.columns:
            continue
        bad = frame.with_row_index("__row").filter(~pl.col(col).is_in(list(known[ref_tab])))
        if bad.height:
            err = SchemaError(
                table,
                col,
                f"codes not found in {ref_tab}.{ref_col}",
                bad["__row"].head(5).to_list(),
                bad.height,
                bad[col].head(5).to_list(),
            )
            report.problems.append(str(err))


def check_dataset(dataset: str | Path) -> CheckReport:
    """Validate every canonical table in ``dataset`` and compute its key moments."""
    report = CheckReport()
    known: dict[str, set[str]] = {}
    present = [name for name in SCHEMAS if table_path(dataset, name) is not None]
    # reference tables first, so references can be checked as the others stream by
    order = sorted(present, key=lambda n: (SCHEMAS[n].partition_by is not None, n))
    for name in order:
        path = table_path(dataset, name)
        assert path is not None
        try:
            if SCHEMAS[name].partition_by is None:
                frame = read_table(path, name)
                report.rows[name] = frame.height
                _check_references(name, frame, known, report)
                key = {"industries": "cic4", "cities": "city_code", "provinces": "province_code"}
                if name in key:
                    known[name] = set(frame[key[name]].to_list())
                _moments(name, frame, report)
            else:
                report.rows[name] = 0
                for _, part in iter_partitions(dataset, name):
                    report.rows[name] += part.height
                    _check_references(name, part, known, report)
                    _moments(name, part, report)
        except SchemaError as err:
            report.problems.append(str(err))
    _finish_moments(report)
    return report


def _num(value: Any) -> float:
    """A polars scalar (sum, mean) as a float; empty input counts as 0."""
    return 0.0 if value is None else float(value)


def _add(report: CheckReport, key: str, value: Any) -> None:
    report.moments[key] = report.moments.get(key, 0.0) + _num(value)


def _moments(name: str, frame: pl.DataFrame, report: CheckReport) -> None:
    """Accumulate sums for the moments (finished in :func:`_finish_moments`)."""
    if name == "firms":
        _add(report, "_firms_n", frame.height)
        _add(report, "_firms_exporters", frame.filter(pl.col("export_delivery") > 0).height)
        _add(report, "_firms_log_sales", frame.select(pl.col("sales").log().sum()).item())
        _add(report, "_firms_employment", frame["employment"].sum())
    elif name == "customs":
        exports = frame.filter(pl.col("flow") == "export")
        imports = frame.filter(pl.col("flow") == "import")
        processing = exports.filter(pl.col("regime").is_in(["14", "15"]))
        by_intermediaries = exports.filter(
            pl.col("firm_name").str.contains("进出口|贸易|经贸|科贸|外经")
        )
        _add(report, "_customs_n", frame.height)
        _add(report, "customs_export_usd_bn", _num(exports["value_usd"].sum()) / 1e9)
        _add(report, "customs_import_usd_bn", _num(imports["value_usd"].sum()) / 1e9)
        _add(report, "_proc_exports", _num(processing["value_usd"].sum()) / 1e9)
        _add(report, "_intermediary_exports", _num(by_intermediaries["value_usd"].sum()) / 1e9)
    elif name == "city_panel":
        # FDI is in 10k USD, GDP in 10k RMB: ≈8 RMB per USD over the period
        report.moments["city_fdi_over_gdp"] = _num((frame["fdi"] * 8.0 / frame["gdp"]).mean())
        report.moments["city_log_gdp_per_capita"] = _num(
            (frame["gdp"] / frame["population"]).log().mean()
        )
        report.moments["city_log_wage"] = _num(frame["avg_wage"].log().mean())
    elif name == "platform":
        report.moments["platform_members"] = float(frame.height)


def _finish_moments(report: CheckReport) -> None:
    m = report.moments
    n = m.pop("_firms_n", 0.0)
    if n:
        m["firms_exporter_share"] = m.pop("_firms_exporters") / n
        m["firms_mean_log_sales"] = m.pop("_firms_log_sales") / n
        m["firms_mean_employment"] = m.pop("_firms_employment") / n
    if "_customs_n" in m:
        m.pop("_customs_n")
        total = m.get("customs_export_usd_bn", 0.0)
        m["customs_processing_export_share"] = m.pop("_proc_exports") / total if total else 0.0
        m["customs_intermediary_export_share"] = (
            m.pop("_intermediary_exports") / total if total else 0.0
        )
