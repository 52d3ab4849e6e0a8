"""The spatial weight matrix object: a sparse matrix that knows which unit each row is.

A :class:`SpatialWeights` holds an n × n sparse matrix W (w_ij ≥ 0 is the weight of unit j in
unit i's spatial lag, w_ii = 0) together with the ids of its n units, in row order. Every
builder in :mod:`vagg.weights` returns one, and every spatial estimator aligns it to the data
by id (:meth:`SpatialWeights.align`) instead of trusting the row order — a W built for the
provinces sorted by code and data sorted by name would otherwise pair the wrong neighbours
without any error.

Why an object of our own rather than libpysal's ``W``: libpysal's ``W`` is a dictionary of
neighbour lists built for exploratory analysis (its ``id_order`` can be changed in place,
islands only warn, and its eigenvalues are not cached); the estimators need an immutable
matrix with ids, cached eigenvalues and strict checks. Conversion both ways is in
:mod:`vagg.weights.convert`.

Row standardisation is W = D⁻¹C with D = diag(C·1) (methods note ``regional_and_estimators.md``
§3.3). When C is symmetric, W is similar to the symmetric D^{-1/2} C D^{-1/2}, whose
eigenvalues are real and cheap to compute (Ord 1975); the object remembers that matrix so that
:meth:`SpatialWeights.eigenvalues` is exact and fast for contiguity and distance matrices.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from .errors import WeightsError, ids_text

if TYPE_CHECKING:
    import libpysal

__all__ = ["SpatialWeights", "Standardize", "finish", "symmetric_similar"]

Standardize = Literal["row"] | None

#: Row sums within this distance of 1 count as row-standardised.
ROW_SUM_TOL = 1e-10


def _as_csr(matrix: Any) -> sp.csr_array:
    if sp.issparse(matrix):
        out = sp.csr_array(matrix, dtype=np.float64)
    else:
        out = sp.csr_array(np.asarray(matrix, dtype=np.float64))
    out.eliminate_zeros()
    out.sort_indices()
    return out


@dataclass(frozen=True, eq=False)
class SpatialWeights:
    """An n × n spatial weight matrix W with the ids of its units.

    Parameters
    ----------
    matrix : scipy.sparse array or array-like
        The weights w_ij (row i = the unit whose spatial lag Σ_j w_ij x_j is formed). Stored
        as a CSR array; explicit zeros are removed.
    ids : sequence of hashable
        One id per row (and column), unique, in row order: province codes, county codes,
        POLYIDs….
    name : str
        A short description used in messages and result summaries ("queen contiguity").
    info : mapping
        Provenance of the matrix (builder, conventions such as the Hainan–Guangdong link,
        power, cut-off, …); copied to estimation results.

    Notes
    -----
    The object is immutable: :meth:`row_standardize`, :meth:`subset` and :meth:`align`
    return new objects. Build one with the functions of :mod:`vagg.weights` (queen
    contiguity, inverse distance, economic distance, R&D-flow gravity weights) or convert
    one with :func:`vagg.weights.from_libpysal`, :func:`vagg.weights.from_sparse`,
    :func:`vagg.weights.from_frame` and :func:`vagg.weights.from_edges`.
    """

    matrix: sp.csr_array
    ids: tuple[Hashable, ...]
    name: str = "W"
    info: Mapping[str, Any] = field(default_factory=dict)
    _scale: npt.NDArray[np.float64] | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        matrix = _as_csr(self.matrix)
        ids = tuple(self.ids)
        n = len(ids)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise WeightsError(f"{self.name}: the weight matrix must be square; got {matrix.shape}")
        if matrix.shape[0] != n:
            raise WeightsError(
                f"{self.name}: {matrix.shape[0]}×{matrix.shape[1]} matrix but {n} ids; "
                "give one id per row"
            )
        if n == 0:
            raise WeightsError(f"{self.name}: the weight matrix has no units")
        counts = pd.Index(ids).value_counts()
        duplicated = list(counts.index[counts.to_numpy() > 1])
        if duplicated:
            raise WeightsError(f"{self.name}: ids must be unique; repeated: {ids_text(duplicated)}")
        data = matrix.data
        if not np.all(np.isfinite(data)):
            rows = np.unique(matrix.nonzero()[0][~np.isfinite(data)])
            raise WeightsError(
                f"{self.name}: weights must be finite; rows {ids_text([ids[i] for i in rows])} "
                "hold inf or NaN"
            )
        if np.any(data < 0):
            rows = np.unique(matrix.nonzero()[0][data < 0])
            raise WeightsError(
                f"{self.name}: weights must be non-negative; rows "
                f"{ids_text([ids[i] for i in rows])} hold negative weights"
            )
        diagonal = matrix.diagonal()
        if np.any(diagonal != 0):
            bad = [ids[i] for i in np.flatnonzero(diagonal)]
            raise WeightsError(
                f"{self.name}: the diagonal must be zero (a unit is not its own neighbour); "
                f"non-zero for {ids_text(bad)}"
            )
        object.__setattr__(self, "matrix", matrix)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "info", dict(self.info))

    # -- basic facts ---------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of units."""
        return len(self.ids)

    @property
    def index(self) -> pd.Index:
        """The ids as a pandas Index (row order)."""
        return pd.Index(list(self.ids), name="id")

    @property
    def links(self) -> int:
        """Number of non-zero weights (directed links; a symmetric pair counts twice)."""
        return int(self.matrix.nnz)

    @property
    def row_sums(self) -> npt.NDArray[np.float64]:
        """Σ_j w_ij for each row."""
        return np.asarray(self.matrix.sum(axis=1)).ravel()

    @property
    def islands(self) -> tuple[Hashable, ...]:
        """Ids of units without any neighbour (an all-zero row)."""
        counts = np.diff(self.matrix.indptr)
        return tuple(self.ids[i] for i in np.flatnonzero(counts == 0))

    @property
    def is_row_standardized(self) -> bool:
        """Whether every row sums to 1 (within 1e-10)."""
        return bool(np.all(np.abs(self.row_sums - 1.0) <= ROW_SUM_TOL))

    def is_symmetric(self, tol: float = 1e-12) -> bool:
        """Whether w_ij = w_ji for all pairs (within ``tol``, absolute)."""
        diff = self.matrix - self.matrix.T
        return bool(diff.nnz == 0 or np.max(np.abs(diff.data)) <= tol)

    def neighbors(self, unit: Hashable) -> dict[Hashable, float]:
        """The neighbours of ``unit`` and their weights, ``{id: w_ij}``."""
        i = self._position(unit)
        start, stop = self.matrix.indptr[i], self.matrix.indptr[i + 1]
        cols = self.matrix.indices[start:stop]
        return {
            self.ids[j]: float(w) for j, w in zip(cols, self.matrix.data[start:stop], strict=True)
        }

    def _position(self, unit: Hashable) -> int:
        try:
            return self.ids.index(unit)
        except ValueError:
            raise WeightsError(f"{self.name}: unit {unit!r} is not among its ids") from None

    # -- checks ----------------------------------------------------------------------------
    def check(
        self,
        *,
        islands: bool = False,
        symmetric: bool = False,
        row_standardized: bool = False,
    ) -> SpatialWeights:
        """Raise :class:`~vagg.weights.errors.WeightsError` unless W passes the checks asked.

        Parameters
        ----------
        islands : bool
            Allow units without neighbours (default: refuse them, naming their ids).
        symmetric : bool
            Require w_ij = w_ji.
        row_standardized : bool
            Require every row to sum to 1.

        Returns
        -------
        SpatialWeights
            ``self``, so that checks chain.
        """
        if not islands and self.islands:
            raise WeightsError(
                f"{self.name}: {len(self.islands)} unit(s) have no neighbour (islands): "
                f"{ids_text(self.islands)}; link them (e.g. Hainan–Guangdong) or drop them"
            )
        if symmetric and not self.is_symmetric():
            diff = abs(self.matrix - self.matrix.T).tocoo()
            pairs = [
                (self.ids[i], self.ids[j]) for i, j in zip(diff.row, diff.col, strict=True) if i < j
            ]
            raise WeightsError(f"{self.name}: W is not symmetric; e.g. pairs {ids_text(pairs)}")
        if row_standardized and not self.is_row_standardized:
            sums = self.row_sums
            bad = [self.ids[i] for i in np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_TOL)]
            raise WeightsError(
                f"{self.name}: W is not row-standardised (rows of {ids_text(bad)} do not sum "
                "to 1); call .row_standardize() first"
            )
        return self

    # -- transformations -------------------------------------------------------------------
    def row_standardize(self) -> SpatialWeights:
        """W = D⁻¹C with D = diag(C·1): every row sums to 1 (methods note §3.3).

        Raises :class:`~vagg.weights.errors.WeightsError` naming the islands, whose rows
        cannot be standardised. When C is symmetric the result remembers D^{-1/2}CD^{-1/2},
        the symmetric matrix similar to W, for real eigenvalues (Ord 1975).
        """
        if self.islands:
            raise WeightsError(
                f"{self.name}: cannot row-standardise: {len(self.islands)} unit(s) have no "
                f"neighbour (islands): {ids_text(self.islands)}"
            )
        sums = self.row_sums
        standardized = sp.csr_array(sp.diags_array(1.0 / sums) @ self.matrix)
        scale = None
        if self.is_symmetric():
            scale = sums
        elif self._scale is not None:
            scale = self._scale * sums
        info = {**self.info, "standardized": "row"}
        return SpatialWeights(standardized, self.ids, self.name, info, scale)

    def align(self, ids: Iterable[Hashable], *, what: str = "data") -> SpatialWeights:
        """W with its rows and columns reordered to ``ids`` (the units of ``what``).

        Parameters
        ----------
        ids : iterable of hashable
            The units in the order wanted (e.g. the unit ids of a data set).
        what : str
            What ``ids`` are, for the error message ("data").

        Returns
        -------
        SpatialWeights
            ``self`` when the order already agrees, else the permuted matrix.

        Raises
        ------
        WeightsError
            Naming the ids that are in one and not the other, or repeated; nothing is dropped
            or added silently.
        """
        wanted = list(ids)
        mine = pd.Index(list(self.ids))
        theirs = pd.Index(wanted)
        if theirs.has_duplicates:
            dup = list(theirs[theirs.duplicated()].unique())
            raise WeightsError(f"{what}: unit ids repeat: {ids_text(dup)}")
        missing_in_w = list(theirs.difference(mine, sort=False))
        missing_in_data = list(mine.difference(theirs, sort=False))
        if missing_in_w or missing_in_data:
            parts = []
            if missing_in_w:
                parts.append(
                    f"{len(missing_in_w)} id(s) of {what} not in W: {ids_text(missing_in_w)}"
                )
            if missing_in_data:
                parts.append(
                    f"{len(missing_in_data)} id(s) of W not in {what}: {ids_text(missing_in_data)}"
                )
            hint = ""
            if set(map(str, wanted)) == set(map(str, self.ids)):
                hint = " (the ids agree as text: convert one side, e.g. codes to str)"
            raise WeightsError(
                f"{self.name} is not aligned with {what}: " + "; ".join(parts) + hint
            )
        if list(self.ids) == wanted:
            return self
        order = mine.get_indexer(theirs)
        return self._take(order)

    def subset(
        self, ids: Iterable[Hashable], *, standardize: Standardize = "row"
    ) -> SpatialWeights:
        """The block of W among ``ids`` (in that order), re-row-standardised by default.

        Used for subsamples (the coastal provinces of paper 004: "the within-group block,
        re-row-standardised", spec 004 §8).

        Parameters
        ----------
        ids : iterable of hashable
            The units to keep, in the order wanted.
        standardize : {"row", None}
            Row-standardise the block (default) or keep its weights.

        Returns
        -------
        SpatialWeights

        Raises
        ------
        WeightsError
            Naming ids not in W, or the islands the cut creates (when standardising).
        """
        wanted = list(ids)
        unknown = [u for u in wanted if u not in set(self.ids)]
        if unknown:
            raise WeightsError(f"{self.name}: subset ids not in W: {ids_text(unknown)}")
        order = pd.Index(list(self.ids)).get_indexer(pd.Index(wanted))
        block = self._take(order, keep_scale=False)
        info = {**self.info, "subset_of": self.n}
        block = SpatialWeights(block.matrix, block.ids, self.name, info)
        if standardize == "row":
            return block.row_standardize()
        return block

    def _take(self, order: npt.NDArray[np.intp], *, keep_scale: bool = True) -> SpatialWeights:
        matrix = self.matrix[order][:, order]
        scale = self._scale[order] if keep_scale and self._scale is not None else None
        ids = tuple(self.ids[i] for i in order)
        return SpatialWeights(matrix, ids, self.name, self.info, scale)

    def with_name(self, name: str) -> SpatialWeights:
        """The same matrix under another name."""
        return replace(self, name=name, _cache={})

    # -- linear algebra ----------------------------------------------------------------------
    def lag(self, values: Any) -> Any:
        """The spatial lag (W·x)_i = Σ_j w_ij x_j.

        Parameters
        ----------
        values : Series or array-like
            A pandas Series indexed by the ids (aligned by id, any order) or an array whose
            first axis follows the row order.

        Returns
        -------
        Series or ndarray
            A Series indexed by the ids for a Series in, else an array.
        """
        if isinstance(values, pd.Series):
            missing = [u for u in self.ids if u not in values.index]
            if missing:
                raise WeightsError(f"{self.name}.lag: values lack ids {ids_text(missing)}")
            x = values.loc[list(self.ids)].to_numpy(dtype=float)
            return pd.Series(self.matrix @ x, index=self.index, name=values.name)
        array = np.asarray(values, dtype=float)
        if array.shape[0] != self.n:
            raise WeightsError(
                f"{self.name}.lag: values have {array.shape[0]} rows, W has {self.n}"
            )
        return self.matrix @ array

    def eigenvalues(self) -> npt.NDArray[Any]:
        """The eigenvalues ω of W, sorted ascending (real array when all are real).

        Exact: from the symmetric similar matrix when W is a row-standardised symmetric
        matrix or symmetric itself (``numpy.linalg.eigvalsh``), otherwise from
        ``numpy.linalg.eigvals`` of the dense W (O(n³): a few seconds at n = 3,000). Cached.
        """
        if "eig" not in self._cache:
            self._cache["eig"] = _eigenvalues(self)
        return np.asarray(self._cache["eig"])

    def has_real_spectrum(self) -> bool:
        """Whether W is symmetric or similar to a symmetric matrix (so its eigenvalues are real
        and come from the fast symmetric solver)."""
        return symmetric_similar(self) is not None

    def stable_interval(self) -> tuple[float, float]:
        """The interval (1/ω_min, 1/ω_max) of ρ around 0 in which I − ρW is non-singular.

        ω_min and ω_max are the smallest and largest real eigenvalues of W (complex ones never
        make I − ρW singular for real ρ). For a row-standardised W, ω_max = 1 (LeSage & Pace
        2009, §4.1).
        """
        if "interval" not in self._cache:
            self._cache["interval"] = _stable_interval(self)
        lo, hi = self._cache["interval"]
        return float(lo), float(hi)

    # -- conversion --------------------------------------------------------------------------
    def to_sparse(self) -> sp.csr_array:
        """The matrix as a scipy CSR array (a copy), rows in the order of :attr:`ids`."""
        return self.matrix.copy()

    def to_frame(self) -> pd.DataFrame:
        """The dense matrix as a DataFrame labelled by ids (rows and columns)."""
        index = self.index
        return pd.DataFrame(self.matrix.toarray(), index=index, columns=index.copy())

    def to_libpysal(self) -> libpysal.weights.W:
        """A libpysal ``W`` with the same ids (``id_order``) and weights, e.g. for spreg or
        esda: transform ``"O"`` (original), standardised or not as ``self`` is; rows without
        neighbours become libpysal islands."""
        from libpysal.weights import W

        neighbors: dict[Hashable, list[Hashable]] = {}
        values: dict[Hashable, list[float]] = {}
        matrix = self.matrix
        for i, unit in enumerate(self.ids):
            start, stop = matrix.indptr[i], matrix.indptr[i + 1]
            neighbors[unit] = [self.ids[j] for j in matrix.indices[start:stop]]
            values[unit] = [float(v) for v in matrix.data[start:stop]]
        return W(neighbors, values, id_order=list(self.ids), silence_warnings=True)

    def __repr__(self) -> str:
        kind = "row-standardised" if self.is_row_standardized else "not standardised"
        return f"<SpatialWeights {self.name!r}: n={self.n}, links={self.links}, {kind}>"


def symmetric_similar(
    w: SpatialWeights,
) -> tuple[sp.csr_array, npt.NDArray[np.float64]] | None:
    """(S, d): a symmetric S = D^{1/2} W D^{-1/2} similar to W, D = diag(d); None if none.

    W = D⁻¹C with C symmetric (a row-standardised contiguity or distance matrix, whatever
    built it) exactly when there are d_i > 0 with d_i·w_ij = d_j·w_ji for every pair; the
    scales are found by walking each connected component from a root (d_j = d_i·w_ij/w_ji)
    and then checked on every link. W then has real eigenvalues (those of S) and the
    eigenvectors D^{-1/2}U of S's eigenvectors U (Ord 1975). Cached on the object.
    """
    if "similar" in w._cache:
        cached: tuple[sp.csr_array, npt.NDArray[np.float64]] | None = w._cache["similar"]
        return cached
    scale = w._scale
    if scale is None:
        scale = np.ones(w.n) if w.is_symmetric() else _symmetrizing_scale(w.matrix)
    result = None
    if scale is not None:
        root = np.sqrt(scale)
        s = sp.csr_array(sp.diags_array(root) @ w.matrix @ sp.diags_array(1.0 / root))
        result = (sp.csr_array((s + s.T) / 2.0), np.asarray(scale, dtype=float))
    w._cache["similar"] = result
    return result


def _symmetrizing_scale(matrix: sp.csr_array) -> npt.NDArray[np.float64] | None:
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    pattern = sp.csr_array((np.ones_like(matrix.data), matrix.indices, matrix.indptr), matrix.shape)
    if (pattern != pattern.T).nnz:
        return None
    n = matrix.shape[0]
    log_d = np.zeros(n)
    n_comp, labels = connected_components(pattern, directed=False)
    for comp in range(n_comp):
        root = int(np.flatnonzero(labels == comp)[0])
        order, preds = breadth_first_order(pattern, root, directed=False, return_predecessors=True)
        children = order[1:]
        parents = preds[children]
        forward = np.asarray(matrix[parents, children]).ravel()
        backward = np.asarray(matrix[children, parents]).ravel()
        for child, parent, f, b in zip(children, parents, forward, backward, strict=True):
            log_d[child] = log_d[parent] + np.log(f) - np.log(b)
    scale = np.exp(log_d - np.max(log_d))
    c = sp.csr_array(sp.diags_array(scale) @ matrix)
    gap = abs(c - c.T)
    if gap.nnz and np.max(gap.data) > 1e-10 * float(np.max(np.abs(c.data))):
        return None
    return scale


def _eigenvalues(w: SpatialWeights) -> npt.NDArray[Any]:
    similar = symmetric_similar(w)
    if similar is not None:
        return np.linalg.eigvalsh(similar[0].toarray())
    values = np.linalg.eigvals(w.matrix.toarray())
    if np.all(np.abs(values.imag) <= 1e-10 * max(1.0, float(np.max(np.abs(values))))):
        return np.sort(values.real)
    return values[np.lexsort((values.imag, values.real))]


#: Above this many units the stable interval comes from sparse eigen-solvers, not all eigenvalues.
DENSE_EIGEN_MAX = 1500


def _stable_interval(w: SpatialWeights) -> tuple[float, float]:
    if w.n <= DENSE_EIGEN_MAX or "eig" in w._cache:
        values = w.eigenvalues()
        real = values.real[np.abs(np.imag(values)) <= 1e-10] if np.iscomplexobj(values) else values
        lo_eig, hi_eig = float(np.min(real)), float(np.max(real))
    else:
        lo_eig, hi_eig = _extreme_eigenvalues(w)
    lo = 1.0 / lo_eig if lo_eig < 0 else -np.inf
    hi = 1.0 / hi_eig if hi_eig > 0 else np.inf
    return lo, hi


def _extreme_eigenvalues(w: SpatialWeights) -> tuple[float, float]:
    """Largest and smallest real eigenvalues of a large sparse W (ARPACK)."""
    from scipy.sparse.linalg import ArpackNoConvergence, eigs, eigsh

    similar = symmetric_similar(w)
    matrix = similar[0] if similar is not None else w.matrix
    symmetric = similar is not None
    hi = 1.0 if w.is_row_standardized else None
    try:
        if symmetric:
            lo = float(eigsh(matrix, k=1, which="SA", return_eigenvectors=False, tol=1e-10)[0])
            if hi is None:
                hi = float(eigsh(matrix, k=1, which="LA", return_eigenvectors=False, tol=1e-10)[0])
        else:
            lo = float(eigs(matrix, k=1, which="SR", return_eigenvectors=False, tol=1e-10)[0].real)
            if hi is None:
                hi = float(
                    eigs(matrix, k=1, which="LR", return_eigenvectors=False, tol=1e-10)[0].real
                )
    except ArpackNoConvergence:
        bound = float(np.max(np.abs(w.row_sums)))
        return -bound, bound if hi is None else hi
    return lo, float(hi)


def finish(
    matrix: Any,
    ids: Sequence[Hashable],
    name: str,
    info: Mapping[str, Any],
    standardize: Standardize,
) -> SpatialWeights:
    """Wrap a builder's matrix as :class:`SpatialWeights`, row-standardised when asked."""
    if standardize not in ("row", None):
        raise WeightsError(f"{name}: standardize must be 'row' or None; got {standardize!r}")
    weights = SpatialWeights(_as_csr(matrix), tuple(ids), name, dict(info))
    return weights.row_standardize() if standardize == "row" else weights
