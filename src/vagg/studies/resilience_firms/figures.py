"""Figures of the study ``resilience_firms`` (paper 003): Figure 1 (the event study around the
collapses, members vs non-members; the coefficients of Table A1) and Figure 2 (the mechanisms'
indirect effects a·δ with their cluster-bootstrap intervals). Every axis is labelled in the
run's language (zh / en); :func:`vagg.report.figures.finish_figure` sets the fonts."""

from __future__ import annotations

from typing import Any

import numpy as np

from vagg.estimate.errors import EstimationError
from vagg.report.figures import finish_figure
from vagg.studies.data import StudyData
from vagg.studies.resilience_firms.mechanisms import MEDIATORS, mediation_of
from vagg.studies.resilience_firms.tables import EVENT_WINDOWS, table_event

__all__ = ["figure_event", "figure_indirect"]


def figure_event(data: StudyData, engine: Any) -> Any:
    """Figure 1: θ_k of Table A1 with 95% intervals, members vs non-members, around the
    2008–09 collapse and the second collapse (reference year at zero)."""
    import matplotlib.pyplot as plt

    zh = data.lang == "zh"
    results = table_event(data, engine)
    fig, axes = plt.subplots(1, len(results), figsize=(10, 3.8), squeeze=False)
    for ax, result, (name, _, years, ref) in zip(axes[0], results, EVENT_WINDOWS, strict=True):
        ci = result.conf_int(0.95)
        ks = [k for k in years if f"d{k}" in result.params.index]
        est = [float(result.params[f"d{k}"]) for k in ks]
        low = [est[i] - float(ci.loc[f"d{k}", "lower"]) for i, k in enumerate(ks)]
        high = [float(ci.loc[f"d{k}", "upper"]) - est[i] for i, k in enumerate(ks)]
        ax.errorbar(ks, est, yerr=[low, high], fmt="o-", capsize=3)
        ax.plot([ref], [0.0], "o", mfc="white", color="C0")
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.axvline(ref + 0.5, color="grey", ls="--", lw=0.8)
        ax.set_xlabel("年份" if zh else "Year")
        ax.set_ylabel("会员与非会员出口对数之差" if zh else "ln exports, members − non-members")
        ax.set_title((f"{ref + 1}年冲击" if zh else f"Collapse of {ref + 1}") + f" ({name})")
    finish_figure(fig, data.lang)
    fig.tight_layout()
    return fig


def figure_indirect(data: StudyData, engine: Any) -> Any:
    """Figure 2: the indirect effect a·δ of vagg_h on RESIS through each pre-shock mediator,
    with its cluster-bootstrap percentile interval (Sobel's normal interval without
    bootstrap)."""
    import matplotlib.pyplot as plt

    zh = data.lang == "zh"
    labels, est, low, high = [], [], [], []
    for code, _, _ in MEDIATORS:
        try:
            med = mediation_of(data, code)
        except EstimationError:
            continue
        ci = med.bootstrap_ci
        if isinstance(ci, tuple):
            lo, hi = ci
        else:
            lo, hi = med.indirect - 1.96 * med.indirect_se, med.indirect + 1.96 * med.indirect_se
        labels.append(code)
        est.append(med.indirect)
        low.append(med.indirect - lo)
        high.append(hi - med.indirect)
    if not labels:
        raise EstimationError("Figure 2: no mediator is available in this dataset")
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    y = np.arange(len(labels))
    ax.errorbar(est, y, xerr=[low, high], fmt="o", capsize=3)
    ax.axvline(0.0, color="grey", lw=0.8)
    ax.set_yticks(y, labels)
    ax.set_xlabel("间接效应 a·δ（95% 置信区间）" if zh else "Indirect effect a·δ (95% CI)")
    ax.set_ylabel("中介变量" if zh else "Mediator")
    finish_figure(fig, data.lang)
    fig.tight_layout()
    return fig
