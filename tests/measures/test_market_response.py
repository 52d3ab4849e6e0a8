"""M4 market-response indicators (spec 003 §4.2): NEWDEST, DCHURN, REALLOC, OFFSET and EMERG by
hand, invariances, a numpy second implementation of REALLOC on a random frame, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.errors import VaggError
from vagg.measures.market_response import (
    IMF_WEO_ADVANCED,
    destination_churn,
    emerging_share,
    hit_destinations,
    offset,
    reallocation,
)


def _row(firm, year, partner, value):
    return {"firm_id": firm, "year": year, "partner": partner, "value_usd": float(value)}


TRADE = pd.DataFrame(
    [
        _row("a", 2007, "USA", 100),
        _row("a", 2008, "USA", 60),
        _row("a", 2008, "VNM", 40),
        _row("a", 2009, "VNM", 30),
        _row("a", 2009, "BRA", 10),
        _row("a", 2009, "DEU", 50),
    ]
)

WORLD = pd.DataFrame(
    {
        "destination": ["USA", "USA", "VNM", "VNM", "DEU", "DEU", "BRA", "BRA"],
        "hs6": ["010101"] * 8,
        "year": [2008, 2009] * 4,
        "imports_usd": [100.0, 50.0, 10.0, 20.0, 30.0, 30.0, 5.0, 10.0],
    }
)


def test_churn_by_hand() -> None:
    res = destination_churn(TRADE)
    got = res.table.set_index("year")
    assert got.loc[2008, "NEWDEST"] == 1 and got.loc[2008, "DCHURN"] == pytest.approx(0.4)
    # 2009: BRA and DEU added (60), USA dropped (60) over (90 + 100)/2
    assert got.loc[2009, "NEWDEST"] == 2 and got.loc[2009, "DROPDEST"] == 1
    assert got.loc[2009, "DCHURN"] == pytest.approx(120 / 95)
    assert res.counts == {"first_year": 1}


def test_emerg_by_hand() -> None:
    res = emerging_share(TRADE)
    row = res.table.set_index("year").loc[2009]
    # VNM first served 2008 and BRA 2009 are emerging and new; DEU is advanced
    assert row["EMERG"] == pytest.approx(40 / 90)
    assert res.counts == {"left_censored": 2}
    one = emerging_share(TRADE, window=1).table.set_index("year")["EMERG"]
    assert one[2009] == pytest.approx(10 / 90)
    assert one[2008] == pytest.approx(40 / 100)
    given = emerging_share(TRADE, emerging=["DEU"]).table.set_index("year")["EMERG"]
    assert given[2009] == pytest.approx(50 / 90)
    assert len(IMF_WEO_ADVANCED) == 41 and "CHN" not in IMF_WEO_ADVANCED


def test_offset_by_hand() -> None:
    assert hit_destinations(WORLD) == ["USA"]
    res = offset(TRADE, ["DEU", "VNM"])
    row = res.table.set_index("firm_id").loc["a"]
    # hit: VNM −10 (DEU +50 is a gain in a hit market, not counted); not hit: USA −60, BRA +10
    assert row["loss_hit"] == 10.0 and row["gain_not_hit"] == 10.0 and row["OFFSET"] == 1.0
    usa = offset(TRADE, hit_destinations(WORLD))
    assert usa.table.set_index("firm_id").loc["a", "OFFSET"] == pytest.approx((50 + 10) / 60)
    none = offset(TRADE, ["JPN"])
    assert none.counts == {"no_loss_in_hit": 1} and len(none.table) == 0


def test_realloc_by_hand() -> None:
    res = reallocation(TRADE[TRADE["year"] >= 2008], WORLD)
    g = np.log([50 / 100, 20 / 10, 30 / 30, 10 / 5])  # USA, VNM, DEU, BRA
    z = (g - g.mean()) / g.std(ddof=1)
    ds = np.array([0 - 0.6, 30 / 90 - 0.4, 50 / 90, 10 / 90])
    assert res.table["REALLOC"][0] == pytest.approx(float(ds @ z))
    assert res.counts == {"cells_without_growth": 0}


def test_scaling_leaves_shares_unchanged() -> None:
    scaled = TRADE.assign(value_usd=TRADE["value_usd"] * 9.0)
    for fn, col in ((destination_churn, "DCHURN"), (emerging_share, "EMERG")):
        np.testing.assert_allclose(fn(TRADE).table[col], fn(scaled).table[col])
    t = TRADE[TRADE["year"] >= 2008]
    a = reallocation(t, WORLD).table["REALLOC"]
    b = reallocation(
        t.assign(value_usd=t["value_usd"] * 2), WORLD.assign(imports_usd=3.0 * WORLD["imports_usd"])
    )
    np.testing.assert_allclose(a, b.table["REALLOC"])


def test_realloc_against_numpy_on_a_random_frame() -> None:
    rng = np.random.default_rng(23)
    dests = ["USA", "DEU", "JPN", "VNM", "BRA", "IND"]
    years = range(2005, 2009)
    world = pd.DataFrame(
        [
            {"destination": d, "hs6": h, "year": y, "imports_usd": rng.lognormal(4, 1)}
            for d in dests
            for h in ("010101", "020202")
            for y in years
        ]
    )
    trade = pd.DataFrame(
        [
            _row(f"f{f}", y, rng.choice(dests), rng.lognormal(2, 1))
            for f in range(20)
            for y in years
            for _ in range(3)
        ]
    )
    got = reallocation(pl.from_pandas(trade), world).table
    m = world.groupby(["destination", "year"])["imports_usd"].sum().unstack()
    ghat = np.log(m).diff(axis=1)
    z = (ghat - ghat.mean()) / ghat.std(ddof=1)
    x = trade.groupby(["firm_id", "year", "partner"])["value_usd"].sum().unstack(fill_value=0.0)
    s = x.div(x.sum(axis=1), axis=0)
    for firm, year, value in got.select("firm_id", "year", "REALLOC").iter_rows():
        ds = s.loc[(firm, year)] - s.loc[(firm, year - 1)]
        expected = float(sum(ds[d] * z.loc[d, year] for d in ds.index))
        assert value == pytest.approx(expected, abs=1e-12)
    assert got.height == 20 * 3


def test_bad_input() -> None:
    with pytest.raises(SchemaError, match=r"column 'partner'.*missing required"):
        destination_churn(TRADE.drop(columns="partner"))
    gap = TRADE[TRADE["year"] != 2008]
    with pytest.raises(SchemaError, match=r"year\(s\) \[2008\] have no rows"):
        destination_churn(gap)
    with pytest.raises(SchemaError, match=r"year\(s\) \[2010\]"):
        offset(TRADE, ["USA"], start=2009, end=2010)
    with pytest.raises(SchemaError, match=r"world_imports.*year\(s\) \[2007\]"):
        reallocation(TRADE, WORLD)  # 2008 needs world imports of 2007
    with pytest.raises(VaggError, match="argument 'hit'"):
        offset(TRADE, [])
    with pytest.raises(VaggError, match="argument 'window'"):
        emerging_share(TRADE, window=0)
    neg = TRADE.copy()
    neg.loc[1, "value_usd"] = -1.0
    with pytest.raises(SchemaError, match=r"rows \[1\]"):
        emerging_share(neg)


def test_churn_and_emerg_against_pandas_on_a_random_frame() -> None:
    rng = np.random.default_rng(29)
    dests = ["USA", "DEU", "VNM", "BRA", "IND", "KOR"]
    trade = pd.DataFrame(
        [
            _row(f"f{f}", y, rng.choice(dests), rng.lognormal(2, 1))
            for f in range(40)
            for y in range(2004, 2010)
            if rng.random() < 0.8
            for _ in range(rng.integers(1, 4))
        ]
    )
    x = trade.groupby(["firm_id", "year", "partner"])["value_usd"].sum().unstack(fill_value=0.0)
    churn = destination_churn(trade).table.set_index(["firm_id", "year"])
    emerg = emerging_share(trade).table.set_index(["firm_id", "year"])["EMERG"]
    first = trade.groupby(["firm_id", "partner"])["year"].min()
    rich = set(IMF_WEO_ADVANCED)
    n_checked = 0
    for firm in x.index.get_level_values(0).unique():
        for year in range(2005, 2010):
            now = x.loc[(firm, year)] if (firm, year) in x.index else None
            before = x.loc[(firm, year - 1)] if (firm, year - 1) in x.index else None
            if now is None and before is None:
                assert (firm, year) not in churn.index
                continue
            now = now if now is not None else x.iloc[0] * 0
            before = before if before is not None else x.iloc[0] * 0
            added, dropped = (now > 0) & (before == 0), (now == 0) & (before > 0)
            value = (now[added].sum() + before[dropped].sum()) / ((now.sum() + before.sum()) / 2)
            assert churn.loc[(firm, year), "NEWDEST"] == added.sum()
            assert churn.loc[(firm, year), "DCHURN"] == pytest.approx(value)
            assert 0.0 <= churn.loc[(firm, year), "DCHURN"] <= 2.0
            if year >= 2006 and now.sum() > 0:
                new = [
                    d
                    for d in now.index
                    if now[d] > 0 and d not in rich and first[(firm, d)] >= year - 1
                ]
                assert emerg[(firm, year)] == pytest.approx(now[new].sum() / now.sum())
                n_checked += 1
    assert n_checked > 100
