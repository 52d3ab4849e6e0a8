"""Production functions by Ackerberg, Caves & Frazer (2015) and productivity (TFP) per firm-year.

Model (logs, one technology per industry group, e.g. 2-digit CIC):

    y_it = f(x_it; β) + ω_it + ε_it,

``x`` = (l, k) for value added, (l, k, m) for gross output; Cobb–Douglas
``f = Σ_j β_j x_j`` or translog ``f = Σ_j β_j x_j + Σ_j β_jj x_j² + Σ_{j<h} β_jh x_j x_h``.
ω is productivity, known to the firm; ε is measurement error or an unanticipated shock.

Timing (ACF 2015, §3): capital is chosen at t−1, labour at t−b with 0 < b ≤ 1 (or with
optimisation error), materials at t as a strictly increasing function of ω given (l, k), so that
ω_it = h(m_it, l_it, k_it). Productivity is first-order Markov, ω_it = g(ω_{i,t−1}) + ξ_it.

Estimation, per group:

1. *First stage.* φ̂_it = E[y_it | l, k, m] by OLS on a full polynomial of degree
   ``polynomial_degree`` in (l, k, m) plus year dummies; ε̂_it = y_it − φ̂_it (kept for the
   De Loecker–Warzynski share correction).
2. *Second stage.* For candidate β: ω_it(β) = φ̂_it − f(x_it; β) (the DLW 2012 variant, the
   same φ̂ in t and t−1); ξ_it(β) is the residual of the OLS regression of ω_it(β) on a
   polynomial of degree ``markov_degree`` in ω_{i,t−1}(β); moments E[ξ_it(β) z_it] = 0 with
   z the monomials of degree 1..``instrument_degree`` in (k_it, l_{i,t−1}[, m_{i,t−1}])
   (degree 1 for Cobb–Douglas and 2 for the translog is the just-identified system of the
   literature; the default is one degree more, see :func:`acf`). β̂ minimises ḡ(β)′ W ḡ(β)
   with W = (Z′Z/N)⁻¹, Z demeaned (Levenberg–Marquardt on W^{1/2}ḡ with its analytic
   Jacobian, from the OLS and within estimates and random rescalings of OLS; the smallest
   objective among the minima with positive median elasticities wins, and the others are
   counted).
3. ω̂_it = φ̂_it − f(x_it; β̂) is TFP (it includes the year effects of the first stage); the
   output elasticities are θ_j = ∂f/∂x_j (constant for Cobb–Douglas, by firm-year for translog).

Lags are gap-aware: x_{i,t−1} is the firm's value in calendar year t−1 *in the same group's
estimation sample*; a firm observed in 2001 and 2003 has no lag in 2003 (never the previous
row), and a firm that changes group starts afresh. Rows without a lag enter the first stage
only; the counts are in :attr:`ProductionFunction.report`.

**Identification of gross-output functions.** Gandhi, Navarro & Rivers (2020) show that with a
flexible input (materials) that is also the proxy, the ACF moments do not identify the
gross-output elasticities without extra variation (e.g. input prices that differ across firms
and over time). ``output="gross_output"`` implements the De Loecker–Warzynski (2012) practice
(lagged materials as instrument) that the markup literature and paper 000 follow; its
materials elasticity then rests on functional form and should be compared with the industry's
median materials share (reported in ``coefficients`` as ``median_share`` for that reason).
``output="value_added"`` (m only a proxy, Leontief in materials) is the identified ACF case;
markups then use labour as the variable input. There is no default: the choice is the user's.

**Deflators** are the user's business: ``acf`` takes the logs as given. CIE money is nominal;
deflate output and inputs (Brandt, Van Biesebroeck & Zhang 2012 deflators) before taking logs
if levels matter; year dummies in the first stage absorb common price changes only.

References: Ackerberg, Caves & Frazer (2015), *Econometrica* 83(6); Levinsohn & Petrin (2003);
De Loecker & Warzynski (2012), *AER* 102(6); De Loecker, Goldberg, Khandelwal & Pavcnik (2016),
*Econometrica* 84(2) (paper 000, Table 6: Mrkup and ACF tfp); Gandhi, Navarro & Rivers (2020),
*JPE* 128(8).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations, combinations_with_replacement
from typing import Any, Literal

import numpy as np
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import as_polars, check_unique_key, like, require_columns
from vagg.data.panel import lag_rows
from vagg.measures.acf_gmm import (
    GmmSetup,
    Moments,
    ProductionFunctionError,
    elasticities,
    polynomial,
    solve,
    term_values,
    year_dummies,
)

__all__ = [
    "INPUT_COLUMNS",
    "ProductionFunction",
    "ProductionFunctionError",
    "acf",
    "production_ols",
]

#: input name → column of the panel holding its log
INPUT_COLUMNS: dict[str, str] = {"labor": "l", "capital": "k", "materials": "m"}

Output = Literal["value_added", "gross_output"]
Form = Literal["cobb_douglas", "translog"]


@dataclass
class ProductionFunction:
    """An estimated production function by industry group.

    Attributes
    ----------
    output, inputs, form, by : str, tuple of str, str, str or None
        The specification (``inputs`` are names of :data:`INPUT_COLUMNS`).
    coefficients : polars.DataFrame or pandas.DataFrame
        One row per group × term: ``estimate``, ``std_error`` (firm-block bootstrap; NaN without
        ``bootstrap``), ``n_obs`` (first stage), ``n_moments_obs`` (rows with a lag),
        ``n_firms``; for gross output also ``median_share`` (median of exp(m − y), the
        materials share to compare θ_m with).
    firm_years : polars.DataFrame or pandas.DataFrame
        One row per firm-year of the first-stage sample: ``phi``, ``epsilon`` (= y − φ̂),
        ``omega`` (TFP), ``theta_<l|k|m>`` (output elasticities), ``has_lag``.
    convergence : polars.DataFrame or pandas.DataFrame
        One row per estimated group: ``objective`` (ḡ′Wḡ at β̂), ``sargan``, ``sargan_df``,
        ``sargan_p`` (over-identification test, homoskedastic form N·ḡ′(σ̂²_ξ Z′Z/N)⁻¹ḡ),
        ``success`` (the optimiser's convergence flag), ``plausible`` (every input's median
        elasticity positive), ``n_starts``, ``n_same_minimum`` (starts that ended within 1e-3 of
        β̂), ``n_other_minima`` (starts that stopped elsewhere), ``n_implausible_minima``,
        ``nfev``, ``message``, ``bootstrap_draws`` (bootstrap samples estimated).
    report : dict
        Accounting: ``n_input``; ``excluded`` (reason → rows); ``n_first_stage``;
        ``n_second_stage``; ``skipped_groups`` (group → reason, rows of skipped groups are
        counted under ``excluded['group skipped']``).
    """

    output: str
    inputs: tuple[str, ...]
    form: str
    by: str
    coefficients: Any
    firm_years: Any
    convergence: Any
    report: dict[str, Any] = field(default_factory=dict)

    def tfp(self) -> Any:
        """Firm-year TFP ω̂ (log) with the firm, year and group keys."""
        keys = [c for c in self.firm_years.columns if c not in _FIRM_YEAR_VALUES]
        return self.firm_years[[*keys, "omega"]]


_FIRM_YEAR_VALUES = ("phi", "epsilon", "omega", "theta_l", "theta_k", "theta_m", "has_lag")


# ---------------------------------------------------------------------------- frames


# ---------------------------------------------------------------------------- design pieces


def _terms(inputs: tuple[str, ...], form: str) -> list[str]:
    """Names of the production-function terms: 'l', 'k', 'm', 'll', 'lk', ..."""
    base = [INPUT_COLUMNS[i] for i in inputs]
    if form == "cobb_douglas":
        return base
    squares = [a + a for a in base]
    cross = [a + b for a, b in combinations(base, 2)]
    return base + squares + cross


# ---------------------------------------------------------------------------- one group


@dataclass
class _Group:
    firm: np.ndarray  # integer codes, rows sorted by (firm, year)
    year: np.ndarray
    y: np.ndarray
    cols: dict[str, np.ndarray]  # 'l', 'k', 'm'
    shifters: np.ndarray | None = None  # first-stage markup/demand shifters (n × q)

    def take(self, rows: np.ndarray, firm: np.ndarray) -> _Group:
        return _Group(
            firm,
            self.year[rows],
            self.y[rows],
            {c: v[rows] for c, v in self.cols.items()},
            None if self.shifters is None else self.shifters[rows],
        )


def _first_stage(
    g: _Group, degree: int, year_effects: bool, firm_effects: bool = False
) -> np.ndarray:
    """φ̂: fitted values of y on a polynomial in (l, k, m) [and year dummies], plus the
    first-stage shifters and their products with (l, k, m) when given (De Loecker &
    Warzynski 2012 §IV.A: variables that shift input demand, such as markup shifters,
    belong in the control function, or ε̂ absorbs their effect on the markup)."""
    z = np.column_stack([g.cols[c] for c in ("l", "k", "m")])
    design = polynomial(z, degree)
    if g.shifters is not None and g.shifters.shape[1]:
        extra = [g.shifters] + [g.shifters * z[:, [j]] for j in range(z.shape[1])]
        design = np.column_stack([design, *extra])
    if year_effects:
        design = np.column_stack([design, year_dummies(g.year)])
    if firm_effects:
        # within-firm first stage: ε̂ is the within residual, φ̂ = y − ε̂ keeps the firm level
        counts = np.bincount(g.firm)
        safe = np.maximum(counts, 1)

        def within(a: np.ndarray) -> np.ndarray:
            if a.ndim == 1:
                return a - (np.bincount(g.firm, weights=a) / safe)[g.firm]
            return np.column_stack([within(a[:, j]) for j in range(a.shape[1])])

        y_w = within(g.y)
        coef, *_ = np.linalg.lstsq(within(design), y_w, rcond=None)
        return g.y - (y_w - within(design) @ coef)
    coef, *_ = np.linalg.lstsq(design, g.y, rcond=None)
    return design @ coef


def _instrument_terms(letters: list[str], degree: int) -> list[str]:
    """Monomials of degree 1..degree in the base instruments (k_t, l_{t−1}, m_{t−1})."""
    return [
        "".join(c) for d in range(1, degree + 1) for c in combinations_with_replacement(letters, d)
    ]


def _instruments(zterms: list[str], cols: dict[str, np.ndarray], lag: np.ndarray) -> np.ndarray:
    """Z: monomials in k_t, l_{t−1}, m_{t−1}, standardised first (NaN where no lag).

    Standardising changes only the conditioning: with the columns demeaned in :class:`Moments`
    the GMM objective is the same as with the raw monomials and a constant.
    """
    has = lag >= 0
    zcols = {}
    for c in ("k", "l", "m"):
        v = np.full(len(lag), np.nan)
        v[has] = cols[c][has] if c == "k" else cols[c][lag[has]]
        sd = float(np.std(v[has])) if has.any() else 0.0
        zcols[c] = (v - (np.mean(v[has]) if has.any() else 0.0)) / (sd or 1.0)
    return term_values(zterms, zcols)


def _ols(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(y)), x]), y, rcond=None)
    return coef[1:]


def _within(x: np.ndarray, y: np.ndarray, firm: np.ndarray) -> np.ndarray:
    """Firm fixed-effects (within) estimate: OLS on firm-demeaned data."""
    _, inv, counts = np.unique(firm, return_inverse=True, return_counts=True)

    def demean(v: np.ndarray) -> np.ndarray:
        sums = np.zeros((len(counts), *v.shape[1:]))
        np.add.at(sums, inv, v)
        return v - (sums / counts.reshape((-1,) + (1,) * (v.ndim - 1)))[inv]

    coef, *_ = np.linalg.lstsq(demean(x), demean(y), rcond=None)
    return coef


def _moments(g: _Group, setup: GmmSetup) -> tuple[Moments, np.ndarray, np.ndarray, np.ndarray]:
    phi = _first_stage(g, setup.degree, setup.year_effects, setup.firm_effects)
    lag = lag_rows(g.firm, g.year)
    x = term_values(setup.terms, g.cols)
    z = _instruments(setup.zterms, g.cols, lag)
    return Moments(phi, x, lag, z, setup.markov_degree), phi, lag, x


def _plausibility(terms: list[str], cols: dict[str, np.ndarray]) -> Callable[[np.ndarray], bool]:
    """β ↦ whether every input's median output elasticity is positive."""

    def positive(beta: np.ndarray) -> bool:
        theta = elasticities(terms, beta, cols)
        return all(float(np.median(v)) > 0 for v in theta.values())

    return positive


def _fit_group(
    g: _Group,
    setup: GmmSetup,
    extra_starts: list[np.ndarray],
    n_random_starts: int,
    rng: np.random.Generator,
) -> dict[str, Any]:
    moments, phi, lag, x = _moments(g, setup)
    ols = _ols(x, g.y)
    starts = [ols, _within(x, g.y, g.firm), *extra_starts]
    starts += [ols * rng.uniform(0.3, 1.3, len(ols)) for _ in range(n_random_starts)]
    beta, info = solve(moments, starts, _plausibility(setup.terms, g.cols))
    return {"beta": beta, "phi": phi, "lag": lag, "x": x, "info": info}


def _bootstrap_group(
    g: _Group, setup: GmmSetup, beta: np.ndarray, reps: int, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """Standard deviation of β̂ over firm-block bootstrap samples (whole firm histories), and
    the number of samples that could be estimated."""
    starts = np.flatnonzero(np.r_[True, g.firm[1:] != g.firm[:-1]])
    lengths = np.diff(np.r_[starts, len(g.firm)])
    draws = []
    for _ in range(reps):
        pick = rng.integers(0, len(starts), len(starts))
        n = lengths[pick]
        block = np.repeat(np.arange(len(pick)), n)
        rows = starts[pick][block] + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        try:
            est, _ = solve(_moments(g.take(rows, block), setup)[0], [beta], lambda b: True)
        except ProductionFunctionError:
            continue
        draws.append(est)
    if len(draws) < 2:
        return np.full(len(beta), np.nan), len(draws)
    return np.std(np.array(draws), axis=0, ddof=1), len(draws)


# ---------------------------------------------------------------------------- public API


def _spec(output: str, inputs: tuple[str, ...] | None, proxy: str, form: str) -> tuple[str, ...]:
    if output not in ("value_added", "gross_output"):
        raise ValueError(f"output must be 'value_added' or 'gross_output'; got {output!r}")
    if form not in ("cobb_douglas", "translog"):
        raise ValueError(f"form must be 'cobb_douglas' or 'translog'; got {form!r}")
    if proxy != "materials":
        raise ValueError(
            f"proxy {proxy!r} is not supported: the ACF/Levinsohn–Petrin proxy here is "
            "'materials' (an investment proxy, Olley–Pakes, is not implemented)"
        )
    if inputs is None:
        inputs = ("labor", "capital") + (("materials",) if output == "gross_output" else ())
    inputs = tuple(inputs)
    unknown = [i for i in inputs if i not in INPUT_COLUMNS]
    if unknown:
        raise ValueError(f"inputs: unknown {unknown}; choose from {list(INPUT_COLUMNS)}")
    if "labor" not in inputs or "capital" not in inputs:
        raise ValueError("inputs must include 'labor' and 'capital'")
    if output == "value_added" and "materials" in inputs:
        raise ValueError(
            "inputs: a value-added production function has no materials elasticity "
            "(materials are the proxy only); use output='gross_output'"
        )
    if output == "gross_output" and "materials" not in inputs:
        raise ValueError("inputs: a gross-output production function needs 'materials'")
    return inputs


def acf(
    panel: Any,
    *,
    output: Output,
    inputs: tuple[str, ...] | None = None,
    proxy: str = "materials",
    form: Form = "cobb_douglas",
    by: str | None = "cic2",
    firm: str = "firm_id",
    year: str = "year",
    polynomial_degree: int = 3,
    markov_degree: int = 3,
    instrument_degree: int | None = None,
    year_effects: bool = True,
    start: dict[str, float] | None = None,
    n_random_starts: int = 5,
    min_firms: int = 30,
    bootstrap: int = 0,
    seed: int = 0,
    shifters: tuple[str, ...] = (),
    first_stage_firm_effects: bool = False,
) -> ProductionFunction:
    """Ackerberg–Caves–Frazer (2015) two-step GMM production function, by industry group.

    ``panel`` holds ``firm``, ``year``, ``by`` (None: one group) and the logs ``y``, ``l``,
    ``k``, ``m`` (:func:`vagg.measures.markups.cie_production_panel` builds them from the CIE).
    The model, timing, moments E[ξ_it(β)·z_it] = 0 and the identification caveat for gross
    output are in the module docstring. ``inputs`` defaults to (labor, capital) for value added
    and (labor, capital, materials) for gross output.

    Instruments z are all monomials of degree 1..``instrument_degree`` in (k_t, l_{i,t−1}
    [, m_{i,t−1}]); any function of them is valid because E[ξ_it | I_{i,t−1}] = 0 (ACF 2015
    §3). Degree 1 (Cobb–Douglas) or 2 (translog) gives the just-identified system of the
    literature; the default is one degree more (2 and 3). The just-identified ACF system often
    has spurious roots — other β at which ω(β) is itself close to a Markov process, with an
    objective of exactly zero, indistinguishable from the true one — while the
    over-identified objective separates them; ``convergence`` reports the Sargan statistic and
    how many starts ended at another minimum. Starting values: OLS, within (firm effects),
    ``start`` (term → value, e.g. ``{"l": 0.6, "k": 0.3}``) and ``n_random_starts`` random
    rescalings of OLS; the smallest objective among the minima where every input's median
    elasticity is positive wins (``convergence.plausible`` is False when no start found one).
    ``bootstrap`` > 0 gives firm-block bootstrap standard errors (whole firm histories
    resampled within the group; use 200 or more for inference).

    Rows with a missing or non-finite y, l, k or m are excluded and counted by column; groups
    with fewer than ``min_firms`` firms, without any firm observed in two consecutive years, or
    with too few such firm-years are skipped and reported (an error when every group is).

    ``shifters`` names panel columns that shift input demand given (l, k, m) — markup or
    demand shifters such as export status or platform membership (De Loecker & Warzynski 2012
    §IV.A; De Loecker et al. 2016). They enter the first stage (linearly and interacted with
    l, k, m), so that ε̂ is purged of their effect; rows with a missing shifter are excluded
    and counted. ``first_stage_firm_effects=True`` adds firm fixed effects to the first stage
    (ε̂ is then the within-firm residual): for markups with a permanent firm component that
    no shifter observes, which would otherwise bias the pooled polynomial.

    Paper 000 Table 6 (tfp: ACF productivity; Mrkup after De Loecker et al. 2016); ACF (2015)
    §3–4; De Loecker & Warzynski (2012) §IV.
    """
    inputs = _spec(output, inputs, proxy, form)
    if polynomial_degree < 1 or markov_degree < 1:
        raise ValueError("polynomial_degree and markov_degree must be at least 1")
    terms = _terms(inputs, form)
    base = ["k", "l"] + (["m"] if "materials" in inputs else [])
    if instrument_degree is None:
        instrument_degree = 2 if form == "cobb_douglas" else 3
    zterms = _instrument_terms(base, instrument_degree)
    if len(zterms) < len(terms):
        raise ValueError(
            f"instrument_degree={instrument_degree} gives {len(zterms)} moments for "
            f"{len(terms)} parameters; use at least {1 if form == 'cobb_douglas' else 2}"
        )
    setup = GmmSetup(
        terms, zterms, polynomial_degree, markov_degree, year_effects, first_stage_firm_effects
    )
    if start is not None and (bad := [t for t in start if t not in terms]):
        raise ValueError(f"start: unknown terms {bad}; the terms are {terms}")

    df = as_polars(panel, "panel")
    keys = [firm, year] + ([by] if by else [])
    require_columns(df, "panel", [*keys, "y", "l", "k", "m", *shifters])
    for key in keys:
        if n_null := df[key].null_count():
            raise SchemaError("panel", key, "missing key values", n_bad=n_null)
    check_unique_key(df, "panel", [firm, year])
    work, excluded = _usable_rows(df, keys, tuple(shifters))
    group_col = by if by else "_group"
    if not by:
        work = work.with_columns(pl.lit("all").alias(group_col))
    work = work.with_columns(pl.col(firm).rank("dense").alias("_firm")).sort(
        group_col, "_firm", year
    )

    rng = np.random.default_rng(seed)
    extra = [np.array([start.get(t, 0.0) for t in terms])] if start else []
    coef_rows: list[dict[str, Any]] = []
    conv_rows: list[dict[str, Any]] = []
    fy_parts: list[pl.DataFrame] = []
    skipped: dict[str, str] = {}
    n_second = 0
    for (gval,), part in work.group_by(group_col, maintain_order=True):
        g = _Group(
            part["_firm"].to_numpy(),
            part[year].to_numpy().astype(np.int64),
            part["y"].to_numpy(),
            {c: part[c].to_numpy() for c in ("l", "k", "m")},
            part.select(list(shifters)).to_numpy().astype(float) if shifters else None,
        )
        n_firms = len(np.unique(g.firm))
        n_lag = int((lag_rows(g.firm, g.year) >= 0).sum())
        need = 5 * (len(zterms) + markov_degree + 1)
        reason = None
        if n_firms < min_firms:
            reason = f"{n_firms} firms, fewer than min_firms={min_firms}"
        elif n_lag == 0:
            reason = "no firm observed in two consecutive years (no gap-aware lag)"
        elif n_lag < need:
            reason = f"{n_lag} firm-years with a previous-year record, fewer than {need}"
        if reason is None:
            try:
                fit = _fit_group(g, setup, extra, n_random_starts, rng)
            except ProductionFunctionError as exc:
                reason = str(exc)
        if reason is not None:
            skipped[str(gval)] = reason
            excluded["group skipped"] = excluded.get("group skipped", 0) + part.height
            continue
        beta = fit["beta"]
        se, n_boot = (
            _bootstrap_group(g, setup, beta, bootstrap, rng)
            if bootstrap > 0
            else (np.full(len(beta), np.nan), 0)
        )
        n_second += n_lag
        share = float(np.median(np.exp(g.cols["m"] - g.y)))
        for t, b, s in zip(terms, beta, se, strict=True):
            row = {"group": str(gval), "term": t, "estimate": float(b), "std_error": float(s)}
            row |= {"n_obs": part.height, "n_moments_obs": n_lag, "n_firms": n_firms}
            coef_rows.append(row | ({"median_share": share} if output == "gross_output" else {}))
        conv_rows.append({"group": str(gval), **fit["info"], "bootstrap_draws": n_boot})
        theta = elasticities(terms, beta, g.cols)
        fy_parts.append(
            part.select(firm, year, group_col).with_columns(
                pl.Series("phi", fit["phi"]),
                pl.Series("epsilon", g.y - fit["phi"]),
                pl.Series("omega", fit["phi"] - fit["x"] @ beta),
                *(pl.Series(f"theta_{j}", v) for j, v in theta.items()),
                pl.Series("has_lag", fit["lag"] >= 0),
            )
        )
    if not coef_rows:
        detail = "; ".join(f"group {k!r}: {v}" for k, v in list(skipped.items())[:10])
        raise ProductionFunctionError(
            f"panel: no group could be estimated (by={by!r}); {detail or 'no usable rows'}"
        )
    firm_years = pl.concat(fy_parts)
    if not by:
        firm_years = firm_years.drop(group_col)
    report = {
        "n_input": df.height,
        "excluded": excluded,
        "n_first_stage": firm_years.height,
        "n_second_stage": n_second,
        "skipped_groups": skipped,
    }
    return ProductionFunction(
        output=output,
        inputs=inputs,
        form=form,
        by=by or "",
        coefficients=like(pl.DataFrame(coef_rows), panel),
        firm_years=like(firm_years, panel),
        convergence=like(pl.DataFrame(conv_rows), panel),
        report=report,
    )


def _usable_rows(
    df: pl.DataFrame, keys: list[str], shifters: tuple[str, ...] = ()
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Rows with finite y, l, k, m (and shifters); the others counted by the first offending
    column."""
    columns = ("y", "l", "k", "m", *shifters)
    work = df.select(*keys, *(pl.col(c).cast(pl.Float64) for c in columns))
    excluded: dict[str, int] = {}
    ok = pl.lit(True)
    for c in columns:
        good = pl.col(c).is_finite().fill_null(False)
        if n_bad := work.filter(ok & ~good).height:
            excluded[f"{c} missing or not finite"] = n_bad
        ok = ok & good
    return work.filter(ok), excluded


def production_ols(
    panel: Any,
    *,
    output: Output,
    inputs: tuple[str, ...] | None = None,
    form: Form = "cobb_douglas",
    by: str | None = "cic2",
    firm: str = "firm_id",
    fixed_effects: bool = False,
) -> Any:
    """OLS (or firm fixed-effects, ``fixed_effects=True``) production-function estimates by group.

    y_it = a + f(x_it; β) + u_it (OLS) or y_it = a_i + f(x_it; β) + u_it (within estimator),
    the textbook special cases that ignore the simultaneity of inputs and ω (biased; Griliches &
    Mairesse 1998). They are :func:`acf`'s starting values. Returns one row per group × term
    with ``estimate``, ``n_obs`` (rows used) and ``n_excluded`` (rows of the group with a
    missing or non-finite y or input, left out).
    """
    inputs = _spec(output, inputs, "materials", form)
    df = as_polars(panel, "panel")
    letters = [INPUT_COLUMNS[i] for i in inputs]
    keys = [firm] + ([by] if by else [])
    require_columns(df, "panel", [*keys, "y", *letters])
    terms = _terms(inputs, form)
    ok = pl.all_horizontal(pl.col(c).cast(pl.Float64).is_finite() for c in ["y", *letters])
    group_col = by if by else "_group"
    if not by:
        df = df.with_columns(pl.lit("all").alias(group_col))
    df = df.with_columns(ok.fill_null(False).alias("_ok"))
    n_bad = dict(df.group_by(group_col).agg((~pl.col("_ok")).sum()).iter_rows())
    rows = []
    for (gval,), part in df.filter("_ok").group_by(group_col, maintain_order=True):
        cols = {c: part[c].cast(pl.Float64).to_numpy() for c in letters}
        x = term_values(terms, cols)
        y = part["y"].cast(pl.Float64).to_numpy()
        if fixed_effects:
            beta = _within(x, y, part[firm].rank("dense").to_numpy())
        else:
            beta = _ols(x, y)
        rows += [
            {
                "group": str(gval),
                "term": t,
                "estimate": float(b),
                "n_obs": part.height,
                "n_excluded": int(n_bad.get(gval, 0)),
            }
            for t, b in zip(terms, beta, strict=True)
        ]
    return like(pl.DataFrame(rows), panel)
