"""Gravity weights from R&D factor flows (paper 004's WFP and WFC).

Paper 004 (Zhuo & Deng) estimates its spatial interaction model (eq. 24–25, Table 5) with two
weight matrices built from the flows of R&D personnel (WFP) and R&D capital (WFC) between
provinces, following its ref. [11] and Bai Junhong et al. (2017) — a "modified gravity" model
(methods note ``regional_and_estimators.md`` §3.3, tagged there as to be verified in the
papers):

    RDL_ij = ln(L_i) · ln(w_j − w_i) · d_ij^(−2)   if w_j > w_i, else 0,
    RDK_ij = ln(K_i) · ln(f_j − f_i) · d_ij^(−2)   if f_j > f_i, else 0,

with L_i the R&D personnel (K_i the R&D capital stock or expenditure) of origin i, w the
average wage (f the capital pull factor: a return or financial-development proxy) and d_ij
the great-circle distance. The flow runs from i to j, towards the higher pull.

As a weight matrix the note takes W_ij = flow_ij (w_ii = 0), row-standardised. That leaves
the unit with the highest pull without any outflow — an all-zero row, which cannot be
row-standardised. ``direction`` therefore chooses: ``"both"`` (default) links i and j by their
total flow flow_ij + flow_ji, a symmetric matrix without islands; ``"outflow"`` is the note's
W_ij = flow_ij and ``"inflow"`` its transpose W_ij = flow_ji (each leaves one unit isolated,
refused unless the caller keeps the matrix unstandardised).

Units matter: ln(difference) < 0 when the pull gap is below 1 (yuan vs 10⁴ yuan), and
ln(L_i) < 0 when L_i < 1; negative flows are refused (naming the pairs) unless
``negative="zero"``. Flows are time-varying; pass sample means (or one year) to keep W
exogenous and fixed.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from vagg.data import geography

from .core import SpatialWeights, Standardize, finish
from .economic import _as_series
from .errors import WeightsError, ids_text

__all__ = ["gravity_flow", "rd_capital_flow", "rd_personnel_flow"]

Direction = Literal["both", "outflow", "inflow"]


def _distances(
    distance: pd.DataFrame | SpatialWeights | None, ids: list[Hashable], name: str
) -> np.ndarray:
    if distance is None:
        table = geography.distance_matrix_km()
        unknown = [u for u in ids if u not in set(table.index)]
        if unknown:
            raise WeightsError(
                f"{name}: without distance= the ids must be province codes; "
                f"unknown: {ids_text(unknown)}"
            )
        return table.loc[ids, ids].to_numpy(dtype=float)
    frame = distance.to_frame() if isinstance(distance, SpatialWeights) else distance
    missing = [u for u in ids if u not in set(frame.index) or u not in set(frame.columns)]
    if missing:
        raise WeightsError(f"{name}: the distance matrix lacks units {ids_text(missing)}")
    return frame.loc[ids, ids].to_numpy(dtype=float)


def gravity_flow(
    mass: pd.Series | Mapping[Hashable, float],
    pull: pd.Series | Mapping[Hashable, float],
    *,
    distance: pd.DataFrame | None = None,
    power: float = 2.0,
    direction: Direction = "both",
    negative: Literal["error", "zero"] = "error",
    standardize: Standardize = "row",
    name: str = "gravity flow",
) -> SpatialWeights:
    """Gravity flow weights flow_ij = ln(M_i)·ln(P_j − P_i)·d_ij^(−power) if P_j > P_i, else 0.

    Parameters
    ----------
    mass : Series or mapping
        M_i by unit id: the factor stock of the origin (R&D personnel, R&D capital).
    pull : Series or mapping
        P_i by unit id: the pull factor (wage, return on capital).
    distance : DataFrame, optional
        Distances d_ij (km) labelled by id on both axes. Default: the great-circle distances
        between provincial capitals (:func:`vagg.data.geography.distance_matrix_km`), for
        province codes.
    power : float
        The distance decay (2 in paper 004's source).
    direction : {"both", "outflow", "inflow"}
        W_ij = flow_ij + flow_ji (default, symmetric), flow_ij (i's outflows) or flow_ji (i's
        inflows). See the module docstring.
    negative : {"error", "zero"}
        What to do with negative flows (a log of a number below 1): refuse, naming the pairs
        and suggesting other units (default), or set them to 0.
    standardize : {"row", None}
        Row-standardise (default) or keep the flows.

    Returns
    -------
    SpatialWeights
        ``info`` holds the direction, the power and the number of pairs with a flow.

    References
    ----------
    Paper 004 §2.3 (eq. 25, Table 5: WFP, WFC); Bai Junhong, Wang Huijuan & Wang Yaojun
    (2017), *Economic Research Journal*; methods note ``regional_and_estimators.md`` §3.3.
    """
    m = _as_series(mass, name)
    p = _as_series(pull, name)
    ids = list(m.index)
    if set(p.index) != set(ids):
        only_m = [u for u in ids if u not in set(p.index)]
        only_p = [u for u in p.index if u not in set(ids)]
        raise WeightsError(
            f"{name}: mass and pull must cover the same units; only in mass: {ids_text(only_m)}, "
            f"only in pull: {ids_text(only_p)}"
        )
    if direction not in ("both", "outflow", "inflow"):
        raise WeightsError(
            f"{name}: direction must be 'both', 'outflow' or 'inflow'; got {direction!r}"
        )
    if negative not in ("error", "zero"):
        raise WeightsError(f"{name}: negative must be 'error' or 'zero'; got {negative!r}")
    if not np.isfinite(power) or power <= 0:
        raise WeightsError(f"{name}: power must be positive; got {power!r}")
    mass_v = m.to_numpy()
    pull_v = p.loc[ids].to_numpy()
    if np.any(mass_v <= 0):
        bad = [ids[i] for i in np.flatnonzero(mass_v <= 0)]
        raise WeightsError(
            f"{name}: mass must be positive (it enters a log); not for {ids_text(bad)}"
        )
    d = _distances(distance, ids, name)
    off = ~np.eye(len(ids), dtype=bool)
    if np.any(~np.isfinite(d[off])) or np.any(d[off] <= 0):
        i, j = np.argwhere(off & ~(d > 0))[0]
        raise WeightsError(f"{name}: distance between {ids[i]!r} and {ids[j]!r} must be positive")
    gap = pull_v[None, :] - pull_v[:, None]  # gap[i, j] = P_j − P_i
    moving = off & (gap > 0)
    flow = np.zeros_like(d)
    flow[moving] = (
        np.log(mass_v)[:, None].repeat(len(ids), axis=1)[moving]
        * np.log(gap[moving])
        * d[moving] ** (-power)
    )
    if np.any(flow < 0):
        pairs = [(ids[i], ids[j]) for i, j in np.argwhere(flow < 0)]
        if negative == "error":
            raise WeightsError(
                f"{name}: {len(pairs)} flow(s) are negative (ln of a mass or pull gap below 1), "
                f"e.g. {ids_text(pairs)}; measure in smaller units (yuan, not 10⁴ yuan) or pass "
                "negative='zero'"
            )
        flow[flow < 0] = 0.0
    if direction == "both":
        matrix = flow + flow.T
    elif direction == "outflow":
        matrix = flow
    else:
        matrix = flow.T
    info = {
        "builder": "gravity_flow",
        "direction": direction,
        "power": power,
        "pairs_with_flow": int(np.count_nonzero(flow)),
    }
    return finish(matrix, ids, name, info, standardize)


def rd_personnel_flow(
    personnel: pd.Series | Mapping[Hashable, float],
    wage: pd.Series | Mapping[Hashable, float],
    **options: object,
) -> SpatialWeights:
    """WFP of paper 004: R&D-personnel flows RDL_ij = ln(L_i)·ln(w_j − w_i)·d_ij^(−2).

    Parameters
    ----------
    personnel : Series or mapping
        L_i by unit id: R&D personnel (e.g. full-time equivalents; sample means for a fixed W).
    wage : Series or mapping
        The average wage w_i, in yuan (so that wage gaps exceed 1).
    **options
        As :func:`gravity_flow` (``distance``, ``power``, ``direction``, ``negative``,
        ``standardize``).

    Returns
    -------
    SpatialWeights
    """
    options.setdefault("name", "R&D personnel flow (WFP)")
    return gravity_flow(personnel, wage, **options)  # type: ignore[arg-type]


def rd_capital_flow(
    capital: pd.Series | Mapping[Hashable, float],
    capital_pull: pd.Series | Mapping[Hashable, float],
    **options: object,
) -> SpatialWeights:
    """WFC of paper 004: R&D-capital flows RDK_ij = ln(K_i)·ln(f_j − f_i)·d_ij^(−2).

    Parameters
    ----------
    capital : Series or mapping
        K_i by unit id: R&D capital stock or expenditure.
    capital_pull : Series or mapping
        The pull factor f_i (a return on capital or a financial-development proxy).
    **options
        As :func:`gravity_flow`.

    Returns
    -------
    SpatialWeights
    """
    options.setdefault("name", "R&D capital flow (WFC)")
    return gravity_flow(capital, capital_pull, **options)  # type: ignore[arg-type]
