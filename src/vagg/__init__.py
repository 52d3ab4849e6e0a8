"""vagg: virtual agglomeration and exports.

Measures, estimators and end-to-end replications of five empirical studies of how firms
clustering on digital platforms changes exports, on a built-in synthetic economy or on a
user's own firm, customs, platform, input-output and regional data.

The public API is re-exported here and imported on first use, so ``import vagg`` (and the
command line) stays fast::

    import vagg
    res = vagg.feols("y ~ x | firm + year", df, vcov={"CRV1": "firm"})
    vagg.report.regression_table([res]).to_markdown()
"""

from __future__ import annotations

from ._lazy import lazy_exports
from ._version import __version__
from .measures import _API as _MEASURES_API

_API: dict[str, str] = {
    "feols": "vagg.estimate",
    "iv": "vagg.estimate",
    "stepwise": "vagg.estimate.linear.stepwise",
    "psm": "vagg.estimate",
    "psm_did": "vagg.estimate",
    "did_terms": "vagg.estimate",
    "event_study": "vagg.estimate",
    "callaway_santanna": "vagg.estimate",
    "sun_abraham": "vagg.estimate",
    "placebo": "vagg.estimate",
    "mediation": "vagg.estimate",
    "moderation": "vagg.estimate",
    "heterogeneity": "vagg.estimate",
    "projection_pursuit": "vagg.estimate.composite",
    "wild_bootstrap": "vagg.estimate.inference.wild_bootstrap",
    "spatial": "vagg.estimate.spatial",
    "spatial_effects": "vagg.estimate.spatial",
    "SpatialWeights": "vagg.weights",
    "fmols": "vagg.estimate.cointegration",
    "dols": "vagg.estimate.cointegration",
    "granger_dh": "vagg.estimate.causality",
    "convergence": "vagg.estimate.convergence",
    "Result": "vagg.estimate",
    "NotAvailable": "vagg.estimate",
    "HypothesisTest": "vagg.estimate",
    "VaggError": "vagg.errors",
    "regression_table": "vagg.report",
    "plot_placebo": "vagg.report",
    "plot_event_study": "vagg.report",
    "read_table": "vagg.data.io",
    "write_table": "vagg.data.io",
    "read_dataset": "vagg.data.io",
    "customs_cells": "vagg.measures.customs_cells",
    "ksw_quality": "vagg.measures.quality",
    "melitz_polanec": "vagg.measures.decomposition",
    "read_oecd_iot": "vagg.data.oecd_io",
    "digital_shifts": "vagg.data.oecd_io",
    "bartik_vagg": "vagg.measures.shift_share",
    "rotemberg_weights": "vagg.measures.rotemberg",
    "shift_share_se": "vagg.estimate.inference.shift_share",
    # every measure of paper 003 (resilience_firms), as listed by vagg.measures
    **_MEASURES_API,
}
_SUBMODULES = ("data", "estimate", "report", "engine", "weights")

__all__ = ["__version__", *sorted(_API), *_SUBMODULES]


__getattr__, __dir__ = lazy_exports(__name__, _API, globals(), _SUBMODULES)
