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

from vagg.report.figures import finish_figure, label_text
from vagg.studies.data import StudyData
from vagg.studies.internet_sophistication.panels import (
    INDICATORS,
    pp_directions,
    province_frame,
)

__all__ = ["figure_directions", "figure_maps"]

#: The mapped variables of Figure 1 and their labels (colour bar, with the unit).
_MAPPED = (
    ("inter", {"zh": "互联网发展指数 INTER（投影值）", "en": "Internet index INTER (score)"}),
    ("met", {"zh": "出口技术复杂度 MET（万元）", "en": "Export sophistication MET (10⁴ yuan)"}),
)
_LONGITUDE = {"zh": "经度（°E）", "en": "Longitude (°E)"}
_LATITUDE = {"zh": "纬度（°N）", "en": "Latitude (°N)"}
_DIRECTION = {"zh": "投影方向权重 a*_j", "en": "Projection direction weight a*_j"}
_BY_YEAR = {"zh": "年份（逐年拟合投影）", "en": "Year (projection fitted per year)"}
_POOLED = {"zh": "混合样本拟合", "en": "Pooled fit"}


def figure_maps(data: StudyData, engine: Any = None) -> Figure:
    """INTER and MET at the provincial capitals, first and last year (2 × 2 panels)."""
    f = province_frame(data)
    geo = data.table("provinces").to_pandas()[["province_code", "lat", "lon"]]
    f = f.merge(geo, on="province_code", how="left")
    first, last = int(f["year"].min()), int(f["year"].max())
    fig, axes = plt.subplots(2, 2, figsize=(10, 8), constrained_layout=True)
    lang = data.lang
    for row, (col, label) in enumerate(_MAPPED):
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
            ax.set_title(f"{label_text(label, lang)}, {year}")
            ax.set_xlabel(label_text(_LONGITUDE, lang))
            ax.set_ylabel(label_text(_LATITUDE, lang))
            fig.colorbar(pts, ax=ax, shrink=0.8).set_label(label_text(label, lang))
    return finish_figure(fig, lang)


def figure_directions(data: StudyData, engine: Any = None) -> Figure:
    """The direction weights a*_jt of the four indicators by year (eq. 19–20)."""
    d = pp_directions(data)
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    x = [str(i) for i in d.index]
    for col in INDICATORS:
        ax.plot(x, d[col].to_numpy(), marker="o", label=col)
    ax.set_ylim(0, 1)
    lang = data.lang
    ax.set_ylabel(label_text(_DIRECTION, lang))
    ax.set_xlabel(label_text(_BY_YEAR if len(d) > 1 else _POOLED, lang))
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=45)
    return finish_figure(fig, lang)
