"""Gap-aware panel lags: the row of the same unit ``k`` periods earlier, never the previous row.

After ``xtset unit time``, Stata's ``L.x`` is the value of ``x`` of the *same unit* at period
``t − 1``: when the unit has no observation at ``t − 1`` (a gap in an unbalanced panel), the
lag is missing. fixest's ``l()`` with ``panel.id`` and plm's ``lag()`` follow the same rule;
pandas' ``groupby().shift()`` and polars' ``shift().over()`` do not (they shift rows). This is
the one implementation of that rule in vagg: the formula lags of the estimators
(:mod:`vagg.estimate.linear.panel_ops`), the ACF production function's lagged inputs
(:mod:`vagg.measures.production`) and the lagged regressors of the studies all call it.

The (unit, time) pairs are encoded as one integer key and the row holding ``(unit, t − k)`` is
found by a sorted search (``numpy.searchsorted``), in ``O(n log n)`` for any ``k``. Times are
integers (years or period numbers); keys are assumed unique (callers check them and name the
duplicated rows).

Reference: StataCorp, *Stata Time-Series Reference Manual*, ``tsvarlist`` / ``xtset``;
Bergé (2018), fixest ``l()``/``f()`` with ``panel.id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

__all__ = ["PanelIndex", "lag_columns", "lag_rows"]


@dataclass(frozen=True)
class PanelIndex:
    """(unit, time) keys of a table, ready to look up the row of ``(unit, t − k)``.

    Attributes
    ----------
    unit_codes : numpy.ndarray
        Integer code of each row's unit.
    times : numpy.ndarray
        Integer period of each row.
    sorted_keys : numpy.ndarray
        The encoded keys ``unit · span + (t − t_min)``, sorted.
    order : numpy.ndarray
        Row positions in key order (``keys[order] == sorted_keys``).
    t_min : int
        The first period.
    span : int
        Number of periods from the first to the last.
    """

    unit_codes: np.ndarray
    times: np.ndarray
    sorted_keys: np.ndarray
    order: np.ndarray
    t_min: int
    span: int

    @classmethod
    def from_codes(cls, unit_codes: np.ndarray, times: np.ndarray) -> PanelIndex:
        """Encode integer unit codes and integer periods (one entry per row).

        Parameters
        ----------
        unit_codes : numpy.ndarray
            Integer code of each row's unit (e.g. from ``pandas.factorize``).
        times : numpy.ndarray
            Integer period of each row.

        Returns
        -------
        PanelIndex
        """
        unit_codes = np.asarray(unit_codes, dtype=np.int64)
        times = np.asarray(times, dtype=np.int64)
        t_min = int(times.min()) if len(times) else 0
        span = int(times.max()) - t_min + 1 if len(times) else 1
        keys = unit_codes * span + (times - t_min)
        order = np.argsort(keys, kind="stable")
        return cls(unit_codes, times, keys[order], order, t_min, span)

    @classmethod
    def from_columns(cls, unit: Any, times: Any) -> PanelIndex:
        """Encode a unit column of any type (factorised) and an integer time column."""
        codes = pd.factorize(np.asarray(unit), sort=False)[0]
        return cls.from_codes(codes, np.asarray(times))

    def row_keys(self) -> np.ndarray:
        """The encoded key of each row, in row order."""
        return self.unit_codes * self.span + (self.times - self.t_min)

    def duplicated_keys(self) -> np.ndarray:
        """The encoded keys that occur more than once (empty for a proper panel)."""
        dup = self.sorted_keys[1:] == self.sorted_keys[:-1]
        return np.unique(self.sorted_keys[1:][dup])

    def source_rows(self, k: int) -> np.ndarray:
        """Row positions of ``(unit, t − k)`` for every row; ``-1`` where it is absent.

        ``k > 0`` looks back (lags), ``k < 0`` forward (leads), ``k = 0`` gives the row itself.
        """
        if len(self.sorted_keys) == 0:
            return np.zeros(0, dtype=np.int64)
        shifted = self.times - k
        inside = (shifted >= self.t_min) & (shifted < self.t_min + self.span)
        target = self.unit_codes * self.span + (shifted - self.t_min)
        pos = np.searchsorted(self.sorted_keys, target)
        pos = np.minimum(pos, len(self.sorted_keys) - 1)
        found = inside & (self.sorted_keys[pos] == target)
        return np.where(found, self.order[pos], -1)

    def shift(self, values: np.ndarray, k: int) -> np.ndarray:
        """The values at ``(unit, t − k)`` (float, NaN where the period is absent)."""
        src = self.source_rows(k)
        out = np.full(len(src), np.nan)
        ok = src >= 0
        out[ok] = np.asarray(values, dtype=float)[src[ok]]
        return out


def lag_rows(unit: Any, times: Any, k: int = 1) -> np.ndarray:
    """Position of the row of the same unit at ``t − k`` for every row, ``-1`` when absent.

    Parameters
    ----------
    unit : array-like
        Each row's unit (any type).
    times : array-like of int
        Each row's period.
    k : int
        How many periods back (negative: forward).

    Returns
    -------
    numpy.ndarray of int64
    """
    return PanelIndex.from_columns(unit, times).source_rows(k)


def lag_columns(
    frame: pl.DataFrame,
    columns: Sequence[str],
    *,
    unit: str = "firm_id",
    time: str = "year",
    k: int = 1,
    suffix: str = "_lag",
) -> pl.DataFrame:
    """``frame`` with ``<column><suffix>``: each column's value for the same unit at ``t − k``
    (null when that period is not observed), in ``frame``'s row order and dtype."""
    src = lag_rows(frame[unit].to_numpy(), frame[time].to_numpy(), k)
    found = pl.Series("src", src, dtype=pl.Int64)
    index = pl.select(pl.when(found >= 0).then(found)).to_series()
    return frame.with_columns(frame[c].gather(index).alias(f"{c}{suffix}") for c in columns)
