"""Influence figures: one coefficient re-estimated with each unit left out.

A leave-one-out plot answers "does one unit carry this estimate?" — in paper 002 one province
(Beijing) holds nearly all of Vag's variation (spec 002 §1.4 item 3). The estimates are
computed in the estimation layer (e.g.
:func:`vagg.studies.resilience_provinces.models.leave_one_out`); this module only draws them.
matplotlib draws it directly: the line panels of :mod:`vagg.report.figures` have no interval
markers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

from vagg.report.figures import (
    FigureError,
    Label,
    figure_language,
    label_text,
    set_figure_metadata,
)
from vagg.report.labels import Lang

__all__ = ["leave_one_out_figure"]

_COLUMNS = ("left_out", "estimate", "ci_low", "ci_high")


def leave_one_out_figure(
    estimates: pd.DataFrame,
    *,
    unit_labels: Mapping[str, Label] | None = None,
    xlabel: Label | None = None,
    ylabel: Label | None = None,
    full_sample: str = "none",
    lang: Lang = "zh",
    size: tuple[float, float] = (6.4, 7.0),
) -> Figure:
    """A dot-and-interval plot of a coefficient with each unit left out in turn.

    Parameters
    ----------
    estimates : pandas.DataFrame
        One row per fit: ``left_out`` (the unit dropped), ``estimate``, ``ci_low``,
        ``ci_high``; the row whose ``left_out`` equals ``full_sample`` is the full-sample fit,
        drawn as a vertical line with its interval shaded.
    unit_labels : mapping, optional
        ``left_out`` value → printed label (e.g. province code → name).
    xlabel : str or {"zh": ..., "en": ...}, optional
        Label of the coefficient axis.
    ylabel : str or {"zh": ..., "en": ...}, optional
        Label of the axis of units (e.g. "Province left out").
    full_sample : str
        The ``left_out`` value of the full-sample row (default "none").
    lang : {"zh", "en"}
        Language of the labels (English when no installed font renders Chinese).
    size : (float, float)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        Units from top to bottom in the order given; a dashed line at 0.

    Raises
    ------
    FigureError
        A column of ``estimates`` is missing or there is no full-sample row.
    """
    missing = [c for c in _COLUMNS if c not in estimates.columns]
    if missing:
        raise FigureError(f"estimates: missing column(s) {missing}")
    full = estimates[estimates["left_out"] == full_sample]
    if full.empty:
        raise FigureError(f"estimates: no row with left_out == {full_sample!r} (the full sample)")
    rows = estimates[estimates["left_out"] != full_sample].reset_index(drop=True)
    language = figure_language(lang)
    labels = dict(unit_labels or {})
    names = [label_text(labels.get(str(u), str(u)), language.used) for u in rows["left_out"]]
    figure = Figure(figsize=size, layout="constrained")
    ax: Any = figure.add_subplot()
    y = list(range(len(rows)))[::-1]
    b = float(full["estimate"].iloc[0])
    ax.axvspan(float(full["ci_low"].iloc[0]), float(full["ci_high"].iloc[0]), color="0.9")
    ax.axvline(b, color="0.4", linewidth=1.0)
    ax.axvline(0.0, color="0.2", linewidth=0.8, linestyle="--")
    ax.errorbar(
        rows["estimate"],
        y,
        xerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
        fmt="o",
        color="black",
        markersize=3,
        linewidth=0.8,
    )
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    if xlabel is not None:
        ax.set_xlabel(label_text(xlabel, language.used))
    if ylabel is not None:
        ax.set_ylabel(label_text(ylabel, language.used))
    if language.font is not None:
        for text in figure.findobj(Text):
            text.set_fontfamily([language.font, "DejaVu Sans"])
    set_figure_metadata(
        figure,
        language_requested=language.requested,
        language=language.used,
        font=language.font or "DejaVu Sans",
        note=language.note,
        panels="1",
    )
    return figure
