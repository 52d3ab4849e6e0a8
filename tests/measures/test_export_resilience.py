"""Export resilience outcomes of study resilience_firms (spec 003 §3): hand-computed numbers on
tiny frames, a plain-pandas second implementation on a random frame, invariances and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.errors import VaggError
from vagg.measures.export_resilience import (
    cic2_groups,
    dh_growth,
    export_growth_panel,
    main_hs2,
    recovery,
    relative_growth,
    renewal,
    resistance,
    survival,
)


def _row(firm, year, value, hs6="010101", partner="USA", flow="export"):
    return {
        "firm_id": firm,
        "year": year,
        "flow": flow,
        "hs6": hs6,
        "partner": partner,
        "value_usd": float(value),
    }


def _collapse() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _row("a", 2008, 100),
            _row("a", 2009, 50),  # DH: (50 − 100)/75 = −2/3
            _row("b", 2008, 10),
            _row("b", 2009, 30),  # (30 − 10)/20 = +1
            _row("c", 2008, 5),  # exit: −2
            _row("d", 2009, 7),  # entry: +2
            _row("e", 2007, 1),  # no exports in 2008 or 2009: left out
            _row("a", 2009, 999, flow="import"),  # imports are not exports
            _row("f", 2011, 4),
        ]
    )


GROUPS = pd.DataFrame({"firm_id": ["a", "b", "c", "d"], "cic2": ["13", "13", "13", "14"]})


def test_dh_growth_by_hand() -> None:
    res = dh_growth(_collapse(), 2008, 2009)
    got = res.table.set_index("firm_id")
    assert got.loc["a", "g"] == pytest.approx(-2 / 3)
    assert got.loc["b", "g"] == pytest.approx(1.0)
    assert got.loc["c", "g"] == -2.0 and got.loc["c", "status"] == "exit"
    assert got.loc["d", "g"] == 2.0 and got.loc["d", "status"] == "entry"
    assert set(got.index) == {"a", "b", "c", "d"}
    assert res.counts == {"both_zero": 2}  # e and f
    assert isinstance(res.table, pd.DataFrame)
    assert isinstance(dh_growth(pl.from_pandas(_collapse()), 2008, 2009).table, pl.DataFrame)
    lazy = dh_growth(pl.from_pandas(_collapse()).lazy(), 2008, 2009).table
    assert isinstance(lazy, pl.DataFrame) and lazy["g"].to_list() == res.table["g"].to_list()


def test_resistance_by_hand() -> None:
    res = resistance(_collapse(), GROUPS)
    got = res.table.set_index("firm_id")["RESIS"]
    mean13 = (-2 / 3 + 1 - 2) / 3  # = −5/9
    assert got["a"] == pytest.approx(-2 / 3 - mean13)
    assert got["b"] == pytest.approx(1 - mean13)
    assert got["c"] == pytest.approx(-2 - mean13)
    assert got["d"] == pytest.approx(0.0)
    # Martin ratio: (g − ḡ)/|ḡ| with ḡ = −5/9
    martin = resistance(_collapse(), GROUPS, form="martin").table.set_index("firm_id")["RESIS"]
    assert martin["a"] == pytest.approx((-2 / 3 + 5 / 9) / (5 / 9))
    # leave-one-out: a's benchmark is (1 − 2)/2 = −0.5; d is alone and has no benchmark
    loo = resistance(_collapse(), GROUPS, leave_out=True)
    assert loo.table.set_index("firm_id").loc["a", "RESIS"] == pytest.approx(-2 / 3 + 0.5)
    assert loo.counts["empty_benchmark"] == 1 and "d" not in set(loo.table["firm_id"])


def test_group_exclusions_are_counted() -> None:
    groups = pd.DataFrame({"firm_id": ["a", "b", "d"], "cic2": ["13", "15", "15"]})
    res = resistance(_collapse(), groups, min_group_size=2)
    # c has no group; a is alone in 13 (< 2 firms); b and d share 15 with ḡ = (1 + 2)/2
    assert res.counts["no_group"] == 1 and res.counts["small_group"] == 1
    assert res.table.set_index("firm_id")["RESIS"].to_dict() == pytest.approx({"b": -0.5, "d": 0.5})
    # Martin with a zero benchmark: b (+1) and c (−1 in DH terms: 30 → 10 is −1) in one group
    trade = pd.DataFrame(
        [_row("b", 2008, 10), _row("b", 2009, 30), _row("c", 2008, 30), _row("c", 2009, 10)]
    )
    zero = resistance(trade, pd.DataFrame({"firm_id": ["b", "c"], "cic2": ["13", "13"]}),
                      form="martin")  # fmt: skip
    assert zero.counts["zero_benchmark"] == 2 and len(zero.table) == 0


def test_recovery_uses_its_years() -> None:
    trade = pd.DataFrame(
        [
            _row("a", 2009, 50),
            _row("a", 2010, 60),
            _row("a", 2011, 150),
            _row("b", 2009, 10),
            _row("b", 2010, 10),
            _row("b", 2011, 10),
        ]
    )
    groups = pd.DataFrame({"firm_id": ["a", "b"], "cic2": ["13", "13"]})
    got = recovery(trade, groups).table.set_index("firm_id")["RECOV"]
    assert got["a"] == pytest.approx(1.0 - 0.5)  # g_a = 100/100 = 1, ḡ = 0.5
    got10 = recovery(trade, groups, end=2010).table.set_index("firm_id")["RECOV"]
    assert got10["a"] == pytest.approx(10 / 55 - 5 / 55)


def test_renewal_and_survival_by_hand() -> None:
    trade = pd.DataFrame(
        [
            _row("a", 2005, 10, "010101", "USA"),
            _row("a", 2007, 10, "020202", "DEU"),
            _row("a", 2011, 30, "010101", "USA"),  # old pair
            _row("a", 2011, 60, "010101", "DEU"),  # new pair (old product, new destination)
            _row("a", 2011, 10, "030303", "USA"),  # new pair
            _row("b", 2006, 5),  # pre-period exporter gone by 2011
            _row("c", 2011, 8),  # new exporter: RENEW = 1
        ]
    )
    res = renewal(trade)
    got = res.table.set_index("firm_id")
    assert got.loc["a", "RENEW"] == pytest.approx(0.7)
    assert got.loc["c", "RENEW"] == 1.0 and not got.loc["c", "pre_exporter"]
    assert res.counts == {"no_end_exports": 1}
    surv = survival(_collapse()).table.set_index("firm_id")["SURV"].to_dict()
    assert surv == {"a": 1, "b": 1, "c": 0}


def test_export_growth_panel_by_hand() -> None:
    trade = pd.DataFrame(
        [_row("a", 2005, 100), _row("a", 2006, 50), _row("a", 2007, 200), _row("b", 2006, 4)]
    )
    res = export_growth_panel(trade)
    got = res.table.set_index(["firm_id", "year"])["dln_exports"]
    assert got[("a", 2006)] == pytest.approx(np.log(0.5))
    assert got[("a", 2007)] == pytest.approx(np.log(4.0))
    assert res.counts == {"first_year": 1, "entry": 1, "exit": 1}


def test_main_hs2_and_cic2() -> None:
    trade = pd.DataFrame(
        [_row("a", 2007, 10, "010101"), _row("a", 2007, 15, "020202"), _row("a", 2007, 7, "010203")]
    )
    assert main_hs2(trade).to_dict("list") == {"firm_id": ["a"], "hs2": ["01"]}
    firms = pd.DataFrame({"firm_id": ["a", "a"], "year": [2006, 2007], "cic4": ["1311", "3921"]})
    assert cic2_groups(firms).to_dict("list") == {"firm_id": ["a"], "cic2": ["39"]}


def test_relative_growth_with_main_hs2_groups() -> None:
    trade = _collapse()
    trade.loc[trade["firm_id"].isin(["b", "d"]), "hs6"] = "850000"
    groups = main_hs2(trade, 2009)  # a: 01, b: 85, d: 85 (c has no 2009 exports)
    res = relative_growth(trade, groups, 2008, 2009, group="hs2")
    got = res.table.set_index("firm_id")["relative_growth"]
    assert got.to_dict() == pytest.approx({"a": 0.0, "b": -0.5, "d": 0.5})
    assert res.counts["no_group"] == 1


def test_scaling_leaves_growth_unchanged() -> None:
    rng = np.random.default_rng(3)
    trade = _random_trade(rng)
    scaled = trade.assign(value_usd=trade["value_usd"] * 7.3)
    groups = _random_groups(trade, rng)
    a = resistance(trade, groups).table
    b = resistance(scaled, groups).table
    assert len(a) > 20
    np.testing.assert_allclose(a["RESIS"], b["RESIS"], atol=1e-12)
    np.testing.assert_allclose(renewal(trade).table["RENEW"], renewal(scaled).table["RENEW"])


def _random_trade(rng: np.random.Generator, n_firms: int = 60) -> pd.DataFrame:
    rows = []
    for f in range(n_firms):
        for year in range(2005, 2012):
            if rng.random() < 0.3:
                continue
            for _ in range(rng.integers(1, 4)):
                rows.append(
                    _row(
                        f"f{f:03d}",
                        year,
                        rng.lognormal(3, 1),
                        f"{rng.integers(1, 4):02d}0101",
                        rng.choice(["USA", "DEU", "VNM", "BRA"]),
                    )
                )
    return pd.DataFrame(rows)


def _random_groups(trade: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    firms = sorted(trade["firm_id"].unique())
    return pd.DataFrame({"firm_id": firms, "cic2": rng.choice(["13", "14", "39"], len(firms))})


def test_against_a_plain_pandas_implementation() -> None:
    rng = np.random.default_rng(11)
    trade = _random_trade(rng)
    groups = _random_groups(trade, rng)
    x = trade.pivot_table(index="firm_id", columns="year", values="value_usd", aggfunc="sum")
    x = x.reindex(columns=range(2005, 2012)).fillna(0.0)
    x0, x1 = x[2008], x[2009]
    keep = (x0 + x1) > 0
    g = ((x1 - x0) / ((x1 + x0) / 2))[keep]
    frame = g.rename("g").to_frame().join(groups.set_index("firm_id"))
    expected = frame["g"] - frame.groupby("cic2")["g"].transform("mean")
    got = resistance(pl.from_pandas(trade), pl.from_pandas(groups)).table
    got = got.to_pandas().set_index("firm_id")["RESIS"]
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False, atol=1e-12
    )
    # SURV and RENEW the same way
    surv = (x1[x0 > 0] > 0).astype(int)
    got_surv = survival(trade).table.set_index("firm_id")["SURV"]
    pd.testing.assert_series_equal(got_surv.sort_index(), surv.sort_index(), check_names=False)
    pre = trade[trade["year"].between(2005, 2007)]
    old = set(zip(pre["firm_id"], pre["hs6"], pre["partner"], strict=True))
    end = trade[trade["year"] == 2011].copy()
    end["new"] = [
        (f, h, d) not in old
        for f, h, d in zip(end["firm_id"], end["hs6"], end["partner"], strict=True)
    ]
    renew = end.assign(v=end["value_usd"] * end["new"]).groupby("firm_id")
    renew = renew["v"].sum() / renew["value_usd"].sum()
    got_renew = renewal(trade).table.set_index("firm_id")["RENEW"]
    pd.testing.assert_series_equal(
        got_renew.sort_index(), renew.sort_index(), check_names=False, atol=1e-12
    )


def test_bad_input() -> None:
    trade = _collapse()
    with pytest.raises(SchemaError, match=r"column 'value_usd'.*missing required"):
        dh_growth(trade.drop(columns="value_usd"), 2008, 2009)
    bad = trade.copy()
    bad.loc[2, "value_usd"] = -1.0
    with pytest.raises(SchemaError, match=r"value_usd.*negative.*rows \[2\]"):
        dh_growth(bad, 2008, 2009)
    with pytest.raises(SchemaError, match=r"year\(s\) \[2010\].*no rows"):
        dh_growth(trade, 2009, 2010)
    with pytest.raises(SchemaError, match=r"year\(s\) \[2005, 2006\]"):
        renewal(trade)
    with pytest.raises(SchemaError, match=r"year\(s\) \[2010\] have no rows"):
        export_growth_panel(trade)
    with pytest.raises(VaggError, match="argument 'form'"):
        resistance(trade, GROUPS, form="log")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="duplicate key"):
        resistance(trade, pd.concat([GROUPS, GROUPS]))
    with pytest.raises(SchemaError, match="table 'groups', column 'cic2'"):
        resistance(trade, GROUPS.drop(columns="cic2"))
