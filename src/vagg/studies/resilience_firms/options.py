"""The options of the study ``resilience_firms``: what a user may change, and the default.

Set them with ``vagg replicate resilience_firms --set NAME=VALUE`` (repeatable) or
``--options FILE.toml``; the manifest records every value and the derived frames are cached per
set of values. Paper 003 prints no empirics, so each default is the designed study's choice
(spec 003 §3–§4), named beside it.
"""

from __future__ import annotations

from vagg.studies.dvar_firms.options import OPTIONS as _DVAR_OPTIONS
from vagg.studies.options import StudyOption

#: The PSM-DID of Table 3 is paper 000's (``dvar_firms.models``), so it reads that study's
#: option of what is matched.
_PSM_DID_UNIT = next(o for o in _DVAR_OPTIONS if o.name == "psm_did_unit")

__all__ = ["OPTIONS"]

OPTIONS: tuple[StudyOption, ...] = (
    StudyOption(
        "growth_form",
        str,
        "difference",
        "How RESIS and RECOV compare a firm's Davis–Haltiwanger growth g_f with its group's "
        "mean ḡ: 'difference' (the default, spec 003 §3: g_f − ḡ) or 'martin' (Martin 2012: "
        "(g_f − ḡ)/|ḡ|). Table 5 reports the other one beside it. Tables 1–5, 7–12.",
        choices=("difference", "martin"),
    ),
    StudyOption(
        "recovery_end",
        int,
        2011,
        "Last year of RECOV (growth from 2009): 2011 (the default, spec 003 §3) or 2010 (the "
        "spec's option). Table 5 reports both. Tables 1–5.",
        choices=(2010, 2011),
    ),
    StudyOption(
        "fd_missing",
        str,
        "drop",
        "Destination × HS6 cells of a firm's lagged export mix without world imports in t − 1 "
        "or t: 'drop' (the default: they add nothing to FD_ft and keep their weight) or "
        "'renormalise' (FD divided by the covered share). Table 6.",
        choices=("drop", "renormalise"),
    ),
    StudyOption(
        "sme_employment",
        int,
        300,
        "Employment below which a firm is an SME in Table 4 (spec 003 §4.2, policy "
        "implication 1: 'employment < 300').",
    ),
    StudyOption(
        "mediation_bootstrap",
        int,
        199,
        "Cluster-bootstrap resamples (clusters: CIC4 industries) of the indirect effect a·δ in "
        "Tables 7–12 (spec 003 (M-b); 0: Sobel only). Percentile intervals.",
    ),
    StudyOption(
        "matching_replace",
        bool,
        True,
        "Nearest-neighbour propensity-score matching with replacement (psmatch2's default) or "
        "without. Tables 2 and 3 (PSM and PSM-DID).",
    ),
    StudyOption(
        "matching_caliper",
        float,
        None,
        "Largest propensity-score distance of a match (psmatch2's caliper()); none: no "
        "caliper. Tables 2 and 3.",
        optional=True,
    ),
    StudyOption(
        "matching_common_support",
        bool,
        True,
        "Drop treated rows whose score lies outside the controls' range before matching "
        "(psmatch2's common). Tables 2 and 3.",
    ),
    StudyOption(
        "did_level",
        str,
        "io_sector",
        "The industry switch that defines treat/post in the DID of Table 3 (paper 000 eq. 10): "
        "'io_sector' (the default: vagg changes only with the IO sector) or 'cic4'.",
        choices=("io_sector", "cic4"),
    ),
    StudyOption(
        "staggered_control",
        str,
        "notyet",
        "Comparison group of the Callaway–Sant'Anna ATT(g, t) in Table 3: 'notyet' (the "
        "default: never- and not-yet-joined firms) or 'never'.",
        choices=("never", "notyet"),
    ),
    _PSM_DID_UNIT,
)
