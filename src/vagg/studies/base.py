"""What a study is: named tables and figures, each a small function of the data and an engine.

A :class:`Study` reads like the list of exhibits of its paper. Each :class:`TableEntry` has
the paper's table number, its title, column headers and notes, and a function
``(StudyData, Engine) -> list[Result]`` whose Results become the columns of the table (built
with :func:`vagg.report.regression_table`); each :class:`FigureEntry` has a function
``(StudyData, Engine) -> Figure``. The study also declares which planted parameters of the
synthetic economy its estimates check (:class:`vagg.studies.truth.TruthCheck`).

:class:`StudyData` is what the functions read: the dataset's canonical tables, loaded lazily
and validated once, and derived frames (analysis panels) memoised with
:meth:`StudyData.cached` — within a run in memory, and on disk under a key that hashes the
dataset, the code and the parameters, written atomically so that an interrupted run resumes
where it stopped (design.md, "Studies" and "Standards").
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import pickle
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, Union

import numpy as np
import pandas as pd
import polars as pl

import vagg
from vagg._version import __version__
from vagg.errors import VaggError
from vagg.report.labels import LANGUAGES, Lang, localized

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from vagg.engine import Engine
    from vagg.estimate.results import Result
    from vagg.report.tables import RegressionTable
    from vagg.studies.truth import TruthCheck

T = TypeVar("T")

#: A text in one language (``str``) or in several (``{"zh": "基准回归", "en": "Baseline"}``).
Text = str | Mapping[str, str]
#: What a table entry's function returns: Results (one per column, or header → Result), or a
#: finished :class:`~vagg.report.tables.RegressionTable`.
TableOutput = Union["Result", Sequence["Result"], Mapping[str, "Result"], "RegressionTable"]
TableFunction = Callable[["StudyData", "Engine"], TableOutput]
FigureFunction = Callable[["StudyData", "Engine"], "Figure"]

#: Arguments of regression_table that a TableEntry sets from its own fields.
_OWN_TABLE_ARGUMENTS = frozenset({"results", "columns", "title", "notes", "rename", "lang"})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class StudyError(VaggError):
    """A study is defined or used wrongly (duplicate entry, unknown table, missing data)."""


def resolve_text(text: Text | None, lang: Lang) -> str:
    """``text`` in ``lang``; a text without that language gives its other one."""
    resolved = localized(text, lang)
    if resolved is None:
        raise StudyError(f"text {text!r} has no version in any of {list(LANGUAGES)}")
    return resolved


# -- entries and studies ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TableEntry:
    """One table of the paper.

    ``number`` is the paper's table number ("1", "4", "A2"); the files are
    ``table_<number>.{md,tex,html,docx,xlsx,csv}``. ``build(data, engine)`` returns the
    Results, one per column, in order (or a mapping header → Result, or a finished
    RegressionTable). ``columns``, ``title``, ``notes`` and ``rename`` (term → printed label)
    may be given in both languages; ``options`` are further keyword arguments of
    :func:`vagg.report.regression_table` (``keep``, ``controls``, ``fixed_effects_rows``,
    ``diagnostics``, ``stats``, ``digits``, ``show_depvar`` …).

    ``layout`` replaces :func:`vagg.report.regression_table` as the function that lays the
    Results out (same arguments, returns a RegressionTable): for tables whose printed layout
    is not one column per Result — e.g. paper 000 Tables 4–8, one equation per cell — while
    the Results stay one per equation for the manifest and the truth check.
    """

    number: str
    build: TableFunction
    title: Text = ""
    columns: Sequence[Text] | None = None
    notes: Sequence[Text] = ()
    rename: Mapping[str, Text] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    layout: Callable[..., RegressionTable] | None = None

    def __post_init__(self) -> None:
        clash = sorted(set(self.options) & _OWN_TABLE_ARGUMENTS)
        if clash:
            raise StudyError(
                f"table_{self.number}: options {clash} are set by the entry itself; use its "
                "title, columns, notes and rename fields (and the study's lang)"
            )

    @property
    def key(self) -> str:
        """The stem of the entry's files: ``table_<number>``."""
        return f"table_{self.number}"

    @property
    def kind(self) -> str:
        return "table"


@dataclass(frozen=True, eq=False)
class FigureEntry:
    """One figure of the paper: ``build(data, engine)`` returns a matplotlib Figure, saved as
    ``figure_<number>.png`` at 200 dpi (draw it with :mod:`vagg.report.figures`)."""

    number: str
    build: FigureFunction
    title: Text = ""
    notes: Sequence[Text] = ()

    @property
    def key(self) -> str:
        """The stem of the entry's file: ``figure_<number>``."""
        return f"figure_{self.number}"

    @property
    def kind(self) -> str:
        return "figure"


Entry = TableEntry | FigureEntry


@dataclass(frozen=True, eq=False)
class Study:
    """A paper's exhibits: ``entries`` in the paper's order, and the planted parameters of the
    synthetic economy they check (``truth``).

    ``name`` names the study on the command line and its output folder (lower case, digits,
    underscores); ``lang`` is the language of its tables and figures ("zh" as in the papers,
    "en"); ``paper`` cites the paper. ``truth`` is a list of TruthChecks or a mapping
    truth key → (table, result, term).
    """

    name: str
    title: Text
    entries: Sequence[Entry]
    truth: Sequence[TruthCheck] | Mapping[str, tuple[str, int | str, str]] = ()
    paper: str = ""
    lang: Lang = "zh"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise StudyError(
                f"study name {self.name!r}: use lower-case letters, digits and underscores, "
                "starting with a letter (it names the output folder)"
            )
        if self.lang not in LANGUAGES:
            raise StudyError(f"study {self.name!r}: lang must be one of {list(LANGUAGES)}")
        object.__setattr__(self, "entries", tuple(self.entries))
        object.__setattr__(self, "truth", _truth_checks(self.name, self.truth))
        seen: set[str] = set()
        for i, entry in enumerate(self.entries):
            if not isinstance(entry, TableEntry | FigureEntry):
                raise StudyError(
                    f"study {self.name!r}: entry #{i} is a {type(entry).__name__}, "
                    "not a TableEntry or FigureEntry"
                )
            if not isinstance(entry.number, str) or not _NUMBER.match(entry.number):
                raise StudyError(
                    f"study {self.name!r}: entry #{i} has number {entry.number!r}; give the "
                    "paper's table/figure number as a string of letters, digits, '.', '-', '_'"
                )
            if not callable(entry.build):
                raise StudyError(f"study {self.name!r}: {entry.key}.build is not callable")
            if entry.key in seen:
                raise StudyError(f"study {self.name!r}: {entry.key} is defined twice")
            seen.add(entry.key)
        for check in self.checks:
            self.table_entry(check.entry)

    @property
    def checks(self) -> tuple[TruthCheck, ...]:
        """The truth checks, as :class:`~vagg.studies.truth.TruthCheck` objects."""
        return self.truth  # type: ignore[return-value]  # normalised in __post_init__

    def entry(self, key: str) -> Entry:
        """The entry with file stem ``key`` (``table_1``, ``figure_2``)."""
        for entry in self.entries:
            if entry.key == key:
                return entry
        raise StudyError(
            f"study {self.name!r} has no entry {key!r}; entries: {[e.key for e in self.entries]}"
        )

    def table_entry(self, ref: str) -> TableEntry:
        """The table entry named by its number ("1") or its key ("table_1")."""
        for entry in self.entries:
            if isinstance(entry, TableEntry) and ref in (entry.number, entry.key):
                return entry
        tables = [e.key for e in self.entries if isinstance(e, TableEntry)]
        raise StudyError(f"study {self.name!r} has no table {ref!r}; tables: {tables}")


def _truth_checks(study: str, truth: Any) -> tuple[TruthCheck, ...]:
    from vagg.studies.truth import TruthCheck

    if isinstance(truth, Mapping):
        checks = []
        for key, target in truth.items():
            if not isinstance(target, tuple | list) or len(target) != 3:
                raise StudyError(
                    f"study {study!r}: truth[{key!r}] must be (table, result, term), got {target!r}"
                )
            entry, result, term = target
            checks.append(TruthCheck(key, entry, term, result))
        return tuple(checks)
    wrong = [c for c in truth if not isinstance(c, TruthCheck)]
    if wrong:
        raise StudyError(f"study {study!r}: truth holds {wrong[0]!r}, not a TruthCheck")
    return tuple(truth)


# -- hashing -------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dataset_hash(dataset: str | Path) -> tuple[str, str]:
    """A content hash of a dataset folder and what it was computed from.

    A synthetic dataset's ``manifest.json`` lists the SHA-256 of every file it wrote: the hash
    is then that of the manifest (timings left out) and of ``truth.json``. Any other folder is
    hashed file by file (relative path and SHA-256 of each file, hidden files left out).
    Returns ``(hex digest, "manifest.json" | "files")``.
    """
    root = Path(dataset)
    manifest = root / "manifest.json"
    if manifest.is_file():
        try:
            content = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            content = None
        if isinstance(content, dict) and content.get("generator") == "vagg.data.synth":
            content = {k: v for k, v in content.items() if k != "timings_s"}
            truth = root / "truth.json"
            content["truth.json"] = file_sha256(truth) if truth.is_file() else None
            text = json.dumps(content, sort_keys=True, ensure_ascii=True)
            return hashlib.sha256(text.encode()).hexdigest(), "manifest.json"
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            digest.update(f"{relative.as_posix()}\0{file_sha256(path)}\n".encode())
    return digest.hexdigest(), "files"


#: Parts of the package that cannot change a derived frame: presentation, the command line,
#: and the studies (whose code enters a frame's key through :func:`callable_fingerprint`).
_PRESENTATION = ("studies/", "report/", "cli.py")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over the source files of the installed ``vagg`` package that derived frames
    depend on — data, measures, estimators — so that a change to any of them invalidates the
    cached frames, while editing a table's layout or a study's entry does not."""
    root = Path(vagg.__file__).parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if not relative.startswith(_PRESENTATION):
            digest.update(relative.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def callable_fingerprint(fn: Callable[..., Any]) -> str:
    """What identifies a derivation's code: the source of ``fn`` and, recursively, of the
    functions it calls that live in its own module or in :mod:`vagg.studies` (helper modules
    of studies referenced as modules enter with their whole source). ``functools.partial``
    objects add their bound arguments. Without source: the module and qualified name."""
    parts: list[str] = []
    _collect_code(fn, parts, set(), getattr(fn, "__module__", None) or "")
    return "\n".join(parts)


def _collect_code(fn: Any, parts: list[str], seen: set[str], home: str) -> None:
    if isinstance(fn, functools.partial):
        arguments = [repr(a) for a in fn.args]
        arguments += sorted(f"{k}={v!r}" for k, v in fn.keywords.items())
        parts.append(json.dumps(arguments))
        _collect_code(fn.func, parts, seen, home)
        return
    name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', type(fn).__name__)}"
    if name in seen:
        return
    seen.add(name)
    try:
        parts.append(name + "\n" + inspect.getsource(fn))
    except (OSError, TypeError):
        parts.append(name)
    code, scope = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    if code is None:
        return
    for ref in sorted(_referenced_names(code)):
        target = scope.get(ref)
        if inspect.isfunction(target) and _is_study_code(target.__module__, home):
            _collect_code(target, parts, seen, home)
        elif inspect.ismodule(target) and _is_study_code(target.__name__, home):
            source = getattr(target, "__file__", None)
            if target.__name__ not in seen and source is not None:
                seen.add(target.__name__)
                parts.append(target.__name__ + "\n" + Path(source).read_text("utf-8"))


def _referenced_names(code: Any) -> set[str]:
    """Global names a code object (and the code objects nested in it) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _referenced_names(const)
    return names


def _is_study_code(module: str, home: str) -> bool:
    return module == home or (
        module.startswith("vagg.studies.")
        and module.rsplit(".", 1)[-1] not in ("base", "runner", "registry", "truth")
    )


def _stable_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=True, default=repr)


# -- the data a study reads --------------------------------------------------------------------


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
    dataset : the dataset folder (canonical tables, see ``docs/data.md``).
    seed : the run's seed (for draws a study makes: placebo, bootstrap); see :meth:`rng`.
    scale : the synthetic scale the data were generated at, or None for a user's data.
    cache_dir : folder for derived frames on disk; None keeps them in memory only.
    lang : the language of the run's tables and figures (the runner sets it; figure functions
        pass it to :mod:`vagg.report.figures`).

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
    ) -> None:
        self.dataset = Path(dataset)
        if not self.dataset.is_dir():
            raise StudyError(f"dataset: {self.dataset} is not a folder")
        self.seed = int(seed)
        self.scale = scale
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.lang: Lang = lang
        self._tables: dict[str, pl.DataFrame] = {}
        self._memo: dict[str, Any] = {}
        self._hash: tuple[str, str] | None = None
        self._truth: dict[str, Any] | None = None
        self._recording: list[list[dict[str, Any]]] = []
        self.derived: list[DerivedRecord] = []
        self.exclusions: list[dict[str, Any]] = []

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
            self._tables[name] = read_table(path, name)
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
        again when it is read back from disk."""
        note = {
            "stage": stage,
            "n_input": None if n_input is None else int(n_input),
            "dropped": {str(k): int(v) for k, v in dropped.items()},
        }
        self.exclusions.append(note)
        for recording in self._recording:
            recording.append(note)

    # -- derived frames ----------------------------------------------------------------------
    def cache_key(self, name: str, fn: Callable[..., Any], params: Mapping[str, Any]) -> str:
        """SHA-256 of what a derived frame depends on: the dataset's content hash, the name,
        the parameters, the function's source and the vagg package's source."""
        content = {
            "data": self.data_hash,
            "name": name,
            "params": _stable_json(dict(params)),
            "function": callable_fingerprint(fn),
            "code": code_fingerprint(),
        }
        return hashlib.sha256(_stable_json(content).encode()).hexdigest()

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
        if not isinstance(name, str) or not _NUMBER.match(name):
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
            loaded = _read_cached(stem)
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
            _write_cached(stem, value, recording)
        self._memo[key] = value
        self._log(name, key, "computed", start, value)
        return value

    def _log(self, name: str, key: str, source: str, start: float, value: Any) -> None:
        rows = len(value) if isinstance(value, pl.DataFrame | pd.DataFrame) else None
        self.derived.append(
            DerivedRecord(name, key[:20], source, round(time.perf_counter() - start, 4), rows)
        )


def atomic_write(path: Path, write: Callable[[Path], Any]) -> None:
    """``write(temporary)`` then rename onto ``path``: readers see all of it or nothing.

    The temporary file sits next to ``path`` (same file system, so the rename is atomic) and
    is removed if ``write`` fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _write_cached(stem: Path, value: Any, notes: list[dict[str, Any]]) -> None:
    sidecar = stem.with_name(stem.name + ".json")
    atomic_write(sidecar, lambda p: p.write_text(json.dumps({"dropped": notes}), encoding="utf-8"))
    if isinstance(value, pl.DataFrame):
        atomic_write(stem.with_name(stem.name + ".pl.parquet"), value.write_parquet)
    elif isinstance(value, pd.DataFrame):
        atomic_write(stem.with_name(stem.name + ".pd.parquet"), value.to_parquet)
    else:

        def dump(path: Path) -> None:
            with path.open("wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)

        atomic_write(stem.with_name(stem.name + ".pkl"), dump)


def _read_cached(stem: Path) -> tuple[Any, list[dict[str, Any]]] | None:
    """The stored value and its exclusion notes, or None when absent or unreadable."""
    sidecar = stem.with_name(stem.name + ".json")
    readers: list[tuple[str, Callable[[Path], Any]]] = [
        (".pl.parquet", pl.read_parquet),
        (".pd.parquet", pd.read_parquet),
        (".pkl", lambda p: pickle.loads(p.read_bytes())),
    ]
    for suffix, read in readers:
        path = stem.with_name(stem.name + suffix)
        if not path.is_file():
            continue
        try:
            value = read(path)
            notes = json.loads(sidecar.read_text(encoding="utf-8"))["dropped"]
        except Exception:  # an unreadable cache file is recomputed, never trusted
            return None
        return value, list(notes)
    return None
