"""The regression tables of the study ``resilience_firms`` (paper 003): Tables 1–6 and the
event-study Table A1 (spec 003 §5).

Each function is a table entry's ``build(data, engine)``; packed tables (one equation per
cell, :func:`vagg.report.layouts.pack_cells`) key each equation by ``"<column> <row>"``, the
name the truth checks use.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd
import polars as pl

import vagg
from vagg.estimate.errors import EstimationError
from vagg.estimate.results import Result
from vagg.report.layouts import Cell, pack_cells
from vagg.studies.base import Text, resolve_text
from vagg.studies.data import StudyData
from vagg.studies.dvar_firms.models import matching_design, quiet_collinearity
from vagg.studies.dvar_firms.tables import HETEROGENEITY_GROUPS as DVAR_GROUPS
from vagg.studies.resilience_firms.models import (
    CROSS_CLUSTER,
    CROSS_FE,
    FIRM_CLUSTER,
    SHOCK_FE,
    attempt,
    cross_frame,
    cross_ols,
    ols,
)
from vagg.studies.resilience_firms.panels import CONTROLS, OUTCOMES, VAGG, panel

__all__ = [
    "EVENT_WINDOWS",
    "HETEROGENEITY_GROUPS",
    "ROBUSTNESS",
    "event_frame",
    "table_baseline",
    "table_endogeneity",
    "table_event",
    "table_heterogeneity",
    "table_robustness",
    "table_selection",
    "table_shock",
]


# ---------------------------------------------------------------------------- Table 1


def table_baseline(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 1 (B1): RESIS, RECOV, RENEW and SURV on vagg_h, vagg_f, vagg_b (2007), without and
    with the controls; CIC4 and city effects, clustered by CIC4 (24 equations)."""
    frame = cross_frame(data)
    cells: list[Cell] = []
    for i, outcome in enumerate(OUTCOMES):
        for j, controls in enumerate((False, True)):
            header = f"({2 * i + j + 1}) {outcome}"
            for v in VAGG:
                fit = attempt(
                    data,
                    f"Table 1 {header} {v}",
                    functools.partial(cross_ols, outcome, [v], frame, controls=controls),
                )
                cells.append((header, v, fit, v))
    return pack_cells(cells)


# ---------------------------------------------------------------------------- Table 2


def table_selection(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 2: platform members of 2007 matched to non-members (logit score on the controls
    and ln X_2007; 1:1 and 1:3 nearest neighbour, the study's matching options), RESIS on
    vagg in the matched samples, and RESIS on vagg weighted by the ATT weights p/(1 − p).
    A column whose matched sample cannot carry the equation is blank (manifest note)."""
    frame = cross_frame(data)
    covariates = [*CONTROLS, "lnx07"]
    usable = frame.dropna(subset=["RESIS", "member", *covariates]).reset_index(drop=True)
    data.note_dropped(
        "Table 2: firms of sample C without RESIS or a covariate",
        {"missing": len(frame) - len(usable)},
        n_input=len(frame),
    )
    usable["member"] = usable["member"].astype(int)
    design = matching_design(data)
    matchings = [vagg.psm(usable, "member", covariates, k=k, **design) for k in (1, 3)]
    fits: list[tuple[str, Result | None]] = []
    for k, matching in zip((1, 3), matchings, strict=True):
        matched = usable[matching.weights.notna().to_numpy()]
        for v in VAGG:
            header = f"({len(fits) + 1}) 1:{k} {v}"
            fit = functools.partial(cross_ols, "RESIS", [v], matched)
            fits.append((header, attempt(data, f"Table 2 {header}", fit)))
    weighted = usable.assign(ipw=matchings[0].ipw_weights("att").to_numpy())
    weighted = weighted[weighted["ipw"].notna()]
    for v in VAGG:
        header = f"({len(fits) + 1}) IPW {v}"
        fit = functools.partial(
            ols, "RESIS", [v, *covariates], weighted, fe=CROSS_FE, vcov=CROSS_CLUSTER,
            weights="ipw",
        )  # fmt: skip
        fits.append((header, attempt(data, f"Table 2 {header}", fit)))
    out = {header: fit for header, fit in fits if fit is not None}
    if not out:
        raise EstimationError("Table 2: no matched sample could carry the equation")
    return out


# ---------------------------------------------------------------------------- Table 3


def _iv(v: str, frame: pd.DataFrame) -> Result:
    """RESIS on vagg (2007) instrumented by its 2006 value, (B1) controls and effects."""
    exogenous = " + ".join([*CONTROLS, "lnx07"])
    rows = frame.dropna(subset=[f"{v}_lag"])
    formula = f"RESIS ~ {exogenous} | {CROSS_FE} | {v} ~ {v}_lag"
    with quiet_collinearity():
        return vagg.iv(formula, rows, vcov=CROSS_CLUSTER)


def table_endogeneity(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 3: (1)–(3) 2SLS of RESIS on vagg_2007 instrumented by vagg_2006 (Kleibergen–Paap
    statistics); (4)–(9) DID and PSM-DID on industry switchers (paper 000 eq. 10) with OPEX
    (M5) as the outcome — the firm-year outcome whose planted effect follows platform entry."""
    from vagg.studies.dvar_firms.models import did_frame, did_ols, psm_did_ols
    from vagg.studies.resilience_firms.mechanisms import mechanism_frame

    frame = cross_frame(data)
    out: dict[str, Result] = {}
    for i, v in enumerate(VAGG, start=1):
        fit = attempt(data, f"Table 3 IV {v}", functools.partial(_iv, v, frame))
        if fit is not None:
            out[f"({i}) IV {v}"] = fit
    mech = mechanism_frame(data)
    if "OPEX" in mech.columns and mech["OPEX"].notna().any():
        did = did_frame(data, mech)
        for i, v in enumerate(VAGG, start=4):
            fit = did_ols(data, "OPEX", did, v)
            if fit is not None:
                out[f"({i}) DID {v}"] = fit
        for i, v in enumerate(VAGG, start=7):
            fit = psm_did_ols(data, "OPEX", did, v)
            if fit is not None:
                out[f"({i}) PSM-DID {v}"] = fit
    else:
        data.note_dropped("Table 3 DID: OPEX not available (no CIE expense items)", {})
    if not out:
        raise EstimationError("Table 3: no equation could be estimated on this dataset")
    return out


# ---------------------------------------------------------------------------- Table 4

#: Table 4's groups: (column, value, label).
HETEROGENEITY_GROUPS: tuple[tuple[str, Any, Text], ...] = (
    *DVAR_GROUPS,  # ownership, region, trade regime, high-tech, as paper 000 Table 4
    ("sme", 1, {"zh": "中小企业", "en": "SME"}),
    ("sme", 0, {"zh": "大型企业", "en": "Large"}),
)


def _with_groups(data: StudyData, frame: pd.DataFrame) -> pd.DataFrame:
    """Sample C with ``processing`` (more than half of the 2007 exports under regimes 14/15)
    and ``sme`` (2007 employment below the option ``sme_employment``)."""
    exports = panel(data)["exports"].filter(pl.col("year") == 2007)
    share = exports.group_by("firm_id").agg(
        (
            pl.col("value_usd").filter(pl.col("regime").is_in(["14", "15"])).sum()
            / pl.col("value_usd").sum()
        ).alias("processing_share")
    )
    out = frame.merge(share.to_pandas(), on="firm_id", how="left")
    out["processing"] = (out["processing_share"] > 0.5).astype(int)
    out["sme"] = (out["employment"] < data.option("sme_employment")).astype(int)
    return out


def table_heterogeneity(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 4: (B1) for RESIS on each group — ownership, region, trade regime, high-tech and
    SMEs (policy implication 1) — for each vagg measure (36 equations)."""
    frame = _with_groups(data, cross_frame(data))
    cells: list[Cell] = []
    for i, (column, value, label) in enumerate(HETEROGENEITY_GROUPS, start=1):
        header = f"({i}) {resolve_text(label, data.lang)}"
        part = frame[frame[column] == value]
        for v in VAGG:
            fit = attempt(
                data, f"Table 4 {header} {v}", functools.partial(cross_ols, "RESIS", [v], part)
            )
            cells.append((header, v, fit, v))
    return pack_cells(cells)


# ---------------------------------------------------------------------------- Table 5

#: Table 5's columns: (header, outcome, vagg suffix).
ROBUSTNESS: tuple[tuple[str, str, str], ...] = (
    ("(1) RESIS Martin", "RESIS_martin", ""),
    ("(2) RESIS log", "RESIS_log", ""),
    ("(3) RESIS HS2", "RESIS_hs2", ""),
    ("(4) RECOV 2010", "RECOV_2010", ""),
    ("(5) RECOV 2011", "RECOV_2011", ""),
    ("(6) RECOV Martin", "RECOV_martin", ""),
    ("(7) RESIS vagg(emp)", "RESIS", "_emp"),
    ("(8) RESIS vagg(fa)", "RESIS", "_fa"),
)


def table_robustness(data: StudyData, engine: Any) -> dict[str, Result]:
    """Table 5: the resilience definitions (Martin's ratio, log growth, the main-HS2
    benchmark, recovery to 2010 and 2011) and vagg weighted by employment and fixed assets.
    With ``growth_form="martin"`` the Martin columns show the difference form instead."""
    frame = cross_frame(data)
    if data.option("growth_form") == "martin":
        frame = frame.rename(
            columns={"RESIS_difference": "RESIS_martin", "RECOV_difference": "RECOV_martin"}
        )
    cells: list[Cell] = []
    for header, outcome, suffix in ROBUSTNESS:
        for v in VAGG:
            fit = attempt(
                data,
                f"Table 5 {header} {v}",
                functools.partial(cross_ols, outcome, [v + suffix], frame),
            )
            cells.append((header, v, fit, v + suffix))
    return pack_cells(cells)


# ---------------------------------------------------------------------------- Table 6


def table_shock(data: StudyData, engine: Any) -> list[Result]:
    """Table 6 (B2): Δ ln X_ft on Loss_ft, vagg_t−1 (or I_t−1) and Loss × vagg_t−1 with the
    controls of t − 1 and firm, CIC4 × year and province × year effects, clustered by firm;
    column (5) adds Gain and Gain × vagg_h (asymmetry)."""
    shocks = panel(data)["shock_panel"]
    if shocks is None:
        raise EstimationError(
            "Table 6: the dataset has no world_imports table (destination × HS6 imports "
            "excluding China), so the firm's foreign demand shock cannot be measured"
        )
    frame = shocks.to_pandas()
    controls = [f"{c}_l" for c in CONTROLS]
    out = []
    for v in (*VAGG, "member"):
        name = "I" if v == "member" else v
        frame[f"loss_x_{name}"] = frame["LOSS"] * frame[f"{v}_l"]
        frame = frame.rename(columns={f"{v}_l": name}) if v == "member" else frame
        rhs = ["LOSS", name if v == "member" else f"{v}_l", f"loss_x_{name}", *controls]
        out.append(ols("dlnx", rhs, frame, fe=SHOCK_FE, vcov=FIRM_CLUSTER, key=rhs[:3]))
    frame["gain_x_vagg_h"] = frame["GAIN"] * frame["vagg_h_l"]
    rhs = ["LOSS", "GAIN", "vagg_h_l", "loss_x_vagg_h", "gain_x_vagg_h", *controls]
    out.append(ols("dlnx", rhs, frame, fe=SHOCK_FE, vcov=FIRM_CLUSTER, key=rhs[:5]))
    return out


# ---------------------------------------------------------------------------- Table A1

#: The event windows around the collapses: (name, base year of membership, years, reference).
EVENT_WINDOWS: tuple[tuple[str, int, tuple[int, ...], int], ...] = (
    ("collapse2009", 2007, tuple(range(2005, 2012)), 2008),
    ("collapse2012", 2011, tuple(range(2009, 2014)), 2011),
)


def event_frame(data: StudyData, base: int, years: tuple[int, ...]) -> pd.DataFrame:
    """Firm-years ``years`` with positive exports of the CIE firms of ``base`` exporting in
    ``base``; ``I`` = platform member in ``base``, ``lnx`` = ln X_ft."""
    d = panel(data)
    x = d["exports"].group_by("firm_id", "year").agg(pl.col("value_usd").sum().alias("x"))
    first = (
        d["firm_years"]
        .filter(pl.col("year") == base)
        .select("firm_id", pl.col("member").alias("I"))
    )
    exporters = x.filter((pl.col("year") == base) & (pl.col("x") > 0)).select("firm_id")
    rows = (
        x.filter(pl.col("year").is_in(list(years)) & (pl.col("x") > 0))
        .join(first.join(exporters, on="firm_id", how="semi"), on="firm_id")
        .with_columns(pl.col("x").log().alias("lnx"), pl.col("I").cast(pl.Float64))
    )
    return rows.to_pandas()


def table_event(data: StudyData, engine: Any) -> list[Result]:
    """Table A1 (behind Figure 1): ln X_ft = Σ_{k≠ref} θ_k 1{t = k}·I_f + firm + year effects,
    clustered by firm, members vs non-members around the 2008–09 collapse and the second one
    (terms ``d<year>``)."""
    out = []
    for _, base, years, ref in EVENT_WINDOWS:
        frame = event_frame(data, base, years)
        terms = []
        for k in years:
            if k != ref:
                frame[f"d{k}"] = (frame["year"] == k).astype(float) * frame["I"]
                terms.append(f"d{k}")
        available = [t for t in terms if frame[t].abs().sum() > 0]
        if not available:
            raise EstimationError(f"Table A1: no platform member exports around {ref}")
        out.append(ols("lnx", available, frame, fe="firm_id + year", vcov=FIRM_CLUSTER))
    return out
