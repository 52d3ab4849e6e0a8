"""Balanced staggered-adoption panels for the heterogeneity-robust DID estimators.

:func:`staggered_panel` checks a long unit × period table once and turns it into the wide
arrays that :mod:`.callaway_santanna` and :mod:`.sun_abraham` work on: the outcome as a
units × periods matrix, each unit's cohort (the first treated period, 0 for never treated),
covariates by period and cluster codes. Every problem is a :class:`StaggeredDataError` that
names the table argument, the column and the offending units or rows: an unbalanced panel,
a cohort that varies within a unit or is not one of the periods, missing values, no
never-treated units where they are the comparison group, a cohort with too few units.

Units treated in or before the first period (plus anticipation) have no pre-treatment period
and are dropped, as R ``did`` does; they are counted in the sample accounting
(``always_treated``), never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas, require_columns, rows_text

__all__ = ["StaggeredDataError", "StaggeredPanel", "cluster_sums", "staggered_panel"]


class StaggeredDataError(EstimationError):
    """A staggered-adoption panel that the estimator cannot use (unbalanced, inconsistent
    cohorts, missing values, no comparison group); the message names column and units."""


@dataclass(eq=False)
class StaggeredPanel:
    """A balanced panel in wide form, units sorted by id.

    ``y`` is units × periods, ``cohort`` the first treated period of each unit (0 = never
    treated), ``x`` units × periods × covariates (or ``None``), ``cluster`` integer codes of
    the clustering variable per unit (each unit its own cluster by default).
    """

    units: np.ndarray
    times: np.ndarray
    y: np.ndarray
    cohort: np.ndarray
    x: np.ndarray | None
    x_names: tuple[str, ...]
    cluster: np.ndarray
    n_clusters: int
    n_input_rows: int
    dropped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.units)

    @property
    def cohorts(self) -> np.ndarray:
        """The treated cohorts, sorted."""
        return np.unique(self.cohort[self.cohort > 0])


def cluster_sums(inf: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sums of the units' influence functions within clusters (clusters × columns)."""
    out = np.zeros((n_clusters, inf.shape[1]))
    np.add.at(out, cluster, inf)
    return out


def _missing(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    for col in columns:
        bad = frame[col].isna().to_numpy()
        if bad.any():
            raise StaggeredDataError(
                f"{table}: column {col!r} has missing values at rows "
                f"{rows_text(frame.index[bad])}; drop or impute them before estimating"
            )


def staggered_panel(
    data: Any,
    *,
    where: str,
    y: str,
    unit: str,
    time: str,
    cohort: str,
    x: Sequence[str] | None = None,
    cluster: str | None = None,
    anticipation: int = 0,
    require_never: bool = True,
    min_units: int = 1,
) -> StaggeredPanel:
    """Check a long staggered-adoption table and return it as a :class:`StaggeredPanel`.

    ``cohort`` holds each unit's first treated period, constant within the unit; 0 or missing
    means never treated. Cohorts must be periods of ``time``. With ``require_never`` the table
    must have never-treated units; without it and without never-treated units the last cohort
    becomes the comparison group and the periods from its treatment (less ``anticipation``)
    on are dropped (R ``did``'s rule for not-yet-treated controls), counted as
    ``after_last_cohort``. Each treated cohort and the never-treated group need at least
    ``min_units`` units, and with k covariates at least k + 2.
    """
    table = f"{where}: data"
    frame = as_pandas(data)
    covariates = list(x or [])
    require_columns(frame, where, y=y, unit=unit, time=time, cohort=cohort, cluster=cluster)
    for name in covariates:
        require_columns(frame, where, x=name)
    if not isinstance(anticipation, int | np.integer) or anticipation < 0:
        raise StaggeredDataError(f"{where}: anticipation={anticipation!r} must be an integer ≥ 0")
    n_input = len(frame)
    if n_input == 0:
        raise StaggeredDataError(f"{table} has no rows")
    _missing(frame, [unit, time, y, *covariates, *([cluster] if cluster else [])], table)
    for col in [y, time, *covariates]:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            raise StaggeredDataError(f"{table}: column {col!r} must be numeric")
    g_raw = pd.to_numeric(frame[cohort], errors="coerce")
    bad = g_raw.isna().to_numpy() & frame[cohort].notna().to_numpy()
    if bad.any():
        raise StaggeredDataError(
            f"{table}: column {cohort!r} is not numeric at rows {rows_text(frame.index[bad])}"
        )
    g_all = g_raw.fillna(0).to_numpy(dtype=float)
    dup = frame.duplicated([unit, time], keep=False).to_numpy()
    if dup.any():
        raise StaggeredDataError(
            f"{table}: ({unit!r}, {time!r}) is not a unique key; duplicated at rows "
            f"{rows_text(frame.index[dup])}"
        )
    unit_codes, units = pd.factorize(frame[unit], sort=True)
    time_codes, times_idx = pd.factorize(frame[time], sort=True)
    times = times_idx.to_numpy(dtype=float)
    n_units, n_times = len(units), len(times)
    if n_times < 2:
        raise StaggeredDataError(f"{table}: column {time!r} has a single period; need ≥ 2")
    counts = np.bincount(unit_codes, minlength=n_units)
    short = np.flatnonzero(counts < n_times)
    if len(short):
        raise StaggeredDataError(
            f"{table}: the panel is unbalanced: {len(short)} units of {unit!r} are not observed "
            f"in all {n_times} periods of {time!r} (units {rows_text(units[short])}); "
            "balance it (keep units observed every period) before estimating"
        )
    g_min = np.full(n_units, np.inf)
    g_max = np.full(n_units, -np.inf)
    np.minimum.at(g_min, unit_codes, g_all)
    np.maximum.at(g_max, unit_codes, g_all)
    varies = np.flatnonzero(g_min != g_max)
    if len(varies):
        raise StaggeredDataError(
            f"{table}: column {cohort!r} varies within units of {unit!r} "
            f"(units {rows_text(units[varies])}); it must be the unit's first treated period"
        )
    g_unit = g_min
    outside = (g_unit != 0) & ~np.isin(g_unit, times)
    if outside.any():
        vals = sorted({float(v) for v in g_unit[outside]})
        raise StaggeredDataError(
            f"{table}: cohorts {vals[:5]} of column {cohort!r} are not periods of {time!r} "
            f"({times.min():g}–{times.max():g}; units {rows_text(units[outside])}); code units "
            "first treated after the panel ends as 0 (never treated in the sample)"
        )
    y_wide = np.empty((n_units, n_times))
    y_wide[unit_codes, time_codes] = frame[y].to_numpy(dtype=float)
    x_wide: np.ndarray | None = None
    if covariates:
        x_wide = np.empty((n_units, n_times, len(covariates)))
        x_wide[unit_codes, time_codes, :] = frame[covariates].to_numpy(dtype=float)
    if cluster is not None:
        c_codes, _ = pd.factorize(frame[cluster], sort=True)
        c_min = np.full(n_units, np.iinfo(np.int64).max)
        c_max = np.full(n_units, -1)
        np.minimum.at(c_min, unit_codes, c_codes)
        np.maximum.at(c_max, unit_codes, c_codes)
        varies = np.flatnonzero(c_min != c_max)
        if len(varies):
            raise StaggeredDataError(
                f"{table}: cluster column {cluster!r} varies within units of {unit!r} "
                f"(units {rows_text(units[varies])}); clusters must nest units"
            )
        clusters = c_min
    else:
        clusters = np.arange(n_units)
    dropped: dict[str, int] = {}
    notes: list[str] = []
    # units with no pre-treatment period
    always = (g_unit > 0) & (g_unit <= times[0] + anticipation)
    if always.any():
        dropped["always_treated"] = int(always.sum()) * n_times
        notes.append(
            f"{int(always.sum())} units treated in or before the first period (plus "
            f"anticipation) have no pre-treatment period and were dropped "
            f"(units {rows_text(units[always])})"
        )
    keep = ~always
    units_a, y_wide, g_unit, clusters = units[keep], y_wide[keep], g_unit[keep], clusters[keep]
    if x_wide is not None:
        x_wide = x_wide[keep]
    if not (g_unit > 0).any():
        raise StaggeredDataError(f"{table}: column {cohort!r} has no treated units")
    if not (g_unit == 0).any():
        if require_never:
            raise StaggeredDataError(
                f"{table}: column {cohort!r} has no never-treated units (0 or missing), the "
                "comparison group of control='never'; use control='notyet'"
            )
        last = g_unit.max()
        keep_t = times < last - anticipation
        if keep_t.sum() < 2:
            raise StaggeredDataError(
                f"{table}: no never-treated units and fewer than two periods before the last "
                f"cohort {last:g} of {cohort!r} is treated; no comparison group is left"
            )
        dropped["after_last_cohort"] = int((~keep_t).sum()) * len(units_a)
        notes.append(
            f"no never-treated units: cohort {last:g} is the comparison group and periods "
            f"≥ {last - anticipation:g} were dropped"
        )
        g_unit = np.where(g_unit == last, 0.0, g_unit)
        times, y_wide = times[keep_t], y_wide[:, keep_t]
        if x_wide is not None:
            x_wide = x_wide[:, keep_t]
    # a regression with intercept and k covariates on the comparison group needs k + 2 units
    needed_never = max(int(min_units), len(covariates) + 2 if covariates else 1)
    sizes = {float(g): int((g_unit == g).sum()) for g in np.unique(g_unit)}
    small = {g: s for g, s in sizes.items() if s < (needed_never if g == 0 else int(min_units))}
    if small:
        g0, s0 = next(iter(small.items()))
        label = "never-treated group" if g0 == 0 else f"cohort {g0:g}"
        needed = needed_never if g0 == 0 else int(min_units)
        raise StaggeredDataError(
            f"{table}: the {label} of column {cohort!r} has {s0} unit(s) (units "
            f"{rows_text(units_a[g_unit == g0])}), fewer than the {needed} needed"
            + (f" with {len(covariates)} covariates" if covariates and g0 == 0 else "")
            + f"; too-small groups (cohort: units): {dict(list(small.items())[:5])}"
        )
    c_codes2, c_uniques = pd.factorize(clusters, sort=True)
    return StaggeredPanel(
        units=np.asarray(units_a),
        times=times,
        y=y_wide,
        cohort=g_unit,
        x=x_wide,
        x_names=tuple(covariates),
        cluster=c_codes2.astype(np.intp),
        n_clusters=len(c_uniques),
        n_input_rows=n_input,
        dropped=dropped,
        notes=notes,
    )
