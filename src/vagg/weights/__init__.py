"""vagg.weights: spatial weight matrices that carry their unit ids.

Every builder returns a :class:`SpatialWeights` (a sparse matrix plus the ids of its rows),
row-standardised unless ``standardize=None``:

* contiguity — :func:`queen_provinces` (the 30 provinces, Hainan linked to Guangdong by a
  switchable convention), :func:`from_edges` (your own neighbour list),
  :func:`queen_from_polygons` (your own polygons, through libpysal);
* distance — :func:`inverse_distance_provinces`, :func:`inverse_distance` (great-circle
  d^(−γ) with a cut-off), :func:`distance_km`;
* economic — :func:`economic_distance` (1/|ḡ_i − ḡ_j|), :func:`nested` (distance × economic);
* gravity — :func:`rd_personnel_flow`, :func:`rd_capital_flow` (paper 004's WFP and WFC),
  :func:`gravity_flow`;
* conversion — :func:`from_libpysal`, :func:`to_libpysal`, :func:`from_sparse`,
  :func:`to_sparse`, :func:`from_frame`.

The spatial estimators (:func:`vagg.spatial`) align W to the data by id and refuse, naming
the ids, when the two do not hold the same units.
"""

from .contiguity import HAINAN_LINKS, from_edges, queen_from_polygons, queen_provinces
from .convert import from_frame, from_libpysal, from_sparse, to_libpysal, to_sparse
from .core import SpatialWeights
from .distance import distance_km, inverse_distance, inverse_distance_provinces
from .economic import economic_distance, nested
from .errors import WeightsError
from .gravity import gravity_flow, rd_capital_flow, rd_personnel_flow

__all__ = [
    "HAINAN_LINKS",
    "SpatialWeights",
    "WeightsError",
    "distance_km",
    "economic_distance",
    "from_edges",
    "from_frame",
    "from_libpysal",
    "from_sparse",
    "gravity_flow",
    "inverse_distance",
    "inverse_distance_provinces",
    "nested",
    "queen_from_polygons",
    "queen_provinces",
    "rd_capital_flow",
    "rd_personnel_flow",
    "to_libpysal",
    "to_sparse",
]
