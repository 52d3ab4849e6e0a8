"""The ``huge`` customs lines written chunk by chunk: reproducible, in the canonical columns,
and aggregated by :func:`vagg.measures.customs_cells.customs_cells` with an accounting that
matches counts taken independently from the files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from vagg.data.synth.customs_stream import write_customs_lines
from vagg.errors import VaggError
from vagg.measures.customs_cells import customs_cells


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.parquet")):
        h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lines")
    written = write_customs_lines(folder, 250_000, seed=3, chunk_lines=100_000)
    assert written["files"] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    return folder


def test_the_lines_are_chunked_exact_and_reproducible(lines: Path, tmp_path: Path) -> None:
    frame = pl.read_parquet(lines / "*.parquet")
    assert frame.height == 250_000
    assert [pl.read_parquet(p).height for p in sorted(lines.glob("*.parquet"))] == [
        100_000,
        100_000,
        50_000,
    ]
    again = tmp_path / "again"
    write_customs_lines(again, 250_000, seed=3, chunk_lines=100_000)
    assert _digest(again) == _digest(lines)
    other = tmp_path / "other"
    write_customs_lines(other, 250_000, seed=4, chunk_lines=100_000)
    assert _digest(other) != _digest(lines)


def test_customs_cells_accounts_for_every_line(lines: Path) -> None:
    frame = pl.read_parquet(lines / "*.parquet")
    res = customs_cells(pl.scan_parquet(lines / "*.parquet"), min_product_cells=0, vintage=2002)
    assert res.n_lines == frame.height
    # independent counts from the files: the trader names and the lines in a non-dominant unit
    traders = frame.filter(pl.col("firm_name").str.contains("进出口"))
    assert res.excluded_lines["intermediary"] == traders.height
    kept = frame.join(traders.select("party_id").unique(), on="party_id", how="anti")
    kept = kept.with_columns(pl.col("hs8").str.slice(0, 6).alias("hs6"))
    by_unit = kept.group_by("hs6", "unit").agg(pl.col("value_usd").sum())
    dominant = by_unit.sort("value_usd", descending=True).group_by("hs6").first()
    off_unit = kept.join(dominant.select("hs6", "unit"), on=["hs6", "unit"], how="anti")
    assert res.excluded_lines["unit_not_dominant_in_hs6"] == off_unit.height
    assert 0.005 < off_unit.height / kept.height < 0.015  # about 1% planted
    assert int(res.cells["n_lines"].sum()) == kept.height - off_unit.height
    assert float(res.cells["value_usd"].sum()) == pytest.approx(
        float(kept["value_usd"].sum() - off_unit["value_usd"].sum()), rel=1e-9
    )


@pytest.mark.parametrize(("n", "chunk"), [(0, 10), (10, 0)])
def test_a_non_positive_size_is_refused(n: int, chunk: int, tmp_path: Path) -> None:
    with pytest.raises(VaggError, match="must be positive"):
        write_customs_lines(tmp_path, n, chunk_lines=chunk)
