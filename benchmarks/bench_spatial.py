"""Spatial panel ML: vagg.spatial against spreg on two panels, timed in one run.

Panels (simulated from fixed seeds with known parameters; the weight matrices are real or
realistic):

* **provinces** — the 30 provinces of papers 002/004 × 13 years, row-standardised queen
  contiguity with the Hainan–Guangdong link (``vagg.weights.queen_provinces``);
* **large** — 3,000 units × 10 years, units at random points in the unit square linked to
  their 6 nearest neighbours (symmetrised, row-standardised), ln|I − ρW| by sparse LU.

Both have y = ρWy + Xβ + μ_i + γ_t + u, u = λWu + ε with two regressors, ρ = 0.4, λ = 0.3.

Timed (wall clock, best of ``--repeat``; each a full ``vagg.spatial(...)`` call: checks,
alignment, maximisation, information matrix):

* vagg SAC (SARAR) with two-way fixed effects — spreg has no ML SAC, so no peer time;
* vagg SAR and SEM with two-way effects, and spreg's ``ML_LagFE`` / ``ML_ErrorFE`` on the same
  data with individual effects and T − 1 period dummies (spreg 1.9.0 has no
  ``time_effects``; the dummies give the same estimates, printed as the largest difference).

Run: ``python benchmarks/bench_spatial.py [--repeat 3] [--skip-large-spreg]``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

import vagg.weights as vw
from vagg.estimate.spatial import spatial

RHO, LAM, BETA = 0.4, 0.3, np.array([1.0, -0.5])


def knn_weights(n: int, k: int, seed: int) -> vw.SpatialWeights:
    """Symmetrised k-nearest-neighbour contiguity of n random points, row-standardised."""
    rng = np.random.default_rng(seed)
    points = rng.uniform(size=(n, 2))
    _, idx = cKDTree(points).query(points, k=k + 1)
    edges = {tuple(sorted((i, int(j)))) for i in range(n) for j in idx[i, 1:]}
    return vw.from_edges(sorted(edges), ids=list(range(n)), name=f"{k}-NN (symmetrised)")


def simulate(w: vw.SpatialWeights, t: int, seed: int) -> pd.DataFrame:
    """A balanced SAC panel with unit and period effects on W."""
    rng = np.random.default_rng(seed)
    n = w.n
    eye = sp.identity(n, format="csc")
    a = splu(sp.csc_array(eye - RHO * w.matrix))
    b = splu(sp.csc_array(eye - LAM * w.matrix))
    x = rng.normal(size=(n, t, 2))
    unit, period = rng.normal(size=n), rng.normal(size=t)
    y = np.empty((n, t))
    for s in range(t):
        u = b.solve(rng.normal(size=n))
        y[:, s] = a.solve(unit + period[s] + x[:, s] @ BETA + u)
    return pd.DataFrame(
        {
            "unit": np.repeat(list(w.ids), t),
            "year": np.tile(np.arange(2004, 2004 + t), n),
            "y": y.ravel(),
            "x1": x[:, :, 0].ravel(),
            "x2": x[:, :, 1].ravel(),
        }
    )


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def spreg_fit(kind: str, data: pd.DataFrame, w: vw.SpatialWeights) -> Any:
    """spreg ML_LagFE / ML_ErrorFE with individual effects and T − 1 period dummies."""
    import spreg

    lw = w.to_libpysal()
    lw.transform = "r"
    years = sorted(data["year"].unique())
    frame = data.set_index(["year", "unit"]).sort_index()  # time-major, W's unit order within
    frame = frame.loc[[(yr, u) for yr in years for u in w.ids]]
    y = frame[["y"]].to_numpy()
    period = np.repeat(np.arange(len(years)), w.n)
    dummies = (period[:, None] == np.arange(1, len(years))[None, :]).astype(float)
    x = np.hstack([frame[["x1", "x2"]].to_numpy(), dummies])
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        model = spreg.ML_LagFE if kind == "sar" else spreg.ML_ErrorFE
        return model(y, x, lw)


def run(
    name: str, w: vw.SpatialWeights, t: int, repeat: int, with_spreg: bool
) -> list[dict[str, Any]]:
    data = simulate(w, t, seed=7)
    rows = []
    kw = {"panel": ("unit", "year"), "effects": "twoways"}
    secs, res = best_of(lambda: spatial("y ~ x1 + x2", data, w, model="sac", **kw), repeat)
    rows.append(
        {
            "panel": name,
            "model": "SAC two-way",
            "vagg (s)": f"{secs:.3f}",
            "spreg (s)": "no ML SAC",
            "max abs diff": "",
            "estimates": f"rho {res.params['rho']:.4f}, lambda {res.params['lambda']:.4f}",
        }
    )
    for kind in ("sar", "sem"):
        name_s = "rho" if kind == "sar" else "lambda"
        secs, res = best_of(
            lambda kind=kind: spatial("y ~ x1 + x2", data, w, model=kind, **kw), repeat
        )
        row = {"panel": name, "model": f"{kind.upper()} two-way", "vagg (s)": f"{secs:.3f}"}
        if with_spreg:
            runs = 1 if w.n > 1000 else repeat
            peer_secs, peer = best_of(lambda kind=kind: spreg_fit(kind, data, w), runs)
            betas = np.ravel(peer.betas)
            diff = max(
                abs(res.params["x1"] - betas[0]),
                abs(res.params["x2"] - betas[1]),
                abs(res.params[name_s] - betas[-1]),
            )
            row.update({"spreg (s)": f"{peer_secs:.3f}", "max abs diff": f"{diff:.1e}"})
        else:
            row.update({"spreg (s)": "not run", "max abs diff": ""})
        row["estimates"] = f"{name_s} {res.params[name_s]:.4f}"
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-large-spreg", action="store_true")
    args = parser.parse_args()
    import spreg

    print(f"Python {platform.python_version()}, numpy {np.__version__}, spreg {spreg.__version__}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows = run("30 provinces × 13 years", vw.queen_provinces(), 13, args.repeat, True)
    large = knn_weights(3000, 6, seed=1)
    rows += run("3,000 units × 10 years", large, 10, args.repeat, not args.skip_large_spreg)
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
