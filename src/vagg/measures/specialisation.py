"""Export specialisation and diversification, geographic agglomeration, co-agglomeration and
co-evolution of cities — paper 001 eq. (25)–(28).

With e_cjt a city's exports of product j, s_cjt = e_cjt / Σ_j e_cjt its export shares and
s_jt = Σ_c e_cjt / Σ_{c,j} e_cjt the national shares (Duranton & Puga 2000):

    spe_ct = max_j (s_cjt / s_jt)                      (25, RZI; printed with a factor 1/n)
    div_ct = 1 / Σ_j |s_cjt − s_jt|                     (26, RDI; printed as 1/Σ_j s_cjt/s_jt)
    coa_ct = 1 − |agg_ct − vagg_ct| / (agg_ct + vagg_ct)                         (27)
    d_coa_ct = λ · sqrt(|agg_ct − agg_c,t−1| · |vagg_ct − vagg_c,t−1|),            (28)
               λ = 1 if (agg_ct − agg_c,t−1)(vagg_ct − vagg_c,t−1) > 0, else −1 (陶长琪等 2007)

with agg_ct the location quotient of secondary-industry employment,
(E2_ct / E_ct) / (E2_t / E_t). Spec 001 reconstructs (25) and (26) as the relative
specialisation and relative diversity indices (the printed 1/n only shifts ln spe when the
number of products n is fixed; the printed ratio form of (26) is not a modified Herfindahl);
the printed forms are options, and the inverse Herfindahl 1/Σ_j s_cjt² is a third choice of
``div``. The national shares come from all cities of the input unless a national table is
given; products are the ones with national exports in the year (a city's zero exports count).
No rescaling of agg and vagg is applied in (27) by default (the paper mentions none, though
vagg ≈ 0.57 and agg ≈ 1); ``rescale="minmax"`` puts both on [0, 1] first. Written here because
these indices are not in any maintained Python library.
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.schemas import raise_if_rows
from vagg.measures._city_inputs import (
    CityMeasure,
    as_polars,
    codes_as_text,
    like,
    require,
    require_numeric,
    unique_key,
    year_int,
)

__all__ = ["co_agglomeration", "export_structure", "location_quotient"]


def export_structure(
    exports: Any,
    *,
    city: str = "city_code",
    product: str = "hs4",
    value: str = "value",
    national: Any = None,
    spe: Literal["rzi", "printed"] = "rzi",
    div: Literal["rdi", "printed", "inverse_hhi"] = "rdi",
) -> CityMeasure:
    """Export specialisation ``spe`` and diversification ``div`` of each city-year (eq. 25–26).

    Parameters
    ----------
    exports : DataFrame
        (``city``, ``product``, year, ``value``): export value of each city, product (HS4 by
        default, the paper's "行业") and year; one row per key, values ≥ 0.
    city, product, value : str
        Column names.
    national : DataFrame, optional
        (``product``, year, ``value``): national exports, when the national shares should
        include exports of cities outside the table.
    spe : {"rzi", "printed"}
        max_j s_cj/s_j (default) or the printed (1/n)·max_j s_cj/s_j, n = number of products
        with national exports in the year.
    div : {"rdi", "printed", "inverse_hhi"}
        1/Σ_j |s_cj − s_j| (default), the printed 1/Σ_j s_cj/s_j, or 1/Σ_j s_cj².

    Returns
    -------
    CityMeasure
        ``data``: (city_code, year, spe, div, lnspe, lndiv, n_products); city-years with zero
        total exports are left out and counted; a city whose shares equal the nation's has
        RDI undefined (null, counted).

    Raises
    ------
    SchemaError
        Missing columns, duplicated keys, missing or negative values, or a city exporting a
        product that the national table does not have.
    """
    if spe not in ("rzi", "printed") or div not in ("rdi", "printed", "inverse_hhi"):
        raise SchemaError(
            "export_structure", None, "spe in {rzi, printed}; div in {rdi, printed, inverse_hhi}"
        )
    frame = as_polars(exports, "exports")
    require(frame, "exports", [city, product, "year", value])
    frame = codes_as_text(frame, "exports", [city, product])
    frame = year_int(frame, "exports")
    frame = require_numeric(frame, "exports", [value])
    unique_key(frame, "exports", [city, product, "year"])
    raise_if_rows(
        frame,
        "exports",
        value,
        pl.col(value).is_null() | pl.col(value).is_nan(),
        "missing export value",
    )
    raise_if_rows(frame, "exports", value, pl.col(value) < 0, "export values must be >= 0")
    frame = frame.select(
        pl.col(city).alias("city_code"),
        pl.col(product).alias("product"),
        "year",
        pl.col(value).alias("e"),
    )
    if national is None:
        nat = frame.group_by("product", "year").agg(pl.col("e").sum().alias("e_j"))
    else:
        table = as_polars(national, "national")
        require(table, "national", [product, "year", value])
        table = year_int(codes_as_text(table, "national", [product]), "national")
        table = require_numeric(table, "national", [value])
        unique_key(table, "national", [product, "year"])
        nat = table.select(pl.col(product).alias("product"), "year", pl.col(value).alias("e_j"))
        unknown = frame.filter(pl.col("e") > 0).join(nat, on=["product", "year"], how="anti")
        if unknown.height:
            raise SchemaError(
                "exports",
                product,
                "city exports of products absent from the national table",
                n_bad=unknown.height,
                examples=unknown.select("product", "year").unique().head(5).rows(),
            )
    nat = nat.filter(pl.col("e_j") > 0)
    nat = nat.with_columns(
        (pl.col("e_j") / pl.col("e_j").sum().over("year")).alias("s_j"),
        pl.len().over("year").alias("n_products"),
    )
    totals = frame.group_by("city_code", "year").agg(pl.col("e").sum().alias("e_c"))
    empty = totals.filter(pl.col("e_c") <= 0).height
    totals = totals.filter(pl.col("e_c") > 0)
    # every (city-year, national product): the city's zero exports enter Σ_j |s_cj − s_j|
    grid = totals.join(nat, on="year", how="inner")
    grid = grid.join(frame, on=["city_code", "year", "product"], how="left").with_columns(
        (pl.col("e").fill_null(0.0) / pl.col("e_c")).alias("s_cj")
    )
    lq = pl.col("s_cj") / pl.col("s_j")
    spe_expr = lq.max()
    if spe == "printed":
        spe_expr = spe_expr / pl.col("n_products").first()
    div_terms = {
        "rdi": (pl.col("s_cj") - pl.col("s_j")).abs().sum(),
        "printed": lq.sum(),
        "inverse_hhi": (pl.col("s_cj") ** 2).sum(),
    }[div]
    data = grid.group_by("city_code", "year").agg(
        spe_expr.alias("spe"),
        div_terms.alias("_den"),
        pl.col("n_products").first(),
    )
    undefined = data.filter(pl.col("_den") <= 1e-15).height
    data = data.with_columns(
        pl.when(pl.col("_den") > 1e-15).then(1.0 / pl.col("_den")).otherwise(None).alias("div")
    ).with_columns(pl.col("spe").log().alias("lnspe"), pl.col("div").log().alias("lndiv"))
    data = data.select("city_code", "year", "spe", "div", "lnspe", "lndiv", "n_products")
    excluded = {}
    if empty:
        excluded["city-year with zero exports"] = empty
    if undefined:
        excluded["shares equal to the nation's (div undefined, null)"] = undefined
    notes = [
        f"spe={spe}",
        f"div={div}",
        f"products: {product}",
        "national shares from "
        + ("the national table" if national is not None else "all cities of the input"),
    ]
    return CityMeasure(like(data.sort("city_code", "year"), exports), frame.height, excluded, notes)


def location_quotient(
    panel: Any,
    *,
    city: str = "city_code",
    secondary: str = "secondary_employment",
    total: str = "employment",
    national: Any = None,
) -> CityMeasure:
    """Geographic agglomeration ``agg``: location quotient of secondary-industry employment.

    agg_ct = (E2_ct / E_ct) / (E2_t / E_t) (paper 001 §5(4): "第二产业单位就业人数的区位熵"),
    with the national reference E2_t/E_t summed over the cities of the panel, or taken from
    ``national`` (year, ``secondary``, ``total``). Property: Σ_c (E_ct/E_t)·agg_ct = 1 when the
    reference is the panel itself.

    Parameters
    ----------
    panel : DataFrame
        City-year employment: ``city``, year, ``secondary``, ``total`` (unit employment).
    city, secondary, total : str
        Column names.
    national : DataFrame, optional
        National reference by year.

    Returns
    -------
    CityMeasure
        ``data``: (city_code, year, agg); city-years with missing or non-positive total
        employment are left out and counted.
    """
    frame = as_polars(panel, "city_panel")
    require(frame, "city_panel", [city, "year", secondary, total])
    frame = year_int(codes_as_text(frame, "city_panel", [city]), "city_panel")
    frame = require_numeric(frame, "city_panel", [secondary, total])
    unique_key(frame, "city_panel", [city, "year"])
    raise_if_rows(
        frame, "city_panel", secondary, pl.col(secondary) < 0, "employment must be non-negative"
    )
    raise_if_rows(
        frame,
        "city_panel",
        secondary,
        (pl.col(total) > 0) & (pl.col(secondary) > pl.col(total)),
        f"secondary employment exceeds {total!r}",
    )
    ok = (pl.col(total) > 0) & pl.col(secondary).is_not_null()
    keep = frame.select(ok.fill_null(False)).to_series()
    data = frame.filter(keep)
    if national is None:
        ref = data.group_by("year").agg(
            (pl.col(secondary).sum() / pl.col(total).sum()).alias("_ref")
        )
    else:
        table = year_int(as_polars(national, "national"), "national")
        require(table, "national", ["year", secondary, total])
        table = require_numeric(table, "national", [secondary, total])
        ref = table.select("year", (pl.col(secondary) / pl.col(total)).alias("_ref"))
        absent = sorted(set(data["year"].to_list()) - set(ref["year"].to_list()))
        if absent:
            raise SchemaError("national", "year", f"no national employment for years {absent}")
    out = data.join(ref, on="year", how="left").select(
        pl.col(city).alias("city_code"),
        "year",
        (pl.col(secondary) / pl.col(total) / pl.col("_ref")).alias("agg"),
    )
    excluded = {"missing or non-positive employment": int((~keep).sum())} if not keep.all() else {}
    note = "national reference: " + ("given table" if national is not None else "panel sums")
    return CityMeasure(like(out.sort("city_code", "year"), panel), frame.height, excluded, [note])


def co_agglomeration(
    agg: Any,
    vagg: Any,
    *,
    agg_column: str = "agg",
    vagg_column: str = "vagg",
    rescale: Literal["none", "minmax"] = "none",
) -> CityMeasure:
    """Co-agglomeration ``coa`` (eq. 27) and co-evolution degree ``d_coa`` (eq. 28).

    coa_ct = 1 − |agg_ct − vagg_ct| / (agg_ct + vagg_ct) ∈ [0, 1] (null when agg + vagg = 0);
    d_coa_ct = λ · sqrt(|Δagg_ct| · |Δvagg_ct|) with Δ the change from t−1 and λ = 1 when the
    product of the changes is positive, −1 otherwise (so d_coa = 0 when either change is 0).
    d_coa needs the city's previous year (null, counted, otherwise).

    Parameters
    ----------
    agg, vagg : DataFrame
        (city_code, year, ``agg_column``) and (city_code, year, ``vagg_column``), e.g. the
        ``data`` of :func:`location_quotient` and of :func:`vagg.measures.shift_share.bartik_vagg`.
    agg_column, vagg_column : str
        The measure columns.
    rescale : {"none", "minmax"}
        Put agg and vagg on [0, 1] by min–max over the joined panel before (27)–(28).

    Returns
    -------
    CityMeasure
        ``data``: (city_code, year, agg, vagg, coa, d_coa); city-years present in only one
        input are left out and counted.
    """
    if rescale not in ("none", "minmax"):
        raise SchemaError("co_agglomeration", None, "rescale must be 'none' or 'minmax'")
    tables = []
    for name, frame_in, column in (("agg", agg, agg_column), ("vagg", vagg, vagg_column)):
        frame = as_polars(frame_in, name)
        require(frame, name, ["city_code", "year", column])
        frame = year_int(codes_as_text(frame, name, ["city_code"]), name)
        frame = require_numeric(frame, name, [column])
        unique_key(frame, name, ["city_code", "year"])
        tables.append(frame.select("city_code", "year", pl.col(column).fill_nan(None).alias(name)))
    joined = tables[0].join(tables[1], on=["city_code", "year"], how="full", coalesce=True)
    one_sided = joined.filter(pl.col("agg").is_null() | pl.col("vagg").is_null()).height
    data = joined.drop_nulls(["agg", "vagg"])
    if rescale == "minmax":
        data = data.with_columns(
            ((pl.col(c) - pl.col(c).min()) / (pl.col(c).max() - pl.col(c).min())).alias(c)
            for c in ("agg", "vagg")
        )
    total = pl.col("agg") + pl.col("vagg")
    data = data.sort("city_code", "year").with_columns(
        pl.when(total != 0)
        .then(1 - (pl.col("agg") - pl.col("vagg")).abs() / total)
        .otherwise(None)
        .alias("coa")
    )
    prev = data.select(
        "city_code",
        (pl.col("year") + 1).alias("year"),
        pl.col("agg").alias("_agg0"),
        pl.col("vagg").alias("_vagg0"),
    )
    data = data.join(prev, on=["city_code", "year"], how="left")
    d_agg = pl.col("agg") - pl.col("_agg0")
    d_vagg = pl.col("vagg") - pl.col("_vagg0")
    sign = pl.when(d_agg * d_vagg > 0).then(1.0).otherwise(-1.0)
    data = data.with_columns(
        (sign * (d_agg.abs() * d_vagg.abs()).sqrt() + 0.0).alias("d_coa")
    ).select("city_code", "year", "agg", "vagg", "coa", "d_coa")
    excluded = {}
    if one_sided:
        excluded["city-year in only one of agg, vagg"] = one_sided
    no_prev = data.filter(pl.col("d_coa").is_null()).height
    if no_prev:
        excluded["no previous year (d_coa null)"] = no_prev
    undefined = data.filter(pl.col("coa").is_null()).height
    if undefined:
        excluded["agg + vagg = 0 (coa null)"] = undefined
    notes = [f"rescale={rescale}", "λ = -1 when the product of changes is <= 0 (eq. 28)"]
    return CityMeasure(like(data, vagg), joined.height, excluded, notes)
