"""From an estimator's ``engine=`` argument to results: the one place that resolves engines.

Estimators that run independent tasks (placebo draws, bootstrap resamples, permutations) take
``engine=None | "local" | "dask" | object`` and hand it here:

* :func:`resolve_engine` turns the argument into an :class:`Engine` (``None`` → ``Local(1)``,
  serial in this process; ``"local"`` → ``Local()``, every core; ``"dask"`` → ``Dask()``, a
  local Dask cluster);
* :func:`engine_session` does the same as a context manager and closes, on exit, the engine
  it created (never one the caller passed in) — for callers that need ``n_workers`` before
  they cut the work into tasks;
* :func:`run_tasks` runs ``[fn(item, shared) for item in items]`` on the engine, in order.
  Besides vagg's engines it accepts any object with a ``map(fn, items)`` method (a
  ``concurrent.futures`` executor, a test double): ``shared`` then travels bound to ``fn``
  with :func:`functools.partial` instead of once per worker.

Seeds are the caller's business: tasks that draw random numbers receive their own seeds from
``numpy.random.SeedSequence(seed).spawn(n)``, so the results do not depend on the engine.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Protocol, runtime_checkable

from vagg.progress import tasks_done

from .local import NO_SHARED, EngineError, Local

__all__ = [
    "Engine",
    "engine_session",
    "resolve_engine",
    "run_tasks",
]


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


@contextmanager
def engine_session(engine: Engine | str | None) -> Iterator[Engine]:
    """:func:`resolve_engine`, closing on exit the engine it created from ``None`` or a name.

    An engine object passed in is yielded as is and left open (its owner closes it).
    """
    created = engine is None or isinstance(engine, str)
    runner = resolve_engine(engine)
    try:
        yield runner
    finally:
        if created:
            runner.close()


def run_tasks(
    engine: Any,
    fn: Callable[..., Any],
    items: list[Any],
    shared: Any,
    *,
    label: str | None = None,
    sizes: Sequence[int] | None = None,
) -> list[Any]:
    """``[fn(item, shared) for item in items]``, in order, run by ``engine``.

    ``engine``: ``None`` (serially, here), ``"local"`` / ``"dask"`` (:func:`resolve_engine`;
    closed afterwards) or any object with ``map(fn, items)``. ``shared`` (e.g. the estimation
    sample) goes through the engine's ``shared=`` when its ``map`` accepts it (sent once per
    worker), else it is bound to ``fn`` with :func:`functools.partial`. ``fn`` must be a
    module-level function so that process and Dask engines can pickle it.

    ``label`` names the work on the active progress bar (:mod:`vagg.progress`), which counts
    ``sizes[i]`` units for item ``i`` (e.g. the draws in a batch; default 1 each).

    Raises :class:`EngineError` for an unknown engine name or an object without ``map``.
    """
    if engine is None or isinstance(engine, str):
        with engine_session(engine) as runner:
            return run_tasks(runner, fn, items, shared, label=label, sizes=sizes)
    if not callable(getattr(engine, "map", None)):
        raise EngineError(f"engine must have a .map(fn, items) method; got {engine!r}")
    weights = [1] * len(items) if sizes is None else list(sizes)
    parameters = inspect.signature(engine.map).parameters
    with tasks_done(label, sum(weights)) as advance:
        extra: dict[str, Any] = {}
        if advance is not None and "done" in parameters:
            extra["done"] = lambda i: advance(weights[i])
        if "shared" in parameters:
            return list(engine.map(fn, items, shared=shared, **extra))
        return list(engine.map(partial(fn, shared=shared), items, **extra))
