"""Permutation machinery of the placebo test: permutation schemes and the batch kernel.

:func:`vagg.estimate.inference.placebo.placebo` re-estimates a :func:`~vagg.estimate.feols` model
with
the observed values of one regressor permuted, many times. This module holds how a draw's
placebo column is made (:class:`PermutationScheme`) and how a batch of draws is estimated
(:func:`prepare_batches` once, :func:`run_batch` per batch, each batch one task of an engine).
Methods notes §11; Fisher (1935); Young (2019), *QJE* 134(2); Heß (2017), *Stata Journal*
17(3), ``ritest``.

**Permutation schemes** (the multiset of values is kept; nothing is drawn with replacement):

* over all rows of the estimation sample — one Fisher–Yates shuffle per draw
  (``Generator.shuffle``);
* within strata — each cell of the strata columns keeps its values: a shuffle per stratum
  when there are at most :data:`LOOP_STRATA` strata, else one stable sort by (stratum, random
  key);
* at the level of units (firms, cities) — ``var`` is constant within a unit; the unit values
  are permuted across units (within strata, which must be constant per unit) and every row of
  a unit takes its unit's new value;
* user-supplied — one permutation per draw, of the rows in data order or of the units in
  sorted order of their labels.

**Seeds.** Draw ``r`` uses its own generator, ``SeedSequence(seed).spawn(reps)[r]``, so the
draws do not depend on the engine, the number of workers or the batch size.

**Batch kernel (Frisch–Waugh–Lovell).** Write the model ``y = βx + X_o γ + Dα + ε`` (``D`` the
fixed-effect dummies, ``X_o`` the other regressors, ``W`` the weights). Once
(:func:`prepare_batches`): ``y`` and ``X_o`` are demeaned by the effects
(:func:`vagg.estimate.linear.demean.demean`, on feols's sample) and ``ỹ*`` = ``ỹ`` residualised on
``X̃_o``. Per draw, with ``x`` the permuted column: ``x̃ = M_D x`` (the permuted column must be
demeaned again), ``x* = x̃ − X̃_o(X̃_o'WX̃_o)⁻¹X̃_o'Wx̃``, ``β̂ = x*'Wỹ*/x*'Wx*``, residuals
``e = ỹ* − β̂x*``, and the variance is the ``(x, x)`` element of feols's sandwich, which by FWL
is ``V = c·Σ_g(Σ_{i∈g} wᵢeᵢx*ᵢ)²/(x*'Wx*)²`` (CRV1; the two-way version sums three such
terms), ``c·Σ(wᵢeᵢx*ᵢ)²/(x*'Wx*)²`` (HC1) or ``c·(Σwᵢeᵢ²/N)/(x*'Wx*)`` (iid), with the
small-sample factor ``c`` of the original fit (:mod:`vagg.estimate.linear.sandwich`). The results
equal re-running :func:`feols` on each permuted table (the tests check it to 1e-10).

The permuted columns of a batch form a ``B × N`` array. They are demeaned by the
:class:`~vagg.estimate.linear.demean.PreparedDemeaner` that demeaned ``y`` and ``X_o`` (the small
effects' system factorised **once** and reused for every draw; one projection per column,
rows kept in the CPU cache); when the exact method does not apply (too many small-effect
levels), ``demean(method="alternating")`` demeans each batch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import rows_text
from vagg.estimate.linear.demean import DemeanMethod, PreparedDemeaner, demean
from vagg.estimate.linear.fixed_effects import COLLINEAR_TOL, EstimationSample
from vagg.estimate.linear.sandwich import intersect, small_sample
from vagg.estimate.results import Result

#: Strata up to this many are shuffled one by one; more are sorted by (stratum, random key).
LOOP_STRATA = 1000

__all__ = [
    "LOOP_STRATA",
    "BatchInputs",
    "PermutationScheme",
    "permutation_scheme",
    "prepare_batches",
    "run_batch",
]


# -- permutation schemes ----------------------------------------------------------------------
@dataclass
class PermutationScheme:
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


def _first_per_unit(values: np.ndarray, codes: np.ndarray, n_units: int) -> np.ndarray:
    """For each unit ``0..n_units−1``, the value of its first row (``codes``: unit of each row)."""
    first = np.empty(n_units, dtype=values.dtype)
    first[codes[::-1]] = values[::-1]
    return first


def permutation_scheme(
    frame: pd.DataFrame,
    sample: EstimationSample,
    values: np.ndarray,
    var: str,
    strata: list[str],
    level: str | None,
    permutations: Any,
) -> tuple[PermutationScheme, str, int]:
    """The permutation scheme of ``var`` (its ``values`` on the estimation sample), a
    description, and the number of user draws (0 unless ``permutations`` is given).

    ``strata`` (column names) and ``level`` (a unit column) as in
    :func:`~vagg.estimate.inference.placebo.placebo`; raises :class:`EstimationError` naming the
    rows
    where they are missing, the units within which ``var`` varies, and malformed
    ``permutations``.
    """
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
                f"sample (index {rows_text(index[missing])})"
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
                f"sample (index {rows_text(index[missing])})"
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
        return PermutationScheme(unit_values, unit_codes, strata_codes), described, 0
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
    scheme = PermutationScheme(unit_values, unit_codes, None, perm.astype(np.int64), user_map)
    return scheme, described + " (user permutations)", len(perm)


# -- the batch kernel ------------------------------------------------------------------------
@dataclass
class BatchInputs:
    """Everything a batch of draws needs (:func:`prepare_batches`), sent once to every worker."""

    scheme: PermutationScheme
    demeaner: PreparedDemeaner | None
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


def prepare_batches(
    sample: EstimationSample,
    result: Result,
    var: str,
    scheme: PermutationScheme,
    ssc: str | dict[str, Any],
    demeaner: DemeanMethod,
) -> BatchInputs:
    """Demean y and the other regressors once, partial them out, fix the vcov constants.

    ``result`` is the real fit on ``sample`` (its kept regressors define ``X_o``), ``ssc`` its
    parsed small-sample convention, ``demeaner`` the method for the fixed effects.
    """
    vcov_kind = sample.vcov.kind
    kept = list(result.params.index)
    others = [sample.names.index(c) for c in kept if c != var]
    xo = sample.x[:, others]
    weights = sample.weights
    codes = [e.codes for e in sample.effects]
    method = None
    prepared = None
    yx = np.column_stack([sample.y, xo])
    if codes:
        dm = demean(yx, codes, weights, method=demeaner)
        yx, method, prepared = dm.values, dm.method, dm.prepared
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
    return BatchInputs(
        scheme=scheme,
        demeaner=prepared,
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


def run_batch(item: tuple[int, Sequence[Any]], shared: BatchInputs) -> dict[str, Any]:
    """Coefficients and t-statistics of one batch ``(first draw, draws)`` (module docstring),
    and the seconds spent drawing, demeaning and on the rest."""
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
    elif s.demeaner is not None:
        s.demeaner.demean_rows(x, refine=False)
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
