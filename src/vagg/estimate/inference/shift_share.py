"""Shift-share inference: Adão–Kolesár–Morales standard errors and the BHJ shock-level regression.

A regression of y on a shift-share variable B_i = scale · Σ_k W_ik g_k (OLS), or an IV with B
as instrument for x, has errors correlated across observations with similar shares; the usual
robust or clustered errors then understate the uncertainty (Adão, Kolesár & Morales 2019, QJE).
In a panel the shocks are sector × period pairs, W_{i,(s,τ)} = share_{c(i),s} · 1{t(i) = τ}.

**AKM** (their Remark 5 and eq. 9; the R package ShiftShareSE). With M the residual maker of the
controls and absorbed effects, weights Ω, B̈ = MB, ẍ = Mx (ẍ = B̈ in the OLS case), ÿ = My,
RX = B̈'Ωẍ and the residual e = ÿ − β̂ẍ, regress B̈ on the shares to get the shocks as the
regression sees them, ĝ = (W'ΩW)⁻¹W'ΩB̈, and

    se_AKM = sqrt( Σ_k (ĝ_k · W_k'Ωe)² ) / |RX|,

summing ĝ_k·W_k'Ωe within clusters of shocks first when ``shock_cluster`` is given (e.g. the
same sector in every period). **AKM0** imposes the null β = β₀ in the residual and inverts the
test into a confidence set, which can be unbounded when the shocks are weak.

**BHJ** (Borusyak, Hull & Jaravel 2022, ReStud, §4): the same estimate is the shock-level IV of
ȳ_n = Σ_i ω_i W_in ÿ_i / s_n on x̄_n, instrumented by g_n, weighted by the exposure
s_n = Σ_i ω_i W_in, with shock-level controls q_n; heteroskedasticity-robust errors at the
shock level are "exposure-robust". When the observation-level controls lie in the span of the
shares (a constant with shares summing to one, or period effects in a panel, with q_n the
matching constant or period effects) the shock-level estimate and its HC0 standard error equal
β̂ and se_AKM exactly; the tests check that with linearmodels run on the aggregated data.

Written here because no Python implementation of either exists (ShiftShareSE is R/Stata/Matlab;
``ssaggregate`` is Stata/R).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from vagg.estimate.diagnostics import Diagnostics

from ..errors import EstimationError
from ..inputs import as_pandas, check_columns, rows_text
from ..linear.demean import demean
from ..results import HypothesisTest, Result, SampleAccounting

__all__ = ["Akm0Interval", "ShiftShareInference", "ShockLevel", "shift_share_se", "shock_level"]


@dataclass
class _Design:
    y: np.ndarray
    x: np.ndarray  # regressor: endogenous variable, or B itself
    bartik: np.ndarray
    w: np.ndarray
    shares: sp.csr_matrix  # N × K (unscaled shares × period indicator)
    shocks: pd.DataFrame  # K rows: sector, period, shift
    my: np.ndarray
    mx: np.ndarray
    mb: np.ndarray
    sample: SampleAccounting


def _codes(column: pd.Series) -> np.ndarray:
    return pd.factorize(column.astype(str), sort=True)[0].astype(np.int64)


def _design(
    data: Any,
    shares: Any,
    shifts: Any,
    *,
    outcome: str,
    endog: str | None,
    controls: Sequence[str],
    absorb: Sequence[str],
    weights: str | None,
    unit: str,
    period: str,
    shift: str,
    scale: float,
) -> _Design:
    frame = as_pandas(data)
    used = list(dict.fromkeys([unit, period, outcome, *controls, *absorb]))
    used += [c for c in (endog, weights) if c is not None and c not in used]
    check_columns(frame, used, {unit: "unit linking shares", period: "period"})
    share = as_pandas(shares)
    check_columns(share, [unit, "sector", "share"], {"share": "shares table"})
    shift_tab = as_pandas(shifts)
    check_columns(shift_tab, ["year", "sector", shift], {shift: "shifts table"})
    n_input = len(frame)
    complete = frame[used].notna().all(axis=1)
    frame = frame.loc[complete].reset_index(drop=True)
    dropped = {"missing": int((~complete).sum())} if not complete.all() else {}
    share = share.assign(**{unit: share[unit].astype(str), "sector": share["sector"].astype(str)})
    if share.duplicated([unit, "sector"]).any():
        raise EstimationError("shares: duplicated (unit, sector) rows")
    shift_tab = shift_tab.assign(sector=shift_tab["sector"].astype(str))
    if shift_tab.duplicated(["year", "sector"]).any():
        raise EstimationError("shifts: duplicated (year, sector) rows")
    units = frame[unit].astype(str)
    no_share = sorted(set(units) - set(share[unit]))
    if no_share:
        raise EstimationError(f"data: {unit} values without shares: {rows_text(no_share)}")
    sectors = sorted(share["sector"].unique())
    periods = sorted(frame[period].unique())
    s_idx = {s: j for j, s in enumerate(sectors)}
    t_idx = {t: j for j, t in enumerate(periods)}
    g = np.full((len(sectors), len(periods)), np.nan)
    tab = shift_tab[shift_tab["sector"].isin(sectors) & shift_tab["year"].isin(periods)]
    g[tab["sector"].map(s_idx).to_numpy(), tab["year"].map(t_idx).to_numpy()] = tab[shift]
    if np.isnan(g).any():
        i, j = np.argwhere(np.isnan(g))[0]
        raise EstimationError(f"shifts: no {shift!r} for sector {sectors[i]!r}, year {periods[j]}")
    wide = share.pivot(index=unit, columns="sector", values="share").reindex(columns=sectors)
    wide = wide.fillna(0.0)
    rows = wide.loc[units].to_numpy()
    ti = frame[period].map(t_idx).to_numpy()
    n, k_s, k_t = len(frame), len(sectors), len(periods)
    cols = ti[:, None] + np.arange(k_s)[None, :] * k_t  # column (s, τ) = s·T + τ
    matrix = sp.csr_matrix(
        (rows.ravel(), (np.repeat(np.arange(n), k_s), cols.ravel())), shape=(n, k_s * k_t)
    )
    matrix.eliminate_zeros()
    shocks = pd.DataFrame(
        {"sector": np.repeat(sectors, k_t), "period": np.tile(periods, k_s), "shift": g.ravel()}
    )
    bartik = scale * (matrix @ shocks["shift"].to_numpy())
    y = frame[outcome].to_numpy(dtype=float)
    x = bartik if endog is None else frame[endog].to_numpy(dtype=float)
    w = np.ones(n) if weights is None else frame[weights].to_numpy(dtype=float)
    if (w <= 0).any():
        raise EstimationError(f"weights: {weights!r} must be positive")
    block = np.column_stack([y, x, bartik])
    ctrl = frame[list(controls)].to_numpy(dtype=float) if controls else np.zeros((n, 0))
    if absorb:
        stacked = np.column_stack([block, ctrl])
        res = demean(stacked, [_codes(frame[c]) for c in absorb], w, tol=1e-12)
        if not res.converged:
            raise EstimationError(f"absorb {list(absorb)}: demeaning did not converge")
        block, ctrl = res.values[:, :3], res.values[:, 3:]
    else:
        ctrl = np.column_stack([np.ones(n), ctrl])
    if ctrl.shape[1]:
        root = np.sqrt(w)[:, None]
        coef = np.linalg.lstsq(ctrl * root, block * root, rcond=None)[0]
        block = block - ctrl @ coef
    sample = SampleAccounting(n_input, n, dropped)
    my, mx, mb = block.T
    return _Design(y, x, bartik, w, matrix, shocks, my, mx, mb, sample)


@dataclass(frozen=True)
class Akm0Interval:
    """The AKM0 confidence set: ``kind`` is "interval" ([lower, upper]), "complement" (the
    line outside the open interval (lower, upper)) or "unbounded" (the whole line)."""

    lower: float
    upper: float
    kind: Literal["interval", "complement", "unbounded"]


@dataclass
class ShiftShareInference:
    """A shift-share regression with its standard errors by method.

    ``results`` maps "ehw" (heteroskedasticity-robust, HC0) and "akm" to a :class:`Result`
    each (the same estimate, different ``vcov``); ``akm0`` is the null-imposed test of
    β = β₀ and ``akm0_interval`` its inverted confidence set. ``n_shocks`` counts the
    sector × period shocks with exposure; ``dropped_shocks`` those without any.
    """

    term: str
    estimate: float
    results: dict[str, Result]
    akm0: HypothesisTest
    akm0_interval: Akm0Interval
    n_shocks: int
    dropped_shocks: int
    notes: list[str] = field(default_factory=list)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per method: estimate, std_error, pvalue, conf_low, conf_high."""
        rows = []
        for name, res in self.results.items():
            row = res.tidy(level).iloc[0]
            rows.append(
                (
                    name,
                    row["estimate"],
                    row["std_error"],
                    row["pvalue"],
                    row["conf_low"],
                    row["conf_high"],
                )
            )
        ci = self.akm0_interval
        rows.append(("akm0", self.estimate, np.nan, self.akm0.pvalue, ci.lower, ci.upper))
        return pd.DataFrame(
            rows, columns=["method", "estimate", "std_error", "pvalue", "conf_low", "conf_high"]
        )

    def summary(self) -> str:
        """A plain-text table of the estimate under each method."""
        text = self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4f}")
        return f"Shift-share {self.term}: {self.n_shocks} shocks\n{text}"


def _one_term(term: str, beta: float, se: float, d: _Design, model: str, vcov: str) -> Result:
    return Result(
        params=pd.Series([beta], index=[term]),
        vcov=pd.DataFrame([[se**2]], index=[term], columns=[term]),
        nobs=len(d.y),
        model=model,
        vcov_type=vcov,
        df_resid=None,
        sample=d.sample,
    )


def _shock_clusters(shocks: pd.DataFrame, shock_cluster: Any) -> np.ndarray:
    if shock_cluster is None:
        return np.arange(len(shocks))
    if isinstance(shock_cluster, str):
        if shock_cluster not in ("sector", "period"):
            raise EstimationError("shock_cluster must be 'sector', 'period' or a mapping")
        return _codes(shocks[shock_cluster])
    mapped = shocks["sector"].map(dict(shock_cluster))
    if mapped.isna().any():
        missing = sorted(shocks.loc[mapped.isna(), "sector"].unique())
        raise EstimationError(f"shock_cluster: sectors without a cluster: {rows_text(missing)}")
    return _codes(mapped)


def shift_share_se(
    data: Any,
    shares: Any,
    shifts: Any,
    *,
    outcome: str,
    endog: str | None = None,
    controls: Sequence[str] = (),
    absorb: Sequence[str] = (),
    weights: str | None = None,
    unit: str = "city_code",
    period: str = "year",
    shift: str = "shift",
    scale: float = 1.0,
    shock_cluster: str | Any = None,
    beta0: float = 0.0,
    level: float = 0.95,
    term: str = "vagg",
) -> ShiftShareInference:
    """Shift-share regression with EHW, AKM and AKM0 inference (Adão, Kolesár & Morales 2019).

    Parameters
    ----------
    data : DataFrame
        Observations with ``unit``, ``period``, ``outcome``, controls, absorbed effects and
        optionally ``endog``/``weights`` (rows with a missing value are dropped and counted).
    shares : DataFrame
        (``unit``, sector, share) base-year shares (e.g. ``ShiftShareMeasure.shares``).
    shifts : DataFrame
        (year, sector, ``shift``) (e.g. ``ShiftShareMeasure.shifts``).
    outcome : str
        y.
    endog : str, optional
        The endogenous regressor instrumented by the shift-share variable B; default: OLS of y
        on B (paper 001's regression of quality on vagg).
    controls, absorb : sequence of str
        Controls and absorbed fixed effects (an intercept is added when nothing is absorbed).
    weights : str, optional
        Regression weights.
    unit, period, shift : str
        Linking columns and the shift column.
    scale : float
        The measure's factor (B = scale · Σ share · shift; 100 for paper 001's vagg).
    shock_cluster : {"sector", "period"} or mapping sector → cluster, optional
        Cluster the sector × period shocks (AKM's ``sector_cvar``); "sector" lets one sector's
        shocks correlate across periods.
    beta0 : float
        Null value of the AKM0 test and interval.
    level : float
        Confidence level of the AKM0 set.
    term : str
        Name of the coefficient.

    Returns
    -------
    ShiftShareInference
    """
    d = _design(
        data,
        shares,
        shifts,
        outcome=outcome,
        endog=endog,
        controls=controls,
        absorb=absorb,
        weights=weights,
        unit=unit,
        period=period,
        shift=shift,
        scale=scale,
    )
    w = d.w
    rx = float(np.sum(w * d.mb * d.mx))
    if rx == 0:
        raise EstimationError("shift-share variable has no variation left after the controls")
    beta = float(np.sum(w * d.mb * d.my)) / rx
    resid = d.my - beta * d.mx
    ehw = float(np.sqrt(np.sum((w * resid * d.mb) ** 2))) / abs(rx)
    exposure = np.asarray(d.shares.multiply(w[:, None]).sum(axis=0)).ravel()
    used = exposure > 0
    wmat = d.shares[:, np.flatnonzero(used)]
    shocks = d.shocks.loc[used].reset_index(drop=True)
    gram = (wmat.T @ wmat.multiply(w[:, None])).toarray()
    rhs = wmat.T @ (w * d.mb)
    rank = np.linalg.matrix_rank(gram)
    if rank < gram.shape[0]:
        raise EstimationError(
            f"shares: the {gram.shape[0]} sector × period share columns have rank {rank}; "
            "aggregate sectors whose shares are collinear"
        )
    g_hat = np.linalg.solve(gram, rhs)
    clusters = _shock_clusters(shocks, shock_cluster)

    def by_cluster(values: np.ndarray) -> np.ndarray:
        return np.bincount(clusters, weights=values)

    c_r = by_cluster(g_hat * (wmat.T @ (w * resid)))
    c_w = by_cluster(g_hat * (wmat.T @ (w * d.mx)))
    c_r0 = by_cluster(g_hat * (wmat.T @ (w * (d.my - beta0 * d.mx))))
    akm = float(np.sqrt(np.sum(c_r**2))) / abs(rx)
    akm0_se = float(np.sqrt(np.sum(c_r0**2))) / abs(rx)
    model = "shift-share OLS" if endog is None else "shift-share IV"
    results = {
        "ehw": _one_term(term, beta, ehw, d, model, "hetero (HC0)"),
        "akm": _one_term(term, beta, akm, d, model, "AKM"),
    }
    stat = (beta - beta0) / akm0_se if akm0_se > 0 else np.inf
    test = HypothesisTest.normal("AKM0", stat, null=f"{term} = {beta0:g}")
    cv = float(stats.norm.isf((1 - level) / 2))
    q = rx**2 / cv**2 - float(np.sum(c_w**2))
    q2 = float(np.sum(c_r * c_w)) / q if q != 0 else np.inf
    dis = q2**2 + float(np.sum(c_r**2)) / q if q != 0 else np.inf
    mid = beta - q2
    if q > 0:
        interval = Akm0Interval(mid - np.sqrt(dis), mid + np.sqrt(dis), "interval")
    elif dis > 0 and np.isfinite(dis):
        interval = Akm0Interval(mid - np.sqrt(dis), mid + np.sqrt(dis), "complement")
    else:
        interval = Akm0Interval(-np.inf, np.inf, "unbounded")
    notes = [] if shock_cluster is None else [f"AKM shocks clustered by {shock_cluster}"]
    return ShiftShareInference(
        term, beta, results, test, interval, int(used.sum()), int((~used).sum()), notes
    )


@dataclass
class ShockLevel:
    """The BHJ shock-level regression: the aggregated shocks and the shock-level estimate.

    ``shocks``: one row per sector × period with exposure ``s`` > 0, the shock ``g``, and the
    exposure-weighted averages ``y_bar`` and ``x_bar`` of the partialled outcome and regressor.
    ``result``: the shock-level IV of y_bar on x_bar instrumented by g, weighted by s, with
    HC0 (or shock-clustered) standard errors. ``effective_shocks`` = 1 / Σ_n (s_n/Σs)²
    (BHJ's effective number of shocks).
    """

    shocks: pd.DataFrame
    result: Result
    effective_shocks: float
    dropped_shocks: int


def shock_level(
    data: Any,
    shares: Any,
    shifts: Any,
    *,
    outcome: str,
    endog: str | None = None,
    controls: Sequence[str] = (),
    absorb: Sequence[str] = (),
    weights: str | None = None,
    unit: str = "city_code",
    period: str = "year",
    shift: str = "shift",
    scale: float = 1.0,
    shock_controls: Literal["constant", "period", "none"] = "period",
    shock_cluster: str | Any = None,
    term: str = "vagg",
) -> ShockLevel:
    """Borusyak–Hull–Jaravel shock-level equivalent of a shift-share regression.

    The observation-level outcome and regressor are partialled on the controls and absorbed
    effects, aggregated to sector × period shocks with the exposure weights
    s_n = Σ_i ω_i W_in (ȳ_n = Σ_i ω_i W_in ÿ_i / s_n), and the shock-level IV of ȳ on x̄
    instrumented by g_n is run with weights s_n and shock-level controls (``"period"`` effects
    by default, ``"constant"`` or ``"none"``). Arguments as :func:`shift_share_se`.

    Returns
    -------
    ShockLevel
    """
    d = _design(
        data,
        shares,
        shifts,
        outcome=outcome,
        endog=endog,
        controls=controls,
        absorb=absorb,
        weights=weights,
        unit=unit,
        period=period,
        shift=shift,
        scale=scale,
    )
    w = d.w
    expo = np.asarray(d.shares.multiply(w[:, None]).sum(axis=0)).ravel()
    used = expo > 0
    wmat = d.shares[:, np.flatnonzero(used)]
    s = expo[used]
    y_bar = (wmat.T @ (w * d.my)) / s
    x_bar = (wmat.T @ (w * d.mx)) / s
    shocks = d.shocks.loc[used].reset_index(drop=True)
    g = shocks["shift"].to_numpy() * scale
    if shock_controls == "period":
        q = pd.get_dummies(shocks["period"].astype(str)).to_numpy(dtype=float)
    elif shock_controls == "constant":
        q = np.ones((len(s), 1))
    elif shock_controls == "none":
        q = np.zeros((len(s), 0))
    else:
        raise EstimationError("shock_controls must be 'period', 'constant' or 'none'")

    def resid_on_q(v: np.ndarray) -> np.ndarray:
        if q.shape[1] == 0:
            return v
        root = np.sqrt(s)
        coef = np.linalg.lstsq(q * root[:, None], v * root, rcond=None)[0]
        return v - q @ coef

    g_t = resid_on_q(g)
    den = float(np.sum(s * g_t * x_bar))
    if den == 0:
        raise EstimationError("shock-level first stage is zero")
    beta = float(np.sum(s * g_t * y_bar)) / den
    e = resid_on_q(y_bar - beta * x_bar)
    clusters = _shock_clusters(shocks, shock_cluster)
    scores = np.bincount(clusters, weights=s * g_t * e)
    se = float(np.sqrt(np.sum(scores**2))) / abs(den)
    result = Result(
        params=pd.Series([beta], index=[term]),
        vcov=pd.DataFrame([[se**2]], index=[term], columns=[term]),
        nobs=len(s),
        model="shift-share shock-level IV",
        vcov_type="HC0 (shock level)" if shock_cluster is None else "shock clusters",
        df_resid=None,
        sample=SampleAccounting(len(used), len(s), {"shock without exposure": int((~used).sum())}),
        diagnostics=Diagnostics.of({"observation_sample": d.sample.as_dict()}),
    )
    table = shocks.assign(s=s, g=g, y_bar=y_bar, x_bar=x_bar)
    share = s / s.sum()
    return ShockLevel(table, result, float(1.0 / np.sum(share**2)), int((~used).sum()))
