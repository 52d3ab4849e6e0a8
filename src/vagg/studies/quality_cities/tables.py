"""Tables 1–3 and Figure 2 of paper 001 (spec 001 §3), on the panel of :mod:`.panels`.

* Table 1: N, mean, sd, min, max of hs4_qua, vagg and the nine controls over the city × HS4 ×
  year cells (the paper's moments are over cells, not cities).
* Table 2: eq. (17), hs4_qua on vagg, without and with controls, without and with HS4 FE;
  city and year FE; errors clustered by city × HS4.
* Table 3: (1) + province FE (nested in city FE: equals Table 2 (4)); (2) + province × year
  FE; (3) lagged vagg; (4) 2SLS with L.vagg as instrument; (5)–(6) 2SLS with 1984 telephones
  / post offices × national internet investment; Kleibergen–Paap rk LM and Wald F.
* Figure 2: kernel density of the placebo coefficients (vagg permuted, Table 2 (4) re-run).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

import vagg
from vagg.report.figures import finish_figure, label_text
from vagg.report.layouts import frame_table
from vagg.report.tables import RegressionTable
from vagg.studies.data import StudyData
from vagg.studies.quality_cities.panels import CONTROLS, derive

__all__ = [
    "CLUSTER",
    "figure_pareto",
    "figure_placebo",
    "panel",
    "placebo_draws",
    "table_baseline",
    "table_descriptive",
    "table_endogeneity",
]

CLUSTER = {"CRV1": "city_hs4"}
_X = " + ".join(CONTROLS)


def panel(data: StudyData) -> pl.DataFrame:
    """The analysis panel (cached per dataset and options); the tiny synthetic scale lowers
    the thin-product threshold to 20 cells."""
    if data.scale == "tiny" and data.options.get("min_product_cells") == 100:
        data.options["min_product_cells"] = 20
    return data.cached("quality_cities_panel", derive)["panel"]


def table_descriptive(data: StudyData, engine: Any) -> RegressionTable:
    """Table 1: descriptive statistics over the city × HS4 × year cells."""
    frame = panel(data)
    rows: list[tuple[str, list[Any], list[int | None]]] = []
    for name in ("hs4_qua", "vagg", *CONTROLS):
        col = frame[name].drop_nulls()
        values = [col.len(), col.mean(), col.std(), col.min(), col.max()]
        rows.append((name, values, [None] * 5))
    zh = data.lang == "zh"
    return frame_table(
        rows,
        columns=["观测值", "均值", "标准差", "最小值", "最大值"]
        if zh
        else ["N", "Mean", "SD", "Min", "Max"],
        stub="变量" if zh else "Variable",
        title="表1　主要变量描述性统计" if zh else "Table 1: Descriptive statistics",
        notes=["城市×HS4×年份层面。" if zh else "City × HS4 × year cells."],
        lang=data.lang,
        digits=3,
    )


def _pandas(data: StudyData) -> Any:
    return panel(data).to_pandas()


def table_baseline(data: StudyData, engine: Any) -> list[Any]:
    """Table 2: the baseline eq. (17), four columns."""
    p = _pandas(data)
    return [
        vagg.feols("hs4_qua ~ vagg | city_code + year", p, vcov=CLUSTER),
        vagg.feols(f"hs4_qua ~ vagg + {_X} | city_code + year", p, vcov=CLUSTER),
        vagg.feols("hs4_qua ~ vagg | city_code + year + hs4", p, vcov=CLUSTER),
        vagg.feols(f"hs4_qua ~ vagg + {_X} | city_code + year + hs4", p, vcov=CLUSTER),
    ]


def table_endogeneity(data: StudyData, engine: Any) -> list[Any]:
    """Table 3: province FE, province × year FE, lag, and three just-identified 2SLS."""
    p = _pandas(data)
    fe = "city_code + year + hs4"
    lagged = p[p["vagg_lag"].notna()]
    return [
        vagg.feols(f"hs4_qua ~ vagg + {_X} | {fe} + province_code", p, vcov=CLUSTER),
        vagg.feols(f"hs4_qua ~ vagg + {_X} | {fe} + province_year", p, vcov=CLUSTER),
        vagg.feols(f"hs4_qua ~ vagg_lag + {_X} | {fe}", lagged, vcov=CLUSTER),
        vagg.iv(f"hs4_qua ~ {_X} | {fe} | vagg ~ vagg_lag", lagged, vcov=CLUSTER),
        vagg.iv(f"hs4_qua ~ {_X} | {fe} | vagg ~ iv_tel", p, vcov=CLUSTER),
        vagg.iv(f"hs4_qua ~ {_X} | {fe} | vagg ~ iv_post", p, vcov=CLUSTER),
    ]


def placebo_draws(data: StudyData, engine: Any = None) -> Any:
    """The Figure 2 draws: vagg permuted ``placebo_reps`` times (100 at the tiny scale) across
    observations or city-years, Table 2 (4) re-estimated each time (:func:`vagg.placebo`)."""
    p = _pandas(data)
    reps = int(data.option("placebo_reps"))
    if data.scale == "tiny":
        reps = min(reps, 100)
    level = None
    if data.option("placebo_level") == "city_year":
        p = p.assign(city_year=p["city_code"] + "_" + p["year"].astype(str))
        level = "city_year"
    seed = int(data.rng("figure_2").integers(1 << 31))
    return vagg.placebo(
        f"hs4_qua ~ vagg + {_X} | city_code + year + hs4",
        p,
        var="vagg",
        reps=reps,
        seed=seed,
        level=level,
        vcov=CLUSTER,
        engine=None,
    )


def figure_placebo(data: StudyData, engine: Any) -> Any:
    """Figure 2: kernel density of the placebo coefficients, the estimate marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import gaussian_kde

    draws = placebo_draws(data, engine)
    coefs = np.asarray(draws.coefs)
    fig, ax = plt.subplots(figsize=(6, 4))
    grid = np.linspace(coefs.min(), coefs.max(), 200)
    ax.plot(grid, gaussian_kde(coefs)(grid), color="black")
    ax.axvline(0.0, color="grey", linestyle=":")
    lang = data.lang
    ax.set_xlabel(label_text(_PERMUTED, lang))
    ax.set_ylabel(label_text(_DENSITY, lang))
    ax.set_title(
        f"rep = {len(coefs)}, mean = {coefs.mean():.4f}, "
        f"mean t = {np.mean(draws.tvalues):.4f}, estimate = {draws.estimate:.4f}",
        fontsize=9,
    )
    finish_figure(fig, lang).tight_layout()  # the font first: the layout measures the text
    return fig


#: Axis labels of Figures 1 and 2.
_PERMUTED = {"zh": "vagg 系数（随机置换）", "en": "Coefficient of vagg (permuted)"}
_DENSITY = {"zh": "核密度", "en": "Kernel density"}
_LAMBDA = {"zh": "相对质量 λ（≥ 1）", "en": "Relative quality λ (≥ 1)"}
_CDF = {"zh": "累积分布 G(λ)", "en": "Cumulative distribution G(λ)"}
_PDF = {"zh": "概率密度 g(λ)", "en": "Density g(λ)"}


def figure_pareto(data: StudyData, engine: Any) -> Any:
    """Figure 1: Pareto CDF G(λ) = 1 − λ^−κ and PDF g(λ) = κλ^−κ−1 on λ ≥ 1 (eq. 13) for
    κ ∈ {1.5, 2, 3, 5}, beside the empirical CDF of the data's relative quality
    λ̂/λ̂_min = exp(ln λ̂ − min_HS6 ln λ̂) in the last year, for cities above and below the
    median vagg (a smaller κ — a fatter tail — is the theory's reading of more virtual
    agglomeration). The theory curves are the paper's; the empirical ones are descriptive."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    quality = data.cached("quality_cities_panel", derive)["quality"]
    last = int(quality["year"].max())
    floor = quality.group_by("hs6").agg(pl.col("quality").min().alias("floor"))
    rel = (
        quality.lazy()
        .filter(pl.col("year") == last)
        .select("hs6", "city_code", "year", "quality")
        .join(floor.lazy(), on="hs6")
        .with_columns((pl.col("quality") - pl.col("floor")).alias("r"))
        .join(
            panel(data).select("city_code", "year", "vagg").unique().lazy(),
            on=["city_code", "year"],
        )
        .collect()
    )
    median = float(rel["vagg"].median())
    grid = np.linspace(1.0, 6.0, 300)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for kappa in (1.5, 2.0, 3.0, 5.0):
        left.plot(grid, 1 - grid**-kappa, label=f"κ = {kappa:g}")
        right.plot(grid, kappa * grid ** (-kappa - 1), label=f"κ = {kappa:g}")
    lang = data.lang
    above, below = (
        ("vagg ≥ 中位数", "vagg < 中位数")
        if lang == "zh"
        else (
            "vagg ≥ median",
            "vagg < median",
        )
    )
    for name, part in (
        (above, rel.filter(pl.col("vagg") >= median)),
        (below, rel.filter(pl.col("vagg") < median)),
    ):
        x = np.sort(np.exp(part["r"].to_numpy()))
        if len(x):
            left.step(
                x,
                np.arange(1, len(x) + 1) / len(x),
                where="post",
                linestyle="--",
                label=f"{'数据' if lang == 'zh' else 'data'} {last}, {name}",
            )
    left.set_xlim(1, 6)
    left.set_title("CDF G(λ)")
    right.set_title("PDF g(λ)")
    left.set_ylabel(label_text(_CDF, lang))
    right.set_ylabel(label_text(_PDF, lang))
    for ax in (left, right):
        ax.set_xlabel(label_text(_LAMBDA, lang))
        ax.legend(fontsize=7)
    finish_figure(fig, lang).tight_layout()  # the font first: the layout measures the text
    return fig
