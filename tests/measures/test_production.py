"""ACF production functions, TFP, De Loecker–Warzynski markups, export prices, marginal cost.

References used here, none of them produced by the code under test:
* planted parameters of a simulated ACF-style economy (closed form truth, below);
* statsmodels OLS (first stage, OLS special case) and linearmodels PanelOLS (within special
  case) on the same data;
* hand computations of the DLW formula, unit values and log marginal cost;
* ``truth.json`` of the synthetic economy (``dvar_firms.table6.markup_on_vagg_h``), with vagg_h
  computed here by a small pandas helper from the raw platform and firm tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyfixest as pf
import pytest
import statsmodels.formula.api as smf
from linearmodels.panel import PanelOLS

from vagg.data.errors import SchemaError
from vagg.data.io import read_dataset
from vagg.data.synth.economy import generate
from vagg.measures.markups import (
    cie_production_panel,
    dlw_markups,
    export_prices,
    marginal_cost,
)
from vagg.measures.production import (
    ProductionFunctionError,
    acf,
    production_ols,
)

# ---------------------------------------------------------------------------------------
# A simulated economy with ACF (2015, §4) timing, value added, Leontief materials.
#   ω_it: AR(1) with ρ = 0.7 and sd 0.3, evolving in half periods (ω_{t−1/2} = √ρ ω_{t−1} + η);
#   k_it = ln K_it, K_it = 0.8 K_{i,t−1} + I_{i,t−1} (capital chosen at t−1),
#     ln I_{i,t−1} = ln(0.2) + 3 + ω_{i,t−1} + N(0, 0.8²);
#   l_it = 1 + 0.4 k_it + √ρ ω_{i,t−1/2} − w_it − a_i + N(0, 0.1²): labour chosen at t − ½ with
#     firm-specific wages (AR(1) w with ρ_w = 0.5, sd 0.2, plus a permanent a_i with sd 0.5) and
#     an optimisation error;
#   y_it = 1 + f(l, k) + ω_it + N(0, 0.1²); m_it = 1 + f(l, k) + ω_it + ln 0.8 (Leontief).
# Planted: Cobb–Douglas β_l = 0.6, β_k = 0.4; translog β = (l 0.55, k 0.35, ll −0.02, kk −0.015,
# lk 0.02). 10% of firm-years are deleted at random, so lags have gaps.
# Tolerances are about 2.5 sampling standard deviations: over seeds 0–5 the largest errors were
# 0.018 (β_l) and 0.026 (β_k) for Cobb–Douglas and 0.019 / 0.025 for the translog's mean
# elasticities (individual translog coefficients are much less precise than the elasticities).

CD_TRUTH = {"l": 0.6, "k": 0.4}
TL_TRUTH = {"l": 0.55, "k": 0.35, "ll": -0.02, "kk": -0.015, "lk": 0.02}


def _f(beta: dict[str, float], lab: np.ndarray, k: np.ndarray) -> np.ndarray:
    out = beta["l"] * lab + beta["k"] * k
    if "ll" in beta:
        out = out + beta["ll"] * lab**2 + beta["kk"] * k**2 + beta["lk"] * lab * k
    return out


def _acf_economy(
    beta: dict[str, float], n_firms: int = 5000, n_years: int = 10, seed: int = 0
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rho, sd_omega, rho_w, sd_w = 0.7, 0.3, 0.5, 0.2
    sd_half = sd_omega * np.sqrt(1 - rho)
    omega = rng.normal(0, sd_omega, n_firms)
    wage = rng.normal(0, sd_w, n_firms)
    wage_fe = rng.normal(0, 0.5, n_firms)
    capital = np.exp(3 + rng.normal(0, 0.5, n_firms))
    burn, rows = 40, []
    for t in range(burn + n_years):
        k = np.log(capital)
        investment = 0.2 * np.exp(3 + omega + rng.normal(0, 0.8, n_firms))
        omega_half = np.sqrt(rho) * omega + rng.normal(0, sd_half, n_firms)
        omega = np.sqrt(rho) * omega_half + rng.normal(0, sd_half, n_firms)
        wage = rho_w * wage + rng.normal(0, sd_w * np.sqrt(1 - rho_w**2), n_firms)
        noise = rng.normal(0, 0.1, n_firms)
        lab = 1 + 0.4 * k + np.sqrt(rho) * omega_half - wage - wage_fe + noise
        va = 1 + _f(beta, lab, k) + omega
        if t >= burn:
            rows.append(
                pd.DataFrame(
                    {
                        "firm_id": np.arange(n_firms),
                        "year": 2000 + t - burn,
                        "y": va + rng.normal(0, 0.1, n_firms),
                        "l": lab,
                        "k": k,
                        "m": va + np.log(0.8),
                        "omega": omega,
                    }
                )
            )
        capital = 0.8 * capital + investment
    df = pd.concat(rows, ignore_index=True)
    df = df[rng.random(len(df)) >= 0.1].reset_index(drop=True)
    return df.assign(cic2="13")


def test_acf_recovers_cobb_douglas_value_added() -> None:
    df = _acf_economy(CD_TRUTH)
    fit = acf(df, output="value_added")
    est = fit.coefficients.set_index("term")["estimate"]
    print(est.to_dict(), fit.convergence.iloc[0].to_dict())
    assert est["l"] == pytest.approx(CD_TRUTH["l"], abs=0.04)
    assert est["k"] == pytest.approx(CD_TRUTH["k"], abs=0.04)
    # OLS is biased upward in labour here (simultaneity): the test has power
    ols = production_ols(df, output="value_added").set_index("term")["estimate"]
    assert ols["l"] - CD_TRUTH["l"] > 0.1
    # TFP: ω̂ = φ̂ − β̂x tracks the planted ω (up to the constant and year effects)
    fy = fit.firm_years.merge(df, on=["firm_id", "year"], suffixes=("_hat", "_true"))
    assert np.corrcoef(fy["omega_hat"], fy["omega_true"])[0, 1] > 0.99
    assert fit.report["n_second_stage"] < fit.report["n_first_stage"] == len(df)


def test_acf_recovers_translog_elasticities() -> None:
    df = _acf_economy(TL_TRUTH, seed=1)
    fit = acf(df, output="value_added", form="translog")
    fy = fit.firm_years.merge(df, on=["firm_id", "year"])
    # closed-form elasticities of the planted translog
    true_l = TL_TRUTH["l"] + 2 * TL_TRUTH["ll"] * fy["l"] + TL_TRUTH["lk"] * fy["k"]
    true_k = TL_TRUTH["k"] + 2 * TL_TRUTH["kk"] * fy["k"] + TL_TRUTH["lk"] * fy["l"]
    print(fy["theta_l"].mean(), true_l.mean(), fy["theta_k"].mean(), true_k.mean())
    assert fy["theta_l"].mean() == pytest.approx(true_l.mean(), abs=0.04)
    assert fy["theta_k"].mean() == pytest.approx(true_k.mean(), abs=0.04)
    assert np.sqrt(np.mean((fy["theta_l"] - true_l) ** 2)) < 0.15
    assert np.sqrt(np.mean((fy["theta_k"] - true_k) ** 2)) < 0.15


def test_lags_are_gap_aware() -> None:
    # firm 1 observed 2000, 2001, 2003: 2003 has no lag (2002 is missing), never the previous row
    df = _acf_economy(CD_TRUTH, n_firms=400, n_years=6, seed=2)
    gap = df[~((df["firm_id"] == 1) & (df["year"] == 2002))]
    fit = acf(gap, output="value_added", n_random_starts=0)
    fy = fit.firm_years.set_index(["firm_id", "year"])["has_lag"]
    years = sorted(gap.loc[gap["firm_id"] == 1, "year"])
    expected = {y: (y - 1) in years for y in years}
    assert {y: bool(fy[(1, y)]) for y in years} == expected
    assert not expected[2003]
    # every lag in the moments is the previous calendar year of the same firm
    ref = gap.assign(prev=gap["year"] - 1).merge(
        gap[["firm_id", "year"]].rename(columns={"year": "prev"}).assign(found=True),
        on=["firm_id", "prev"],
        how="left",
    )
    ref = ref.set_index(["firm_id", "year"])["found"].fillna(False).astype(bool)
    assert (fy.sort_index() == ref.sort_index()).all()


def test_analytic_jacobian_equals_finite_differences() -> None:
    from scipy.optimize._numdiff import approx_derivative

    from vagg.measures import production as prod

    df = _acf_economy(TL_TRUTH, n_firms=300, n_years=6, seed=9).sort_values(["firm_id", "year"])
    group = prod._Group(
        df["firm_id"].to_numpy(),
        df["year"].to_numpy(),
        df["y"].to_numpy(),
        {c: df[c].to_numpy() for c in ("l", "k", "m")},
    )
    terms = ["l", "k", "ll", "kk", "lk"]
    setup = prod.GmmSetup(terms, prod._instrument_terms(["k", "l"], 3), 3, 3, True)
    moments = prod._moments(group, setup)[0]
    beta = np.array([0.5, 0.3, 0.01, -0.02, 0.03])
    numeric = approx_derivative(moments.weighted, beta, method="3-point")
    np.testing.assert_allclose(moments.jacobian(beta), numeric, rtol=0, atol=1e-7)


@pytest.mark.slow
def test_bootstrap_standard_errors_match_monte_carlo_spread() -> None:
    # reference: the standard deviation of β̂ over 40 independent samples of the same economy
    # (1,000 firms × 10 years each); the firm-block bootstrap on one sample should match it
    # up to the noise of both (about 11% for the Monte Carlo, 7% for 100 bootstrap draws)
    draws = [
        acf(
            _acf_economy(CD_TRUTH, n_firms=1000, seed=100 + s),
            output="value_added",
            n_random_starts=0,
        )
        .coefficients["estimate"]
        .to_numpy()
        for s in range(40)
    ]
    spread = np.std(draws, axis=0, ddof=1)
    fit = acf(
        _acf_economy(CD_TRUTH, n_firms=1000, seed=100),
        output="value_added",
        n_random_starts=0,
        bootstrap=100,
        seed=1,
    )
    ratio = fit.coefficients["std_error"].to_numpy() / spread
    print(spread, fit.coefficients["std_error"].to_numpy())
    assert fit.convergence["bootstrap_draws"].iloc[0] == 100
    assert np.all((ratio > 0.6) & (ratio < 1.5))


def _poly_panel(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 1500
    df = pd.DataFrame(
        {
            "firm_id": np.repeat(np.arange(300), 5),
            "year": np.tile(np.arange(2001, 2006), 300),
            "l": rng.normal(4, 1, n),
            "k": rng.normal(6, 1.5, n),
        }
    )
    df["m"] = 0.5 * df["l"] + 0.3 * df["k"] + rng.normal(0, 1, n)
    df["y"] = (
        0.3 * df["l"]
        + 0.2 * df["k"]
        + 0.5 * df["m"]
        + 0.05 * df["l"] * df["m"]
        + 0.1 * (df["year"] - 2000)
        + rng.normal(0, 0.3, n)
    )
    return df.assign(cic2="13")


def test_first_stage_equals_statsmodels_cubic_regression() -> None:
    df = _poly_panel()
    fit = acf(df, output="gross_output", n_random_starts=0)
    cubic = " + ".join(
        f"I({a}*{b}*{c})" if c else (f"I({a}*{b})" if b else a)
        for a, b, c in _monomials(["l", "k", "m"], 3)
    )
    ref = smf.ols(f"y ~ {cubic} + C(year)", df).fit()
    fy = fit.firm_years.merge(df, on=["firm_id", "year"], suffixes=("", "_in"))
    np.testing.assert_allclose(fy["phi"], ref.fittedvalues.to_numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(fy["epsilon"], ref.resid.to_numpy(), rtol=0, atol=1e-10)


def _monomials(names: list[str], degree: int) -> list[tuple[str, str, str]]:
    from itertools import combinations_with_replacement

    out = []
    for d in range(1, degree + 1):
        for combo in combinations_with_replacement(names, d):
            out.append((*combo, *([""] * (3 - d))))
    return out


@pytest.mark.parametrize("form", ["cobb_douglas", "translog"])
def test_ols_and_within_special_cases(form: str) -> None:
    df = _poly_panel(seed=4)
    terms = {"l": "l", "k": "k", "m": "m", "ll": "I(l**2)", "kk": "I(k**2)", "mm": "I(m**2)"}
    terms |= {"lk": "I(l*k)", "lm": "I(l*m)", "km": "I(k*m)"}
    names = ["l", "k", "m"] if form == "cobb_douglas" else list(terms)
    ols = production_ols(df, output="gross_output", form=form).set_index("term")["estimate"]
    ref = smf.ols("y ~ " + " + ".join(terms[t] for t in names), df).fit().params
    # statsmodels' params: Intercept, then the terms in formula order
    np.testing.assert_allclose(ols[names], ref.iloc[1:], rtol=0, atol=1e-10)
    fe = production_ols(df, output="gross_output", form=form, fixed_effects=True)
    fe = fe.set_index("term")["estimate"]
    x = pd.DataFrame({t: df.eval(terms[t].removeprefix("I(").removesuffix(")")) for t in names})
    x.index = pd.MultiIndex.from_arrays([df["firm_id"], df["year"]])
    ref_fe = PanelOLS(df.set_index(["firm_id", "year"])["y"], x, entity_effects=True).fit().params
    np.testing.assert_allclose(fe[names], ref_fe[names], rtol=0, atol=1e-10)


# ---------------------------------------------------------------------------- DLW markups


def _dlw_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    panel = pd.DataFrame(
        {
            "firm_id": ["a", "a", "b", "b", "c"],
            "year": [2001, 2002, 2001, 2002, 2001],
            "output_value": [100.0, 120.0, 50.0, 80.0, 30.0],
            "materials_cost": [60.0, 70.0, 40.0, 0.0, 20.0],
            "labor_cost": [10.0, 12.0, 5.0, 6.0, 3.0],
        }
    )
    elasticities = pd.DataFrame(
        {
            "firm_id": ["a", "a", "b", "b"],
            "year": [2001, 2002, 2001, 2002],
            "theta_m": [0.85, 0.85, -0.1, 0.85],
            "epsilon": [0.0, 0.2, 0.0, 0.0],
        }
    )
    return panel, elasticities


def test_dlw_identity_with_known_elasticity() -> None:
    panel, el = _dlw_panel()
    out = dlw_markups(panel, el).set_index(["firm_id", "year"])
    # hand computation: μ = θ·R / (exp(ε)·M)
    assert out.loc[("a", 2001), "markup"] == pytest.approx(0.85 * 100 / 60, rel=1e-14)
    assert out.loc[("a", 2002), "markup"] == pytest.approx(0.85 * 120 / (np.exp(0.2) * 70))
    assert out.loc[("a", 2002), "log_markup"] == pytest.approx(np.log(0.85 * 120 / 70) - 0.2)
    raw = dlw_markups(panel, el, correct=False).set_index(["firm_id", "year"])
    assert raw.loc[("a", 2002), "markup"] == pytest.approx(0.85 * 120 / 70, rel=1e-14)
    # every panel row comes back, with the reason when there is no markup
    assert out["status"].to_dict() == {
        ("a", 2001): "ok",
        ("a", 2002): "ok",
        ("b", 2001): "elasticity not positive",
        ("b", 2002): "expenditure missing or not positive",
        ("c", 2001): "no elasticity",
    }
    assert out["markup"].isna().sum() == 3
    # polars in, polars out
    assert isinstance(dlw_markups(pl.from_pandas(panel), el), pl.DataFrame)


def test_dlw_trim_flags_extremes() -> None:
    rng = np.random.default_rng(5)
    n = 200
    panel = pd.DataFrame(
        {
            "firm_id": np.arange(n).astype(str),
            "year": 2001,
            "output_value": rng.uniform(50, 150, n),
            "materials_cost": rng.uniform(20, 80, n),
        }
    )
    el = panel[["firm_id", "year"]].assign(theta_m=0.8, epsilon=0.0)
    out = dlw_markups(panel, el, trim=(0.05, 0.95))
    mu = 0.8 * panel["output_value"] / panel["materials_cost"]
    lo, hi = mu.quantile(0.05), mu.quantile(0.95)
    expected = (mu < lo) | (mu > hi)
    assert (out["status"] == "trimmed").to_numpy().tolist() == expected.tolist()
    assert out["markup"].isna().sum() == expected.sum()


def test_dlw_needs_an_estimated_elasticity_of_the_input() -> None:
    df = _acf_economy(CD_TRUTH, n_firms=600, n_years=6, seed=6)
    df["output_value"] = np.exp(df["y"])
    df["materials_cost"] = np.exp(df["m"])
    df["labor_cost"] = np.exp(df["l"]) * 0.2
    fit = acf(df, output="value_added", n_random_starts=0)
    with pytest.raises(ProductionFunctionError, match="materials are only the proxy"):
        dlw_markups(df, fit)
    out = dlw_markups(df, fit, input="labor").merge(fit.firm_years, on=["firm_id", "year"])
    beta_l = fit.coefficients.set_index("term").loc["l", "estimate"]
    expected = beta_l * df["output_value"] / (np.exp(out["epsilon_x"]) * df["labor_cost"])
    np.testing.assert_allclose(out["markup"], expected, rtol=1e-12)


# ---------------------------------------------------------------------------- prices, mc


def _customs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "party_id": ["P1", "P1", "P1", "P2", "P3", "P9", "P1"],
            "year": [2005, 2005, 2005, 2005, 2005, 2005, 2006],
            "flow": ["export", "export", "import", "export", "export", "export", "export"],
            "hs8": [
                "84713000",
                "84714100",
                "84713000",
                "84713000",
                "84713000",
                "84713000",
                "84713000",
            ],
            "quantity": [10.0, 4.0, 5.0, 20.0, 0.0, 3.0, 8.0],
            "value_usd": [100.0, 80.0, 70.0, 400.0, 50.0, 30.0, 96.0],
            "unit": ["piece"] * 7,
        }
    )


def test_export_prices_by_hand() -> None:
    links = pd.DataFrame({"party_id": ["P1", "P2", "P3"], "firm_id": ["F1", "F2", "F2"]})
    out, report = export_prices(_customs(), links, return_report=True)
    got = out.set_index(["firm_id", "year"])
    # F1 2005: lines 100/10 and 80/4 → mean(ln 10, ln 20); F2: 400/20 (P3's zero quantity out)
    assert got.loc[("F1", 2005), "log_price"] == pytest.approx((np.log(10) + np.log(20)) / 2)
    assert got.loc[("F1", 2006), "log_price"] == pytest.approx(np.log(12))
    assert got.loc[("F2", 2005), "log_price"] == pytest.approx(np.log(20))
    assert got.loc[("F1", 2005), "n_lines"] == 2
    assert report["excluded"] == {
        "quantity or value missing or not positive": 1,
        "party not linked to a firm": 1,
    }
    # within-HS6 version: HS6 847130 in 2005 has lines ln 10, ln 20 (P2), ln 10 (P9)
    within = export_prices(_customs(), links, within_hs6=True).set_index(["firm_id", "year"])
    mean_847130 = (np.log(10) + np.log(20) + np.log(10)) / 3
    assert within.loc[("F2", 2005), "log_price"] == pytest.approx(np.log(20) - mean_847130)
    assert within.loc[("F1", 2005), "log_price"] == pytest.approx((np.log(10) - mean_847130) / 2)
    assert within.loc[("F1", 2006), "log_price"] == pytest.approx(0.0, abs=1e-12)


def test_export_prices_rejects_ambiguous_links() -> None:
    links = pd.DataFrame({"party_id": ["P1", "P1"], "firm_id": ["F1", "F2"]})
    with pytest.raises(SchemaError, match="more than one firm"):
        export_prices(_customs(), links)


def test_marginal_cost_is_price_over_markup() -> None:
    prices = pd.DataFrame({"firm_id": ["a", "b", "c"], "year": 2001, "log_price": [1.0, 2.0, 0.5]})
    markups = pd.DataFrame(
        {"firm_id": ["a", "b", "d"], "year": 2001, "log_markup": [0.2, np.nan, 0.1]}
    )
    out, report = marginal_cost(prices, markups, return_report=True)
    got = out.set_index("firm_id")["log_marginal_cost"]
    assert got["a"] == pytest.approx(0.8)
    assert np.isnan(got["b"])
    assert report["prices_without_markup"] == 1 and report["markups_without_price"] == 1


# ---------------------------------------------------------------------------- bad input


def test_small_groups_are_skipped_and_reported() -> None:
    df = _acf_economy(CD_TRUTH, n_firms=600, n_years=6, seed=7)
    small = df[df["firm_id"] < 10].assign(cic2="99")
    both = pd.concat([df, small.assign(firm_id=small["firm_id"] + 10_000)])
    fit = acf(both, output="value_added", n_random_starts=0)
    assert set(fit.coefficients["group"]) == {"13"}
    assert fit.report["skipped_groups"] == {"99": "10 firms, fewer than min_firms=30"}
    assert fit.report["excluded"]["group skipped"] == len(small)
    with pytest.raises(ProductionFunctionError, match="group '99': 10 firms"):
        acf(small.assign(cic2="99"), output="value_added")


def test_no_previous_year_record_is_an_error() -> None:
    df = _acf_economy(CD_TRUTH, n_firms=200, n_years=6, seed=8)
    alternate = df[(df["year"] + df["firm_id"]) % 2 == 0]  # every firm every other year
    with pytest.raises(ProductionFunctionError, match="no gap-aware lag"):
        acf(alternate, output="value_added")


def test_non_positive_inputs_are_counted_not_dropped_silently() -> None:
    firms = pd.DataFrame(
        {
            "firm_id": ["A", "A", "B", "B"],
            "year": [2001, 2002, 2001, 2002],
            "cic4": ["1311", "1311", "3711", "3711"],
            "gross_output": [100.0, 0.0, 50.0, 60.0],
            "employment": [10, 12, 0, 9],
            "fixed_assets": [30.0, 35.0, 20.0, None],
            "intermediate_inputs": [60.0, 70.0, 30.0, 35.0],
            "wage_bill": [5.0, 6.0, 2.0, 3.0],
        }
    )
    panel, report = cie_production_panel(firms, return_report=True)
    assert len(panel) == 4
    assert report["gross_output"] == {"missing": 0, "non_positive": 1}
    assert report["employment"] == {"missing": 0, "non_positive": 1}
    assert report["fixed_assets"] == {"missing": 1, "non_positive": 0}
    assert panel["cic2"].tolist() == ["13", "13", "37", "37"]
    assert panel["y"].isna().tolist() == [False, True, False, False]
    assert panel["l"].to_numpy()[0] == pytest.approx(np.log(10))
    with pytest.raises(ProductionFunctionError) as err:
        acf(panel, output="gross_output")
    assert "1 firms, fewer than min_firms" in str(err.value)


def test_bad_specifications_and_tables() -> None:
    df = _poly_panel()
    with pytest.raises(ValueError, match="no materials elasticity"):
        acf(df, output="value_added", inputs=("labor", "capital", "materials"))
    with pytest.raises(ValueError, match="proxy 'investment' is not supported"):
        acf(df, output="value_added", proxy="investment")
    with pytest.raises(SchemaError, match="column 'k'"):
        acf(df.drop(columns="k"), output="value_added")
    with pytest.raises(SchemaError, match="duplicate"):
        acf(pd.concat([df, df.head(2)]), output="value_added")
    with pytest.raises(ValueError, match="start: unknown terms"):
        acf(df, output="value_added", start={"m": 0.5})


# ---------------------------------------------------------------------------- synthetic economy


def _normalise(names: pd.Series) -> pd.Series:
    out = names.str.replace(r"[\s\u3000()（）]", "", regex=True)
    return out.str.replace("有限责任公司", "有限公司", regex=False)


def _vagg_h(data: dict[str, pl.DataFrame]) -> pd.DataFrame:
    """vagg_h = I_ft × platform members' share of CIE gross output of the firm's IO sector
    (paper 000 eq. 7), members found by normalised company name."""
    firms = data["firms"].to_pandas()
    platform = data["platform"].to_pandas()
    sector = data["industries"].to_pandas().set_index("cic4")["io_sector"]
    since = dict(zip(_normalise(platform["member_name"]), platform["member_since"], strict=True))
    firms["sector"] = firms["cic4"].map(sector)
    firms["member"] = (firms["year"] >= _normalise(firms["firm_name"]).map(since)).astype(float)
    keys = [firms["sector"], firms["year"]]
    total = firms["gross_output"].groupby(keys).transform("sum")
    members = (firms["gross_output"] * firms["member"]).groupby(keys).transform("sum")
    return firms.assign(vagg_h=firms["member"] * members / total)[["firm_id", "year", "vagg_h"]]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate("tiny", 0, out)
    return out


def _markup_on_vagg(folder: Path, n_random_starts: int) -> tuple[dict, float]:
    data = read_dataset(folder)
    panel = cie_production_panel(data["firms"], industries=data["industries"])
    fit = acf(panel, output="gross_output", n_random_starts=n_random_starts)
    vagg = _vagg_h(data)
    out = {}
    for correct in (False, True):
        mk = dlw_markups(panel, fit, correct=correct).to_pandas()
        df = mk[mk["status"] == "ok"].merge(vagg, on=["firm_id", "year"])
        reg = pf.feols("log_markup ~ vagg_h | firm_id + year", df, vcov={"CRV1": "firm_id"})
        out[correct] = (reg.coef()["vagg_h"], reg.se()["vagg_h"])
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))["entries"]
    return out, truth["dvar_firms.table6.markup_on_vagg_h"]["value"]


def _check_markup_effect(out: dict, planted: float) -> None:
    # Uncorrected DLW markup θ_M·Y/M with an industry-constant θ_M: within a firm its changes
    # are those of Y/M = μ/β_M (synthetic generator), so the FE regression recovers the truth
    # entry (defined with firm, CIC4 and year FE and controls on exporters: rough size only).
    raw, raw_se = out[False]
    print(f"raw DLW markup on vagg_h: {raw:.3f} ({raw_se:.3f}); truth {planted:.3f}")
    assert raw > 0
    assert abs(raw - planted) < max(0.15 * planted, 2.5 * raw_se)
    # With the ε̂ correction the sign survives but the effect is attenuated: the generator
    # plants markups in output at given inputs, which the first-stage polynomial cannot
    # explain, so part of it is taken out as ε̂.
    corrected, corrected_se = out[True]
    print(f"corrected: {corrected:.3f} ({corrected_se:.3f})")
    assert 0 < corrected < raw


def test_tiny_economy_markup_responds_to_virtual_agglomeration(tiny: Path) -> None:
    out, planted = _markup_on_vagg(tiny, n_random_starts=0)
    _check_markup_effect(out, planted)


@pytest.mark.slow
def test_small_economy_markup_responds_to_virtual_agglomeration(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("small")
    generate("small", 0, folder)
    out, planted = _markup_on_vagg(folder, n_random_starts=5)
    _check_markup_effect(out, planted)


def test_first_stage_firm_effects_make_the_residual_mean_zero_within_firms() -> None:
    """``first_stage_firm_effects=True``: ε̂ is a within-firm residual, so its mean over each
    firm's rows is zero (closed form of the within transformation); the pooled first stage
    leaves firm-level means (here a permanent firm shift of y that no input explains)."""
    import numpy as np
    import polars as pl

    from vagg.measures.production import acf

    rng = np.random.default_rng(3)
    firms, years = 60, 8
    firm = np.repeat(np.arange(firms), years)
    year = np.tile(np.arange(2000, 2000 + years), firms)
    k = rng.normal(3, 1, firms * years)
    lab = rng.normal(2, 1, firms * years)
    m = rng.normal(4, 1, firms * years)
    shift = rng.normal(0, 0.5, firms)[firm]
    y = 0.3 * lab + 0.2 * k + 0.5 * m + shift + rng.normal(0, 0.05, firms * years)
    panel = pl.DataFrame(
        {"firm_id": firm.astype(str), "year": year, "y": y, "l": lab, "k": k, "m": m}
    )
    means = {}
    for within in (True, False):
        fit = acf(panel, output="gross_output", by=None, first_stage_firm_effects=within)
        eps = fit.firm_years.group_by("firm_id").agg(pl.col("epsilon").mean())["epsilon"]
        means[within] = float(eps.abs().max())
    assert means[True] < 1e-9
    assert means[False] > 0.1
