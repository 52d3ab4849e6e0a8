"""``vagg.engine``: Local (serial and processes) and Dask give the same ordered results.

References are closed forms (squares of the items) and numpy's own generator driven by the
same ``SeedSequence`` children in this process.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from vagg.engine import Engine, EngineError, Local, resolve_engine


def _square(item: int) -> int:
    return item * item


def _offset(item: int, shared: dict[str, int]) -> int:
    return item + shared["offset"]


def _normals(seed: np.random.SeedSequence) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=5)


def _fail_on_three(item: int) -> int:
    if item == 3:
        raise ValueError("item three")
    return item


def _expected_normals(seed: int, n: int) -> list[np.ndarray]:
    return [np.random.default_rng(s).normal(size=5) for s in np.random.SeedSequence(seed).spawn(n)]


@pytest.mark.parametrize("workers", [1, 2])
def test_local_map_keeps_order(workers: int) -> None:
    with Local(workers) as engine:
        assert engine.map(_square, range(7)) == [i * i for i in range(7)]
        assert engine.map(_offset, [1, 2, 3], shared={"offset": 10}) == [11, 12, 13]
        assert engine.map(_square, []) == []


def test_local_raises_the_task_error() -> None:
    with pytest.raises(ValueError, match="item three"):
        Local(2).map(_fail_on_three, range(5))


def test_seeds_spawned_by_the_caller_give_the_same_numbers_everywhere() -> None:
    seeds = np.random.SeedSequence(42).spawn(6)
    expected = _expected_normals(42, 6)
    for engine in (Local(1), Local(2)):
        got = engine.map(_normals, seeds)
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)


def test_local_rejects_bad_arguments() -> None:
    with pytest.raises(EngineError, match="n_workers"):
        Local(0)
    with pytest.raises(EngineError, match="mp_context"):
        Local(2, mp_context="teleport")
    assert Local().n_workers >= 1


def test_resolve_engine() -> None:
    assert isinstance(resolve_engine(None), Local)
    assert resolve_engine(None).n_workers == 1
    engine = Local(2)
    assert resolve_engine(engine) is engine
    assert isinstance(engine, Engine)
    with pytest.raises(EngineError, match="engine="):
        resolve_engine("cloud")
    with pytest.raises(EngineError, match="map"):
        resolve_engine(42)  # type: ignore[arg-type]


def test_dask_missing_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from vagg.engine import dask as dask_engine

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(EngineError, match=r'pip install "vagg\[distributed\]"'):
        dask_engine.Dask()


def test_dask_engine_matches_local() -> None:
    pytest.importorskip("distributed")
    from vagg.engine import Dask

    with Dask(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as eng:
        assert eng.n_workers == 2
        assert eng.map(_square, range(7)) == [i * i for i in range(7)]
        assert eng.map(_offset, [1, 2, 3], shared={"offset": 10}) == [11, 12, 13]
        got = eng.map(_normals, np.random.SeedSequence(42).spawn(6))
        for a, b in zip(got, _expected_normals(42, 6), strict=True):
            np.testing.assert_array_equal(a, b)
        with pytest.raises(ValueError, match="item three"):
            eng.map(_fail_on_three, range(5))


def test_placebo_and_bootstrap_draws_are_identical_on_dask_and_local() -> None:
    pytest.importorskip("distributed")
    import pandas as pd

    from vagg import mediation, placebo
    from vagg.engine import Dask

    rng = np.random.default_rng(11)
    n = 400
    frame = pd.DataFrame({"g": rng.integers(0, 20, n), "x": rng.normal(size=n)})
    frame["m"] = 0.5 * frame["x"] + rng.normal(size=n)
    frame["y"] = 0.3 * frame["x"] + 0.4 * frame["m"] + rng.normal(size=n)

    def draws(engine: object) -> tuple[np.ndarray, np.ndarray]:
        perm = placebo("y ~ x | g", frame, var="x", reps=60, seed=5, engine=engine)
        med = mediation(
            frame,
            outcome="y",
            treatment="x",
            mediator="m",
            fe="g",
            bootstrap=40,
            cluster="g",
            seed=5,
            engine=engine,
        )
        assert med.bootstrap_draws is not None
        return perm.coefs, med.bootstrap_draws

    local = draws(Local(2))
    with Dask(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as eng:
        remote = draws(eng)
    for a, b in zip(local, remote, strict=True):
        assert np.isfinite(a).sum() > 30
        np.testing.assert_array_equal(a, b)
