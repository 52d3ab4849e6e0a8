"""The projection index of projection-pursuit evaluation, ``Q(a) = S_z · D_z``.

For the normalised indicator matrix ``X`` (n units × m indicators) and a unit-length
direction ``a`` (``Σ a_j² = 1``, ``a_j ≥ 0``), the projection values are ``z = X a`` and
(paper 004, eq. 16–18; Friedman & Tukey 1974; Fu & Zhao 2006)

* ``S_z = sqrt(Σ_i (z_i − z̄)² / (n − 1))`` — the spread (``n − 1`` denominator);
* ``D_z = Σ_i Σ_k (R − r_ik) · u(R − r_ik)``, ``r_ik = |z_i − z_k|``, ``u`` the unit step —
  the local density. The double sum **includes** ``i = k``: the diagonal adds ``n·R``;
* ``Q(a) = S_z · D_z``.

The window radius ``R`` follows one of the rules of the methods notes (§1.1, item 4):

* ``"sd"``: ``R = scale · S_z`` (default ``scale = 0.1``, the rule of Fu & Zhao 2006 used
  throughout the Chinese applications; ``R`` then moves with ``a``);
* ``"range"``: ``R = scale · r_max`` with ``r_max = max z − min z`` (``scale ≥ 1`` puts every
  pair inside the window, so ``D_z = n²R − ΣΣ r_ik``);
* ``"fixed"``: ``R = scale``, a constant.

Written here because no maintained Python library implements the index; it is a few lines of
numpy, vectorised over a population of directions for the genetic optimiser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["IndexParts", "WindowRule", "index_parts", "population_index", "unit_direction"]

WindowRule = Literal["sd", "range", "fixed"]

#: Largest n·n·P block evaluated at once (floats), to bound memory for large samples.
_BLOCK = 4_000_000


@dataclass(frozen=True)
class IndexParts:
    """The projection index at one direction and its parts.

    Attributes
    ----------
    q : float
        ``Q = S_z · D_z``.
    s_z : float
        Spread of the projections (``n − 1`` denominator).
    d_z : float
        Local density, diagonal included.
    radius : float
        Window radius ``R`` used.
    """

    q: float
    s_z: float
    d_z: float
    radius: float


def unit_direction(b: np.ndarray) -> np.ndarray:
    """``|b| / ‖b‖₂`` row by row (``b`` of shape ``(m,)`` or ``(P, m)``); a zero row maps to
    the equal-weight direction ``1/√m`` (the guard against ``b = 0`` of the methods notes)."""
    b = np.abs(np.asarray(b, dtype=float))
    single = b.ndim == 1
    b2 = np.atleast_2d(b)
    norm = np.sqrt(np.einsum("ij,ij->i", b2, b2))
    out = np.empty_like(b2)
    zero = norm <= 0
    out[~zero] = b2[~zero] / norm[~zero, None]
    out[zero] = 1.0 / np.sqrt(b2.shape[1])
    return out[0] if single else out


def _radius(z: np.ndarray, s_z: np.ndarray, rule: WindowRule, scale: float) -> np.ndarray:
    if rule == "sd":
        return scale * s_z
    if rule == "range":
        return scale * (z.max(axis=0) - z.min(axis=0))
    return np.full(z.shape[1], float(scale))


def population_index(
    x: np.ndarray, directions: np.ndarray, rule: WindowRule = "sd", scale: float = 0.1
) -> np.ndarray:
    """``Q`` for each row of ``directions`` (``P × m``, rows already of unit length).

    Parameters
    ----------
    x : numpy.ndarray
        Normalised indicators, ``n × m``.
    directions : numpy.ndarray
        ``P × m`` unit directions.
    rule : {"sd", "range", "fixed"}
        Window-radius rule (module docstring).
    scale : float
        The rule's constant.

    Returns
    -------
    numpy.ndarray
        ``Q`` of shape ``(P,)``.
    """
    z = x @ np.atleast_2d(directions).T  # n × P
    n, p = z.shape
    s_z = z.std(axis=0, ddof=1)
    radius = _radius(z, s_z, rule, scale)
    d_z = np.empty(p)
    step = max(1, _BLOCK // (n * n))
    for lo in range(0, p, step):
        zb = z[:, lo : lo + step]
        r = np.abs(zb[:, None, :] - zb[None, :, :])  # n × n × block
        d_z[lo : lo + step] = np.maximum(radius[None, None, lo : lo + step] - r, 0.0).sum(
            axis=(0, 1)
        )
    return s_z * d_z


def index_parts(
    x: np.ndarray, direction: np.ndarray, rule: WindowRule = "sd", scale: float = 0.1
) -> IndexParts:
    """``Q``, ``S_z``, ``D_z`` and ``R`` at one unit direction (arguments as
    :func:`population_index`)."""
    z = x @ np.asarray(direction, dtype=float)
    s_z = float(z.std(ddof=1))
    radius = float(_radius(z[:, None], np.array([s_z]), rule, scale)[0])
    r = np.abs(z[:, None] - z[None, :])
    d_z = float(np.maximum(radius - r, 0.0).sum())
    return IndexParts(q=s_z * d_z, s_z=s_z, d_z=d_z, radius=radius)
