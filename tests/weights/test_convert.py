"""Conversion between SpatialWeights, libpysal W, scipy sparse and DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import vagg.weights as vw
from vagg.weights import WeightsError


def test_libpysal_round_trip_keeps_ids_and_weights() -> None:
    pytest.importorskip("libpysal")
    w = vw.queen_provinces()
    lw = vw.to_libpysal(w)
    assert list(lw.id_order) == list(w.ids)
    assert lw.neighbors["46"] == ["44"]
    back = vw.from_libpysal(lw)
    assert back.ids == w.ids
    np.testing.assert_allclose(back.matrix.toarray(), w.matrix.toarray())
    assert back.has_real_spectrum()


def test_libpysal_queen_weights_come_in_with_their_ids() -> None:
    libpysal = pytest.importorskip("libpysal")
    from libpysal import examples

    lw = libpysal.weights.Queen.from_shapefile(
        examples.get_path("columbus.shp"), idVariable="POLYID"
    )
    lw.transform = "r"
    w = vw.from_libpysal(lw)
    assert w.ids == tuple(lw.id_order) and w.is_row_standardized
    assert w.info["libpysal_transform"] == "R"
    np.testing.assert_allclose(w.matrix.toarray(), lw.full()[0])


def test_sparse_and_frame_round_trips() -> None:
    w = vw.queen_provinces()
    s = vw.to_sparse(w)
    assert isinstance(s, sp.csr_array)
    again = vw.from_sparse(s, w.ids)
    np.testing.assert_allclose(again.matrix.toarray(), w.matrix.toarray())
    frame = w.to_frame()
    shuffled = frame.sample(frac=1.0, random_state=0)
    from_frame = vw.from_frame(shuffled)
    np.testing.assert_allclose(from_frame.align(w.ids).matrix.toarray(), w.matrix.toarray())


def test_frame_with_different_axes_is_refused() -> None:
    frame = pd.DataFrame(np.zeros((2, 2)), index=["a", "b"], columns=["a", "c"])
    with pytest.raises(WeightsError, match="same ids as index and columns"):
        vw.from_frame(frame)


def test_not_a_libpysal_w() -> None:
    with pytest.raises(WeightsError, match=r"expected a libpysal\.weights\.W"):
        vw.from_libpysal(np.eye(3))
