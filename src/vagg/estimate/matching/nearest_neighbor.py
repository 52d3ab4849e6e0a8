"""Greedy nearest-neighbour matching on a scalar score (the engine behind :func:`psm`).

Each treated unit, taken in a chosen order, is matched to the ``k`` controls whose score is
nearest, |p_i − p_j|, with or without replacement, within an optional caliper. Conventions
(psmatch2 4.0.12 by Leuven & Sianesi, read in ``psmatch2.ado``; MatchIt 4.5 by Ho, Imai, King,
Stuart & Greifer; methods note §9.1):

* **Nearest.** Matches are truly nearest among the controls still available. Equal distances
  go to the lower-score control, then to the one earlier in the data, as psmatch2's forward
  scan does.
* **Ties** (``ties=True``, psmatch2's ``ties``): every control at exactly the k-th distance
  (floating-point equality) is also a match, so a treated unit can have more than ``k``
  matches. psmatch2 looks for ties of the first neighbour only, scanning in one direction.
* **Order** matters only without replacement (with replacement each treated unit gets its
  nearest controls whatever the order). ``"data"``: treated units in input order;
  ``"random"``: a permutation drawn from ``numpy.random.default_rng(seed)``; ``"largest"``:
  highest score first (MatchIt's default ``m.order``); ``"smallest"``: lowest score first,
  input order breaking equal scores. psmatch2's ``noreplacement`` sorts the treated by score,
  ascending (``descending`` reverses it), and uses the current data order only to break equal
  scores — that is ``"smallest"``; its advice to randomise the data order first matters only
  for equal scores.
* **Known differences.** psmatch2's ``noreplacement`` search moves a pointer through the
  sorted controls in one direction and can miss a nearer unused control. MatchIt 4.5's greedy
  matching prefers the lower-score control when two candidates straddle a treated unit, even
  when the higher one is nearer: on ``MatchIt::lalonde`` (logit on age, educ, race, married,
  nodegree, re74, re75) its 1:1 ``m.order="largest"`` ATT is 770.39, truly nearest matching
  in the same order gives 894.37 (the same lower-side preference reproduces MatchIt's 73
  distinct controls with replacement, where truly nearest matching uses 80). These
  conventions are documented here, not copied.
* **Caliper** in raw score units (psmatch2): a control qualifies only if |p_i − p_j| is
  *strictly* below the caliper; a treated unit with no qualifying control is unmatched.
  MatchIt's ``caliper`` is in standard deviations of the score (``std.caliper=TRUE``): pass
  ``c * score.std()`` to reproduce it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from vagg.estimate.matching.ipw import PSMInputError, describe_rows

__all__ = [
    "GroupMatches",
    "Order",
    "check_matching_options",
    "match_scores",
    "nearest_neighbors",
    "pairs_frame",
    "processing_order",
]


Order = Literal["data", "random", "largest", "smallest"]

# outcome of matching for a treated unit
MATCHED, CALIPER, EXHAUSTED = "matched", "unmatched_by_caliper", "controls_exhausted"


def check_matching_options(k: int, caliper: float | None, order: str) -> None:
    """Validate ``k``, ``caliper`` and ``order``."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise PSMInputError(f"k (number of neighbours) must be a positive integer, got {k!r}")
    if caliper is not None and not (np.isfinite(caliper) and caliper > 0):
        raise PSMInputError(f"caliper must be a positive number or None, got {caliper!r}")
    if order not in ("data", "random", "largest", "smallest"):
        raise PSMInputError(
            f"order must be 'data', 'random', 'largest' or 'smallest', got {order!r}"
        )


@dataclass
class GroupMatches:
    treated: list[int] = field(default_factory=list)  # positions in the score arrays
    control: list[int] = field(default_factory=list)
    distance: list[float] = field(default_factory=list)
    rank: list[int] = field(default_factory=list)
    status: dict[int, str] = field(default_factory=dict)


def processing_order(
    score: np.ndarray, positions: np.ndarray, order: Order, rng: np.random.Generator
) -> np.ndarray:
    """Indices into ``score`` in the order treated units are matched."""
    if order == "data":
        return np.argsort(positions, kind="stable")
    if order == "random":
        return rng.permutation(len(score))
    if order == "largest":
        return np.lexsort((positions, -score))
    return np.lexsort((positions, score))


def match_scores(
    p_treated: np.ndarray,
    p_control: np.ndarray,
    control_positions: np.ndarray,
    processing: np.ndarray,
    *,
    k: int,
    replace: bool,
    caliper: float | None,
    ties: bool,
) -> GroupMatches:
    """Greedy nearest-neighbour matching of treated to control scores.

    Controls are sorted by score; for each treated unit a two-pointer walk outward from its
    insertion point visits available controls in non-decreasing distance, collecting the k
    nearest and any at the k-th distance. Used controls (without replacement) are skipped in
    O(α(n)) by two path-compressed "next available" arrays.
    """
    out = GroupMatches()
    sort = np.lexsort((control_positions, p_control))
    s = p_control[sort]
    n = len(s)
    # path-compressed links to the nearest available control: right[i] is the smallest
    # available index >= i (n: none); left[i + 1] - 1 is the largest available index <= i
    right, left = np.arange(n + 1), np.arange(n + 1)

    def find(links: np.ndarray, i: int) -> int:
        root = i
        while links[root] != root:
            root = links[root]
        while links[i] != root:
            links[i], i = root, links[i]
        return int(root)

    def next_right(i: int) -> int:
        return n if i >= n else find(right, i)

    def next_left(i: int) -> int:
        return -1 if i < 0 else find(left, i + 1) - 1

    limit = np.inf if caliper is None else caliper
    for t in processing:
        pt = p_treated[t]
        pos = int(np.searchsorted(s, pt, side="left"))
        lo, hi = next_left(pos - 1), next_right(pos)
        if lo < 0 and hi >= n:
            out.status[int(t)] = EXHAUSTED
            continue
        pool: list[tuple[float, float, int, int]] = []
        kth = np.inf
        while lo >= 0 or hi < n:
            d_lo = abs(pt - s[lo]) if lo >= 0 else np.inf
            d_hi = abs(s[hi] - pt) if hi < n else np.inf
            d = min(d_lo, d_hi)
            if d >= limit or (len(pool) >= k and d > kth):
                break
            if d_lo <= d_hi:
                j, lo = lo, next_left(lo - 1)
            else:
                j, hi = hi, next_right(hi + 1)
            pool.append((float(d), float(s[j]), int(control_positions[sort[j]]), j))
            if len(pool) == k:
                kth = d
        if not pool:
            out.status[int(t)] = CALIPER
            continue
        pool.sort()
        if ties and len(pool) >= k:
            chosen = [c for c in pool if c[0] <= pool[k - 1][0]]
        else:
            chosen = pool[:k]
        out.status[int(t)] = MATCHED
        for rank, (d, _, _, j) in enumerate(chosen, start=1):
            out.treated.append(int(t))
            out.control.append(int(sort[j]))
            out.distance.append(d)
            out.rank.append(rank)
            if not replace:
                right[j] = j + 1
                left[j + 1] = j
    return out


def nearest_neighbors(
    score: pd.Series,
    treated: pd.Series,
    *,
    k: int = 1,
    replace: bool = True,
    caliper: float | None = None,
    ties: bool = False,
    order: Order = "data",
    seed: int = 0,
) -> pd.DataFrame:
    """Match treated to control units on a given score (psmatch2's ``pscore()`` option).

    Returns one row per (treated, control) pair: ``treated`` and ``control`` index labels,
    ``distance`` = |score_t − score_c|, ``rank`` (1 = nearest) and ``n_matches``; treated units
    without a match (caliper, or no control left without replacement) have no row. No common
    support rule is applied here (:func:`psm` applies it). Conventions as in the module
    docstring.
    """
    check_matching_options(k, caliper, order)
    if not score.index.equals(treated.index):
        raise PSMInputError("score and treated must share the same index")
    d = np.asarray(treated, dtype=float)
    bad = ~np.isin(d, (0.0, 1.0)) | np.isnan(np.asarray(score, dtype=float))
    if bad.any():
        raise PSMInputError(
            "treated must be 0/1 and score non-missing; offending rows "
            f"{describe_rows(list(score.index[bad]))}"
        )
    positions = np.arange(len(d))
    t_pos, c_pos = positions[d == 1], positions[d == 0]
    if k > len(c_pos):
        raise PSMInputError(f"k={k} is larger than the number of controls ({len(c_pos)})")
    p = np.asarray(score, dtype=float)
    rng = np.random.default_rng(seed)
    res = match_scores(
        p[t_pos],
        p[c_pos],
        c_pos,
        processing_order(p[t_pos], t_pos, order, rng),
        k=k,
        replace=replace,
        caliper=caliper,
        ties=ties,
    )
    treated_pos = t_pos[np.asarray(res.treated, dtype=np.int64)]
    control_pos = c_pos[np.asarray(res.control, dtype=np.int64)]
    return pairs_frame(score.index, treated_pos, control_pos, res.distance, res.rank)[0]


def pairs_frame(
    labels: pd.Index,
    treated_pos: np.ndarray,
    control_pos: np.ndarray,
    distance: Sequence[float],
    rank: Sequence[int],
    group: Sequence[object] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The pairs table, sorted by the treated unit's row and the match rank, and the
    (treated, control) row positions in the same order."""
    ranks = np.asarray(rank, dtype=np.int64)
    order = np.lexsort((ranks, treated_pos))
    t_pos, c_pos = treated_pos[order], control_pos[order]
    counts = np.bincount(t_pos, minlength=len(labels))[t_pos]
    frame = pd.DataFrame(
        {
            "treated": labels[t_pos],
            "control": labels[c_pos],
            "distance": np.asarray(distance, dtype=float)[order],
            "rank": ranks[order],
            "n_matches": counts.astype(np.int64),
        }
    )
    if group is not None:
        frame.insert(0, "group", [group[i] for i in order])
    return frame, np.column_stack([t_pos, c_pos]).astype(np.int64).reshape(-1, 2)
