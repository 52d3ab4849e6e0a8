"""CIC (GB/T 4754-2002) → ISIC Rev.4 → OECD IOT 2021 industries: the rules on hand-picked
codes, agreement with the CIC 2-digit table shipped in vagg.data.industries, the industry list
against the row descriptions of the OECD file, and bad codes."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from vagg.data.cic_isic import cic_isic_rules, cic_to_isic, iot2021_sectors, isic_to_iot2021
from vagg.data.concordance import ReferenceDataError
from vagg.data.industries import cic2_table


@pytest.mark.parametrize(
    ("cic", "isic"),
    [
        ("1310", "10"),
        ("1610", "12"),
        ("1821", "15"),
        ("1810", "14"),
        ("2110", "31"),
        ("3721", "29"),
        ("3751", "30"),
        ("3761", "30"),
        ("3511", "25"),
        ("3512", "28"),
        ("3591", "24"),
        ("3681", "26"),
        ("3684", "32"),
        ("4011", "26"),
        ("4142", "32"),
        ("4154", "28"),
        ("4153", "26"),
        ("4230", "19"),
        ("4310", "38"),
        ("0610", "05"),
        ("0790", "09"),
        ("0710", "06"),
        ("4411", "35"),
        ("4610", "36"),
    ],
)
def test_longest_prefix_rule(cic: str, isic: str) -> None:
    assert cic_to_isic([cic]) == [isic]


@pytest.mark.parametrize(
    ("isic", "sector"),
    [
        ("26", "17"),
        ("61", "34"),
        ("62", "35"),
        ("63", "35"),
        ("45", "26"),
        ("47", "26"),
        ("05", "03"),
        ("06", "03"),
        ("31", "22"),
        ("38", "24"),
        ("21", "12"),
    ],
)
def test_isic_to_iot(isic: str, sector: str) -> None:
    assert isic_to_iot2021([isic]) == [sector]


def test_divisions_agree_with_the_cic2_table() -> None:
    # two-digit rules equal the primary ISIC division of vagg.data.industries, except
    # transport equipment (37), which the rules split into motor vehicles (372) and the rest
    rules = cic_isic_rules().set_index("cic_prefix")["isic4"]
    table = cic2_table().set_index("cic2")["isic4"]
    differ = sorted(c for c in table.index if rules[c] != table[c])
    assert differ == ["37"]
    assert table["37"] == cic_to_isic(["3721"])[0]


def test_every_rule_maps_to_an_iot_industry() -> None:
    rules = cic_isic_rules()
    assert len(isic_to_iot2021(rules["isic4"])) == len(rules)
    assert rules["cic_prefix"].is_unique


def _locate() -> Path | None:
    env = os.environ.get("VAGG_SHARED_DATA")
    name = "oecd_iot2021_chn_1995_2018_long.csv"
    candidates = [Path(env) / "io" / name] if env else []
    candidates += [p / "shared" / "data" / "io" / name for p in Path(__file__).resolve().parents]
    return next((c for c in candidates if c.exists()), None)


@pytest.mark.skipif(_locate() is None, reason="OECD IOT 2021 file of China not found")
def test_industry_names_match_the_oecd_file() -> None:
    path = _locate()
    assert path is not None
    with path.open(encoding="utf-8") as handle:
        names = {r["row_code"]: r["row_description"] for r in csv.DictReader(handle)}
    table = iot2021_sectors()
    assert len(table) == 45
    for code, name in zip(table["code"], table["name_en"], strict=True):
        assert names[code] == name


@pytest.mark.parametrize("code", ["0111", "3800", "5120", "abcd"])
def test_codes_without_a_rule_are_listed(code: str) -> None:
    with pytest.raises(ReferenceDataError, match=rf"census.cic4: 1 code\(s\).*'{code}'"):
        cic_to_isic(["1310", code], where="census.cic4")


def test_unknown_isic_division_is_listed() -> None:
    with pytest.raises(ReferenceDataError, match=r"isic4: 1 value\(s\).*'99'"):
        isic_to_iot2021(["26", "99"])
