"""Figures of inference results: the placebo density (paper 001, Figure 2) and event-study
coefficients with confidence intervals (paper 003's dynamic effects).

They live here, not beside the estimators, so that matplotlib is imported by one layer only
(``vagg.report``); an estimator's result holds the numbers, a function here draws them.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from vagg.estimate.did.event_study import EventStudy
from vagg.estimate.inference.placebo import Placebo

__all__ = ["plot_event_study", "plot_placebo"]


def _axes(ax: Any, size: tuple[float, float]) -> tuple[Figure, Any]:
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=size)
    return figure, figure.add_subplot()


def plot_placebo(
    placebo: Placebo,
    ax: Any = None,
    *,
    statistic: Literal["coef", "t"] = "coef",
    hist: bool = False,
    bins: int = 40,
) -> Figure:
    """Density of the placebo coefficients (or t statistics) with the real estimate marked.

    The density is a Gaussian kernel estimate (``scipy.stats.gaussian_kde``) over the
    permuted draws; a dashed vertical line marks the real value, and the title gives the
    permutation p-value. Paper 001, Figure 2.

    Parameters
    ----------
    placebo : Placebo
        The result of :func:`vagg.placebo`.
    ax : matplotlib Axes, optional
        Draw into these axes; by default a new figure.
    statistic : {"coef", "t"}
        Plot coefficients or t statistics.
    hist : bool
        Also draw a histogram of the draws.
    bins : int
        Histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
    """
    values = placebo.coefs if statistic == "coef" else placebo.tvalues
    values = values[np.isfinite(values)]
    real = placebo.estimate if statistic == "coef" else placebo.tvalue
    fig, ax = _axes(ax, (6.4, 4.2))
    if hist and len(values):
        ax.hist(values, bins=bins, density=True, color="0.8", edgecolor="0.6")
    span = np.array([*values, real]) if len(values) else np.array([real])
    pad = 0.1 * (span.max() - span.min()) or 1.0
    grid = np.linspace(span.min() - pad, span.max() + pad, 400)
    if len(values) > 1 and np.ptp(values) > 0:
        ax.plot(grid, stats.gaussian_kde(values)(grid), color="C0", label="placebo density")
    what = "coefficient" if statistic == "coef" else "t-statistic"
    ax.axvline(real, color="C3", linestyle="--", label=f"estimate {real:.4g}")
    ax.set_xlabel(f"placebo {what} of {placebo.var}")
    ax.set_ylabel("density")
    p = placebo.permutation_pvalue(statistic)
    ax.set_title(f"Placebo test ({placebo.reps} permutations, p = {p:.3f})")
    ax.legend(frameon=False)
    return fig


def plot_event_study(
    study: EventStudy, ax: Any = None, level: float = 0.95, title: str | None = None
) -> Figure:
    """Event-study coefficients with ``level`` confidence intervals against relative time.

    The reference period is drawn at zero with a hollow marker and a dashed line marks the
    event; binned endpoints are labelled ``≤lo`` and ``≥hi``.

    Parameters
    ----------
    study : EventStudy
        The result of :func:`vagg.event_study`.
    ax : matplotlib Axes, optional
        Draw into these axes; by default a new figure.
    level : float
        Confidence level of the intervals.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    table = study.coefficients(level)
    fig, ax = _axes(ax, (6.4, 4.0))
    est = table[~table["reference"]]
    ax.errorbar(
        est["rel_time"],
        est["estimate"],
        yerr=[est["estimate"] - est["conf_low"], est["conf_high"] - est["estimate"]],
        fmt="o",
        color="C0",
        capsize=3,
        label=f"estimate, {level:.0%} CI",
    )
    ax.plot(table["rel_time"], table["estimate"], color="C0", lw=0.8, alpha=0.6)
    ax.plot(
        [study.reference],
        [0.0],
        "o",
        mfc="white",
        color="C0",
        label=f"reference ({study.reference})",
    )
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.axvline(study.reference + 0.5, color="grey", ls="--", lw=0.8)
    lo, hi = study.window
    ticks = list(range(lo, hi + 1))
    labels = [str(k) for k in ticks]
    if study.endpoints == "bin":
        labels[0], labels[-1] = f"≤{lo}", f"≥{hi}"
    ax.set_xticks(ticks, labels)
    ax.set_xlabel("periods relative to the event")
    ax.set_ylabel(f"effect on {study.result.depvar}")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    return fig
