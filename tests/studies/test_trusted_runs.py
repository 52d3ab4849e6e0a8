"""What a run promises (docs/runs.md), on the demo study and the tiny synthetic economy.

* results follow the data's bytes: an edited money column with a warm cache changes Table 1;
* data that fail ``vagg data check`` stop the run and the previous results stay;
* runs are locked (a held lock is refused naming its pid; the dataset cache waits and names
  it), staged and published whole (an interrupted run leaves the old folder; stale
  ``.partial`` folders are removed), and two processes sharing a new cache both succeed;
* disclosure: suppressed cells say only "suppressed", a regression from fewer than
  ``min_firms`` firms is withheld, and no output file names any firm of the input;
* the same data and seed give byte-identical files.

The references are the run's own earlier outputs (bytes) and the input tables themselves
(ids, names, phones); the numbers are checked against statsmodels in test_runner.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from demo_study import make_demo_study

from vagg.data.dataset import dataset_lock, synthetic_dataset
from vagg.estimate.results import Result
from vagg.locks import LockError
from vagg.report.layouts import SUPPRESSED, disclosure, frame_table
from vagg.studies.base import Study, StudyError, TableEntry
from vagg.studies.data import StudyData
from vagg.studies.runner import run_study, stable_manifest

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _one_table(name: str = "demo", *, figure: bool = False) -> Study:
    """The demo's Table 1 (and Figure 1 with ``figure``), to keep runs short."""
    full = make_demo_study(name)
    entries = [full.entries[0], full.entries[2]] if figure else [full.entries[0]]
    return Study(name, full.title, entries, lang="en", options=full.options)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder, _ = synthetic_dataset("tiny", 0, tmp_path_factory.mktemp("cache"))
    return folder


@pytest.fixture
def dataset(generated: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tiny"
    shutil.copytree(generated, copy)
    return copy


def _run(study: Study, dataset: Path, out: Path, cache: Path | None, **kw: Any) -> Any:
    data = StudyData(dataset, cache_dir=cache)
    return run_study(study, data, out, engine=None, **kw)


def _rewrite_firms(dataset: Path, fn: Any) -> None:
    for part in sorted((dataset / "firms").glob("*/*.parquet")):
        fn(pl.read_parquet(part)).write_parquet(part)


def _holder(code: str) -> subprocess.Popen[str]:
    """A process running ``code`` (which holds a lock) that prints "ready" when it does."""
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": SRC, "PATH": ""},
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def test_edited_money_column_changes_table_1_with_a_warm_cache(
    dataset: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "derived"
    first = _run(_one_table(), dataset, tmp_path / "a", cache)
    before = (first.out_dir / "table_1.csv").read_bytes()
    # sales × 1000 on every other row; the generator's manifest.json still claims the old files
    _rewrite_firms(
        dataset,
        lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) % 2 == 0)
            .then(pl.col("sales") * 1000)
            .otherwise(pl.col("sales"))
            .alias("sales")
        ),
    )
    second = _run(_one_table(), dataset, tmp_path / "b", cache)
    assert second.manifest["data"]["hash"] != first.manifest["data"]["hash"]
    assert [d["source"] for d in second.manifest["derived"]] == ["computed"]
    assert (second.out_dir / "table_1.csv").read_bytes() != before


def test_data_failing_the_check_stop_the_run_and_keep_previous_results(
    dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _run(_one_table(), dataset, out, None)
    before = (out / "demo" / "table_1.csv").read_bytes()
    _rewrite_firms(dataset, lambda f: f.with_columns(-pl.col("sales")))
    report = _run(_one_table(), dataset, out, None)
    assert not report.ok and report.outcomes == []
    assert any("'sales'" in p and ">= 0" in p for p in report.problems)
    assert (out / "demo" / "table_1.csv").read_bytes() == before


def test_a_held_results_lock_is_refused_naming_the_pid(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = _holder(
        f"""
        import time
        from pathlib import Path
        from vagg.locks import exclusive
        with exclusive(Path({str(out / ".demo.lock")!r})):
            print("ready", flush=True)
            time.sleep(30)
        """
    )
    try:
        with pytest.raises(LockError, match=rf"in use by process {holder.pid} "):
            _run(_one_table(), dataset, out, None)
        assert not (out / "demo").exists()
    finally:
        holder.kill()
        holder.wait()


def test_the_dataset_cache_waits_for_its_holder_and_names_it(generated: Path) -> None:
    holder = _holder(
        f"""
        import time
        from pathlib import Path
        from vagg.locks import exclusive
        with exclusive(Path({str(dataset_lock(generated))!r})):
            print("ready", flush=True)
            time.sleep(1.0)
        """
    )
    messages: list[str] = []
    start = time.perf_counter()
    folder, reused = synthetic_dataset("tiny", 0, generated.parent, waiting=messages.append)
    holder.wait()
    assert reused and folder == generated and time.perf_counter() - start > 0.3
    assert len(messages) == 1 and f"process {holder.pid} " in messages[0]


def test_two_processes_sharing_a_new_cache_both_read_their_data(tmp_path: Path) -> None:
    code = f"""
        from vagg.data.dataset import synthetic_dataset
        from vagg.data.io import read_table
        folder, reused = synthetic_dataset("tiny", 1, {str(tmp_path)!r})
        print(reused, read_table(folder / "firms", "firms").height)
    """
    env = {"PYTHONPATH": SRC, "PATH": ""}
    runs = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]  # fmt: skip
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    reused = sorted(out.split()[0] for out, _ in outputs)
    assert reused == ["False", "True"]  # generated once, then reused
    assert len({out.split()[1] for out, _ in outputs}) == 1


def test_an_interrupted_run_keeps_the_previous_folder_and_stale_partials_go(
    dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _run(_one_table(), dataset, out, None)
    before = {p.name: p.read_bytes() for p in (out / "demo").iterdir()}
    (out / ".demo.99999999.partial").mkdir()  # left by a run that was killed

    def interrupted(data: StudyData, engine: Any) -> Any:
        raise KeyboardInterrupt

    killed = Study("demo", "Demo", [TableEntry("1", interrupted)], lang="en")
    with pytest.raises(KeyboardInterrupt):
        _run(killed, dataset, out, None)
    assert {p.name: p.read_bytes() for p in (out / "demo").iterdir()} == before
    assert sorted(p.name for p in out.iterdir()) == [".demo.lock", "demo"]


def test_suppressed_cells_say_only_suppressed() -> None:
    with disclosure(20):
        table = frame_table(
            [("exporters", [15, 2.5], [15, 40])],
            columns=["N", "mean"],
            stub="",
            title="",
            notes=[],
            lang="en",
        )
    assert table.rows[0].cells == (SUPPRESSED, "2.5000") and SUPPRESSED == "suppressed"
    hidden = table.estimates.iloc[0]
    assert np.isnan(hidden["value"]) and pd.isna(hidden["firms"])  # not even the count
    assert "fewer than 20 firms" in table.notes[-1]


def _clustered(n_firms: int) -> Result:
    return Result(
        params=pd.Series({"x": 1.0}),
        vcov=pd.DataFrame([[0.01]], index=["x"], columns=["x"]),
        nobs=100,
        clusters=("firm_id",),
        n_clusters={"firm_id": n_firms},
    )


@pytest.mark.parametrize(("min_firms", "status"), [(10, "withheld"), (8, "ok")])
def test_a_regression_from_fewer_firms_is_withheld(
    dataset: Path, tmp_path: Path, min_firms: int, status: str
) -> None:
    study = Study("small", "Small", [TableEntry("4", lambda d, e: [_clustered(8)])], lang="en")
    report = _run(study, dataset, tmp_path / "out", None, min_firms=min_firms)
    (outcome,) = report.outcomes
    assert outcome.status == status and report.ok
    assert (report.out_dir / "table_4.csv").exists() == (status == "ok")


def _texts(folder: Path) -> dict[str, str]:
    """Every file under ``folder``, as text (docx/xlsx: every member of the archive)."""
    texts = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(path) as archive:
                texts[path.name] = "".join(
                    archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                )
        else:
            texts[path.name] = path.read_bytes().decode("utf-8", "replace")
    return texts


def test_no_output_file_names_a_firm_of_the_input(dataset: Path, tmp_path: Path) -> None:
    firms = pl.read_parquet(dataset / "firms", hive_partitioning=True)

    def leaky(data: StudyData, engine: Any) -> Any:
        row = data.table("firms").row(0, named=True)
        raise StudyError(f"firm {row['firm_id']} {row['firm_name']} tel {row['phone']}: bad")

    full = _one_table(figure=True)
    entries = [*full.entries, TableEntry("9", leaky)]
    study = Study("demo", "Demo", entries, lang="zh", options=full.options)
    out, logs = tmp_path / "out", tmp_path / "logs"
    report = _run(study, dataset, out, tmp_path / "cache" / "derived", log_dir=logs)
    assert report.failed == ["table_9"]
    secrets = set(firms["firm_id"]) | set(firms["firm_name"]) | set(firms["phone"])
    texts = _texts(out)
    assert len(texts) >= 8
    leaks = [(name, s) for name, text in texts.items() for s in secrets if s in text]
    assert leaks == []
    (log,) = logs.iterdir()  # the message went to the local log, outside --out
    assert str(firms["firm_id"][0]) in log.read_text(encoding="utf-8")


def test_same_data_and_seed_give_byte_identical_files(dataset: Path, tmp_path: Path) -> None:
    reports = [
        _run(_one_table(figure=True), dataset, tmp_path / f"out{i}", tmp_path / f"cache{i}" / "d")
        for i in range(2)
    ]
    one, two = (_texts_bytes(r.out_dir) for r in reports)
    assert sorted(one) == sorted(two) and len(one) >= 8  # six formats, a figure, the manifest
    assert {k for k in one if one[k] != two[k]} == {"manifest.json"}
    assert stable_manifest(reports[0].manifest) == stable_manifest(reports[1].manifest)


def _texts_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_run_killed_half_way_resumes_from_the_cached_entries(
    dataset: Path, tmp_path: Path
) -> None:
    calls: dict[str, int] = {"first": 0, "second": 0}
    kill = {"now": True}

    def first(data: StudyData, engine: Any) -> Any:
        calls["first"] += 1
        return [_clustered(50)]

    def second(data: StudyData, engine: Any) -> Any:
        calls["second"] += 1
        if kill["now"]:
            raise KeyboardInterrupt  # the run is killed after the first table
        return [_clustered(60)]

    study = Study("halves", "Halves", [TableEntry("1", first), TableEntry("2", second)])
    out, cache = tmp_path / "out", tmp_path / "cache" / "derived"
    with pytest.raises(KeyboardInterrupt):
        _run(study, dataset, out, cache)
    assert not (out / "halves").exists()
    kill["now"] = False
    report = _run(study, dataset, out, cache)
    assert report.ok and calls == {"first": 1, "second": 2}
    assert [e["cached"] for e in report.manifest["entries"]] == [True, False]
    again = _run(study, dataset, out, cache)  # everything cached: nothing is built again
    assert calls == {"first": 1, "second": 2}
    assert (again.out_dir / "table_2.csv").read_bytes() == (
        report.out_dir / "table_2.csv"
    ).read_bytes()


def test_a_killed_generation_leaves_no_partial_folder_behind(generated: Path) -> None:
    stale = generated.parent / f".{generated.name}.99999999.partial"
    (stale / "firms").mkdir(parents=True)
    folder, reused = synthetic_dataset("tiny", 0, generated.parent)
    assert reused and folder == generated and not stale.exists()
