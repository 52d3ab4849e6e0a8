"""Building blocks of the paper-001 synthetic economy: the vectorised draws without
replacement, the exact fixed-effects solver of the truth, and the CIE firm panel.

The references are independent: a dense least-squares fit on explicit dummy columns
(numpy.linalg.lstsq) for the solver, and the uniform distribution for the draws.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from vagg.data.synth.city_trade import distinct_draws, firm_panel
from vagg.data.synth.city_trade_truth import demean, fe_coefficient


def _dummies(groups: list[np.ndarray]) -> np.ndarray:
    return np.column_stack([np.eye(int(g.max()) + 1)[g] for g in groups])


def _dense_residual(x: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    d = _dummies(groups)
    return x - d @ np.linalg.lstsq(d, x, rcond=None)[0]


@pytest.mark.parametrize("nested", [False, True])
def test_demean_equals_dense_dummy_regression(nested: bool) -> None:
    rng = np.random.default_rng(3)
    n = 600
    firm = rng.integers(0, 60, n)
    city = firm % 7 if nested else rng.integers(0, 7, n)  # nested: city fixed within firm
    year = rng.integers(0, 5, n)
    groups = [firm, city, year]
    x = rng.normal(size=(n, 3)) + 0.3 * city[:, None] + 0.1 * year[:, None]
    np.testing.assert_allclose(demean(x, groups), _dense_residual(x, groups), atol=1e-10)


def test_fe_coefficient_ols_and_iv_equal_dense_dummy_fits() -> None:
    rng = np.random.default_rng(5)
    n = 800
    groups = [rng.integers(0, 40, n), rng.integers(0, 6, n)]
    z = rng.normal(size=n)
    x = np.column_stack([z + rng.normal(size=n), rng.normal(size=n)])
    y = 0.7 * x[:, 0] - 0.2 * x[:, 1] + 0.5 * groups[0] / 40 + rng.normal(size=n)
    d = _dummies(groups)
    ols = np.linalg.lstsq(np.column_stack([x, d]), y, rcond=None)[0][:2]
    np.testing.assert_allclose(fe_coefficient(y, x, groups), ols, atol=1e-10)
    # just-identified IV: β = (Z'M X)⁻¹ Z'M y with Z = [z, x2], M the dummies' annihilator
    zx = np.column_stack([z, x[:, 1]])
    m_z, m_x, m_y = (_dense_residual(v, groups) for v in (zx, x, y))
    iv = np.linalg.solve(m_z.T @ m_x, m_z.T @ m_y)
    np.testing.assert_allclose(fe_coefficient(y, x, groups, z=z), iv, atol=1e-10)


def test_distinct_draws_are_distinct_and_uniform() -> None:
    rng = np.random.default_rng(0)
    k = rng.integers(1, 6, 40_000)
    draws = distinct_draws(rng, 12, k)
    rows = np.repeat(np.arange(len(k)), k)
    assert len(draws) == k.sum()
    assert not pd.DataFrame({"r": rows, "d": draws}).duplicated().any()
    share = np.bincount(draws, minlength=12) / len(draws)
    np.testing.assert_allclose(share, 1 / 12, atol=0.01)
    # every 2-subset of 4 values equally likely (1/6)
    pairs = np.sort(distinct_draws(rng, 4, np.full(60_000, 2)).reshape(-1, 2), axis=1)
    counts = pd.Series(list(map(tuple, pairs))).value_counts(normalize=True)
    assert set(counts.index) == set(itertools.combinations(range(4), 2))
    np.testing.assert_allclose(counts.to_numpy(), 1 / 6, atol=0.01)


def test_distinct_draws_reject_more_than_the_population() -> None:
    with pytest.raises(ValueError, match="cannot draw 5 distinct values from 4"):
        distinct_draws(np.random.default_rng(0), 4, np.array([2, 5]))


def test_firm_panel_covers_the_matched_years_and_sizes() -> None:
    ids = pd.Index([f"F{i:07d}" for i in range(4000)])
    firms = firm_panel(np.random.default_rng(1), ids)
    assert firms["year"].between(2005, 2013).all()
    assert not firms.duplicated(["party_id", "year"]).any()
    assert (firms["employment"] >= 1).all() and (firms["assets"] > 0).all()
    assert (firms["founded"] <= firms["year"]).all()
    # above-scale firms: P(N(0,1) > −0.5) ≈ 0.69 of the firms, 95% of their years
    share = firms["party_id"].nunique() / len(ids)
    assert share == pytest.approx(0.69, abs=0.03)
