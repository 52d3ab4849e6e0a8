"""The Dumitrescu–Hurlin (2012) panel Granger non-causality test (``vagg.granger_dh``).

For every unit ``i`` of a balanced panel with ``T`` periods, with lag order ``K``
(methods notes §6):

* unrestricted: ``y_it = α_i + Σ_{k=1}^{K} γ_ik y_i,t−k + Σ_{k=1}^{K} β_ik x_i,t−k + e_it``,
  ``t = K+1..T``; restricted: without the ``x`` lags;
* the unit's Wald statistic ``W_i = (SSR_r − SSR_u) / (SSR_u / (T − 3K − 1))`` (``K`` times the
  F statistic; the χ²(K) form of ``plm::pgrangertest``).

Panel statistics, under H₀: ``β_ik = 0`` for every unit and lag (against: non-zero for some):

* ``W̄ = N⁻¹ Σ_i W_i``;
* ``Z̄ = √(N/(2K)) (W̄ − K)`` (DH eq. 9; N(0, 1) as T, then N → ∞);
* ``Z̃ = √(N/(2K) · (T−3K−5)/(T−2K−3)) · ((T−3K−3)/(T−3K−1) · W̄ − K)`` (DH eq. 26, the
  finite-T statistic; ``T`` the number of periods, as in ``xtgcause`` and ``plm``); it needs
  ``T > 5 + 3K``.

Both Z are compared with N(0, 1), two-sided (as ``xtgcause`` and ``plm`` print them). Paper 004
(Table 3b) reports Z in both directions with ``K = 1``.

Lag selection (``lags="aic" | "bic" | "hqic"``) follows ``xtgcause``: for ``k = 1..K_max``
every unit's unrestricted regression is fitted on the common periods ``t > K_max``, the
criterion ``−2 ln L + c·(2k + 1)`` (``c`` = 2, ln n, 2 ln ln n; Gaussian ``ln L``) is averaged
over units, and the ``k`` with the smallest mean is used with all periods.
``K_max`` defaults to ``⌊(T − 6)/3⌋``.

``bootstrap=B`` adds block-bootstrap p-values robust to cross-section dependence
(:mod:`.bootstrap`).

Why written here: no maintained Python package has the test (statsmodels'
``grangercausalitytests`` handles one series); Stata users have ``xtgcause``, R users
``plm::pgrangertest``. The tests reproduce ``plm``'s printed values for Grunfeld's data.

References: Dumitrescu & Hurlin (2012) *Economic Modelling* 29(4); Lopez & Weber (2017)
*Stata Journal* 17(4).
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...engine import run_tasks
from ..diagnostics import Diagnostics
from ..errors import EstimationError
from ..results import HypothesisTest, SampleAccounting
from .bootstrap import bootstrap_draws, fit_null_model, panel_statistics, wald_statistics
from .panel_data import balanced_matrices, check_units, granger_ssr

__all__ = ["GrangerDH", "granger_dh"]

_CRITERIA = ("aic", "bic", "hqic")
#: Bootstrap draws per task sent to the engine.
CHUNK = 50


@dataclass
class GrangerDH:
    """Result of :func:`granger_dh`.

    Attributes
    ----------
    y, x : str
        The tested relation: H₀ is "``x`` does not Granger-cause ``y``" in any unit.
    lags : int
        The lag order ``K`` used (chosen by ``lag_selection`` when ``lags`` was a criterion).
    w_bar : float
        ``W̄``, the mean of the individual Wald statistics (no p-value of its own).
    z_bar, z_tilde : HypothesisTest
        ``Z̄`` and ``Z̃`` with two-sided N(0, 1) p-values.
    individual : pandas.DataFrame
        One row per unit: ``wald`` (``W_i``), ``f`` (= W_i / K), ``df1``, ``df2``, ``pvalue``
        (from F(K, T − 3K − 1), as ``xtgcause``) and ``pvalue_chi2`` (χ²(K), as ``plm``).
    n_units, n_periods : int
        N and T.
    lag_selection : pandas.DataFrame or None
        With a criterion: the mean criterion for each ``k`` tried.
    bootstrap : dict or None
        With ``bootstrap=B``: ``z_bar`` / ``z_tilde`` HypothesisTests with bootstrap p-values,
        ``critical_values`` (of ``|Z̄*|`` and ``|Z̃*|`` at ``level``), ``reps``,
        ``block_length``, ``seed``, ``level`` and the ``draws`` (B × 2).
    sample : SampleAccounting
        Rows in and used (nothing is dropped: the test refuses incomplete panels).
    """

    y: str
    x: str
    lags: int
    w_bar: float
    z_bar: HypothesisTest
    z_tilde: HypothesisTest
    individual: pd.DataFrame
    n_units: int
    n_periods: int
    lag_selection: pd.DataFrame | None = None
    bootstrap: dict[str, Any] | None = None
    sample: SampleAccounting | None = None
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    @property
    def null(self) -> str:
        """The null hypothesis in words."""
        return f"{self.x} does not Granger-cause {self.y}"

    @property
    def tests(self) -> dict[str, HypothesisTest]:
        """``Z̄`` and ``Z̃`` (and their bootstrap versions when computed), by name."""
        out = {"z_bar": self.z_bar, "z_tilde": self.z_tilde}
        if self.bootstrap is not None:
            out["z_bar_bootstrap"] = self.bootstrap["z_bar"]
            out["z_tilde_bootstrap"] = self.bootstrap["z_tilde"]
        return out

    def tidy(self) -> pd.DataFrame:
        """One row per statistic: ``W-bar``, ``Z-bar``, ``Z-bar tilde`` (and bootstrap)."""
        rows = [{"statistic_name": "W-bar", "statistic": self.w_bar, "pvalue": np.nan}]
        rows.append(
            {
                "statistic_name": "Z-bar",
                "statistic": self.z_bar.statistic,
                "pvalue": self.z_bar.pvalue,
            }
        )
        rows.append(
            {
                "statistic_name": "Z-bar tilde",
                "statistic": self.z_tilde.statistic,
                "pvalue": self.z_tilde.pvalue,
            }
        )
        if self.bootstrap is not None:
            for key, label in (
                ("z_bar", "Z-bar (bootstrap)"),
                ("z_tilde", "Z-bar tilde (bootstrap)"),
            ):
                test = self.bootstrap[key]
                rows.append(
                    {"statistic_name": label, "statistic": test.statistic, "pvalue": test.pvalue}
                )
        out = pd.DataFrame(rows)
        out.insert(0, "null", self.null)
        out["lags"] = self.lags
        return out

    def summary(self) -> str:
        """The test as ``xtgcause`` prints it."""
        lines = [
            "Dumitrescu & Hurlin (2012) Granger non-causality test",
            f"H0: {self.null} (N = {self.n_units}, T = {self.n_periods})",
            f"Lag order: {self.lags}" + (" (selected)" if self.lag_selection is not None else ""),
            f"W-bar       = {self.w_bar:9.4f}",
            f"Z-bar       = {self.z_bar.statistic:9.4f}   (p-value = {self.z_bar.pvalue:.4f})",
            f"Z-bar tilde = {self.z_tilde.statistic:9.4f}   (p-value = {self.z_tilde.pvalue:.4f})",
        ]
        if self.bootstrap is not None:
            b = self.bootstrap
            lines.append(
                f"Bootstrap ({b['reps']} draws, block length {b['block_length']}): "
                f"p(Z-bar) = {b['z_bar'].pvalue:.4f}, p(Z-bar tilde) = "
                f"{b['z_tilde'].pvalue:.4f}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<GrangerDH {self.x} -> {self.y}: K={self.lags} W̄={self.w_bar:.4f} "
            f"Z̃={self.z_tilde.statistic:.4f} (p={self.z_tilde.pvalue:.4g})>"
        )


def granger_dh(
    data: Any,
    y: str,
    x: str,
    panel: tuple[str, str],
    *,
    lags: int | str = 1,
    max_lags: int | None = None,
    bootstrap: int = 0,
    block_length: int = 1,
    level: float = 0.95,
    seed: int | None = 0,
    engine: Any = None,
) -> GrangerDH:
    """Dumitrescu–Hurlin test of H₀: ``x`` does not Granger-cause ``y`` in any unit.

    Parameters
    ----------
    data : pandas.DataFrame or polars.DataFrame
        A balanced panel, one row per (unit, time), no missing ``y`` or ``x``.
    y, x : str
        The caused and the causing column.
    panel : tuple of str
        ``(unit, time)`` columns; time holds integer periods.
    lags : int or str
        The lag order ``K`` (default 1), or ``"aic"``, ``"bic"``, ``"hqic"`` to choose it
        (module docstring).
    max_lags : int, optional
        Largest ``K`` tried by a criterion (default ``⌊(T − 6)/3⌋``).
    bootstrap : int
        Number of block-bootstrap draws (0: none; ``xtgcause`` uses 1000).
    block_length : int
        Periods per bootstrap block (1 ≤ ``block_length`` ≤ T − K).
    level : float
        Level of the bootstrap critical values.
    seed : int or None
        Seed of the bootstrap (``numpy.random.SeedSequence``).
    engine : None, str or engine
        Where the bootstrap draws run (:func:`vagg.engine.run_tasks`).

    Returns
    -------
    GrangerDH

    Raises
    ------
    EstimationError
        Missing columns or values, an unbalanced panel, ``T ≤ 5 + 3K`` (T too short for the
        lag order), collinear lags in a unit, bad ``lags`` / bootstrap options.
    """
    started = _time.perf_counter()
    mats = balanced_matrices(data, y, x, panel)
    n_units, t_obs = mats.y.shape
    selection: pd.DataFrame | None = None
    if isinstance(lags, str):
        criterion = lags.lower()
        if criterion not in _CRITERIA:
            raise EstimationError(
                f"granger_dh: lags={lags!r}; use a positive integer or 'aic', 'bic', 'hqic'"
            )
        k_max = (t_obs - 6) // 3 if max_lags is None else _check_k(max_lags, "max_lags")
        _check_t(t_obs, k_max, "max_lags")
        selection = _select_lags(mats.y, mats.x, k_max, criterion)
        k = int(selection["mean_criterion"].idxmin())
    else:
        k = _check_k(lags, "lags")
        _check_t(t_obs, k, "lags")
    check_units(mats.y, mats.x, k, k, mats.units, (y, x))
    w = wald_statistics(mats.y, mats.x, k)
    w_bar, z_bar, z_tilde = panel_statistics(w, k, t_obs)
    null = f"{x} does not Granger-cause {y}"
    df2 = t_obs - 3 * k - 1
    individual = pd.DataFrame(
        {
            "wald": w,
            "f": w / k,
            "df1": k,
            "df2": df2,
            "pvalue": stats.f.sf(w / k, k, df2),
            "pvalue_chi2": stats.chi2.sf(w, k),
        },
        index=pd.Index(mats.units, name=panel[0]),
    )
    result = GrangerDH(
        y=y,
        x=x,
        lags=k,
        w_bar=w_bar,
        z_bar=HypothesisTest.normal("Z-bar", z_bar, null),
        z_tilde=HypothesisTest.normal("Z-bar tilde", z_tilde, null),
        individual=individual,
        n_units=n_units,
        n_periods=t_obs,
        lag_selection=selection,
        sample=SampleAccounting(mats.n_input, mats.n_input),
        diagnostics=Diagnostics.of(periods=(int(mats.periods[0]), int(mats.periods[-1]))),
    )
    if bootstrap:
        result.bootstrap = _bootstrap(
            mats.y,
            mats.x,
            k,
            (z_bar, z_tilde),
            bootstrap,
            block_length,
            level,
            seed,
            engine,
            null,
        )
    result.diagnostics.seconds = _time.perf_counter() - started
    return result


def _check_k(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise EstimationError(f"granger_dh: {name}={value!r} must be a positive integer")
    return int(value)


def _check_t(t_obs: int, k: int, name: str) -> None:
    if t_obs <= 5 + 3 * k:
        largest = (t_obs - 6) // 3
        hint = (
            f"the largest usable lag order is {largest}"
            if largest >= 1
            else "no lag order is usable: the test needs at least 9 periods"
        )
        raise EstimationError(
            f"granger_dh: T = {t_obs} periods is too short for {name}={k}: Z-bar tilde needs "
            f"T > 5 + 3K = {5 + 3 * k}; {hint}"
        )


def _select_lags(y: np.ndarray, x: np.ndarray, k_max: int, criterion: str) -> pd.DataFrame:
    """Mean information criterion over units for k = 1..k_max, on the periods t > k_max."""
    rows = []
    for k in range(1, k_max + 1):
        ssr_u, _, n = granger_ssr(y, x, k, k_max)
        loglik = -0.5 * n * (1.0 + math.log(2 * math.pi) + np.log(ssr_u / n))
        rank = 2 * k + 1
        penalty = {"aic": 2.0, "bic": math.log(n), "hqic": 2.0 * math.log(math.log(n))}[criterion]
        rows.append({"lags": k, "mean_criterion": float(np.mean(-2 * loglik + penalty * rank))})
    return pd.DataFrame(rows).set_index("lags")


def _bootstrap(
    y: np.ndarray,
    x: np.ndarray,
    k: int,
    observed: tuple[float, float],
    reps: int,
    block_length: int,
    level: float,
    seed: int | None,
    engine: Any,
    null: str,
) -> dict[str, Any]:
    t_obs = y.shape[1]
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 1:
        raise EstimationError(f"granger_dh: bootstrap={reps!r} must be a positive integer")
    if (
        isinstance(block_length, bool)
        or not isinstance(block_length, int | np.integer)
        or not 1 <= block_length <= t_obs - k
    ):
        raise EstimationError(
            f"granger_dh: block_length={block_length!r} must be an integer from 1 to T − K = "
            f"{t_obs - k}"
        )
    if not 0 < level < 1:
        raise EstimationError(f"granger_dh: level={level!r} must lie strictly between 0 and 1")
    model = fit_null_model(y, x, k, int(block_length))
    n_chunks = math.ceil(reps / CHUNK)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)
    sizes = [min(CHUNK, reps - i * CHUNK) for i in range(n_chunks)]
    items = list(zip(seeds, sizes, strict=True))
    chunks = run_tasks(engine, bootstrap_draws, items, model, label="bootstrap draws", sizes=sizes)
    draws = np.vstack(chunks)
    tests: dict[str, Any] = {}
    crit: dict[str, float] = {}
    for j, (key, name) in enumerate((("z_bar", "Z-bar"), ("z_tilde", "Z-bar tilde"))):
        absolute = np.abs(draws[:, j])
        p = float(np.mean(absolute > abs(observed[j])))
        tests[key] = HypothesisTest(
            f"{name} (bootstrap)", float(observed[j]), (), p, "bootstrap", null
        )
        crit[key] = float(np.quantile(absolute, level, method="averaged_inverted_cdf"))
    return {
        **tests,
        "critical_values": crit,
        "reps": int(reps),
        "block_length": int(block_length),
        "level": level,
        "seed": seed,
        "draws": draws,
    }
