"""The options of the study ``quality_cities``: what a user may change, and the paper's choice.

Set them with ``vagg replicate quality_cities --set NAME=VALUE``; the defaults reproduce the
published tables (spec 001 §8).
"""

from __future__ import annotations

from vagg.studies.options import StudyOption

__all__ = ["OPTIONS"]

OPTIONS: tuple[StudyOption, ...] = (
    StudyOption(
        "ksw_method",
        str,
        "sigma",
        "KSW demand equation (eq. 18): 'iv' instruments ln p by the firm's mean price of the "
        "product in its other destinations (施炳展和邵文波 2014, the paper's choice) with one "
        "pooled price slope; 'sigma' (default) imposes the product's Broda–Weinstein σ_h "
        "(KSW 2013). When σ differs across products the pooled slope leaves (σ_h + β̂) ln p in "
        "the residual and attenuates quality (≈5% on the small synthetic economy), so σ "
        "imposed is the default. Tables 1–3, Figure 2.",
        choices=("iv", "sigma"),
    ),
    StudyOption(
        "min_product_cells",
        int,
        100,
        "Products (HS6) with fewer firm × destination × year cells are dropped (the paper: "
        "fewer than 100 observations). At the tiny synthetic scale the run lowers it to 20.",
    ),
    StudyOption(
        "placebo_reps",
        int,
        1000,
        "Permutations of vagg in Figure 2 (the paper: 1,000; the tiny scale runs 100).",
    ),
    StudyOption(
        "placebo_level",
        str,
        "observation",
        "Figure 2: permute vagg across observations (the paper) or across city-years "
        "(design-consistent: vagg varies by city-year).",
        choices=("observation", "city_year"),
    ),
)
