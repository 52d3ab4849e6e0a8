"""Fingerprints of code: what a derived frame's cache key says about the code that made it.

:func:`code_fingerprint` hashes the vagg package's data, measure and estimator sources, so that
changing any of them invalidates the cached frames; :func:`callable_fingerprint` gives the
source of a study's derivation and of the study helpers it calls, so that editing a panel
invalidates it while editing a table's layout does not (design.md, "Standards": stage outputs
cached by content hash).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import vagg
from vagg._version import __version__
from vagg.studies.base import FRAMEWORK_MODULES

__all__ = ["callable_fingerprint", "code_fingerprint", "stable_json"]

#: Parts of the package that cannot change a derived frame: presentation, the command line,
#: and the studies (whose code enters a frame's key through :func:`callable_fingerprint`).
_PRESENTATION = ("studies/", "report/", "cli.py")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the source files of the installed ``vagg`` package that derived frames
    depend on — data, measures, estimators — so that a change to any of them invalidates the
    cached frames, while editing a table's layout or a study's entry does not."""
    root = Path(vagg.__file__).parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if not relative.startswith(_PRESENTATION):
            digest.update(relative.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def callable_fingerprint(fn: Callable[..., Any]) -> str:
    """What identifies a derivation's code: the source of ``fn`` and, recursively, of the
    functions it calls that live in its own module or in :mod:`vagg.studies` (helper modules
    of studies referenced as modules enter with their whole source). ``functools.partial``
    objects add their bound arguments. Without source: the module and qualified name."""
    parts: list[str] = []
    _collect_code(fn, parts, set(), getattr(fn, "__module__", None) or "")
    return "\n".join(parts)


def _collect_code(fn: Any, parts: list[str], seen: set[str], home: str) -> None:
    if isinstance(fn, functools.partial):
        arguments = [repr(a) for a in fn.args]
        arguments += sorted(f"{k}={v!r}" for k, v in fn.keywords.items())
        parts.append(json.dumps(arguments))
        _collect_code(fn.func, parts, seen, home)
        return
    name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', type(fn).__name__)}"
    if name in seen:
        return
    seen.add(name)
    try:
        parts.append(name + "\n" + inspect.getsource(fn))
    except (OSError, TypeError):
        parts.append(name)
    code, scope = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    if code is None:
        return
    for ref in sorted(_referenced_names(code)):
        target = scope.get(ref)
        if inspect.isfunction(target) and _is_study_code(target.__module__, home):
            _collect_code(target, parts, seen, home)
        elif inspect.ismodule(target) and _is_study_code(target.__name__, home):
            source = getattr(target, "__file__", None)
            if target.__name__ not in seen and source is not None:
                seen.add(target.__name__)
                parts.append(target.__name__ + "\n" + Path(source).read_text("utf-8"))


def _referenced_names(code: Any) -> set[str]:
    """Global names a code object (and the code objects nested in it) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _referenced_names(const)
    return names


def _is_study_code(module: str, home: str) -> bool:
    return module == home or (
        module.startswith("vagg.studies.") and module.split(".")[2] not in FRAMEWORK_MODULES
    )


def stable_json(value: Any) -> str:
    """``value`` as JSON with sorted keys (``repr`` for what JSON cannot hold): a stable text
    to hash."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True, default=repr)
