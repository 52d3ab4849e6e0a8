"""Shared pieces of the ``resilience_firms`` truth: OLS after fixed effects, the entry
collector and the wording of the conventions (see :mod:`vagg.data.synth.truth_resilience`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vagg.data.synth.truth import demean

__all__ = [
    "CONTROLS",
    "CONTROL_WORDS",
    "SAMPLE_C",
    "STUDY",
    "VAGGS",
    "Demeaned",
    "Entries",
    "a_path",
    "ols",
]

STUDY = "resilience_firms"
VAGGS = ("vagg_h", "vagg_f", "vagg_b")
CONTROLS = ["age", "size", "cl", "debt", "herfind"]
CONTROL_WORDS = "controls age, size = ln employment, cl, debt, herfind (paper 000 definitions)"
SAMPLE_C = (
    "sample C: firms in the CIE in 2007 with positive own exports in 2007 (customs exports of "
    "the producer itself, intermediaries excluded, linked to the CIE firm)"
)


#: above this many cells of the dense FE cross-product, fixed effects are projected out by
#: alternating projections (the paper scale) instead of the exact normal equations
DENSE_LIMIT = 20_000_000
#: ... or when the effects after the first have more levels than this (their normal
#: equations are solved by an eigendecomposition, cubic in the number of levels)
SMALL_LIMIT = 5_000


def project_out(values: np.ndarray, codes: list[np.ndarray]) -> np.ndarray:
    """``values`` with the fixed effects ``codes`` projected out: exactly through
    :func:`vagg.data.synth.truth.demean` when its dense cross-product and its second and
    later effects are small (:data:`DENSE_LIMIT`, :data:`SMALL_LIMIT`), else by
    alternating projections (Gaure 2013) iterated until no column moves by more than 1e-11
    of its scale."""
    if not codes:
        return values - values.mean(axis=0)
    levels = [int(c.max()) + 1 for c in codes]
    small = sum(levels[1:])
    if len(codes) == 1 or (small <= SMALL_LIMIT and levels[0] * small <= DENSE_LIMIT):
        return demean(values, codes)
    out = np.array(values, dtype=float)
    scale = np.maximum(np.abs(out).max(axis=0), 1e-300)
    counts = [
        np.maximum(np.bincount(c, minlength=g), 1) for c, g in zip(codes, levels, strict=True)
    ]
    for _ in range(100_000):
        moved = 0.0
        for c, g, n in zip(codes, levels, counts, strict=True):
            means = np.column_stack(
                [np.bincount(c, weights=out[:, j], minlength=g) / n for j in range(out.shape[1])]
            )
            out -= means[c]
            moved = max(moved, float((np.abs(means).max(axis=0) / scale).max()))
        if moved < 1e-11:
            break
    return out


def ols(frame: pd.DataFrame, y: str, x: Sequence[str], fe: Sequence[str]) -> tuple[np.ndarray, int]:
    """OLS of ``y`` on ``x`` after absorbing ``fe`` (columns of integer-coded groups), on
    the complete rows. Returns the coefficients and the number of rows."""
    cols = [y, *x]
    data = frame.dropna(subset=[*cols, *fe])
    if len(data) <= len(x) + 2:
        return np.full(len(x), np.nan), len(data)
    codes = [pd.factorize(data[k])[0] for k in fe]
    values = data[cols].to_numpy(float)
    dm = project_out(values, codes)
    beta, *_ = np.linalg.lstsq(dm[:, 1:], dm[:, 0], rcond=None)
    return beta, len(data)


class Demeaned:
    """The complete rows of ``columns`` in ``frame`` with the fixed effects ``fe`` projected
    out once, for several regressions on the same sample."""

    def __init__(self, frame: pd.DataFrame, columns: Sequence[str], fe: Sequence[str]) -> None:
        data = frame.dropna(subset=[*columns, *fe])
        codes = [pd.factorize(data[k])[0] for k in fe]
        self.columns = list(columns)
        self.n = len(data)
        self.data = project_out(data[self.columns].to_numpy(float), codes)

    def coef(self, y: str, x: Sequence[str]) -> np.ndarray:
        """OLS coefficients of ``y`` on ``x`` (demeaned)."""
        pos = [self.columns.index(c) for c in x]
        beta, *_ = np.linalg.lstsq(
            self.data[:, pos], self.data[:, self.columns.index(y)], rcond=None
        )
        return np.asarray(beta)


class Entries:
    """The truth entries of the study, keyed ``resilience_firms.<key>``."""

    def __init__(self) -> None:
        self.entries: dict[str, dict] = {}

    def add(self, key: str, value: float, table: str, definition: str, n: int) -> None:
        self.entries[f"{STUDY}.{key}"] = {
            "value": float(value),
            "study": STUDY,
            "table": table,
            "kind": "estimand",
            "definition": f"{definition} (n = {n} in the population)",
        }


def a_path(out: Entries, frame: pd.DataFrame, code: str, table: str, words: str,
            v: str = "vagg_h") -> None:  # fmt: skip
    """Add the (M-a) entry: ``code`` on ``v`` with controls and firm, CIC4, year FE."""
    beta, n = ols(frame, code, [v, *CONTROLS], ["firm", "ind_idx", "year"])
    out.add(
        f"table{table.split(' ')[1]}.{code}_on_{v}",
        beta[0],
        f"{table}, (M-a) {code} on {v}",
        f"coefficient on {v}_ft in {code}_ft = β {v} + {CONTROL_WORDS} + firm, CIC4 and year fixed "
        f"effects; {words}",
        n,
    )
