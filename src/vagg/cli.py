"""The ``vagg`` command line: build the synthetic economy, check data, replicate studies."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from vagg._version import __version__
from vagg.progress import fraction_bar

__all__ = ["app", "data_check", "info", "main", "replicate", "report", "synth"]

app = typer.Typer(add_completion=False, help="Virtual agglomeration and exports.")
data_app = typer.Typer(add_completion=False, help="Check and describe datasets.")
app.add_typer(data_app, name="data")
console = Console()


def _version(value: bool) -> None:
    if value:
        console.print(f"vagg {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """vagg: measures, estimators and replications of virtual agglomeration studies."""


@app.command()
def synth(
    scale: Annotated[str, typer.Option(help="tiny, small or paper")] = "small",
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    out: Annotated[
        Path | None, typer.Option(help="output folder (default data/SCALE-seedSEED)")
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            help="folder with the UN HS2002→BEC table and the BGW σ file (real product codes); "
            "default: $VAGG_REFERENCE_DIR if set"
        ),
    ] = None,
    parts: Annotated[
        str | None,
        typer.Option(
            help="comma-separated parts to generate (core, firms, provinces, cities) with the "
            "parts they require; default: all. Parts already in OUT for the same scale and "
            "seed are kept"
        ),
    ] = None,
) -> None:
    """Generate the synthetic economy, or some of its parts (tables, truth.json,
    manifest.json), into OUT."""
    from vagg.data.synth.config import SCALES
    from vagg.data.synth.economy import generate
    from vagg.data.synth.parts import PartError, resolve_parts

    if scale not in SCALES:
        console.print(f"[red]unknown scale '{scale}'; choose one of {sorted(SCALES)}[/red]")
        raise typer.Exit(2)
    try:
        resolve_parts(parts)
    except PartError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    ref = reference or (
        Path(os.environ["VAGG_REFERENCE_DIR"]) if "VAGG_REFERENCE_DIR" in os.environ else None
    )
    if ref is not None and not ref.is_dir():
        console.print(f"[red]reference folder {ref} does not exist[/red]")
        raise typer.Exit(2)
    if out is None:
        out = Path("data") / f"{scale}-seed{seed}"
    start = time.perf_counter()
    with fraction_bar(console, f"synth {scale}") as report:
        manifest = generate(scale, seed, out, parts=parts, reference_dir=ref, progress=report)
    held = ", ".join(manifest["parts"])
    table = Table(title=f"synthetic economy '{scale}' (seed {seed}, parts: {held}) in {out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, info in manifest["tables"].items():
        table.add_row(name, f"{info['rows']:,}")
    console.print(table)
    console.print(f"done in {time.perf_counter() - start:.1f} s")


@data_app.command("check")
def data_check(
    dataset: Annotated[Path, typer.Argument(help="dataset folder")],
    study: Annotated[
        str | None,
        typer.Option(help="also require the tables this study reads (the study's own gate)"),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="encoding of the CSV files, e.g. gbk (default utf-8)")
    ] = None,
) -> None:
    """Validate every table in DATASET against its schema and across tables; print rows, key
    moments and every problem found (exit 1 when there is any)."""
    from rich.markup import escape

    from vagg.data.check import check_dataset
    from vagg.errors import VaggError
    from vagg.studies import registry

    if not dataset.is_dir():
        console.print(f"[red]{dataset} is not a folder[/red]")
        raise typer.Exit(2)
    try:
        required = registry.get(study).tables if study is not None else ()
    except VaggError as err:
        console.print(f"[red]{escape(str(err))}[/red]")
        raise typer.Exit(2) from None
    try:
        report = check_dataset(dataset, required=required, encoding=encoding)
    except (VaggError, OSError) as err:  # one line, never a traceback
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        console.print(f"[red]✗ {escape(first)}[/red]")
        raise typer.Exit(1) from None
    rows = Table(title=f"tables in {dataset}")
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    for name, n in report.rows.items():
        rows.add_row(name, f"{n:,}")
    console.print(rows)
    moments = Table(title="key moments")
    moments.add_column("moment")
    moments.add_column("value", justify="right")
    for name, value in report.moments.items():
        moments.add_row(name, f"{value:,.4f}")
    console.print(moments)
    if not report.rows:
        console.print("[red]no canonical tables found[/red]")
        raise typer.Exit(1)
    for note in report.notes:
        console.print(f"[yellow]! {escape(note)}[/yellow]", soft_wrap=True)
    for problem in report.problems:
        console.print(f"[red]✗ {escape(problem)}[/red]", soft_wrap=True)
    if not report.ok:
        console.print(f"[red]{len(report.problems)} problem(s) found in {dataset}[/red]")
        raise typer.Exit(1)
    console.print("[green]all tables valid[/green]")


@app.command()
def replicate(
    study: Annotated[
        str | None, typer.Argument(help="the study to run (vagg replicate --list names them)")
    ] = None,
    run_all: Annotated[bool, typer.Option("--all", help="run every registered study")] = False,
    scale: Annotated[
        str | None,
        typer.Option(help="synthetic economy at this scale: tiny, small or paper (default small)"),
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="your dataset folder (instead of the synthetic economy)")
    ] = None,
    out: Annotated[Path, typer.Option(help="output folder; each study writes OUT/STUDY/")] = Path(
        "results"
    ),
    engine: Annotated[str, typer.Option(help="local (processes on this machine) or dask")] = (
        "local"
    ),
    seed: Annotated[int, typer.Option(help="seed of the synthetic economy and of any draws")] = 0,
    lang: Annotated[
        str | None, typer.Option(help="zh or en tables and figures (default: the study's)")
    ] = None,
    cache_dir: Annotated[
        Path,
        typer.Option(
            help="cache folder: synthetic datasets (SCALE-seedN/) and derived frames (derived/)"
        ),
    ] = Path("data"),
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="reuse derived frames cached on disk")
    ] = True,
    list_studies: Annotated[
        bool, typer.Option("--list", help="list the registered studies and exit")
    ] = False,
    set_options: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="a study option NAME=VALUE (repeatable), e.g. markup_correction=dlw; "
            "STUDY.NAME=VALUE for one study of --all; --list-options names them",
        ),
    ] = None,
    options_file: Annotated[
        Path | None,
        typer.Option(
            "--options", help="a TOML file of study options (NAME = VALUE, or a [STUDY] table)"
        ),
    ] = None,
    list_options: Annotated[
        bool, typer.Option("--list-options", help="list the options of the studies and exit")
    ] = False,
    min_firms: Annotated[
        int,
        typer.Option(
            "--min-firms",
            min=1,
            help="disclosure threshold: cells and regressions from fewer firms are suppressed",
        ),
    ] = 10,
    log_dir: Annotated[
        Path | None,
        typer.Option(help="folder of the local log of problems (never under --out)"),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="encoding of the CSV files of --data, e.g. gbk")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="address of a running Dask scheduler (with --engine dask), e.g. one started "
            "by dask-jobqueue on Slurm or PBS; default: a local Dask cluster"
        ),
    ] = None,
) -> None:
    """Replicate a study: tables (md, tex, html, docx, xlsx, csv), figures (PNG), manifest.json
    and, on synthetic data, truth_check.csv in OUT/STUDY/."""
    from rich.markup import escape

    from vagg.errors import VaggError
    from vagg.studies import registry
    from vagg.studies.options import parse_assignments, read_options_file
    from vagg.studies.runner import check_arguments
    from vagg.studies.runner import replicate as run_replication

    if list_studies:
        studies = registry.all()
        if not studies:
            console.print("no studies are registered")
        for known in studies:
            console.print(f"{known.name}\t{known.paper}")
        return
    if list_options:
        for known in [registry.get(study)] if study else registry.all():
            for option in known.options:
                default = json.dumps(option.default).strip('"').replace("null", "none")
                console.print(
                    f"{known.name}.{option.name}\t{option.allowed}\tdefault {default}\t"
                    f"{escape(option.doc)}"
                )
        return
    if (study is None) == (not run_all):
        console.print("[red]name one study, or give --all[/red]")
        raise typer.Exit(2)
    try:
        check_arguments(scale=scale, data=data, engine=engine, lang=lang)
        names = [study] if study is not None else registry.names()
        if not names:
            console.print("no studies are registered; nothing to replicate")
            return
        options: dict[str, object] = {}
        if options_file is not None:
            options.update(read_options_file(options_file))
        options.update(parse_assignments(set_options or []))
        engine_arg = _engine(engine, scheduler)
        reports = run_replication(
            names,
            scale=scale,
            data=data,
            out=out,
            engine=engine_arg,
            seed=seed,
            cache_dir=cache_dir,
            use_cache=cache,
            lang=lang,  # type: ignore[arg-type]
            reference_dir=os.environ.get("VAGG_REFERENCE_DIR"),
            console=console,
            options=options,
            min_firms=min_firms,
            log_dir=log_dir,
            encoding=encoding,
        )
    except VaggError as err:
        console.print(f"[red]{escape(str(err))}[/red]")
        raise typer.Exit(2) from None
    finally:
        if scheduler is not None and "engine_arg" in locals():
            engine_arg.close()
    summary = Table(title="replication")
    for column in ("study", "entries", "failed", "truth covered", "seconds", "folder"):
        summary.add_column(column)
    for report in reports:
        truth = report.manifest.get("truth_check", {})
        covered = f"{truth['covered']}/{truth['checked']}" if "checked" in truth else "not checked"
        summary.add_row(
            report.study,
            str(len(report.outcomes)),
            ", ".join(report.failed) or "none",
            covered if not report.problems else f"data fail {len(report.problems)} check(s)",
            f"{report.manifest.get('seconds', 0.0):.1f}",
            str(report.out_dir),
        )
    console.print(summary)
    _write_run_page(out)
    if not all(report.ok for report in reports):
        raise typer.Exit(1)


def _engine(engine: str, scheduler: str | None) -> Any:
    """The engine argument of a run: the name, or a Dask engine connected to ``scheduler``."""
    if scheduler is None:
        return engine
    from vagg.engine import EngineError

    if engine != "dask":
        raise EngineError(f"--scheduler {scheduler} needs --engine dask (got --engine {engine})")
    from vagg.engine.dask import Dask

    return Dask(scheduler)


@app.command()
def info(
    cache_dir: Annotated[Path, typer.Option(help="the cache folder of `vagg replicate`")] = Path(
        "data"
    ),
) -> None:
    """What a bug report needs: versions, the font for Chinese figures, the engines that can
    run, and the cache folder with its size."""
    import importlib.metadata
    import platform

    from vagg.report.figures import chinese_font

    table = Table(title=f"vagg {__version__}", show_header=False)
    table.add_column("item")
    table.add_column("value")
    table.add_row("python", f"{platform.python_version()} ({platform.platform()})")
    for package in (
        "numpy",
        "pandas",
        "polars",
        "pyarrow",
        "pyfixest",
        "statsmodels",
        "linearmodels",
        "matplotlib",
        "duckdb",
        "dask",
        "distributed",
    ):
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        table.add_row(package, version)
    table.add_row("Chinese font", chinese_font() or "none: figures fall back to English")
    try:
        import distributed  # noqa: F401

        dask_state = "available"
    except ImportError:
        dask_state = 'not installed: pip install "vagg[distributed]"'
    table.add_row("engines", f"local ({os.cpu_count()} cores); dask {dask_state}")
    cache = cache_dir
    size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file()) if cache.is_dir() else 0
    table.add_row("cache", f"{cache.resolve()} ({size / 2**20:,.1f} MB)")
    console.print(table)


def _write_run_page(out: Path) -> None:
    """Write OUT/index.html and say where it is; a failure to write it is reported, not fatal."""
    from rich.markup import escape

    from vagg.report.run_page import RunPageError, write_run_page

    try:
        page = write_run_page(out)
    except (RunPageError, OSError) as err:
        console.print(f"[yellow]index.html not written: {escape(str(err))}[/yellow]")
        return
    console.print(f"open {page} in a browser for every table, figure and the truth check")


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="the output folder of `vagg replicate`")] = Path(
        "results"
    ),
) -> None:
    """Rebuild OUT/index.html, the page of a replication run (tables, figures, truth check,
    manifest in words, links to every export)."""
    from rich.markup import escape

    from vagg.report.run_page import RunPageError, write_run_page

    try:
        page = write_run_page(out)
    except RunPageError as err:
        console.print(f"[red]{escape(str(err))}[/red]")
        raise typer.Exit(2) from None
    console.print(str(page))


if __name__ == "__main__":  # pragma: no cover - ``python -m vagg.cli``
    app()
