"""The regression tables of the study ``dvar_firms`` (paper 000): Tables 1–8 and 4b, 6b.

Each function is a table entry's ``build(data, engine)``: it reads the analysis panel
(:func:`vagg.studies.dvar_firms.models.analysis_frame`) and returns the Results, one per
column, or one per equation for the packed Tables 4–8 (:func:`vagg.report.layouts.pack_cells`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import pandas as pd

import vagg
from vagg.estimate.errors import EstimationError
from vagg.estimate.results import Result
from vagg.report.layouts import Cell, cell, difference_result, pack_cells
from vagg.studies.base import Text, resolve_text
from vagg.studies.data import StudyData
from vagg.studies.dvar_firms.models import (
    CLUSTER,
    FIXED_EFFECTS,
    PSM_COVARIATES,
    RHS_CONTROLS,
    analysis_frame,
    attempt,
    did_frame,
    did_ols,
    fe_ols,
    in_lang,
    iv_lagged,
    matching_design,
    matching_frame,
    psm_did_ols,
    quiet_collinearity,
)
from vagg.studies.dvar_firms.panels import VAGG

__all__ = [
    "HETEROGENEITY_CONTRASTS",
    "HETEROGENEITY_GROUPS",
    "LEVELS",
    "MARGINS",
    "table_baseline",
    "table_did",
    "table_heterogeneity",
    "table_heterogeneity_tests",
    "table_joint_mechanism",
    "table_levels",
    "table_margins",
    "table_markup",
    "table_matching",
    "table_robustness",
    "table_rpdip",
]


# ---------------------------------------------------------------------------- Tables 1–3


def table_baseline(data: StudyData, engine: Any) -> list[Result]:
    """Table 1: DVAR on vagg_h, vagg_f, vagg_b, each without and with controls (eq. 5)."""
    panel = analysis_frame(data)
    out = []
    for v in VAGG:
        out.append(fe_ols("dvar", [v], panel, controls=False))
        out.append(fe_ols("dvar", [v], panel))
    return out


#: (regime, outcome) of the columns of Table 1b
LEVELS: tuple[tuple[str, str], ...] = (
    ("processing", "dvar"),
    ("ordinary", "dvar"),
    ("mixed", "dvar"),
    ("mixed", "dvar_o"),
)


def table_levels(data: StudyData, engine: Any) -> list[Result]:
    """Table 1b (not in the paper): mean export DVAR of pure processing, pure ordinary and
    mixed exporters, and the mean DVAR_o of the mixed ones' ordinary exports, each
    ``y ~ 1`` clustered by firm. The level of eq. (6) — what δ_jt, the intermediary gross-up
    and the allocation of ordinary imports over D + EX_o decide, and the slope regressions
    with fixed effects cannot see."""
    panel = analysis_frame(data)
    out = []
    for regime, outcome in LEVELS:
        rows = panel[(panel["regime_type"] == regime) & panel[outcome].notna()]
        out.append(vagg.feols(f"{outcome} ~ 1", rows, vcov=CLUSTER))
    return out


def table_matching(data: StudyData, engine: Any) -> list[Result]:
    """Table 2: platform members' firm-years matched year by year to never-members (1:1 and
    1:3 nearest neighbour on the propensity score; replacement, caliper and common support
    per the study's options), eq. (5) on the matched samples, and eq. (5) weighted by the
    inverse-probability (ATT) weights of the same score."""
    panel = analysis_frame(data)
    candidates = panel[(panel["member"] == 1) | (panel["ever_member"] == 0)]
    data.note_dropped(
        "Table 2: firm-years of future members before joining (neither treated nor control)",
        {"member later": len(panel) - len(candidates)},
        n_input=len(panel),
    )
    usable = matching_frame(data, candidates, "member", "dvar", "Table 2: rows not matched")
    out: list[Result] = []
    design = matching_design(data)
    matchings = [
        vagg.psm(usable, "member", list(PSM_COVARIATES), by="year", k=k, **design) for k in (1, 3)
    ]
    for matching in matchings:
        matched = usable[matching.weights.notna().to_numpy()]
        out += [fe_ols("dvar", [v], matched) for v in VAGG]
    weighted = usable.assign(ipw=matchings[0].ipw_weights("att").to_numpy())
    weighted = weighted[weighted["ipw"].notna()]
    out += [fe_ols("dvar", [v], weighted, weights="ipw") for v in VAGG]
    return out


def table_did(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 3: eq. (10) by DID on all firm-years and by PSM-DID (industry switchers).

    With firm and industry effects, treat × post is identified only through the industry
    switches themselves; a column whose equation cannot be estimated (a small dataset, a
    matched sample without enough switches) is left out and recorded in the manifest."""
    frame = did_frame(data, analysis_frame(data))
    fits = [(f"DID ({i})", did_ols(data, "dvar", frame, v)) for i, v in enumerate(VAGG, start=1)]
    fits += [
        (f"PSM-DID ({i})", psm_did_ols(data, "dvar", frame, v)) for i, v in enumerate(VAGG, start=4)
    ]
    out = {header: fit for header, fit in fits if fit is not None}
    if not out:
        raise EstimationError("Table 3: no DID equation could be estimated on this dataset")
    return out


# ---------------------------------------------------------------------------- Tables 4, 4b, 5

#: Table 4's groups: (column, value, label).
HETEROGENEITY_GROUPS: tuple[tuple[str, Any, Text], ...] = (
    ("ownership", "state", {"zh": "国有", "en": "State"}),
    ("ownership", "foreign", {"zh": "外资", "en": "Foreign"}),
    ("ownership", "private", {"zh": "私营", "en": "Private"}),
    ("region", "east", {"zh": "东部", "en": "East"}),
    ("region", "central", {"zh": "中部", "en": "Central"}),
    ("region", "west", {"zh": "西部", "en": "West"}),
    ("processing", 1, {"zh": "加工", "en": "Processing"}),
    ("processing", 0, {"zh": "非加工", "en": "Non-processing"}),
    ("high_tech", 1, {"zh": "高新", "en": "High-tech"}),
    ("high_tech", 0, {"zh": "非高新", "en": "Non-high-tech"}),
)

#: Table 4b's comparisons: (column, group, reference group): group − reference.
HETEROGENEITY_CONTRASTS: tuple[tuple[str, Any, Any, Text], ...] = (
    ("ownership", "private", "state", {"zh": "私营 − 国有", "en": "Private − state"}),
    ("ownership", "private", "foreign", {"zh": "私营 − 外资", "en": "Private − foreign"}),
    ("region", "east", "west", {"zh": "东部 − 西部", "en": "East − west"}),
    ("processing", 0, 1, {"zh": "非加工 − 加工", "en": "Non-processing − processing"}),
    ("high_tech", 0, 1, {"zh": "非高新 − 高新", "en": "Non-high-tech − high-tech"}),
)


def table_heterogeneity(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 4: eq. (5) on each group (ownership, region, trade regime, high-tech) for each
    vagg measure: 30 equations, rows vagg_h/f/b, columns the groups."""
    panel = analysis_frame(data)
    cells = []
    for i, (column, value, label) in enumerate(HETEROGENEITY_GROUPS, start=1):
        header = f"({i}) {in_lang(data, label)}"
        part = panel[panel[column] == value]
        for v in VAGG:
            fit = attempt(
                data, f"Table 4 {header} {v}", functools.partial(fe_ols, "dvar", [v], part)
            )
            cells.append((f"({i}) {resolve_text(label, 'en')} {v}", (header, v, fit, v)))
    return _pack_keyed(cells)


def _pack_keyed(cells: Sequence[tuple[str, Cell]]) -> dict[str, Result]:
    """:func:`vagg.report.layouts.pack_cells` with each equation keyed by a header that does
    not depend on the run's language (the truth checks name it), the printed column label
    staying in the run's language."""
    return {
        key: cell(result, column, row, term)
        for key, (column, row, result, term) in cells
        if result is not None
    }


def table_heterogeneity_tests(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 4b (not in the paper): the difference between two groups' coefficients in
    Table 4, β_group − β_reference, with the z test of :func:`vagg.heterogeneity`
    (``test="suest"``: split-sample fits, variances added)."""
    panel = analysis_frame(data)
    cells = []
    for column, group, reference, label in HETEROGENEITY_CONTRASTS:
        header = in_lang(data, label)
        part = panel[panel[column].isin([group, reference])]
        for v in VAGG:
            formula = f"dvar ~ {' + '.join([v, *RHS_CONTROLS])} | {FIXED_EFFECTS}"
            try:
                with quiet_collinearity():
                    split = vagg.heterogeneity(
                        formula, part, by=column, key=v, vcov=CLUSTER, test="suest",
                        reference=reference,
                    )  # fmt: skip
            except EstimationError as err:
                data.note_dropped(f"not estimated: Table 4b {header} {v}: {err}", {})
                continue
            row = split.difference[split.difference["group"] == group].iloc[0]
            result = difference_result({v: (float(row["difference"]), float(row["std_error"]))})
            cells.append((f"{resolve_text(label, 'en')} {v}", (header, v, result, v)))
    return _pack_keyed(cells)


def table_robustness(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 5: vagg weighted by employment and by fixed assets; DVAR1–DVAR3 (15 equations)."""
    panel = analysis_frame(data)
    cells = []
    for header, suffix in (("(1)", "_emp"), ("(2)", "_fa")):
        for v in VAGG:
            cells.append((header, v, fe_ols("dvar", [v + suffix], panel), v + suffix))
    for i, variant in enumerate(("dvar1", "dvar2", "dvar3"), start=3):
        for v in VAGG:
            cells.append((f"({i})", v, fe_ols(variant, [v], panel), v))
    return pack_cells(cells)


# ---------------------------------------------------------------------------- Tables 6, 6b, 7


def _mechanism_cells(data: StudyData, outcome: str, panel: pd.DataFrame) -> list[Cell]:
    """Columns (1)–(4) of Tables 6–7: FE, IV-2SLS with the lagged vagg, DID, PSM-DID."""
    cells: list[Cell] = []
    for v in VAGG:
        cells.append(("(1)", v, fe_ols(outcome, [v], panel), v))
    for v in VAGG:
        fit = attempt(data, f"IV {outcome} on {v}", functools.partial(iv_lagged, outcome, v, panel))
        cells.append(("(2) IV-2SLS", v, fit, v))
    did = did_frame(data, panel)
    for v in VAGG:
        cells.append(("(3) DID", f"{v}1", did_ols(data, outcome, did, v), f"treat_post_{v}"))
    for v in VAGG:
        cells.append(
            ("(4) PSM-DID", f"{v}1", psm_did_ols(data, outcome, did, v), f"treat_post_{v}")
        )
    return cells


def table_markup(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 6: log markup on vagg by FE, IV-2SLS, DID and PSM-DID; DVAR on the markup;
    export price and productivity on vagg; the markup on price and on productivity."""
    panel = analysis_frame(data)
    cells = _mechanism_cells(data, "log_markup", panel)
    cells.append(("(5)", "log_markup", fe_ols("dvar", ["log_markup"], panel), "log_markup"))
    for v in VAGG:
        cells.append(("(6)", v, fe_ols("log_price", [v], panel), v))
    for v in VAGG:
        cells.append(("(7)", v, fe_ols("tfp", [v], panel), v))
    for channel in ("log_price", "tfp"):
        cells.append(("(8)", channel, fe_ols("log_markup", [channel], panel), channel))
    return pack_cells(cells)


def table_joint_mechanism(data: StudyData, engine: Any) -> list[Result]:
    """Table 6b (not in the paper): DVAR on the log markup and rpdip together (the two
    channels of eq. 1–4 at once), and log marginal cost (ln price − ln markup) on vagg."""
    panel = analysis_frame(data)
    out = [fe_ols("dvar", ["log_markup", "rpdip"], panel)]
    out += [fe_ols("log_mc", [v], panel) for v in VAGG]
    return out


def table_rpdip(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 7: rpdip on vagg by FE, IV-2SLS, DID and PSM-DID; DVAR on rpdip (13 equations)."""
    panel = analysis_frame(data)
    cells = _mechanism_cells(data, "rpdip", panel)
    cells.append(("(5)", "rpdip", fe_ols("dvar", ["rpdip"], panel), "rpdip"))
    return pack_cells(cells)


# ---------------------------------------------------------------------------- Table 8

#: Table 8's outcomes: (header, formula's dependent variable).
MARGINS: tuple[tuple[str, str], ...] = (
    ("(1) impinput_var", "log(n_import_hs6)"),
    ("(2) impinput_val", "log(import_value)"),
    ("(3) impinput_ratio", "impinput_ratio"),
    ("(4) exp_var", "log(n_export_hs6)"),
    ("(5) exp_val", "log(export_value)"),
)


def table_margins(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 8: the intermediate-import and export margins on vagg (15 equations)."""
    panel = analysis_frame(data)
    cells = []
    for header, outcome in MARGINS:
        for v in VAGG:
            cells.append((header, v, fe_ols(outcome, [v], panel), v))
    return pack_cells(cells)
