"""Moderation: an interaction model, raw and mean-centred, on one sample.

Methods notes §10.2; paper 002: innovation moderates the effect of virtual agglomeration on
export resilience. Raw ``y = b0 + b1·X + b2·Z + b3·X·Z`` and mean-centred
``y = c0 + c1·(X−X̄) + c2·(Z−Z̄) + c3·(X−X̄)(Z−Z̄)`` span the same column space, so
c3 = b3 (same SE), c1 = b1 + b3·Z̄, c2 = b2 + b3·X̄ and the fits (R²) are identical.

References: Aiken & West (1991) on centring and simple slopes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas, require_columns
from vagg.estimate.linear.fixed_effects import estimation_rows, feols
from vagg.estimate.linear.formula import check_controls, control_terms, fe_text, formula_text
from vagg.estimate.linear.sample import restamp_accounting
from vagg.estimate.results import NotAvailable, Result, SampleAccounting

__all__ = ["Moderation", "moderation"]


@dataclass(eq=False)
class Moderation:
    """Raw and mean-centred interaction models (see :func:`moderation`).

    ``centered`` uses the same term names as ``raw`` (``x``, ``moderator``, ``x:moderator``)
    so that the two line up in a table; its ``x`` and ``moderator`` are centred at ``means``
    (estimation-sample means), recorded in ``centered.extra["centered_at"]``.
    """

    outcome: str
    x: str
    moderator: str
    interaction: str
    raw: Result
    centered: Result | NotAvailable
    means: dict[str, float]
    sample: SampleAccounting

    def simple_slopes(self, at: Sequence[float] | None = None, level: float = 0.95) -> pd.DataFrame:
        """Effect of x at moderator values z (raw model): b1 + b3·z, with
        Var = V11 + z²·V33 + 2z·V13. Default z: mean − sd, mean, mean + sd of the moderator
        over the estimation sample (Aiken & West 1991)."""
        if at is None:
            mean, sd = self.means[self.moderator], self.means[f"sd({self.moderator})"]
            at = [mean - sd, mean, mean + sd]
        v = self.raw.vcov
        b1, b3 = self.raw.params[self.x], self.raw.params[self.interaction]
        df = self.raw.df_resid
        q = stats.norm.isf((1 - level) / 2) if df is None else stats.t.isf((1 - level) / 2, df)
        rows = []
        for z in at:
            est = b1 + b3 * z
            var = (
                v.loc[self.x, self.x]
                + z**2 * v.loc[self.interaction, self.interaction]
                + 2 * z * v.loc[self.x, self.interaction]
            )
            se = math.sqrt(var)
            t = est / se
            p = 2 * (stats.norm.sf(abs(t)) if df is None else stats.t.sf(abs(t), df))
            rows.append(
                {
                    self.moderator: z,
                    "slope": est,
                    "std_error": se,
                    "statistic": t,
                    "pvalue": p,
                    "conf_low": est - q * se,
                    "conf_high": est + q * se,
                }
            )
        return pd.DataFrame(rows)

    def tidy(self) -> pd.DataFrame:
        """Both models' coefficient tables, with a ``model`` column (raw / centered)."""
        parts = [self.raw.tidy().assign(model="raw")]
        if isinstance(self.centered, Result):
            parts.append(self.centered.tidy().assign(model="centered"))
        return pd.concat(parts, ignore_index=True)

    def summary(self) -> str:
        lines = [
            f"Moderation of {self.x} by {self.moderator} on {self.outcome}",
            f"Centred at {self.x} = {self.means[self.x]:.6g}, "
            f"{self.moderator} = {self.means[self.moderator]:.6g}",
            self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Moderation {self.x}×{self.moderator} -> {self.outcome} n={self.raw.nobs}>"


def moderation(
    data: Any,
    *,
    outcome: str,
    x: str,
    moderator: str,
    controls: str | Sequence[str] = (),
    fe: str | Sequence[str] | None = None,
    vcov: str | Mapping[str, Any] | None = None,
    center: bool = True,
) -> Moderation:
    """Interaction (moderation) model, raw and mean-centred, on the same rows.

    raw: ``outcome ~ x + moderator + x:moderator + controls | fe``  (b1, b2, b3);
    centred: the same with x − x̄ and z − z̄, the means taken over the raw model's estimation
    sample (after dropping missing values and singletons). Identities (methods notes §10.2):
    c3 = b3 with the same SE, c1 = b1 + b3·z̄, c2 = b2 + b3·x̄, equal fitted values and R²
    (fixed effects do not change them). Implements paper 002's moderated specification
    (virtual agglomeration × innovation). Centring within groups (x − x̄_i) is a different
    model and is not done here. ``center=False`` skips the centred model.

    Raises :class:`EstimationError` for unknown columns, x equal to the moderator, controls
    that use x or the moderator (they would be centred too), and x or the moderator without
    variation in the sample.
    """
    where = "moderation"
    frame = as_pandas(data)
    require_columns(frame, where, outcome=outcome, x=x, moderator=moderator)
    if len({outcome, x, moderator}) < 3:
        raise EstimationError(
            f"{where}: outcome ({outcome!r}), x ({x!r}) and moderator ({moderator!r}) must be "
            "three different columns"
        )
    rhs = control_terms(controls)
    check_controls(rhs, {x, moderator, outcome}, where)
    interaction = f"{x}:{moderator}"
    formula = formula_text(outcome, [x, moderator, interaction, *rhs], fe_text(fe))
    rows, dropped = estimation_rows(formula, frame, vcov=vcov)
    sub = frame.iloc[rows].copy()
    sample = SampleAccounting(len(frame), len(sub), dropped)
    for role, col in (("x", x), ("moderator", moderator)):
        v = sub[col].to_numpy(dtype=float)
        if np.ptp(v) == 0:
            raise EstimationError(
                f"{where}: {role} {col!r} does not vary in the estimation sample "
                f"({len(sub)} rows, all {v[0]:g})"
            )
    note = "fitted on the rows usable in the interaction model"
    raw = restamp_accounting(feols(formula, sub, vcov=vcov), sample, note)
    means = {
        x: float(sub[x].astype(float).mean()),
        moderator: float(sub[moderator].astype(float).mean()),
        f"sd({moderator})": float(sub[moderator].astype(float).std(ddof=1)),
    }
    centered: Result | NotAvailable = NotAvailable("center=False")
    if center:
        shifted = sub.copy()
        shifted[x] = shifted[x].astype(float) - means[x]
        shifted[moderator] = shifted[moderator].astype(float) - means[moderator]
        centered = restamp_accounting(feols(formula, shifted, vcov=vcov), sample, note)
        centered.formula = f"{formula}   [{x}, {moderator} centred at sample means]"
        centered.extra["centered_at"] = {x: means[x], moderator: means[moderator]}
    for res in (raw, centered):
        if isinstance(res, Result) and interaction not in res.params.index:
            raise EstimationError(
                f"{where}: the interaction {interaction!r} is collinear with the other "
                f"regressors or the fixed effects in {formula!r}"
            )
    return Moderation(
        outcome=outcome,
        x=x,
        moderator=moderator,
        interaction=interaction,
        raw=raw,
        centered=centered,
        means=means,
        sample=sample,
    )
