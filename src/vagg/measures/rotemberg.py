"""Rotemberg weights of a Bartik instrument (Goldsmith-Pinkham, Sorkin & Swift 2020, AER).

A shift-share variable B_i = Σ_k Z_ik g_k is a sum over "instruments" k; with panel data the
instruments are sector × period pairs, Z_{i,(s,τ)} = scale · share_{c(i),s} · 1{t(i) = τ} and
g_{(s,τ)} = shift_{s,τ} (GPSS §III, the panel case). With M the residual maker of the controls
and absorbed fixed effects (weighted by the regression weights Ω), GPSS (Proposition 1) write
the just-identified IV estimate with B as instrument for x as

    β̂ = B'ΩMy / B'ΩMx = Σ_k α̂_k β̂_k,
    α̂_k = g_k Z_k'ΩMx / Σ_k g_k Z_k'ΩMx,     β̂_k = Z_k'ΩMy / Z_k'ΩMx,

so Σ_k α̂_k = 1 and Σ_k α̂_k β̂_k = β̂ hold exactly (they are algebra in the same M). β̂_k is the
just-identified IV estimate using Z_k alone; α̂_k (the Rotemberg weight) is its share of the
Bartik estimate. When x = B itself (paper 001 regresses quality on vagg by OLS) β̂ is the OLS
coefficient on vagg. GPSS report the largest weights, the share of negative weight and the
dispersion of β̂_k; per sector they aggregate α̂_s = Σ_τ α̂_{sτ} and
β̂_s = Σ_τ α̂_{sτ} β̂_{sτ} / α̂_s.

Written here because no maintained Python implementation exists (the authors' code is Stata
``bartik_weight`` and R ``bartik.weight``); fixed effects are partialled out with pyfixest's
alternating-projections demeaner (``pyfixest.estimation.demean``) at a tight tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.measures._city_inputs import as_polars, codes_as_text, require, unique_key, year_int

__all__ = ["RotembergWeights", "rotemberg_weights"]


@dataclass
class RotembergWeights:
    """Rotemberg decomposition of a Bartik estimate.

    Attributes
    ----------
    by_instrument : pandas.DataFrame
        One row per instrument (sector, period): ``shift`` (g_k), ``alpha`` (α̂_k), ``beta``
        (β̂_k; NaN where Z_k'ΩMx = 0, which then has α̂_k = 0), ``zx`` (Z_k'ΩMx) and ``zy``.
    by_sector : pandas.DataFrame
        α̂_s = Σ_τ α̂_sτ and β̂_s = Σ_τ α̂_sτ β̂_sτ / α̂_s, sorted by α̂_s (largest first).
    beta : float
        The Bartik estimate B'ΩMy / B'ΩMx, computed directly.
    n_obs : int
        Observations used.
    excluded : dict of str to int
        Observations left out, by reason.
    """

    by_instrument: pd.DataFrame
    by_sector: pd.DataFrame
    beta: float
    n_obs: int
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def beta_from_weights(self) -> float:
        """Σ_k α̂_k β̂_k (equal to :attr:`beta` up to rounding; GPSS Proposition 1)."""
        frame = self.by_instrument
        used = frame["alpha"] != 0
        return float((frame.loc[used, "alpha"] * frame.loc[used, "beta"]).sum())

    @property
    def negative_weight(self) -> float:
        """Sum of the negative α̂_k (GPSS report it; large values warn of non-convex weights)."""
        alpha = self.by_instrument["alpha"]
        return float(alpha[alpha < 0].sum())

    def top(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` sectors with the largest aggregated weights α̂_s."""
        return self.by_sector.head(n)


def _partial(
    columns: np.ndarray,
    fe_codes: np.ndarray | None,
    controls: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """Residuals of ``columns`` after the fixed effects and the controls (weighted FWL)."""
    out = columns
    ctrl = controls
    if fe_codes is not None:
        from pyfixest.estimation import demean  # imported here: heavy, only needed with FE

        stacked = np.column_stack([columns, controls]) if controls.size else columns
        demeaned, converged = demean(stacked, fe_codes, weights, tol=1e-12, maxiter=100_000)
        if not converged:
            raise SchemaError("data", None, "fixed effects could not be partialled out")
        out = demeaned[:, : columns.shape[1]]
        ctrl = demeaned[:, columns.shape[1] :]
    if ctrl.size:
        root = np.sqrt(weights)[:, None]
        coef, *_ = np.linalg.lstsq(ctrl * root, out * root, rcond=None)
        out = out - ctrl @ coef
    return out


def rotemberg_weights(
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
) -> RotembergWeights:
    """Rotemberg weights α̂_k and just-identified estimates β̂_k of a Bartik design (GPSS 2020).

    Parameters
    ----------
    data : DataFrame
        Observations (e.g. city × HS4 × year cells) with ``unit``, ``period``, ``outcome``, the
        controls, the absorbed effects and optionally ``endog`` and ``weights``.
    shares : DataFrame
        (``unit``, sector, share): base-year shares (e.g. ``ShiftShareMeasure.shares``).
    shifts : DataFrame
        (year, sector, ``shift``) (e.g. ``ShiftShareMeasure.shifts``); the year column is
        matched to ``period``.
    outcome : str
        y.
    endog : str, optional
        x, the regressor instrumented by B; default B itself (the OLS-on-Bartik case of paper
        001, where β̂ is the OLS coefficient on vagg).
    controls : sequence of str
        Controls partialled out (an intercept is added when nothing is absorbed).
    absorb : sequence of str
        Fixed effects partialled out (one column per effect).
    weights : str, optional
        Regression weights Ω.
    unit, period : str
        Columns that link observations to shares and shifts.
    shift : str
        The shift column of ``shifts``.
    scale : float
        The factor of the measure (100 for paper 001's vagg), so that B equals the regressor.

    Returns
    -------
    RotembergWeights

    Raises
    ------
    SchemaError
        Missing columns, duplicated shares or shifts, units without shares, periods without
        shifts, or Σ_k g_k Z_k'ΩMx = 0 (the instrument is irrelevant after the controls).
    """
    frame = as_polars(data, "data")
    used = [unit, period, outcome, *controls, *absorb]
    used += [c for c in (endog, weights) if c is not None]
    used = list(dict.fromkeys(used))
    require(frame, "data", used)
    frame = codes_as_text(frame.with_columns(pl.col(unit).cast(pl.String)), "data", [unit])
    frame = year_int(frame, "data", period)
    complete = frame.select(used).with_columns(
        pl.col(c).cast(pl.Float64).fill_nan(None) for c in used if frame[c].dtype.is_float()
    )
    keep = complete.select(pl.all_horizontal(pl.all().is_not_null())).to_series()
    excluded = {"missing value": int((~keep).sum())} if not keep.all() else {}
    frame = frame.filter(keep)

    share = codes_as_text(as_polars(shares, "shares"), "shares", [unit, "sector"])
    require(share, "shares", [unit, "sector", "share"])
    unique_key(share, "shares", [unit, "sector"])
    shift_tab = codes_as_text(as_polars(shifts, "shifts"), "shifts", ["sector"])
    require(shift_tab, "shifts", ["year", "sector", shift])
    shift_tab = year_int(shift_tab, "shifts")
    unique_key(shift_tab, "shifts", ["year", "sector"])

    units = sorted(share[unit].unique().to_list())
    sectors = sorted(share["sector"].unique().to_list())
    periods = sorted(frame[period].unique().to_list())
    no_share = sorted(set(frame[unit].unique().to_list()) - set(units))
    if no_share:
        raise SchemaError(
            "data", unit, "units without shares", n_bad=len(no_share), examples=no_share
        )
    u_index = {u: i for i, u in enumerate(units)}
    s_index = {s: j for j, s in enumerate(sectors)}
    t_index = {t: j for j, t in enumerate(periods)}
    s_mat = np.zeros((len(units), len(sectors)))
    s_mat[
        [u_index[u] for u in share[unit].to_list()],
        [s_index[s] for s in share["sector"].to_list()],
    ] = share["share"].cast(pl.Float64).to_numpy() * scale
    g = np.full((len(sectors), len(periods)), np.nan)
    tab = shift_tab.filter(pl.col("sector").is_in(sectors) & pl.col("year").is_in(periods))
    g[
        [s_index[s] for s in tab["sector"].to_list()],
        [t_index[t] for t in tab["year"].to_list()],
    ] = tab[shift].cast(pl.Float64).to_numpy()
    gaps = np.argwhere(np.isnan(g))
    if gaps.size:
        first = [(sectors[i], periods[j]) for i, j in gaps[:5]]
        raise SchemaError("shifts", shift, f"no shift for (sector, year) {first}", n_bad=len(gaps))

    ui = np.array([u_index[u] for u in frame[unit].to_list()])
    ti = np.array([t_index[t] for t in frame[period].to_list()])
    bartik = np.einsum("ik,ik->i", s_mat[ui], g[:, ti].T)
    y = frame[outcome].cast(pl.Float64).to_numpy()
    x = bartik if endog is None else frame[endog].cast(pl.Float64).to_numpy()
    w = np.ones(len(y)) if weights is None else frame[weights].cast(pl.Float64).to_numpy()
    if weights is not None and (w <= 0).any():
        bad = np.flatnonzero(w <= 0)[:5].tolist()
        raise SchemaError("data", weights, f"weights must be positive (rows {bad})")
    ctrl = (
        np.column_stack([frame[c].cast(pl.Float64).to_numpy() for c in controls])
        if controls
        else np.zeros((len(y), 0))
    )
    fe = None
    if absorb:
        fe = np.column_stack(
            [frame[c].cast(pl.String).rank("dense").to_numpy() - 1 for c in absorb]
        ).astype(np.uint64)
    else:
        ctrl = np.column_stack([np.ones(len(y)), ctrl])
    my, mx = _partial(np.column_stack([y, x]), fe, ctrl, w).T
    # Z_k'ΩMv for k = (s, τ): sums of Ω·Mv by (unit, period), then weighted by the shares
    cells = np.zeros((len(units), len(periods), 2))
    np.add.at(cells, (ui, ti), np.column_stack([w * mx, w * my]))
    zx = s_mat.T @ cells[:, :, 0]  # sectors × periods
    zy = s_mat.T @ cells[:, :, 1]
    denom = float((g * zx).sum())
    if denom == 0 or not np.isfinite(denom):
        raise SchemaError("data", endog or "bartik", "Σ g_k Z_k'Mx = 0: no variation left")
    alpha = g * zx / denom
    with np.errstate(divide="ignore", invalid="ignore"):
        beta_k = np.where(zx != 0, zy / zx, np.nan)
    by_inst = pd.DataFrame(
        {
            "sector": np.repeat(sectors, len(periods)),
            period: np.tile(periods, len(sectors)),
            "shift": g.ravel(),
            "alpha": alpha.ravel(),
            "beta": beta_k.ravel(),
            "zx": zx.ravel(),
            "zy": zy.ravel(),
        }
    )
    alpha_s = alpha.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta_s = np.where(alpha_s != 0, np.nansum(alpha * beta_k, axis=1) / alpha_s, np.nan)
    by_sector = (
        pd.DataFrame({"sector": sectors, "alpha": alpha_s, "beta": beta_s})
        .sort_values("alpha", ascending=False)
        .reset_index(drop=True)
    )
    beta = float(np.sum(w * bartik * my) / np.sum(w * bartik * mx))
    return RotembergWeights(by_inst, by_sector, beta, frame.height, excluded)
