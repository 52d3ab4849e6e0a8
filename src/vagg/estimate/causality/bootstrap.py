"""Block-bootstrap p-values of the Dumitrescu–Hurlin statistics under cross-section dependence.

Dumitrescu & Hurlin (2012, §6.2), as ``xtgcause``'s ``bootstrap`` option implements it
(Lopez & Weber 2017):

1. Under H₀ every unit follows its restricted autoregression
   ``y_it = α_i + Σ_k γ_ik y_i,t−k + ε_it``; estimate it unit by unit (t = K+1..T) and keep the
   residuals ``ε̂_it``.
2. Resample the residuals *by period*: blocks of ``block_length`` consecutive periods are
   drawn with replacement and the same periods are used for every unit, which keeps the
   cross-section correlation of the shocks.
3. Draw one block of ``K`` consecutive observed values of ``y`` as initial conditions (the same
   periods for every unit) and build ``y*`` recursively from the restricted model; ``x`` is
   kept as observed.
4. Compute ``W̄*``, ``Z̄*`` and ``Z̃*`` on ``(y*, x)``.
5. The bootstrap p-value of ``Z`` is the share of draws with ``|Z*| > |Z|``; the critical value
   at ``level`` is that quantile of ``|Z*|`` (Stata's ``_pctile`` definition).

Draws are cut into chunks, each with its own seed from ``SeedSequence(seed).spawn``, and run
through :func:`vagg.engine.run_tasks`, so the result depends on the seed only, not on the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .panel_data import design, granger_ssr

__all__ = ["BootstrapModel", "bootstrap_draws", "fit_null_model", "panel_statistics"]


@dataclass(frozen=True)
class BootstrapModel:
    """What every bootstrap draw needs: the data, the null model and its residuals."""

    y: np.ndarray  # (N, T)
    x: np.ndarray  # (N, T)
    k: int
    alpha: np.ndarray  # (N,)
    gamma: np.ndarray  # (N, K)
    resid: np.ndarray  # (N, T − K), periods K..T−1
    block_length: int


def panel_statistics(w: np.ndarray, k: int, t_obs: int) -> tuple[float, float, float]:
    """``(W̄, Z̄, Z̃)`` from the individual Wald statistics ``w`` (Dumitrescu & Hurlin 2012,
    eq. 9 and 26; ``T`` = the number of periods, as in ``xtgcause`` and ``plm``)."""
    n = len(w)
    w_bar = float(np.mean(w))
    z_bar = float(np.sqrt(n / (2.0 * k)) * (w_bar - k))
    factor = n / (2.0 * k) * (t_obs - 3 * k - 5) / (t_obs - 2 * k - 3)
    z_tilde = float(np.sqrt(factor) * ((t_obs - 3 * k - 3) / (t_obs - 3 * k - 1) * w_bar - k))
    return w_bar, z_bar, z_tilde


def wald_statistics(y: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """Every unit's ``W_i = (SSR_r − SSR_u) / (SSR_u / (T − 3K − 1))`` (= K·F_i)."""
    ssr_u, ssr_r, n = granger_ssr(y, x, k, k)
    return (ssr_r - ssr_u) / (ssr_u / (n - 2 * k - 1))


def fit_null_model(y: np.ndarray, x: np.ndarray, k: int, block_length: int) -> BootstrapModel:
    """Step 1: each unit's restricted autoregression, by least squares, and its residuals."""
    dep, reg = design(y, None, k, k)
    n_units = y.shape[0]
    coefs = np.empty((n_units, 1 + k))
    for i in range(n_units):
        coefs[i] = np.linalg.lstsq(reg[i], dep[i], rcond=None)[0]
    resid = dep - np.einsum("unp,up->un", reg, coefs)
    return BootstrapModel(y, x, k, coefs[:, 0], coefs[:, 1:], resid, block_length)


def _one_draw(model: BootstrapModel, rng: np.random.Generator) -> tuple[float, float]:
    n_units, t_obs = model.y.shape
    k, b = model.k, model.block_length
    eps = np.empty((n_units, t_obs))
    for start in range(k, t_obs, b):
        r = k + int((t_obs - k - b + 1) * rng.random())
        stop = min(start + b, t_obs)
        eps[:, start:stop] = model.resid[:, r - k : r - k + (stop - start)]
    y_star = np.empty((n_units, t_obs))
    r0 = int((t_obs - k) * rng.random())
    y_star[:, :k] = model.y[:, r0 : r0 + k]
    for t in range(k, t_obs):
        lags = y_star[:, t - k : t][:, ::-1]  # y_{t−1}, …, y_{t−k}
        y_star[:, t] = model.alpha + np.einsum("uk,uk->u", model.gamma, lags) + eps[:, t]
    w = wald_statistics(y_star, model.x, k)
    _, z_bar, z_tilde = panel_statistics(w, k, t_obs)
    return z_bar, z_tilde


def bootstrap_draws(item: tuple[Any, int], shared: BootstrapModel) -> np.ndarray:
    """One chunk of draws: ``item = (seed, reps)``; returns a (reps, 2) array of
    ``(Z̄*, Z̃*)``. Module level so that process and Dask engines can pickle it."""
    seed, reps = item
    rng = np.random.default_rng(seed)
    out = np.empty((reps, 2))
    for r in range(reps):
        out[r] = _one_draw(shared, rng)
    return out
