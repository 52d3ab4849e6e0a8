"""Fixed-effects OLS (``feols``) with fixest formulas, Stata panel operators and exact demeaning.

``feols("y ~ x1 + L(x2) | firm + industry + year", data, panel=("firm", "year"))`` estimates

    y_it = x_it'β + α_firm + γ_industry + δ_year + ε_it

by the Frisch–Waugh–Lovell theorem (methods notes §11.2): ``y`` and ``X`` are demeaned by all
fixed effects (:mod:`vagg.estimate.demean`; exact for one large and several small effects) and
``β̂ = (X̃'WX̃)⁻¹X̃'Wỹ``. Standard errors follow :mod:`vagg.estimate.sandwich`. The same model can
be estimated by pyfixest (``backend="pyfixest"``) on the same sample; the tests check that both
give the same numbers, and that they equal linearmodels and Stata (xtreg) references.

Choices (and how they compare with Stata reghdfe and R fixest):

* **Default vcov**: clustered (CRV1) by the first fixed effect when there is one (fixest's
  default; pyfixest 0.60 defaults to iid), iid otherwise.
* **Default small-sample convention** ``ssc="stata"``: reghdfe's (see
  :mod:`vagg.estimate.sandwich`: for CRV1, ``G/(G−1)·(N−1)/(N−K)`` with ``K`` the slopes plus
  the absorbed levels *not* nested in the cluster variable; for iid ``σ̂² = RSS/(N−K)`` with
  all absorbed levels counted). ``ssc="fixest"`` and ``ssc="linearmodels"`` give those
  packages' numbers; a ``pyfixest.ssc(...)`` dict is accepted too.
* **Singletons** (groups of one observation in any effect) are dropped, iteratively, before
  estimation, as reghdfe (≥ 5) and fixest do by default: they do not change β̂ but would
  inflate N and the degrees of freedom. ``drop_singletons=False`` keeps them (``xtreg, fe``).
* **Weights** are analytic weights (Stata ``aweight``, fixest/pyfixest ``weights=``): weighted
  least squares; N is the number of rows. Rows with zero weight are dropped and counted.
* **Collinear regressors** (no variation left after the fixed effects, or a combination of other
  regressors) are dropped with a warning, in formula order, and listed in
  ``result.diagnostics["collinear_dropped"]``.
* **Sample accounting**: ``result.sample.dropped`` counts rows by the first reason that applies:
  ``missing`` (a value of the row is missing in a used column: variables, fixed effects,
  clusters, weights), ``nonpositive_in_log`` (``log(x)`` with ``x ≤ 0``), ``missing_lag`` (a
  lag/lead/difference needs a period the unit does not have, or whose value is unusable),
  ``zero_weight``, then ``singleton_fe``.

References: Correia (2017) reghdfe; Bergé (2018) fixest; Cameron, Gelbach & Miller (2011);
Cameron & Miller (2015) on small-sample corrections.
"""

from __future__ import annotations

import difflib
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.linalg import cho_factor, cho_solve

from .demean import DemeanMethod, compact_codes, demean
from .errors import EstimationError
from .formula import (
    MISSING,
    MISSING_LAG,
    NONPOSITIVE_IN_LOG,
    OK,
    REASON_NAMES,
    ParsedFormula,
    combine_reasons,
    evaluate,
    parse_formula,
    term_columns,
)
from .panel_ops import panel_index
from .results import NotAvailable, Result, SampleAccounting
from .sandwich import (
    Factor,
    SmallSample,
    absorbed_df,
    parse_ssc,
    sandwich_vcov,
    small_sample,
)

ZERO_WEIGHT = 4
_REASONS = {**REASON_NAMES, ZERO_WEIGHT: "zero_weight"}
#: A regressor whose partialled-out sum of squares is below this share of its raw sum of
#: squares is collinear with the fixed effects (reghdfe uses a similar relative test).
COLLINEAR_TOL = 1e-9
_MAX_SHOWN = 5


@dataclass
class _Vcov:
    kind: Literal["iid", "hetero", "CRV1"]
    clusters: tuple[str, ...]


@dataclass
class _Sample:
    """The estimation sample: arrays over the used rows, sorted by the largest fixed effect."""

    y: np.ndarray
    x: np.ndarray
    names: list[str]
    weights: np.ndarray | None
    effects: list[Factor]
    clusters: list[Factor]
    n_input: int
    dropped: dict[str, int]
    rows: np.ndarray  # positions in the input table, in the order of the arrays


def _as_pandas(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas"):
        return data.to_pandas()
    raise EstimationError(f"data must be a pandas or polars DataFrame; got {type(data).__name__}")


def _rows_text(index: pd.Index, mask: np.ndarray) -> str:
    rows = list(index[mask][:_MAX_SHOWN])
    more = int(mask.sum()) - len(rows)
    return ", ".join(repr(r) for r in rows) + (f" (and {more} more)" if more > 0 else "")


def _parse_vcov(vcov: Any, spec: ParsedFormula) -> _Vcov:
    if vcov is None:
        if spec.fixed_effects:
            return _Vcov("CRV1", (spec.fe_labels[0],))
        return _Vcov("iid", ())
    if isinstance(vcov, str):
        key = vcov.lower()
        if key in ("iid", "hetero", "hc1"):
            return _Vcov("iid" if key == "iid" else "hetero", ())
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
        return _Vcov("CRV1", names)
    raise EstimationError(
        f"vcov={vcov!r} is not understood; use 'iid', 'hetero' or {{'CRV1': 'a'}}"
    )


def _check_columns(frame: pd.DataFrame, needed: Sequence[str], what: dict[str, str]) -> None:
    columns = [str(c) for c in frame.columns]
    for name in needed:
        if name not in frame.columns:
            close = difflib.get_close_matches(name, columns, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise EstimationError(
                f"data: column {name!r} ({what.get(name, 'used in the formula')}) is not in the "
                f"table{hint}"
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
            f"{_rows_text(frame.index, inf)})"
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


def _build_sample(
    frame: pd.DataFrame,
    spec: ParsedFormula,
    vc: _Vcov,
    weights: str | None,
    panel: tuple[str, str] | None,
    drop_singletons: bool,
) -> _Sample:
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
    _check_columns(frame, needed, what)
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
    terms = [spec.depvar, *spec.regressors]
    values = [y]
    for term in spec.regressors:
        v, r = evaluate(term, columns, pidx)
        if not (r == OK).any():
            why = _REASONS[int(np.bincount(r).argmax())] if len(r) else "missing"
            raise EstimationError(f"term {term.label!r} is unusable in every row ({why})")
        values.append(v)
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
                f"(index {_rows_text(frame.index, neg)})"
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
    names = [t.label for t in terms[1:]]
    x = (
        np.column_stack([v[rows] for v in values[1:]])
        if len(values) > 1
        else np.empty((len(rows), 0))
    )
    if spec.intercept:
        x = np.column_stack([np.ones(len(rows)), x])
        names = ["Intercept", *names]
    return _Sample(
        y=values[0][rows],
        x=np.ascontiguousarray(x),
        names=names,
        weights=None if w is None else w[rows],
        effects=effects,
        clusters=clusters,
        n_input=n_input,
        dropped=dropped,
        rows=rows,
    )


def _term_columns(spec: ParsedFormula) -> list[str]:
    out: list[str] = []
    for t in (spec.depvar, *spec.regressors):
        out += [c for c in term_columns(t) if c not in out]
    return out


def _drop_collinear(
    x_raw: np.ndarray, x: np.ndarray, weights: np.ndarray | None, names: list[str], has_fe: bool
) -> tuple[list[int], dict[str, str]]:
    """Indices of the regressors to keep, and why the others were dropped."""
    wx = x if weights is None else x * weights[:, None]
    gram = x.T @ wx
    raw = np.einsum("ij,ij->j", x_raw, x_raw if weights is None else x_raw * weights[:, None])
    dropped: dict[str, str] = {}
    keep: list[int] = []
    for j in range(x.shape[1]):
        if has_fe and gram[j, j] <= COLLINEAR_TOL * raw[j]:
            dropped[names[j]] = "collinear with the fixed effects (no variation left within them)"
            continue
        if keep:
            sub = gram[np.ix_(keep, keep)]
            b = gram[keep, j]
            resid = gram[j, j] - b @ np.linalg.solve(sub, b)
        else:
            resid = gram[j, j]
        if resid <= COLLINEAR_TOL * gram[j, j] or gram[j, j] == 0:
            dropped[names[j]] = "collinear with the other regressors"
            continue
        keep.append(j)
    return keep, dropped


def feols(
    formula: str,
    data: Any,
    *,
    vcov: str | Mapping[str, Any] | None = None,
    weights: str | None = None,
    panel: tuple[str, str] | None = None,
    ssc: str | Mapping[str, Any] | None = None,
    drop_singletons: bool = True,
    backend: Literal["vagg", "pyfixest"] = "vagg",
    demeaner: DemeanMethod = "auto",
) -> Result:
    """Fixed-effects OLS: ``feols("y ~ x1 + x2 | fe1 + fe2", data)``.

    The model ``y = Xβ + Σ_j D_j α_j + ε`` is estimated by demeaning ``y`` and ``X`` by all
    fixed effects and running (weighted) OLS on the residuals (Frisch–Waugh–Lovell; methods
    notes §11.2), as reghdfe and fixest do.

    Parameters
    ----------
    formula:
        fixest syntax: ``y ~ x1 + x2 | fe1 + fe2^fe3``; regressors may be ``log(x)``,
        ``L(x)``, ``L(x, k)``, ``F(x)``, ``D(x)`` and products ``a:b``
        (:mod:`vagg.estimate.formula`). Without fixed effects an intercept is included
        unless the formula says ``- 1``.
    data:
        pandas or polars DataFrame.
    vcov:
        ``"iid"``, ``"hetero"`` (HC1), ``{"CRV1": "a"}`` or ``{"CRV1": "a+b"}`` (two-way).
        Default: CRV1 by the first fixed effect if there is one, else iid.
    weights:
        Column of analytic weights (WLS); rows with weight 0 are dropped, negative is an error.
    panel:
        ``(unit, time)`` columns for ``L``/``F``/``D`` (Stata semantics: the lag is the value at
        ``t − k`` of the same unit, missing when that period is absent).
    ssc:
        Small-sample convention: ``"stata"`` (default, reghdfe), ``"fixest"``,
        ``"linearmodels"``, or a ``pyfixest.ssc(...)`` dict (:mod:`vagg.estimate.sandwich`).
    drop_singletons:
        Drop observations alone in a level of a fixed effect (iteratively); default True.
    backend:
        ``"vagg"`` (exact/iterative demeaner and sandwich estimators here) or ``"pyfixest"``
        (the same sample estimated by ``pyfixest.feols``).
    demeaner:
        ``"auto"``, ``"exact"``, ``"alternating"`` or ``"within"``
        (:func:`vagg.estimate.demean.demean`).

    Returns
    -------
    Result
        ``params``, ``vcov``, ``nobs``, ``r2``, ``adj_r2``, ``r2_within`` (n/a without fixed
        effects), ``fixed_effects``, ``vcov_type``, ``clusters``, ``n_clusters``,
        ``df_resid`` (clustered: min G − 1), ``sample`` (rows dropped by reason) and
        ``diagnostics`` (``collinear_dropped``, ``small_sample``, ``demeaner``, ...).

    Raises
    ------
    EstimationError
        Unknown column (with close matches), non-numeric or all-missing variable, malformed
        formula, lags without ``panel``, duplicate (unit, time) keys, empty sample (after
        missing values or singletons), every regressor collinear with the fixed effects.
    """
    started = time.perf_counter()
    frame = _as_pandas(data)
    spec = parse_formula(formula)
    vc = _parse_vcov(vcov, spec)
    ssc_opts = parse_ssc(ssc)
    if backend not in ("vagg", "pyfixest"):
        raise EstimationError(f"backend={backend!r}; use 'vagg' or 'pyfixest'")
    sample = _build_sample(frame, spec, vc, weights, panel, drop_singletons)
    if backend == "pyfixest":
        from ._pyfixest_backend import fit_with_pyfixest

        result = fit_with_pyfixest(spec, vc, ssc_opts, sample)
    else:
        result = _fit(spec, vc, ssc_opts, sample, demeaner)
    result.diagnostics["seconds"] = time.perf_counter() - started
    return result


def _fit(
    spec: ParsedFormula,
    vc: _Vcov,
    ssc: str | dict[str, Any],
    s: _Sample,
    demeaner: DemeanMethod,
) -> Result:
    n = len(s.y)
    has_fe = bool(s.effects)
    diagnostics: dict[str, Any] = {"backend": "vagg"}
    yx = np.column_stack([s.y, s.x])
    if has_fe:
        dm = demean(yx, [e.codes for e in s.effects], s.weights, method=demeaner)
        if not dm.converged:
            warnings.warn("the iterative demeaner did not converge", RuntimeWarning, stacklevel=3)
        yx_t = dm.values
        diagnostics.update(demeaner=dm.method, demean_seconds=dm.seconds)
        if dm.absorbed_rank is not None:
            diagnostics["absorbed_rank_exact"] = dm.absorbed_rank
    else:
        yx_t = yx
    y_t, x_t = yx_t[:, 0], yx_t[:, 1:]
    keep, dropped = _drop_collinear(s.x, x_t, s.weights, s.names, has_fe)
    if dropped:
        warnings.warn(
            "dropped collinear regressors: " + "; ".join(f"{k} ({v})" for k, v in dropped.items()),
            UserWarning,
            stacklevel=3,
        )
    if not keep:
        raise EstimationError(
            f"every regressor of {spec.text!r} is collinear with the fixed effects or the other "
            f"regressors ({dropped}); nothing to estimate"
        )
    diagnostics["collinear_dropped"] = list(dropped)
    diagnostics["collinear_reasons"] = dropped
    names = [s.names[j] for j in keep]
    x_t = x_t[:, keep]
    k = len(keep)
    wx = x_t if s.weights is None else x_t * s.weights[:, None]
    gram = x_t.T @ wx
    factor = cho_factor(gram)
    beta = cho_solve(factor, wx.T @ y_t)
    resid = y_t - x_t @ beta
    beta = beta + cho_solve(factor, wx.T @ resid)  # one step of iterative refinement
    resid = y_t - x_t @ beta
    bread = cho_solve(factor, np.eye(k))

    small = small_sample(ssc, vc.kind, n, k, s.effects, s.clusters)
    vcov = sandwich_vcov(x_t, resid, s.weights, bread, vc.kind, s.clusters, small)

    w = np.ones(n) if s.weights is None else s.weights
    rss = float(np.sum(w * resid**2))
    has_intercept = has_fe or spec.intercept
    ybar = float(np.sum(w * s.y) / np.sum(w)) if has_intercept else 0.0
    tss = float(np.sum(w * (s.y - ybar) ** 2))
    r2 = 1 - rss / tss if tss > 0 else NotAvailable("the dependent variable is constant")
    absorbed_full = absorbed_df(ssc, k, s.effects)
    adj: float | NotAvailable = NotAvailable("no degrees of freedom")
    if isinstance(r2, float) and n - k - absorbed_full > 0:
        adj = 1 - (1 - r2) * (n - int(has_intercept)) / (n - k - absorbed_full)
    r2_within: float | NotAvailable = NotAvailable("no fixed effects")
    if has_fe:
        tss_w = float(np.sum(w * y_t**2))
        r2_within = 1 - rss / tss_w if tss_w > 0 else NotAvailable("y is absorbed by the effects")
    diagnostics["small_sample"] = {
        "convention": small.convention,
        "K": small.k_total,
        "absorbed_df": small.absorbed_df,
        "scales": small.scales,
        **small.details,
    }
    diagnostics["rss"] = rss
    return _result(spec, vc, s, names, beta, vcov, small, r2, adj, r2_within, diagnostics)


def _result(
    spec: ParsedFormula,
    vc: _Vcov,
    s: _Sample,
    names: list[str],
    beta: np.ndarray,
    vcov: np.ndarray,
    small: SmallSample | None,
    r2: float | NotAvailable,
    adj_r2: float | NotAvailable,
    r2_within: float | NotAvailable,
    diagnostics: dict[str, Any],
    df_resid: float | None = None,
) -> Result:
    n = len(s.y)
    sample = SampleAccounting(n_input=s.n_input, n_used=n, dropped=dict(s.dropped))
    diagnostics.setdefault("singletons_dropped", s.dropped.get("singleton_fe", 0))
    return Result(
        params=pd.Series(beta, index=names, dtype=float),
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        nobs=n,
        model="feols",
        formula=spec.text,
        depvar=spec.depvar.label,
        vcov_type=vc.kind,
        clusters=vc.clusters,
        n_clusters={c.name: c.n_levels for c in s.clusters},
        fixed_effects=spec.fe_labels,
        df_resid=float(small.df_resid) if small is not None else df_resid,
        r2=r2,
        adj_r2=adj_r2,
        r2_within=r2_within,
        diagnostics=diagnostics,
        sample=sample,
    )
