"""``vagg.projection_pursuit``: the projection-pursuit evaluation index fitted by RAGA.

Paper 004 (Zhuo & Deng, eq. 14–20) builds its Internet-development index INTER year by year
from four benefit indicators: normalise (eq. 14–15), project ``z = X a`` (eq. 19), and pick
the direction ``a`` (``Σ a_j² = 1``, ``a_j ≥ 0``) that maximises ``Q(a) = S_z · D_z``
(eq. 16–18, 20) with a real-coded accelerating genetic algorithm; the index is ``z`` at the
optimum. The pieces are :mod:`.normalise`, :mod:`.index` and :mod:`.raga`; this module checks
the input, splits it into groups, runs the groups on :mod:`vagg.engine` with independent seeds
and collects the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from vagg.engine.dispatch import run_tasks
from vagg.estimate.composite.index import WindowRule, index_parts, population_index
from vagg.estimate.composite.normalise import check_directions, minmax
from vagg.estimate.composite.raga import RagaOptions, raga
from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas
from vagg.estimate.results import SampleAccounting

__all__ = ["ProjectionPursuit", "projection_pursuit"]

_ALL = "all"


@dataclass
class ProjectionPursuit:
    """Projection-pursuit evaluation: scores, directions and the index, group by group.

    Attributes
    ----------
    scores : pandas.Series
        The composite score ``z_i = Σ_j a*_j x_ij`` of every row, aligned to the input index.
    directions : pandas.DataFrame
        The optimal direction ``a*`` (rows: groups, or the single row ``"all"``; columns:
        indicators).
    fits : pandas.DataFrame
        Per group: ``q`` (``Q(a*)``), ``s_z``, ``d_z``, ``radius``, ``q_genetic`` (before the
        polish), ``evaluations``, ``cycles`` and ``n_units``.
    settings : dict
        Directions, window rule and scale, shift, normalisation scope, seed, RAGA options.
    sample : SampleAccounting
        Rows in and used (nothing is dropped: missing values are an error).
    """

    scores: pd.Series
    directions: pd.DataFrame
    fits: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    sample: SampleAccounting | None = None

    @property
    def q(self) -> pd.Series:
        """``Q(a*)`` by group."""
        return self.fits["q"]

    @property
    def direction(self) -> pd.Series:
        """The optimal direction when there is a single group (no ``by``).

        Raises
        ------
        EstimationError
            With several groups; use :attr:`directions`.
        """
        if len(self.directions) != 1:
            raise EstimationError(
                "projection_pursuit was fitted by group; read .directions (one row per group)"
            )
        return self.directions.iloc[0]

    def tidy(self) -> pd.DataFrame:
        """Long table: one row per (group, indicator) with the weight ``a*_j``, plus ``Q``."""
        long = self.directions.rename_axis("group").reset_index()
        out = long.melt(id_vars="group", var_name="indicator", value_name="weight")
        return out.merge(self.fits["q"].rename_axis("group").reset_index(), on="group")

    def summary(self) -> str:
        """Directions and ``Q`` by group as a text table."""
        table = self.directions.copy()
        table["Q"] = self.fits["q"]
        table["R"] = self.fits["radius"]
        head = (
            f"Projection pursuit (RAGA), window {self.settings['window']}"
            f"×{self.settings['window_scale']}, normalised {self.settings['normalise']}"
        )
        return head + "\n" + table.to_string(float_format=lambda v: f"{v:.6g}")


def _group_label(by: Sequence[str], key: Any) -> str:
    keys = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{b}={k}" for b, k in zip(by, keys, strict=True))


def _check_frame(frame: pd.DataFrame, columns: list[str], by: list[str]) -> None:
    missing_cols = [c for c in [*columns, *by] if c not in frame.columns]
    if missing_cols:
        raise EstimationError(
            f"projection_pursuit: column(s) {missing_cols} not in data "
            f"(columns: {list(frame.columns)[:20]})"
        )
    if not columns:
        raise EstimationError("projection_pursuit: columns is empty; give the indicator columns")
    if len(set(columns)) != len(columns):
        raise EstimationError(f"projection_pursuit: columns repeats a name: {columns}")
    for c in columns:
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]):
            raise EstimationError(
                f"projection_pursuit: indicator {c!r} is not numeric (dtype {frame[c].dtype})"
            )
        bad = frame.index[~np.isfinite(frame[c].to_numpy(dtype=float))]
        if len(bad):
            raise EstimationError(
                f"projection_pursuit: indicator {c!r} has {len(bad)} missing or infinite "
                f"value(s) at rows {list(bad[:5])}; fill or drop them first"
            )
    for b in by:
        bad = frame.index[frame[b].isna().to_numpy()]
        if len(bad):
            raise EstimationError(
                f"projection_pursuit: group column {b!r} is missing at rows {list(bad[:5])}"
            )


def _fit_group(item: tuple[str, np.ndarray, np.random.SeedSequence], shared: dict[str, Any]):
    label, x, seq = item
    rule, scale = shared["window"], shared["window_scale"]

    def objective(directions: np.ndarray) -> np.ndarray:
        return population_index(x, directions, rule, scale)

    found = raga(objective, x.shape[1], np.random.default_rng(seq), shared["options"])
    parts = index_parts(x, found.direction, rule, scale)
    return label, found, parts


def projection_pursuit(
    data: Any,
    columns: Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    directions: Mapping[str, str] | Sequence[str] | str | None = None,
    window: WindowRule = "sd",
    window_scale: float = 0.1,
    shift: float = 0.01,
    normalise: Literal["group", "pooled"] = "group",
    seed: int = 0,
    options: RagaOptions | None = None,
    engine: Any = None,
) -> ProjectionPursuit:
    """Projection-pursuit evaluation index with RAGA (paper 004, eq. 14–20).

    For each group (each year with ``by="year"``, as the paper does), with the normalised
    indicators ``x_ij`` (min–max by direction, plus the shift ``α``; eq. 14–15), find

    ``a* = argmax Q(a) = S_z · D_z``  s.t. ``Σ_j a_j² = 1``, ``a_j ≥ 0``,

    where ``z_i = Σ_j a_j x_ij`` (eq. 19), ``S_z`` is the standard deviation of ``z``
    (``n − 1``; eq. 17) and ``D_z = Σ_i Σ_k (R − r_ik)·u(R − r_ik)`` with
    ``r_ik = |z_i − z_k|``, the diagonal included (eq. 18). The score is ``z`` at ``a*``.
    The search is a real-coded accelerating genetic algorithm (Jin, Yang & Ding 2000–2002)
    followed by a Nelder–Mead polish on the sphere (:mod:`vagg.estimate.composite.raga`).
    Methods notes: regional_and_estimators §1.

    Parameters
    ----------
    data : pandas.DataFrame or polars.DataFrame
        One row per unit (per unit and year with ``by``).
    columns : sequence of str
        The indicator columns (m of them).
    by : str or sequence of str, optional
        Fit one direction per group (e.g. ``"year"``).
    directions : str, sequence or mapping, optional
        ``"benefit"`` (default for all) or ``"cost"`` per indicator.
    window : {"sd", "range", "fixed"}
        Window-radius rule: ``R = window_scale·S_z`` (``"sd"``, default; Fu & Zhao 2006),
        ``R = window_scale·r_max`` (``"range"``) or ``R = window_scale`` (``"fixed"``).
    window_scale : float
        The rule's constant (default 0.1).
    shift : float
        ``α`` added after min–max scaling (paper 004 eq. 15: 0.01).
    normalise : {"group", "pooled"}
        Min and max within each group (the paper's eq. 14, default) or over the pooled table
        (scores comparable across years).
    seed : int
        Seed of the genetic search; group ``g`` uses ``SeedSequence(seed).spawn(G)[g]``. The
        same seed gives the same answer on any engine.
    options : RagaOptions, optional
        Population, crossover/mutation probabilities, elites, cycles, polish.
    engine : None, "local", "dask" or an engine object
        Runs the groups (:func:`vagg.engine.dispatch.run_tasks`); default serial.

    Returns
    -------
    ProjectionPursuit
        ``scores``, ``directions``, ``fits`` (``q``, ``s_z``, ``d_z``, ``radius``, ...),
        ``q``, ``tidy()``, ``summary()``.

    Raises
    ------
    EstimationError
        Unknown or non-numeric column; missing values (rows named); an indicator constant
        across the units of a group (column and group named); fewer units than indicators in
        a group; a bad direction, window rule or scale.

    References
    ----------
    Friedman, J. H. & Tukey, J. W. (1974), IEEE Trans. Computers 23(9); Fu Qiang & Zhao
    Xiaoyong (2006), 投影寻踪模型原理及其应用; Jin Juliang, Yang Xiaohua & Ding Jing (2001),
    实数编码的加速遗传算法, 系统工程理论与实践; Zhuo Chengfeng & Deng Feng, paper 004 §2.2.
    """
    frame = as_pandas(data)
    cols = list(columns) if not isinstance(columns, str) else [columns]
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    _check_frame(frame, cols, by_cols)
    dirs = check_directions(cols, directions)
    if window not in ("sd", "range", "fixed"):
        raise EstimationError(
            f"projection_pursuit: window={window!r}; use 'sd', 'range' or 'fixed'"
        )
    if not (np.isfinite(window_scale) and window_scale > 0):
        raise EstimationError(f"projection_pursuit: window_scale={window_scale!r} must be > 0")
    if normalise not in ("group", "pooled"):
        raise EstimationError(
            f"projection_pursuit: normalise={normalise!r}; use 'group' or 'pooled'"
        )

    m = len(cols)
    if by_cols:
        grouped = list(frame.groupby(by_cols if len(by_cols) > 1 else by_cols[0], sort=True))
        labels = [k for k, _ in grouped]
        parts = [g for _, g in grouped]
    else:
        labels, parts = [_ALL], [frame]
    texts = [_group_label(by_cols, k) if by_cols else "the sample" for k in labels]
    for text, part in zip(texts, parts, strict=True):
        if len(part) < max(m, 2):
            raise EstimationError(
                f"projection_pursuit: {text} has {len(part)} unit(s) for {m} indicators; "
                "the index needs at least as many units as indicators"
            )
    if normalise == "pooled":
        pooled = pd.DataFrame(
            minmax(frame, cols, dirs, shift=shift, group_label="the pooled table"),
            index=frame.index,
            columns=cols,
        )
        for text, part in zip(texts, parts, strict=True):
            minmax(part, cols, dirs, shift=shift, group_label=text)  # constant check only
        xs = [pooled.loc[part.index].to_numpy() for part in parts]
    else:
        xs = [
            minmax(p, cols, dirs, shift=shift, group_label=t)
            for p, t in zip(parts, texts, strict=True)
        ]

    opts = options or RagaOptions()
    seeds = np.random.SeedSequence(seed).spawn(len(parts))
    shared = {"window": window, "window_scale": float(window_scale), "options": opts}
    items = list(zip(texts, xs, seeds, strict=True))
    fitted = run_tasks(engine, _fit_group, items, shared, label="projection pursuit fits")

    index = pd.Index(labels, name=(by_cols[0] if len(by_cols) == 1 else None))
    if len(by_cols) > 1:
        index = pd.MultiIndex.from_tuples(labels, names=by_cols)
    direction_rows, fit_rows = [], []
    scores = pd.Series(np.nan, index=frame.index, name="score")
    for (_, found, ip), x, part in zip(fitted, xs, parts, strict=True):
        direction_rows.append(found.direction)
        fit_rows.append(
            {
                "q": ip.q,
                "s_z": ip.s_z,
                "d_z": ip.d_z,
                "radius": ip.radius,
                "q_genetic": found.q_genetic,
                "evaluations": found.evaluations,
                "cycles": found.cycles,
                "n_units": len(part),
            }
        )
        scores.loc[part.index] = x @ found.direction
    settings = {
        "directions": dirs,
        "window": window,
        "window_scale": float(window_scale),
        "shift": shift,
        "normalise": normalise,
        "by": by_cols,
        "seed": seed,
        "options": opts,
        "diagonal_included": True,
    }
    return ProjectionPursuit(
        scores=scores,
        directions=pd.DataFrame(direction_rows, index=index, columns=cols),
        fits=pd.DataFrame(fit_rows, index=index),
        settings=settings,
        sample=SampleAccounting(len(frame), len(frame), {}),
    )
