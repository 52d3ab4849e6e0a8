"""``vagg replicate``: synthetic data generated once and reused, --data, --all, failures and
usage errors, with the demo study of tests/studies/demo_study.py in a registry of its own.

The numbers themselves are checked against statsmodels/linearmodels in
tests/studies/test_runner.py; here the command's behaviour is checked: exit codes, the files
written, and what the manifest says about the data.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from vagg.cli import app
from vagg.data.dataset import synthetic_dataset
from vagg.studies import registry
from vagg.studies.base import Study

runner = CliRunner()


def _demo_module() -> ModuleType:
    if "demo_study" in sys.modules:
        return sys.modules["demo_study"]
    path = Path(__file__).parent / "studies" / "demo_study.py"
    spec = importlib.util.spec_from_file_location("demo_study", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["demo_study"] = module
    spec.loader.exec_module(module)
    return module


demo = _demo_module()


def _small(name: str, **kwargs: Any) -> Study:
    """The demo's Table 1 only (and Table 9 when broken), to keep runs short."""
    full = demo.make_demo_study(name, **kwargs)
    entries = [e for e in full.entries if e.key in ("table_1", "table_9")]
    return Study(name, full.title, entries, truth=full.checks[:2], lang="en", options=full.options)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    synthetic_dataset("tiny", 0, folder)
    return folder


@pytest.fixture
def studies(monkeypatch: pytest.MonkeyPatch) -> registry.Registry:
    """A registry of its own, holding the demo study; the package's studies are not run."""
    own = registry.Registry(discover=False)
    own.register(_small("demo"))
    monkeypatch.setattr(registry, "REGISTRY", own)
    return own


def _fail_if_generating(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the synthetic economy was generated again")


def test_scale_reuses_the_cached_synthetic_economy(
    studies: registry.Registry, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("vagg.data.synth.economy.generate", _fail_if_generating)
    out = tmp_path / "results"
    args = ["replicate", "demo", "--scale", "tiny", "--cache-dir", str(cache), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    folder = out / "demo"
    assert {"table_1.md", "table_1.docx", "manifest.json", "truth_check.csv"} <= {
        p.name for p in folder.iterdir()
    }
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scale"] == "tiny" and manifest["seed"] == 0
    assert manifest["data"]["source"] == "synthetic" and manifest["data"]["reused"] is True
    assert manifest["engine"]["name"] == "Local"
    # the generated economy has no demo truths: the rows say so and nothing is "covered"
    truth = pd.read_csv(folder / "truth_check.csv")
    assert truth["covered"].isna().all()
    assert truth["note"].str.contains("neither in truth.json").all()
    assert (cache / "derived").is_dir()


def test_data_folder_without_truth(studies: registry.Registry, cache: Path, tmp_path: Path) -> None:
    user = tmp_path / "mine"
    shutil.copytree(cache / "tiny-seed0", user)
    (user / "truth.json").unlink()
    out = tmp_path / "results"
    args = ["replicate", "demo", "--data", str(user), "--out", str(out), "--no-cache"]
    args += ["--cache-dir", str(tmp_path / "cache")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "demo" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["data"]["source"] == "user" and manifest["scale"] is None
    assert manifest["truth_check"]["skipped"].startswith("the dataset has no truth.json")
    assert not (out / "demo" / "truth_check.csv").exists()
    assert not (tmp_path / "cache").exists()  # --no-cache: nothing written there


def test_all_runs_every_registered_study(
    studies: registry.Registry, cache: Path, tmp_path: Path
) -> None:
    studies.register(_small("demo_two"))
    out = tmp_path / "results"
    args = ["replicate", "--all", "--scale", "tiny", "--cache-dir", str(cache)]
    result = runner.invoke(app, [*args, "--out", str(out), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "demo",
        "demo_two",
        "index.html",
    ]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="#demo"' in page and 'href="#demo_two"' in page
    markdown = (out / "demo_two" / "table_1.md").read_text(encoding="utf-8")
    assert markdown.startswith("**表1　销售额与就业**")


def test_all_with_no_study_registered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(registry, "REGISTRY", registry.Registry(discover=False))
    result = runner.invoke(app, ["replicate", "--all", "--out", str(tmp_path / "results")])
    assert result.exit_code == 0
    assert "no studies are registered" in result.output
    assert not (tmp_path / "results").exists()


def test_failing_entry_exits_non_zero(
    studies: registry.Registry, cache: Path, tmp_path: Path
) -> None:
    studies.register(_small("demo", broken=True), replace=True)
    out = tmp_path / "results"
    args = ["replicate", "demo", "--scale", "tiny", "--cache-dir", str(cache), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "table_9" in result.output and "planted failure" in result.output
    manifest = json.loads((out / "demo" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["failed_entries"] == ["table_9"]
    assert (out / "demo" / "table_1.xlsx").exists()


def test_usage_errors(studies: registry.Registry, tmp_path: Path) -> None:
    def code(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["replicate", *args])
        return result.exit_code, result.output

    assert code()[0] == 2
    assert code("demo", "--all")[0] == 2
    assert code("demo", "--scale", "tiny", "--data", str(tmp_path))[0] == 2
    assert code("demo", "--scale", "huge")[0] == 2
    assert code("demo", "--data", str(tmp_path / "missing"))[0] == 2
    assert code("demo", "--engine", "spark")[0] == 2
    assert code("demo", "--lang", "fr")[0] == 2
    status, output = code("nope", "--data", str(tmp_path))
    assert status == 2 and "unknown study 'nope'" in output and "demo" in output
    status, output = code("--list")
    assert status == 0 and "demo" in output


def test_options_are_set_recorded_and_key_the_cache(
    studies: registry.Registry, cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    base = ["replicate", "demo", "--scale", "tiny", "--cache-dir", str(cache), "--out", str(out)]
    assert runner.invoke(app, base).exit_code == 0
    before = demo.CALLS["firm_panel"]
    manifest = json.loads((out / "demo" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"] == {"min_sales": 0.0}
    settings = tmp_path / "options.toml"
    settings.write_text("[demo]\nmin_sales = 5.0\n", encoding="utf-8")
    result = runner.invoke(app, [*base, "--options", str(settings)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "demo" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"] == {"min_sales": 5.0}
    assert demo.CALLS["firm_panel"] == before + 1  # another option value: derived again
    result = runner.invoke(app, [*base, "--set", "min_sales=1", "--set", "min_sales=5"])
    assert result.exit_code == 0, result.output
    assert demo.CALLS["firm_panel"] == before + 1  # the same options: read back from disk


def test_unknown_option_lists_the_valid_ones(studies: registry.Registry, tmp_path: Path) -> None:
    result = runner.invoke(app, ["replicate", "demo", "--data", str(tmp_path), "--set", "k=1"])
    assert result.exit_code == 2
    assert "study 'demo' has no option 'k'" in result.output and "min_sales" in result.output


def test_bad_option_value_says_what_is_valid(studies: registry.Registry, tmp_path: Path) -> None:
    args = ["replicate", "demo", "--data", str(tmp_path), "--set", "min_sales=many"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "option 'min_sales': 'many' is not valid; use a number" in result.output


def test_set_without_a_value_is_a_usage_error(studies: registry.Registry, tmp_path: Path) -> None:
    result = runner.invoke(app, ["replicate", "demo", "--data", str(tmp_path), "--set", "x"])
    assert result.exit_code == 2 and "write NAME=VALUE" in result.output


def test_list_options(studies: registry.Registry) -> None:
    result = runner.invoke(app, ["replicate", "--list-options"])
    assert result.exit_code == 0 and "demo.min_sales" in result.output


def test_min_firms_reaches_the_run_and_must_be_positive(
    studies: registry.Registry, cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    args = ["replicate", "demo", "--scale", "tiny", "--cache-dir", str(cache), "--out", str(out)]
    result = runner.invoke(app, [*args, "--min-firms", "25"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "demo" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["min_firms"] == 25
    refused = runner.invoke(app, [*args, "--min-firms", "0"])
    assert refused.exit_code == 2 and "min-firms" in refused.output
