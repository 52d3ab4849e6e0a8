"""Callaway & Sant'Anna (2021) group-time average treatment effects for staggered adoption.

With cohorts g (the first treated period) and periods t of a balanced panel, the ATT of
cohort g in period t is identified under parallel trends by a 2×2 DID (CS 2021, Thm 1):

    ATT(g,t) = E[Y_t − Y_b | G = g] − E[Y_t − Y_b | C],

with base period b = g − δ − 1 (δ = anticipation) for t ≥ g − δ and, before, b = t − 1
(``base_period="varying"``) or b = g − δ − 1 (``"universal"``, where ATT(g, b) = 0), and the
comparison group C the never-treated units (``control="never"``, eq. (2.6)) or the units not
yet treated by max(t, b) + δ (``"notyet"``, eq. (2.7)). Covariates enter each 2×2 DID by
outcome regression, IPW or doubly robust estimation (:mod:`.drdid_panel`), measured in the
earlier of the two periods as R ``did`` does. Each cell's influence function ψ_{gt} lives on
all n units (n/n₁ times the 2×2 one on its n₁ units, 0 elsewhere), so joint inference,
aggregations (:mod:`.cs_aggregate`) and the pre-trend test use one n × K matrix.

Reference implementation: R ``did`` 2.x (``att_gt``, ``aggte``); the Python port ``csdid``
agrees to rounding (tests/estimate/did).
"""

from __future__ import annotations

import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from vagg.estimate.did.cs_aggregate import Aggregation, aggregate_effects
from vagg.estimate.did.drdid_panel import ESTIMATORS
from vagg.estimate.did.staggered_panel import StaggeredDataError, StaggeredPanel, staggered_panel
from vagg.estimate.did.staggered_results import Multiplier, StaggeredEffects, if_inference
from vagg.estimate.errors import EstimationError
from vagg.estimate.results import HypothesisTest, SampleAccounting

__all__ = ["CallawaySantAnna", "callaway_santanna"]

Method = Literal["dr", "ipw", "reg", "dr_imp"]


@dataclass
class _Cells:
    group: np.ndarray
    time: np.ndarray
    base: np.ndarray
    att: np.ndarray
    inf: np.ndarray  # n × K
    n_treated: np.ndarray
    n_control: np.ndarray


def _last_pre(g: float, times: np.ndarray, anticipation: int) -> int:
    return int(np.flatnonzero(times + anticipation < g)[-1])


def _estimate_cells(
    panel: StaggeredPanel,
    *,
    control: str,
    method: str,
    anticipation: int,
    base_period: str,
) -> _Cells:
    times, y, gu = panel.times, panel.y, panel.cohort
    n = panel.n
    estimator = ESTIMATORS[method]
    w_all = np.ones(n)
    rows: list[tuple[float, float, float, float, int, int]] = []
    infs: list[np.ndarray] = []
    varying = base_period == "varying"
    for g in panel.cohorts:
        pre_g = _last_pre(g, times, anticipation)
        for tn_idx in range(1 if varying else 0, len(times)):
            tn = times[tn_idx]
            if g - anticipation <= tn or not varying:
                b_idx = pre_g
            else:
                b_idx = tn_idx - 1
            if b_idx == tn_idx:  # universal base period: the normalised cell
                rows.append((g, tn, times[b_idx], 0.0, 0, 0))
                infs.append(np.zeros(n))
                continue
            treated = gu == g
            if control == "never":
                comp = gu == 0
            else:
                threshold = times[max(tn_idx, b_idx)] + anticipation
                comp = (gu == 0) | ((gu > threshold) & ~treated)
            mask = treated | comp
            n1 = int(mask.sum())
            d = treated[mask].astype(float)
            dy = y[mask, tn_idx] - y[mask, b_idx]
            # fresh C-ordered designs: numpy's matmul is slow on strided (n, 1) views
            x = np.ones((n1, 1 if panel.x is None else 1 + panel.x.shape[2]))
            if panel.x is not None:
                x[:, 1:] = panel.x[mask, min(tn_idx, b_idx), :]
            try:
                att, psi = estimator(dy, d, x, w_all[:n1])
            except EstimationError as err:
                raise EstimationError(
                    f"callaway_santanna: cohort {g:g}, period {tn:g} (base {times[b_idx]:g}, "
                    f"{int(treated.sum())} treated, {int(comp.sum())} comparison units): {err}; "
                    "drop the cohort, use fewer covariates or method='reg'"
                ) from None
            full = np.zeros(n)
            full[mask] = (n / n1) * psi
            rows.append((g, tn, times[b_idx], att, int(treated.sum()), int(comp.sum())))
            infs.append(full)
    arr = np.array(rows, dtype=float)
    return _Cells(
        group=arr[:, 0],
        time=arr[:, 1],
        base=arr[:, 2],
        att=arr[:, 3],
        inf=np.column_stack(infs),
        n_treated=arr[:, 4].astype(int),
        n_control=arr[:, 5].astype(int),
    )


@dataclass(eq=False)
class CallawaySantAnna:
    """ATT(g,t) of :func:`callaway_santanna` with their influence functions.

    ``att_gt`` is the :class:`StaggeredEffects` of the cells (frame columns ``cohort``,
    ``time``, ``base``, ``event_time``, ``post``, ``n_treated``, ``n_control``, estimate,
    se, pointwise and uniform intervals); :meth:`aggregate` gives the ``simple``, ``group``,
    ``dynamic`` and ``calendar`` summaries; :meth:`pretrend_test` the Wald test of the
    pre-treatment cells.
    """

    att_gt_effects: StaggeredEffects
    influence: np.ndarray
    panel: StaggeredPanel
    options: dict[str, Any]
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def att_gt(self) -> pd.DataFrame:
        """One row per (cohort, period): the ATT(g,t) frame."""
        return self.att_gt_effects.frame

    def aggregate(
        self,
        kind: Aggregation = "dynamic",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
        bootstrap: int | None = None,
        seed: int | None = None,
    ) -> StaggeredEffects:
        """Aggregate the ATT(g,t) (see :func:`~vagg.estimate.did.cs_aggregate.aggregate_effects`
        for the weights and their influence functions); ``bootstrap`` and ``seed`` default to
        those of the fit."""
        o = self.options
        return aggregate_effects(
            self.att_gt,
            self.influence,
            self.panel,
            kind,
            min_e=min_e,
            max_e=max_e,
            balance_e=balance_e,
            alpha=o["alpha"],
            reps=o["bootstrap"] if bootstrap is None else bootstrap,
            weights=o["multiplier"],
            seed=o["seed"] if seed is None else seed,
            method=o["method"],
            sample=self.att_gt_effects.sample,
        )

    def pretrend_test(self) -> HypothesisTest:
        """Wald test that the ATT(g,t) of all pre-treatment cells (t < g − anticipation, with a
        positive variance) are zero: W = θ̂'V̂⁻¹θ̂ ~ χ²(q), V̂ the clustered influence-function
        variance (R ``did``'s ``W`` for unit clustering); a singular V̂ is an error."""
        f = self.att_gt
        pre = (f["time"] + self.options["anticipation"] < f["cohort"]).to_numpy()
        se = f["std_error"].to_numpy()
        pick = pre & np.isfinite(se) & (se > 0)
        if not pick.any():
            raise EstimationError("callaway_santanna: no pre-treatment ATT(g,t) to test")
        terms = list(f.loc[pick, "term"])
        b = f.loc[pick, "estimate"].to_numpy()
        v = self.att_gt_effects.vcov.loc[terms, terms].to_numpy()
        q = len(terms)
        if np.linalg.matrix_rank(v) < q:
            raise EstimationError(
                f"callaway_santanna: the variance of the {q} pre-treatment ATT(g,t) is "
                f"singular (rank {np.linalg.matrix_rank(v)}); no Wald pre-trend test (R did "
                "returns none either); test fewer cells, e.g. with base_period='universal'"
            )
        w = float(b @ np.linalg.solve(v, b))
        return HypothesisTest.chi2("pre-trend Wald", w, q, "ATT(g,t) = 0 for t < g", tuple(terms))

    def summary(self) -> str:
        o = self.options
        lines = [
            f"Callaway–Sant'Anna ATT(g,t): method {o['method']}, control {o['control']}, "
            f"base period {o['base_period']}, anticipation {o['anticipation']}",
            self.att_gt_effects.summary(),
        ]
        try:
            lines.append(f"Pre-trend test: {self.pretrend_test()}")
        except EstimationError:
            pass
        simple = self.aggregate("simple", bootstrap=0)
        assert simple.overall is not None
        lines.append("Overall ATT (simple):")
        lines.append(simple.overall.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CallawaySantAnna cells={len(self.att_gt)} n={self.panel.n}>"


def callaway_santanna(
    data: Any,
    y: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    x: Sequence[str] | None = None,
    control: Literal["never", "notyet"] = "never",
    method: Method = "dr",
    anticipation: int = 0,
    base_period: Literal["varying", "universal"] = "varying",
    cluster: str | None = None,
    bootstrap: int = 999,
    multiplier: Multiplier = "mammen",
    alpha: float = 0.05,
    seed: int = 0,
    min_units: int = 1,
) -> CallawaySantAnna:
    """Group-time ATTs of Callaway & Sant'Anna (2021, J. Econometrics 225(2), 200–230).

    ATT(g,t) = E[Y_t − Y_b | G = g] − E[Y_t − Y_b | C] for every treated cohort g and period
    t (CS eq. (2.6)–(2.7); base period b and comparison group C as in the module docstring),
    each a 2×2 DID by ``method``: ``"reg"`` (outcome regression), ``"ipw"`` (normalised IPW,
    Abadie 2005), ``"dr"`` (doubly robust, Sant'Anna & Zhao 2020 eq. (3.1): R ``did``'s
    default) or ``"dr_imp"`` (their improved locally efficient DR, eq. (3.4)). Without
    covariates ``x`` the four coincide.

    Parameters
    ----------
    data : pandas or polars DataFrame, a balanced panel (one row per unit and period).
    y, unit, time, cohort : columns; ``cohort`` is the unit's first treated period, constant
        within the unit, 0 or missing for never treated.
    x : covariate columns (measured in the earlier period of each 2×2 comparison).
    control : ``"never"`` (never-treated units) or ``"notyet"`` (also units not yet treated).
    anticipation : δ ≥ 0 periods of anticipation (CS Assumption 3).
    base_period : ``"varying"`` (pre-periods compare t with t − 1) or ``"universal"``.
    cluster : column of clusters nesting units (default: the unit).
    bootstrap : multiplier-bootstrap draws for the uniform band (0: none);
        ``multiplier`` ``"mammen"`` (R ``did``) or ``"rademacher"``; ``seed`` for the draws.
    alpha : 1 − coverage of the pointwise and uniform intervals.
    min_units : the fewest units a cohort (and the never-treated group) may have.

    Standard errors are the clustered influence-function ones (R ``did`` with
    ``bstrap=FALSE``); the uniform band uses the multiplier bootstrap
    (:mod:`.staggered_results`). Units treated in the first period are dropped and counted.

    Raises :class:`~vagg.estimate.did.staggered_panel.StaggeredDataError` for an unbalanced
    panel, a cohort varying within a unit or not among the periods, missing values, no
    never-treated units with ``control="never"`` and too-small cohorts.
    """
    where = "callaway_santanna"
    started = _time.perf_counter()
    if control not in ("never", "notyet"):
        raise EstimationError(f"{where}: control={control!r}; use 'never' or 'notyet'")
    if method not in ESTIMATORS:
        raise EstimationError(f"{where}: method={method!r}; use one of {sorted(ESTIMATORS)}")
    if base_period not in ("varying", "universal"):
        raise EstimationError(f"{where}: base_period={base_period!r}; use 'varying' or 'universal'")
    if multiplier not in ("mammen", "rademacher"):
        raise EstimationError(f"{where}: multiplier={multiplier!r}; use 'mammen' or 'rademacher'")
    if not 0 < alpha < 1:
        raise EstimationError(f"{where}: alpha={alpha!r} must be in (0, 1)")
    panel = staggered_panel(
        data,
        where=where,
        y=y,
        unit=unit,
        time=time,
        cohort=cohort,
        x=x,
        cluster=cluster,
        anticipation=anticipation,
        require_never=control == "never",
        min_units=min_units,
    )
    if panel.n_clusters < 2:
        raise StaggeredDataError(f"{where}: data: column {cluster!r} has a single cluster")
    cells = _estimate_cells(
        panel, control=control, method=method, anticipation=anticipation, base_period=base_period
    )
    is_base = cells.time == cells.base
    rng = np.random.default_rng(seed)
    vcov, crit = if_inference(
        cells.inf,
        panel.cluster,
        panel.n_clusters,
        reps=bootstrap,
        weights=multiplier,
        alpha=alpha,
        rng=rng,
    )
    vcov[is_base, :] = np.nan
    vcov[:, is_base] = np.nan
    keys = pd.DataFrame(
        {
            "term": [f"ATT({g:g},{t:g})" for g, t in zip(cells.group, cells.time, strict=True)],
            "cohort": cells.group,
            "time": cells.time,
            "base": cells.base,
            "event_time": cells.time - cells.group,
            "post": cells.time >= cells.group,
            "n_treated": cells.n_treated,
            "n_control": cells.n_control,
        }
    )
    n_used = panel.n * len(panel.times)
    sample = SampleAccounting(panel.n_input_rows, n_used, dict(panel.dropped))
    effects = StaggeredEffects.build(
        "att_gt",
        keys,
        cells.att,
        vcov,
        crit,
        alpha=alpha,
        nobs=panel.n,
        n_clusters=panel.n_clusters,
        method=method,
        sample=sample,
        notes=panel.notes,
    )
    return CallawaySantAnna(
        att_gt_effects=effects,
        influence=cells.inf,
        panel=panel,
        options={
            "method": method,
            "control": control,
            "anticipation": anticipation,
            "base_period": base_period,
            "alpha": alpha,
            "bootstrap": bootstrap,
            "multiplier": multiplier,
            "seed": seed,
            "cluster": cluster or unit,
        },
        diagnostics={
            "seconds": _time.perf_counter() - started,
            "cohorts": {float(g): int((panel.cohort == g).sum()) for g in panel.cohorts},
            "never_treated_units": int((panel.cohort == 0).sum()),
            "cells": len(cells.att),
        },
    )
