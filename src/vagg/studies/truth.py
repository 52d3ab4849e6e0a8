"""Truth check: do a study's estimates on the synthetic economy cover the planted values?

The synthetic economy records in ``truth.json`` the parameters it planted and the estimands
they imply (``entries``: key → ``{"value", "study", "table", "kind", "definition"}``, and
``planted``: structural parameter → value). A study declares which of them its tables
estimate, as :class:`TruthCheck` s: truth key → (table entry, result, term). After the run,
:func:`truth_check` compares each with the estimate: planted value, estimate, standard error,
the 95% interval ``b ± q·se`` (q from t(df_resid) or the normal, as the Result's own
``conf_int``) and whether it covers the planted value. Over many checks a correct chain of
measures and estimators covers about 95% of them (design.md, "The synthetic economy").
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from vagg.studies.base import TruthCheck
from vagg.studies.errors import StudyError

__all__ = [
    "TRUTH_COLUMNS",
    "TruthCheck",
    "TruthError",
    "planted_value",
    "truth_check",
]

if TYPE_CHECKING:
    from vagg.estimate.results import Result
    from vagg.studies.base import Study

#: Columns of ``truth_check.csv``, in order.
TRUTH_COLUMNS: tuple[str, ...] = (
    "parameter",
    "table",
    "column",
    "term",
    "planted",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "covered",
    "note",
)


class TruthError(StudyError):
    """A truth key is missing from ``truth.json`` or its value is not a number."""


def planted_value(truth: Mapping[str, Any], key: str) -> float:
    """The planted value of ``key``: ``truth["entries"][key]["value"]``, else
    ``truth["planted"][key]``. Raises :class:`TruthError` when absent or not a number."""
    entries = truth.get("entries", {})
    planted = truth.get("planted", {})
    if key in entries:
        value = entries[key].get("value") if isinstance(entries[key], Mapping) else entries[key]
    elif key in planted:
        value = planted[key]
    else:
        raise TruthError(f"truth key {key!r} is neither in truth.json's entries nor its planted")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TruthError(
            f"truth key {key!r} holds {type(value).__name__} {value!r}, not a number; "
            "only numeric truths can be checked against an interval"
        )
    return float(value)


def _pick(
    results: Sequence[Result], headers: Sequence[str], which: int | str
) -> tuple[Result, str]:
    if isinstance(which, str):
        if which not in headers:
            raise StudyError(f"no column {which!r}; columns: {list(headers)}")
        position = list(headers).index(which)
    else:
        position = which
        if not -len(results) <= position < len(results):
            raise StudyError(f"result #{which} asked for, the table has {len(results)}")
    return results[position], headers[position]


def truth_check(
    study: Study,
    truth: Mapping[str, Any],
    results: Mapping[str, tuple[Sequence[str], Sequence[Result]] | None],
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per :class:`TruthCheck` of ``study``: the columns of :data:`TRUTH_COLUMNS`.

    ``results`` maps a table entry's key to its (column headers, Results), or None when the
    entry failed. ``covered`` is ``ci_low <= planted <= ci_high`` at ``level``; it is missing
    (and ``note`` says why) when the entry failed, the term or the truth key is absent, or the
    standard error is not finite.
    """
    rows = []
    for check in study.checks:
        entry = study.table_entry(check.entry)
        row: dict[str, Any] = dict.fromkeys(TRUTH_COLUMNS)
        row.update(parameter=check.key, table=entry.key, term=check.term, note="")
        problems = []
        try:
            row["planted"] = planted_value(truth, check.key)
        except TruthError as err:
            problems.append(str(err))
        found = results.get(entry.key)
        if found is None:
            problems.append(f"{entry.key} failed or did not run")
        else:
            headers, models = found
            try:
                model, header = _pick(models, headers, check.result)
                row["column"] = header
                if check.term not in model.params.index:
                    raise StudyError(
                        f"term {check.term!r} not in column {header!r}; terms: "
                        f"{list(model.params.index)}"
                    )
                interval = model.conf_int(level).loc[check.term]
                row.update(
                    estimate=float(model.params[check.term]),
                    se=float(model.bse[check.term]),
                    ci_low=float(interval["lower"]),
                    ci_high=float(interval["upper"]),
                )
            except StudyError as err:
                problems.append(f"{entry.key}: {err}")
        values = [row["planted"], row["ci_low"], row["ci_high"]]
        if not problems and all(v is not None and math.isfinite(v) for v in values):
            row["covered"] = bool(row["ci_low"] <= row["planted"] <= row["ci_high"])
        elif not problems:
            problems.append("interval not finite")
        row["note"] = "; ".join(problems)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))
    for name in ("planted", "estimate", "se", "ci_low", "ci_high"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    frame["covered"] = frame["covered"].astype("boolean")
    return frame
