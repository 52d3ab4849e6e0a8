"""docs/data.md documents exactly the schemas the code enforces."""

from __future__ import annotations

from pathlib import Path

from vagg.data.schemas import schema_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def test_table_reference_in_docs_matches_schemas() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("<!-- tables:start -->\n", 1)[1].split("<!-- tables:end -->", 1)[0]
    assert section == schema_markdown()


FILES = {
    "files": "tests/data/test_bad_files.py",
    "tables": "tests/data/test_bad_tables.py",
    "data": "tests/data/test_bad_data.py",
    "schemas": "tests/data/test_schemas.py",
    "io": "tests/data/test_io.py",
    "maps": "tests/data/test_column_maps.py",
    "cli": "tests/test_cli.py",
    "runs": "tests/studies/test_trusted_runs.py",
}


def test_every_bad_input_case_in_docs_names_a_test_that_exists() -> None:
    """Each row of "Bad inputs and what vagg says" points to one test, and no test twice."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Bad inputs and what vagg says", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    cases = [row for row in rows if not row.startswith("| # |")]
    root = DOCS.parents[1]
    seen = set()
    for number, row in enumerate(cases, start=1):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[0] == str(number), row
        short, name = cells[-1].split(" ", 1)
        name = name.strip("`")
        function = name.split("[", 1)[0]
        assert f"def {function}(" in (root / FILES[short]).read_text(encoding="utf-8"), row
        assert (short, name) not in seen, row
        seen.add((short, name))
    assert len(cases) >= 66
