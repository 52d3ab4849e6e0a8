"""Inference from influence functions and the result type of the staggered DID estimators.

An estimator θ̂ (K effects) with influence functions ψ_i (n units × K) has
V̂ = n⁻² Σ_c S_c S_c', S_c = Σ_{i∈c} ψ_i the sum over the units of cluster c (each unit its
own cluster by default), as in R ``did``. Uniform (simultaneous) bands come from the
multiplier bootstrap (Callaway & Sant'Anna 2021, §4.1; Kline & Santos 2012):
b*_k = n⁻¹ Σ_c v_c S_ck with i.i.d. weights v_c of mean 0 and variance 1 (Mammen or
Rademacher), the critical value ĉ the 1 − α quantile of max_k |b*_k|/se_k, and the band
θ̂_k ± ĉ·se_k. R ``did``'s ``mboot`` differs in two details: it normalises by a bootstrap
interquartile-range scale rather than the analytic se, and perturbs cluster means rather than
cluster sums; here the variance of the draws given the data is V̂ exactly, whatever the
cluster sizes.

:class:`StaggeredEffects` holds one set of effects (ATT(g,t), or an aggregation: by cohort,
event time, calendar period or overall) as a frame and as a :class:`~vagg.estimate.results.
Result` for tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from vagg.estimate.diagnostics import Diagnostics
from vagg.estimate.did.staggered_panel import cluster_sums
from vagg.estimate.inference.wild_bootstrap import bootstrap_weights
from vagg.estimate.results import NotAvailable, Result, SampleAccounting, Stat

__all__ = ["Multiplier", "StaggeredEffects", "if_inference", "uniform_critical_value"]

Multiplier = Literal["mammen", "rademacher"]
_BLOCK = 128


def uniform_critical_value(
    sums: np.ndarray,
    se: np.ndarray,
    n: int,
    *,
    reps: int,
    weights: Multiplier,
    alpha: float,
    rng: np.random.Generator,
) -> float:
    """The 1 − α quantile of max_k |n⁻¹ Σ_c v_c S_ck| / se_k over ``reps`` multiplier draws
    (columns with no finite positive se are left out); ``sums`` is clusters × K."""
    ok = np.isfinite(se) & (se > 0)
    if not ok.any() or reps <= 0:
        return float("nan")
    s, scale = sums[:, ok], se[ok] * n
    stats_ = np.empty(reps)
    for start in range(0, reps, _BLOCK):
        b = min(_BLOCK, reps - start)
        v, _ = bootstrap_weights(weights, s.shape[0], b, rng)
        stats_[start : start + b] = np.max(np.abs(v.T @ s) / scale, axis=1)
    return float(np.quantile(stats_, 1 - alpha, method="inverted_cdf"))


def if_inference(
    inf: np.ndarray,
    cluster: np.ndarray,
    n_clusters: int,
    *,
    reps: int,
    weights: Multiplier,
    alpha: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, float]:
    """Clustered variance n⁻² S'S of the influence functions (n × K) and the uniform
    critical value (NaN without bootstrap). Columns with missing ψ get NaN rows and columns."""
    n = inf.shape[0]
    finite = np.all(np.isfinite(inf), axis=0)
    sums = cluster_sums(np.where(finite, inf, 0.0), cluster, n_clusters)
    vcov = sums.T @ sums / n**2
    bad = ~finite
    vcov[bad, :] = np.nan
    vcov[:, bad] = np.nan
    se = np.sqrt(np.diag(vcov))
    crit = uniform_critical_value(sums, se, n, reps=reps, weights=weights, alpha=alpha, rng=rng)
    return vcov, crit


@dataclass(eq=False)
class StaggeredEffects:
    """Estimated effects with pointwise and uniform intervals.

    ``frame`` has one row per effect: ``term``, the keys of the aggregation (``cohort``,
    ``time``, ``event_time``), ``estimate``, ``std_error``, ``conf_low``/``conf_high``
    (pointwise, normal) and ``band_low``/``band_high`` (uniform over the rows, multiplier
    bootstrap); ``overall`` is the summary effect of the aggregation (a one-row frame, or
    ``None`` for ATT(g,t)). ``vcov`` is the influence-function variance of the rows.
    """

    kind: str
    frame: pd.DataFrame
    vcov: pd.DataFrame
    crit_value: Stat
    alpha: float
    nobs: int
    n_clusters: int
    overall: pd.DataFrame | None = None
    method: str = ""
    sample: SampleAccounting | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        kind: str,
        keys: pd.DataFrame,
        estimate: np.ndarray,
        vcov: np.ndarray,
        crit: float,
        *,
        alpha: float,
        nobs: int,
        n_clusters: int,
        method: str,
        overall: tuple[float, float] | None = None,
        sample: SampleAccounting | None = None,
        notes: list[str] | None = None,
    ) -> StaggeredEffects:
        """Assemble the frame from keys (one row per effect, with a ``term`` column)."""
        se = np.sqrt(np.diag(vcov))
        se = np.where(se > 0, se, np.nan)  # a normalised cell (universal base) has no SE
        z = stats.norm.isf(alpha / 2)
        frame = keys.reset_index(drop=True).copy()
        frame["estimate"] = estimate
        frame["std_error"] = se
        frame["conf_low"] = estimate - z * se
        frame["conf_high"] = estimate + z * se
        frame["band_low"] = estimate - crit * se
        frame["band_high"] = estimate + crit * se
        frame["pvalue"] = 2 * stats.norm.sf(np.abs(estimate / se))
        terms = list(frame["term"])
        over = None
        if overall is not None:
            est, s = overall
            over = pd.DataFrame(
                {
                    "term": [f"{kind}_overall"],
                    "estimate": [est],
                    "std_error": [s],
                    "conf_low": [est - z * s],
                    "conf_high": [est + z * s],
                    "pvalue": [2 * stats.norm.sf(abs(est / s))],
                }
            )
        crit_stat: Stat = (
            float(crit) if np.isfinite(crit) else NotAvailable("no multiplier bootstrap")
        )
        return cls(
            kind=kind,
            frame=frame,
            vcov=pd.DataFrame(vcov, index=terms, columns=terms),
            crit_value=crit_stat,
            alpha=alpha,
            nobs=nobs,
            n_clusters=n_clusters,
            overall=over,
            method=method,
            sample=sample,
            notes=list(notes or []),
        )

    @property
    def estimates(self) -> pd.Series:
        """Estimates by term."""
        return pd.Series(self.frame["estimate"].to_numpy(), index=self.frame["term"])

    def to_result(self) -> Result:
        """The effects (and the overall effect, if any) as a :class:`Result` for tables;
        rows without a standard error (a universal base period) are left out."""
        ok = np.isfinite(self.frame["std_error"].to_numpy())
        terms = list(self.frame.loc[ok, "term"])
        params = pd.Series(self.frame.loc[ok, "estimate"].to_numpy(), index=terms)
        vcov = self.vcov.loc[terms, terms]
        if self.overall is not None:
            name = str(self.overall["term"].iloc[0])
            params[name] = float(self.overall["estimate"].iloc[0])
            vcov = vcov.reindex(index=[*terms, name], columns=[*terms, name], fill_value=0.0)
            vcov.loc[name, name] = float(self.overall["std_error"].iloc[0]) ** 2
        return Result(
            params=params,
            vcov=vcov,
            nobs=self.nobs,
            model=f"staggered_did:{self.method}:{self.kind}",
            vcov_type="influence function, clustered",
            n_clusters={"cluster": self.n_clusters},
            sample=self.sample,
            diagnostics=Diagnostics.of(uniform_crit_value=self.crit_value),
        )

    def tidy(self) -> pd.DataFrame:
        return self.frame

    def summary(self) -> str:
        level = f"{100 * (1 - self.alpha):g}%"
        lines = [
            f"Staggered DID ({self.method}), {self.kind}: {self.nobs} units, "
            f"{self.n_clusters} clusters; {level} pointwise and uniform intervals "
            f"(critical value {self.crit_value})",
            self.frame.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        if self.overall is not None:
            lines.append(self.overall.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        lines.extend(self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<StaggeredEffects {self.kind} rows={len(self.frame)} n={self.nobs}>"
