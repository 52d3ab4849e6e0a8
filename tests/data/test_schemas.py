"""Schema violations of each kind give an error naming the table, the column and the rows."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.data.schemas import SCHEMAS, get_schema, validate


def _customs(**overrides: object) -> pd.DataFrame:
    row = {
        "party_id": "3301100001",
        "firm_name": "杭州华安纺织有限公司",
        "year": 2005,
        "flow": "export",
        "regime": "10",
        "hs8": "61091000",
        "partner": "USA",
        "quantity": 10.0,
        "unit": "piece",
        "value_usd": 100.0,
        "city_code": "330100",
        "zip": "310000",
        "phone": "057186001234",
    }
    frame = pd.DataFrame([row, {**row, "hs8": "61099000"}, {**row, "partner": "JPN"}])
    for column, (position, value) in overrides.items():
        frame[column] = frame[column].astype(object)
        frame.loc[position, column] = value
    return frame


def test_valid_table_passes_and_gets_canonical_dtypes() -> None:
    out = validate(_customs(), SCHEMAS["customs"])
    assert out.height == 3
    assert out.schema["year"] == pl.Int64
    assert out["hs8"].to_list()[0] == "61091000"


def test_missing_required_column_is_named() -> None:
    with pytest.raises(SchemaError, match=r"table 'customs', column 'value_usd'.*missing"):
        validate(_customs().drop(columns="value_usd"), SCHEMAS["customs"])


def test_duplicate_key_names_rows_and_values() -> None:
    frame = pd.concat([_customs(), _customs().iloc[[0]]], ignore_index=True)
    with pytest.raises(SchemaError) as info:
        validate(frame, SCHEMAS["customs"])
    err = info.value
    assert err.table == "customs" and err.column is None
    assert err.rows == [0, 3] and err.n_bad == 2
    assert "duplicate key" in str(err)


def test_negative_quantity_is_rejected_with_row() -> None:
    with pytest.raises(SchemaError) as info:
        validate(_customs(quantity=(1, -5.0)), SCHEMAS["customs"])
    assert info.value.column == "quantity" and info.value.rows == [1]
    assert "must be >= 0" in str(info.value)


def test_unknown_regime_code_is_rejected() -> None:
    with pytest.raises(SchemaError, match=r"column 'regime': unknown values.*rows \[2\]"):
        validate(_customs(regime=(2, "99")), SCHEMAS["customs"])


def test_malformed_hs_code_is_rejected() -> None:
    with pytest.raises(SchemaError, match=r"column 'hs8': malformed codes.*'6109100'"):
        validate(_customs(hs8=(0, "6109100")), SCHEMAS["customs"])


def test_numeric_code_column_is_refused_because_zeros_are_lost() -> None:
    frame = _customs()
    frame["hs8"] = [61091000, 61099000, 61091000]
    with pytest.raises(SchemaError, match="leading zeros"):
        validate(frame, SCHEMAS["customs"])


def test_wrong_type_names_the_rows_that_cannot_be_cast() -> None:
    with pytest.raises(SchemaError) as info:
        validate(_customs(value_usd=(1, "n/a")), SCHEMAS["customs"])
    assert info.value.column == "value_usd" and info.value.rows == [1]
    assert "cannot be read as float" in str(info.value)


def test_fractional_integer_is_rejected() -> None:
    frame = _customs()
    frame["year"] = [2005.0, 2005.5, 2005.0]
    with pytest.raises(SchemaError, match=r"column 'year': must hold whole numbers"):
        validate(frame, SCHEMAS["customs"])


def test_missing_value_in_required_column() -> None:
    with pytest.raises(SchemaError, match=r"column 'firm_name': missing values.*rows \[1\]"):
        validate(_customs(firm_name=(1, None)), SCHEMAS["customs"])


def test_nullable_column_accepts_missing() -> None:
    out = validate(_customs(zip=(0, None)), SCHEMAS["customs"])
    assert out["zip"].null_count() == 1


def test_unknown_table_lists_known_ones() -> None:
    with pytest.raises(KeyError, match="known tables"):
        get_schema("customs_tx")


def test_every_schema_key_is_a_column() -> None:
    for schema in SCHEMAS.values():
        assert set(schema.key) <= set(schema.column_names), schema.name
        if schema.partition_by:
            assert schema.partition_by in schema.column_names
