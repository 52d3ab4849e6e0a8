"""vagg.estimate: estimators that return :class:`~vagg.estimate.results.Result` objects."""

from .fixed_effects import feols
from .iv import iv
from .matching import Matching, psm
from .results import NotAvailable, Result, SampleAccounting

__all__ = ["Matching", "NotAvailable", "Result", "SampleAccounting", "feols", "iv", "psm"]
