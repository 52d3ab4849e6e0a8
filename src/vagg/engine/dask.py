"""The Dask engine: the same ``map`` as :class:`~vagg.engine.local.Local`, on a Dask cluster.

``Dask()`` starts a ``distributed.LocalCluster`` on this machine; ``Dask("tcp://host:8786")``
connects to a running scheduler (one started by ``dask-jobqueue`` on a Slurm/PBS cluster, for
instance); ``Dask(client)`` uses an existing ``distributed.Client``. ``map(fn, items)`` submits
one task per item and gathers the results in the order of the items. ``shared=`` is scattered
to every worker once (``Client.scatter(..., broadcast=True)``) and passed to each call as
``fn(item, shared)``.

Dask is optional: it is imported only when a ``Dask`` engine is created, and a clear error
says how to install it (``pip install "vagg[distributed]"``).

As with every engine, the caller gives each item its own seed (``SeedSequence.spawn``), so
results do not depend on which worker runs which item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .local import NO_SHARED, EngineError, call_item

__all__ = [
    "INSTALL_HINT",
    "Dask",
]


INSTALL_HINT = 'the Dask engine needs dask and distributed: pip install "vagg[distributed]"'


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EngineError(INSTALL_HINT) from exc
    return distributed


class Dask:
    """Run work on a Dask cluster.

    Parameters
    ----------
    address:
        ``None`` starts a ``distributed.LocalCluster`` (``cluster_kwargs`` are passed to it,
        e.g. ``n_workers=2, threads_per_worker=1, processes=True``); a scheduler address
        string connects to it; a ``distributed.Client`` is used as is (and not closed by
        :meth:`close`).
    **cluster_kwargs:
        Keyword arguments of ``distributed.LocalCluster`` (only with ``address=None``).
    """

    def __init__(self, address: Any = None, **cluster_kwargs: Any) -> None:
        distributed = _import_distributed()
        self._owns_client = True
        self._cluster: Any = None
        if isinstance(address, distributed.Client):
            if cluster_kwargs:
                raise EngineError("Dask: cluster keyword arguments need address=None")
            self.client = address
            self._owns_client = False
        elif address is None:
            self._cluster = distributed.LocalCluster(**cluster_kwargs)
            self.client = distributed.Client(self._cluster)
        elif isinstance(address, str):
            if cluster_kwargs:
                raise EngineError("Dask: cluster keyword arguments need address=None")
            self.client = distributed.Client(address)
        else:
            raise EngineError(
                f"Dask: address must be None, a scheduler address or a distributed.Client; "
                f"got {type(address).__name__}"
            )

    @property
    def n_workers(self) -> int:
        """Threads across the cluster's workers: how many items can run at the same time."""
        workers = self.client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def map(
        self,
        fn: Callable[..., Any],
        items: Iterable[Any],
        *,
        shared: Any = NO_SHARED,
        done: Callable[[int], None] | None = None,
    ) -> list[Any]:
        """``[fn(item) for item in items]`` on the cluster (``fn(item, shared)`` with ``shared``).

        Results come back in the order of ``items``; an exception raised by a task is raised
        here. ``fn``, the items and ``shared`` must be picklable (cloudpickle). ``done(i)`` is
        called as task ``i`` finishes (for a progress bar).
        """
        items = list(items)
        if not items:
            return []
        scattered = None
        if shared is not NO_SHARED:
            scattered = self.client.scatter(shared, broadcast=True, hash=False)
        try:
            futures = self.client.map(
                call_item,
                items,
                fn=fn,
                shared=shared if scattered is None else scattered,
                pure=False,
            )
            if done is not None:
                from distributed import as_completed

                index = {future.key: i for i, future in enumerate(futures)}
                for future in as_completed(futures):
                    done(index[future.key])
            return list(self.client.gather(futures))
        finally:
            if scattered is not None:
                self.client.cancel(scattered)

    def close(self) -> None:
        """Close the client and the local cluster this engine started."""
        if self._owns_client:
            self.client.close()
            if self._cluster is not None:
                self._cluster.close()

    def __enter__(self) -> Dask:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Dask({self.client!r})"
