"""fixest's ``i()`` terms: factor dummies, and factor dummies times a variable (event studies).

``i(var)`` becomes one 0/1 column per level of ``var`` (any dtype; levels sorted), less a
reference level: ``ref=`` when given, else the first level when the model has an intercept or
fixed effects (pyfixest's treatment contrast; fixest drops the collinear level instead).
``i(var, x)`` multiplies each dummy by the term ``x`` and keeps every level unless ``ref=``
is given — the event-study regressors ``1{t − E_i = k}·treated_i``. Levels are those present in
the estimation sample. Columns are named ``var::level`` and ``var::level:x``, as fixest and
pyfixest name them, so tables of either line up.

Written here rather than taken from formulaic or pyfixest because the sample builder
(:mod:`vagg.estimate.linear.sample`) must count the rows where ``var`` or ``x`` is unusable and
must expand the dummies only after those rows (and singletons) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.evaluate import MISSING, OK, combine_reasons, evaluate
from vagg.estimate.linear.formula import Indicator
from vagg.estimate.linear.panel_ops import PanelIndex

__all__ = ["IndicatorValues", "indicator_values"]


@dataclass
class IndicatorValues:
    """An ``i()`` term evaluated on the input table, before it is expanded.

    ``codes`` index ``levels`` (sorted; −1 where ``var`` is missing); ``by`` holds the values of
    the interacted term (``None`` for plain dummies).
    """

    term: Indicator
    codes: np.ndarray
    levels: list[object]
    by: np.ndarray | None

    def reference(self) -> int | None:
        """Code of the ``ref=`` level, or None; raises when no level matches it."""
        ref = self.term.ref
        if ref is None:
            return None
        for code, level in enumerate(self.levels):
            if str(level) == ref:
                return code
            if isinstance(level, (int, float, np.number)) and not isinstance(level, bool):
                try:
                    if float(level) == float(ref):
                        return code
                except ValueError:
                    continue
        shown = [str(v) for v in self.levels[:10]]
        raise EstimationError(
            f"{self.term.label}: reference level {ref!r} is not a level of {self.term.var!r} "
            f"(levels: {shown}{' ...' if len(self.levels) > 10 else ''})"
        )

    def expand(self, rows: np.ndarray, drop_first: bool) -> tuple[np.ndarray, list[str]]:
        """The dummy (or interacted) columns over ``rows`` and their names.

        Parameters
        ----------
        rows : numpy.ndarray
            Positions of the estimation sample in the input table.
        drop_first : bool
            Drop the first level present when there is no ``ref=`` and no interacted term
            (the model has an intercept or fixed effects).

        Returns
        -------
        tuple of (numpy.ndarray, list of str)
            ``len(rows) × levels`` columns and their ``var::level[:x]`` names.
        """
        codes = self.codes[rows]
        present = np.unique(codes)
        ref = self.reference()
        if ref is None and drop_first and self.by is None and len(present):
            ref = int(present[0])
        keep = np.array([c for c in present if c != ref], dtype=np.int64)
        mat = (codes[:, None] == keep[None, :]).astype(float)
        suffix = ""
        if self.by is not None and self.term.by is not None:
            mat *= self.by[rows][:, None]
            suffix = f":{self.term.by.label}"
        names = [f"{self.term.var}::{self.levels[c]}{suffix}" for c in keep]
        return mat, names


def indicator_values(
    frame: pd.DataFrame,
    term: Indicator,
    columns: dict[str, np.ndarray],
    panel: PanelIndex | None,
) -> tuple[IndicatorValues, np.ndarray]:
    """The :class:`IndicatorValues` of ``term`` over ``frame`` and, per row, why it is unusable
    (``var`` missing, or the interacted term unusable; reason codes of
    :mod:`vagg.estimate.linear.evaluate`)."""
    codes, uniques = pd.factorize(frame[term.var], sort=True)
    reason = np.where(codes < 0, MISSING, OK).astype(np.int8)
    by = None
    if term.by is not None:
        by, by_reason = evaluate(term.by, columns, panel)
        reason = combine_reasons(reason, by_reason).astype(np.int8)
    return IndicatorValues(term, codes.astype(np.int64), list(uniques), by), reason
