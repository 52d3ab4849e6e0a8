"""Composite indices: projection-pursuit evaluation with a real-coded accelerating genetic
algorithm (:mod:`.pursuit`; normalisation in :mod:`.normalise`, the index in :mod:`.index`,
the optimiser in :mod:`.raga`)."""

from vagg.estimate.composite.pursuit import ProjectionPursuit, projection_pursuit
from vagg.estimate.composite.raga import RagaOptions

__all__ = ["ProjectionPursuit", "RagaOptions", "projection_pursuit"]
