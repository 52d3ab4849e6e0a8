"""The options of the study ``resilience_provinces``: what a user may change, and the default.

Set them with ``vagg replicate resilience_provinces --set NAME=VALUE`` or ``--options
FILE.toml``. The defaults follow spec 002 §8: the formulas as printed (SL with k = 1, E_t the
sum over the sample, Vag in km without normalisation) and the per-table standard errors the
printed numbers imply (HC1 for Table 2, conventional for Tables 3–4). The synthetic economy
plants its effects on these defaults; other values change the measures and so the truth check
no longer applies to the coefficients they rescale.
"""

from __future__ import annotations

from vagg.studies.options import StudyOption

__all__ = ["OPTIONS"]

OPTIONS: tuple[StudyOption, ...] = (
    StudyOption(
        "k",
        int,
        1,
        "Window of export resilience SL (eq. E1): SL_it = Δ_k ln E_it − Δ_k ln E_t. The paper "
        "does not state k; 1 is the default (spec 002 §8). All tables.",
    ),
    StudyOption(
        "sl_transform",
        str,
        "none",
        "'none' (default): SL as the printed formula (mean ≈ 0; at least one province has "
        "SL ≤ 0 every year). 'affine': 0.226 + 0.129·(SL − mean)/sd, Table 1's mean and sd, "
        "t-values unchanged. 'exponential': a monotone positive map that also hits Table 1's "
        "minimum (vagg.measures.resilience.fit_moment_transform). All tables.",
        choices=("none", "affine", "exponential"),
    ),
    StudyOption(
        "national_total",
        str,
        "sum",
        "E_t of SL: 'sum' over the 30 provinces (default) or 'official' "
        "(national_series.exports_usd). Slopes with year FE are the same. All tables.",
        choices=("sum", "official"),
    ),
    StudyOption(
        "vag_normalise",
        str,
        "none",
        "Vag as printed ('none', Vag ≥ LQ ≈ 0.4–5) or min–max normalised over the pooled "
        "2009–2020 panel ('minmax'), the rescaling Table 1's range 0.000117–0.974 implies "
        "(spec 002 §1.4). Affine: t-values unchanged, Vag's coefficients rescaled.",
        choices=("none", "minmax"),
    ),
    StudyOption(
        "vag_unit_km",
        float,
        1.0,
        "Distance unit of Vag's weights d_ij^−1 in km (1: km, the default; 100: hundreds of "
        "km). All tables.",
    ),
    StudyOption(
        "table2_se",
        str,
        "hc1",
        "Standard errors of Table 2: 'hc1' (heteroskedasticity-robust, what the printed SEs "
        "imply) or 'cluster' (by province, with wild-cluster-bootstrap p-values).",
        choices=("hc1", "cluster"),
    ),
    StudyOption(
        "table4_controls",
        bool,
        False,
        "Add GDP, TAX, CPI, FDI and year FE to Table 4 (the paper's columns have neither, as "
        "their constants prove; spec 002 §3).",
    ),
    StudyOption(
        "bootstrap_reps",
        int,
        999,
        "Draws of each wild cluster bootstrap (Rademacher weights, 30 clusters). Tables 2 "
        "(clustered) and 4b.",
    ),
)
