"""The local engine: a pool of worker processes on this machine, or plain serial calls.

``Local(n_workers)`` runs ``fn(item)`` for every item with
:class:`concurrent.futures.ProcessPoolExecutor` and returns the results in the order of the
items. ``Local(1)`` calls ``fn`` in this process, one item after the other (no pickling, no
start-up cost; the default of the estimators, and handy in tests and debuggers).

Large read-only inputs that every call needs (an estimation sample, a design matrix) are passed
once as ``shared=``: each worker process receives them once, when it starts, and ``fn`` is
called as ``fn(item, shared)``. Binding them into ``fn`` instead (``functools.partial``) would
pickle them again for every item.

Randomness: an engine never draws random numbers. Work that does receives one seed per item,
derived by the caller from one seed with ``numpy.random.SeedSequence(seed).spawn(n)``, so the
same seed gives the same numbers on any engine and with any number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from vagg.errors import VaggError

__all__ = [
    "NO_SHARED",
    "EngineError",
    "Local",
    "call_item",
    "default_workers",
]


class EngineError(VaggError):
    """An engine was configured or called with arguments it cannot use."""


class _NoShared:
    """Marker: ``map`` was called without ``shared`` (so ``fn`` takes the item alone)."""

    def __repr__(self) -> str:
        return "NO_SHARED"


NO_SHARED: Any = _NoShared()


def call_item(item: Any, fn: Callable[..., Any], shared: Any) -> Any:
    """``fn(item)``, or ``fn(item, shared)`` when ``shared`` was given."""
    if isinstance(shared, _NoShared):
        return fn(item)
    return fn(item, shared)


# The ``shared`` object of the pool a worker process belongs to (set by its initializer).
_WORKER_SHARED: Any = NO_SHARED


def _install_shared(shared: Any) -> None:
    global _WORKER_SHARED
    _WORKER_SHARED = shared


def _call_in_worker(fn: Callable[..., Any], item: Any) -> Any:
    return call_item(item, fn, _WORKER_SHARED)


def default_workers() -> int:
    """The CPU cores this process may use (``os.sched_getaffinity`` where available)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class Local:
    """Run work on this machine: ``n_workers`` processes, or serially when ``n_workers == 1``.

    Parameters
    ----------
    n_workers:
        Number of worker processes; ``None`` uses every core available to this process.
    mp_context:
        ``"fork"``, ``"spawn"`` or ``"forkserver"``; ``None`` uses Python's default for the
        platform. With ``spawn``/``forkserver`` a script that uses the engine needs the usual
        ``if __name__ == "__main__":`` guard.

    ``fn`` and the items (and ``shared``) must be picklable when ``n_workers > 1``: use
    functions defined at module level, not lambdas or closures.
    """

    def __init__(self, n_workers: int | None = None, *, mp_context: str | None = None) -> None:
        if n_workers is None:
            n_workers = default_workers()
        if not isinstance(n_workers, int) or isinstance(n_workers, bool) or n_workers < 1:
            raise EngineError(f"Local: n_workers must be a positive integer; got {n_workers!r}")
        if mp_context is not None and mp_context not in multiprocessing.get_all_start_methods():
            raise EngineError(
                f"Local: mp_context={mp_context!r} is not available here; use one of "
                f"{multiprocessing.get_all_start_methods()}"
            )
        self._n_workers = n_workers
        self.mp_context = mp_context

    @property
    def n_workers(self) -> int:
        """How many items can run at the same time."""
        return self._n_workers

    def map(
        self,
        fn: Callable[..., Any],
        items: Iterable[Any],
        *,
        shared: Any = NO_SHARED,
        done: Callable[[int], None] | None = None,
    ) -> list[Any]:
        """``[fn(item) for item in items]`` (``fn(item, shared)`` when ``shared`` is given).

        Results come back in the order of ``items``; an exception raised by ``fn`` is raised
        here (the first one, in item order). ``done(i)`` is called as item ``i``'s result
        comes back (for a progress bar).
        """
        items = list(items)
        if self._n_workers == 1 or len(items) <= 1:
            results = []
            for i, item in enumerate(items):
                results.append(call_item(item, fn, shared))
                if done is not None:
                    done(i)
            return results
        context = None if self.mp_context is None else multiprocessing.get_context(self.mp_context)
        workers = min(self._n_workers, len(items))
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_install_shared,
            initargs=(shared,),
        ) as pool:
            results = []
            for i, result in enumerate(pool.map(_call_in_worker, [fn] * len(items), items)):
                results.append(result)
                if done is not None:
                    done(i)
            return results

    def close(self) -> None:
        """Nothing to release: a pool lives only for one :meth:`map` call."""

    def __enter__(self) -> Local:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Local(n_workers={self._n_workers})"
