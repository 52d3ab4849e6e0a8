"""What a study's functions read: a dataset's tables, loaded once, and derived frames cached.

:class:`StudyData` gives the dataset's canonical tables, loaded lazily and validated once, and
derived frames (analysis panels) memoised with :meth:`StudyData.cached` — within a run in
memory, and on disk under a key that hashes the dataset, the code, the parameters and the
study's options (:mod:`vagg.studies.cache`), so that an interrupted run resumes where it
stopped (design.md, "Studies" and "Standards").
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import polars as pl

from vagg.data.dataset import dataset_hash
from vagg.report.labels import Lang
from vagg.studies.cache import read_cached, write_cached
from vagg.studies.errors import NAME_PATTERN, StudyError
from vagg.studies.fingerprint import callable_fingerprint, code_fingerprint, stable_json

__all__ = ["DerivedRecord", "StudyData"]

T = TypeVar("T")


@dataclass
class DerivedRecord:
    """How one :meth:`StudyData.cached` call was served: ``computed``, ``memory`` or ``disk``."""

    name: str
    key: str
    source: str
    seconds: float
    rows: int | None


class StudyData:
    """Lazy, cached access to a dataset folder for the functions of a study.

    Parameters
    ----------
    dataset : str or pathlib.Path
        The dataset folder (canonical tables, see ``docs/data.md``).
    seed : int
        The run's seed (for draws a study makes: placebo, bootstrap); see :meth:`rng`.
    scale : str, optional
        The synthetic scale the data were generated at, or None for a user's data.
    cache_dir : str or pathlib.Path, optional
        Folder for derived frames on disk; None keeps them in memory only.
    lang : {"zh", "en"}
        The language of the run's tables and figures (the runner sets it; figure functions
        pass it to :mod:`vagg.report.figures`).
    options : mapping of str to Any, optional
        The running study's option values (the runner sets them with
        :func:`vagg.studies.options.resolve_options`); read with :meth:`option`. They are part
        of every derived frame's cache key.

    ``table(name)`` reads and validates a table once; ``scan(name)`` gives a lazy polars scan;
    ``cached(name, fn)`` memoises a derived frame; ``truth`` holds ``truth.json`` when the
    dataset is synthetic.
    """

    def __init__(
        self,
        dataset: str | Path,
        *,
        seed: int = 0,
        scale: str | None = None,
        cache_dir: str | Path | None = None,
        lang: Lang = "zh",
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.dataset = Path(dataset)
        if not self.dataset.is_dir():
            raise StudyError(f"dataset: {self.dataset} is not a folder")
        self.seed = int(seed)
        self.scale = scale
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.lang: Lang = lang
        self.options: dict[str, Any] = dict(options or {})
        self._tables: dict[str, pl.DataFrame] = {}
        self._memo: dict[str, Any] = {}
        self._hash: tuple[str, str] | None = None
        self._truth: dict[str, Any] | None = None
        self._recording: list[list[dict[str, Any]]] = []
        self.derived: list[DerivedRecord] = []
        self.exclusions: list[dict[str, Any]] = []
        #: the run's disclosure threshold (the runner sets ``--min-firms``)
        self.min_firms = 10
        #: encoding of the dataset's CSV files (None: UTF-8); ``--encoding`` sets it
        self.encoding: str | None = None
        self._gate: dict[str, list[str]] = {}

    def __repr__(self) -> str:
        return f"StudyData({self.dataset.name!r}, seed={self.seed}, scale={self.scale!r})"

    # -- identity ----------------------------------------------------------------------
    @property
    def data_hash(self) -> str:
        """Content hash of the dataset (:func:`dataset_hash`), computed once."""
        if self._hash is None:
            self._hash = dataset_hash(self.dataset)
        return self._hash[0]

    @property
    def data_hash_source(self) -> str:
        """What :attr:`data_hash` was computed from: "manifest.json" or "files"."""
        if self._hash is None:
            self._hash = dataset_hash(self.dataset)
        return self._hash[1]

    @property
    def is_synthetic(self) -> bool:
        """True when the dataset holds ``truth.json`` (a synthetic economy)."""
        return (self.dataset / "truth.json").is_file()

    @property
    def truth(self) -> dict[str, Any] | None:
        """The parsed ``truth.json`` (planted parameters and estimands), or None."""
        if self._truth is None and self.is_synthetic:
            self._truth = json.loads((self.dataset / "truth.json").read_text(encoding="utf-8"))
        return self._truth

    def rng(self, name: str) -> np.random.Generator:
        """A random generator for the draws of ``name`` (an entry, a placebo), from the run's
        seed: the same seed and name give the same draws, different names independent ones."""
        words = np.frombuffer(hashlib.sha256(name.encode()).digest()[:16], dtype=np.uint32)
        return np.random.default_rng(np.random.SeedSequence([self.seed, *words.tolist()]))

    def option(self, name: str) -> Any:
        """The value of the running study's option ``name``."""
        try:
            return self.options[name]
        except KeyError:
            raise StudyError(
                f"option {name!r} is not set for this run; set: {sorted(self.options)}"
            ) from None

    # -- tables ------------------------------------------------------------------------
    def has_table(self, name: str) -> bool:
        """Whether the dataset holds table ``name``."""
        from vagg.data.io import table_path

        return table_path(self.dataset, name) is not None

    def table(self, name: str) -> pl.DataFrame:
        """Canonical table ``name``, read and validated against its schema on first use."""
        if name not in self._tables:
            from vagg.data.io import read_table, table_path

            path = table_path(self.dataset, name)
            if path is None:
                raise StudyError(f"table {name!r}: not found in dataset {self.dataset}")
            self._tables[name] = read_table(path, name, encoding=self.encoding)
        return self._tables[name]

    def scan(self, name: str) -> pl.LazyFrame:
        """A lazy polars scan of table ``name`` (not validated; for large tables)."""
        from vagg.data.io import scan_table

        if not self.has_table(name):
            raise StudyError(f"table {name!r}: not found in dataset {self.dataset}")
        return scan_table(self.dataset, name)

    # -- exclusions ------------------------------------------------------------------------
    def note_dropped(
        self, stage: str, dropped: Mapping[str, int], *, n_input: int | None = None
    ) -> None:
        """Record rows a derivation excluded, by reason (``{"unmatched_customs": 120}``); they
        go to the manifest. Inside :meth:`cached` they are stored with the frame and recorded
        again when it is read back from disk; a note equal to one already recorded in this run
        (the same derivation served again from disk or from a cached entry) is kept once."""
        note = {
            "stage": stage,
            "n_input": None if n_input is None else int(n_input),
            "dropped": {str(k): int(v) for k, v in dropped.items()},
        }
        if note not in self.exclusions:
            self.exclusions.append(note)
        for recording in self._recording:
            recording.append(note)

    # -- derived frames ----------------------------------------------------------------------
    def cache_key(self, name: str, fn: Callable[..., Any], params: Mapping[str, Any]) -> str:
        """SHA-256 of what a derived frame depends on: the dataset's content hash, the name,
        the parameters, the study's options, the function's source and the vagg package's
        source."""
        content = {
            "data": self.data_hash,
            "name": name,
            "params": stable_json(dict(params)),
            "options": stable_json(self.options),
            "function": callable_fingerprint(fn),
            "code": code_fingerprint(),
        }
        return hashlib.sha256(stable_json(content).encode()).hexdigest()

    def cached(
        self,
        name: str,
        fn: Callable[..., T],
        *,
        params: Mapping[str, Any] | None = None,
        disk: bool = True,
    ) -> T:
        """``fn(self, **params)``, computed once per run and, with ``disk``, once per content.

        The value is memoised in memory under :meth:`cache_key`; with ``disk=True`` and a
        ``cache_dir`` it is also stored there — polars and pandas frames as Parquet, other
        values pickled — written to a temporary file and renamed, so a file that exists is
        complete. A later run with the same data, code and parameters reads it back instead of
        calling ``fn`` (an interrupted run resumes). Rows ``fn`` reports with
        :meth:`note_dropped` are stored with it.
        """
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise StudyError(f"cached: name {name!r} must be letters, digits, '.', '-', '_'")
        params = dict(params or {})
        key = self.cache_key(name, fn, params)
        start = time.perf_counter()
        if key in self._memo:
            value = self._memo[key]
            self._log(name, key, "memory", start, value)
            return value
        stem = self.cache_dir / f"{name}-{key[:20]}" if disk and self.cache_dir else None
        if stem is not None:
            loaded = read_cached(stem)
            if loaded is not None:
                value, notes = loaded
                for note in notes:
                    self.note_dropped(note["stage"], note["dropped"], n_input=note["n_input"])
                self._memo[key] = value
                self._log(name, key, "disk", start, value)
                return value
        recording: list[dict[str, Any]] = []
        self._recording.append(recording)
        try:
            value = fn(self, **params)
        finally:
            # by identity: nested calls push equal (e.g. empty) lists
            at = next(i for i, r in enumerate(self._recording) if r is recording)
            del self._recording[at]
        if stem is not None:
            write_cached(stem, value, recording)
        self._memo[key] = value
        self._log(name, key, "computed", start, value)
        return value

    def _log(self, name: str, key: str, source: str, start: float, value: Any) -> None:
        rows = len(value) if isinstance(value, pl.DataFrame | pd.DataFrame) else None
        self.derived.append(
            DerivedRecord(name, key[:20], source, round(time.perf_counter() - start, 4), rows)
        )
