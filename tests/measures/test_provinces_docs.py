"""docs/measures/provinces.md stays true to the code.

* every ``vagg.<module>.<name>`` the page names and every ``from vagg... import ...`` in its
  Python blocks resolves;
* the example script (docs/examples/province_measures_examples.py) runs on the synthetic
  economy and every Markdown table row it prints appears verbatim in the page, except the
  wall-clock timings.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "measures" / "provinces.md"
SCRIPT = ROOT / "docs" / "examples" / "province_measures_examples.py"
DOTTED = re.compile(r"`(vagg(?:\.\w+)+)`")
FROM_IMPORT = re.compile(r"^from\s+(vagg(?:\.\w+)*)\s+import\s+([^\n]+)", re.M)


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def test_names_resolve() -> None:
    text = DOC.read_text(encoding="utf-8")
    names = DOTTED.findall(text)
    assert len(names) > 10
    for dotted in names:
        _resolve(dotted)
    imports = FROM_IMPORT.findall(text)
    assert imports
    for module, listed in imports:
        for name in listed.split(","):
            assert hasattr(importlib.import_module(module), name.strip()), (module, name)


def test_example_output_is_in_the_page() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=True, timeout=300
    )
    output = run.stdout.split("### Time per call")[0]
    rows = [line for line in output.splitlines() if line.startswith("|")]
    assert len(rows) > 30
    page = DOC.read_text(encoding="utf-8")
    missing = [line for line in rows if line not in page]
    assert not missing, missing
