"""Gap-aware lags against a brute-force lookup of (unit, t − k)."""

from __future__ import annotations

import numpy as np
import polars as pl

from vagg.data.panel import PanelIndex, lag_columns, lag_rows


def _brute_force(unit: list[str], year: list[int], k: int) -> list[int]:
    where = {(u, t): i for i, (u, t) in enumerate(zip(unit, year, strict=True))}
    return [where.get((u, t - k), -1) for u, t in zip(unit, year, strict=True)]


def test_lag_rows_match_a_lookup_with_gaps_and_unsorted_rows() -> None:
    rng = np.random.default_rng(3)
    pairs = sorted({(f"f{u}", int(t)) for u, t in rng.integers(0, 12, size=(200, 2))})
    order = rng.permutation(len(pairs))
    unit = [pairs[i][0] for i in order]
    year = [2000 + pairs[i][1] for i in order]
    for k in (1, 2, -1, 0):
        assert lag_rows(np.array(unit), np.array(year), k).tolist() == _brute_force(unit, year, k)


def test_a_gap_gives_a_missing_lag_not_the_previous_row() -> None:
    frame = pl.DataFrame(
        {"firm_id": ["a", "a", "a", "b"], "year": [2000, 2001, 2003, 2001], "x": [1.0, 2, 3, 4]}
    )
    out = lag_columns(frame, ["x"])
    assert out["x_lag"].to_list() == [None, 1.0, None, None]


def test_duplicated_keys_are_found() -> None:
    index = PanelIndex.from_columns(np.array(["a", "a", "b"]), np.array([1, 1, 1]))
    assert len(index.duplicated_keys()) == 1


def test_empty_panel() -> None:
    assert lag_rows(np.array([], dtype=str), np.array([], dtype=int)).tolist() == []
