"""The shipped column maps of the Chinese CIE and customs headers (src/vagg/data/column_maps).

Reference: hand-written CSV files with the Chinese headers listed in the methods notes
(trade_measures.md §0.1–0.2: 法人代码, 企业名称, 工业总产值, …; 企业编码, 贸易方式, 商品编码, …)
and values typed here; the canonical frame read through the map must hold exactly these values,
codes with their leading zeros.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pytest

from vagg.data.errors import SchemaError
from vagg.data.io import read_table
from vagg.data.schemas import get_schema

MAPS = Path(str(files("vagg.data") / "column_maps"))

CIE_ROWS = [
    # 法人代码, 年份, 企业名称, 行业代码, 行政区划代码, 邮政编码, 电话号码, 开业年份, 工业总产值,
    # 主营业务收入, 出口交货值, 全部从业人员年平均人数, 本年应付工资总额, 资产总计,
    # 固定资产净值年平均余额, 流动资产合计, 流动负债合计, 负债合计, 工业中间投入合计, 工业增加值,
    # 国家资本, 集体资本, 法人资本, 个人资本, 港澳台资本, 外商资本
    ["00123456X", 2005, "北京甲乙机械有限公司", "3511", "110100", "010020", "010-6512345",
     1998, 52000.5, 50100.0, 1200.0, 210, 4300.0, 61000.0, 20000.0, 30000.0, 18000.0,
     35000.0, 41000.0, 11000.0, 0.0, 0.0, 500.0, 4500.0, 0.0, 0.0],
    ["71234567Y", 2006, "深圳丙丁电子有限公司", "4041", "440300", "518000", "0755-2612345",
     2003, 88000.0, 86500.0, 60000.0, 640, 15000.0, 70000.0, 26000.0, 40000.0, 25000.0,
     42000.0, 70000.0, None, 0.0, 0.0, 0.0, 1000.0, 6000.0, 2000.0],
]  # fmt: skip
CUSTOMS_ROWS = [
    # 企业编码, 企业名称, 年份, 进出口, 贸易方式, 商品编码, 起运国或目的国, 数量, 单位, 美元,
    # 境内货源地, 邮政编码, 电话
    ["1101234567", "北京甲乙机械有限公司", 2005, "export", "10", "84314990", "USA", 1200.0,
     "kg", 35000.0, "110100", "010020", "010-6512345"],
    ["4403987654", "深圳丙丁电子有限公司", 2006, "import", "15", "01012100", "JPN", 30.0,
     "piece", 8100.0, "440300", "518000", "0755-2612345"],
]  # fmt: skip


def _column_map(name: str) -> dict[str, str]:
    return json.loads((MAPS / name).read_text(encoding="utf-8"))


def _write_csv(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    lines = [",".join(headers)]
    for row in rows:
        lines.append(",".join("" if v is None else str(v) for v in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("file", "table"), [("cie_zh.json", "firms"), ("customs_zh.json", "customs")]
)
def test_map_covers_every_canonical_column_once(file: str, table: str) -> None:
    """The main map names every required column; with cie_zh_resilience.json (the optional
    items of study resilience_firms) the CIE maps name every column of ``firms`` once."""
    targets = list(_column_map(file).values())
    schema = get_schema(table)
    assert sorted(targets) == sorted(c.name for c in schema.columns if c.required)
    if table == "firms":
        targets += list(_column_map("cie_zh_resilience.json").values())
        assert sorted(targets) == sorted(c.name for c in schema.columns)


def test_cie_csv_with_chinese_headers_reads_through_the_map(tmp_path: Path) -> None:
    mapping = _column_map("cie_zh.json")
    csv = _write_csv(tmp_path / "cie.csv", list(mapping), CIE_ROWS)
    frame = read_table(csv, "firms", column_map=MAPS / "cie_zh.json")
    assert frame.columns == [c.name for c in get_schema("firms").columns if c.required]
    assert frame["firm_id"].to_list() == ["00123456X", "71234567Y"]
    assert frame["zip"].to_list() == ["010020", "518000"]
    assert frame["gross_output"].to_list() == [52000.5, 88000.0]
    assert frame["employment"].to_list() == [210, 640]
    assert frame["value_added"].to_list() == [11000.0, None]
    assert frame["paid_in_hmt"].to_list() == [0.0, 6000.0]


def test_customs_csv_with_chinese_headers_reads_through_the_map(tmp_path: Path) -> None:
    mapping = _column_map("customs_zh.json")
    csv = _write_csv(tmp_path / "customs.csv", list(mapping), CUSTOMS_ROWS)
    frame = read_table(csv, "customs", column_map=MAPS / "customs_zh.json")
    assert frame["party_id"].to_list() == ["1101234567", "4403987654"]
    assert frame["hs8"].to_list() == ["84314990", "01012100"]
    assert frame["regime"].to_list() == ["10", "15"]
    assert frame["value_usd"].to_list() == [35000.0, 8100.0]


def test_raw_values_that_need_recoding_are_named(tmp_path: Path) -> None:
    """The map renames headers only: Chinese flow labels (出口) must be recoded first."""
    mapping = _column_map("customs_zh.json")
    rows = [list(r) for r in CUSTOMS_ROWS]
    rows[0][3] = "出口"
    csv = _write_csv(tmp_path / "customs.csv", list(mapping), rows)
    with pytest.raises(SchemaError, match="flow"):
        read_table(csv, "customs", column_map=MAPS / "customs_zh.json")
