"""A progress bar for work that reports the fraction done, e.g. generating the synthetic economy.

Rich draws the bar only on a terminal; in a log or a pipe nothing is printed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["fraction_bar"]


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
