"""Shift-share (Bartik) virtual agglomeration of cities — paper 001 eq. (22) and ``vagg_in``.

    vagg_ct = Σ_{s∈S} (output_{s,c,2004} / output_{c,2004}) · Virtual_st               (22)

The shares are each city's 2004 economic-census output by sector, CIC 4-digit industries
mapped to ISIC Rev.4 divisions and to the OECD input–output industries
(:mod:`vagg.data.cic_isic`; the paper's footnote to eq. 22); the shifts are the national
direct-consumption coefficients of digital services of each sector and year
(:func:`vagg.data.oecd_io.digital_shifts`). ``vagg_in`` (Table 4 col. 1) keeps the shares and
takes as shift the quantity of digital input, DataInput_st = Σ_d Z_{d,s,t} (million USD),
instead of the coefficient. Goldsmith-Pinkham, Sorkin & Swift (2020, AER) is the paper's
reference for the construction; their Rotemberg decomposition is in
:mod:`vagg.measures.rotemberg`, and shift-share standard errors (Adão, Kolesár & Morales 2019;
Borusyak, Hull & Jaravel 2022) in :mod:`vagg.estimate.inference.shift_share`.

Conventions (spec 001 §8, with their defaults): the sector set S is the industrial sectors the
census covers (every sector with 2004 output); the scale is ×100 (``scale=100``: Table 1 reports
a mean of 0.574, which fits coefficients in percent — China's digital coefficients of
manufacturing industries are 0.2–2.7 per cent in 2005 and 0.06–0.8 per cent in 2015 in the OECD
tables, 2021 edition); ``vagg_in`` is in million USD,
unscaled, with ``log=True`` for its logarithm. Cities in the analysis sample without census
output, and sectors without a shift, are an error by default or, when asked, excluded and
counted (a sector is then dropped in every year and the city's shares renormalised over the
sectors that remain, so the shares stay fixed over time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from vagg.data.cic_isic import cic_to_isic, isic_to_iot2021
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

__all__ = ["ShiftShareMeasure", "bartik_vagg", "census_shares", "vagg_in"]

Missing = Literal["raise", "exclude"]


@dataclass
class ShiftShareMeasure(CityMeasure):
    """A shift-share measure with the shares and shifts it was built from.

    Attributes
    ----------
    shares : polars.DataFrame
        (city_code, sector, share): the base-year shares actually used (after any exclusion),
        summing to 1 within each city.
    shifts : polars.DataFrame
        (year, sector, shift): the shifts actually used.
    scale : float
        The factor applied to Σ share·shift.
    """

    shares: pl.DataFrame | None = None
    shifts: pl.DataFrame | None = None
    scale: float = 1.0


def _sector_map(codes: list[str], sector_map: Any, table: str) -> dict[str, str]:
    """CIC code → IOT 2021 sector, from vagg's rules or a user's (cic4, isic4 | sector) table."""
    if sector_map is None:
        isic = cic_to_isic(codes, where=f"{table}.cic4")
        return dict(zip(codes, isic_to_iot2021(isic, where=f"{table}.cic4 → isic4"), strict=True))
    frame = codes_as_text(as_polars(sector_map, "sector_map"), "sector_map", ["cic4"])
    require(frame, "sector_map", ["cic4"])
    unique_key(frame, "sector_map", ["cic4"])
    if "sector" in frame.columns:
        mapping = dict(zip(frame["cic4"], frame["sector"].cast(pl.String), strict=True))
    elif "isic4" in frame.columns:
        isic = frame["isic4"].cast(pl.String).to_list()
        sectors = isic_to_iot2021(isic, where="sector_map.isic4")
        mapping = dict(zip(frame["cic4"].to_list(), sectors, strict=True))
    else:
        raise SchemaError("sector_map", None, "needs a column 'sector' or 'isic4' beside 'cic4'")
    unknown = sorted(set(codes) - set(mapping))
    if unknown:
        raise SchemaError(
            table,
            "cic4",
            f"{len(unknown)} CIC code(s) not in sector_map",
            n_bad=len(unknown),
            examples=unknown,
        )
    return mapping


def census_shares(
    census: Any,
    *,
    sector_map: Any = None,
    city: str = "city_code",
    industry: str = "cic4",
    output: str = "output",
) -> CityMeasure:
    """Base-year shares output_{s,c} / output_c of each city over input–output sectors.

    Parameters
    ----------
    census : pandas or polars DataFrame
        The 2004 economic census by city and industry (canonical table ``census_2004``): one row
        per (``city``, ``industry``) with ``output`` ≥ 0 (gross industrial output; any currency,
        shares are unit-free).
    sector_map : DataFrame, optional
        (cic4, isic4) or (cic4, sector) to replace vagg's CIC → ISIC Rev.4 rules
        (:func:`vagg.data.cic_isic.cic_to_isic`); ``sector`` is an OECD IOT 2021 code.
    city, industry, output : str
        Column names.

    Returns
    -------
    CityMeasure
        ``data``: (city_code, sector, output, share), shares summing to 1 within each city;
        ``excluded``: cities whose 2004 output is zero in every sector.

    Raises
    ------
    SchemaError
        Missing columns, duplicated (city, industry), missing or negative output, or CIC codes
        with no sector (listed).
    """
    frame = as_polars(census, "census_2004")
    require(frame, "census_2004", [city, industry, output])
    frame = codes_as_text(frame, "census_2004", [city, industry])
    frame = require_numeric(frame, "census_2004", [output])
    unique_key(frame, "census_2004", [city, industry])
    value = pl.col(output)
    raise_if_rows(frame, "census_2004", output, value.is_null() | value.is_nan(), "missing output")
    raise_if_rows(frame, "census_2004", output, value < 0, "output must be non-negative")
    codes = sorted(frame[industry].unique().to_list())
    mapping = _sector_map(codes, sector_map, "census_2004")
    by_sector = (
        frame.with_columns(pl.col(industry).replace_strict(mapping).alias("sector"))
        .group_by(pl.col(city).alias("city_code"), "sector")
        .agg(pl.col(output).sum().alias("output"))
    )
    totals = by_sector.group_by("city_code").agg(pl.col("output").sum().alias("_total"))
    empty = totals.filter(pl.col("_total") <= 0)["city_code"].to_list()
    data = (
        by_sector.join(totals, on="city_code")
        .filter(pl.col("_total") > 0)
        .with_columns((pl.col("output") / pl.col("_total")).alias("share"))
        .drop("_total")
        .sort("city_code", "sector")
    )
    notes = ["sectors: OECD IOT 2021 industries of the census CIC codes"]
    excluded = {"city with zero census output": len(empty)} if empty else {}
    return CityMeasure(like(data, census), frame.height, excluded, notes)


def _shift_table(shifts: Any, shift: str, years: Iterable[int] | None) -> pl.DataFrame:
    frame = as_polars(shifts, "shifts")
    require(frame, "shifts", ["year", "sector", shift])
    frame = codes_as_text(frame, "shifts", ["sector"])
    frame = year_int(frame, "shifts")
    frame = require_numeric(frame, "shifts", [shift])
    unique_key(frame, "shifts", ["year", "sector"])
    frame = frame.select("year", "sector", pl.col(shift).fill_nan(None).alias("shift"))
    if years is not None:
        wanted = sorted({int(y) for y in years})
        missing = sorted(set(wanted) - set(frame["year"].unique().to_list()))
        if missing:
            raise SchemaError("shifts", "year", f"no shifts for year(s) {missing}")
        frame = frame.filter(pl.col("year").is_in(wanted))
    return frame


def bartik_vagg(
    census: Any,
    shifts: Any,
    *,
    shift: str = "virtual",
    name: str = "vagg",
    scale: float = 100.0,
    years: Iterable[int] | None = None,
    cities: Iterable[str] | Any = None,
    sector_map: Any = None,
    missing_cities: Missing = "raise",
    missing_sectors: Missing = "raise",
) -> ShiftShareMeasure:
    """City virtual agglomeration as a shift-share of digital-service inputs (paper 001 eq. 22).

    vagg_ct = scale · Σ_s (output_{s,c,2004} / output_{c,2004}) · Virtual_st
    (Goldsmith-Pinkham, Sorkin & Swift 2020). The shares come from :func:`census_shares`;
    ``shifts`` is typically :func:`vagg.data.oecd_io.digital_shifts` of the OECD table.

    Parameters
    ----------
    census : DataFrame
        2004 census output by (city_code, cic4) (see :func:`census_shares`).
    shifts : DataFrame
        (year, sector, ``shift``) with ``sector`` an OECD IOT 2021 code; one row per key.
    shift : str
        The shift column ("virtual", the coefficient sum, for vagg; "data_input" for vagg_in).
    name : str
        Name of the output column.
    scale : float
        Factor on the sum (default 100: coefficients in percent, as Table 1's mean of 0.574
        implies).
    years : iterable of int, optional
        Years to build (default: every year of ``shifts``); a year without shifts is an error.
    cities : iterable of str or DataFrame with ``city_code``, optional
        The cities that need a value (e.g. the analysis panel's); those without census output
        are an error (``missing_cities="raise"``) or left out and counted (``"exclude"``).
        Default: every census city.
    sector_map : DataFrame, optional
        Replaces vagg's CIC → sector rules (see :func:`census_shares`).
    missing_cities : {"raise", "exclude"}
        What to do with ``cities`` that the census lacks.
    missing_sectors : {"raise", "exclude"}
        What to do with census sectors that have no shift (no row, or a null shift such as a
        sector with zero output) in some year: an error naming sectors and years, or the sector
        is dropped in every year and the shares renormalised (counted: sectors and census rows;
        each city's covered output share is in the ``coverage`` column).

    Returns
    -------
    ShiftShareMeasure
        ``data``: (city_code, year, ``name``, coverage); ``shares`` and ``shifts`` as used.

    Raises
    ------
    SchemaError
        Bad census or shifts tables, cities missing from the census, sectors missing from the
        shifts (with the default ``"raise"``), each naming the table, column and codes.
    """
    if missing_cities not in ("raise", "exclude") or missing_sectors not in ("raise", "exclude"):
        raise SchemaError(
            "bartik_vagg", None, "missing_cities and missing_sectors must be 'raise' or 'exclude'"
        )
    base = census_shares(census, sector_map=sector_map)
    shares = as_polars(base.data, "census_2004")
    excluded = dict(base.excluded)
    table = _shift_table(shifts, shift, years)
    year_list = sorted(table["year"].unique().to_list())
    sectors = sorted(shares["sector"].unique().to_list())
    grid = pl.DataFrame({"sector": sectors}).join(
        pl.DataFrame({"year": year_list}, schema={"year": pl.Int64}), how="cross"
    )
    have = grid.join(table, on=["year", "sector"], how="left")
    gaps = have.filter(pl.col("shift").is_null())
    if gaps.height:
        bad = sorted(set(gaps["sector"].to_list()))
        if missing_sectors == "raise":
            first = gaps.head(5).select("sector", "year").rows()
            raise SchemaError(
                "shifts",
                "sector",
                f"census sector(s) {bad} have no {shift!r} shift in some year, e.g. "
                f"(sector, year) {first}; pass missing_sectors='exclude' to drop them",
                n_bad=gaps.height,
            )
        excluded["sector without shift (sectors)"] = len(bad)
        excluded["census city-sector rows in those sectors"] = shares.filter(
            pl.col("sector").is_in(bad)
        ).height
        shares = shares.filter(~pl.col("sector").is_in(bad))
    totals = shares.group_by("city_code").agg(pl.col("share").sum().alias("coverage"))
    shares = shares.join(totals, on="city_code").filter(pl.col("coverage") > 0)
    shares = shares.with_columns((pl.col("share") / pl.col("coverage")).alias("share"))
    n_census_cities = totals.height
    cities_out = sorted(shares["city_code"].unique().to_list())
    if n_census_cities > len(cities_out):
        excluded["city with output only in sectors without shift"] = n_census_cities - len(
            cities_out
        )
    if cities is not None:
        wanted = _city_list(cities)
        absent = sorted(set(wanted) - set(cities_out))
        if absent and missing_cities == "raise":
            raise SchemaError(
                "census_2004",
                "city_code",
                f"{len(absent)} city(ies) of the sample have no census output; pass "
                "missing_cities='exclude' to leave them out",
                n_bad=len(absent),
                examples=absent,
            )
        if absent:
            excluded["sample city missing from the census"] = len(absent)
        shares = shares.filter(pl.col("city_code").is_in(wanted))
    values = (
        shares.join(table, on="sector", how="inner")
        .group_by("city_code", "year")
        .agg(
            (pl.lit(scale) * (pl.col("share") * pl.col("shift")).sum()).alias(name),
            pl.col("coverage").first(),
        )
        .sort("city_code", "year")
    )
    notes = [*base.notes, f"shift column {shift!r}, scale ×{scale:g}"]
    return ShiftShareMeasure(
        data=like(values, census),
        n_input=base.n_input,
        excluded=excluded,
        notes=notes,
        shares=shares.select("city_code", "sector", "share"),
        shifts=table.filter(pl.col("sector").is_in(shares["sector"].unique().to_list())),
        scale=scale,
    )


def _city_list(cities: Any) -> list[str]:
    if isinstance(cities, str):
        raise SchemaError("cities", None, "must be a collection of city codes, not one string")
    if hasattr(cities, "columns"):
        frame = as_polars(cities, "cities")
        require(frame, "cities", ["city_code"])
        return sorted({str(c) for c in frame["city_code"].to_list()})
    return sorted({str(c) for c in cities})


def vagg_in(
    census: Any,
    shifts: Any,
    *,
    shift: str = "data_input",
    log: bool = False,
    scale: float = 1.0,
    **options: Any,
) -> ShiftShareMeasure:
    """The data-input variant of the Bartik measure (paper 001 Table 4 col. 1, ``vagg_in``).

    vagg_in_ct = scale · Σ_s share_{s,c,2004} · DataInput_st, with DataInput_st = Σ_{d∈D} Z_{d,s,t}
    the intermediate use of digital services by sector s (million USD; the ``data_input`` column
    of :func:`vagg.data.oecd_io.digital_shifts`). The paper replaces "直接消耗系数" by
    "数据要素投入量" without stating units or a log [spec R/C]; ``log=True`` returns
    ln(vagg_in) (a city with vagg_in ≤ 0 is then null and counted).

    Parameters
    ----------
    census, shifts : DataFrame
        As for :func:`bartik_vagg`.
    shift : str
        The flow column of ``shifts`` (default "data_input").
    log : bool
        Return the natural logarithm.
    scale : float
        Factor on the sum (default 1: million USD).
    **options
        ``years``, ``cities``, ``sector_map``, ``missing_cities``, ``missing_sectors`` of
        :func:`bartik_vagg`.

    Returns
    -------
    ShiftShareMeasure
        ``data``: (city_code, year, vagg_in, coverage).
    """
    out = bartik_vagg(census, shifts, shift=shift, name="vagg_in", scale=scale, **options)
    if log:
        frame = as_polars(out.data, "vagg_in")
        bad = int((frame["vagg_in"] <= 0).sum())
        frame = frame.with_columns(
            pl.when(pl.col("vagg_in") > 0)
            .then(pl.col("vagg_in").log())
            .otherwise(None)
            .alias("vagg_in")
        )
        if bad:
            out.excluded["city-year with vagg_in <= 0 (log undefined, null)"] = bad
        out.data = like(frame, census)
        out.notes.append("vagg_in in logs")
    return out
