"""vagg.engine: where independent pieces of work run — local processes or a Dask cluster.

Every engine has the same interface (:class:`Engine`): ``map(fn, items, *, shared=...)``
returns ``[fn(item) for item in items]`` in order, ``n_workers`` says how many items run at
once, and ``close()`` releases what the engine started (engines are context managers).

* :class:`Local` — ``Local(1)`` runs serially in this process; ``Local(n)`` uses ``n`` worker
  processes (``None``: every core).
* :class:`Dask` — a ``distributed`` cluster (a local one by default); needs the
  ``distributed`` extra: ``pip install "vagg[distributed]"``. Imported lazily.

Seeds are the caller's business: work that draws random numbers receives per-item seeds from
``numpy.random.SeedSequence(seed).spawn(n)``, so results do not depend on the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .local import NO_SHARED, EngineError, Local

if TYPE_CHECKING:
    from .dask import Dask


@runtime_checkable
class Engine(Protocol):
    """What estimators need from an engine."""

    @property
    def n_workers(self) -> int: ...

    def map(
        self, fn: Callable[..., Any], items: Iterable[Any], *, shared: Any = NO_SHARED
    ) -> list[Any]: ...

    def close(self) -> None: ...


def resolve_engine(engine: Engine | str | None) -> Engine:
    """An engine from a user argument: ``None`` → ``Local(1)`` (serial), ``"local"`` →
    ``Local()`` (every core), ``"dask"`` → ``Dask()`` (a local Dask cluster), or an engine."""
    if engine is None:
        return Local(1)
    if isinstance(engine, str):
        if engine == "local":
            return Local()
        if engine == "dask":
            from .dask import Dask

            return Dask()
        raise EngineError(f"engine={engine!r}; use None, 'local', 'dask' or an engine object")
    if not isinstance(engine, Engine):
        raise EngineError(
            f"engine must have map(fn, items) and n_workers (Local, Dask); got "
            f"{type(engine).__name__}"
        )
    return engine


def __getattr__(name: str) -> Any:
    if name == "Dask":
        from .dask import Dask

        return Dask
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["NO_SHARED", "Dask", "Engine", "EngineError", "Local", "resolve_engine"]
