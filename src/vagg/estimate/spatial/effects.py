"""Direct, indirect and total effects of spatial models (LeSage & Pace 2009, ch. 2.7).

In a model with a spatial lag, y = A⁻¹(Xβ + WXθ + …) with A = I − ρW, so a change in x_k in one
unit moves y everywhere; the effect matrix is S_k = A⁻¹(β_k I + θ_k W) (θ_k = 0 for SAR and
SAC). LeSage & Pace summarise it by

    direct_k = tr(S_k)/N,    total_k = 1'S_k 1/N,    indirect_k = total_k − direct_k,

so that for a row-standardised W, total_k = (β_k + θ_k)/(1 − ρ) (methods note §4.4). In paper
004's interaction model A_t = I − ρW − ρ′Z_tW changes every period; the effects are computed
period by period and averaged over the periods (methods note §4.5). SEM has no spillovers
(direct = β, indirect = 0); SDEM has direct = β and indirect = θ·(1'W1/N), both linear in the
estimates, so their standard errors are exact.

Standard errors of the lag models come from simulation (LeSage & Pace 2009, §2.7; spatialreg's
``impacts(R=)``, xsmle's ``nsim()``): draw the parameters R times from N(θ̂, V̂), drop the draws
whose ρ leaves the stable range (they are counted), compute the effects for each draw, and
report the standard deviation and the 2.5/97.5 percentiles of the draws around the effects at
the estimates. The draws are cut into chunks with their own ``SeedSequence`` children and run
through :func:`vagg.engine.run_tasks`, so the numbers do not depend on the engine.

Traces: with W similar to a symmetric matrix (contiguity and distance matrices, row-standardised
or not), W = D^{-1/2}UΩU'D^{1/2} and tr(A⁻¹) = Σ_i 1/(1 − ρω_i), 1'A⁻¹1 = Σ_i a_i/(1 − ρω_i) with
a_i = (1'D^{-1/2}u_i)(u_i'D^{1/2}1) — exact and O(N) per draw. Otherwise A⁻¹ is formed
densely for N ≤ 300, and beyond that the traces come from the power series
tr(A⁻¹) = Σ_j ρ^j tr(W^j) with tr(W^j) estimated by Hutchinson's method (LeSage & Pace 2009,
§4.4; the totals use the exact 1'W^j1).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from vagg.engine import run_tasks
from vagg.weights import SpatialWeights
from vagg.weights.core import symmetric_similar

from ..errors import EstimationError

__all__ = ["EffectsKit", "SpatialEffects", "spatial_effects"]

Array = npt.NDArray[np.float64]

DENSE_MAX = 300
SERIES_PROBES = 64


@dataclass
class EffectsKit:
    """What the effects of one fitted model need, picklable for the engines.

    ``beta_idx`` / ``theta_idx`` locate β_k and θ_k (−1: none) in the parameter vector;
    ``rho_idx`` the spatial-lag parameters (ρ, and ρ′ of the interaction model).
    """

    terms: list[str]
    beta_idx: list[int]
    theta_idx: list[int]
    rho_idx: list[int]
    n: int
    interval: tuple[float, float]
    mode: str  # "spectral", "dense", "series", "period"
    omega: Array | None = None
    total_weights: Array | None = None
    w_dense: Array | None = None
    trace_powers: Array | None = None
    sum_powers: Array | None = None
    z: Array | None = None

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def for_lag(
        cls,
        w: SpatialWeights,
        terms: list[str],
        beta_idx: list[int],
        theta_idx: list[int],
        rho_idx: list[int],
        *,
        z: Array | None = None,
        rho_max: float = 0.99,
    ) -> EffectsKit:
        """A kit for a model with a spatial lag on W (``z``: the interaction model)."""
        interval = w.stable_interval()
        base = cls(terms, beta_idx, theta_idx, rho_idx, w.n, interval, "dense")
        if z is not None:
            base.mode = "period"
            base.w_dense = w.matrix.toarray()
            base.z = z
            return base
        similar = symmetric_similar(w)
        if similar is not None and w.n <= 6000:
            s, d = similar
            omega, u = np.linalg.eigh(s.toarray())
            left = (d**-0.5) @ u
            right = u.T @ (d**0.5)
            base.mode = "spectral"
            base.omega = omega
            base.total_weights = left * right / w.n
        elif w.n <= DENSE_MAX:
            base.mode = "dense"
            base.w_dense = w.matrix.toarray()
        else:
            base.mode = "series"
            base.trace_powers, base.sum_powers = _power_traces(w, rho_max)
        return base

    # -- evaluation --------------------------------------------------------------------------
    def inside(self, rho: Array) -> npt.NDArray[np.bool_]:
        """Which draws (rows of ρ) keep every A stable."""
        lo, hi = self.interval
        if self.mode != "period":
            return (rho[:, 0] > lo) & (rho[:, 0] < hi)
        assert self.w_dense is not None and self.z is not None
        ok = np.ones(len(rho), dtype=bool)
        eye = np.eye(self.n)
        for r, (a, b) in enumerate(rho):
            for t in range(self.z.shape[1]):
                sign, _ = np.linalg.slogdet(eye - (a + b * self.z[:, t])[:, None] * self.w_dense)
                if sign <= 0:
                    ok[r] = False
                    break
        return ok

    def traces(self, rho: Array) -> tuple[Array, Array, Array, Array]:
        """Per draw: tr(A⁻¹)/N, tr(A⁻¹W)/N, 1'A⁻¹1/N, 1'A⁻¹W1/N (rows of ρ)."""
        if self.mode == "spectral":
            assert self.omega is not None and self.total_weights is not None
            inv = 1.0 / (1.0 - rho[:, :1] * self.omega[None, :])
            wi = self.omega[None, :] * inv
            return (
                inv.mean(axis=1),
                wi.mean(axis=1),
                inv @ self.total_weights,
                wi @ self.total_weights,
            )
        if self.mode == "series":
            assert self.trace_powers is not None and self.sum_powers is not None
            powers = rho[:, :1] ** np.arange(len(self.trace_powers) - 1)[None, :]
            tp, sp_ = self.trace_powers, self.sum_powers
            return powers @ tp[:-1], powers @ tp[1:], powers @ sp_[:-1], powers @ sp_[1:]
        assert self.w_dense is not None
        out = np.zeros((4, len(rho)))
        eye = np.eye(self.n)
        periods = self.z.shape[1] if self.mode == "period" and self.z is not None else 1
        for r in range(len(rho)):
            for t in range(periods):
                if self.mode == "period":
                    assert self.z is not None
                    scale = rho[r, 0] + rho[r, 1] * self.z[:, t]
                    a = eye - scale[:, None] * self.w_dense
                else:
                    a = eye - rho[r, 0] * self.w_dense
                ainv = np.linalg.inv(a)
                aw = ainv @ self.w_dense
                out[0, r] += np.trace(ainv)
                out[1, r] += np.trace(aw)
                out[2, r] += ainv.sum()
                out[3, r] += aw.sum()
        out /= self.n * periods
        return out[0], out[1], out[2], out[3]

    def effects(self, params: Array) -> Array:
        """Effects for each row of ``params`` (draws × parameters): draws × 3 × K."""
        params = np.atleast_2d(params)
        rho = params[:, self.rho_idx]
        tr_a, tr_aw, sum_a, sum_aw = self.traces(rho)
        beta = params[:, self.beta_idx]
        theta = np.where(
            np.array(self.theta_idx) >= 0, params[:, np.maximum(self.theta_idx, 0)], 0.0
        )
        direct = beta * tr_a[:, None] + theta * tr_aw[:, None]
        total = beta * sum_a[:, None] + theta * sum_aw[:, None]
        return np.stack([direct, total - direct, total], axis=1)


def _power_traces(w: SpatialWeights, rho_max: float) -> tuple[Array, Array]:
    """tr(W^j)/N (Hutchinson, seeded) and 1'W^j1/N (exact), j = 0 … J with |ρ|^J < 1e-10."""
    order = int(min(2000, max(50, np.ceil(np.log(1e-10) / np.log(max(abs(rho_max), 1e-3))))))
    rng = np.random.default_rng(20240101)
    probes = rng.choice([-1.0, 1.0], size=(w.n, SERIES_PROBES))
    ones = np.ones(w.n)
    tr = np.empty(order + 2)
    sums = np.empty(order + 2)
    current, vec = probes.copy(), ones.copy()
    for j in range(order + 2):
        tr[j] = float(np.sum(probes * current)) / SERIES_PROBES / w.n
        sums[j] = float(vec.sum()) / w.n
        current = np.asarray(w.matrix @ current)
        vec = np.asarray(w.matrix @ vec)
    tr[0] = 1.0
    tr[1] = float(w.matrix.diagonal().sum()) / w.n
    return tr, sums


@dataclass
class SpatialEffects:
    """Direct, indirect and total effects with standard errors.

    ``table`` has one row per (effect, term) — effect ∈ {direct, indirect, total} — and the
    columns ``estimate``, ``std_error``, ``statistic`` (estimate/SE), ``pvalue`` (normal,
    two-sided), ``conf_low``, ``conf_high``. ``method`` is "simulation" (with ``draws``
    accepted draws, ``rejected`` draws outside the stable range, ``seed``) or "exact".
    """

    table: pd.DataFrame
    method: str
    draws: int = 0
    rejected: int = 0
    seed: int | None = None
    samples: Array | None = None

    def _column(self, effect: str) -> pd.Series:
        return self.table.loc[effect, "estimate"].rename(effect)

    @property
    def direct(self) -> pd.Series:
        """Direct effects by term."""
        return self._column("direct")

    @property
    def indirect(self) -> pd.Series:
        """Indirect (spillover) effects by term."""
        return self._column("indirect")

    @property
    def total(self) -> pd.Series:
        """Total effects by term."""
        return self._column("total")

    def tidy(self) -> pd.DataFrame:
        """The table with ``effect`` and ``term`` as columns."""
        return self.table.reset_index()

    def summary(self) -> str:
        """A plain-text table of the effects."""
        head = f"Effects ({self.method}"
        if self.method == "simulation":
            head += f", {self.draws} draws, seed {self.seed}, {self.rejected} rejected"
        lines = [head + ")", self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4f}")]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<SpatialEffects {self.method}: {list(self.direct.index)}>"


def _table(
    terms: Sequence[Hashable], point: Array, se: Array, low: Array, high: Array
) -> pd.DataFrame:
    rows = []
    for e, effect in enumerate(("direct", "indirect", "total")):
        for k, term in enumerate(terms):
            est, s = float(point[e, k]), float(se[e, k])
            z = est / s if s > 0 else np.nan
            rows.append(
                {
                    "effect": effect,
                    "term": term,
                    "estimate": est,
                    "std_error": s,
                    "statistic": z,
                    "pvalue": float(2 * stats.norm.sf(abs(z))) if s > 0 else np.nan,
                    "conf_low": float(low[e, k]),
                    "conf_high": float(high[e, k]),
                }
            )
    return pd.DataFrame(rows).set_index(["effect", "term"])


def _draw_task(item: tuple[Any, int], shared: tuple[EffectsKit, Array, Array]) -> tuple[Array, int]:
    seed, count = item
    kit, mean, cov = shared
    rng = np.random.default_rng(seed)
    accepted: list[Array] = []
    rejected = 0
    got = 0
    for _ in range(1000):
        block = rng.multivariate_normal(mean, cov, size=max(count - got, 1), method="eigh")
        ok = kit.inside(block[:, kit.rho_idx])
        rejected += int((~ok).sum())
        if ok.any():
            accepted.append(block[ok][: count - got])
            got += len(accepted[-1])
        if got >= count:
            break
    if got < count:
        raise EstimationError(
            f"spatial effects: fewer than {count} of the simulated draws kept ρ inside its stable "
            "range; the estimate sits at the edge of the range"
        )
    return kit.effects(np.vstack(accepted)), rejected


def simulate(
    kit: EffectsKit,
    mean: Array,
    cov: Array,
    *,
    draws: int,
    seed: int | None,
    engine: Any,
    level: float = 0.95,
    keep: bool = False,
) -> SpatialEffects:
    """Effects at ``mean`` with simulated standard errors (see the module docstring)."""
    if draws < 2:
        raise EstimationError(f"spatial effects: draws must be at least 2; got {draws}")
    point = kit.effects(mean)[0]
    chunks = min(10, draws)
    sizes = [draws // chunks + (1 if i < draws % chunks else 0) for i in range(chunks)]
    seeds = np.random.SeedSequence(seed).spawn(chunks)
    results = run_tasks(
        engine,
        _draw_task,
        list(zip(seeds, sizes, strict=True)),
        (kit, mean, cov),
        label="spatial effect draws",
        sizes=sizes,
    )
    samples = np.concatenate([r[0] for r in results], axis=0)
    rejected = sum(r[1] for r in results)
    se = samples.std(axis=0, ddof=1)
    a = (1.0 - level) / 2.0
    low, high = np.quantile(samples, [a, 1.0 - a], axis=0)
    table = _table(kit.terms, point, se, low, high)
    return SpatialEffects(table, "simulation", draws, rejected, seed, samples if keep else None)


def delta_effects(
    kit: EffectsKit, mean: Array, cov: Array, *, level: float = 0.95
) -> SpatialEffects:
    """Effects with delta-method standard errors: Var = J·V·J', J the numerical Jacobian of the
    effects in the parameters (central differences; Stata ``estat impact``)."""
    point = kit.effects(mean)[0]
    used = sorted({*kit.beta_idx, *(i for i in kit.theta_idx if i >= 0), *kit.rho_idx})
    jac = np.zeros((point.size, len(mean)))
    for i in used:
        h = 1e-6 * max(abs(float(mean[i])), 0.1)
        up, down = mean.copy(), mean.copy()
        up[i] += h
        down[i] -= h
        jac[:, i] = (kit.effects(up)[0] - kit.effects(down)[0]).ravel() / (2.0 * h)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, cov, jac), 0.0)).reshape(point.shape)
    q = stats.norm.isf((1.0 - level) / 2.0)
    return SpatialEffects(_table(kit.terms, point, se, point - q * se, point + q * se), "delta")


def linear_effects(
    terms: list[str],
    params: Array,
    vcov: Array,
    beta_idx: list[int],
    theta_idx: list[int],
    mean_row_sum: float,
    level: float = 0.95,
) -> SpatialEffects:
    """Exact effects of SEM and SDEM: direct β, indirect c̄θ, total β + c̄θ (c̄ = 1'W1/N)."""
    k = len(terms)
    point = np.zeros((3, k))
    se = np.zeros((3, k))
    for j, (bi, ti) in enumerate(zip(beta_idx, theta_idx, strict=True)):
        for e, weights in enumerate(((1.0, 0.0), (0.0, mean_row_sum), (1.0, mean_row_sum))):
            g = np.zeros(len(params))
            g[bi] += weights[0]
            if ti >= 0:
                g[ti] += weights[1]
            point[e, j] = float(g @ params)
            se[e, j] = float(np.sqrt(max(float(g @ vcov @ g), 0.0)))
    q = stats.norm.isf((1.0 - level) / 2.0)
    return SpatialEffects(_table(terms, point, se, point - q * se, point + q * se), "exact")


def spatial_effects(
    w: SpatialWeights,
    rho: float,
    beta: pd.Series | dict[str, float],
    theta: pd.Series | dict[str, float] | None = None,
) -> pd.DataFrame:
    """Direct, indirect and total effects of a spatial-lag model at given parameters.

    direct_k = tr(S_k)/N, total_k = 1'S_k1/N, indirect_k = total_k − direct_k with
    S_k = (I − ρW)⁻¹(β_k I + θ_k W) (LeSage & Pace 2009, §2.7; methods note §4.4).

    Parameters
    ----------
    w : SpatialWeights
        The weight matrix.
    rho : float
        ρ; must lie in W's stable interval (1/ω_min, 1/ω_max).
    beta, theta : Series or dict
        β_k and (SDM) θ_k by term.

    Returns
    -------
    DataFrame
        Index: terms; columns: direct, indirect, total.
    """
    lo, hi = w.stable_interval()
    if not lo < rho < hi:
        raise EstimationError(
            f"spatial_effects: rho = {rho:g} is outside the stable range ({lo:.6g}, {hi:.6g}) of "
            f"{w.name!r}: I − ρW is not invertible with a positive determinant there"
        )
    b = pd.Series(beta, dtype=float)
    th = pd.Series(theta if theta is not None else {}, dtype=float).reindex(b.index).fillna(0.0)
    terms = list(b.index)
    k = len(terms)
    params = np.concatenate([b.to_numpy(), th.to_numpy(), [rho]])
    kit = EffectsKit.for_lag(w, terms, list(range(k)), list(range(k, 2 * k)), [2 * k])
    values = kit.effects(params)[0]
    return pd.DataFrame(
        values.T, index=pd.Index(terms, name="term"), columns=["direct", "indirect", "total"]
    )
