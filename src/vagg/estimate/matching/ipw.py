"""The propensity-score model and its inverse-probability weights.

The propensity score p(x) = P(D = 1 | x) is fitted by unpenalised maximum likelihood with
statsmodels (``Logit`` or ``Probit`` on a constant and the covariates), as psmatch2 does with
Stata's ``logit``/``probit`` and MatchIt with ``glm``. Before the fit, the design is checked so
that a model without a finite maximum is reported in words (which covariate, which group)
instead of a non-converged optimiser:

* a covariate that is constant, or a linear combination of the others (rank deficiency);
* a covariate that separates treated from controls on its own, completely or quasi-completely
  (``max(x | D=0) <= min(x | D=1)`` or the reverse; a dummy that is 1 only for treated units is
  the usual case). Separation by a combination of covariates is caught after the fit, when the
  optimiser does not converge or fitted probabilities reach 0 or 1.

Inverse-probability weights (methods note §9.2; Hirano, Imbens & Ridder 2003):

* ATT: treated 1, controls p/(1 − p) (the odds of treatment);
* ATE: treated 1/p, controls 1/(1 − p).

With ``normalize=True`` the weights are rescaled within each treatment arm (and within each
``by`` group) — the Hájek form: for the ATT the control weights sum to the number of treated
units, for the ATE each arm's weights sum to the number of units, so that each arm stands for
the target population. Weighted means, and so the weighted difference in means, are unchanged by
the rescaling; weighted regressions with covariates are not.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from vagg.estimate.errors import EstimationError

__all__ = [
    "SEPARATION_TOLERANCE",
    "Estimand",
    "Model",
    "PSMInputError",
    "describe_rows",
    "fit_propensity",
    "inverse_probability_weights",
]


Model = Literal["logit", "probit"]
Estimand = Literal["att", "ate"]

#: fitted probabilities closer than this to 0 or 1 are taken as a sign of separation
SEPARATION_TOLERANCE = 1e-10


class PSMInputError(EstimationError):
    """Bad input to propensity-score matching or weighting (names column, group and rows)."""


def describe_rows(labels: Sequence[object], limit: int = 8) -> str:
    """Print at most ``limit`` row labels, with a count of the rest."""
    shown = ", ".join(repr(label) for label in list(labels)[:limit])
    rest = len(labels) - limit
    return f"[{shown}{f', … {rest} more' if rest > 0 else ''}]"


def _check_rank(design: pd.DataFrame, where: str) -> None:
    """Raise if a covariate is constant or a linear combination of the others."""
    values = design.to_numpy(dtype=float)
    for name in design.columns[1:]:
        column = design[name].to_numpy(dtype=float)
        if np.all(column == column[0]):
            raise PSMInputError(
                f"covariate {name!r} is constant ({column[0]!r}){where}: the propensity "
                "score model cannot estimate its coefficient; remove it"
            )
    if np.linalg.matrix_rank(values) == values.shape[1]:
        return
    for j in range(2, values.shape[1] + 1):
        if np.linalg.matrix_rank(values[:, :j]) < j:
            name = design.columns[j - 1]
            earlier = ", ".join(repr(c) for c in design.columns[1 : j - 1])
            raise PSMInputError(
                f"covariate {name!r} is a linear combination of the constant and {earlier}"
                f"{where}: the propensity score model is not identified; remove one of them"
            )


def _check_single_covariate_separation(
    design: pd.DataFrame, treated: np.ndarray, where: str
) -> None:
    """Raise if one covariate alone separates treated from controls (no finite MLE)."""
    for name in design.columns[1:]:
        x = design[name].to_numpy(dtype=float)
        x_t, x_c = x[treated], x[~treated]
        if x_c.max() <= x_t.min() or x_t.max() <= x_c.min():
            if x_c.max() <= x_t.min():
                side = f"every control has {name} <= {x_c.max():g} <= every treated unit"
            else:
                side = f"every treated unit has {name} <= {x_t.max():g} <= every control"
            raise PSMInputError(
                f"perfect separation in the propensity score model{where}: covariate "
                f"{name!r} separates treated from controls ({side}), so the maximum "
                "likelihood estimate does not exist; drop or recode the covariate"
            )


def fit_propensity(
    treated: np.ndarray,
    design: pd.DataFrame,
    *,
    model: Model = "logit",
    where: str = "",
) -> tuple[np.ndarray, np.ndarray, object]:
    """Fit P(D = 1 | x) by unpenalised logit or probit ML (statsmodels, Newton).

    ``design`` holds a constant first and then the covariates, one row per unit; ``treated``
    is the boolean treatment vector. Returns the fitted propensity scores
    p̂ = F(x'β̂) (F the logistic or normal cdf), the linear index x'β̂ and the statsmodels
    results object. ``where`` is appended to error messages (e.g. " in by group year=2005").

    Raises :class:`PSMInputError` on a constant or collinear covariate, on separation (a
    covariate is named when one separates alone) and on non-convergence.
    """
    _check_rank(design, where)
    _check_single_covariate_separation(design, treated, where)
    estimator = sm.Logit if model == "logit" else sm.Probit
    y = treated.astype(float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = estimator(y, design.astype(float)).fit(method="newton", maxiter=200, disp=0)
        except (PerfectSeparationError, np.linalg.LinAlgError) as error:
            raise PSMInputError(
                f"the {model} propensity score model cannot be fitted{where}: {error}; "
                "a combination of covariates separates treated from controls"
            ) from None
        index = np.asarray(result.fittedvalues, dtype=float)
        pscore = np.asarray(result.predict(), dtype=float)
    separated = (pscore < SEPARATION_TOLERANCE) | (pscore > 1 - SEPARATION_TOLERANCE)
    flagged = any(
        issubclass(w.category, (ConvergenceWarning, PerfectSeparationWarning)) for w in caught
    )
    if not result.mle_retvals.get("converged", True) or flagged or separated.any():
        labels = list(design.index[separated])
        scale = design.iloc[:, 1:].std(ddof=0).replace(0.0, 1.0)
        standardised = (result.params.iloc[1:].abs() * scale).sort_values(ascending=False)
        suspects = ", ".join(repr(c) for c in standardised.index[:3])
        raise PSMInputError(
            f"the {model} propensity score model did not converge{where}: perfect or "
            f"quasi-complete separation by a combination of covariates (largest standardised "
            f"coefficients: {suspects}); fitted probabilities are 0 or 1 at rows "
            f"{describe_rows(labels)}"
        )
    return pscore, index, result


def inverse_probability_weights(
    pscore: np.ndarray,
    treated: np.ndarray,
    *,
    estimand: Estimand = "att",
    normalize: bool = False,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Inverse-probability weights from propensity scores (methods note §9.2).

    ATT: w = 1 for treated, p/(1 − p) for controls. ATE: w = 1/p for treated, 1/(1 − p) for
    controls (Horvitz–Thompson). ``normalize=True`` rescales within each arm and ``groups``
    cell (Hájek): ATT control weights sum to the cell's number of treated units; ATE weights of
    each arm sum to the cell's number of units. Rows whose ``pscore`` is NaN get NaN.

    Reference: Hirano, Imbens & Ridder (2003), Econometrica 71(4); paper 000, Table 2
    columns (7)–(9) (IPW-weighted regressions, after Stiebale & Vencappa 2018).
    """
    if estimand not in ("att", "ate"):
        raise PSMInputError(f"estimand must be 'att' or 'ate', got {estimand!r}")
    p = np.asarray(pscore, dtype=float)
    d = np.asarray(treated, dtype=bool)
    if estimand == "att":
        weights = np.where(d, 1.0, p / (1.0 - p))
    else:
        weights = np.where(d, 1.0 / p, 1.0 / (1.0 - p))
    weights[np.isnan(p)] = np.nan
    if not normalize:
        return weights
    cells = np.zeros(len(p), dtype=np.int64) if groups is None else np.asarray(groups)
    usable = ~np.isnan(p)
    for cell in pd.unique(cells[usable]):
        in_cell = usable & (cells == cell)
        n_treated = int((in_cell & d).sum())
        for arm in (True, False):
            members = in_cell & (d == arm)
            if not members.any() or (estimand == "att" and arm):
                continue
            target = n_treated if estimand == "att" else int(in_cell.sum())
            weights[members] *= target / weights[members].sum()
    return weights
