"""Location quotients and paper 002's distance-decayed virtual agglomeration Vag.

Paper 002 (§3.2.2) measures a province's virtual agglomeration by the location quotient of
employment in information transmission, computer services and software (信息传输、计算机服务和
软件业; "software and IT services" after GB/T 4754-2011), spread over space with inverse
geographic distance weights and own weight 1:

    LQ_jt  = (VS_jt / X_jt) / (VS_t / X_t)
    Vag_it = Σ_j w_ij · LQ_jt,   w_ii = 1,  w_ij = d_ij^(−1) (j ≠ i),

VS_jt ICT employment and X_jt total (urban-unit) employment of province j, VS_t and X_t the
national totals, d_ij the great-circle distance between the provinces' capitals
(:func:`vagg.data.geography.distance_matrix_km`; methods note ``regional_and_estimators.md``
§3.1–3.2). With d in km the off-diagonal weights are ≈ 10⁻³, so Vag_i ≈ LQ_i plus small
spillovers; ``unit_km`` (e.g. 100) and ``power`` change the decay.

**Normalisation.** Table 1 of 002 prints Vag with mean 0.0307, sd 0.158, min 0.000117 and max
0.974: one province (Beijing) near 0.8–0.97 and the rest near 0. The formula cannot produce
this (Vag ≥ LQ_i ≈ 0.3–5 with own weight 1), so the paper must have rescaled it; spec 002
§1.4 reads the range as a min–max normalisation, offered here as ``normalise="minmax"``. The
printed min > 0 and max < 1 fit bounds taken over a wider window than the 2009–2020 sample
(the abstract says 2009–2022), which ``bounds`` reproduces. Min–max is affine, so it rescales
Vag's coefficient and leaves t-values unchanged; it does not by itself crush the other
provinces to ≈ 0 as Table 1 suggests when their location quotients are spread over 0.5–2.
Default: no normalisation (the formula as printed).

Why written here: a location quotient and a weighted sum are two lines; libpysal's distance
weights have a zero diagonal and no own weight, and the checks on yearbook inputs (a province
missing in a year changes every national total) are the part that matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl

from vagg.data import geography
from vagg.data.errors import SchemaError
from vagg.data.frames import like
from vagg.errors import VaggError
from vagg.measures._provinces import (
    check_balanced,
    check_nonnegative,
    check_option,
    check_positive,
    known_codes,
    province_table,
    year_table,
)

__all__ = ["decay_weights", "distance_decayed_lq", "location_quotient"]


def _national(
    employment: pl.DataFrame, national: Any, numerator: str, denominator: str
) -> pl.DataFrame:
    if national is None:
        totals = employment.group_by("year").agg(
            pl.col(numerator).sum().alias("_vs"), pl.col(denominator).sum().alias("_x")
        )
    else:
        table = year_table(national, "national_totals", [numerator, denominator])
        check_positive(table, "national_totals", numerator, "a national share divides by it")
        check_positive(table, "national_totals", denominator, "a national share divides by it")
        totals = table.select(
            "year",
            pl.col(numerator).cast(pl.Float64).alias("_vs"),
            pl.col(denominator).cast(pl.Float64).alias("_x"),
        )
        absent = sorted(set(employment["year"].to_list()) - set(totals["year"].to_list()))
        if absent:
            raise SchemaError(
                "national_totals",
                "year",
                "national totals missing for year(s) of the panel",
                n_bad=len(absent),
                examples=absent,
            )
    zero = totals.filter(pl.col("_vs") <= 0)
    if zero.height:
        raise SchemaError(
            "province_panel",
            numerator,
            "national total is zero in year(s): no location quotient is defined",
            n_bad=zero.height,
            examples=zero["year"].to_list(),
        )
    return totals


def location_quotient(
    panel: Any,
    national: Any = None,
    *,
    numerator: str = "ict_employment",
    denominator: str = "urban_unit_employment",
) -> Any:
    """Location quotient LQ_jt = (VS_jt/X_jt)/(VS_t/X_t) of each province-year.

    Parameters
    ----------
    panel : DataFrame
        ``province_panel`` with province_code, year, ``numerator`` (VS, ≥ 0) and
        ``denominator`` (X, > 0); a balanced panel.
    national : DataFrame, optional
        National totals (year, ``numerator``, ``denominator``), e.g. the yearbook's national
        urban-unit employment by industry. Default ``None``: VS_t and X_t are the sums over the
        panel's provinces (spec 002 §8; with this choice Σ_j (X_jt/X_t)·LQ_jt = 1 exactly).
    numerator, denominator : str
        Columns of VS and X (default: ICT and all urban-unit employment, paper 002).

    Returns
    -------
    DataFrame
        (province_code, year, lq) sorted by province and year; pandas if ``panel`` is.

    References
    ----------
    Paper 002 §3.2.2; Isard (1960) for the location quotient; methods note §3.1 and
    ``trade_measures.md`` identity Σ_i (E_i/E)·LQ_ij = 1.
    """
    employment = province_table(panel, "province_panel", [numerator, denominator])
    check_balanced(employment, "province_panel")
    check_nonnegative(employment, "province_panel", numerator, "employment in the industry")
    check_positive(employment, "province_panel", denominator, "the province's share divides by it")
    employment = employment.select(
        "province_code",
        "year",
        pl.col(numerator).cast(pl.Float64),
        pl.col(denominator).cast(pl.Float64),
    )
    totals = _national(employment, national, numerator, denominator)
    out = (
        employment.join(totals, on="year")
        .select(
            "province_code",
            "year",
            ((pl.col(numerator) / pl.col(denominator)) / (pl.col("_vs") / pl.col("_x"))).alias(
                "lq"
            ),
        )
        .sort("province_code", "year")
    )
    return like(out, panel)


def _distance_frame(distances: Any, codes: Sequence[str]) -> np.ndarray:
    if distances is None:
        table = geography.distance_matrix_km()
    elif isinstance(distances, pd.DataFrame):
        table = distances.copy()
        table.index = table.index.map(str)
        table.columns = table.columns.map(str)
    else:
        raise VaggError(
            "argument 'distances': expected a square pandas DataFrame of km indexed by province "
            f"codes on both axes, got {type(distances).__name__}"
        )
    absent = [c for c in codes if c not in table.index or c not in table.columns]
    if absent:
        raise SchemaError(
            "distances",
            "province_code",
            "provinces of the panel have no distances",
            n_bad=len(absent),
            examples=absent,
        )
    matrix = table.loc[list(codes), list(codes)].to_numpy(dtype=float)
    off = ~np.eye(len(codes), dtype=bool)
    bad = off & ~(matrix > 0)  # NaN, zero and negative distances
    if bad.any():
        i, j = np.nonzero(bad)
        raise SchemaError(
            "distances",
            None,
            "distances between distinct provinces must be positive (inf for no link)",
            n_bad=int(bad.sum()),
            examples=[
                (codes[int(a)], codes[int(b)], float(matrix[a, b]))
                for a, b in zip(i, j, strict=True)
            ][:5],
        )
    return matrix


def decay_weights(
    codes: Sequence[str] | None = None,
    *,
    distances: pd.DataFrame | None = None,
    unit_km: float = 1.0,
    power: float = 1.0,
    own_weight: float = 1.0,
) -> pd.DataFrame:
    """Distance-decay weights w_ii = ``own_weight``, w_ij = (d_ij/``unit_km``)^(−``power``).

    The weights of paper 002's Vag (own weight 1, inverse distance in km). They are not
    row-standardised: the own term keeps weight 1 whatever the distances. An infinite
    distance gives weight 0, so with every off-diagonal distance infinite the weights are the
    identity and Vag is the plain location quotient.

    Parameters
    ----------
    codes : sequence of str, optional
        Provinces, in the order of the result (default: the 30 codes, ascending).
    distances : DataFrame, optional
        Square matrix of distances in km, indexed by code on both axes (default: the
        great-circle distances between capitals of :func:`vagg.data.geography.distance_matrix_km`).
        The diagonal is ignored.
    unit_km : float
        Distance unit in km (1 = km, the default; 100 = hundreds of km).
    power : float
        Decay exponent γ (1 in paper 002).
    own_weight : float
        w_ii (1 in paper 002).

    Returns
    -------
    pandas.DataFrame
        codes × codes weights (row i: the weights of province i's sum).
    """
    for name, number in (("unit_km", unit_km), ("power", power)):
        if not np.isfinite(number) or number <= 0:
            raise VaggError(f"argument '{name}': must be a positive number, got {number!r}")
    if not np.isfinite(own_weight) or own_weight < 0:
        raise VaggError(f"argument 'own_weight': must be ≥ 0, got {own_weight!r}")
    order = list(codes) if codes is not None else known_codes()
    matrix = _distance_frame(distances, order)
    with np.errstate(divide="ignore"):
        weights = (matrix / unit_km) ** (-power)
    np.fill_diagonal(weights, own_weight)
    index = pd.Index(order, name="province_code")
    return pd.DataFrame(weights, index=index, columns=index.copy())


def distance_decayed_lq(
    panel: Any,
    national: Any = None,
    *,
    numerator: str = "ict_employment",
    denominator: str = "urban_unit_employment",
    distances: pd.DataFrame | None = None,
    unit_km: float = 1.0,
    power: float = 1.0,
    normalise: Literal["minmax"] | None = None,
    minmax_over: Literal["panel", "year"] = "panel",
    bounds: tuple[float, float] | None = None,
) -> Any:
    """Virtual agglomeration Vag_it = Σ_j w_ij·LQ_jt with own weight 1 (paper 002 §3.2.2).

    LQ is :func:`location_quotient`; w are :func:`decay_weights` over the panel's provinces
    (w_ii = 1, w_ij = (d_ij/unit_km)^(−power), great-circle distances between capitals by
    default). With ``normalise="minmax"`` the returned ``vag`` is (Vag − lo)/(hi − lo), lo and
    hi the minimum and maximum over the pooled panel (``minmax_over="panel"``), within each
    year (``"year"``), or the fixed ``bounds`` (e.g. taken over a longer window, which is how
    Table 1's min 0.000117 > 0 and max 0.974 < 1 can arise); see the module docstring.

    Parameters
    ----------
    panel, national, numerator, denominator :
        As in :func:`location_quotient`.
    distances, unit_km, power :
        As in :func:`decay_weights`.
    normalise : {"minmax"}, optional
        Default ``None``: Vag as the formula gives it.
    minmax_over : {"panel", "year"}
        Where lo and hi are taken when ``bounds`` is not given.
    bounds : (float, float), optional
        Fixed (lo, hi) for the min–max map.

    Returns
    -------
    DataFrame
        (province_code, year, lq, vag) sorted by province and year; pandas if ``panel`` is.

    References
    ----------
    Paper 002 §3.2.2 and Table 1; spec 002 §1.4 item 3; methods note §3.1–3.2.
    """
    if normalise is not None:
        check_option("normalise", normalise, ("minmax",))
    check_option("minmax_over", minmax_over, ("panel", "year"))
    lq = location_quotient(panel, national, numerator=numerator, denominator=denominator)
    lq = pl.from_pandas(lq) if isinstance(lq, pd.DataFrame) else lq
    codes = sorted(lq["province_code"].unique().to_list())
    weights = decay_weights(codes, distances=distances, unit_km=unit_km, power=power).to_numpy()
    wide = lq.pivot(on="province_code", index="year", values="lq").sort("year")
    years = wide["year"].to_list()
    values = wide.select(codes).to_numpy()  # years × provinces
    vag = values @ weights.T  # Vag[t, i] = Σ_j w_ij LQ_jt
    out = pl.DataFrame(
        {
            "province_code": np.repeat(codes, len(years)),
            "year": np.tile(np.asarray(years, dtype=np.int64), len(codes)),
            "vag": vag.T.ravel(),
        }
    )
    out = lq.join(out, on=["province_code", "year"]).sort("province_code", "year")
    if normalise == "minmax":
        out = _minmax(out, minmax_over, bounds)
    return like(out, panel)


def _minmax(out: pl.DataFrame, over: str, bounds: tuple[float, float] | None) -> pl.DataFrame:
    if bounds is not None:
        lo, hi = float(bounds[0]), float(bounds[1])
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise VaggError(f"argument 'bounds': need finite lo < hi, got {bounds!r}")
        return out.with_columns(((pl.col("vag") - lo) / (hi - lo)).alias("vag"))
    group = None if over == "panel" else "year"
    lo_e = pl.col("vag").min() if group is None else pl.col("vag").min().over(group)
    hi_e = pl.col("vag").max() if group is None else pl.col("vag").max().over(group)
    span = out.select((hi_e - lo_e).alias("_span"), "year")
    flat = span.filter(pl.col("_span") <= 0)
    if flat.height:
        raise SchemaError(
            "province_panel",
            "vag",
            "Vag is constant over the min–max range; it cannot be normalised",
            examples=sorted(set(flat["year"].to_list()))[:5],
        )
    return out.with_columns(((pl.col("vag") - lo_e) / (hi_e - lo_e)).alias("vag"))
