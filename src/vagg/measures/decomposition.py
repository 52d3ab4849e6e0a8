"""Olley–Pakes and Melitz–Polanec decompositions of a share-weighted aggregate (paper 001 eq. 23).

For an aggregate g (paper 001: a city × HS4 heading) in period t with units i (its HS6
products by default) of value share s_it (Σ_i s_it = 1 within g, t) and quality (or
productivity) φ_it, the aggregate is Φ_t = Σ_i s_it φ_it.

**Olley & Pakes (1996)**, static: Φ_t = φ̄_t + Σ_i (s_it − 1/N_t)(φ_it − φ̄_t), the unweighted
mean plus the share–quality covariance (:func:`olley_pakes`).

**Melitz & Polanec (2015)**, dynamic, between t−1 (period 1) and t (period 2): units present
in both periods are survivors S, units only in period 2 entrants E, only in period 1 exiters X.
With group shares s_Gt = Σ_{i∈G} s_it and group aggregates Φ_Gt = Σ_{i∈G} (s_it/s_Gt) φ_it:

    ΔΦ = (Φ_S2 − Φ_S1) + s_E2 (Φ_E2 − Φ_S2) + s_X1 (Φ_S1 − Φ_X1)
       =  Δφ̄_S (within) + Δcov_S (between) + entry + exit                   (paper 001 eq. 23)

with φ̄_St the unweighted mean of survivors' φ and cov_St = Σ_{i∈S} (s_it/s_St − 1/N_S)
(φ_it − φ̄_St) (shares renormalised within survivors). Paper 001 prints the within term as
φ̄_S1 − φ̄_S2; the identity needs φ̄_S2 − φ̄_S1 (spec 001 §2.2, [R]). The "product
reallocation effect" (Griliches & Regev 1995 in the paper's wording) is ``gap`` = between +
entry + exit (Table 7).

Conventions (spec 001 §2.2 [C]): consecutive periods t−1 → t; an aggregate present in t but
not in t−1 has no decomposition (counted); an aggregate with no survivors has MP undefined
(NaN, ``status="no_survivors"``); an empty entrant or exiter set contributes 0. The total is
computed independently as Φ_t − Φ_{t−1} and equals the sum of the four terms to rounding
(≈1e-15; the tests check 1e-12).

Written here: the maintained implementations are in R (``dfvad::dynamics``) and Stata
(``olleyp``); no Python package provides them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import require_columns
from vagg.data.schemas import check_unique_key, raise_if_rows
from vagg.measures.customs import keyed_lazy

__all__ = ["MP_COMPONENTS", "MelitzPolanec", "melitz_polanec", "olley_pakes"]

MP_COMPONENTS: tuple[str, ...] = ("within", "between", "entry", "exit", "total", "gap")
"""The columns of paper 001 Table 7 (the paper spells exit ``exitt``)."""

_MP_DETAILS: tuple[str, ...] = ("phi_prev", "phi", "n_survivors", "n_entrants", "n_exiters")
_MP_DETAILS += ("share_entrants", "share_exiters", "status")


@dataclass
class MelitzPolanec:
    """Result of :func:`melitz_polanec`.

    Attributes
    ----------
    data : pandas.DataFrame or polars.DataFrame
        One row per aggregate × period t with a period t−1: the group columns, ``period``
        column, :data:`MP_COMPONENTS`, ``phi_prev`` and ``phi`` (Φ_{t−1}, Φ_t),
        ``n_survivors``, ``n_entrants``, ``n_exiters``, ``share_entrants`` (s_E2),
        ``share_exiters`` (s_X1) and ``status`` ("ok" or "no_survivors").
    n_aggregate_periods : int
        Aggregate × period cells in the input.
    excluded : dict of str to int
        Aggregate × period cells without a decomposition, by reason ("no_previous_period":
        the aggregate has no units in t−1, including each aggregate's first period).
    options : dict
        The conventions applied.
    """

    data: Any
    n_aggregate_periods: int
    excluded: dict[str, int]
    options: dict[str, Any] = field(default_factory=dict)


def _checked(
    frame: Any, unit: Sequence[str], group: Sequence[str], period: str, value: str, weight: str
) -> pl.DataFrame:
    lf = keyed_lazy(frame, "units")
    cols = list(dict.fromkeys([*group, *unit, period, value, weight]))
    require_columns(lf, "units", cols)
    data = lf.select(cols).collect()
    for column in cols:
        raise_if_rows(data, "units", column, pl.col(column).is_null(), "missing values")
    raise_if_rows(
        data, "units", value, ~pl.col(value).cast(pl.Float64).is_finite(), "non-finite values"
    )
    raise_if_rows(
        data,
        "units",
        weight,
        ~(pl.col(weight).cast(pl.Float64) > 0) | ~pl.col(weight).cast(pl.Float64).is_finite(),
        "weights (export values) must be positive and finite",
    )
    check_unique_key(data, "units", [*group, *unit, period])
    return data.with_columns(
        pl.col(value).cast(pl.Float64).alias("_phi"),
        pl.col(weight).cast(pl.Float64).alias("_w"),
        pl.col(period).cast(pl.Int64).alias("_t"),
    )


def olley_pakes(
    frame: Any,
    *,
    unit: Sequence[str] = ("hs6",),
    group: Sequence[str] = ("city_code", "hs4"),
    period: str = "year",
    value: str = "quality",
    weight: str = "value_usd",
) -> Any:
    """Static Olley–Pakes decomposition of each aggregate-period: Φ = φ̄ + cov.

    Φ_gt = Σ_i s_it φ_it, φ̄_gt = (1/N) Σ_i φ_it, cov_gt = Σ_i (s_it − 1/N)(φ_it − φ̄_gt),
    s_it = w_it / Σ_{i∈g} w_it (Olley & Pakes 1996; Melitz & Polanec 2015 eq. 2).

    Parameters
    ----------
    frame : DataFrame
        One row per unit × aggregate × period.
    unit, group : sequence of str
        Unit and aggregate columns (default: HS6 products of a city × HS4).
    period, value, weight : str
        Period column (integer), φ and the weight (export value).

    Returns
    -------
    DataFrame
        Group columns, ``period``, ``phi``, ``mean``, ``cov``, ``n_units``; output type follows
        ``frame``.
    """
    data = _checked(frame, unit, group, period, value, weight)
    keys = [*group, "_t"]
    share = pl.col("_w") / pl.col("_w").sum().over(keys)
    out = (
        data.with_columns(share.alias("_s"))
        .group_by(keys)
        .agg(
            (pl.col("_s") * pl.col("_phi")).sum().alias("phi"),
            pl.col("_phi").mean().alias("mean"),
            ((pl.col("_s") - 1.0 / pl.len()) * (pl.col("_phi") - pl.col("_phi").mean()))
            .sum()
            .alias("cov"),
            pl.len().cast(pl.Int64).alias("n_units"),
        )
        .rename({"_t": period})
        .sort([*group, period])
    )
    return out.to_pandas() if isinstance(frame, pd.DataFrame) else out


def melitz_polanec(
    frame: Any,
    *,
    unit: Sequence[str] = ("hs6",),
    group: Sequence[str] = ("city_code", "hs4"),
    period: str = "year",
    value: str = "quality",
    weight: str = "value_usd",
    gap: Literal["reallocation", "total_minus_within"] = "reallocation",
) -> MelitzPolanec:
    """Melitz–Polanec dynamic decomposition of each aggregate between t−1 and t (eq. 23).

    within = φ̄_S2 − φ̄_S1; between = cov_S2 − cov_S1; entry = s_E2 (Φ_E2 − Φ_S2);
    exit = s_X1 (Φ_S1 − Φ_X1); total = Φ_2 − Φ_1 (computed from the aggregates themselves);
    gap = between + entry + exit (``gap="reallocation"``, the paper's product reallocation
    effect) or total − within (equal to it on every row up to rounding). Melitz, M. J. &
    Polanec, S. (2015), "Dynamic Olley–Pakes productivity decomposition with entry and exit",
    RAND Journal of Economics 46(2): 362–375, eq. (6); paper 001 eq. (23).

    Parameters
    ----------
    frame : DataFrame
        One row per unit × aggregate × period with φ and a positive weight; e.g. the
        city × HS6 × year ``hs6_qua`` of :func:`vagg.measures.quality.aggregate_quality`
        with its export value (HS6 products as units within city × HS4, the spec's default),
        or firm × HS6 cells for firm-product units.
    unit, group : sequence of str
        Unit and aggregate columns.
    period : str
        Integer period column; consecutive values are paired.
    value, weight : str
        φ (quality, productivity) and the weight the shares are computed from.
    gap : {"reallocation", "total_minus_within"}
        Definition of ``gap``.

    Returns
    -------
    MelitzPolanec
        The components per aggregate-period and the count of aggregate-periods without one.

    Raises
    ------
    SchemaError
        Missing columns or values, non-positive weights, or a duplicate unit × aggregate ×
        period row.
    """
    if gap not in ("reallocation", "total_minus_within"):
        raise SchemaError(
            "units", None, "argument gap must be 'reallocation' or 'total_minus_within'"
        )
    data = _checked(frame, unit, group, period, value, weight)
    group, unit = list(group), list(unit)
    gt = [*group, "_t"]
    data = data.with_columns((pl.col("_w") / pl.col("_w").sum().over(gt)).alias("_s")).select(
        [*group, *unit, "_t", "_phi", "_s"]
    )
    cur = data.rename({"_phi": "_phi2", "_s": "_s2"})
    prev = data.with_columns(pl.col("_t") + 1).rename({"_phi": "_phi1", "_s": "_s1"})
    present = data.select(gt).unique()
    prev_present = present.with_columns(pl.col("_t") + 1)
    pairs = present.join(prev_present, on=gt, how="semi")
    n_cells = present.height
    joined = cur.join(prev, on=[*gt, *unit], how="full", coalesce=True).join(
        pairs, on=gt, how="semi"
    )
    s1, s2, p1, p2 = pl.col("_s1"), pl.col("_s2"), pl.col("_phi1"), pl.col("_phi2")
    surv = s1.is_not_null() & s2.is_not_null()
    entr = s1.is_null()
    exitr = s2.is_null()
    n_s = surv.sum()

    def mean_of(x: pl.Expr) -> pl.Expr:
        return x.filter(surv).mean()

    def weighted(s: pl.Expr, p: pl.Expr, mask: pl.Expr) -> pl.Expr:
        return (s * p).filter(mask).sum()

    def cov(s: pl.Expr, p: pl.Expr) -> pl.Expr:
        share = s.filter(surv) / s.filter(surv).sum()
        return ((share - 1.0 / n_s) * (p.filter(surv) - p.filter(surv).mean())).sum()

    agg = joined.group_by(gt).agg(
        weighted(s1, p1, s1.is_not_null()).alias("phi_prev"),
        weighted(s2, p2, s2.is_not_null()).alias("phi"),
        n_s.cast(pl.Int64).alias("n_survivors"),
        entr.sum().cast(pl.Int64).alias("n_entrants"),
        exitr.sum().cast(pl.Int64).alias("n_exiters"),
        s2.filter(entr).sum().alias("share_entrants"),
        s1.filter(exitr).sum().alias("share_exiters"),
        (mean_of(p2) - mean_of(p1)).alias("within"),
        (cov(s2, p2) - cov(s1, p1)).alias("between"),
        (weighted(s1, p1, surv) / s1.filter(surv).sum()).alias("_agg_s1"),
        (weighted(s2, p2, surv) / s2.filter(surv).sum()).alias("_agg_s2"),
        weighted(s2, p2, entr).alias("_e"),
        weighted(s1, p1, exitr).alias("_x"),
    )
    ok = pl.col("n_survivors") > 0
    entry = pl.col("_e") - pl.col("share_entrants") * pl.col("_agg_s2")
    exit_ = pl.col("share_exiters") * pl.col("_agg_s1") - pl.col("_x")
    out = agg.with_columns(
        pl.when(ok).then(pl.col("within")).alias("within"),
        pl.when(ok).then(pl.col("between")).alias("between"),
        pl.when(ok).then(entry).alias("entry"),
        pl.when(ok).then(exit_).alias("exit"),
        pl.when(ok).then(pl.col("phi") - pl.col("phi_prev")).alias("total"),
        pl.when(ok).then(pl.lit("ok")).otherwise(pl.lit("no_survivors")).alias("status"),
    )
    gap_expr = (
        pl.col("between") + pl.col("entry") + pl.col("exit")
        if gap == "reallocation"
        else pl.col("total") - pl.col("within")
    )
    out = (
        out.with_columns(gap_expr.alias("gap"))
        .rename({"_t": period})
        .select(*group, period, *MP_COMPONENTS, *_MP_DETAILS)
        .sort([*group, period])
    )
    return MelitzPolanec(
        data=out.to_pandas() if isinstance(frame, pd.DataFrame) else out,
        n_aggregate_periods=n_cells,
        excluded={"no_previous_period": n_cells - pairs.height},
        options={"unit": unit, "group": group, "period": period, "pairs": "t-1 -> t", "gap": gap},
    )
