"""Timings of the paper-003 mechanism measures (M1, M2, M5, M6) on a CIE-sized synthetic panel.

The panel has ``--firms`` firms over 2000–2007 with 15% of firm-years missing at random (so
the gap-aware lags are exercised), 30 CIC2 divisions, 280 cities and 2,800 counties with
random centroids and areas; the customs frame has ``--lines`` firm-linked lines (80% exports)
of 50,000 firms over 5,000 HS6 codes and 7 partners. Everything is drawn with numpy from a
fixed seed. Each measure runs once; the script prints wall-clock times and the peak resident
memory of the process.

Run: ``python benchmarks/bench_resilience_cie.py [--firms 200000] [--lines 3000000]``.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from vagg.measures import (
    adjustment_cost,
    core_distance,
    cost_ratios,
    density,
    egshare,
    isolation,
    product_churn,
    smart_imports,
    strict_share,
    wage_premium,
)

YEARS = list(range(2000, 2008))


def make_data(n_firms: int, n_lines: int, seed: int = 0) -> dict[str, pl.DataFrame]:
    """Counties, firm-years and customs lines (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_counties = 2800
    counties = pl.DataFrame(
        {
            "county_code": [str(110000 + i) for i in range(n_counties)],
            "city_code": [str(1100 + i // 10) for i in range(n_counties)],
            "area_km2": rng.uniform(100, 5000, n_counties),
            "lat": rng.uniform(20, 45, n_counties),
            "lon": rng.uniform(100, 125, n_counties),
        }
    )
    n = n_firms * len(YEARS)
    ids = np.array([f"F{i:07d}" for i in range(n_firms)])
    firms = pl.DataFrame(
        {
            "firm_id": np.repeat(ids, len(YEARS)),
            "year": np.tile(YEARS, n_firms),
            "cic4": rng.choice([f"{c}11" for c in range(13, 43)], n),
            "city_code": rng.choice([str(1100 + i) for i in range(280)], n),
            "county_code": rng.choice(counties["county_code"].to_numpy(), n),
            "employment": rng.integers(1, 3000, n),
            "sales": rng.lognormal(10, 1, n),
            "gross_output": rng.lognormal(10, 1, n),
            "wage_bill": rng.lognormal(7, 1, n),
            "admin_expenses": rng.lognormal(6, 1, n),
            "selling_expenses": rng.lognormal(6, 1, n),
            "cost_main_business": rng.lognormal(9.8, 1, n),
            "financial_expenses": rng.normal(100, 50, n),
            "fixed_assets": rng.lognormal(9, 1, n),
        }
    ).filter(pl.Series(rng.random(n) > 0.15))
    exporters = ids[: min(50_000, n_firms)]
    hs6 = [f"{h:06d}" for h in rng.integers(10000, 970000, 5000)] + ["847950", "840290"]
    lines = pl.DataFrame(
        {
            "firm_id": rng.choice(exporters, n_lines),
            "year": rng.choice(YEARS, n_lines),
            "hs6": rng.choice(hs6, n_lines),
            "partner": rng.choice(["USA", "DEU", "JPN", "VNM", "GBR", "KOR", "BRA"], n_lines),
            "value_usd": rng.lognormal(9, 2, n_lines),
            "flow": rng.choice(["export", "import"], n_lines, p=[0.8, 0.2]),
        }
    )
    return {"counties": counties, "firms": firms, "lines": lines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=200_000)
    parser.add_argument("--lines", type=int, default=3_000_000)
    args = parser.parse_args()
    data = make_data(args.firms, args.lines)
    firms, counties, lines = data["firms"], data["counties"], data["lines"]
    print(f"firms: {firms.height:,} firm-years; customs: {lines.height:,} lines")
    runs: list[tuple[str, Callable[[], Any]]] = [
        ("cost_ratios (M5)", lambda: cost_ratios(firms)),
        ("adjustment_cost (M5)", lambda: adjustment_cost(firms)),
        ("wage_premium (M2)", lambda: wage_premium(firms)),
        ("density (M2)", lambda: density(firms, counties)),
        ("core_distance (M2)", lambda: core_distance(firms, counties)),
        ("isolation (M1)", lambda: isolation(firms, counties)),
        ("product_churn (M1)", lambda: product_churn(lines)),
        ("egshare (M6)", lambda: egshare(lines)),
        ("strict_share (M6)", lambda: strict_share(lines)),
        ("smart_imports (M6)", lambda: smart_imports(lines, firms, rmb_per_usd=8.0)),
    ]
    print("| measure | time | rows out |\n|---|---:|---:|")
    for name, run in runs:
        start = time.perf_counter()
        out = run()
        print(f"| {name} | {time.perf_counter() - start:.2f} s | {out.height:,} |", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
