"""File hashing and the synthetic-dataset manifest: the one place that reads and hashes them.

The generator (:mod:`vagg.data.synth.economy`) records the SHA-256 of every file it writes and
of the reference files it read in ``manifest.json``; the dataset owner
(:mod:`vagg.data.dataset`) hashes datasets and decides whether a cached synthetic economy can
be reused. Both use these functions (hashlib does the hashing; this module only fixes what is
hashed and how the manifest is recognised).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["GENERATOR", "directory_hashes", "file_sha256", "read_synthetic_manifest"]

#: The ``generator`` field of a synthetic dataset's ``manifest.json``.
GENERATOR = "vagg.data.synth"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    str
        The hex digest.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def directory_hashes(folder: Path | None) -> dict[str, str]:
    """``{file name: SHA-256}`` of the files directly in ``folder`` (the reference files the
    generator read); empty when ``folder`` is None or absent."""
    if folder is None or not Path(folder).exists():
        return {}
    return {p.name: file_sha256(p) for p in sorted(Path(folder).iterdir()) if p.is_file()}


def read_synthetic_manifest(folder: Path) -> dict[str, Any] | None:
    """The parsed ``manifest.json`` of a synthetic dataset in ``folder``; None when there is
    none, it cannot be read, or it was not written by the generator (:data:`GENERATOR`)."""
    try:
        content = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if isinstance(content, dict) and content.get("generator") == GENERATOR:
        return content
    return None
