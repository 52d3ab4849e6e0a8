"""The frame toolkit: adapters keep the frame type, and row checks follow one null policy."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.data.frames import (
    FrameError,
    as_lazy,
    as_pandas,
    as_polars,
    check_rows,
    check_unique_key,
    like,
    raise_if_rows,
    raise_unmatched_codes,
    require_columns,
    rows_text,
)


def test_adapters_convert_each_frame_type() -> None:
    frame = pd.DataFrame({"a": [1, 2]}, index=[5, 7])
    polars = as_polars(frame)
    assert isinstance(polars, pl.DataFrame) and polars["a"].to_list() == [1, 2]
    assert as_polars(polars.lazy()).equals(polars)
    assert isinstance(as_lazy(frame), pl.LazyFrame)
    assert as_pandas(polars)["a"].tolist() == [1, 2]
    assert as_pandas(frame) is frame
    assert isinstance(like(polars, frame), pd.DataFrame)
    assert like(polars, polars) is polars


def test_mixed_object_column_is_read_as_text() -> None:
    frame = pd.DataFrame({"code": ["01", 2, None]})
    assert as_polars(frame)["code"].to_list() == ["01", "2", None]


def test_a_non_frame_is_a_type_error_naming_the_table() -> None:
    with pytest.raises(FrameError, match=r"table 'firms'.*got list") as caught:
        as_polars([1, 2], "firms")
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, ValueError)


def test_missing_columns_are_named() -> None:
    with pytest.raises(SchemaError, match=r"table 'firms', column 'year'.*\['year'\]"):
        require_columns(pl.DataFrame({"firm_id": ["a"]}), "firms", ["firm_id", "year"])


def test_null_mask_is_not_a_failure() -> None:
    frame = pl.DataFrame({"x": [1.0, None, 3.0]})
    raise_if_rows(frame, "t", "x", pl.col("x") < 0, "negative")  # the null row passes
    check_rows(frame.lazy(), "t", [(pl.col("x") < 0, "x", "negative")])


def test_a_check_that_rejects_nulls_says_so_and_names_the_rows() -> None:
    frame = pl.DataFrame({"x": [1.0, None, -3.0, None]})
    bad = pl.col("x").is_null() | (pl.col("x") < 0)
    with pytest.raises(SchemaError, match=r"column 'x': missing or negative \(3 rows") as caught:
        check_rows(frame, "t", [(bad, "x", "missing or negative")])
    assert caught.value.rows == [1, 2, 3]


def test_row_col_reports_the_users_row_numbers() -> None:
    frame = pl.DataFrame({"_row": [10, 20], "x": [-1.0, 2.0]})
    with pytest.raises(SchemaError) as caught:
        check_rows(frame, "t", [(pl.col("x") < 0, "x", "negative")], row_col="_row")
    assert caught.value.rows == [10]


def test_duplicate_keys_name_the_rows() -> None:
    frame = pl.DataFrame({"firm_id": ["a", "b", "a"], "year": [2000, 2000, 2000]})
    with pytest.raises(SchemaError, match="duplicate key") as caught:
        check_unique_key(frame.lazy(), "firms", ["firm_id", "year"])
    assert caught.value.rows == [0, 2] and caught.value.examples == [("a", 2000), ("a", 2000)]


def test_rows_text_shows_five_and_counts_the_rest() -> None:
    assert rows_text(list(range(7))) == "0, 1, 2, 3, 4 (and 2 more)"


def test_unmatched_codes_name_the_rows_and_the_distinct_codes() -> None:
    frame = pl.DataFrame(
        {"cic4": ["1310", "9999", "9999", "0001"], "sector": [1, None, None, None]}
    )
    with pytest.raises(SchemaError, match="no IO sector") as caught:
        raise_unmatched_codes(frame, "firms", "cic4", pl.col("sector").is_null(), "no IO sector")
    assert caught.value.rows == [1, 2, 3] and caught.value.n_bad == 3
    assert caught.value.examples == ["0001", "9999"]
