"""The SpatialWeights object: validation, standardisation, alignment, spectrum."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import vagg.weights as vw
from vagg.weights import SpatialWeights, WeightsError

RING = np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]], dtype=float)


def test_holds_ids_and_a_sparse_matrix() -> None:
    w = SpatialWeights(RING, ["a", "b", "c", "d"])
    assert w.n == 4 and w.links == 8 and isinstance(w.matrix, sp.csr_array)
    assert w.neighbors("a") == {"b": 1.0, "d": 1.0}
    assert list(w.to_frame().index) == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("matrix", "ids", "message"),
    [
        (np.ones((2, 3)), ["a", "b"], "must be square"),
        (np.zeros((3, 3)), ["a", "b"], "3×3 matrix but 2 ids"),
        (RING, ["a", "b", "a", "d"], r"ids must be unique; repeated: \['a'\]"),
        (RING * -1, list("abcd"), "non-negative"),
        (RING + np.eye(4), list("abcd"), r"diagonal must be zero.*\['a', 'b', 'c', 'd'\]"),
        (np.where(RING > 0, np.inf, 0), list("abcd"), "must be finite"),
    ],
)
def test_invalid_matrices_are_refused(matrix, ids, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WeightsError, match=message):
        SpatialWeights(matrix, ids)


def test_row_standardisation() -> None:
    c = RING.copy()
    c[0, 1] = 3.0
    c[1, 0] = 3.0
    w = SpatialWeights(c, list("abcd")).row_standardize()
    np.testing.assert_allclose(w.row_sums, 1.0)
    np.testing.assert_allclose(w.matrix.toarray(), c / c.sum(axis=1, keepdims=True))
    assert w.is_row_standardized and w.info["standardized"] == "row"


def test_islands_cannot_be_row_standardised() -> None:
    c = RING.copy()
    c[2, :] = 0
    c[:, 2] = 0
    w = SpatialWeights(c, list("abcd"))
    assert w.islands == ("c",)
    with pytest.raises(WeightsError, match=r"islands\): \['c'\]"):
        w.row_standardize()
    w.check(islands=True)


def test_symmetry_check_names_pairs() -> None:
    c = RING.copy()
    c[0, 1] = 2.0
    w = SpatialWeights(c, list("abcd"))
    assert not w.is_symmetric()
    with pytest.raises(WeightsError, match=r"not symmetric; e.g. pairs \[\('a', 'b'\)\]"):
        w.check(symmetric=True)


def test_align_reorders_and_refuses_mismatches() -> None:
    w = SpatialWeights(RING, list("abcd")).row_standardize()
    aligned = w.align(["d", "c", "b", "a"])
    assert aligned.ids == ("d", "c", "b", "a")
    np.testing.assert_allclose(aligned.to_frame().loc["a", "b"], w.to_frame().loc["a", "b"])
    with pytest.raises(WeightsError, match=r"of data not in W: \['e'\].*of W not in data: \['d'\]"):
        w.align(["a", "b", "c", "e"])


def test_subset_restandardises() -> None:
    w = vw.queen_provinces()
    coastal = ["13", "12", "37", "32", "31"]
    sub = w.subset(coastal)
    assert sub.ids == tuple(coastal) and sub.is_row_standardized
    # Hebei (13) keeps Tianjin and Shandong among the five
    assert sub.neighbors("13") == pytest.approx({"12": 0.5, "37": 0.5})
    with pytest.raises(WeightsError, match=r"subset ids not in W: \['54'\]"):
        w.subset(["11", "54"])


def test_eigenvalues_match_numpy_and_give_the_stable_interval() -> None:
    w = vw.queen_provinces()
    dense = np.sort(np.linalg.eigvals(w.matrix.toarray()).real)
    np.testing.assert_allclose(w.eigenvalues(), dense, atol=1e-10)
    lo, hi = w.stable_interval()
    assert lo == pytest.approx(1 / dense[0]) and hi == pytest.approx(1.0)


def test_symmetrising_scale_is_found_for_any_row_standardised_symmetric_matrix() -> None:
    w = vw.inverse_distance_provinces(power=2)
    plain = vw.from_sparse(w.matrix, w.ids)  # loses the builder's bookkeeping
    assert plain.has_real_spectrum()
    np.testing.assert_allclose(plain.eigenvalues(), w.eigenvalues(), atol=1e-12)


def test_large_matrices_use_sparse_eigensolvers_for_the_interval() -> None:
    side = 45  # 2,025 units > the dense limit
    edges = [(r * side + c, r * side + c + 1) for r in range(side) for c in range(side - 1)]
    edges += [(r * side + c, (r + 1) * side + c) for r in range(side - 1) for c in range(side)]
    w = vw.from_edges(edges, ids=list(range(side * side)))
    lo, hi = w.stable_interval()
    # rook lattice: eigenvalues of the row-standardised W are in [-1, 1] (bipartite graph)
    assert hi == pytest.approx(1.0, abs=1e-9) and lo == pytest.approx(-1.0, abs=1e-6)


def test_lag_of_a_series_aligns_by_id() -> None:
    w = SpatialWeights(RING, list("abcd")).row_standardize()
    x = pd.Series({"d": 4.0, "a": 1.0, "c": 3.0, "b": 2.0})
    lagged = w.lag(x)
    assert lagged["a"] == pytest.approx((2.0 + 4.0) / 2)
