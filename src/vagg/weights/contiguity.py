"""Contiguity weights: the 30 provinces' queen contiguity, and any user's neighbour list.

Two units are queen-contiguous when they share a border point (libpysal's ``Queen``). The 30
provinces of papers 002 and 004 (mainland China without Tibet) have 64 pairs of land
neighbours, from :func:`vagg.data.geography.province_contiguity` (checked pair by pair
against the ECharts China map outlines). Hainan has no land neighbour; Chinese papers link it
to Guangdong by convention so that no row of a row-standardised W is empty (methods note
``regional_and_estimators.md`` §3.3: "Hainan: Guangdong (conventional link only; some papers
also add Guangxi)"). The link is on by default and switched off with ``hainan_link=False``
(then Hainan is an island and row standardisation refuses, naming it).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from vagg.data import geography

from .core import SpatialWeights, Standardize, finish
from .errors import WeightsError, ids_text

__all__ = ["HAINAN", "HAINAN_LINKS", "from_edges", "queen_from_polygons", "queen_provinces"]

HAINAN = "46"
"""GB/T 2260 code of Hainan."""

HAINAN_LINKS: dict[str, tuple[str, ...]] = {
    "guangdong": ("44",),
    "guangdong+guangxi": ("44", "45"),
}
"""The conventional links of Hainan: to Guangdong (default), or to Guangdong and Guangxi."""


def queen_provinces(
    *,
    hainan_link: bool | str = True,
    provinces: Iterable[str] | None = None,
    standardize: Standardize = "row",
) -> SpatialWeights:
    """Queen contiguity of the 30 provinces of papers 002 and 004.

    c_ij = 1 when provinces i and j share a land border, else 0 (64 pairs among the 30
    provinces; the 68 land links of the 31 mainland provinces less Tibet's four), plus the
    conventional Hainan link. W = D⁻¹C when ``standardize="row"``.

    Parameters
    ----------
    hainan_link : bool or {"guangdong", "guangdong+guangxi"}
        Link Hainan (46) to Guangdong (44) by convention (``True``, the default, = "guangdong"),
        also to Guangxi (45) ("guangdong+guangxi"), or not at all (``False``: Hainan is then an
        island, which row standardisation and the estimators refuse).
    provinces : iterable of str, optional
        Codes of a subset (e.g. the coastal provinces); the block among them is returned and
        re-standardised. Default: all 30, ordered by code.
    standardize : {"row", None}
        Row-standardise (default) or keep the binary matrix.

    Returns
    -------
    SpatialWeights
        Ids are the GB/T 2260 codes ("11" … "65"); ``info`` records the Hainan convention.

    References
    ----------
    Methods note ``regional_and_estimators.md`` §3.3; :mod:`vagg.data.geography` (sources of
    the borders). Design: design.md "Real geography".
    """
    if hainan_link is True:
        hainan_link = "guangdong"
    if hainan_link is not False and hainan_link not in HAINAN_LINKS:
        raise WeightsError(
            f"queen_provinces: hainan_link must be True, False or one of {sorted(HAINAN_LINKS)}; "
            f"got {hainan_link!r}"
        )
    contiguity = geography.contiguity_matrix(include_convention=False)
    codes = [str(c) for c in contiguity.index]
    matrix = contiguity.to_numpy(dtype=float, copy=True)
    if hainan_link is not False:
        h = codes.index(HAINAN)
        for other in HAINAN_LINKS[str(hainan_link)]:
            j = codes.index(other)
            matrix[h, j] = matrix[j, h] = 1.0
    info = {
        "builder": "queen_provinces",
        "hainan_link": hainan_link if hainan_link is not False else "none",
        "source": "vagg.data.geography land borders (30 provinces, Tibet excluded)",
    }
    weights = finish(matrix, codes, "queen contiguity (30 provinces)", info, None)
    if provinces is not None:
        return weights.subset([str(p) for p in provinces], standardize=standardize)
    return weights.row_standardize() if standardize == "row" else weights


def from_edges(
    edges: Any,
    *,
    ids: Sequence[Hashable] | None = None,
    source: str = "source",
    target: str = "target",
    weight: str | None = None,
    symmetric: bool = True,
    standardize: Standardize = "row",
    name: str = "contiguity (edge list)",
) -> SpatialWeights:
    """A weight matrix from a list of neighbour pairs: your own units' contiguity.

    Parameters
    ----------
    edges : DataFrame or iterable of pairs
        One row per link, with columns ``source`` and ``target`` (ids) and optionally
        ``weight``; or an iterable of ``(i, j)`` / ``(i, j, w)`` tuples.
    ids : sequence, optional
        All units in the order wanted, including any without a link (otherwise: the ids
        seen in the edges, sorted). Ids in edges but not in ``ids`` are an error.
    symmetric : bool
        Add j→i for every i→j (default: contiguity is mutual). A pair listed both ways with
        different weights is then an error.
    standardize : {"row", None}
        Row-standardise (default; refuses islands, naming them) or keep the weights.

    Returns
    -------
    SpatialWeights
    """
    frame = _edge_frame(edges, source, target, weight)
    if frame[["source", "target"]].isna().any().any():
        raise WeightsError(f"{name}: edge list has missing ids")
    loops = frame.loc[frame["source"] == frame["target"], "source"].tolist()
    if loops:
        raise WeightsError(f"{name}: a unit cannot be its own neighbour: {ids_text(loops)}")
    seen = pd.Index(pd.concat([frame["source"], frame["target"]]).unique())
    if ids is None:
        order = list(seen.sort_values())
    else:
        order = list(ids)
        unknown = list(seen.difference(pd.Index(order)))
        if unknown:
            raise WeightsError(f"{name}: edges name ids not in ids=: {ids_text(unknown)}")
    position = pd.Index(order)
    if position.has_duplicates:
        raise WeightsError(
            f"{name}: ids= repeats {ids_text(list(position[position.duplicated()]))}"
        )
    rows = position.get_indexer(frame["source"])
    cols = position.get_indexer(frame["target"])
    values = frame["weight"].to_numpy(dtype=float)
    if np.any(~np.isfinite(values)) or np.any(values < 0):
        raise WeightsError(f"{name}: edge weights must be finite and non-negative")
    duplicated = frame.duplicated(["source", "target"], keep=False)
    if duplicated.any():
        pairs = list(frame.loc[duplicated, ["source", "target"]].itertuples(index=False, name=None))
        raise WeightsError(f"{name}: pairs listed more than once: {ids_text(pairs)}")
    n = len(order)
    matrix = sp.coo_array((values, (rows, cols)), shape=(n, n)).tocsr()
    if symmetric:
        both = matrix.multiply(matrix.T) != 0
        mismatch = (matrix - matrix.T).multiply(both)
        if mismatch.nnz and np.max(np.abs(mismatch.data)) > 0:
            coo = mismatch.tocoo()
            pairs = [(order[i], order[j]) for i, j in zip(coo.row, coo.col, strict=True) if i < j]
            raise WeightsError(
                f"{name}: pairs listed both ways with different weights: {ids_text(pairs)}"
            )
        matrix = matrix.maximum(matrix.T)
    info = {"builder": "from_edges", "symmetric": symmetric, "links": int(matrix.nnz)}
    return finish(matrix, order, name, info, standardize)


def _edge_frame(edges: Any, source: str, target: str, weight: str | None) -> pd.DataFrame:
    if isinstance(edges, pd.DataFrame):
        for column in (source, target) + ((weight,) if weight else ()):
            if column not in edges.columns:
                raise WeightsError(f"from_edges: column {column!r} is not in the edge table")
        frame = pd.DataFrame({"source": edges[source], "target": edges[target]})
        frame["weight"] = edges[weight].to_numpy(dtype=float) if weight else 1.0
        return frame.reset_index(drop=True)
    rows = [tuple(edge) for edge in edges]
    if not rows:
        raise WeightsError("from_edges: the edge list is empty")
    lengths = {len(r) for r in rows}
    if lengths - {2, 3} or len(lengths) != 1:
        raise WeightsError("from_edges: give pairs (i, j) or triples (i, j, w), all of one kind")
    frame = pd.DataFrame(rows, columns=["source", "target", "weight"][: lengths.pop()])
    if "weight" not in frame:
        frame["weight"] = 1.0
    return frame


def queen_from_polygons(
    polygons: Any,
    id_column: str,
    *,
    standardize: Standardize = "row",
    name: str = "queen contiguity",
) -> SpatialWeights:
    """Queen contiguity of your own polygons (a GeoDataFrame), through libpysal.

    libpysal's ``Queen.from_dataframe`` finds the units sharing at least one boundary point;
    this wraps its result with the ids of ``id_column``.

    Parameters
    ----------
    polygons : GeoDataFrame
        One polygon per unit.
    id_column : str
        The column of unit ids.
    standardize : {"row", None}
        Row-standardise (default; islands such as offshore units are refused, named — link
        them with :func:`from_edges`) or keep the binary matrix.
    name : str
        A description.

    Returns
    -------
    SpatialWeights
    """
    from libpysal.weights import Queen

    if id_column not in polygons.columns:
        raise WeightsError(f"queen_from_polygons: column {id_column!r} is not in the table")
    ids = list(polygons[id_column])
    w = Queen.from_dataframe(polygons, ids=ids, use_index=False, silence_warnings=True)
    from .convert import from_libpysal

    binary = from_libpysal(w, name=name)
    info = {**binary.info, "builder": "queen_from_polygons"}
    return finish(binary.align(ids, what="polygons").matrix, ids, name, info, standardize)
