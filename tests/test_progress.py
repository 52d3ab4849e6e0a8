"""``vagg.progress``: estimators report their task batches on the active bar, and only there.

The counts asserted are the numbers of draws the caller asked for; the draws themselves must
not depend on whether a bar is shown.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from rich.progress import Progress

import vagg
from vagg.engine import Local, run_tasks
from vagg.progress import active_bar, shown, tasks_done


class RecordingProgress(Progress):
    """A Progress that keeps, per line, its label, total and the units advanced."""

    def __init__(self) -> None:
        super().__init__(console=Console(file=io.StringIO()))
        self.lines: dict[Any, dict[str, Any]] = {}

    def add_task(self, description: str, *args: Any, **kwargs: Any) -> Any:
        task = super().add_task(description, *args, **kwargs)
        self.lines[task] = {"label": description.strip(), "total": kwargs.get("total"), "done": 0}
        return task

    def advance(self, task_id: Any, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self.lines[task_id]["done"] += advance


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 240
    frame = pd.DataFrame({"g": np.repeat(np.arange(24), 10), "x": rng.normal(size=n)})
    frame["y"] = 0.5 * frame["x"] + rng.normal(size=n)
    return frame


def _square(item: int, shared: int) -> int:
    return item * item + shared


def test_no_active_bar_means_no_reporting() -> None:
    with tasks_done("draws", 10) as done:
        assert done is None


@pytest.mark.parametrize("workers", [1, 2])
def test_run_tasks_counts_each_item_by_its_size(workers: int) -> None:
    bar = RecordingProgress()
    with bar, active_bar(bar):
        out = run_tasks(Local(workers), _square, [1, 2, 3], 1, label="work", sizes=[5, 1, 4])
    assert out == [2, 5, 10]
    (line,) = bar.lines.values()
    assert line == {"label": "work", "total": 10, "done": 10}
    assert not bar.tasks, "the line is removed when the work is done"


@pytest.mark.parametrize("workers", [1, 2])
def test_placebo_reports_every_draw_and_draws_the_same(workers: int) -> None:
    frame = _frame()
    plain = vagg.placebo("y ~ x | g", frame, var="x", reps=60, seed=1, engine=Local(workers))
    bar = RecordingProgress()
    with bar, active_bar(bar):
        shown_run = vagg.placebo(
            "y ~ x | g", frame, var="x", reps=60, seed=1, engine=Local(workers)
        )
    assert [(v["label"], v["total"], v["done"]) for v in bar.lines.values()] == [
        ("placebo draws", 60, 60)
    ]
    np.testing.assert_array_equal(plain.coefs, shown_run.coefs)


def test_shown_is_a_working_bar_for_scripts() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=80)
    with shown(console) as bar:
        vagg.placebo("y ~ x | g", _frame(), var="x", reps=30, seed=1)
        assert isinstance(bar, Progress)
    with tasks_done("after", 5) as done:
        assert done is None, "the bar is no longer active after the block"


def test_dask_reports_each_task_once() -> None:
    pytest.importorskip("distributed")
    from vagg.engine import Dask

    seen: list[int] = []
    with Dask(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as eng:
        out = eng.map(_square, [3, 1, 2], shared=0, done=seen.append)
    assert out == [9, 1, 4]
    assert sorted(seen) == [0, 1, 2]
