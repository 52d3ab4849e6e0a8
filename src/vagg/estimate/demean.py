"""Demeaning by fixed effects: exact for "one large + a few small" effects, iterative otherwise.

Demeaning a column ``x`` by fixed effects is the residual of the (weighted) least-squares
projection of ``x`` on all fixed-effect dummies, ``x̃ = x − D(D'WD)⁻D'Wx`` — the
Frisch–Waugh–Lovell step of a fixed-effects regression (methods notes §11.2; Frisch & Waugh
1933, Lovell 1963). OLS of ``ỹ`` on ``X̃`` gives the fixed-effects estimates.

**Exact method** (``method="exact"``) for the common panel case — one *large* effect (firms)
and *small* ones (industries, years). Write the dummies as ``[B, S]`` (``B``: the large effect,
``S``: the small ones stacked, ``L`` columns in all). With ``M_B`` the within-``B``
transformation (subtract weighted group means):

1. ``x̄ = M_B x`` (exact, by group sums).
2. The small effects' coefficients solve the normal equations after partialling out ``B``::

       (S'W M_B S) γ = S'W x̄,   S'W M_B S = S'WS − A' N_B⁻¹ A,   A = B'WS,

   a dense ``L × L`` system (``N_B`` = diag of the large groups' weights). ``S'WS`` and ``A``
   are built with sparse products (counts of rows per pair of levels), and the system is
   solved by a pivoted Cholesky factorisation (LAPACK ``dpstrf``) of its diagonally scaled
   form, which also gives its rank: the redundant levels (one per small effect, more when the
   effects are disconnected or nested in the large one) are pivoted out.
3. ``x̃ = x̄ − M_B S γ``.

There is no iteration and no tolerance: the result is the projection to machine precision,
for any number of columns at once. The cost is a few passes over the data plus ``O(L³)``;
when the data are sorted by the large effect (:func:`demean` sorts them when they are not),
the group sums and broadcasts are sequential memory passes.

**Iterative method** (``method="alternating"``): the method of alternating projections, with
pyfixest's compiled implementation (``pyfixest.estimation.demean``; Gaure 2013, Correia 2017),
for effects whose small part is too large for a dense system.

``method="auto"`` uses the within transformation for one effect, the exact method when the
small effects have at most ``max_small_levels`` levels in all (default 5,000: the dense
``L × L`` factorisation then takes at most a few seconds and 200 MB), and alternating
projections otherwise (tolerance 1e-10 by default; they can be slow when the effects are weakly
connected, see ``benchmarks/README.md``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack, solve_triangular

from .errors import EstimationError

DemeanMethod = Literal["auto", "exact", "alternating", "within"]

#: Above this many small-effect levels in all, ``method="auto"`` iterates instead.
MAX_SMALL_LEVELS = 5000
#: Pivots below this (on the unit-diagonal scaled system) mark redundant levels.
RANK_TOL = 1e-10


@dataclass
class DemeanResult:
    """Demeaned columns and how they were obtained.

    ``absorbed_rank`` is the exact rank of the fixed-effect dummy matrix (the degrees of freedom
    the effects absorb) when the method computes it (within and exact), else ``None``.
    """

    values: np.ndarray
    method: str
    absorbed_rank: int | None
    converged: bool
    seconds: float
    large_effect: int | None = None


def compact_codes(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber integer codes to ``0..G−1`` (keeping their order); returns (codes, G)."""
    codes = np.asarray(codes)
    if codes.size == 0:
        return codes.astype(np.int64), 0
    present = np.bincount(codes.astype(np.int64)) > 0
    new = np.cumsum(present) - 1
    return new[codes].astype(np.int64), int(present.sum())


def indicator_matrix(
    codes: np.ndarray, n_levels: int, weights: np.ndarray | None = None
) -> sp.csr_matrix:
    """The sparse ``(G × n)`` matrix ``B'`` (``B'[g, i] = w_i`` if row ``i`` is in level ``g``).

    ``B' @ X`` gives the (weighted) group sums of the columns of ``X`` in one pass; when the
    codes are sorted the pass is sequential in memory.
    """
    n = len(codes)
    counts = np.bincount(codes, minlength=n_levels)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    if n > 1 and np.any(codes[1:] < codes[:-1]):
        indices = np.argsort(codes, kind="stable")
    else:
        indices = np.arange(n)
    data = np.ones(n) if weights is None else np.asarray(weights, dtype=float)[indices]
    return sp.csr_matrix((data, indices, indptr), shape=(n_levels, n))


class _Groups:
    """Weighted group sums and means of one effect, via a sparse (G × n) indicator."""

    def __init__(self, codes: np.ndarray, n_levels: int, weights: np.ndarray | None) -> None:
        self.codes = codes
        self.n_levels = n_levels
        self.indicator = indicator_matrix(codes, n_levels, weights)
        self.total = np.asarray(self.indicator.sum(axis=1)).ravel()

    def means(self, x: np.ndarray) -> np.ndarray:
        return (self.indicator @ x) / self.total[:, None]

    def within(self, x: np.ndarray) -> np.ndarray:
        return x - self.means(x)[self.codes]


def _as_2d(x: np.ndarray) -> tuple[np.ndarray, bool]:
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 1:
        return arr[:, None], True
    if arr.ndim != 2:
        raise EstimationError(f"demean: x must be 1-d or 2-d; got shape {arr.shape}")
    return arr, False


def _check_codes(fixed_effects: Sequence[np.ndarray], n: int) -> list[tuple[np.ndarray, int]]:
    out = []
    for j, codes in enumerate(fixed_effects):
        c = np.asarray(codes)
        if c.shape != (n,):
            raise EstimationError(f"demean: fixed effect {j} has shape {c.shape}, expected ({n},)")
        if not np.issubdtype(c.dtype, np.integer) or (n and c.min() < 0):
            raise EstimationError(f"demean: fixed effect {j} must hold non-negative integer codes")
        out.append(compact_codes(c))
    return out


class _PsdSolver:
    """Minimum-pivot solutions of a consistent PSD system, and its numerical rank.

    The system is scaled to unit diagonal and factorised once with complete (diagonal) pivoting,
    ``P'ΣP = LL'``; the trailing pivots below :data:`RANK_TOL` are treated as zero (the
    redundant levels), and their coefficients set to 0.
    """

    def __init__(self, system: np.ndarray) -> None:
        diag = np.diag(system).copy()
        self.scale = np.sqrt(np.where(diag > 0, diag, 1.0))
        scaled = system / self.scale[:, None] / self.scale[None, :]
        chol, piv, rank, info = lapack.dpstrf(scaled, tol=RANK_TOL, lower=1)
        if info < 0:
            raise EstimationError(f"demean: pivoted Cholesky failed (LAPACK info={info})")
        self.rank = int(rank)
        self.kept = piv[: self.rank] - 1
        self.lower = np.tril(chol[: self.rank, : self.rank])

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        b = rhs[self.kept] / self.scale[self.kept, None]
        y = solve_triangular(self.lower, b, lower=True, check_finite=False)
        z = solve_triangular(self.lower.T, y, lower=False, check_finite=False)
        out = np.zeros_like(rhs)
        out[self.kept] = z / self.scale[self.kept, None]
        return out


def demean_within(
    x: np.ndarray, codes: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """One-way within transformation ``x_it − x̄_i`` (weighted means when ``weights`` given)."""
    arr, flat = _as_2d(x)
    codes, g = compact_codes(np.asarray(codes))
    out = _Groups(codes, g, weights).within(arr)
    return out[:, 0] if flat else out


def _exact(
    x: np.ndarray, effects: list[tuple[np.ndarray, int]], weights: np.ndarray | None, large: int
) -> tuple[np.ndarray, int]:
    """The exact method (module docstring), organised to pass over the rows only four times.

    With ``m = N_B⁻¹B'Wx`` (the large groups' means) and ``A = B'WS``:
    ``S'W M_B x = S'Wx − A'm``, ``M_B Sγ = Sγ − (N_B⁻¹Aγ)[large code]``, hence
    ``x̃ = x − Sγ − (m − N_B⁻¹Aγ)[large code]``. The small effects are then fitted once more to
    the result (iterative refinement), which removes the rounding left by the cancellation in
    ``S'Wx − A'm``.
    """
    n = x.shape[0]
    big_codes, big_levels = effects[large]
    big = _Groups(big_codes, big_levels, weights)
    means = big.means(x)
    small = [e for j, e in enumerate(effects) if j != large]
    if not small:
        return x - means[big_codes], big_levels
    offsets = np.cumsum([0] + [g for _, g in small])
    n_small = int(offsets[-1])
    cols = np.column_stack([c + off for (c, _), off in zip(small, offsets[:-1], strict=True)])
    m = cols.shape[1]
    s_mat = sp.csr_matrix(
        (np.ones(n * m), cols.ravel(), np.arange(0, n * m + 1, m)), shape=(n, n_small)
    )
    s_weighted = s_mat if weights is None else sp.csr_matrix(s_mat.multiply(weights[:, None]))
    sws = sp.csr_matrix(s_mat.T @ s_weighted)
    cross = sp.csr_matrix(big.indicator @ s_mat)  # A = B'WS  (G × L)
    cross_t = sp.csr_matrix(cross.T)
    inv_total = 1.0 / big.total

    system = sws.toarray() - (cross_t @ sp.diags(inv_total) @ cross).toarray()
    solver = _PsdSolver((system + system.T) / 2)

    def project_out(target: np.ndarray, rhs: np.ndarray, group_part: np.ndarray) -> np.ndarray:
        gamma = solver.solve(rhs)
        group_part = group_part - inv_total[:, None] * (cross @ gamma)
        return target - s_mat @ gamma - group_part[big_codes]

    out = project_out(x, s_weighted.T @ x - cross_t @ means, means)
    # S'W x − A'm cancels large sums; one refinement on the residual itself restores full
    # precision (its large-group means are zero, so only the small effects are re-fitted)
    out = project_out(out, s_weighted.T @ out, np.zeros_like(means))
    return out, big_levels + solver.rank


def demean_alternating(
    x: np.ndarray,
    fixed_effects: Sequence[np.ndarray],
    weights: np.ndarray | None = None,
    tol: float = 1e-10,
    maxiter: int = 100_000,
) -> tuple[np.ndarray, bool]:
    """Alternating projections (pyfixest's compiled MAP demeaner). Returns (values, converged)."""
    from pyfixest.estimation import demean as map_demean

    arr, flat = _as_2d(x)
    flist = np.column_stack([np.asarray(c) for c in fixed_effects]).astype(np.uint64)
    w = np.ones(arr.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    out, ok = map_demean(np.ascontiguousarray(arr), flist, w, tol=tol, maxiter=maxiter)
    out = np.asarray(out)
    return (out[:, 0] if flat else out), bool(ok)


def demean(
    x: np.ndarray,
    fixed_effects: Sequence[np.ndarray],
    weights: np.ndarray | None = None,
    *,
    method: DemeanMethod = "auto",
    max_small_levels: int = MAX_SMALL_LEVELS,
    tol: float = 1e-10,
    maxiter: int = 100_000,
) -> DemeanResult:
    """Residuals of the (weighted) projection of each column of ``x`` on fixed-effect dummies.

    Parameters
    ----------
    x:
        ``(n,)`` or ``(n, p)`` array of columns to demean (no missing values).
    fixed_effects:
        One integer code array of length ``n`` per effect (any non-negative codes; interacted
        effects must be combined into one code beforehand).
    weights:
        Positive observation weights (weighted least squares); ``None`` for equal weights.
    method:
        ``"auto"`` (see the module docstring), ``"exact"``, ``"alternating"`` or
        ``"within"`` (one effect only).
    max_small_levels:
        The ``auto`` switch from exact to alternating projections.
    tol, maxiter:
        Convergence tolerance and iteration cap of the alternating projections.
    """
    started = time.perf_counter()
    arr, flat = _as_2d(x)
    n = arr.shape[0]
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (n,) or not np.all(weights > 0):
            raise EstimationError("demean: weights must be positive, one per row")
    effects = _check_codes(fixed_effects, n)
    if not effects:
        raise EstimationError("demean: at least one fixed effect is needed")
    levels = [g for _, g in effects]
    large = int(np.argmax(levels))
    small_levels = sum(levels) - levels[large]
    if method == "auto":
        if len(effects) == 1:
            method = "within"
        elif small_levels <= max_small_levels:
            method = "exact"
        else:
            method = "alternating"
    if method == "within" and len(effects) > 1:
        raise EstimationError("demean: method='within' takes exactly one fixed effect")
    converged = True
    rank: int | None
    if method in ("within", "exact"):
        order = None
        big_codes = effects[large][0]
        if n > 1 and np.any(big_codes[1:] < big_codes[:-1]):
            order = np.argsort(big_codes, kind="stable")
            arr = arr[order]
            effects = [(c[order], g) for c, g in effects]
            weights = None if weights is None else weights[order]
        values, rank = _exact(arr, effects, weights, large)
        if order is not None:
            restored = np.empty_like(values)
            restored[order] = values
            values = restored
    elif method == "alternating":
        values, converged = demean_alternating(
            arr, [c for c, _ in effects], weights, tol=tol, maxiter=maxiter
        )
        values = values.reshape(arr.shape)
        rank = None
    else:
        raise EstimationError(
            f"demean: unknown method {method!r}; use 'auto', 'exact', 'alternating' or 'within'"
        )
    if flat:
        values = values[:, 0]
    return DemeanResult(
        values=values,
        method=method,
        absorbed_rank=rank,
        converged=converged,
        seconds=time.perf_counter() - started,
        large_effect=large if method != "alternating" else None,
    )
