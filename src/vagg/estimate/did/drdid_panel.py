"""Two-group, two-period DID estimators on panel data with their influence functions.

The building block of Callaway & Sant'Anna (2021): each ATT(g,t) is a 2×2 DID of the change
ΔY = Y_post − Y_pre between a treated group (D = 1) and a comparison group (D = 0), with
covariates X (first column the intercept) and unit weights w (mean 1). Each function returns
the estimate and its influence function ψ on the n₁ units of the 2×2 sample, so that
√n₁(θ̂ − θ) = n₁^{-1/2} Σ ψ_i + o_p(1) (Sant'Anna & Zhao 2020, J. Econometrics 219(1)).

- :func:`reg_did` — outcome regression (Heckman, Ichimura & Todd 1997): OLS of ΔY on X among
  the comparison units, θ = E_n[w D (ΔY − X'β̂)]/E_n[w D].
- :func:`ipw_did` — normalised (Hájek) inverse probability weighting (Abadie 2005):
  θ = E_n[w D ΔY]/E_n[w D] − E_n[w_c ΔY]/E_n[w_c], w_c = w p̂(X)(1 − D)/(1 − p̂(X)), with a
  logit propensity score.
- :func:`dr_did` — the doubly robust estimator of Sant'Anna & Zhao (2020) eq. (3.1) with a
  logit propensity score and OLS outcome regression (R ``DRDID::drdid_panel``, the default of
  R ``did``, Stata ``csdid`` and Python ``csdid``); its influence function carries the
  estimation effects of both nuisance models.
- :func:`dr_imp_did` — their "improved" locally efficient DR estimator (§3.1, eq. (3.4);
  R ``DRDID::drdid_imp_panel``): the propensity score by inverse probability tilting (Graham,
  Pinto & Egel 2012), which balances the covariate means exactly, and the outcome regression
  by least squares weighted by the odds p̂/(1 − p̂); its influence function needs no
  estimation-effect terms.

As in R ``DRDID`` the propensity score is capped at 1 − 10⁻⁶ and comparison units with
p̂ ≥ 0.995 get zero weight (trimming). Written here because the only Python ports (``drdid``,
``csdid``) loop in pandas per cell and do not expose a vectorised core.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit

from vagg.estimate.errors import EstimationError

__all__ = ["ESTIMATORS", "dr_did", "dr_imp_did", "ipw_did", "logit", "reg_did"]

TRIM = 0.995
_CAP = 1 - 1e-6


def _gram(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """X'diag(w)X (einsum for one column: BLAS matmul is slow on n × 1 designs)."""
    if x.shape[1] == 1:
        return np.einsum("ij,i,ik->jk", x, w, x)
    return (x * w[:, None]).T @ x


def _right(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """X·M for a small k × k matrix M."""
    return x * m[0, 0] if m.shape == (1, 1) else x @ m


def _solve(a: np.ndarray, b: np.ndarray, what: str) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise EstimationError(
            f"{what}: the covariate matrix is singular (collinear covariates or a covariate "
            "constant within the group)"
        ) from None


def logit(d: np.ndarray, x: np.ndarray, w: np.ndarray, *, tol: float = 1e-11) -> np.ndarray:
    """Weighted logit of ``d`` on ``x`` by Newton–Raphson; returns the coefficients.

    Intercept-only designs have the closed form log(p/(1 − p))."""
    k = x.shape[1]
    if k == 1 and np.all(x[:, 0] == 1):
        p = np.sum(w * d) / np.sum(w)
        return np.array([np.log(p / (1 - p))])
    beta = np.zeros(k)
    for _ in range(100):
        p = expit(x @ beta)
        grad = np.einsum("ij,i->j", x, w * (d - p))
        hess = _gram(x, w * p * (1 - p))
        step = _solve(hess, grad, "propensity score")
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            return beta
    raise EstimationError(
        "propensity score: the logit did not converge in 100 iterations (the covariates "
        "separate treated and comparison units; check overlap)"
    )


def _ps_parts(
    d: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fitted, capped propensity scores, the trimming indicator and the logit's asymptotic
    linear representation (n × k: score × inverse Hessian, as R ``DRDID``)."""
    n = len(d)
    beta = logit(d, x, w)
    ps = np.minimum(expit(x @ beta), _CAP)
    keep = np.where(d == 1, ps < 1.01, ps < TRIM).astype(float)
    hess = _gram(x, w * ps * (1 - ps)) / n
    score = (w * (d - ps))[:, None] * x
    return ps, keep, _right(score, np.linalg.inv(hess))


def _ols_parts(dy: np.ndarray, x: np.ndarray, wc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fitted values X'β̂ of the (weighted) regression of ΔY on X with weights ``wc`` (zero
    outside the comparison group) and its asymptotic linear representation (n × k)."""
    n = len(dy)
    xtx = _gram(x, wc)
    beta = _solve(xtx, np.einsum("ij,i->j", x, wc * dy), "outcome regression")
    fit = x @ beta
    lin = _right((wc * (dy - fit))[:, None] * x, np.linalg.inv(xtx / n))
    return fit, lin


def reg_did(
    dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """Outcome-regression DID: θ = E_n[wD(ΔY − X'β̂)]/E_n[wD], β̂ from the comparison units."""
    fit, lin = _ols_parts(dy, x, w * (1 - d))
    w_t = w * d
    m_t = np.mean(w_t)
    eta_t = np.mean(w_t * dy) / m_t
    eta_c = np.mean(w_t * fit) / m_t
    inf_t = (w_t * dy - w_t * eta_t) / m_t
    inf_c = (w_t * fit - w_t * eta_c + lin @ np.mean(w_t[:, None] * x, axis=0)) / m_t
    return float(eta_t - eta_c), inf_t - inf_c


def ipw_did(
    dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """Normalised IPW DID (Abadie 2005): Hájek-weighted difference of mean changes."""
    ps, keep, lin_ps = _ps_parts(d, x, w)
    w_t = keep * w * d
    w_c = keep * w * ps * (1 - d) / (1 - ps)
    m_t, m_c = np.mean(w_t), np.mean(w_c)
    eta_t = np.mean(w_t * dy) / m_t
    eta_c = np.mean(w_c * dy) / m_c
    inf_t = (w_t * dy - w_t * eta_t) / m_t
    m2 = np.mean((w_c * (dy - eta_c))[:, None] * x, axis=0)
    inf_c = (w_c * dy - w_c * eta_c + lin_ps @ m2) / m_c
    return float(eta_t - eta_c), inf_t - inf_c


def dr_did(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Doubly robust DID of Sant'Anna & Zhao (2020) eq. (3.1), logit PS and OLS regression."""
    ps, keep, lin_ps = _ps_parts(d, x, w)
    fit, lin_or = _ols_parts(dy, x, w * (1 - d))
    w_t = keep * w * d
    w_c = keep * w * ps * (1 - d) / (1 - ps)
    m_t, m_c = np.mean(w_t), np.mean(w_c)
    r = dy - fit
    eta_t = np.mean(w_t * r) / m_t
    eta_c = np.mean(w_c * r) / m_c
    inf_t = (w_t * r - w_t * eta_t - lin_or @ np.mean(w_t[:, None] * x, axis=0)) / m_t
    m2 = np.mean((w_c * (r - eta_c))[:, None] * x, axis=0)
    m3 = np.mean(w_c[:, None] * x, axis=0)
    inf_c = (w_c * r - w_c * eta_c + lin_ps @ m2 - lin_or @ m3) / m_c
    return float(eta_t - eta_c), inf_t - inf_c


def _ipt(d: np.ndarray, x: np.ndarray, w: np.ndarray, *, tol: float = 1e-11) -> np.ndarray:
    """Inverse probability tilting for the ATT (Graham, Pinto & Egel 2012): γ solving
    E_n[w(D − (1 − D)e^{X'γ})X] = 0, by Newton from the logit; returns p̂ = expit(X'γ)."""
    gamma = logit(d, x, w)
    n = len(d)
    for _ in range(100):
        e = np.exp(x @ gamma)
        grad = np.einsum("ij,i->j", x, w * (d - (1 - d) * e)) / n
        hess = _gram(x, w * (1 - d) * e) / n
        step = _solve(hess, grad, "propensity score (tilting)")
        gamma = gamma + step
        if np.max(np.abs(step)) < tol:
            return np.asarray(expit(x @ gamma))
    raise EstimationError(
        "propensity score (tilting): no convergence in 100 iterations; check overlap"
    )


def dr_imp_did(
    dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """Improved locally efficient DR DID of Sant'Anna & Zhao (2020) eq. (3.4): IPT propensity
    score, odds-weighted least squares outcome regression; θ = E_n[(w_t − w_c)(ΔY − X'β̂)]
    / E_n[w_t], ψ = ((w_t − w_c)(ΔY − X'β̂) − w_t θ)/E_n[w_t]."""
    ps = np.minimum(_ipt(d, x, w), 1 - 1e-16)
    keep = np.where(d == 1, ps < 1.01, ps < TRIM).astype(float)
    odds = ps / (1 - ps)
    wc_ols = w * (1 - d) * odds
    beta = _solve(_gram(x, wc_ols), np.einsum("ij,i->j", x, wc_ols * dy), "outcome regression")
    r = dy - x @ beta
    w_t = keep * w * d
    w_c = keep * w * odds * (1 - d)
    m_t = np.mean(w_t)
    summand = (w_t - w_c) * r
    att = np.mean(summand) / m_t
    return float(att), (summand - w_t * att) / m_t


Estimator = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[float, np.ndarray]]

#: The 2×2 estimators by the ``method`` name of :func:`callaway_santanna`.
ESTIMATORS: dict[str, Estimator] = {
    "reg": reg_did,
    "ipw": ipw_did,
    "dr": dr_did,
    "dr_imp": dr_imp_did,
}
