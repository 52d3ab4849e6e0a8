"""Historical instruments of paper 001 (1984 telephones / post offices × national Internet
investment): the product by hand, lag and per-capita options, and bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from vagg.data.errors import SchemaError
from vagg.measures.historical_iv import historical_iv

CITIES = pd.DataFrame(
    {
        "city_code": ["110100", "120100"],
        "telephones_1984": [120.0, 40.0],
        "post_offices_1984": [300.0, 150.0],
        "population_1984": [900.0, 750.0],
    }
)
NATIONAL = pd.DataFrame({"year": [2004, 2005, 2006], "internet_investment": [10.0, 12.0, 15.0]})


def test_product_by_hand() -> None:
    out = historical_iv(CITIES, NATIONAL).data.set_index(["city_code", "year"])
    assert out.loc[("110100", 2005), "iv_tel"] == 120.0 * 12.0
    assert out.loc[("120100", 2006), "iv_post"] == 150.0 * 15.0
    assert len(out) == 6


def test_lag_and_per_capita() -> None:
    out = historical_iv(CITIES, NATIONAL, lag=1, per_capita=True, population="population_1984")
    got = out.data.set_index(["city_code", "year"])
    assert sorted({y for _, y in got.index}) == [2005, 2006, 2007]
    assert got.loc[("110100", 2005), "iv_tel"] == pytest.approx(120 / 900 * 10.0)
    assert "NetInv lag 1" in out.notes


def test_city_panel_with_constant_1984_columns_is_accepted() -> None:
    panel = pd.concat([CITIES.assign(year=2005), CITIES.assign(year=2006)])
    out = historical_iv(panel, NATIONAL, years=[2005])
    assert len(out.data) == 2


def test_conflicting_1984_values_are_an_error() -> None:
    panel = pd.concat([CITIES, CITIES.assign(telephones_1984=[121.0, 40.0])])
    with pytest.raises(SchemaError, match=r"different 1984 values.*110100"):
        historical_iv(panel, NATIONAL)


def test_missing_city_raises_or_is_counted() -> None:
    cities = CITIES.assign(post_offices_1984=[300.0, None])
    with pytest.raises(SchemaError, match=r"cities without 1984.*120100"):
        historical_iv(cities, NATIONAL)
    out = historical_iv(cities, NATIONAL, missing="exclude")
    assert out.excluded == {"city without 1984 data": 1}
    assert set(out.data["city_code"]) == {"110100"}


def test_year_without_investment_is_named() -> None:
    with pytest.raises(SchemaError, match=r"Internet investment for year\(s\) \[2007\]"):
        historical_iv(CITIES, NATIONAL, years=[2006, 2007])


def test_per_capita_needs_population() -> None:
    with pytest.raises(SchemaError, match="population"):
        historical_iv(CITIES, NATIONAL, per_capita=True)


def test_negative_count_names_rows() -> None:
    with pytest.raises(SchemaError, match=r"telephones_1984.*non-negative"):
        historical_iv(CITIES.assign(telephones_1984=[-1.0, 40.0]), NATIONAL)
