"""Long-run covariance matrices: kernels, bandwidths and the one-sided sums FM-OLS needs.

For a series of vectors ``ξ_t`` (t = 1..n, not demeaned) the sample autocovariances are
``Γ̂_s = n⁻¹ Σ_{t>s} ξ_t ξ_{t−s}'`` (divisor n for every lag, which keeps the estimate positive
semi-definite), and with kernel weights ``w_s = k(s / b)``

* the short-run covariance ``Γ̂_0``;
* the one-sided long-run covariance ``Λ̂ = Γ̂_0 + Σ_{s≥1} w_s Γ̂_s``, so that
  ``Λ̂[a, b] = Σ_{s≥0} w_s Ê[ξ_{a,t} ξ_{b,t−s}]`` — the orientation of the FM-OLS bias term
  (methods notes §5.1 step 2);
* the long-run covariance ``Ω̂ = Γ̂_0 + Σ_{s≥1} w_s (Γ̂_s + Γ̂_s')``.

Kernels (``kernel=``): ``"bartlett"`` (Newey–West), ``"parzen"`` and ``"quadratic-spectral"``
(``"qs"``). The bandwidth ``b`` follows the Newey–West (1994) convention that ``arch`` uses:
Bartlett weights are ``1 − s/(b + 1)`` for ``s ≤ b`` (so ``b`` is the number of lags), Parzen
weights use ``s/(b + 1)`` as argument, and the quadratic-spectral kernel uses ``s/b`` over all
lags. Andrews (1991) writes the Bartlett kernel as ``1 − s/S_T``, i.e. ``S_T = b + 1``.

Bandwidths (``bandwidth=``):

* a number — used as given (rounded up when ``integer_bandwidth`` is true, as ``arch``'s
  ``FullyModifiedOLS.fit(force_int=True)`` does);
* ``"newey-west"`` (default, alias ``"auto"``) — the Newey & West (1994) non-parametric
  plug-in ``b = c_k (α̂ n)^{1/(2q+1)}``, with ``α̂ = (ŝ^{(q)}/ŝ^{(0)})²`` computed from the
  sum of the series' columns over ``⌈4 (n/100)^{r}⌉`` lags (``c``, ``q``, ``r`` = 1.1447, 1,
  2/9 for Bartlett; 2.6614, 2, 4/25 for Parzen; 1.3221, 2, 2/25 for QS) and capped at ``n − 1``;
* ``"andrews"`` — the Andrews (1991) AR(1) plug-in: an AR(1) ``ρ̂_a, σ̂²_a`` per column,
  ``α̂(1) = Σ 4ρ̂²σ̂⁴/((1−ρ̂)⁶(1+ρ̂)²) / Σ σ̂⁴/(1−ρ̂)⁴`` for Bartlett and
  ``α̂(2) = Σ 4ρ̂²σ̂⁴/(1−ρ̂)⁸ / Σ σ̂⁴/(1−ρ̂)⁴`` for Parzen and QS, then the same
  ``c_k (α̂ n)^{1/(2q+1)}`` (the default of R ``cointReg``);
* ``"rule"`` — the rule of thumb ``⌊4 (T/100)^{2/9}⌋`` of ``xtpedroni`` and R ``pco``.

Why this is written here and not taken from ``arch.covariance.kernel``: the panel estimators
need the kernel sums unit by unit with one bandwidth rule across units, the Andrews AR(1)
plug-in and the rule of thumb (``arch`` has only the Newey–West plug-in), and errors that name
the unit; ``arch`` stays the reference the tests compare with (to 1e-10).

References: Newey & West (1987, 1994); Andrews (1991); Phillips & Hansen (1990).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import EstimationError

__all__ = [
    "BANDWIDTH_RULES",
    "KERNELS",
    "Bandwidth",
    "Kernel",
    "LongRunCovariance",
    "andrews_bandwidth",
    "kernel_weights",
    "long_run_covariance",
    "newey_west_bandwidth",
    "normalize_kernel",
    "rule_bandwidth",
]

Kernel = Literal["bartlett", "parzen", "quadratic-spectral"]
Bandwidth = float | int | Literal["newey-west", "auto", "andrews", "rule"]

KERNELS: tuple[str, ...] = ("bartlett", "parzen", "quadratic-spectral")
BANDWIDTH_RULES: tuple[str, ...] = ("newey-west", "auto", "andrews", "rule")

_ALIASES = {
    "bartlett": "bartlett",
    "neweywest": "bartlett",
    "nw": "bartlett",
    "parzen": "parzen",
    "gallant": "parzen",
    "quadraticspectral": "quadratic-spectral",
    "qs": "quadratic-spectral",
    "andrews": "quadratic-spectral",
}

# (c_k, q, rate) of the Newey–West (1994) plug-in, per kernel.
_PLUGIN = {
    "bartlett": (1.1447, 1.0, 2.0 / 9.0),
    "parzen": (2.6614, 2.0, 4.0 / 25.0),
    "quadratic-spectral": (1.3221, 2.0, 2.0 / 25.0),
}


def normalize_kernel(kernel: str) -> str:
    """The canonical kernel name (``"bartlett"``, ``"parzen"``, ``"quadratic-spectral"``).

    Accepts ``"qs"``, ``"quadratic_spectral"``, ``"newey-west"`` and the other spellings
    ``arch`` accepts; raises :class:`EstimationError` for anything else.
    """
    key = str(kernel).lower().replace("-", "").replace("_", "").replace(" ", "")
    if key not in _ALIASES:
        raise EstimationError(
            f"kernel={kernel!r} is not known; use 'bartlett', 'parzen' or "
            "'quadratic-spectral' ('qs')"
        )
    return _ALIASES[key]


def kernel_weights(kernel: str, bandwidth: float, nobs: int) -> np.ndarray:
    """Weights ``w_0 = 1, w_1, …`` of the autocovariances of lags 0, 1, … (module docstring).

    Bartlett: ``w_s = 1 − s/(b+1)`` for ``s ≤ b``; Parzen: ``1 − 6z² + 6z³`` for ``z ≤ ½`` and
    ``2(1 − z)³`` for ``½ < z ≤ 1``, ``z = s/(b+1)``; quadratic spectral:
    ``w_s = 3/x² (sin x / x − cos x)``, ``x = 6π(s/b)/5``, for every lag ``s < n``.
    """
    kernel = normalize_kernel(kernel)
    if kernel == "quadratic-spectral":
        w = np.zeros(max(nobs, 1))
        w[0] = 1.0
        if bandwidth > 0 and nobs > 1:
            x = 6.0 * np.pi * (np.arange(1, nobs) / bandwidth) / 5.0
            w[1:] = 3.0 / x**2 * (np.sin(x) / x - np.cos(x))
        return w
    n_weights = min(int(bandwidth + 1), max(nobs, 1))
    z = np.arange(n_weights, dtype=float) / (bandwidth + 1.0)
    if kernel == "bartlett":
        return 1.0 - z
    return np.where(z <= 0.5, 1.0 - 6.0 * z**2 * (1.0 - z), 2.0 * (1.0 - z) ** 3)


def newey_west_bandwidth(u: np.ndarray, kernel: str) -> float:
    """The Newey & West (1994) plug-in bandwidth of the columns of ``u`` (module docstring).

    The columns are summed with unit weights, as ``arch`` does by default. Not rounded.
    """
    kernel = normalize_kernel(kernel)
    c, q, rate = _PLUGIN[kernel]
    v = np.asarray(u, dtype=float).reshape(len(u), -1).sum(axis=1)
    n = len(v)
    lags = int(np.ceil(4.0 * (n / 100.0) ** rate))
    f0 = fq = 0.0
    for j in range(min(lags, n - 1) + 1):
        sig = float(v[j:] @ v[: n - j]) / n
        scale = 1.0 if j == 0 else 2.0
        f0 += scale * sig
        fq += scale * j**q * sig
    if f0 == 0:
        raise EstimationError(
            "bandwidth='newey-west': the series has no variance; give a fixed bandwidth"
        )
    alpha = (fq / f0) ** 2
    return float(min(c * (alpha * n) ** (1.0 / (2.0 * q + 1.0)), n - 1.0))


def andrews_bandwidth(u: np.ndarray, kernel: str) -> float:
    """The Andrews (1991) AR(1) plug-in bandwidth of the columns of ``u`` (module docstring).

    Each column gets an AR(1) by least squares without a constant (the series are residuals
    or differences); unit weights across columns. Capped at ``n − 1``; not rounded.
    """
    kernel = normalize_kernel(kernel)
    c, q, _ = _PLUGIN[kernel]
    x = np.asarray(u, dtype=float).reshape(len(u), -1)
    n = x.shape[0]
    num = den = 0.0
    for a in range(x.shape[1]):
        lagged, current = x[:-1, a], x[1:, a]
        ss = float(lagged @ lagged)
        if ss <= 0:
            continue
        rho = float(lagged @ current) / ss
        rho = float(np.clip(rho, -0.97, 0.97))
        sigma2 = float(np.mean((current - rho * lagged) ** 2))
        if q == 1.0:
            num += 4 * rho**2 * sigma2**2 / ((1 - rho) ** 6 * (1 + rho) ** 2)
        else:
            num += 4 * rho**2 * sigma2**2 / (1 - rho) ** 8
        den += sigma2**2 / (1 - rho) ** 4
    if den <= 0:
        raise EstimationError("bandwidth='andrews': the series has no variance")
    alpha = num / den
    return float(min(c * (alpha * n) ** (1.0 / (2.0 * q + 1.0)), n - 1.0))


def rule_bandwidth(nobs: int) -> float:
    """The rule of thumb ``⌊4 (T/100)^{2/9}⌋`` (``xtpedroni``, R ``pco``) for ``T`` periods."""
    return float(np.floor(4.0 * (nobs / 100.0) ** (2.0 / 9.0)))


@dataclass(frozen=True)
class LongRunCovariance:
    """Short-run ``Γ̂_0``, one-sided ``Λ̂`` and long-run ``Ω̂`` covariances of a series.

    ``bandwidth`` is the value used (after any rule and rounding), ``kernel`` its kernel,
    ``nobs`` the number of observations, ``rule`` how the bandwidth was chosen.
    """

    short_run: np.ndarray
    one_sided: np.ndarray
    long_run: np.ndarray
    kernel: str
    bandwidth: float
    rule: str
    nobs: int


def choose_bandwidth(
    u: np.ndarray, kernel: str, bandwidth: Bandwidth, integer_bandwidth: bool, periods: int
) -> tuple[float, str]:
    """The bandwidth for ``u`` under ``bandwidth=`` (a number or a rule name) and its label."""
    if isinstance(bandwidth, str):
        rule = bandwidth.lower()
        if rule in ("newey-west", "auto", "nw"):
            value, label = newey_west_bandwidth(u, kernel), "newey-west"
        elif rule == "andrews":
            value, label = andrews_bandwidth(u, kernel), "andrews"
        elif rule == "rule":
            value, label = rule_bandwidth(periods), "rule"
        else:
            raise EstimationError(
                f"bandwidth={bandwidth!r}; use a non-negative number, 'newey-west', 'andrews' "
                "or 'rule'"
            )
    else:
        value = float(bandwidth)
        label = "fixed"
        if not np.isfinite(value) or value < 0:
            raise EstimationError(f"bandwidth={bandwidth!r} must be a non-negative number")
    if integer_bandwidth:
        value = float(np.ceil(value))
    return value, label


def long_run_covariance(
    u: np.ndarray,
    kernel: str = "bartlett",
    bandwidth: Bandwidth = "newey-west",
    *,
    integer_bandwidth: bool = True,
    periods: int | None = None,
) -> LongRunCovariance:
    """``Γ̂_0``, ``Λ̂`` and ``Ω̂`` of the rows of ``u`` (n × k, used as given, not demeaned).

    Parameters
    ----------
    u : numpy.ndarray
        The series, one row per period (a 1-D array is one column).
    kernel : str
        ``"bartlett"``, ``"parzen"`` or ``"quadratic-spectral"`` (``"qs"``).
    bandwidth : float or str
        A number, or ``"newey-west"`` / ``"andrews"`` / ``"rule"`` (module docstring).
    integer_bandwidth : bool
        Round the bandwidth up to an integer (``arch``'s ``force_int``).
    periods : int, optional
        ``T`` of the rule of thumb (default: the number of rows).

    Returns
    -------
    LongRunCovariance
    """
    x = np.asarray(u, dtype=float)
    x = x.reshape(len(x), -1)
    n = x.shape[0]
    if n < 2:
        raise EstimationError("a long-run covariance needs at least two observations")
    kernel = normalize_kernel(kernel)
    value, label = choose_bandwidth(
        x, kernel, bandwidth, integer_bandwidth, n if periods is None else periods
    )
    w = kernel_weights(kernel, value, n)
    gamma0 = x.T @ x / n
    strict = np.zeros_like(gamma0)
    for s in range(1, min(len(w), n)):
        if w[s] != 0.0:
            strict += w[s] * (x[s:].T @ x[:-s]) / n
    return LongRunCovariance(
        short_run=gamma0,
        one_sided=gamma0 + strict,
        long_run=gamma0 + strict + strict.T,
        kernel=kernel,
        bandwidth=value,
        rule=label,
        nobs=n,
    )
