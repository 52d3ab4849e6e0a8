"""Writes the paper-001 tables of the synthetic economy into a dataset folder, with their truth.

Kept apart from :mod:`vagg.data.synth.city_trade` (which generates the economy) and
:mod:`vagg.data.synth.city_trade_truth` (which computes the estimands from it), so that neither
of those imports the other back.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vagg.data.synth.city_trade import generate_quality_cities
from vagg.data.synth.city_trade_truth import population_truth

__all__ = ["write_quality_cities"]


def _write(frame: pd.DataFrame, path: Path, chunk: int = 1_000_000) -> None:
    """Parquet with categorical columns stored as plain strings (what a user's file holds),
    converted and written ``chunk`` rows at a time so that the strings of a 10⁷-row table are
    never all in memory at once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    try:
        for start in range(0, max(len(frame), 1), chunk):
            table = pa.Table.from_pandas(frame.iloc[start : start + chunk], preserve_index=False)
            columns = [
                col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col
                for col in table.columns
            ]
            table = pa.Table.from_arrays(columns, names=table.column_names)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            elif table.schema != writer.schema:
                table = table.cast(writer.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def write_quality_cities(out: str | Path, scale: str, seed: int) -> dict:
    """Write the paper-001 tables as Parquet under ``out/quality_cities/``.

    Parameters
    ----------
    out : str or pathlib.Path
        The dataset folder.
    scale : str
        "tiny", "small" or "paper".
    seed : int
        The economy's seed.

    Returns
    -------
    dict
        The truth entries (``quality_cities.*``) to merge into ``truth.json``.
    """
    from threadpoolctl import threadpool_limits

    econ = generate_quality_cities(scale, seed)
    folder = Path(out) / "quality_cities"
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in econ.tables.items():
        _write(frame, folder / f"{name[3:]}.parquet")
    # the truth's dense algebra is on small matrices (a few hundred rows): one BLAS thread,
    # as more only wait on each other when the cores are busy
    with threadpool_limits(1):
        return population_truth(econ)
