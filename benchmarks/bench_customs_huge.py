"""Customs lines → firm × HS6 × destination × year cells at the ``huge`` scale (10⁸ lines).

Data: :func:`vagg.data.synth.customs_stream.write_customs_lines` writes the lines chunk by
chunk (4 million a file) into a Parquet dataset, never holding more than one chunk.

Each engine runs in its own child process, one at a time, reading the same files, and reports
its wall time and peak resident memory (``VmHWM``):

* ``vagg``: :func:`vagg.measures.customs_cells.customs_cells` on ``polars.scan_parquet`` —
  the paper-001 sample with its accounting: exports, intermediaries out, non-positive
  values/quantities out, chapters 01–27 out, one unit per HS6 (dominant by value), cells,
  products with fewer than 100 cells out;
* ``polars``: the core of the same query written directly in polars (filters, HS6 from HS8,
  group-by to cells, sum of value and quantity, line count), ``collect(engine="streaming")``;
* ``duckdb``: that core query in DuckDB SQL over ``read_parquet``.

The polars and DuckDB queries skip the dominant-unit and minimum-cell steps, which need two
more passes; they are the floor a lazy engine can reach on this machine.

Run: ``python benchmarks/bench_customs_huge.py [--lines 100000000] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_KEYWORDS = ("进出口", "经贸", "贸易", "科贸", "外经")


def _peak_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024**2, 2)
    return float("nan")


def _vagg(folder: str) -> dict[str, Any]:
    import polars as pl

    from vagg.measures.customs_cells import customs_cells

    t0 = time.perf_counter()
    res = customs_cells(pl.scan_parquet(f"{folder}/*.parquet"), min_product_cells=100, vintage=2002)
    return {
        "lines": res.n_lines,
        "cells": len(res.cells),
        "excluded": {k: v for k, v in res.excluded_lines.items() if v},
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _polars(folder: str) -> dict[str, Any]:
    import polars as pl

    t0 = time.perf_counter()
    name_hit = pl.col("firm_name").str.contains("|".join(_KEYWORDS))
    cells = (
        pl.scan_parquet(f"{folder}/*.parquet")
        .filter(
            (pl.col("flow") == "export")
            & ~name_hit
            & (pl.col("value_usd") > 0)
            & (pl.col("quantity") > 0)
            & (pl.col("hs8").str.slice(0, 2).cast(pl.Int32) >= 28)
        )
        .with_columns(pl.col("hs8").str.slice(0, 6).alias("hs6"))
        .group_by("party_id", "city_code", "hs6", "partner", "year", "unit")
        .agg(pl.col("value_usd").sum(), pl.col("quantity").sum(), pl.len().alias("n_lines"))
        .collect(engine="streaming")
    )
    return {"cells": cells.height, "seconds": round(time.perf_counter() - t0, 1)}


def _duckdb(folder: str) -> dict[str, Any]:
    import duckdb

    t0 = time.perf_counter()
    keywords = " OR ".join(f"firm_name LIKE '%{k}%'" for k in _KEYWORDS)
    con = duckdb.connect()
    n = con.execute(
        f"""
        SELECT count(*) FROM (
            SELECT party_id, city_code, substr(hs8, 1, 6) AS hs6, partner, year, unit,
                   sum(value_usd), sum(quantity), count(*)
            FROM read_parquet('{folder}/*.parquet')
            WHERE flow = 'export' AND NOT ({keywords}) AND value_usd > 0 AND quantity > 0
              AND CAST(substr(hs8, 1, 2) AS INTEGER) >= 28
            GROUP BY ALL
        )
        """
    ).fetchone()
    return {"cells": int(n[0]) if n else 0, "seconds": round(time.perf_counter() - t0, 1)}


_ENGINES = {"vagg": _vagg, "polars": _polars, "duckdb": _duckdb}


def _child(engine: str, folder: str) -> None:
    out = {"engine": engine, **_ENGINES[engine](folder), "peak_gb": _peak_gb()}
    print(json.dumps(out, ensure_ascii=False))


def _run(engine: str, folder: str, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", engine, folder]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"engine": engine, "error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return {"engine": engine, "error": f"exit {proc.returncode}: {tail[0]}"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000_000)
    parser.add_argument("--keep", help="write the lines here and keep them (default: temp)")
    parser.add_argument("--engines", default="vagg,polars,duckdb")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    from vagg.data.synth.customs_stream import write_customs_lines

    with tempfile.TemporaryDirectory(prefix="bench_customs_huge_") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp) / "customs"
        if not (folder / "part-00000.parquet").exists():
            written = write_customs_lines(folder, args.lines, progress=None)
            size = sum(p.stat().st_size for p in folder.glob("*.parquet")) / 1024**3
            print(
                f"wrote {written['lines']:,} lines of {written['firms']:,} firms in "
                f"{len(written['files'])} files ({size:.1f} GB) in {written['seconds']} s, "
                f"peak {_peak_gb()} GB",
                flush=True,
            )
        for engine in filter(None, args.engines.split(",")):
            print(json.dumps(_run(engine, str(folder), args.timeout), ensure_ascii=False))


if __name__ == "__main__":
    main()
