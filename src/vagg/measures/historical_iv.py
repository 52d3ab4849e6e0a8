"""The historical instruments of paper 001 (Table 3 cols. 5–6): 1984 telephones and post offices
of each city interacted with national Internet investment.

    IV^tel_ct  = Tel_c,1984  × NetInv_t
    IV^post_ct = Post_c,1984 × NetInv_t

following Nunn & Qian (2014) and 黄群慧、余泳泽、张松林 (2019, 中国工业经济): the 1984 stock of
fixed telephones and of post offices (the bodies that installed fixed lines) is a city's
historical exposure to telecommunication infrastructure, and the national series supplies the
time variation. With city and year fixed effects the level of each factor is absorbed and the
interaction identifies the effect. Conventions the paper leaves open (spec 001 §2.3, §8):
per-capita or total 1984 counts (``per_capita``: divide by the 1984 population), and the
current or previous year's investment (``lag``). Written here: it is one product, but the
inputs are checked and every city without 1984 data is counted.
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
    year_int,
)

__all__ = ["historical_iv"]


def _base_1984(cities: Any, city: str, columns: list[str], population: str | None) -> pl.DataFrame:
    """One row per city with the 1984 columns; a panel with constant 1984 values is accepted."""
    frame = as_polars(cities, "cities_1984")
    needed = [city, *columns, *([population] if population else [])]
    require(frame, "cities_1984", needed)
    frame = codes_as_text(frame, "cities_1984", [city])
    frame = require_numeric(frame, "cities_1984", needed[1:])
    frame = frame.select(needed).unique()
    conflict = frame.filter(pl.col(city).is_duplicated())
    if conflict.height:
        raise SchemaError(
            "cities_1984",
            city,
            "a city has different 1984 values in different rows",
            n_bad=conflict.height,
            examples=sorted(set(conflict[city].to_list()))[:5],
        )
    for column in needed[1:]:
        raise_if_rows(frame, "cities_1984", column, pl.col(column) < 0, "must be non-negative")
    return frame


def historical_iv(
    cities: Any,
    national: Any,
    *,
    years: Any = None,
    city: str = "city_code",
    telephones: str = "telephones_1984",
    post_offices: str = "post_offices_1984",
    investment: str = "internet_investment",
    per_capita: bool = False,
    population: str | None = None,
    lag: int = 0,
    missing: Literal["raise", "exclude"] = "raise",
) -> CityMeasure:
    """The two historical instruments of paper 001: 1984 telephones / post offices × NetInv_t.

    Parameters
    ----------
    cities : DataFrame
        One row per city with its 1984 counts (or a city-year panel whose 1984 columns are
        constant within city, as the ``city_panel`` table stores them).
    national : DataFrame
        (year, ``investment``): national Internet investment (the ``national_series`` table's
        ``internet_investment``).
    years : iterable of int, optional
        Years of the instrument (default: every year of ``national``, less ``lag``).
    city, telephones, post_offices, investment : str
        Column names.
    per_capita : bool
        Divide the 1984 counts by ``population`` (the 1984 population).
    population : str, optional
        Column of the 1984 population, required with ``per_capita=True``.
    lag : int
        Use NetInv_{t−lag} (0: current year, the default).
    missing : {"raise", "exclude"}
        Cities with a missing 1984 count: an error naming them, or left out and counted.

    Returns
    -------
    CityMeasure
        ``data``: (city_code, year, iv_tel, iv_post).

    Raises
    ------
    SchemaError
        Missing columns, conflicting 1984 values, negative counts, missing cities (default),
        or years without national investment (named).
    """
    if per_capita and population is None:
        raise SchemaError("historical_iv", None, "per_capita=True needs population= (1984)")
    if lag < 0:
        raise SchemaError("historical_iv", None, f"lag must be >= 0, got {lag}")
    base = _base_1984(cities, city, [telephones, post_offices], population if per_capita else None)
    counts = [telephones, post_offices] + ([population] if per_capita and population else [])
    incomplete = base.filter(pl.any_horizontal([pl.col(c).is_null() for c in counts]))
    if incomplete.height and missing == "raise":
        raise SchemaError(
            "cities_1984",
            telephones,
            "cities without 1984 telephones, post offices or population; pass "
            "missing='exclude' to leave them out",
            n_bad=incomplete.height,
            examples=incomplete[city].to_list()[:5],
        )
    base = base.drop_nulls(counts)
    if per_capita and population is not None:
        raise_if_rows(
            base,
            "cities_1984",
            population,
            pl.col(population) <= 0,
            "1984 population must be positive",
        )
        base = base.with_columns(
            (pl.col(c) / pl.col(population)).alias(c) for c in (telephones, post_offices)
        )
    series = as_polars(national, "national_series")
    require(series, "national_series", ["year", investment])
    series = require_numeric(year_int(series, "national_series"), "national_series", [investment])
    have = dict(zip(series["year"].to_list(), series[investment].to_list(), strict=True))
    wanted = sorted({int(y) for y in years}) if years is not None else sorted(y + lag for y in have)
    absent = [y for y in wanted if have.get(y - lag) is None]
    if absent:
        raise SchemaError(
            "national_series",
            investment,
            f"no national Internet investment for year(s) {sorted({y - lag for y in absent})} "
            f"(needed for instrument years {absent}, lag {lag})",
        )
    inv = pl.DataFrame(
        {"year": wanted, "_inv": [float(have[y - lag]) for y in wanted]},
        schema={"year": pl.Int64, "_inv": pl.Float64},
    )
    data = (
        base.join(inv, how="cross")
        .select(
            pl.col(city).alias("city_code"),
            "year",
            (pl.col(telephones) * pl.col("_inv")).alias("iv_tel"),
            (pl.col(post_offices) * pl.col("_inv")).alias("iv_post"),
        )
        .sort("city_code", "year")
    )
    excluded = {"city without 1984 data": incomplete.height} if incomplete.height else {}
    notes = [f"per_capita={per_capita}", f"NetInv lag {lag}"]
    return CityMeasure(like(data, cities), base.height + incomplete.height, excluded, notes)
