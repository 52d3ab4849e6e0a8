"""Mediation: Baron–Kenny with Sobel and cluster-bootstrap tests of the indirect effect.

Methods notes §10.1 (paper 000 Tables 6–7: virtual agglomeration → markup /
relative price of domestic inputs → DVAR; paper 004 eq. (21)–(23): Internet → allocation
efficiency → export sophistication). Three regressions on one sample with the same controls and
fixed effects::

    (1) Y = c·X  + C'γ₁ + e₁            total effect c
    (2) M = a·X  + C'γ₂ + e₂            effect of the treatment on the mediator a
    (3) Y = c′·X + b·M + C'γ₃ + e₃      direct effect c′, effect of the mediator b

The indirect effect is a·b. For least squares on one sample with one set of controls, fixed
effects and weights, **c = c′ + a·b exactly**: the OLS coefficient on X of a regression on
(X, C) is linear in the dependent variable, so projecting (3) on (X, C) gives
c = c′ + b·a + (coefficient of e₃ on X) and the last term is zero because e₃ is orthogonal to
X and C by the normal equations of (3). Absorbed fixed effects are part of C (Frisch–Waugh–
Lovell), so the identity holds with them too. It fails when the three samples differ (rows
missing in M only), when the controls or fixed effects differ between equations, or for
non-linear models (logit, Poisson), whose coefficients are not linear projections. This is
why :func:`mediation` drops the rows unusable in *any* equation before fitting all three.

Moderation (interaction models, raw and mean-centred) is in
:mod:`vagg.estimate.mechanisms.moderation`.

References: Baron & Kenny (1986); Sobel (1982); MacKinnon, Lockwood & Williams (2004);
Wen Zhonglin, Chang, Hau & Liu (2004); Wen Zhonglin & Ye Baojuan (2014), 心理科学进展 22(5).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vagg.engine import run_tasks
from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas, require_columns
from vagg.estimate.linear.fixed_effects import estimation_rows, feols
from vagg.estimate.linear.formula import (
    check_controls,
    control_terms,
    fe_text,
    formula_text,
    parse_formula,
)
from vagg.estimate.linear.sample import restamp_accounting
from vagg.estimate.mechanisms.moderation import Moderation, moderation
from vagg.estimate.results import HypothesisTest, NotAvailable, Result, SampleAccounting

# also importable from here: estimation_rows (vagg.estimate.linear.sample), fe_text (.formula),
# run_tasks (vagg.engine), Moderation and moderation (.moderation)
__all__ = [
    "Mediation",
    "Moderation",
    "estimation_rows",
    "fe_text",
    "mediation",
    "moderation",
    "run_tasks",
]

_CHUNK = 25  # bootstrap replications per task handed to an engine


# --------------------------------------------------------------------------- helpers
def _merge_dropped(*parts: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in parts:
        for key, value in part.items():
            if value:
                out[key] = out.get(key, 0) + int(value)
    return out


def _fit(formula: str, frame: pd.DataFrame, where: str, **kwargs: Any) -> Result:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = feols(formula, frame, **kwargs)
        except EstimationError as err:
            raise EstimationError(f"{where}: {err}") from err
    for w in caught:
        if not str(w.message).startswith("dropped collinear regressors"):
            warnings.warn(w.message, w.category, stacklevel=3)
    return result


def _need_term(result: Result, term: str, role: str) -> None:
    if term not in result.params.index:
        why = (result.diagnostics.collinear_reasons or {}).get(term, "not estimated")
        raise EstimationError(
            f"mediation: {role} {term!r} cannot be estimated in {result.formula!r}: {why}"
        )


# --------------------------------------------------------------------------- mediation
@dataclass(frozen=True)
class _BootstrapTask:
    frame: pd.DataFrame
    mediator_formula: str
    outcome_formula: str
    treatment: str
    mediator: str
    weights: str | None
    cluster_codes: np.ndarray


def _bootstrap_chunk(
    seeds: tuple[np.random.SeedSequence, ...], shared: _BootstrapTask
) -> np.ndarray:
    """a·b on cluster-bootstrap resamples, one per seed (NaN where a resample cannot be fit)."""
    task = shared
    members = pd.Series(np.arange(len(task.cluster_codes))).groupby(task.cluster_codes).indices
    clusters = [members[g] for g in sorted(members)]
    out = np.full(len(seeds), np.nan)
    for r, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        draw = rng.integers(0, len(clusters), len(clusters))
        rows = np.concatenate([clusters[g] for g in draw])
        sample = task.frame.iloc[rows].reset_index(drop=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit_a = feols(task.mediator_formula, sample, vcov="iid", weights=task.weights)
                fit_b = feols(task.outcome_formula, sample, vcov="iid", weights=task.weights)
            out[r] = fit_a.params[task.treatment] * fit_b.params[task.mediator]
        except (EstimationError, KeyError, np.linalg.LinAlgError):
            continue
    return out


@dataclass(eq=False)
class Mediation:
    """Baron–Kenny mediation estimates (see :func:`mediation`).

    ``results`` holds the Results of equations (1) total, (2) mediator and (3) outcome, in that
    order, all on the same rows (``sample``). ``bootstrap_draws`` holds a·b on each bootstrap
    resample (None without bootstrap).
    """

    outcome: str
    treatment: str
    mediator: str
    results: tuple[Result, Result, Result]
    sample: SampleAccounting
    bootstrap_draws: np.ndarray | None = None
    bootstrap_cluster: str | None = None
    level: float = 0.95
    diagnostics: dict[str, Any] = field(default_factory=dict)

    # -- the coefficients -------------------------------------------------------------
    @property
    def total(self) -> float:
        """c: coefficient of the treatment in equation (1)."""
        return float(self.results[0].params[self.treatment])

    @property
    def a(self) -> float:
        """a: coefficient of the treatment in equation (2) (mediator on treatment)."""
        return float(self.results[1].params[self.treatment])

    @property
    def b(self) -> float:
        """b: coefficient of the mediator in equation (3)."""
        return float(self.results[2].params[self.mediator])

    @property
    def direct(self) -> float:
        """c′: coefficient of the treatment in equation (3)."""
        return float(self.results[2].params[self.treatment])

    @property
    def indirect(self) -> float:
        """a·b, equal to c − c′ for linear models on one sample."""
        return self.a * self.b

    @property
    def indirect_se(self) -> float:
        """Sobel's (1982) first-order standard error of a·b: sqrt(b²·se_a² + a²·se_b²)."""
        se_a = float(self.results[1].bse[self.treatment])
        se_b = float(self.results[2].bse[self.mediator])
        return math.sqrt(self.b**2 * se_a**2 + self.a**2 * se_b**2)

    @property
    def sobel(self) -> HypothesisTest:
        """Sobel (1982) test of a·b = 0: z = ab / :attr:`indirect_se`, two-sided normal p."""
        se = self.indirect_se
        z = self.indirect / se if se > 0 else float("nan")
        return HypothesisTest.normal("Sobel z", z, "a*b = 0")

    @property
    def bootstrap_ci(self) -> tuple[float, float] | NotAvailable:
        """Percentile interval of a·b over the bootstrap draws at ``level`` (default 95%)."""
        return self.bootstrap_interval(self.level)

    def bootstrap_interval(
        self, level: float = 0.95, method: str = "percentile"
    ) -> tuple[float, float] | NotAvailable:
        """Bootstrap interval of a·b: ``"percentile"`` (the α/2 and 1−α/2 quantiles of the
        draws) or ``"bc"`` (bias-corrected: quantiles Φ(2z₀ ± z_{α/2}) with
        z₀ = Φ⁻¹(share of draws below ab); Efron & Tibshirani 1993, §14.3)."""
        if self.bootstrap_draws is None:
            return NotAvailable("no bootstrap (bootstrap=0)")
        draws = self.bootstrap_draws[np.isfinite(self.bootstrap_draws)]
        if len(draws) < 2:
            return NotAvailable("fewer than two bootstrap resamples could be estimated")
        alpha = 1 - level
        if method == "percentile":
            q = np.array([alpha / 2, 1 - alpha / 2])
        elif method == "bc":
            z0 = stats.norm.ppf(np.mean(draws < self.indirect))
            zq = stats.norm.ppf([alpha / 2, 1 - alpha / 2])
            q = stats.norm.cdf(2 * z0 + zq)
        else:
            raise EstimationError(f"method={method!r}; use 'percentile' or 'bc'")
        low, high = np.quantile(draws, q)
        return float(low), float(high)

    @property
    def proportion_mediated(self) -> float | NotAvailable:
        """a·b / c (meaningful when a·b and c′ have the same sign; unstable when c ≈ 0)."""
        if self.total == 0:
            return NotAvailable("the total effect c is zero")
        return self.indirect / self.total

    # -- interpretation ---------------------------------------------------------------
    def conclusion(self, alpha: float = 0.05) -> str:
        """Wen & Ye (2014) procedure, in words.

        1. If a and b are both significant, the indirect effect is significant; otherwise it is
           judged by the bootstrap interval (Sobel's test when no bootstrap was run).
        2. If it is, c′ not significant means full mediation; c′ significant with the sign of
           a·b partial mediation (share a·b/c); with the opposite sign, suppression (masking).
        """
        p_a = float(self.results[1].pvalues[self.treatment])
        p_b = float(self.results[2].pvalues[self.mediator])
        if p_a < alpha and p_b < alpha:
            significant, how = True, "a and b both significant"
        else:
            ci = self.bootstrap_interval(1 - alpha)
            if isinstance(ci, NotAvailable):
                significant = self.sobel.pvalue < alpha
                how = f"Sobel p = {self.sobel.pvalue:.3g}"
            else:
                significant = not (ci[0] <= 0 <= ci[1])
                how = f"bootstrap {1 - alpha:.0%} interval [{ci[0]:.4g}, {ci[1]:.4g}]"
        if not significant:
            return f"no significant indirect effect ({how})"
        p_direct = float(self.results[2].pvalues[self.treatment])
        if p_direct >= alpha:
            return f"full mediation ({how}; c′ not significant, p = {p_direct:.3g})"
        if np.sign(self.indirect) == np.sign(self.direct):
            share = self.proportion_mediated
            text = f"{share:.1%}" if isinstance(share, float) else str(share)
            return f"partial mediation ({how}; c′ significant; a·b/c = {text})"
        ratio = abs(self.indirect / self.direct)
        return f"suppression ({how}; a·b and c′ have opposite signs; |a·b/c′| = {ratio:.3g})"

    # -- presentation -----------------------------------------------------------------
    def tidy(self) -> pd.DataFrame:
        """One row per effect: total c, a, b, direct c′, indirect a·b (Sobel SE, z and p; the
        interval is the bootstrap one when run, Sobel's normal interval otherwise)."""
        rows = []
        spec = [("total", 0, self.treatment), ("a", 1, self.treatment)]
        spec += [("b", 2, self.mediator), ("direct", 2, self.treatment)]
        for name, eq, term in spec:
            res = self.results[eq]
            row = res.tidy(self.level).set_index("term").loc[term].to_dict()
            interval = "t" if res.df_resid is not None else "normal"
            rows.append({"effect": name, **row, "interval": interval})
        sobel = self.sobel
        boot = self.bootstrap_ci
        if isinstance(boot, NotAvailable):
            q = stats.norm.isf((1 - self.level) / 2)
            se = self.indirect_se
            low, high, how = self.indirect - q * se, self.indirect + q * se, "sobel"
        else:
            (low, high), how = boot, "bootstrap percentile"
        keys = ["estimate", "std_error", "statistic", "pvalue", "conf_low", "conf_high"]
        values = [self.indirect, self.indirect_se, sobel.statistic, sobel.pvalue, low, high]
        rows.append({"effect": "indirect", **dict(zip(keys, values, strict=True)), "interval": how})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Plain text: the effects table, the identity check, Sobel, bootstrap, conclusion."""
        lines = [
            f"Mediation: {self.treatment} -> {self.mediator} -> {self.outcome}",
            f"Observations: {self.sample.n_used} (of {self.sample.n_input}; dropped "
            f"{self.sample.dropped or 0})",
            self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4f}"),
            f"c - (c' + ab) = {self.total - self.direct - self.indirect:.3g}",
        ]
        if self.bootstrap_draws is not None:
            ok = int(np.isfinite(self.bootstrap_draws).sum())
            by = self.bootstrap_cluster or "rows"
            ci = self.bootstrap_ci
            text = str(ci) if isinstance(ci, NotAvailable) else f"[{ci[0]:.4g}, {ci[1]:.4g}]"
            lines.append(
                f"Bootstrap: {ok} of {len(self.bootstrap_draws)} resamples of {by}; "
                f"{self.level:.0%} percentile CI {text}"
            )
        lines.append(f"Conclusion (5%): {self.conclusion()}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Mediation {self.treatment}->{self.mediator}->{self.outcome} "
            f"c={self.total:.4g} c'={self.direct:.4g} ab={self.indirect:.4g} "
            f"n={self.sample.n_used}>"
        )


def mediation(
    data: Any,
    *,
    outcome: str,
    treatment: str,
    mediator: str,
    controls: str | Sequence[str] = (),
    fe: str | Sequence[str] | None = None,
    vcov: str | Mapping[str, Any] | None = None,
    weights: str | None = None,
    bootstrap: int = 0,
    cluster: str | None = None,
    seed: int = 0,
    engine: Any = None,
    level: float = 0.95,
) -> Mediation:
    """Baron–Kenny mediation with Sobel and cluster-bootstrap tests of a·b.

    Fits, with :func:`~vagg.estimate.linear.fixed_effects.feols` on one common sample:
    (1) ``outcome ~ treatment + controls | fe`` (total effect c), (2) ``mediator ~ treatment +
    controls | fe`` (a), (3) ``outcome ~ treatment + mediator + controls | fe`` (direct c′ and
    b). Rows unusable in any equation (missing values, non-positive logs, zero weights,
    singleton fixed effects) are dropped before fitting and counted in ``sample``; then
    c = c′ + a·b holds to machine precision (module docstring). Implements paper 000 Tables 6–7
    (markup and domestic-input price channels) and paper 004 eq. (21)–(23) (the paper
    estimates them by FMOLS; here by (FE-)OLS).

    Tests of a·b: Sobel's z (``.sobel``); with ``bootstrap=B > 0`` a percentile interval from B
    resamples of ``cluster`` (clusters drawn with replacement, all their rows kept; rows when
    ``cluster`` is None), re-estimating (2) and (3) on each (MacKinnon et al. 2004; methods
    notes §10.1). A cluster drawn twice enters twice under its own identifiers; for a and b this
    equals relabelling the copies, because duplicating all rows of a fixed-effect level leaves
    its within-level deviations unchanged. Each resample uses its own seed from
    ``numpy.random.SeedSequence(seed)``, so the draws are the same whatever ``engine`` runs
    them (None: serially here; ``"local"``, ``"dask"`` or an engine object, see
    :func:`vagg.engine.run_tasks`). ``level``: the confidence level of the intervals (default 95%).

    ``vcov`` and ``weights`` are passed to ``feols`` (default vcov: clustered by the first fixed
    effect, else iid). Raises :class:`EstimationError` for unknown columns, a mediator that is
    the treatment (same column or same values), a treatment or mediator without variation in
    the sample, or one absorbed by the fixed effects.
    """
    where = "mediation"
    frame = as_pandas(data)
    require_columns(
        frame,
        where,
        outcome=outcome,
        treatment=treatment,
        mediator=mediator,
        cluster=cluster,
        weights=weights,
    )
    if len({outcome, treatment, mediator}) < 3:
        raise EstimationError(
            f"{where}: outcome ({outcome!r}), treatment ({treatment!r}) and mediator "
            f"({mediator!r}) must be three different columns"
        )
    if bootstrap < 0:
        raise EstimationError(f"{where}: bootstrap={bootstrap} must be ≥ 0")
    rhs = control_terms(controls)
    check_controls(rhs, {treatment, mediator, outcome}, where)
    fe_part = fe_text(fe)
    f_total = formula_text(outcome, [treatment, *rhs], fe_part)
    f_mediator = formula_text(mediator, [treatment, *rhs], fe_part)
    f_outcome = formula_text(outcome, [treatment, mediator, *rhs], fe_part)

    keep = np.ones(len(frame), dtype=bool)
    dropped: dict[str, int] = {}
    if cluster is not None:
        gaps = frame[cluster].isna().to_numpy()
        keep &= ~gaps
        dropped = _merge_dropped({"missing": int(gaps.sum())})
    rows, more = estimation_rows(f_outcome, frame[keep], vcov=vcov, weights=weights)
    dropped = _merge_dropped(dropped, more)
    sub = frame[keep].iloc[rows]
    sample = SampleAccounting(len(frame), len(sub), dropped)

    x = sub[treatment].to_numpy(dtype=float)
    m = sub[mediator].to_numpy(dtype=float)
    if np.ptp(x) == 0:
        raise EstimationError(
            f"{where}: treatment {treatment!r} does not vary in the estimation sample "
            f"({len(sub)} rows, all {x[0]:g})"
        )
    if np.ptp(m) == 0:
        raise EstimationError(
            f"{where}: mediator {mediator!r} does not vary in the estimation sample "
            f"({len(sub)} rows, all {m[0]:g})"
        )
    if np.array_equal(x, m) or abs(np.corrcoef(x, m)[0, 1]) > 1 - 1e-12:
        raise EstimationError(
            f"{where}: mediator {mediator!r} is identical to (or an exact linear function of) "
            f"the treatment {treatment!r}; equation (3) cannot separate them"
        )
    opts: dict[str, Any] = {"vcov": vcov, "weights": weights}
    note = "fitted on the rows usable in all three mediation equations"
    results = (
        restamp_accounting(_fit(f_total, sub, "mediation, equation (1)", **opts), sample, note),
        restamp_accounting(_fit(f_mediator, sub, "mediation, equation (2)", **opts), sample, note),
        restamp_accounting(_fit(f_outcome, sub, "mediation, equation (3)", **opts), sample, note),
    )
    checks = [(0, treatment, "treatment"), (1, treatment, "treatment")]
    checks += [(2, mediator, "mediator"), (2, treatment, "treatment")]
    for eq, term, role in checks:
        _need_term(results[eq], term, role)

    draws = None
    if bootstrap > 0:
        codes = (
            pd.factorize(sub[cluster])[0] if cluster is not None else np.arange(len(sub))
        ).astype(np.int64)
        needed = list(dict.fromkeys(parse_formula(f_outcome).columns()))
        if weights is not None:
            needed.append(weights)
        lean = sub[needed].reset_index(drop=True)
        seeds = np.random.SeedSequence(seed).spawn(bootstrap)
        task = _BootstrapTask(lean, f_mediator, f_outcome, treatment, mediator, weights, codes)
        chunks = [tuple(seeds[i : i + _CHUNK]) for i in range(0, bootstrap, _CHUNK)]
        sizes = [len(c) for c in chunks]
        draws = np.concatenate(
            run_tasks(
                engine, _bootstrap_chunk, chunks, task, label="bootstrap resamples", sizes=sizes
            )
        )
        failed = int((~np.isfinite(draws)).sum())
        if failed:
            warnings.warn(
                f"mediation: {failed} of {bootstrap} bootstrap resamples could not be estimated "
                "(e.g. no variation left); the interval uses the others",
                RuntimeWarning,
                stacklevel=2,
            )
    return Mediation(
        outcome=outcome,
        treatment=treatment,
        mediator=mediator,
        results=results,
        sample=sample,
        bootstrap_draws=draws,
        bootstrap_cluster=cluster,
        level=level,
        diagnostics={
            "formulas": (f_total, f_mediator, f_outcome),
            "bootstrap_seed": seed,
            "identity_gap": float(
                results[0].params[treatment]
                - results[2].params[treatment]
                - results[1].params[treatment] * results[2].params[mediator]
            ),
        },
    )
