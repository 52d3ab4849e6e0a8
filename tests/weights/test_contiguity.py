"""Queen contiguity of the 30 provinces and of users' own units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vagg.weights as vw
from vagg.weights import WeightsError

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def test_land_links_are_the_touching_outlines_of_the_echarts_map() -> None:
    """64 land pairs among the 30 provinces (methods note §3.3: 68 for the 31, less Tibet's 4)."""
    reference = pd.read_csv(REFERENCE / "province_contiguity_echarts.csv", dtype=str)
    expected = {tuple(sorted(p)) for p in reference[["province_a", "province_b"]].to_numpy()}
    w = vw.queen_provinces(hainan_link=False, standardize=None)
    coo = w.matrix.tocoo()
    got = {(w.ids[i], w.ids[j]) for i, j in zip(coo.row, coo.col, strict=True) if i < j}
    assert got == expected and len(got) == 64
    assert w.is_symmetric()


def test_hainan_is_linked_to_guangdong_by_default() -> None:
    w = vw.queen_provinces(standardize=None)
    assert w.links == 2 * 65
    assert w.neighbors("46") == {"44": 1.0}
    assert w.info["hainan_link"] == "guangdong"
    std = vw.queen_provinces()
    assert std.is_row_standardized and std.neighbors("46") == {"44": 1.0}


def test_hainan_link_is_switchable() -> None:
    both = vw.queen_provinces(hainan_link="guangdong+guangxi", standardize=None)
    assert set(both.neighbors("46")) == {"44", "45"}
    none = vw.queen_provinces(hainan_link=False, standardize=None)
    assert none.islands == ("46",)
    with pytest.raises(WeightsError, match=r"islands\): \['46'\]"):
        vw.queen_provinces(hainan_link=False)
    with pytest.raises(WeightsError, match="hainan_link must be"):
        vw.queen_provinces(hainan_link="guangxi")


def test_province_subset_is_restandardised() -> None:
    w = vw.queen_provinces(provinces=["11", "12", "13"])
    assert w.ids == ("11", "12", "13")
    np.testing.assert_allclose(
        w.to_frame().to_numpy(), [[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]
    )


def test_edge_list_of_your_own_units() -> None:
    edges = pd.DataFrame({"from": ["a", "b", "c"], "to": ["b", "c", "a"]})
    w = vw.from_edges(edges, source="from", target="to", ids=["a", "b", "c", "d"], standardize=None)
    assert w.is_symmetric() and w.links == 6 and w.islands == ("d",)
    tuples = vw.from_edges([("a", "b", 2.0), ("b", "c", 1.0)])
    assert tuples.neighbors("b") == pytest.approx({"a": 2 / 3, "c": 1 / 3})


@pytest.mark.parametrize(
    ("edges", "kwargs", "message"),
    [
        ([("a", "a")], {}, r"its own neighbour: \['a'\]"),
        ([("a", "b"), ("a", "b")], {}, "listed more than once"),
        ([("a", "b", 1.0), ("b", "a", 2.0)], {}, "both ways with different weights"),
        ([("a", "b")], {"ids": ["a"]}, r"edges name ids not in ids=: \['b'\]"),
        ([], {}, "edge list is empty"),
    ],
)
def test_bad_edge_lists(edges, kwargs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WeightsError, match=message):
        vw.from_edges(edges, standardize=None, **kwargs)


def test_queen_from_polygons_agrees_with_libpysal() -> None:
    geopandas = pytest.importorskip("geopandas")
    libpysal = pytest.importorskip("libpysal")
    from libpysal import examples

    frame = geopandas.read_file(examples.get_path("columbus.shp"))
    w = vw.queen_from_polygons(frame, "POLYID", standardize=None)
    ref = libpysal.weights.Queen.from_dataframe(frame, ids=list(frame["POLYID"]), use_index=False)
    assert w.links == int(ref.s0) == 236
    for unit in (1, 20, 49):
        assert set(w.neighbors(unit)) == set(ref.neighbors[unit])
