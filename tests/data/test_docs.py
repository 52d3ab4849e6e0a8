"""docs/data.md documents exactly the schemas the code enforces."""

from __future__ import annotations

from pathlib import Path

from vagg.data.schemas import schema_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def test_table_reference_in_docs_matches_schemas() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("<!-- tables:start -->\n", 1)[1].split("<!-- tables:end -->", 1)[0]
    assert section == schema_markdown()
