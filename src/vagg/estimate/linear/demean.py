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

There is no iteration and no tolerance: the result is the projection to machine precision.
Everything that depends only on the effects and the weights (the row order, the system and
its factor) is computed once by :class:`PreparedDemeaner`, which then demeans any number of
columns with a few sequential passes each (the data are sorted by the large effect, so group
sums and broadcasts run through contiguous memory) plus two triangular solves of size ``L``;
:func:`demean` prepares one and applies it with one step of iterative refinement (a second
projection of the result). The cost is ``O(L³)`` once, then ``O(n + L²)`` per column.

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
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.linalg import blas, lapack, solve_triangular

from vagg.estimate.errors import EstimationError

__all__ = [
    "MAX_SMALL_LEVELS",
    "RANK_TOL",
    "DemeanResult",
    "PreparedDemeaner",
    "compact_codes",
    "demean",
    "demean_alternating",
    "demean_within",
    "indicator_matrix",
]

DemeanMethod = Literal["auto", "exact", "alternating", "within"]

#: Above this many small-effect levels in all, ``method="auto"`` iterates instead.
MAX_SMALL_LEVELS = 5000
#: Pivots below this (on the unit-diagonal scaled system) mark redundant levels.
RANK_TOL = 1e-10
#: ``A'N_B⁻¹A`` is formed with dense BLAS when ``A`` has at least this share of non-zeros ...
DENSE_CROSS_SHARE = 0.02
#: ... and at most this many entries (8 bytes each)
DENSE_CROSS_MAX_ENTRIES = 50_000_000


@dataclass
class DemeanResult:
    """Demeaned columns and how they were obtained.

    ``absorbed_rank`` is the exact rank of the fixed-effect dummy matrix (the degrees of freedom
    the effects absorb) when the method computes it (within and exact), else ``None``.
    ``prepared`` is the :class:`PreparedDemeaner` the exact and within methods used: it demeans
    further columns by the same effects and weights without factorising again.
    """

    values: np.ndarray
    method: str
    absorbed_rank: int | None
    converged: bool
    seconds: float
    large_effect: int | None = None
    prepared: PreparedDemeaner | None = field(default=None, repr=False)


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


def _check_weights(weights: np.ndarray | None, n: int) -> np.ndarray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,) or not np.all(w > 0):
        raise EstimationError("demean: weights must be positive, one per row")
    return w


def _cross_gram(cross: sp.csr_matrix, totals: np.ndarray) -> np.ndarray:
    """``A'N_B⁻¹A`` as a dense ``L × L`` array.

    When ``A`` (large-effect levels × small-effect levels) is dense enough — e.g. 5,000
    products × 3,000 destination-years of customs data, where most pairs occur — one symmetric
    rank-k update in BLAS (``dsyrk`` on ``N_B^{-1/2}A``) costs about a second, against tens of
    seconds for the sparse product; sparse ``A`` (firms × industries) keeps the sparse product.
    """
    n_large, n_small = cross.shape
    entries = n_large * n_small
    if 0 < entries <= DENSE_CROSS_MAX_ENTRIES and cross.nnz >= DENSE_CROSS_SHARE * entries:
        dense = cross.toarray()
        dense /= np.sqrt(totals)[:, None]
        upper = blas.dsyrk(1.0, dense.T, trans=0)  # (A')(A')' = A'A; dense.T is F-ordered
        return np.triu(upper) + np.triu(upper, 1).T
    return (cross.T @ sp.diags(1 / totals) @ cross).toarray()


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


class PreparedDemeaner:
    """``x ↦ M_D x`` for any number of columns, with the exact method prepared once.

    ``PreparedDemeaner(fixed_effects, weights)`` does, once, all the work that depends only on
    the effects and the weights: the order of the rows by the large effect ``B``, its group
    sizes and weights, and the small effects' system ``S'W M_B S`` with its pivoted Cholesky
    factor (module docstring). :meth:`demean` then costs a few sequential passes per column::

        x̄ = x − (N_B⁻¹B'Wx)[B]                 (within the large effect: group sums)
        γ = (S'W M_B S)⁻ S'W x̄                   (S'W M_B x = S'W x̄; the factor is reused)
        x̃ = x̄ − Sγ + (N_B⁻¹ B'WSγ)[B]            (= x̄ − M_B Sγ)

    The small effects enter through their observed combinations ("cells"): with ``C`` the
    ``n × c`` cell indicator and ``E`` the ``c × L`` map from cells to levels, ``S = CE``, so
    ``S'Wx̄ = E'(C'Wx̄)`` is one ``bincount`` and a small sparse product, and ``Sγ = (Eγ)[cell]``.
    Columns are processed one at a time on rows that stay in the CPU cache; demeaning a batch
    of columns as one ``n × p`` matrix streams ``n × p`` temporaries through memory instead and
    is several times slower (``benchmarks/README.md``).

    ``refine=True`` (the default) projects twice. ``M_D`` is idempotent, so the second pass is
    one step of iterative refinement: it removes what rounding left of the effects (the
    cancellation in ``S'Wx̄`` and the conditioning of the system when the effects are weakly
    connected), leaving group sums of the result near machine precision. ``refine=False``
    halves the cost, for callers that need the projection only to the accuracy of one solve
    (e.g. :func:`vagg.estimate.inference.placebo`, whose draws are checked against full refits).

    Parameters
    ----------
    fixed_effects:
        One integer code array of length ``n`` per effect (non-negative codes).
    weights:
        Positive observation weights; ``None`` for equal weights.

    Attributes
    ----------
    n_rows, large_effect (index of the effect with the most levels), absorbed_rank (exact rank
    of the dummy matrix ``D``), method (``"within"`` for one effect, else ``"exact"``).
    """

    def __init__(
        self, fixed_effects: Sequence[np.ndarray], weights: np.ndarray | None = None
    ) -> None:
        if not len(fixed_effects):
            raise EstimationError("demean: at least one fixed effect is needed")
        n = len(np.asarray(fixed_effects[0]))
        self._prepare(_check_codes(fixed_effects, n), _check_weights(weights, n))

    @classmethod
    def _checked(
        cls, effects: list[tuple[np.ndarray, int]], weights: np.ndarray | None
    ) -> PreparedDemeaner:
        """From codes and weights already validated by :func:`demean`."""
        self = cls.__new__(cls)
        self._prepare(effects, weights)
        return self

    def _prepare(self, effects: list[tuple[np.ndarray, int]], weights: np.ndarray | None) -> None:
        levels = [g for _, g in effects]
        large = int(np.argmax(levels))
        codes = effects[large][0]
        n = len(codes)
        self.n_rows = n
        self.large_effect = large
        self.method = "within" if len(effects) == 1 else "exact"
        self._order: np.ndarray | None = None
        if n > 1 and np.any(codes[1:] < codes[:-1]):
            # stable order of compact codes; numpy radix-sorts 16-bit keys (3× faster at 10⁷ rows)
            keys = codes.astype(np.uint16) if levels[large] <= 1 << 16 else codes
            self._order = np.argsort(keys, kind="stable")
            effects = [(c[self._order], g) for c, g in effects]
            weights = None if weights is None else weights[self._order]
            codes = effects[large][0]
        self._weights = weights
        self._counts = np.bincount(codes, minlength=levels[large])
        self._starts = np.concatenate([[0], np.cumsum(self._counts)[:-1]])
        w = np.ones(n) if weights is None else weights
        self._totals = np.add.reduceat(w, self._starts) if n else np.zeros(0)
        self._solver: _PsdSolver | None = None
        self.absorbed_rank = levels[large]
        small = [e for j, e in enumerate(effects) if j != large]
        if not small or n == 0:
            return
        cells = np.zeros(n, dtype=np.int64)
        for c, g in small:  # re-numbered after each effect, so the key never overflows
            cells = pd.factorize(cells * g + c)[0].astype(np.int64)
        n_cells = int(cells.max()) + 1
        first = np.empty(n_cells, dtype=np.int64)
        first[cells[::-1]] = np.arange(n - 1, -1, -1)
        offsets = np.cumsum([0] + [g for _, g in small])
        m = len(small)
        level_of_cell = np.column_stack(
            [c[first] + off for (c, _), off in zip(small, offsets[:-1], strict=True)]
        )
        self._cells = cells
        self._n_cells = n_cells
        self._cell_levels = sp.csr_matrix(  # E (c × L)
            (np.ones(n_cells * m), level_of_cell.ravel(), np.arange(0, n_cells * m + 1, m)),
            shape=(n_cells, int(offsets[-1])),
        )
        self._cell_levels_t = sp.csr_matrix(self._cell_levels.T)
        cell_weight = np.bincount(cells, weights=w, minlength=n_cells)
        group_cell = sp.csr_matrix((w, (codes, cells)), shape=(len(self._counts), n_cells))
        self._cross = sp.csr_matrix(group_cell @ self._cell_levels)  # A = B'WS  (G × L)
        sws = self._cell_levels_t @ sp.diags(cell_weight) @ self._cell_levels
        system = sws.toarray() - _cross_gram(self._cross, self._totals)
        self._solver = _PsdSolver((system + system.T) / 2)
        self.absorbed_rank += self._solver.rank

    def _project(self, x: np.ndarray) -> None:
        """``x ← M_D x`` for one contiguous column in the sorted row order."""
        w = self._weights
        means = np.add.reduceat(x if w is None else x * w, self._starts) / self._totals
        x -= np.repeat(means, self._counts)
        if self._solver is None:
            return
        sums = np.bincount(self._cells, weights=x if w is None else x * w, minlength=self._n_cells)
        gamma = self._solver.solve((self._cell_levels_t @ sums)[:, None])[:, 0]
        x -= (self._cell_levels @ gamma)[self._cells]
        x += np.repeat((self._cross @ gamma) / self._totals, self._counts)

    def demean_rows(self, batch: np.ndarray, *, refine: bool = True) -> None:
        """Demean, in place, each row of ``batch``: a C-contiguous float ``(k, n)`` array whose
        rows are columns of values in the order of the data (the layout of a batch of draws)."""
        if (
            batch.ndim != 2
            or batch.shape[1] != self.n_rows
            or batch.dtype != np.float64
            or not batch.flags.c_contiguous
        ):
            raise EstimationError(
                f"demean: demean_rows needs a C-contiguous float64 array of shape (k, "
                f"{self.n_rows}); got shape {batch.shape}, dtype {batch.dtype}"
            )
        if self.n_rows == 0:
            return
        order = self._order
        for row in batch:
            if order is not None:
                row[:] = row[order]
            self._project(row)
            if refine:
                self._project(row)
            if order is not None:
                row[order] = row.copy()

    def demean(self, columns: np.ndarray, *, refine: bool = True) -> np.ndarray:
        """``M_D x`` for an ``(n,)`` or ``(n, p)`` array (a new array of the same shape)."""
        arr, flat = _as_2d(columns)
        if arr.shape[0] != self.n_rows:
            raise EstimationError(
                f"demean: columns have {arr.shape[0]} rows; the fixed effects have {self.n_rows}"
            )
        batch = np.array(arr.T, dtype=float, order="C")
        self.demean_rows(batch, refine=refine)
        return batch[0] if flat else batch.T


def demean_within(
    x: np.ndarray, codes: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """One-way within transformation ``x_it − x̄_i`` (weighted means when ``weights`` given)."""
    return PreparedDemeaner([np.asarray(codes)], weights).demean(x)


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
    weights = _check_weights(weights, n)
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
    prepared: PreparedDemeaner | None = None
    if method in ("within", "exact"):
        prepared = PreparedDemeaner._checked(effects, weights)
        values = prepared.demean(arr)
        rank = prepared.absorbed_rank
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
        prepared=prepared,
    )
