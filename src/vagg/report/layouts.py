"""Table layouts beyond one column per Result: stacked equations, differences, statistics.

:func:`vagg.report.regression_table` prints one Result per column. Papers also print

* tables where each cell is a separate equation (paper 000 Tables 4–8: "该表格中有 30 个方程;
  每一行代表对应的解释变量对特定的被解释变量的影响") — :func:`packed_table`: one Result per
  equation, each tagged with its cell by :func:`cell` (or built from cells by
  :func:`pack_cells`), gathered by column with :func:`stack_equations`; its CSV keeps one row
  per equation and term with the equation's own observations;
* differences between split-sample coefficients — :func:`difference_result`;
* tables of statistics that are not regression coefficients (descriptive statistics, linkage
  reports) — :func:`frame_table`, with every cell built from fewer than :data:`MIN_FIRMS`
  firms suppressed (:func:`suppressed`; design.md, "Standards": outputs hold aggregates
  only);
* tables showing only the terms some column estimated — :func:`keep_available`.

Every function returns a :class:`~vagg.report.tables.RegressionTable` (or a Result to lay out),
so a study entry uses them as its ``layout`` and the exports are those of every table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from vagg.estimate.diagnostics import Diagnostics
from vagg.estimate.results import Result, SampleAccounting
from vagg.report.labels import Lang
from vagg.report.tables import RegressionTable, TableError, TableRow, regression_table

__all__ = [
    "CELL",
    "MIN_FIRMS",
    "SUPPRESSED",
    "Cell",
    "cell",
    "difference_result",
    "disclosure",
    "frame_table",
    "keep_available",
    "min_firms",
    "pack_cells",
    "packed_table",
    "stack_equations",
    "suppressed",
]

#: Default disclosure threshold: cells built from fewer firms than this are suppressed in every
#: exported table and figure (``vagg replicate --min-firms N`` sets another; :func:`min_firms`).
MIN_FIRMS = 10
#: How a suppressed cell is printed (and nothing else: not the count it hides).
SUPPRESSED = "suppressed"
_THRESHOLD: ContextVar[int] = ContextVar("vagg_min_firms", default=MIN_FIRMS)


def min_firms() -> int:
    """The disclosure threshold in force: :data:`MIN_FIRMS`, or the value of the enclosing
    :func:`disclosure` block (a run's ``--min-firms``)."""
    return _THRESHOLD.get()


@contextmanager
def disclosure(threshold: int) -> Iterator[None]:
    """Within the block, cells from fewer than ``threshold`` firms are suppressed
    (:func:`min_firms`). The study runner wraps every entry in it; a context variable, so
    studies read the run's value without passing it through every function."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise TableError(f"min_firms must be a whole number >= 1, got {threshold!r}")
    token = _THRESHOLD.set(threshold)
    try:
        yield
    finally:
        _THRESHOLD.reset(token)


#: Key of ``Result.extra`` holding the (column, row, term) of a packed table's cell.
CELL = "table_cell"
#: One cell of a packed table: (column, row, Result or None for a blank cell, term shown).
Cell = tuple[str, str, "Result | None", "str | None"]


def cell(result: Result, column: str, row: str, term: str | None = None) -> Result:
    """Tag ``result`` as the equation shown in ``column``, ``row`` of a :func:`packed_table`:
    its coefficient ``term`` (default: ``row``) is printed there. Returns ``result``."""
    result.extra[CELL] = (column, row, term or row)
    return result


def pack_cells(cells: Sequence[Cell]) -> dict[str, Result]:
    """header → Result for a :func:`packed_table`: each ``(column, row, result, term)`` becomes
    one equation tagged with its cell (:func:`cell`); a None ``result`` stays a blank cell."""
    out: dict[str, Result] = {}
    for column, row, result, term in cells:
        if result is not None:
            out[f"{column} {row}"] = cell(result, column, row, term)
    return out


def keep_available(
    results: Sequence[Result], *, keep: Sequence[str], **options: Any
) -> RegressionTable:
    """:func:`vagg.report.regression_table` showing the terms of ``keep`` that some column
    estimated (a term absorbed by the fixed effects in every column, such as treat × post on
    a small dataset, is left out rather than failing the table)."""
    shown = [t for t in keep if any(t in r.params.index for r in results)]
    return regression_table(results, keep=shown, **options)


def packed_table(
    results: Sequence[Result],
    *,
    columns: Sequence[str],
    title: str | None = None,
    notes: Sequence[str] = (),
    rename: Mapping[str, str] | None = None,
    lang: Lang = "en",
    diagnostics: Sequence[str] = (),
    **options: Any,
) -> RegressionTable:
    """Lay out one Result per equation as paper 000 Tables 4–8: a column per group of
    equations, a row per key regressor (a :class:`~vagg.studies.base.TableEntry` ``layout``).

    Each Result carries its cell (:func:`cell`); the equations of a column are gathered with
    :func:`stack_equations` and printed by :func:`vagg.report.regression_table` (coefficient
    with stars over its standard error, each from its own equation; ``diagnostics`` such as
    the Kleibergen–Paap statistics once per row). No observation or R² rows: they differ by
    equation, and the paper does not print them here; the CSV (``estimates``) holds every
    term of every equation with its own ``nobs`` and ``r2``, and ``column`` / ``row`` naming
    its cell. ``columns`` are the Results' headers (for the CSV's ``equation`` column).
    """
    groups: dict[str, dict[str, tuple[Result, str] | None]] = {}
    for result in results:
        if CELL not in result.extra:
            raise TableError(f"packed_table: {result!r} has no table cell; tag it with cell()")
        column, row, term = result.extra[CELL]
        groups.setdefault(column, {})[row] = (result, term)
    wanted = [k for k in diagnostics if any(k in r.diagnostics for r in results)]
    stacked = [stack_equations(equations, diagnostics=wanted) for equations in groups.values()]
    options = {"stats": (), **options}
    table = regression_table(
        stacked,
        columns=list(groups),
        title=title,
        notes=notes,
        rename=rename,
        lang=lang,
        diagnostics=wanted,
        **options,
    )
    digits = int(options.get("digits", 4))
    exact = regression_table(list(results), columns=list(columns), lang=lang, digits=digits)
    cells = {h: r.extra[CELL] for h, r in zip(columns, results, strict=True)}
    frame = exact.estimates.rename(columns={"column": "equation"})
    frame.insert(0, "row", [cells[h][1] for h in frame["equation"]])
    frame.insert(0, "column", [cells[h][0] for h in frame["equation"]])
    return dataclasses.replace(table, estimates=frame)


def stack_equations(
    equations: Mapping[str, tuple[Result, str] | None],
    *,
    diagnostics: Sequence[str] = (),
) -> Result:
    """One table column made of several equations: row ``name`` shows coefficient ``term`` of
    its own Result.

    ``equations`` maps the printed row term (e.g. "vagg_h") to ``(result, term)`` — the
    equation and its coefficient shown in that row — or to None when the equation could not
    be estimated (the cell stays blank). The stacked Result has the chosen coefficients as
    ``params`` and their own variances on the diagonal of ``vcov``; the covariances between
    different equations are not estimated and are NaN (no test across rows may be built from
    it). ``df_resid`` is the smallest of the equations' (t-based inference with the fewest
    degrees of freedom; None, the normal, when any equation is normal-based), so a row's
    interval is never narrower than its own equation's. ``nobs`` and ``sample`` add up the
    equations' (for the manifest); ``diagnostics["N"]`` maps each row to its equation's
    observations and ``diagnostics["equations"]`` to its formula; each key of
    ``diagnostics`` (e.g. "kp_rk_lm") becomes a mapping row → that equation's value, so the
    table prints it once per row.
    """
    present = {row: eq for row, eq in equations.items() if eq is not None}
    if not present:
        raise TableError("stack_equations: no equation could be estimated for this column")
    names = list(present)
    params = pd.Series({row: float(res.params[term]) for row, (res, term) in present.items()})
    variances = [float(res.vcov.loc[term, term]) for res, term in present.values()]
    vcov = np.full((len(names), len(names)), np.nan)
    np.fill_diagonal(vcov, variances)
    dfs = [res.df_resid for res, _ in present.values()]
    df_resid = None if any(d is None for d in dfs) else float(min(d for d in dfs if d is not None))
    dropped: dict[str, int] = {}
    for res, _ in present.values():
        if res.sample is not None:
            for reason, n in res.sample.dropped.items():
                dropped[reason] = dropped.get(reason, 0) + int(n)
    n_input = sum(res.sample.n_input if res.sample else res.nobs for res, _ in present.values())
    nobs = sum(int(res.nobs) for res, _ in present.values())
    stacked_diagnostics: dict[str, Any] = {
        "N": {row: int(res.nobs) for row, (res, _) in present.items()},
        "equations": {row: res.formula for row, (res, _) in present.items()},
    }
    for key in diagnostics:
        values = {row: res.diagnostics.get(key) for row, (res, _) in present.items()}
        found = {row: value for row, value in values.items() if value is not None}
        if found:
            stacked_diagnostics[key] = found
    first = next(iter(present.values()))[0]
    depvars = list(dict.fromkeys(res.depvar for res, _ in present.values()))
    return Result(
        params=params,
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        nobs=nobs,
        model="stacked",
        formula="; ".join(res.formula for res, _ in present.values()),
        depvar=depvars[0] if len(depvars) == 1 else "; ".join(depvars),
        vcov_type=first.vcov_type,
        clusters=first.clusters,
        fixed_effects=first.fixed_effects,
        df_resid=df_resid,
        diagnostics=Diagnostics.of(stacked_diagnostics),
        sample=SampleAccounting(n_input=n_input, n_used=nobs, dropped=dropped),
        extra={"equations": {row: res for row, (res, _) in present.items()}},
    )


def difference_result(rows: Mapping[str, tuple[float, float] | None]) -> Result:
    """Differences between split-sample coefficients as a Result: row → (difference, SE), None
    for a difference that could not be computed. Inference is normal (the z of
    :func:`vagg.estimate.mechanisms.heterogeneity` with ``test="suest"``); covariances between rows
    are
    NaN (not estimated)."""
    present = {k: v for k, v in rows.items() if v is not None and math.isfinite(v[1])}
    if not present:
        raise TableError("difference_result: no difference could be computed for this column")
    names = list(present)
    vcov = np.full((len(names), len(names)), np.nan)
    np.fill_diagonal(vcov, [se**2 for _, se in present.values()])
    return Result(
        params=pd.Series({k: d for k, (d, _) in present.items()}),
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        nobs=0,
        model="difference",
        vcov_type="suest (independent groups)",
        df_resid=None,
    )


# ---------------------------------------------------------------------------- statistics tables


def suppressed(value: Any, n_firms: int | None, digits: int) -> str:
    """A cell: ``value`` with ``digits`` decimals (integers as is), "—" when missing, and
    :data:`SUPPRESSED` when built from fewer than :func:`min_firms` firms."""
    if n_firms is not None and n_firms < min_firms():
        return SUPPRESSED
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    return f"{float(value):.{digits}f}"


def frame_table(
    rows: Sequence[tuple[str, Sequence[Any], Sequence[int | None]]],
    *,
    columns: Sequence[str],
    stub: str,
    title: str,
    notes: Sequence[str],
    lang: Lang,
    digits: int = 4,
) -> RegressionTable:
    """A table of statistics: each row ``(label, values, firms)`` gives its values and, per
    value, the number of firms it is built from (None: not a firm statistic). Cells from fewer
    than :func:`min_firms` firms print as :data:`SUPPRESSED` and are left out of the CSV
    (``estimates``: one row per label × column with the number; value and firm count blank
    when suppressed, since the count of a suppressed cell can be the hidden value itself)."""
    table_rows = []
    records = []
    for label, values, firms in rows:
        cells = tuple(suppressed(v, n, digits) for v, n in zip(values, firms, strict=True))
        table_rows.append(TableRow(label, cells, "statistic", "statistics"))
        for column, value, n, cell in zip(columns, values, firms, cells, strict=True):
            shown = cell not in (SUPPRESSED, "—")
            records.append(
                {
                    "row": label,
                    "column": column,
                    "value": float(value) if shown else np.nan,
                    "firms": n if n is not None and cell != SUPPRESSED else pd.NA,
                    "suppressed": cell == SUPPRESSED,
                }
            )
    threshold = min_firms()
    rule = (
        f"“{SUPPRESSED}”：少于{threshold}家企业的单元格不予报告"
        if lang == "zh"
        else f"“{SUPPRESSED}”: cells built from fewer than {threshold} firms are suppressed"
    )
    estimates = pd.DataFrame.from_records(
        records, columns=["row", "column", "value", "firms", "suppressed"]
    ).astype({"firms": "Int64"})
    return RegressionTable(
        header=(tuple(columns),),
        stub=stub,
        rows=tuple(table_rows),
        notes=(*notes, rule),
        title=title,
        lang=lang,
        estimates=estimates,
    )
