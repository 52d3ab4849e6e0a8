"""Files that cannot be read as they are, one test per case (docs/data.md, "Bad inputs and what
vagg says"): each ends in one :class:`~vagg.data.io.ReadError` line naming the table and the
file, with the fix, or is read correctly once the fix is applied.

The frames are small tables written to ``tmp_path`` (the industries table of the tiny economy,
30 rows, and hand-made products rows).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.data.io import (
    ColumnMapError,
    MissingFileError,
    ReadError,
    read_dataset,
    read_table,
    scan_table,
)
from vagg.errors import VaggError


@pytest.fixture
def industries(tiny_economy: Path) -> pl.DataFrame:
    return pl.read_parquet(tiny_economy / "industries.parquet")


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _one_line(err: pytest.ExceptionInfo[BaseException], file: str, table: str) -> str:
    """The message is one line naming the table and the file, and the error is a VaggError."""
    message = str(err.value)
    assert isinstance(err.value, VaggError)
    assert "\n" not in message
    assert f"table '{table}'" in message and file in message
    return message


# --- Parquet -----------------------------------------------------------------------------


def test_parquet_of_random_bytes(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "industries.parquet"
    path.write_bytes(b"\x00garbage" * 64)
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "not a readable Parquet file" in _one_line(err, "industries.parquet", "industries")


def test_parquet_cut_short_at_the_end(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "industries.parquet"
    industries.write_parquet(path)
    path.write_bytes(path.read_bytes()[:-40])  # an interrupted copy loses the footer
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "truncated or corrupt" in _one_line(err, "industries.parquet", "industries")


def test_parquet_of_zero_bytes(tmp_path: Path) -> None:
    path = tmp_path / "industries.parquet"
    path.write_bytes(b"")
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "empty (0 bytes)" in _one_line(err, "industries.parquet", "industries")


def test_csv_renamed_to_parquet(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = _csv(tmp_path / "industries.parquet", industries.write_csv())
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "copy or export it again" in _one_line(err, "industries.parquet", "industries")


def test_lazy_scan_of_a_corrupt_partition(industries: pl.DataFrame, tmp_path: Path) -> None:
    # the streaming path (scan_table) names the file too, before any row is read
    customs = tmp_path / "customs" / "year=2003"
    customs.mkdir(parents=True)
    (customs / "part-0.parquet").write_bytes(b"PAR1" + b"\x00" * 64)
    with pytest.raises(ReadError) as err:
        scan_table(tmp_path, "customs")
    assert "truncated or corrupt" in _one_line(err, "year=2003/part-0.parquet", "customs")


# --- CSV: empty, encodings ---------------------------------------------------------------


def test_csv_of_blank_lines_only(tmp_path: Path) -> None:
    path = _csv(tmp_path / "industries.csv", "  \n\n \n")
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "no header and no rows" in _one_line(err, "industries.csv", "industries")


def test_csv_with_a_header_and_no_rows_reads_as_an_empty_table(
    industries: pl.DataFrame, tmp_path: Path
) -> None:
    # the reader accepts it (0 rows, canonical dtypes); `data check` reports the empty table
    path = _csv(tmp_path / "industries.csv", industries.head(0).write_csv())
    frame = read_table(path, "industries")
    assert frame.height == 0 and frame.schema == industries.schema


def test_utf16_csv(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = _csv(tmp_path / "industries.csv", industries.write_csv(), "utf-16")
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "not UTF-8" in _one_line(err, "industries.csv", "industries")
    assert read_table(path, "industries", encoding="utf-16").equals(industries)


def test_unknown_encoding_name(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = _csv(tmp_path / "industries.csv", industries.write_csv())
    with pytest.raises(ReadError) as err:
        read_table(path, "industries", encoding="gbk2")
    message = _one_line(err, "industries.csv", "industries")
    assert "unknown encoding: gbk2" in message and "gb18030" in message


def test_utf8_file_read_with_the_wrong_encoding(industries: pl.DataFrame, tmp_path: Path) -> None:
    # the Chinese names are UTF-8: decoding them as ASCII fails at the first one
    path = _csv(tmp_path / "industries.csv", industries.write_csv())
    with pytest.raises(ReadError) as err:
        read_table(path, "industries", encoding="ascii")
    message = _one_line(err, "industries.csv", "industries")
    assert "not ascii" in message and 'encoding="utf-8"' in message


def test_utf8_with_byte_order_mark_is_read(industries: pl.DataFrame, tmp_path: Path) -> None:
    # Excel's "CSV UTF-8" starts with a byte-order mark: the first header must stay 'cic4'
    path = _csv(tmp_path / "industries.csv", "\ufeff" + industries.write_csv())
    assert read_table(path, "industries").equals(industries)


# --- CSV: shape ----------------------------------------------------------------------------


def test_csv_title_row_above_the_header(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = _csv(tmp_path / "industries.csv", "2004年 工业行业分类\n" + industries.write_csv())
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    message = _one_line(err, "industries.csv", "industries")
    assert "line 2 has 7 fields, the header 1" in message and "header_row=" in message
    assert read_table(path, "industries", header_row=1).equals(industries)


def test_header_row_past_the_end_of_the_file(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = _csv(tmp_path / "industries.csv", industries.write_csv())
    with pytest.raises(ReadError) as err:
        read_table(path, "industries", header_row=40)
    assert "(the file has 31 lines)" in _one_line(err, "industries.csv", "industries")


def test_csv_line_with_too_many_fields(industries: pl.DataFrame, tmp_path: Path) -> None:
    lines = industries.write_csv().splitlines()
    lines[5] += ",extra"
    path = _csv(tmp_path / "industries.csv", "\n".join(lines) + "\n")
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "line 6 has 8 fields, the header 7" in _one_line(err, "industries.csv", "industries")


def test_csv_line_with_too_few_fields(industries: pl.DataFrame, tmp_path: Path) -> None:
    # polars would pad the line with nulls; vagg names it instead
    lines = industries.write_csv().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0]
    path = _csv(tmp_path / "industries.csv", "\n".join(lines) + "\n")
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "line 4 has 6 fields, the header 7" in _one_line(err, "industries.csv", "industries")


def test_short_line_in_a_csv_with_quoted_fields(industries: pl.DataFrame, tmp_path: Path) -> None:
    # quoted names holding commas are one field each; the short line is still found
    frame = industries.with_columns(pl.col("name_zh") + pl.lit(", 细类"))
    lines = frame.write_csv().splitlines()
    assert lines[1].count('"') == 2
    lines[7] = lines[7].rsplit(",", 1)[0]
    path = _csv(tmp_path / "industries.csv", "\n".join(lines) + "\n")
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "line 8 has 6 fields, the header 7" in _one_line(err, "industries.csv", "industries")


def test_csv_header_naming_a_column_twice(industries: pl.DataFrame, tmp_path: Path) -> None:
    frame = industries.with_columns(pl.col("cic2").alias("cic2_copy"))
    text = frame.write_csv().replace("cic2_copy", "cic2", 1)
    path = _csv(tmp_path / "industries.csv", text)
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "names ['cic2'] more than once" in _one_line(err, "industries.csv", "industries")


def test_semicolon_separated_csv(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "industries.csv"
    industries.write_csv(path, separator=";")
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "split by ';'" in _one_line(err, "industries.csv", "industries")


def test_codes_that_lost_their_leading_zeros_in_a_csv(tmp_path: Path) -> None:
    # a CSV saved from a spreadsheet that showed HS6 codes as numbers: 010121 became 10121
    path = _csv(
        tmp_path / "products.csv",
        "hs6,hs4,hs3,bec,end_use,sigma,unit,cic4\n"
        "10121,0101,010,111,intermediate,2.5,kg,1310\n"
        "610910,6109,610,62,consumption,4.0,piece,1810\n",
    )
    with pytest.raises(SchemaError) as err:
        read_table(path, "products")
    message = str(err.value)
    assert "table 'products', column 'hs6': malformed codes" in message
    assert "rows [0]" in message and "'10121'" in message
    assert message.endswith(f"in file '{path}'")


def test_nan_written_as_text_in_a_csv(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "products.csv",
        "hs6,hs4,hs3,bec,end_use,sigma,unit,cic4\n"
        "010121,0101,010,111,intermediate,NaN,kg,1310\n"
        "610910,6109,610,62,consumption,4.0,piece,1810\n",
    )
    with pytest.raises(SchemaError, match=r"column 'sigma': NaN or ±inf .* rows \[0\]"):
        read_table(path, "products")


def test_numbers_with_thousands_separators(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "products.csv",
        "hs6,hs4,hs3,bec,end_use,sigma,unit,cic4\n"
        '010121,0101,010,111,intermediate,"2,5",kg,1310\n'
        "610910,6109,610,62,consumption,4.0,piece,1810\n",
    )
    with pytest.raises(SchemaError) as err:
        read_table(path, "products")
    message = str(err.value)
    assert "column 'sigma': values cannot be read as float" in message
    assert "rows [0]" in message and "'2,5'" in message


# --- Excel and Stata ---------------------------------------------------------------------


def test_excel_file_that_is_not_excel(tmp_path: Path) -> None:
    path = tmp_path / "industries.xlsx"
    path.write_bytes(b"this is not a spreadsheet")
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "not a readable Excel file" in _one_line(err, "industries.xlsx", "industries")


def test_excel_sheet_that_does_not_exist(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "industries.xlsx"
    industries.to_pandas().to_excel(path, index=False, sheet_name="2004")
    with pytest.raises(ReadError) as err:
        read_table(path, "industries", sheet="2005")
    message = _one_line(err, "industries.xlsx", "industries")
    assert "'2005' not found" in message and "sheet=" in message
    assert read_table(path, "industries", sheet="2004").equals(industries)


def test_excel_title_rows_through_the_column_map(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "industries.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["中国工业统计年鉴"], ["单位：个"]]).to_excel(
            writer, index=False, header=False
        )
        industries.to_pandas().to_excel(writer, index=False, startrow=2)
    read = read_table(path, "industries", column_map={"@header_row": 2})
    assert read.equals(industries)


def test_excel_code_column_stored_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "products.xlsx"
    frame = pd.DataFrame(
        {
            "hs6": [10121.0, 610910.0],
            "hs4": ["0101", "6109"],
            "hs3": ["010", "610"],
            "bec": ["111", "62"],
            "end_use": ["intermediate", "consumption"],
            "sigma": [2.5, 4.0],
            "unit": ["kg", "piece"],
            "cic4": ["1310", "1810"],
        }
    )
    frame.to_excel(path, index=False)  # the cell holds 10121: its leading zero is gone
    with pytest.raises(SchemaError) as err:
        read_table(path, "products")
    message = str(err.value)
    assert "table 'products', column 'hs6': malformed codes" in message
    assert "rows [0]" in message and "'10121'" in message
    assert message.endswith(f"in file '{path}'")


def test_stata_file_that_is_not_stata(tmp_path: Path) -> None:
    path = tmp_path / "industries.dta"
    path.write_bytes(b"junk" * 50)
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "not a valid Stata dataset" in _one_line(err, "industries.dta", "industries")


def test_unsupported_file_type(tmp_path: Path) -> None:
    path = _csv(tmp_path / "industries.txt", "cic4\n1311\n")
    with pytest.raises(ReadError) as err:
        read_table(path, "industries")
    assert "unsupported file type '.txt'" in _one_line(err, "industries.txt", "industries")


# --- column maps and missing files -------------------------------------------------------


def test_column_map_file_that_is_not_json(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = _csv(tmp_path / "industries.csv", industries.write_csv())
    cmap = _csv(tmp_path / "map.json", "{行业代码: cic4}")
    with pytest.raises(ColumnMapError, match=r"map.json' could not be read as JSON"):
        read_table(path, "industries", column_map=cmap)


def test_column_map_that_is_a_list(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = _csv(tmp_path / "industries.csv", industries.write_csv())
    cmap = _csv(tmp_path / "map.json", json.dumps([["行业代码", "cic4"]]))
    with pytest.raises(ColumnMapError, match="must be a JSON object"):
        read_table(path, "industries", column_map=cmap)


def test_column_map_giving_a_column_twice(industries: pl.DataFrame, tmp_path: Path) -> None:
    path = _csv(tmp_path / "industries.csv", industries.write_csv())
    with pytest.raises(ColumnMapError) as err:
        read_table(path, "industries", column_map={"cic2": "cic4"})
    assert str(err.value) == (
        "table 'industries', column 'cic4': the column map gives it twice "
        "(from headers ['cic2', 'cic4']); map one header to it"
    )


def test_column_map_with_a_misspelt_canonical_name(
    industries: pl.DataFrame, tmp_path: Path
) -> None:
    raw = industries.rename({"cic2": "大类代码"})
    path = _csv(tmp_path / "industries.csv", raw.write_csv())
    with pytest.raises(SchemaError) as err:
        read_table(path, "industries", column_map={"大类代码": "cic_2"})
    message = str(err.value)
    assert "table 'industries', column 'cic2': required column(s) missing: ['cic2']" in message
    assert "cic_2" in message  # the present columns show the misspelt name


def test_missing_file_is_a_vagg_error_and_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError) as err:
        read_table(tmp_path / "industries.csv", "industries")
    assert isinstance(err.value, FileNotFoundError)
    assert "does not exist" in _one_line(err, "industries.csv", "industries")


def test_table_missing_from_a_dataset_folder(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"no customs/ folder nor customs.parquet"):
        scan_table(tmp_path, "customs")
    with pytest.raises(MissingFileError, match=r"table 'firms'"):
        read_dataset(tmp_path, ["firms"])
