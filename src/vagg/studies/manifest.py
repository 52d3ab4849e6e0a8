"""The run manifest's environment record, and which of its keys vary between runs.

:func:`environment` records vagg, Python, the platform and the versions of
:data:`DEPENDENCIES`; :func:`peak_memory_mb` the run's peak memory. Times and memory differ
between two runs of the same data and seed: they are the keys of :data:`VOLATILE`, and
:func:`stable_manifest` gives the manifest without them (what the determinism promise
covers, docs/runs.md).
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from collections.abc import Mapping
from typing import Any

from vagg._version import __version__

__all__ = ["DEPENDENCIES", "VOLATILE", "environment", "peak_memory_mb", "stable_manifest"]

#: Packages whose versions the manifest records.
DEPENDENCIES: tuple[str, ...] = tuple(
    "numpy scipy pandas polars pyarrow statsmodels pyfixest linearmodels matplotlib "
    "python-docx openpyxl rich typer dask distributed".split()
)


def environment() -> dict[str, Any]:
    """vagg, Python and platform versions and those of :data:`DEPENDENCIES` (None when a
    package is not installed)."""
    versions: dict[str, str | None] = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "vagg": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dependencies": versions,
    }


def peak_memory_mb() -> dict[str, float | None]:
    """Peak resident memory so far of this process and of its finished child processes
    (worker pools), in MiB; None where the platform does not say (``resource`` module)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return {"process": None, "children": None}
    scale = 1 / (1 << 20) if sys.platform == "darwin" else 1 / 1024  # bytes vs KiB
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return {"process": round(own, 1), "children": round(children, 1)}


#: Manifest keys that vary between two runs of the same data and seed (times, memory, the
#: machine); everything else is a function of the data, code, options and seed.
VOLATILE = frozenset(
    {"started", "finished", "seconds", "peak_memory_mb", "prepare_seconds", "engine", "reused"}
)


def stable_manifest(manifest: Any) -> Any:
    """``manifest`` without the keys of :data:`VOLATILE` (at any depth): what two runs on the
    same data, code, options and seed agree on."""
    if isinstance(manifest, Mapping):
        return {k: stable_manifest(v) for k, v in manifest.items() if k not in VOLATILE}
    if isinstance(manifest, list):
        return [stable_manifest(v) for v in manifest]
    return manifest
