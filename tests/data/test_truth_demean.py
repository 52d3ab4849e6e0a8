"""The exact fixed-effect projection of the truth code against least squares with dummies."""

from __future__ import annotations

import numpy as np

from vagg.data.synth.truth import demean


def test_demean_equals_the_residual_of_a_dummy_regression() -> None:
    rng = np.random.default_rng(7)
    n = 3_000
    firm = np.unique(rng.integers(0, 400, n), return_inverse=True)[1]
    industry = rng.integers(0, 25, n)
    year = rng.integers(0, 8, n)  # industry and year dummies are collinear (both sum to 1)
    data = rng.normal(size=(n, 2)) + firm[:, None] * 0.01
    got = demean(data, [firm, industry, year])
    dummies = np.column_stack([np.eye(firm.max() + 1)[firm], np.eye(25)[industry], np.eye(8)[year]])
    beta, *_ = np.linalg.lstsq(dummies, data, rcond=None)
    np.testing.assert_allclose(got, data - dummies @ beta, atol=1e-9)
    # orthogonal to every indicator: the projection is exact, not approximately so
    assert np.abs(dummies.T @ got).max() < 1e-9
