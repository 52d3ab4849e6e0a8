"""The result of a panel cointegration estimator: the panel estimate and every unit's fit.

:class:`CointegrationResult` is a :class:`~vagg.estimate.results.Result` (so tables and
exports treat it like any other) with the unit-level fits kept on it (``unit_results``) and,
for the group-mean estimators, Pedroni's group-mean t-statistic in place of ``params / bse``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..results import HypothesisTest, Result

__all__ = ["CointegrationResult"]


@dataclass
class CointegrationResult(Result):
    """Panel FM-OLS / DOLS estimates (:func:`~vagg.estimate.cointegration.fmols`, ``dols``).

    Attributes beyond :class:`~vagg.estimate.results.Result`:

    estimator : str
        ``"group-mean"`` (Pedroni 2000, 2001) or ``"pooled"``.
    unit_results : dict
        Unit id → :class:`~vagg.estimate.results.Result` of that unit's regression (its
        coefficients, their long-run covariance, bandwidth and long-run variance in
        ``diagnostics``).
    t_bar : pandas.Series or None
        Group mean only: Pedroni's ``t̄ = N^{−1/2} Σ_i t_i`` for H₀: β = 0, with ``t_i`` the
        unit's t-statistic. It is what :attr:`tvalues` returns for the group-mean estimator,
        and :attr:`pvalues` are its two-sided N(0, 1) p-values. ``bse`` and ``conf_int`` use
        ``vcov = N⁻² Σ_i V_i`` (independent units); the two coincide when the units' standard
        errors are equal.
    """

    estimator: str = "group-mean"
    unit_results: dict[Any, Result] = field(default_factory=dict)
    t_bar: pd.Series | None = None

    @property
    def tvalues(self) -> pd.Series:
        """Pedroni's group-mean t (group mean), or ``params / bse`` (pooled)."""
        if self.t_bar is not None:
            return self.t_bar.reindex(self.params.index)
        return self.params / self.bse

    def group_mean_t(self, null: float | dict[str, float] = 0.0) -> dict[str, HypothesisTest]:
        """Pedroni's ``t̄ = N^{−1/2} Σ_i (β̂_i − β₀)/se_i`` per coefficient, for H₀: β = β₀.

        ``null`` is one value for every coefficient or a ``{term: β₀}`` dict (terms not named
        are tested against 0). Each test is N(0, 1), two-sided (Pedroni 2001, eq. 12). Pooled
        estimators have no unit-by-unit t; they raise.
        """
        from ..errors import EstimationError

        if self.estimator != "group-mean":
            raise EstimationError("group_mean_t: only the group-mean estimator has t̄")
        out: dict[str, HypothesisTest] = {}
        n = len(self.unit_results)
        for term in self.params.index:
            b0 = null.get(term, 0.0) if isinstance(null, dict) else float(null)
            t = [
                (float(r.params[term]) - b0) / float(r.bse[term])
                for r in self.unit_results.values()
            ]
            stat = float(np.sum(t) / np.sqrt(n))
            out[term] = HypothesisTest.normal(f"group-mean t ({term})", stat, f"{term} = {b0:g}")
        return out

    def unit_table(self) -> pd.DataFrame:
        """One row per unit: each coefficient's estimate, standard error and t, and the
        unit's observations, bandwidth, long-run variance and R²."""
        rows = []
        for unit, res in self.unit_results.items():
            row: dict[str, Any] = {"unit": unit, "nobs": res.nobs}
            for term in res.params.index:
                row[f"{term}"] = float(res.params[term])
                row[f"se({term})"] = float(res.bse[term])
                row[f"t({term})"] = float(res.tvalues[term])
            for key in ("bandwidth", "long_run_variance", "r2"):
                value = res.diagnostics.get(key, getattr(res, key, None))
                row[key] = value if isinstance(value, float | int) else np.nan
            rows.append(row)
        return pd.DataFrame(rows).set_index("unit")

    def __repr__(self) -> str:
        return (
            f"<CointegrationResult {self.model} {self.estimator} N={len(self.unit_results)} "
            f"n={self.nobs} terms={list(self.params.index)}>"
        )
