"""Placebo (permutation) test on a CIE-sized panel: vagg.placebo against looping pyfixest.feols.

The panel is ``bench_feols.make_panel`` (about 620,000 firm-years, ~100,000 firms, 480
industries, 14 years; see that script). The model is
``y ~ x1 + … + x11 | firm + industry + year`` with errors clustered by firm, and ``x1`` is
permuted across all rows ``--reps`` times (default 1000).

The script times

(a) ``vagg.placebo`` with ``Local(1)`` (serial) and ``Local(2)`` (two processes), reporting
    its own breakdown: setup (sample, real fit, demeaning y and the other regressors once),
    permutation (drawing and gathering the permuted columns), demeaning of the permuted
    columns, and the rest (partialling out, coefficients, cluster-robust SEs);
(b) ``pyfixest.feols`` with its defaults (and the same vcov), refitted on the permuted tables
    of the first ``--pyfixest-draws`` draws of (a) (default 3); its time per draw is
    multiplied by ``--reps`` to extrapolate the loop — it is not run 1000 times;

and prints the largest differences between the two on those draws, and the peak memory of
the main process and of the worker processes.

Run: ``python benchmarks/bench_placebo.py [--reps 1000] [--pyfixest-draws 3] [--firms 100000]``.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from bench_feols import N_REGRESSORS, make_panel

from vagg.engine import Local
from vagg.estimate import placebo

FORMULA = (
    "y ~ " + " + ".join(f"x{j + 1}" for j in range(N_REGRESSORS)) + " | firm + industry + year"
)
VCOV = {"CRV1": "firm"}


def _peak_gb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 2**20  # kB on Linux


def _run_vagg(frame: pd.DataFrame, reps: int, workers: int, batch_size: int | None) -> Any:
    t0 = time.perf_counter()
    with Local(workers) as engine:
        result = placebo(
            FORMULA,
            frame,
            var="x1",
            reps=reps,
            seed=2024,
            vcov=VCOV,
            ssc="fixest",
            engine=engine,
            batch_size=batch_size,
        )
    return result, time.perf_counter() - t0


def _run_pyfixest(frame: pd.DataFrame, pl: Any, draws: int) -> tuple[list[float], list[tuple]]:
    import pyfixest as pf

    seconds, fits = [], []
    for r in range(draws):
        permuted = frame.copy()
        permuted["x1"] = pl.draw(r).to_numpy()
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = pf.feols(FORMULA, permuted, vcov=VCOV)
        seconds.append(time.perf_counter() - t0)
        fits.append((float(fit.coef()["x1"]), float(fit.tstat()["x1"])))
        print(f"  pyfixest draw {r}: {seconds[-1]:.1f} s", flush=True)
    return seconds, fits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--pyfixest-draws", type=int, default=3)
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2", help="comma-separated Local worker counts")
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()

    import pyfixest
    import scipy

    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"pandas {pd.__version__}, pyfixest {pyfixest.__version__}"
    )
    frame = make_panel(args.firms)
    print(f"panel: {len(frame):,} rows, {frame['firm'].nunique():,} firms; {FORMULA}")

    runs = {}
    for workers in (int(w) for w in args.workers.split(",")):
        pl, wall = _run_vagg(frame, args.reps, workers, args.batch_size)
        runs[workers] = (pl, wall)
        t = pl.timings
        print(
            f"vagg.placebo Local({workers}): {wall:.1f} s wall for {pl.reps} draws "
            f"(setup {t['setup']:.1f} s; summed over batches: permutation "
            f"{t['permutation']:.1f} s, demeaning {t['demeaning']:.1f} s, rest "
            f"{t['rest']:.1f} s; batch size {pl.diagnostics['batch_size']}); "
            f"p = {pl.pvalue:.3f}",
            flush=True,
        )
    first = next(iter(runs.values()))[0]
    for workers, (pl, _) in runs.items():
        diff = np.max(np.abs(pl.coefs - first.coefs))
        print(f"  Local({workers}) vs first run: max |Δcoef| {diff:.1e}")

    if args.pyfixest_draws < 1:
        return
    seconds, fits = _run_pyfixest(frame, first, args.pyfixest_draws)
    per_draw = float(np.mean(seconds))
    coef_diff = max(abs(c - first.coefs[r]) for r, (c, _) in enumerate(fits))
    t_diff = max(
        abs(tv - first.tvalues[r]) / abs(first.tvalues[r]) for r, (_, tv) in enumerate(fits)
    )
    looped = per_draw * args.reps
    best = min(wall for _, wall in runs.values())
    print(
        f"pyfixest.feols loop: {per_draw:.1f} s per draw (mean of {len(seconds)}), "
        f"extrapolated {looped:,.0f} s for {args.reps} draws"
    )
    print(f"  vs vagg: max |Δcoef| {coef_diff:.1e}, max relative |Δt| {t_diff:.1e}")
    print(f"speed-up of the fastest vagg run over the pyfixest loop: {looped / best:,.0f}×")
    print(
        f"peak memory: main process {_peak_gb(resource.RUSAGE_SELF):.2f} GB, largest worker "
        f"{_peak_gb(resource.RUSAGE_CHILDREN):.2f} GB"
    )


if __name__ == "__main__":
    main()
