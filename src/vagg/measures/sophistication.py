"""Export sophistication: product PRODY (RTV) and province EXPY (MET), paper 004 eq. (12)–(13).

Hausmann, Hwang & Rodrik (2007, "What you export matters", J. Econ. Growth 12) rank a product
by the income of the economies that export it, weighting each economy by its revealed
comparative advantage, and an economy by the income level of its export basket. Paper 004
applies this to Chinese provinces and manufacturing exports:

    s_iht  = e_iht / E_it                                  (export share, E_it = Σ_h e_iht)
    RTV_ht = Σ_i [ s_iht / Σ_k s_kht ] · PGDP_it           (12)  PRODY
    MET_it = Σ_h s_iht · RTV_ht                            (13)  EXPY

(the print has e_it in (13); the index h is restored, spec 004 §2.2). Weighting by Balassa's
RCA_ih = s_ih / (Σ_i e_ih / Σ_i E_i) instead of s_ih gives the same PRODY, because the product's
denominator cancels (``trade_measures.md`` §6.1; the form of R ``economiccomplexity``). Two
closed-form facts the tests use: Σ_i MET_it = Σ_i PGDP_it in every year (swap the sums), and
a province exporting only product h has MET = RTV_h.

Units: PRODY and EXPY are in the unit of PGDP (pass PGDP in 10⁴ yuan for the MET scale of 004's
Tables 1, 2 and 6; the measures are linear in PGDP). Nominal PGDP inflates PRODY over time;
deflate it (:func:`vagg.measures.regional.real_gdp`) or compare within years
(``trade_measures.md`` §6.4). A fixed-base or world PRODY can be supplied to :func:`expy`.

Why written here: no maintained Python package computes PRODY/EXPY (py-ecomplexity stops at
RCA and complexity; ``trade_measures.md`` §6.6), and the sums are short.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import as_polars, like, require_columns
from vagg.measures._provinces import (
    check_balanced,
    check_nonnegative,
    check_positive,
    province_table,
)

__all__ = ["export_shares", "expy", "prody"]


def _exports(exports: Any, product: str, value: str) -> pl.DataFrame:
    table = province_table(
        exports, "province_exports", [value], key=("province_code", product, "year")
    )
    check_nonnegative(table, "province_exports", value, "exports")
    table = table.select(
        "province_code", pl.col(product).cast(pl.String), "year", pl.col(value).cast(pl.Float64)
    )
    totals = table.group_by("province_code", "year").agg(pl.col(value).sum().alias("_total"))
    check_balanced(totals, "province_exports")
    empty = totals.filter(pl.col("_total") <= 0).sort("province_code", "year")
    if empty.height:
        raise SchemaError(
            "province_exports",
            value,
            "a province has no exports in a year, so its export shares are undefined; "
            "(province_code, year)",
            n_bad=empty.height,
            examples=list(empty.select("province_code", "year").head(5).iter_rows()),
        )
    return table.join(totals, on=["province_code", "year"])


def export_shares(exports: Any, *, product: str = "hs4", value: str = "export_value_usd") -> Any:
    """Export shares s_iht = e_iht / Σ_h e_iht of each province-product-year.

    Parameters
    ----------
    exports : DataFrame
        ``province_exports``: province_code, ``product``, year, ``value`` (≥ 0; absent rows are
        zero flows). Every province must export something in every year of the table.
    product, value : str
        Product code and export value columns.

    Returns
    -------
    DataFrame
        (province_code, ``product``, year, share); pandas if ``exports`` is.

    References
    ----------
    Paper 004 eq. (12)–(13); Hausmann, Hwang & Rodrik (2007).
    """
    table = _exports(exports, product, value)
    out = table.select(
        "province_code", product, "year", (pl.col(value) / pl.col("_total")).alias("share")
    ).sort("province_code", product, "year")
    return like(out, exports)


def _income(income: Any, income_column: str, flows: pl.DataFrame) -> pl.DataFrame:
    table = province_table(income, "province_panel", [income_column])
    pairs = flows.select("province_code", "year").unique()
    table = pairs.join(table, on=["province_code", "year"], how="left")
    absent = table.filter(pl.col(income_column).is_null()).sort("province_code", "year")
    if absent.height:
        raise SchemaError(
            "province_panel",
            income_column,
            "income (per-capita GDP) missing for province-years with exports; "
            "(province_code, year)",
            n_bad=absent.height,
            examples=list(absent.select("province_code", "year").head(5).iter_rows()),
        )
    check_positive(table, "province_panel", income_column, "PRODY weights income levels")
    return table.select("province_code", "year", pl.col(income_column).cast(pl.Float64))


def _prody(shares: pl.DataFrame, income: pl.DataFrame, product: str, column: str) -> pl.DataFrame:
    weighted = shares.join(income, on=["province_code", "year"])
    return (
        weighted.group_by(product, "year")
        .agg(
            (pl.col("share") * pl.col(column)).sum().alias("_num"),
            pl.col("share").sum().alias("_den"),
        )
        .select(
            product,
            "year",
            pl.when(pl.col("_den") > 0).then(pl.col("_num") / pl.col("_den")).alias("prody"),
        )
        .sort(product, "year")
    )


def prody(
    exports: Any,
    income: Any,
    *,
    product: str = "hs4",
    value: str = "export_value_usd",
    income_column: str = "gdp_per_capita",
) -> Any:
    """PRODY (RTV) of each product-year: RTV_ht = Σ_i [s_iht / Σ_k s_kht]·PGDP_it (004 eq. 12).

    Parameters
    ----------
    exports : DataFrame
        ``province_exports`` (province_code, ``product``, year, ``value``).
    income : DataFrame
        ``province_panel`` (province_code, year, ``income_column`` > 0) for every province-year
        of ``exports``; further rows are ignored.
    product, value, income_column : str
        Column names (defaults: HS4 headings, USD exports, per-capita GDP in RMB).

    Returns
    -------
    DataFrame
        (``product``, year, prody); a product whose recorded exports in a year are all zero has
        a null PRODY (no province reveals an advantage in it). pandas if ``exports`` is.

    References
    ----------
    Hausmann, Hwang & Rodrik (2007) eq. (1); paper 004 eq. (12); ``trade_measures.md`` §6.
    """
    flows = _exports(exports, product, value)
    shares = flows.select(
        "province_code", product, "year", (pl.col(value) / pl.col("_total")).alias("share")
    )
    out = _prody(shares, _income(income, income_column, flows), product, income_column)
    return like(out, exports)


def expy(
    exports: Any,
    income: Any = None,
    *,
    prody: Any = None,
    product: str = "hs4",
    value: str = "export_value_usd",
    income_column: str = "gdp_per_capita",
) -> Any:
    """EXPY (MET) of each province-year: MET_it = Σ_h s_iht·RTV_ht (004 eq. 13).

    RTV is computed from ``exports`` and ``income`` year by year (:func:`prody`, the paper's
    definition), or taken from ``prody``: a table (``product``, prody) for a time-invariant
    PRODY (a base year or a multi-year average, HHR's robustness check; a world PRODY from
    country data) or (``product``, year, prody) for a year-specific one.

    Parameters
    ----------
    exports : DataFrame
        ``province_exports`` (province_code, ``product``, year, ``value``).
    income : DataFrame, optional
        ``province_panel`` with ``income_column``; required unless ``prody`` is given.
    prody : DataFrame, optional
        PRODY to use instead of computing it; every exported product (and year, if keyed by
        year) must have one, else an error names the products.
    product, value, income_column : str
        Column names.

    Returns
    -------
    DataFrame
        (province_code, year, expy) sorted by province and year; pandas if ``exports`` is.

    References
    ----------
    Hausmann, Hwang & Rodrik (2007) eq. (2); paper 004 eq. (13); ``trade_measures.md`` §6.
    """
    flows = _exports(exports, product, value)
    shares = flows.select(
        "province_code", product, "year", (pl.col(value) / pl.col("_total")).alias("share")
    ).filter(pl.col("share") > 0)
    if prody is None:
        if income is None:
            raise SchemaError("province_panel", income_column, "expy needs `income` or `prody`")
        rtv = _prody(shares, _income(income, income_column, flows), product, income_column)
        keys = [product, "year"]
    else:
        table = as_polars(prody, "prody")
        require_columns(table, "prody", [product, "prody"])
        keys = [product, "year"] if "year" in table.columns else [product]
        rtv = table.select(*keys, pl.col("prody").cast(pl.Float64)).with_columns(
            pl.col(product).cast(pl.String)
        )
        if "year" in keys:
            rtv = rtv.with_columns(pl.col("year").cast(pl.Int64))
        dup = rtv.filter(pl.struct(keys).is_duplicated())
        if dup.height:
            raise SchemaError(
                "prody", product, "duplicate PRODY keys", examples=dup[product][:5].to_list()
            )
    joined = shares.join(rtv, on=keys, how="left")
    absent = joined.filter(pl.col("prody").is_null() | pl.col("prody").is_nan())
    if absent.height:
        raise SchemaError(
            "prody",
            product,
            "exported products have no PRODY",
            n_bad=absent.select(keys).unique().height,
            examples=sorted(set(absent[product].to_list()))[:5],
        )
    out = (
        joined.group_by("province_code", "year")
        .agg((pl.col("share") * pl.col("prody")).sum().alias("expy"))
        .sort("province_code", "year")
    )
    return like(out, exports)
