"""docs/measures/resilience_firms.md stays true to the code: every ``vagg.<module>.<name>`` it
names resolves, and its Python example prints exactly the output block shown under it."""

from __future__ import annotations

import contextlib
import importlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "measures" / "resilience_firms.md"
DOTTED = re.compile(r"`(vagg(?:\.\w+)+)`")
PYTHON = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
OUTPUT = re.compile(r"^```text\n(.*?)^```", re.S | re.M)


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
    names = DOTTED.findall(DOC.read_text(encoding="utf-8"))
    assert len(names) > 25
    for dotted in names:
        assert _resolve(dotted) is not None, dotted


def test_example_prints_the_page_output() -> None:
    text = DOC.read_text(encoding="utf-8")
    (code,) = PYTHON.findall(text)
    (shown,) = OUTPUT.findall(text)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, str(DOC), "exec"), {})
    assert buffer.getvalue() == shown
