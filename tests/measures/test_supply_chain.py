"""M3 supply-chain indicators (spec 003 §4.2): NSRC, IMPHHI, SWITCH, REPLACE and DOMSRC by hand,
invariances, a plain-pandas second implementation on a random frame, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.errors import VaggError
from vagg.measures.supply_chain import (
    domestic_sourcing,
    intermediate_imports,
    replacement,
    source_diversity,
    source_switching,
)

PRODUCTS = pd.DataFrame(
    {
        "hs6": ["010101", "020202", "030303", "840000"],
        "end_use": ["intermediate", "intermediate", "intermediate", "capital"],
    }
)


def _row(firm, year, regime, hs6, partner, value, flow="import"):
    return {
        "firm_id": firm,
        "year": year,
        "flow": flow,
        "regime": regime,
        "hs8": hs6 + "00",
        "partner": partner,
        "value_usd": float(value),
    }


TRADE = pd.DataFrame(
    [
        _row("a", 2010, "10", "010101", "JPN", 50),
        _row("a", 2010, "10", "020202", "KOR", 30),
        _row("a", 2010, "15", "010101", "USA", 20),
        _row("a", 2011, "10", "010101", "JPN", 10),
        _row("a", 2011, "10", "010101", "KOR", 40),
        _row("a", 2012, "10", "010101", "KOR", 60),
        _row("a", 2012, "10", "010101", "JPN", 20),
        _row("a", 2010, "10", "840000", "DEU", 99),  # capital good: out
        _row("a", 2011, "20", "010101", "DEU", 99),  # other regime: out
        _row("a", 2011, "10", "010101", "DEU", 99, "export"),  # an export: not read
    ]
)


def test_intermediate_imports_filter() -> None:
    res = intermediate_imports(TRADE, PRODUCTS)
    assert res.counts == {"rows_other_regime": 1, "rows_not_intermediate": 1}
    assert res.table["value_usd"].sum() == pytest.approx(230.0)
    assert set(res.table["regime_group"]) == {"ordinary", "processing"}


def test_nsrc_and_imphhi_by_hand() -> None:
    got = source_diversity(TRADE, PRODUCTS).table.set_index(["year", "regime_group"])
    # 2010 ordinary: JPN 50, KOR 30 → 0.625² + 0.375² = 0.53125
    assert got.loc[(2010, "ordinary"), "IMPHHI"] == pytest.approx(0.53125)
    assert got.loc[(2010, "ordinary"), "NSRC"] == 2
    assert got.loc[(2010, "processing"), "IMPHHI"] == 1.0
    # all regimes, country × HS6 cells of 2010: shares 0.5, 0.3, 0.2 → 0.38
    cells = source_diversity(TRADE, PRODUCTS, cells="country_hs6", regimes=("all",)).table
    row = cells.set_index("year").loc[2010]
    assert row["IMPHHI"] == pytest.approx(0.38) and row["NSRC"] == 3


def test_switch_by_hand() -> None:
    res = source_switching(TRADE, PRODUCTS)
    got = res.table.set_index(["year", "regime_group"])["SWITCH"]
    assert got[(2011, "ordinary")] == pytest.approx(40 / 50)  # (KOR, 010101) is new
    assert got[(2012, "ordinary")] == 0.0
    assert res.counts["first_year"] == 2


def test_replace_by_hand() -> None:
    shocks = pd.DataFrame({"partner": ["JPN"], "year": [2011]})
    res = replacement(TRADE, PRODUCTS, shocks)
    row = res.table.set_index("firm_id").loc["a"]
    # JPN 010101: 50 in 2010, mean(10, 20) = 15 after → loss 35; others 0 → mean(40, 60) = 50
    assert row["LOSS"] == pytest.approx(35.0)
    assert row["GAIN"] == pytest.approx(50.0)
    assert row["REPLACE"] == pytest.approx(50 / 35)
    only_t = replacement(TRADE, PRODUCTS, shocks, horizon=0).table.set_index("firm_id").loc["a"]
    assert only_t["REPLACE"] == pytest.approx(40 / 40)
    # a product-specific shock to a product the firm did not import from JPN: no exposure
    other = pd.DataFrame({"partner": ["JPN"], "year": [2011], "hs6": ["020202"]})
    assert len(replacement(TRADE, PRODUCTS, other).table) == 0


def test_domsrc_by_hand() -> None:
    firms = pd.DataFrame(
        {
            "firm_id": ["a", "a", "b"],
            "year": [2010, 2011, 2010],
            "intermediate_inputs": [1.0, 0.0, 5.0],
        }
    )
    res = domestic_sourcing(TRADE, PRODUCTS, firms, {2010: 8.0, 2011: 6.5})
    got = res.table.set_index(["firm_id", "year"])["DOMSRC"]
    # a 2010: 100 USD × 8 RMB/USD = 800 RMB = 0.8 thousand RMB of 1 thousand → 1 − 0.8
    assert got[("a", 2010)] == pytest.approx(0.2)
    assert np.isnan(got[("a", 2011)])
    assert got[("b", 2010)] == 1.0
    assert res.counts["no_intermediate_inputs"] == 1
    assert res.counts["import_firm_years_not_in_firms"] == 1  # a's 2012 imports
    over = domestic_sourcing(TRADE, PRODUCTS, firms.assign(intermediate_inputs=0.4), 8.0)
    assert over.counts["imports_exceed_inputs"] == 1
    assert over.table.set_index(["firm_id", "year"]).loc[("a", 2010), "DOMSRC"] == pytest.approx(
        -1.0
    )
    clipped = domestic_sourcing(
        TRADE, PRODUCTS, firms.assign(intermediate_inputs=0.4), 8.0, clip=True
    )
    assert clipped.table["DOMSRC"].min() == 0.0
    rates = pl.DataFrame({"year": [2010, 2011], "rmb_per_usd": [8.0, 6.5]})
    same = domestic_sourcing(TRADE, PRODUCTS, pl.from_pandas(firms), rates).table
    assert isinstance(same, pl.DataFrame)
    assert same["DOMSRC"].to_list()[0] == pytest.approx(0.2)


def test_scaling_leaves_shares_unchanged() -> None:
    scaled = TRADE.assign(value_usd=TRADE["value_usd"] * 123.0)
    for fn in (source_diversity, source_switching):
        a, b = fn(TRADE, PRODUCTS).table, fn(scaled, PRODUCTS).table
        col = "IMPHHI" if fn is source_diversity else "SWITCH"
        np.testing.assert_allclose(a[col], b[col])


def test_against_pandas_on_a_random_frame() -> None:
    rng = np.random.default_rng(17)
    rows = [
        _row(
            f"f{f}",
            int(y),
            rng.choice(["10", "14", "15"]),
            rng.choice(["010101", "020202", "030303"]),
            rng.choice(["JPN", "KOR", "USA", "DEU", "THA"]),
            rng.lognormal(2, 1),
        )
        for f in range(25)
        for y in range(2005, 2010)
        for _ in range(rng.integers(1, 6))
    ]
    trade = pd.DataFrame(rows)
    got = source_diversity(pl.from_pandas(trade), PRODUCTS, regimes=("all",)).table.to_pandas()
    by = trade.groupby(["firm_id", "year", "partner"])["value_usd"].sum()
    shares = by / by.groupby(level=["firm_id", "year"]).transform("sum")
    hhi = (shares**2).groupby(level=["firm_id", "year"]).sum()
    nsrc = by.groupby(level=["firm_id", "year"]).size()
    got = got.set_index(["firm_id", "year"])
    np.testing.assert_allclose(got["IMPHHI"].sort_index(), hhi.sort_index(), atol=1e-12)
    np.testing.assert_array_equal(got["NSRC"].sort_index(), nsrc.sort_index())
    # SWITCH: pairs of t − 1 by dictionary
    sw = source_switching(trade, PRODUCTS, regimes=("all",)).table.set_index(["firm_id", "year"])
    pairs = trade.groupby(["firm_id", "year"]).apply(
        lambda d: set(zip(d["partner"], d["hs8"].str[:6], strict=True)), include_groups=False
    )
    for (firm, year), value in sw["SWITCH"].items():
        d = trade[(trade["firm_id"] == firm) & (trade["year"] == year)]
        old = pairs.get((firm, year - 1), set())
        new = [(p, h[:6]) not in old for p, h in zip(d["partner"], d["hs8"], strict=True)]
        assert value == pytest.approx(d["value_usd"][new].sum() / d["value_usd"].sum())


def test_bad_input() -> None:
    with pytest.raises(SchemaError, match=r"table 'trade', column 'regime'.*missing required"):
        source_diversity(TRADE.drop(columns="regime"), PRODUCTS)
    unknown = pd.concat([TRADE, pd.DataFrame([_row("a", 2010, "10", "999999", "JPN", 1)])])
    with pytest.raises(SchemaError, match=r"HS6 code not in the products table.*rows \[10\]"):
        source_diversity(unknown, PRODUCTS)
    neg = TRADE.copy()
    neg.loc[4, "value_usd"] = -3.0
    with pytest.raises(SchemaError, match=r"value_usd.*rows \[4\]"):
        source_switching(neg, PRODUCTS)
    gap = TRADE[TRADE["year"] != 2011]
    with pytest.raises(SchemaError, match=r"year\(s\) \[2011\] have no rows"):
        source_switching(gap, PRODUCTS)
    with pytest.raises(SchemaError, match=r"year\(s\) \[2013\]"):
        replacement(TRADE, PRODUCTS, pd.DataFrame({"partner": ["JPN"], "year": [2012]}))
    firms = pd.DataFrame({"firm_id": ["a"], "year": [2009], "intermediate_inputs": [1.0]})
    with pytest.raises(SchemaError, match=r"no exchange rate for year\(s\) \[2009\]"):
        domestic_sourcing(TRADE, PRODUCTS, firms, {2010: 8.0})
    with pytest.raises(VaggError, match="argument 'regimes'"):
        source_diversity(TRADE, PRODUCTS, regimes=("assembly",))
    with pytest.raises(VaggError, match="argument 'rmb_per_usd'"):
        domestic_sourcing(TRADE, PRODUCTS, firms, -1.0)


def test_replace_against_pandas_on_a_random_frame() -> None:
    rng = np.random.default_rng(31)
    prods = ["010101", "020202", "030303"]
    rows = [
        _row(
            f"f{f}",
            y,
            "10",
            rng.choice(prods),
            rng.choice(["JPN", "KOR", "THA"]),
            rng.lognormal(2, 1),
        )
        for f in range(30)
        for y in range(2010, 2014)
        for _ in range(rng.integers(1, 6))
    ]
    trade = pd.DataFrame(rows)
    trade["hs6"] = trade["hs8"].str[:6]
    res = replacement(
        trade, PRODUCTS, pd.DataFrame({"partner": ["JPN"], "year": [2011]}), regimes=("ordinary",)
    )
    got = res.table.set_index("firm_id")
    m = trade.assign(src=np.where(trade["partner"] == "JPN", "c", "o"))
    m = m.groupby(["firm_id", "hs6", "src", "year"])["value_usd"].sum()
    n_exposed = 0
    for firm in sorted(trade["firm_id"].unique()):
        loss = gain = 0.0
        exposed = False
        for h in prods:
            v = {
                (src, year): float(m.get((firm, h, src, year), 0.0))
                for src in ("c", "o")
                for year in (2010, 2011, 2012)
            }
            if v["c", 2010] <= 0:
                continue
            exposed = True
            loss += max(0.0, v["c", 2010] - (v["c", 2011] + v["c", 2012]) / 2)
            gain += (v["o", 2011] + v["o", 2012]) / 2 - v["o", 2010]
        n_exposed += exposed
        if exposed and loss > 0:
            assert got.loc[firm, "REPLACE"] == pytest.approx(gain / loss)
        else:
            assert firm not in got.index
    assert n_exposed > 10 and len(got) + res.counts["no_loss"] == n_exposed
