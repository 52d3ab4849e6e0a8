"""Read and write canonical tables: Parquet, CSV, Stata ``.dta`` and Excel, validated on load.

A *dataset* is a folder holding one file per table: ``<table>.parquet``, or for tables with a
``partition_by`` column (firms, customs) a folder ``<table>/year=YYYY/part-0.parquet`` so that
real customs files of 10⁷–10⁸ rows are scanned lazily, one year at a time. Any table may
instead be given as ``<table>.csv``, ``<table>.dta`` or ``<table>.xlsx``.

Real files have other headers (Chinese in the CIE and customs releases): pass a
``column_map`` (a dict, or a JSON file ``{"raw header": "canonical name"}``) and the loader
renames before validating. Code columns are read as text so HS codes keep their leading zeros.
A column map may also say how to read the file: ``"@encoding": "gbk"`` (the usual encoding
of Chinese statistical CSV files) and ``"@header_row": 2`` (yearbook-style files with title
rows above the header); the same are arguments of :func:`read_table`.

Inside ``<table>/year=YYYY/`` folders the files do not hold the partition column: its value is
the folder's (hive layout), so pandas, polars, pyarrow and DuckDB open the folder with their
defaults. Files that do hold it (older datasets, hand-made folders) are read too; their column
must equal the folder's value.

Every error reading a file is a :class:`ReadError` naming the table and the file, with the
fix (docs/data.md lists the cases); schema errors say which file their rows are in. A CSV line
with more or fewer fields than its header, or a header naming a column twice, is an error
(readers would pad the line with nulls or rename the column without a word).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.schemas import SCHEMAS, TableSchema, get_schema, validate
from vagg.errors import VaggError

__all__ = [
    "READ_OPTIONS",
    "SUFFIXES",
    "ColumnMapError",
    "MissingFileError",
    "ReadError",
    "iter_partitions",
    "partition_files",
    "partition_value",
    "read_dataset",
    "read_partition",
    "read_table",
    "scan_table",
    "table_path",
    "write_partition",
    "write_table",
]

SUFFIXES = (".parquet", ".csv", ".dta", ".xlsx", ".xls")

ColumnMap = Mapping[str, Any] | str | Path | None

#: Keys of a column map that say how to read the file rather than rename a column.
READ_OPTIONS = ("@encoding", "@header_row")


class ReadError(VaggError):
    """A file of a table cannot be read: the message names the table, the file and the fix."""

    def __init__(self, table: str, path: Path, problem: str) -> None:
        self.table, self.path, self.problem = table, Path(path), problem
        super().__init__(f"table '{table}', file '{path}': {problem}")


class MissingFileError(ReadError, FileNotFoundError):
    """The file or folder of a table does not exist (also a :class:`FileNotFoundError`)."""


class ColumnMapError(VaggError):
    """A column map cannot be used: not JSON, not an object, or a rename that clashes."""


def _explain(table: str, path: Path, err: BaseException) -> ReadError:
    """One line for a file a reader could not open (empty, truncated, corrupt, encoding)."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    size = path.stat().st_size if path.is_file() else None
    suffix = path.suffix.lower()
    if size == 0:
        return ReadError(table, path, "the file is empty (0 bytes); export it again")
    if isinstance(err, LookupError) and "encoding" in text:
        return ReadError(
            table,
            path,
            f"{text}; give a Python codec name such as gbk, gb18030, utf-8 or utf-16",
        )
    if suffix in (".xlsx", ".xls") and ("not found" in text or "does not exist" in text):
        return ReadError(table, path, f"{text}; give sheet=<name or 0-based number>")
    if suffix in (".xlsx", ".xls") and (
        "format cannot be determined" in text or "zip file" in text.lower()
    ):
        return ReadError(
            table, path, "not a readable Excel file (corrupt, or not Excel); export it again"
        )
    if isinstance(err, UnicodeDecodeError) and err.encoding.replace("-", "") != "utf8":
        return ReadError(
            table,
            path,
            f"the file is not {err.encoding} (byte {err.start} cannot be decoded); give its "
            'encoding: utf-8 (the default), gb18030 or utf-16, e.g. encoding="utf-8"',
        )
    if isinstance(err, UnicodeDecodeError) or "utf-8" in text.lower() or "utf8" in text.lower():
        return ReadError(
            table,
            path,
            'the file is not UTF-8; give its encoding, e.g. encoding="gbk" '
            '(or "@encoding": "gbk" in the column map, --encoding gbk on the command line)',
        )
    if suffix == ".parquet":
        return ReadError(
            table,
            path,
            f"not a readable Parquet file (truncated or corrupt: {text}); copy or export it again",
        )
    if isinstance(err, pl.exceptions.NoDataError) or "empty" in text.lower():
        return ReadError(table, path, "the file holds no header and no rows; export it again")
    if suffix in (".xlsx", ".xls", ".csv"):
        return ReadError(
            table,
            path,
            f"cannot be read ({type(err).__name__}: {text}); if title rows sit above the "
            'header, pass header_row=<0-based row of the header> ("@header_row" in the '
            "column map)",
        )
    return ReadError(table, path, f"cannot be read ({type(err).__name__}: {text})")


def _load_column_map(column_map: ColumnMap) -> dict[str, Any]:
    if column_map is None:
        return {}
    if isinstance(column_map, Mapping):
        return dict(column_map)
    path = Path(column_map)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ColumnMapError(f"column map '{path}' could not be read as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ColumnMapError(f"column map '{path}' must be a JSON object of raw -> canonical names")
    return {str(k): v if k in READ_OPTIONS else str(v) for k, v in data.items()}


def _string_columns(schema: TableSchema, column_map: dict[str, Any]) -> list[str]:
    """Raw header names whose canonical column is text (read them as text)."""
    inverse = {v: k for k, v in column_map.items() if k not in READ_OPTIONS}
    return [inverse.get(c.name, c.name) for c in schema.columns if c.dtype == "str"]


def partition_value(folder: Path) -> str:
    """The value in a partition folder's name (``year=2005`` → ``"2005"``)."""
    return folder.name.split("=", 1)[-1]


def partition_files(path: Path) -> list[Path]:
    """The Parquet files of a partitioned table folder, in order (hidden files left out)."""
    return sorted(
        f
        for f in path.glob("*/*.parquet")
        if not any(part.startswith(".") for part in f.relative_to(path).parts)
    )


def read_partition(file: Path, schema: TableSchema) -> pl.DataFrame:
    """One partition file with its partition column (from the folder name when the file does
    not hold it; checked against the folder when it does)."""
    column = schema.partition_by
    try:
        frame = pl.read_parquet(file)
    except Exception as err:  # polars/pyarrow errors name no file: say which and what to do
        raise _explain(schema.name, file, err) from None
    if column is None:
        return frame
    raw = partition_value(file.parent)
    dtype = schema.polars_schema().get(column, pl.String())
    try:
        value = pl.Series([raw]).cast(dtype, strict=True)[0]
    except Exception:
        raise ReadError(
            schema.name, file, f"folder {file.parent.name!r}: {raw!r} is not a valid {column}"
        ) from None
    if column not in frame.columns:
        return frame.with_columns(pl.lit(value, dtype=dtype).alias(column))
    bad = frame.with_row_index("__row").filter(pl.col(column).cast(dtype, strict=False) != value)
    if bad.height:
        raise SchemaError(
            f"{schema.name} ({file.parent.name})",
            column,
            f"differs from the folder's {column}={raw}",
            bad["__row"].to_list(),
            bad.height,
            bad[column].to_list(),
            file=file,
        )
    return frame


def _read_raw(
    path: Path,
    schema: TableSchema,
    cmap: dict[str, Any],
    sheet: str | int,
    encoding: str | None = None,
    header_row: int | None = None,
) -> pl.DataFrame:
    suffix = path.suffix.lower()
    text_cols = _string_columns(schema, cmap)
    encoding = encoding or cmap.get("@encoding")
    header_row = header_row if header_row is not None else cmap.get("@header_row")
    if path.is_dir():
        files = partition_files(path)
        if not files:
            raise ReadError(schema.name, path, "no Parquet files under year=YYYY/ folders")
        return pl.concat([read_partition(f, schema) for f in files], how="vertical_relaxed")
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix == ".csv":
            return _read_csv(path, schema.name, text_cols, encoding, header_row)
        if suffix == ".dta":
            frame = pd.read_stata(path, convert_categoricals=False)
            return _pandas_text(frame, text_cols, schema.name)
        if suffix in (".xlsx", ".xls"):
            frame = pd.read_excel(
                path, sheet_name=sheet, dtype={c: str for c in text_cols}, header=header_row or 0
            )
            return _pandas_text(frame, text_cols, schema.name)
    except ReadError:
        raise
    except SchemaError as err:
        raise (err if err.file else err.in_file(path)) from None
    except Exception as err:  # polars/pyarrow/pandas errors name no file
        raise _explain(schema.name, path, err) from None
    raise ReadError(schema.name, path, f"unsupported file type '{suffix}'; use one of {SUFFIXES}")


def _read_csv(
    path: Path,
    table: str,
    text_cols: list[str],
    encoding: str | None,
    header_row: int | None,
) -> pl.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise pl.exceptions.NoDataError("empty CSV file")
    text = raw.decode(encoding or "utf-8")  # UnicodeDecodeError: explained by the caller
    skip = int(header_row or 0)
    _check_csv_shape(text, skip, table, path)
    source = io.BytesIO(text.encode("utf-8"))
    header = pl.read_csv(source, n_rows=0, skip_rows=skip).columns
    overrides = {c: pl.String for c in text_cols if c in header}
    source.seek(0)
    return pl.read_csv(
        source, schema_overrides=overrides, infer_schema_length=10_000, skip_rows=skip
    )


def _check_csv_shape(text: str, skip: int, table: str, path: Path) -> None:
    """Every line of a CSV holds as many fields as its header, and no header name repeats
    (readers would pad short lines with nulls and rename a repeated header silently)."""
    body = text.lstrip("\ufeff")
    # without quotes a field count is a comma count (vectorised); with quotes, parse them
    header, bad, lines = _shape_fast(body, skip) if '"' not in body else _shape_quoted(body, skip)
    if header is None:
        raise ReadError(
            table, path, f"no header at or after header_row={skip} (the file has {lines} lines)"
        )
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise ReadError(table, path, f"the header names {twice} more than once; rename or drop one")
    if bad is not None:
        line, fields = bad
        hint = (
            "; if title rows sit above the header, pass header_row=<0-based row of the "
            'header> ("@header_row" in the column map)'
            if fields > len(header)
            else ""
        )
        raise ReadError(
            table,
            path,
            f"line {line} has {fields} fields, the header {len(header)}; check the separator "
            f"(a comma) and the quoting{hint}",
        )


def _shape_fast(body: str, skip: int) -> tuple[list[str] | None, tuple[int, int] | None, int]:
    """Header, first line (1-based number, fields) whose field count differs, and the number
    of lines of a CSV without quote characters."""
    split = body.split("\n")
    lines = len(split) - (1 if body.endswith("\n") else 0)
    frame = (
        pl.DataFrame({"line": split})
        .with_row_index("no", offset=1)
        .filter((pl.col("no") > skip) & (pl.col("line").str.strip_chars("\r") != ""))
    )
    if frame.height == 0:
        return None, None, lines
    header = frame["line"][0].rstrip("\r").split(",")
    wrong = (
        frame.slice(1)
        .with_columns(fields=pl.col("line").str.count_matches(",", literal=True) + 1)
        .filter(pl.col("fields") != len(header))
    )
    bad = None if wrong.height == 0 else (int(wrong["no"][0]), int(wrong["fields"][0]))
    return header, bad, lines


def _shape_quoted(body: str, skip: int) -> tuple[list[str] | None, tuple[int, int] | None, int]:
    """:func:`_shape_fast` for a CSV with quoted fields (parsed line by line)."""
    reader = csv.reader(io.StringIO(body))
    header: list[str] | None = None
    lines = 0
    for row in reader:
        lines = reader.line_num
        if reader.line_num <= skip or not row:
            continue
        if header is None:
            header = row
        elif len(row) != len(header):
            return header, (reader.line_num, len(row)), lines
    return header, None, lines


def _pandas_text(frame: pd.DataFrame, text_cols: list[str], table: str) -> pl.DataFrame:
    for col in text_cols:
        if col in frame.columns and not pd.api.types.is_string_dtype(frame[col]):
            if pd.api.types.is_float_dtype(frame[col]):
                raise SchemaError(
                    table,
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
    encoding: str | None = None,
    header_row: int | None = None,
) -> pl.DataFrame:
    """Read one canonical table from a file (or a folder of Parquet partitions).

    The raw headers are renamed with ``column_map`` (raw → canonical), the canonical columns
    are checked and cast by :func:`vagg.data.schemas.validate`, and the result is a polars
    DataFrame. ``encoding`` (CSV; e.g. ``"gbk"``) and ``header_row`` (CSV and Excel: the
    0-based row holding the header, after title rows) may also come from the column map
    (``"@encoding"``, ``"@header_row"``). Errors name the table, the column and the first
    offending rows; a file that cannot be read at all raises :class:`ReadError` naming it.
    """
    path = Path(path)
    schema = get_schema(table)
    cmap = _load_column_map(column_map)
    if not path.exists():
        raise MissingFileError(table, path, "does not exist; check the path")
    frame = _read_raw(path, schema, cmap, sheet, encoding, header_row)
    renames = {k: v for k, v in cmap.items() if k not in READ_OPTIONS}
    if not path.is_dir() and path.suffix.lower() != ".parquet" and cmap.get("@header_row") is None:
        _hint_title_rows(frame, schema, path, header_row, set(renames))
    if renames:
        unknown = [raw for raw in renames if raw not in frame.columns]
        if unknown:
            raise SchemaError(
                table,
                unknown[0],
                f"column map names header(s) not in the file: {unknown}",
                file=path,
            )
        _check_renames(frame, renames, table)
        frame = frame.rename(renames)
    if not validate_on_load:
        return frame
    try:
        return validate(frame, schema)
    except SchemaError as err:  # rows are numbered within the file: say which
        raise (err if path.is_dir() else err.in_file(path)) from None


def _not_found(table: str) -> str:
    return f"no {table}/ folder nor {table}.parquet/.csv/.dta/.xlsx/.xls file in this folder"


def _check_renames(frame: pl.DataFrame, renames: dict[str, Any], table: str) -> None:
    """Two headers renamed to one name, or a rename onto a header the file keeps, would give
    a table two columns of one name: say which."""
    kept = [c for c in frame.columns if c not in renames]
    targets = [str(v) for v in renames.values()]
    for target in sorted(set(targets)):
        sources = [k for k, v in renames.items() if str(v) == target]
        if len(sources) > 1 or target in kept:
            given = sources + ([target] if target in kept else [])
            raise ColumnMapError(
                f"table '{table}', column '{target}': the column map gives it twice "
                f"(from headers {given}); map one header to it"
            )


def _hint_title_rows(
    frame: pl.DataFrame, schema: TableSchema, path: Path, header_row: int | None, raw: set[str]
) -> None:
    """A header with none of the table's columns (nor of the column map's ``raw`` headers) is
    a title row (yearbook style): say so."""
    if header_row is None and not set(frame.columns) & (set(schema.column_names) | raw):
        separators = [sep for sep in (";", "\t", "|") if sep in "".join(frame.columns[:1])]
        if separators and frame.width == 1:
            raise ReadError(
                schema.name,
                path,
                f"the header is one field split by {separators[0]!r}; vagg reads comma-"
                "separated files: save the file with commas",
            )
        raise ReadError(
            schema.name,
            path,
            f"no canonical column in the header {frame.columns[:3]}; if title rows sit above "
            "the header, pass header_row=<0-based row of the header>; else give a column_map",
        )


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
    """Write one partition (e.g. one year of customs) of a partitioned table, without the
    partition column (its value is the folder's: the hive layout every Parquet reader opens
    with its defaults)."""
    target = folder / f"{schema.partition_by}={value}" / "part-0.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    column = schema.partition_by
    inner = part if column is None else part.drop(column, strict=False)
    inner.write_parquet(target, statistics=False)
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
        raise MissingFileError(table, Path(dataset), _not_found(table))
    if path.is_dir():
        schema = get_schema(table)
        column = schema.partition_by
        dtype = schema.polars_schema().get(column or "", pl.String())
        scans = []
        for file in partition_files(path):
            try:
                names = pl.read_parquet_schema(file)
            except Exception as err:  # polars names no file
                raise _explain(table, file, err) from None
            scan = pl.scan_parquet(file)
            if column is not None and column not in names:
                value = pl.Series([partition_value(file.parent)]).cast(dtype)[0]
                scan = scan.with_columns(pl.lit(value, dtype=dtype).alias(column))
            scans.append(scan)
        if not scans:
            raise ReadError(table, path, "no Parquet files under year=YYYY/ folders")
        return pl.concat(scans, how="diagonal_relaxed")
    if path.suffix == ".parquet":
        try:
            pl.read_parquet_schema(path)
        except Exception as err:
            raise _explain(table, path, err) from None
        return pl.scan_parquet(path)
    return read_table(path, table).lazy()


def iter_partitions(dataset: str | Path, table: str) -> Iterator[tuple[str, pl.DataFrame]]:
    """Yield ``(partition value, validated frame)`` one partition at a time."""
    path = table_path(dataset, table)
    if path is None:
        raise MissingFileError(table, Path(dataset), _not_found(table))
    schema = get_schema(table)
    if not path.is_dir():
        yield "all", read_table(path, table)
        return
    files = partition_files(path)
    if not files:
        raise ReadError(table, path, "no Parquet files under year=YYYY/ folders")
    for file in files:
        part = file.parent
        value = partition_value(part)
        try:
            frame = validate(read_partition(file, schema), schema)
        except SchemaError as err:  # rows are numbered within the partition: say which
            raise err.in_file(file, f"{table} ({part.name})") from None
        yield value, frame


def read_dataset(dataset: str | Path, tables: list[str] | None = None) -> dict[str, pl.DataFrame]:
    """Read every canonical table present in a dataset folder (or the named ones)."""
    names = tables if tables is not None else list(SCHEMAS)
    out: dict[str, pl.DataFrame] = {}
    for name in names:
        path = table_path(dataset, name)
        if path is None:
            if tables is not None:
                raise MissingFileError(name, Path(dataset), _not_found(name))
            continue
        out[name] = read_table(path, name)
    return out
