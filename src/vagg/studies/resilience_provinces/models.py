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
    """Add a wild-cluster-bootstrap test of β = 0 for each of ``terms`` to a clustered Result.

    Parameters
    ----------
    result : Result
        A :func:`vagg.feols` fit on ``frame``; unchanged unless clustered by province.
    frame : pandas.DataFrame
        The data it was fitted on.
    reps : int
        Bootstrap draws.
    seed : int
        Seed of the Rademacher weights.
    terms : sequence of str
        Coefficients to test (those absent from ``result`` are skipped).

    Returns
    -------
    Result
        ``result`` itself, with ``diagnostics[wcb_key(term)]`` a HypothesisTest (the CR1 t and
        its WCR bootstrap p-value; Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017).
    """
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
    """Table 2 (eq. E3, stepwise): SL on Vag (1), then with year FE (2) and the controls GDP,
    TAX, CPI, FDI added one by one (3)–(6).

    Parameters
    ----------
    frame : pandas.DataFrame
        The study's panel (:func:`analysis_frame`).
    vcov : {"hc1", "iid", "cluster"}
        Standard errors of every column.

    Returns
    -------
    list of Result
        Six fits: ``sl ~ vag`` and the five steps of ``sl ~ vag + csw0(pgdp, tax, cons, fdi)
        | year`` (:func:`vagg.stepwise`).
    """
    first = vagg.feols("sl ~ vag", frame, vcov=vcov_of(vcov))
    steps = vagg.stepwise(f"sl ~ vag + csw0({', '.join(CONTROLS)}) | year", frame,
                          vcov=vcov_of(vcov))  # fmt: skip
    return [first, *steps]


def lag_models(frame: pd.DataFrame, vcov: str, year_fe: bool = False) -> list[Result]:
    """Table 3: SL on Vag lagged 1 and 2 years within province, contemporaneous controls.

    Parameters
    ----------
    frame : pandas.DataFrame
        The study's panel.
    vcov : {"hc1", "iid", "cluster"}
        Standard errors.
    year_fe : bool
        Add year FE (the paper has none: no TIME FIXED row; spec 002 §3).

    Returns
    -------
    list of Result
        ``sl ~ L(vag, 1) + controls`` (N = 330) and ``sl ~ L(vag, 2) + controls`` (N = 300);
        the lag is the value at t − k of the same province (Stata's L. operator).
    """
    fe = " | year" if year_fe else ""
    controls = " + ".join(CONTROLS)
    return [
        vagg.feols(f"sl ~ L(vag, {lag}) + {controls}{fe}", frame, vcov=vcov_of(vcov), panel=PANEL)
        for lag in (1, 2)
    ]


def moderation_models(frame: pd.DataFrame, vcov: str, controls: bool = False) -> list[Result]:
    """Table 4 (eq. E4): (1) SL on Vag and R&D; (2) with XZ = Vag·R&D; (3) with XZ_c.

    XZ_c = (Vag − V̄)(R&D − R̄) with Vag and R&D uncentred, the form the paper's constants prove
    (spec 002 §2 E4): c3 = γ3, c1 = γ1 + γ3·R̄, c2 = γ2 + γ3·V̄, c0 = γ0 − γ3·V̄·R̄. Written here
    rather than with :func:`vagg.moderation`, which centres the main effects too.

    Parameters
    ----------
    frame : pandas.DataFrame
        The study's panel (with ``xz_c`` centred at the panel's means).
    vcov : {"hc1", "iid", "cluster"}
        Standard errors.
    controls : bool
        Add GDP, TAX, CPI, FDI and year FE (the paper has neither).

    Returns
    -------
    list of Result
        The three columns.
    """
    extra = f" + {' + '.join(CONTROLS)} | year" if controls else ""
    return [
        vagg.feols(f"sl ~ vag + innovation{extra}", frame, vcov=vcov_of(vcov)),
        vagg.feols(f"sl ~ vag + innovation + vag:innovation{extra}", frame, vcov=vcov_of(vcov)),
        vagg.feols(f"sl ~ vag + innovation + xz_c{extra}", frame, vcov=vcov_of(vcov)),
    ]


def truth_models(frame: pd.DataFrame, *, reps: int, seed: int) -> list[Result]:
    """Table 4b (not in the paper): eq. (E4) as the synthetic economy plants it.

    Parameters
    ----------
    frame : pandas.DataFrame
        The study's panel.
    reps, seed : int
        Draws and seed of the wild cluster bootstraps.

    Returns
    -------
    list of Result
        (1) Vag, R&D, Vag·R&D, (2) Vag, R&D, XZ_c; both with GDP, TAX, CPI, FDI and year FE,
        errors clustered by province (CR1), a WCB test per coefficient in ``diagnostics``.
        The truth check of the study reads these two columns.
    """
    return [
        with_wild_bootstrap(r, frame, reps=reps, seed=seed)
        for r in moderation_models(frame, "cluster", controls=True)[1:]
    ]


def leave_one_out(frame: pd.DataFrame, term: str = "vag") -> pd.DataFrame:
    """A coefficient of Table 2 col (6) (year FE, all controls, HC1) without each province.

    Parameters
    ----------
    frame : pandas.DataFrame
        The study's panel.
    term : str
        The coefficient (default Vag).

    Returns
    -------
    pandas.DataFrame
        ``left_out``, ``estimate``, ``se``, ``ci_low``, ``ci_high`` (95 %): the full sample
        first (``left_out = "none"``), then one row per province code, ascending.
    """
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
