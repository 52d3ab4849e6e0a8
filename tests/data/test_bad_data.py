"""Bad datasets, one test per case: ``check_dataset`` / ``vagg data check`` and the readers.

Each case edits a copy of a small dataset (a subset of the tiny synthetic economy, seed 0) in
one way and asserts the one-line problem names the table, the column or file, and the rows.
The cases are the tables in docs/data.md ("Bad inputs and what vagg says").
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from typer.testing import CliRunner

from vagg.cli import app
from vagg.data.check import check_dataset
from vagg.data.io import ReadError, read_table

TABLES = ("firms", "customs", "industries", "cities", "provinces", "products", "national_series")


@pytest.fixture
def source(tiny_economy: Path) -> Path:
    return tiny_economy


def _edit(path: Path, fn: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    fn(pl.read_parquet(path)).write_parquet(path)


def _problems(ds: Path, required: tuple[str, ...] = ()) -> list[str]:
    report = check_dataset(ds, required=required)
    assert not report.ok
    return report.problems


def test_clean_subset_passes(ds: Path) -> None:
    assert check_dataset(ds, required=TABLES).problems == []


def test_required_table_missing(ds: Path) -> None:
    shutil.rmtree(ds / "customs")
    (problem,) = _problems(ds, required=("customs",))
    assert problem.startswith("table 'customs': required but missing")


def test_duplicate_key_across_partitions(ds: Path) -> None:
    first = next((ds / "firms" / "year=2000").glob("*.parquet"))
    pl.read_parquet(first).head(3).write_parquet(first.with_name("part-1.parquet"))
    (problem,) = _problems(ds)
    assert "firms (across partitions)" in problem and "duplicate key" in problem


def test_partition_year_differs_from_year_column(ds: Path) -> None:
    part = next((ds / "firms" / "year=2001").glob("*.parquet"))
    _edit(part, lambda f: f.with_columns(pl.lit(1999).alias("year")))
    (problem,) = _problems(ds)
    assert "firms (year=2001)" in problem and "'year'" in problem and "year=2001" in problem


def test_reference_checked_whatever_the_table_order(ds: Path) -> None:
    # cities are read before provinces in alphabetical order: the check must still run
    _edit(
        ds / "cities.parquet",
        lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) == 0)
            .then(pl.lit("99"))
            .otherwise(pl.col("province_code"))
            .alias("province_code")
        ),
    )
    (problem,) = _problems(ds)
    assert "table 'cities', column 'province_code'" in problem and "provinces" in problem
    assert "rows [0]" in problem


def test_hs_code_not_in_products(ds: Path) -> None:
    part = next((ds / "customs" / "year=2003").glob("*.parquet"))
    _edit(
        part,
        lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) == 1)
            .then(pl.lit("99999999"))
            .otherwise(pl.col("hs8"))
            .alias("hs8")
        ),
    )
    (problem,) = _problems(ds)
    assert "column 'hs8'" in problem and "products.hs6" in problem and "99999999" in problem
    assert problem.endswith("in file 'customs/year=2003/part-0.parquet'")


def test_empty_table(ds: Path) -> None:
    _edit(ds / "products.parquet", lambda f: f.head(0))
    problems = _problems(ds)
    assert "table 'products': the table has no rows" in problems


def test_shadowing_file(ds: Path) -> None:
    pl.read_parquet(next((ds / "firms").glob("*/*.parquet"))).write_csv(ds / "firms.csv")
    (problem,) = _problems(ds)
    assert problem == "table 'firms': given by 2 files (firms/, firms.csv); keep one"


def test_zero_exchange_rate(ds: Path) -> None:
    _edit(
        ds / "national_series.parquet",
        lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) == 2)
            .then(0.0)
            .otherwise(pl.col("rmb_per_usd"))
            .alias("rmb_per_usd")
        ),
    )
    (problem,) = _problems(ds)
    assert "column 'rmb_per_usd'" in problem and "> 0" in problem and "rows [2]" in problem


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")], ids=str)
def test_nan_and_inf_in_a_money_column(ds: Path, bad: float) -> None:
    part = next((ds / "firms" / "year=2002").glob("*.parquet"))
    _edit(
        part,
        lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) == 4).then(bad).otherwise(pl.col("sales")).alias("sales")
        ),
    )
    (problem,) = _problems(ds)
    assert "firms (year=2002)" in problem and "'sales'" in problem and "NaN or ±inf" in problem
    assert "rows [4]" in problem


def test_every_problem_is_reported_not_only_the_first(ds: Path) -> None:
    _edit(ds / "products.parquet", lambda f: f.head(0))
    pl.read_parquet(next((ds / "firms").glob("*/*.parquet"))).write_csv(ds / "firms.csv")
    shutil.rmtree(ds / "customs")
    problems = _problems(ds, required=("customs",))
    assert len(problems) == 3


def test_truncated_parquet_names_file_and_table(ds: Path) -> None:
    part = next((ds / "customs" / "year=2004").glob("*.parquet"))
    part.write_bytes(part.read_bytes()[:200])
    (problem,) = _problems(ds)
    assert problem.startswith("table 'customs', file '") and "year=2004" in problem
    assert "truncated or corrupt" in problem and "\n" not in problem


def test_empty_csv(tmp_path: Path) -> None:
    (tmp_path / "industries.csv").write_bytes(b"")
    with pytest.raises(ReadError, match=r"table 'industries', file '.*industries.csv': .*empty"):
        read_table(tmp_path / "industries.csv", "industries")


def test_gbk_csv_says_which_encoding(source: Path, tmp_path: Path) -> None:
    frame = pl.read_parquet(source / "industries.parquet")
    path = tmp_path / "industries.csv"
    path.write_bytes(frame.write_csv().encode("gbk"))
    with pytest.raises(ReadError, match=r'industries.csv.*not UTF-8.*encoding="gbk"'):
        read_table(path, "industries")
    assert read_table(path, "industries", encoding="gbk").equals(frame)


def test_gbk_encoding_from_the_column_map(source: Path, tmp_path: Path) -> None:
    frame = pl.read_parquet(source / "industries.parquet")
    path = tmp_path / "industries.csv"
    path.write_bytes(frame.write_csv().encode("gbk"))
    assert read_table(path, "industries", column_map={"@encoding": "gbk"}).equals(frame)


def test_excel_title_row_with_header_row(source: Path, tmp_path: Path) -> None:
    frame = pl.read_parquet(source / "industries.parquet").to_pandas()
    path = tmp_path / "industries.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["2004年 行业表"]]).to_excel(writer, index=False, header=False)
        frame.to_excel(writer, index=False, startrow=1)
    with pytest.raises(ReadError, match=r"industries.xlsx.*header_row="):
        read_table(path, "industries")
    read = read_table(path, "industries", header_row=1)
    assert read["cic4"].to_list() == frame["cic4"].to_list()


def test_cli_data_check_prints_every_problem_without_traceback(ds: Path) -> None:
    _edit(ds / "products.parquet", lambda f: f.head(0))
    shutil.rmtree(ds / "customs")
    result = CliRunner().invoke(app, ["data", "check", str(ds), "--study", "dvar_firms"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "table 'customs': required but missing" in result.output
    assert "table 'platform': required but missing" in result.output
    assert "problem(s) found" in result.output


def test_cli_data_check_reads_gbk_with_encoding(ds: Path) -> None:
    frame = pl.read_parquet(ds / "industries.parquet")
    (ds / "industries.parquet").unlink()
    (ds / "industries.csv").write_bytes(frame.write_csv().encode("gbk"))
    bad = CliRunner().invoke(app, ["data", "check", str(ds)])
    assert bad.exit_code == 1 and 'encoding="gbk"' in bad.output
    good = CliRunner().invoke(app, ["data", "check", str(ds), "--encoding", "gbk"])
    assert good.exit_code == 0, good.output


def test_study_data_reads_gbk_with_the_runs_encoding(source: Path, tmp_path: Path) -> None:
    from vagg.studies.data import StudyData

    frame = pl.read_parquet(source / "industries.parquet")
    (tmp_path / "industries.csv").write_bytes(frame.write_csv().encode("gbk"))
    data = StudyData(tmp_path)
    with pytest.raises(ReadError, match='encoding="gbk"'):
        data.table("industries")
    data.encoding = "gbk"
    assert data.table("industries").equals(frame)
