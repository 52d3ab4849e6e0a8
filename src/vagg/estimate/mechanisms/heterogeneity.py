"""Heterogeneity: one model per subgroup, and tests that a coefficient differs between groups.

Paper 000 Table 4 estimates the baseline model separately for state-owned / foreign / private
firms, east / central / west, processing / ordinary trade and high-tech / other industries, and
reads the differences off the split-sample coefficients. :func:`heterogeneity` fits the same
``feols`` formula on each group and adds a formal test of the difference for the key
regressor(s), by one of three methods:

``"interaction"`` (Chow-type, the common approach in the papers' literature)
    One pooled regression of the formula plus the group dummies D_g (g ≠ reference) and the
    products key × D_g. The coefficient on key × D_g is β_g − β_ref, tested with its t (and,
    for more than two groups, a joint Wald test). By default (``pooled="key"``) only the key
    regressor is interacted: controls and fixed effects are *common* to all groups, so the
    estimate is not exactly the difference of the split-sample coefficients (it is when the
    restriction holds). ``pooled="full"`` interacts every regressor with the dummies and every
    fixed effect with the group (``fe^by``): the pooled coefficients then equal the split-sample
    ones exactly, and the test is the classic Chow test of the key coefficient with a pooled
    variance estimate.
``"suest"`` (seemingly-unrelated-estimation style)
    z = (β̂_g − β̂_ref) / sqrt(se_g² + se_ref²) from the split-sample fits, normal p-value; for
    more than two groups a χ²(G−1) Wald test of all differences with the covariance
    diag(se_g²) + se_ref²·11′. Valid when the groups are disjoint sets of observations and the
    errors are independent across groups — with clustered errors, when each cluster lies in
    one group (clusters nested in groups); then the cross-group covariance that Stata's
    ``suest`` would estimate from the stacked scores is zero. Stata's ``suest`` applies one
    small-sample factor to the stacked system, so its SEs differ from this by that factor.
``"permutation"`` (Fisher randomisation)
    The statistic T = β̂_g − β̂_ref (and Σ_g (β̂_g − β̄)² jointly) is recomputed after permuting
    the group labels across clusters (the first clustering variable of ``vcov``; rows when
    errors are not clustered), which keeps each cluster's observations together and the
    number of clusters per group fixed. p = #{|T*| ≥ |T|}/R (Stata ``ritest``; methods notes
    §11.1). The sharp null is that group membership does not matter for the key coefficient.
    Each permutation has its own seed from ``numpy.random.SeedSequence(seed)``, so results do
    not depend on the ``engine`` that runs them.

References: Chow (1960); Weesie (1999) on ``suest``; Fisher (1935); Heß (2017) ``ritest``;
Cleary (1999) and Lian Yujun's ``bdiff`` discussion of coefficient-difference tests.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from vagg.engine import run_tasks
from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas, require_columns
from vagg.estimate.linear.fixed_effects import estimation_rows, feols, feols_quietly
from vagg.estimate.linear.formula import parse_formula, term_columns
from vagg.estimate.linear.sample import parse_vcov
from vagg.estimate.results import Result

__all__ = ["Heterogeneity", "heterogeneity"]

Test = Literal["interaction", "suest", "permutation"]
_CHUNK = 25


def _label(by: str, key: Hashable) -> str:
    return f"{by}={key}"


def _joint_row(
    term: str, reference: Hashable, statistic: float, p: float, test: str
) -> dict[str, Any]:
    """The ``group="joint"`` row of the difference table (no single difference or SE)."""
    return {
        "term": term,
        "group": "joint",
        "reference": reference,
        "difference": np.nan,
        "std_error": np.nan,
        "statistic": statistic,
        "pvalue": p,
        "test": test,
    }


# --------------------------------------------------------------------------- permutation
@dataclass(frozen=True)
class _PermutationTask:
    frame: pd.DataFrame
    formula: str
    keys: tuple[str, ...]
    weights: str | None
    cluster_codes: np.ndarray  # cluster of each row
    cluster_groups: np.ndarray  # group index (0..G-1) of each cluster
    n_groups: int


def _group_coefficients(
    frame: pd.DataFrame,
    formula: str,
    keys: Sequence[str],
    weights: str | None,
    g: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """(G, K) coefficients of the key terms, fitted group by group (NaN where not estimable)."""
    out = np.full((n_groups, len(keys)), np.nan)
    for j in range(n_groups):
        part = frame[g == j]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = feols(formula, part, vcov="iid", weights=weights)
        except (EstimationError, np.linalg.LinAlgError):
            continue
        out[j] = [res.params.get(k, np.nan) for k in keys]
    return out


def _permutation_chunk(
    seeds: tuple[np.random.SeedSequence, ...], shared: _PermutationTask
) -> np.ndarray:
    """(R, G, K) key coefficients on R permutations of the cluster-level group labels."""
    task = shared
    out = np.empty((len(seeds), task.n_groups, len(task.keys)))
    for r, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        labels = rng.permutation(task.cluster_groups)[task.cluster_codes]
        out[r] = _group_coefficients(
            task.frame, task.formula, task.keys, task.weights, labels, task.n_groups
        )
    return out


# --------------------------------------------------------------------------- result
@dataclass(eq=False)
class Heterogeneity:
    """Split-sample estimates and the test of their difference (see :func:`heterogeneity`).

    ``groups`` maps each group value to its :class:`Result`; ``difference`` has one row per
    key term and non-reference group (``group``) with ``difference`` (β_g − β_ref or the
    interaction coefficient), ``std_error``, ``statistic``, ``pvalue``, ``test``, plus a
    ``group="joint"`` row per key term when there are more than two groups (for the
    permutation test, ``statistic`` is the difference itself and ``std_error`` the standard
    deviation of the permuted differences; the joint statistic is Σ_g (β̂_g − β̄)²). ``pooled`` is
    the interaction model (``test="interaction"``), ``permutation_draws`` the (R, G, K) array
    of permuted coefficients (``test="permutation"``).
    """

    formula: str
    by: str
    keys: tuple[str, ...]
    reference: Hashable
    test: str
    groups: dict[Hashable, Result]
    difference: pd.DataFrame
    pooled: Result | None = None
    permutation_draws: np.ndarray | None = None
    n_missing_group: int = 0
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """The per-group coefficient tables stacked, with a ``group`` column first."""
        parts = [res.tidy().assign(group=key, nobs=res.nobs) for key, res in self.groups.items()]
        out = pd.concat(parts, ignore_index=True)
        return out[["group", *[c for c in out.columns if c != "group"]]]

    def summary(self) -> str:
        lines = [f"Heterogeneity by {self.by}: {self.formula}   (test: {self.test})"]
        rows = []
        for key, res in self.groups.items():
            row: dict[str, Any] = {"group": key, "nobs": res.nobs}
            for k in self.keys:
                row[k] = f"{res.params[k]:.4f} ({res.bse[k]:.4f})"
            rows.append(row)
        lines.append(pd.DataFrame(rows).to_string(index=False))
        lines.append(f"Differences (reference: {self.by}={self.reference}):")
        lines.append(self.difference.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        if self.n_missing_group:
            lines.append(f"Rows with {self.by} missing (not in any group): {self.n_missing_group}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Heterogeneity by={self.by} groups={list(self.groups)} test={self.test}>"


# --------------------------------------------------------------------------- main
def heterogeneity(
    formula: str,
    data: Any,
    *,
    by: str,
    key: str | Sequence[str] | None = None,
    vcov: str | Mapping[str, Any] | None = None,
    weights: str | None = None,
    test: Test = "interaction",
    reference: Hashable | None = None,
    pooled: Literal["key", "full"] = "key",
    reps: int = 500,
    seed: int = 0,
    engine: Any = None,
    min_obs: int | None = None,
) -> Heterogeneity:
    """Fit ``formula`` on each group of ``by`` and test the key coefficients' differences.

    β_g from ``feols(formula, data[by == g], vcov=vcov, weights=weights)`` for every group g
    (paper 000 Table 4). ``key``: the regressor term(s) whose differences are tested (default:
    the first regressor). ``reference``: the group the others are compared with (default: the
    first in sorted order). ``test``: ``"interaction"`` (pooled model with key × group dummies;
    ``pooled="full"`` interacts everything, fixed effects included), ``"suest"`` (split-sample
    z with summed variances) or ``"permutation"`` (``reps`` permutations of the group labels
    across clusters, run serially or by ``engine``: ``"local"``, ``"dask"`` or an object with
    ``map``, see :func:`vagg.engine.run_tasks`). See the module docstring for the
    formulas and when each is valid.

    Rows where ``by`` is missing belong to no group; they are counted in ``n_missing_group``
    (with a warning). Raises :class:`EstimationError` for an unknown ``by`` or key term, fewer
    than two groups, a group with too few usable observations (naming the group; the minimum
    is ``min_obs``, default the number of coefficients + 2), a key term not estimable within a
    group, or — for the permutation test — a group that varies within a cluster.
    """
    frame = as_pandas(data)
    require_columns(frame, "heterogeneity", by=by)
    if test not in ("interaction", "suest", "permutation"):
        raise EstimationError(
            f"heterogeneity: test={test!r}; use 'interaction', 'suest' or 'permutation'"
        )
    if pooled not in ("key", "full"):
        raise EstimationError(f"heterogeneity: pooled={pooled!r}; use 'key' or 'full'")
    spec = parse_formula(formula)
    labels = [t.label for t in spec.regressors]
    keys = tuple([labels[0]] if key is None else [key] if isinstance(key, str) else list(key))
    if not labels:
        raise EstimationError(f"heterogeneity: formula {formula!r} has no regressors to compare")
    unknown = [k for k in keys if k not in labels]
    if unknown:
        raise EstimationError(
            f"heterogeneity: key term(s) {unknown} are not regressors of {formula!r} "
            f"(regressors: {labels})"
        )
    used = {c for t in (spec.depvar, *spec.regressors) for c in term_columns(t)}
    if by in used:
        raise EstimationError(
            f"heterogeneity: the group column {by!r} is a variable of the formula {formula!r}; "
            "within a group it is constant"
        )
    missing_group = frame[by].isna().to_numpy()
    if missing_group.any():
        warnings.warn(
            f"heterogeneity: {int(missing_group.sum())} rows have {by!r} missing and belong to "
            "no group; counted in Heterogeneity.n_missing_group",
            stacklevel=2,
        )
    frame = frame[~missing_group]
    values = [v.item() if isinstance(v, np.generic) else v for v in pd.unique(frame[by])]
    try:
        values = sorted(values)
    except TypeError:
        pass
    if len(values) < 2:
        raise EstimationError(
            f"heterogeneity: {by!r} has {len(values)} group(s) ({values}); need at least two"
        )
    if reference is None:
        reference = values[0]
    if reference not in values:
        raise EstimationError(
            f"heterogeneity: reference={reference!r} is not a value of {by!r} ({values[:10]})"
        )
    values = [reference, *[v for v in values if v != reference]]
    n_coef = len(labels) + int(spec.intercept)
    need = n_coef + 2 if min_obs is None else int(min_obs)

    groups: dict[Hashable, Result] = {}
    group_of_row = np.full(len(frame), -1, dtype=np.int64)
    column = frame[by].to_numpy()
    for j, value in enumerate(values):
        mask = column == value
        group_of_row[mask] = j
        groups[value] = _fit_group(formula, frame[mask], by, value, keys, vcov, weights, need)

    diagnostics: dict[str, Any] = {"minimum_observations": need}
    pooled_result = None
    draws = None
    if test == "interaction":
        pooled_result, difference = _interaction_test(
            spec, frame, by, values, keys, vcov, weights, pooled
        )
    elif test == "suest":
        difference = _suest_test(groups, values, keys)
    else:
        draws, difference = _permutation_test(
            formula,
            frame,
            spec,
            by,
            values,
            keys,
            vcov,
            weights,
            group_of_row,
            groups,
            reps,
            seed,
            engine,
        )
        diagnostics.update(reps=reps, seed=seed)
    return Heterogeneity(
        formula=formula,
        by=by,
        keys=keys,
        reference=reference,
        test=test,
        groups=groups,
        difference=difference,
        pooled=pooled_result,
        permutation_draws=draws,
        n_missing_group=int(missing_group.sum()),
        diagnostics=diagnostics,
    )


def _fit_group(
    formula: str,
    part: pd.DataFrame,
    by: str,
    value: Hashable,
    keys: Sequence[str],
    vcov: Any,
    weights: str | None,
    need: int,
) -> Result:
    name = _label(by, value)
    try:
        rows, dropped = estimation_rows(formula, part, vcov=vcov, weights=weights)
    except EstimationError as err:
        raise EstimationError(f"heterogeneity: group {name} ({len(part)} rows): {err}") from err
    if len(rows) < need:
        raise EstimationError(
            f"heterogeneity: group {name} has {len(rows)} usable observations of {len(part)} "
            f"rows (dropped: {dropped or 'none'}); at least {need} are needed (min_obs)"
        )
    try:
        result = feols_quietly(formula, part, vcov=vcov, weights=weights)
    except EstimationError as err:
        raise EstimationError(f"heterogeneity: group {name}: {err}") from err
    for k in keys:
        if k not in result.params.index:
            why = (result.diagnostics.collinear_reasons or {}).get(k, "not estimated")
            raise EstimationError(f"heterogeneity: group {name}: key term {k!r} is {why}")
        se = float(result.bse[k])
        if not np.isfinite(se) or se <= 0 or (result.df_resid is not None and result.df_resid <= 0):
            raise EstimationError(
                f"heterogeneity: group {name}: no residual degrees of freedom for {k!r} "
                f"({result.nobs} observations); the group is too small"
            )
    dropped_terms = result.diagnostics.collinear_dropped or []
    if dropped_terms:
        warnings.warn(
            f"heterogeneity: group {name}: dropped collinear regressors {dropped_terms}",
            UserWarning,
            stacklevel=3,
        )
    result.extra["group"] = {by: value}
    return result


def _wald(b: np.ndarray, v: np.ndarray, df: float | None) -> tuple[float, float, str]:
    """Wald statistic of b = 0: F = b'V⁻¹b/q on (q, df), or χ²(q) when df is None."""
    q = len(b)
    w = float(b @ np.linalg.solve(v, b))
    if df is None:
        return w, float(stats.chi2.sf(w, q)), f"chi2({q})"
    return w / q, float(stats.f.sf(w / q, q, df)), f"F({q}, {df:g})"


def _dummy_names(frame: pd.DataFrame, by: str, n: int) -> list[str]:
    base = re.sub(r"[^A-Za-z0-9_]", "_", by)
    base = base if re.match(r"[A-Za-z_]", base) else f"g_{base}"
    names = [f"{base}_g{j}" for j in range(1, n)]
    while any(name in frame.columns for name in names):
        base += "_"
        names = [f"{base}_g{j}" for j in range(1, n)]
    return names


def _interaction_test(
    spec: Any,
    frame: pd.DataFrame,
    by: str,
    values: list[Hashable],
    keys: Sequence[str],
    vcov: Any,
    weights: str | None,
    pooled: str,
) -> tuple[Result, pd.DataFrame]:
    dummies = _dummy_names(frame, by, len(values))
    work = frame.copy()
    column = frame[by].to_numpy()
    for name, value in zip(dummies, values[1:], strict=True):
        work[name] = (column == value).astype(float)
    labels = [t.label for t in spec.regressors]
    interacted = labels if pooled == "full" else list(keys)
    products = [f"{t}:{d}" for d in dummies for t in interacted]
    rhs = [*labels, *dummies, *products]
    if not spec.intercept and not spec.fixed_effects:
        rhs.append("- 1")
    fes = ["^".join(fe) for fe in spec.fixed_effects]
    if pooled == "full":
        fes = [f"{fe}^{by}" for fe in fes]
    text = f"{spec.depvar.label} ~ {' + '.join(rhs)}"
    if fes:
        text += " | " + " + ".join(fes)
    result = feols_quietly(text, work, vcov=vcov, weights=weights)
    unexpected = [d for d in (result.diagnostics.collinear_dropped or []) if d not in dummies]
    if unexpected:
        warnings.warn(
            f"heterogeneity: pooled model dropped collinear regressors {unexpected}",
            UserWarning,
            stacklevel=3,
        )
    rows = []
    for k in keys:
        terms = [f"{k}:{d}" for d in dummies]
        lost = [t for t in terms if t not in result.params.index]
        if lost:
            raise EstimationError(
                f"heterogeneity: interaction(s) {lost} are collinear in the pooled model {text!r}"
            )
        for value, term in zip(values[1:], terms, strict=True):
            rows.append(
                {
                    "term": k,
                    "group": value,
                    "reference": values[0],
                    "difference": float(result.params[term]),
                    "std_error": float(result.bse[term]),
                    "statistic": float(result.tvalues[term]),
                    "pvalue": float(result.pvalues[term]),
                    "test": "interaction t" if result.df_resid is not None else "interaction z",
                }
            )
        if len(terms) > 1:
            stat, p, dist = _wald(
                result.params[terms].to_numpy(),
                result.vcov.loc[terms, terms].to_numpy(),
                result.df_resid,
            )
            rows.append(_joint_row(k, values[0], stat, p, f"interaction Wald {dist}"))
    result.extra["group_dummies"] = dict(zip(dummies, values[1:], strict=True))
    return result, pd.DataFrame(rows)


def _suest_test(
    groups: dict[Hashable, Result], values: list[Hashable], keys: Sequence[str]
) -> pd.DataFrame:
    ref = groups[values[0]]
    rows = []
    for k in keys:
        b0, s0 = float(ref.params[k]), float(ref.bse[k])
        diffs, variances = [], []
        for value in values[1:]:
            res = groups[value]
            d = float(res.params[k]) - b0
            se = float(np.sqrt(res.bse[k] ** 2 + s0**2))
            z = d / se
            diffs.append(d)
            variances.append(float(res.bse[k] ** 2))
            rows.append(
                {
                    "term": k,
                    "group": value,
                    "reference": values[0],
                    "difference": d,
                    "std_error": se,
                    "statistic": z,
                    "pvalue": float(2 * stats.norm.sf(abs(z))),
                    "test": "suest z",
                }
            )
        if len(diffs) > 1:
            cov = np.diag(variances) + s0**2
            stat, p, dist = _wald(np.array(diffs), cov, None)
            rows.append(_joint_row(k, values[0], stat, p, f"suest Wald {dist}"))
    return pd.DataFrame(rows)


def _permutation_test(
    formula: str,
    frame: pd.DataFrame,
    spec: Any,
    by: str,
    values: list[Hashable],
    keys: Sequence[str],
    vcov: Any,
    weights: str | None,
    group_of_row: np.ndarray,
    groups: dict[Hashable, Result],
    reps: int,
    seed: int,
    engine: Any,
) -> tuple[np.ndarray, pd.DataFrame]:
    if reps < 1:
        raise EstimationError(f"heterogeneity: reps={reps} must be ≥ 1 for the permutation test")
    clusters = parse_vcov(vcov, spec).clusters  # feols's default: the first fixed effect
    cluster = clusters[0] if clusters else None
    if cluster is not None and "^" not in cluster and cluster not in frame.columns:
        raise EstimationError(f"heterogeneity: cluster column {cluster!r} is not in data")
    parts = [] if cluster is None else cluster.split("^")
    if cluster is None:
        codes = np.arange(len(frame), dtype=np.int64)
    else:
        codes = frame.groupby(parts, sort=False, dropna=False).ngroup().to_numpy().astype(np.int64)
    n_clusters = int(codes.max()) + 1
    cluster_groups = np.full(n_clusters, -1, dtype=np.int64)
    cluster_groups[codes] = group_of_row
    mixed = np.bincount(codes, weights=group_of_row != cluster_groups[codes], minlength=n_clusters)
    if (mixed > 0).any():
        bad = frame.loc[mixed[codes] > 0, parts].drop_duplicates().head(5).to_numpy().tolist()
        raise EstimationError(
            f"heterogeneity: {by!r} varies within clusters of {cluster!r} (e.g. {bad}); "
            "permuting group labels across clusters needs a group that is constant in a cluster"
        )
    observed = np.array([[groups[v].params[k] for k in keys] for v in values])
    needed = list(dict.fromkeys(spec.columns()))
    if weights is not None:
        needed.append(weights)
    lean = frame[needed].reset_index(drop=True)
    seeds = np.random.SeedSequence(seed).spawn(reps)
    task = _PermutationTask(lean, formula, tuple(keys), weights, codes, cluster_groups, len(values))
    chunks = [tuple(seeds[i : i + _CHUNK]) for i in range(0, reps, _CHUNK)]
    sizes = [len(c) for c in chunks]
    draws = np.concatenate(
        run_tasks(engine, _permutation_chunk, chunks, task, label="permutations", sizes=sizes)
    )
    rows = []
    for kk, k in enumerate(keys):
        t_obs = observed[1:, kk] - observed[0, kk]
        t_perm = draws[:, 1:, kk] - draws[:, :1, kk]
        for g, value in enumerate(values[1:]):
            ok = np.isfinite(t_perm[:, g])
            rows.append(
                {
                    "term": k,
                    "group": value,
                    "reference": values[0],
                    "difference": float(t_obs[g]),
                    "std_error": float(np.std(t_perm[ok, g], ddof=1)) if ok.sum() > 1 else np.nan,
                    "statistic": float(t_obs[g]),
                    "pvalue": float(np.mean(np.abs(t_perm[ok, g]) >= abs(t_obs[g])))
                    if ok.any()
                    else np.nan,
                    "test": f"permutation ({int(ok.sum())} draws)",
                }
            )
        if len(values) > 2:
            j_obs = float(np.sum((observed[:, kk] - observed[:, kk].mean()) ** 2))
            j_perm = np.sum((draws[:, :, kk] - draws[:, :, kk].mean(axis=1)[:, None]) ** 2, axis=1)
            ok = np.isfinite(j_perm)
            p = float(np.mean(j_perm[ok] >= j_obs)) if ok.any() else np.nan
            test = f"permutation, sum of squared deviations ({int(ok.sum())} draws)"
            rows.append(_joint_row(k, values[0], j_obs, p, test))
    return draws, pd.DataFrame(rows)
