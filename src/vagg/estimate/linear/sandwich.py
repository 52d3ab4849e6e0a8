"""Covariance matrices of OLS estimates and the small-sample conventions of Stata, fixest and
linearmodels.

All estimators are sandwiches ``V = c · B M B`` with bread ``B = (X̃'WX̃)⁻¹`` (``X̃`` the
regressors after the fixed effects are partialled out, ``W`` the weights) and

* iid: ``V = σ̂² B``, ``σ̂² = Σ wᵢeᵢ² / (N − K)``;
* hetero (HC1): ``M = Σ (wᵢeᵢ)² x̃ᵢx̃ᵢ'``, ``c = N / (N − K)``;
* CRV1, one-way: ``M = Σ_g s_g s_g'`` with cluster scores ``s_g = Σ_{i∈g} wᵢeᵢx̃ᵢ``,
  ``c = (N − 1)/(N − K) · G/(G − 1)``;
* CRV1, two-way (Cameron, Gelbach & Miller 2011): ``V = V_a + V_b − V_{a∩b}``, each term a
  one-way CRV1 with its own or a common ``G``.

The conventions differ only in ``K`` (how many absorbed fixed-effect levels are counted) and in
the ``G`` of the two-way terms. With ``k`` the number of estimated slopes (plus the intercept
when there are no fixed effects):

``"stata"`` — reghdfe 6 (Correia 2017; ``reghdfe_common.mata``, ``reghdfe_class.mata``
``estimate_dof()``):
    ``K = k + df_a``, where ``df_a`` is the number of fixed-effect levels less the redundant
    ones: every effect nested in a cluster variable (each of its levels in one cluster) is
    fully redundant; every other effect but the first loses one level (the first too when some
    effect is nested); for each pair of non-nested effects the later one loses at least as many
    levels as the pair has connected components ("mobility groups"). CRV1 uses
    ``(N − 1)/(N − K − a) · G_min/(G_min − 1)`` for every term, with ``a = 1`` when all effects
    are nested (``df_a = 0``; this matches ``xtreg, fe``), else 0. iid: ``σ̂² = RSS/(N − K)``;
    hetero: ``N/(N − K)``. Clustered t-tests use ``G_min − 1`` degrees of freedom.

``"fixest"`` — pyfixest's defaults, ``ssc(k_adj=True, k_fixef="nonnested", G_adj=True,
G_df="min")`` (fixest's ``fixef.K="nested"``):
    ``K = k + Σ levels − (n_fe − 1)``; with CRV the levels of effects nested in the clusters
    are removed and one per such effect added back. A pyfixest ``ssc(...)`` dict may be passed
    instead to use any of its other settings, with the same rules as pyfixest 0.60
    ``utils.get_ssc``.

``"linearmodels"`` — ``PanelOLS(...).fit(debiased=True, auto_df=True)`` with
``group_debias=True`` for clusters:
    ``K = k + 1 + Σ (levels − 1)``; a single effect nested in every cluster variable is not
    counted (``K = k + 1``). Two-way clusters scale each of the three terms by its own
    ``G/(G − 1)`` (``G_{a∩b}`` = number of non-empty (a, b) cells).

``"plm"`` — R plm's within estimator as its documentation describes it (Croissant & Millo
2008; ``vcovHC.plm``, ``type="sss"`` for clusters, ``"HC1"`` for hetero): iid counts every
absorbed level (``σ̂² = RSS/(N − k − Σ levels + n_fe − 1)``, as ``df.residual`` of a within
model); hetero and CRV1 count the slopes only (``K = k``): HC1 ``N/(N − k)``, CRV1
``G/(G − 1) · (N − 1)/(N − k)``. Written from the documentation, not checked against R output
here; one-way clusters only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.demean import indicator_matrix

__all__ = [
    "CONVENTIONS",
    "Factor",
    "SmallSample",
    "absorbed_df",
    "cluster_scores",
    "cluster_terms",
    "intersect",
    "mobility_groups",
    "nested_in",
    "parse_ssc",
    "reghdfe_absorbed_df",
    "sandwich_vcov",
    "score_meat",
    "small_sample",
]

CONVENTIONS = ("stata", "fixest", "linearmodels", "plm")


@dataclass(frozen=True)
class Factor:
    """A categorical variable on the estimation sample: codes ``0..n_levels−1`` and a name."""

    name: str
    codes: np.ndarray
    n_levels: int


@dataclass
class SmallSample:
    """The small-sample scaling chosen for one fit.

    ``scales`` has one entry per sandwich term (one for iid/hetero/one-way CRV1, three for
    two-way CRV1: a, b, a∩b). ``k_total`` is the ``K`` of ``N − K``; ``df_resid`` the degrees
    of freedom of t-tests.
    """

    convention: str
    k_total: int
    absorbed_df: int
    scales: list[float]
    df_resid: int
    details: dict[str, Any] = field(default_factory=dict)


def nested_in(effect: Factor, cluster: Factor) -> bool:
    """Whether every level of ``effect`` lies within one level of ``cluster``."""
    representative = np.empty(effect.n_levels, dtype=np.int64)
    representative[effect.codes] = cluster.codes  # any row's cluster stands for its level
    return bool(np.array_equal(representative[effect.codes], cluster.codes))


def mobility_groups(a: Factor, b: Factor) -> int:
    """Connected components of the bipartite graph of levels of ``a`` and ``b`` (rows = edges).

    This is the number of levels of ``b`` that are redundant given ``a`` (Abowd, Creecy &
    Kramarz 2002; reghdfe's ``BipartiteGraph``).
    """
    n = a.n_levels + b.n_levels
    graph = sp.coo_matrix(
        (np.ones(len(a.codes)), (a.codes, b.codes + a.n_levels)), shape=(n, n)
    ).tocsr()
    n_comp, _ = connected_components(graph, directed=False)
    return int(n_comp)


def intersect(a: Factor, b: Factor) -> Factor:
    """The cluster variable of the cells (a, b)."""
    codes, uniq = pd.factorize(a.codes.astype(np.int64) * b.n_levels + b.codes)
    return Factor(f"{a.name}^{b.name}", codes.astype(np.int64), len(uniq))


def reghdfe_absorbed_df(
    effects: Sequence[Factor], clusters: Sequence[Factor]
) -> tuple[int, int, list[int]]:
    """reghdfe's ``(df_a, df_a_nested, redundant levels per effect)`` (module docstring)."""
    g = len(effects)
    redundant = [0] * g
    nested = [False] * g
    for j, fe in enumerate(effects):
        if any(nested_in(fe, c) for c in clusters):
            redundant[j] = fe.n_levels
            nested[j] = True
    remaining = [j for j in range(g) if not nested[j]]
    df_a_nested = sum(effects[j].n_levels for j in range(g) if nested[j])
    if len(remaining) > 1 or (remaining and df_a_nested > 0):
        start = 0 if df_a_nested > 0 else 1
        for j in remaining[start:]:
            redundant[j] = 1
    for i, ja in enumerate(remaining[:-1]):
        for jb in remaining[i + 1 :]:
            m = mobility_groups(effects[ja], effects[jb])
            redundant[jb] = max(redundant[jb], m)
    df_a = sum(fe.n_levels for fe in effects) - sum(redundant)
    return df_a, df_a_nested, redundant


def _pyfixest_df_k(
    k: int, effects: Sequence[Factor], clusters: Sequence[Factor], k_fixef: str
) -> int:
    n_fe = len(effects)
    if n_fe == 0 or k_fixef == "none":
        return k
    k_fe = sum(fe.n_levels for fe in effects)
    k_fe_adj = k_fe - (n_fe - 1) if n_fe > 1 else k_fe
    if k_fixef == "full" or not clusters:
        return k + k_fe_adj
    nested = [fe for fe in effects if any(nested_in(fe, c) for c in clusters)]
    return k + k_fe_adj - sum(fe.n_levels for fe in nested) + len(nested)


def _linearmodels_k(k: int, effects: Sequence[Factor], clusters: Sequence[Factor]) -> int:
    if not effects:
        return k
    if len(effects) == 1 and clusters and all(nested_in(effects[0], c) for c in clusters):
        return k + 1
    return k + 1 + sum(fe.n_levels - 1 for fe in effects)


def absorbed_df(ssc: str | dict[str, Any], k: int, effects: Sequence[Factor]) -> int:
    """Fixed-effect levels counted as parameters when clusters are ignored (for the adjusted R²).

    The adjusted R² is ``1 − (1 − R²)(N − 1)/(N − k − absorbed)`` in reghdfe (``r2_a``), fixest
    and pyfixest; only the count of absorbed levels follows the convention.
    """
    if not effects:
        return 0
    if ssc == "stata":
        return reghdfe_absorbed_df(effects, [])[0]
    if ssc == "linearmodels":
        return _linearmodels_k(k, effects, []) - k
    k_fixef = "nonnested" if not isinstance(ssc, dict) else str(ssc["k_fixef"])
    return _pyfixest_df_k(k, effects, [], "full" if k_fixef == "none" else k_fixef) - k


def parse_ssc(ssc: str | Mapping[str, Any] | None) -> str | dict[str, Any]:
    """Normalise ``ssc=``: a convention name, or a pyfixest ``ssc()`` dict (validated)."""
    if ssc is None:
        return "stata"
    if isinstance(ssc, str):
        if ssc not in CONVENTIONS:
            raise EstimationError(
                f"ssc={ssc!r} is not a known convention; use one of {list(CONVENTIONS)} "
                "or a pyfixest.ssc(...) dict"
            )
        return ssc
    if isinstance(ssc, Mapping):
        keys = {"k_adj", "k_fixef", "G_adj", "G_df"}
        if set(ssc) != keys:
            raise EstimationError(
                f"ssc dict must have exactly the keys {sorted(keys)}; got {sorted(ssc)}"
            )
        if ssc["k_fixef"] not in ("none", "nonnested", "full") or ssc["G_df"] not in (
            "conventional",
            "min",
        ):
            raise EstimationError(f"ssc dict has invalid values: {dict(ssc)}")
        return dict(ssc)
    raise EstimationError(f"ssc must be a convention name or a pyfixest ssc dict; got {ssc!r}")


def small_sample(
    ssc: str | dict[str, Any],
    vcov_type: str,
    n: int,
    k: int,
    effects: Sequence[Factor],
    clusters: Sequence[Factor],
    *,
    constant_if_nested: bool = False,
) -> SmallSample:
    """Scale factors and degrees of freedom for one fit (see the module docstring).

    Parameters
    ----------
    ssc : str or dict
        A convention of :data:`CONVENTIONS` or a pyfixest ``ssc()`` dict (:func:`parse_ssc`).
    vcov_type : str
        ``"iid"``, ``"hetero"`` or ``"CRV1"``.
    n : int
        Observations.
    k : int
        Estimated coefficients (slopes, and the intercept when there are no fixed effects).
    effects : sequence of Factor
        The absorbed fixed effects.
    clusters : sequence of Factor
        The one-way cluster variables (ignored unless ``vcov_type == "CRV1"``).
    constant_if_nested : bool
        ``ssc="stata"`` only: count one more parameter (the constant) whenever a fixed effect
        is nested in a cluster variable, as ivreghdfe's ``absorb_ct`` does for IV models;
        reghdfe counts it only when every effect is nested. Default False (reghdfe).

    Returns
    -------
    SmallSample
        The scales (the iid scale multiplies ``RSS/N · B``), ``K`` and residual df.
    """
    clustered = vcov_type == "CRV1"
    cl = list(clusters) if clustered else []
    g = [c.n_levels for c in cl]
    if len(cl) == 2:
        g.append(intersect(cl[0], cl[1]).n_levels)
    g_min = min(g[:2]) if g else 0
    details: dict[str, Any] = {}
    opts: dict[str, Any] = {"k_adj": True, "G_adj": True}
    if ssc == "stata":
        df_a, df_a_nested, redundant = reghdfe_absorbed_df(effects, cl)
        k_total = k + df_a
        details.update(df_a=df_a, df_a_nested=df_a_nested, redundant_levels=redundant)
        all_nested = df_a == 0 or (constant_if_nested and df_a_nested > 0)
        nested_adj = 1 if (clustered and effects and all_nested) else 0
        details["nested_adj"] = nested_adj
        g_used = [g_min] * len(g)
        name = "stata"
    elif ssc == "linearmodels":
        k_total = _linearmodels_k(k, effects, cl)
        nested_adj = 0
        g_used = g
        name = "linearmodels"
    elif ssc == "fixest" or ssc == "plm" or isinstance(ssc, dict):
        if isinstance(ssc, dict):
            opts = dict(ssc)
        elif ssc == "plm":
            if len(cl) > 1:
                raise EstimationError(
                    "ssc='plm' supports one-way clustering only (plm's multi-way vcovDC "
                    "uses another formula); use ssc='stata' or 'fixest'"
                )
            k_fixef = "nonnested" if vcov_type == "iid" else "none"
            opts = {"k_adj": True, "k_fixef": k_fixef, "G_adj": True, "G_df": "conventional"}
        else:
            opts = {"k_adj": True, "k_fixef": "nonnested", "G_adj": True, "G_df": "min"}
        k_total = _pyfixest_df_k(k, effects, cl, str(opts["k_fixef"]))
        nested_adj = 0
        g_used = [g_min] * len(g) if opts["G_df"] == "min" else g
        details["pyfixest_ssc"] = dict(opts)
        name = ssc if ssc in ("fixest", "plm") else "pyfixest"
    else:
        raise EstimationError(f"unknown small-sample convention {ssc!r}")
    if n - k_total - nested_adj <= 0:
        raise EstimationError(
            f"no residual degrees of freedom: {n} observations, {k_total} parameters "
            "(slopes plus absorbed fixed-effect levels)"
        )
    absorbed = k_total - k
    df_resid = g_min - 1 if clustered else n - k_total
    if vcov_type == "iid":
        # σ̂² = RSS/(N − K); pyfixest without k_adj uses RSS/(N − 1)
        scale = n / (n - k_total) if opts["k_adj"] else n / (n - 1)
        return SmallSample(name, k_total, absorbed, [scale], df_resid, details)
    if vcov_type == "hetero":
        scale = n / (n - k_total) if opts["k_adj"] else 1.0
        return SmallSample(name, k_total, absorbed, [scale], df_resid, details)
    k_part = (n - 1) / (n - k_total - nested_adj) if opts["k_adj"] else 1.0
    scales = [k_part * (gi / (gi - 1) if opts["G_adj"] else 1.0) for gi in g_used]
    return SmallSample(name, k_total, absorbed, scales, df_resid, details)


def cluster_scores(scores: np.ndarray, cluster: Factor) -> np.ndarray:
    """Σ of the score rows within each cluster (G × k)."""
    return np.asarray(indicator_matrix(cluster.codes, cluster.n_levels) @ scores)


def cluster_terms(clusters: Sequence[Factor]) -> list[tuple[Factor, float]]:
    """The terms of a one- or two-way cluster covariance and their signs.

    One-way: ``[(a, +1)]``; two-way (Cameron, Gelbach & Miller 2011): ``[(a, +1), (b, +1),
    (a∩b, −1)]``, so that ``Σ sign · U'U`` is ``S_a + S_b − S_{a∩b}``.
    """
    if len(clusters) == 1:
        return [(clusters[0], 1.0)]
    if len(clusters) != 2:
        raise EstimationError(f"one- or two-way clustering only; got {len(clusters)} variables")
    return [(clusters[0], 1.0), (clusters[1], 1.0), (intersect(clusters[0], clusters[1]), -1.0)]


def score_meat(scores: np.ndarray, clusters: Sequence[Factor] = ()) -> np.ndarray:
    """The meat ``Σ_i g_i g_i'`` (no clusters) or ``Σ_terms sign · Σ_g s_g s_g'`` of the
    scores ``g_i`` (rows of ``scores``), without small-sample factors (HC0 / CRV0); the weak-IV
    statistics (:mod:`vagg.estimate.linear.weak_iv`) use it as ``ranktest`` does."""
    if not clusters:
        return scores.T @ scores
    total = np.zeros((scores.shape[1], scores.shape[1]))
    for cluster, sign in cluster_terms(clusters):
        u = cluster_scores(scores, cluster)
        total += sign * (u.T @ u)
    return total


def sandwich_vcov(
    x: np.ndarray,
    resid: np.ndarray,
    weights: np.ndarray | None,
    bread: np.ndarray,
    vcov_type: str,
    clusters: Sequence[Factor],
    small: SmallSample,
) -> np.ndarray:
    """The covariance matrix ``c · B M B`` for ``vcov_type`` in iid / hetero / CRV1.

    ``x`` are the partialled-out regressors, ``resid`` the residuals ``ỹ − X̃β̂`` (unweighted),
    ``bread`` = ``(X̃'WX̃)⁻¹``.
    """
    n = len(resid)
    we = resid if weights is None else weights * resid
    if vcov_type == "iid":
        rss = float(resid @ we)
        return small.scales[0] * rss / n * bread
    scores = x * we[:, None]
    if vcov_type == "hetero":
        meat = scores.T @ scores
        return small.scales[0] * (bread @ meat @ bread)
    if vcov_type != "CRV1":
        raise EstimationError(f"unknown vcov type {vcov_type!r}")
    total = np.zeros_like(bread)
    for (cluster, sign), scale in zip(cluster_terms(clusters), small.scales, strict=True):
        u = cluster_scores(scores, cluster)
        total += sign * scale * (bread @ (u.T @ u) @ bread)
    return (total + total.T) / 2
