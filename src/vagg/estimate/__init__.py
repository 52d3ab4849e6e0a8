"""vagg.estimate: estimators that return :class:`~vagg.estimate.results.Result` objects."""

from .did import EventStudy, WaldTest, did_terms, event_study, psm_did
from .fixed_effects import feols
from .heterogeneity import Heterogeneity, heterogeneity
from .iv import iv
from .matching import Matching, psm
from .mediation import Mediation, SobelTest, mediation
from .moderation import Moderation, moderation
from .placebo import Placebo, placebo
from .results import NotAvailable, Result, SampleAccounting

__all__ = [
    "EventStudy",
    "Heterogeneity",
    "Matching",
    "Mediation",
    "Moderation",
    "NotAvailable",
    "Placebo",
    "Result",
    "SampleAccounting",
    "SobelTest",
    "WaldTest",
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
