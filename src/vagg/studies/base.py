"""What a study is: named tables and figures, each a small function of the data and an engine.

A :class:`Study` reads like the list of exhibits of its paper. Each :class:`TableEntry` has
the paper's table number, its title, column headers and notes, and a function
``(StudyData, Engine) -> list[Result]`` whose Results become the columns of the table (built
with :func:`vagg.report.regression_table`); each :class:`FigureEntry` has a function
``(StudyData, Engine) -> Figure``. The study also declares which planted parameters of the
synthetic economy its estimates check (:class:`TruthCheck`; compared by
:mod:`vagg.studies.truth`) and the options
a user may set (:class:`vagg.studies.options.StudyOption`).

These are declarations only: what the functions read is :class:`vagg.studies.data.StudyData`
(with its disk cache in :mod:`vagg.studies.cache` and code fingerprints in
:mod:`vagg.studies.fingerprint`); :mod:`vagg.studies.runner` runs a study.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from vagg.report.labels import LANGUAGES, Lang, localized
from vagg.studies.errors import NAME_PATTERN, StudyError
from vagg.studies.options import StudyOption

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from vagg.engine import Engine
    from vagg.estimate.results import Result
    from vagg.report.tables import RegressionTable
    from vagg.studies.data import StudyData

__all__ = [
    "FRAMEWORK_MODULES",
    "NAME_PATTERN",
    "Entry",
    "FigureEntry",
    "FigureFunction",
    "Study",
    "StudyError",
    "TableEntry",
    "TableFunction",
    "TableOutput",
    "Text",
    "TruthCheck",
    "resolve_text",
]

#: A text in one language (``str``) or in several (``{"zh": "基准回归", "en": "Baseline"}``).
Text = str | Mapping[str, str]
#: What a table entry's function returns: Results (one per column, or header → Result), or a
#: finished :class:`~vagg.report.tables.RegressionTable`.
TableOutput = Union["Result", Sequence["Result"], Mapping[str, "Result"], "RegressionTable"]
TableFunction = Callable[["StudyData", "Engine"], TableOutput]
FigureFunction = Callable[["StudyData", "Engine"], "Figure"]

#: Modules of :mod:`vagg.studies` that are the framework, not studies (the registry does not
#: import them as studies; their code does not enter a derived frame's key).
FRAMEWORK_MODULES = frozenset(
    {
        "base",
        "cache",
        "data",
        "errors",
        "fingerprint",
        "options",
        "prepare",
        "registry",
        "runner",
        "truth",
    }
)
#: Arguments of regression_table that a TableEntry sets from its own fields.
_OWN_TABLE_ARGUMENTS = frozenset({"results", "columns", "title", "notes", "rename", "lang"})
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: What entry numbers and derived-frame names may hold.
_NUMBER = NAME_PATTERN


def resolve_text(text: Text | None, lang: Lang) -> str:
    """``text`` in ``lang``; a text without that language gives its other one."""
    resolved = localized(text, lang)
    if resolved is None:
        raise StudyError(f"text {text!r} has no version in any of {list(LANGUAGES)}")
    return resolved


@dataclass(frozen=True)
class TruthCheck:
    """Parameter ``key`` of ``truth.json`` is estimated by coefficient ``term`` of Result
    ``result`` (its position, or its column header) of table ``entry`` (number or key)."""

    key: str
    entry: str
    term: str
    result: int | str = 0

    def __post_init__(self) -> None:
        for name in ("key", "entry", "term"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise StudyError(f"TruthCheck.{name}: expected a non-empty string, got {value!r}")
        if isinstance(self.result, bool) or not isinstance(self.result, int | str):
            raise StudyError(
                f"TruthCheck.result: expected a position or a column header, got {self.result!r}"
            )


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
    truth key → (table, result, term). ``options`` declares what a user may set
    (:class:`~vagg.studies.options.StudyOption`; ``vagg replicate STUDY --set NAME=VALUE``);
    the functions read the values with :meth:`vagg.studies.data.StudyData.option`.
    ``tables`` names the dataset tables the study reads: ``vagg data check --study`` and the
    runner's data check report them when missing. ``synthetic_parts`` names the parts of the
    synthetic economy those tables come from (:mod:`vagg.data.synth.parts`, e.g.
    ``("provinces",)``), so that a run on synthetic data generates only them; None (the
    default) asks for the whole economy.
    """

    name: str
    title: Text
    entries: Sequence[Entry]
    truth: Sequence[TruthCheck] | Mapping[str, tuple[str, int | str, str]] = ()
    paper: str = ""
    lang: Lang = "zh"
    options: Sequence[StudyOption] = ()
    tables: Sequence[str] = ()
    synthetic_parts: Sequence[str] | None = None

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
        object.__setattr__(self, "options", tuple(self.options))
        object.__setattr__(self, "tables", tuple(self.tables))
        if self.synthetic_parts is not None:
            from vagg.data.synth.parts import PartError, resolve_parts

            if isinstance(self.synthetic_parts, str):
                raise StudyError(
                    f"study {self.name!r}: synthetic_parts must be a sequence of part names, "
                    f"not the string {self.synthetic_parts!r}"
                )
            try:
                parts = resolve_parts(self.synthetic_parts, closure=False)
            except PartError as err:
                raise StudyError(f"study {self.name!r}: {err}") from None
            object.__setattr__(self, "synthetic_parts", parts)
        names = [o.name for o in self.options if isinstance(o, StudyOption)]
        if len(names) != len(self.options) or len(set(names)) != len(names):
            raise StudyError(
                f"study {self.name!r}: options must be StudyOption objects with distinct names"
            )

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
