"""Callaway–Sant'Anna on a large balanced panel: vagg.callaway_santanna against csdid.

The panel has 50,000 units over 10 periods (500,000 rows): cohorts first treated in periods
3–9 and a never-treated quarter, unit effects correlated with the cohort, a common trend,
effects growing with exposure, and two covariates (one time-varying) that shift the trend.
It is built with numpy from a fixed seed.

The script times, in one run and on the same data, ATT(g,t) with analytic influence-function
standard errors (no bootstrap) followed by the dynamic (event-time) aggregation, for

(a) csdid 0.4.3 (``ATTgt(...).fit(bstrap=False)`` then ``aggte("dynamic", bstrap=False)``),
(b) ``vagg.callaway_santanna(..., bootstrap=0)`` then ``.aggregate("dynamic")``,

for the doubly robust estimator without and with covariates, prints the times and their ratio
and the largest ATT(g,t) and SE differences; then the time of vagg's multiplier bootstrap
(999 Mammen draws) for the uniform band.

Run: ``python benchmarks/bench_staggered_did.py [--units 50000] [--repeat 1]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

PERIODS = 10


def make_panel(n_units: int = 50_000, seed: int = 20240601) -> pd.DataFrame:
    """The synthetic staggered panel of the module docstring."""
    rng = np.random.default_rng(seed)
    cohort = rng.choice([0, 3, 4, 5, 6, 7, 8, 9], size=n_units, p=[0.25] + [0.75 / 7] * 7)
    t = np.arange(1, PERIODS + 1)
    x_fixed = rng.normal(size=n_units) + 0.1 * (cohort > 0)
    x_vary = rng.normal(size=(n_units, PERIODS))
    alpha = rng.normal(size=n_units) + 0.05 * cohort
    e = t[None, :] - cohort[:, None]
    tau = np.where((cohort[:, None] > 0) & (e >= 0), 0.1 * (e + 1), 0.0)
    y = (
        alpha[:, None]
        + 0.2 * t[None, :]
        + 0.1 * x_fixed[:, None] * t[None, :]
        + 0.05 * x_vary
        + tau
        + rng.normal(size=(n_units, PERIODS))
    )
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_units), PERIODS),
            "time": np.tile(t, n_units),
            "y": y.ravel(),
            "cohort": np.repeat(cohort, PERIODS),
            "x_fixed": np.repeat(x_fixed, PERIODS),
            "x_vary": x_vary.ravel(),
        }
    )


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    from csdid.att_gt import ATTgt

    from vagg.estimate import callaway_santanna

    data = make_panel(args.units)
    print(f"panel: {args.units:,} units × {PERIODS} periods = {len(data):,} rows")
    for label, x in [
        ("no covariates", None),
        ("covariates x_fixed + x_vary", ["x_fixed", "x_vary"]),
    ]:

        def run_csdid(x: list[str] | None = x) -> Any:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                model = ATTgt(
                    yname="y",
                    tname="time",
                    idname="unit",
                    gname="cohort",
                    data=data,
                    xformla=None if x is None else "~ " + " + ".join(x),
                ).fit(est_method="dr", bstrap=False)
                model.aggte(typec="dynamic", bstrap=False)
            return model

        def run_vagg(x: list[str] | None = x) -> Any:
            fit = callaway_santanna(data, "y", "unit", "time", "cohort", x=x, bootstrap=0)
            return fit, fit.aggregate("dynamic")

        t_cs, ref = _best(run_csdid, args.repeat)
        t_v, (fit, _dyn) = _best(run_vagg, args.repeat)
        d_att = np.max(np.abs(fit.att_gt["estimate"].to_numpy() - np.asarray(ref.results["att"])))
        d_se = np.max(np.abs(fit.att_gt["std_error"].to_numpy() - np.asarray(ref.results["se"])))
        print(
            f"dr, {label}: csdid {t_cs:.2f} s, vagg {t_v:.2f} s (×{t_cs / t_v:.1f}); "
            f"{len(fit.att_gt)} cells, max |ΔATT| {d_att:.1e}, max |ΔSE| {d_se:.1e}"
        )
    t_b, fit = _best(
        lambda: callaway_santanna(data, "y", "unit", "time", "cohort", bootstrap=999),
        args.repeat,
    )
    t_a, _ = _best(lambda: fit.aggregate("dynamic"), args.repeat)
    print(f"vagg with 999 multiplier draws: ATT(g,t) {t_b:.2f} s, dynamic aggregation {t_a:.2f} s")


if __name__ == "__main__":
    main()
