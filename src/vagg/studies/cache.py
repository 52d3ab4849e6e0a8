"""The disk cache of derived frames: atomic writes, and reading a stored frame back.

A derived frame is stored as ``<stem>.pl.parquet`` (polars), ``<stem>.pd.parquet`` (pandas) or
``<stem>.pkl`` (any other value), next to ``<stem>.json`` holding the rows its derivation
excluded. Every file is written to a temporary name and renamed, so a file that exists is
complete and an interrupted run resumes from what it finished (design.md, "Standards").
:func:`build_entry` caches a table entry's output the same way, by :func:`entry_key`.
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

__all__ = ["atomic_write", "build_entry", "entry_key", "read_cached", "write_cached"]


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


def entry_key(data: Any, study: str, entry: Any) -> str:
    """SHA-256 of what a table entry's build depends on: the data's content hash, the study,
    entry, options, seed, language and disclosure threshold, the source of its build function
    and helpers, and the source of vagg's data, measure, estimator and report code."""
    import hashlib

    import vagg
    from vagg.studies.fingerprint import callable_fingerprint, code_fingerprint, stable_json

    report = Path(vagg.__file__).parent / "report"
    digest = hashlib.sha256()
    for path in sorted(report.rglob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    content = {
        "data": data.data_hash,
        "study": study,
        "entry": entry.key,
        "options": stable_json(data.options),
        "seed": data.seed,
        "lang": data.lang,
        "min_firms": data.min_firms,
        "function": callable_fingerprint(entry.build),
        "code": code_fingerprint(),
        "report": digest.hexdigest(),
    }
    return hashlib.sha256(stable_json(content).encode()).hexdigest()


def build_entry(entry: Any, data: Any, engine: Any, study: str) -> tuple[Any, bool]:
    """``entry.build(data, engine)``, cached on disk by :func:`entry_key` in
    ``<cache_dir>/entries/`` when ``data`` has a cache folder, so that a run killed half-way
    resumes where it stopped. Rows the build excluded are stored with it and recorded again
    when it is read back. Returns the output and whether it came from the cache; an output
    that cannot be stored (not picklable) is simply not cached."""
    if data.cache_dir is None:
        return entry.build(data, engine), False
    stem = (
        Path(data.cache_dir)
        / "entries"
        / f"{study}.{entry.key}-{entry_key(data, study, entry)[:20]}"
    )
    loaded = read_cached(stem)
    if loaded is not None:
        value, notes = loaded
        for note in notes:
            data.note_dropped(note["stage"], note["dropped"], n_input=note["n_input"])
        return value, True
    before = len(data.exclusions)
    value = entry.build(data, engine)
    try:
        write_cached(stem, value, list(data.exclusions[before:]))
    except Exception:  # a value pickle cannot hold is recomputed next time, never an error
        pass
    return value, False
