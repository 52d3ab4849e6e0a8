"""Aggregations of Callaway–Sant'Anna ATT(g,t) and their influence functions.

Each summary is a weighted average θ = Σ_k w_k ATT(g_k, t_k) over a set of cells with weights
proportional to the cohort shares p_g = P(G = g) (CS 2021 §3, eq. (3.1)–(3.6)):

- ``simple``: all post-treatment cells (g ≤ t ≤ g + max_e), w_k ∝ p_{g_k};
- ``group``: θ(g̃) = mean of cohort g̃'s post cells, and overall Σ_g θ(g) p_g / Σ_g p_g;
- ``dynamic``: θ_es(e) over the cells with t − g = e, w_k ∝ p_{g_k} (event study), for
  ``min_e ≤ e ≤ max_e`` (and ``balance_e``: only cohorts observed e ≤ balance_e periods after
  treatment, CS eq. (3.5)); overall the mean of θ_es(e) over e ≥ 0;
- ``calendar``: θ_c(t) over the cells with g ≤ t, w_k ∝ p_{g_k}; overall their mean.

Because the weights are estimated, the influence function of θ is
ψ_θ = Σ_k w_k ψ_k + Σ_k ATT_k ψ_{w_k}, with ψ_{w_k,i} = (1{G_i = g_k} − p_k)/S −
Σ_j (1{G_i = g_j} − p_j)·p_k/S², S = Σ_j p_j over the cells averaged (R ``did::aggte``'s
``wif``). Cells with a missing ATT are left out, as ``aggte(na.rm = TRUE)`` does.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from vagg.estimate.did.staggered_panel import StaggeredPanel, cluster_sums
from vagg.estimate.did.staggered_results import Multiplier, StaggeredEffects, if_inference
from vagg.estimate.errors import EstimationError
from vagg.estimate.results import SampleAccounting

__all__ = ["Aggregation", "aggregate_effects"]

Aggregation = Literal["simple", "group", "dynamic", "calendar"]


def _weighted(
    pick: np.ndarray,
    att: np.ndarray,
    inf: np.ndarray,
    pg: np.ndarray,
    cohort_cells: np.ndarray,
    unit_cohort: np.ndarray,
    weight_effect: bool = True,
) -> tuple[float, np.ndarray]:
    """θ = Σ_k w_k att_k over the cells in ``pick`` with w ∝ pg, and its influence function."""
    idx = np.flatnonzero(pick)
    s = pg[idx].sum()
    w = pg[idx] / s
    est = float(w @ att[idx])
    psi = inf[:, idx] @ w
    if weight_effect:
        ind = (unit_cohort[:, None] == cohort_cells[idx][None, :]).astype(float) - pg[idx]
        wif = ind / s - np.outer(ind.sum(axis=1), pg[idx] / s**2)
        psi = psi + wif @ att[idx]
    return est, psi


def aggregate_effects(
    att_gt: pd.DataFrame,
    influence: np.ndarray,
    panel: StaggeredPanel,
    kind: Aggregation,
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    alpha: float = 0.05,
    reps: int = 999,
    weights: Multiplier = "mammen",
    seed: int = 0,
    method: str = "",
    sample: SampleAccounting | None = None,
) -> StaggeredEffects:
    """Aggregate ATT(g,t) into ``kind`` effects with influence-function SEs and a uniform
    band; the overall effect of the aggregation is in ``.overall``."""
    if kind not in ("simple", "group", "dynamic", "calendar"):
        raise EstimationError(
            f"aggregate: kind={kind!r}; use 'simple', 'group', 'dynamic' or 'calendar'"
        )
    g = att_gt["cohort"].to_numpy(dtype=float)
    t = att_gt["time"].to_numpy(dtype=float)
    att = att_gt["estimate"].to_numpy(dtype=float)
    ok = np.isfinite(att) & np.all(np.isfinite(influence), axis=0)
    uc = panel.cohort
    pg_cohort = {float(c): float(np.mean(uc == c)) for c in np.unique(g)}
    pg = np.array([pg_cohort[float(c)] for c in g])
    e = t - g
    post = ok & (g <= t) & (t <= g + max_e)
    ests: list[float] = []
    psis: list[np.ndarray] = []
    keys: dict[str, list[float]] = {}
    names: list[str] = []
    overall_psi: np.ndarray
    if kind == "simple":
        if not post.any():
            raise EstimationError("aggregate: no post-treatment ATT(g,t) to average")
        est, psi = _weighted(post, att, influence, pg, g, uc)
        ests, psis, names = [est], [psi], ["ATT"]
    elif kind == "group":
        cohorts = [c for c in np.unique(g) if (post & (g == c)).any()]
        for c in cohorts:
            pick = post & (g == c)
            est, psi = _weighted(pick, att, influence, pg, g, uc, weight_effect=False)
            ests.append(est)
            psis.append(psi)
            names.append(f"g{c:g}")
        keys["cohort"] = [float(c) for c in cohorts]
    elif kind == "dynamic":
        include = ok.copy()
        es = np.unique(e[ok])
        if balance_e is not None:
            include &= panel.times.max() - g >= balance_e
            es = np.unique(e[include])
            es = es[(es <= balance_e) & (es >= balance_e - panel.times.max() + panel.times.min())]
        es = es[(es >= min_e) & (es <= max_e)]
        for ev in es:
            pick = include & (e == ev)
            if not pick.any():
                continue
            est, psi = _weighted(pick, att, influence, pg, g, uc)
            ests.append(est)
            psis.append(psi)
            names.append(f"e{ev:g}")
            keys.setdefault("event_time", []).append(float(ev))
    else:
        for t1 in panel.times[panel.times >= g.min()]:
            pick = ok & (t == t1) & (g <= t1)
            if not pick.any():
                continue
            est, psi = _weighted(pick, att, influence, pg, g, uc)
            ests.append(est)
            psis.append(psi)
            names.append(f"t{t1:g}")
            keys.setdefault("time", []).append(float(t1))
    if not ests:
        raise EstimationError(f"aggregate: no ATT(g,t) cells for a {kind!r} aggregation")
    inf = np.column_stack(psis)
    est_arr = np.array(ests)
    if kind == "simple":
        overall = (ests[0], inf[:, 0])
    elif kind == "group":
        pgc = np.array([pg_cohort[c] for c in keys["cohort"]])
        cohort_arr = np.array(keys["cohort"])
        est_o, psi_o = _weighted(np.ones(len(ests), bool), est_arr, inf, pgc, cohort_arr, uc)
        overall = (est_o, psi_o)
    else:
        sel = np.array(keys["event_time"]) >= 0 if kind == "dynamic" else np.ones(len(ests), bool)
        if not sel.any():
            overall_psi = np.full(panel.n, np.nan)
            overall = (float("nan"), overall_psi)
        else:
            overall = (float(est_arr[sel].mean()), inf[:, sel].mean(axis=1))
    vcov, crit = if_inference(
        inf,
        panel.cluster,
        panel.n_clusters,
        reps=0 if kind == "simple" else reps,
        weights=weights,
        alpha=alpha,
        rng=np.random.default_rng(seed),
    )
    s_o = cluster_sums(overall[1][:, None], panel.cluster, panel.n_clusters)
    se_o = float(np.sqrt((s_o**2).sum()) / panel.n)
    frame = pd.DataFrame({"term": names, **keys})
    if kind == "simple":
        crit = float("nan")
    return StaggeredEffects.build(
        kind,
        frame,
        est_arr,
        vcov,
        crit,
        alpha=alpha,
        nobs=panel.n,
        n_clusters=panel.n_clusters,
        method=method,
        overall=(overall[0], se_o),
        sample=sample,
    )
