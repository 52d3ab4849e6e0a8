"""Controls, ownership and industry switchers of paper 000 on hand-made firm-years, on bad
input, and on the `tiny` synthetic economy against an independent pandas computation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.data.io import read_dataset
from vagg.data.synth.economy import generate
from vagg.measures.firm_controls import firm_controls, industry_switchers, ownership


def _firms() -> pd.DataFrame:
    # industry 1111 has six firms (CR4 defined), 2222 has two (CR4 = 1 by convention)
    return pd.DataFrame(
        {
            "firm_id": ["a", "b", "c", "d", "e", "f", "g", "h"],
            "year": 2005,
            "cic4": ["1111"] * 6 + ["2222"] * 2,
            "founding_year": [2005, 1990, 2000, 2001, 2002, 2003, 1999, 1980],
            "employment": [20, 100, 50, 8, 9, 10, 30, 40],
            "sales": [10.0, 40.0, 30.0, 5.0, 10.0, 5.0, 7.0, 3.0],
            "total_assets": [200.0, 500.0, 100.0, 50.0, 60.0, 70.0, 80.0, 90.0],
            "current_assets": [80.0, 300.0, 40.0, 20.0, 30.0, 35.0, 40.0, 45.0],
            "current_liabilities": [50.0, 100.0, 60.0, 10.0, 15.0, 20.0, 25.0, 30.0],
            "total_liabilities": [120.0, 250.0, 90.0, 20.0, 30.0, 35.0, 40.0, 45.0],
        }
    )


def test_controls_by_hand() -> None:
    out = firm_controls(_firms()).set_index("firm_id")
    assert out.loc["a", "age"] == 1  # founded in the survey year: 2005 − 2005 + 1
    assert out.loc["b", "age"] == 16
    assert out.loc["a", "size"] == pytest.approx(math.log(20))
    assert out.loc["a", "cl"] == pytest.approx((80 - 50) / 200)
    assert out.loc["c", "cl"] == pytest.approx((40 - 60) / 100)  # negative liquidity is valid
    assert out.loc["b", "debt"] == pytest.approx(250 / 500)
    # CR4 of 1111: sales 40, 30, 10, 10, 5, 5 → (40 + 30 + 10 + 10) / 100
    assert out.loc["a", "herfind"] == pytest.approx(0.9)
    assert not out.loc["a", "cr4_small_industry"]
    assert out.loc["g", "herfind"] == 1.0 and out.loc["g", "cr4_small_industry"]
    assert out["invalid"].isna().all()


def test_invalid_values_raise_or_are_nulled_and_counted() -> None:
    bad = _firms()
    bad.loc[1, "founding_year"] = 2007
    bad.loc[3, "total_assets"] = 0.0
    with pytest.raises(SchemaError, match=r"firms.*founding_year.*rows \[1\].*2007"):
        firm_controls(bad)
    only_assets = _firms()
    only_assets.loc[3, "total_assets"] = 0.0
    with pytest.raises(SchemaError, match=r"firms.*total_assets.*rows \[3\]"):
        firm_controls(only_assets)
    negative = _firms()
    negative.loc[2, "total_liabilities"] = -5.0
    with pytest.raises(SchemaError, match=r"total_liabilities.*rows \[2\]"):
        firm_controls(negative)
    out = firm_controls(bad, on_invalid="null").set_index("firm_id")
    assert out["invalid"].value_counts().to_dict() == {
        "founding_after_year": 1,
        "total_assets_not_positive": 1,
    }
    assert pd.isna(out.loc["b", "age"]) and out.loc["b", "size"] == pytest.approx(math.log(100))
    assert pd.isna(out.loc["d", "cl"]) and pd.isna(out.loc["d", "debt"])
    assert out.loc["d", "age"] == 5
    with pytest.raises(SchemaError, match="duplicate key"):
        firm_controls(pd.concat([_firms(), _firms()]))
    with pytest.raises(SchemaError, match="sales"):
        firm_controls(_firms().drop(columns="sales"))


def _paid_in(rows: list[tuple[float, ...]]) -> pd.DataFrame:
    columns = ["state", "collective", "legal", "private", "hmt", "foreign"]
    frame = pd.DataFrame(rows, columns=[f"paid_in_{c}" for c in columns])
    return frame.assign(firm_id=[f"f{i}" for i in range(len(rows))], year=2005)


def test_ownership_by_hand() -> None:
    frame = _paid_in(
        [
            (60, 0, 0, 40, 0, 0),  # state majority
            (0, 0, 10, 35, 30, 25),  # HK/Macau/Taiwan + foreign = 55% → foreign
            (30, 20, 0, 40, 10, 0),  # no majority: private has the largest share
            (40, 0, 0, 40, 20, 0),  # tie state/private → state (earlier type)
            (0, 0, 0, 0, 0, 0),  # no paid-in capital → unknown
            (0, 10, 50, 40, 0, 0),  # exactly 50% legal
        ]
    )
    out = ownership(frame).set_index("firm_id")
    assert out["ownership"].tolist()[:4] == ["state", "foreign", "private", "state"]
    assert pd.isna(out.loc["f4", "ownership"])
    assert out.loc["f5", "ownership"] == "legal"
    dummies = out[["state", "collective", "legal", "foreign", "private"]]
    assert dummies.sum(axis=1).tolist() == [1, 1, 1, 1, 0, 1]
    assert out.loc["f1", "foreign"] == 1
    with pytest.raises(SchemaError, match=r"paid_in_state.*rows \[0\]"):
        ownership(_paid_in([(-1, 0, 0, 1, 0, 0)]))


def _panel(rows: dict[str, list[tuple[int, str]]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(f, y, c) for f, obs in rows.items() for y, c in obs],
        columns=["firm_id", "year", "cic4"],
    )


def test_switchers_by_hand() -> None:
    panel = _panel(
        {
            "stay": [(2001, "1311"), (2002, "1311"), (2003, "1311")],
            "once": [(2001, "1311"), (2003, "1312"), (2004, "1312")],  # gap: switch seen 2003
            "twice": [(2001, "1311"), (2002, "3711"), (2003, "1311")],
            "solo": [(2005, "3711")],
        }
    )
    out = industry_switchers(panel)
    once = out[out["firm_id"] == "once"]
    assert once["treat"].tolist() == [1, 1, 1]
    assert once["post"].tolist() == [0, 1, 1]
    assert set(once["switch_year"]) == {2003}
    assert set(once["from_cic4"]) == {"1311"} and set(once["to_cic4"]) == {"1312"}
    stay = out[out["firm_id"].isin(["stay", "solo"])]
    assert (stay["treat"] == 0).all() and (stay["post"] == 0).all()
    assert stay["switch_year"].isna().all()
    twice = out[out["firm_id"] == "twice"]
    assert twice["treat"].isna().all() and (twice["n_switches"] == 2).all()
    industries = pd.DataFrame({"cic4": ["1311", "1312", "3711"], "io_sector": ["06", "06", "18"]})
    # within one IO sector the switch of "once" does not count at level="io_sector"
    by_sector = industry_switchers(panel, industries=industries, level="io_sector")
    assert (by_sector[by_sector["firm_id"] == "once"]["treat"] == 0).all()
    flagged = industry_switchers(panel, industries=industries)
    assert not flagged[flagged["firm_id"] == "once"]["cross_io_sector"].iloc[0]
    with pytest.raises(ValueError, match="industries"):
        industry_switchers(panel, level="io_sector")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    out: Path = tmp_path_factory.mktemp("tiny")
    generate("tiny", 0, out)
    return read_dataset(out, ["firms", "industries"])


def test_tiny_controls_against_pandas(tiny: dict[str, pl.DataFrame]) -> None:
    firms = tiny["firms"].to_pandas()
    out = firm_controls(tiny["firms"]).to_pandas()
    # independent pandas computation of paper 000 §2.3 (as in tests/data/test_synth.py)
    cr4 = (
        firms.groupby(["cic4", "year"])["sales"]
        .apply(lambda s: s.nlargest(4).sum() / s.sum())
        .rename("ref_herfind")
    )
    ref = firms.join(cr4, on=["cic4", "year"])
    np.testing.assert_allclose(out["herfind"], ref["ref_herfind"], rtol=1e-12)
    np.testing.assert_allclose(out["age"], firms["year"] - firms["founding_year"] + 1)
    np.testing.assert_allclose(out["size"], np.log(firms["employment"]), rtol=1e-12)
    expected_cl = (firms["current_assets"] - firms["current_liabilities"]) / firms["total_assets"]
    np.testing.assert_allclose(out["cl"], expected_cl, rtol=1e-12)
    np.testing.assert_allclose(
        out["debt"], firms["total_liabilities"] / firms["total_assets"], rtol=1e-12
    )


def test_tiny_ownership_and_switchers_match_the_generator(tiny: dict[str, pl.DataFrame]) -> None:
    owners = ownership(tiny["firms"])
    # the generator gives each firm one owner type with a 60–100% share, every year
    assert owners["ownership"].null_count() == 0
    assert owners.group_by("firm_id").agg(pl.col("ownership").n_unique())["ownership"].max() == 1
    switchers = industry_switchers(tiny["firms"], industries=tiny["industries"])
    treated = switchers.filter(pl.col("treat") == 1)
    # the generator plants single switches to an industry of another IO sector (firms.py)
    assert switchers["n_switches"].max() <= 1
    assert treated.height > 0 and treated["cross_io_sector"].all()
