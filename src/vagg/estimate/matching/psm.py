"""Propensity-score nearest-neighbour matching with psmatch2's conventions.

Paper 000 (Ren & Liang 2022, Table 2, columns 1–6) matches platform members to never-members
year by year, 1:1 and 1:3 nearest neighbour on the propensity score, and re-estimates on the
matched sample; columns 7–9 weight by inverse probabilities. :func:`psm` does the matching;
:class:`Matching` carries the scores, psmatch2's ``_weight``, the matched pairs, the ATT with
psmatch2's analytic standard error, a ``pstest``-style balance table and IPW weights.

Conventions (psmatch2 4.0.12 by Leuven & Sianesi, read in ``psmatch2.ado``/``pstest.ado``;
MatchIt 4.5 by Ho, Imai, King, Stuart & Greifer; methods note §9):

* **Score.** Unpenalised logit (default here and in MatchIt) or probit (psmatch2's default) of
  the treatment on a constant and the covariates, fitted separately in each ``by`` group.
* **Matching** on the score: truly nearest neighbours, psmatch2's ``ties`` and caliper (raw
  score units, strict), the order of treated units without replacement (``"smallest"`` is
  psmatch2's ``noreplacement``, ``"largest"`` MatchIt's default) and the known differences
  from psmatch2's and MatchIt 4.5's greedy searches are in
  :mod:`vagg.estimate.matching.nearest_neighbor`.
* **Common support** (psmatch2's ``common``, MatchIt's ``discard="treated"``): only when
  asked (``common_support=True``), treated units whose score is below the minimum or above the
  maximum of the controls' scores (within the ``by`` group) are not matched. The default is
  False, as in psmatch2 and MatchIt, so ``psmatch2 ..., neighbor(1) noreplacement`` and
  ``psm(..., replace=False, order="smallest")`` give the same numbers (``docs/defaults.md``).
* **Missing values** in the treatment, covariates or ``by`` columns: with ``missing="drop"``
  (default, psmatch2's listwise deletion) the rows are dropped with a warning and counted in
  ``sample.dropped["missing"]``; ``missing="raise"`` refuses them.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from vagg.estimate.diagnostics import Diagnostics
from vagg.estimate.matching.balance import Balance, balance_table
from vagg.estimate.matching.ipw import (
    Estimand,
    Model,
    PSMInputError,
    describe_rows,
    fit_propensity,
    inverse_probability_weights,
)
from vagg.estimate.matching.nearest_neighbor import (
    CALIPER,
    EXHAUSTED,
    MATCHED,
    Order,
    check_matching_options,
    match_scores,
    nearest_neighbors,
    pairs_frame,
    processing_order,
)
from vagg.estimate.results import Result, SampleAccounting

__all__ = ["Matching", "PSMInputError", "nearest_neighbors", "psm"]

# status of each input row after matching (with MATCHED, CALIPER, EXHAUSTED for treated)
CONTROL_USED, CONTROL_UNUSED = "control_matched", "control_not_matched"
OFF_SUPPORT, MISSING = "outside_common_support", "missing"
_DROP_REASONS = (MISSING, OFF_SUPPORT, CALIPER, EXHAUSTED, CONTROL_UNUSED)


# --------------------------------------------------------------------------- input
def _as_list(names: str | Sequence[str] | None) -> list[str]:
    if names is None:
        return []
    return [names] if isinstance(names, str) else list(names)


def _numeric(data: pd.DataFrame, column: str, role: str) -> np.ndarray:
    series = data[column]
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise PSMInputError(
            f"{role} column {column!r} has dtype {series.dtype}; it must be numeric "
            "(encode categories as 0/1 dummies)"
        )
    values = series.astype("float64").to_numpy()
    infinite = np.isinf(values)
    if infinite.any():
        raise PSMInputError(
            f"{role} column {column!r} is infinite at rows "
            f"{describe_rows(list(data.index[infinite]))}"
        )
    return values


def _group_label(by: list[str], key: object) -> str:
    keys = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{name}={value}" for name, value in zip(by, keys, strict=True))


def _plain(key: Any) -> Any:
    """A group key with numpy scalars turned into Python ones (``2005``, not ``int64(2005)``)."""
    if isinstance(key, tuple):
        return tuple(_plain(k) for k in key)
    return key.item() if isinstance(key, np.generic) else key


# --------------------------------------------------------------------------- psm
def psm(
    data: pd.DataFrame,
    treatment: str,
    covariates: str | Sequence[str],
    *,
    model: Model = "logit",
    k: int = 1,
    replace: bool = True,
    caliper: float | None = None,
    by: str | Sequence[str] | None = None,
    common_support: bool = False,
    order: Order = "data",
    ties: bool = False,
    seed: int = 0,
    missing: Literal["drop", "raise"] = "drop",
) -> Matching:
    """Propensity-score nearest-neighbour matching (psmatch2 ``neighbor(k)``).

    p̂_i = F(α + x_i'β) by logit or probit ML, per ``by`` group; each treated unit i on
    common support is matched to its k nearest controls j by |p̂_i − p̂_j| (within the group),
    with or without replacement, subject to ``caliper``. Match weights are 1/n_i for the n_i
    matches of treated unit i (psmatch2's ``_weight`` sums them per control); the ATT is
    mean_i [Y_i − Σ_j Y_j / n_i] (see :meth:`Matching.att`).

    Implements paper 000, Table 2 columns (1)–(6) (year-by-year 1:1 and 1:3 matching:
    ``by="year", k=1`` or ``k=3``). References: Rosenbaum & Rubin (1983); Leuven & Sianesi
    (2003) psmatch2; Ho, Imai, King & Stuart (2011) MatchIt. Conventions and their
    differences are in the module docstring.

    Arguments: ``model`` "logit" (default) or "probit"; ``k`` neighbours; ``replace``;
    ``caliper`` in score units (strict, None for none); ``by`` column(s) to fit and match
    within; ``common_support`` (psmatch2 ``common``; default False, no trimming); ``order``
    of treated units without replacement ("data", "random" with ``seed``, "largest",
    "smallest"); ``ties`` (psmatch2 ``ties``); ``missing`` "drop" (count and warn) or
    "raise". Returns a :class:`Matching` whose ``sample`` counts every row left out, by
    reason.

    Raises :class:`PSMInputError` (a ``ValueError``) for unknown columns, a treatment that is
    not 0/1 or does not vary (overall or in a ``by`` group), non-numeric covariates, missing
    values when ``missing="raise"``, a constant/collinear or separating covariate, and k
    larger than the number of controls in a group.
    """
    if not isinstance(data, pd.DataFrame) and hasattr(data, "to_pandas"):
        data = data.to_pandas()
    if not isinstance(data, pd.DataFrame):
        raise PSMInputError(f"data must be a pandas or polars DataFrame, got {type(data)}")
    covs, by_cols = _as_list(covariates), _as_list(by)
    check_matching_options(k, caliper, order)
    if model not in ("logit", "probit"):
        raise PSMInputError(f"model must be 'logit' or 'probit', got {model!r}")
    if not covs:
        raise PSMInputError("covariates: give at least one column for the propensity score")
    if missing not in ("drop", "raise"):
        raise PSMInputError(f"missing must be 'drop' or 'raise', got {missing!r}")
    wanted = [treatment, *covs, *by_cols]
    unknown = [c for c in wanted if c not in data.columns]
    if unknown:
        raise PSMInputError(
            f"unknown columns {unknown} in data (columns: {list(data.columns)[:20]})"
        )
    repeated = sorted({c for c in wanted if wanted.count(c) > 1})
    if repeated:
        raise PSMInputError(
            f"columns {repeated} appear more than once among treatment, covariates and by"
        )
    if not data.index.is_unique:
        dup = data.index[data.index.duplicated()].unique()
        raise PSMInputError(f"data index has duplicate labels {describe_rows(list(dup))}")

    # -- missing values: counted per column, dropped with a warning or refused
    labels = data.index
    d_all = _numeric(data, treatment, "treatment")
    x_all = np.column_stack([_numeric(data, c, "covariate") for c in covs])
    na = {c: data[c].isna().to_numpy() for c in wanted}
    is_missing = np.logical_or.reduce(list(na.values()))
    if is_missing.any():
        per_column = {c: int(m.sum()) for c, m in na.items() if m.any()}
        message = (
            f"{int(is_missing.sum())} of {len(data)} rows have missing values "
            f"(per column: {per_column}) at rows {describe_rows(list(labels[is_missing]))}"
        )
        if missing == "raise":
            raise PSMInputError(message)
        warnings.warn(
            f"psm: {message}; dropped and counted in Matching.sample.dropped['missing']",
            stacklevel=2,
        )
    usable = ~is_missing
    bad = usable & ~np.isin(d_all, (0.0, 1.0))
    if bad.any():
        values = sorted(set(d_all[bad].tolist()))[:5]
        raise PSMInputError(
            f"treatment column {treatment!r} must be 0/1; found {values} at rows "
            f"{describe_rows(list(labels[bad]))}"
        )
    if usable.sum() == 0 or len(set(d_all[usable].tolist())) < 2:
        value = "no rows" if usable.sum() == 0 else f"all {int(d_all[usable][0])}"
        raise PSMInputError(f"treatment column {treatment!r} does not vary ({value})")

    # -- groups
    positions = np.flatnonzero(usable)
    if by_cols:
        grouped = data.iloc[positions].groupby(by_cols, sort=True, dropna=False)
        groups = {_plain(key): positions[idx] for key, idx in grouped.indices.items()}
    else:
        groups = {None: positions}
    rng = np.random.default_rng(seed)
    n = len(data)
    pscore, index = np.full(n, np.nan), np.full(n, np.nan)
    group_code = np.full(n, -1, dtype=np.int64)
    status = np.full(n, MISSING, dtype=object)
    pair_t: list[np.ndarray] = []
    pair_c: list[np.ndarray] = []
    pair_d: list[float] = []
    pair_r: list[int] = []
    pair_g: list[object] = []
    models: dict[Hashable, Any] = {}
    for code, (key, rows) in enumerate(groups.items()):
        where = f" in by group {_group_label(by_cols, key)}" if by_cols else ""
        d = d_all[rows] == 1
        if d.all() or not d.any():
            raise PSMInputError(
                f"treatment column {treatment!r} does not vary{where} "
                f"(all {int(d[0])}, {len(d)} rows)"
            )
        n_controls = int((~d).sum())
        if k > n_controls:
            raise PSMInputError(f"k={k} neighbours requested but only {n_controls} controls{where}")
        design = pd.DataFrame(x_all[rows], index=labels[rows], columns=covs)
        design.insert(0, "const", 1.0)
        p, xb, fitted = fit_propensity(d, design, model=model, where=where)
        models[key] = fitted
        pscore[rows], index[rows], group_code[rows] = p, xb, code
        t_rows, c_rows = rows[d], rows[~d]
        p_t, p_c = p[d], p[~d]
        status[c_rows] = CONTROL_UNUSED
        on_support = np.ones(len(t_rows), dtype=bool)
        if common_support:
            on_support = (p_t >= p_c.min()) & (p_t <= p_c.max())
            status[t_rows[~on_support]] = OFF_SUPPORT
        t_sel = np.flatnonzero(on_support)
        res = match_scores(
            p_t[t_sel],
            p_c,
            c_rows,
            processing_order(p_t[t_sel], t_rows[t_sel], order, rng),
            k=k,
            replace=replace,
            caliper=caliper,
            ties=ties,
        )
        for t, state in res.status.items():
            status[t_rows[t_sel[t]]] = state
        pair_t.append(t_rows[t_sel[np.asarray(res.treated, dtype=np.int64)]])
        pair_c.append(c_rows[np.asarray(res.control, dtype=np.int64)])
        pair_d.extend(res.distance)
        pair_r.extend(res.rank)
        pair_g.extend([key] * len(res.rank))
    t_pos, c_pos = np.concatenate(pair_t), np.concatenate(pair_c)
    status[c_pos] = CONTROL_USED
    if (status == EXHAUSTED).any():
        warnings.warn(
            f"psm: without replacement, controls ran out for {int((status == EXHAUSTED).sum())}"
            " treated units; counted in Matching.sample.dropped['controls_exhausted']",
            stacklevel=2,
        )
    matched, pair_positions = pairs_frame(
        labels, t_pos, c_pos, pair_d, pair_r, pair_g if by_cols else None
    )
    return Matching(
        data=data,
        treatment=treatment,
        covariates=covs,
        by=by_cols,
        settings={
            "model": model,
            "k": k,
            "replace": replace,
            "caliper": caliper,
            "common_support": common_support,
            "order": order,
            "ties": ties,
            "seed": seed,
        },
        pscore=pd.Series(pscore, index=labels, name="_pscore"),
        pscore_index=pd.Series(index, index=labels, name="_pscore_index"),
        status=pd.Series(status, index=labels, name="_status"),
        group_code=group_code,
        matched=matched,
        pair_positions=pair_positions,
        models=models,
    )


# --------------------------------------------------------------------------- result
@dataclass(eq=False)
class Matching:
    """The outcome of :func:`psm`.

    ``pscore`` (psmatch2 ``_pscore``), ``pscore_index`` (linear index x'β̂), ``status`` (per
    row: matched, control_matched, control_not_matched, outside_common_support,
    unmatched_by_caliper, controls_exhausted, missing) are Series aligned to the input index;
    ``matched`` has one row per (treated, control) pair (index labels; ``pair_positions`` holds
    the same pairs as row positions); ``models`` maps each ``by`` group
    (``None`` without ``by``) to its statsmodels fit.
    """

    data: pd.DataFrame
    treatment: str
    covariates: list[str]
    by: list[str]
    settings: dict[str, Any]
    pscore: pd.Series
    pscore_index: pd.Series
    status: pd.Series
    group_code: np.ndarray
    matched: pd.DataFrame
    pair_positions: np.ndarray
    models: dict[Hashable, Any]

    # -- psmatch2's generated variables ----------------------------------------------
    @property
    def treated(self) -> pd.Series:
        """psmatch2 ``_treated``: 1/0, NaN for rows dropped for missing values."""
        d = self.data[self.treatment].astype("float64")
        return d.where(self.status != MISSING).rename("_treated")

    @property
    def support(self) -> pd.Series:
        """psmatch2 ``_support``: 0 for treated off common support, unmatched within the
        caliper or left without controls; 1 for other rows; NaN for rows with missing values."""
        off = self.status.isin([OFF_SUPPORT, CALIPER, EXHAUSTED])
        return (
            pd.Series(np.where(off, 0.0, 1.0), index=self.status.index)
            .where(self.status != MISSING)
            .rename("_support")
        )

    @property
    def weights(self) -> pd.Series:
        """psmatch2 ``_weight``: 1 for matched treated units; for a control, the sum over the
        treated units i it is matched to of 1/n_i (n_i = number of matches of i, ties
        included); NaN for unmatched controls, unmatched treated and dropped rows (psmatch2
        sets a zero weight to missing). Use ``weights.fillna(0)`` for weighted regressions on
        the matched sample; ``weights.notna()`` marks it."""
        t_pos, c_pos = self.pair_positions[:, 0], self.pair_positions[:, 1]
        n_matches = self.matched["n_matches"].to_numpy()
        w = np.bincount(c_pos, weights=1.0 / n_matches, minlength=len(self.status))
        w[t_pos] = 1.0
        w[w == 0] = np.nan
        return pd.Series(w, index=self.status.index, name="_weight")

    @property
    def sample(self) -> SampleAccounting:
        """Rows in, rows in the matched sample, and rows left out by reason."""
        counts = self.status.value_counts()
        dropped = {reason: int(counts.get(reason, 0)) for reason in _DROP_REASONS}
        used = int(counts.get(MATCHED, 0) + counts.get(CONTROL_USED, 0))
        return SampleAccounting(n_input=len(self.status), n_used=used, dropped=dropped)

    # -- estimates --------------------------------------------------------------------
    def _outcome(self, outcome: str | pd.Series) -> tuple[str, pd.Series]:
        if isinstance(outcome, str):
            if outcome not in self.data.columns:
                raise PSMInputError(f"unknown outcome column {outcome!r} in data")
            return outcome, self.data[outcome].astype("float64")
        if not outcome.index.equals(self.data.index):
            raise PSMInputError("outcome Series must have the same index as the matched data")
        return str(outcome.name or "outcome"), outcome.astype("float64")

    def att(self, outcome: str | pd.Series) -> Result:
        """ATT with psmatch2's analytic standard error.

        ATT = (1/N1) Σ_i [Y_i − Σ_{j∈M(i)} Y_j / n_i] over the N1 matched treated units, with
        M(i) the n_i matches of i. Writing it as (1/N1) Σ_i Y_i − (1/N1) Σ_j w_j Y_j with the
        control weights w_j = Σ_{i: j∈M(i)} 1/n_i (``_weight``) and treating the weights as
        fixed and the outcomes as independent with variance σ²_1 among treated and σ²_0 among
        controls gives

            SE² = s²_1 / N1 + s²_0 · Σ_j w_j² / N1²,

        s²_1 the sample variance (n − 1) of Y over the matched treated units and s²_0 over the
        matched controls, each counted once (psmatch2.ado, ``_mktab``; methods note §9.1). It
        ignores that the score is estimated and that a reused control's outcome enters several
        differences through w_j only; psmatch2's help suggests the bootstrap, with caveats
        (Abadie & Imbens 2008). With ``by``, ``extra["by_group"]`` holds the same statistics per
        group, as if psmatch2 were run group by group. Inference is normal (``df_resid=None``).
        """
        name, y_series = self._outcome(outcome)
        y = y_series.to_numpy()
        status = self.status.to_numpy()
        used = np.isin(status, (MATCHED, CONTROL_USED))
        gaps = used & np.isnan(y)
        if gaps.any():
            raise PSMInputError(
                f"outcome {name!r} is missing for matched units at rows "
                f"{describe_rows(list(y_series.index[gaps]))}; drop those rows before psm() so "
                "that the score and the matches use the outcome's sample (as psmatch2 does)"
            )
        if len(self.matched) == 0:
            raise PSMInputError(
                f"no treated unit was matched (rows left out: {self.sample.dropped}); "
                "widen the caliper or check common support"
            )
        n_matches = self.matched["n_matches"].to_numpy()
        overall = _att_stats(y, self.pair_positions, n_matches)
        extra: dict[str, Any] = {"settings": dict(self.settings)}
        if self.by:
            rows = []
            in_group = self.group_code[self.pair_positions[:, 0]]
            for code, key in enumerate(self.models):
                keep = in_group == code
                by_group = _att_stats(y, self.pair_positions[keep], n_matches[keep])
                rows.append({"group": key, **by_group})
            extra["by_group"] = pd.DataFrame(rows).set_index("group")
        # psmatch2's "Unmatched" line: OLS of the outcome on the treatment, all usable rows
        d = self.treated.to_numpy()
        ok = ~np.isnan(d) & ~np.isnan(y)
        y1, y0 = y[ok & (d == 1)], y[ok & (d == 0)]
        pooled = ((len(y1) - 1) * y1.var(ddof=1) + (len(y0) - 1) * y0.var(ddof=1)) / (
            len(y1) + len(y0) - 2
        )
        accounting = self.sample
        return Result(
            params=pd.Series({"ATT": overall["att"]}),
            vcov=pd.DataFrame([[overall["se"] ** 2]], index=["ATT"], columns=["ATT"]),
            nobs=int(overall["n_treated"] + overall["n_controls"]),
            model="psm",
            formula=f"{name} ~ {self.treatment} | pscore({' + '.join(self.covariates)})",
            depvar=name,
            vcov_type="psmatch2 analytic (fixed weights, independent outcomes)",
            df_resid=None,
            diagnostics=Diagnostics.of(
                {
                    "treated_mean": overall["treated_mean"],
                    "control_mean_matched": overall["control_mean"],
                    "n_treated_matched": int(overall["n_treated"]),
                    "n_controls_matched": int(overall["n_controls"]),
                    "unmatched_difference": float(y1.mean() - y0.mean()),
                    "unmatched_se": float(np.sqrt(pooled * (1 / len(y1) + 1 / len(y0)))),
                    "unmatched_n": int(ok.sum()),
                    "note": (
                        "S.E. does not take into account that the propensity score is estimated"
                    ),
                }
            ),
            sample=SampleAccounting(
                n_input=accounting.n_input, n_used=accounting.n_used, dropped=accounting.dropped
            ),
            extra=extra,
        )

    def balance(
        self, covariates: Sequence[str] | None = None, group: Hashable | None = None
    ) -> Balance:
        """Covariate balance before and after matching, as psmatch2's ``pstest``.

        See :func:`vagg.estimate.matching.balance.balance_table` for the formulas. ``group``
        restricts the table to one ``by`` group (the key as in ``models``); by default the
        whole (pooled) sample is used.
        """
        if len(self.matched) == 0:
            raise PSMInputError("no treated unit was matched: there is no matched sample")
        covs = list(self.covariates if covariates is None else covariates)
        unknown = [c for c in covs if c not in self.data.columns]
        if unknown:
            raise PSMInputError(f"unknown covariate columns {unknown} in data")
        keep = (self.status != MISSING).to_numpy()
        if group is not None:
            keys = list(self.models)
            if group not in keys:
                raise PSMInputError(f"group {group!r} is not a by group; groups: {keys[:10]}")
            keep = keep & (self.group_code == keys.index(group))
        rows = self.data.index[keep]
        x = self.data.loc[rows, covs].astype("float64")
        gaps = x.isna().any(axis=1)
        if gaps.any():
            raise PSMInputError(
                "balance covariates are missing at rows "
                f"{describe_rows(list(rows[gaps.to_numpy()]))}"
            )
        return balance_table(
            x,
            self.treated.loc[rows].to_numpy() == 1,
            self.support.loc[rows].to_numpy(),
            self.weights.loc[rows].to_numpy(),
        )

    def ipw_weights(self, estimand: Estimand = "att", *, normalize: bool = False) -> pd.Series:
        """Inverse-probability weights from the fitted scores, aligned to the input index.

        ATT: treated 1, controls p̂/(1 − p̂); ATE: 1/p̂ and 1/(1 − p̂). With ``normalize`` the
        weights are rescaled within each arm and ``by`` group (see
        :func:`vagg.estimate.matching.ipw.inverse_probability_weights`). All rows with a score are
        weighted: no common-support or caliper rule applies. NaN for rows with missing values.
        """
        w = inverse_probability_weights(
            self.pscore.to_numpy(),
            self.treated.fillna(0).to_numpy() == 1,
            estimand=estimand,
            normalize=normalize,
            groups=self.group_code,
        )
        return pd.Series(w, index=self.pscore.index, name=f"ipw_{estimand}")

    def __repr__(self) -> str:
        s = self.sample
        return (
            f"<Matching k={self.settings['k']} replace={self.settings['replace']} "
            f"n_input={s.n_input} matched_sample={s.n_used} dropped={s.dropped}>"
        )


def _att_stats(y: np.ndarray, pairs: np.ndarray, n_matches: np.ndarray) -> dict[str, float]:
    """ATT and psmatch2's analytic SE from (treated, control) row positions (see ``att``)."""
    nan = float("nan")
    if len(pairs) == 0:
        keys = ("att", "se", "treated_mean", "control_mean", "n_treated", "n_controls")
        return dict.fromkeys(keys, nan)
    t_pos, c_pos = pairs[:, 0], pairs[:, 1]
    treated = np.unique(t_pos)
    controls, inverse = np.unique(c_pos, return_inverse=True)
    share = 1.0 / n_matches
    counterfactual = np.bincount(t_pos, weights=y[c_pos] * share, minlength=len(y))[treated]
    control_weight = np.bincount(inverse, weights=share)
    y1, y0 = y[treated], y[controls]
    n1 = len(treated)
    var1 = float(y1.var(ddof=1)) if n1 > 1 else nan
    var0 = float(y0.var(ddof=1)) if len(controls) > 1 else nan
    return {
        "att": float(np.mean(y1 - counterfactual)),
        "se": float(np.sqrt(var1 / n1 + var0 * np.sum(control_weight**2) / n1**2)),
        "treated_mean": float(y1.mean()),
        "control_mean": float(counterfactual.mean()),
        "n_treated": float(n1),
        "n_controls": float(len(controls)),
    }
