"""Perpetual-inventory capital and the Solow residual: paper 004's allocation efficiency ALLO.

Paper 004 (§(二)3, after 徐升艳等 and Hsieh & Klenow 2009) measures a province's resource
allocation efficiency by its total factor productivity from the Solow residual:

* output Y: GDP at constant 2004 prices, deflated with the GDP index
  (:func:`vagg.measures.regional.real_gdp`);
* capital K: total fixed-asset investment of the whole society deflated by the fixed-asset
  investment price index, accumulated by perpetual inventory,
  K_t = (1 − δ)·K_t−1 + I_t,  I_t = FAI_t·P_base/P_t,  K_t0 = I_t0/(g + δ);
* labour L: year-end employed persons;
* ln A_it = ln Y_it − α ln K_it − (1 − α) ln L_it.

The paper leaves the conventions open (spec 004 §1.2, §8); the defaults are δ = 9.6 %
(Zhang Jun, Wu Guiying & Zhang Jipeng 2004, the customary rate for Chinese provinces), base
prices 2004, K_t0 = I_t0/(g + δ) with g the province's average real investment growth
(Harberger 1978; Hall & Jones 1999), α = 0.4 (``capital_share="estimate"`` fits α by
two-way fixed-effects least squares of ln(Y/L) on ln(K/L) under constant returns), and ALLO in
levels (``tfp``) with its log (``ln_tfp``) beside it.

The accumulation starts in the first year of the panel: feeding in investment from years
before the estimation sample (e.g. from 2000 for a 2004–2015 study) shrinks the weight of the
guessed initial stock by (1 − δ) per year.

Why written here: no Python package implements provincial perpetual-inventory capital; the
recursion is short and its conventions are the paper's.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import like
from vagg.errors import VaggError
from vagg.measures._provinces import (
    check_balanced,
    check_positive,
    province_table,
)
from vagg.measures.regional import real_gdp

__all__ = ["DEPRECIATION", "capital_stock", "estimate_capital_share", "solow_tfp"]

DEPRECIATION = 0.096
"""δ of Zhang, Wu & Zhang (2004), 经济研究 10: 9.6 % a year."""


def _check_rate(name: str, value: float, lo: float, hi: float) -> float:
    number = float(value)
    if not np.isfinite(number) or not lo <= number <= hi:
        raise VaggError(f"argument '{name}': must lie in [{lo}, {hi}], got {value!r}")
    return number


def capital_stock(
    panel: Any,
    *,
    base_year: int = 2004,
    depreciation: float = DEPRECIATION,
    initial_growth: float | Literal["investment"] = "investment",
    growth_years: int | None = None,
) -> Any:
    """Capital stock by perpetual inventory at constant ``base_year`` prices.

    I_it = FAI_it · P_i,base / P_it (``fixed_asset_investment`` deflated by the province's
    ``fai_price_index``, a level index of any base); K_i,t0 = I_i,t0 / (g_i + δ) in the
    province's first year t0; K_it = (1 − δ)·K_i,t−1 + I_it afterwards.

    Parameters
    ----------
    panel : DataFrame
        ``province_panel`` with fixed_asset_investment (100 million RMB, current) and
        fai_price_index (level); a balanced panel of consecutive years containing ``base_year``.
    base_year : int
        Price base of K (2004 in paper 004).
    depreciation : float
        δ (default 0.096).
    initial_growth : float or "investment"
        g of the initial stock: a number (e.g. 0.10), or ``"investment"`` (default) for the
        province's geometric average growth of real investment,
        g_i = (I_i,t0+n / I_i,t0)^(1/n) − 1, over ``growth_years`` = n years (default: the
        whole panel).
    growth_years : int, optional
        n for ``initial_growth="investment"``.

    Returns
    -------
    DataFrame
        (province_code, year, real_investment, capital_stock), both in 100 million RMB at
        ``base_year`` prices; pandas if ``panel`` is.

    Raises
    ------
    SchemaError
        Missing columns, a province missing in a year, non-positive investment or prices, a
        province whose g + δ ≤ 0 (investment collapsing faster than δ).

    References
    ----------
    Zhang, Wu & Zhang (2004); Harberger (1978); Hall & Jones (1999); paper 004 §(二)3.
    """
    delta = _check_rate("depreciation", depreciation, 0.0, 1.0)
    columns = ["fixed_asset_investment", "fai_price_index"]
    table = province_table(panel, "province_panel", columns)
    _, years = check_balanced(table, "province_panel")
    for column in columns:
        check_positive(table, "province_panel", column, "real investment divides or deflates")
    if base_year not in years:
        raise SchemaError(
            "province_panel",
            "year",
            f"the price base year {base_year} is not in the panel ({years[0]}–{years[-1]})",
        )
    table = table.sort("province_code", "year")
    base_price = table.filter(pl.col("year") == base_year).select(
        "province_code", pl.col("fai_price_index").cast(pl.Float64).alias("_p0")
    )
    table = table.join(base_price, on="province_code").with_columns(
        (
            pl.col("fixed_asset_investment").cast(pl.Float64)
            * pl.col("_p0")
            / pl.col("fai_price_index").cast(pl.Float64)
        ).alias("real_investment")
    )
    codes = table["province_code"].unique(maintain_order=True).to_list()
    invest = table["real_investment"].to_numpy().reshape(len(codes), len(years))
    growth = _initial_growth(invest, codes, initial_growth, growth_years)
    if np.any(growth + delta <= 0):
        bad = [c for c, g in zip(codes, growth, strict=True) if g + delta <= 0]
        raise SchemaError(
            "province_panel",
            "fixed_asset_investment",
            "initial capital I_t0/(g + δ) needs g + δ > 0; real investment falls faster than "
            "δ in province(s)",
            n_bad=len(bad),
            examples=bad,
        )
    stock = np.empty_like(invest)
    stock[:, 0] = invest[:, 0] / (growth + delta)
    for t in range(1, len(years)):
        stock[:, t] = (1.0 - delta) * stock[:, t - 1] + invest[:, t]
    out = table.select("province_code", "year", "real_investment").with_columns(
        pl.Series("capital_stock", stock.ravel())
    )
    return like(out, panel)


def _initial_growth(
    invest: np.ndarray,
    codes: list[str],
    initial_growth: float | str,
    growth_years: int | None,
) -> np.ndarray:
    if isinstance(initial_growth, str):
        if initial_growth != "investment":
            raise VaggError(
                "argument 'initial_growth': expected a number or 'investment', got "
                f"{initial_growth!r}"
            )
        span = invest.shape[1] - 1 if growth_years is None else int(growth_years)
        if not 1 <= span <= invest.shape[1] - 1:
            raise VaggError(
                f"argument 'growth_years': need 1 ≤ n ≤ {invest.shape[1] - 1} (years of the "
                f"panel − 1), got {growth_years!r}"
            )
        return (invest[:, span] / invest[:, 0]) ** (1.0 / span) - 1.0
    return np.full(len(codes), _check_rate("initial_growth", initial_growth, -1.0, 10.0))


def _two_way_within(x: np.ndarray) -> np.ndarray:
    """Two-way (province × year) demeaning of a balanced provinces × years array."""
    return x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()


def estimate_capital_share(ln_y_per_l: np.ndarray, ln_k_per_l: np.ndarray) -> float:
    """α̂ of ln(Y/L)_it = α·ln(K/L)_it + μ_i + λ_t + e_it by two-way within least squares.

    Inputs are balanced provinces × years arrays; for a balanced panel the two-way within
    transformation is exact, so α̂ equals OLS with province and year dummies. Constant returns
    to scale are imposed (the residual uses 1 − α̂ for labour).
    """
    y = _two_way_within(np.asarray(ln_y_per_l, dtype=float))
    k = _two_way_within(np.asarray(ln_k_per_l, dtype=float))
    denominator = float(np.sum(k * k))
    if denominator <= 0:
        raise VaggError("capital_share='estimate': ln(K/L) has no within variation")
    return float(np.sum(k * y) / denominator)


def solow_tfp(
    panel: Any,
    *,
    capital_share: float | Literal["estimate"] = 0.4,
    base_year: int = 2004,
    depreciation: float = DEPRECIATION,
    initial_growth: float | Literal["investment"] = "investment",
    growth_years: int | None = None,
    capital: str | None = None,
    labour: str = "employment_total",
) -> Any:
    """Solow-residual TFP (paper 004's ALLO): ln A = ln Y − α ln K − (1 − α) ln L.

    Y is real GDP at ``base_year`` prices (:func:`vagg.measures.regional.real_gdp`), K the
    perpetual-inventory stock of :func:`capital_stock` (or the panel column named by
    ``capital``), L the year-end employed persons.

    Parameters
    ----------
    panel : DataFrame
        ``province_panel`` with gdp, gdp_index, population, ``labour`` and either
        fixed_asset_investment and fai_price_index or the ``capital`` column.
    capital_share : float or "estimate"
        α (default 0.4), or ``"estimate"`` for :func:`estimate_capital_share` on this panel.
    base_year, depreciation, initial_growth, growth_years :
        Passed to :func:`capital_stock` and :func:`real_gdp`.
    capital : str, optional
        Use this column as K instead of building it (e.g. ``"capital_stock"`` of the schema).
    labour : str
        Labour column (default ``employment_total``, 10k persons).

    Returns
    -------
    DataFrame
        (province_code, year, real_gdp, capital_stock, labour, capital_share, ln_tfp, tfp);
        pandas if ``panel`` is. ``tfp`` (= exp ln_tfp) is ALLO in levels, the default reading.

    References
    ----------
    Solow (1957); paper 004 §(二)3; spec 004 §2.2 (Solow residual) and §8.
    """
    if isinstance(capital_share, str):
        if capital_share != "estimate":
            raise VaggError(
                f"argument 'capital_share': expected a number or 'estimate', got {capital_share!r}"
            )
    else:
        _check_rate("capital_share", capital_share, 0.0, 1.0)
    output = real_gdp(panel, base_year=base_year)
    output = pl.from_pandas(output) if isinstance(output, pd.DataFrame) else output
    work = province_table(panel, "province_panel", [labour] + ([capital] if capital else []))
    check_positive(work, "province_panel", labour, "labour enters a log")
    if capital is None:
        stock = capital_stock(
            panel,
            base_year=base_year,
            depreciation=depreciation,
            initial_growth=initial_growth,
            growth_years=growth_years,
        )
        stock = pl.from_pandas(stock) if isinstance(stock, pd.DataFrame) else stock
        stock = stock.select("province_code", "year", "capital_stock")
    else:
        check_positive(work, "province_panel", capital, "capital enters a log")
        stock = work.select(
            "province_code", "year", pl.col(capital).cast(pl.Float64).alias("capital_stock")
        )
    data = (
        output.join(stock, on=["province_code", "year"])
        .join(
            work.select("province_code", "year", pl.col(labour).cast(pl.Float64).alias("labour")),
            on=["province_code", "year"],
        )
        .sort("province_code", "year")
    )
    ln_y, ln_k, ln_l = (np.log(data[c].to_numpy()) for c in ("real_gdp", "capital_stock", "labour"))
    if capital_share == "estimate":
        n_codes = data["province_code"].n_unique()
        shape = (n_codes, data.height // n_codes)
        alpha = estimate_capital_share((ln_y - ln_l).reshape(shape), (ln_k - ln_l).reshape(shape))
    else:
        alpha = float(capital_share)
    ln_tfp = ln_y - alpha * ln_k - (1.0 - alpha) * ln_l
    out = data.with_columns(
        pl.lit(alpha).alias("capital_share"),
        pl.Series("ln_tfp", ln_tfp),
        pl.Series("tfp", np.exp(ln_tfp)),
    )
    return like(out, panel)
