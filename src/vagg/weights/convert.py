"""Conversion between :class:`SpatialWeights` and libpysal ``W``, scipy sparse and DataFrames.

libpysal is the reference implementation of spatial weights in Python (``Queen``, ``Rook``,
``KNN``, ``DistanceBand``, reading ``.gal``/``.gwt`` files); :func:`from_libpysal` brings any of
them in with their ids, and :func:`to_libpysal` hands a vagg matrix to spreg, esda or
splot. libpysal is imported only by :func:`to_libpysal` (and read through the object's
attributes by :func:`from_libpysal`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .core import SpatialWeights, Standardize, finish
from .errors import WeightsError

if TYPE_CHECKING:
    import libpysal

__all__ = ["from_frame", "from_libpysal", "from_sparse", "to_libpysal", "to_sparse"]


def from_libpysal(w: Any, *, name: str | None = None) -> SpatialWeights:
    """A :class:`SpatialWeights` from a libpysal ``W`` (its current transform, its id order).

    Parameters
    ----------
    w : libpysal.weights.W
        Any libpysal weights (``Queen``, ``Rook``, ``KNN``, ``DistanceBand``, a ``.gal`` file).
    name : str, optional
        A description (default: "libpysal <class>").

    Returns
    -------
    SpatialWeights
        The weights as they are (binary, row-standardised, …), ids ``w.id_order``. Islands
        are kept (see :attr:`SpatialWeights.islands`); the estimators refuse them.
    """
    if not hasattr(w, "sparse") or not hasattr(w, "id_order"):
        raise WeightsError(f"from_libpysal: expected a libpysal.weights.W; got {type(w).__name__}")
    matrix = sp.csr_array(w.sparse, dtype=np.float64)
    ids = list(w.id_order)
    transform = str(getattr(w, "transform", "O"))
    info = {"builder": "libpysal", "libpysal_transform": transform, "class": type(w).__name__}
    return SpatialWeights(matrix, tuple(ids), name or f"libpysal {type(w).__name__}", info)


def to_libpysal(weights: SpatialWeights) -> libpysal.weights.W:
    """A libpysal ``W`` with the same ids (``id_order``) and weights, e.g. for spreg or esda.

    Parameters
    ----------
    weights : SpatialWeights
        The matrix to convert.

    Returns
    -------
    libpysal.weights.W
        Transform ``"O"`` (original): the weights are those of ``weights``, standardised or
        not; rows without neighbours become libpysal islands.
    """
    return weights.to_libpysal()


def from_sparse(
    matrix: Any,
    ids: Sequence[Hashable],
    *,
    name: str = "W",
    standardize: Standardize = None,
) -> SpatialWeights:
    """A :class:`SpatialWeights` from a scipy sparse matrix (or dense array) and its row ids.

    Parameters
    ----------
    matrix : scipy sparse matrix or ndarray
        The n × n weights, rows in the order of ``ids``.
    ids : sequence of hashable
        One id per row.
    name : str
        A description.
    standardize : {None, "row"}
        Keep the weights as given (default) or row-standardise them.

    Returns
    -------
    SpatialWeights
    """
    if not sp.issparse(matrix) and not isinstance(matrix, np.ndarray):
        raise WeightsError(
            f"from_sparse: expected a scipy sparse matrix or array; got {type(matrix).__name__}"
        )
    return finish(matrix, list(ids), name, {"builder": "from_sparse"}, standardize)


def to_sparse(weights: SpatialWeights) -> sp.csr_array:
    """W as a scipy CSR array, rows and columns in the order of ``weights.ids``.

    Parameters
    ----------
    weights : SpatialWeights
        The matrix.

    Returns
    -------
    scipy.sparse.csr_array
        A copy.
    """
    return weights.to_sparse()


def from_frame(
    frame: pd.DataFrame,
    *,
    name: str = "W",
    standardize: Standardize = None,
) -> SpatialWeights:
    """A :class:`SpatialWeights` from a square DataFrame labelled by id on both axes.

    Parameters
    ----------
    frame : DataFrame
        w_ij in row i, column j; the columns are reordered to the index.
    name : str
        A description.
    standardize : {None, "row"}
        Keep the weights (default) or row-standardise them.

    Returns
    -------
    SpatialWeights

    Raises
    ------
    WeightsError
        When the index and the columns hold different ids, or weights are not numeric.
    """
    if not isinstance(frame, pd.DataFrame):
        raise WeightsError(f"from_frame: expected a DataFrame; got {type(frame).__name__}")
    if set(frame.index) != set(frame.columns) or len(frame.index) != len(frame.columns):
        raise WeightsError(
            f"{name}: the DataFrame must have the same ids as index and columns "
            f"({len(frame.index)} rows, {len(frame.columns)} columns)"
        )
    ordered = frame.loc[:, list(frame.index)]
    try:
        values = ordered.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{name}: weights must be numeric ({exc})") from exc
    return finish(values, list(frame.index), name, {"builder": "from_frame"}, standardize)
