"""Bartik virtual agglomeration (paper 001 eq. 22) and vagg_in: hand examples, the spec's
built-in checks (shares sum to one; a constant shift gives a constant measure), the real OECD
shifts of China read with the csv module, and every bad-input case."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from vagg.data.concordance import ReferenceDataError
from vagg.data.errors import SchemaError
from vagg.data.oecd_io import digital_shifts
from vagg.measures.shift_share import bartik_vagg, census_shares, vagg_in

# city A: CIC 4011 (→ ISIC 26 → IOT "17") 30, CIC 3721 (→ 29 → "20") 10;
# city B: CIC 1310 (→ 10 → "06") 5, CIC 4011 15
CENSUS = pd.DataFrame(
    {
        "city_code": ["110100", "110100", "120100", "120100"],
        "cic4": ["4011", "3721", "1310", "4011"],
        "output": [30.0, 10.0, 5.0, 15.0],
    }
)
SHIFTS = pd.DataFrame(
    {
        "year": [2005, 2005, 2005, 2006, 2006, 2006],
        "sector": ["17", "20", "06", "17", "20", "06"],
        "virtual": [0.02, 0.01, 0.004, 0.03, 0.01, 0.002],
        "data_input": [100.0, 50.0, 20.0, 120.0, 60.0, 10.0],
    }
)


def test_hand_example() -> None:
    out = bartik_vagg(CENSUS, SHIFTS)
    got = out.data.set_index(["city_code", "year"])["vagg"]
    assert got[("110100", 2005)] == pytest.approx(100 * (0.75 * 0.02 + 0.25 * 0.01))
    assert got[("110100", 2006)] == pytest.approx(100 * (0.75 * 0.03 + 0.25 * 0.01))
    assert got[("120100", 2005)] == pytest.approx(100 * (0.25 * 0.004 + 0.75 * 0.02))
    assert got[("120100", 2006)] == pytest.approx(100 * (0.25 * 0.002 + 0.75 * 0.03))
    assert out.excluded == {}
    assert isinstance(out.data, pd.DataFrame)


def test_shares_sum_to_one_and_follow_the_rules() -> None:
    shares = census_shares(CENSUS).data
    assert shares.groupby("city_code")["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    a = shares[shares.city_code == "110100"].set_index("sector")["share"]
    assert a.to_dict() == pytest.approx({"17": 0.75, "20": 0.25})


def test_constant_shift_gives_constant_measure() -> None:
    flat = SHIFTS.assign(virtual=0.013)
    out = bartik_vagg(CENSUS, flat, scale=1.0)
    assert out.data["vagg"].tolist() == pytest.approx([0.013] * 4)


def test_polars_in_polars_out() -> None:
    out = bartik_vagg(pl.from_pandas(CENSUS), SHIFTS)
    assert isinstance(out.data, pl.DataFrame)


def test_user_sector_map_by_isic_and_by_sector() -> None:
    by_isic = pd.DataFrame({"cic4": ["4011", "3721", "1310"], "isic4": ["26", "30", "10"]})
    shifts = pd.concat([SHIFTS, SHIFTS[SHIFTS.sector == "20"].assign(sector="21", virtual=0.5)])
    out = bartik_vagg(CENSUS, shifts, sector_map=by_isic).data.set_index(["city_code", "year"])
    assert out.loc[("110100", 2005), "vagg"] == pytest.approx(100 * (0.75 * 0.02 + 0.25 * 0.5))
    by_sector = pd.DataFrame({"cic4": ["4011", "3721", "1310"], "sector": ["17", "21", "06"]})
    again = bartik_vagg(CENSUS, shifts, sector_map=by_sector).data
    assert again["vagg"].tolist() == pytest.approx(
        bartik_vagg(CENSUS, shifts, sector_map=by_isic).data["vagg"].tolist()
    )


def test_vagg_in_uses_the_flows() -> None:
    out = vagg_in(CENSUS, SHIFTS).data.set_index(["city_code", "year"])["vagg_in"]
    assert out[("110100", 2005)] == pytest.approx(0.75 * 100 + 0.25 * 50)
    logged = vagg_in(CENSUS, SHIFTS, log=True).data.set_index(["city_code", "year"])["vagg_in"]
    assert logged[("120100", 2006)] == pytest.approx(math.log(0.25 * 10 + 0.75 * 120))


def test_years_selects_and_requires_shifts() -> None:
    out = bartik_vagg(CENSUS, SHIFTS, years=[2006])
    assert set(out.data["year"]) == {2006}
    with pytest.raises(SchemaError, match=r"no shifts for year\(s\) \[2007\]"):
        bartik_vagg(CENSUS, SHIFTS, years=[2006, 2007])


def test_city_missing_from_census_raises() -> None:
    with pytest.raises(SchemaError, match=r"census_2004.*city_code.*no census output.*130100"):
        bartik_vagg(CENSUS, SHIFTS, cities=["110100", "130100"])


def test_city_missing_from_census_can_be_excluded_and_counted() -> None:
    out = bartik_vagg(CENSUS, SHIFTS, cities=["110100", "130100"], missing_cities="exclude")
    assert set(out.data["city_code"]) == {"110100"}
    assert out.excluded == {"sample city missing from the census": 1}
    assert "excluded: sample city missing from the census" in out.report()["item"].tolist()


def test_sector_without_shift_raises_naming_sector_and_year() -> None:
    shifts = SHIFTS[~((SHIFTS.sector == "20") & (SHIFTS.year == 2006))]
    with pytest.raises(SchemaError, match=r"shifts.*sector.*\['20'\].*\('20', 2006\)"):
        bartik_vagg(CENSUS, shifts)


def test_sector_without_shift_can_be_excluded_with_renormalised_shares() -> None:
    shifts = SHIFTS.copy()
    shifts.loc[shifts.sector == "20", "virtual"] = float("nan")  # e.g. zero-output sector
    out = bartik_vagg(CENSUS, shifts, missing_sectors="exclude")
    got = out.data.set_index(["city_code", "year"])
    assert got.loc[("110100", 2005), "vagg"] == pytest.approx(100 * 0.02)
    assert got.loc[("110100", 2005), "coverage"] == pytest.approx(0.75)
    assert got.loc[("120100", 2005), "coverage"] == pytest.approx(1.0)
    assert out.excluded["sector without shift (sectors)"] == 1
    assert out.excluded["census city-sector rows in those sectors"] == 1


def test_zero_output_city_is_counted() -> None:
    census = pd.concat(
        [CENSUS, pd.DataFrame({"city_code": ["130100"], "cic4": ["4011"], "output": [0.0]})]
    )
    out = bartik_vagg(census, SHIFTS)
    assert out.excluded == {"city with zero census output": 1}
    assert "130100" not in set(out.data["city_code"])


def test_negative_output_names_rows() -> None:
    census = CENSUS.assign(output=[30.0, -1.0, 5.0, 15.0])
    with pytest.raises(SchemaError, match=r"census_2004.*output.*non-negative.*rows \[1\]"):
        bartik_vagg(census, SHIFTS)


def test_duplicate_city_industry_is_an_error() -> None:
    with pytest.raises(SchemaError, match="duplicate key"):
        census_shares(pd.concat([CENSUS, CENSUS.iloc[[0]]]))


def test_unknown_cic_code_is_listed() -> None:
    census = CENSUS.assign(cic4=["4011", "3721", "0111", "4011"])
    with pytest.raises(ReferenceDataError, match=r"census_2004.cic4.*'0111'"):
        census_shares(census)


def test_numeric_codes_are_rejected() -> None:
    with pytest.raises(SchemaError, match="must be text"):
        census_shares(CENSUS.assign(cic4=[4011, 3721, 1310, 4011]))


def _oecd() -> Path | None:
    env = os.environ.get("VAGG_SHARED_DATA")
    name = "oecd_iot2021_chn_1995_2018_long.csv"
    candidates = [Path(env) / "io" / name] if env else []
    candidates += [p / "shared" / "data" / "io" / name for p in Path(__file__).resolve().parents]
    return next((c for c in candidates if c.exists()), None)


@pytest.mark.skipif(_oecd() is None, reason="OECD IOT 2021 file of China not found")
def test_real_shifts_of_china_from_the_csv() -> None:
    path = _oecd()
    assert path is not None
    with path.open(encoding="utf-8") as handle:
        raw = {
            (r["row_code"], r["col_code"]): float(r["value"])
            for r in csv.DictReader(handle)
            if r["year"] == "2010"
        }

    def a(row: str, col: str) -> float:
        return raw[(row, col)] / raw[("OUTPUT", col)]

    shifts = digital_shifts(path, trade_split=0.0)
    out = bartik_vagg(CENSUS, shifts).data.set_index(["city_code", "year"])["vagg"]
    expected = 100 * (
        0.75 * (a("34", "17") + a("35", "17")) + 0.25 * (a("34", "20") + a("35", "20"))
    )
    assert out[("110100", 2010)] == pytest.approx(expected, rel=1e-12)
    assert sorted({y for _, y in out.index}) == list(range(2005, 2016))
