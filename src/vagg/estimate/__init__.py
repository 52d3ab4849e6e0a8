"""vagg.estimate: estimators that return :class:`~vagg.estimate.results.Result` objects."""

from .did import EventStudy, did_terms, event_study, psm_did
from .fixed_effects import feols
from .heterogeneity import Heterogeneity, heterogeneity
from .iv import iv
from .matching import Matching, psm
from .mediation import Mediation, mediation
from .moderation import Moderation, moderation
from .placebo import Placebo, placebo
from .results import HypothesisTest, NotAvailable, Result, SampleAccounting

__all__ = [
    "EventStudy",
    "Heterogeneity",
    "HypothesisTest",
    "Matching",
    "Mediation",
    "Moderation",
    "NotAvailable",
    "Placebo",
    "Result",
    "SampleAccounting",
    "did_terms",
    "event_study",
    "feols",
    "heterogeneity",
    "iv",
    "mediation",
    "moderation",
    "placebo",
    "psm",
    "psm_did",
]
