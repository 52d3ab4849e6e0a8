"""What a run promises about its folder: staged, checked, published whole, and nothing private.

:func:`staged` is how :func:`vagg.studies.runner.run_study` writes ``<out>/<study>/``: it holds
the folder's lock (:mod:`vagg.locks`; a second run into the same folder is refused with the
pid of the first), removes temporary folders of runs that died, lets the run write into
``<out>/.<study>.<pid>.partial/`` and, when the run is finished, swaps it in by renaming. The
previous complete results stay in place until then; an interrupted run leaves them untouched.

:func:`data_gate` runs :func:`vagg.data.check.check_dataset` — the same check as ``vagg data
check`` — before any entry: a dataset that fails it stops the run. Its result is cached by
the data's content hash.

Messages about data and failing entries can name firms (ids, names in duplicate keys or bad
rows), so they never enter the published folder: :class:`RunLog` writes them, with
tracebacks, to a local log outside ``--out``; the manifest records only the error's type and
the log's file name. :func:`check_disclosure` withholds a regression estimated from fewer
than ``min_firms`` firms.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vagg.locks import clean_partials, exclusive
from vagg.studies.base import StudyError

__all__ = [
    "DisclosureError",
    "RunLog",
    "check_disclosure",
    "data_gate",
    "firm_count",
    "staged",
]


class DisclosureError(StudyError):
    """An output would publish a statistic from fewer firms than the disclosure threshold."""


@contextmanager
def staged(out: Path, name: str) -> Iterator[Path]:
    """Hold ``out/name``'s lock, yield a fresh staging folder, then publish it by rename.

    Parameters
    ----------
    out : pathlib.Path
        The output folder (``--out``).
    name : str
        The study's name (its folder under ``out``).

    Yields
    ------
    pathlib.Path
        The staging folder ``out/.<name>.<pid>.partial``; when the block ends without an
        exception it replaces ``out/<name>`` (the old folder is renamed aside first, then
        removed), else it is removed and ``out/<name>`` is left as it was.

    Raises
    ------
    vagg.locks.LockError
        When another process is writing ``out/<name>`` (naming its pid).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / name
    with exclusive(out / f".{name}.lock", what=f"results folder {target}"):
        clean_partials(out, name)
        staging = out / f".{name}.{os.getpid()}.partial"
        staging.mkdir()
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        old = out / f".{name}.{os.getpid()}.old"
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)


class RunLog:
    """A local log of a run's problems (firm-level messages, tracebacks), never under ``--out``.

    Parameters
    ----------
    folder : pathlib.Path or None
        Where to write; None or a folder inside ``out``: the system's temporary folder
        (``<tmp>/vagg-logs``).
    out : pathlib.Path
        The run's output folder (the log is kept out of it).
    study : str
        The study's name (the log file is ``<study>-<UTC time>-<pid>.log``).
    """

    def __init__(self, folder: Path | None, out: Path, study: str) -> None:
        chosen = Path(folder) if folder is not None else None
        out_resolved = Path(out).resolve()
        if chosen is None or chosen.resolve().is_relative_to(out_resolved):
            chosen = Path(tempfile.gettempdir()) / "vagg-logs"
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        self.study = study
        self.path = chosen / f"{study}-{stamp}-{os.getpid()}.log"
        self.lines = 0

    def write(self, heading: str, text: str) -> str:
        """Append ``heading`` and ``text``; returns the log's file name (for the manifest)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(f"== {heading}\n{text.rstrip()}\n\n")
        self.lines += 1
        return self.path.name


def data_gate(data: Any, required: Sequence[str]) -> list[str]:
    """The problems :func:`vagg.data.check.check_dataset` finds in ``data.dataset`` with the
    tables a study ``required``; cached in ``data.cache_dir/checks/`` by the data's content
    hash (and the required tables), so a warm run does not check again."""
    from vagg.data.check import check_dataset
    from vagg.studies.cache import atomic_write
    from vagg.studies.fingerprint import code_fingerprint

    parts = [data.data_hash[:24], code_fingerprint()[:12], str(data.encoding), *sorted(required)]
    key = "-".join(parts)
    memo = getattr(data, "_gate", {})
    if key in memo:
        return list(memo[key])
    stored = None if data.cache_dir is None else Path(data.cache_dir) / "checks" / f"{key}.json"
    if stored is not None and stored.is_file():
        try:
            problems = list(json.loads(stored.read_text(encoding="utf-8"))["problems"])
        except (OSError, ValueError, KeyError):
            problems = None
        if problems is not None:
            memo[key] = problems
            data._gate = memo
            return problems
    problems = check_dataset(data.dataset, required=required, encoding=data.encoding).problems
    if stored is not None:
        text = json.dumps({"problems": problems}, ensure_ascii=False)
        atomic_write(stored, lambda p: p.write_text(text, encoding="utf-8"))
    memo[key] = problems
    data._gate = memo
    return problems


def firm_count(model: Any) -> int | None:
    """How many firms a Result is estimated from, when it says: the number of ``firm_id``
    clusters, or ``diagnostics["n_firms"]``; None when unknown."""
    clusters = getattr(model, "n_clusters", None) or {}
    if "firm_id" in clusters:
        return int(clusters["firm_id"])
    diagnostics = getattr(model, "diagnostics", None) or {}
    value = diagnostics.get("n_firms") if isinstance(diagnostics, dict) else None
    return int(value) if isinstance(value, int | float) else None


def check_disclosure(headers: Sequence[str], models: Sequence[Any], min_firms: int) -> None:
    """Raise :class:`DisclosureError` when a column's Result is from fewer than ``min_firms``
    firms (:func:`firm_count`): the table is then not published."""
    for header, model in zip(headers, models, strict=False):
        n = firm_count(model)
        if n is not None and n < min_firms:
            raise DisclosureError(
                f"column {header} is estimated from fewer than {min_firms} firms; "
                "the table is not published (--min-firms)"
            )
