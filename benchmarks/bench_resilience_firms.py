"""The customs measures of study resilience_firms on millions of customs rows: vagg vs pandas.

Data: synthetic firm-linked customs rows built with numpy from a fixed seed. By default there
are 2 million rows: 50,000 firms, 2005–2011, 500 HS6 products, 60 countries, half exports and
half imports, 60% ordinary and 40% processing. ``world_imports`` covers every destination ×
HS6 × year.

Each measure is timed in vagg (polars inside, from a polars frame) and, for the three with a
short pandas equivalent, in plain pandas:

* RESIS (Davis–Haltiwanger growth 2008→2009 minus the CIC2 mean);
* FD (lagged shares × Δ ln world imports);
* IMPHHI (Herfindahl index of source-country shares).

The largest absolute difference between vagg and pandas is printed too. Times are wall-clock
seconds of one call. On a shared machine, run it more than once.

Run: ``python benchmarks/bench_resilience_firms.py [--rows 2000000]``. Wrap it in
``/usr/bin/time -v`` to see the peak memory.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from vagg.measures.demand_shocks import foreign_demand_shocks
from vagg.measures.export_resilience import resistance
from vagg.measures.market_response import destination_churn, emerging_share, reallocation
from vagg.measures.supply_chain import source_diversity, source_switching


def make_data(
    rows: int, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    n_firms = max(rows // 40, 10)
    hs6 = np.array([f"{840000 + h:06d}" for h in range(500)])
    countries = np.array([f"C{c:02d}" for c in range(60)])
    trade = pl.DataFrame(
        {
            "firm_id": rng.integers(0, n_firms, rows).astype(str),
            "year": rng.integers(2005, 2012, rows),
            "hs6": hs6[rng.integers(0, 500, rows)],
            "partner": countries[rng.integers(0, 60, rows)],
            "value_usd": rng.lognormal(8, 2, rows),
            "regime": np.where(rng.random(rows) < 0.6, "10", "15"),
            "flow": np.where(rng.random(rows) < 0.5, "export", "import"),
        }
    )
    years = np.arange(2005, 2012)
    world = pl.DataFrame(
        {
            "destination": np.repeat(countries, 500 * 7),
            "hs6": np.tile(np.repeat(hs6, 7), 60),
            "year": np.tile(years, 60 * 500),
            "imports_usd": rng.lognormal(10, 1, 60 * 500 * 7),
        }
    )
    products = pl.DataFrame({"hs6": hs6, "end_use": ["intermediate"] * 500})
    groups = pl.DataFrame(
        {
            "firm_id": np.arange(n_firms).astype(str),
            "cic2": rng.choice(["13", "14", "39"], n_firms),
        }
    )
    return trade, world, products, groups


def pandas_resis(trade: pd.DataFrame, groups: pd.DataFrame) -> pd.Series:
    ex = trade[trade["flow"] == "export"]
    x = ex[ex["year"].isin([2008, 2009])].pivot_table(
        index="firm_id", columns="year", values="value_usd", aggfunc="sum", fill_value=0.0
    )
    g = (x[2009] - x[2008]) / ((x[2009] + x[2008]) / 2)
    frame = g.rename("g").to_frame().join(groups.set_index("firm_id"))
    return (frame["g"] - frame.groupby("cic2")["g"].transform("mean")).sort_index()


def pandas_fd(trade: pd.DataFrame, world: pd.DataFrame) -> pd.Series:
    ex = trade[trade["flow"] == "export"]
    cells = ex.groupby(["firm_id", "year", "partner", "hs6"], as_index=False)["value_usd"].sum()
    cells["w"] = cells["value_usd"] / cells.groupby(["firm_id", "year"])["value_usd"].transform(
        "sum"
    )
    w = world.sort_values(["destination", "hs6", "year"]).copy()
    w["dln"] = np.log(w["imports_usd"]) - np.log(
        w.groupby(["destination", "hs6"])["imports_usd"].shift()
    )
    cells["year"] = cells["year"] + 1
    merged = cells.merge(
        w.rename(columns={"destination": "partner"})[["partner", "hs6", "year", "dln"]],
        on=["partner", "hs6", "year"],
        how="inner",
    )
    merged["c"] = merged["w"] * merged["dln"]
    return merged.groupby(["firm_id", "year"])["c"].sum()


def pandas_hhi(trade: pd.DataFrame) -> pd.Series:
    im = trade[(trade["flow"] == "import")]
    by = im.groupby(["firm_id", "year", "partner"])["value_usd"].sum()
    s = by / by.groupby(level=["firm_id", "year"]).transform("sum")
    return (s**2).groupby(level=["firm_id", "year"]).sum()


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    trade, world, products, groups = make_data(args.rows)
    tp, wp, gp = trade.to_pandas(), world.to_pandas(), groups.to_pandas()
    print(f"{args.rows:,} customs rows, {groups.height:,} firms\n")
    print("| measure | vagg (s) | pandas (s) | max abs difference |")
    print("|---|---|---|---|")

    res, tv = timed(lambda: resistance(trade, groups))
    ref, tr = timed(lambda: pandas_resis(tp, gp))
    got = res.table.to_pandas().set_index("firm_id")["RESIS"].sort_index()
    print(f"| RESIS | {tv:.2f} | {tr:.2f} | {np.max(np.abs(got - ref.loc[got.index])):.1e} |")

    res, tv = timed(lambda: foreign_demand_shocks(trade, world))
    ref, tr = timed(lambda: pandas_fd(tp, wp))
    got = res.table.to_pandas().set_index(["firm_id", "year"])["FD"]
    diff = np.max(np.abs(got - ref.reindex(got.index)))
    print(f"| FD | {tv:.2f} | {tr:.2f} | {diff:.1e} |")

    res, tv = timed(lambda: source_diversity(trade, products, regimes=("all",)))
    ref, tr = timed(lambda: pandas_hhi(tp))
    got = res.table.to_pandas().set_index(["firm_id", "year"])["IMPHHI"]
    diff = np.max(np.abs(got - ref.reindex(got.index)))
    print(f"| IMPHHI | {tv:.2f} | {tr:.2f} | {diff:.1e} |")

    for name, fn in (
        ("SWITCH", lambda: source_switching(trade, products)),
        ("NEWDEST/DCHURN", lambda: destination_churn(trade)),
        ("REALLOC", lambda: reallocation(trade, world)),
        ("EMERG", lambda: emerging_share(trade)),
    ):
        _, tv = timed(fn)
        print(f"| {name} | {tv:.2f} | – | – |")


if __name__ == "__main__":
    main()
