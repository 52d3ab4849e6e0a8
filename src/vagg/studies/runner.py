"""Run a study and write its folder: tables in every format, figures, manifest, truth check.

:func:`replicate` is what ``vagg replicate`` calls: it finds the data — the synthetic economy
at a scale, generated once into ``<cache_dir>/<scale>-seed<N>/`` and reused while its
manifest matches (:mod:`vagg.data.dataset`), or the user's dataset folder — and runs each
study with :func:`run_study`, which writes ``<out>/<study>/``:

* ``table_<k>.{md,tex,html,docx,xlsx,csv}`` for every table entry
  (:meth:`vagg.report.RegressionTable.save`), ``figure_<k>.png`` for every figure (200 dpi);
* ``manifest.json``: vagg and dependency versions, the data's content hash, seed, scale,
  engine, per-entry status and timing, the rows each Result dropped and why, rows excluded by
  the derivations, derived frames computed or read from the cache, peak memory;
* ``truth_check.csv`` on synthetic data (:mod:`vagg.studies.truth`).

The data pass the check of ``vagg data check`` first, or nothing runs; the folder is staged
and published by rename under a lock; entries run under the ``min_firms`` disclosure
threshold (:mod:`vagg.studies.publish`, docs/runs.md). An entry that raises is recorded in
the manifest by its error type (message and traceback go to a local log outside ``out``) and
the next entry runs; :attr:`RunReport.ok` is then False. Derived frames are cached on disk by
content (:meth:`StudyData.cached`); :func:`stable_manifest` is the manifest without times.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.markup import escape

from vagg.progress import shown
from vagg.report.export import CSV_FLOAT_FORMAT, FORMATS
from vagg.report.labels import Lang
from vagg.studies import registry
from vagg.studies.base import FigureEntry, Study, StudyError, TableEntry, resolve_text
from vagg.studies.cache import atomic_write, build_entry
from vagg.studies.data import StudyData
from vagg.studies.manifest import (
    DEPENDENCIES,
    VOLATILE,
    environment,
    peak_memory_mb,
    stable_manifest,
)
from vagg.studies.options import options_by_study, resolve_options
from vagg.studies.publish import DisclosureError, RunLog, check_disclosure, data_gate, staged
from vagg.studies.truth import truth_check

__all__ = [
    "DEPENDENCIES",
    "ENGINES",
    "VOLATILE",
    "EntryOutcome",
    "RunReport",
    "check_arguments",
    "environment",
    "peak_memory_mb",
    "replicate",
    "run_study",
    "stable_manifest",
]


@dataclass
class EntryOutcome:
    """What running one entry gave: status ("ok" / "failed"), seconds, files written, the
    Results (tables) with their column headers, and the manifest record."""

    key: str
    kind: str
    status: str
    seconds: float
    files: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass
class RunReport:
    """A finished run: where it wrote, its manifest, the outcome of each entry, the truth
    check (None when not run)."""

    study: str
    out_dir: Path
    manifest: dict[str, Any]
    outcomes: list[EntryOutcome]
    truth: pd.DataFrame | None

    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        """Keys of the entries that raised (withheld entries are not failures)."""
        return [o.key for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when the data passed the check and every entry ran."""
        return not self.failed and not self.problems


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _write_json(path: Path, content: Mapping[str, Any]) -> None:
    text = json.dumps(content, indent=2, ensure_ascii=False, default=str)
    atomic_write(path, lambda p: p.write_text(text + "\n", encoding="utf-8"))


# -- running one study -----------------------------------------------------------------------


def _table_title(entry: TableEntry, lang: Lang) -> str:
    title = resolve_text(entry.title, lang)
    if lang == "zh":
        return f"表{entry.number}　{title}".rstrip()
    return f"Table {entry.number}: {title}" if title else f"Table {entry.number}"


def _columns(entry: TableEntry, output: Any, lang: Lang) -> tuple[list[str], list[Any]]:
    from vagg.estimate.results import Result

    if isinstance(output, Result):
        models: list[Any] = [output]
        default = ["(1)"]
    elif isinstance(output, Mapping):
        models = list(output.values())
        default = [str(k) for k in output]
    elif isinstance(output, Sequence) and not isinstance(output, str):
        models = list(output)
        default = [f"({i + 1})" for i in range(len(models))]
    else:
        raise StudyError(
            f"{entry.key}: build returned a {type(output).__name__}; return a list of Results, "
            "a mapping header → Result or a RegressionTable"
        )
    if entry.columns is None:
        return default, models
    return [resolve_text(c, lang) for c in entry.columns], models


def _sample_records(headers: Sequence[str], models: Sequence[Any]) -> list[dict[str, Any]]:
    records = []
    for header, model in zip(headers, models, strict=False):
        sample = model.sample
        records.append(
            {
                "column": header,
                "depvar": model.depvar,
                "nobs": int(model.nobs),
                "n_input": None if sample is None else int(sample.n_input),
                "n_used": None if sample is None else int(sample.n_used),
                "dropped": {}
                if sample is None
                else {k: int(v) for k, v in sample.dropped.items() if v},
            }
        )
    return records


def _run_table(
    entry: TableEntry,
    data: StudyData,
    engine: Any,
    folder: Path,
    lang: Lang,
    formats: Sequence[str],
    outcome: EntryOutcome,
    study: str,
) -> None:
    from vagg.report.tables import RegressionTable, regression_table

    output, outcome.record["cached"] = build_entry(entry, data, engine, study)
    if isinstance(output, RegressionTable):
        table = output
    else:
        headers, models = _columns(entry, output, lang)
        lay_out = entry.layout if entry.layout is not None else regression_table
        table = lay_out(
            models,
            columns=headers,
            title=_table_title(entry, lang),
            notes=[resolve_text(n, lang) for n in entry.notes],
            rename={k: resolve_text(v, lang) for k, v in entry.rename.items()},
            lang=lang,
            **dict(entry.options),
        )
        check_disclosure(headers, models, data.min_firms)
        outcome.headers, outcome.results = headers, models
        outcome.record["results"] = _sample_records(headers, models)
    written = table.save(folder / entry.key, formats)
    outcome.files = [p.name for p in written]


def _run_figure(
    entry: FigureEntry, data: StudyData, engine: Any, folder: Path, outcome: EntryOutcome
) -> None:
    from matplotlib.figure import Figure

    from vagg.report.figures import figure_metadata, save_figure, set_figure_metadata

    figure = entry.build(data, engine)
    if not isinstance(figure, Figure):
        raise StudyError(
            f"{entry.key}: build returned a {type(figure).__name__}, not a matplotlib Figure"
        )
    try:
        title = resolve_text(entry.title, data.lang)
        if title:
            set_figure_metadata(figure, title=title)
        path = save_figure(figure, folder / f"{entry.key}.png")
        outcome.files = [path.name]
        outcome.record["figure"] = figure_metadata(figure)
    finally:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close(figure)


def _derived_summary(records: Sequence[Any]) -> list[dict[str, Any]]:
    """One record per derived frame: how it was first obtained (computed / disk), its time and
    rows, and how many later requests the in-memory copy served."""
    summary: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.key in summary:
            summary[record.key]["memory_hits"] += 1
        else:
            summary[record.key] = {**asdict(record), "memory_hits": 0}
    return list(summary.values())


def _dropped_totals(records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for record in records:
        for reason, n in record.get("dropped", {}).items():
            totals[reason] = totals.get(reason, 0) + int(n)
    return totals


def run_study(
    study: Study,
    data: StudyData,
    out: str | Path,
    *,
    engine: Any = "local",
    lang: Lang | None = None,
    formats: Sequence[str] = tuple(FORMATS),
    console: Console | None = None,
    data_info: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    min_firms: int = 10,
    log_dir: str | Path | None = None,
) -> RunReport:
    """Run every entry of ``study`` on ``data`` and write ``<out>/<study.name>/``.

    The data are checked first (:func:`vagg.studies.publish.data_gate`, the check of ``vagg
    data check`` with the study's ``tables``); problems stop the run before anything is
    written (:attr:`RunReport.problems`). The folder is staged and published by rename
    (:func:`vagg.studies.publish.staged`). ``min_firms`` is the disclosure threshold; messages
    naming rows go to a log in ``log_dir`` (default ``<cache_dir>/../logs``, else the system's
    temporary folder; never under ``out``).

    ``engine``: "local" (processes on every core), "dask", None (serial) or an engine object
    (:func:`vagg.engine.resolve_engine`); engines created here are closed at the end. ``lang``
    overrides the study's language. ``data_info`` is added to the manifest's "data" record
    (how the data were prepared). ``options`` sets the study's declared options (values or
    text, checked by :func:`vagg.studies.options.resolve_options`: an unknown name or a bad
    value raises before anything runs); the manifest records every option's value. Returns a
    :class:`RunReport`; the run itself never raises for a failing entry.
    """
    from vagg.report.layouts import disclosure

    resolved = resolve_options(study.options, dict(options or {}), study.name)
    if isinstance(min_firms, bool) or not isinstance(min_firms, int) or min_firms < 1:
        raise StudyError(f"min_firms must be a whole number >= 1, got {min_firms!r}")
    console = console or Console(stderr=True)
    lang = lang or study.lang
    if log_dir is None and data.cache_dir is not None:
        log_dir = data.cache_dir.parent / "logs"
    log = RunLog(None if log_dir is None else Path(log_dir), Path(out), study.name)
    problems = data_gate(data, study.tables)
    if problems:
        log.write(f"{study.name}: data check", "\n".join(problems))
        for problem in problems:
            console.print(f"[red]✗ {escape(problem)}[/red]")
        console.print(
            f"[red]{study.name}: the data fail {len(problems)} check(s); nothing was run "
            f"(vagg data check; log {log.path})[/red]"
        )
        manifest = {"study": study.name, "status": "data_failed", "problems": len(problems)}
        return RunReport(study.name, Path(out) / study.name, manifest, [], None, problems)
    data.lang = lang
    data.options = resolved
    data.min_firms = min_firms
    with staged(Path(out), study.name) as folder, disclosure(min_firms):
        report = _run_staged(
            study, data, folder, engine, lang, formats, console, data_info, resolved, log
        )
    report.out_dir = Path(out) / study.name
    return report


def _run_staged(
    study: Study,
    data: StudyData,
    folder: Path,
    engine: Any,
    lang: Lang,
    formats: Sequence[str],
    console: Console,
    data_info: Mapping[str, Any] | None,
    resolved: dict[str, Any],
    log: RunLog,
) -> RunReport:
    from vagg.engine import engine_session

    start = time.perf_counter()
    derived_from, excluded_from = len(data.derived), len(data.exclusions)
    manifest: dict[str, Any] = {
        "study": study.name,
        "title": resolve_text(study.title, lang),
        "paper": study.paper,
        "status": "running",
        "started": _now(),
        **environment(),
        "data": {
            "path": str(data.dataset),
            "synthetic": data.is_synthetic,
            "hash": data.data_hash,
            "hash_of": data.data_hash_source,
            "scale": data.scale,
            **dict(data_info or {}),
        },
        "seed": data.seed,
        "scale": data.scale,
        "lang": lang,
        "options": resolved,
        "min_firms": data.min_firms,
        "formats": list(formats),
        "entries": [],
    }
    outcomes: list[EntryOutcome] = []
    with engine_session(engine) as runner:
        manifest["engine"] = {"name": type(runner).__name__, "n_workers": runner.n_workers}
        _write_json(folder / "manifest.json", manifest)
        with shown(console, transient=False) as bar:
            task = bar.add_task(study.name, total=len(study.entries))
            for entry in study.entries:
                bar.update(task, description=f"{study.name}: {entry.key}")
                outcome = _run_entry(entry, data, runner, folder, lang, formats, log)
                outcomes.append(outcome)
                manifest["entries"].append(outcome.record)
                _write_json(folder / "manifest.json", manifest)
                if outcome.status != "ok":
                    text = f"✗ {study.name} {entry.key}: {outcome.message} (log {log.path})"
                    console.print(f"[red]{escape(text)}[/red]")
                bar.advance(task)
    truth_frame = _truth(study, data, outcomes, folder, manifest)
    failed = [o.key for o in outcomes if o.status == "failed"]
    manifest.update(
        status="failed" if failed else "ok",
        failed_entries=failed,
        withheld_entries=[o.key for o in outcomes if o.status == "withheld"],
        finished=_now(),
        seconds=round(time.perf_counter() - start, 3),
        rows_dropped={o.key: _dropped_totals(o.record.get("results", [])) for o in outcomes},
        exclusions=data.exclusions[excluded_from:],
        derived=_derived_summary(data.derived[derived_from:]),
        peak_memory_mb=peak_memory_mb(),
    )
    _write_json(folder / "manifest.json", manifest)
    return RunReport(study.name, folder, manifest, outcomes, truth_frame)


def _run_entry(
    entry: TableEntry | FigureEntry,
    data: StudyData,
    engine: Any,
    folder: Path,
    lang: Lang,
    formats: Sequence[str],
    log: RunLog,
) -> EntryOutcome:
    outcome = EntryOutcome(entry.key, entry.kind, "ok", 0.0)
    derived_from, excluded_from = len(data.derived), len(data.exclusions)
    start = time.perf_counter()
    try:
        if isinstance(entry, TableEntry):
            _run_table(entry, data, engine, folder, lang, formats, outcome, log.study)
        else:
            _run_figure(entry, data, engine, folder, outcome)
    except DisclosureError as err:  # withheld: below the disclosure threshold
        outcome.status = "withheld"
        outcome.message = str(err)
        outcome.record["withheld"] = str(err)
        for name in outcome.files:
            (folder / name).unlink(missing_ok=True)
        outcome.files = []
    except Exception as err:  # recorded, and the other entries still run
        outcome.status = "failed"
        outcome.message = f"{type(err).__name__}: {err}"
        # messages and tracebacks can name firms: the manifest keeps the type, the log the rest
        outcome.record["error"] = {
            "type": type(err).__name__,
            "log": log.write(f"{entry.key}: {type(err).__name__}", traceback.format_exc()),
        }
    outcome.seconds = round(time.perf_counter() - start, 4)
    outcome.record = {
        "key": entry.key,
        "kind": entry.kind,
        "number": entry.number,
        "title": resolve_text(entry.title, lang),
        "notes": [resolve_text(n, lang) for n in entry.notes],
        "status": outcome.status,
        "seconds": outcome.seconds,
        "files": outcome.files,
        **outcome.record,
        "exclusions": data.exclusions[excluded_from:],
        "derived": [asdict(d) for d in data.derived[derived_from:]],
        "peak_memory_mb": peak_memory_mb(),
    }
    return outcome


def _truth(
    study: Study,
    data: StudyData,
    outcomes: Sequence[EntryOutcome],
    folder: Path,
    manifest: dict[str, Any],
) -> pd.DataFrame | None:
    truth = data.truth
    if truth is None:
        manifest["truth_check"] = {"skipped": "the dataset has no truth.json (not synthetic)"}
        return None
    if not study.checks:
        manifest["truth_check"] = {"skipped": "the study declares no truth checks"}
        return None
    results = {
        o.key: (o.headers, o.results) if o.status == "ok" and o.results else None
        for o in outcomes
        if o.kind == "table"
    }
    frame = truth_check(study, truth, results)
    path = folder / "truth_check.csv"
    atomic_write(
        path,
        lambda p: frame.to_csv(p, index=False, encoding="utf-8", float_format=CSV_FLOAT_FORMAT),
    )
    covered = frame["covered"]
    manifest["truth_check"] = {
        "file": path.name,
        "checked": len(frame),
        "covered": int(covered.fillna(False).sum()),
        "not_covered": int((covered == False).fillna(False).sum()),  # noqa: E712
        "not_computed": int(covered.isna().sum()),
    }
    return frame


# -- replicate: data + studies -----------------------------------------------------------------


#: The engines ``replicate`` accepts by name.
ENGINES = ("local", "dask")


def check_arguments(
    *,
    scale: str | None = None,
    data: str | Path | None = None,
    engine: Any = "local",
    lang: str | None = None,
) -> None:
    """The one check of :func:`replicate`'s arguments (the command line calls it too).

    Raises
    ------
    StudyError
        When both ``scale`` and ``data`` are given, the scale is unknown, ``data`` is not a
        folder, the engine name is unknown or the language is neither "zh" nor "en".
    """
    from vagg.data.synth.config import SCALES
    from vagg.report.labels import LANGUAGES

    if scale is not None and data is not None:
        raise StudyError("give either a scale (synthetic data) or a dataset folder, not both")
    if scale is not None and scale not in SCALES:
        raise StudyError(f"unknown scale {scale!r}; choose one of {sorted(SCALES)}")
    if data is not None and not Path(data).is_dir():
        raise StudyError(f"data: {data} is not a dataset folder")
    if isinstance(engine, str) and engine not in ENGINES:
        raise StudyError(f"unknown engine {engine!r}; choose one of {list(ENGINES)}")
    if lang is not None and lang not in LANGUAGES:
        raise StudyError(f"unknown language {lang!r}; choose one of {list(LANGUAGES)}")


def replicate(
    studies: Sequence[str | Study] | None = None,
    *,
    scale: str | None = None,
    data: str | Path | None = None,
    out: str | Path = "results",
    engine: Any = "local",
    seed: int = 0,
    cache_dir: str | Path = "data",
    use_cache: bool = True,
    lang: Lang | None = None,
    reference_dir: str | Path | None = None,
    console: Console | None = None,
    options: Mapping[str, Any] | None = None,
    min_firms: int = 10,
    log_dir: str | Path | None = None,
    encoding: str | None = None,
) -> list[RunReport]:
    """Run ``studies`` (names or Study objects; None: every registered study) and return one
    :class:`RunReport` each.

    The data: ``data``, a dataset folder, or else the synthetic economy at ``scale``
    (default "small") and ``seed``, generated once into ``<cache_dir>/<scale>-seed<seed>/``
    with the parts the studies read (:func:`vagg.studies.prepare.prepare_synthetic`). Derived
    frames are cached in ``<cache_dir>/derived/`` unless ``use_cache`` is False. The studies
    share one :class:`StudyData`, so a panel two studies use is built once. ``options``: study
    options, ``name`` for every study run or ``study.name`` for one
    (:func:`vagg.studies.options.options_by_study`), checked before any data are prepared.
    ``min_firms``, ``log_dir``: see :func:`run_study`; ``encoding``: of the data's CSV files.
    A cached synthetic dataset is held with a shared lock while the studies run.
    """
    from contextlib import ExitStack

    from vagg.data.dataset import dataset_lock
    from vagg.locks import shared
    from vagg.studies.prepare import prepare_synthetic

    check_arguments(scale=scale, data=data, engine=engine, lang=lang)
    console = console or Console(stderr=True)
    chosen = [registry.get(s) if isinstance(s, str) else s for s in studies or []]
    if studies is None:
        chosen = registry.all()
    if not chosen:
        return []
    given = options_by_study(dict(options or {}), [study.name for study in chosen])
    for study in chosen:
        resolve_options(study.options, given[study.name], study.name)
    cache = Path(cache_dir)
    started = time.perf_counter()
    if data is not None:
        dataset = Path(data)
        info: dict[str, Any] = {"source": "user"}
        run_scale = None
    else:
        run_scale = scale or "small"
        console.print(f"synthetic economy '{run_scale}', seed {seed}")
        dataset, info = prepare_synthetic(
            chosen, run_scale, seed, cache, reference_dir=reference_dir, console=console
        )
    info["prepare_seconds"] = round(time.perf_counter() - started, 3)
    study_data = StudyData(
        dataset, seed=seed, scale=run_scale, cache_dir=cache / "derived" if use_cache else None
    )
    study_data.encoding = encoding
    with ExitStack() as stack:
        if data is None:
            stack.enter_context(shared(dataset_lock(dataset), what=f"dataset {dataset}"))
        return [
            run_study(
                study,
                study_data,
                out,
                engine=engine,
                lang=lang,
                console=console,
                data_info=info,
                options=given[study.name],
                min_firms=min_firms,
                log_dir=log_dir,
            )
            for study in chosen
        ]
