"""Progress bars: one for work that reports the fraction done (generating the synthetic
economy), and lines for batches of tasks (placebo draws, bootstrap resamples, permutations).

Estimators cannot know whether anyone watches, so they only report: :func:`tasks_done` gives a
callback that advances a line on the *active* bar, and does nothing when there is none.
``vagg replicate`` makes its study bar the active one; in a notebook or script,
``with vagg.progress.shown(): vagg.placebo(...)`` does the same. Rich draws bars only on a
terminal (or a notebook); in a log or a pipe nothing is printed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["active_bar", "fraction_bar", "shown", "tasks_done"]

_ACTIVE: ContextVar[Progress | None] = ContextVar("vagg_active_progress", default=None)


@contextmanager
def fraction_bar(
    console: Console, description: str, *, transient: bool = False
) -> Iterator[Callable[[str, float], None]]:
    """A bar for ``description``; yields ``report(stage, fraction)`` that moves it to
    ``fraction`` ∈ [0, 1] and shows ``description: stage``. ``transient`` clears the bar when
    the work is done."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    ) as bar:
        task = bar.add_task(description, total=1.0)

        def report(stage: str, done: float) -> None:
            bar.update(task, completed=done, description=f"{description}: {stage}")

        yield report


@contextmanager
def active_bar(bar: Progress) -> Iterator[Progress]:
    """Make ``bar`` the one :func:`tasks_done` draws on, inside the ``with`` block."""
    token = _ACTIVE.set(bar)
    try:
        yield bar
    finally:
        _ACTIVE.reset(token)


@contextmanager
def shown(console: Console | None = None, *, transient: bool = True) -> Iterator[Progress]:
    """Show the task lines of the estimators called inside the block (placebo draws,
    bootstrap resamples, permutations) on a bar of their own, made active; e.g.
    ``with vagg.progress.shown(): vagg.placebo(...)``. ``vagg replicate`` adds its study line
    to the same bar (``transient=False`` keeps it on screen afterwards)."""
    with (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=transient,
        ) as bar,
        active_bar(bar),
    ):
        yield bar


@contextmanager
def tasks_done(label: str | None, total: int) -> Iterator[Callable[[int], None] | None]:
    """A callback ``done(n)`` that advances the line ``label`` (``total`` units) on the active
    bar by ``n``; ``None`` when no bar is active, there is no label or at most one unit (the
    caller then skips reporting). The line is removed when the block ends."""
    bar = _ACTIVE.get()
    if bar is None or label is None or total < 2:
        yield None
        return
    task = bar.add_task(f"  {label}", total=total)

    def done(n: int) -> None:
        bar.advance(task, n)

    try:
        yield done
    finally:
        bar.remove_task(task)
