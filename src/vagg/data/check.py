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
* values that must be strictly positive (exchange rates);
* files inside a partitioned table's folder that are not read, partition folders without a
  file, and files whose name is close to a table's (``product.parquet``): nothing is dropped
  without a word.

Within a table, every column that breaks its schema is reported (:func:`schema_problems`), not
only the first. A piece (a file, or one partition) that fails its schema is not checked
further (references, keys across partitions, moments).

The report lists row counts and the key moments the studies are calibrated on. The study
runner runs the same check before any entry (:mod:`vagg.studies.runner`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import check_unique_key
from vagg.data.io import (
    SUFFIXES,
    ReadError,
    partition_files,
    read_partition,
    read_table,
    table_path,
)
from vagg.data.schemas import SCHEMAS, TableSchema, validate
from vagg.errors import VaggError

__all__ = [
    "POSITIVE",
    "REFERENCES",
    "CheckReport",
    "check_dataset",
    "near_misses",
    "schema_problems",
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
    ("firms", "county_code"): ("counties", "county_code"),
    ("counties", "city_code"): ("cities", "city_code"),
    ("supply_shocks", "hs6"): ("products", "hs6"),
}

#: (table, column) whose values must be strictly positive (a zero would divide).
POSITIVE: tuple[tuple[str, str], ...] = (("national_series", "rmb_per_usd"),)


@dataclass
class CheckReport:
    """Row counts, moments and problems found in a dataset (``ok`` when there are none)."""

    rows: dict[str, int] = field(default_factory=dict)
    moments: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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


def near_misses(dataset: str | Path) -> dict[str, str]:
    """Files or folders of ``dataset`` whose name is close to a canonical table's but not one
    (``Firms.csv``, ``product.parquet``): name → the table it may be meant as. They are not
    read."""
    out: dict[str, str] = {}
    root = Path(dataset)
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        stem, suffix = (entry.name, "") if entry.is_dir() else (entry.stem, entry.suffix.lower())
        if entry.name.startswith(".") or stem in SCHEMAS:
            continue
        if entry.is_file() and suffix not in SUFFIXES:
            continue
        match = difflib.get_close_matches(stem.lower(), list(SCHEMAS), n=1, cutoff=0.85)
        if match:
            out[entry.name + ("/" if entry.is_dir() else "")] = match[0]
    return out


def schema_problems(
    frame: pl.DataFrame,
    schema: TableSchema,
    label: str | None = None,
    file: str | Path | None = None,
) -> tuple[pl.DataFrame | None, list[str]]:
    """Every schema rule ``frame`` breaks, one line per column (plus the key), where
    :func:`vagg.data.schemas.validate` stops at the first.

    Returns the validated frame (canonical dtypes) and no problems, or ``None`` and the
    problems; ``label`` names the table in them (e.g. ``"firms (year=2001)"``) and ``file``
    the file the rows were read from.
    """
    label = label or schema.name

    def line(err: SchemaError) -> str:
        return str(err if file is None else err.in_file(file))

    named = replace(schema, name=label)
    try:
        return validate(frame, named), []
    except Exception as err:  # every rule is run again below, one line each
        whole = _problem(label, err)
    problems: list[str] = []
    missing = [c.name for c in schema.columns if c.required and c.name not in frame.columns]
    if missing:
        problems.append(
            line(SchemaError(label, missing[0], f"required column(s) missing: {missing}"))
        )
    for col in schema.columns:
        if col.name in frame.columns:
            try:
                validate(frame.select(col.name), replace(named, columns=(col,), key=()))
            except SchemaError as err:
                problems.append(line(err))
            except Exception as err:  # a value no rule foresaw: still one line, named
                first = str(err).splitlines()[0] if str(err) else ""
                problems.append(
                    f"table '{label}', column '{col.name}': cannot be checked "
                    f"({type(err).__name__}: {first})"
                )
    if all(k in frame.columns for k in schema.key):
        try:
            check_unique_key(frame, label, schema.key)
        except SchemaError as err:
            problems.append(line(err))
    return None, problems or [whole]


def _reference_values(ref: tuple[Any, ...], frames: dict[str, pl.DataFrame]) -> set[str] | None:
    frame = frames.get(ref[0])
    if frame is None or ref[1] not in frame.columns:
        return None
    return set(frame[ref[1]].cast(pl.String).to_list())


def _check_references(
    table: str,
    frame: pl.DataFrame,
    frames: dict[str, pl.DataFrame],
    report: CheckReport,
    file: str,
) -> None:
    for (tab, col), ref in REFERENCES.items():
        if tab != table or col not in frame.columns:
            continue
        known = _reference_values(ref, frames)
        if known is None:
            note = f"{table}.{col} not checked against {ref[0]}.{ref[1]}: {ref[0]} is " + (
                "missing" if ref[0] not in report.rows else "invalid"
            )
            if note not in report.notes:
                report.notes.append(note)
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
            report.problems.append(str(err.in_file(file)))


def _check_positive(table: str, frame: pl.DataFrame, report: CheckReport, file: str) -> None:
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
                report.problems.append(str(err.in_file(file)))


def _problem(name: str, err: Exception) -> str:
    if isinstance(err, VaggError):
        return str(err)
    first = str(err).splitlines()[0] if str(err) else ""
    return f"table '{name}': {type(err).__name__}: {first}"


def _stray(dataset: Path, folder: Path, files: list[Path]) -> list[str]:
    """Files inside a partitioned table's folder that are not read, and partition folders
    without a file: each would silently drop rows. Names starting with ``.`` or ``_`` are
    left out, as every Parquet reader does (Spark's ``_SUCCESS``, checksum files)."""
    table, read, problems = folder.name, set(files), []
    for entry in sorted(folder.rglob("*")):
        relative = entry.relative_to(dataset).as_posix()
        if any(part.startswith((".", "_")) for part in entry.relative_to(folder).parts):
            continue
        if entry.is_file() and entry not in read:
            problems.append(
                f"table '{table}', file '{relative}': not read (only Parquet files directly "
                "inside year=YYYY/ folders are); move it into its year's folder or remove it"
            )
        elif entry.is_dir() and entry.parent == folder and not read & set(entry.iterdir()):
            problems.append(
                f"table '{table}', folder '{relative}/': holds no Parquet file, so the "
                "partition has no rows; restore its file or remove the folder"
            )
    return problems


def _pieces(
    dataset: Path, name: str, encoding: str | None, report: CheckReport
) -> Iterator[tuple[pl.DataFrame, str]]:
    """The validated pieces of a table (its one file, or each partition file), counting the
    rows of every piece and adding the problems of those that fail."""
    schema = SCHEMAS[name]
    path = table_path(dataset, name)
    assert path is not None
    report.rows.setdefault(name, 0)
    if path.is_dir():
        files = partition_files(path)
        report.problems.extend(_stray(dataset, path, files))
        if not files:
            report.problems.append(
                f"table '{name}', folder '{name}/': no Parquet files under year=YYYY/ folders"
            )
        sources = [(f"{name} ({f.parent.name})", f) for f in files]
    else:
        sources = [(name, path)]
    for label, file in sources:
        relative = file.relative_to(dataset).as_posix()
        try:
            if file.parent != dataset:
                raw = read_partition(file, schema)
            else:
                raw = read_table(file, name, encoding=encoding, validate_on_load=False)
        except SchemaError as err:
            report.problems.append(str(err.in_file(relative)))
            continue
        except ReadError as err:
            report.problems.append(str(ReadError(err.table, Path(relative), err.problem)))
            continue
        except Exception as err:  # every problem is reported, not only the first
            report.problems.append(_problem(name, err))
            continue
        report.rows[name] += raw.height
        frame, problems = schema_problems(raw, schema, label, relative)
        report.problems.extend(problems)
        if frame is not None:
            yield frame, relative


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
        Rows per table, moments, every problem found (one line each) and notes on files
        that are not read.
    """
    root = Path(dataset)
    report = CheckReport()
    misses = near_misses(root)
    for entry, meant in misses.items():
        report.notes.append(f"'{entry}' is not read: no canonical table has that name ({meant}?)")
    for name in required:
        if name not in SCHEMAS:
            report.problems.append(f"table '{name}': not a canonical table (see docs/data.md)")
        elif table_path(root, name) is None:
            alike = [entry for entry, meant in misses.items() if meant == name]
            hint = f" ({alike[0]} is not read: rename it)" if alike else ""
            report.problems.append(f"table '{name}': required but missing from {root}{hint}")
    present = [name for name in SCHEMAS if table_path(root, name) is not None]
    for name in present:
        files = table_files(root, name)
        if len(files) > 1:
            shown = ", ".join(f.name + ("/" if f.is_dir() else "") for f in files)
            report.problems.append(
                f"table '{name}': given by {len(files)} files ({shown}); keep one"
            )
    # every unpartitioned table first, so references are checked whatever the order
    frames: dict[str, pl.DataFrame] = {}
    files_of: dict[str, str] = {}
    for name in [n for n in present if SCHEMAS[n].partition_by is None]:
        for frame, file in _pieces(root, name, encoding, report):
            frames[name], files_of[name] = frame, file
        if report.rows[name] == 0 and name in frames:
            report.problems.append(f"table '{name}': the table has no rows")
    for name, frame in frames.items():
        _check_references(name, frame, frames, report, files_of[name])
        _check_positive(name, frame, report, files_of[name])
        _moments(name, frame, report)
    for name in [n for n in present if SCHEMAS[n].partition_by is not None]:
        keys: list[pl.DataFrame] = []
        n_problems = len(report.problems)
        for part, file in _pieces(root, name, encoding, report):
            keys.append(part.select(SCHEMAS[name].key))
            _check_references(name, part, frames, report, file)
            _check_positive(name, part, report, file)
            _moments(name, part, report)
        if report.rows[name] == 0 and len(report.problems) == n_problems:
            report.problems.append(f"table '{name}': the table has no rows")
        elif len(keys) > 1:
            try:
                check_unique_key(pl.concat(keys), f"{name} (across partitions)", SCHEMAS[name].key)
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
