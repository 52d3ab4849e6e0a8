"""The estimation sample of a fixest-style model: which rows are used, why the others are not.

:func:`estimation_sample` evaluates a formula (:mod:`vagg.estimate.linear.formula`: logs, products,
gap-aware lags) on a table and returns the rows :func:`~vagg.estimate.linear.fixed_effects.feols`
estimates on, with the model's arrays over them (:class:`EstimationSample`). Every estimator
that must agree with ``feols`` on the rows — mediation's common sample, heterogeneity's
groups, placebo draws — starts from it, so the rules live in one place:

* a row is dropped for the first reason that applies, and counted (``result.sample.dropped``):
  ``missing`` (a value is missing in a used column: variables, fixed effects, clusters,
  weights), ``nonpositive_in_log`` (``log(x)`` with ``x ≤ 0``), ``missing_lag`` (a
  lag/lead/difference needs a period the unit does not have, or whose value is unusable),
  ``zero_weight``, then ``singleton_fe``;
* **singletons** (observations alone in a level of any fixed effect) are dropped
  iteratively, until none is left, as reghdfe and fixest do (``drop_singletons=False`` keeps
  them); the kept sample is a fixed point, so refitting on it drops nothing more;
* the arrays are sorted by the fixed effect with the most levels, the order the exact
  demeaner (:mod:`vagg.estimate.linear.demean`) works in; ``rows`` maps them back to the table.

Bad input raises :class:`~vagg.estimate.errors.EstimationError` naming the column (with close
matches when it is not in the table) and the offending rows.

References: Correia (2015, 2017) on singletons and reghdfe; Bergé (2018) fixest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas, check_columns, rows_text
from vagg.estimate.linear.demean import compact_codes
from vagg.estimate.linear.evaluate import (
    MISSING,
    MISSING_LAG,
    NONPOSITIVE_IN_LOG,
    OK,
    REASON_NAMES,
    combine_reasons,
    evaluate,
)
from vagg.estimate.linear.formula import Indicator, ParsedFormula, parse_formula, term_columns
from vagg.estimate.linear.indicators import IndicatorValues, indicator_values
from vagg.estimate.linear.panel_ops import panel_index
from vagg.estimate.linear.sandwich import Factor
from vagg.estimate.results import Result, SampleAccounting

__all__ = [
    "ZERO_WEIGHT",
    "EstimationSample",
    "VcovSpec",
    "build_sample",
    "estimation_rows",
    "estimation_sample",
    "parse_vcov",
    "restamp_accounting",
]

#: Reason code of rows with weight 0 (after the codes of :mod:`vagg.estimate.linear.evaluate`).
ZERO_WEIGHT = 4
_REASONS = {**REASON_NAMES, ZERO_WEIGHT: "zero_weight"}


@dataclass
class VcovSpec:
    """A parsed ``vcov=`` argument: its kind and the clustering variables (CRV1 only)."""

    kind: Literal["iid", "hetero", "CRV1"]
    clusters: tuple[str, ...]


@dataclass
class EstimationSample:
    """The rows ``feols`` uses and its arrays over them, sorted by the largest fixed effect.

    ``y`` and ``x`` (columns ``names``, with ``"Intercept"`` first when the model has one) are
    the evaluated dependent variable and regressors (logs, lags, products), ``weights`` the
    analytic weights, ``effects`` and ``clusters`` the codes of the fixed effects and cluster
    variables. ``rows`` holds the positions in the input table of the rows, in the order of the
    arrays; ``n_input`` and ``dropped`` account for the others (:attr:`accounting`). ``spec``
    and ``vcov`` are the parsed formula and vcov, so that
    :func:`~vagg.estimate.linear.fixed_effects.fit_sample` needs nothing else. For a formula
    with an IV part the last ``n_endog`` columns of ``x`` are the endogenous regressors and
    ``instruments`` (columns ``instrument_names``) the excluded instruments.
    """

    y: np.ndarray
    x: np.ndarray
    names: list[str]
    weights: np.ndarray | None
    effects: list[Factor]
    clusters: list[Factor]
    n_input: int
    dropped: dict[str, int]
    rows: np.ndarray
    spec: ParsedFormula
    vcov: VcovSpec
    instruments: np.ndarray | None = None
    instrument_names: list[str] = field(default_factory=list)
    n_endog: int = 0

    @property
    def accounting(self) -> SampleAccounting:
        """Rows in, rows used, rows dropped by reason: the ``sample`` of the fitted Result."""
        return SampleAccounting(self.n_input, len(self.y), dict(self.dropped))


def parse_vcov(vcov: Any, spec: ParsedFormula) -> VcovSpec:
    """``"iid"``, ``"hetero"``/``"HC1"``, ``{"CRV1": "a"}`` or ``{"CRV1": "a+b"}``; ``None`` is
    CRV1 by the first fixed effect of ``spec`` when it has one, else iid (``feols``'s default)."""
    if vcov is None:
        if spec.fixed_effects:
            return VcovSpec("CRV1", (spec.fe_labels[0],))
        return VcovSpec("iid", ())
    if isinstance(vcov, str):
        key = vcov.lower()
        if key in ("iid", "hetero", "hc1"):
            return VcovSpec("iid" if key == "iid" else "hetero", ())
        raise EstimationError(
            f"vcov={vcov!r} is not supported; use 'iid', 'hetero' (HC1) or {{'CRV1': 'a'}} / "
            "{'CRV1': 'a+b'}"
        )
    if isinstance(vcov, Mapping) and len(vcov) == 1:
        kind, spec_cl = next(iter(vcov.items()))
        if str(kind).upper() != "CRV1":
            raise EstimationError(f"vcov type {kind!r} is not supported; use 'CRV1'")
        names = spec_cl if isinstance(spec_cl, (list, tuple)) else str(spec_cl).split("+")
        names = tuple(n.strip() for n in names if n.strip())
        if not 1 <= len(names) <= 2:
            raise EstimationError(f"vcov={vcov!r}: one- or two-way clustering only")
        return VcovSpec("CRV1", names)
    raise EstimationError(
        f"vcov={vcov!r} is not understood; use 'iid', 'hetero' or {{'CRV1': 'a'}}"
    )


def _numeric(frame: pd.DataFrame, name: str) -> np.ndarray:
    ser = frame[name]
    if pd.api.types.is_bool_dtype(ser) or pd.api.types.is_numeric_dtype(ser):
        values = ser.to_numpy(dtype=float, na_value=np.nan)
    else:
        raise EstimationError(
            f"data: column {name!r} is not numeric (dtype {ser.dtype}); encode it as numbers, or "
            "use it as a fixed effect after '|'"
        )
    if ser.isna().all():
        raise EstimationError(f"data: column {name!r} is missing in every row")
    inf = np.isinf(values)
    if inf.any():
        raise EstimationError(
            f"data: column {name!r} has infinite values in {int(inf.sum())} rows (index "
            f"{rows_text(frame.index[inf])})"
        )
    return values


def _factor_codes(frame: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """Codes of the cells of one or more categorical columns (−1 where any is missing)."""
    codes = None
    for name in names:
        c, uniques = pd.factorize(frame[name], sort=False)
        c = c.astype(np.int64)
        if codes is None:
            codes = c
        else:
            combined = np.where((codes < 0) | (c < 0), -1, codes * len(uniques) + c)
            ok = combined >= 0
            codes = np.full(len(c), -1, dtype=np.int64)
            codes[ok] = pd.factorize(combined[ok])[0]
    assert codes is not None
    return codes


def _drop_singletons(codes: list[np.ndarray], keep: np.ndarray) -> np.ndarray:
    """Remove observations alone in a level of any effect, until none is left (iteratively)."""
    keep = keep.copy()
    while True:
        changed = False
        for c in codes:
            counts = np.bincount(c[keep], minlength=int(c.max()) + 1)
            single = keep & (counts[np.maximum(c, 0)] == 1)
            if single.any():
                keep &= ~single
                changed = True
        if not changed:
            return keep


def build_sample(
    frame: pd.DataFrame,
    spec: ParsedFormula,
    vc: VcovSpec,
    weights: str | None,
    panel: tuple[str, str] | None,
    drop_singletons: bool,
) -> EstimationSample:
    """:func:`estimation_sample` from a parsed formula and vcov (the module docstring)."""
    n_input = len(frame)
    if n_input == 0:
        raise EstimationError("data: the table has no rows")
    var_cols = _term_columns(spec)
    what = {c: "fixed effect" for fe in spec.fixed_effects for c in fe}
    cluster_cols = [
        c for name in vc.clusters if name not in spec.fe_labels for c in name.split("^")
    ]
    what.update({c: "cluster variable" for c in cluster_cols})
    if weights is not None:
        what[weights] = "weights"
    needed = [*spec.columns(), *cluster_cols]
    if weights is not None:
        needed.append(weights)
    if panel is not None:
        needed += list(panel)
        what.update({panel[0]: "panel unit", panel[1]: "panel time"})
    check_columns(frame, needed, what)
    if spec.needs_panel() and panel is None:
        raise EstimationError(
            f"formula {spec.text!r} uses L()/F()/D(); pass panel=(unit, time) so that lags "
            "follow the time variable"
        )
    columns = {c: _numeric(frame, c) for c in var_cols}
    pidx = panel_index(frame, panel) if (panel is not None and spec.needs_panel()) else None

    y, reason = evaluate(spec.depvar, columns, pidx)
    if not (reason == OK).any():
        raise EstimationError(f"dependent variable {spec.depvar.label!r} is unusable in every row")
    terms = list(spec.terms)
    values_or_dummies: list[np.ndarray | IndicatorValues] = [y]
    for term in terms[1:]:
        v: np.ndarray | IndicatorValues
        if isinstance(term, Indicator):
            v, r = indicator_values(frame, term, columns, pidx)
        else:
            v, r = evaluate(term, columns, pidx)
        if not (r == OK).any():
            why = _REASONS[int(np.bincount(r).argmax())] if len(r) else "missing"
            raise EstimationError(f"term {term.label!r} is unusable in every row ({why})")
        values_or_dummies.append(v)
        reason = combine_reasons(reason, r)

    fe_codes = [_factor_codes(frame, fe) for fe in spec.fixed_effects]
    cluster_codes = []
    for name in vc.clusters:
        if name in spec.fe_labels:
            cluster_codes.append(fe_codes[spec.fe_labels.index(name)])
        else:
            cluster_codes.append(_factor_codes(frame, name.split("^")))
    labelled = [*zip(spec.fe_labels, fe_codes, strict=True)]
    labelled += [*zip(vc.clusters, cluster_codes, strict=True)]
    for label, codes in labelled:
        if not (codes >= 0).any():
            raise EstimationError(f"data: {label!r} is missing in every row")
    for codes in [*fe_codes, *cluster_codes]:
        reason = combine_reasons(reason, np.where(codes < 0, MISSING, OK).astype(np.int8))
    w = None
    if weights is not None:
        w = _numeric(frame, weights)
        neg = w < 0
        if neg.any():
            raise EstimationError(
                f"data: weights column {weights!r} is negative in {int(neg.sum())} rows "
                f"(index {rows_text(frame.index[neg])})"
            )
        reason = combine_reasons(reason, np.where(np.isnan(w), MISSING, OK).astype(np.int8))
        reason = combine_reasons(reason, np.where(w == 0, ZERO_WEIGHT, OK).astype(np.int8))

    keep = reason == OK
    dropped = {"missing": int((reason == MISSING).sum())}
    if spec.uses_log():
        dropped["nonpositive_in_log"] = int((reason == NONPOSITIVE_IN_LOG).sum())
    if pidx is not None:
        dropped["missing_lag"] = int((reason == MISSING_LAG).sum())
    if weights is not None:
        dropped["zero_weight"] = int((reason == ZERO_WEIGHT).sum())
    if not keep.any():
        counts = {k: v for k, v in dropped.items() if v}
        raise EstimationError(f"no usable rows: all {n_input} rows dropped ({counts})")
    if spec.fixed_effects:
        after = _drop_singletons(fe_codes, keep) if drop_singletons else keep
        dropped["singleton_fe"] = int(keep.sum() - after.sum())
        keep = after
        if not keep.any():
            raise EstimationError(
                f"the sample is empty after removing {dropped['singleton_fe']} singleton "
                "observations (every level of a fixed effect had one observation); check the "
                "fixed effects or pass drop_singletons=False"
            )

    rows = np.flatnonzero(keep)
    effects = [
        Factor(label, *compact_codes(c[rows]))
        for label, c in zip(spec.fe_labels, fe_codes, strict=True)
    ]
    if effects:
        big = max(range(len(effects)), key=lambda j: effects[j].n_levels)
        order = np.argsort(effects[big].codes, kind="stable")
        rows = rows[order]
        effects = [Factor(e.name, e.codes[order], e.n_levels) for e in effects]
    clusters = [
        Factor(name, *compact_codes(c[rows]))
        for name, c in zip(vc.clusters, cluster_codes, strict=True)
    ]
    for c in clusters:
        if c.n_levels < 2:
            raise EstimationError(
                f"cluster variable {c.name!r} has {c.n_levels} cluster in the sample; "
                "clustered errors need at least two"
            )
    drop_first = spec.intercept or bool(spec.fixed_effects)
    n_exog, n_endog = len(spec.regressors), len(spec.endog)
    roles = [
        _columns(terms[a:b], values_or_dummies[a:b], rows, drop_first)
        for a, b in (
            (1, 1 + n_exog),
            (1 + n_exog, 1 + n_exog + n_endog),
            (1 + n_exog + n_endog, None),
        )
    ]
    (x_exog, exog_names), (x_endog, endog_names), (z, instrument_names) = roles
    names = exog_names + endog_names
    x = np.column_stack([x_exog, x_endog])
    instruments = np.ascontiguousarray(z) if spec.instruments else None
    if spec.intercept:
        x = np.column_stack([np.ones(len(rows)), x])
        names = ["Intercept", *names]
    return EstimationSample(
        y=y[rows],
        x=np.ascontiguousarray(x),
        names=names,
        weights=None if w is None else w[rows],
        effects=effects,
        clusters=clusters,
        n_input=n_input,
        dropped=dropped,
        rows=rows,
        spec=spec,
        vcov=vc,
        instruments=instruments,
        instrument_names=instrument_names,
        n_endog=len(endog_names),
    )


def _columns(
    terms: Sequence[Any],
    values: Sequence[np.ndarray | IndicatorValues],
    rows: np.ndarray,
    drop_first: bool,
) -> tuple[np.ndarray, list[str]]:
    """The columns of some terms over ``rows`` (``i()`` terms expanded) and their names."""
    blocks: list[np.ndarray] = [np.empty((len(rows), 0))]
    names: list[str] = []
    for term, v in zip(terms, values, strict=True):
        if isinstance(v, IndicatorValues):
            mat, labels = v.expand(rows, drop_first)
            blocks.append(mat)
            names += labels
        else:
            blocks.append(v[rows][:, None])
            names.append(term.label)
    return np.column_stack(blocks), names


def _term_columns(spec: ParsedFormula) -> list[str]:
    """The numeric columns the terms read (the factor of an ``i()`` term is not one)."""
    out: list[str] = []
    for t in spec.terms:
        if isinstance(t, Indicator):
            cols = [] if t.by is None else term_columns(t.by)
        else:
            cols = term_columns(t)
        out += [c for c in cols if c not in out]
    return out


def estimation_sample(
    formula: str,
    data: Any,
    *,
    vcov: str | Mapping[str, Any] | None = None,
    weights: str | None = None,
    panel: tuple[str, str] | None = None,
    drop_singletons: bool = True,
) -> EstimationSample:
    """The sample ``feols(formula, data, ...)`` estimates on, with the same arguments.

    The rows left after dropping those unusable in any column the model uses (variables,
    fixed effects, clusters, weights), non-positive values inside ``log``, unavailable lags,
    zero weights and, iteratively, singleton fixed-effect levels — counted by reason as in
    the module docstring — and the model's arrays over them. :func:`estimation_rows` gives the
    row positions alone. Raises what ``feols`` raises for the formula, the columns and the
    sample (unknown or non-numeric columns, lags without ``panel``, an empty sample, ...).
    """
    frame = as_pandas(data)
    spec = parse_formula(formula)
    return build_sample(frame, spec, parse_vcov(vcov, spec), weights, panel, drop_singletons)


def estimation_rows(
    formula: str,
    data: Any,
    *,
    vcov: str | Mapping[str, Any] | None = None,
    weights: str | None = None,
    panel: tuple[str, str] | None = None,
    drop_singletons: bool = True,
) -> tuple[np.ndarray, dict[str, int]]:
    """Row positions (sorted) that ``feols(formula, data, vcov=..., weights=...)`` would use,
    and the rows it would drop by reason (missing, non-positive in a log, zero weight,
    singleton fixed effects; reasons with no row left out). Refitting ``feols`` on
    ``data.iloc[rows]`` drops nothing more: singletons are removed until none is left, so the
    kept sample is a fixed point."""
    sample = estimation_sample(
        formula, data, vcov=vcov, weights=weights, panel=panel, drop_singletons=drop_singletons
    )
    return np.sort(sample.rows), {k: v for k, v in sample.dropped.items() if v}


def restamp_accounting(result: Result, accounting: SampleAccounting, note: str) -> Result:
    """Give a Result fitted on a pre-cut subset of a table the accounting of the whole table.

    Estimators that fit several models on one common sample (mediation's three equations,
    moderation's raw and centred models) cut the table to :func:`estimation_rows` first; each
    fit then reports ``accounting`` (rows in the original table, rows used, drops by reason)
    instead of its own, and ``note`` in ``diagnostics["sample_note"]``. Changes ``result`` in
    place and returns it.
    """
    result.sample = SampleAccounting(
        accounting.n_input, accounting.n_used, dict(accounting.dropped)
    )
    result.diagnostics.sample_note = note
    return result
