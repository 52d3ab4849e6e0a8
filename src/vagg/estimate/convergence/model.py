"""β-convergence regressions: cross-section OLS, panel fixed effects, panel FM-OLS.

``convergence(data, "y", ("unit", "year"), method=...)`` regresses the growth of ``y`` over
windows of ``horizon`` years on its initial log level (:mod:`.growth`):

    g_it = a (+ α_i + γ_t) + b·ln y_it [+ α2·m_it + α3·ln y_it × m_it] + X_it'δ + ε_it

* ``method="ols"``: one cross-section window ``start → end`` (Barro & Sala-i-Martin 1992);
  absolute convergence without controls, conditional with them; estimated by
  :func:`vagg.feols` (iid errors by default, ``vcov=`` to change);
* ``method="fe"``: the panel of non-overlapping windows with unit fixed effects
  (``effects="twoways"`` adds period effects) by :func:`vagg.feols`, clustered by unit by
  default — conditional convergence; Nickell bias is O(1/T), so a GMM check is advisable;
* ``method="fmols"``: the same panel by Pedroni's group-mean FM-OLS
  (:func:`vagg.fmols`; ``fmols_options`` passes kernel, bandwidth, ``demean_time``…), as paper
  004 estimates its eq. (26) (Table 6, columns 1, 4, 7);
* ``method="sac"``: the spatial SAC version, eq. (27): the same growth panel (it must be
  balanced: every unit in every window) by
  ``vagg.spatial(g ~ regressors, frame, w, model="sac", panel=(unit, window), effects=...)``
  with the regressors materialised as columns; ``effects="none"`` is the pooled model of the
  paper, ``"unit"`` individual and ``"twoways"`` two-way fixed effects. The parameters keep
  the regressors' labels (``log_y``, ``log(m)``, ``log_y:log(m)``), plus ``rho`` and
  ``lambda``.

``interaction="log(INTER)"`` adds the term ``m`` and its product with ``ln y`` (paper 004,
eq. 26): the "convergence acceleration" ``α3/α1`` (delta-method s.e.), the effective slope at
the sample mean of ``m`` and the derivative ``∂λ/∂m`` are reported (:mod:`.speed`).

Why written here: no Python package reports convergence speeds, half-lives and the
acceleration of the interaction model; the regressions themselves are vagg's ``feols`` and
``fmols`` (checked against pyfixest, statsmodels and arch in their own tests).
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..cointegration import fmols
from ..cointegration.panel_sample import check_panel_arg, unit_series
from ..diagnostics import Diagnostics
from ..errors import EstimationError
from ..linear.fixed_effects import fit_sample
from ..linear.formula import control_terms, formula_text, parse_formula
from ..linear.sample import estimation_sample
from ..results import NotAvailable, Result, SampleAccounting, Stat
from .growth import GrowthFrame, growth_frame, merge_accounting
from .speed import SPEED_TOL, ratio_with_se, speed_with_se

__all__ = ["Convergence", "convergence"]

Method = Literal["ols", "fe", "fmols", "sac"]

_NO_INTERACTION = NotAvailable("no interaction term")


@dataclass
class Convergence:
    """A β-convergence estimate: the regression and what it implies.

    Attributes
    ----------
    result : Result
        The regression (``feols`` Result, or the ``fmols`` CointegrationResult).
    method, kind : str
        ``"ols"`` / ``"fe"`` / ``"fmols"``; ``"absolute"`` (cross-section, no controls) or
        ``"conditional"``.
    horizon : int
        ``T``, the years per window; ``annualize`` whether the growth was divided by ``T``.
    level_term, growth_column : str
        The initial-level regressor (``log_<y>``) and the dependent variable (``g_<y>``).
    beta, beta_se : float
        The slope ``b`` on the initial level and its standard error.
    speed, speed_se, half_life, half_life_se : float or NotAvailable
        ``λ = −ln(1 + T·b)/T`` (the slope on total growth ``β = T·b`` when annualised) and
        ``ln 2/λ``, with delta-method standard errors; n/a when ``1 + β ≤ 0`` or ``λ ≤ 0``.
    interaction : str or None
        The interaction term ``m``; with it: ``acceleration`` (``α3/α1``, paper 004) and
        ``acceleration_se``, ``interaction_mean`` (the sample mean of ``m``),
        ``speed_at_mean`` (``λ`` at ``b + α3·m̄``) and ``speed_derivative`` (``∂λ/∂m`` there).
    windows : list of int
        The window starts.
    """

    result: Result
    method: str
    kind: str
    horizon: int
    annualize: bool
    level_term: str
    growth_column: str
    beta: float
    beta_se: float
    speed: Stat
    speed_se: Stat
    half_life: Stat
    half_life_se: Stat
    windows: list[int]
    interaction: str | None = None
    acceleration: Stat = _NO_INTERACTION
    acceleration_se: Stat = _NO_INTERACTION
    interaction_mean: Stat = _NO_INTERACTION
    speed_at_mean: Stat = _NO_INTERACTION
    speed_derivative: Stat = _NO_INTERACTION
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    def tidy(self) -> pd.DataFrame:
        """One row per quantity: beta, speed, half-life (and acceleration…) with s.e."""
        rows: list[tuple[str, Stat, Stat]] = [
            ("beta", self.beta, self.beta_se),
            ("speed", self.speed, self.speed_se),
            ("half_life", self.half_life, self.half_life_se),
        ]
        if self.interaction is not None:
            rows += [
                ("acceleration", self.acceleration, self.acceleration_se),
                ("interaction_mean", self.interaction_mean, NotAvailable("sample mean")),
                ("speed_at_mean", self.speed_at_mean, NotAvailable("not computed")),
                ("speed_derivative", self.speed_derivative, NotAvailable("not computed")),
            ]
        return pd.DataFrame(
            {
                "quantity": [r[0] for r in rows],
                "estimate": [_num(r[1]) for r in rows],
                "std_error": [_num(r[2]) for r in rows],
            }
        )

    def summary(self) -> str:
        """The regression's summary followed by the convergence quantities."""
        head = (
            f"β-convergence ({self.kind}, {self.method}, windows of {self.horizon} period(s) "
            f"from {self.windows[:3]}{'…' if len(self.windows) > 3 else ''})"
        )
        return "\n".join(
            [head, self.result.summary(), self.tidy().to_string(index=False, float_format=_fmt)]
        )

    def __repr__(self) -> str:
        return (
            f"<Convergence {self.method} β={self.beta:.4g} λ={_num(self.speed):.4g} "
            f"half-life={_num(self.half_life):.4g}>"
        )


def _num(value: Stat) -> float:
    return float(value) if not isinstance(value, NotAvailable) else float("nan")


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def convergence(
    data: Any,
    outcome: str,
    panel: tuple[str, str],
    *,
    method: Method = "ols",
    horizon: int | None = None,
    start: int | None = None,
    end: int | None = None,
    controls: str | Sequence[str] = (),
    interaction: str | None = None,
    effects: Literal["unit", "twoways", "none"] = "unit",
    annualize: bool = True,
    vcov: str | Mapping[str, Any] | None = None,
    ssc: str | Mapping[str, Any] | None = None,
    fmols_options: Mapping[str, Any] | None = None,
    w: Any = None,
) -> Convergence:
    """Absolute and conditional β-convergence of ``outcome`` across the units of a panel.

    Parameters
    ----------
    data : pandas.DataFrame or polars.DataFrame
        A (unit, time) panel with ``outcome`` > 0 (e.g. income per head, export
        sophistication).
    outcome : str
        The column whose log converges.
    panel : tuple of str
        ``(unit, time)`` columns (integer periods).
    method : str
        ``"ols"`` (cross-section), ``"fe"`` (panel fixed effects), ``"fmols"`` (group-mean
        FM-OLS) or ``"sac"`` (spatial SAC by ML, paper 004 eq. 27; needs ``w``).
    horizon : int, optional
        ``T``, years per window; default ``end − start`` for ``"ols"``, 1 otherwise.
    start, end : int, optional
        First window start and last period used (default: the panel's first and last).
    controls : str or list of str
        Control terms (``feols`` syntax, e.g. ``"log(invest)"``), measured at the start of
        each window; with them the convergence is conditional.
    interaction : str, optional
        The term ``m`` of the interaction model (e.g. ``"log(INTER)"``).
    effects : str
        ``"fe"`` and ``"sac"``: ``"unit"`` or ``"twoways"`` (unit and period effects);
        ``"sac"`` also ``"none"`` (pooled with an intercept, paper 004 Table 6).
    annualize : bool
        Divide the log growth by ``T`` (the default, as paper 004 and Barro–Sala-i-Martin).
    vcov : str or dict, optional
        ``feols``'s ``vcov=`` for ``"ols"`` and ``"fe"`` (defaults: iid; CRV1 by unit).
    ssc : str or dict, optional
        ``feols``'s small-sample convention (default ``"stata"``, reghdfe's; ``"fixest"``
        gives pyfixest's and fixest's numbers).
    fmols_options : dict, optional
        Keyword arguments of :func:`vagg.fmols` (kernel, bandwidth, demean_time, …).
    w : SpatialWeights, optional
        The spatial weights of ``method="sac"`` (:mod:`vagg.weights`); required there.

    Returns
    -------
    Convergence

    Raises
    ------
    EstimationError
        Bad columns or options, no usable window, clashing column names, an unbalanced
        growth panel or a missing ``w`` for ``"sac"``, and what the estimator raises.
    """
    started = _time.perf_counter()
    if method not in ("ols", "fe", "fmols", "sac"):
        raise EstimationError(f"convergence: method={method!r}; use 'ols', 'fe', 'fmols' or 'sac'")
    if w is not None and method != "sac":
        raise EstimationError("convergence: w= is used by method='sac' only")
    if method == "sac" and w is None:
        raise EstimationError("convergence: method='sac' needs the spatial weights w=")
    allowed = ("unit", "twoways", "none") if method == "sac" else ("unit", "twoways")
    if effects not in allowed:
        raise EstimationError(f"convergence: effects={effects!r}; use one of {list(allowed)}")
    if ssc is not None and method == "fmols":
        raise EstimationError("convergence: ssc= is used by method='ols' and 'fe' only")
    if fmols_options is not None and method != "fmols":
        raise EstimationError("convergence: fmols_options= is used by method='fmols' only")
    unit_col, time_col = check_panel_arg(panel, "convergence")
    single = method == "ols"
    t_horizon = horizon
    if t_horizon is None and not single:
        t_horizon = 1
    if t_horizon is None:
        times = pd.to_numeric(_column(data, time_col), errors="coerce")
        first = int(times.min()) if start is None else int(start)
        last = int(times.max()) if end is None else int(end)
        t_horizon = last - first
        end = last
    gf = growth_frame(
        data,
        outcome,
        (unit_col, time_col),
        horizon=int(t_horizon),
        start=start,
        end=end,
        annualize=annualize,
        single_window=single,
    )
    rhs = [gf.level]
    if interaction is not None:
        term = parse_formula(f"_y ~ {interaction}").regressors[0]
        rhs += [interaction, f"{gf.level}:{term.label}"]
    ctrl = control_terms(controls)
    rhs += ctrl
    fe = ""
    if method == "fe":
        fe = unit_col if effects == "unit" else f"{unit_col} + {time_col}"
    formula = formula_text(gf.growth, rhs, fe)
    kind = "absolute" if (single and not ctrl and interaction is None) else "conditional"
    if method == "sac":
        result, inter_values = _fit_sac(
            gf, formula_text(gf.growth, rhs, ""), (unit_col, time_col), w, effects, interaction
        )
    elif method == "fmols":
        result, inter_values = _fit_fmols(
            gf, formula, (unit_col, time_col), fmols_options, interaction
        )
    else:
        result, inter_values = _fit_feols(gf, formula, (unit_col, time_col), vcov, ssc, interaction)
    out = _implied(result, gf, method, kind, int(t_horizon), annualize, interaction, inter_values)
    out.diagnostics.seconds = _time.perf_counter() - started
    return out


def _column(data: Any, name: str) -> pd.Series:
    from ..inputs import as_pandas, require_columns

    frame = as_pandas(data)
    require_columns(frame, "convergence", time=name)
    return frame[name]


def _fit_feols(
    gf: GrowthFrame,
    formula: str,
    panel: tuple[str, str],
    vcov: Any,
    ssc: Any,
    interaction: str | None,
) -> tuple[Result, np.ndarray | None]:
    sample = estimation_sample(formula, gf.frame, vcov=vcov, panel=panel)
    result = fit_sample(sample, ssc=ssc)
    passed = np.ones(len(gf.frame), dtype=bool)
    dropped = merge_accounting(gf, passed, sample.dropped)
    result.sample = SampleAccounting(len(gf.frame), result.nobs, dropped)
    values = None
    if interaction is not None:
        label = parse_formula(f"_y ~ {interaction}").regressors[0].label
        values = sample.x[:, sample.names.index(label)]
    return result, values


def _fit_fmols(
    gf: GrowthFrame,
    formula: str,
    panel: tuple[str, str],
    options: Mapping[str, Any] | None,
    interaction: str | None,
) -> tuple[Result, np.ndarray | None]:
    unit_col, time_col = panel
    frame = gf.frame
    horizon_rows = np.ones(len(frame), dtype=bool)
    use_panel = panel
    starts = gf.starts
    if len(starts) > 1 and starts[1] - starts[0] > 1:
        # Windows longer than one period: number them so each unit's series is consecutive.
        horizon_rows = gf.reason != 3  # not_a_window_start
        frame = frame.loc[horizon_rows].copy()
        step = starts[1] - starts[0]
        frame["_window"] = (frame[time_col].astype(int) - starts[0]) // step
        use_panel = (unit_col, "_window")
    opts = dict(options or {})
    for key in ("panel", "formula", "data"):
        if key in opts:
            raise EstimationError(f"convergence: fmols_options may not set {key!r}")
    result = fmols(formula, frame, panel=use_panel, **opts)
    assert result.sample is not None
    dropped = merge_accounting(gf, horizon_rows, result.sample.dropped)
    result.sample = SampleAccounting(len(gf.frame), result.nobs, dropped)
    values = None
    if interaction is not None:
        raw = unit_series(formula, frame, use_panel, where="convergence")
        col = raw.names.index(parse_formula(f"_y ~ {interaction}").regressors[0].label)
        values = np.concatenate([raw.x[u][:, col] for u in raw.units])
    return result, values


def _fit_sac(
    gf: GrowthFrame,
    formula: str,
    panel: tuple[str, str],
    w: Any,
    effects: str,
    interaction: str | None,
) -> tuple[Result, np.ndarray | None]:
    """Eq. (27) of paper 004: the growth regression as a SAC panel by :func:`vagg.spatial`.

    The regressors are evaluated by the linear pipeline (logs, products), written as plain
    columns ``_x0, _x1, …`` of a balanced (unit, window) panel, fitted, and renamed back.
    """
    from ..spatial import spatial

    unit_col, time_col = panel
    sample = estimation_sample(formula, gf.frame, panel=panel)
    frame = gf.frame.iloc[sample.rows]
    labels = [n for n in sample.names if n != "Intercept"]
    cols = {label: f"_x{j}" for j, label in enumerate(labels)}
    data = pd.DataFrame(
        {unit_col: frame[unit_col].to_numpy(), time_col: frame[time_col].to_numpy(), "_g": sample.y}
    )
    for label, col in cols.items():
        data[col] = sample.x[:, sample.names.index(label)]
    counts = data.groupby(unit_col)[time_col].nunique()
    windows = data[time_col].nunique()
    short = counts[counts < windows]
    if len(short):
        raise EstimationError(
            f"convergence: method='sac' needs a balanced growth panel; units without a usable "
            f"growth in every one of the {windows} windows: {list(short.index[:8])}"
        )
    kind = {"none": None, "unit": "individual", "twoways": "twoways"}[effects]
    result = spatial(
        "_g ~ " + " + ".join(cols.values()),
        data,
        w,
        model="sac",
        panel=(unit_col, time_col),
        effects=kind,  # type: ignore[arg-type]
    )
    back = {col: label for label, col in cols.items()}
    result.params = result.params.rename(index=back)
    result.vcov = result.vcov.rename(index=back, columns=back)
    result.depvar = gf.growth
    dropped = merge_accounting(gf, np.ones(len(gf.frame), dtype=bool), sample.dropped)
    result.sample = SampleAccounting(len(gf.frame), result.nobs, dropped)
    values = None
    if interaction is not None:
        label = parse_formula(f"_y ~ {interaction}").regressors[0].label
        values = data[cols[label]].to_numpy()
    return result, values


def _implied(
    result: Result,
    gf: GrowthFrame,
    method: str,
    kind: str,
    horizon: int,
    annualize: bool,
    interaction: str | None,
    values: np.ndarray | None,
) -> Convergence:
    level = gf.level
    if level not in result.params.index:
        raise EstimationError(
            f"convergence: the initial level {level!r} was dropped from the regression "
            f"({(result.diagnostics.collinear_reasons or {})}); it is collinear with the "
            "controls or the fixed effects"
        )
    b = float(result.params[level])
    b_se = float(result.bse[level])
    speed: Stat
    speed_se: Stat
    hl: Stat
    hl_se: Stat
    total = b * (horizon if annualize else 1.0)
    if 1.0 + total <= SPEED_TOL:
        speed = speed_se = NotAvailable(f"1 + β = {1 + total:.4g} ≤ 0: λ = −ln(1 + β)/T undefined")
        hl = hl_se = NotAvailable("the speed is undefined")
    else:
        speed, speed_se = speed_with_se(b, b_se, horizon, annualized=annualize)
        if speed > 0:
            hl = math.log(2.0) / speed
            hl_se = math.log(2.0) * speed_se / speed**2
        else:
            hl = hl_se = NotAvailable(f"λ = {speed:.4g} ≤ 0: no convergence")
    out = Convergence(
        result=result,
        method=method,
        kind=kind,
        horizon=horizon,
        annualize=annualize,
        level_term=level,
        growth_column=gf.growth,
        beta=b,
        beta_se=b_se,
        speed=speed,
        speed_se=speed_se,
        half_life=hl,
        half_life_se=hl_se,
        windows=list(gf.starts),
    )
    if interaction is None:
        return out
    label = parse_formula(f"_y ~ {interaction}").regressors[0].label
    product = f"{level}:{label}"
    out.interaction = label
    if product not in result.params.index:
        raise EstimationError(
            f"convergence: the interaction {product!r} was dropped from the regression "
            "(collinear with the other regressors or the fixed effects)"
        )
    a3 = float(result.params[product])
    v = result.vcov
    out.acceleration, out.acceleration_se = ratio_with_se(
        a3,
        b,
        float(v.loc[product, product]),
        float(v.loc[level, level]),
        float(v.loc[product, level]),
    )
    if values is not None and len(values):
        m = float(np.mean(values))
        out.interaction_mean = m
        c = horizon if annualize else 1.0
        slope = b + a3 * m
        if 1.0 + c * slope > SPEED_TOL:
            out.speed_at_mean = -math.log1p(c * slope) / horizon
            out.speed_derivative = -c * a3 / ((1.0 + c * slope) * horizon)
        else:
            out.speed_at_mean = NotAvailable("1 + β(m̄) ≤ 0")
            out.speed_derivative = NotAvailable("1 + β(m̄) ≤ 0")
    return out
