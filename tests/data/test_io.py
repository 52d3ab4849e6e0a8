"""Reading and writing canonical tables in every supported format, with column maps."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from vagg.data.errors import SchemaError
from vagg.data.io import read_dataset, read_table, scan_table, write_table

PRODUCTS = pd.DataFrame(
    {
        "hs6": ["010121", "610910", "847130"],
        "hs4": ["0101", "6109", "8471"],
        "hs3": ["010", "610", "847"],
        "bec": ["111", "62", "41"],
        "end_use": ["intermediate", "consumption", "capital"],
        "sigma": [2.5, 4.0, 3.1],
        "unit": ["kg", "piece", "set"],
        "cic4": ["1310", "1810", "4041"],
    }
)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".dta", ".xlsx"])
def test_round_trip_keeps_codes_with_leading_zeros(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"products{suffix}"
    write_table(PRODUCTS, path, "products")
    back = read_table(path, "products").to_pandas()
    assert back["hs6"].tolist() == ["010121", "610910", "847130"]
    assert back["sigma"].tolist() == pytest.approx([2.5, 4.0, 3.1])


def test_column_map_from_json_renames_chinese_headers(tmp_path: Path) -> None:
    raw = PRODUCTS.rename(columns={"hs6": "商品编码", "sigma": "替代弹性"})
    path = tmp_path / "products.csv"
    raw.to_csv(path, index=False)
    cmap = tmp_path / "map.json"
    cmap.write_text(json.dumps({"商品编码": "hs6", "替代弹性": "sigma"}), encoding="utf-8")
    back = read_table(path, "products", column_map=cmap)
    assert back["hs6"].to_list()[0] == "010121"


def test_column_map_naming_absent_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    PRODUCTS.to_csv(path, index=False)
    with pytest.raises(SchemaError, match="not in the file"):
        read_table(path, "products", column_map={"商品编码": "hs6"})


def test_invalid_file_reports_table_column_and_row(tmp_path: Path) -> None:
    bad = PRODUCTS.copy()
    bad.loc[2, "end_use"] = "services"
    path = tmp_path / "products.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(SchemaError, match=r"table 'products', column 'end_use'.*rows \[2\]"):
        read_table(path, "products")


def test_partitioned_table_written_by_year_and_scanned(tmp_path: Path) -> None:
    rows = []
    for year in (2001, 2002):
        for k in range(3):
            rows.append(
                {
                    "party_id": f"33011{k:05d}",
                    "firm_name": "甲",
                    "year": year,
                    "flow": "export",
                    "regime": "10",
                    "hs8": "61091000",
                    "partner": "USA",
                    "quantity": 1.0,
                    "unit": "piece",
                    "value_usd": 2.0,
                    "city_code": "330100",
                    "zip": None,
                    "phone": None,
                }
            )
    files = write_table(pd.DataFrame(rows), tmp_path / "customs", "customs")
    assert sorted(p.parent.name for p in files) == ["year=2001", "year=2002"]
    lazy = scan_table(tmp_path, "customs")
    assert lazy.collect().height == 6
    assert read_dataset(tmp_path)["customs"].height == 6


def test_unsupported_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported file type"):
        write_table(PRODUCTS, tmp_path / "products.json", "products")
    with pytest.raises(FileNotFoundError, match="products"):
        read_table(tmp_path / "nope.csv", "products")
