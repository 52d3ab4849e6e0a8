"""Asymptotic variances of the spatial ML estimates: the analytic information matrix.

For ε = Q·B·(A y − Xβ) with A_t = I − Σ_k ρ_k L_kt and B = I − λM, write
G_kt = L_kt·A_t⁻¹, Ĝ_kt = B·G_kt·B⁻¹, H = M·B⁻¹, X* = Q·B·X (the filtered, projected regressors)
and a_k = Q·B·G_k·(Xβ + μ̂) with μ̂ the fitted fixed effects (for one W in all periods Q removes
G·μ̂ again and a_k = Q·G·X̃β, Elhorst's direct approach and spreg). The expected information
of (β, ρ_1…ρ_K, λ, σ²) is (Anselin 1988, ch. 6; LeSage & Pace 2009, §3.2; Lee & Yu 2010 for
the panel weights):

    I_ββ   = X*'X*/σ²                       I_βρk  = X*'a_k/σ²
    I_ρkρl = Σ_t [tr(Ĝ_k Ĝ_l) + tr(Ĝ_k'Ĝ_l)] + a_k'a_l/σ²
    I_ρkλ  = Σ_t [tr(H'Ĝ_k) + tr(H Ĝ_k)]      I_λλ = Σ_t [tr(HH) + tr(H'H)]
    I_ρkσ² = Σ_t tr(Ĝ_k)/σ²                   I_λσ² = Σ_t tr(H)/σ²
    I_σ²σ² = n*/(2σ⁴),                        I_βλ = I_βσ² = 0.

Σ_t is T (or T − 1 under the Lee–Yu transformation) times one period's value when the
matrices do not change over time; in the interaction model (L_2t = Z_tW) it is a sum over
periods. Under the Lee–Yu transformation with time effects the traces are taken in the
(N − 1)-dimensional space orthogonal to the constant, tr(J·A·J·B) with J = I − 11'/N. For SAR
with one W this is the matrix of the methods note §4.2, which matches spreg's
``Panel_FE_Lag`` and ``ML_Lag`` (tests).

:func:`observed_information` gives the negative Hessian of the full log-likelihood by central
differences instead — the variance Stata's ``spregress, ml`` reports (vce(oim)).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from ..errors import EstimationError
from .design import project
from .likelihood import Fit, Likelihood

__all__ = ["expected_information", "invert", "observed_information"]

Array = npt.NDArray[np.float64]


def _tr1(a: Array, u: Array | None) -> float:
    value = float(np.trace(a))
    return value if u is None else value - float(u @ (a @ u))


def _tr2(a: Array, b: Array, u: Array | None) -> float:
    """tr(P·a·P·b) with P = I (u None) or J = I − uu'."""
    value = float(np.sum(a * b.T))
    if u is None:
        return value
    au, bu = a @ u, b @ u
    return value - float(u @ (b @ au)) - float(u @ (a @ bu)) + float(u @ au) * float(u @ bu)


def expected_information(lik: Likelihood, fit: Fit) -> Array:
    """The expected information matrix of (β, spatial parameters, σ²) at the estimates."""
    d = lik.design
    n, t, k = d.n, d.t, d.k
    s, beta, s2 = fit.spatial, fit.beta, fit.sigma2
    q = len(lik.names)
    k_lag = lik.k_lag
    _, xs = lik.parts(s)
    eye = np.eye(n)
    w = d.w.matrix
    u = np.full(n, 1.0 / np.sqrt(n)) if lik.drop_unit else None
    # error filter
    b = binv = hmat = None
    v = None
    if lik.has_error:
        assert lik.m is not None
        m = lik.m
        lam = float(s[-1])
        b = eye - lam * m.toarray()
        binv = np.linalg.inv(b)
        hmat = np.asarray(m @ binv)
        if not lik.v_const:
            v = 1.0 - lam * np.asarray(lik.m.sum(axis=1)).ravel()
    mean = _systematic_part(lik, s, beta, b, binv, v)
    # periods: one group with weight T (or T − 1), or every period on its own
    if lik.interaction:
        assert lik.logdet_z is not None and d.z is not None
        a_list = lik.logdet_z.matrices(float(s[0]), float(s[1]))
        groups = [([tt], 1.0, a_list[tt], [w, sp.diags_array(d.z[:, tt]) @ w]) for tt in range(t)]
    elif lik.has_lag:
        groups = [(list(range(t)), lik.weight, eye - float(s[0]) * w.toarray(), [w])]
    else:
        groups = [(list(range(t)), lik.weight, eye, [])]
    a_vecs = np.zeros((k_lag, n, t))
    tr_gg = np.zeros((k_lag, k_lag))
    tr_gh = np.zeros(k_lag)
    tr_g = np.zeros(k_lag)
    tr_hh = tr_h = 0.0
    for periods, weight, a_mat, lag_mats in groups:
        ainv = np.linalg.inv(a_mat) if lik.has_lag else eye
        ghat: list[Array] = []
        for lag in lag_mats:
            g = np.asarray(lag @ ainv)  # sparse W times dense A⁻¹
            a_vecs[len(ghat)][:, periods] = g @ mean[:, periods]
            if b is not None:
                assert lik.m is not None and binv is not None
                bg = g - float(s[-1]) * np.asarray(lik.m @ g)
                ghat.append(bg @ binv)
            else:
                ghat.append(g)
        for i, gi in enumerate(ghat):
            tr_g[i] += weight * _tr1(gi, u)
            for j, gj in enumerate(ghat):
                tr_gg[i, j] += weight * (_tr2(gi, gj, u) + _tr2(gi.T, gj, u))
            if hmat is not None:
                tr_gh[i] += weight * (_tr2(hmat.T, gi, u) + _tr2(hmat, gi, u))
        if hmat is not None:
            tr_h += weight * _tr1(hmat, u)
            tr_hh += weight * (_tr2(hmat, hmat, u) + _tr2(hmat.T, hmat, u))
    avec = []
    for i in range(k_lag):
        filtered = b @ a_vecs[i] if b is not None else a_vecs[i]
        avec.append(project(filtered, d.effects, v).ravel())
    p = k + q + 1
    info = np.zeros((p, p))
    info[:k, :k] = xs.T @ xs / s2
    for i in range(k_lag):
        info[:k, k + i] = info[k + i, :k] = xs.T @ avec[i] / s2
        for j in range(k_lag):
            info[k + i, k + j] = tr_gg[i, j] + float(avec[i] @ avec[j]) / s2
        info[k + i, p - 1] = info[p - 1, k + i] = tr_g[i] / s2
        if lik.has_error:
            info[k + i, k + q - 1] = info[k + q - 1, k + i] = tr_gh[i]
    if lik.has_error:
        info[k + q - 1, k + q - 1] = tr_hh
        info[k + q - 1, p - 1] = info[p - 1, k + q - 1] = tr_h / s2
    info[p - 1, p - 1] = lik.n_eff / (2.0 * s2**2)
    return info


def _systematic_part(
    lik: Likelihood,
    s: Array,
    beta: Array,
    b: Array | None,
    binv: Array | None,
    v: Array | None,
) -> Array:
    """Xβ + μ̂: the regressors' part of the mean plus the fitted fixed effects (N × T).

    μ̂ = B⁻¹·(e − Q·e) with e = B·(A y − Xβ): the part of the filtered residual that the fixed
    effects absorb. With one W for all periods it does not matter (G·μ is removed by Q again,
    for row-standardised W), which is why spreg's X̃β gives the same numbers; in the
    interaction model G_t changes with t and the fixed effects carry information about ρ′.
    """
    d = lik.design
    xb = np.tensordot(d.x, beta, axes=(2, 0))
    if d.effects is None:
        return xb
    ay = d.y - sum(
        (c * lag for c, lag in zip(s[: lik.k_lag], lik.lags, strict=True)), np.zeros_like(d.y)
    )
    e = ay - xb
    if b is not None:
        e = b @ e
    absorbed = e - project(e, d.effects, v)
    if binv is not None:
        absorbed = binv @ absorbed
    return xb + absorbed


def observed_information(lik: Likelihood, fit: Fit) -> Array:
    """−∂²ℓ/∂θ∂θ' of the full log-likelihood at the estimates, by central differences.

    θ = (β, spatial parameters, σ²); steps h_i = 1e-4·max(|θ_i|, 0.01). This is the
    observed-information variance (Stata ``spregress, ml`` default vce(oim)).
    """
    k = lik.design.k
    q = len(lik.names)
    theta = np.concatenate([fit.beta, fit.spatial, [fit.sigma2]])

    def f(th: Array) -> float:
        return lik.full(th[:k], th[k : k + q], float(th[-1]))

    p = len(theta)
    h = 1e-4 * np.maximum(np.abs(theta), 1e-2)
    f0 = f(theta)
    hess = np.zeros((p, p))
    for i in range(p):
        ei = np.zeros(p)
        ei[i] = h[i]
        hess[i, i] = (f(theta + ei) - 2.0 * f0 + f(theta - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(p)
            ej[j] = h[j]
            value = (
                f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)
            ) / (4.0 * h[i] * h[j])
            hess[i, j] = hess[j, i] = value
    if not np.all(np.isfinite(hess)):
        raise EstimationError(
            "spatial: vcov='oim': the likelihood is not finite around the estimates (a spatial "
            "parameter at the edge of its stable range?); use vcov='eim'"
        )
    return -hess


def invert(info: Array, names: list[str]) -> Array:
    """The inverse of an information matrix, refusing a singular one with the reason."""
    try:
        cond = np.linalg.cond(info)
    except np.linalg.LinAlgError:
        cond = np.inf
    if not np.isfinite(cond) or cond > 1e15:
        raise EstimationError(
            f"spatial: the information matrix is singular (condition {cond:.3g}); the parameters "
            f"{names} are not identified at the estimates (a spatial parameter at its bound?)"
        )
    vcov = np.linalg.inv(info)
    return (vcov + vcov.T) / 2.0
