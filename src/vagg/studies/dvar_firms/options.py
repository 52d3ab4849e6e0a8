"""The options of the study ``dvar_firms``: what a user may change, and the paper's choice.

Set them with ``vagg replicate dvar_firms --set NAME=VALUE`` (repeatable) or ``--options
FILE.toml``; the manifest records every value, and the derived panels are cached per set of
values. The defaults reproduce the published tables.
"""

from __future__ import annotations

from vagg.studies.options import StudyOption

__all__ = ["OPTIONS"]

OPTIONS: tuple[StudyOption, ...] = (
    StudyOption(
        "markup_correction",
        str,
        "dlw",
        "De Loecker–Warzynski markups μ = θ_m · output / materials with θ_m from the ACF "
        "production function: 'dlw' (the default, De Loecker & Warzynski 2012 eq. 11) divides "
        "by output purged of the first-stage residual ε̂; 'none' divides by the observed "
        "materials share, whose output shock ε then moves the markup (and attenuates any "
        "regression on it). Tables 0a, 6, 6b.",
        choices=("none", "dlw"),
    ),
    StudyOption(
        "markup_first_stage",
        str,
        "firm_effects",
        "First stage of the ACF production function behind the markups: 'firm_effects' (the "
        "default: a polynomial in l, k, m and the markup shifters (membership, vagg and vagg × "
        "the Table 4 groups) with firm fixed effects, so "
        "that a permanent firm markup that no shifter observes does not bias the polynomial "
        "and leak into ε̂) or 'pooled' (the same without firm effects, ACF 2015 / DLW 2012). "
        "Tables 0a, 6, 6b.",
        choices=("pooled", "firm_effects"),
    ),
    StudyOption(
        "did_level",
        str,
        "io_sector",
        "The DID treatment of eq. (10), a firm's one industry switch: 'io_sector' (the default) "
        "counts only changes between IO sectors, the level at which vagg is measured (a CIC4 "
        "change inside one IO sector leaves vagg unchanged); 'cic4' counts every change of the "
        "CIE's 4-digit industry (the paper's wording). Tables 0a, 3, 6, 7.",
        choices=("io_sector", "cic4"),
    ),
    StudyOption(
        "psm_did_unit",
        str,
        "firm",
        "What the PSM-DID of Tables 3, 6 and 7 matches: 'firm' (the default) matches switching "
        "firms 1:1 to never-switching firms on the mean of their covariates before the switch "
        "and keeps the matched firms' whole panels (the paper keeps 58% of its DID sample, "
        "panels rather than scattered firm-years); 'firm_year' matches each year's treated "
        "firm-years to that year's controls and keeps the matched rows.",
        choices=("firm", "firm_year"),
    ),
    StudyOption(
        "matching_replace",
        bool,
        True,
        "Nearest-neighbour propensity-score matching with replacement (the paper; psmatch2's "
        "default) or without. Tables 2, 3, 6, 7 (PSM and PSM-DID).",
    ),
    StudyOption(
        "matching_caliper",
        float,
        None,
        "Largest propensity-score distance of a match (psmatch2's caliper()); none: no "
        "caliper (the paper). Tables 2, 3, 6, 7.",
        optional=True,
    ),
    StudyOption(
        "matching_common_support",
        bool,
        True,
        "Drop treated rows whose score lies outside the controls' range before matching "
        "(psmatch2's common). Tables 2, 3, 6, 7.",
    ),
)
