"""A synthetic dataset assembled from parts: its ``manifest.json`` and ``truth.json``.

The manifest of a synthetic dataset names the generator, version, scale, seed and reference
files, the rows and file hashes of every table, and (``parts``) which parts of
:mod:`vagg.data.synth.parts` the folder holds, with the tables and truth keys each wrote.
Only complete parts are listed: a part being written is left out until its files are all on
disk, and the manifest is always replaced in one rename. ``truth.json`` is the merge of the
parts' truth fragments in registry order, so a dataset built part by part has the same
``truth.json`` and (timings aside) the same manifest as one built in one go.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from vagg._version import __version__
from vagg.data.hashing import GENERATOR, directory_hashes, file_sha256, read_synthetic_manifest
from vagg.data.synth.parts import ALL_PARTS, PARTS, PartError

__all__ = [
    "PartOutput",
    "assemble",
    "matching_manifest",
    "merge_truth",
    "split_truth",
    "write_json",
]


@dataclass
class PartOutput:
    """What generating one part wrote: its files by table, its truth fragment (top-level
    keys of ``truth.json`` and its ``entries``) and how long it took."""

    files: dict[str, list[Path]]
    truth: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def write_json(path: Path, content: Any, *, indent: int = 2, ensure_ascii: bool = True) -> None:
    """Write ``content`` as JSON to a temporary file and rename it onto ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(
            json.dumps(content, indent=indent, ensure_ascii=ensure_ascii), encoding="utf-8"
        )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@functools.lru_cache(maxsize=1)
def generator_source_hash() -> str:
    """SHA-256 over the source files of the generator (``vagg/data/synth/*.py``, in name
    order): a cached economy written by other generator code is not reused, even under the
    same package version."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def matching_manifest(
    folder: Path, scale: str, seed: int, reference_dir: Path | None = None
) -> dict[str, Any] | None:
    """The manifest of ``folder`` when it holds parts of the economy this vagg generates for
    ``scale``, ``seed`` and the reference files in ``reference_dir``: same generator version
    and source (:func:`generator_source_hash`), scale, seed and reference hashes, a ``parts``
    record, ``truth.json``, and every file the
    manifest lists on disk. None otherwise (no dataset, another economy, a missing file, or a
    manifest written before datasets had parts)."""
    manifest = read_synthetic_manifest(folder)
    if manifest is None:
        return None
    same = (
        manifest.get("version") == __version__
        and manifest.get("generator_source") == generator_source_hash()
        and manifest.get("scale") == scale
        and manifest.get("seed") == seed
        and manifest.get("reference_files", {}) == directory_hashes(reference_dir)
        and isinstance(manifest.get("parts"), dict)
    )
    if not same or not (folder / "truth.json").is_file():
        return None
    complete = all(
        (folder / name).is_file()
        for table in manifest.get("tables", {}).values()
        for name in table.get("files", {})
    )
    if not complete:
        return None
    # a part written before it declared all its current tables is not kept: regenerated
    manifest["parts"] = {
        part: record
        for part, record in manifest["parts"].items()
        if part in PARTS and set(PARTS[part].tables) <= set(record.get("tables", ()))
    }
    return manifest


def merge_truth(fragments: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``truth.json`` from the parts' fragments, merged in registry order: each fragment's
    top-level keys in its order, then ``entries`` (the union of the fragments' entries).
    Two parts defining the same key is an error."""
    merged: dict[str, Any] = {}
    entries: dict[str, Any] = {}
    for part in ALL_PARTS:
        for key, value in fragments.get(part, {}).items():
            target, new = (entries, value) if key == "entries" else (merged, {key: value})
            clash = sorted(set(target) & set(new))
            if clash:
                raise PartError(f"truth keys {clash} of part {part!r} are defined twice")
            target.update(new)
    merged["entries"] = entries
    return merged


def split_truth(truth: Mapping[str, Any], parts: Mapping[str, Any]) -> dict[str, dict]:
    """The fragments of a merged ``truth.json``, by the keys each part's manifest record
    lists (``truth_keys``, ``truth_entries``)."""
    entries = truth.get("entries", {})
    fragments = {}
    for part, record in parts.items():
        fragment = {k: truth[k] for k in record.get("truth_keys", []) if k in truth}
        fragment["entries"] = {
            k: entries[k] for k in record.get("truth_entries", []) if k in entries
        }
        fragments[part] = fragment
    return fragments


def _table_record(out: Path, paths: list[Path]) -> dict[str, Any]:
    rows = sum(pl.scan_parquet(p).select(pl.len()).collect().item() for p in paths)
    return {
        "rows": int(rows),
        "files": {p.relative_to(out).as_posix(): file_sha256(p) for p in paths},
    }


def assemble(
    out: Path,
    *,
    scale: str,
    seed: int,
    reference_dir: Path | None,
    kept: Mapping[str, Any] | None,
    outputs: Mapping[str, PartOutput],
) -> dict[str, Any]:
    """Write ``truth.json`` and then ``manifest.json`` of ``out`` for the parts in ``kept``
    (the manifest already there, whose parts not in ``outputs`` are kept) and the parts just
    generated (``outputs``). Returns the manifest."""
    old_parts = dict((kept or {}).get("parts", {}))
    old_tables = dict((kept or {}).get("tables", {}))
    fragments: dict[str, dict] = {}
    if kept:
        old_truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
        fragments = split_truth(old_truth, old_parts)
    records: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    timings = dict((kept or {}).get("timings_s", {}))
    for part in ALL_PARTS:
        if part in outputs:
            output = outputs[part]
            fragments[part] = output.truth
            records[part] = {
                "tables": sorted(output.files),
                "truth_keys": [k for k in output.truth if k != "entries"],
                "truth_entries": list(output.truth.get("entries", {})),
            }
            tables.update({name: _table_record(out, p) for name, p in output.files.items()})
            timings[part] = round(output.seconds, 2)
        elif part in old_parts:
            records[part] = old_parts[part]
            tables.update({name: old_tables[name] for name in old_parts[part]["tables"]})
    truth = merge_truth({p: fragments[p] for p in records})
    write_json(out / "truth.json", truth, ensure_ascii=False)
    manifest = {
        "generator": GENERATOR,
        "version": __version__,
        "generator_source": generator_source_hash(),
        "scale": scale,
        "seed": seed,
        "reference_files": directory_hashes(reference_dir),
        "parts": records,
        "tables": dict(sorted(tables.items())),
        "timings_s": {p: timings[p] for p in ALL_PARTS if p in timings and p in records},
    }
    write_json(out / "manifest.json", manifest)
    return manifest
