"""The study runner on a demo study (tests/studies/demo_study.py) and the tiny synthetic economy.

Independent references: statsmodels 0.14+ OLS with year dummies (``smf.ols("np.log(sales) ~
np.log(employment) + C(year)")``, iid errors) for the planted elasticity, the estimates and
their t-based 95% intervals; linearmodels 7.1 ``PanelOLS`` with entity and time effects for
column (2) (the singletons fixest/reghdfe drop do not move the slope); pandas
``value_counts`` for the number of singleton firms; a normal-quantile interval computed by
hand (1.959963984540054 = Φ⁻¹(0.975)) for the truth check of a hand-made Result.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import docx
import numpy as np
import openpyxl
import pandas as pd
import polars as pl
import pytest
import statsmodels.formula.api as smf
from demo_study import CALLS, ELASTICITY, FAR_AWAY, make_demo_study, planted_entries
from linearmodels import PanelOLS
from PIL import Image

from vagg.data.dataset import DatasetError, dataset_hash, synthetic_dataset
from vagg.estimate.results import Result
from vagg.studies import registry
from vagg.studies.base import FigureEntry, Study, StudyError, TableEntry
from vagg.studies.data import StudyData
from vagg.studies.runner import RunReport, run_study
from vagg.studies.truth import TRUTH_COLUMNS, TruthCheck, truth_check

FORMATS = ("md", "tex", "html", "docx", "xlsx", "csv")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tiny economy (seed 0), a copy whose truth.json holds the demo's planted values,
    and the statsmodels references."""
    cache = tmp_path_factory.mktemp("cache")
    generated, reused = synthetic_dataset("tiny", 0, cache)
    assert not reused
    firms = pl.read_parquet(generated / "firms", hive_partitioning=True).to_pandas()
    by_year = smf.ols("np.log(sales) ~ np.log(employment) + C(year)", data=firms).fit()
    counts = firms["firm_id"].value_counts()
    logs = firms.assign(ls=np.log(firms["sales"]), le=np.log(firms["employment"]))
    logs = logs.set_index(["firm_id", "year"])
    by_firm = PanelOLS(logs["ls"], logs[["le"]], entity_effects=True, time_effects=True).fit()
    dataset = tmp_path_factory.mktemp("demo") / "tiny"
    shutil.copytree(generated, dataset)
    truth = json.loads((dataset / "truth.json").read_text(encoding="utf-8"))
    term = "np.log(employment)"
    truth["entries"].update(planted_entries(float(by_year.params[term])))
    (dataset / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return {
        "cache": cache,
        "generated": generated,
        "dataset": dataset,
        "by_year": by_year,
        "by_firm": float(by_firm.params["le"]),
        "singletons": int((counts == 1).sum()),
        "n_firm_years": len(firms),
        "term": term,
    }


@pytest.fixture(scope="module")
def first_run(
    tiny: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> tuple[RunReport, Path]:
    CALLS["firm_panel"] = 0
    cache = tmp_path_factory.mktemp("derived")
    data = StudyData(tiny["dataset"], seed=7, scale="tiny", cache_dir=cache)
    report = run_study(make_demo_study(), data, tmp_path_factory.mktemp("results"), engine=None)
    return report, cache


def test_synthetic_dataset_is_reused_while_its_manifest_matches(tiny: dict[str, Any]) -> None:
    folder, reused = synthetic_dataset("tiny", 0, tiny["cache"])
    assert reused and folder == tiny["generated"]
    names = sorted(p.name for p in tiny["cache"].iterdir())
    assert names == [".tiny-seed0.lock", "tiny-seed0"]  # nothing partial, the lock file


def test_every_table_in_every_format_and_the_figures(
    first_run: tuple[RunReport, Path], tiny: dict[str, Any]
) -> None:
    report, _ = first_run
    assert report.ok and report.failed == []
    names = {p.name for p in report.out_dir.iterdir()}
    for number in ("1", "2"):
        assert {f"table_{number}.{fmt}" for fmt in FORMATS} <= names
    assert {"figure_1.png", "figure_2.png", "manifest.json", "truth_check.csv"} <= names
    # the numbers in the CSV are statsmodels' (year dummies = year fixed effects)
    estimates = pd.read_csv(report.out_dir / "table_1.csv")
    first = estimates[(estimates["column"] == "(1)") & (estimates["term"] == "log(employment)")]
    reference = tiny["by_year"]
    assert first["estimate"].item() == pytest.approx(reference.params[tiny["term"]], rel=1e-9)
    assert first["std_error"].item() == pytest.approx(reference.bse[tiny["term"]], rel=1e-7)
    second = estimates[(estimates["column"] == "(2)") & (estimates["term"] == "log(employment)")]
    assert second["estimate"].item() == pytest.approx(tiny["by_firm"], rel=1e-7)
    assert second["nobs"].item() == tiny["n_firm_years"] - tiny["singletons"]
    # the title, the renamed term and the notes reach every format
    markdown = (report.out_dir / "table_1.md").read_text(encoding="utf-8")
    assert "**Table 1: Sales and employment**" in markdown
    assert "| Log employment |" in markdown and "Demo on the tiny synthetic economy." in markdown
    assert r"\begin{tabular}" in (report.out_dir / "table_1.tex").read_text(encoding="utf-8")
    assert "<table" in (report.out_dir / "table_1.html").read_text(encoding="utf-8")
    document = docx.Document(str(report.out_dir / "table_1.docx"))
    assert document.tables[0].cell(1, 0).text == "Log employment"
    sheet = openpyxl.load_workbook(report.out_dir / "table_1.xlsx").active
    assert sheet["A1"].value == "Table 1: Sales and employment"
    # mapping header → Result gives the column headers; options reach regression_table
    private = pd.read_csv(report.out_dir / "table_2.csv").query("column == 'private'")
    shown = f"| log(employment) | {private['estimate'].item():.3f}*** |"  # digits=3 reached it
    assert shown in (report.out_dir / "table_2.md").read_text(encoding="utf-8")
    with Image.open(report.out_dir / "figure_2.png") as image:
        assert image.info["dpi"] == pytest.approx((200, 200), abs=0.01)


def test_manifest_records_versions_data_timings_drops_and_memory(
    first_run: tuple[RunReport, Path], tiny: dict[str, Any]
) -> None:
    report, _ = first_run
    manifest = json.loads((report.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == json.loads(json.dumps(report.manifest, default=str))
    assert manifest["study"] == "demo" and manifest["status"] == "ok"
    assert manifest["vagg"] and manifest["python"]
    for package in ("numpy", "pandas", "polars", "pyfixest", "statsmodels", "matplotlib"):
        assert manifest["dependencies"][package]
    assert manifest["seed"] == 7 and manifest["scale"] == "tiny"
    assert manifest["data"]["hash"] == dataset_hash(tiny["dataset"])[0]
    assert manifest["data"]["hash_of"] == "files" and manifest["data"]["synthetic"]
    assert [e["key"] for e in manifest["entries"]] == ["table_1", "table_2", "figure_1", "figure_2"]
    assert all(e["status"] == "ok" and e["seconds"] >= 0 for e in manifest["entries"])
    column_2 = manifest["entries"][0]["results"][1]
    assert column_2["column"] == "(2)"
    assert column_2["dropped"] == {"singleton_fe": tiny["singletons"]}
    assert column_2["n_input"] - column_2["n_used"] == tiny["singletons"]
    assert manifest["rows_dropped"]["table_1"] == {"singleton_fe": tiny["singletons"]}
    assert manifest["exclusions"] == [
        {
            "stage": "firm_panel",
            "n_input": tiny["n_firm_years"],
            "dropped": {"nonpositive_sales_or_employment": 0},
        }
    ]
    assert manifest["peak_memory_mb"]["process"] > 0
    assert manifest["entries"][2]["figure"]["language"] == "en"
    assert manifest["truth_check"] == {
        "file": "truth_check.csv",
        "checked": 3,
        "covered": 2,
        "not_covered": 1,
        "not_computed": 0,
    }


def test_truth_check_csv_against_statsmodels(
    first_run: tuple[RunReport, Path], tiny: dict[str, Any]
) -> None:
    report, _ = first_run
    frame = pd.read_csv(report.out_dir / "truth_check.csv", keep_default_na=False)
    assert tuple(frame.columns) == TRUTH_COLUMNS
    assert list(frame["parameter"]) == [ELASTICITY, FAR_AWAY, ELASTICITY]
    assert list(frame["table"]) == ["table_1", "table_1", "table_2"]
    assert list(frame["column"]) == ["(1)", "(2)", "private"]
    reference, term = tiny["by_year"], tiny["term"]
    row = frame.iloc[0]
    assert row["planted"] == pytest.approx(reference.params[term], rel=5e-10)  # CSV: 10 digits
    assert row["estimate"] == pytest.approx(reference.params[term], rel=1e-9)
    assert row["se"] == pytest.approx(reference.bse[term], rel=1e-7)
    low, high = reference.conf_int(0.05).loc[term]
    assert (row["ci_low"], row["ci_high"]) == (
        pytest.approx(low, rel=1e-7),
        pytest.approx(high, rel=1e-7),
    )
    assert list(frame["covered"]) == [True, False, True]
    assert frame.iloc[1]["planted"] == 50.0
    assert frame.iloc[1]["estimate"] == pytest.approx(tiny["by_firm"], rel=1e-7)
    assert list(frame["note"]) == ["", "", ""]


def test_second_run_reads_the_derived_frames_from_disk(
    first_run: tuple[RunReport, Path], tiny: dict[str, Any], tmp_path: Path
) -> None:
    report, cache = first_run
    assert CALLS["firm_panel"] == 1  # four entries, one derivation (memoised within the run)
    derived = report.manifest["derived"]
    assert [(d["source"], d["memory_hits"]) for d in derived] == [("computed", 3)]
    assert not list(cache.glob("*.tmp")) and not list(cache.glob(".*"))
    data = StudyData(tiny["dataset"], seed=7, scale="tiny", cache_dir=cache)
    again = run_study(make_demo_study(), data, tmp_path, engine=None)
    assert CALLS["firm_panel"] == 1
    assert [d["source"] for d in again.manifest["derived"]] == ["disk"]
    assert again.manifest["exclusions"] == report.manifest["exclusions"]  # replayed
    first = pd.read_csv(report.out_dir / "table_1.csv")
    pd.testing.assert_frame_equal(pd.read_csv(again.out_dir / "table_1.csv"), first)


def test_cached_keys_on_parameters_and_keeps_memory_only_without_a_folder(
    tiny: dict[str, Any], tmp_path: Path
) -> None:
    calls: list[int] = []

    def head(data: StudyData, n: int) -> pl.DataFrame:
        calls.append(n)
        return data.table("provinces").head(n)

    data = StudyData(tiny["dataset"], cache_dir=tmp_path)
    assert data.cached("head", head, params={"n": 3}).height == 3
    assert data.cached("head", head, params={"n": 5}).height == 5
    assert data.cached("head", head, params={"n": 3}).height == 3
    assert calls == [3, 5]
    assert len(list(tmp_path.glob("head-*.pl.parquet"))) == 2
    memory_only = StudyData(tiny["dataset"], cache_dir=None)
    memory_only.cached("head", head, params={"n": 3})
    assert calls == [3, 5, 3]

    # pandas frames and other values round-trip through the disk cache
    def pandas_frame(data: StudyData) -> pd.DataFrame:
        return pd.DataFrame({"a": [1, 2]}, index=["x", "y"])

    def weights(data: StudyData) -> dict[str, list[float]]:
        return {"weights": [0.5, 0.5]}

    other = StudyData(tiny["dataset"], cache_dir=tmp_path / "other")
    frame, value = other.cached("pd", pandas_frame), other.cached("obj", weights)
    fresh = StudyData(tiny["dataset"], cache_dir=tmp_path / "other")
    pd.testing.assert_frame_equal(fresh.cached("pd", pandas_frame), frame)
    assert fresh.cached("obj", weights) == value
    assert [d.source for d in fresh.derived] == ["disk", "disk"]


def test_interrupted_run_resumes_and_a_failing_entry_does_not_stop_the_others(
    tiny: dict[str, Any], tmp_path: Path
) -> None:
    CALLS["firm_panel"] = 0
    cache = tmp_path / "derived"
    data = StudyData(tiny["dataset"], cache_dir=cache)
    report = run_study(make_demo_study(broken=True), data, tmp_path / "out", engine=None)
    assert not report.ok and report.failed == ["table_9"]
    manifest = report.manifest
    assert manifest["status"] == "failed" and manifest["failed_entries"] == ["table_9"]
    broken = next(e for e in manifest["entries"] if e["key"] == "table_9")
    assert broken["status"] == "failed" and broken["files"] == []
    assert broken["error"]["type"] == "ValueError"
    assert set(broken["error"]) == {"type", "log"}  # no message or traceback published
    log = (tmp_path / "logs" / broken["error"]["log"]).read_text(encoding="utf-8")
    assert "planted failure" in log and "table_broken" in log
    later = [e["status"] for e in manifest["entries"] if e["key"] != "table_9"]
    assert later == ["ok", "ok", "ok", "ok"]
    assert (report.out_dir / "figure_2.png").exists()
    assert not list(report.out_dir.glob("table_9*"))
    assert CALLS["firm_panel"] == 1
    # the next run (a fixed study) reads the panel the failed run stored
    resumed = run_study(
        make_demo_study(), StudyData(tiny["dataset"], cache_dir=cache), tmp_path / "out"
    )
    assert resumed.ok and CALLS["firm_panel"] == 1
    assert not (resumed.out_dir / "table_9.md").exists()


def test_no_truth_check_on_user_data(tiny: dict[str, Any], tmp_path: Path) -> None:
    user = tmp_path / "user"
    shutil.copytree(tiny["generated"], user)
    (user / "truth.json").unlink()
    (user / "manifest.json").unlink()
    demo = make_demo_study()
    study = Study("demo", "demo", demo.entries[:1], truth=demo.checks[:2], options=demo.options)
    report = run_study(study, StudyData(user), tmp_path / "out", engine=None)
    assert report.ok and report.truth is None
    assert not (report.out_dir / "truth_check.csv").exists()
    assert report.manifest["truth_check"] == {
        "skipped": "the dataset has no truth.json (not synthetic)"
    }
    assert report.manifest["data"]["hash_of"] == "files"


def test_dataset_hash_follows_content_not_location(tiny: dict[str, Any], tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
        shutil.copy(tiny["generated"] / "provinces.parquet", folder)
    assert dataset_hash(one) == dataset_hash(two)
    (two / "provinces.parquet").write_bytes(b"changed")
    assert dataset_hash(one)[0] != dataset_hash(two)[0]


def _result(b: float, se: float) -> Result:
    return Result(
        params=pd.Series({"x": b}),
        vcov=pd.DataFrame([[se**2]], index=["x"], columns=["x"]),
        nobs=100,
        df_resid=None,
    )


def test_truth_check_by_hand() -> None:
    def build(data: StudyData, engine: Any) -> list[Result]:
        return [_result(1.0, 0.5)]

    study = Study(
        "hand",
        "hand",
        [TableEntry("1", build)],
        truth=[
            TruthCheck("inside", "1", "x"),
            TruthCheck("outside", "1", "x"),
            TruthCheck("absent", "1", "x"),
            TruthCheck("not_a_number", "1", "x"),
            TruthCheck("inside", "1", "z"),
            TruthCheck("inside", "1", "x", result=3),
        ],
    )
    truth = {
        "entries": {"inside": {"value": 1.9}, "not_a_number": {"value": {"state": 0.4}}},
        "planted": {"outside": 1.99},
    }
    frame = truth_check(study, truth, {"table_1": (["(1)"], [_result(1.0, 0.5)])})
    half_width = 1.959963984540054 * 0.5  # Φ⁻¹(0.975) · se
    assert frame.loc[0, "ci_low"] == pytest.approx(1.0 - half_width, rel=5e-10)
    assert frame.loc[0, "ci_high"] == pytest.approx(1.0 + half_width, rel=5e-10)
    assert frame["covered"].tolist()[:2] == [True, False]
    assert frame["covered"].isna().tolist()[2:] == [True] * 4
    assert "neither in truth.json" in frame.loc[2, "note"]
    assert "not a number" in frame.loc[3, "note"]
    assert "term 'z' not in column '(1)'" in frame.loc[4, "note"]
    assert "result #3 asked for" in frame.loc[5, "note"]
    failed = truth_check(study, truth, {"table_1": None})
    assert failed["note"].str.contains("table_1 failed").all()


def test_study_definitions_are_checked() -> None:
    def build(data: StudyData, engine: Any) -> list[Result]:
        return []

    with pytest.raises(StudyError, match="defined twice"):
        Study("s", "s", [TableEntry("1", build), TableEntry("1", build)])
    with pytest.raises(StudyError, match="no table '2'"):
        Study("s", "s", [TableEntry("1", build)], truth=[TruthCheck("k", "2", "x")])
    with pytest.raises(StudyError, match="study name"):
        Study("Bad Name", "s", [])
    with pytest.raises(StudyError, match="not a TableEntry"):
        Study("s", "s", ["table"])  # type: ignore[list-item]
    with pytest.raises(StudyError, match=r"options \['title'\] are set by the entry"):
        TableEntry("1", build, options={"title": "x"})
    with pytest.raises(StudyError, match=r"must be \(table, result, term\)"):
        Study("s", "s", [TableEntry("1", build)], truth={"k": ("1", "x")})  # type: ignore[dict-item]
    study = Study(
        "s",
        "s",
        [TableEntry("1", build), FigureEntry("1", build)],
        truth={"k": ("table_1", "(2)", "x")},
    )
    assert [e.key for e in study.entries] == ["table_1", "figure_1"]
    assert study.checks == (TruthCheck("k", "table_1", "x", "(2)"),)


def test_registry() -> None:
    reg = registry.Registry(discover=False)
    first, second = make_demo_study("one"), make_demo_study("two")
    assert reg.all() == []
    reg.register(second)
    reg.register(first)
    reg.register(first)  # the same study again is fine
    assert [s.name for s in reg.all()] == ["one", "two"] and reg.get("one") is first
    with pytest.raises(StudyError, match="already registered"):
        reg.register(make_demo_study("one"))
    with pytest.raises(StudyError, match="registered studies: one, two"):
        reg.get("three")
    reg.unregister("two")
    assert reg.names() == ["one"]
    # the default registry imports the package's study modules without error
    assert all(isinstance(s, Study) for s in registry.Registry().all())


def test_rng_is_reproducible_per_name(tiny: dict[str, Any]) -> None:
    data = StudyData(tiny["dataset"], seed=3)
    same = StudyData(tiny["dataset"], seed=3)
    assert data.rng("placebo").random() == same.rng("placebo").random()
    assert data.rng("placebo").random() != data.rng("bootstrap").random()
    with pytest.raises(StudyError, match="table 'nope'"):
        data.table("nope")
    assert np.isfinite(data.table("provinces").height)


def test_a_foreign_folder_is_never_overwritten(tmp_path: Path) -> None:
    foreign = tmp_path / "tiny-seed0"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DatasetError, match="is not a vagg synthetic dataset"):
        synthetic_dataset("tiny", 0, tmp_path)
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        synthetic_dataset("huge", 0, tmp_path)


def _load(path: Path, source: str) -> Any:
    import importlib.util

    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("probe_study", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cache_key_follows_the_derivation_and_its_helpers(
    tiny: dict[str, Any], tmp_path: Path
) -> None:
    template = (
        "def helper():\n    return {value}\n\n\n"
        "def derive(data):\n    return [helper()]\n\n\n"
        "def table(data, engine):\n    return {table}\n"
    )
    data = StudyData(tiny["dataset"])

    def key(name: str, **code: str) -> str:
        module = _load(tmp_path / f"{name}.py", template.format(**code))
        return data.cache_key("frame", module.derive, {})

    base = key("a", value="1", table="[]")
    assert key("b", value="1", table="[]") == base  # same code elsewhere: same key
    assert key("c", value="1", table="['edited entry']") == base  # entries do not count
    assert key("d", value="2", table="[]") != base  # a helper of the derivation does


def test_entries_report_their_task_batches_on_the_study_bar(
    tiny: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import demo_study

    from vagg.engine import run_tasks

    lines: dict[Any, list[Any]] = {}
    plain_table_size = demo_study.table_size

    def table_size_with_draws(data: StudyData, engine: Any) -> list[Result]:
        from vagg.progress import _ACTIVE

        bar = _ACTIVE.get()
        assert bar is not None, "the runner's bar is active while an entry runs"
        add_task, advance = bar.add_task, bar.advance

        def add_recorded(description: str, **kwargs: Any) -> Any:
            task = add_task(description, **kwargs)
            lines[task] = [description.strip(), kwargs["total"], 0]
            return task

        def advance_recorded(task: Any, n: float = 1) -> None:
            advance(task, n)
            if task in lines:
                lines[task][2] += n

        monkeypatch.setattr(bar, "add_task", add_recorded)
        monkeypatch.setattr(bar, "advance", advance_recorded)
        assert run_tasks(None, pow, [2, 3], 2, label="demo draws", sizes=[7, 5]) == [4, 9]
        return plain_table_size(data, engine)

    monkeypatch.setattr(demo_study, "table_size", table_size_with_draws)
    data = StudyData(tiny["dataset"], cache_dir=tmp_path / "derived")
    report = run_study(make_demo_study(), data, tmp_path / "out", engine=None)
    assert report.ok
    assert list(lines.values()) == [["demo draws", 12, 12]]
