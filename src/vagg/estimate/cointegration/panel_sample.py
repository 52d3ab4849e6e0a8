"""The panel of unit time series that the cointegration estimators run on.

:func:`unit_series` evaluates a formula on a (unit, time) table with the rules of ``feols``
(:func:`vagg.estimate.linear.sample.build_sample`: logs, products, gap-aware lags; rows dropped for
missing values, non-positive values in a log or unavailable lags, and counted), then cuts the
rows into one consecutive time series per unit:

* the formula has no fixed-effects part — every unit has its own intercept (and trend)
  already; common time effects are removed with ``demean_time=True``;
* the ``(unit, time)`` keys must be unique and the time integer (:func:`panel_index`);
* each unit's periods must be consecutive after the drops: a gap (a year absent, or a year
  whose values are unusable) is an error naming the unit and the missing periods, because
  differences and kernel sums across a gap are wrong;
* ``demean_time=True`` subtracts from the outcome and from every regressor (products and lags
  included, as evaluated) its cross-section mean of the period (Pedroni's common time
  dummies; ``xtpedroni`` does it by default); in an unbalanced panel the mean is over the
  units observed in the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EstimationError
from ..inputs import MAX_SHOWN, as_pandas
from ..linear.formula import parse_formula
from ..linear.panel_ops import panel_index
from ..linear.sample import VcovSpec, build_sample
from ..results import SampleAccounting

__all__ = ["UnitSeries", "check_panel_arg", "unit_series"]


@dataclass
class UnitSeries:
    """One time series per unit: ``y[u]`` (T_u,) and ``x[u]`` (T_u × k) over ``times[u]``.

    ``names`` are the regressors' term labels, ``depvar`` the outcome's label, ``units`` the
    unit ids in order of first appearance, ``accounting`` the rows in and dropped by reason.
    """

    units: list[Any]
    y: dict[Any, np.ndarray]
    x: dict[Any, np.ndarray]
    times: dict[Any, np.ndarray]
    names: list[str]
    depvar: str
    formula: str
    accounting: SampleAccounting

    @property
    def nobs(self) -> int:
        """Rows used: the sum of the units' series lengths."""
        return int(sum(len(v) for v in self.y.values()))


def check_panel_arg(panel: Any, where: str) -> tuple[str, str]:
    """``panel`` as a ``(unit, time)`` pair of column names, or a clear error."""
    if (
        not isinstance(panel, (tuple, list))
        or len(panel) != 2
        or not all(isinstance(p, str) for p in panel)
    ):
        raise EstimationError(f"{where}: panel must be a pair of column names (unit, time)")
    return str(panel[0]), str(panel[1])


def unit_series(
    formula: str,
    data: Any,
    panel: tuple[str, str],
    *,
    where: str,
    demean_time: bool = False,
) -> UnitSeries:
    """Evaluate ``formula`` on ``data`` and split it into consecutive unit time series.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + log(x2) + x1:x2"`` (no ``|`` part; see the module docstring).
    data : pandas.DataFrame or polars.DataFrame
        A (unit, time) panel.
    panel : tuple of str
        ``(unit, time)`` column names.
    where : str
        The estimator's name, for error messages.
    demean_time : bool
        Remove period means across units (module docstring).

    Raises
    ------
    EstimationError
        Fixed effects in the formula, duplicate keys, gaps within a unit, and what ``feols``
        raises for the formula and the columns.
    """
    unit_col, time_col = check_panel_arg(panel, where)
    frame = as_pandas(data)
    spec = parse_formula(formula)
    if spec.fixed_effects:
        raise EstimationError(
            f"{where}: formula {formula!r} has a fixed-effects part; unit intercepts (and trends "
            "with trend='ct') are always included, and time effects are removed with "
            "demean_time=True"
        )
    if not spec.intercept:
        raise EstimationError(
            f"{where}: formula {formula!r} removes the intercept; each unit's intercept is part "
            "of the model (use trend='c' or 'ct')"
        )
    panel_index(frame, (unit_col, time_col))
    sample = build_sample(frame, spec, VcovSpec("iid", ()), None, (unit_col, time_col), False)
    rows = np.sort(sample.rows)
    order = np.argsort(sample.rows, kind="stable")
    y_all = sample.y[order]
    x_all = sample.x[order][:, 1:]  # drop the pooled intercept: units have their own
    names = sample.names[1:]
    if not names:
        raise EstimationError(f"{where}: formula {formula!r} has no regressors")
    sub = frame.iloc[rows]
    units_col = sub[unit_col].to_numpy()
    times_col = sub[time_col].to_numpy(dtype=float).astype(np.int64)
    if demean_time:
        y_all, x_all = _demean_by_time(y_all, x_all, times_col)
    codes, uniques = pd.factorize(units_col, sort=False)
    units = list(np.asarray(uniques).tolist())
    out_y: dict[Any, np.ndarray] = {}
    out_x: dict[Any, np.ndarray] = {}
    out_t: dict[Any, np.ndarray] = {}
    for c, unit in enumerate(units):
        pos = np.flatnonzero(codes == c)
        pos = pos[np.argsort(times_col[pos], kind="stable")]
        t = times_col[pos]
        expected = np.arange(t[0], t[-1] + 1)
        if len(t) != len(expected):
            missing = np.setdiff1d(expected, t)
            shown = ", ".join(str(v) for v in missing[:MAX_SHOWN])
            raise EstimationError(
                f"{where}: unit {unit!r} has a gap in {time_col!r}: period(s) {shown} are absent "
                "or have unusable values (missing, non-positive in a log, unavailable lag); "
                "the estimator needs consecutive periods within each unit — fill or trim them"
            )
        out_y[unit], out_x[unit], out_t[unit] = y_all[pos], x_all[pos], t
    return UnitSeries(
        units=units,
        y=out_y,
        x=out_x,
        times=out_t,
        names=list(names),
        depvar=spec.depvar.label,
        formula=spec.text,
        accounting=sample.accounting,
    )


def _demean_by_time(
    y: np.ndarray, x: np.ndarray, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Subtract from ``y`` and every column of ``x`` its mean over the rows of the same period."""
    codes, _ = pd.factorize(times)
    counts = np.bincount(codes)
    yx = np.column_stack([y, x])
    sums = np.zeros((len(counts), yx.shape[1]))
    np.add.at(sums, codes, yx)
    out = yx - (sums / counts[:, None])[codes]
    return out[:, 0], out[:, 1:]
