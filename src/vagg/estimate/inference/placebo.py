"""Placebo (randomisation / permutation) inference for a regressor of a fixed-effects regression.

``placebo("y ~ va + x1 + x2 | firm + year", data, var="va", reps=1000)`` re-estimates the
model ``reps`` times with the observed values of ``va`` randomly **permuted** and keeps, per
draw, the coefficient on ``va`` and its t-statistic (same vcov as the real fit). The real
estimate is then compared with this placebo distribution (methods notes §11; paper 001,
Figure 2: "1000 次安慰剂检验", the kernel density of the placebo coefficients with the real
estimate marked; Fisher 1935; Young 2019, *QJE* 134(2); Heß 2017, *Stata Journal* 17(3),
``ritest``).

**Permutation schemes** (the multiset of values is kept; nothing is drawn with replacement):

* default — the values are permuted across all rows of the estimation sample;
* ``strata=cols`` — within each cell of ``cols`` (e.g. year: each year keeps its values);
* ``level=col`` — at the level of units (firms, cities): ``var`` must be constant within a
  unit; the unit values are permuted across units and every row of a unit takes its new
  value (with ``strata``: units are permuted within strata, which must be constant per unit);
* ``permutations=`` — a user array, one permutation per draw (see :func:`placebo`).

pyfixest's ``Feols.ritest`` differs: it *resamples* each observation's (or cluster's) value
with replacement from the set of distinct observed values, so the count of treated units and
the distribution of ``var`` change from draw to draw (for a 0/1 variable every unit is
treated with probability ½). Its placebo distribution is therefore not comparable.

**How.** The draws are not refitted one by one: by the Frisch–Waugh–Lovell theorem, ``y`` and
the other regressors are demeaned and partialled out once, and each permuted column is
demeaned (with the fixed effects' system factorised once), partialled out and turned into a
coefficient and a t-statistic in batches (:mod:`vagg.estimate.inference.permutation`, which also
holds
the permutation schemes). The results equal re-running :func:`feols` on each permuted table
(the tests check it to 1e-10). Draw ``r`` uses its own seed,
``SeedSequence(seed).spawn(reps)[r]``, so the draws do not depend on the engine, the number of
workers or the batch size.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from vagg.engine import Engine, engine_session, run_tasks
from vagg.estimate.errors import EstimationError
from vagg.estimate.inference.permutation import (
    PermutationScheme,
    permutation_scheme,
    prepare_batches,
    run_batch,
)
from vagg.estimate.inputs import as_pandas, check_columns
from vagg.estimate.linear.demean import DemeanMethod
from vagg.estimate.linear.fixed_effects import fit_sample
from vagg.estimate.linear.formula import parse_formula, term_columns
from vagg.estimate.linear.sample import build_sample, parse_vcov
from vagg.estimate.linear.sandwich import parse_ssc
from vagg.estimate.results import Result

__all__ = [
    "BATCH_BYTES",
    "TIE_TOL",
    "Placebo",
    "placebo",
]


#: Memory for one batch of permuted columns (bytes); sets the default batch size.
BATCH_BYTES = 2**29
#: |placebo| within this relative distance of |estimate| counts as a tie (≥) in p-values.
TIE_TOL = 1e-10


# -- results ----------------------------------------------------------------------------------
@dataclass
class Placebo:
    """The placebo distribution of the coefficient on ``var`` and the real estimate.

    ``coefs`` and ``tvalues`` hold one value per draw (``NaN`` for a draw whose permuted
    column is collinear with the fixed effects or the other regressors; such draws are left
    out of the p-values). ``estimate``, ``std_error`` and ``tvalue`` are the real fit's,
    ``result`` the real fit itself. ``timings`` (seconds): ``setup`` (sample, real fit,
    demeaning y and the other regressors), ``permutation`` (drawing and gathering the
    permuted columns), ``demeaning`` (of the permuted columns), ``rest`` (partialling out the
    other regressors, coefficients and standard errors) — the last three summed over batches,
    so with several workers they exceed ``wall``.
    """

    var: str
    coefs: np.ndarray
    tvalues: np.ndarray
    estimate: float
    std_error: float
    tvalue: float
    result: Result
    scheme: str
    seed: Any
    timings: dict[str, float] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    _draw_maker: Any = field(default=None, repr=False)

    @property
    def reps(self) -> int:
        """Number of draws."""
        return len(self.coefs)

    @property
    def n_valid(self) -> int:
        """Draws with a finite coefficient (the denominator of the p-values)."""
        return int(np.isfinite(self.coefs).sum())

    def permutation_pvalue(
        self,
        statistic: Literal["coef", "t"] = "coef",
        alternative: Literal["two-sided", "greater", "less"] = "two-sided",
        plus_one: bool = False,
    ) -> float:
        """Randomisation p-value: the share of draws at least as extreme as the real one.

        ``two-sided``: ``#{|T_r| ≥ |T|}/R``; ``greater``: ``#{T_r ≥ T}/R``; ``less``:
        ``#{T_r ≤ T}/R`` (Stata ``ritest``'s conventions; ties within a relative 1e-10 count
        as extreme). ``statistic="coef"`` is randomisation-c, ``"t"`` randomisation-t (more
        robust under heteroskedasticity; Young 2019). ``plus_one=True`` gives the
        conservative ``(count + 1)/(R + 1)``, which counts the real assignment as a draw.
        """
        draws = self.coefs if statistic == "coef" else self.tvalues
        real = self.estimate if statistic == "coef" else self.tvalue
        draws = draws[np.isfinite(draws)]
        if len(draws) == 0:
            return float("nan")
        slack = TIE_TOL * abs(real)
        if alternative == "two-sided":
            count = int(np.sum(np.abs(draws) >= abs(real) - slack))
        elif alternative == "greater":
            count = int(np.sum(draws >= real - slack))
        elif alternative == "less":
            count = int(np.sum(draws <= real + slack))
        else:
            raise EstimationError(
                f"alternative={alternative!r}; use 'two-sided', 'greater' or 'less'"
            )
        if plus_one:
            return (count + 1) / (len(draws) + 1)
        return count / len(draws)

    @property
    def pvalue(self) -> float:
        """Two-sided randomisation-c p-value ``#{|β̂_r| ≥ |β̂|}/R``."""
        return self.permutation_pvalue()

    @property
    def pvalue_t(self) -> float:
        """Two-sided randomisation-t p-value ``#{|t_r| ≥ |t|}/R``."""
        return self.permutation_pvalue("t")

    def pvalue_ci(self, level: float = 0.95) -> tuple[float, float]:
        """Monte-Carlo interval of :attr:`pvalue`: ``p ± z·√(p(1 − p)/R)``, clipped to [0, 1]."""
        p, r = self.pvalue, self.n_valid
        half = stats.norm.isf((1 - level) / 2) * np.sqrt(p * (1 - p) / max(r, 1))
        return max(0.0, p - half), min(1.0, p + half)

    def tidy(self) -> pd.DataFrame:
        """One row: the real estimate, the p-values and moments of the placebo draws."""
        valid = self.coefs[np.isfinite(self.coefs)]
        t_valid = self.tvalues[np.isfinite(self.tvalues)]
        lo, hi = self.pvalue_ci()
        return pd.DataFrame(
            {
                "term": [self.var],
                "estimate": [self.estimate],
                "std_error": [self.std_error],
                "statistic": [self.tvalue],
                "pvalue": [self.pvalue],
                "pvalue_t": [self.pvalue_t],
                "p_value_ci_low": [lo],
                "p_value_ci_high": [hi],
                "reps": [self.reps],
                "valid_reps": [self.n_valid],
                "placebo_mean": [valid.mean() if len(valid) else np.nan],
                "placebo_sd": [valid.std(ddof=1) if len(valid) > 1 else np.nan],
                "placebo_t_mean": [t_valid.mean() if len(t_valid) else np.nan],
                "scheme": [self.scheme],
            }
        )

    def summary(self) -> str:
        """Plain-text summary: model, scheme, real estimate, placebo moments and p-values."""
        row = self.tidy().iloc[0]
        lo, hi = self.pvalue_ci()
        r = self.result
        lines = [
            f"Placebo test for {self.var!r} in {r.formula}",
            f"Permutations: {self.reps} ({self.scheme}); seed {self.seed}; "
            f"vcov {r.vcov_type}" + (f" by {'+'.join(r.clusters)}" if r.clusters else ""),
            f"Observations: {r.nobs}",
            f"Estimate: {self.estimate:.6g} (SE {self.std_error:.6g}, t {self.tvalue:.4f})",
            f"Placebo coefficients: mean {row['placebo_mean']:.6g}, sd {row['placebo_sd']:.6g}; "
            f"mean t {row['placebo_t_mean']:.4f}",
            f"p-value (|coef| ≥ |estimate|): {self.pvalue:.4f} "
            f"[Monte-Carlo 95% interval {lo:.4f}, {hi:.4f}]; (c+1)/(R+1): "
            f"{self.permutation_pvalue(plus_one=True):.4f}",
            f"p-value (|t| ≥ |t_estimate|): {self.pvalue_t:.4f}",
        ]
        if self.n_valid < self.reps:
            lines.append(f"Draws left out (collinear): {self.reps - self.n_valid}")
        return "\n".join(lines)

    def draw(self, r: int) -> pd.Series:
        """The placebo values of ``var`` in draw ``r``, indexed like ``data`` (NaN outside the
        estimation sample). Re-running :func:`~vagg.estimate.feols` with them reproduces
        ``coefs[r]`` and ``tvalues[r]``."""
        if not 0 <= r < self.reps:
            raise EstimationError(f"draw {r} is out of range (0..{self.reps - 1})")
        scheme, draws, rows, index = self._draw_maker
        row = np.empty(len(rows))
        scheme.fill(row, draws[r])
        out = np.full(len(index), np.nan)
        out[rows] = row
        return pd.Series(out, index=index, name=self.var)

    def __repr__(self) -> str:
        return (
            f"<Placebo {self.var}: estimate {self.estimate:.4g}, {self.reps} draws, "
            f"p = {self.pvalue:.4f}>"
        )


def placebo(
    formula: str,
    data: Any,
    *,
    var: str,
    reps: int = 1000,
    seed: int | Sequence[int] | None = 0,
    strata: str | Sequence[str] | None = None,
    level: str | None = None,
    permutations: Any = None,
    engine: Engine | str | None = None,
    vcov: str | Mapping[str, Any] | None = None,
    batch_size: int | None = None,
    weights: str | None = None,
    panel: tuple[str, str] | None = None,
    ssc: str | Mapping[str, Any] | None = None,
    drop_singletons: bool = True,
    demeaner: DemeanMethod = "auto",
) -> Placebo:
    """Permutation (placebo) test of the regressor ``var`` of a :func:`feols` model.

    ``reps`` times, the observed values of ``var`` are permuted on the estimation sample and
    the model is re-estimated by the Frisch–Waugh–Lovell shortcut (module docstring); the
    coefficient on ``var`` and its t-statistic (same vcov as the real fit) are kept.

    Parameters
    ----------
    formula, data, vcov, weights, panel, ssc, drop_singletons, demeaner:
        As in :func:`~vagg.estimate.feols` (same sample, same defaults).
    var:
        The regressor to permute: a term label of the formula (``"va"``, ``"log(x)"``,
        ``"L(x)"``); the term's values are permuted.
    reps:
        Number of draws (≥ 1); ignored when ``permutations`` is given.
    seed:
        Seed of ``numpy.random.SeedSequence``; draw ``r`` uses its ``r``-th spawned child, so
        the draws do not depend on the engine or the batch size. ``None``: fresh entropy
        (recorded in ``Placebo.seed``).
    strata:
        Column(s): permute within each of their cells.
    level:
        Unit column: permute the units' values across units (``var`` must be constant within
        a unit); with ``strata``, within strata (constant within units).
    permutations:
        Integer array ``(reps, m)``, one permutation per draw: row ``r`` says that element
        ``i`` takes the value of element ``permutations[r, i]``; the elements are the rows of
        the estimation sample in the order of ``data`` (``m`` = rows used), or with ``level``
        the units in sorted order of their labels. Not combined with ``strata``.
    engine:
        ``None`` (serial in this process), ``"local"`` (every core), ``"dask"``, or an engine
        from :mod:`vagg.engine`; each batch of draws is one task.
    batch_size:
        Draws per batch (default: about 512 MB of permuted columns, and at least two batches
        per worker).

    Returns
    -------
    Placebo
        ``coefs``, ``tvalues``, ``estimate``, ``pvalue``, ``summary()``, ``tidy()``,
        ``plot()``, ``draw(r)``.

    Raises
    ------
    EstimationError
        ``var`` not a regressor of the formula, constant on the sample or collinear with the
        fixed effects; ``var`` varying within units of ``level`` (naming units); missing
        strata or level values (naming rows); ``reps < 1``; malformed ``permutations``; and
        everything :func:`feols` rejects.
    """
    started = time.perf_counter()
    frame = as_pandas(data)
    spec = parse_formula(formula)
    labels = [t.label for t in spec.regressors]
    if var not in labels:
        raise EstimationError(
            f"var={var!r} is not a regressor of {formula!r}; the regressors are {labels}"
        )
    if permutations is None and (not isinstance(reps, (int, np.integer)) or reps < 1):
        raise EstimationError(f"reps must be a positive integer; got {reps!r}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise EstimationError(f"batch_size must be a positive integer; got {batch_size!r}")
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    extra = {c: "strata" for c in strata_cols}
    if level is not None:
        extra[level] = "level"
    check_columns(frame, list(extra), extra)
    term = spec.regressors[labels.index(var)]
    shared_cols = [
        t.label
        for t in spec.regressors
        if t is not term and set(term_columns(t)) & set(term_columns(term))
    ]
    if shared_cols:
        warnings.warn(
            f"placebo: the terms {shared_cols} use the same columns as {var!r} and are not "
            "permuted with it",
            UserWarning,
            stacklevel=2,
        )
    vc = parse_vcov(vcov, spec)
    ssc_opts = parse_ssc(ssc)
    sample = build_sample(frame, spec, vc, weights, panel, drop_singletons)
    values = sample.x[:, sample.names.index(var)].copy()
    if np.all(values == values[0]):
        raise EstimationError(
            f"var={var!r} takes one value ({values[0]!r}) in all {len(values)} rows of the "
            "estimation sample; permuting it changes nothing"
        )
    scheme, described, n_user = permutation_scheme(
        frame, sample, values, var, strata_cols, level, permutations
    )
    result = fit_sample(sample, ssc=ssc_opts, demeaner=demeaner)
    if var not in result.params.index:
        why = (result.diagnostics.collinear_reasons or {}).get(var, "collinear")
        raise EstimationError(f"var={var!r} is dropped from the real fit ({why})")
    shared = prepare_batches(sample, result, var, scheme, ssc_opts, demeaner)

    sequence = np.random.SeedSequence(seed)
    draws: list[Any] = list(range(n_user)) if permutations is not None else sequence.spawn(reps)
    n_draws = len(draws)
    with engine_session(engine) as runner:
        if batch_size is None:
            by_memory = max(1, BATCH_BYTES // (8 * len(values)))
            batch_size = max(1, min(by_memory, -(-n_draws // (2 * runner.n_workers))))
        items = [(lo, draws[lo : lo + batch_size]) for lo in range(0, n_draws, batch_size)]
        identity = PermutationScheme(values, user=np.arange(len(values))[None, :])
        check = run_batch((0, [0]), replace(shared, scheme=identity))
        setup = time.perf_counter() - started
        sizes = [len(batch) for _, batch in items]
        batches = run_tasks(runner, run_batch, items, shared, label="placebo draws", sizes=sizes)
    coefs = np.concatenate([b["coefs"] for b in batches])
    tvalues = np.concatenate([b["tvalues"] for b in batches])
    seconds = np.sum([b["seconds"] for b in batches], axis=0)
    n_bad = int((~np.isfinite(coefs)).sum())
    if n_bad:
        warnings.warn(
            f"placebo: {n_bad} of {n_draws} draws made {var!r} collinear with the fixed effects "
            "or the other regressors; they are left out of the p-values",
            UserWarning,
            stacklevel=2,
        )
    estimate = float(result.params[var])
    return Placebo(
        var=var,
        coefs=coefs,
        tvalues=tvalues,
        estimate=estimate,
        std_error=float(result.bse[var]),
        tvalue=float(result.tvalues[var]),
        result=result,
        scheme=described,
        seed=sequence.entropy if permutations is None else None,
        timings={
            "setup": setup,
            "permutation": float(seconds[0]),
            "demeaning": float(seconds[1]),
            "rest": float(seconds[2]),
            "wall": time.perf_counter() - started,
        },
        diagnostics={
            "batch_size": batch_size,
            "batches": len(items),
            "engine": repr(runner),
            "demeaner": "alternating" if shared.alternating else "exact",
            "fwl_check": {
                "coef_difference": abs(float(check["coefs"][0]) - estimate),
                "t_difference": abs(float(check["tvalues"][0]) - float(result.tvalues[var])),
            },
            "collinear_draws": n_bad,
        },
        _draw_maker=(scheme, draws, sample.rows, frame.index),
    )
