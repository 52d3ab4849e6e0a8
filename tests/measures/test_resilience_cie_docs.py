"""docs/measures/resilience_firms_cie.md stays true to the code: every function it names exists
in ``vagg.measures``, and its HS-list table shows exactly the shipped codes."""

from __future__ import annotations

import re
from pathlib import Path

import vagg.measures
from vagg.measures.green_smart import hs_list

DOC = Path(__file__).resolve().parents[2] / "docs" / "measures" / "resilience_firms_cie.md"


def test_functions_named_in_the_page_exist() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`(\w+)\(", text))
    assert {"cost_ratios", "product_churn", "isolation", "smart_imports"} <= named
    for name in named - {"read_hs_bec", "aggregate_quality", "prody"}:
        assert callable(getattr(vagg.measures, name)), name


def test_hs_list_table_matches_the_shipped_file() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in ("intelligent_equipment", "environmental_apec"):
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}`"))
        assert set(re.findall(r"\b\d{6}\b", row)) == set(hs_list(name)["hs6"]), name
