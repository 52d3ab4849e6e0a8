"""Sun & Abraham (2021) interaction-weighted event study for staggered adoption.

Step 1 (SA eq. (16)): the saturated regression, estimated with vagg's :func:`feols`,

    y_it = α_i + λ_t + Σ_{e ∉ C} Σ_{l ≠ ref} δ_{e,l} 1{E_i = e} 1{t − E_i = l} + X_it'γ + ε_it,

with unit and period fixed effects, one coefficient per treated cohort e and relative period l
(the reference period ``ref``, −1 by default, is left out), and the comparison cohort C either
the never treated or the last-treated cohort (then the periods from its treatment on are
dropped). δ_{e,l} is the cohort-specific ATT CATT_{e,l} under parallel trends and no
anticipation (SA Prop. 3).

Step 2 (SA eq. (17)): the interaction-weighted effect per relative period

    ν̂_l = Σ_e δ̂_{e,l} ŝ_{e,l},   ŝ_{e,l} = P̂(E_i = e | E_i ∈ h_l),

the share of cohort e among the treated cohorts observed at relative period l (h_l).

Variance (SA Prop. 6): V(ν̂) = R V(δ̂) R' + V_s, with R the share matrix and V(δ̂) the
clustered regression vcov (the delta method with fixed weights, what fixest's ``sunab``
aggregation and pyfixest report), plus V_s, the variance from estimating the shares:
each share is a ratio of sample means, so ν̂_l's share part has influence function
ψ_{i,l} = 1{E_i ∈ h_l}(δ̂_{E_i,l} − ν̂_l)/P̂(E ∈ h_l), and V_s = n⁻² Σ_c S_c S_c' over clusters
(the term of ``eventstudyinteract``). The regression and share parts are treated as
asymptotically uncorrelated, as in SA. ``share_variance=False`` gives the first term only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from vagg.estimate.did.staggered_panel import (
    StaggeredDataError,
    StaggeredPanel,
    cluster_sums,
    staggered_panel,
)
from vagg.estimate.did.staggered_results import StaggeredEffects
from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas
from vagg.estimate.linear.fixed_effects import feols_quietly
from vagg.estimate.results import Result, SampleAccounting

__all__ = ["SunAbraham", "sun_abraham"]


def _rel_name(e: float, k: int) -> str:
    return f"sa_g{e:g}_" + (f"m{-k}" if k < 0 else f"p{k}")


@dataclass(eq=False)
class SunAbraham:
    """The interaction-weighted event study of :func:`sun_abraham`.

    ``effects`` holds ν̂_l by relative period (frame column ``rel_time``, uniform band by
    simulation from the joint normal); ``cohort_effects`` the δ̂_{e,l} with their SEs;
    ``weights`` the shares ŝ_{e,l}; ``regression`` the saturated :class:`Result`.
    """

    effects: StaggeredEffects
    cohort_effects: pd.DataFrame
    weights: pd.DataFrame
    regression: Result
    reference: tuple[int, ...]
    share_variance: bool
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def coefficients(self) -> pd.DataFrame:
        """One row per relative period: ν̂_l, SE, pointwise and uniform intervals."""
        return self.effects.frame

    def tidy(self) -> pd.DataFrame:
        return self.effects.frame

    def summary(self) -> str:
        return "\n".join(
            [
                f"Sun–Abraham interaction-weighted event study (reference {self.reference}, "
                f"share variance {'included' if self.share_variance else 'not included'})",
                self.effects.summary(),
            ]
        )

    def __repr__(self) -> str:
        return f"<SunAbraham periods={len(self.effects.frame)} n={self.regression.nobs}>"


def _long(panel: StaggeredPanel, y: str, unit: str, time: str) -> pd.DataFrame:
    n, k = panel.y.shape
    return pd.DataFrame(
        {
            unit: np.repeat(np.arange(n), k),
            time: np.tile(panel.times, n),
            y: panel.y.ravel(),
            "_cohort": np.repeat(panel.cohort, k),
        }
    )


def sun_abraham(
    data: Any,
    y: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    controls: Sequence[str] | None = None,
    reference: int | Sequence[int] = -1,
    control_cohort: Literal["never", "last"] = "never",
    cluster: str | None = None,
    share_variance: bool = True,
    ssc: str | Mapping[str, Any] | None = None,
    alpha: float = 0.05,
    reps: int = 9999,
    seed: int = 0,
) -> SunAbraham:
    """Interaction-weighted event study of Sun & Abraham (2021, J. Econometrics 225(2),
    175–199), eq. (16)–(17) and Prop. 6 (see the module docstring for the formulas).

    ``cohort`` is the first treated period (0 or missing: never treated), constant within
    units of a balanced panel; ``controls`` are time-varying covariates added linearly;
    ``reference`` the relative period(s) left out (−1); ``control_cohort`` ``"never"`` or
    ``"last"`` (the last-treated cohort; never-treated units are then left out and the periods
    from the last cohort's treatment dropped, both counted); ``cluster`` defaults to the unit;
    ``ssc`` is feols' small-sample convention; the uniform band uses ``reps`` draws of the
    joint normal of ν̂ (sup-t, Montiel Olea & Plagborg-Møller 2019).

    Raises :class:`~vagg.estimate.did.staggered_panel.StaggeredDataError` for the input
    problems of :func:`~vagg.estimate.did.callaway_santanna.callaway_santanna`, and
    :class:`EstimationError` when cohort × period terms are collinear with the fixed effects.
    """
    where = "sun_abraham"
    if control_cohort not in ("never", "last"):
        raise EstimationError(f"{where}: control_cohort={control_cohort!r}; use 'never' or 'last'")
    refs = (reference,) if isinstance(reference, int | np.integer) else tuple(reference)
    refs = tuple(int(r) for r in refs)
    frame = as_pandas(data)
    n_input = len(frame)
    dropped: dict[str, int] = {}
    if control_cohort == "last" and cohort in frame.columns:
        g = pd.to_numeric(frame[cohort], errors="coerce").fillna(0)
        never = (g == 0).to_numpy()
        if never.any():
            dropped["never_treated_left_out"] = int(never.sum())
            frame = frame.loc[~never]
    xs = list(controls or [])
    panel = staggered_panel(
        frame,
        where=where,
        y=y,
        unit=unit,
        time=time,
        cohort=cohort,
        x=xs,
        cluster=cluster,
        require_never=control_cohort == "never",
    )
    dropped.update(panel.dropped)
    long = _long(panel, y, unit, time)
    for j, name in enumerate(xs):
        assert panel.x is not None
        long[name] = panel.x[:, :, j].ravel()
    long["_cluster"] = np.repeat(panel.cluster, len(panel.times))
    rel = np.where(long["_cohort"] > 0, long[time] - long["_cohort"], np.nan)
    cells: list[tuple[float, int, str]] = []
    columns: dict[str, np.ndarray] = {}
    for e in panel.cohorts:
        mine = (long["_cohort"] == e).to_numpy()
        for lv in np.unique(rel[mine]).astype(int):
            if lv in refs:
                continue
            name = _rel_name(e, int(lv))
            columns[name] = (mine & (rel == lv)).astype(float)
            cells.append((float(e), int(lv), name))
    if not cells:
        raise StaggeredDataError(f"{where}: data: no cohort × relative-period cell to estimate")
    long = pd.concat([long, pd.DataFrame(columns)], axis=1)
    names = [c[2] for c in cells]
    formula = f"{y} ~ {' + '.join([*names, *xs])} | {unit} + {time}"
    reg = feols_quietly(formula, long, vcov={"CRV1": "_cluster"}, ssc=ssc)
    lost = [t for t in names if t not in reg.params.index]
    if lost:
        raise EstimationError(
            f"{where}: cohort × relative-period terms {lost[:5]} are collinear with the unit "
            "and period fixed effects (too few comparison units or periods)"
        )
    delta = reg.params[names].to_numpy()
    v_delta = reg.vcov.loc[names, names].to_numpy()
    cell_e = np.array([c[0] for c in cells])
    cell_l = np.array([c[1] for c in cells])
    levels = np.unique(cell_l)
    n = panel.n
    sizes = {float(e): float(np.sum(panel.cohort == e)) for e in panel.cohorts}
    r_mat = np.zeros((len(levels), len(cells)))
    share_inf = np.zeros((n, len(levels)))
    weight_rows: list[dict[str, float]] = []
    for j, lv in enumerate(levels):
        pick = np.flatnonzero(cell_l == lv)
        counts = np.array([sizes[cell_e[k]] for k in pick])
        shares = counts / counts.sum()
        r_mat[j, pick] = shares
        nu = float(shares @ delta[pick])
        p_h = counts.sum() / n
        for k, s in zip(pick, shares, strict=True):
            inside = panel.cohort == cell_e[k]
            share_inf[inside, j] = (delta[k] - nu) / p_h
            weight_rows.append({"cohort": cell_e[k], "rel_time": float(lv), "weight": float(s)})
    nu_all = r_mat @ delta
    vcov = r_mat @ v_delta @ r_mat.T
    if share_variance:
        s_c = cluster_sums(share_inf, panel.cluster, panel.n_clusters)
        vcov = vcov + s_c.T @ s_c / n**2
    se = np.sqrt(np.diag(vcov))
    rng = np.random.default_rng(seed)
    crit = float("nan")
    if reps > 0:
        draws = rng.multivariate_normal(np.zeros(len(levels)), vcov, size=reps, method="svd")
        crit = float(np.quantile(np.max(np.abs(draws) / se, axis=1), 1 - alpha))
    keys = pd.DataFrame(
        {"term": [f"rel{lv:+d}" for lv in levels], "rel_time": levels.astype(float)}
    )
    n_used = n * len(panel.times)
    sample = SampleAccounting(n_input, n_used, dropped)
    effects = StaggeredEffects.build(
        "dynamic",
        keys,
        nu_all,
        vcov,
        crit,
        alpha=alpha,
        nobs=n,
        n_clusters=panel.n_clusters,
        method="sun_abraham",
        sample=sample,
        notes=panel.notes,
    )
    cohort_effects = pd.DataFrame(
        {
            "term": names,
            "cohort": cell_e,
            "rel_time": cell_l.astype(float),
            "estimate": delta,
            "std_error": np.sqrt(np.diag(v_delta)),
        }
    )
    return SunAbraham(
        effects=effects,
        cohort_effects=cohort_effects,
        weights=pd.DataFrame(weight_rows),
        regression=reg,
        reference=refs,
        share_variance=share_variance,
        diagnostics={"cohorts": sizes, "never_treated_units": int((panel.cohort == 0).sum())},
    )
