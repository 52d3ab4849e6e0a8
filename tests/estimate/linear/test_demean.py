"""The exact demeaner equals the iterative one and the dummy-variable regression.

Reference: residuals of statsmodels OLS/WLS of each column on the full set of fixed-effect
dummies (``C(firm) + C(industry) + C(year)``), computed here on a small seeded panel in which
firms switch industries (so the effects are not nested). The exact rank of the dummy matrix is
numpy's ``matrix_rank`` of the dense dummies. :class:`PreparedDemeaner` (the exact method with
its factorisation done once, used by ``demean`` and by the placebo batches) is checked against
the same references.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.demean import (
    PreparedDemeaner,
    compact_codes,
    demean,
    demean_alternating,
    demean_within,
)


def small_panel(seed: int = 7, n_firms: int = 60, n_years: int = 8, n_ind: int = 6) -> pd.DataFrame:
    """Unbalanced firm-year panel; a third of the firms move to another industry mid-way."""
    rng = np.random.default_rng(seed)
    rows = []
    for f in range(n_firms):
        start = rng.integers(0, 3)
        years = [t for t in range(start, n_years) if rng.random() > 0.15]
        ind = rng.integers(0, n_ind)
        move = rng.random() < 0.35
        for t in years:
            if move and t >= n_years // 2:
                ind_t = (ind + 1 + f % (n_ind - 1)) % n_ind
            else:
                ind_t = ind
            rows.append((f, ind_t, 2000 + t))
    df = pd.DataFrame(rows, columns=["firm", "industry", "year"])
    n = len(df)
    df["x1"] = rng.normal(size=n) + 0.1 * df["firm"]
    df["x2"] = rng.normal(size=n) * 3 + df["industry"]
    df["y"] = df["x1"] - 0.5 * df["x2"] + rng.normal(size=n)
    df["w"] = rng.uniform(0.2, 3.0, n)
    return df


def dummy_residuals(df: pd.DataFrame, col: str, fes: list[str], weights: str | None) -> np.ndarray:
    rhs = " + ".join(f"C({f})" for f in fes)
    if weights is None:
        fit = smf.ols(f"{col} ~ {rhs}", df).fit()
    else:
        fit = smf.wls(f"{col} ~ {rhs}", df, weights=df[weights]).fit()
    return np.asarray(fit.resid)


def codes(df: pd.DataFrame, fes: list[str]) -> list[np.ndarray]:
    return [pd.factorize(df[f])[0] for f in fes]


@pytest.mark.parametrize("weights", [None, "w"])
def test_exact_equals_alternating_equals_dummy_regression(weights: str | None) -> None:
    df = small_panel()
    fes = ["firm", "industry", "year"]
    cols = ["y", "x1", "x2"]
    x = df[cols].to_numpy()
    w = None if weights is None else df[weights].to_numpy()
    exact = demean(x, codes(df, fes), w, method="exact")
    iterative, ok = demean_alternating(x, codes(df, fes), w, tol=1e-13, maxiter=1_000_000)
    assert ok
    assert exact.method == "exact"
    for j, col in enumerate(cols):
        ref = dummy_residuals(df, col, fes, weights)
        np.testing.assert_allclose(exact.values[:, j], ref, atol=1e-10, rtol=0)
        np.testing.assert_allclose(iterative[:, j], ref, atol=1e-10, rtol=0)


@pytest.mark.parametrize("share", [0.0, 2.0])  # 0: dense BLAS path always; 2: sparse always
def test_dense_and_sparse_cross_products_agree(
    monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    from vagg.estimate.linear import demean as module

    monkeypatch.setattr(module, "DENSE_CROSS_SHARE", share)
    df = small_panel(seed=13)
    fes = ["firm", "industry", "year"]
    res = demean(df[["y"]].to_numpy(), codes(df, fes), df["w"].to_numpy(), method="exact")
    ref = dummy_residuals(df, "y", fes, "w")
    np.testing.assert_allclose(res.values[:, 0], ref, atol=1e-10, rtol=0)


def test_absorbed_rank_is_rank_of_dummy_matrix() -> None:
    df = small_panel(seed=3)
    fes = ["firm", "industry", "year"]
    dummies = pd.get_dummies(df[fes].astype(str)).to_numpy(dtype=float)
    res = demean(df[["y"]].to_numpy(), codes(df, fes), method="exact")
    assert res.absorbed_rank == np.linalg.matrix_rank(dummies)


@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
def test_nested_and_disconnected_effects() -> None:
    """Industries that never change within firms, and two blocks of firms never meeting."""
    rng = np.random.default_rng(11)
    firm = np.repeat(np.arange(20), 5)
    industry = firm // 4  # nested in firm
    year = np.tile(np.arange(5), 20) + np.where(firm < 10, 0, 10)  # two disconnected blocks
    df = pd.DataFrame({"firm": firm, "industry": industry, "year": year, "y": rng.normal(size=100)})
    fes = ["firm", "industry", "year"]
    res = demean(df[["y"]].to_numpy(), codes(df, fes), method="exact")
    np.testing.assert_allclose(res.values[:, 0], dummy_residuals(df, "y", fes, None), atol=1e-10)
    dummies = pd.get_dummies(df[fes].astype(str)).to_numpy(dtype=float)
    assert res.absorbed_rank == np.linalg.matrix_rank(dummies)


def test_unsorted_rows_and_one_dimensional_input() -> None:
    df = small_panel(seed=5).sample(frac=1.0, random_state=1).reset_index(drop=True)
    fes = ["firm", "industry", "year"]
    res = demean(df["y"].to_numpy(), codes(df, fes), method="exact")
    assert res.values.shape == (len(df),)
    np.testing.assert_allclose(res.values, dummy_residuals(df, "y", fes, None), atol=1e-10)


def test_within_is_group_demeaning() -> None:
    df = small_panel(seed=2)
    expected = df["y"] - df.groupby("firm")["y"].transform("mean")
    np.testing.assert_allclose(demean_within(df["y"].to_numpy(), df["firm"].to_numpy()), expected)
    res = demean(df["y"].to_numpy(), [df["firm"].to_numpy()])
    assert res.method == "within"
    np.testing.assert_allclose(res.values, expected, atol=1e-12)


def test_auto_method_choice() -> None:
    df = small_panel(seed=4)
    c = codes(df, ["firm", "industry", "year"])
    assert demean(df[["y"]].to_numpy(), c).method == "exact"
    auto_iter = demean(df[["y"]].to_numpy(), c, max_small_levels=5, tol=1e-12)
    assert auto_iter.method == "alternating"
    exact = demean(df[["y"]].to_numpy(), c, method="exact")
    np.testing.assert_allclose(auto_iter.values, exact.values, atol=1e-9)


def test_compact_codes() -> None:
    new, g = compact_codes(np.array([5, 2, 5, 9]))
    assert g == 3
    assert new.tolist() == [1, 0, 1, 2]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fixed_effects": [np.array([0, 1])]}, "shape"),
        ({"fixed_effects": [np.array([0.5, 1, 2])]}, "integer"),
        ({"fixed_effects": [np.array([0, 1, 1])], "weights": np.array([1.0, -1, 1])}, "positive"),
        ({"fixed_effects": []}, "at least one"),
        ({"fixed_effects": [np.array([0, 1, 1]), np.array([0, 0, 1])], "method": "within"}, "one"),
    ],
)
def test_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(EstimationError, match=message):
        demean(np.ones((3, 1)), **kwargs)


@pytest.mark.parametrize("weighted", [False, True])
def test_prepared_batches_equal_the_exact_demeaner_and_the_dummy_regression(
    weighted: bool,
) -> None:
    """One projection per row of a batch (``refine=False``, the placebo draws) already equals
    the exact demeaner to 1e-12; in sorted and shuffled row order."""
    fes = ["firm", "year", "industry"]
    base = small_panel(seed=9)
    rng = np.random.default_rng(0)
    for df in (base.sort_values("firm", kind="stable"), base.sample(frac=1.0, random_state=2)):
        df = df.reset_index(drop=True)
        columns = rng.normal(size=(3, len(df))) + 5.0
        weights = df["w"].to_numpy() if weighted else None
        expected = demean(columns.T, codes(df, fes), weights, method="exact").values.T
        prepared = PreparedDemeaner(codes(df, fes), weights)
        batch = columns.copy()
        prepared.demean_rows(batch, refine=False)
        np.testing.assert_allclose(batch, expected, rtol=0, atol=1e-12)
        frame = df.assign(**{f"c{j}": columns[j] for j in range(3)})
        for j in range(3):
            ref = dummy_residuals(frame, f"c{j}", fes, "w" if weighted else None)
            np.testing.assert_allclose(batch[j], ref, rtol=0, atol=1e-10)
            np.testing.assert_allclose(prepared.demean(columns[j]), ref, rtol=0, atol=1e-10)


def test_demean_hands_back_its_prepared_demeaner() -> None:
    df = small_panel(seed=6)
    fes = ["firm", "industry", "year"]
    res = demean(df[["y"]].to_numpy(), codes(df, fes), df["w"].to_numpy(), method="exact")
    assert res.prepared is not None
    assert res.prepared.absorbed_rank == res.absorbed_rank
    again = res.prepared.demean(df[["x1", "x2"]].to_numpy())
    for j, col in enumerate(["x1", "x2"]):
        np.testing.assert_allclose(again[:, j], dummy_residuals(df, col, fes, "w"), atol=1e-10)
    with pytest.raises(EstimationError, match="rows"):
        res.prepared.demean(np.ones(3))
    with pytest.raises(EstimationError, match="C-contiguous float64"):
        res.prepared.demean_rows(np.ones((len(df), 2)))
    assert demean(df["y"].to_numpy(), codes(df, fes), method="alternating").prepared is None


@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")
def test_many_small_effects() -> None:
    """20 small effects of 16 levels, so 16**20 > 2**63 level combinations. Pairs of rows share
    the last 16 effects and differ in the first four: a combined key ``Σ code·16^k`` in 64 bits
    would keep only the last 16 and merge the pairs; the combinations are numbered effect by
    effect instead."""
    rng = np.random.default_rng(5)
    n = 800
    df = pd.DataFrame({"firm": np.repeat(np.arange(200), 4), "y": rng.normal(size=n)})
    small = [f"s{j}" for j in range(20)]
    for j, name in enumerate(small):
        df[name] = rng.integers(0, 16, n) if j < 4 else np.repeat(rng.integers(0, 16, n // 2), 2)
    fes = ["firm", *small]
    res = demean(df["y"].to_numpy(), codes(df, fes), method="exact")
    np.testing.assert_allclose(res.values, dummy_residuals(df, "y", fes, None), atol=1e-9)
