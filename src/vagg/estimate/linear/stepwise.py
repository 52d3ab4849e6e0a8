"""fixest's stepwise formulas: ``sw()``, ``csw()``, ``sw0()``, ``csw0()``, one Result per step.

``stepwise("y ~ x | fe", ...)`` with one stepwise function on the right-hand side fits one model
per step, in order, as fixest and pyfixest do (paper 002's Table 2 is such a table):

* ``sw(a, b)`` — ``y ~ a``, ``y ~ b`` (each in turn);
* ``csw(a, b)`` — ``y ~ a``, ``y ~ a + b`` (cumulative);
* ``sw0(a, b)`` / ``csw0(a, b)`` — the same, after a first model without any of them.

Other terms of the formula stay in every step (``y ~ x + csw(a, b) | fe``). The Results come
back in a :class:`StepwiseResults` (a list), which :func:`vagg.report.regression_table` takes
as it is. ``vagg.feols`` and ``vagg.iv`` fit one model and return one Result, so they refuse a
stepwise formula and point here; :func:`expand_stepwise` gives the formulas of the steps.
"""

from __future__ import annotations

from typing import Any, Literal

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.fixed_effects import feols
from vagg.estimate.linear.iv import iv
from vagg.estimate.linear.stepwise_formula import STEPWISE_FUNCTIONS, expand_stepwise
from vagg.estimate.results import Result

__all__ = ["STEPWISE_FUNCTIONS", "StepwiseResults", "expand_stepwise", "stepwise"]


class StepwiseResults(list[Result]):
    """The Results of a stepwise formula, one per step, in order (a list with a summary)."""

    def __repr__(self) -> str:
        formulas = [r.formula for r in self]
        return f"<StepwiseResults {len(self)} steps: {formulas}>"


def stepwise(
    formula: str, data: Any, *, model: Literal["feols", "iv"] = "feols", **kwargs: Any
) -> StepwiseResults:
    """Fit every step of a stepwise formula with ``vagg.feols`` (or ``vagg.iv``).

    Parameters
    ----------
    formula : str
        A formula with one of ``sw()``, ``csw()``, ``sw0()``, ``csw0()`` on the right-hand
        side, e.g. ``"y ~ csw(x1, x2, x3) | firm + year"``.
    data : pandas.DataFrame or polars.DataFrame
        The table.
    model : {"feols", "iv"}
        The estimator of each step.
    **kwargs
        Passed to the estimator (``vcov=``, ``ssc=``, ``weights=``, ``panel=`` ...).

    Returns
    -------
    StepwiseResults
        One Result per step, in fixest's order.
    """
    steps = expand_stepwise(formula)
    if steps is None:
        raise EstimationError(
            f"formula {formula!r} has no stepwise function; use one of {list(STEPWISE_FUNCTIONS)}"
        )
    if model not in ("feols", "iv"):
        raise EstimationError(f"model={model!r}; use 'feols' or 'iv'")
    fit = feols if model == "feols" else iv
    return StepwiseResults(fit(step, data, **kwargs) for step in steps)
