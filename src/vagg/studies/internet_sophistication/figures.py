"""Figures of ``internet_sophistication`` (not in the paper, which has none).

Figure 1: INTER and MET by province in the first and last year, each province drawn at its
capital's coordinates (a map without borders). Figure 2: the projection-pursuit direction a*_t
of the four indicators, year by year.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from vagg.studies.data import StudyData
from vagg.studies.internet_sophistication.panels import (
    INDICATORS,
    pp_directions,
    province_frame,
)

__all__ = ["figure_directions", "figure_maps"]


def figure_maps(data: StudyData, engine: Any = None) -> Figure:
    """INTER and MET at the provincial capitals, first and last year (2 × 2 panels)."""
    f = province_frame(data)
    geo = data.table("provinces").to_pandas()[["province_code", "lat", "lon"]]
    f = f.merge(geo, on="province_code", how="left")
    first, last = int(f["year"].min()), int(f["year"].max())
    fig, axes = plt.subplots(2, 2, figsize=(10, 8), constrained_layout=True)
    for row, (col, label) in enumerate((("inter", "INTER"), ("met", "MET (10⁴ yuan)"))):
        lo, hi = f[col].min(), f[col].max()
        for k, year in enumerate((first, last)):
            ax = axes[row, k]
            s = f[f["year"] == year]
            pts = ax.scatter(
                s["lon"],
                s["lat"],
                c=s[col],
                s=40 + 260 * (s[col] - lo) / (hi - lo),
                cmap="viridis",
                vmin=lo,
                vmax=hi,
                edgecolor="k",
            )
            for _, r in s.iterrows():
                ax.annotate(
                    r["province_code"],
                    (r["lon"], r["lat"]),
                    fontsize=6,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
            ax.set_title(f"{label}, {year}")
            ax.set_xlabel("longitude")
            ax.set_ylabel("latitude")
            fig.colorbar(pts, ax=ax, shrink=0.8)
    return fig


def figure_directions(data: StudyData, engine: Any = None) -> Figure:
    """The direction weights a*_jt of the four indicators by year (eq. 19–20)."""
    d = pp_directions(data)
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    x = [str(i) for i in d.index]
    for col in INDICATORS:
        ax.plot(x, d[col].to_numpy(), marker="o", label=col)
    ax.set_ylim(0, 1)
    ax.set_ylabel("a*_j")
    ax.set_xlabel("year (projection fitted per year)" if len(d) > 1 else "pooled fit")
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=45)
    return fig
