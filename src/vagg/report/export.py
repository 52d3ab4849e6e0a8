"""Writers of a :class:`~vagg.report.tables.RegressionTable`: Markdown, LaTeX, HTML, Word,
Excel and CSV.

Every format prints the same strings in the three-line layout of Chinese journal tables (a rule
above the header, one below it and one below the last row; the notes follow the table). LaTeX
uses booktabs and threeparttable with esttab's ``\\sym{}`` stars; a table with Chinese labels
needs a CJK-capable engine (``xelatex`` with ``ctex``). Word tables are written with
python-docx and Excel sheets with openpyxl. The CSV is the machine-readable companion: numbers
at full precision, one row per term × column.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from vagg.errors import VaggError
from vagg.report.labels import Lang

__all__ = [
    "CSV_DIGITS",
    "CSV_FLOAT_FORMAT",
    "FIXED_TIME",
    "FORMATS",
    "ExportError",
    "RegressionTable",
    "fix_office_metadata",
    "save",
    "to_csv",
    "to_docx",
    "to_html",
    "to_latex",
    "to_markdown",
    "to_xlsx",
]


class RegressionTable(Protocol):
    """What the writers read of a table (:class:`vagg.report.tables.RegressionTable` has it):
    header rows, the stub label, body rows (``label``, ``cells``, ``kind``), notes, title,
    language, the number of columns and the tidy estimates frame. A protocol, so that the
    writers do not import the module that builds tables."""

    @property
    def header(self) -> tuple[tuple[str, ...], ...]: ...

    @property
    def stub(self) -> str: ...

    @property
    def rows(self) -> tuple[Any, ...]: ...

    @property
    def notes(self) -> tuple[str, ...]: ...

    @property
    def title(self) -> str | None: ...

    @property
    def lang(self) -> Lang: ...

    @property
    def estimates(self) -> Any: ...

    @property
    def n_columns(self) -> int: ...


#: File suffix of every format :func:`save` writes.
FORMATS: dict[str, str] = {
    "md": ".md",
    "tex": ".tex",
    "html": ".html",
    "docx": ".docx",
    "xlsx": ".xlsx",
    "csv": ".csv",
}

_STARS = re.compile(r"^(.*?)(\*+)$")
_SYM = r"\providecommand{\sym}[1]{\ifmmode^{#1}\else\(^{#1}\)\fi}"


class ExportError(VaggError):
    """A table cannot be written as asked (unknown format, unusable path)."""


def _split_stars(cell: str) -> tuple[str, str]:
    """``"0.0566***"`` → ``("0.0566", "***")``."""
    match = _STARS.match(cell)
    return (match.group(1), match.group(2)) if match else (cell, "")


def _note_lines(table: RegressionTable) -> list[str]:
    """The notes, the first one prefixed with "Notes: " / "注："."""
    from vagg.report.labels import text

    if not table.notes:
        return []
    return [text("note_prefix", table.lang) + table.notes[0], *table.notes[1:]]


# -- Markdown --------------------------------------------------------------------------------


def _md(cell: str) -> str:
    return cell.replace("|", r"\|")


def _md_text(text: str) -> str:
    """Running text (title, notes): also escape the emphasis markers of the star legend."""
    return _md(text).replace("*", r"\*").replace("_", r"\_")


def to_markdown(table: RegressionTable) -> str:
    """A pipe table: title in bold above, notes below; extra header rows lead the body."""
    first, *more = table.header
    lines = []
    if table.title:
        lines += [f"**{_md_text(table.title)}**", ""]
    lines.append("| " + " | ".join(_md(c) for c in [table.stub, *first]) + " |")
    lines.append("| :--- | " + " | ".join(":---:" for _ in first) + " |")
    body = [("", h) for h in more] + [(row.label, row.cells) for row in table.rows]
    for label, cells in body:
        lines.append("| " + " | ".join(_md(c) for c in [label, *cells]) + " |")
    notes = _note_lines(table)
    for note in notes:
        lines += ["", _md_text(note)]
    return "\n".join(lines) + "\n"


# -- LaTeX -----------------------------------------------------------------------------------

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "²": r"\textsuperscript{2}",
    "—": "---",
    "–": "--",
    "×": r"\(\times\)",
}


def _tex(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def _tex_cell(cell: str) -> str:
    value, stars = _split_stars(cell)
    return _tex(value) + (rf"\sym{{{stars}}}" if stars else "")


def to_latex(table: RegressionTable) -> str:
    """A ``table`` float: threeparttable, booktabs rules, ``\\sym{***}`` stars, tablenotes."""
    n = table.n_columns
    lines = [
        _SYM,
        r"\begin{table}[htbp]",
        r"\centering",
        r"\begin{threeparttable}",
    ]
    if table.title:
        lines.append(rf"\caption{{{_tex(table.title)}}}")
    lines += [rf"\begin{{tabular}}{{l*{{{n}}}{{c}}}}", r"\toprule"]
    for i, header in enumerate(table.header):
        stub = _tex(table.stub) if i == len(table.header) - 1 else ""
        lines.append(" & ".join([stub, *(_tex(h) for h in header)]) + r" \\")
    lines.append(r"\midrule")
    for row in table.rows:
        lines.append(" & ".join([_tex(row.label), *(_tex_cell(c) for c in row.cells)]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    notes = _note_lines(table)
    if notes:
        lines += [r"\begin{tablenotes}[flushleft]", r"\footnotesize"]
        lines += [rf"\item {_tex(note)}" for note in notes]
        lines.append(r"\end{tablenotes}")
    lines += [r"\end{threeparttable}", r"\end{table}"]
    return "\n".join(lines) + "\n"


# -- HTML ------------------------------------------------------------------------------------

_TOP = "border-top:2px solid #000;"
_MID = "border-bottom:1px solid #000;"
_BOTTOM = "border-bottom:2px solid #000;"
_CELL = "padding:2px 10px;"


def to_html(table: RegressionTable) -> str:
    """An HTML ``<table>`` fragment: caption, thead, tbody, and the notes in a final row."""
    e = html.escape
    n_header = len(table.header)
    out = ['<table class="vagg-regression-table" style="border-collapse:collapse;">']
    if table.title:
        out.append(f"<caption>{e(table.title)}</caption>")
    out.append("<thead>")
    for i, header in enumerate(table.header):
        style = _CELL + (_TOP if i == 0 else "") + (_MID if i == n_header - 1 else "")
        stub = table.stub if i == n_header - 1 else ""
        cells = [f'<th style="{style}text-align:left;">{e(stub)}</th>']
        cells += [f'<th style="{style}text-align:center;">{e(h)}</th>' for h in header]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</thead>")
    out.append("<tbody>")
    for i, row in enumerate(table.rows):
        style = _CELL + (_BOTTOM if i == len(table.rows) - 1 else "")
        cells = [f'<td style="{style}text-align:left;">{e(row.label)}</td>']
        cells += [f'<td style="{style}text-align:center;">{e(c)}</td>' for c in row.cells]
        out.append(f'<tr class="{row.kind}">' + "".join(cells) + "</tr>")
    out.append("</tbody>")
    notes = _note_lines(table)
    if notes:
        out.append("<tfoot>")
        for note in notes:
            out.append(
                f'<tr><td colspan="{table.n_columns + 1}" '
                f'style="{_CELL}text-align:left;font-size:smaller;">{e(note)}</td></tr>'
            )
        out.append("</tfoot>")
    out.append("</table>")
    return "\n".join(out) + "\n"


def _html_document(table: RegressionTable) -> str:
    title = html.escape(table.title or "")
    lang = "zh-CN" if table.lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n</head>\n<body>\n{to_html(table)}</body>\n</html>\n"
    )


# -- Word ------------------------------------------------------------------------------------


def _set_cell_border(cell: object, **edges: int) -> None:
    """Single rules of ``size`` eighths of a point on the given edges (top=12, bottom=6...)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, size in edges.items():
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), str(size))
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), "000000")
        borders.append(element)


def _set_fonts(run: object, size_pt: float) -> None:
    """Times New Roman for Latin text, SimSun (宋体) for Chinese, at ``size_pt`` points."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = "Times New Roman"  # type: ignore[attr-defined]
    run.font.size = Pt(size_pt)  # type: ignore[attr-defined]
    r_pr = run._element.get_or_add_rPr()  # type: ignore[attr-defined]
    r_pr.get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")


def _write_docx_cell(cell: object, text: str, *, left: bool, stars_superscript: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
    value, stars = _split_stars(text) if stars_superscript else (text, "")
    run = paragraph.add_run(value)
    _set_fonts(run, 10.5)
    if stars:
        star_run = paragraph.add_run(stars)
        star_run.font.superscript = True
        _set_fonts(star_run, 10.5)


def to_docx(table: RegressionTable, path: str | Path) -> Path:
    """A Word document with the title, a real Word table in three-line style, and the notes.

    The rules are cell borders: 1.5 pt above the header, 0.75 pt below it, 1.5 pt below the
    last row; stars are superscript runs (the cell text still reads ``0.0566***``).
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    path = _target(path)
    document = Document()
    if table.title:
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(table.title)
        run.bold = True
        _set_fonts(run, 10.5)
    n_header = len(table.header)
    grid = document.add_table(rows=n_header + len(table.rows), cols=table.n_columns + 1)
    for i, header in enumerate(table.header):
        cells = grid.rows[i].cells
        stub = table.stub if i == n_header - 1 else ""
        for j, text in enumerate([stub, *header]):
            _write_docx_cell(cells[j], text, left=j == 0, stars_superscript=False)
            edges = {"top": 12} if i == 0 else {}
            if i == n_header - 1:
                edges["bottom"] = 6
            _set_cell_border(cells[j], **edges)
    last = len(table.rows) - 1
    for i, row in enumerate(table.rows):
        cells = grid.rows[n_header + i].cells
        for j, text in enumerate([row.label, *row.cells]):
            _write_docx_cell(cells[j], text, left=j == 0, stars_superscript=row.kind == "estimate")
            if i == last:
                _set_cell_border(cells[j], bottom=12)
    for note in _note_lines(table):
        _set_fonts(document.add_paragraph().add_run(note), 9)
    document.save(str(path))
    fix_office_metadata(path)
    return path


# -- Excel -----------------------------------------------------------------------------------


def to_xlsx(table: RegressionTable, path: str | Path) -> Path:
    """An Excel sheet: title in A1 (when given), header rows, body, notes; three rules.

    Cells hold the printed strings, so the sheet shows exactly what the other formats show;
    the numbers themselves are in :func:`to_csv`.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    path = _target(path)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Table"
    thick, thin = Side(style="medium"), Side(style="thin")
    width = table.n_columns + 1
    row_at = 1
    if table.title:
        sheet.cell(row=1, column=1, value=table.title).font = Font(bold=True)
        row_at = 2
    n_header = len(table.header)
    lines = [["", *h] for h in table.header[:-1]] + [[table.stub, *table.header[-1]]]
    lines += [[row.label, *row.cells] for row in table.rows]
    last = len(lines) - 1
    for i, values in enumerate(lines):
        for j, value in enumerate(values):
            cell = sheet.cell(row=row_at + i, column=j + 1, value=value)
            cell.alignment = Alignment(horizontal="left" if j == 0 else "center")
            top = thick if i == 0 else None
            bottom = thin if i == n_header - 1 else thick if i == last else None
            if top or bottom:
                cell.border = Border(top=top, bottom=bottom)
    for k, note in enumerate(_note_lines(table)):
        sheet.cell(row=row_at + len(lines) + k, column=1, value=note).font = Font(size=9)
    label_width = max((len(str(v[0])) for v in lines), default=8)
    sheet.column_dimensions["A"].width = min(max(10, 1.2 * label_width + 2), 60)
    for j in range(2, width + 1):
        letter = sheet.cell(row=1, column=j).column_letter
        sheet.column_dimensions[letter].width = 14
    workbook.save(str(path))
    fix_office_metadata(path)
    return path


#: The creation and modification time written into every docx and xlsx (and their zip
#: entries), so that the same table gives the same bytes (docs/runs.md).
FIXED_TIME = "2000-01-01T00:00:00Z"
_STAMPS = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def fix_office_metadata(path: Path) -> None:
    """Rewrite a docx/xlsx so its bytes depend only on its content: zip entries in name order
    with a fixed date, and the document's created/modified times set to :data:`FIXED_TIME`.

    python-docx and openpyxl stamp the current time into ``docProps/core.xml`` and into every
    zip entry; neither offers a switch, so the archive is rewritten here (zipfile).
    """
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    temporary = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(temporary, "w") as target:
        for name, blob in entries:
            if name == "docProps/core.xml":
                text = blob.decode("utf-8")
                blob = _STAMPS.sub(rf"\g<1>{FIXED_TIME}\g<2>", text).encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, blob)
    temporary.replace(path)


# -- CSV and all formats ---------------------------------------------------------------------

#: Significant digits of the floats in every CSV a run writes (docs/runs.md).
CSV_DIGITS = 10
CSV_FLOAT_FORMAT = f"%.{CSV_DIGITS}g"


def to_csv(table: RegressionTable, path: str | Path) -> Path:
    """The estimates as numbers: ``column, term, estimate, std_error, statistic, pvalue, stars,
    nobs, r2``; floats with :data:`CSV_DIGITS` significant digits (so that summation-order
    noise of ~1e-13 does not change the file between runs), unavailable values blank."""
    path = _target(path)
    table.estimates.to_csv(
        path, index=False, na_rep="", encoding="utf-8", float_format=CSV_FLOAT_FORMAT
    )
    return path


def save(table: RegressionTable, stem: str | Path, formats: Sequence[str]) -> list[Path]:
    """Write ``stem`` + suffix for each format (md, tex, html, docx, xlsx, csv); return paths."""
    if isinstance(formats, str):
        formats = [formats]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ExportError(f"formats: unknown format(s) {unknown}; available: {list(FORMATS)}")
    stem = Path(stem)
    written = []
    for fmt in dict.fromkeys(formats):
        path = stem.with_name(stem.name + FORMATS[fmt])
        if fmt == "md":
            written.append(_write_text(path, to_markdown(table)))
        elif fmt == "tex":
            written.append(_write_text(path, to_latex(table)))
        elif fmt == "html":
            written.append(_write_text(path, _html_document(table)))
        elif fmt == "docx":
            written.append(to_docx(table, path))
        elif fmt == "xlsx":
            written.append(to_xlsx(table, path))
        else:
            written.append(to_csv(table, path))
    return written


def _target(path: str | Path) -> Path:
    path = Path(path)
    if path.exists() and path.is_dir():
        raise ExportError(f"path: {path} is a directory; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _write_text(path: Path, content: str) -> Path:
    path = _target(path)
    path.write_text(content, encoding="utf-8")
    return path
