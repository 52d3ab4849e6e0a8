"""The KSW demand regression (paper 001 eq. 18) on 10 million customs cells: vagg vs pyfixest.

Data: synthetic firm × HS6 × destination × year cells built with numpy from a fixed seed —
~5,000 HS6 products of Zipf-like size, 200 destinations × 15 years (3,000 destination × year
effects), ~300,000 firms, firm-product-year groups shipped to 1–10 distinct destinations
(so most cells have the other-destination price instrument), CES demand
ln q = −σ_h ln p + (σ_h − 1) ln λ + δ_ft + α_h + 0.8 ln GDP_prov,t + u with σ_h by HS 3-digit
line, and prices carrying a firm-product-year cost shock. The data are written once to a
temporary Parquet file; every engine then runs in its own child process (one at a time), which
reads the file, fits, and reports its wall time (the fit only, after reading) and its peak
resident memory (``VmHWM``, data included). The main process prints the table and the
largest coefficient differences.

Models (HS6 and destination × year fixed effects, singletons kept, iid errors):

* OLS with σ imposed: ``ln q + σ_h ln p ~ ln_gdp | hs6 + dest_year``;
* 2SLS: ``ln q ~ ln_gdp | hs6 + dest_year | ln p ~ price_iv``.

Engines: ``vagg`` = :func:`vagg.measures.quality_demand.demand_regression` from the columns
(integer codes built from the frame included in the time); ``vagg-ksw`` = the whole
:func:`vagg.measures.quality.ksw_quality` (IV, from the cells frame: σ join, GDP join,
instrument, key check, regression, eq. 19–20); pyfixest ``feols`` with its default demeaner
(MAP, Rust) and with ``LsmrDemeaner(backend="within")``. ``--lines`` also times
:func:`vagg.measures.customs_cells.customs_cells` on 10 million customs lines scanned lazily
from Parquet.

Run: ``python benchmarks/bench_quality.py [--rows 10000000] [--lines]``; wrap it in
``/usr/bin/time -v`` for the peak memory of the whole run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

N_DEST = 200
N_YEARS = 15
FIRST_YEAR = 2001
N_HS6 = 5000
N_FIRMS = 300_000
PROVINCES = 30


def make_cells(n_rows: int, seed: int = 20240917) -> pl.DataFrame:
    """Synthetic KSW cells (module docstring); exactly ``n_rows`` rows, unique keys."""
    rng = np.random.default_rng(seed)
    size = np.clip(1 + rng.poisson(1.6, n_rows), 1, 10)
    ends = np.cumsum(size)
    n_groups = int(np.searchsorted(ends, n_rows)) + 1
    size = size[:n_groups]
    size[-1] -= int(ends[n_groups - 1] - n_rows)
    group = np.repeat(np.arange(n_groups), size)
    offset = np.arange(n_rows) - np.repeat(np.cumsum(size) - size, size)
    # group = firm × product × year, unique: draw (firm, product, year) without repeats
    weights = 1.0 / np.arange(1, N_HS6 + 1) ** 0.8
    product_g = rng.choice(N_HS6, n_groups, p=weights / weights.sum())
    firm_g = rng.integers(0, N_FIRMS, n_groups)
    year_g = rng.integers(0, N_YEARS, n_groups)
    key = (firm_g.astype(np.int64) * N_HS6 + product_g) * N_YEARS + year_g
    _, first = np.unique(key, return_index=True)
    keep_group = np.zeros(n_groups, bool)
    keep_group[first] = True
    repeat = ~keep_group  # duplicates get a fresh firm id beyond N_FIRMS
    firm_g[repeat] = N_FIRMS + np.arange(int(repeat.sum()))
    start = rng.integers(0, N_DEST, n_groups)
    stride = rng.choice(np.array([1, 3, 7, 9, 11, 13, 17, 19]), n_groups)
    dest = (start[group] + offset * stride[group]) % N_DEST  # distinct within a group
    hs6_codes = rng.permutation(100_000 + (np.arange(N_HS6) * 173) % 900_000)
    hs3 = hs6_codes // 1000
    sigma_of_hs3 = {
        h: float(s)
        for h, s in zip(np.unique(hs3), rng.lognormal(1.2, 0.5, len(np.unique(hs3))), strict=True)
    }
    sigma_h = np.clip(np.array([sigma_of_hs3[h] for h in hs3]), 1.5, 20.0)
    firm = firm_g[group]
    product = product_g[group]
    year = year_g[group]
    province = (firm * 7919) % PROVINCES
    ln_gdp = rng.normal(9.0, 0.6, (PROVINCES, N_YEARS))[province, year]
    ln_lambda = rng.normal(0, 0.4, N_FIRMS + int(repeat.sum()))[firm] + rng.normal(0, 0.3, n_rows)
    cost = rng.normal(0, 0.4, n_groups)[group]
    ln_p = rng.normal(0, 1, N_HS6)[product] + cost + 0.3 * ln_lambda + rng.normal(0, 0.1, n_rows)
    s = sigma_h[product]
    ln_q = (
        -s * ln_p
        + (s - 1) * ln_lambda
        + rng.normal(0, 1, (N_DEST, N_YEARS))[dest, year]
        + rng.normal(0, 1, N_HS6)[product]
        + 0.8 * ln_gdp
        + rng.normal(0, 0.5, n_rows)
    )
    frame = pl.DataFrame(
        {
            "party_id": firm.astype(np.int64),
            "city_code": ((11 + province) * 10_000 + 100).astype(np.int64),
            "hs6": hs6_codes[product].astype(np.int64),
            "partner": dest.astype(np.int64),
            "year": (FIRST_YEAR + year).astype(np.int64),
            "value_usd": np.exp(ln_p + ln_q),
            "quantity": np.exp(ln_q),
            "sigma": s,
            "ln_gdp": ln_gdp,
        }
    )
    return (
        frame.with_columns(pl.col("hs6").cast(pl.String), pl.col("city_code").cast(pl.String))
        .with_columns(
            (pl.col("value_usd") / pl.col("quantity")).log().alias("ln_p"),
            pl.col("quantity").log().alias("ln_q"),
            pl.len().over("party_id", "hs6", "year").alias("_n"),
        )
        .with_columns(
            pl.when(pl.col("_n") > 1)
            .then(
                (pl.col("ln_p").sum().over("party_id", "hs6", "year") - pl.col("ln_p"))
                / (pl.col("_n") - 1)
            )
            .alias("price_iv"),
            (pl.col("partner") * 10_000 + pl.col("year")).alias("dest_year"),
        )
        .drop("_n")
    )


def _peak_gb() -> float:
    """Peak resident memory of this process (``VmHWM``: reset at exec, unlike ``ru_maxrss``,
    which a child inherits from the parent that spawned it)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _child(engine: str, model: str, path: str) -> dict[str, Any]:
    """Run one engine on one model in this process; return time, peak memory, coefficients."""
    warnings.simplefilter("ignore")
    frame = pl.read_parquet(path)
    if model == "iv" or engine == "vagg-ksw":
        frame = frame.filter(pl.col("price_iv").is_not_null())
    out: dict[str, Any] = {"engine": engine, "model": model, "rows": frame.height}
    if engine.startswith("vagg"):  # a one-off import cost (vagg.estimate loads pyfixest), not timed
        import vagg.estimate.linear.demean  # noqa: F401
    if engine == "vagg":
        from vagg.measures.quality_demand import demand_regression, fixed_effect_codes

        t0 = time.perf_counter()
        codes = [fixed_effect_codes(frame, ["hs6"]), fixed_effect_codes(frame, ["partner", "year"])]
        if model == "ols":
            y = (frame["ln_q"] + frame["sigma"] * frame["ln_p"]).to_numpy()
            fit = demand_regression(y, {"ln_gdp": frame["ln_gdp"].to_numpy()}, codes)
        else:
            fit = demand_regression(
                frame["ln_q"].to_numpy(),
                {"ln_gdp": frame["ln_gdp"].to_numpy()},
                codes,
                endog={"ln_p": frame["ln_p"].to_numpy()},
                instruments={"price_iv": frame["price_iv"].to_numpy()},
            )
        out["seconds"] = time.perf_counter() - t0
        out["coef"] = fit.result.params.to_dict()
        out["detail"] = {k: round(v, 2) for k, v in fit.timings.items()}
    elif engine == "vagg-ksw":
        from vagg.measures.quality import ksw_quality

        cells = frame.select(
            "party_id", "city_code", "hs6", "partner", "year", "value_usd", "quantity"
        )
        sigma = frame.group_by(pl.col("hs6").str.slice(0, 3).alias("hs3")).agg(
            pl.col("sigma").first()
        )
        gdp = frame.group_by(
            pl.col("city_code").str.slice(0, 2).alias("province_code"), "year"
        ).agg(pl.col("ln_gdp").first().exp().alias("gdp_real"))
        del frame
        t0 = time.perf_counter()
        res = ksw_quality(cells, sigma, gdp)
        out["seconds"] = time.perf_counter() - t0
        out["coef"] = res.regression.params.to_dict()
        out["detail"] = {k: round(v, 2) for k, v in res.timings.items()}
    else:
        import pyfixest as pf
        from pyfixest.demeaners import LsmrDemeaner

        data = frame.select("ln_q", "ln_p", "sigma", "ln_gdp", "price_iv", "hs6", "dest_year")
        data = data.with_columns((pl.col("ln_q") + pl.col("sigma") * pl.col("ln_p")).alias("y"))
        pdf = data.to_pandas()
        del frame, data
        kwargs: dict[str, Any] = {"fixef_rm": "none", "vcov": "iid", "copy_data": False}
        if engine == "pyfixest-lsmr":
            kwargs["demeaner"] = LsmrDemeaner(backend="within")
        formula = (
            "y ~ ln_gdp | hs6 + dest_year"
            if model == "ols"
            else "ln_q ~ ln_gdp | hs6 + dest_year | ln_p ~ price_iv"
        )
        t0 = time.perf_counter()
        fit = pf.feols(formula, pdf, **kwargs)
        coef = fit.coef().to_dict()
        out["seconds"] = time.perf_counter() - t0
        out["coef"] = coef
    out["peak_gb"] = _peak_gb()
    return out


def _run_child(engine: str, model: str, path: str, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", engine, model, path]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"engine": engine, "model": model, "error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return {"engine": engine, "model": model, "error": f"exit {proc.returncode}: {tail[0]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _lines_child(path: str) -> dict[str, Any]:
    from vagg.measures.customs_cells import customs_cells

    t0 = time.perf_counter()
    # the synthetic codes are HS 2002 in every year; chapters 10–27 are left out as in the paper
    res = customs_cells(pl.scan_parquet(path), min_product_cells=100, vintage=2002)
    return {
        "excluded": {k: v for k, v in res.excluded_lines.items() if v},
        "engine": "vagg customs_cells (lazy scan)",
        "model": "lines->cells",
        "rows": res.n_lines,
        "cells": len(res.cells),
        "seconds": time.perf_counter() - t0,
        "peak_gb": _peak_gb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--lines", action="store_true", help="also time customs_cells")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--lines-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child)))
        return
    if args.lines_child:
        print(json.dumps(_lines_child(args.lines_child)))
        return

    with tempfile.TemporaryDirectory(prefix="bench_quality_") as tmp:
        t0 = time.perf_counter()
        cells = make_cells(args.rows)
        path = str(Path(tmp) / "cells.parquet")
        cells.write_parquet(path)
        n_iv = int(cells["price_iv"].is_not_null().sum())
        print(
            f"cells: {cells.height:,} rows ({n_iv:,} with the instrument), "
            f"{cells['hs6'].n_unique():,} HS6, "
            f"{cells.select(pl.struct('partner', 'year').n_unique()).item():,} destination×year, "
            f"{cells['party_id'].n_unique():,} firms; generated in {time.perf_counter() - t0:.1f} s"
        )
        lines_path = None
        if args.lines:
            lines_path = str(Path(tmp) / "lines.parquet")
            cells.select(
                pl.format("{}", pl.col("party_id")).str.zfill(10).alias("party_id"),
                pl.lit("某某制造有限公司").alias("firm_name"),
                "city_code",
                "year",
                pl.lit("export").alias("flow"),
                (pl.col("hs6") + "00").alias("hs8"),
                pl.format("{}", pl.col("partner")).str.zfill(3).alias("partner"),
                "value_usd",
                "quantity",
                pl.lit("kg").alias("unit"),
            ).write_parquet(lines_path)
        del cells

        runs = []
        for model in ("ols", "iv"):
            for engine in ("vagg", "pyfixest-map", "pyfixest-lsmr"):
                runs.append(_run_child(engine, model, path, args.timeout))
                print(f"  {runs[-1]}", flush=True)
        runs.append(_run_child("vagg-ksw", "iv", path, args.timeout))
        print(f"  {runs[-1]}", flush=True)
        if lines_path is not None:
            proc = subprocess.run(
                [sys.executable, __file__, "--lines-child", lines_path],
                capture_output=True,
                text=True,
                check=False,
            )
            out = proc.stdout.strip().splitlines()
            runs.append(
                json.loads(out[-1]) if proc.returncode == 0 else {"error": proc.stderr[-300:]}
            )
            print(f"  {runs[-1]}", flush=True)

    print("\n| model | engine | rows | time (s) | peak memory (GB) | max abs. Δcoef vs vagg |")
    print("|---|---|---:|---:|---:|---:|")
    for run in runs:
        if "error" in run:
            print(f"| {run.get('model')} | {run.get('engine')} | | {run['error']} | | |")
            continue
        ref = next(
            (r for r in runs if r.get("engine") == "vagg" and r["model"] == run["model"]), None
        )
        diff = ""
        if ref and "coef" in run and "coef" in ref and run is not ref:
            diff = f"{max(abs(run['coef'][k] - ref['coef'][k]) for k in ref['coef']):.1e}"
        print(
            f"| {run['model']} | {run['engine']} | {run['rows']:,} | {run['seconds']:.1f} | "
            f"{run['peak_gb']:.2f} | {diff} |"
        )
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
