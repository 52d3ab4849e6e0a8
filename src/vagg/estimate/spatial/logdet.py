"""Log-determinants ln|I − ρW| of the spatial likelihoods: by eigenvalues or sparse LU.

* ``"eigen"`` (Ord 1975): ln|I − ρW| = Σ_i ln|1 − ρω_i| with ω the eigenvalues of W,
  computed once (exact; O(n³) once, O(n) per evaluation). The default up to
  :data:`EIGEN_MAX` units.
* ``"lu"`` (Pace & Barry 1997): a sparse LU factorisation of I − ρW per evaluation,
  ln|I − ρW| = Σ_i ln|u_ii| (L has a unit diagonal). Exact, and the default beyond
  :data:`EIGEN_MAX` units, where a dense eigen-decomposition costs more than the whole fit.

Inside the stable interval (1/ω_min, 1/ω_max) the determinant is positive, so the absolute
values are the determinant itself. Paper 004's interaction model has a Jacobian that
changes every period, Σ_t ln|I − ρW − ρ′Z_tW| (methods note §4.5), computed period by
period with dense or sparse LU (:class:`PeriodLogDet`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from vagg.weights import SpatialWeights

from ..errors import EstimationError

__all__ = ["EIGEN_MAX", "LogDet", "LogDetMethod", "PeriodLogDet"]

LogDetMethod = Literal["auto", "eigen", "lu"]

#: Up to this many units "auto" uses eigenvalues; above it, sparse LU.
EIGEN_MAX = 2000


def resolve_method(method: LogDetMethod, n: int) -> Literal["eigen", "lu"]:
    """The log-determinant method for n units (``"auto"``: eigen up to :data:`EIGEN_MAX`)."""
    if method == "auto":
        return "eigen" if n <= EIGEN_MAX else "lu"
    if method not in ("eigen", "lu"):
        raise EstimationError(f"spatial: logdet must be 'auto', 'eigen' or 'lu'; got {method!r}")
    return method


class LogDet:
    """ρ ↦ ln|I − ρW| for one weight matrix (see the module docstring).

    Parameters
    ----------
    w : SpatialWeights
        The matrix, in the row order of the data.
    method : {"auto", "eigen", "lu"}
        How to compute it.
    """

    def __init__(self, w: SpatialWeights, method: LogDetMethod = "auto") -> None:
        self.method = resolve_method(method, w.n)
        self.n = w.n
        self.interval = w.stable_interval()
        self._cache: dict[float, float] = {}
        self.eigenvalues: npt.NDArray[np.complex128] | npt.NDArray[np.float64] | None = None
        if self.method == "eigen":
            self.eigenvalues = w.eigenvalues()
        else:
            self._matrix = sp.csc_array(w.matrix)
            self._identity = sp.identity(w.n, format="csc")
            pattern = (self._matrix != 0).astype(np.int8)
            self._symmetric_pattern = (pattern != pattern.T).nnz == 0
            self._max_row_sum = float(np.max(np.abs(w.row_sums)))

    def __call__(self, rho: float) -> float:
        """ln|I − ρW| (``-inf`` outside the stable interval)."""
        lo, hi = self.interval
        if not lo < rho < hi:
            return -np.inf
        key = float(rho)
        if key in self._cache:
            return self._cache[key]
        if self.eigenvalues is not None:
            value = float(np.sum(np.log(np.abs(1.0 - rho * self.eigenvalues))))
        else:
            a = self._identity - rho * self._matrix
            if self._symmetric_pattern and abs(rho) * self._max_row_sum < 1.0:
                # I − ρW is then strictly diagonally dominant: no pivoting is needed, and
                # SuperLU's symmetric mode (minimum degree on A + A') is several times faster
                lu = splu(
                    a,
                    permc_spec="MMD_AT_PLUS_A",
                    diag_pivot_thresh=0.0,
                    options={"SymmetricMode": True},
                )
            else:
                lu = splu(a, permc_spec="COLAMD")
            value = float(np.sum(np.log(np.abs(lu.U.diagonal()))))
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = value
        return value


class PeriodLogDet:
    """(ρ, ρ′) ↦ Σ_t ln|I − ρW − ρ′Z_tW|: the Jacobian of paper 004's eq. (25).

    Z_t = diag(z_1t … z_nt) is the interaction variable in period t. Dense LU (``slogdet``)
    for n ≤ :data:`EIGEN_MAX`, sparse LU above. Returns ``-inf`` when some A_t is singular or
    has a non-positive determinant (outside the region around 0 where the model is stable).
    """

    def __init__(self, w: SpatialWeights, z: npt.NDArray[np.float64]) -> None:
        self.n, self.t = z.shape
        self.z = z
        self.dense = self.n <= EIGEN_MAX
        self._w = w.matrix.toarray() if self.dense else sp.csc_array(w.matrix)

    def matrices(self, rho: float, rho_z: float) -> list[npt.NDArray[np.float64]]:
        """The dense A_t = I − (ρI + ρ′Z_t)W of every period (for variances and effects)."""
        w = self._w if isinstance(self._w, np.ndarray) else self._w.toarray()
        eye = np.eye(self.n)
        return [eye - (rho + rho_z * self.z[:, t])[:, None] * w for t in range(self.t)]

    def __call__(self, rho: float, rho_z: float) -> float:
        total = 0.0
        for t in range(self.t):
            scale = rho + rho_z * self.z[:, t]
            if self.dense:
                sign, value = np.linalg.slogdet(np.eye(self.n) - scale[:, None] * self._w)
                if sign <= 0:
                    return -np.inf
            else:
                a = sp.identity(self.n, format="csc") - sp.diags_array(scale) @ self._w
                try:
                    lu = splu(sp.csc_array(a), permc_spec="MMD_AT_PLUS_A")
                except RuntimeError:
                    return -np.inf
                diag = lu.U.diagonal()
                sign = (
                    np.prod(np.sign(diag))
                    * _permutation_sign(lu.perm_r)
                    * _permutation_sign(lu.perm_c)
                )
                if sign <= 0:
                    return -np.inf
                value = float(np.sum(np.log(np.abs(diag))))
            total += float(value)
        return total


def _permutation_sign(perm: npt.NDArray[np.intp]) -> int:
    seen = np.zeros(len(perm), dtype=bool)
    sign = 1
    for start in range(len(perm)):
        if seen[start]:
            continue
        length = 0
        j = start
        while not seen[j]:
            seen[j] = True
            j = perm[j]
            length += 1
        if length % 2 == 0:
            sign = -sign
    return sign
