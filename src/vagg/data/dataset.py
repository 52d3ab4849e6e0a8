"""Datasets on disk: their content hash and the cache of synthetic economies.

A dataset is a folder of canonical tables (``docs/data.md``). :func:`dataset_hash` gives its
content hash (what results and derived frames are keyed by); :func:`synthetic_dataset` gives
the synthetic economy at a scale and seed, generated once into a cache folder and reused
while its manifest matches (:func:`synthetic_matches`). Studies and the command line read
datasets only through this module (design.md, "The synthetic economy").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from vagg.data.hashing import file_sha256, read_synthetic_manifest
from vagg.errors import VaggError
from vagg.locks import clean_partials, exclusive, shared

__all__ = [
    "DatasetError",
    "dataset_hash",
    "dataset_lock",
    "synthetic_dataset",
    "synthetic_matches",
]


class DatasetError(VaggError):
    """A dataset folder cannot be used or written (not a folder, not a vagg dataset)."""


def dataset_hash(dataset: str | Path) -> tuple[str, str]:
    """A content hash of a dataset folder and what it was computed from.

    Every file the readers can open is hashed by its bytes (relative path and SHA-256 of each
    file; hidden files and folders left out), so that editing any value of any table changes
    the hash. A synthetic dataset's ``manifest.json`` enters without its ``timings_s`` (the
    only part that differs between two generations of the same economy). The generator's
    claims in that manifest are never trusted in place of the bytes: a dataset edited after
    it was generated gets a new hash.

    Parameters
    ----------
    dataset : str or pathlib.Path
        The dataset folder.

    Returns
    -------
    tuple of (str, str)
        The hex digest and ``"files"`` (what it was computed from).
    """
    root = Path(dataset)
    synthetic = read_synthetic_manifest(root)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if relative.as_posix() == "manifest.json" and synthetic is not None:
            content = {k: v for k, v in synthetic.items() if k != "timings_s"}
            text = json.dumps(content, sort_keys=True, ensure_ascii=True)
            sha = hashlib.sha256(text.encode()).hexdigest()
        else:
            sha = file_sha256(path)
        digest.update(f"{relative.as_posix()}\0{sha}\n".encode())
    return digest.hexdigest(), "files"


def synthetic_matches(
    folder: Path,
    scale: str,
    seed: int,
    reference_dir: Path | None = None,
    parts: Iterable[str] | str | None = None,
) -> bool:
    """Whether ``folder`` holds the synthetic economy this vagg would generate for ``scale``
    and ``seed``, with at least ``parts`` (None: every part) and what they require: its
    manifest names the same generator version, scale, seed and reference files, lists those
    parts, and every file it lists and ``truth.json`` exist."""
    from vagg.data.synth.assembly import matching_manifest
    from vagg.data.synth.parts import resolve_parts

    wanted = resolve_parts(parts)
    manifest = matching_manifest(Path(folder), scale, seed, reference_dir)
    return manifest is not None and set(wanted) <= set(manifest["parts"])


def synthetic_dataset(
    scale: str,
    seed: int,
    cache_dir: str | Path,
    *,
    parts: Iterable[str] | str | None = None,
    reference_dir: str | Path | None = None,
    progress: Callable[[str, float], None] | None = None,
    waiting: Callable[[str], None] | None = None,
) -> tuple[Path, bool]:
    """The synthetic economy at ``scale`` and ``seed`` in ``<cache_dir>/<scale>-seed<seed>/``,
    with at least the ``parts`` asked for (:mod:`vagg.data.synth.parts`; None: all).

    Reused when :func:`synthetic_matches`. Otherwise, when the folder holds some parts of the
    same economy, only the missing parts are generated into it (the manifest lists a part
    once all its files are written, so an interrupted addition is redone); else the economy's
    asked parts are generated into a temporary folder renamed when complete. The check and
    the generation hold the folder's lock (:func:`dataset_lock`) alone: a second run waits
    (``waiting`` is told who holds it) and then reuses the folder; runs reading the folder
    hold the lock shared, so no part is added under them. Temporary folders of generations
    that were killed are removed. A folder of that name that is not a vagg synthetic dataset
    is never overwritten: that is a :class:`DatasetError`.

    Parameters
    ----------
    scale : str
        ``tiny``, ``small`` or ``paper``.
    seed : int
        The generator's seed.
    cache_dir : str or pathlib.Path
        Folder holding the generated economies.
    parts : iterable of str, str or None
        The parts the caller reads (a study's ``synthetic_parts``); None: every part.
    reference_dir : str or pathlib.Path, optional
        The public reference files the generator reads (real product codes).
    progress : callable, optional
        ``progress(stage, fraction)`` while generating.

    Returns
    -------
    tuple of (pathlib.Path, bool)
        The folder and whether it was reused as it was (nothing generated).
    """
    from vagg.data.synth.config import get_scale
    from vagg.data.synth.parts import resolve_parts

    get_scale(scale)  # unknown scale: a clear ValueError before anything is written
    wanted = resolve_parts(parts)  # unknown part: a clear PartError likewise
    ref = Path(reference_dir) if reference_dir is not None else None
    folder = Path(cache_dir) / f"{scale}-seed{seed}"
    lock = dataset_lock(folder)
    with shared(lock, what=f"dataset {folder}", waiting=waiting):
        # while the lock is held (shared or alone) no generation runs: partials are stale
        clean_partials(folder.parent, folder.name)
        if synthetic_matches(folder, scale, seed, ref, wanted):
            return folder, True
    with exclusive(lock, wait=True, what=f"dataset {folder}", waiting=waiting):
        clean_partials(folder.parent, folder.name)
        if synthetic_matches(folder, scale, seed, ref, wanted):
            return folder, True
        _generate(folder, scale, seed, ref, wanted, progress)
    return folder, False


def dataset_lock(folder: str | Path) -> Path:
    """The lock file of a cached synthetic dataset folder: runs reading the folder hold it
    shared (:func:`vagg.locks.shared`), its generation holds it alone."""
    path = Path(folder)
    return path.parent / f".{path.name}.lock"


def _generate(
    folder: Path,
    scale: str,
    seed: int,
    ref: Path | None,
    parts: tuple[str, ...],
    progress: Callable[[str, float], None] | None,
) -> None:
    from vagg.data.synth.assembly import matching_manifest
    from vagg.data.synth.economy import generate

    extra = {} if progress is None else {"progress": progress}
    present = matching_manifest(folder, scale, seed, ref)
    if present is not None:  # add the missing parts in place, under the caller's lock
        missing = [p for p in parts if p not in present["parts"]]
        generate(scale, seed, folder, parts=missing, reference_dir=ref, **extra)
        return
    if folder.exists() and any(folder.iterdir()) and read_synthetic_manifest(folder) is None:
        raise DatasetError(
            f"{folder} exists and is not a vagg synthetic dataset; move it away or choose "
            "another cache folder"
        )
    partial = folder.with_name(f".{folder.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        generate(scale, seed, partial, parts=parts, reference_dir=ref, **extra)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(partial, folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
