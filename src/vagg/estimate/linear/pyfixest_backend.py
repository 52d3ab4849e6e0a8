"""``feols(..., backend="pyfixest")``: the estimation sample of :func:`vagg.estimate.feols`
fitted by ``pyfixest.feols``.

The sample (missing values, logs, lags, singletons) is built by vagg, so both backends use the
same rows; pyfixest then demeans (alternating projections, tolerance 1e-10), solves and computes
the covariance with its own code. The small-sample conventions map onto ``pyfixest.ssc``:

* ``"fixest"``: ``ssc()`` (pyfixest's defaults) — identical numbers;
* ``"linearmodels"``: ``ssc(k_fixef="full", G_df="conventional")`` (``"nonnested"`` for a
  single fixed effect nested in every cluster variable) — identical numbers;
* a ``pyfixest.ssc(...)`` dict: passed through;
* ``"stata"``: ``ssc(k_fixef="nonnested", G_df="min")``, the closest pyfixest setting. It counts
  one redundant level per fixed effect after the first, where reghdfe counts connected
  components and drops one more level when an effect is nested in the cluster variable, so the
  scale can differ slightly; ``diagnostics["ssc_note"]`` says so.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from vagg.estimate.linear.assemble import make_result
from vagg.estimate.results import NotAvailable, Result

__all__ = [
    "fit_with_pyfixest",
]

if TYPE_CHECKING:
    from vagg.estimate.linear.formula import ParsedFormula
    from vagg.estimate.linear.sample import EstimationSample, VcovSpec


def _pyfixest_ssc(
    ssc: str | dict[str, Any], s: EstimationSample
) -> tuple[dict[str, Any], str | None]:
    import pyfixest as pf

    from vagg.estimate.linear.sandwich import nested_in

    if isinstance(ssc, dict):
        return pf.ssc(**ssc), None
    if ssc == "fixest":
        return pf.ssc(), None
    if ssc == "plm":
        k_fixef = "nonnested" if s.vcov.kind == "iid" else "none"
        return pf.ssc(k_fixef=k_fixef, G_df="conventional"), None
    if ssc == "linearmodels":
        lone_nested = (
            len(s.effects) == 1
            and bool(s.clusters)
            and all(nested_in(s.effects[0], c) for c in s.clusters)
        )
        k_fixef = "nonnested" if lone_nested else "full"
        return pf.ssc(k_fixef=k_fixef, G_df="conventional"), None
    note = (
        "backend='pyfixest' approximates ssc='stata' by pyfixest.ssc(k_fixef='nonnested', "
        "G_df='min'); reghdfe's count of redundant fixed-effect levels may differ"
    )
    return pf.ssc(k_fixef="nonnested", G_df="min"), note


def fit_with_pyfixest(
    spec: ParsedFormula, vc: VcovSpec, ssc: str | dict[str, Any], s: EstimationSample
) -> Result:
    """Fit the prepared sample with ``pyfixest.feols`` and wrap the estimates in a Result."""
    import pyfixest as pf
    from pyfixest.demeaners import MapDemeaner

    has_fe = bool(s.effects)
    x_names = [n for n in s.names if n != "Intercept"]
    x_cols = [j for j, n in enumerate(s.names) if n != "Intercept"]
    frame = pd.DataFrame({"Y": s.y})
    for i, j in enumerate(x_cols):
        frame[f"X{i}"] = s.x[:, j]
    for i, e in enumerate(s.effects):
        frame[f"FE{i}"] = e.codes
    for i, c in enumerate(s.clusters):
        frame[f"CL{i}"] = c.codes
    if s.weights is not None:
        frame["W"] = s.weights
    rhs = " + ".join(f"X{i}" for i in range(len(x_cols))) or "1"
    if not has_fe and not spec.intercept:
        rhs += " - 1"
    fml = "Y ~ " + rhs
    if has_fe:
        fml += " | " + " + ".join(f"FE{i}" for i in range(len(s.effects)))
    vcov: Any = vc.kind
    if vc.kind == "CRV1":
        vcov = {"CRV1": "+".join(f"CL{i}" for i in range(len(s.clusters)))}
    ssc_dict, note = _pyfixest_ssc(ssc, s)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = pf.feols(
            fml,
            frame,
            vcov=vcov,
            weights="W" if s.weights is not None else None,
            ssc=ssc_dict,
            fixef_rm="none",
            demeaner=MapDemeaner(fixef_tol=1e-10),
        )
    rename = {f"X{i}": name for i, name in enumerate(x_names)}
    coef = fit.coef().rename(index=rename)
    names = list(coef.index)
    dropped = [n for n in s.names if n not in names]
    diagnostics: dict[str, Any] = {
        "backend": "pyfixest",
        "collinear_dropped": dropped,
        "pyfixest_ssc": dict(ssc_dict),
        "pyfixest_warnings": [str(w.message) for w in caught],
    }
    if note:
        diagnostics["ssc_note"] = note
    r2_within: float | NotAvailable = (
        float(fit._r2_within) if has_fe else NotAvailable("no fixed effects")
    )
    return make_result(
        spec,
        vc,
        s,
        names,
        coef.to_numpy(),
        np.asarray(fit._vcov),
        None,
        float(fit._r2),
        float(fit._adj_r2),
        r2_within,
        diagnostics,
        df_resid=float(fit._df_t),
    )
