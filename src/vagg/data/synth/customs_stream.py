"""Customs lines at any size, written chunk by chunk: the ``huge`` scale of the customs data.

Real users hold 10⁷–10⁸ customs lines (HS8 × destination × month records of China Customs).
:func:`write_customs_lines` writes a Parquet dataset of that size in the canonical customs
columns (the input of :func:`vagg.measures.customs_cells.customs_cells`) without ever holding
more than one chunk in memory, so the lazy aggregation can be measured at the real size on a
small machine (``benchmarks/bench_customs_huge.py``).

The lines come from primitives, not from any measure: firms of Zipf-like size, each in a city
and with a name (a share of them trade intermediaries, whose names carry the keywords of Ahn,
Khandelwal & Wei 2011); HS 2002 products of Zipf-like popularity, each with one declared unit
(a small share of lines declared in another unit); trade relations firm × product ×
destination × year drawn first (one per ``lines_per_relation`` lines, as monthly shipments
repeat a relation), then each line a relation and a month; log unit values with product,
firm and line terms; log export values normal. Chunk ``i``
draws from its own stream (``customs_stream:i``), so the same seed and chunk size give the
same files on any machine, and chunks could be written in parallel.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from vagg.data.synth.config import stream
from vagg.errors import VaggError

__all__ = ["HUGE_LINES", "write_customs_lines"]

HUGE_LINES = 100_000_000
"""Lines of the ``huge`` scale (the upper end of the papers' customs data)."""

_UNITS = ("千克", "个", "台", "件", "米")
_MIXED_UNIT_SHARE = 0.01
_INTERMEDIARY_SHARE = 0.03


def _products(seed: int, n_products: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HS8 codes (chapters 28–97: the paper keeps manufactures), each product's unit and log
    base price."""
    rng = stream(seed, "customs_stream:products")
    hs6 = np.sort(rng.choice(np.arange(280_000, 970_000), n_products, replace=False))
    hs8 = hs6 * 100 + rng.integers(0, 100, n_products)
    unit = rng.integers(0, len(_UNITS), n_products)
    return hs8, unit, rng.normal(0.0, 1.2, n_products)


def _firms(seed: int, n_firms: int) -> pl.DataFrame:
    """Party id, name and city of every firm, and its log price premium."""
    rng = stream(seed, "customs_stream:firms")
    idx = np.arange(n_firms)
    trader = rng.random(n_firms) < _INTERMEDIARY_SHARE
    suffix = np.where(trader, "进出口贸易有限公司", "制造有限公司")
    return pl.DataFrame(
        {
            "party_id": pl.Series(idx + 3_100_000_000, dtype=pl.Int64).cast(pl.String),
            "firm_name": pl.Series([f"企业{i}" for i in idx]) + pl.Series(suffix),
            "city_code": pl.Series(110_100 + 100 * rng.integers(0, 300, n_firms), dtype=pl.Int32),
            "premium": rng.normal(0.0, 0.4, n_firms),
        }
    )


def _zipf_index(rng: np.random.Generator, n: int, size: int, exponent: float) -> np.ndarray:
    """``size`` draws from 0..n−1 with P(k) ∝ (k + 1)^−exponent (inverse CDF on a grid)."""
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    cdf = np.cumsum(weights)
    return np.searchsorted(cdf, rng.random(size) * cdf[-1]).astype(np.int64)


def write_customs_lines(
    out: str | Path,
    n_lines: int = HUGE_LINES,
    *,
    seed: int = 0,
    chunk_lines: int = 4_000_000,
    n_firms: int | None = None,
    n_products: int = 5_000,
    n_partners: int = 200,
    lines_per_relation: float = 6.0,
    first_year: int = 2000,
    last_year: int = 2015,
    progress: Callable[[str, float], None] | None = None,
) -> dict[str, Any]:
    """Write ``n_lines`` customs export lines to ``out/part-NNNNN.parquet``, one file a chunk.

    Columns: party_id, firm_name, city_code, year, month, flow ("export"), hs8, partner,
    value_usd, quantity, unit — the canonical customs table of :mod:`vagg.data.schemas`.
    ``n_firms`` defaults to one firm per 300 lines (at least 1,000). Peak memory is about
    one chunk (≈ 0.1 KB a line) plus the relations (8 bytes each). Returns what was written:
    lines, relations, files, firms, seconds.
    """
    if n_lines < 1 or chunk_lines < 1:
        raise VaggError(
            f"customs lines: n_lines and chunk_lines must be positive, got {n_lines}, {chunk_lines}"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n_firms = n_firms or max(1_000, n_lines // 300)
    started = time.perf_counter()
    hs8, unit, base = _products(seed, n_products)
    firms = _firms(seed, n_firms)
    premium = firms["premium"].to_numpy()
    firms = firms.drop("premium")
    units = pl.Series("unit", _UNITS)
    years = last_year - first_year + 1
    rng = stream(seed, "customs_stream:relations")
    n_relations = max(1, int(n_lines / lines_per_relation))
    rel_firm = _zipf_index(rng, n_firms, n_relations, 0.9)
    rel_product = _zipf_index(rng, n_products, n_relations, 0.8)
    rel_partner = rng.integers(100, 100 + n_partners, n_relations).astype(np.int16)
    rel_year = (first_year + rng.integers(0, years, n_relations)).astype(np.int16)
    files = []
    n_chunks = -(-n_lines // chunk_lines)
    for i in range(n_chunks):
        rng = stream(seed, f"customs_stream:{i}")
        size = min(chunk_lines, n_lines - i * chunk_lines)
        relation = rng.integers(0, n_relations, size)
        firm = rel_firm[relation]
        product = rel_product[relation]
        declared = np.where(
            rng.random(size) < _MIXED_UNIT_SHARE,
            (unit[product] + 1 + rng.integers(0, len(_UNITS) - 1, size)) % len(_UNITS),
            unit[product],
        )
        log_value = rng.normal(9.0, 1.8, size)
        log_price = base[product] + premium[firm] + rng.normal(0.0, 0.5, size)
        chunk = firms[firm].with_columns(
            pl.Series("year", rel_year[relation], dtype=pl.Int16),
            pl.Series("month", rng.integers(1, 13, size), dtype=pl.Int8),
            pl.lit("export").alias("flow"),
            pl.Series("hs8", hs8[product]).cast(pl.String),
            pl.Series("partner", rel_partner[relation]).cast(pl.String),
            pl.Series("value_usd", np.round(np.exp(log_value), 2)),
            pl.Series("quantity", np.round(np.exp(log_value - log_price), 3)),
            units.gather(declared).alias("unit"),
        )
        path = out / f"part-{i:05d}.parquet"
        chunk.write_parquet(path, row_group_size=500_000)
        files.append(path.name)
        del chunk
        if progress is not None:
            progress(f"chunk {i + 1}/{n_chunks}", (i + 1) / n_chunks)
    return {
        "lines": n_lines,
        "files": files,
        "firms": n_firms,
        "relations": n_relations,
        "products": n_products,
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
    }
