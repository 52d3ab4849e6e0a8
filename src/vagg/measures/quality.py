"""KSW export quality from customs cells, normalised and aggregated (paper 001 eq. 18–21).

Khandelwal, Schott & Wei (2013, AER) infer quality from demand: with CES demand
q = λ^{σ−1} p^{−σ} P^{σ−1} Y, a firm that sells more of a product at the same price in the
same destination-year sells a higher quality. Paper 001 (赵春明等 2022, 经济管理 (7)) estimates

    ln q_hgft = −σ ln p_hgft + γ ln GDP_prov(g),t + α_h + α_ft + ε_hgft            (18)
    qua_hgft  = ln λ̂_hgft = ε̂_hgft / (σ_h − 1)                                     (19)
    rqua_hgft = (qua_hgft − min_h qua) / (max_h qua − min_h qua)                     (20)
    Quality_cjt = Σ_{(g,h,f)∈Δ_cjt} (value_hgft / Σ_{Δ_cjt} value) · rqua_hgft       (21)

on firm g × HS6 h × destination f × year t cells (:mod:`vagg.measures.customs_cells`), with
σ_h the Broda–Greenfield–Weinstein (2017) elasticity of the product's HS 3-digit line
(:func:`vagg.data.concordance.read_sigma`), ln p instrumented by the firm's mean ln p of the
same product in its other destinations that year (施炳展 & 邵文波 2014), min and max in (20)
taken within HS6 over all firms, destinations and years ("样本期内不同企业出口到不同国家/地区"),
and Δ_cjt the cells of city c in HS4 j and year t. Conventions the paper leaves open (spec 001
§2.2 and §8) are arguments of :func:`ksw_quality` with the spec's defaults:

* ``method="iv"`` (pooled 2SLS, the paper's reading) or ``"sigma"`` (KSW's original: OLS of
  ln q + σ_h ln p on the fixed effects and the GDP control, σ imposed);
* ``quality_sigma="bgw"``: ε̂ is divided by σ_h − 1 with the BGW σ_h (eq. 19); ``"estimated"``
  divides by σ̂ − 1 from the pooled IV;
* σ capped to [1.5, 20] (:data:`vagg.data.concordance.DEFAULT_SIGMA_CAP`): BGW's China σ runs
  from 1.34 to 108 and 1/(σ − 1) explodes near 1 (trade_measures.md §3.2);
* cells whose firm sells the product in one destination only have no instrument: dropped
  (counted; ``no_instrument="drop"``) or given the σ-imposed quality (``"impose"``);
* cells of HS 3-digit lines without a σ: dropped and counted (``missing_sigma="drop"``; BGW's
  China file lacks 910, 911 and 970) or an error;
* the regression is pooled over products (one α_h per HS6); ``product_fe="hs6_year"`` absorbs
  product × year effects instead.

Written here: no Python library computes KSW quality; the regression itself is checked
against pyfixest (tests).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl

from vagg.data.concordance import DEFAULT_SIGMA_CAP
from vagg.data.errors import SchemaError
from vagg.data.frames import require_columns
from vagg.data.schemas import check_unique_key
from vagg.measures.customs import keyed_lazy
from vagg.measures.customs_cells import CELL_KEY
from vagg.measures.quality_demand import demand_regression, fixed_effect_codes

__all__ = [
    "AGGREGATION_LEVELS",
    "QUALITY_EXCLUSIONS",
    "KSWQuality",
    "aggregate_quality",
    "attach_sigma",
    "ksw_quality",
    "normalise_quality",
]

AGGREGATION_LEVELS: dict[str, tuple[str, ...]] = {
    "city_hs4": ("city_code", "hs4", "year"),
    "city_hs6": ("city_code", "hs6", "year"),
    "firm": ("party_id", "year"),
}
"""Units of eq. (21): hs4_qua (city × HS4 × year, the paper's main outcome), hs6_qua
(city × HS6 × year, Table 4 col. 2) and the firm-level c_qua (Table 4 cols. 4–5)."""

QUALITY_EXCLUSIONS: tuple[str, ...] = (
    "nonpositive_value_or_quantity",
    "sigma_missing",
    "no_instrument",
    "quality_constant_in_hs6",
)
"""Reasons a cell is left out of the quality measure, in the order the rules apply."""


@dataclass
class KSWQuality:
    """Result of :func:`ksw_quality`.

    Attributes
    ----------
    quality : pandas.DataFrame or polars.DataFrame
        One row per cell kept, in the order of the input: the key columns, ``hs4``,
        ``value_usd``, ``sigma`` (capped), ``ln_p``, ``ln_q``, ``ln_gdp`` (with the control),
        ``price_iv`` (IV method), ``residual`` (ε̂), ``quality`` (ln λ̂, eq. 19) and ``rqua``
        (eq. 20, in [0, 1]).
    regression : vagg.estimate.results.Result
        The demand regression (eq. 18); for the IV the coefficient on ``ln_p`` is −σ̂.
    n_input : int
        Cells given.
    excluded : dict of str to int
        Cells left out, by reason (:data:`QUALITY_EXCLUSIONS`).
    sigma_capped : dict of str to int
        HS 3-digit lines of the σ table raised to the lower cap and lowered to the upper cap.
    options : dict
        The conventions applied.
    timings : dict of str to float
        Seconds spent preparing the cells, in the regression and normalising.
    """

    quality: Any
    regression: Any
    n_input: int
    excluded: dict[str, int]
    sigma_capped: dict[str, int] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def aggregate(self, level: str = "city_hs4", **kwargs: Any) -> Any:
        """:func:`aggregate_quality` of :attr:`quality` at ``level``."""
        return aggregate_quality(self.quality, level, **kwargs)

    def report(self) -> pd.DataFrame:
        """The accounting as a table: cells given, each exclusion, cells kept."""
        rows = [("cells given", self.n_input)]
        rows += [(f"left out: {k}", v) for k, v in self.excluded.items()]
        rows.append(("cells kept", self.n_input - sum(self.excluded.values())))
        return pd.DataFrame(rows, columns=["item", "cells"])


def _sigma_table(sigma: Any, cap: tuple[float, float] | None) -> tuple[pl.DataFrame, dict]:
    table = keyed_lazy(sigma, "sigma").collect()
    if "hs3" not in table.columns or "sigma" not in table.columns:
        raise SchemaError(
            "sigma", None, f"needs columns hs3 and sigma (read_sigma's output); has {table.columns}"
        )
    table = table.select(
        pl.col("hs3").cast(pl.String).str.zfill(3), pl.col("sigma").cast(pl.Float64)
    )
    check_unique_key(table, "sigma", ["hs3"])
    bad = table.with_row_index("_row").filter(
        pl.col("sigma").is_null() | pl.col("sigma").is_nan() | (pl.col("sigma") <= 1.0)
    )
    if bad.height and cap is None:
        raise SchemaError(
            "sigma",
            "sigma",
            "σ must exceed 1 (quality divides by σ − 1); cap it or fix the rows",
            bad["_row"].to_list(),
            bad.height,
            bad["sigma"].to_list(),
        )
    capped = {"low": 0, "high": 0}
    if cap is not None:
        lo, hi = cap
        if not 1.0 < lo < hi:
            raise SchemaError("sigma", "sigma", f"sigma_cap {cap} must satisfy 1 < low < high")
        capped = {
            "low": int((table["sigma"] < lo).sum()),
            "high": int((table["sigma"] > hi).sum()),
        }
        nulls = table.filter(pl.col("sigma").is_null() | pl.col("sigma").is_nan())
        if nulls.height:
            raise SchemaError(
                "sigma", "sigma", "missing σ values", [], nulls.height, nulls["hs3"].to_list()
            )
        table = table.with_columns(pl.col("sigma").clip(lo, hi))
    return table, capped


def attach_sigma(
    cells: Any,
    sigma: Any,
    *,
    sigma_cap: tuple[float, float] | None = DEFAULT_SIGMA_CAP,
) -> Any:
    """Attach σ_h, the BGW elasticity of each cell's HS 3-digit line, capped.

    σ_h = clip(σ_{hs3(h)}, low, high), hs3(h) the first three digits of the HS6 code (BGW
    estimate σ on HS 1992 three-digit lines, which coincide with HS 2002's except for a few
    lines; trade_measures.md §3.2). Cells of lines without σ get a missing ``sigma``.

    Parameters
    ----------
    cells : DataFrame
        With an ``hs6`` column (six-digit text).
    sigma : DataFrame
        ``hs3`` and ``sigma``, e.g. :func:`vagg.data.concordance.read_sigma` of the real
        ``Sigmas73countries_9403_HS3digit.dta`` (which caps already; capping twice with the
        same bounds changes nothing).
    sigma_cap : (float, float) or None
        Bounds σ is clipped to; None keeps σ as given (then σ must exceed 1).

    Returns
    -------
    DataFrame
        ``cells`` with ``hs3`` and ``sigma``; output type follows ``cells``.
    """
    table, _ = _sigma_table(sigma, sigma_cap)
    lf = keyed_lazy(cells, "cells")
    require_columns(lf, "cells", ["hs6"])
    out = (
        lf.with_columns(pl.col("hs6").cast(pl.String).str.slice(0, 3).alias("hs3"))
        .join(table.lazy(), on="hs3", how="left", maintain_order="left")
        .collect()
    )
    return out.to_pandas() if isinstance(cells, pd.DataFrame) else out


def normalise_quality(
    frame: Any, value: str = "quality", by: Sequence[str] = ("hs6",), name: str = "rqua"
) -> Any:
    """Min–max normalise quality within each product, pooled over years (paper 001 eq. 20).

    rqua_i = (qua_i − min_{j∈G(i)} qua_j) / (max_{j∈G(i)} qua_j − min_{j∈G(i)} qua_j), with
    G(i) the cells of i's HS6 product over all firms, destinations and years. Groups whose
    max equals their min get a missing ``rqua`` (:func:`ksw_quality` drops and counts them).

    Parameters
    ----------
    frame : DataFrame
        Cells with ``value`` and the ``by`` columns.
    value : str
        Column to normalise.
    by : sequence of str
        Group columns (default HS6, the paper's window).
    name : str
        Name of the normalised column.

    Returns
    -------
    DataFrame
        ``frame`` with ``name`` added, in [0, 1]; output type follows ``frame``.
    """
    lf = keyed_lazy(frame, "quality")
    require_columns(lf, "quality", [value, *by])
    lo = pl.col(value).min().over(list(by))
    hi = pl.col(value).max().over(list(by))
    out = lf.with_columns(
        pl.when(hi > lo).then((pl.col(value) - lo) / (hi - lo)).alias(name)
    ).collect()
    return out.to_pandas() if isinstance(frame, pd.DataFrame) else out


def aggregate_quality(
    quality: Any,
    level: str = "city_hs4",
    *,
    by: Sequence[str] | None = None,
    value: str = "rqua",
    weight: str = "value_usd",
    name: str = "quality",
) -> Any:
    """Export-value-weighted mean quality of the cells of each unit (paper 001 eq. 21).

    Quality_u = Σ_{i∈u} (w_i / Σ_{i'∈u} w_i') · rqua_i, u a city × HS4 × year (``hs4_qua``,
    default), city × HS6 × year (``hs6_qua``), firm × year (``c_qua``) or any ``by`` columns.

    Parameters
    ----------
    quality : DataFrame
        Cells with ``value``, ``weight`` and the unit's columns (e.g.
        :attr:`KSWQuality.quality`).
    level : {"city_hs4", "city_hs6", "firm"}
        Unit (:data:`AGGREGATION_LEVELS`); ignored when ``by`` is given.
    by : sequence of str, optional
        Unit columns, for other aggregates (e.g. with ``regime`` for Table 5).
    value, weight, name : str
        The cell quality, the weight (export value), the output column.

    Returns
    -------
    DataFrame
        One row per unit: the unit columns, ``name``, the summed ``weight`` and ``n_cells``,
        sorted by the unit; output type follows ``quality``.
    """
    if by is None:
        if level not in AGGREGATION_LEVELS:
            raise SchemaError(
                "quality", None, f"level {level!r} is not one of {sorted(AGGREGATION_LEVELS)}"
            )
        by = AGGREGATION_LEVELS[level]
    keys = list(by)
    lf = keyed_lazy(quality, "quality")
    require_columns(lf, "quality", [*keys, value, weight])
    bad = lf.filter(
        pl.col(value).is_null() | pl.col(weight).is_null() | (pl.col(weight) <= 0)
    ).select(pl.len())
    n_bad = int(bad.collect().item())
    if n_bad:
        raise SchemaError(
            "quality",
            value,
            f"{n_bad} cells have a missing {value} or a missing or non-positive {weight}",
        )
    out = (
        lf.group_by(keys)
        .agg(
            ((pl.col(value) * pl.col(weight)).sum() / pl.col(weight).sum()).alias(name),
            pl.col(weight).sum(),
            pl.len().cast(pl.Int64).alias("n_cells"),
        )
        .sort(keys)
        .collect()
    )
    return out.to_pandas() if isinstance(quality, pd.DataFrame) else out


def _province_gdp(
    frame: pl.DataFrame, province_gdp: Any, gdp_column: str
) -> tuple[pl.DataFrame, str]:
    """Join ln provincial real GDP on the cells' province-year; missing ones are an error."""
    table = keyed_lazy(province_gdp, "province_gdp").collect()
    need = ["province_code", "year", gdp_column]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise SchemaError("province_gdp", missing[0], f"missing required column(s) {missing}")
    table = table.select(
        pl.col("province_code").cast(pl.String),
        pl.col("year").cast(pl.Int64),
        pl.col(gdp_column).cast(pl.Float64).alias("_gdp"),
    )
    check_unique_key(table, "province_gdp", ["province_code", "year"])
    bad = table.with_row_index("_row").filter(~(pl.col("_gdp") > 0))
    if bad.height:
        raise SchemaError(
            "province_gdp",
            gdp_column,
            "real GDP must be positive (it enters in logs)",
            bad["_row"].to_list(),
            bad.height,
            bad["_gdp"].to_list(),
        )
    if "province_code" in frame.columns:
        province = pl.col("province_code").cast(pl.String)
    elif "city_code" in frame.columns:
        province = pl.col("city_code").cast(pl.String).str.slice(0, 2)
    else:
        raise SchemaError(
            "cells", "city_code", "needs city_code or province_code for the provincial GDP"
        )
    joined = frame.with_columns(province.alias("_province")).join(
        table,
        left_on=["_province", "year"],
        right_on=["province_code", "year"],
        how="left",
        maintain_order="left",
    )
    absent = joined.filter(pl.col("_gdp").is_null()).select("_province", "year").unique()
    if absent.height:
        shown = [tuple(r) for r in absent.sort("_province", "year").head(5).iter_rows()]
        raise SchemaError(
            "province_gdp",
            gdp_column,
            f"no real GDP for {absent.height} province-years of the cells, e.g. {shown}",
        )
    return joined.with_columns(pl.col("_gdp").log().alias("ln_gdp")).drop("_gdp", "_province"), (
        "ln_gdp"
    )


def ksw_quality(
    cells: Any,
    sigma: Any,
    province_gdp: Any = None,
    *,
    method: Literal["iv", "sigma"] = "iv",
    gdp_column: str = "gdp_real",
    sigma_cap: tuple[float, float] | None = DEFAULT_SIGMA_CAP,
    missing_sigma: Literal["drop", "error"] = "drop",
    no_instrument: Literal["drop", "impose"] = "drop",
    quality_sigma: Literal["bgw", "estimated"] = "bgw",
    product_fe: Literal["hs6", "hs6_year"] = "hs6",
    key: Sequence[str] = CELL_KEY,
) -> KSWQuality:
    """KSW export quality of every firm × HS6 × destination × year cell (paper 001 eq. 18–20).

    The demand regression (eq. 18) runs on all cells at once with HS6 (``product_fe``) and
    destination × year fixed effects absorbed by vagg's exact demeaner
    (:func:`vagg.measures.quality_demand.demand_regression`):

    * ``method="iv"``: 2SLS of ln q on ln p and ln provincial real GDP, ln p instrumented by
      z_hgft = (Σ_{f'≠f} ln p_hgf't)/(n_hgt − 1), the firm's mean log price of the product in
      its other destinations that year (施炳展 & 邵文波 2014); ε̂ = ln q − β̂ ln p − γ̂ ln GDP −
      α̂_h − α̂_ft at the actual ln p;
    * ``method="sigma"``: OLS of ln q + σ_h ln p on ln GDP and the fixed effects (KSW 2013).

    Quality is ln λ̂ = ε̂/(σ − 1) (eq. 19; σ = σ_h, or σ̂ = −β̂ with
    ``quality_sigma="estimated"``), normalised within HS6 over all years (eq. 20).

    Parameters
    ----------
    cells : DataFrame
        Cells with the ``key`` columns, ``value_usd`` and ``quantity`` (e.g.
        :attr:`vagg.measures.customs_cells.CustomsCells.cells`), and ``city_code`` or
        ``province_code`` when ``province_gdp`` is given.
    sigma : DataFrame
        ``hs3``, ``sigma`` (:func:`vagg.data.concordance.read_sigma`).
    province_gdp : DataFrame, optional
        ``province_code``, ``year`` and ``gdp_column`` (real GDP, any fixed unit); None runs
        eq. (18) without the control.
    method : {"iv", "sigma"}
        2SLS (the paper) or σ imposed (KSW).
    gdp_column : str
        Column of ``province_gdp`` holding real GDP.
    sigma_cap : (float, float) or None
        Bounds σ_h is clipped to (default (1.5, 20)).
    missing_sigma : {"drop", "error"}
        Cells of HS 3-digit lines without σ: counted and left out, or an error.
    no_instrument : {"drop", "impose"}
        IV cells whose firm sells the product in a single destination that year: left out
        (counted), or given the quality of the σ-imposed regression on all cells.
    quality_sigma : {"bgw", "estimated"}
        σ in eq. (19) for the IV method.
    product_fe : {"hs6", "hs6_year"}
        Product effects: HS6 (the paper's α_h) or HS6 × year.
    key : sequence of str
        The cell key (unique); the instrument averages over the key without ``partner``.

    Returns
    -------
    KSWQuality
        Cell quality, the regression and the accounting of the cells left out.

    Raises
    ------
    SchemaError
        Missing columns, duplicate keys, σ values ≤ 1 without a cap, missing σ with
        ``missing_sigma="error"``, province-years without GDP, or σ̂ ≤ 1 with
        ``quality_sigma="estimated"``.
    """
    for option, choice, choices in (
        ("method", method, ("iv", "sigma")),
        ("missing_sigma", missing_sigma, ("drop", "error")),
        ("no_instrument", no_instrument, ("drop", "impose")),
        ("quality_sigma", quality_sigma, ("bgw", "estimated")),
        ("product_fe", product_fe, ("hs6", "hs6_year")),
    ):
        if choice not in choices:
            raise SchemaError("cells", None, f"argument {option} must be one of {choices}")
    started = time.perf_counter()
    key = list(key)
    lf = keyed_lazy(cells, "cells")
    names = lf.collect_schema().names()
    need = [*key, "value_usd", "quantity"]
    require_columns(lf, "cells", need)
    extra = [c for c in ("city_code", "province_code", "hs4") if c in names and c not in key]
    frame = lf.select([*need, *extra]).collect()
    frame = frame.with_columns(pl.col("hs6").cast(pl.String), pl.col("year").cast(pl.Int64))
    check_unique_key(frame, "cells", key)
    frame = frame.with_row_index("_row")
    n_input = frame.height
    excluded = dict.fromkeys(QUALITY_EXCLUSIONS, 0)

    value, quantity = pl.col("value_usd").cast(pl.Float64), pl.col("quantity").cast(pl.Float64)
    positive = (value > 0) & (quantity > 0) & value.is_finite() & quantity.is_finite()
    kept = frame.filter(positive.fill_null(False))
    excluded["nonpositive_value_or_quantity"] = n_input - kept.height

    table, capped = _sigma_table(sigma, sigma_cap)
    kept = (
        kept.with_columns(pl.col("hs6").str.slice(0, 3).alias("hs3"))
        .join(table, on="hs3", how="left", maintain_order="left")
        .drop("hs3")
    )
    no_sigma = kept.filter(pl.col("sigma").is_null())
    if no_sigma.height:
        lines = sorted(set(no_sigma["hs6"].str.slice(0, 3).to_list()))
        if missing_sigma == "error":
            raise SchemaError(
                "sigma",
                "hs3",
                f"no σ for the HS 3-digit lines {lines[:10]} of {no_sigma.height} cells "
                "(pass missing_sigma='drop' to leave them out)",
            )
        kept = kept.filter(pl.col("sigma").is_not_null())
        excluded["sigma_missing"] = no_sigma.height
    kept = kept.with_columns(
        (pl.col("value_usd") / pl.col("quantity")).log().alias("ln_p"),
        pl.col("quantity").cast(pl.Float64).log().alias("ln_q"),
    )
    exog_names: list[str] = []
    if province_gdp is not None:
        kept, gdp_name = _province_gdp(kept, province_gdp, gdp_column)
        exog_names.append(gdp_name)
    if "hs4" not in kept.columns:
        kept = kept.with_columns(pl.col("hs6").str.slice(0, 4).alias("hs4"))
    prepared = time.perf_counter()

    product_cols = ["hs6"] if product_fe == "hs6" else ["hs6", "year"]
    fe_names = ["hs6" if product_fe == "hs6" else "hs6^year", "partner^year"]

    def fit_sigma(frame_: pl.DataFrame) -> tuple[Any, np.ndarray]:
        y = frame_.select(pl.col("ln_q") + pl.col("sigma") * pl.col("ln_p")).to_series()
        fit = demand_regression(
            y.to_numpy(),
            {c: frame_[c].to_numpy() for c in exog_names},
            [
                fixed_effect_codes(frame_, product_cols),
                fixed_effect_codes(frame_, ["partner", "year"]),
            ],
            fe_names=fe_names,
            depvar="ln_q + sigma*ln_p",
        )
        return fit, fit.residuals / (frame_["sigma"].to_numpy() - 1.0)

    imposed: pl.DataFrame | None = None
    if method == "sigma":
        fit, quality = fit_sigma(kept)
        kept = kept.with_columns(
            pl.Series("residual", fit.residuals), pl.Series("quality", quality)
        )
    else:
        group = [c for c in key if c != "partner"]
        n_dest = pl.len().over(group)
        kept = kept.with_columns(
            ((pl.col("ln_p").sum().over(group) - pl.col("ln_p")) / (n_dest - 1))
            .alias("price_iv")
            .cast(pl.Float64),
            n_dest.alias("_n_dest"),
        )
        single = kept["_n_dest"] < 2
        if no_instrument == "impose" and single.any():
            all_fit, all_quality = fit_sigma(kept)
            imposed = kept.with_columns(
                pl.Series("residual", all_fit.residuals), pl.Series("quality", all_quality)
            ).filter(pl.col("_n_dest") < 2)
        else:
            excluded["no_instrument"] = int(single.sum())
        kept = kept.filter(pl.col("_n_dest") >= 2)
        fit = demand_regression(
            kept["ln_q"].to_numpy(),
            {c: kept[c].to_numpy() for c in exog_names},
            [fixed_effect_codes(kept, c) for c in (product_cols, ["partner", "year"])],
            endog={"ln_p": kept["ln_p"].to_numpy()},
            instruments={"price_iv": kept["price_iv"].to_numpy()},
            fe_names=fe_names,
            depvar="ln_q",
        )
        sigma_hat = -float(fit.result.params["ln_p"])
        if quality_sigma == "estimated":
            if not sigma_hat > 1.0:
                raise SchemaError(
                    "cells",
                    "ln_p",
                    f"the IV price coefficient gives σ̂ = {sigma_hat:.3f} ≤ 1; quality cannot "
                    "divide by σ̂ − 1 (use quality_sigma='bgw')",
                )
            denominator: Any = sigma_hat - 1.0
        else:
            denominator = kept["sigma"].to_numpy() - 1.0
        kept = kept.with_columns(
            pl.Series("residual", fit.residuals),
            pl.Series("quality", fit.residuals / denominator),
        )
        if imposed is not None:
            kept = pl.concat([kept, imposed.select(kept.columns)], how="vertical")
        kept = kept.drop("_n_dest")
    regressed = time.perf_counter()

    kept = normalise_quality(kept, "quality", ("hs6",), "rqua")
    constant = kept["rqua"].is_null()
    excluded["quality_constant_in_hs6"] = int(constant.sum())
    kept = kept.filter(~constant)
    columns = [
        *key,
        *[c for c in ("city_code", "province_code") if c in kept.columns and c not in key],
    ]
    columns += ["hs4", "value_usd", "sigma", "ln_p", "ln_q", *exog_names]
    columns += ["price_iv"] if "price_iv" in kept.columns else []
    columns += ["residual", "quality", "rqua"]
    if imposed is not None:  # back to the order of the input
        kept = kept.sort("_row")
    out = kept.select(columns)
    result = KSWQuality(
        quality=out.to_pandas() if isinstance(cells, pd.DataFrame) else out,
        regression=fit.result,
        n_input=n_input,
        excluded=excluded,
        sigma_capped=capped,
        options={
            "method": method,
            "quality_sigma": quality_sigma if method == "iv" else "bgw",
            "sigma_cap": sigma_cap,
            "missing_sigma": missing_sigma,
            "no_instrument": no_instrument,
            "product_fe": product_fe,
            "gdp_control": province_gdp is not None,
            "n_imposed": 0 if imposed is None else imposed.height,
        },
        timings={
            "prepare": prepared - started,
            "regression": regressed - prepared,
            "normalise": time.perf_counter() - regressed,
            **{f"regression.{k}": v for k, v in fit.timings.items()},
        },
    )
    return result
