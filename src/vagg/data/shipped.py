"""Reading the CSV files shipped in ``vagg/data/resources`` (geography, classifications)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from vagg.data.concordance import ReferenceDataError

__all__ = [
    "read_resource",
    "to_bool",
]


def read_resource(name: str) -> pd.DataFrame:
    """A shipped CSV, every column as text (codes keep their leading zeros)."""
    path = resources.files("vagg.data").joinpath("resources", name)
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def to_bool(frame: pd.DataFrame, column: str, table: str) -> pd.Series:
    """A true/false text column as booleans; other values are an error naming the rows."""
    values = frame[column].str.strip().str.lower()
    bad = ~values.isin(["true", "false"])
    if bad.any():
        rows = list(frame.index[bad][:5])
        raise ReferenceDataError(
            f"{table}: column '{column}' must be true/false; offending rows {rows}"
        )
    return values == "true"
