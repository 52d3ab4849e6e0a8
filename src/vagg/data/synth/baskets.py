"""Export baskets that reproduce a planted EXPY (paper 004's export sophistication).

:func:`solve_baskets` draws each province-year's HS4 export shares so that the EXPY computed
from them by the paper's formula (004 eq. (12)–(13)) equals the planted value: baskets are
centred on the latent sophistication scale and their centres fitted by least squares. Part of
the province generator (:mod:`vagg.data.synth.provinces`).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

__all__ = ["solve_baskets"]

Array = np.ndarray
_BASKET_WIDTH = 1.0  # width of a province's basket on the latent sophistication scale
_BASKET_ATTEMPTS = 5


def solve_baskets(
    rng: np.random.Generator, ln_met: Array, pgdp: Array, ln_exports0: Array, n_products: int
) -> list[Array]:
    """Export shares s_iht (one provinces × products array per year) with the planted EXPY.

    EXPY (004 eq. (12)–(13); Hausmann, Hwang & Rodrik 2007): RTV_h = Σ_i (s_ih/Σ_k s_kh)·PGDP_i,
    MET_i = Σ_h s_ih·RTV_h. Since Σ_i MET_i = Σ_i PGDP_i for any shares, only the cross-section
    is planted: the year's target is ln_met plus the constant that satisfies that identity.
    Products carry a latent sophistication q_h; province i exports the products it makes
    (more of them the larger its exports) with shares ∝ exp(affinity_ih − (q_h − m_i)²/2),
    and the centres m_t solve ln MET(m_t) = target. Should a draw of products make a target
    unreachable, products are drawn again (at most ``_BASKET_ATTEMPTS`` times).
    """
    n, nt = ln_met.shape
    size = (ln_exports0 - ln_exports0.mean()) / ln_exports0.std()
    presence = 1 / (1 + np.exp(-(2.0 + 1.2 * size)))
    for _ in range(_BASKET_ATTEMPTS):
        q = rng.normal(0, 1.5, n_products)
        affinity = rng.normal(0, 1, n_products) + rng.normal(0, 0.4, (n, n_products))
        makes = rng.random((n, n_products)) < presence[:, None]
        makes[np.argmax(ln_exports0)] = True  # every product has an exporter
        centres = np.zeros(n)
        out = []
        for k in range(nt):
            p = pgdp[:, k]
            target = ln_met[:, k] + np.log(p.sum()) - np.log(np.exp(ln_met[:, k]).sum())
            logits = np.where(makes, affinity + rng.normal(0, 0.15, (n, n_products)), -np.inf)
            fitted = _fit_centres(logits, q, p, target, centres)
            if fitted is None:
                break
            centres = fitted
            out.append(_expy(logits, q, centres, p)[0])
        else:
            return out
    raise RuntimeError(
        f"export baskets could not reproduce the planted EXPY after {_BASKET_ATTEMPTS} draws "
        "of the products; generate with another seed"
    )


def _expy(logits: Array, q: Array, m: Array, p: Array) -> tuple[Array, Array, Array, Array]:
    """Shares, product totals Σ_i s_ih, RTV and MET for basket centres ``m``."""
    x = logits - (q[None, :] - m[:, None]) ** 2 / (2 * _BASKET_WIDTH**2)
    s = np.exp(x - x.max(axis=1, keepdims=True))
    s /= s.sum(axis=1, keepdims=True)
    c = s.sum(axis=0)
    rtv = s.T @ p / c
    return s, c, rtv, s @ rtv


def _fit_centres(logits: Array, q: Array, p: Array, target: Array, start: Array) -> Array | None:
    """Centres m with ln MET(m) = target (mean of m fixed at 0), by homotopy + Levenberg–Marquardt.

    The analytic Jacobian: with g_ih = s_ih(q_h − q̄_i)/width², ∂MET_j/∂m_i =
    δ_ij Σ_h g_ih RTV_h + Σ_h (s_jh/c_h)·g_ih·(PGDP_i − RTV_h). The target is approached from
    the MET of the best starting point along a straight path, shortening the step where the
    solver fails; ``None`` when the target cannot be reached.
    """
    n = len(p)
    ln_p = np.log(p)
    rank = (ln_p - ln_p.mean()) / ln_p.std()

    def residual(m: Array, goal: Array) -> Array:
        return np.append(np.log(_expy(logits, q, m, p)[3]) - goal, m.mean())

    def jacobian(m: Array, goal: Array) -> Array:
        s, c, rtv, met = _expy(logits, q, m, p)
        g = s * (q[None, :] - (s @ q)[:, None]) / _BASKET_WIDTH**2
        jac = np.diag(g @ rtv) + (s / c) @ (g.T * (p[None, :] - rtv[:, None]))
        return np.vstack([jac / met[:, None], np.full((1, n), 1 / n)])

    starts = [start] + [c * rank for c in (0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0)]
    m = min(starts, key=lambda mm: float(np.sum(residual(mm, target) ** 2)))
    origin = np.log(_expy(logits, q, m, p)[3])
    done, step = 0.0, 1.0
    while done < 1.0:
        s_next = min(1.0, done + step)
        goal = (1 - s_next) * origin + s_next * target
        goal += np.log(p.sum()) - np.log(np.exp(goal).sum())
        fit = least_squares(residual, m, jac=jacobian, args=(goal,), method="lm",
                            xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=200)  # fmt: skip
        if np.abs(fit.fun).max() < 1e-10:
            m, done, step = fit.x, s_next, min(2 * step, 0.5)
        elif step > 1e-3:
            step /= 4
        else:
            return None
    return m
