"""The mechanism tables of the study ``resilience_firms`` (paper 003): Tables 7–12, one per
mechanism M1–M6 of spec 003 §4.2, and the staggered DID of platform entry (Table 3b).

Each mechanism table packs, one equation per cell (keys ``"<column> <row>"``):

* (M-a) the indicator on vagg_h, vagg_f, vagg_b with the controls and firm, CIC4 and year
  effects, clustered by firm;
* the mechanism's own test (REPLACE, OFFSET, the congestion moderation);
* (M-b) the mediation of RESIS through the pre-shock indicator (:func:`vagg.mediation`):
  the a-path (row vagg_h), δ (row M) and a·δ with Sobel's standard error (row a·δ; the cluster
  bootstrap interval is in the manifest and in Figure 2).
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

import vagg
from vagg.estimate.errors import EstimationError
from vagg.estimate.results import Result
from vagg.report.layouts import Cell, pack_cells
from vagg.studies.data import StudyData
from vagg.studies.resilience_firms.mechanisms import (
    cross_with_mediators,
    mechanism_frame,
    mediation_of,
    offset_frame,
    replace_frame,
)
from vagg.studies.resilience_firms.models import (
    FIRM_CLUSTER,
    attempt,
    cross_ols,
    indirect_result,
    ols,
    panel_ols,
)
from vagg.studies.resilience_firms.panels import CONTROLS, VAGG

__all__ = [
    "MECHANISMS",
    "Mechanism",
    "mechanism_table",
    "staggered_frame",
    "table_staggered",
]

#: (table, M-a indicators, mediator of M-b or None)
Mechanism = tuple[str, tuple[str, ...], str | None]
MECHANISMS: dict[str, Mechanism] = {
    "M1": ("7", ("NEWPROD", "PCHURN"), "NEWPROD_2008"),
    "M2": ("8", ("INV", "MOVE_next"), None),
    "M3": ("9", ("NSRC", "IMPHHI", "SWITCH"), "SWITCH_2009"),
    "M4": ("10", ("NEWDEST", "DCHURN", "REALLOC", "EMERG"), "REALLOC_2009"),
    "M5": ("11", ("OPEX", "COSTR", "FINPRESS"), "OPEX_2008"),
    "M6": ("12", ("STRICT", "SMART"), "STRICT_2008"),
}


def _a_cells(data: StudyData, codes: tuple[str, ...], start: int) -> list[Cell]:
    frame = mechanism_frame(data)
    cells: list[Cell] = []
    for i, code in enumerate(codes, start=start):
        for v in VAGG:
            fit = attempt(
                data, f"(M-a) {code} on {v}", functools.partial(panel_ols, code, v, frame)
            )
            cells.append((f"({i}) {code}", v, fit, v))
    return cells


def _mediation_cells(data: StudyData, mediator: str, i: int) -> list[Cell]:
    try:
        med = mediation_of(data, mediator)
    except EstimationError as err:
        data.note_dropped(f"not estimated: mediation through {mediator}: {err}", {})
        return []
    data.note_dropped(f"mediation through {mediator}: {med.conclusion()}", {})
    header = f"({i}) M-b {mediator}"
    return [
        (header, "vagg_h", med.results[1], "vagg_h"),
        (header, "M", med.results[2], mediator),
        (header, "a·δ", indirect_result(med), "indirect"),
    ]


def _own_test(data: StudyData, mechanism: str, i: int) -> list[Cell]:
    """The mechanism's own test: the congestion moderation (M2), REPLACE (M3), OFFSET (M4)."""
    if mechanism == "M2":
        frame = cross_with_mediators(data)
        terms = ["vagg_h", "HIGHDENS", "vagg_h_x_HIGHDENS"]
        fit = attempt(
            data, "M-c RESIS × HIGHDENS",
            functools.partial(cross_ols, "RESIS", terms, frame, key=terms),
        )  # fmt: skip
        return [(f"({i}) M-c RESIS", t, fit, t) for t in terms]
    if mechanism == "M3":

        def fit_replace() -> Result:
            rows = replace_frame(data)
            return ols("REPLACE", ["vagg_h", *CONTROLS], rows, fe="cic4", vcov=FIRM_CLUSTER)

        return [(f"({i}) REPLACE", "vagg_h", attempt(data, "REPLACE", fit_replace), "vagg_h")]
    if mechanism == "M4":

        def fit_offset() -> Result:
            return cross_ols("OFFSET", ["vagg_h"], offset_frame(data))

        return [(f"({i}) OFFSET", "vagg_h", attempt(data, "OFFSET", fit_offset), "vagg_h")]
    return []


def mechanism_table(mechanism: str) -> Any:
    """The build function of the table of ``mechanism`` (M1–M6)."""
    _, codes, mediator = MECHANISMS[mechanism]

    def build(data: StudyData, engine: Any) -> dict[str, Result]:
        cells = _a_cells(data, codes, 1)
        i = len(codes) + 1
        own = _own_test(data, mechanism, i)
        cells += own
        if mediator is not None:
            cells += _mediation_cells(data, mediator, i + (1 if own else 0))
        out = pack_cells(cells)
        if not out:
            raise EstimationError(
                f"Table {MECHANISMS[mechanism][0]} ({mechanism}): no equation could be "
                "estimated; the dataset lacks the indicators' inputs"
            )
        return out

    build.__doc__ = (
        f"Table {MECHANISMS[mechanism][0]} ({mechanism}): (M-a) {', '.join(codes)} on vagg"
        + (f"; mediation through {mediator}" if mediator else "")
        + "."
    )
    return build


# ---------------------------------------------------------------------------- Table 3b


def staggered_frame(data: StudyData, outcome: str = "OPEX") -> pd.DataFrame:
    """The balanced panel of the staggered DID: CIE firms present in every year of the data
    with ``outcome`` observed, ``cohort`` = first year as a platform member (0: never; firms
    already members in the first year are left out and counted)."""
    frame = mechanism_frame(data)
    frame = frame.dropna(subset=[outcome])
    years = sorted(frame["year"].unique())
    counts = frame.groupby("firm_id")["year"].transform("size")
    balanced = frame[counts == len(years)].copy()
    first = balanced[balanced["member"] == 1].groupby("firm_id")["year"].min()
    balanced["cohort"] = balanced["firm_id"].map(first).fillna(0).astype(int)
    always = balanced["cohort"] == years[0]
    out = balanced[~always].copy()
    data.note_dropped(
        f"Table 3b: firm-years outside the balanced {years[0]}–{years[-1]} panel of {outcome}",
        {
            "firm not observed every year": len(frame) - len(balanced),
            "member already in the first year": int(always.sum()),
        },
        n_input=len(frame),
    )
    out["unit"] = pd.factorize(out["firm_id"])[0]
    return out.reset_index(drop=True)


def table_staggered(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 3b: platform entry is staggered. (1) static two-way FE: OPEX on I_ft with firm
    and year effects (clustered by firm), all CIE firm-years; (2) Callaway & Sant'Anna (2021)
    event-time ATT(e) on the balanced panel (comparison group: option ``staggered_control``;
    no covariates; terms ``e<k>``); (3) Sun & Abraham (2021) interaction-weighted event-time
    effects (never-joined controls, reference e = −1)."""
    frame = mechanism_frame(data)
    out: dict[str, Result] = {}
    fit = attempt(
        data, "Table 3b TWFE",
        functools.partial(ols, "OPEX", ["member"], frame, fe="firm_id + year", vcov=FIRM_CLUSTER),
    )  # fmt: skip
    if fit is None:
        raise EstimationError("Table 3b: OPEX is not available in this dataset")
    out["(1) TWFE"] = fit
    rows = staggered_frame(data)
    cs = vagg.callaway_santanna(
        rows, "OPEX", "unit", "year", "cohort",
        control=data.option("staggered_control"), bootstrap=0, seed=data.seed,
    )  # fmt: skip
    out["(2) Callaway-Sant'Anna"] = _event_terms(cs.aggregate("dynamic").to_result())
    sa = vagg.sun_abraham(rows, "OPEX", "unit", "year", "cohort", reps=0)
    out["(3) Sun-Abraham"] = _event_terms(sa.effects.to_result())
    return out


def _event_terms(result: Result) -> Result:
    """Rename the event-time terms of a staggered estimator to ``e<k>`` (``e-<k>`` before)."""
    names = {}
    for term in result.params.index:
        digits = "".join(ch for ch in str(term) if ch.isdigit() or ch == "-")
        if digits and not str(term).endswith("overall"):
            value = int(digits) if digits.lstrip("-").isdigit() else None
            if value is not None:
                names[term] = f"e{value}"
    params = result.params.rename(index=names)
    vcov = result.vcov.rename(index=names, columns=names)
    return Result(
        params=params,
        vcov=vcov,
        nobs=result.nobs,
        model=result.model,
        vcov_type=result.vcov_type,
        n_clusters=result.n_clusters,
        sample=result.sample,
        diagnostics=result.diagnostics,
        df_resid=None,
    )
