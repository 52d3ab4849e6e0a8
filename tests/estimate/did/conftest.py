"""Shared data of the staggered DID tests.

``castle``: Cheng & Hoekstra (2013, J. Human Resources 48(3)) castle-doctrine state panel,
50 states × 2000–2010, as shipped (MIT licence) by the ``causaldata`` package (the data of
the DID chapter of Cunningham's *Causal Inference: The Mixtape*). The package's copy has no
adoption-year column, so ``effyear`` is built from its ``post`` indicator as the first year
with post = 1 (0 for the 29 states that never adopted): cohorts 2006 (1 state), 2007 (13),
2008 (4), 2009 (2), 2010 (1) — the adoption years of the Mixtape's ``effyear``.
Float32 columns are cast to float64.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def castle() -> pd.DataFrame:
    causaldata = pytest.importorskip("causaldata")
    data = causaldata.castle.load_pandas().data
    first = data[data["post"] > 0].groupby("sid")["year"].min()
    data["effyear"] = data["sid"].map(first).fillna(0).astype("int64")
    data["year"] = data["year"].astype("int64")
    # the .dta stores rates as float32; work in float64 so every library sees the same numbers
    floats = data.select_dtypes("float32").columns
    data[floats] = data[floats].astype("float64")
    return data


@pytest.fixture(scope="session")
def castle_x(castle: pd.DataFrame) -> pd.DataFrame:
    """The castle panel restricted to the never-treated states and the 2007 and 2008 cohorts
    (13 and 4 states), where a propensity score with two covariates exists in every 2×2
    comparison, with the covariates also frozen at their 2000 values (``*0``)."""
    data = castle[castle["effyear"].isin([0, 2007, 2008])].copy()
    base = data[data["year"] == 2000].set_index("sid")
    for name in ("l_police", "unemployrt"):
        data[f"{name}0"] = data["sid"].map(base[name])
    data["region"] = data["sid"] % 9  # an arbitrary grouping of states into 9 clusters
    return data


def staggered_simulation(seed: int, n: int = 2000, periods: int = 10) -> tuple[pd.DataFrame, dict]:
    """A balanced panel with staggered adoption and dynamic, cohort-specific effects.

    Cohorts 3, 5 and 7 (25% of units each) and never treated (25%) over periods 1..10;
    y_it = α_i + λ_t + τ_{g}(t − g)·1{t ≥ g} + ε_it with τ_g(e) = b_g·(e + 1), b_3 = 0.6,
    b_5 = 0.4, b_7 = 0.2 (effects grow with exposure, faster for early adopters),
    α_i ~ N(0, 1) correlated with the cohort, λ_t = 0.3·t, ε ~ N(0, 1).
    Returns the panel and the planted truth: the event-time effects θ_es(e) (cohort-share
    weighted, CS eq. (3.4)), the overall ATT over post cells (CS "simple"), and the exact
    population estimand of static two-way FE (Σ D̃·τ / Σ D̃·D with D̃ the two-way residual of
    the treatment dummy — the Goodman-Bacon (2021) decomposition weights).
    """
    rng = np.random.default_rng(seed)
    slope = {3: 0.6, 5: 0.4, 7: 0.2}
    cohort = rng.choice([0, 3, 5, 7], size=n)
    alpha = rng.normal(size=n) + 0.2 * cohort
    t = np.arange(1, periods + 1)
    e = t[None, :] - cohort[:, None]
    treated = (cohort[:, None] > 0) & (e >= 0)
    b = np.array([slope.get(int(g), 0.0) for g in cohort])
    tau = np.where(treated, b[:, None] * (e + 1), 0.0)
    y = alpha[:, None] + 0.3 * t[None, :] + tau + rng.normal(size=(n, periods))
    panel = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), periods),
            "time": np.tile(t, n),
            "y": y.ravel(),
            "cohort": np.repeat(cohort, periods),
            "d": treated.ravel().astype(float),
        }
    )
    # planted truths, from the latent effects τ
    sizes = {g: int(np.sum(cohort == g)) for g in slope}
    dynamic: dict[int, float] = {}
    for ev in range(-6, periods):
        gs = [g for g in slope if 1 <= g + ev <= periods]
        if not gs:
            continue
        w = np.array([sizes[g] for g in gs], float)
        eff = np.array([slope[g] * (ev + 1) if ev >= 0 else 0.0 for g in gs])
        dynamic[ev] = float(w @ eff / w.sum())
    simple = float(tau[treated].mean())
    d = treated.astype(float)
    d_tilde = d - d.mean(axis=1, keepdims=True) - d.mean(axis=0, keepdims=True) + d.mean()
    twfe = float((d_tilde * tau).sum() / (d_tilde * d).sum())
    truth = {
        "dynamic": dynamic,
        "simple": simple,
        "twfe": twfe,
        "twfe_weights": d_tilde[treated] / (d_tilde * d).sum(),
    }
    return panel, truth


@pytest.fixture(scope="session")
def simulated() -> tuple[pd.DataFrame, dict]:
    """:func:`staggered_simulation` with seed 7."""
    return staggered_simulation(7)
