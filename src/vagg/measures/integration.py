"""Market segmentation and integration of cities (relative prices), and the traffic-cost proxy.

**Relative-price method** (paper 001 eq. 24 and the unnumbered steps after it; 桂琦寒、陈敏、
陆铭、陈钊 2006, 世界经济; Parsley & Wei 2001). For cities i ≠ j, CPI category k and year t,
with chained indices I (previous year = 100):

    ΔQ^k_ijt = ln(p^k_it / p^k_i,t−1) − ln(p^k_jt / p^k_j,t−1)
             = ln(I^k_it / 100) − ln(I^k_jt / 100)                        (24)
    q^k_ijt  = |ΔQ^k_ijt| − mean|ΔQ^k_t|                                   (de-meaning)
    mseg_it  = Σ_{j≠i} var_k(q^k_ijt) / n                                  (n partners of i)
    integ_it = sqrt(1 / mseg_it)                                           (``minteg``, Table 8)

over the eight CPI categories of the paper's footnote (food; tobacco and liquor; clothing;
household equipment and maintenance; health care; transport and communication; recreation,
education and culture; housing). Conventions (spec 001 §8): the mean removed in the de-meaning
step is Gui et al.'s — over all city pairs, by category and year (``demean="good_year"``,
default; it removes the category's common shock, the a^k of Parsley & Wei) — and the printed
city-specific mean over i's partners |ΔQ̄^k_i| is ``demean="city"``; partners are every other
city (the paper sums over all j ≠ i; ``partners="province"`` or a table of pairs restrict them);
the variance over categories uses ``ddof=0``. Written here because no public implementation of
the method exists.

**Traffic-cost proxy** (paper 001 §5(2)): lnitff_ct = ln(road area_ct / resident population_ct),
the log of road area per person, which rises as congestion eases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.schemas import CPI_CATEGORIES, raise_if_rows
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

__all__ = ["CPI_CATEGORIES_ZH", "market_segmentation", "traffic_cost_proxy"]

#: The eight CPI categories of paper 001 (footnote to eq. 24), Chinese name → vagg's name.
CPI_CATEGORIES_ZH: dict[str, str] = {
    "食品": "food",
    "烟酒": "tobacco_liquor",
    "衣着": "clothing",
    "家庭设备和维修": "household",
    "医疗": "health",
    "交通和通信": "transport_communication",
    "娱乐教育文化用品和服务": "recreation_education",
    "居住": "housing",
}


def _price_matrix(
    prices: Any,
    city: str,
    categories: Sequence[str],
    columns: Mapping[str, str] | None,
) -> tuple[pl.DataFrame, int]:
    """A long (city, year, category, index) table from the long or the wide layout, and the
    number of long rows of categories not used."""
    frame = as_polars(prices, "prices")
    require(frame, "prices", [city, "year"])
    frame = codes_as_text(frame, "prices", [city])
    frame = year_int(frame, "prices")
    if {"category", "index"} <= set(frame.columns):
        long = frame.select(city, "year", pl.col("category").cast(pl.String), "index")
        long = require_numeric(long, "prices", ["index"])
        unique_key(long, "prices", [city, "year", "category"])
        n_all = long.height
        long = long.filter(pl.col("category").is_in(list(categories)))
        other = n_all - long.height
    else:
        names = dict(columns) if columns else {f"cpi_{c}": c for c in categories}
        require(frame, "prices", list(names))
        unique_key(frame, "prices", [city, "year"])
        wide = require_numeric(frame, "prices", list(names))
        long = wide.unpivot(index=[city, "year"], on=list(names), variable_name="category")
        long = long.rename({"value": "index"}).with_columns(pl.col("category").replace(names))
        other = 0
    raise_if_rows(long, "prices", "index", pl.col("index") <= 0, "price indices must be positive")
    return long.rename({city: "city_code"}), other


def _pairs(cities: list[str], partners: Any, province: Mapping[str, str] | None) -> np.ndarray:
    """Boolean matrix of the partner relation among ``cities`` (symmetric, no diagonal)."""
    n = len(cities)
    if isinstance(partners, str) and partners == "all":
        mat = np.ones((n, n), dtype=bool)
    elif isinstance(partners, str) and partners == "province":
        if province is not None:
            unknown = sorted(set(cities) - set(province))
            if unknown:
                raise SchemaError(
                    "province",
                    None,
                    "cities without a province",
                    n_bad=len(unknown),
                    examples=unknown,
                )
        prov = [province[c] if province is not None else c[:2] for c in cities]
        mat = np.equal.outer(prov, prov)
    elif hasattr(partners, "columns"):
        table = codes_as_text(as_polars(partners, "partners"), "partners", ["city_a", "city_b"])
        require(table, "partners", ["city_a", "city_b"])
        idx = {c: i for i, c in enumerate(cities)}
        mat = np.zeros((n, n), dtype=bool)
        for a, b in table.select("city_a", "city_b").iter_rows():
            if a in idx and b in idx:
                mat[idx[a], idx[b]] = mat[idx[b], idx[a]] = True
    else:
        raise SchemaError(
            "partners", None, "must be 'all', 'province' or a table of (city_a, city_b) pairs"
        )
    np.fill_diagonal(mat, False)
    return mat


def market_segmentation(
    prices: Any,
    *,
    city: str = "city_code",
    categories: Sequence[str] = CPI_CATEGORIES,
    columns: Mapping[str, str] | None = None,
    index_type: Literal["chained", "level"] = "chained",
    demean: Literal["good_year", "city"] = "good_year",
    partners: Any = "all",
    province: Mapping[str, str] | None = None,
    ddof: int = 0,
) -> CityMeasure:
    """Market segmentation ``mseg`` and integration ``integ`` of each city-year (paper 001 eq. 24).

    Parameters
    ----------
    prices : DataFrame
        Either long — (``city``, year, category, index) — or wide, one row per city-year with
        one column per category (default names ``cpi_<category>``, as in the ``city_panel``
        table; ``columns`` maps other headers, e.g. Chinese ones, to categories).
    city : str
        City column.
    categories : sequence of str
        The categories used (default the paper's eight, :data:`CPI_CATEGORIES`).
    columns : mapping of str to str, optional
        Wide layout: column name → category (e.g. ``{"食品": "food", ...}``).
    index_type : {"chained", "level"}
        "chained": previous year = 100 (the yearbook's form; ln(I/100) is the log change);
        "level": a fixed-base index, log-differenced here (the first year then has no change).
    demean : {"good_year", "city"}
        Remove the mean |ΔQ| over all partner pairs of the category-year (Gui et al. 2006,
        default) or over city i's partners (the paper's printed |ΔQ̄^k_i|).
    partners : "all", "province" or DataFrame
        Every other city (default), the cities of the same province (``province`` maps city to
        province; default the first two digits of the code) or a table of (city_a, city_b)
        pairs, e.g. adjacent cities.
    province : mapping of str to str, optional
        City → province for ``partners="province"``.
    ddof : int
        Delta degrees of freedom of the variance over categories (0: population variance).

    Returns
    -------
    CityMeasure
        ``data``: (city_code, year, mseg, integ, n_partners); ``excluded``: city-years without
        every category, without a previous year (level indices), without partners, and with
        mseg = 0 (integ undefined, kept with a null).

    Raises
    ------
    SchemaError
        Missing columns, duplicated city-years, non-numeric or non-positive indices.
    """
    if demean not in ("good_year", "city"):
        raise SchemaError("market_segmentation", None, "demean must be 'good_year' or 'city'")
    if index_type not in ("chained", "level"):
        raise SchemaError("market_segmentation", None, "index_type must be 'chained' or 'level'")
    long, other = _price_matrix(prices, city, categories, columns)
    cats = list(categories)
    wide = long.pivot(on="category", index=["city_code", "year"], values="index")
    for cat in cats:
        if cat not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(cat))
    wide = wide.sort("city_code", "year")
    n_input = wide.height
    excluded: dict[str, int] = {}
    if other:
        excluded["price rows of other categories (not used)"] = other
    if index_type == "level":
        lagged = wide.with_columns(pl.col("year") + 1).rename({c: f"_prev_{c}" for c in cats})
        wide = wide.join(lagged, on=["city_code", "year"], how="left")
        no_prev = wide.filter(pl.col(f"_prev_{cats[0]}").is_null() & pl.col(cats[0]).is_not_null())
        wide = wide.with_columns(
            [(pl.col(c) / pl.col(f"_prev_{c}")).log().alias(c) for c in cats]
        ).drop([f"_prev_{c}" for c in cats])
        if no_prev.height:
            excluded["no previous year (level index)"] = no_prev.height
    else:
        wide = wide.with_columns([(pl.col(c) / 100.0).log().alias(c) for c in cats])
    complete = wide.select(pl.all_horizontal([pl.col(c).is_not_null() for c in cats])).to_series()
    missing = int((~complete).sum()) - excluded.get("no previous year (level index)", 0)
    if missing > 0:
        excluded["missing price category"] = missing
    wide = wide.filter(complete)
    parts = []
    no_partner = zero = 0
    for (year,), block in wide.group_by(["year"], maintain_order=True):
        cities = block["city_code"].to_list()
        x = block.select(cats).to_numpy()  # cities × categories, log changes
        mask = _pairs(cities, partners, province)
        dq = np.abs(x[:, None, :] - x[None, :, :])  # i × j × k
        if demean == "good_year":
            upper = np.triu(mask, 1)
            count = upper.sum()
            mean = dq[upper].mean(axis=0) if count else np.full(len(cats), np.nan)
            q = dq - mean[None, None, :]
        else:
            n_i = mask.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean_i = (dq * mask[:, :, None]).sum(axis=1) / n_i[:, None]
            q = dq - mean_i[:, None, :]
        var = q.var(axis=2, ddof=ddof)
        n_partners = mask.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mseg = np.where(n_partners > 0, (var * mask).sum(axis=1) / n_partners, np.nan)
            integ = np.where(mseg > 0, np.sqrt(1.0 / mseg), np.nan)
        no_partner += int((n_partners == 0).sum())
        zero += int(((mseg == 0) & (n_partners > 0)).sum())
        parts.append(
            pl.DataFrame(
                {
                    "city_code": cities,
                    "year": np.full(len(cities), year, dtype=np.int64),
                    "mseg": mseg,
                    "integ": integ,
                    "n_partners": n_partners.astype(np.int64),
                }
            )
        )
    data = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(
            schema={
                "city_code": pl.String,
                "year": pl.Int64,
                "mseg": pl.Float64,
                "integ": pl.Float64,
                "n_partners": pl.Int64,
            }
        )
    )
    data = data.with_columns(pl.col("mseg", "integ").fill_nan(None))
    if no_partner:
        excluded["city-year without partners (mseg null)"] = no_partner
    if zero:
        excluded["mseg = 0 (integ null)"] = zero
    partner_note = partners if isinstance(partners, str) else "given pairs"
    notes = [f"demean={demean}", f"partners={partner_note}", f"ddof={ddof}", f"{index_type} index"]
    return CityMeasure(like(data.sort("city_code", "year"), prices), n_input, excluded, notes)


def traffic_cost_proxy(
    panel: Any,
    *,
    city: str = "city_code",
    road: str = "road_area",
    population: str = "population",
) -> CityMeasure:
    """Road area per person and its log, the paper's traffic-cost proxy ``lnitff``.

    lnitff_ct = ln(road area_ct / population_ct) (paper 001 §5(2): "城市公路面积与常住人口的
    比值做对数化处理"). Units follow the inputs (the yearbook's 10k m² over 10k persons gives
    m² per person).

    Parameters
    ----------
    panel : DataFrame
        City-year panel with ``city``, year, ``road`` and ``population`` (resident population
        in the paper; the ``city_panel`` table's ``population`` column by default).
    city, road, population : str
        Column names.

    Returns
    -------
    CityMeasure
        ``data``: (city_code, year, itff, lnitff); city-years with a missing or non-positive
        road area or population have nulls and are counted in ``excluded``.
    """
    frame = as_polars(panel, "city_panel")
    require(frame, "city_panel", [city, "year", road, population])
    frame = codes_as_text(frame, "city_panel", [city])
    frame = year_int(frame, "city_panel")
    frame = require_numeric(frame, "city_panel", [road, population])
    unique_key(frame, "city_panel", [city, "year"])
    ok = (pl.col(road) > 0) & (pl.col(population) > 0)
    ok = ok.fill_null(False) & pl.col(road).is_not_nan() & pl.col(population).is_not_nan()
    flags = frame.select(
        (pl.col(road).is_null() | pl.col(population).is_null()).alias("missing"),
        (~ok.fill_null(False)).alias("bad"),
    )
    n_missing = int(flags["missing"].sum())
    n_nonpositive = int((flags["bad"] & ~flags["missing"]).sum())
    data = frame.select(
        pl.col(city).alias("city_code"),
        "year",
        pl.when(ok).then(pl.col(road) / pl.col(population)).otherwise(None).alias("itff"),
    ).with_columns(pl.col("itff").log().alias("lnitff"))
    excluded = {}
    if n_missing:
        excluded["missing road area or population (null)"] = n_missing
    if n_nonpositive:
        excluded["non-positive road area or population (null)"] = n_nonpositive
    notes = [f"itff = {road} / {population}"]
    return CityMeasure(like(data, panel), frame.height, excluded, notes)
