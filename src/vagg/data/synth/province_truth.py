"""The truth entries of the province generator: each planted effect with its definition.

:func:`province_truth` lists, for papers 002 and 004, every planted parameter with the measure
and the regression that should recover it (written to ``truth.json`` by
:func:`vagg.data.synth.provinces.generate_province_tables`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PlantedEffects", "province_truth"]


@dataclass(frozen=True)
class PlantedEffects:
    """Planted parameters of the province economy; each becomes (part of) a truth entry.

    002 (SL on Vag, innovation Z = 100·R&D/GDP and controls): ``vag``, ``innovation``,
    ``vag_x_innovation``, ``pgdp`` (per 10k RMB of GDP per head), ``tax``, ``consumption``,
    ``fdi``; ``sl_noise_sd`` is the sd of the MA(1) growth shock (×1.8 in 2009, ×1.5 in 2020).
    004: ``inter_on_allo`` (a), ``allo_on_met`` (b), ``inter_on_met_direct`` (c'), the
    controls of ln MET (eq. 23) and ALLO (eq. 22) in the order URBAN, GOV, LAB, OPEN, the
    spatial-error parameter ``spatial_lambda`` and the AR(1) persistence of the shocks (0 by
    default: shocks correlated in space and time at once leave no standard error of the
    truth table valid, see docs/studies/internet_sophistication.md); ``internet_tier_sd``,
    the within-tier spread of the Internet lead (three tight clusters), ``broadband_on_lead``
    (γ, the slope of ln broadband subscribers per head on the lead) and
    ``broadband_noise_sd``.
    """

    vag: float = 0.12
    innovation: float = 0.01
    vag_x_innovation: float = -0.015
    pgdp: float = -0.004
    tax: float = -0.3
    consumption: float = 0.2
    fdi: float = 0.5
    sl_noise_sd: float = 0.09
    inter_on_allo: float = 0.25
    allo_on_met: float = 0.30
    inter_on_met_direct: float = 0.15
    met_controls: tuple[float, float, float, float] = (0.2, 0.3, 0.03, -0.5)
    allo_controls: tuple[float, float, float, float] = (0.1, -0.2, 0.02, 0.3)
    spatial_lambda: float = 0.3
    persistence: float = 0.0
    met_noise_sd: float = 0.035
    allo_noise_sd: float = 0.02
    internet_tier_sd: float = 0.05
    broadband_on_lead: float = 0.3
    broadband_noise_sd: float = 0.2


_SL = (
    "SL_it = Δln exports_usd_it − Δln E_t (002 §3.2.1 with k = 1; E_t the national "
    "exports_usd of national_series, though any national total gives the same slopes once "
    "year effects are in)"
)
_VAG = (
    "Vag_it = Σ_j LQ_jt·w_ij, LQ_jt = (ict_employment_jt/urban_unit_employment_jt) / "
    "(Σ_k ict_employment_kt/Σ_k urban_unit_employment_kt) over the panel's provinces, w_ii = 1, "
    "w_ij = 1/d_ij with d_ij the great-circle distance between capitals in km (002 §3.2.2)"
)
_Z = "innovation Z_it = 100·rd_expenditure_it/gdp_it (R&D intensity, percent)"
_CTL_002 = (
    "controls PGDP = gdp_per_capita/1e4, TAX = tax_revenue/gdp, CONS = retail_sales/gdp, "
    "FDI = fdi_usd·rmb_per_usd/(gdp·1e8)"
)
_SPEC_002 = (
    "OLS of SL on Vag, Z, Vag·Z and the controls with year fixed effects, 30 provinces × "
    "2009–2020 (N = 360); growth shocks are MA(1), so cluster the errors by province"
)
_MET = (
    "ln MET_it, MET = EXPY from province_exports: s_iht = e_iht/Σ_h e_iht, PRODY_ht = "
    "Σ_i (s_iht/Σ_k s_kht)·gdp_per_capita_it over the table's provinces (current RMB), "
    "MET_it = Σ_h s_iht·PRODY_ht (004 eq. (12)–(13))"
)
_INTER = (
    "INTER_it = Σ_j ½·[(x_jit − min_j)/(max_j − min_j) + 0.01] over postal_volume, "
    "internet_penetration, optical_cable_km and mobile_switch_capacity, min and max over the "
    "pooled 30 × 2004–2016 panel (004 eq. (14)–(19) with a_j = ½)"
)
_LEAD = (
    "lead_it, the province's Internet lead: three tiers of provinces (by income and region) "
    "plus a small within-tier deviation, standardised within each year (mean 0, population "
    "sd 1 over the provinces). Each indicator is level_jt·(1 + 0.4·lead_it) in the years it "
    "carries the lead (internet_penetration and mobile_switch_capacity 2000–2009, "
    "postal_volume and optical_cable_km from 2010) and level_jt·(1 + 0.4·v_jit), v_jit "
    "uniform with variance 1 and independent of everything, in the other years. After a "
    "year's min–max normalisation the two carrying indicators both equal the min–max of "
    "lead_t, and the year's projection-pursuit direction is (½√2, ½√2) on them and ≈ 0 on "
    "the others: the year-by-year index is an increasing affine function of lead_it, so its "
    "within-year standardisation INTER_std_it equals lead_it. One direction fitted to the "
    "pooled panel cannot follow the switch and mixes the independent pair into the index"
)
_BROADBAND = (
    "ln(broadband_subscribers_it/population_it) = c_t + γ·lead_it + e_it, e iid normal "
    "(sd 0.2), independent of everything; OLS of ln(broadband_subscribers/population) on "
    "INTER_std (the within-year standardised RAGA projection-pursuit index of the four "
    "indicators, fitted year by year, 004 eq. (14)–(20)) with year fixed effects, 30 provinces "
    "× 2004–2015, heteroskedasticity-robust errors"
)
_ALLO = (
    "ALLO_it = ln Y_it − 0.4·ln K_it − 0.6·ln employment_total_it, Y real GDP chained from "
    "gdp_index (any base year), K by perpetual inventory of fixed_asset_investment deflated "
    "by fai_price_index from 2000, δ = 0.096, K_2000 = I_2000/(g_i + δ) with g_i the "
    "province's average real investment growth 2000–2020 (equal to capital_stock up to a "
    "province factor)"
)
_CTL_004 = (
    "controls URBAN = urbanisation_rate/100, GOV = government_expenditure/gdp, LAB = "
    "schooling_years, OPEN = fdi_usd·rmb_per_usd/(gdp·1e8)"
)
_SPEC_004 = (
    "a spatial error model (ML, province and year fixed effects), 30 provinces × "
    "2004–2015 (N = 360): the shocks are correlated across neighbouring provinces, so errors "
    "clustered by province understate the sampling variance; the paper's group-mean FMOLS "
    "with common time effects targets the same homogeneous slope"
)
_W = (
    "W the row-standardised queen contiguity of vagg.data.geography.contiguity_matrix() "
    "(Hainan–Guangdong linked); two-way fixed effects, 2004–2015"
)


def province_truth(fx: PlantedEffects, innovation_mean: float) -> dict[str, dict[str, object]]:
    """Truth entries, each defined on the measures and regressions that should recover it."""
    total = fx.inter_on_met_direct + fx.inter_on_allo * fx.allo_on_met
    sl = f"{_SL}; {_VAG}; {_Z}; {_CTL_002}; {_SPEC_002}"
    met = f"{_MET}; {_INTER}; {_ALLO}; {_CTL_004}; {_SPEC_004}; {_W}"
    spatial = (
        f"shocks to ln MET and ALLO are u_t = (I − λW)⁻¹e_t, so ln MET = c·INTER + controls + u "
        f"is a spatial error model (SEM/SAC λ = {fx.spatial_lambda}, SAC ρ = 0) and, written as "
        f"a spatial Durbin model, has ρ = λ and θ = −λ·β for each regressor; {met}"
    )
    full = "in ln MET on INTER + ALLO + controls"
    # fmt: off
    rows: list[tuple[str, str, str, str, float, str]] = [
        ("sl_vag", "Table 4 col (2): Vag", "estimate", "γ1, the coefficient of Vag in SL = "
         "γ1·Vag + γ2·Z + γ3·Vag·Z + controls", fx.vag, sl),
        ("sl_innovation", "Table 4 col (2): R&D", "estimate", "γ2, the coefficient of Z",
         fx.innovation, sl),
        ("sl_vag_x_innovation", "Table 4 col (2): XZ", "estimate", "γ3, the coefficient of "
         "Vag·Z (< 0: innovation weakens the effect of Vag)", fx.vag_x_innovation, sl),
        ("sl_vag_centred", "Table 4 col (3): Vag", "estimate", "the coefficient of Vag when the "
         f"interaction is of mean-centred Vag and Z (XZ_c): γ1 + γ3·Z̄, Z̄ = "
         f"{innovation_mean:.6f} the sample mean of Z",
         fx.vag + fx.vag_x_innovation * innovation_mean, sl),
        ("sl_vag_baseline", "Table 2 col (6): Vag", "sign", "the sign of the Vag coefficient "
         "without Z and Vag·Z (the average marginal effect γ1 + γ3·Z is positive; the value "
         "depends on what is omitted)", 1.0, sl),
        ("sl_pgdp", "Table 2 col (6): GDP", "estimate", "the coefficient of PGDP in the Table 4 "
         "col (2) regression", fx.pgdp, sl),
        ("sl_tax", "Table 2 col (6): TAX", "estimate", "the coefficient of TAX, same regression",
         fx.tax, sl),
        ("sl_consumption", "Table 2 col (6): CPI", "estimate", "the coefficient of CONS, same "
         "regression", fx.consumption, sl),
        ("sl_fdi", "Table 2 col (6): FDI", "estimate", "the coefficient of FDI, same regression",
         fx.fdi, sl),
        ("met_inter_total", "Table 1 col (2); Table 2 col (1): INTER", "estimate", "the "
         "coefficient of INTER in ln MET on INTER + controls: the total effect c' + a·b",
         total, met),
        ("allo_inter", "Table 2 col (2): INTER", "estimate", "a, the coefficient of INTER in "
         "ALLO on INTER + controls", fx.inter_on_allo, met),
        ("met_allo", "Table 2 col (3): ALLO", "estimate", f"b, the coefficient of ALLO {full}",
         fx.allo_on_met, met),
        ("met_inter_direct", "Table 2 col (3): INTER", "estimate", f"c', the coefficient of "
         f"INTER {full}", fx.inter_on_met_direct, met),
        ("met_inter_indirect", "Table 2: indirect effect", "estimate", "a·b, the effect of "
         "INTER through ALLO", fx.inter_on_allo * fx.allo_on_met, met),
        ("broadband_inter_pp", "Table A1 col (8): INTER by year (standardised)", "estimate",
         "γ, the coefficient of the year's standardised Internet index in ln broadband "
         "subscribers per head", fx.broadband_on_lead, f"{_LEAD}; {_BROADBAND}"),
        ("met_inter_pp", "Table 1 col (2): INTER (projection pursuit)", "sign", "the sign of "
         "the INTER coefficient when INTER is the RAGA projection-pursuit index of the four "
         "indicators (any normalisation), otherwise as met_inter_total", 1.0, met),
        ("sdm_rho", "Table 4 col (2): ρ", "estimate", "ρ of the SDM of ln MET on INTER + "
         "controls and their W-lags", fx.spatial_lambda, spatial),
        ("sdm_theta_inter", "Table 4 col (2): W×INTER", "estimate", "θ of W·INTER in that SDM: "
         "−λ·(c' + a·b)", -fx.spatial_lambda * total, spatial),
        ("sdm_direct_inter", "Table 4b col (2): direct effect of INTER", "estimate", "the "
         "direct effect of INTER in that SDM (LeSage & Pace 2009): with ρ = λ and θ = −λβ, "
         "(I − ρW)⁻¹(βI + θW) = βI, so the direct effect is β = c' + a·b", total, spatial),
        ("sdm_indirect_inter", "Table 4b col (2): indirect effect of INTER", "estimate", "the "
         "indirect (spillover) effect of INTER in that SDM: 0, the error's spatial correlation "
         "carries no spillover of INTER", 0.0, spatial),
        ("sdm_total_inter", "Table 4b col (2): total effect of INTER", "estimate", "the total "
         "effect of INTER in that SDM: β = c' + a·b", total, spatial),
        ("sac_lambda", "Table 4 col (1): λ", "estimate", "λ of the SAC (or SEM) of ln MET on "
         "INTER + controls", fx.spatial_lambda, spatial),
        ("sac_rho", "Table 4 col (1): ρ", "estimate", "ρ (spatial lag) of that SAC: none is "
         "planted", 0.0, spatial),
        ("convergence_alpha1", "Table 6 col (1): α1", "sign", "the sign of α1 in "
         "ln(MET_i,t+1/MET_it) = α1·ln MET_it + α2·ln INTER_it + α3·ln MET_it·ln INTER_it + "
         "controls (T = 1, two-way fixed effects, 2004–2015): shocks to ln MET are AR(1) with "
         f"persistence {fx.persistence} < 1, so EXPY converges to its conditional level (α3 "
         "is not planted)", -1.0, met),
    ]
    for j, name in enumerate(("URBAN", "GOV", "LAB", "OPEN")):
        rows += [
            (f"met_{name.lower()}", f"Table 2 col (3): {name}", "estimate",
             f"the coefficient of {name} {full}", fx.met_controls[j], met),
            (f"allo_{name.lower()}", f"Table 2 col (2): {name}", "estimate",
             f"the coefficient of {name} in ALLO on INTER + controls", fx.allo_controls[j], met),
        ]
    # fmt: on
    return {
        name: {
            "value": float(value),
            "kind": kind,
            "study": "resilience_provinces"
            if name.startswith("sl_")
            else "internet_sophistication",
            "table": table,
            "definition": f"{what}; {context}",
        }
        for name, table, kind, what, value, context in rows
    }
