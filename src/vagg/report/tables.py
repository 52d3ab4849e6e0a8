"""Regression tables in the layout of the papers: one column per model, coefficient with stars
over its standard error in parentheses, then the constant, test statistics, "Controls: Yes/No"
and fixed-effect rows, the number of observations and R².

The layout follows the published tables of the studies: 000 Tables 1–8 (coefficient with stars,
standard error in parentheses, 常数项, 样本量, R², "个体/行业/年份固定效应" stated in the notes)
and 001 Tables 2–4 (控制变量 and "城市/年份固定效应 是/否" rows, the LM and Wald F statistics
of the IV columns). It is what Stata's ``esttab`` / ``outreg2`` and fixest's ``etable`` print.

A table is built from :class:`vagg.estimate.results.Result` objects only; the writers of
:mod:`vagg.report.export` turn it into Markdown, LaTeX, HTML, Word, Excel and CSV.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from vagg.estimate.results import NotAvailable, Result
from vagg.report import export, labels
from vagg.report.diagnostic_cells import ABSENT, TableError, diagnostic_statistic, expand_diagnostic
from vagg.report.labels import Lang

__all__ = [
    "INTERCEPT_NAMES",
    "MODEL_STATISTICS",
    "NOT_AVAILABLE",
    "RegressionTable",
    "RowKind",
    "Section",
    "TableError",
    "TableRow",
    "regression_table",
]


#: Names under which estimators report the intercept (statsmodels / pyfixest, statsmodels
#: ``add_constant``, Stata, R).
INTERCEPT_NAMES: tuple[str, ...] = ("Intercept", "const", "_cons", "(Intercept)")
#: How a statistic that does not apply is printed.
NOT_AVAILABLE = "—"
#: Model statistics that can be shown at the foot of the table, in this order by default.
MODEL_STATISTICS: tuple[str, ...] = ("nobs", "r2", "adj_r2", "r2_within", "loglik")

RowKind = Literal["estimate", "uncertainty", "diagnostic", "pvalue", "indicator", "statistic"]
Section = Literal["coefficients", "diagnostics", "indicators", "statistics"]


@dataclass(frozen=True)
class TableRow:
    """One printed row: its label, one string per column, what it shows and its block."""

    label: str
    cells: tuple[str, ...]
    kind: RowKind
    section: Section
    term: str | None = None


@dataclass(frozen=True)
class RegressionTable:
    """A regression table ready to print: header rows, body rows and notes, all strings.

    ``header`` holds one or more header rows (the dependent variables when asked for, then the
    column headers); ``stub`` is the heading of the label column; ``estimates`` is the
    machine-readable companion written by :meth:`to_csv` (numbers, one row per term × column).
    """

    header: tuple[tuple[str, ...], ...]
    stub: str
    rows: tuple[TableRow, ...]
    notes: tuple[str, ...]
    title: str | None
    lang: Lang
    estimates: pd.DataFrame

    @property
    def n_columns(self) -> int:
        """Number of model columns (the label column not counted)."""
        return len(self.header[-1])

    def to_frame(self) -> pd.DataFrame:
        """The table as displayed: a DataFrame of strings, the row labels in the first column.

        With several header rows the columns are a MultiIndex (one level per header row).
        """
        data = [[row.label, *row.cells] for row in self.rows]
        if len(self.header) == 1:
            return pd.DataFrame(data, columns=[self.stub, *self.header[0]], dtype=object)
        stub = tuple([""] * (len(self.header) - 1) + [self.stub])
        columns = pd.MultiIndex.from_tuples([stub, *zip(*self.header, strict=True)])
        return pd.DataFrame(data, columns=columns, dtype=object)

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown pipe table with the title above and the notes below."""
        return export.to_markdown(self)

    def to_latex(self) -> str:
        """A booktabs ``tabular`` in a ``threeparttable`` with ``\\sym{}`` stars and notes."""
        return export.to_latex(self)

    def to_html(self) -> str:
        """An HTML ``<table>`` with the three rules of a journal table."""
        return export.to_html(self)

    def to_docx(self, path: str | Path) -> Path:
        """A Word document holding the table as a real Word table (three-line style)."""
        return export.to_docx(self, path)

    def to_xlsx(self, path: str | Path) -> Path:
        """An Excel workbook holding the table, its title and notes."""
        return export.to_xlsx(self, path)

    def to_csv(self, path: str | Path) -> Path:
        """The machine-readable estimates: one row per term × column, numbers not strings."""
        return export.to_csv(self, path)

    def save(
        self,
        stem: str | Path,
        formats: Sequence[str] = ("md", "tex", "html", "docx", "xlsx", "csv"),
    ) -> list[Path]:
        """Write ``stem.<format>`` for every format and return the paths written."""
        return export.save(self, stem, formats)

    def __str__(self) -> str:
        return self.to_markdown()


def regression_table(
    results: Result | Sequence[Result] | Mapping[str, Result],
    *,
    columns: Sequence[str] | None = None,
    keep: Sequence[str] | None = None,
    rename: Mapping[str, str] | None = None,
    controls: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    fixed_effects_rows: Mapping[str, Sequence[str] | str] | None = None,
    stat: Literal["se", "t"] = "se",
    stars: Sequence[float] | None = (0.1, 0.05, 0.01),
    digits: int = 4,
    diagnostics: Sequence[str] | None = None,
    lang: Lang = "en",
    title: str | None = None,
    notes: str | Sequence[str] | None = None,
    intercept: bool = True,
    stats: Sequence[str] = ("nobs", "r2"),
    show_depvar: bool = False,
) -> RegressionTable:
    """Build a regression table with one column per Result, in the layout of the papers.

    Each shown term gets two rows: ``b`` rounded to ``digits`` followed by one star per
    threshold in ``stars`` that its two-sided p-value (``Result.pvalues``) is below (by default
    * p<0.1, ** p<0.05, *** p<0.01, the convention of 000 and 001), and beneath it ``(se)``, or
    ``(t)`` with ``t = b / se`` when ``stat="t"``. Then come the constant (常数项), the
    ``diagnostics`` (a test statistic with its p-value in brackets beneath), the controls and
    fixed-effect indicator rows (Yes/No, 是/否), and the model statistics ``stats``
    (样本量 = ``nobs``, R²; also ``adj_r2``, ``r2_within``, ``loglik``). Layout of 000 Tables 1–8
    and 001 Tables 2–4; cf. Stata ``esttab`` (Jann 2007, *Stata Journal* 7(2)) and fixest
    ``etable``.

    Parameters
    ----------
    results : a Result, a sequence of Results, or a mapping header → Result.
    columns : column headers; default "(1)", "(2)", … (or the mapping's keys).
    keep : terms to show, in this order; default every term of any result except the intercept
        and the ``controls``, in order of first appearance.
    rename : term → printed label (also applied to dependent variables).
    controls : terms folded into one "Controls: Yes/No" row (Yes when a column has any of them),
        or a mapping label → terms for several such rows (001 Table 4: 企业/地区控制变量).
    fixed_effects_rows : label → fixed-effect names (``{"Firm FE": ["firm_id"]}``); a column
        shows Yes when it has all of them. Default: one row per fixed effect of any result.
    stat : ``"se"`` or ``"t"`` in parentheses.
    stars : p-value thresholds for the stars; ``None`` or ``()`` for none.
    digits : decimals of every printed number.
    diagnostics : keys of ``Result.diagnostics`` shown as rows (e.g. ``["kp_rk_lm",
        "kp_rk_wald_f"]``); a mapping-valued diagnostic (``first_stage``) gives one row per key.
    lang : ``"en"`` or ``"zh"`` row labels and notes.
    title, notes : caption, and notes printed after the automatic ones (what the parentheses
        hold, the star legend, the bracketed p-values).
    intercept : show the constant row when a result has an intercept.
    stats : model statistics at the foot, in this order.
    show_depvar : add a header row with each column's dependent variable.

    Statistics that do not apply (:class:`NotAvailable`, NaN) print as "—"; a term or a
    diagnostic absent from a column is blank.

    Raises
    ------
    TableError: no results, an object that is not a Result, ``columns`` of the wrong length,
        ``keep``/``controls``/``fixed_effects_rows`` naming something in no result, an unknown
        diagnostic key (the message lists the available ones), a fixed-effect row that a column
        only partly has, or an invalid ``stat``, ``stars``, ``digits``, ``lang`` or ``stats``.
    """
    models, headers = _normalise_results(results, columns)
    _check_options(stat, digits, lang, stats)
    thresholds = _check_stars(stars)
    rename = dict(rename or {})
    control_groups = _control_groups(controls, models, lang)
    control_terms = {t for terms in control_groups.values() for t in terms}
    terms = _shown_terms(models, keep, control_terms)
    ctx = _Formatter(digits, thresholds)

    rows: list[TableRow] = []
    for term in terms:
        label = rename.get(term, labels.text("constant", lang) if _is_intercept(term) else term)
        rows.extend(_coefficient_rows(term, label, models, stat, ctx))
    if intercept:
        for term in _intercepts(models):
            if term not in terms:
                label = rename.get(term, labels.text("constant", lang))
                rows.extend(_coefficient_rows(term, label, models, stat, ctx))
    diagnostic_rows = _diagnostic_rows(models, diagnostics or (), lang, ctx)
    rows.extend(diagnostic_rows)
    yes, no = labels.text("yes", lang), labels.text("no", lang)
    for label, group in control_groups.items():
        cells = tuple(yes if any(t in m.params.index for t in group) else no for m in models)
        rows.append(TableRow(label, cells, "indicator", "indicators"))
    rows.extend(_fixed_effect_rows(models, headers, fixed_effects_rows, lang))
    for name in stats:
        cells = tuple(ctx.model_statistic(m, name) for m in models)
        rows.append(TableRow(labels.text(name, lang), cells, "statistic", "statistics"))

    header = [tuple(headers)]
    if show_depvar:
        header.insert(0, tuple(rename.get(m.depvar, m.depvar) for m in models))
    auto = [labels.uncertainty_note(stat, [m.vcov_type for m in models], lang)]
    if thresholds:
        auto.append(labels.stars_note(thresholds, lang))
    if any(row.kind == "pvalue" for row in diagnostic_rows):
        auto.append(labels.pvalue_note(lang))
    user = [notes] if isinstance(notes, str) else list(notes or ())
    return RegressionTable(
        header=tuple(header),
        stub=labels.text("variable", lang),
        rows=tuple(rows),
        notes=tuple(auto + user),
        title=title,
        lang=lang,
        estimates=_estimates_frame(models, headers, terms, thresholds),
    )


# -- arguments -------------------------------------------------------------------------------


def _normalise_results(
    results: Result | Sequence[Result] | Mapping[str, Result], columns: Sequence[str] | None
) -> tuple[list[Result], list[str]]:
    if isinstance(results, Result):
        models: list[Any] = [results]
        default = ["(1)"]
    elif isinstance(results, Mapping):
        models = list(results.values())
        default = [str(k) for k in results]
    elif isinstance(results, Sequence) and not isinstance(results, str):
        models = list(results)
        default = [f"({i + 1})" for i in range(len(models))]
    else:
        raise TableError(
            f"results: expected a Result, a list of Results or a mapping header → Result, "
            f"got {type(results).__name__}"
        )
    if not models:
        raise TableError("results: no results given; a table needs at least one Result")
    wrong = [
        f"#{i} ({type(m).__name__})" for i, m in enumerate(models) if not isinstance(m, Result)
    ]
    if wrong:
        raise TableError(f"results: not a vagg Result: {', '.join(wrong)}")
    if columns is None:
        return models, default
    if isinstance(columns, str):
        raise TableError("columns: expected a list of headers, got a single string")
    headers = [str(c) for c in columns]
    if len(headers) != len(models):
        raise TableError(
            f"columns: {len(headers)} header(s) {headers} for {len(models)} result(s); "
            "give one header per result"
        )
    return models, headers


def _check_options(stat: str, digits: int, lang: str, stats: Sequence[str]) -> None:
    if stat not in ("se", "t"):
        raise TableError(f"stat: expected 'se' or 't', got {stat!r}")
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or digits < 0:
        raise TableError(f"digits: expected a non-negative integer, got {digits!r}")
    if lang not in labels.LANGUAGES:
        raise TableError(f"lang: expected one of {list(labels.LANGUAGES)}, got {lang!r}")
    unknown = [s for s in stats if s not in MODEL_STATISTICS]
    if isinstance(stats, str) or unknown:
        raise TableError(
            f"stats: unknown model statistic(s) {unknown or [stats]}; "
            f"available: {list(MODEL_STATISTICS)}"
        )


def _check_stars(stars: Sequence[float] | None) -> tuple[float, ...]:
    if stars is None:
        return ()
    values = tuple(stars)
    bad = [
        s
        for s in values
        if isinstance(s, bool) or not isinstance(s, numbers.Real) or not 0 < float(s) < 1
    ]
    if bad:
        raise TableError(f"stars: thresholds must be numbers strictly between 0 and 1, got {bad}")
    if len(set(values)) != len(values):
        raise TableError(f"stars: duplicate thresholds in {list(values)}")
    return tuple(sorted((float(s) for s in values), reverse=True))


def _all_terms(models: Sequence[Result]) -> list[str]:
    return list(dict.fromkeys(t for m in models for t in m.params.index))


def _is_intercept(term: str) -> bool:
    return term in INTERCEPT_NAMES


def _intercepts(models: Sequence[Result]) -> list[str]:
    return [t for t in _all_terms(models) if _is_intercept(t)]


def _shown_terms(
    models: Sequence[Result], keep: Sequence[str] | None, control_terms: set[str]
) -> list[str]:
    available = _all_terms(models)
    if keep is None:
        return [t for t in available if not _is_intercept(t) and t not in control_terms]
    if isinstance(keep, str):
        raise TableError(f"keep: expected a list of terms, got the string {keep!r}")
    keep = list(keep)
    duplicated = sorted({t for t in keep if keep.count(t) > 1})
    if duplicated:
        raise TableError(f"keep: terms listed more than once: {duplicated}")
    missing = [t for t in keep if t not in available]
    if missing:
        raise TableError(f"keep: term(s) {missing} are in no result; terms available: {available}")
    return keep


def _control_groups(
    controls: Sequence[str] | Mapping[str, Sequence[str]] | None,
    models: Sequence[Result],
    lang: Lang,
) -> dict[str, list[str]]:
    if controls is None:
        return {}
    if isinstance(controls, str):
        raise TableError(f"controls: expected a list of terms, got the string {controls!r}")
    if isinstance(controls, Mapping):
        groups = {str(k): [v] if isinstance(v, str) else list(v) for k, v in controls.items()}
    else:
        groups = {labels.text("controls", lang): list(controls)}
    available = set(_all_terms(models))
    for label, terms in groups.items():
        missing = [t for t in terms if t not in available]
        if missing:
            raise TableError(
                f"controls: term(s) {missing} of row {label!r} are in no result; "
                f"terms available: {_all_terms(models)}"
            )
    return groups


# -- cells -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Formatter:
    """Rounding and stars shared by every cell of one table."""

    digits: int
    thresholds: tuple[float, ...]

    def number(self, value: Any) -> str:
        """``value`` with ``digits`` decimals; "—" for NotAvailable, None and NaN."""
        if value is None or isinstance(value, NotAvailable):
            return NOT_AVAILABLE
        x = float(value)
        if not math.isfinite(x):
            return NOT_AVAILABLE
        text = f"{x:.{self.digits}f}"
        if text.startswith("-") and float(text) == 0:
            text = text[1:]
        return text

    def n_stars(self, pvalue: float) -> int:
        return sum(pvalue < t for t in self.thresholds)

    def stars(self, pvalue: float) -> str:
        return "*" * self.n_stars(pvalue) if math.isfinite(pvalue) else ""

    def model_statistic(self, model: Result, name: str) -> str:
        if name == "nobs":
            return str(int(model.nobs))
        return self.number(getattr(model, name))


def _coefficient_rows(
    term: str, label: str, models: Sequence[Result], stat: str, ctx: _Formatter
) -> list[TableRow]:
    estimates: list[str] = []
    uncertainty: list[str] = []
    for m in models:
        if term not in m.params.index:
            estimates.append("")
            uncertainty.append("")
            continue
        b = float(m.params[term])
        second = float(m.bse[term]) if stat == "se" else float(m.tvalues[term])
        shown = ctx.number(b)
        if shown != NOT_AVAILABLE:
            shown += ctx.stars(float(m.pvalues[term]))
        estimates.append(shown)
        uncertainty.append(f"({ctx.number(second)})")
    return [
        TableRow(label, tuple(estimates), "estimate", "coefficients", term),
        TableRow("", tuple(uncertainty), "uncertainty", "coefficients", term),
    ]


def _diagnostic_rows(
    models: Sequence[Result], keys: Sequence[str], lang: Lang, ctx: _Formatter
) -> list[TableRow]:
    if isinstance(keys, str):
        raise TableError(f"diagnostics: expected a list of keys, got the string {keys!r}")
    available = sorted({k for m in models for k in m.diagnostics})
    unknown = [k for k in keys if k not in available]
    if unknown:
        raise TableError(
            f"diagnostics: key(s) {unknown} are in no result's diagnostics; "
            f"available: {available or 'none'}"
        )
    rows: list[TableRow] = []
    for key in keys:
        base = labels.diagnostic_label(key, lang)
        expanded = [expand_diagnostic(m.diagnostics.get(key, ABSENT)) for m in models]
        subkeys = list(dict.fromkeys(s for parts in expanded for s in parts))
        for sub in subkeys:
            label = base if sub is None else f"{base} ({sub})"
            pairs = [diagnostic_statistic(parts.get(sub, ABSENT), key) for parts in expanded]
            stats = tuple(ctx.number(s) if s is not ABSENT else "" for s, _ in pairs)
            rows.append(TableRow(label, stats, "diagnostic", "diagnostics", key))
            if any(p is not None for _, p in pairs):
                cells = tuple("" if p is None else f"[{ctx.number(p)}]" for _, p in pairs)
                rows.append(TableRow("", cells, "pvalue", "diagnostics", key))
    return rows


def _fixed_effect_key(name: str) -> str:
    return "^".join(sorted(part.strip() for part in name.split("^")))


def _fixed_effect_rows(
    models: Sequence[Result],
    headers: Sequence[str],
    rows: Mapping[str, Sequence[str] | str] | None,
    lang: Lang,
) -> list[TableRow]:
    present = [{_fixed_effect_key(fe) for fe in m.fixed_effects} for m in models]
    found = list(dict.fromkeys(fe for m in models for fe in m.fixed_effects))
    if rows is None:
        groups: dict[str, tuple[str, list[str]]] = {}
        for fe in found:
            groups.setdefault(_fixed_effect_key(fe), (labels.fixed_effect_label(fe, lang), [fe]))
        spec = list(groups.values())
    else:
        spec = [(str(k), [v] if isinstance(v, str) else list(v)) for k, v in rows.items()]
    yes, no = labels.text("yes", lang), labels.text("no", lang)
    out = []
    for label, names in spec:
        keys = [_fixed_effect_key(n) for n in names]
        unused = [n for n, k in zip(names, keys, strict=True) if not any(k in p for p in present)]
        if unused:
            raise TableError(
                f"fixed_effects_rows: {unused} of row {label!r} are in no result; "
                f"fixed effects found: {found or 'none'}"
            )
        cells = []
        for header, have in zip(headers, present, strict=True):
            hits = [k in have for k in keys]
            if all(hits):
                cells.append(yes)
            elif not any(hits):
                cells.append(no)
            else:
                lacking = [n for n, hit in zip(names, hits, strict=True) if not hit]
                raise TableError(
                    f"fixed_effects_rows: column {header!r} has only part of row {label!r} "
                    f"(missing {lacking}); split the row so that each is Yes or No"
                )
        out.append(TableRow(label, tuple(cells), "indicator", "indicators"))
    return out


# -- machine-readable estimates --------------------------------------------------------------


def _estimates_frame(
    models: Sequence[Result],
    headers: Sequence[str],
    shown: Sequence[str],
    thresholds: tuple[float, ...],
) -> pd.DataFrame:
    """One row per term × column with numbers: the terms shown first, then the others."""
    ctx = _Formatter(0, thresholds)
    records = []
    for header, m in zip(headers, models, strict=True):
        order = [t for t in shown if t in m.params.index]
        order += [t for t in m.params.index if t not in order]
        bse, tvalues, pvalues = m.bse, m.tvalues, m.pvalues
        r2 = m.r2 if not isinstance(m.r2, NotAvailable) else np.nan
        for term in order:
            p = float(pvalues[term])
            records.append(
                {
                    "column": header,
                    "term": term,
                    "estimate": float(m.params[term]),
                    "std_error": float(bse[term]),
                    "statistic": float(tvalues[term]),
                    "pvalue": p,
                    "stars": ctx.n_stars(p) if math.isfinite(p) else pd.NA,
                    "nobs": int(m.nobs),
                    "r2": float(r2),
                }
            )
    frame = pd.DataFrame.from_records(
        records,
        columns=[
            "column",
            "term",
            "estimate",
            "std_error",
            "statistic",
            "pvalue",
            "stars",
            "nobs",
            "r2",
        ],
    )
    return frame.astype({"stars": "Int64", "nobs": "int64"})
