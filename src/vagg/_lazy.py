"""Lazy re-exports: a package lists ``name -> module`` and imports the module on first use.

``import vagg`` and the command line stay fast because the estimators, measures and studies
are imported only when one of their names is first looked up (PEP 562 module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    api: Mapping[str, str],
    namespace: dict[str, Any],
    submodules: tuple[str, ...] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``.

    ``api[name]`` is the module that defines ``name``; ``submodules`` are sub-packages
    imported as ``package.<name>``. A resolved value is stored in ``namespace`` (the
    package's ``globals()``) so later lookups skip ``__getattr__``.
    """

    def __getattr__(name: str) -> Any:
        if name in api:
            value = getattr(importlib.import_module(api[name]), name)
        elif name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*api, *submodules, *namespace.get("__all__", ())})

    return __getattr__, __dir__
