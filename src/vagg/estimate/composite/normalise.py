"""Min–max normalisation of evaluation indicators with their direction (benefit or cost).

Paper 004, eq. (14)–(15) (methods notes §1.1, item 1):

* benefit indicator: ``x'_ij = (x_ij − min_j) / (max_j − min_j)``;
* cost indicator: ``x'_ij = (max_j − x_ij) / (max_j − min_j)``;
* then the shift ``x_ij = x'_ij + α`` (the paper's ``α = 0.01``, which keeps scores positive
  so that they can be logged). The shift moves every projection by ``α·Σ a_j`` and leaves
  ``Q`` and the optimal direction unchanged; only the reported scores move.

The minimum and maximum are taken within each group (``by``; the paper's year-by-year reading
of eq. 14) or over the pooled table (comparable scores across years) — a choice the papers
differ on, so it is a parameter. Written here: a few lines of pandas with the checks and
messages vagg needs (constant indicators are refused, not divided by zero).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from vagg.estimate.errors import EstimationError

__all__ = ["Direction", "check_directions", "minmax"]

Direction = Literal["benefit", "cost"]


def check_directions(
    columns: Sequence[str], directions: Mapping[str, str] | Sequence[str] | str | None
) -> dict[str, Direction]:
    """Each indicator's direction: ``None`` → all benefit; a string → the same for all; a
    sequence aligned with ``columns``; or a mapping (missing columns default to benefit).

    Raises
    ------
    EstimationError
        Unknown direction, a mapping key that is not an indicator, or a length mismatch.
    """
    if directions is None:
        out: dict[str, str] = dict.fromkeys(columns, "benefit")
    elif isinstance(directions, str):
        out = dict.fromkeys(columns, directions)
    elif isinstance(directions, Mapping):
        extra = sorted(set(directions) - set(columns))
        if extra:
            raise EstimationError(
                f"projection_pursuit: directions names {extra}, which are not among the "
                f"indicator columns {list(columns)}"
            )
        out = {c: directions.get(c, "benefit") for c in columns}
    else:
        seq = list(directions)
        if len(seq) != len(columns):
            raise EstimationError(
                f"projection_pursuit: directions has {len(seq)} entries for {len(columns)} "
                f"indicator columns {list(columns)}"
            )
        out = dict(zip(columns, seq, strict=True))
    bad = {c: d for c, d in out.items() if d not in ("benefit", "cost")}
    if bad:
        raise EstimationError(
            f"projection_pursuit: directions must be 'benefit' or 'cost'; got {bad}"
        )
    return out  # type: ignore[return-value]


def minmax(
    frame: pd.DataFrame,
    columns: Sequence[str],
    directions: Mapping[str, Direction],
    *,
    shift: float = 0.01,
    group_label: str = "the sample",
) -> np.ndarray:
    """Normalised indicator matrix (rows of ``frame`` × ``columns``).

    Parameters
    ----------
    frame : pandas.DataFrame
        The units to normalise over (one group, or the pooled table).
    columns : sequence of str
        Indicator columns.
    directions : mapping
        ``"benefit"`` or ``"cost"`` per column.
    shift : float
        ``α`` added after scaling (paper 004 eq. 15 uses 0.01).
    group_label : str
        How error messages name the group (e.g. ``"year=2005"``).

    Returns
    -------
    numpy.ndarray
        ``n × m`` array in ``[α, 1 + α]``.

    Raises
    ------
    EstimationError
        An indicator constant across the units (its range is zero).
    """
    values = frame[list(columns)].to_numpy(dtype=float)
    lo, hi = values.min(axis=0), values.max(axis=0)
    width = hi - lo
    flat = [c for c, w in zip(columns, width, strict=True) if not w > 0]
    if flat:
        c = flat[0]
        raise EstimationError(
            f"projection_pursuit: indicator {c!r} is constant across the "
            f"{len(frame)} units of {group_label} (value {frame[c].iloc[0]!r}); min–max "
            "normalisation divides by its range — drop it from columns or from that group"
        )
    scaled = (values - lo) / width
    cost = np.array([directions[c] == "cost" for c in columns])
    scaled[:, cost] = 1.0 - scaled[:, cost]
    return scaled + shift
