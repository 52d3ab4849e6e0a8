"""docs/estimation.md and docs/examples/estimation_examples.py stay true to the code.

* fast: every ``vagg.<module>[.<name>]`` and every ``from vagg.<module> import <names>`` in the
  Python code blocks of docs/estimation.md resolves to something that exists, and the figures it
  shows are in docs/img/;
* slow: the example script runs on the public data sets (exit status 0, both figures written),
  and every Markdown table row it prints appears verbatim in docs/estimation.md, so the tables
  in the docs are the script's output.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "estimation.md"
SCRIPT = ROOT / "docs" / "examples" / "estimation_examples.py"
FIGURES = ("event_study.png", "placebo.png")

CODE_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
DOTTED = re.compile(r"\bvagg\.\w+(?:\.\w+)?")
FROM_IMPORT = re.compile(r"^\s*from\s+(vagg(?:\.\w+)*)\s+import\s+(\([^)]*\)|[^\n]+)", re.M)


def python_blocks(text: str) -> list[str]:
    return CODE_BLOCK.findall(text)


def resolve(dotted: str) -> Any:
    """The module or attribute named by ``vagg.a`` / ``vagg.a.b``; raises if there is none."""
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError:
        parent, _, name = dotted.rpartition(".")
        return getattr(importlib.import_module(parent), name)


def imported_names(block: str) -> list[tuple[str, str]]:
    """(module, name) for each name of each ``from vagg... import ...`` statement."""
    pairs = []
    for module, names in FROM_IMPORT.findall(block):
        names = re.sub(r"#[^\n]*", "", names).strip("() \n")
        for item in names.split(","):
            name = item.split(" as ")[0].strip()
            if name:
                pairs.append((module, name))
    return pairs


def test_parsers_find_what_they_should() -> None:
    block = (
        "from vagg.estimate import (  # comment\n    feols,\n    iv as two_sls,\n)\n"
        "from vagg.report import regression_table\nres = vagg.estimate.feols(...)\n"
    )
    assert imported_names(block) == [
        ("vagg.estimate", "feols"),
        ("vagg.estimate", "iv"),
        ("vagg.report", "regression_table"),
    ]
    assert DOTTED.findall(block) == ["vagg.estimate", "vagg.report", "vagg.estimate.feols"]
    with pytest.raises(AttributeError):
        resolve("vagg.estimate.no_such_estimator")


def test_vagg_names_in_code_blocks_exist() -> None:
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert blocks, "docs/estimation.md has no ```python code blocks"
    names = {m for block in blocks for m in DOTTED.findall(block)}
    pairs = {pair for block in blocks for pair in imported_names(block)}
    assert {"vagg.estimate", "vagg.report"} <= {module for module, _ in pairs}
    missing = []
    for dotted in sorted(names):
        try:
            resolve(dotted)
        except (ImportError, AttributeError):
            missing.append(dotted)
    for module, name in sorted(pairs):
        if not hasattr(importlib.import_module(module), name):
            missing.append(f"{module}.{name}")
    assert not missing, f"docs/estimation.md names what vagg does not have: {missing}"


def test_figures_shown_in_the_doc_exist() -> None:
    text = DOC.read_text(encoding="utf-8")
    for figure in FIGURES:
        assert f"img/{figure}" in text
        assert (ROOT / "docs" / "img" / figure).stat().st_size > 0


@pytest.mark.slow
def test_example_script_runs_and_the_doc_holds_its_tables(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--img-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    for figure in FIGURES:
        assert (tmp_path / figure).stat().st_size > 0
    assert "Kleibergen–Paap rk LM" in run.stdout
    doc_lines = set(DOC.read_text(encoding="utf-8").splitlines())
    table_rows = [line for line in run.stdout.splitlines() if line.startswith("| ")]
    assert len(table_rows) > 100
    stale = [line for line in table_rows if line not in doc_lines]
    assert not stale, f"rows printed by the script but not in docs/estimation.md: {stale[:5]}"
