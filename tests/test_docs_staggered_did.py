"""docs/estimation/staggered_did.md stays true to the code.

* fast: every ``vagg.<name>`` in its Python blocks resolves;
* slow: ``docs/examples/staggered_did_examples.py`` runs, and every row of the effect tables
  it prints appears verbatim in the page (the agreement table with csdid, whose last digits
  depend on the BLAS, aside).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import vagg

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "estimation" / "staggered_did.md"
SCRIPT = ROOT / "docs" / "examples" / "staggered_did_examples.py"


def test_vagg_names_in_code_blocks_exist() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    names = {m for block in blocks for m in re.findall(r"\bvagg\.(\w+)", block)}
    assert {"callaway_santanna", "sun_abraham"} <= names
    for name in names:
        assert getattr(vagg, name) is not None


@pytest.mark.slow
def test_script_output_is_in_the_page() -> None:
    pytest.importorskip("causaldata")
    pytest.importorskip("csdid")
    out = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    printed = out.split("### Agreement")[0]
    text = DOC.read_text(encoding="utf-8")
    rows = [ln for ln in printed.splitlines() if re.match(r"^\| (e|g|rel)[-+\d]", ln)]
    assert len(rows) == 10 + 5 + 9
    missing = [ln for ln in rows if ln not in text]
    assert not missing, missing
    for number in re.findall(r"overall \((\w+)\): ([-\d.]+) \(se ([\d.]+)\)", printed):
        kind, est, se = number
        assert f"{kind}: {est} (se {se})" in text
