"""Gap-aware panel lags, leads and differences with Stata's time-series semantics.

After ``xtset unit time``, Stata's ``L.x`` is the value of ``x`` of the *same unit* at period
``t − 1`` — not the previous row: when the unit has no observation at ``t − 1`` (a gap in an
unbalanced panel), the lag is missing. ``L2.x`` looks back two periods, ``F.x`` forward one,
``D.x = x − L.x`` and ``D2.x = D.(D.x)`` (the second difference, not ``x − L2.x``). fixest's
``l()``/``f()`` with ``panel.id`` and plm's ``lag()`` follow the same rule; pandas'
``groupby().shift()`` does not (it shifts rows).

The functions here are vectorised: the (unit, time) pairs are encoded as one integer key and the
row holding ``(unit, t − k)`` is found by a sorted search (``numpy.searchsorted``), in
``O(n log n)`` for any number of lags. The time variable must hold integers (years, or
consecutive period numbers); a duplicate (unit, time) pair is an error naming its rows, as it is
for Stata's ``xtset``.

Reference: StataCorp, *Stata Time-Series Reference Manual*, ``tsvarlist`` / ``xtset``;
Bergé (2018), fixest ``l()``/``f()`` with ``panel.id``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg.data.panel import PanelIndex
from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import MAX_SHOWN, rows_text

__all__ = [
    "PanelIndex",
    "diff",
    "difference_values",
    "lag",
    "lead",
    "panel_index",
]


def panel_index(data: pd.DataFrame, panel: tuple[str, str], table: str = "data") -> PanelIndex:
    """Check and encode the (unit, time) keys of ``data``.

    Errors (:class:`EstimationError`) name the offending rows: a panel column that is absent,
    a missing unit or time, a time that is not integer-valued, a duplicate (unit, time) pair.
    """
    if len(panel) != 2:
        raise EstimationError(f"panel must be a pair (unit, time); got {panel!r}")
    unit_col, time_col = panel
    for col in (unit_col, time_col):
        if col not in data.columns:
            raise EstimationError(f"{table}: panel column {col!r} is not in the table")
    unit = data[unit_col]
    time = data[time_col]
    for col, ser in ((unit_col, unit), (time_col, time)):
        bad = ser.isna().to_numpy()
        if bad.any():
            raise EstimationError(
                f"{table}: panel column {col!r} is missing in {int(bad.sum())} rows "
                f"(index {rows_text(list(data.index[bad]))}); lags need a unit and a time "
                "for every row"
            )
    if not (pd.api.types.is_numeric_dtype(time) and not pd.api.types.is_bool_dtype(time)):
        raise EstimationError(
            f"{table}: time column {time_col!r} must hold integer periods (e.g. years); "
            f"it has dtype {time.dtype}. Convert dates to years or period numbers first."
        )
    t_float = time.to_numpy(dtype=float)
    not_int = t_float != np.round(t_float)
    if not_int.any():
        raise EstimationError(
            f"{table}: time column {time_col!r} has non-integer values in rows "
            f"{rows_text(list(data.index[not_int]))}"
        )
    times = t_float.astype(np.int64)
    unit_codes = pd.factorize(unit, sort=False)[0].astype(np.int64)
    index = PanelIndex.from_codes(unit_codes, times)
    dup_keys = index.duplicated_keys()
    if len(dup_keys):
        is_dup = np.isin(index.row_keys(), dup_keys)
        rows = list(data.index[is_dup])
        pairs = (
            data.loc[is_dup, [unit_col, time_col]]
            .drop_duplicates()
            .head(MAX_SHOWN)
            .itertuples(index=False, name=None)
        )
        raise EstimationError(
            f"{table}: {len(dup_keys)} duplicate ({unit_col}, {time_col}) pairs, e.g. "
            f"{', '.join(repr(p) for p in pairs)}; rows {rows_text(rows)}. "
            "A panel needs one row per unit and period."
        )
    return index


def _column(data: pd.DataFrame, column: str, table: str) -> np.ndarray:
    if column not in data.columns:
        raise EstimationError(f"{table}: column {column!r} is not in the table")
    ser = data[column]
    if not pd.api.types.is_numeric_dtype(ser) or pd.api.types.is_bool_dtype(ser):
        try:
            return ser.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise EstimationError(
                f"{table}: column {column!r} is not numeric (dtype {ser.dtype})"
            ) from exc
    return ser.to_numpy(dtype=float, na_value=np.nan)


def _require_panel(panel: tuple[str, str] | None) -> tuple[str, str]:
    if panel is None:
        raise EstimationError("panel=(unit, time) is required for lags, leads and differences")
    return panel


def lag(
    data: pd.DataFrame, column: str, k: int = 1, panel: tuple[str, str] | None = None
) -> pd.Series:
    """Stata's ``Lk.x``: the value of ``column`` for the same unit at period ``t − k``.

    ``x_{i,t-k}`` when unit ``i`` is observed at ``t − k``, else missing (NaN) — a gap gives a
    missing lag, never the previous row. ``k`` may be negative (a lead). Returns a float Series
    aligned with ``data.index``.

    Example: a firm observed in 2000, 2001 and 2003 has ``L.x`` missing in 2000 and 2003.
    """
    idx = panel_index(data, _require_panel(panel))
    return pd.Series(
        idx.shift(_column(data, column, "data"), k), index=data.index, name=f"L{k}.{column}"
    )


def lead(
    data: pd.DataFrame, column: str, k: int = 1, panel: tuple[str, str] | None = None
) -> pd.Series:
    """Stata's ``Fk.x``: the value of ``column`` for the same unit at period ``t + k``.

    Missing when the unit is not observed at ``t + k``. Equal to ``lag(data, column, -k)``.
    """
    idx = panel_index(data, _require_panel(panel))
    return pd.Series(
        idx.shift(_column(data, column, "data"), -k), index=data.index, name=f"F{k}.{column}"
    )


def difference_values(idx: PanelIndex, values: np.ndarray, order: int = 1) -> np.ndarray:
    """``D^order`` of an array on a :class:`PanelIndex`: ``D.x = x − L.x``, ``D2.x = D.(D.x)``."""
    if order < 1:
        raise EstimationError(f"difference order must be a positive integer; got {order}")
    out = np.asarray(values, dtype=float)
    for _ in range(order):
        out = out - idx.shift(out, 1)
    return out


def diff(
    data: pd.DataFrame, column: str, order: int = 1, panel: tuple[str, str] | None = None
) -> pd.Series:
    """Stata's ``D.x`` (``order=1``: ``x_t − x_{t−1}``) and ``D2.x`` (``D.(D.x)``, ...).

    Missing when a period needed is not observed for the unit. Note ``D2.x`` is the second
    difference ``x_t − 2x_{t−1} + x_{t−2}``, as in Stata; for ``x_t − x_{t−2}`` use
    ``x − lag(x, 2)`` (Stata's ``S2.x``).
    """
    idx = panel_index(data, _require_panel(panel))
    values = difference_values(idx, _column(data, column, "data"), order)
    return pd.Series(values, index=data.index, name=f"D{order}.{column}")
