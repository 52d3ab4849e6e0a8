"""Folder locks: one run at a time writes a study's results or generates a cached dataset.

A lock is a small file holding the pid of the process that holds it, locked with the operating
system's advisory lock (``fcntl.flock``), which the system releases when the process dies — a
killed run never leaves a lock behind. Written here because the standard library has the
primitive but not the "say who holds it" message users need, and a lock package would be a
dependency for twenty lines.

* :func:`exclusive` refuses (``wait=False``: :class:`LockError` naming the holding process) or
  waits for the lock.
* :func:`shared` lets many readers hold it at once (runs reading the same cached dataset) and
  keeps out a writer that would replace the folder under them.
* :func:`clean_partials` removes the temporary folders of runs that died.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO

from vagg.errors import VaggError

__all__ = ["LockError", "clean_partials", "exclusive", "holder", "shared"]


class LockError(VaggError):
    """A folder is locked by another process (the message names its pid)."""


def holder(lock_file: Path) -> str:
    """Who holds ``lock_file``, as written by the holder ("process 123 on host since …")."""
    try:
        text = Path(lock_file).read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "another process"


def _flock(handle: IO[str], mode: str, wait: bool) -> bool:
    if sys.platform == "win32":  # pragma: no cover - advisory locks are POSIX
        return True
    import fcntl

    flag = {"ex": fcntl.LOCK_EX, "sh": fcntl.LOCK_SH}[mode]
    try:
        fcntl.flock(handle.fileno(), flag | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


@contextmanager
def _locked(
    lock_file: Path,
    mode: str,
    *,
    wait: bool,
    what: str,
    waiting: Callable[[str], None] | None,
) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_file.open("a+", encoding="utf-8")
    try:
        if not _flock(handle, mode, wait=False):
            who = holder(lock_file)
            if not wait:
                raise LockError(
                    f"{what} is in use by {who}; wait for it to finish or choose another folder"
                )
            if waiting is not None:
                waiting(f"waiting for {who} ({what})")
            _flock(handle, mode, wait=True)
        if mode == "ex":
            handle.seek(0)
            handle.truncate()
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            handle.write(f"process {os.getpid()} on {socket.gethostname()} since {stamp}\n")
            handle.flush()
        yield
    finally:
        handle.close()  # releases the lock


def exclusive(
    lock_file: Path,
    *,
    wait: bool = False,
    what: str = "the folder",
    waiting: Callable[[str], None] | None = None,
) -> AbstractContextManager[None]:
    """Hold ``lock_file`` alone; refuse (:class:`LockError` naming the holder) or wait.

    Parameters
    ----------
    lock_file : pathlib.Path
        The lock file (created if absent; it holds the holder's pid).
    wait : bool
        Wait for the holder instead of refusing.
    what : str
        What the lock protects, for the message.
    waiting : callable, optional
        Called with a message when the lock is held and ``wait`` is True.
    """
    return _locked(Path(lock_file), "ex", wait=wait, what=what, waiting=waiting)


def shared(
    lock_file: Path,
    *,
    what: str = "the folder",
    waiting: Callable[[str], None] | None = None,
) -> AbstractContextManager[None]:
    """Hold ``lock_file`` together with other readers (waits while a writer holds it)."""
    return _locked(Path(lock_file), "sh", wait=True, what=what, waiting=waiting)


def clean_partials(parent: Path, name: str) -> list[Path]:
    """Remove ``parent/.<name>.*.partial`` and ``.old`` folders left by runs that died.

    Call it only while holding the exclusive lock for ``name``: every such folder then belongs
    to a process that no longer runs. Returns the folders removed."""
    removed = []
    for pattern in (f".{name}.*.partial", f".{name}.*.old"):
        for path in Path(parent).glob(pattern):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
