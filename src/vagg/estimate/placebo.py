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

**Fast path (Frisch–Waugh–Lovell).** Write the model ``y = βx + X_o γ + Dα + ε`` (``D`` the
fixed-effect dummies, ``X_o`` the other regressors, ``W`` the weights). Once: ``y`` and
``X_o`` are demeaned by the effects (:func:`vagg.estimate.demean.demean`, on feols's sample)
and ``ỹ*`` = ``ỹ`` residualised on ``X̃_o``. Per draw, with ``x`` the permuted column:
``x̃ = M_D x`` (the permuted column must be demeaned again), ``x* = x̃ − X̃_o(X̃_o'WX̃_o)⁻¹X̃_o'Wx̃``,
``β̂ = x*'Wỹ*/x*'Wx*``, residuals ``e = ỹ* − β̂x*``, and the variance is the ``(x, x)``
element of feols's sandwich, which by FWL is ``V = c·Σ_g(Σ_{i∈g} wᵢeᵢx*ᵢ)²/(x*'Wx*)²``
(CRV1; the two-way version sums three such terms), ``c·Σ(wᵢeᵢx*ᵢ)²/(x*'Wx*)²`` (HC1) or
``c·(Σwᵢeᵢ²/N)/(x*'Wx*)`` (iid), with the small-sample factor ``c`` of the original fit
(:mod:`vagg.estimate.sandwich`). The results equal re-running :func:`feols` on each permuted
table (the tests check it to 1e-10).

The permuted columns are processed in batches of ``B`` (a ``B × N`` array; each batch is one
task of the engine). Demeaning them uses the exact method of :mod:`vagg.estimate.demean`
(within the largest effect, then the small effects' dense system, whose pivoted Cholesky
factor is computed **once** and reused for every draw) applied draw by draw on rows that stay
in the CPU cache; when that method does not apply (too many small-effect levels),
``demean(method="alternating")`` demeans each batch.

**Seeds.** Draw ``r`` uses its own generator, ``SeedSequence(seed).spawn(reps)[r]``, so the
draws do not depend on the engine, the number of workers or the batch size.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from ..engine import Engine, resolve_engine
from .demean import DemeanMethod, _PsdSolver, demean
from .errors import EstimationError
from .fixed_effects import (
    COLLINEAR_TOL,
    _as_pandas,
    _build_sample,
    _check_columns,
    _fit,
    _parse_vcov,
    _rows_text,
    _Sample,
)
from .formula import parse_formula, term_columns
from .results import Result
from .sandwich import Factor, intersect, parse_ssc, small_sample

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Memory for one batch of permuted columns (bytes); sets the default batch size.
BATCH_BYTES = 2**29
#: Strata up to this many are shuffled one by one; more are sorted by (stratum, random key).
LOOP_STRATA = 1000
#: |placebo| within this relative distance of |estimate| counts as a tie (≥) in p-values.
TIE_TOL = 1e-10


# -- permutations -----------------------------------------------------------------------------
@dataclass
class _Scheme:
    """How draw ``r`` builds the placebo column (in the order of the estimation sample).

    ``values`` holds one value per unit (units are rows when ``unit_codes`` is None);
    ``strata`` one stratum code per unit; ``user`` a (reps × units) array of permutations, with
    ``user_map`` mapping them from data order to sample order (rows only).
    """

    values: np.ndarray
    unit_codes: np.ndarray | None = None
    strata: np.ndarray | None = None
    user: np.ndarray | None = None
    user_map: tuple[np.ndarray, np.ndarray] | None = None
    order: np.ndarray = field(init=False, repr=False)
    bounds: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.strata is not None:
            self.order = np.argsort(self.strata, kind="stable")
            counts = np.bincount(self.strata)
            self.bounds = np.concatenate([[0], np.cumsum(counts)])

    def sources(self, draw: Any) -> np.ndarray:
        """For every unit, the unit whose value it takes in this draw."""
        n = len(self.values)
        if self.user is not None:
            perm = self.user[int(draw)]
            if self.user_map is None:
                return perm
            data_order, rank = self.user_map
            return data_order[perm[rank]]
        rng = np.random.default_rng(draw)
        if self.strata is None:
            return rng.permutation(n)
        src = np.empty(n, dtype=np.int64)
        if len(self.bounds) - 1 <= LOOP_STRATA:
            for lo, hi in zip(self.bounds[:-1], self.bounds[1:], strict=True):
                targets = self.order[lo:hi]
                src[targets] = rng.permutation(targets)
            return src
        shift = 64 - max(1, int(len(self.bounds) - 2).bit_length())
        keys = (self.strata.astype(np.uint64) << np.uint64(shift)) | rng.integers(
            0, 2**shift, n, dtype=np.uint64
        )
        src[self.order] = np.argsort(keys, kind="stable")
        return src

    def fill(self, out: np.ndarray, draw: Any) -> None:
        """Write the placebo column of ``draw`` (a SeedSequence, or a user row) into ``out``."""
        if self.unit_codes is None and self.strata is None and self.user is None:
            out[:] = self.values
            np.random.default_rng(draw).shuffle(out)
            return
        new = self.values[self.sources(draw)]
        if self.unit_codes is None:
            out[:] = new
        else:
            np.take(new, self.unit_codes, out=out)


# -- demeaning permuted columns ---------------------------------------------------------------
class _Projector:
    """``x ↦ M_D x`` for many columns, with the exact method of :mod:`vagg.estimate.demean`.

    With ``B`` the largest effect (rows sorted by it) and ``S`` the others:
    ``x̄ = x − (B-group means)``, ``γ = (S'WM_BS)⁻ S'Wx̄`` (the system factorised once by
    :class:`~vagg.estimate.demean._PsdSolver`), ``x̃ = x̄ − Sγ + (N_B⁻¹B'WSγ)[B]``. The small
    effects enter through their observed combinations ("cells"), so one gather and one
    ``bincount`` serve all of them. Why not :func:`~vagg.estimate.demean.demean` on each batch:
    it rebuilds and refactorises the system at every call and streams ``N × B`` temporaries
    through memory; on the benchmark panel it is about 7× slower per column (same numbers to
    4e-14; ``benchmarks/README.md``).
    """

    def __init__(self, effects: Sequence[Factor], weights: np.ndarray | None) -> None:
        big = max(range(len(effects)), key=lambda j: effects[j].n_levels)
        codes = effects[big].codes
        if np.any(codes[1:] < codes[:-1]):
            raise EstimationError("placebo: the sample must be sorted by its largest effect")
        self.weights = weights
        self.counts = np.bincount(codes, minlength=effects[big].n_levels)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        w = np.ones(len(codes)) if weights is None else weights
        self.totals = np.add.reduceat(w, self.starts)
        small = [e for j, e in enumerate(effects) if j != big]
        self.solver: _PsdSolver | None = None
        if not small:
            return
        key = np.zeros(len(codes), dtype=np.int64)
        for e in small:
            key = key * e.n_levels + e.codes
        self.cells = pd.factorize(key)[0].astype(np.int64)
        n_cells = int(self.cells.max()) + 1
        first = _first_per_unit(np.arange(len(key)), self.cells, n_cells)
        cell_rows = np.column_stack([e.codes[first] for e in small])
        offsets = np.cumsum([0] + [e.n_levels for e in small])
        cols = (cell_rows + offsets[:-1]).ravel()
        m = len(small)
        self.cell_levels = sp.csr_matrix(
            (np.ones(n_cells * m), cols, np.arange(0, n_cells * m + 1, m)),
            shape=(n_cells, int(offsets[-1])),
        )
        self.cell_levels_t = sp.csr_matrix(self.cell_levels.T)
        cell_weight = np.bincount(self.cells, weights=w, minlength=n_cells)
        firm_cell = sp.csr_matrix((w, (codes, self.cells)), shape=(len(self.counts), n_cells))
        self.cross = sp.csr_matrix(firm_cell @ self.cell_levels)  # A = B'WS
        sws = self.cell_levels_t @ sp.diags(cell_weight) @ self.cell_levels
        system = (sws - self.cross.T @ sp.diags(1 / self.totals) @ self.cross).toarray()
        self.solver = _PsdSolver((system + system.T) / 2)
        self.n_cells = n_cells

    def project(self, x: np.ndarray) -> None:
        """Demean one contiguous column ``x`` in place."""
        w = self.weights
        means = np.add.reduceat(x if w is None else x * w, self.starts) / self.totals
        x -= np.repeat(means, self.counts)
        if self.solver is None:
            return
        sums = np.bincount(self.cells, weights=x if w is None else x * w, minlength=self.n_cells)
        gamma = self.solver.solve((self.cell_levels_t @ sums)[:, None])[:, 0]
        x -= (self.cell_levels @ gamma)[self.cells]
        x += np.repeat((self.cross @ gamma) / self.totals, self.counts)


@dataclass
class _Shared:
    """Everything a batch needs, sent once to every worker."""

    scheme: _Scheme
    projector: _Projector | None
    effect_codes: list[np.ndarray]
    alternating: bool
    sqrt_w: np.ndarray | None
    q: np.ndarray  # orthonormal basis of √w·X̃_o (n × k_o)
    y_star: np.ndarray  # √w·ỹ residualised on X̃_o
    vcov_kind: str
    terms: list[tuple[np.ndarray, int, float]]  # cluster codes, levels, signed scale
    scale: float
    n: int
    raw_sq: float  # Σ x² of the real column (of every row-permuted one; the scale for levels)


def _run_batch(item: tuple[int, Sequence[Any]], shared: _Shared) -> dict[str, Any]:
    """Coefficients and t-statistics of one batch of draws (module docstring)."""
    _, draws = item
    s = shared
    t0 = time.perf_counter()
    x = np.empty((len(draws), s.n))
    for b, draw in enumerate(draws):
        s.scheme.fill(x[b], draw)
    raw = s.raw_sq if s.sqrt_w is None else np.einsum("ij,ij->i", x, x * s.sqrt_w**2)
    t1 = time.perf_counter()
    if s.alternating:
        weights = None if s.sqrt_w is None else s.sqrt_w**2
        dm = demean(x.T, s.effect_codes, weights, method="alternating")
        x[:] = dm.values.T
    elif s.projector is not None:
        for row in x:
            s.projector.project(row)
    t2 = time.perf_counter()
    if s.sqrt_w is not None:
        x *= s.sqrt_w
    k_o = s.q.shape[1]
    cross = x @ np.column_stack([s.q, s.y_star])
    numer, proj = cross[:, k_o], cross[:, :k_o]
    for lo in range(0, len(x), 16):
        x[lo : lo + 16] -= proj[lo : lo + 16] @ s.q.T
    denom = np.einsum("ij,ij->i", x, x)
    demeaned_sq = denom + np.einsum("ij,ij->i", proj, proj)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = numer / denom
        if s.vcov_kind == "iid":
            rss = float(s.y_star @ s.y_star) - beta**2 * denom
            var = s.scale * rss / s.n / denom
        else:
            meat = np.empty(len(x))
            for b, row in enumerate(x):
                score = (s.y_star - beta[b] * row) * row
                if s.vcov_kind == "hetero":
                    meat[b] = s.scale * (score @ score)
                else:
                    meat[b] = sum(
                        sign_scale * np.sum(np.bincount(codes, score, levels) ** 2)
                        for codes, levels, sign_scale in s.terms
                    )
            var = meat / denom**2
        tvalues = beta / np.sqrt(var)
    degenerate = (demeaned_sq <= COLLINEAR_TOL * raw) | (denom <= COLLINEAR_TOL * demeaned_sq)
    beta[degenerate] = np.nan
    tvalues[degenerate] = np.nan
    t3 = time.perf_counter()
    return {"coefs": beta, "tvalues": tvalues, "seconds": (t1 - t0, t2 - t1, t3 - t2)}


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

    def pvalue(
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
    def p_value(self) -> float:
        """Two-sided randomisation-c p-value ``#{|β̂_r| ≥ |β̂|}/R``."""
        return self.pvalue()

    @property
    def p_value_t(self) -> float:
        """Two-sided randomisation-t p-value ``#{|t_r| ≥ |t|}/R``."""
        return self.pvalue("t")

    def pvalue_ci(self, level: float = 0.95) -> tuple[float, float]:
        """Monte-Carlo interval of :attr:`p_value`: ``p ± z·√(p(1 − p)/R)``, clipped to [0, 1]."""
        p, r = self.p_value, self.n_valid
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
                "p_value": [self.p_value],
                "p_value_t": [self.p_value_t],
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
            f"p-value (|coef| ≥ |estimate|): {self.p_value:.4f} "
            f"[Monte-Carlo 95% interval {lo:.4f}, {hi:.4f}]; (c+1)/(R+1): "
            f"{self.pvalue(plus_one=True):.4f}",
            f"p-value (|t| ≥ |t_estimate|): {self.p_value_t:.4f}",
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

    def plot(
        self,
        ax: Any = None,
        *,
        statistic: Literal["coef", "t"] = "coef",
        hist: bool = False,
        bins: int = 40,
    ) -> Figure:
        """Kernel density (``scipy.stats.gaussian_kde``) of the placebo coefficients (or t
        statistics), a dashed vertical line at the real value, optionally a histogram; returns
        the matplotlib Figure (paper 001, Figure 2)."""
        import matplotlib.pyplot as plt

        values = self.coefs if statistic == "coef" else self.tvalues
        values = values[np.isfinite(values)]
        real = self.estimate if statistic == "coef" else self.tvalue
        if ax is None:
            fig, ax = plt.subplots(figsize=(6.4, 4.2))
        else:
            fig = ax.figure
        if hist and len(values):
            ax.hist(values, bins=bins, density=True, color="0.8", edgecolor="0.6")
        span = np.array([*values, real]) if len(values) else np.array([real])
        pad = 0.1 * (span.max() - span.min()) or 1.0
        grid = np.linspace(span.min() - pad, span.max() + pad, 400)
        if len(values) > 1 and np.ptp(values) > 0:
            ax.plot(grid, stats.gaussian_kde(values)(grid), color="C0", label="placebo density")
        what = "coefficient" if statistic == "coef" else "t-statistic"
        ax.axvline(real, color="C3", linestyle="--", label=f"estimate {real:.4g}")
        ax.set_xlabel(f"placebo {what} of {self.var}")
        ax.set_ylabel("density")
        ax.set_title(f"Placebo test ({self.reps} permutations, p = {self.pvalue(statistic):.3f})")
        ax.legend(frameon=False)
        return fig

    def __repr__(self) -> str:
        return (
            f"<Placebo {self.var}: estimate {self.estimate:.4g}, {self.reps} draws, "
            f"p = {self.p_value:.4f}>"
        )


# -- setup ------------------------------------------------------------------------------------
def _first_per_unit(values: np.ndarray, codes: np.ndarray, n_units: int) -> np.ndarray:
    first = np.empty(n_units, dtype=values.dtype)
    first[codes[::-1]] = values[::-1]
    return first


def _make_scheme(
    frame: pd.DataFrame,
    sample: _Sample,
    values: np.ndarray,
    var: str,
    strata: list[str],
    level: str | None,
    permutations: Any,
) -> tuple[_Scheme, str, int]:
    """The permutation scheme on the estimation sample, its description and its draw count."""
    rows = sample.rows
    index = frame.index[rows]
    unit_codes: np.ndarray | None = None
    unit_values = values
    described = "rows"
    if level is not None:
        series = frame[level].iloc[rows]
        missing = series.isna().to_numpy()
        if missing.any():
            raise EstimationError(
                f"level={level!r} is missing in {int(missing.sum())} rows of the estimation "
                f"sample (index {_rows_text(index, missing)})"
            )
        codes, labels = pd.factorize(series, sort=True)
        unit_codes = codes.astype(np.int64)
        unit_values = _first_per_unit(values, unit_codes, len(labels))
        varies = values != unit_values[unit_codes]
        if varies.any():
            bad = np.unique(unit_codes[varies])
            shown = ", ".join(repr(v) for v in labels[bad[:5]].tolist())
            raise EstimationError(
                f"level={level!r}: {var!r} is not constant within {len(bad)} units ({shown}"
                f"{' and more' if len(bad) > 5 else ''}); a unit-level permutation needs one "
                "value per unit"
            )
        described = f"units of {level!r}"
    strata_codes: np.ndarray | None = None
    if strata:
        sub = frame[strata].iloc[rows]
        missing = sub.isna().any(axis=1).to_numpy()
        if missing.any():
            raise EstimationError(
                f"strata={strata}: missing in {int(missing.sum())} rows of the estimation "
                f"sample (index {_rows_text(index, missing)})"
            )
        row_strata = sub.groupby(strata, sort=True).ngroup().to_numpy().astype(np.int64)
        strata_codes = row_strata
        if unit_codes is not None:
            strata_codes = _first_per_unit(row_strata, unit_codes, len(unit_values))
            if np.any(strata_codes[unit_codes] != row_strata):
                raise EstimationError(
                    f"strata={strata} vary within units of level={level!r}; units can only be "
                    "permuted within strata that contain them whole"
                )
        spread = pd.Series(unit_values).groupby(strata_codes).nunique()
        if spread.max() < 2:
            raise EstimationError(
                f"strata={strata}: {var!r} takes one value in every stratum, so permuting "
                "within strata cannot change it"
            )
        described += f" within strata {'^'.join(strata)}"
    n_units = len(unit_values)
    if permutations is None:
        return _Scheme(unit_values, unit_codes, strata_codes), described, 0
    if strata:
        raise EstimationError("permutations= and strata= cannot be combined")
    perm = np.asarray(permutations)
    if perm.ndim != 2 or perm.shape[1] != n_units or not np.issubdtype(perm.dtype, np.integer):
        what = "units (sorted by level)" if level is not None else "rows of the estimation sample"
        raise EstimationError(
            f"permutations must be an integer array of shape (reps, {n_units}) — one "
            f"permutation of the {n_units} {what} per draw; got shape {perm.shape}, "
            f"dtype {perm.dtype}"
        )
    for r, row in enumerate(perm):
        if row.min() < 0 or row.max() >= n_units or np.bincount(row, minlength=n_units).max() > 1:
            raise EstimationError(f"permutations: row {r} is not a permutation of 0..{n_units - 1}")
    user_map = None
    if unit_codes is None:
        data_order = np.argsort(rows, kind="stable")
        rank = np.empty_like(data_order)
        rank[data_order] = np.arange(len(rows))
        user_map = (data_order, rank)
    scheme = _Scheme(unit_values, unit_codes, None, perm.astype(np.int64), user_map)
    return scheme, described + " (user permutations)", len(perm)


def _prepare(
    sample: _Sample,
    result: Result,
    var: str,
    scheme: _Scheme,
    vcov_kind: str,
    ssc: str | dict[str, Any],
    demeaner: DemeanMethod,
) -> _Shared:
    """Demean y and the other regressors once, partial them out, fix the vcov constants."""
    kept = list(result.params.index)
    others = [sample.names.index(c) for c in kept if c != var]
    xo = sample.x[:, others]
    weights = sample.weights
    codes = [e.codes for e in sample.effects]
    method = None
    yx = np.column_stack([sample.y, xo])
    if codes:
        dm = demean(yx, codes, weights, method=demeaner)
        yx, method = dm.values, dm.method
    sqrt_w = None if weights is None else np.sqrt(weights)
    if sqrt_w is not None:
        yx = yx * sqrt_w[:, None]
    n = len(sample.y)
    q = np.linalg.qr(yx[:, 1:])[0] if others else np.empty((n, 0))
    y_star = yx[:, 0] - q @ (q.T @ yx[:, 0])
    small = small_sample(ssc, vcov_kind, n, len(kept), sample.effects, sample.clusters)
    terms: list[tuple[np.ndarray, int, float]] = []
    if vcov_kind == "CRV1":
        factors = list(sample.clusters)
        signs = [1.0]
        if len(factors) == 2:
            factors.append(intersect(factors[0], factors[1]))
            signs = [1.0, 1.0, -1.0]
        terms = [
            (f.codes, f.n_levels, sign * scale)
            for f, sign, scale in zip(factors, signs, small.scales, strict=True)
        ]
    alternating = method == "alternating"
    return _Shared(
        scheme=scheme,
        projector=_Projector(sample.effects, weights) if codes and not alternating else None,
        effect_codes=codes,
        alternating=alternating,
        sqrt_w=sqrt_w,
        q=np.ascontiguousarray(q),
        y_star=y_star,
        vcov_kind=vcov_kind,
        terms=terms,
        scale=small.scales[0],
        n=n,
        raw_sq=float(np.sum(sample.x[:, sample.names.index(var)] ** 2)),
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
        ``coefs``, ``tvalues``, ``estimate``, ``p_value``, ``summary()``, ``tidy()``,
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
    frame = _as_pandas(data)
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
    _check_columns(frame, list(extra), extra)
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
    vc = _parse_vcov(vcov, spec)
    ssc_opts = parse_ssc(ssc)
    sample = _build_sample(frame, spec, vc, weights, panel, drop_singletons)
    values = sample.x[:, sample.names.index(var)].copy()
    if np.all(values == values[0]):
        raise EstimationError(
            f"var={var!r} takes one value ({values[0]!r}) in all {len(values)} rows of the "
            "estimation sample; permuting it changes nothing"
        )
    scheme, described, n_user = _make_scheme(
        frame, sample, values, var, strata_cols, level, permutations
    )
    result = _fit(spec, vc, ssc_opts, sample, demeaner)
    if var not in result.params.index:
        why = result.diagnostics["collinear_reasons"].get(var, "collinear")
        raise EstimationError(f"var={var!r} is dropped from the real fit ({why})")
    shared = _prepare(sample, result, var, scheme, vc.kind, ssc_opts, demeaner)

    sequence = np.random.SeedSequence(seed)
    draws: list[Any] = list(range(n_user)) if permutations is not None else sequence.spawn(reps)
    n_draws = len(draws)
    created = engine is None or isinstance(engine, str)
    runner = resolve_engine(engine)
    if batch_size is None:
        by_memory = max(1, BATCH_BYTES // (8 * len(values)))
        batch_size = max(1, min(by_memory, -(-n_draws // (2 * runner.n_workers))))
    items = [(lo, draws[lo : lo + batch_size]) for lo in range(0, n_draws, batch_size)]
    identity = _Scheme(values, user=np.arange(len(values))[None, :])
    check = _run_batch((0, [0]), replace(shared, scheme=identity))
    setup = time.perf_counter() - started
    try:
        batches = runner.map(_run_batch, items, shared=shared)
    finally:
        if created:
            runner.close()
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
