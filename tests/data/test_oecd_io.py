"""The OECD input–output reader and the digital-service shifts of paper 001 eq. (22), checked
against numbers read directly from China's OECD IOT 2021 long file with the csv module, closed
forms of the split, the table's own accounting identities, and bad input."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.concordance import ReferenceDataError
from vagg.data.oecd_io import (
    TradeSplit,
    digital_shifts,
    direct_coefficients,
    iot_identities,
    read_oecd_iot,
)

FILE = "oecd_iot2021_chn_1995_2018_long.csv"


def _locate() -> Path | None:
    """The shared reference copy: $VAGG_SHARED_DATA/io, or shared/data/io above the checkout."""
    env = os.environ.get("VAGG_SHARED_DATA")
    candidates = [Path(env) / "io" / FILE] if env else []
    candidates += [p / "shared" / "data" / "io" / FILE for p in Path(__file__).resolve().parents]
    return next((c for c in candidates if c.exists()), None)


PATH = _locate()
needs_file = pytest.mark.skipif(PATH is None, reason=f"reference file {FILE} not found")


def _raw(year: int) -> dict[tuple[str, str], float]:
    """Cells of one year read with the csv module (independent of the reader)."""
    assert PATH is not None
    with PATH.open(encoding="utf-8") as handle:
        return {
            (r["row_code"], r["col_code"]): float(r["value"])
            for r in csv.DictReader(handle)
            if r["year"] == str(year)
        }


@pytest.fixture(scope="module")
def iot():
    assert PATH is not None
    return read_oecd_iot(PATH)


@needs_file
def test_reader_keeps_codes_and_covers_1995_2018(iot) -> None:
    assert iot.years == list(range(1995, 2019))
    assert iot.industries == [f"{i:02d}" for i in range(1, 46)]
    assert iot.flows.height == 64800
    assert iot.source == FILE
    cell = iot.flows.filter(
        (pl.col("year") == 1995) & (pl.col("row_code") == "01") & (pl.col("col_code") == "01")
    )
    assert cell["value"].item() == 6265.7  # first data line of the file


@needs_file
@pytest.mark.parametrize("year", [2005, 2010, 2015])
def test_digital_shifts_equal_hand_coefficients_from_the_csv(iot, year: int) -> None:
    raw = _raw(year)
    phi = 0.04
    shifts = digital_shifts(iot, trade_split=phi, years=[year])
    for sector in ("06", "17", "20", "23"):
        x = raw[("OUTPUT", sector)]
        z34, z35, z26 = (raw[(r, sector)] for r in ("34", "35", "26"))
        row = shifts.filter(pl.col("sector") == sector)
        assert row["a_34"].item() == pytest.approx(z34 / x, rel=1e-14)
        assert row["virtual"].item() == pytest.approx((z34 + z35 + phi * z26) / x, rel=1e-13)
        assert row["data_input"].item() == pytest.approx(z34 + z35 + phi * z26, rel=1e-13)
        assert row["trade_digital_share"].item() == phi


REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "oecd_iot2021_chn_cells.json"


@needs_file
def test_cells_recorded_in_the_reference_file(iot) -> None:
    # cells read off the CSV (tests/reference/oecd_iot2021_chn_cells.json, with provenance)
    cells = json.loads(REFERENCE.read_text(encoding="utf-8"))["cells"]
    value = {(c["year"], c["row_code"], c["col_code"]): c["value"] for c in cells}
    flows = iot.flows
    for (year, row, col), expected in value.items():
        got = flows.filter(
            (pl.col("year") == year) & (pl.col("row_code") == row) & (pl.col("col_code") == col)
        )["value"].item()
        assert got == expected
    shifts = digital_shifts(iot, trade_split=0.0, years=[2010], sectors=["17"])
    assert shifts["z_34"].item() == value[(2010, "34", "17")]
    assert shifts["output"].item() == value[(2010, "OUTPUT", "17")]
    assert shifts["label"].item() == "D26"
    a34 = value[(2010, "34", "17")] / value[(2010, "OUTPUT", "17")]
    a35 = value[(2010, "35", "17")] / value[(2010, "OUTPUT", "17")]
    assert shifts["virtual"].item() == pytest.approx(a34 + a35, rel=1e-14)
    assert value[(2018, "OUTPUT", "45")] == 0.0  # households: no coefficient defined


@needs_file
def test_households_sector_has_no_coefficient(iot) -> None:
    coef = direct_coefficients(iot, [2010], inputs=["34"])
    households = coef.filter(pl.col("sector") == "45")
    assert households["output"].item() == 0.0
    assert households["coefficient"].item() is None
    shifts = digital_shifts(iot, trade_split=0.0, years=[2010], sectors=["45"])
    assert shifts["virtual"].item() is None


@needs_file
def test_technical_coefficients_sum_below_one(iot) -> None:
    coef = direct_coefficients(iot, [2005, 2015]).filter(pl.col("coefficient").is_not_null())
    sums = coef.group_by("year", "sector").agg(pl.col("coefficient").sum())
    assert sums["coefficient"].max() < 1.0
    assert sums["coefficient"].min() > 0.0


@needs_file
@pytest.mark.parametrize("year", [1995, 2005, 2018])
def test_the_china_file_is_a_total_flow_table(iot, year: int) -> None:
    # industry rows + taxes = total intermediate consumption: imports are inside the rows
    residuals = iot_identities(iot, year)
    assert residuals["columns"] < 1.0
    assert residuals["value_added"] < 1.0
    assert residuals["rows"] < 1.0


def _small() -> pd.DataFrame:
    """A two-industry table of one year (rows 34/35 play the digital inputs)."""
    cells = {
        ("34", "34"): 1.0,
        ("34", "35"): 2.0,
        ("35", "34"): 3.0,
        ("35", "35"): 4.0,
        ("26", "34"): 5.0,
        ("26", "35"): 6.0,
        ("26", "26"): 1.0,
        ("34", "26"): 1.0,
        ("35", "26"): 1.0,
        ("OUTPUT", "34"): 20.0,
        ("OUTPUT", "35"): 40.0,
        ("OUTPUT", "26"): 10.0,
    }
    return pd.DataFrame(
        [(2010, r, "", c, v) for (r, c), v in cells.items()],
        columns=["year", "row_code", "row_description", "col_code", "value"],
    )


def test_trade_split_closed_form() -> None:
    split = TradeSplit(wholesale_share=0.6, digital_wholesale={2010: 0.05}, digital_retail=0.1)
    assert split.digital_share(2010) == pytest.approx(0.6 * 0.05 + 0.4 * 0.1)
    shifts = digital_shifts(_small(), trade_split=split, years=[2010])
    row = shifts.filter(pl.col("sector") == "35")
    assert row["virtual"].item() == pytest.approx((2 + 4 + 0.07 * 6) / 40)
    assert row["data_input"].item() == pytest.approx(2 + 4 + 0.07 * 6)


def test_trade_row_can_be_left_out() -> None:
    shifts = digital_shifts(_small(), trade_split=0.5, years=[2010], trade_row=None)
    assert "a_26" not in shifts.columns
    row = shifts.filter(pl.col("sector") == "34")
    assert row["virtual"].item() == pytest.approx((1 + 3) / 20)


def test_missing_year_names_file_and_years() -> None:
    with pytest.raises(ReferenceDataError, match=r"mytable.csv: year\(s\) \[2016\] not in"):
        digital_shifts(read_oecd_iot(_small(), name="mytable.csv"), trade_split=0, years=[2016])


def test_missing_digital_row_names_sector_and_year() -> None:
    frame = _small()
    frame = frame[~((frame.row_code == "34") & (frame.col_code == "26"))]
    frame = frame[frame.row_code != "34"]
    with pytest.raises(ReferenceDataError, match=r"iot table: sector row '34'.*year 2010"):
        digital_shifts(frame, trade_split=0, years=[2010])


def test_missing_output_row_is_named() -> None:
    frame = _small()
    frame = frame[frame.row_code != "OUTPUT"]
    with pytest.raises(ReferenceDataError, match=r"'OUTPUT'.*missing for year 2010"):
        direct_coefficients(frame)


def test_missing_column_names_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    _small().drop(columns="value").to_csv(path, index=False)
    with pytest.raises(ReferenceDataError, match=r"bad.csv: column\(s\) \['value'\] missing"):
        read_oecd_iot(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match=r"nothere\.csv"):
        read_oecd_iot(tmp_path / "nothere.csv")


def test_non_numeric_value_names_rows() -> None:
    frame = _small().astype({"value": object})
    frame.loc[3, "value"] = "n.a."
    with pytest.raises(ReferenceDataError, match=r"'value' must be numeric.*rows \[3\]"):
        read_oecd_iot(frame)


def test_duplicate_cells_are_an_error() -> None:
    frame = pd.concat([_small(), _small().iloc[[0]]])
    with pytest.raises(ReferenceDataError, match="duplicated"):
        read_oecd_iot(frame)


def test_negative_intermediate_flow_is_an_error() -> None:
    frame = _small()
    frame.loc[0, "value"] = -1.0
    with pytest.raises(ReferenceDataError, match="negative intermediate flows in year 2010"):
        direct_coefficients(frame)


def test_split_outside_unit_interval_is_an_error() -> None:
    with pytest.raises(ReferenceDataError, match=r"trade_split: 1.5 for year 2010"):
        digital_shifts(_small(), trade_split=1.5, years=[2010])


def test_split_without_the_year_is_an_error() -> None:
    with pytest.raises(ReferenceDataError, match=r"digital_retail: no value for year 2010"):
        TradeSplit(0.5, 0.1, {2011: 0.1}).digital_share(2010)


def test_multi_country_table_needs_a_country() -> None:
    frame = _small().assign(country="CHN")
    with pytest.raises(ReferenceDataError, match="pass country="):
        read_oecd_iot(frame)
    assert read_oecd_iot(frame, country="CHN").flows.height == len(frame)


def test_identities_detect_a_domestic_table() -> None:
    # a table whose industry rows omit imports does not add up to TTL_INT_FNL
    frame = _small()
    extra = pd.DataFrame(
        [
            (2010, r, "", c, v)
            for r, c, v in [
                ("TTL_INT_FNL", "34", 50.0),
                ("TTL_INT_FNL", "35", 50.0),
                ("TTL_INT_FNL", "26", 5.0),
                ("VALU", "34", -30.0),
                ("VALU", "35", -10.0),
                ("VALU", "26", 5.0),
                ("TXS_IMP_FNL", "34", 0.0),
                ("TXS_INT_FNL", "34", 0.0),
            ]
        ],
        columns=frame.columns,
    )
    residuals = iot_identities(pd.concat([frame, extra]), 2010)
    assert residuals["columns"] == pytest.approx(50.0 - (1.0 + 3.0 + 5.0))
    assert np.isfinite(residuals["rows"])


def test_frame_with_float_years_and_numeric_codes() -> None:
    frame = _small().assign(year=2010.0)
    assert read_oecd_iot(frame).years == [2010]
    with pytest.raises(ReferenceDataError, match=r"year.*whole years.*rows \[0\]"):
        read_oecd_iot(frame.assign(year=[2010.5] + [2010.0] * (len(frame) - 1)))
    with pytest.raises(ReferenceDataError, match=r"\['row_code'\] must be text"):
        read_oecd_iot(frame.assign(row_code=1))
    assert read_oecd_iot(pl.from_pandas(_small())).flows.height == len(_small())
