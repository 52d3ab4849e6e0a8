"""Planted parameters of the synthetic economy and the estimands they imply.

Structural parameters are set here, once. Where a paper's regression does not estimate a
structural parameter directly (paper 000 Table 1 regresses DVAR on vagg_h, vagg_f or vagg_b one
at a time, while all three move together, and DVAR responds to them through the firms'
sourcing and materials choices), the truth is the *population estimand*: the coefficient of
that regression computed by the generator on the true estimation sample with the true
(latent) outcome and regressors — the true export DVAR from the latent imported inputs, the
true markups. A correct chain of measures and estimators then covers it, and a measure that
misreads the paper does not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import sparse

__all__ = [
    "HETEROGENEITY",
    "Planted",
    "demean",
    "fe_projection",
    "planted_dict",
]


@dataclass(frozen=True)
class Planted:
    """Structural parameters (units in each field's comment)."""

    # paper 000 (dvar_firms)
    markup_on_vagg_h: float = 0.6  # d log markup / d vagg_h (before heterogeneity multipliers)
    sourcing_on_vagg_f: float = 3.0  # fall of the logit import share of materials per vagg_f
    sourcing_on_upstream_variety: float = 0.15  # ... per log(1 + upstream domestic varieties)
    sourcing_on_switch: float = 0.3  # fall of the logit import share after an industry switch
    markup_noise_sd: float = 0.0  # sd of the firm-year markup shock (unseen by the first stage)
    varieties_member_boost: float = 0.6  # proportional rise of exported varieties when a member
    # paper 001 (quality_cities)
    quality_on_city_vagg: float = 6.0  # d ln λ / d vagg_ct (KSW log quality, eq. 19 units)
    # paper 001 mechanism and IV
    segmentation_on_city_vagg: float = -8.0  # d log sd(relative CPI deviations) / d vagg_ct
    telephones_on_exposure: float = 0.5  # d log telephones_1984 / d sd-unit of 2005 exposure


#: heterogeneity multipliers on markup_on_vagg_h (paper 000 Table 4 pattern)
HETEROGENEITY: dict[str, Any] = {
    "ownership": {
        "private": 1.5,
        "collective": 1.0,
        "legal": 1.0,
        "state": 0.4,
        "hmt": 0.5,
        "foreign": 0.5,
    },
    "processing_type": 0.3,
    "west": 0.6,
    "high_tech": 0.6,
}


def planted_dict(p: Planted) -> dict[str, float]:
    return asdict(p)


def _indicator(codes: np.ndarray) -> sparse.csr_matrix:
    n_groups = int(codes.max()) + 1
    return sparse.csr_matrix(
        (np.ones(len(codes)), (np.arange(len(codes)), codes)), shape=(len(codes), n_groups)
    )


def demean(data: np.ndarray, fe: list[np.ndarray]) -> np.ndarray:
    """Columns of ``data`` with the fixed effects ``fe`` (integer codes) projected out, exactly.

    The first FE (the large one, e.g. firms) is swept out by group means; the others are
    solved jointly by the normal equations of their firm-demeaned indicators
    (Frisch–Waugh–Lovell), with a pseudo-inverse for their collinear columns. This is truth
    generation, kept independent of :mod:`vagg.estimate` on purpose.
    """
    big = _indicator(fe[0])
    counts = np.maximum(np.asarray(big.sum(axis=0)).ravel(), 1)

    def within(a: np.ndarray) -> np.ndarray:
        return a - big @ ((big.T @ a) / counts[:, None])

    data = np.asarray(data, dtype=float)
    out = np.empty_like(data)
    inverse = None
    if len(fe) > 1:
        small = sparse.hstack([_indicator(c) for c in fe[1:]]).tocsr()
        # D'D − D'F (F'F)⁻¹ F'D, kept sparse until the small Gram matrix: a dense D'F would
        # be (small effects × firms), gigabytes at the paper scale
        cross = (small.T @ big).tocsr()  # D'F
        projected = cross @ sparse.diags(1.0 / counts) @ cross.T
        gram = (small.T @ small).toarray() - projected.toarray()
        # a relative cutoff: the collinear directions (e.g. industry and year dummies) leave
        # eigenvalues at rounding level, which must count as zero
        inverse = np.linalg.pinv(gram, rtol=1e-10, hermitian=True)
    # a few columns at a time: the temporaries stay at a few rows × 16 columns
    for lo in range(0, data.shape[1], 16):
        block = within(data[:, lo : lo + 16])
        if inverse is not None:
            block = block - within(small @ (inverse @ (small.T @ block)))
        out[:, lo : lo + 16] = block
    return out


def fe_projection(y: np.ndarray, x: np.ndarray, fe: list[np.ndarray]) -> np.ndarray:
    """OLS coefficients of ``y`` on ``x`` after absorbing the fixed effects ``fe``."""
    data = demean(np.column_stack([y, x]), fe)
    beta, *_ = np.linalg.lstsq(data[:, 1:], data[:, 0], rcond=None)
    return beta
