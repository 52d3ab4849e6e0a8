"""Covariate balance before and after matching, with psmatch2's ``pstest`` formulas.

For each covariate x (pstest.ado 4.2.2, Leuven & Sianesi; Rosenbaum & Rubin 1985):

* Means: before matching, plain means over all treated and all controls; after matching,
  means weighted by the match weights m (1 for matched treated units, psmatch2's ``_weight``
  for controls) over the matched sample.
* Standardised % bias = 100 · (x̄_T − x̄_C) / sqrt((s²_T + s²_C) / 2). **Both before and after
  matching the denominator uses the unmatched variances** s²_T, s²_C (sample variances over all
  treated and all controls), so the bias changes only through the means.
* % reduction in |bias| = 100 · (1 − |bias_after| / |bias_before|) (NaN when the bias before is 0).
* t-tests: before, OLS of x on the treatment dummy (df = n − 2); after, the same regression
  with Stata importance weights m on the matched sample: the coefficient is the weighted mean
  difference, s² = Σ m e² / (Σ m − 2), Var = s² (1/Σ_T m + 1/Σ_C m), df = Σ m − 2.
* Variance ratio s²_T / s²_C for non-binary covariates (after matching with weighted variances
  Σ m (x − x̄)² / (Σ m − 1)); ``pct_var_ratio_outside`` is the share of those outside the
  2.5%/97.5% quantiles of F(N_T − 1, N_T − 1), as pstest's "%Var".

Summary, for the unmatched and the matched sample: a **probit** of the treatment on the
covariates (pstest always uses probit, whatever model matched; after matching weighted by m):
McFadden's pseudo R², the LR χ² against the constant-only model and its p-value; mean and median
|bias|; Rubin's B = 100 · |mean of the probit index among treated − among controls| /
sqrt((s²_T + s²_C)/2) with the index variances of that same sample (weighted after matching) —
pstest prints the signed value, equal to this one when treated have the higher mean index;
Rubin's R = s²_T / s²_C of the index. Rubin (2001) asks for B < 25 and 0.5 ≤ R ≤ 2.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

__all__ = [
    "Balance",
    "balance_table",
]


@dataclass
class Balance:
    """A ``pstest``-style balance table: ``table`` (one row per covariate) and ``summary``
    (rows ``unmatched`` and ``matched``); ``notes`` says why a statistic is NaN."""

    table: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [
            self.table.to_string(float_format=lambda v: f"{v:.3f}"),
            self.summary.to_string(float_format=lambda v: f"{v:.3f}"),
            *self.notes,
        ]
        return "\n\n".join(parts)


def _weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Mean and Stata importance-weight variance Σw(x − x̄)² / (Σw − 1)."""
    total = w.sum()
    mean = float(np.sum(w * x) / total)
    var = float(np.sum(w * (x - mean) ** 2) / (total - 1)) if total > 1 else float("nan")
    return mean, var


def _dummy_t_test(x: np.ndarray, d: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """t and p of the treatment coefficient in the weighted regression of x on (1, d)."""
    w1, w0 = w[d].sum(), w[~d].sum()
    m1, m0 = np.sum(w[d] * x[d]) / w1, np.sum(w[~d] * x[~d]) / w0
    resid = np.where(d, x - m1, x - m0)
    df = w1 + w0 - 2
    s2 = np.sum(w * resid**2) / df
    se = np.sqrt(s2 * (1 / w1 + 1 / w0))
    if se == 0:
        return float("nan"), float("nan")
    t = (m1 - m0) / se
    return float(t), float(2 * stats.t.sf(abs(t), df))


def _probit_summary(
    x: pd.DataFrame, d: np.ndarray, w: np.ndarray
) -> tuple[dict[str, float], np.ndarray | None, str | None]:
    """Weighted probit of d on x: pseudo R², LR χ² and p, plus the linear index."""
    design = sm.add_constant(x.to_numpy(dtype=float), has_constant="add")
    y = d.astype(float)
    empty = {"pseudo_r2": np.nan, "lr_chi2": np.nan, "p_chi2": np.nan}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            family = sm.families.Binomial(link=sm.families.links.Probit())
            fit = sm.GLM(y, design, family=family, freq_weights=w).fit()
    except (Warning, ValueError, np.linalg.LinAlgError) as error:
        return empty, None, f"probit of the treatment on the covariates failed: {error}"
    ybar = np.sum(w * y) / w.sum()
    llnull = float(np.sum(w * (y * np.log(ybar) + (1 - y) * np.log(1 - ybar))))
    llf = float(fit.llf)
    lr = 2 * (llf - llnull)
    index = design @ np.asarray(fit.params)
    result = {
        "pseudo_r2": 1 - llf / llnull,
        "lr_chi2": lr,
        "p_chi2": float(stats.chi2.sf(lr, x.shape[1])),
    }
    return result, index, None


def balance_table(
    x: pd.DataFrame, treated: np.ndarray, support: np.ndarray, weights: np.ndarray
) -> Balance:
    """Balance statistics of the covariates in ``x`` before and after matching (pstest).

    ``treated`` is boolean; ``support`` is psmatch2's ``_support`` (0 for treated units left
    unmatched); ``weights`` is psmatch2's ``_weight`` (NaN for units outside the matched
    sample). Formulas in the module docstring.
    """
    d = np.asarray(treated, dtype=bool)
    m = np.where(d, np.asarray(support, dtype=float), np.asarray(weights, dtype=float))
    after = (np.asarray(support) == 1) & ~np.isnan(m) & (m > 0)
    da, ma = d[after], m[after]
    n_t_before, n_t_after = int(d.sum()), int(da.sum())
    f_before = stats.f.ppf([0.025, 0.975], n_t_before - 1, n_t_before - 1)
    f_after = stats.f.ppf([0.025, 0.975], n_t_after - 1, n_t_after - 1)
    rows = {}
    outside = {"unmatched": 0, "matched": 0}
    n_continuous = 0
    for name in x.columns:
        v = x[name].to_numpy(dtype=float)
        m1u, v1u = float(v[d].mean()), float(v[d].var(ddof=1))
        m0u, v0u = float(v[~d].mean()), float(v[~d].var(ddof=1))
        m1m, v1m = _weighted_mean_var(v[after][da], ma[da])
        m0m, v0m = _weighted_mean_var(v[after][~da], ma[~da])
        scale = np.sqrt((v1u + v0u) / 2)
        bias_u = 100 * (m1u - m0u) / scale if scale > 0 else float("nan")
        bias_m = 100 * (m1m - m0m) / scale if scale > 0 else float("nan")
        reduction = 100 * (1 - abs(bias_m) / abs(bias_u)) if bias_u else float("nan")
        t_u, p_u = _dummy_t_test(v, d, np.ones(len(v)))
        t_m, p_m = _dummy_t_test(v[after], da, ma)
        binary = bool(np.isin(v, (0.0, 1.0)).all())
        ratio_u = float("nan") if binary else v1u / v0u
        ratio_m = float("nan") if binary else v1m / v0m
        if not binary:
            n_continuous += 1
            outside["unmatched"] += int(not f_before[0] <= ratio_u <= f_before[1])
            outside["matched"] += int(not f_after[0] <= ratio_m <= f_after[1])
        rows[name] = {
            "mean_treated_unmatched": m1u,
            "mean_control_unmatched": m0u,
            "bias_unmatched": bias_u,
            "mean_treated_matched": m1m,
            "mean_control_matched": m0m,
            "bias_matched": bias_m,
            "reduction_abs_bias": reduction,
            "t_unmatched": t_u,
            "p_unmatched": p_u,
            "t_matched": t_m,
            "p_matched": p_m,
            "var_ratio_unmatched": ratio_u,
            "var_ratio_matched": ratio_m,
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    notes: list[str] = []
    summary = {}
    for label, rows_mask, w_sample, bias_col in (
        ("unmatched", np.ones(len(d), dtype=bool), np.ones(len(d)), "bias_unmatched"),
        ("matched", after, ma, "bias_matched"),
    ):
        probit, index, problem = _probit_summary(x[rows_mask], d[rows_mask], w_sample)
        if problem:
            notes.append(f"{label}: {problem}")
        b_stat = r_stat = float("nan")
        if index is not None:
            dd = d[rows_mask]
            mi1, vi1 = _weighted_mean_var(index[dd], w_sample[dd])
            mi0, vi0 = _weighted_mean_var(index[~dd], w_sample[~dd])
            b_stat = 100 * abs(mi1 - mi0) / np.sqrt((vi1 + vi0) / 2)
            r_stat = vi1 / vi0
        abs_bias = table[bias_col].abs()
        summary[label] = {
            **probit,
            "mean_bias": float(abs_bias.mean()),
            "median_bias": float(abs_bias.median()),
            "B": float(b_stat),
            "R": float(r_stat),
            "pct_var_ratio_outside": (
                100 * outside[label] / n_continuous if n_continuous else float("nan")
            ),
        }
    if not n_continuous:
        notes.append("variance ratios apply to non-binary covariates only; there are none")
    return Balance(
        table=table, summary=pd.DataFrame.from_dict(summary, orient="index"), notes=notes
    )
