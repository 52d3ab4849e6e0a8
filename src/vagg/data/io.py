"""Read and write canonical tables: Parquet, CSV, Stata ``.dta`` and Excel, validated on load.

A *dataset* is a folder holding one file per table: ``<table>.parquet``, or for tables with a
``partition_by`` column (firms, customs) a folder ``<table>/year=YYYY/part-0.parquet`` so that
real customs files of 10⁷–10⁸ rows are scanned lazily, one year at a time. Any table may
instead be given as ``<table>.csv``, ``<table>.dta`` or ``<table>.xlsx``.

Real files have other headers (Chinese in the CIE and customs releases): pass a
``column_map`` (a dict, or a JSON file ``{"raw header": "canonical name"}``) and the loader
renames before validating. Code columns are read as text so HS codes keep their leading zeros.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.schemas import SCHEMAS, TableSchema, get_schema, validate

__all__ = [
    "SUFFIXES",
    "iter_partitions",
    "read_dataset",
    "read_table",
    "scan_table",
    "table_path",
    "write_partition",
    "write_table",
]

SUFFIXES = (".parquet", ".csv", ".dta", ".xlsx", ".xls")

ColumnMap = Mapping[str, str] | str | Path | None


def _load_column_map(column_map: ColumnMap) -> dict[str, str]:
    if column_map is None:
        return {}
    if isinstance(column_map, Mapping):
        return dict(column_map)
    path = Path(column_map)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"column map '{path}' could not be read as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"column map '{path}' must be a JSON object of raw -> canonical names")
    return {str(k): str(v) for k, v in data.items()}


def _string_columns(schema: TableSchema, column_map: dict[str, str]) -> list[str]:
    """Raw header names whose canonical column is text (read them as text)."""
    inverse = {v: k for k, v in column_map.items()}
    return [inverse.get(c.name, c.name) for c in schema.columns if c.dtype == "str"]


def _read_raw(
    path: Path, schema: TableSchema, cmap: dict[str, str], sheet: str | int
) -> pl.DataFrame:
    suffix = path.suffix.lower()
    text_cols = _string_columns(schema, cmap)
    if path.is_dir():
        files = sorted(path.glob("**/*.parquet"))
        if not files:
            raise FileNotFoundError(f"table '{schema.name}': no Parquet files under {path}")
        return pl.concat([pl.read_parquet(f) for f in files], how="vertical_relaxed")
    if suffix == ".parquet":
        return pl.read_parquet(path)
    if suffix == ".csv":
        header = pl.read_csv(path, n_rows=0).columns
        overrides = {c: pl.String for c in text_cols if c in header}
        return pl.read_csv(path, schema_overrides=overrides, infer_schema_length=10_000)
    if suffix == ".dta":
        frame = pd.read_stata(path, convert_categoricals=False)
        return _pandas_text(frame, text_cols)
    if suffix in (".xlsx", ".xls"):
        frame = pd.read_excel(path, sheet_name=sheet, dtype={c: str for c in text_cols})
        return _pandas_text(frame, text_cols)
    raise ValueError(f"table '{schema.name}': unsupported file type '{suffix}' ({path})")


def _pandas_text(frame: pd.DataFrame, text_cols: list[str]) -> pl.DataFrame:
    for col in text_cols:
        if col in frame.columns and not pd.api.types.is_string_dtype(frame[col]):
            if pd.api.types.is_float_dtype(frame[col]):
                raise SchemaError(
                    "(file)",
                    col,
                    "a code column was stored as numbers; leading zeros are lost. "
                    "Store codes as text in the source file",
                )
            frame[col] = frame[col].astype("string")
    return pl.from_pandas(frame)


def read_table(
    path: str | Path,
    table: str,
    *,
    column_map: ColumnMap = None,
    sheet: str | int = 0,
    validate_on_load: bool = True,
) -> pl.DataFrame:
    """Read one canonical table from a file (or a folder of Parquet partitions).

    The raw headers are renamed with ``column_map`` (raw → canonical), the canonical columns
    are checked and cast by :func:`vagg.data.schemas.validate`, and the result is a polars
    DataFrame. Errors name the table, the column and the first offending rows.
    """
    path = Path(path)
    schema = get_schema(table)
    cmap = _load_column_map(column_map)
    if not path.exists():
        raise FileNotFoundError(f"table '{table}': {path} does not exist")
    frame = _read_raw(path, schema, cmap, sheet)
    if cmap:
        unknown = [raw for raw in cmap if raw not in frame.columns]
        if unknown:
            raise SchemaError(
                table, unknown[0], f"column map names header(s) not in the file: {unknown}"
            )
        frame = frame.rename(cmap)
    return validate(frame, schema) if validate_on_load else frame


def write_table(frame: pl.DataFrame | pd.DataFrame, path: str | Path, table: str) -> list[Path]:
    """Write a canonical table by suffix; a path without suffix for a partitioned table
    writes ``path/year=YYYY/part-0.parquet``. Returns the files written."""
    schema = get_schema(table)
    df = frame if isinstance(frame, pl.DataFrame) else pl.from_pandas(frame)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == "":
        if schema.partition_by is None:
            raise ValueError(f"table '{table}' is not partitioned; give a file name with a suffix")
        written = []
        for (value,), part in df.sort(schema.partition_by).group_by(
            schema.partition_by, maintain_order=True
        ):
            written.append(write_partition(part, path, schema, value))
        return written
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        df.write_parquet(path, statistics=False)
    elif suffix == ".csv":
        df.write_csv(path)
    elif suffix == ".dta":
        df.to_pandas().to_stata(path, write_index=False, version=118)
    elif suffix in (".xlsx", ".xls"):
        df.to_pandas().to_excel(path, index=False)
    else:
        raise ValueError(f"table '{table}': unsupported file type '{suffix}'")
    return [path]


def write_partition(part: pl.DataFrame, folder: Path, schema: TableSchema, value: object) -> Path:
    """Write one partition (e.g. one year of customs) of a partitioned table."""
    target = folder / f"{schema.partition_by}={value}" / "part-0.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    part.write_parquet(target, statistics=False)
    return target


def table_path(dataset: str | Path, table: str) -> Path | None:
    """Where ``table`` lives in a dataset folder (a partition folder or one file), or None."""
    root = Path(dataset)
    folder = root / table
    if folder.is_dir():
        return folder
    for suffix in SUFFIXES:
        candidate = root / f"{table}{suffix}"
        if candidate.exists():
            return candidate
    return None


def scan_table(dataset: str | Path, table: str) -> pl.LazyFrame:
    """A lazy scan of a Parquet table in a dataset (no validation; for streaming work)."""
    path = table_path(dataset, table)
    if path is None:
        raise FileNotFoundError(f"table '{table}' not found in dataset {dataset}")
    if path.is_dir():
        return pl.scan_parquet(str(path / "**" / "*.parquet"), hive_partitioning=False)
    if path.suffix == ".parquet":
        return pl.scan_parquet(path)
    return read_table(path, table).lazy()


def iter_partitions(dataset: str | Path, table: str) -> Iterator[tuple[str, pl.DataFrame]]:
    """Yield ``(partition value, validated frame)`` one partition at a time."""
    path = table_path(dataset, table)
    if path is None:
        raise FileNotFoundError(f"table '{table}' not found in dataset {dataset}")
    schema = get_schema(table)
    if not path.is_dir():
        yield "all", read_table(path, table)
        return
    for part in sorted(p for p in path.iterdir() if p.is_dir()):
        value = part.name.split("=", 1)[-1]
        try:
            frame = validate(pl.read_parquet(part / "part-0.parquet"), schema)
        except SchemaError as err:  # rows are numbered within the partition: say which
            raise SchemaError(
                f"{table} ({part.name})", err.column, err.problem, err.rows, err.n_bad, err.examples
            ) from None
        yield value, frame


def read_dataset(dataset: str | Path, tables: list[str] | None = None) -> dict[str, pl.DataFrame]:
    """Read every canonical table present in a dataset folder (or the named ones)."""
    names = tables if tables is not None else list(SCHEMAS)
    out: dict[str, pl.DataFrame] = {}
    for name in names:
        path = table_path(dataset, name)
        if path is None:
            if tables is not None:
                raise FileNotFoundError(f"table '{name}' not found in dataset {dataset}")
            continue
        out[name] = read_table(path, name)
    return out
