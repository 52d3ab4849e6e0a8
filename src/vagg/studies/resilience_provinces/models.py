"""Regressions of the study ``resilience_provinces`` (paper 002): eq. (E3) and (E4).

Every model is pooled OLS (:func:`vagg.feols`), with year dummies where the paper has a
"TIME FIXED" row and never province effects (spec 002 §2 E3). Standard errors follow the
per-table convention the printed numbers imply (spec 002 §3): HC1 for Table 2, conventional
(iid) for Tables 3 and 4, errors clustered by province for the truth table 4b (the planted
growth shocks are MA(1) within province).

Beyond the paper, each clustered column carries a wild-cluster-bootstrap p-value for each of
its shown coefficients (:func:`vagg.wild_bootstrap`, WCR with Rademacher weights; 30 clusters
is where CR1 p-values start to be too small; MacKinnon & Webb 2017), stored as a
:class:`~vagg.estimate.results.HypothesisTest` in ``Result.diagnostics["WCB <label>"]``
(label: :data:`RENAME`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

import vagg
from vagg.estimate.results import Result
from vagg.studies.data import StudyData
from vagg.studies.resilience_provinces.panels import CONTROLS, derive

__all__ = [
    "CLUSTER",
    "PANEL",
    "RENAME",
    "WCB_TERMS",
    "analysis_frame",
    "baseline_steps",
    "lag_models",
    "leave_one_out",
    "moderation_models",
    "truth_models",
    "vcov_of",
    "wcb_key",
    "with_wild_bootstrap",
]

CLUSTER = {"CRV1": "province_code"}
PANEL = ("province_code", "year")
#: Printed labels of the terms (the paper's names; CPI is the consumption ratio).
RENAME: dict[str, str] = {
    "vag": "Vag",
    "L(vag)": "L.Vag",
    "L(vag, 2)": "L2.Vag",
    "pgdp": "GDP",
    "tax": "TAX",
    "cons": "CPI",
    "fdi": "FDI",
    "innovation": "R&D",
    "vag:innovation": "XZ",
    "xz_c": "XZ_c",
}
#: Terms that get a wild-cluster-bootstrap p-value when a column is clustered.
WCB_TERMS: tuple[str, ...] = ("vag", "innovation", "vag:innovation", "xz_c", *CONTROLS)


def analysis_frame(data: StudyData) -> pd.DataFrame:
    """The study's panel (:func:`.panels.derive`, cached) as pandas."""
    return data.cached("resilience_provinces_panel", derive).to_pandas()


def vcov_of(kind: str) -> Any:
    """The ``vcov=`` argument of :func:`vagg.feols` for "hc1", "iid" or "cluster"."""
    return {"hc1": "hetero", "iid": "iid", "cluster": CLUSTER}[kind]


def with_wild_bootstrap(
    result: Result, frame: pd.DataFrame, *, reps: int, seed: int, terms: Sequence[str] = WCB_TERMS
) -> Result:
    """Add ``diagnostics["WCB <label>"]`` (WCR wild cluster bootstrap test of β = 0, clusters
    = provinces) for each of ``terms`` in a clustered ``result``; other Results unchanged."""
    if list(result.clusters) != ["province_code"]:
        return result
    for term in terms:
        if term in result.params.index:
            boot = vagg.wild_bootstrap(result, frame, term, reps=reps, seed=seed)
            result.diagnostics[wcb_key(term)] = boot.test
    return result


def wcb_key(term: str) -> str:
    """The diagnostics key of ``term``'s wild-cluster-bootstrap test: "WCB " + its label."""
    return f"WCB {RENAME.get(term, term)}"


def baseline_steps(frame: pd.DataFrame, vcov: str) -> list[Result]:
    """Table 2: SL on Vag (1), then with year FE (2) and the controls GDP, TAX, CPI, FDI added
    one by one (3)–(6): ``sl ~ vag`` and ``sl ~ vag + csw0(pgdp, tax, cons, fdi) | year``."""
    first = vagg.feols("sl ~ vag", frame, vcov=vcov_of(vcov))
    steps = vagg.stepwise(f"sl ~ vag + csw0({', '.join(CONTROLS)}) | year", frame,
                          vcov=vcov_of(vcov))  # fmt: skip
    return [first, *steps]


def lag_models(frame: pd.DataFrame, vcov: str, year_fe: bool = False) -> list[Result]:
    """Table 3: SL on Vag lagged 1 and 2 years within province, contemporaneous controls, no
    year FE (the paper prints none); N = 330 and 300 (the first years lose their lag)."""
    fe = " | year" if year_fe else ""
    controls = " + ".join(CONTROLS)
    return [
        vagg.feols(f"sl ~ L(vag, {lag}) + {controls}{fe}", frame, vcov=vcov_of(vcov), panel=PANEL)
        for lag in (1, 2)
    ]


def moderation_models(frame: pd.DataFrame, vcov: str, controls: bool = False) -> list[Result]:
    """Table 4: (1) SL on Vag and R&D; (2) with XZ = Vag·R&D; (3) with XZ_c = (Vag − V̄)(R&D −
    R̄) instead, Vag and R&D uncentred (spec 002 §2 E4: c3 = γ3, c1 = γ1 + γ3·R̄,
    c2 = γ2 + γ3·V̄, c0 = γ0 − γ3·V̄·R̄). ``controls`` adds GDP, TAX, CPI, FDI and year FE."""
    extra = f" + {' + '.join(CONTROLS)} | year" if controls else ""
    return [
        vagg.feols(f"sl ~ vag + innovation{extra}", frame, vcov=vcov_of(vcov)),
        vagg.feols(f"sl ~ vag + innovation + vag:innovation{extra}", frame, vcov=vcov_of(vcov)),
        vagg.feols(f"sl ~ vag + innovation + xz_c{extra}", frame, vcov=vcov_of(vcov)),
    ]


def truth_models(frame: pd.DataFrame, *, reps: int, seed: int) -> list[Result]:
    """Table 4b (not in the paper): eq. (E4) as the synthetic economy plants it — Vag, R&D,
    the raw (1) or product-centred (2) interaction, the controls and year FE, errors clustered
    by province — with wild-cluster-bootstrap p-values."""
    return [
        with_wild_bootstrap(r, frame, reps=reps, seed=seed)
        for r in moderation_models(frame, "cluster", controls=True)[1:]
    ]


def leave_one_out(frame: pd.DataFrame, term: str = "vag") -> pd.DataFrame:
    """The Vag coefficient of Table 2 col (6) (year FE, all controls, HC1) re-estimated without
    each province in turn: one row per left-out province (``left_out``, ``estimate``, ``se``,
    ``ci_low``, ``ci_high``), plus the full sample as ``left_out = "none"``."""
    formula = f"sl ~ vag + {' + '.join(CONTROLS)} | year"
    rows = []
    for left_out in ["none", *sorted(frame["province_code"].unique())]:
        sub = frame if left_out == "none" else frame[frame["province_code"] != left_out]
        r = vagg.feols(formula, sub, vcov="hetero")
        ci = r.conf_int(0.95).loc[term]
        rows.append(
            {
                "left_out": left_out,
                "estimate": float(r.params[term]),
                "se": float(r.bse[term]),
                "ci_low": float(ci["lower"]),
                "ci_high": float(ci["upper"]),
            }
        )
    return pd.DataFrame(rows)
