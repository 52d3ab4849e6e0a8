"""docs/measures/cities.md stays true to the code: its imports resolve, its dictionary table is
the shipped dictionary, and every table row printed by docs/examples/cities_examples.py on the
real OECD file appears verbatim in the page."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from pathlib import Path

import pytest

from vagg.measures.text import load_dictionary

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "measures" / "cities.md"
SCRIPT = ROOT / "docs" / "examples" / "cities_examples.py"
FILE = "oecd_iot2021_chn_1995_2018_long.csv"


def _locate() -> Path | None:
    env = os.environ.get("VAGG_SHARED_DATA")
    candidates = [Path(env) / "io" / FILE] if env else []
    candidates += [p / "shared" / "data" / "io" / FILE for p in Path(__file__).resolve().parents]
    return next((c for c in candidates if c.exists()), None)


def test_imports_in_the_page_resolve() -> None:
    text = DOC.read_text(encoding="utf-8")
    pairs = re.findall(r"^from (vagg[\w.]*) import ([^\n]+)$", text, re.M)
    assert pairs
    for module, names in pairs:
        mod = importlib.import_module(module)
        for name in names.split(","):
            assert hasattr(mod, name.strip()), f"{module}.{name.strip()}"


def test_dictionary_table_lists_the_shipped_terms() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = load_dictionary()
    section = text.split("| dimension | terms |\n", 1)[1].split("\n\n", 1)[0]
    listed = set()
    for line in section.splitlines()[1:]:  # skip the |---| line
        listed.update(line.split("|")[2].split())
    assert listed == set(table["term"])
    assert (table["source"] == "vagg").sum() == 8
    assert (table["source"] != "vagg").sum() == 70


@pytest.mark.skipif(_locate() is None, reason=f"reference file {FILE} not found")
def test_example_tables_appear_in_the_page() -> None:
    spec = importlib.util.spec_from_file_location("cities_examples", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    printed = module.main(str(_locate()))
    text = DOC.read_text(encoding="utf-8")
    rows = [line for line in printed.splitlines() if line.startswith("|")]
    assert len(rows) > 20
    for row in rows:
        assert row in text, row
