"""Paper 001's city × HS4 × year panel: baseline OLS, 2SLS and 1,000 placebo permutations,
vagg against pyfixest in one run.

Data: a synthetic panel the size of the paper's (≈620,000 city × HS4 × year rows) built with
numpy from a fixed seed — 282 cities, 1,200 HS4 headings, 11 years (2005–2015); each city
exports a city-specific set of HS4 headings (about 200, more in larger cities), each present
in 90% of the years. ``vagg`` and nine controls vary by city-year; the instrument is a
city-level 1984 stock × a national series; ``hs4_qua`` has city, year and HS4 effects, a
true slope 0.3 on ``vagg`` and noise.

Models (spec 001 eq. 17), errors clustered by city × HS4:

* OLS (Table 2 (4)): ``hs4_qua ~ vagg + controls | city + year + hs4``;
* 2SLS (Table 3 (5)): ``hs4_qua ~ controls | city + year + hs4 | vagg ~ iv``;
* placebo (Figure 2): ``vagg`` permuted across observations ``--reps`` times (default 1000),
  the OLS re-estimated each time: :func:`vagg.placebo` against refitting ``pyfixest.feols``
  on the first ``--pyfixest-draws`` permuted tables (default 5), whose mean time per draw is
  multiplied by ``--reps`` (the loop is extrapolated, not run 1,000 times).

pyfixest runs with its default demeaner (MAP, Rust backend) and with
``LsmrDemeaner(backend="within")``; the faster of the two is its "fastest configuration".
Each OLS / 2SLS fit is timed best of ``--repeat`` (default 2).

Run: ``python benchmarks/bench_city_panel.py [--reps 1000] [--pyfixest-draws 5]``; wrap it
in ``/usr/bin/time -v`` for the peak memory of the whole run.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

CONTROLS = ("fdi", "open", "fisc", "dlp", "sci", "edu", "wage", "gdp", "fixinv")
X = " + ".join(CONTROLS)
FE = "city_code + year + hs4"
OLS = f"hs4_qua ~ vagg + {X} | {FE}"
IV = f"hs4_qua ~ {X} | {FE} | vagg ~ iv"
VCOV = {"CRV1": "city_hs4"}


def make_panel(cities: int = 282, hs4: int = 1200, seed: int = 2022) -> pd.DataFrame:
    """The synthetic city × HS4 × year panel (module docstring)."""
    rng = np.random.default_rng(seed)
    years = np.arange(2005, 2016)
    size = np.exp(rng.normal(0, 0.5, cities))
    n_products = np.clip((200 * size / size.mean()).astype(int), 20, hs4)
    popularity = rng.dirichlet(np.full(hs4, 0.5))
    city, prod = [], []
    for c, k in enumerate(n_products):
        city.append(np.full(k, c))
        prod.append(rng.choice(hs4, k, replace=False, p=popularity))
    pair_city, pair_hs4 = np.concatenate(city), np.concatenate(prod)
    rows = np.repeat(np.arange(len(pair_city)), len(years))
    year = np.tile(years, len(pair_city))
    keep = rng.random(len(rows)) < 0.9
    rows, year = rows[keep], year[keep]
    c, h, t = pair_city[rows], pair_hs4[rows], year - years[0]
    trend = rng.normal(0.02, 0.01, cities)
    vagg_ct = 0.5 + rng.normal(0, 0.05, cities)[:, None] + trend[:, None] * np.arange(11)
    stock = np.exp(rng.normal(7, 0.6, cities))
    national = np.linspace(1.0, 4.0, 11)
    ctrl = rng.normal(0, 1, (cities, 11, len(CONTROLS)))
    city_fx, year_fx, hs4_fx = (
        rng.normal(0, 0.1, cities),
        rng.normal(0, 0.05, 11),
        rng.normal(0, 0.15, hs4),
    )
    frame = pd.DataFrame(
        {
            "city_code": c.astype(str),
            "hs4": h.astype(str),
            "year": year,
            "vagg": vagg_ct[c, t] + 0.2 * trend[c] * (stock[c] / stock.mean()) * t,
            "iv": stock[c] * national[t] / 1e3,
        }
    )
    for j, name in enumerate(CONTROLS):
        frame[name] = ctrl[c, t, j]
    frame["hs4_qua"] = (
        0.3 * frame["vagg"]
        + 0.01 * ctrl[c, t, :].sum(axis=1)
        + city_fx[c]
        + year_fx[t]
        + hs4_fx[h]
        + rng.normal(0, 0.15, len(frame))
    )
    frame["city_hs4"] = frame["city_code"] + "_" + frame["hs4"]
    return frame


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--pyfixest-draws", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import pyfixest as pf
    from pyfixest.demeaners import LsmrDemeaner

    import vagg

    warnings.simplefilter("ignore")
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"pyfixest {pf.__version__}"
    )
    frame = make_panel()
    print(
        f"panel: {len(frame):,} rows, {frame['city_code'].nunique()} cities, "
        f"{frame['hs4'].nunique()} HS4, {frame['city_hs4'].nunique():,} city × HS4 clusters"
    )
    peers: dict[str, dict[str, Any]] = {
        "pyfixest (MAP)": {},
        "pyfixest (LSMR within)": {"demeaner": LsmrDemeaner(backend="within")},
    }
    for label, formula in (("OLS", OLS), ("2SLS", IV)):
        fit_vagg = vagg.iv if label == "2SLS" else vagg.feols
        secs, ours = _best(lambda f=fit_vagg, fm=formula: f(fm, frame, vcov=VCOV), args.repeat)
        print(f"{label}: vagg {secs:.2f} s, coef {ours.params['vagg']:.6f}", flush=True)
        for name, kwargs in peers.items():
            secs, theirs = _best(
                lambda fm=formula, kw=kwargs: pf.feols(fm, frame, vcov=VCOV, **kw), args.repeat
            )
            diff = abs(float(theirs.coef()["vagg"]) - ours.params["vagg"])
            se = abs(float(theirs.se()["vagg"]) / ours.bse["vagg"] - 1)
            print(
                f"{label}: {name} {secs:.2f} s, |Δcoef| {diff:.1e}, rel. |ΔSE| {se:.1e}",
                flush=True,
            )
    t0 = time.perf_counter()
    draws = vagg.placebo(OLS, frame, var="vagg", reps=args.reps, seed=2024, vcov=VCOV)
    wall = time.perf_counter() - t0
    print(f"placebo: vagg {wall:.1f} s for {args.reps} draws", flush=True)
    per_draw = []
    diffs = []
    for r in range(args.pyfixest_draws):
        permuted = frame.copy()
        permuted["vagg"] = draws.draw(r).to_numpy()
        t0 = time.perf_counter()
        fit = pf.feols(OLS, permuted, vcov=VCOV)
        per_draw.append(time.perf_counter() - t0)
        diffs.append(abs(float(fit.coef()["vagg"]) - draws.coefs[r]))
    mean = float(np.mean(per_draw))
    print(
        f"placebo: pyfixest loop {mean:.2f} s per draw (mean of {len(per_draw)}), extrapolated "
        f"{mean * args.reps:,.0f} s for {args.reps} draws; max |Δcoef| {max(diffs):.1e}"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak memory of the script: {peak:.2f} GB")


if __name__ == "__main__":
    main()
