"""``vagg.engine.dispatch``: ``run_tasks`` and ``engine_session`` on every kind of engine.

References are closed forms (an item plus a shared offset, squared).
"""

from __future__ import annotations

from typing import Any

import pytest

from vagg.engine import EngineError, Local, engine_session, run_tasks


def _shifted_square(item: int, shared: dict[str, int]) -> int:
    return (item + shared["offset"]) ** 2


EXPECTED = [(i + 10) ** 2 for i in range(7)]


class MapOnly:
    """An executor-like object: ``map(fn, items)`` without ``shared=`` (items run in reverse)."""

    def __init__(self) -> None:
        self.calls = 0

    def map(self, fn: Any, items: Any) -> list[Any]:
        self.calls += 1
        items = list(items)
        return [fn(item) for item in reversed(items)][::-1]


class Closing(Local):
    """Local(1) that records whether it was closed."""

    closed = False

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("engine", [None, "local", Local(1), Local(2)], ids=repr)
def test_run_tasks_keeps_order_and_passes_shared(engine: Any) -> None:
    assert run_tasks(engine, _shifted_square, list(range(7)), {"offset": 10}) == EXPECTED


def test_run_tasks_binds_shared_for_map_only_engines() -> None:
    engine = MapOnly()
    assert run_tasks(engine, _shifted_square, list(range(7)), {"offset": 10}) == EXPECTED
    assert engine.calls == 1


def test_run_tasks_rejects_what_is_not_an_engine() -> None:
    with pytest.raises(EngineError, match="map"):
        run_tasks(42, _shifted_square, [1], {"offset": 0})
    with pytest.raises(EngineError, match="engine="):
        run_tasks("cloud", _shifted_square, [1], {"offset": 0})


def test_engine_session_closes_only_what_it_created(monkeypatch: pytest.MonkeyPatch) -> None:
    given = Closing(1)
    with engine_session(given) as runner:
        assert runner is given
    assert not given.closed

    import vagg.engine.dispatch as dispatch

    created: list[Closing] = []

    def fake_local(*args: Any) -> Closing:
        created.append(Closing(1))
        return created[-1]

    monkeypatch.setattr(dispatch, "Local", fake_local)
    with engine_session(None) as runner:
        assert runner.n_workers == 1
    assert created and created[0].closed
    assert run_tasks("local", _shifted_square, list(range(7)), {"offset": 10}) == EXPECTED
    assert len(created) == 2 and created[1].closed
