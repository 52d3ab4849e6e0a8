"""The GMM pieces of the Ackerberg–Caves–Frazer production function (ACF 2015, second stage).

:func:`vagg.measures.production.acf` estimates one production function per group; this module
holds its numerical core: the design of the first stage (:func:`polynomial`,
:func:`year_dummies`), the production-function terms and output elasticities
(:func:`term_values`, :func:`elasticities`), the moment function ḡ(β) = Z′ξ(β)/N of the second
stage with its Jacobian (:class:`Moments`) and the multi-start minimisation (:func:`solve`,
scipy's Levenberg–Marquardt). Written here because no maintained Python package estimates ACF
with gap-aware lags, groups and a bootstrap (prodest is Stata/R only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations_with_replacement
from typing import Any

import numpy as np
from scipy import linalg, optimize, stats

from vagg.errors import VaggError

__all__ = [
    "GmmSetup",
    "Moments",
    "ProductionFunctionError",
    "elasticities",
    "polynomial",
    "solve",
    "term_values",
    "year_dummies",
]


class ProductionFunctionError(VaggError):
    """A production function cannot be estimated from the input given (the message says why)."""


def term_values(terms: list[str], cols: dict[str, np.ndarray]) -> np.ndarray:
    """Matrix of the terms: 'l' → l, 'lk' → l·k, 'll' → l²."""
    out = np.empty((len(next(iter(cols.values()))), len(terms)))
    for j, t in enumerate(terms):
        v = cols[t[0]].copy()
        for c in t[1:]:
            v = v * cols[c]
        out[:, j] = v
    return out


def polynomial(z: np.ndarray, degree: int) -> np.ndarray:
    """All monomials of degree 1..degree of the columns of z (standardised first), with a 1."""
    zs = (z - z.mean(axis=0)) / np.where(z.std(axis=0) > 0, z.std(axis=0), 1.0)
    cols = [np.ones(len(z))]
    for d in range(1, degree + 1):
        for combo in combinations_with_replacement(range(z.shape[1]), d):
            cols.append(np.prod(zs[:, list(combo)], axis=1))
    return np.column_stack(cols)


def year_dummies(years: np.ndarray) -> np.ndarray:
    """Dummies of every year but the first."""
    levels = np.unique(years)
    return (years[:, None] == levels[None, 1:]).astype(float)


def elasticities(terms: list[str], beta: np.ndarray, cols: dict[str, np.ndarray]) -> dict:
    """θ_j = ∂f/∂x_j for each input letter j (per row)."""
    letters = [t for t in terms if len(t) == 1]
    n = len(next(iter(cols.values())))
    theta = {}
    for j in letters:
        th = np.zeros(n)
        for t, b in zip(terms, beta, strict=True):
            if t == j:
                th = th + b
            elif len(t) == 2 and j in t:
                other = t[1] if t[0] == j else t[0]
                th = th + b * (2 * cols[j] if t == j + j else cols[other])
        theta[j] = th
    return theta


@dataclass(frozen=True)
class GmmSetup:
    """What the GMM of one group needs: the production-function terms, the instruments,
    the polynomial degrees and whether the first stage has year effects."""

    terms: list[str]  # production-function terms
    zterms: list[str]  # instruments
    degree: int
    markov_degree: int
    year_effects: bool
    firm_effects: bool = False  # firm fixed effects in the first stage


class Moments:
    """ḡ(β) = Z′ξ(β)/N of ACF's second stage on one group (rows with a gap-aware lag).

    Z is demeaned: ξ has mean zero by construction (the Markov regression has a constant), so
    this is the objective with a constant among the instruments, and W = (Z′Z/N)⁻¹ is the
    inverse covariance of the instruments.
    """

    def __init__(
        self, phi: np.ndarray, x: np.ndarray, lag: np.ndarray, z: np.ndarray, markov_degree: int
    ) -> None:
        has = lag >= 0
        self.phi_t, self.phi_l = phi[has], phi[lag[has]]
        self.x_t, self.x_l = x[has], x[lag[has]]
        self.degree = markov_degree
        self.n = int(has.sum())
        zc = z[has] - z[has].mean(axis=0)
        try:  # Z′Z/N = LL′, so that ḡ′(Z′Z/N)⁻¹ḡ = ‖L⁻¹Z′ξ/N‖²
            chol = np.linalg.cholesky(zc.T @ zc / self.n)
        except np.linalg.LinAlgError as exc:
            raise ProductionFunctionError("instruments are collinear in this group") from exc
        # (L⁻¹Z′/N)′, once, stored n × q: the weighted moments are then one product with ξ
        self.zw = np.ascontiguousarray(linalg.solve_triangular(chol, zc.T, lower=True).T) / self.n
        self.zw_x_t = self._project(self.x_t)

    def _project(self, a: np.ndarray) -> np.ndarray:
        """L⁻¹Z′a/N for an n × k matrix a (as (a′·ZL⁻ᵀ/N)′, the faster product here)."""
        return (a.T @ self.zw).T

    def _markov(self, beta: np.ndarray) -> tuple[np.ndarray, ...]:
        """ω_t(β), the scale of ω_{t−1}(β), the basis H in its standardised value, H′H and the
        coefficients of ω_t(β) on H."""
        w_t = self.phi_t - self.x_t @ beta
        w_l = self.phi_l - self.x_l @ beta
        s = float(w_l.std()) or 1.0
        h = np.vander((w_l - w_l.mean()) / s, self.degree + 1, increasing=True)
        hh = h.T @ h
        try:  # normal equations of the small, standardised polynomial regression
            coef = np.linalg.solve(hh, h.T @ w_t)
        except np.linalg.LinAlgError:
            coef = np.linalg.lstsq(h, w_t, rcond=None)[0]
        return w_t, np.array(s), h, hh, coef

    def xi(self, beta: np.ndarray) -> np.ndarray:
        """ξ(β): ω_t(β) less its fit on a polynomial in ω_{t−1}(β)."""
        w_t, _, h, _, coef = self._markov(beta)
        return w_t - h @ coef

    def weighted(self, beta: np.ndarray) -> np.ndarray:
        """W^{1/2}ḡ(β) = L⁻¹Z′ξ(β)/N: its squared norm is the GMM objective ḡ′Wḡ."""
        return self.xi(beta) @ self.zw

    def jacobian(self, beta: np.ndarray) -> np.ndarray:
        """∂(W^{1/2}ḡ)/∂β′, analytic.

        ξ = (I − P_H) ω_t with H = [1, u, …, u^d], u = (ω_{t−1} − a)/s (a, s held at their
        current values: the span of H, hence P_H, does not depend on them). With
        dω_t/dβ_j = −x_{t,j}, dH_j = ∂H/∂u · (−x_{t−1,j}/s) and dP = (I−P)dH(H′H)⁻¹H′ +
        H(H′H)⁻¹dH′(I−P):  ∂ξ/∂β_j = (I−P)(−x_{t,j} + ĝ′(u) x_{t−1,j}/s)
        + H(H′H)⁻¹ Σ_i (∂H_i/∂u) ξ_i x_{t−1,ij}/s, ĝ′ the derivative of the fitted polynomial.
        """
        w_t, s, h, hh, coef = self._markov(beta)
        xi = w_t - h @ coef
        dh = np.zeros_like(h)  # ∂H/∂u
        dh[:, 1:] = np.arange(1, self.degree + 1) * h[:, :-1]
        scaled_lag = ((dh @ coef) / s)[:, None] * self.x_l
        direct = scaled_lag - self.x_t  # −x_t + ĝ′(u) x_{t−1}/s
        through_h = np.linalg.solve(hh, (dh * xi[:, None]).T @ self.x_l / s - h.T @ direct)
        return self._project(scaled_lag) - self.zw_x_t + self._project(h) @ through_h

    def sargan(self, beta: np.ndarray) -> float:
        """N·ḡ′(σ̂²_ξ Z′Z/N)⁻¹ḡ, the Sargan statistic of the over-identifying moments."""
        r = self.weighted(beta)
        return float(self.n * (r @ r) / np.mean(self.xi(beta) ** 2))


def _least_squares(moments: Moments, start: np.ndarray, max_nfev: int) -> Any:
    return optimize.least_squares(
        moments.weighted,
        start,
        jac=moments.jacobian,
        method="lm",
        xtol=1e-8,
        ftol=1e-10,
        gtol=1e-10,
        max_nfev=max_nfev,
    )


def solve(
    moments: Moments, starts: list[np.ndarray], plausible: Callable[[np.ndarray], bool]
) -> tuple[np.ndarray, dict[str, Any]]:
    """Minimise the GMM objective from each start; keep the best plausible minimum.

    Every start gets a short run (10 (p + 1) evaluations); the best plausible end point is then
    run to convergence (up to 50 (p + 1) more). A minimum is plausible when every input's
    median output elasticity is positive; the others (spurious roots of the ACF moments, e.g.
    a negative labour elasticity) are set aside unless no start reached a plausible one, which
    is then flagged.
    """
    p = len(starts[0])
    fits = []
    for s in starts:
        if not np.all(np.isfinite(s)):
            continue
        res = _least_squares(moments, s, 10 * (p + 1))
        if np.all(np.isfinite(res.x)):
            fits.append((2 * float(res.cost), bool(plausible(res.x)), res))
    if not fits:
        raise ProductionFunctionError("the GMM objective could not be evaluated at any start")
    fits.sort(key=lambda f: (not f[1], f[0]))
    best = _least_squares(moments, fits[0][2].x, 50 * (p + 1))
    best_ok = bool(plausible(best.x))
    same = [f for f in fits if np.max(np.abs(f[2].x - best.x)) < 1e-3]
    df = moments.zw.shape[1] - p
    j = moments.sargan(best.x)
    info = {
        "objective": 2 * float(best.cost),
        "sargan": j if df > 0 else float("nan"),
        "sargan_df": df,
        "sargan_p": float(stats.chi2.sf(j, df)) if df > 0 else float("nan"),
        "success": bool(best.success),
        "plausible": best_ok,
        "n_starts": len(fits),
        "n_same_minimum": len(same),
        "n_other_minima": len(fits) - len(same),
        "n_implausible_minima": sum(not f[1] for f in fits),
        "nfev": int(sum(f[2].nfev for f in fits) + best.nfev),
        "message": str(best.message),
    }
    return best.x, info
