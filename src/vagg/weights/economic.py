"""Economic-distance weights and the nested (geographic × economic) weights.

Economic distance (methods note ``regional_and_estimators.md`` §3.3; paper 004 Table 4):
w_ij = 1/|ḡ_i − ḡ_j| for i ≠ j, with ḡ_i unit i's per-capita GDP averaged over the sample
years, kept time-invariant so that W stays exogenous. Units with nearly equal ḡ get huge
weights; exactly equal ones an infinite weight, which is refused (or floored, on request).

Nested economic–geographic weights, three conventions of the Chinese literature:

* ``"gdp_share"`` (default): W = W_d · diag(ḡ_1/ḡ, …, ḡ_n/ḡ) — the geographic weight of
  neighbour j scaled by j's per-capita GDP relative to the mean ḡ (Lin Guangping et al. 2005;
  methods note §3.3);
* ``"hadamard"``: w_ij = w^d_ij · w^e_ij, the element-wise product of the distance and the
  economic-distance weights;
* ``"mixture"``: W = φ·W_d + (1 − φ)·W_e of the two row-standardised matrices.

Stata's ``spwmatrix, econ`` uses a different formula ([1/|x_i − x_j + 1|]·exp(−β·d_ij)); the
methods note warns not to validate against it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .core import SpatialWeights, Standardize, finish
from .errors import WeightsError, ids_text

__all__ = ["economic_distance", "nested"]

NestedMethod = Literal["gdp_share", "hadamard", "mixture"]


def _as_series(values: Any, name: str) -> pd.Series:
    if isinstance(values, pd.Series):
        series = values.astype(float)
    elif isinstance(values, Mapping):
        series = pd.Series(dict(values), dtype=float)
    else:
        raise WeightsError(f"{name}: give a pandas Series (or a dict) of values indexed by unit id")
    if series.index.has_duplicates:
        dup = list(series.index[series.index.duplicated()])
        raise WeightsError(f"{name}: ids repeat: {ids_text(dup)}")
    bad = series.index[~np.isfinite(series.to_numpy())]
    if len(bad):
        raise WeightsError(f"{name}: values are missing or not finite for {ids_text(list(bad))}")
    return series


def economic_distance(
    gdp_per_capita: pd.Series | Mapping[Hashable, float],
    *,
    min_difference: float | None = None,
    standardize: Standardize = "row",
) -> SpatialWeights:
    """Economic-distance weights w_ij = 1/|ḡ_i − ḡ_j| (i ≠ j).

    Parameters
    ----------
    gdp_per_capita : Series or mapping
        ḡ_i by unit id: per-capita GDP averaged over the sample years (e.g.
        ``panel.groupby("province")["pgdp"].mean()``), so that W is time-invariant.
    min_difference : float, optional
        Floor |ḡ_i − ḡ_j| at this value. By default a pair with exactly equal ḡ (an infinite
        weight) is an error naming the pair.
    standardize : {"row", None}
        Row-standardise (default) or keep 1/|Δḡ|.

    Returns
    -------
    SpatialWeights

    References
    ----------
    Methods note ``regional_and_estimators.md`` §3.3; paper 004 Table 4 ("economic distance").
    """
    name = "economic distance 1/|Δ pgdp|"
    g = _as_series(gdp_per_capita, "economic_distance")
    values = g.to_numpy()
    gap = np.abs(values[:, None] - values[None, :])
    off = ~np.eye(len(values), dtype=bool)
    if min_difference is not None:
        if not np.isfinite(min_difference) or min_difference <= 0:
            raise WeightsError(f"{name}: min_difference must be positive; got {min_difference!r}")
        gap = np.maximum(gap, min_difference)
    elif np.any(gap[off] == 0):
        i, j = np.argwhere((gap == 0) & off)[0]
        raise WeightsError(
            f"{name}: units {g.index[i]!r} and {g.index[j]!r} have equal per-capita GDP "
            f"({values[i]:g}); 1/0 is undefined — pass min_difference= to floor the gap"
        )
    with np.errstate(divide="ignore"):
        matrix = np.where(off, 1.0 / np.where(off, gap, 1.0), 0.0)
    info = {"builder": "economic_distance", "min_difference": min_difference}
    return finish(matrix, list(g.index), name, info, standardize)


def nested(
    distance: SpatialWeights,
    gdp_per_capita: pd.Series | Mapping[Hashable, float],
    *,
    method: NestedMethod = "gdp_share",
    share: float = 0.5,
    min_difference: float | None = None,
    standardize: Standardize = "row",
) -> SpatialWeights:
    """Nested economic–geographic weights from a distance matrix and per-capita GDP.

    Parameters
    ----------
    distance : SpatialWeights
        The geographic weights W_d (e.g. :func:`~vagg.weights.inverse_distance_provinces`
        with ``standardize=None``); the GDP values are aligned to its ids.
    gdp_per_capita : Series or mapping
        ḡ_i by unit id (sample means).
    method : {"gdp_share", "hadamard", "mixture"}
        ``"gdp_share"``: W_d·diag(ḡ_j/ḡ) with ḡ the mean over units (default);
        ``"hadamard"``: w^d_ij·(1/|ḡ_i − ḡ_j|); ``"mixture"``: φ·W_d + (1 − φ)·W_e with both
        row-standardised and φ = ``share``.
    share : float
        φ of the mixture, in [0, 1].
    min_difference : float, optional
        Passed to :func:`economic_distance` (``"hadamard"`` and ``"mixture"``).
    standardize : {"row", None}
        Row-standardise the result (default).

    Returns
    -------
    SpatialWeights
    """
    g = _as_series(gdp_per_capita, "nested")
    missing = [u for u in distance.ids if u not in g.index]
    if missing:
        raise WeightsError(
            f"nested: gdp_per_capita lacks units of the distance matrix: {ids_text(missing)}"
        )
    g = g.loc[list(distance.ids)]
    if method == "gdp_share":
        if np.any(g.to_numpy() <= 0):
            bad = list(g.index[g.to_numpy() <= 0])
            raise WeightsError(f"nested: per-capita GDP must be positive; not for {ids_text(bad)}")
        scale = g.to_numpy() / g.mean()
        matrix = sp.csr_array(distance.matrix @ sp.diags_array(scale))
    elif method == "hadamard":
        econ = economic_distance(g, min_difference=min_difference, standardize=None)
        matrix = sp.csr_array(distance.matrix.multiply(econ.matrix))
    elif method == "mixture":
        if not 0.0 <= share <= 1.0:
            raise WeightsError(f"nested: share must lie in [0, 1]; got {share!r}")
        econ = economic_distance(g, min_difference=min_difference, standardize="row")
        geo = distance if distance.is_row_standardized else distance.row_standardize()
        matrix = sp.csr_array(share * geo.matrix + (1.0 - share) * econ.matrix)
    else:
        raise WeightsError(
            f"nested: method must be 'gdp_share', 'hadamard' or 'mixture'; got {method!r}"
        )
    info: dict[str, object] = {"builder": "nested", "method": method, "distance": distance.name}
    if method == "mixture":
        info["share"] = share
    return finish(
        matrix, list(distance.ids), f"nested distance × economic ({method})", info, standardize
    )
