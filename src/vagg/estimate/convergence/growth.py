"""The growth panel of a β-convergence regression, with the rows it cannot use counted.

:func:`growth_frame` adds two columns to a (unit, time) table:

* ``log_<y>`` = ``ln y_it`` (the initial level of the window starting at ``t``);
* ``g_<y>`` = ``ln(y_i,t+T / y_it) / T`` (average annual growth; without the ``/T`` when
  ``annualize=False``), for the rows that start a window.

Windows start at ``start, start + T, start + 2T, …`` (non-overlapping) and must end by ``end``;
``y_t+T`` is the value of the same unit ``T`` periods later (gap-aware, as Stata's ``F{T}.y``).
A row without a growth value is counted under the first reason that applies: ``missing`` (y
missing at t), ``nonpositive_in_log`` (y ≤ 0 at t or t + T), ``not_a_window_start``,
``no_outcome_at_t+T`` (the unit is not observed, or y is missing, T periods later, or t + T
is after ``end``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EstimationError
from ..inputs import as_pandas, require_columns
from ..linear.panel_ops import panel_index

__all__ = ["GrowthFrame", "growth_frame", "merge_accounting"]

_REASONS = ("missing", "nonpositive_in_log", "not_a_window_start", "no_outcome_at_t+T")


@dataclass
class GrowthFrame:
    """The table with the growth and level columns, and why other rows have no growth.

    ``reason[i]`` is 0 for a usable row, else 1 + the index of its reason in
    ``("missing", "nonpositive_in_log", "not_a_window_start", "no_outcome_at_t+T")``.
    ``starts`` lists the window starts.
    """

    frame: pd.DataFrame
    growth: str
    level: str
    reason: np.ndarray
    starts: list[int]

    def counts(self, mask: np.ndarray | None = None) -> dict[str, int]:
        """Rows without growth by reason (over ``mask`` when given)."""
        r = self.reason if mask is None else self.reason[mask]
        return {name: int((r == j + 1).sum()) for j, name in enumerate(_REASONS)}


def growth_frame(
    data: Any,
    outcome: str,
    panel: tuple[str, str],
    *,
    horizon: int,
    start: int | None,
    end: int | None,
    annualize: bool,
    single_window: bool,
) -> GrowthFrame:
    """Build the growth panel (module docstring). ``single_window``: only ``start`` starts a
    window (the cross-section)."""
    unit_col, time_col = panel
    frame = as_pandas(data).copy()
    require_columns(frame, "convergence", outcome=outcome, unit=unit_col, time=time_col)
    ser = frame[outcome]
    if not pd.api.types.is_numeric_dtype(ser) or pd.api.types.is_bool_dtype(ser):
        raise EstimationError(f"convergence: outcome column {outcome!r} is not numeric")
    growth, level = f"g_{outcome}", f"log_{outcome}"
    for name in (growth, level):
        if name in frame.columns:
            raise EstimationError(
                f"convergence: data already has a column {name!r}, the name of the "
                f"{'growth' if name == growth else 'initial level'} the estimator builds; "
                "rename it"
            )
    idx = panel_index(frame, panel)
    times = idx.times
    t_lo, t_hi = int(times.min()), int(times.max())
    first = t_lo if start is None else int(start)
    last = t_hi if end is None else int(end)
    if not isinstance(horizon, int | np.integer) or isinstance(horizon, bool) or horizon < 1:
        raise EstimationError(f"convergence: horizon={horizon!r} must be a positive integer")
    if first + horizon > last:
        raise EstimationError(
            f"convergence: no window fits: start {first} + horizon {horizon} is after the end "
            f"{last} of the periods used ({t_lo}–{t_hi} in the data)"
        )
    candidates = [first] if single_window else list(range(first, last + 1, horizon))
    starts = [s for s in candidates if s + horizon <= last]
    y = ser.to_numpy(dtype=float, na_value=np.nan)
    y_next = idx.shift(y, -horizon)
    reason = np.zeros(len(frame), dtype=np.int8)
    missing = np.isnan(y)
    bad_now = ~missing & ~(y > 0)
    not_start = ~np.isin(times, candidates)
    no_next = np.isnan(y_next) | (times + horizon > last)
    bad_next = ~no_next & ~(y_next > 0)
    for code, mask in (
        (4, no_next),
        (2, bad_next),
        (3, not_start),
        (2, bad_now),
        (1, missing),
    ):
        reason[mask] = code  # later assignments take precedence
    with np.errstate(invalid="ignore", divide="ignore"):
        ln_y = np.where(y > 0, np.log(np.where(y > 0, y, 1.0)), np.nan)
        ln_next = np.where(y_next > 0, np.log(np.where(y_next > 0, y_next, 1.0)), np.nan)
    g = (ln_next - ln_y) / (horizon if annualize else 1.0)
    g[reason != 0] = np.nan
    frame[level] = ln_y
    frame[growth] = g
    if not (reason == 0).any():
        counts = {n: int((reason == j + 1).sum()) for j, n in enumerate(_REASONS)}
        raise EstimationError(
            f"convergence: no unit has a usable growth of {outcome!r} over {horizon} "
            f"period(s) from the window starts {starts[:5]} "
            f"({ {k: v for k, v in counts.items() if v} })"
        )
    return GrowthFrame(frame, growth, level, reason, starts)


def merge_accounting(
    gf: GrowthFrame, passed: np.ndarray, est_dropped: dict[str, int]
) -> dict[str, int]:
    """The drops of the whole table: the growth reasons over every row, plus the estimator's
    own drops among the rows it received (``passed``) net of those without growth (which it
    counted as ``missing``)."""
    out = {k: v for k, v in gf.counts().items()}
    own = dict(est_dropped)
    own["missing"] = own.get("missing", 0) - int((gf.reason[passed] != 0).sum())
    for key, value in own.items():
        out[key] = out.get(key, 0) + value
    return {k: v for k, v in out.items() if v}
