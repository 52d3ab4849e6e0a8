"""From a formula, a table and a weight matrix to the arrays of a spatial model.

The spatial likelihoods work on a balanced panel laid out as N × T arrays (unit i in W's row
order, period t), so that one sparse product ``W @ Y`` forms every period's spatial lag. This
module checks what a spatial model needs and no other estimator does — one row per (unit,
period), every unit in every period, the same units in the data and in W, no missing values
(a unit cannot be dropped from a spatial model without changing everybody's neighbours) — and
raises naming the units, periods and columns at fault.

Fixed effects are removed by projection after the spatial filters (:func:`project`), which
is exact maximum likelihood for balanced panels (Elhorst 2014, §3.2; Lee & Yu 2010).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from vagg.weights import SpatialWeights
from vagg.weights.errors import WeightsError

from ..errors import EstimationError
from ..inputs import as_pandas, check_columns, rows_text

__all__ = ["Design", "Effects", "build_design", "parse_spatial_formula", "project"]

Effects = Literal["individual", "time", "twoways"] | None

Array = npt.NDArray[np.float64]


@dataclass
class Design:
    """The arrays of one spatial model (N units × T periods, W's row order).

    ``y`` is N × T, ``x`` is N × T × k (regressors, W·x columns of a Durbin model included),
    ``z`` the N × T interaction variable of paper 004's eq. (25) (or None). ``names`` label
    the k columns of ``x``.
    """

    y: Array
    x: Array
    names: list[str]
    depvar: str
    units: list[Hashable]
    periods: list[Hashable]
    w: SpatialWeights
    w_error: SpatialWeights | None
    effects: Effects
    intercept: bool
    z: Array | None = None
    interaction: str | None = None
    slx_names: list[str] = field(default_factory=list)
    n_input: int = 0

    @property
    def n(self) -> int:
        return self.y.shape[0]

    @property
    def t(self) -> int:
        return self.y.shape[1]

    @property
    def k(self) -> int:
        return self.x.shape[2]


def parse_spatial_formula(formula: str) -> tuple[str, list[str], bool]:
    """``"y ~ x1 + x2"`` → ("y", ["x1", "x2"], intercept).

    Uses :func:`vagg.estimate.linear.formula.parse_formula` (one call). Spatial models take plain
    columns only: transformations and interactions are refused with a hint to create the
    column first, and fixed effects are given by ``effects=``, not after ``|``.
    """
    from ..linear.formula import parse_formula

    parsed = parse_formula(formula)
    if parsed.fixed_effects:
        raise EstimationError(
            f"spatial: formula {formula!r}: give fixed effects with effects='individual' | "
            "'time' | 'twoways' and panel=(unit, time), not after '|'"
        )
    depvar = parsed.depvar.label
    regressors = [term.label for term in parsed.regressors]
    for label in [depvar, *regressors]:
        if not _plain(label):
            raise EstimationError(
                f"spatial: formula {formula!r}: term {label!r} is not a plain column; create it "
                "as a column of data first (spatial models take columns as they are)"
            )
    return depvar, regressors, bool(parsed.intercept)


def _plain(label: str) -> bool:
    return not any(ch in label for ch in "():, ")


def _numeric(frame: pd.DataFrame, column: str, ids: pd.Series) -> npt.NDArray[np.float64]:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise EstimationError(
            f"spatial: column {column!r} is missing or not a finite number for {int(bad.sum())} "
            f"row(s), units {rows_text(list(pd.unique(ids[bad])))}; a spatial model cannot drop "
            "units or periods (the neighbours of everyone else would change): fill or remove "
            "them, and subset W with .subset()"
        )
    return values


def build_design(
    formula: str,
    data: Any,
    w: SpatialWeights,
    *,
    panel: tuple[str, str] | None,
    unit: str | None,
    effects: Effects,
    model: str,
    slx: Sequence[str] | None,
    interaction: str | None,
    w_error: SpatialWeights | None,
    allow_islands: bool,
    require_row_standardized: bool,
) -> Design:
    """Check the inputs and lay them out as N × T arrays in W's row order."""
    frame = as_pandas(data)
    if not isinstance(w, SpatialWeights):
        raise EstimationError(
            f"spatial: w must be a vagg.weights.SpatialWeights (convert a libpysal W with "
            f"vagg.weights.from_libpysal); got {type(w).__name__}"
        )
    depvar, regressors, intercept = parse_spatial_formula(formula)
    if effects not in (None, "individual", "time", "twoways"):
        raise EstimationError(
            f"spatial: effects must be None, 'individual', 'time' or 'twoways'; got {effects!r}"
        )
    if panel is None:
        if effects is not None:
            raise EstimationError(
                f"spatial: effects={effects!r} needs a panel: pass panel=(unit, time)"
            )
        unit_ids = frame[unit] if unit is not None else pd.Series(frame.index, index=frame.index)
        time_ids = pd.Series(np.zeros(len(frame), dtype=int), index=frame.index)
        if unit is not None:
            check_columns(frame, [unit], {unit: "the unit id of the cross-section"})
    else:
        if not (isinstance(panel, tuple | list) and len(panel) == 2):
            raise EstimationError(f"spatial: panel must be a pair (unit, time); got {panel!r}")
        check_columns(frame, list(panel), {panel[0]: "panel unit", panel[1]: "panel time"})
        unit_ids, time_ids = frame[panel[0]], frame[panel[1]]
    if effects is not None:
        intercept = False
    columns = [depvar, *regressors] + ([interaction] if interaction else [])
    check_columns(frame, columns, {interaction or "": "the interaction variable"})
    if unit_ids.isna().any() or time_ids.isna().any():
        bad = frame.index[(unit_ids.isna() | time_ids.isna()).to_numpy()]
        raise EstimationError(f"spatial: unit or time id missing in rows {rows_text(list(bad))}")
    keys = pd.DataFrame({"unit": unit_ids.to_numpy(), "time": time_ids.to_numpy()})
    duplicated = keys.duplicated(keep=False)
    if duplicated.any():
        pairs = list(keys.loc[duplicated].drop_duplicates().itertuples(index=False, name=None))
        what = "unit" if panel is None else "(unit, time)"
        raise EstimationError(f"spatial: {what} repeats in the data: {rows_text(pairs)}")
    units_in_data = list(pd.unique(keys["unit"]))
    # W's own row order, not the data's, is the row order of every array; align() checks
    # that the data and W hold the same units and names those that differ.
    try:
        w.align(units_in_data, what="data")
        w.check(islands=allow_islands, row_standardized=require_row_standardized)
        if w_error is not None:
            w_error.align(units_in_data, what="data")
            w_error = w_error.align(list(w.ids), what=w.name)
            w_error.check(islands=allow_islands, row_standardized=require_row_standardized)
    except WeightsError as exc:
        raise EstimationError(f"spatial: {exc}") from exc
    order = list(w.ids)
    aligned = w
    periods = sorted(pd.unique(keys["time"]))
    n, t = len(order), len(periods)
    if len(keys) != n * t:
        counts = keys.groupby("unit")["time"].nunique()
        short = list(counts.index[counts.to_numpy() < t])
        raise EstimationError(
            f"spatial: the panel is unbalanced ({len(keys)} rows for {n} units × {t} periods); "
            f"units missing periods: {rows_text(short)}. Spatial panel ML needs every unit in "
            "every period"
        )
    row_of = pd.Index(order).get_indexer(keys["unit"])
    col_of = pd.Index(periods).get_indexer(keys["time"])

    def grid(column: str) -> Array:
        values = _numeric(frame, column, keys["unit"])
        out = np.empty((n, t))
        out[row_of, col_of] = values
        return out

    y = grid(depvar)
    names = list(regressors)
    blocks = [grid(c) for c in regressors]
    slx_names: list[str] = []
    if model in ("sdm", "sdem"):
        chosen = list(regressors) if slx is None else list(slx)
        unknown = [c for c in chosen if c not in regressors]
        if unknown:
            raise EstimationError(
                f"spatial: slx names {unknown} that are not regressors of the formula {regressors}"
            )
        if not chosen:
            raise EstimationError(f"spatial: model={model!r} needs at least one W·x term (slx=)")
        for c in chosen:
            blocks.append(np.asarray(aligned.matrix @ blocks[regressors.index(c)]))
            slx_names.append(f"W_{c}")
        names += slx_names
    elif slx is not None:
        raise EstimationError(f"spatial: slx= applies to model='sdm' or 'sdem', not {model!r}")
    if intercept:
        names = ["Intercept", *names]
        blocks = [np.ones((n, t)), *blocks]
    if not blocks:
        raise EstimationError(f"spatial: formula {formula!r} has no regressors")
    x = np.stack(blocks, axis=2)
    z = grid(interaction) if interaction else None
    return Design(
        y=y,
        x=x,
        names=names,
        depvar=depvar,
        units=order,
        periods=periods,
        w=aligned,
        w_error=w_error,
        effects=effects,
        intercept=intercept,
        z=z,
        interaction=interaction,
        slx_names=slx_names,
        n_input=len(frame),
    )


def project(values: Array, effects: Effects, v: Array | None = None) -> Array:
    """Remove fixed effects from N × T (× k) arrays by orthogonal projection.

    ``"individual"`` subtracts unit means over t; ``"time"`` subtracts, period by period, the
    projection on the vector v (the constant by default: period means); ``"twoways"`` does
    both, Q = I − P_unit − J_T ⊗ P_v, exact for balanced panels. v ≠ 1 arises in error models
    with a W whose rows do not sum to one (the time effect is then filtered to γ_t·(I − λM)1).
    """
    if effects is None:
        return values
    out = values
    if effects in ("individual", "twoways"):
        out = out - out.mean(axis=1, keepdims=True)
    if effects in ("time", "twoways"):
        if v is None:
            out = out - out.mean(axis=0, keepdims=True)
        else:
            unit = v / np.sqrt(v @ v)
            shape = (-1,) + (1,) * (out.ndim - 1)
            coef = np.tensordot(unit, out, axes=(0, 0))
            out = out - unit.reshape(shape) * coef[None, ...]
    return out
