"""Generated customs cells with a known latent quality, for the quality tests and the benchmark.

CES demand as in KSW (2013): ln q = −σ_h ln p + (σ_h − 1) ln λ + δ_ft + α_h + γ ln GDP + u,
with prices ln p = μ_h + c_ght + κ ln λ + v (c_ght a firm-product-year cost shock shared by
the firm's destinations, which makes the other-destination price a relevant instrument). Built
with numpy from a seed; independent of ``vagg.data.synth`` and of the measures under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: HS 3-digit lines and their σ (the 1.06 and 500 lines exercise the cap)
SIGMA = {"847": 3.0, "851": 4.5, "852": 1.06, "610": 6.0, "620": 2.5, "940": 500.0}
CITIES = ("110100", "310100", "440100", "440300", "320500", "330100", "370200", "210200")
PROVINCES = sorted({c[:2] for c in CITIES})

_HERE = Path(__file__).resolve()
SHARED_CANDIDATES = [_HERE.parents[2].parent / "shared", _HERE.parents[3].parent / "shared"]


def shared_file(*parts: str) -> Path | None:
    """A file of the public reference data next to the repository (``../shared``), if present."""
    for base in SHARED_CANDIDATES:
        path = base.joinpath("data", *parts)
        if path.is_file():
            return path
    return None


def make_cells(
    n_firms: int = 300,
    n_per_hs3: int = 6,
    n_dest: int = 20,
    years: tuple[int, ...] = (2005, 2006, 2007, 2008),
    seed: int = 7,
    demand_noise: float = 0.2,
) -> dict[str, pd.DataFrame]:
    """Cells (party_id, city_code, hs6, partner, year, value_usd, quantity, ln_lambda), the σ
    table (hs3, sigma) and provincial real GDP (province_code, year, gdp_real)."""
    rng = np.random.default_rng(seed)
    hs6 = [f"{h3}{k:03d}"[:6] for h3 in SIGMA for k in range(10, 10 + n_per_hs3)]
    sigma_h = np.array([SIGMA[h[:3]] for h in hs6])
    sigma_true = np.clip(sigma_h, 1.5, 20.0)
    dests = [f"D{k:02d}" for k in range(n_dest)]
    firm_city = rng.choice(len(CITIES), n_firms)
    firm_effect = rng.normal(0, 0.5, n_firms)
    rows: list[tuple[int, int, int, int]] = []
    for g in range(n_firms):
        products = rng.choice(len(hs6), rng.integers(1, 4), replace=False)
        for h in products:
            for t in range(len(years)):
                if rng.random() < 0.25:
                    continue
                k = rng.integers(1, 7)
                for f in rng.choice(n_dest, k, replace=False):
                    rows.append((g, int(h), int(f), t))
    arr = np.array(rows)
    g, h, f, t = arr.T
    n = len(arr)
    ln_lambda = firm_effect[g] + rng.normal(0, 0.3, n)
    gdp = {(p, yr): float(np.exp(rng.normal(9.0, 0.5))) for p in PROVINCES for yr in years}
    prov = np.array([CITIES[c][:2] for c in firm_city])[g]
    year = np.asarray(years)[t]
    ln_gdp = np.log([gdp[(p, yr)] for p, yr in zip(prov, year, strict=True)])
    cost = rng.normal(0, 0.4, (n_firms, len(hs6), len(years)))[g, h, t]
    ln_p = rng.normal(0, 1, len(hs6))[h] + cost + 0.3 * ln_lambda + rng.normal(0, 0.1, n)
    dest_year = rng.normal(0, 1, (n_dest, len(years)))[f, t]
    ln_q = (
        -sigma_true[h] * ln_p
        + (sigma_true[h] - 1) * ln_lambda
        + dest_year
        + rng.normal(0, 1, len(hs6))[h]
        + 0.8 * ln_gdp
        + demand_noise * rng.normal(0, 1, n)
    )
    cells = pd.DataFrame(
        {
            "party_id": [f"F{k:09d}" for k in g],
            "city_code": np.array(CITIES)[firm_city[g]],
            "hs6": np.array(hs6)[h],
            "partner": np.array(dests)[f],
            "year": year,
            "value_usd": np.exp(ln_p + ln_q),
            "quantity": np.exp(ln_q),
            "ln_lambda": ln_lambda,
            "sigma_true": sigma_true[h],
        }
    )
    sigma = pd.DataFrame({"hs3": list(SIGMA), "sigma": list(SIGMA.values())})
    province_gdp = pd.DataFrame(
        [(p, yr, v) for (p, yr), v in gdp.items()], columns=["province_code", "year", "gdp_real"]
    )
    return {"cells": cells, "sigma": sigma, "province_gdp": province_gdp}
