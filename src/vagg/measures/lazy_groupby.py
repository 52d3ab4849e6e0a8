"""Group-by sums of a lazy polars query in bounded memory, with DuckDB doing the hash table.

A streaming polars group-by keeps its whole hash table and the result in memory: customs
lines aggregated to ~17 million firm × HS6 × destination × year cells with string keys need
more than 9 GB. DuckDB's hash aggregation works under a memory limit and spills to disk
beyond it. :func:`lazy_group_sums` therefore lets polars evaluate the row-level query (the
filters and derived columns, defined once in polars) in streaming batches, hands the batches
to DuckDB as an Arrow stream, and has DuckDB sum, count, drop thin groups and sort. The
result comes back batch by batch, so it is held once (as polars), never twice.

Reference: DuckDB documentation, "Memory management" and "Out-of-core processing"
(https://duckdb.org/docs/stable/guides/performance/how_to_tune_workloads).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence

import duckdb
import polars as pl
import pyarrow as pa

__all__ = ["DUCKDB_MEMORY_LIMIT", "lazy_group_sums"]

DUCKDB_MEMORY_LIMIT = "2GB"
"""DuckDB's working memory for one aggregation; beyond it DuckDB spills to a temporary
folder. The result itself comes on top of it."""

_BATCH_ROWS = 1_000_000


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _arrow_stream(lf: pl.LazyFrame) -> pa.RecordBatchReader:
    """The rows of ``lf`` as an Arrow stream, evaluated by polars' streaming engine."""
    batches = lf.collect_batches(chunk_size=_BATCH_ROWS, maintain_order=False, engine="streaming")

    def arrow_batches() -> Iterator[pa.RecordBatch]:
        for frame in batches:
            yield from frame.to_arrow().to_batches()

    it = arrow_batches()
    first = next(it, None)
    if first is None:
        empty = lf.clear().collect().to_arrow()
        return pa.RecordBatchReader.from_batches(empty.schema, empty.to_batches())

    def chained() -> Iterator[pa.RecordBatch]:
        yield first
        yield from it

    return pa.RecordBatchReader.from_batches(first.schema, chained())


def lazy_group_sums(
    lf: pl.LazyFrame,
    keys: Sequence[str],
    sums: Sequence[str],
    *,
    count: str,
    sort_by: Sequence[str],
    thin: tuple[str, int] | None = None,
    memory_limit: str = DUCKDB_MEMORY_LIMIT,
) -> tuple[pl.DataFrame, dict[str, float]]:
    """Sum ``sums`` and count rows by ``keys``; drop thin groups of groups; sort.

    For every distinct ``keys`` tuple: Σ of each column of ``sums`` and the row count (column
    ``count``). With ``thin = (column, n)``, result rows whose ``column`` value occurs in
    fewer than ``n`` result rows are dropped (paper 001's "products with fewer than 100
    observations") and their totals returned. Rows are sorted by ``sort_by`` (nulls first,
    strings in byte order, as polars sorts). Key columns keep their polars dtypes; sums are
    Float64 and the count Int64. Equal to ``lf.group_by(keys).agg(...)`` up to the order of
    floating-point additions.

    Parameters
    ----------
    lf : polars.LazyFrame
        Row-level query; only ``keys`` and ``sums`` are read from it.
    keys, sums : sequence of str
        Group key columns; numeric columns to sum.
    count : str
        Name of the row-count column.
    sort_by : sequence of str
        Output order (columns of the result).
    thin : (str, int), optional
        Column and minimum number of result rows per value of it.
    memory_limit : str
        DuckDB's memory limit (e.g. "2GB"); beyond it DuckDB spills to a temporary folder.

    Returns
    -------
    (polars.DataFrame, dict of str to float)
        The groups kept, and the totals (each of ``sums`` and ``count``) of the groups
        dropped as thin (zeros without ``thin``).
    """
    keys, sums = list(keys), list(sums)
    schema = lf.collect_schema()
    reader = _arrow_stream(lf.select([*keys, *[pl.col(c).cast(pl.Float64) for c in sums]]))
    group = ", ".join(_q(k) for k in keys)
    aggs = ", ".join(f"sum({_q(c)}) AS {_q(c)}" for c in sums)
    order = ", ".join(f"{_q(c)} ASC NULLS FIRST" for c in sort_by)
    dropped = dict.fromkeys([*sums, count], 0.0)
    with tempfile.TemporaryDirectory(prefix="vagg_duckdb_") as spill:
        con = duckdb.connect(
            config={
                "memory_limit": memory_limit,
                "temp_directory": spill,
                "preserve_insertion_order": False,
            }
        )
        try:
            con.register("_rows", reader)
            con.execute(
                f"CREATE TEMP TABLE _agg AS SELECT {group}, {aggs}, count(*) AS {_q(count)} "
                f"FROM _rows GROUP BY {group}"
            ).fetchall()
            con.unregister("_rows")
            source = "_agg"
            if thin is not None:
                column, n_min = thin
                col = _q(column)
                con.execute(
                    f"CREATE TEMP TABLE _thin AS SELECT {col} FROM _agg GROUP BY {col} "
                    f"HAVING count(*) < {int(n_min)}"
                ).fetchall()
                totals = ", ".join(f"sum({_q(c)})" for c in [*sums, count])
                (row,) = con.execute(
                    f"SELECT {totals} FROM _agg SEMI JOIN _thin USING ({col})"
                ).fetchall()
                dropped = {c: float(v or 0.0) for c, v in zip([*sums, count], row, strict=True)}
                source = f"(SELECT * FROM _agg ANTI JOIN _thin USING ({col}))"
            out = con.sql(f"SELECT * FROM {source} ORDER BY {order}").to_arrow_reader(_BATCH_ROWS)
            parts = [pl.DataFrame(batch) for batch in out]
        finally:
            con.close()
    frame = pl.concat(parts, how="vertical", rechunk=False) if parts else None
    target = pl.Schema(
        [
            *[(k, schema[k]) for k in keys],
            *[(c, pl.Float64()) for c in sums],
            (count, pl.Int64()),
        ]
    )
    if frame is None:
        return pl.DataFrame(schema=target), dropped
    return frame.cast(target), dropped
