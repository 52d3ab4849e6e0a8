"""``vagg data check``: validate a dataset folder and summarise it.

Every table present is checked against its schema (partitioned tables one partition at a
time, so a customs folder of 10⁸ rows never sits in memory whole). Beyond each table's schema
the check looks across files and tables, and reports every problem it finds, not only the
first (docs/data.md lists the cases):

* tables a study needs that are missing (``required``), empty tables;
* a table given twice (``firms.csv`` beside ``firms/``): which file would be read is ambiguous;
* keys unique across the partitions of a table; a partition folder's value equal to the
  column inside its files;
* codes that point to other tables (cities, industries, provinces, HS products) exist there,
  whatever order the tables are read in (reference tables are read first);
* values that must be strictly positive (exchange rates).

The report lists row counts and the key moments the studies are calibrated on. The study
runner runs the same check before any entry (:mod:`vagg.studies.runner`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import check_unique_key
from vagg.data.io import SUFFIXES, iter_partitions, read_table, table_path
from vagg.data.schemas import SCHEMAS
from vagg.errors import VaggError

__all__ = [
    "POSITIVE",
    "REFERENCES",
    "CheckReport",
    "check_dataset",
    "table_files",
]

#: (table, column) → (reference table, column) that must contain every value; a third item
#: n compares the first n characters (HS8 codes against HS6 products).
REFERENCES: dict[tuple[str, str], tuple[Any, ...]] = {
    ("firms", "cic4"): ("industries", "cic4"),
    ("firms", "city_code"): ("cities", "city_code"),
    ("customs", "city_code"): ("cities", "city_code"),
    ("customs", "hs8"): ("products", "hs6", 6),
    ("census_2004", "city_code"): ("cities", "city_code"),
    ("census_2004", "cic4"): ("industries", "cic4"),
    ("city_panel", "city_code"): ("cities", "city_code"),
    ("cities", "province_code"): ("provinces", "province_code"),
    ("products", "cic4"): ("industries", "cic4"),
}

#: (table, column) whose values must be strictly positive (a zero would divide).
POSITIVE: tuple[tuple[str, str], ...] = (("national_series", "rmb_per_usd"),)


@dataclass
class CheckReport:
    """Row counts, moments and problems found in a dataset (``ok`` when there are none)."""

    rows: dict[str, int] = field(default_factory=dict)
    moments: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def table_files(dataset: str | Path, table: str) -> list[Path]:
    """Every file or folder in ``dataset`` that could hold ``table`` (more than one is a
    problem: :func:`vagg.data.io.table_path` would silently pick one)."""
    root = Path(dataset)
    found = [root / table] if (root / table).is_dir() else []
    return found + [root / f"{table}{s}" for s in SUFFIXES if (root / f"{table}{s}").is_file()]


def _reference_values(ref: tuple[Any, ...], frames: dict[str, pl.DataFrame]) -> set[str] | None:
    frame = frames.get(ref[0])
    if frame is None or ref[1] not in frame.columns:
        return None
    return set(frame[ref[1]].cast(pl.String).to_list())


def _check_references(
    table: str, frame: pl.DataFrame, frames: dict[str, pl.DataFrame], report: CheckReport
) -> None:
    for (tab, col), ref in REFERENCES.items():
        if tab != table or col not in frame.columns:
            continue
        known = _reference_values(ref, frames)
        if known is None:
            continue
        values = pl.col(col).cast(pl.String)
        if len(ref) > 2:
            values = values.str.slice(0, int(ref[2]))
        bad = frame.with_row_index("__row").filter(
            pl.col(col).is_not_null() & ~values.is_in(list(known))
        )
        if bad.height:
            err = SchemaError(
                table,
                col,
                f"codes not found in {ref[0]}.{ref[1]}",
                bad["__row"].head(5).to_list(),
                bad.height,
                bad[col].head(5).to_list(),
            )
            report.problems.append(str(err))


def _check_positive(table: str, frame: pl.DataFrame, report: CheckReport) -> None:
    for tab, col in POSITIVE:
        if tab == table and col in frame.columns:
            bad = frame.with_row_index("__row").filter(pl.col(col) <= 0)
            if bad.height:
                err = SchemaError(
                    table,
                    col,
                    "values must be > 0",
                    bad["__row"].to_list(),
                    bad.height,
                    bad[col].to_list(),
                )
                report.problems.append(str(err))


def _problem(name: str, err: Exception) -> str:
    if isinstance(err, VaggError):
        return str(err)
    first = str(err).splitlines()[0] if str(err) else ""
    return f"table '{name}': {type(err).__name__}: {first}"


def check_dataset(
    dataset: str | Path, required: Sequence[str] = (), *, encoding: str | None = None
) -> CheckReport:
    """Validate every canonical table in ``dataset``, across files and tables, and compute its
    key moments.

    Parameters
    ----------
    dataset : str or pathlib.Path
        The dataset folder.
    required : sequence of str
        Tables that must be present (a study's :attr:`~vagg.studies.base.Study.tables`).
    encoding : str, optional
        Encoding of the CSV files (e.g. ``"gbk"``); default UTF-8.

    Returns
    -------
    CheckReport
        Rows per table, moments, and every problem found (one line each).
    """
    report = CheckReport()
    for name in required:
        if name not in SCHEMAS:
            report.problems.append(f"table '{name}': not a canonical table (see docs/data.md)")
        elif table_path(dataset, name) is None:
            report.problems.append(f"table '{name}': required but missing from {dataset}")
    present = [name for name in SCHEMAS if table_path(dataset, name) is not None]
    for name in present:
        files = table_files(dataset, name)
        if len(files) > 1:
            shown = ", ".join(f.name + ("/" if f.is_dir() else "") for f in files)
            report.problems.append(
                f"table '{name}': given by {len(files)} files ({shown}); keep one"
            )
    # every unpartitioned table first, so references are checked whatever the order
    frames: dict[str, pl.DataFrame] = {}
    for name in [n for n in present if SCHEMAS[n].partition_by is None]:
        path = table_path(dataset, name)
        assert path is not None
        try:
            frames[name] = read_table(path, name, encoding=encoding)
        except Exception as err:  # every problem is reported, not only the first
            report.problems.append(_problem(name, err))
    for name, frame in frames.items():
        report.rows[name] = frame.height
        if frame.height == 0:
            report.problems.append(f"table '{name}': the table has no rows")
        _check_references(name, frame, frames, report)
        _check_positive(name, frame, report)
        _moments(name, frame, report)
    for name in [n for n in present if SCHEMAS[n].partition_by is not None]:
        schema = SCHEMAS[name]
        keys: list[pl.DataFrame] = []
        report.rows[name] = 0
        try:
            for _, part in iter_partitions(dataset, name):
                report.rows[name] += part.height
                keys.append(part.select(schema.key))
                _check_references(name, part, frames, report)
                _moments(name, part, report)
            if report.rows[name] == 0:
                report.problems.append(f"table '{name}': the table has no rows")
            elif len(keys) > 1:
                check_unique_key(pl.concat(keys), f"{name} (across partitions)", schema.key)
        except Exception as err:
            report.problems.append(_problem(name, err))
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
