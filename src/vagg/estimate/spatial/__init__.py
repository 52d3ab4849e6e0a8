"""vagg.estimate.spatial: maximum-likelihood spatial models and their effects.

:func:`spatial` fits SAR, SEM, SAC (SARAR), SDM and SDEM by maximum likelihood, in
cross-sections and in panels with individual, time or two-way fixed effects (with Lee & Yu's
correction on request), and paper 004's interaction model (a second spatial-lag term
ρ′·INTER×Wy). It returns a :class:`SpatialResult` whose ``effects`` are LeSage & Pace's
direct, indirect and total effects with simulated standard errors;
:func:`spatial_effects` computes the effects at given parameters.

Modules: :mod:`.design` (inputs → N × T arrays), :mod:`.logdet` (ln|I − ρW|),
:mod:`.likelihood` (the concentrated likelihood and its maximisation), :mod:`.information`
(variances), :mod:`.effects`, :mod:`.results`, :mod:`.api`.
"""

from .api import spatial
from .effects import SpatialEffects, spatial_effects
from .results import SpatialResult

__all__ = ["SpatialEffects", "SpatialResult", "spatial", "spatial_effects"]
