"""Tests for vagg.data.industries: CIC 2-digit table, 42-sector IO list, OECD ICIO list.

References written out here by hand from the classifications themselves:
- GB/T 4754-2002 manufacturing divisions 13–43 (no 38; 39 电气机械及器材制造业, 43
  废弃资源和废旧材料回收加工业).
- NBS 中国2007年投入产出表 42-sector list (codes 01–42; manufacturing 06–22).
- OECD ICIO 2018 release industry list (36 industries, D01T03 … D97T98).
- NBS high-tech manufacturing at 2-digit: 27, 40, 41.
"""

from __future__ import annotations

import itertools
import re

import pytest

from vagg.data import industries
from vagg.data.concordance import ReferenceDataError

CIC2_CODES = [str(c) for c in range(13, 44) if c != 38]


def test_cic2_codes_are_the_30_gbt4754_2002_divisions() -> None:
    table = industries.cic2_table()
    assert list(table["cic2"]) == CIC2_CODES
    assert len(table) == 30
    assert "38" not in set(table["cic2"])
    names = dict(zip(table["cic2"], table["name_zh"], strict=True))
    assert names["13"] == "农副食品加工业"
    assert names["27"] == "医药制造业"
    assert names["37"] == "交通运输设备制造业"
    assert names["39"] == "电气机械及器材制造业"
    assert names["40"] == "通信设备、计算机及其他电子设备制造业"
    assert names["43"] == "废弃资源和废旧材料回收加工业"


def test_each_cic2_maps_to_exactly_one_io_and_icio_sector() -> None:
    table = industries.cic2_table()
    io = industries.io_sectors().set_index("code")
    icio = industries.icio_sectors().set_index("code")
    assert table["cic2"].is_unique
    assert table["io_sector"].notna().all() and (table["io_sector"] != "").all()
    assert table["icio_sector"].notna().all() and (table["icio_sector"] != "").all()
    assert set(table["io_sector"]) <= set(io.index)
    assert set(table["icio_sector"]) <= set(icio.index)
    # Every CIC manufacturing division lands in a manufacturing IO sector (06–22).
    assert io.loc[table["io_sector"], "manufacturing"].all()
    assert (table["io_sector_name_zh"] == io.loc[table["io_sector"], "name_zh"].to_numpy()).all()


def test_codes_are_strings_with_leading_zeros() -> None:
    table = industries.cic2_table()
    assert all(re.fullmatch(r"\d{2}", c) for c in table["io_sector"])
    assert all(re.fullmatch(r"\d{2}", c) for c in table["isic4"])
    codes = list(industries.io_sectors()["code"])
    assert codes == [f"{i:02d}" for i in range(1, 43)]


def test_known_io_sector_mappings() -> None:
    io_of = dict(zip(*[industries.cic2_table()[c] for c in ("cic2", "io_sector")], strict=True))
    # From the sector definitions of the 42-sector table.
    assert {io_of[c] for c in ("13", "14", "15", "16")} == {"06"}  # 食品制造及烟草加工业
    assert io_of["17"] == "07"  # 纺织业
    assert io_of["18"] == io_of["19"] == "08"  # 纺织服装鞋帽皮革羽绒及其制品业
    assert {io_of[c] for c in ("26", "27", "28", "29", "30")} == {"12"}  # 化学工业
    assert io_of["35"] == io_of["36"] == "16"  # 通用、专用设备制造业
    assert io_of["39"] == "18"
    assert io_of["40"] == "19"
    assert io_of["41"] == "20"
    assert io_of["43"] == "22"  # 废品废料
    names = dict(zip(*[industries.io_sectors()[c] for c in ("code", "name_zh")], strict=True))
    assert names["06"] == "食品制造及烟草加工业"
    assert names["07"] == "纺织业"
    assert names["08"] == "纺织服装鞋帽皮革羽绒及其制品业"
    assert names["22"] == "废品废料"
    assert names["29"] == "信息传输、计算机服务和软件业"


def test_io_sectors_full_list() -> None:
    io = industries.io_sectors()
    assert len(io) == 42
    manufacturing = set(io.loc[io["manufacturing"], "code"])
    assert manufacturing == {f"{i:02d}" for i in range(6, 23)}
    assert set(io["group"]) == {
        "agriculture",
        "mining",
        "manufacturing",
        "utilities",
        "construction",
        "services",
    }


def _isic_range(code: str) -> tuple[int, int]:
    match = re.fullmatch(r"D(\d{2})(?:T(\d{2}))?", code)
    assert match, code
    low = int(match.group(1))
    return low, int(match.group(2) or low)


def test_icio_sector_contains_primary_isic_division() -> None:
    table = industries.cic2_table()
    for cic2, isic, icio in zip(table["cic2"], table["isic4"], table["icio_sector"], strict=True):
        low, high = _isic_range(icio)
        assert low <= int(isic) <= high, (cic2, isic, icio)


def test_icio_2018_release_list() -> None:
    icio = industries.icio_sectors()
    assert len(icio) == 36
    ranges = [_isic_range(code) for code in icio["code"]]
    # Ordered, non-overlapping ISIC ranges; the code and the isic4_divisions column agree.
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))
    for (low, high), text in zip(ranges, icio["isic4_divisions"], strict=True):
        assert text == (f"{low:02d}" if low == high else f"{low:02d}-{high:02d}")
    assert {"D61", "D62T63", "D45T47", "D58T60"} <= set(icio["code"])
    assert set(icio.loc[icio["digital"], "code"]) == {"D45T47", "D61", "D62T63"}
    assert set(icio.loc[icio["manufacturing"], "code"]) == {
        code for code, (low, _) in zip(icio["code"], ranges, strict=True) if 10 <= low <= 33
    }


def test_high_tech_default_and_override() -> None:
    table = industries.cic2_table()
    assert set(table.loc[table["high_tech"], "cic2"]) == {"27", "40", "41"}
    assert set(industries.HIGH_TECH_CIC2) == {"27", "40", "41"}
    custom = industries.cic2_table(high_tech=["27", "37", "40", "41"])
    assert set(custom.loc[custom["high_tech"], "cic2"]) == {"27", "37", "40", "41"}
    # The cached table is not modified by an override.
    assert set(industries.cic2_table().query("high_tech")["cic2"]) == {"27", "40", "41"}


def test_high_tech_override_rejects_unknown_codes() -> None:
    with pytest.raises(ReferenceDataError, match=r"'high_tech'.*\['38'\]"):
        industries.cic2_table(high_tech=["27", "38"])
    with pytest.raises(ReferenceDataError, match="single string"):
        industries.cic2_table(high_tech="27")
