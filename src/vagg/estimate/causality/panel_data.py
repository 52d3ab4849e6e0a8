"""The balanced N × T matrices of a panel Granger test, and the unit-by-unit regressions.

:func:`balanced_matrices` turns a (unit, time) table into ``Y`` and ``X`` (units × periods),
refusing what the Dumitrescu–Hurlin statistics cannot use: an unbalanced panel, gaps, missing
values (each error names the units or rows). :func:`granger_ssr` runs every unit's
unrestricted and restricted autoregressions at once (stacked QR decompositions), the kernel of
both the test and its bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EstimationError
from ..inputs import MAX_SHOWN, as_pandas, require_columns, rows_text
from ..linear.panel_ops import panel_index

__all__ = ["PanelMatrices", "balanced_matrices", "design", "granger_ssr"]


@dataclass(frozen=True)
class PanelMatrices:
    """``y`` and ``x`` as (N, T) arrays over ``units`` (rows) and ``periods`` (columns)."""

    y: np.ndarray
    x: np.ndarray
    units: list[Any]
    periods: np.ndarray
    n_input: int


def balanced_matrices(data: Any, y: str, x: str, panel: tuple[str, str]) -> PanelMatrices:
    """Check the panel and reshape ``y`` and ``x`` to (units × periods) matrices.

    Raises :class:`EstimationError` naming the problem: a missing or non-numeric column,
    duplicate (unit, time) keys, missing values of ``y`` or ``x`` (rows), or an unbalanced
    panel (units lacking periods, and which).
    """
    if (
        not isinstance(panel, (tuple, list))
        or len(panel) != 2
        or not all(isinstance(p, str) for p in panel)
    ):
        raise EstimationError("granger_dh: panel must be a pair of column names (unit, time)")
    unit_col, time_col = panel
    frame = as_pandas(data)
    require_columns(frame, "granger_dh", y=y, x=x, unit=unit_col, time=time_col)
    if y == x:
        raise EstimationError(f"granger_dh: y and x are the same column {y!r}")
    for role, col in (("y", y), ("x", x)):
        ser = frame[col]
        if not pd.api.types.is_numeric_dtype(ser) or pd.api.types.is_bool_dtype(ser):
            raise EstimationError(f"granger_dh: {role} column {col!r} is not numeric")
        values = ser.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            raise EstimationError(
                f"granger_dh: {role} column {col!r} is missing or infinite in {int(bad.sum())} "
                f"rows (index {rows_text(frame.index[bad])}); the test needs a balanced panel "
                "without gaps — drop those units or fill the values"
            )
    panel_index(frame, (unit_col, time_col))
    times = frame[time_col].to_numpy(dtype=float).astype(np.int64)
    periods = np.arange(times.min(), times.max() + 1)
    units_arr = frame[unit_col].to_numpy()
    codes, uniques = pd.factorize(units_arr, sort=True)
    n_units, n_periods = len(uniques), len(periods)
    counts = np.bincount(codes, minlength=n_units)
    short = np.flatnonzero(counts != n_periods)
    if len(short):
        examples = []
        for c in short[:MAX_SHOWN]:
            have = times[codes == c]
            missing = np.setdiff1d(periods, have)
            lacks = ", ".join(str(v) for v in missing[:3])
            examples.append(f"{uniques.tolist()[c]!r} lacks {lacks}")
        raise EstimationError(
            f"granger_dh: the panel is unbalanced: {len(short)} of {n_units} units are not "
            f"observed in all {n_periods} periods {periods[0]}–{periods[-1]} "
            f"({'; '.join(examples)}); the Dumitrescu–Hurlin statistics need a balanced panel"
        )
    y_mat = np.empty((n_units, n_periods))
    x_mat = np.empty((n_units, n_periods))
    col = times - periods[0]
    y_mat[codes, col] = frame[y].to_numpy(dtype=float)
    x_mat[codes, col] = frame[x].to_numpy(dtype=float)
    return PanelMatrices(y_mat, x_mat, uniques.tolist(), periods, len(frame))


def design(
    y: np.ndarray, x: np.ndarray | None, k: int, start: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stacked regressions of ``y_t`` on ``[1, y_{t−1..t−k}, (x_{t−1..t−k})]``, t ≥ ``start``.

    ``y`` and ``x`` are (N, T); returns the dependent (N, n) and the regressors (N, n, p).
    """
    n_units, t_obs = y.shape
    cols = [np.ones((n_units, t_obs - start))]
    cols += [y[:, start - j : t_obs - j] for j in range(1, k + 1)]
    if x is not None:
        cols += [x[:, start - j : t_obs - j] for j in range(1, k + 1)]
    return y[:, start:], np.stack(cols, axis=2)


def _ssr(dep: np.ndarray, reg: np.ndarray) -> np.ndarray:
    q, _ = np.linalg.qr(reg)
    fitted = np.einsum("unp,un->up", q, dep)
    return np.maximum(np.einsum("un,un->u", dep, dep) - np.einsum("up,up->u", fitted, fitted), 0)


def granger_ssr(
    y: np.ndarray, x: np.ndarray, k: int, start: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Residual sums of squares of every unit's unrestricted and restricted regressions.

    Unrestricted: ``y_t`` on a constant, ``k`` lags of ``y`` and ``k`` lags of ``x``;
    restricted: without the ``x`` lags; over ``t ≥ start`` (0-based). Returns
    ``(ssr_u, ssr_r, n)`` with ``n`` the observations per unit.
    """
    dep, reg_u = design(y, x, k, start)
    ssr_u = _ssr(dep, reg_u)
    ssr_r = _ssr(dep, reg_u[:, :, : 1 + k])
    return ssr_u, ssr_r, dep.shape[1]


def check_units(
    y: np.ndarray, x: np.ndarray, k: int, start: int, units: list[Any], names: tuple[str, str]
) -> None:
    """Raise when a unit's unrestricted regression is rank-deficient or fits exactly."""
    dep, reg = design(y, x, k, start)
    for i, unit in enumerate(units):
        sv = np.linalg.svd(reg[i], compute_uv=False)
        if sv[-1] <= 1e-10 * sv[0]:
            raise EstimationError(
                f"granger_dh: the lags of {names[0]!r} and {names[1]!r} are collinear in unit "
                f"{unit!r} (e.g. a series constant over the unit's periods); the unit's Wald "
                "statistic is undefined — drop the unit"
            )
    ssr_u, _, _ = granger_ssr(y, x, k, start)
    centred = dep - dep.mean(1, keepdims=True)
    scale = np.einsum("un,un->u", centred, centred)
    exact = ssr_u <= 1e-12 * np.maximum(scale, np.finfo(float).tiny)
    if exact.any():
        unit = units[int(np.flatnonzero(exact)[0])]
        raise EstimationError(
            f"granger_dh: the regression of {names[0]!r} on its lags and the lags of "
            f"{names[1]!r} fits exactly in unit {unit!r} (zero residual variance)"
        )
