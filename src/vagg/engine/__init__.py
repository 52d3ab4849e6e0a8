"""vagg.engine: where independent pieces of work run — local processes or a Dask cluster.

Every engine has the same interface (:class:`Engine`): ``map(fn, items, *, shared=...)``
returns ``[fn(item) for item in items]`` in order, ``n_workers`` says how many items run at
once, and ``close()`` releases what the engine started (engines are context managers).

* :class:`Local` — ``Local(1)`` runs serially in this process; ``Local(n)`` uses ``n`` worker
  processes (``None``: every core).
* :class:`Dask` — a ``distributed`` cluster (a local one by default); needs the
  ``distributed`` extra: ``pip install "vagg[distributed]"``. Imported lazily.

Estimators turn their ``engine=None | "local" | "dask" | object`` argument into results with
:mod:`vagg.engine.dispatch` (:func:`resolve_engine`, :func:`engine_session`, :func:`run_tasks`).

Seeds are the caller's business: work that draws random numbers receives per-item seeds from
``numpy.random.SeedSequence(seed).spawn(n)``, so results do not depend on the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .dispatch import Engine, engine_session, resolve_engine, run_tasks
from .local import NO_SHARED, EngineError, Local

if TYPE_CHECKING:
    from .dask import Dask


def __getattr__(name: str) -> Any:
    if name == "Dask":
        from .dask import Dask

        return Dask
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "NO_SHARED",
    "Dask",
    "Engine",
    "EngineError",
    "Local",
    "engine_session",
    "resolve_engine",
    "run_tasks",
]
