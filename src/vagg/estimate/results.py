"""The one result type every vagg estimator returns.

A :class:`Result` carries what a journal table needs (coefficients, standard errors, test
statistics, fit, fixed effects, clustering, diagnostics) and the sample accounting that vagg
promises: how many rows came in and how many were dropped, and why. Tables and figures are
built from Results only (design.md, "Results").

Statistics that do not apply to a model are not ``NaN``: they are :class:`NotAvailable`
values that say why, so a table prints "n/a" and a user reading ``result.r2`` learns the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from vagg.estimate.diagnostics import Diagnostics

__all__ = [
    "Diagnostics",
    "Distribution",
    "HypothesisTest",
    "NotAvailable",
    "Result",
    "SampleAccounting",
    "Stat",
]


@dataclass(frozen=True)
class NotAvailable:
    """A statistic that does not apply to this model, with the reason.

    ``bool(NotAvailable(...))`` is False, and it prints as ``n/a (reason)``.
    """

    reason: str

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"n/a ({self.reason})"

    def __repr__(self) -> str:
        return f"NotAvailable({self.reason!r})"


Stat = float | NotAvailable

Distribution = Literal["chi2", "F", "normal", "t", "permutation", "bootstrap"]


@dataclass(frozen=True)
class HypothesisTest:
    """One test statistic with its reference distribution and p-value.

    The one test type of vagg: Wald tests of joint restrictions, the weak-IV statistics,
    Sobel's test, Dumitrescu–Hurlin's Z, LR tests of spatial models all return it.
    ``df`` holds the distribution's degrees of freedom (``(q,)`` for χ², ``(q, d)`` for F,
    ``()`` for the normal); ``pvalue`` is the upper-tail probability of ``statistic``
    (two-sided for ``normal`` and ``t``). Build one with :meth:`chi2`, :meth:`f`,
    :meth:`normal` or :meth:`t`, which compute the p-value, or pass ``pvalue`` directly for
    resampling tests. ``null`` states the hypothesis in words or symbols; ``terms`` names
    the coefficients a Wald test restricts.
    """

    name: str
    statistic: float
    df: tuple[float, ...]
    pvalue: float
    distribution: Distribution
    null: str = ""
    terms: tuple[str, ...] = ()

    @classmethod
    def chi2(
        cls, name: str, statistic: float, df: float, null: str = "", terms: tuple[str, ...] = ()
    ) -> HypothesisTest:
        """``statistic ~ χ²(df)`` under the null; p = P(χ²(df) ≥ statistic)."""
        p = float(stats.chi2.sf(statistic, df))
        return cls(name, float(statistic), (df,), p, "chi2", null, terms)

    @classmethod
    def f(
        cls,
        name: str,
        statistic: float,
        df1: float,
        df2: float,
        null: str = "",
        terms: tuple[str, ...] = (),
    ) -> HypothesisTest:
        """``statistic ~ F(df1, df2)`` under the null; p = P(F ≥ statistic)."""
        p = float(stats.f.sf(statistic, df1, df2))
        return cls(name, float(statistic), (df1, df2), p, "F", null, terms)

    @classmethod
    def normal(cls, name: str, statistic: float, null: str = "") -> HypothesisTest:
        """``statistic ~ N(0, 1)`` under the null; two-sided p = 2·P(Z ≥ |statistic|)."""
        p = float(2 * stats.norm.sf(abs(statistic)))
        return cls(name, float(statistic), (), p, "normal", null)

    @classmethod
    def t(cls, name: str, statistic: float, df: float, null: str = "") -> HypothesisTest:
        """``statistic ~ t(df)`` under the null; two-sided p = 2·P(T ≥ |statistic|)."""
        p = float(2 * stats.t.sf(abs(statistic), df))
        return cls(name, float(statistic), (df,), p, "t", null)

    def __str__(self) -> str:
        dfs = ", ".join(f"{d:g}" for d in self.df)
        dist = f"{self.distribution}({dfs})" if dfs else self.distribution
        return f"{self.name} = {self.statistic:.4f} ~ {dist}, p = {self.pvalue:.4g}"


@dataclass
class SampleAccounting:
    """Rows in, rows used, and rows dropped by reason.

    ``dropped`` maps a reason (``"missing"``, ``"singleton_fe"``, ``"nonpositive_in_log"``,
    ``"outside_common_support"``, ...) to a count. ``n_input - sum(dropped) == n_used``.
    """

    n_input: int
    n_used: int
    dropped: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lost = self.n_input - self.n_used
        if sum(self.dropped.values()) != lost:
            unexplained = lost - sum(self.dropped.values())
            self.dropped = {**self.dropped, "other": unexplained}

    def as_dict(self) -> dict[str, Any]:
        return {"n_input": self.n_input, "n_used": self.n_used, "dropped": dict(self.dropped)}


@dataclass
class Result:
    """Estimates of one model.

    Attributes follow linearmodels / pyfixest naming: ``params``, ``bse``, ``tvalues``,
    ``pvalues`` are Series indexed by term; ``vcov`` is a DataFrame over the same terms.
    ``df_resid`` is the degrees of freedom used for t-based p-values and intervals
    (for clustered errors, the number of clusters minus one, as Stata and fixest do);
    ``None`` means normal-based inference.
    """

    params: pd.Series
    vcov: pd.DataFrame
    nobs: int
    model: str = "ols"
    formula: str = ""
    depvar: str = ""
    vcov_type: str = "iid"
    clusters: tuple[str, ...] = ()
    n_clusters: dict[str, int] = field(default_factory=dict)
    fixed_effects: tuple[str, ...] = ()
    df_resid: float | None = None
    r2: Stat = NotAvailable("not computed for this model")
    adj_r2: Stat = NotAvailable("not computed for this model")
    r2_within: Stat = NotAvailable("not computed for this model")
    loglik: Stat = NotAvailable("not a likelihood estimator")
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    sample: SampleAccounting | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.diagnostics, Diagnostics):
            self.diagnostics = Diagnostics.of(self.diagnostics)
        self.params = self.params.astype(float)
        names = list(self.params.index)
        self.vcov = self.vcov.loc[names, names].astype(float)
        if self.sample is None:
            self.sample = SampleAccounting(n_input=self.nobs, n_used=self.nobs)

    # -- inference -----------------------------------------------------------------
    @property
    def bse(self) -> pd.Series:
        """Standard errors: square roots of the diagonal of ``vcov``."""
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index)

    @property
    def tvalues(self) -> pd.Series:
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values from t(df_resid), or the normal when ``df_resid`` is None."""
        t = np.abs(self.tvalues.to_numpy())
        if self.df_resid is None:
            p = 2 * stats.norm.sf(t)
        else:
            p = 2 * stats.t.sf(t, self.df_resid)
        return pd.Series(p, index=self.params.index)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals ``params ± q · bse`` with q from t(df_resid) or the normal."""
        a = (1 - level) / 2
        q = stats.norm.isf(a) if self.df_resid is None else stats.t.isf(a, self.df_resid)
        return pd.DataFrame(
            {"lower": self.params - q * self.bse, "upper": self.params + q * self.bse}
        )

    # -- presentation --------------------------------------------------------------
    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per term: estimate, std_error, statistic, pvalue, conf_low, conf_high."""
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "term": self.params.index,
                "estimate": self.params.to_numpy(),
                "std_error": self.bse.to_numpy(),
                "statistic": self.tvalues.to_numpy(),
                "pvalue": self.pvalues.to_numpy(),
                "conf_low": ci["lower"].to_numpy(),
                "conf_high": ci["upper"].to_numpy(),
            }
        )

    def summary(self) -> str:
        """A plain-text summary: model, sample, fit, coefficient table and diagnostics."""
        lines = [
            f"{self.model.upper()}  {self.formula}".rstrip(),
            f"Observations: {self.nobs}    vcov: {self.vcov_type}"
            + (f" by {'+'.join(self.clusters)}" if self.clusters else ""),
        ]
        if self.fixed_effects:
            lines.append("Fixed effects: " + ", ".join(self.fixed_effects))
        for name in ("r2", "adj_r2", "r2_within", "loglik"):
            value = getattr(self, name)
            if not isinstance(value, NotAvailable):
                lines.append(f"{name}: {value:.4f}")
        lines.append(self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        if self.sample is not None and self.sample.dropped:
            lines.append(f"Rows dropped: {self.sample.dropped}")
        for key, value in self.diagnostics.items():
            lines.append(f"{key}: {value}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Result {self.model} n={self.nobs} terms={list(self.params.index)}>"
