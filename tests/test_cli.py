"""The command line: version, synth and data check, including a corrupted dataset."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from vagg import __version__
from vagg.cli import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_synth_then_check_then_corrupt(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    result = runner.invoke(app, ["synth", "--scale", "tiny", "--seed", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").exists() and (out / "truth.json").exists()

    ok = runner.invoke(app, ["data", "check", str(out)])
    assert ok.exit_code == 0, ok.output
    assert "all tables valid" in ok.output

    # an export with a negative value in one year's customs partition
    part = next((out / "customs").glob("year=2003/*.parquet"))
    frame = pl.read_parquet(part)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(-1.0)
        .otherwise(pl.col("value_usd"))
        .alias("value_usd")
    )
    frame.write_parquet(part)
    bad = runner.invoke(app, ["data", "check", str(out)])
    assert bad.exit_code == 1
    assert "customs (year=2003)" in bad.output and "value_usd" in bad.output
    assert "[3]" in bad.output


def test_unknown_firm_industry_is_reported(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    assert runner.invoke(app, ["synth", "--scale", "tiny", "--out", str(out)]).exit_code == 0
    part = next((out / "firms").glob("year=2001/*.parquet"))
    frame = pl.read_parquet(part).with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("9999"))
        .otherwise(pl.col("cic4"))
        .alias("cic4")
    )
    frame.write_parquet(part)
    bad = runner.invoke(app, ["data", "check", str(out)])
    assert bad.exit_code == 1
    assert "codes not found in industries.cic4" in bad.output


def test_bad_scale_and_missing_folder(tmp_path: Path) -> None:
    assert runner.invoke(app, ["synth", "--scale", "huge", "--out", str(tmp_path)]).exit_code == 2
    assert runner.invoke(app, ["data", "check", str(tmp_path / "nope")]).exit_code == 2
