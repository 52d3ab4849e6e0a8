"""The disk cache of derived frames: atomic writes, and reading a stored frame back.

A derived frame is stored as ``<stem>.pl.parquet`` (polars), ``<stem>.pd.parquet`` (pandas) or
``<stem>.pkl`` (any other value), next to ``<stem>.json`` holding the rows its derivation
excluded. Every file is written to a temporary name and renamed, so a file that exists is
complete and an interrupted run resumes from what it finished (design.md, "Standards").
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl

__all__ = ["atomic_write", "read_cached", "write_cached"]


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """``write(temporary)`` then rename onto ``path``: readers see all of it or nothing.

    The temporary file sits next to ``path`` (same file system, so the rename is atomic) and
    is removed if ``write`` fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_cached(stem: Path, value: Any, notes: list[dict[str, Any]]) -> None:
    """Store ``value`` and its exclusion ``notes`` under ``stem`` (atomically)."""
    sidecar = stem.with_name(stem.name + ".json")
    atomic_write(sidecar, lambda p: p.write_text(json.dumps({"dropped": notes}), encoding="utf-8"))
    if isinstance(value, pl.DataFrame):
        atomic_write(stem.with_name(stem.name + ".pl.parquet"), value.write_parquet)
    elif isinstance(value, pd.DataFrame):
        atomic_write(stem.with_name(stem.name + ".pd.parquet"), value.to_parquet)
    else:

        def dump(path: Path) -> None:
            with path.open("wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)

        atomic_write(stem.with_name(stem.name + ".pkl"), dump)


def read_cached(stem: Path) -> tuple[Any, list[dict[str, Any]]] | None:
    """The stored value and its exclusion notes, or None when absent or unreadable."""
    sidecar = stem.with_name(stem.name + ".json")
    readers: list[tuple[str, Callable[[Path], Any]]] = [
        (".pl.parquet", pl.read_parquet),
        (".pd.parquet", pd.read_parquet),
        (".pkl", lambda p: pickle.loads(p.read_bytes())),
    ]
    for suffix, read in readers:
        path = stem.with_name(stem.name + suffix)
        if not path.is_file():
            continue
        try:
            value = read(path)
            notes = json.loads(sidecar.read_text(encoding="utf-8"))["dropped"]
        except Exception:  # an unreadable cache file is recomputed, never trusted
            return None
        return value, list(notes)
    return None
