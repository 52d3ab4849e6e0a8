"""vagg.estimate: estimators that return :class:`~vagg.estimate.results.Result` objects.

One sub-package per model family, as linearmodels does: ``linear`` (feols, iv, weak-IV),
``matching`` (PSM, IPW), ``did`` (PSM-DID, event studies, the staggered DID of
Callaway–Sant'Anna and Sun–Abraham), ``inference`` (placebo and permutation), ``mechanisms``
(mediation, moderation, heterogeneity). ``results`` holds the one Result and the one
HypothesisTest type; ``errors`` the estimators' error class.
"""

from vagg.estimate.did.callaway_santanna import CallawaySantAnna, callaway_santanna
from vagg.estimate.did.event_study import EventStudy, event_study
from vagg.estimate.did.psm_did import did_terms, psm_did
from vagg.estimate.did.staggered_panel import StaggeredDataError
from vagg.estimate.did.staggered_results import StaggeredEffects
from vagg.estimate.did.sun_abraham import SunAbraham, sun_abraham
from vagg.estimate.inference.placebo import Placebo, placebo
from vagg.estimate.linear.fixed_effects import feols
from vagg.estimate.linear.iv import iv
from vagg.estimate.matching.psm import Matching, psm
from vagg.estimate.mechanisms.heterogeneity import Heterogeneity, heterogeneity
from vagg.estimate.mechanisms.mediation import Mediation, mediation
from vagg.estimate.mechanisms.moderation import Moderation, moderation
from vagg.estimate.results import HypothesisTest, NotAvailable, Result, SampleAccounting

__all__ = [
    "CallawaySantAnna",
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
    "StaggeredDataError",
    "StaggeredEffects",
    "SunAbraham",
    "callaway_santanna",
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
    "sun_abraham",
]
