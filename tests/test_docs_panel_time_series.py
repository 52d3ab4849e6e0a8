"""docs/estimation/panel_time_series.md stays true to the code.

* fast: every ``vagg.<name>`` in its Python blocks resolves;
* slow: ``docs/examples/panel_time_series_examples.py`` runs, and every table row and error
  line it prints (the timings aside) appears verbatim in the page.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import vagg

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "estimation" / "panel_time_series.md"
SCRIPT = ROOT / "docs" / "examples" / "panel_time_series_examples.py"


def test_vagg_names_in_code_blocks_exist() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    names = {m for block in blocks for m in re.findall(r"\bvagg\.(\w+)", block)}
    assert {"fmols", "dols", "granger_dh", "convergence"} <= names
    for name in names:
        assert getattr(vagg, name) is not None


@pytest.mark.slow
def test_script_output_is_in_the_page() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    printed = out.split("### Timings")[0]
    text = DOC.read_text(encoding="utf-8")
    lines = [ln for ln in printed.splitlines() if ln.startswith("|") or ": " in ln]
    assert lines
    missing = [
        ln
        for ln in lines
        if ln.startswith(("|", "gap", "coll", "sing", "unb", "T ", "sp")) and ln not in text
    ]
    assert not missing, missing
