"""The Result of a linear fit on a prepared sample: one assembler for feols, iv, iv's first
stages and the pyfixest backend, so that every linear model reports the same fields."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vagg.estimate.diagnostics import Diagnostics
from vagg.estimate.linear.formula import ParsedFormula
from vagg.estimate.linear.sample import EstimationSample, VcovSpec
from vagg.estimate.linear.sandwich import SmallSample
from vagg.estimate.results import NotAvailable, Result

__all__ = ["make_result"]


def make_result(
    spec: ParsedFormula,
    vc: VcovSpec,
    s: EstimationSample,
    names: list[str],
    beta: np.ndarray,
    vcov: np.ndarray,
    small: SmallSample | None,
    r2: float | NotAvailable,
    adj_r2: float | NotAvailable,
    r2_within: float | NotAvailable,
    diagnostics: dict[str, Any],
    df_resid: float | None = None,
    *,
    model: str = "feols",
    formula: str | None = None,
    depvar: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Result:
    """The Result of a fit on the sample ``s`` (feols, iv and iv's first stages)."""
    n = len(s.y)
    sample = s.accounting
    diagnostics.setdefault("singletons_dropped", s.dropped.get("singleton_fe", 0))
    return Result(
        params=pd.Series(beta, index=names, dtype=float),
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        nobs=n,
        model=model,
        formula=spec.text if formula is None else formula,
        depvar=spec.depvar.label if depvar is None else depvar,
        extra={} if extra is None else extra,
        vcov_type=vc.kind,
        clusters=vc.clusters,
        n_clusters={c.name: c.n_levels for c in s.clusters},
        fixed_effects=spec.fe_labels,
        df_resid=float(small.df_resid) if small is not None else df_resid,
        r2=r2,
        adj_r2=adj_r2,
        r2_within=r2_within,
        diagnostics=Diagnostics.of(diagnostics),
        sample=sample,
    )
