"""Real-coded accelerating genetic algorithm (RAGA) with a final local polish on the sphere.

RAGA (Jin, Yang & Ding 2000–2002; methods notes §1.2) maximises the projection index over
``b ∈ [0, 1]^m`` with the direction ``a = b / ‖b‖``. One *acceleration cycle*:

1. draw a population of ``population`` points uniformly in the current box ``[lo, hi]``
   (the elites of the previous cycle are carried over);
2. for ``generations`` evolution iterations: sort by ``Q``; draw by rank-based roulette
   (``p_i ∝ population − i``) a selected set S1; crossover children S2
   (``u·P1 + (1 − u)·P2`` with probability ``crossover``, else a copy of ``P1``); mutants S3
   (a selected parent, replaced by a fresh uniform draw in the box with probability
   ``mutation``); keep the best ``population`` of parents ∪ S1 ∪ S2 ∪ S3;
3. shrink the box to the range of the ``elite`` best individuals (the *acceleration*).

A run stops after ``accelerations`` cycles, after ``stall`` cycles without improvement, or
when the widest side of the box is below ``box_tol``. Because the box can collapse onto a
local optimum (methods notes §1.2, pitfalls), ``restarts`` independent runs start from the full
box. The best point ever seen is kept (not the box midpoint). A Nelder–Mead polish
(``scipy.optimize.minimize``) in hyperspherical angles ``θ ∈ [0, π/2]^{m−1}`` — the
non-negative part of the unit sphere, without the flat radial direction of ``b`` — then
refines it and a few distinct elites of each run; a polished point is kept only if it raises
``Q``.

Selection is rank-based rather than Jin's ``F = 1/(f² + 0.001)`` so that the search does not
depend on the scale of ``Q``. Written here because RAGA is not in any maintained library; the
independent check is scipy's ``differential_evolution`` (tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from vagg.estimate.composite.index import unit_direction

__all__ = ["RagaOptions", "RagaResult", "angles_to_direction", "direction_to_angles", "raga"]


@dataclass(frozen=True)
class RagaOptions:
    """RAGA settings (defaults from the methods notes §1.2).

    Attributes
    ----------
    population : int
        Individuals per generation.
    crossover : float
        Crossover probability ``p_c``.
    mutation : float
        Mutation probability ``p_m``.
    elite : int
        Individuals that define the shrunken box.
    generations : int
        Evolution iterations per acceleration cycle.
    accelerations : int
        Maximum number of acceleration cycles.
    box_tol : float
        Stop when the widest side of the box is below this.
    stall : int
        Stop a run after this many cycles without improvement.
    restarts : int
        Independent runs from the full box (the best is kept).
    polish : bool
        Run the Nelder–Mead polish on the sphere after the genetic search.
    polish_starts : int
        Distinct elites of each run polished besides the overall best.
    """

    population: int = 300
    crossover: float = 0.8
    mutation: float = 0.2
    elite: int = 20
    generations: int = 2
    accelerations: int = 20
    box_tol: float = 1e-6
    stall: int = 4
    restarts: int = 4
    polish: bool = True
    polish_starts: int = 2


@dataclass(frozen=True)
class RagaResult:
    """Outcome of :func:`raga`: the best unit direction, its ``Q``, the ``Q`` before the polish,
    the number of index evaluations and of acceleration cycles run."""

    direction: np.ndarray
    q: float
    q_genetic: float
    evaluations: int
    cycles: int


def direction_to_angles(a: np.ndarray) -> np.ndarray:
    """Hyperspherical angles ``θ_k = atan2(‖a_{k+1:}‖, a_k)`` of a non-negative unit vector."""
    a = np.abs(np.asarray(a, dtype=float))
    tail = np.sqrt(np.cumsum((a**2)[::-1])[::-1])
    return np.arctan2(tail[1:], a[:-1])


def angles_to_direction(theta: np.ndarray) -> np.ndarray:
    """Inverse of :func:`direction_to_angles`: ``a_k = cos θ_k · Π_{l<k} sin θ_l``."""
    theta = np.asarray(theta, dtype=float)
    sines = np.concatenate([[1.0], np.cumprod(np.sin(theta))])
    cosines = np.concatenate([np.cos(theta), [1.0]])
    return np.abs(sines * cosines)


def _rank_probabilities(size: int) -> np.ndarray:
    w = np.arange(size, 0, -1, dtype=float)
    return w / w.sum()


def raga(
    objective: Callable[[np.ndarray], np.ndarray],
    m: int,
    rng: np.random.Generator,
    options: RagaOptions | None = None,
) -> RagaResult:
    """Maximise ``objective`` over non-negative unit directions in ``R^m`` by RAGA + polish.

    Parameters
    ----------
    objective : callable
        Maps a ``P × m`` array of unit directions to ``P`` values of ``Q``.
    m : int
        Number of indicators.
    rng : numpy.random.Generator
        Source of all random draws (the same generator state gives the same answer).
    options : RagaOptions, optional
        Algorithm settings.

    Returns
    -------
    RagaResult
    """
    opt = options or RagaOptions()
    evaluations = 0

    def evaluate(b: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        evaluations += len(b)
        return np.asarray(objective(unit_direction(b)), dtype=float)

    best_b = np.full(m, 1.0 / np.sqrt(m))
    best_q = float(evaluate(best_b[None, :])[0])
    starts: list[np.ndarray] = []
    cycles = 0
    for _ in range(opt.restarts):
        run_b, run_q, run_cycles, elites = _one_run(evaluate, m, rng, opt)
        cycles += run_cycles
        starts.extend(elites)
        if run_q > best_q:
            best_q, best_b = run_q, run_b
    direction = unit_direction(best_b)
    q_genetic = best_q
    if opt.polish and m > 1:
        for start in [direction, *(unit_direction(b) for b in starts)]:
            cand, q, used = _polish(objective, start)
            evaluations += used
            if q > best_q:
                direction, best_q = cand, q
    return RagaResult(direction, best_q, q_genetic, evaluations, cycles)


def _one_run(
    evaluate: Callable[[np.ndarray], np.ndarray],
    m: int,
    rng: np.random.Generator,
    opt: RagaOptions,
) -> tuple[np.ndarray, float, int, list[np.ndarray]]:
    """One accelerating run from the full box: best point, its ``Q``, cycles run and the
    distinct best points of the last population (starting points for the polish)."""
    pop = opt.population
    probs = _rank_probabilities(pop)
    lo, hi = np.zeros(m), np.ones(m)
    best_b, best_q = np.full(m, 0.5), -np.inf
    carried: np.ndarray | None = None
    cycles = 0
    stalled = 0
    b = np.empty((0, m))
    for _ in range(opt.accelerations):
        cycles += 1
        b = lo + rng.random((pop, m)) * (hi - lo)
        if carried is not None:
            b[: len(carried)] = carried
        q = evaluate(b)
        for _ in range(opt.generations):
            order = np.argsort(-q, kind="stable")
            b, q = b[order], q[order]
            s1_idx = rng.choice(pop, size=pop, p=probs)
            s1, q1 = b[s1_idx], q[s1_idx]
            p1 = b[rng.choice(pop, size=pop, p=probs)]
            p2 = b[rng.choice(pop, size=pop, p=probs)]
            u = rng.random((3, pop))
            w = np.where(u[2] < 0.5, u[0], u[1])[:, None]
            s2 = np.where((rng.random(pop) < opt.crossover)[:, None], w * p1 + (1 - w) * p2, p1)
            s3 = b[rng.choice(pop, size=pop, p=probs)].copy()
            mutate = rng.random(pop) < opt.mutation
            s3[mutate] = lo + rng.random((int(mutate.sum()), m)) * (hi - lo)
            pool = np.vstack([b, s1, s2, s3])
            pool_q = np.concatenate([q, q1, evaluate(s2), evaluate(s3)])
            keep = np.argsort(-pool_q, kind="stable")[:pop]
            b, q = pool[keep], pool_q[keep]
        if q[0] > best_q * (1 + 1e-12):
            best_q, best_b = float(q[0]), b[0].copy()
            stalled = 0
        else:
            stalled += 1
        carried = b[: opt.elite].copy()
        lo, hi = carried.min(axis=0), carried.max(axis=0)
        if float(np.max(hi - lo)) < opt.box_tol or stalled >= opt.stall:
            break
    distinct: list[np.ndarray] = []
    for cand in b[: opt.elite]:
        if all(np.max(np.abs(unit_direction(cand) - unit_direction(d))) > 1e-3 for d in distinct):
            distinct.append(cand)
        if len(distinct) >= opt.polish_starts:
            break
    return best_b, best_q, cycles, distinct


def _polish(
    objective: Callable[[np.ndarray], np.ndarray], direction: np.ndarray
) -> tuple[np.ndarray, float, int]:
    """Nelder–Mead on the hyperspherical angles from ``direction``: the end point, its ``Q``
    and the number of evaluations."""
    m = len(direction)

    def negative(theta: np.ndarray) -> float:
        return -float(objective(angles_to_direction(theta)[None, :])[0])

    theta0 = direction_to_angles(direction)
    step = np.where(theta0 + 1e-3 > np.pi / 2, -1e-3, 1e-3)
    res = minimize(
        negative,
        theta0,
        method="Nelder-Mead",
        bounds=[(0.0, np.pi / 2)] * (m - 1),
        options={
            "xatol": 1e-10,
            "fatol": 1e-13,
            "maxiter": 4000 * m,
            "initial_simplex": theta0 + np.vstack([np.zeros(m - 1), np.diag(step)]),
        },
    )
    return angles_to_direction(res.x), -float(res.fun), int(res.nfev)
