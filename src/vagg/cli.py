"""The ``vagg`` command line: build the synthetic economy, check data, and (later) replicate."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vagg import __version__

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
    out: Annotated[Path, typer.Option(help="output folder")] = Path("data/small"),
    reference: Annotated[
        Path | None,
        typer.Option(
            help="folder with the UN HS2002→BEC table and the BGW σ file (real product codes); "
            "default: $VAGG_REFERENCE_DIR if set"
        ),
    ] = None,
) -> None:
    """Generate the synthetic economy (tables, truth.json, manifest.json) into OUT."""
    from vagg.data.synth.config import SCALES
    from vagg.data.synth.economy import generate

    if scale not in SCALES:
        console.print(f"[red]unknown scale '{scale}'; choose one of {sorted(SCALES)}[/red]")
        raise typer.Exit(2)
    ref = reference or (
        Path(os.environ["VAGG_REFERENCE_DIR"]) if "VAGG_REFERENCE_DIR" in os.environ else None
    )
    if ref is not None and not ref.is_dir():
        console.print(f"[red]reference folder {ref} does not exist[/red]")
        raise typer.Exit(2)
    start = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(f"synth {scale}", total=1.0)

        def report(stage: str, done: float) -> None:
            bar.update(task, completed=done, description=f"synth {scale}: {stage}")

        manifest = generate(scale, seed, out, reference_dir=ref, progress=report)
    table = Table(title=f"synthetic economy '{scale}' (seed {seed}) in {out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, info in manifest["tables"].items():
        table.add_row(name, f"{info['rows']:,}")
    console.print(table)
    console.print(f"done in {time.perf_counter() - start:.1f} s")


@data_app.command("check")
def data_check(dataset: Annotated[Path, typer.Argument(help="dataset folder")]) -> None:
    """Validate every table in DATASET against its schema; print rows and key moments."""
    from vagg.data.check import check_dataset

    if not dataset.is_dir():
        console.print(f"[red]{dataset} is not a folder[/red]")
        raise typer.Exit(2)
    report = check_dataset(dataset)
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
    for problem in report.problems:
        console.print(f"[red]✗ {problem}[/red]")
    if not report.ok:
        raise typer.Exit(1)
    console.print("[green]all tables valid[/green]")
