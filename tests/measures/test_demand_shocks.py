"""Firm foreign demand shocks FD/LOSS/GAIN and the collapse exposure (spec 003 §2, (B2)):
hand-computed values, no future information, uncovered cells, a numpy second implementation
on a random frame, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.errors import VaggError
from vagg.measures.demand_shocks import collapse_exposure, export_shares, foreign_demand_shocks


def _row(firm, year, value, hs6, partner):
    return {"firm_id": firm, "year": year, "hs6": hs6, "partner": partner, "value_usd": value}


TRADE = pd.DataFrame(
    [
        _row("a", 2007, 60.0, "010101", "USA"),
        _row("a", 2007, 40.0, "020202", "DEU"),
        _row("a", 2008, 10.0, "010101", "USA"),
        _row("b", 2007, 5.0, "010101", "CHN"),  # re-imports: never covered
    ]
)

WORLD = pd.DataFrame(
    {
        "destination": ["USA", "USA", "USA", "DEU", "DEU", "DEU"],
        "hs6": ["010101", "010101", "010101", "020202", "020202", "020202"],
        "year": [2007, 2008, 2009, 2007, 2008, 2009],
        "imports_usd": [100.0, 50.0, 25.0, 10.0, 20.0, 20.0],
    }
)


def test_fd_by_hand() -> None:
    res = foreign_demand_shocks(TRADE, WORLD)
    got = res.table.set_index(["firm_id", "year"])
    # 2008: shares of 2007 (0.6 USA, 0.4 DEU): 0.6 ln(50/100) + 0.4 ln(20/10) = −0.2 ln 2
    fd08 = 0.6 * math.log(0.5) + 0.4 * math.log(2.0)
    assert fd08 == pytest.approx(-0.2 * math.log(2))
    assert got.loc[("a", 2008), "FD"] == pytest.approx(fd08)
    assert got.loc[("a", 2008), "LOSS"] == pytest.approx(0.2 * math.log(2))
    assert got.loc[("a", 2008), "GAIN"] == 0.0
    # 2009: only USA in 2008 → ln(25/50)
    assert got.loc[("a", 2009), "FD"] == pytest.approx(-math.log(2))
    assert np.isnan(got.loc[("b", 2008), "FD"])  # no covered cell
    assert np.isnan(got.loc[("b", 2008), "LOSS"]) and np.isnan(got.loc[("b", 2008), "GAIN"])
    assert res.counts == {
        "cells_missing_world_imports": 1,
        "cells_zero_world_imports": 0,
        "units_without_covered_cells": 1,
    }


def test_gain_is_the_positive_part() -> None:
    world = WORLD.assign(imports_usd=WORLD["imports_usd"][::-1].to_numpy())
    # USA 20, 20, 10; DEU 25, 50, 100 → 2008: 0.6·0 + 0.4 ln 2
    got = foreign_demand_shocks(TRADE, world).table.set_index(["firm_id", "year"])
    assert got.loc[("a", 2008), "GAIN"] == pytest.approx(0.4 * math.log(2))
    assert got.loc[("a", 2008), "LOSS"] == 0.0


def test_missing_and_zero_cells() -> None:
    world = WORLD.copy()
    world.loc[world["destination"].eq("DEU") & world["year"].eq(2008), "imports_usd"] = 0.0
    res = foreign_demand_shocks(TRADE, world, years=[2008])
    row = res.table.set_index("firm_id").loc["a"]
    assert row["FD"] == pytest.approx(0.6 * math.log(0.5))  # DEU weight kept, adds nothing
    assert row["covered_share"] == pytest.approx(0.6)
    assert res.counts["cells_zero_world_imports"] == 1
    mean = foreign_demand_shocks(TRADE, world, years=[2008], missing="renormalise")
    assert mean.table.set_index("firm_id").loc["a", "FD"] == pytest.approx(math.log(0.5))


def test_no_future_information() -> None:
    base = foreign_demand_shocks(TRADE, WORLD).table
    changed = TRADE.copy()
    changed.loc[changed["year"] == 2008, "value_usd"] = 1e6  # year-t exports move
    extra = pd.DataFrame([_row("a", 2008, 500.0, "020202", "DEU")])
    after = foreign_demand_shocks(pd.concat([changed, extra]), WORLD).table
    b = base.set_index(["firm_id", "year"])
    a = after.set_index(["firm_id", "year"])
    assert a.loc[("a", 2008), "FD"] == b.loc[("a", 2008), "FD"]
    assert a.loc[("a", 2009), "FD"] != pytest.approx(b.loc[("a", 2009), "FD"])  # t−1 shares


def test_scaling_trade_or_imports_leaves_fd_unchanged() -> None:
    t2 = TRADE.assign(value_usd=TRADE["value_usd"] * 3.0)
    w2 = WORLD.assign(imports_usd=WORLD["imports_usd"] * 11.0)
    a = foreign_demand_shocks(TRADE, WORLD).table["FD"]
    b = foreign_demand_shocks(t2, w2).table["FD"]
    np.testing.assert_allclose(a, b)


def test_collapse_exposure_by_hand() -> None:
    res = collapse_exposure(TRADE, WORLD)
    got = res.table.set_index("firm_id")["EXPOSURE"]
    assert got["a"] == pytest.approx(0.6 * math.log(25 / 50) + 0.4 * math.log(20 / 20))
    assert res.counts["cells_missing_world_imports"] == 1


def test_against_numpy_on_a_random_frame() -> None:
    rng = np.random.default_rng(5)
    dests, prods, years = (
        ["USA", "DEU", "JPN"],
        ["010101", "020202", "030303", "040404"],
        range(2004, 2009),
    )
    world = pd.DataFrame(
        [
            {"destination": d, "hs6": h, "year": y, "imports_usd": rng.lognormal(5, 1)}
            for d in dests
            for h in prods
            for y in years
        ]
    )
    rows = [
        _row(f"f{f}", y, rng.lognormal(2, 1), rng.choice(prods), rng.choice(dests))
        for f in range(30)
        for y in years
        for _ in range(3)
    ]
    trade = pd.DataFrame(rows)
    got = foreign_demand_shocks(pl.from_pandas(trade), pl.from_pandas(world)).table
    m = world.set_index(["destination", "hs6", "year"])["imports_usd"]
    x = trade.groupby(["firm_id", "year", "partner", "hs6"])["value_usd"].sum()
    expected = {}
    for (firm, year), cells in x.groupby(level=["firm_id", "year"]):
        if year + 1 > 2008:
            continue
        w = cells.to_numpy() / cells.sum()
        keys = cells.index.droplevel(["firm_id", "year"])
        dln = np.array([np.log(m[(d, h, year + 1)]) - np.log(m[(d, h, year)]) for d, h in keys])
        expected[(firm, year + 1)] = float(w @ dln)
    got_map = {(f, y): v for f, y, v in got.select("firm_id", "year", "FD").iter_rows()}
    assert got_map.keys() == expected.keys()
    for key, value in expected.items():
        assert got_map[key] == pytest.approx(value, abs=1e-12)
    shares = export_shares(trade)
    assert shares.groupby(["firm_id", "year"])["share"].sum().to_numpy() == pytest.approx(1.0)


def test_bad_input() -> None:
    with pytest.raises(SchemaError, match=r"world_imports.*imports_usd.*missing required"):
        foreign_demand_shocks(TRADE, WORLD.drop(columns="imports_usd"))
    neg = WORLD.copy()
    neg.loc[3, "imports_usd"] = -5.0
    with pytest.raises(SchemaError, match=r"'imports_usd': negative imports.*rows \[3\]"):
        foreign_demand_shocks(TRADE, neg)
    with pytest.raises(SchemaError, match="duplicate key"):
        foreign_demand_shocks(TRADE, pd.concat([WORLD, WORLD.head(1)]))
    with pytest.raises(SchemaError, match=r"table 'trade'.*year\(s\) \[2009\]"):
        foreign_demand_shocks(TRADE, WORLD, years=[2010])
    with pytest.raises(SchemaError, match=r"table 'world_imports'.*year\(s\) \[2009\]"):
        foreign_demand_shocks(TRADE, WORLD[WORLD["year"] < 2009], years=[2009])
    with pytest.raises(SchemaError, match=r"year\(s\) \[2010\]"):
        collapse_exposure(TRADE, WORLD, pre=2009, trough=2010)
    with pytest.raises(SchemaError, match="partner"):
        foreign_demand_shocks(TRADE.drop(columns="partner"), WORLD)
    with pytest.raises(VaggError, match="argument 'missing'"):
        foreign_demand_shocks(TRADE, WORLD, missing="zero")  # type: ignore[arg-type]
