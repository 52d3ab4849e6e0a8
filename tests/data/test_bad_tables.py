"""Bad dataset folders, one test per case (docs/data.md, "Bad inputs and what vagg says"):
``check_dataset`` (``vagg data check``) reports each as one line naming the table, the file
or column, and the rows; nothing is dropped without a word.

Each test damages a fresh copy of a subset of the tiny synthetic economy (``ds``, from
``tests/data/conftest.py``) in one way.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from vagg.cli import app
from vagg.data.check import check_dataset, schema_problems
from vagg.data.errors import SchemaError
from vagg.data.schemas import Column, TableSchema, validate


def _edit(path: Path, fn: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    fn(pl.read_parquet(path)).write_parquet(path)


def _part(ds: Path, table: str, year: int) -> Path:
    return next((ds / table / f"year={year}").glob("*.parquet"))


def _set(column: str, row: int, value: object) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Replace one cell (``row`` 0-based) of ``column``."""

    def fn(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.when(pl.int_range(pl.len()) == row)
            .then(pl.lit(value))
            .otherwise(pl.col(column))
            .alias(column)
        )

    return fn


def _only_problem(ds: Path, required: tuple[str, ...] = ()) -> str:
    report = check_dataset(ds, required=required)
    assert len(report.problems) == 1, report.problems
    assert "\n" not in report.problems[0]
    return report.problems[0]


# --- files and folders -------------------------------------------------------------------


def test_parquet_file_beside_the_year_folders(ds: Path) -> None:
    shutil.copy(_part(ds, "firms", 2001), ds / "firms" / "part-0.parquet")
    problem = _only_problem(ds)
    assert problem.startswith("table 'firms', file 'firms/part-0.parquet': not read")


def test_csv_file_inside_a_year_folder(ds: Path) -> None:
    pl.read_parquet(_part(ds, "firms", 2001)).write_csv(ds / "firms" / "year=2001" / "extra.csv")
    problem = _only_problem(ds)
    assert problem.startswith("table 'firms', file 'firms/year=2001/extra.csv': not read")


def test_spark_markers_and_hidden_files_are_left_alone(ds: Path) -> None:
    # Spark writes _SUCCESS and .crc files beside its parts; every Parquet reader skips them
    (ds / "customs" / "_SUCCESS").write_bytes(b"")
    (ds / "customs" / "year=2001" / ".part-0.parquet.crc").write_bytes(b"crc")
    assert check_dataset(ds).problems == []


def test_year_folder_holding_only_a_hidden_file(ds: Path) -> None:
    part = _part(ds, "customs", 2006)
    part.rename(part.with_name(".part-0.parquet"))
    problem = _only_problem(ds)
    assert problem.startswith("table 'customs', folder 'customs/year=2006/': holds no Parquet")


def test_year_folder_without_a_file(ds: Path) -> None:
    _part(ds, "customs", 2005).unlink()
    problem = _only_problem(ds)
    assert problem.startswith("table 'customs', folder 'customs/year=2005/': holds no Parquet")


def test_table_folder_without_year_folders(ds: Path) -> None:
    shutil.rmtree(ds / "firms")
    (ds / "firms").mkdir()
    problem = _only_problem(ds)
    assert problem == "table 'firms', folder 'firms/': no Parquet files under year=YYYY/ folders"


def test_year_folder_whose_name_is_not_a_year(ds: Path) -> None:
    (ds / "firms" / "year=2001").rename(ds / "firms" / "year=abc")
    problem = _only_problem(ds)
    assert problem.startswith("table 'firms', file 'firms/year=abc/part-0.parquet': folder")
    assert "'abc' is not a valid year" in problem


def test_year_folder_outside_the_years_a_table_allows(ds: Path) -> None:
    n = pl.read_parquet(_part(ds, "firms", 2001)).height
    (ds / "firms" / "year=2001").rename(ds / "firms" / "year=2099")
    problem = _only_problem(ds)
    assert problem.startswith("table 'firms (year=2099)', column 'year': values must be <= 2030")
    assert f"({n} rows;" in problem


def test_every_partition_empty(ds: Path) -> None:
    for part in (ds / "customs").glob("*/*.parquet"):
        _edit(part, lambda f: f.head(0))
    assert _only_problem(ds) == "table 'customs': the table has no rows"


def test_csv_table_with_a_header_and_no_rows(ds: Path) -> None:
    frame = pl.read_parquet(ds / "national_series.parquet")
    (ds / "national_series.parquet").unlink()
    frame.head(0).write_csv(ds / "national_series.csv")
    assert _only_problem(ds) == "table 'national_series': the table has no rows"


def test_two_files_of_one_unpartitioned_table(ds: Path) -> None:
    pl.read_parquet(ds / "products.parquet").write_csv(ds / "products.csv")
    problem = _only_problem(ds)
    assert (
        problem == "table 'products': given by 2 files (products.parquet, products.csv); keep one"
    )


def test_required_table_under_a_near_miss_name(ds: Path) -> None:
    (ds / "products.parquet").rename(ds / "product.parquet")
    report = check_dataset(ds, required=("products",))
    assert (
        f"table 'products': required but missing from {ds} (product.parquet" in (report.problems[0])
    )
    assert "'product.parquet' is not read" in report.notes[0]


def test_near_miss_name_of_a_table_not_required_is_a_note(ds: Path) -> None:
    pl.read_parquet(ds / "provinces.parquet").write_csv(ds / "Provinces.csv")
    report = check_dataset(ds)
    assert report.ok
    assert report.notes == [
        "'Provinces.csv' is not read: no canonical table has that name (provinces?)"
    ]


def test_reference_table_absent_is_a_note(ds: Path) -> None:
    (ds / "provinces.parquet").unlink()
    report = check_dataset(ds)
    assert report.ok
    expected = (
        "cities.province_code not checked against provinces.province_code: provinces is missing"
    )
    assert report.notes == [expected]


# --- values ------------------------------------------------------------------------------


def test_two_bad_columns_in_one_table_are_both_reported(ds: Path) -> None:
    _edit(
        ds / "products.parquet", lambda f: _set("end_use", 3, "services")(_set("sigma", 7, -1.0)(f))
    )
    problems = check_dataset(ds).problems
    assert len(problems) == 2
    assert "column 'end_use': unknown values" in problems[0] and "rows [3]" in problems[0]
    assert "column 'sigma': values must be >= " in problems[1] and "rows [7]" in problems[1]


def test_nan_in_an_unpartitioned_table(ds: Path) -> None:
    _edit(ds / "products.parquet", _set("sigma", 5, float("nan")))
    problem = _only_problem(ds)
    assert problem.startswith("table 'products', column 'sigma': NaN or ±inf is not allowed")
    assert "rows [5]" in problem and problem.endswith("in file 'products.parquet'")


def test_nan_where_the_schema_allows_it() -> None:
    strict = TableSchema("t", "test", (Column("x", "float", "x"),), key=())
    loose = TableSchema("t", "test", (Column("x", "float", "x", finite=False),), key=())
    frame = pl.DataFrame({"x": [1.0, float("nan"), float("inf"), float("-inf")]})
    assert validate(frame, loose)["x"].is_nan().sum() == 1
    _, problems = schema_problems(frame, strict)
    assert problems == [
        "table 't', column 'x': NaN or ±inf is not allowed (write a missing value as empty/null) "
        "(3 rows; first at rows [1, 2, 3]; values [nan, inf, -inf])"
    ]


def test_negative_exchange_rate(ds: Path) -> None:
    _edit(ds / "national_series.parquet", _set("rmb_per_usd", 0, -8.27))
    problem = _only_problem(ds)
    assert "column 'rmb_per_usd'" in problem and "rows [0]" in problem and "-8.27" in problem


def test_unknown_category_in_one_partition(ds: Path) -> None:
    _edit(_part(ds, "customs", 2003), _set("flow", 2, "exports"))
    problem = _only_problem(ds)
    assert problem.startswith("table 'customs (year=2003)', column 'flow': unknown values")
    assert "rows [2]" in problem and "'exports'" in problem
    assert problem.endswith("in file 'customs/year=2003/part-0.parquet'")


def test_text_in_a_money_column_of_one_partition(ds: Path) -> None:
    _edit(
        _part(ds, "firms", 2004),
        lambda f: _set("sales", 1, "n/a")(f.with_columns(pl.col("sales").cast(pl.String))),
    )
    problem = _only_problem(ds)
    assert problem.startswith("table 'firms (year=2004)', column 'sales': values cannot be read")
    assert "rows [1]" in problem and "'n/a'" in problem
    assert problem.endswith("in file 'firms/year=2004/part-0.parquet'")


def test_missing_key_value_in_one_partition(ds: Path) -> None:
    _edit(_part(ds, "firms", 2000), _set("firm_id", 0, None))
    problem = _only_problem(ds)
    assert problem.startswith("table 'firms (year=2000)', column 'firm_id': missing values")
    assert "rows [0]" in problem


def test_duplicate_key_within_one_partition(ds: Path) -> None:
    _edit(_part(ds, "firms", 2002), lambda f: pl.concat([f, f.slice(3, 1)]))
    problem = _only_problem(ds)
    assert problem.startswith("table 'firms (year=2002)': duplicate key ('firm_id', 'year')")
    assert "(2 rows; first at rows [3," in problem


def test_yes_no_in_a_true_false_column(ds: Path) -> None:
    frame = pl.read_parquet(ds / "industries.parquet")
    (ds / "industries.parquet").unlink()
    text = frame.with_columns(
        pl.when(pl.col("high_tech")).then(pl.lit("yes")).otherwise(pl.lit("no")).alias("high_tech")
    )
    text.write_csv(ds / "industries.csv")
    problem = _only_problem(ds)
    assert problem.startswith(
        "table 'industries', column 'high_tech': values cannot be read as bool"
    )
    assert f"({frame.height} rows;" in problem and problem.endswith("in file 'industries.csv'")


# --- references --------------------------------------------------------------------------


def test_firm_city_not_in_cities(ds: Path) -> None:
    _edit(_part(ds, "firms", 2003), _set("city_code", 6, "999900"))
    problem = _only_problem(ds)
    assert problem.startswith("table 'firms', column 'city_code': codes not found in cities")
    assert "rows [6]" in problem and "'999900'" in problem
    assert problem.endswith("in file 'firms/year=2003/part-0.parquet'")


def test_customs_city_not_in_cities(ds: Path) -> None:
    _edit(_part(ds, "customs", 2001), _set("city_code", 0, "990100"))
    problem = _only_problem(ds)
    assert problem.startswith("table 'customs', column 'city_code': codes not found in cities")
    assert "'990100'" in problem


def test_product_industry_not_in_industries(ds: Path) -> None:
    # products are read after industries and before them alphabetically: order must not matter
    _edit(ds / "products.parquet", _set("cic4", 4, "9999"))
    problem = _only_problem(ds)
    assert problem.startswith("table 'products', column 'cic4': codes not found in industries.cic4")
    assert "rows [4]" in problem


# --- the command line --------------------------------------------------------------------


def test_cli_unknown_study(ds: Path) -> None:
    result = CliRunner().invoke(app, ["data", "check", str(ds), "--study", "no_such_study"])
    assert result.exit_code == 2 and "no_such_study" in result.output
    assert "Traceback" not in result.output


def test_cli_folder_without_canonical_tables(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here")
    result = CliRunner().invoke(app, ["data", "check", str(tmp_path)])
    assert result.exit_code == 1 and "no canonical tables found" in result.output


def test_cli_read_errors_and_schema_errors_together_one_line_each(ds: Path) -> None:
    part = _part(ds, "customs", 2002)
    part.write_bytes(part.read_bytes()[:100])
    _edit(ds / "products.parquet", _set("sigma", 0, float("inf")))
    shutil.copy(_part(ds, "firms", 2000), ds / "firms" / "stray.parquet")
    result = CliRunner().invoke(app, ["data", "check", str(ds)], terminal_width=1000)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("✗")]
    assert len(lines) == 3
    assert "3 problem(s) found" in result.output


def test_schema_error_keeps_its_fields() -> None:
    err = SchemaError("firms (year=2001)", "sales", "values must be >= 0", [4, 9], 2, [-1.0, -2.0])
    assert (err.table, err.column, err.rows, err.n_bad) == ("firms (year=2001)", "sales", [4, 9], 2)
    assert str(err) == (
        "table 'firms (year=2001)', column 'sales': values must be >= 0 "
        "(2 rows; first at rows [4, 9]; values [-1.0, -2.0])"
    )


@pytest.mark.parametrize("reader", ["pandas", "polars", "pyarrow", "duckdb"])
def test_each_reader_opens_the_synthetic_customs_with_its_defaults(
    tiny_economy: Path, reader: str
) -> None:
    """The year folders hold no year column inside the files, so every reader's defaults
    give the same rows and the same years as vagg's reader."""
    expected = pl.read_parquet(tiny_economy / "customs", hive_partitioning=True)
    truth = (expected.height, int(expected["year"].cast(pl.Int64).sum()))
    folder = tiny_economy / "customs"
    if reader == "pandas":
        import pandas as pd

        frame = pd.read_parquet(folder)
        got = (len(frame), int(frame["year"].astype(int).sum()))
    elif reader == "polars":
        lazy = pl.scan_parquet(folder)
        got = tuple(lazy.select(pl.len(), pl.col("year").cast(pl.Int64).sum()).collect().row(0))
    elif reader == "pyarrow":
        import pyarrow.dataset as pads

        assert pads.dataset(folder).count_rows() == truth[0]  # no partitioning by default
        table = pads.dataset(folder, partitioning="hive").to_table()
        got = (table.num_rows, sum(int(y) for y in table.column("year").to_pylist()))
    else:
        import duckdb

        files = str(folder / "*" / "*.parquet")
        sql = f"select count(*), sum(year) from read_parquet('{files}')"
        (got,) = duckdb.sql(sql).fetchall()
    assert tuple(got) == truth


def test_the_study_gate_reports_what_data_check_reports(ds: Path, tmp_path: Path) -> None:
    """``vagg replicate`` checks the data with the same function before any entry."""
    from vagg.studies.data import StudyData
    from vagg.studies.publish import data_gate

    shutil.copy(_part(ds, "firms", 2001), ds / "firms" / "part-0.parquet")
    (ds / "products.parquet").rename(ds / "product.parquet")
    required = ("firms", "customs", "products")
    expected = check_dataset(ds, required=required).problems
    assert len(expected) == 2
    assert expected[0].startswith("table 'products': required but missing")
    assert expected[1].startswith("table 'firms', file 'firms/part-0.parquet': not read")
    assert data_gate(StudyData(ds, cache_dir=tmp_path / "cache"), required) == expected
