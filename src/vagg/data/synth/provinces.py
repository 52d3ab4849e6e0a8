"""Synthetic province economy for studies 002 (export resilience) and 004 (Internet and EXPY).

The tables are derived from primitives, never written down directly:

* **Calibration anchors** (``_ANCHORS``, ``_NATIONAL``): approximate, rounded orders of
  magnitude from the China Statistical Yearbooks (population and GDP in 2000 and 2020, exports
  in 2000 and 2008, area, ICT specialisation, R&D intensity; national exports, exchange rate,
  prices, investment rate, telecom investment). They set realistic levels (Guangdong largest,
  Qinghai and Ningxia smallest, east > central > west); they are not reference data.
* **Primitives** drawn from ``rng``: population and employment paths, urban-unit and ICT
  employment, investment rates, prices, fiscal and demand ratios, FDI, R&D intensity, an
  Internet lead (three tiers of provinces, leaders richer and eastern) that shows in Internet
  penetration and mobile capacity until 2009 and in postal volume and optical cable from 2010,
  so the indicators' projection-pursuit direction changes between the two eras, TFP, product
  sophistication and province export baskets, and shocks that are spatially autocorrelated
  (queen contiguity ``W``) and persistent. The 2009 and 2020 shocks come from the national
  export path (−16 % and +4 % in USD) and a larger dispersion of province export growth.
* **Raw tables**: GDP from a Cobb–Douglas technology with capital by perpetual inventory, the
  four Internet indicators of 004, province exports and province × HS4 manufacturing exports.

Planted effects are defined on the measures the studies compute from the raw tables; each
truth entry's ``definition`` states the measure, the sample and the regression:

* 002: relative export growth SL (k = 1) rises with the distance-decayed location quotient Vag
  of ICT employment, with a negative Vag × innovation (100·R&D/GDP) interaction.
* 004: ln broadband subscribers per head rises with the Internet lead (γ), which a
  projection-pursuit index fitted year by year recovers and one fitted to the pooled panel
  does not. ln EXPY (MET; PRODY over the provinces weighted by current per-capita GDP) rises with
  Internet development directly and through TFP (ALLO, Solow residual); shocks to ln EXPY and
  TFP follow a spatial-error process (so an SDM finds ρ = λ and θ = −λβ) and mean-revert
  (conditional β-convergence). Export baskets are solved year by year so that the EXPY computed
  from ``province_exports`` equals the planted ln MET up to a year effect, to 1e-10.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import polars as pl

from vagg.data import geography
from vagg.data.schemas.base import validate
from vagg.data.schemas.provinces import NATIONAL_SERIES, PROVINCE_EXPORTS, PROVINCE_PANEL
from vagg.data.synth.baskets import solve_baskets
from vagg.data.synth.province_truth import PlantedEffects, province_truth
from vagg.data.synth.provinces_002 import baseline_estimands, pooled_estimands

__all__ = [
    "ALL_YEARS",
    "CAPITAL_SHARE",
    "DEPRECIATION",
    "INITIAL_CAPITAL_GROWTH",
    "INTERNET_SPREAD",
    "INTERNET_SWITCH",
    "INTERNET_WINDOW",
    "PP_SHIFT",
    "RESILIENCE_WINDOW",
    "PlantedEffects",
    "expected_moments",
    "generate_province_tables",
]

Array = np.ndarray

ALL_YEARS = range(2000, 2021)
CAPITAL_SHARE = 0.4  # α of the Solow residual ln Y − α ln K − (1 − α) ln L
DEPRECIATION = 0.096  # δ of the perpetual inventory (Zhang Jun et al. 2004)
INITIAL_CAPITAL_GROWTH = 0.10  # first guess of g in K_2000 = I_2000 / (g + δ)
INTERNET_WINDOW = (2004, 2016)  # paper 004's sample; the Internet index is normalised over it
RESILIENCE_WINDOW = (2009, 2020)  # paper 002's sample
PP_SHIFT = 0.01  # α of 004 eq. (15)
INTERNET_SWITCH = 2010  # first year in which postal volume and cable, not penetration and
# mobile capacity, carry the provinces' Internet lead
INTERNET_SPREAD = 0.4  # κ: an indicator is level_t·(1 + κ·lead_it) in the years it carries it
_START_ITERATIONS = 60  # fixed-point iterations of the steady-state 2000 capital stock
_YEARS = np.asarray(ALL_YEARS)

# code: population 2000, 2020 (10k); GDP 2000, 2020 (100 million RMB); exports 2000, 2008 (100
# million USD); area (10k km2); ICT location quotient 2000; R&D/GDP 2000, 2020 (percent)
_ANCHORS: dict[str, tuple[float, ...]] = {
    "11": (1364, 2189, 2479, 36103, 120, 575, 1.64, 4.0, 4.9, 6.44),
    "12": (1001, 1387, 1639, 14084, 86, 422, 1.19, 1.2, 1.2, 3.44),
    "13": (6674, 7464, 5089, 36207, 37, 240, 18.88, 0.8, 0.5, 1.75),
    "14": (3297, 3490, 1644, 17652, 16, 54, 15.67, 0.8, 0.5, 1.20),
    "15": (2372, 2403, 1401, 17360, 10, 36, 118.3, 0.9, 0.2, 0.93),
    "21": (4238, 4255, 4669, 25115, 109, 421, 14.8, 1.0, 0.9, 2.19),
    "22": (2728, 2399, 1821, 12311, 13, 48, 18.74, 0.9, 0.7, 1.30),
    "23": (3807, 3171, 3151, 13699, 14, 166, 47.3, 0.8, 0.6, 1.26),
    "31": (1674, 2488, 4551, 38701, 253, 1693, 0.63, 1.9, 1.7, 4.17),
    "32": (7438, 8477, 8554, 102719, 257, 2380, 10.72, 0.8, 0.9, 2.93),
    "33": (4677, 6468, 6036, 64613, 194, 1543, 10.55, 1.1, 0.6, 2.88),
    "34": (6093, 6105, 2902, 38681, 22, 114, 14.01, 0.8, 0.6, 2.28),
    "35": (3410, 4161, 3920, 43904, 129, 570, 12.4, 1.0, 0.5, 1.92),
    "36": (4149, 4519, 2003, 25692, 12, 77, 16.69, 0.8, 0.4, 1.68),
    "37": (9079, 10165, 8337, 73129, 155, 931, 15.8, 0.8, 0.6, 2.30),
    "41": (9488, 9941, 5138, 54997, 15, 107, 16.7, 0.7, 0.5, 1.64),
    "42": (5960, 5745, 4276, 43443, 19, 116, 18.59, 0.9, 0.9, 2.31),
    "43": (6562, 6645, 3692, 41781, 17, 84, 21.18, 0.9, 0.5, 2.15),
    "44": (8650, 12624, 9662, 110761, 919, 4041, 17.98, 1.4, 1.1, 3.14),
    "45": (4751, 5019, 2050, 22157, 15, 73, 23.76, 0.9, 0.3, 0.78),
    "46": (787, 1012, 526, 5532, 8, 16, 3.54, 1.2, 0.2, 0.66),
    "50": (3091, 3209, 1589, 25003, 8, 57, 8.24, 1.0, 0.6, 2.11),
    "51": (8329, 8371, 4010, 48599, 14, 131, 48.6, 1.0, 1.2, 2.17),
    "52": (3756, 3858, 1030, 17827, 4, 23, 17.62, 0.9, 0.4, 0.91),
    "53": (4288, 4722, 1955, 24522, 12, 50, 39.4, 0.9, 0.4, 1.00),
    "61": (3644, 3955, 1661, 26182, 13, 54, 20.56, 1.1, 2.8, 2.42),
    "62": (2557, 2502, 984, 9017, 4, 16, 42.58, 0.9, 0.7, 1.22),
    "63": (517, 593, 264, 3006, 1.1, 4, 72.23, 1.0, 0.4, 0.71),
    "64": (562, 721, 295, 3921, 3, 13, 6.64, 1.1, 0.4, 1.52),
    "65": (1925, 2590, 1364, 13798, 12, 193, 166.49, 1.0, 0.2, 0.45),
}

# year: national exports (100 million USD), RMB per USD, CPI and GDP deflator growth (percent),
# fixed-asset price growth (percent), fixed-asset investment / GDP, telecom investment
# (100 million RMB)
_NATIONAL: dict[int, tuple[float, ...]] = {
    2000: (2492, 8.28, 0.4, 2.1, 1.1, 0.33, 2200),
    2001: (2661, 8.28, 0.7, 2.0, 0.4, 0.34, 2500),
    2002: (3256, 8.28, -0.8, 0.6, 0.2, 0.36, 2260),
    2003: (4382, 8.28, 1.2, 2.6, 2.2, 0.41, 2200),
    2004: (5933, 8.28, 3.9, 6.9, 5.6, 0.44, 2100),
    2005: (7620, 8.19, 1.8, 3.9, 1.6, 0.48, 2000),
    2006: (9690, 7.97, 1.5, 3.9, 1.5, 0.51, 2100),
    2007: (12200, 7.60, 4.8, 7.7, 3.9, 0.52, 2280),
    2008: (14307, 6.95, 5.9, 7.8, 8.9, 0.55, 2950),
    2009: (12016, 6.83, -0.7, -0.2, -2.4, 0.65, 3730),
    2010: (15778, 6.77, 3.3, 6.9, 3.6, 0.68, 3200),
    2011: (18984, 6.46, 5.4, 8.1, 6.6, 0.64, 3300),
    2012: (20487, 6.31, 2.6, 2.4, 1.1, 0.70, 3600),
    2013: (22090, 6.19, 2.6, 2.2, 0.3, 0.75, 3750),
    2014: (23423, 6.14, 2.0, 0.8, 0.5, 0.79, 3990),
    2015: (22735, 6.23, 1.4, 0.1, -1.8, 0.81, 4540),
    2016: (20976, 6.64, 2.0, 1.4, -0.6, 0.81, 4350),
    2017: (22633, 6.75, 1.6, 4.2, 5.8, 0.77, 4010),
    2018: (24867, 6.62, 2.1, 3.5, 5.4, 0.70, 3600),
    2019: (24995, 6.90, 2.9, 1.3, 2.6, 0.58, 3610),
    2020: (25900, 6.90, 2.5, 0.5, 1.6, 0.52, 4070),
}

#: approximate national real GDP growth 2000–2020, percent
_REAL_GROWTH = np.array(
    [8.5, 8.3, 9.1, 10.0, 10.1, 11.4, 12.7, 14.2, 9.7, 9.4, 10.6, 9.6, 7.9, 7.8, 7.4, 7.0,
     6.8, 6.9, 6.7, 6.0, 2.2]
)  # fmt: skip
_REGIONS = ("east", "central", "west")


def expected_moments() -> dict[str, dict[str, object]]:
    """Calibration targets, each with the band the synthetic data must fall in and its source.

    002 Table 1 (N = 360, 2009–2020): TAX = tax_revenue/gdp (mean 0.0812, sd 0.0294);
    consumption ("CPI" in the table) = retail_sales/gdp (0.376, 0.0661); FDI =
    fdi_usd·rmb_per_usd/(gdp·1e8) (0.0201, 0.0159); Internet, a log count, here ln
    broadband_subscribers (7.045, 1.037); SL sd 0.129. Table 1's Vag (mean 0.0307), GDP
    (12,509) and R&D (29.11) cannot come from the formulas the paper states (Vag ≈ LQ ≈ 1
    with distances in km) and are not targets; nor is SL's mean (0.226, min 0.067 > 0),
    which relative growth cannot reach for every province. Paper 004 reports no descriptive
    table: its targets are yearbook orders of magnitude (Internet users per 100 residents 2016
    ≈ 53; exports 2020 ≈ 2.59e12 USD; GDP 2020 ≈ 1.016e6 × 100 million RMB). Bands are wide:
    the data are calibrated, not fitted.
    """
    t1 = "002 Table 1 (2009-2020)"
    yb = "China Statistical Yearbook (approximate)"
    return {
        "tax_ratio_mean": {"target": 0.0812, "band": (0.06, 0.10), "source": t1},
        "tax_ratio_sd": {"target": 0.0294, "band": (0.015, 0.045), "source": t1},
        "consumption_ratio_mean": {"target": 0.376, "band": (0.32, 0.43), "source": t1},
        "consumption_ratio_sd": {"target": 0.0661, "band": (0.035, 0.10), "source": t1},
        "fdi_ratio_mean": {"target": 0.0201, "band": (0.010, 0.030), "source": t1},
        "fdi_ratio_sd": {"target": 0.0159, "band": (0.008, 0.030), "source": t1},
        "ln_broadband_mean": {"target": 7.045, "band": (5.8, 7.6), "source": t1},
        "ln_broadband_sd": {"target": 1.037, "band": (0.7, 1.4), "source": t1},
        "sl_sd": {"target": 0.129, "band": (0.08, 0.20), "source": t1},
        "internet_penetration_2016": {"target": 53.2, "band": (40.0, 65.0), "source": yb},
        "exports_2020_usd": {"target": 2.59e12, "band": (2.3e12, 2.9e12), "source": yb},
        "gdp_2020": {"target": 1.016e6, "band": (6e5, 1.6e6), "source": yb},
    }


def generate_province_tables(
    rng: np.random.Generator,
    provinces: pd.DataFrame | pl.DataFrame,
    hs4_codes: Sequence[str],
    *,
    years: Sequence[int] = ALL_YEARS,
    effects: PlantedEffects | None = None,
) -> tuple[dict[str, pl.DataFrame], dict[str, dict[str, object]]]:
    """Generate ``province_panel``, ``province_exports`` and ``national_series``, and the truth.

    ``provinces`` has columns ``province_code`` (any ≥ 5 of the 30 codes of the papers),
    ``lat``, ``lon`` (capitals, degrees), ``region`` (east/central/west) and ``coastal``, as
    :func:`vagg.data.geography.provinces` returns; ``hs4_codes`` are the HS4 headings of the
    manufacturing exports. The economy is always drawn for 2000–2020 (a given ``rng`` state
    gives the same economy) and then cut to ``years``, a contiguous range inside 2000–2020.
    Returns the validated polars tables and the truth ``{name: {value, kind, study,
    definition, table}}``: ``kind`` "estimate" (the estimate's 95 % interval should cover
    ``value``) or "sign" (``value`` is ±1, the sign the estimate should have).
    """
    fx = effects if effects is not None else PlantedEffects()
    codes, lat, lon, region, coastal = _check_provinces(provinces)
    hs4 = _check_hs4(hs4_codes)
    first, last = _check_years(years)
    a = np.array([_ANCHORS[c] for c in codes], dtype=float)
    nat = np.array([_NATIONAL[y] for y in ALL_YEARS], dtype=float)
    n, nt = len(codes), len(ALL_YEARS)
    t = np.arange(nt, dtype=float)
    dist = np.asarray(geography.great_circle_km(lat[:, None], lon[:, None], lat, lon))
    east, west = region == "east", region == "west"

    def walk(sd: float, phi: float = 1.0) -> Array:
        """Province AR(1) paths (a random walk when phi = 1) that start at 0 in 2000."""
        shocks = rng.normal(0.0, sd, (n, nt))
        path = np.zeros((n, nt))
        for k in range(1, nt):
            path[:, k] = phi * path[:, k - 1] + shocks[:, k]
        return path

    # --- population, a primitive income path (not realised GDP), labour, ICT employment
    pop = a[:, 0, None] * np.exp(np.log(a[:, 1] / a[:, 0])[:, None] * t / 20 + walk(0.003))
    pc0, pc20 = a[:, 2] * 1e4 / a[:, 0], a[:, 3] * 1e4 / a[:, 1]
    ln_income = np.log(pc0)[:, None] + np.log(pc20 / pc0)[:, None] * t / 20
    rel_income = ln_income - ln_income.mean(axis=0)
    employment = pop * 0.57 * np.exp(rng.normal(0, 0.05, (n, 1)) + walk(0.01, 0.9))
    urban_share = np.clip(0.16 * np.exp(0.5 * rel_income + rng.normal(0, 0.15, (n, 1))), 0, 0.7)
    urban_emp = employment * urban_share * 1.42 ** (t / 20)
    ict_lq = np.exp(np.log(a[:, 7])[:, None] + rng.normal(0, 0.01, (n, 1)) * t + walk(0.04, 0.8))
    ict_emp = urban_emp * 0.010 * 2.9 ** (t / 20) * ict_lq
    vag = _virtual_agglomeration(ict_emp, urban_emp, dist)

    # --- social, fiscal and openness ratios (primitives, never functions of realised GDP)
    logit_urban = -0.575 + 1.2 * (np.log(pc0) - np.log(7858)) + rng.normal(0, 0.2, n)
    urban = 100 / (1 + np.exp(-(logit_urban[:, None] + 0.0575 * t + walk(0.02, 0.8))))
    school = 7.6 + 1.5 * rel_income[:, :1] + rng.normal(0, 0.3, (n, 1)) + 0.115 * t
    school = school + walk(0.05, 0.5)
    gov = 0.12 * np.exp(-0.5 * rel_income[:, :1] + rng.normal(0, 0.2, (n, 1)) + 0.04 * t)
    gov = gov * np.exp(walk(0.03, 0.8))
    tax = 0.07 * np.exp(0.6 * rel_income + rng.normal(0, 0.15, (n, 1)) + walk(0.03, 0.8))
    tax = tax * np.exp(0.012 * np.minimum(t, 13) - 0.01 * np.maximum(t - 13, 0))
    cons = 0.38 * np.exp(rng.normal(0, 0.15, (n, 1)) + walk(0.03, 0.85))
    fdi = np.where(coastal, 0.07, 0.018)[:, None] * np.exp(rng.normal(0, 0.35, (n, 1)))
    fdi = fdi * np.exp(-0.055 * t + walk(0.12, 0.7))
    innovation = np.exp(  # R&D / GDP, percent
        np.log(a[:, 8])[:, None] + np.log(a[:, 9] / a[:, 8])[:, None] * t / 20 + walk(0.04, 0.8)
    )
    invest_factor = np.select([east, west], [0.85, 1.25], 1.05) * np.exp(rng.normal(0, 0.1, n))
    invest_ratio = nat[:, 5] * invest_factor[:, None] * np.exp(walk(0.03, 0.8))
    deflator = _index_2000(nat[:, 3])
    prov_deflator = deflator * np.exp(walk(0.008))
    fai_price = _index_2000(nat[:, 4]) * np.exp(walk(0.008))

    # --- Internet: a province's place among three development tiers (leaders richer and
    # eastern); it shows in Internet penetration and mobile capacity until 2009 and in postal
    # (parcel) volume and optical cable from 2010, when the other pair varies independently
    # its own stream (a jump ahead of the main one), while the main stream advances by a fixed
    # block, so the other primitives do not depend on how this block draws
    net = np.random.Generator(rng.bit_generator.jumped())  # type: ignore[attr-defined]
    for shape in (n, n, (n, 1), (n, nt), (n, nt), (n, nt), (n, nt)):
        rng.standard_normal(shape)
    lead = _internet_lead(net, rel_income[:, 4] + 0.3 * east - 0.3 * west, nt, fx.internet_tier_sd)
    first_era = _YEARS < INTERNET_SWITCH

    def indicator(level: Array, active: Array) -> Array:
        """level_t·(1 + κ·lead_it) in the years where the indicator carries the lead, else
        level_t·(1 + κ·v_it): v_it a province's own uniform draw (variance 1) plus a small
        AR(1) drift, independent of everything else."""
        other = net.uniform(-np.sqrt(3.0), np.sqrt(3.0), (n, 1)) + _ar1(net, n, nt, 0.7, 0.1)
        return level[None, :] * (1 + INTERNET_SPREAD * np.where(active[None, :], lead, other))

    # national paths; growth slows after 2016, past the paper's window
    years_2004 = np.minimum(_YEARS - 2004.0, 12) + 0.3 * np.maximum(_YEARS - 2016.0, 0)
    penetration_path = 85 / (1 + np.exp(-0.2304 * (_YEARS - 2013.8)))  # 8 % 2004, 53 % 2016
    penetration = np.clip(indicator(penetration_path, first_era), 0.1, 99.0)  # binds after 2016
    mobile = indicator(1700 * np.exp(0.14 * years_2004), first_era)
    postal = indicator(19 * np.exp(0.18 * years_2004), ~first_era)
    cable = indicator(1.2e5 * np.exp(0.165 * years_2004), ~first_era)
    broadband = (
        pop
        * 1.1
        * (penetration_path / 100) ** 1.5
        * np.exp(fx.broadband_on_lead * lead + net.normal(0.0, fx.broadband_noise_sd, (n, nt)))
    )
    inter = _equal_weight_internet_index([postal, penetration, cable, mobile])

    # --- shocks: AR(1) in time, spatial error A = I − λW with W row-standardised contiguity
    spread = np.linalg.inv(np.eye(n) - fx.spatial_lambda * _contiguity_weights(codes, dist))
    u_met = spread @ _ar1(rng, n, nt, fx.persistence, fx.met_noise_sd)
    u_allo = spread @ _ar1(rng, n, nt, fx.persistence, fx.allo_noise_sd)

    # --- production: TFP (= ALLO up to a province constant), PIM capital, GDP
    controls = np.stack([urban / 100, gov, school, fdi])  # URBAN, GOV, LAB, OPEN
    ln_tfp = (
        np.concatenate([[0.0], np.cumsum(0.6 * _REAL_GROWTH[1:] / 100 - 0.05)])
        + fx.inter_on_allo * inter
        + np.tensordot(np.asarray(fx.allo_controls), controls, axes=1)
        + u_allo
    )
    y0 = a[:, 2]
    ln_tfp, real_gdp, capital = _steady_state_start(
        y0, ln_tfp, employment, invest_ratio, prov_deflator / fai_price
    )
    gdp = real_gdp * prov_deflator / 100
    growth_2000 = 1 + _REAL_GROWTH[0] / 100 + rng.normal(0, 0.01, n)
    gdp_index = 100 * np.column_stack([growth_2000, real_gdp[:, 1:] / real_gdp[:, :-1]])
    pgdp = gdp * 1e8 / (pop * 1e4)
    wage = 9371 * 10.39 ** (t / 20) * (pgdp / pgdp.mean(axis=0)) ** 0.5 * np.exp(walk(0.02, 0.8))
    rate = nat[:, 1]

    # --- 002: province exports whose relative growth carries the planted moderation
    planted_sl = (
        fx.vag * vag
        + fx.innovation * innovation
        + fx.vag_x_innovation * vag * innovation
        + fx.pgdp * pgdp / 1e4
        + fx.tax * tax
        + fx.consumption * cons
        + fx.fdi * fdi
    )
    exports, national_exports = _province_exports(rng, a, nat, planted_sl, fx.sl_noise_sd)
    manufacturing = exports * np.clip(0.93 * np.exp(rng.normal(0, 0.04, (n, 1))), 0.7, 0.99)

    # --- 004: planted ln EXPY; province effects absorb the drivers' province means
    drivers = (
        fx.inter_on_met_direct * inter
        + fx.allo_on_met * ln_tfp
        + np.tensordot(np.asarray(fx.met_controls), controls, axes=1)
    )
    level = 0.6 * rel_income[:, 10] + 0.05 * coastal + rng.normal(0, 0.05, n)  # 2010 income
    ln_met = (level - drivers.mean(axis=1))[:, None] + drivers + u_met
    shares = solve_baskets(rng, ln_met, pgdp, np.log(a[:, 4]), len(hs4))

    columns = {
        "gdp": gdp,
        "gdp_index": gdp_index,
        "gdp_per_capita": pgdp,
        "population": pop,
        "urbanisation_rate": urban,
        "employment_total": employment,
        "urban_unit_employment": urban_emp,
        "ict_employment": ict_emp,
        "average_wage": wage,
        "schooling_years": school,
        "fixed_asset_investment": invest_ratio * gdp,
        "fai_price_index": fai_price,
        "capital_stock": capital,
        "tax_revenue": tax * gdp,
        "government_expenditure": gov * gdp,
        "retail_sales": cons * gdp,
        "exports_usd": exports,
        "fdi_usd": fdi * gdp * 1e8 / rate,
        "rd_expenditure": innovation / 100 * gdp,
        "rd_personnel": innovation / 100 * gdp * 1e8 / (4.5 * wage) / 1e4,
        "postal_volume": postal,
        "internet_penetration": penetration,
        "optical_cable_km": cable,
        "mobile_switch_capacity": mobile,
        "broadband_subscribers": broadband,
    }
    panel = pd.DataFrame(
        {"province_code": np.repeat(codes, nt), "year": np.tile(_YEARS, n)}
        | {name: values.ravel() for name, values in columns.items()}
    )
    stacked = np.stack(shares)  # years × provinces × products
    k_idx, i_idx, h_idx = np.nonzero(stacked > 0)
    flows = pd.DataFrame(
        {
            "province_code": codes[i_idx],
            "hs4": hs4[h_idx],
            "year": _YEARS[k_idx],
            "export_value_usd": manufacturing[i_idx, k_idx] * stacked[k_idx, i_idx, h_idx],
        }
    )
    national = pd.DataFrame(
        {
            "year": _YEARS,
            "exports_usd": national_exports,
            "rmb_per_usd": rate,
            "cpi": _index_2000(nat[:, 2]),
            "gdp_deflator": deflator,
            "internet_investment": nat[:, 6],
        }
    )
    tables = {
        schema.name: validate(frame[frame["year"].between(first, last)].reset_index(drop=True),
                              schema, allow_extra=False)
        for schema, frame in ((PROVINCE_PANEL, panel), (PROVINCE_EXPORTS, flows),
                              (NATIONAL_SERIES, national))
    }  # fmt: skip
    in_sl = (_YEARS >= max(first, RESILIENCE_WINDOW[0])) & (_YEARS <= last)
    innovation_mean = float(innovation[:, in_sl].mean()) if in_sl.any() else float("nan")
    truth = province_truth(fx, innovation_mean)
    if in_sl.any():  # 002 Table 2: projections of the planted SL (provinces_002)
        ctl = {"pgdp": pgdp / 1e4, "tax": tax, "cons": cons, "fdi": fdi}
        truth |= baseline_estimands(
            planted_sl[:, in_sl],
            vag[:, in_sl],
            {k: v[:, in_sl] for k, v in ctl.items()},
            str(truth["sl_vag"]["definition"]),
        )
        if in_sl.argmax() > 0:  # Tables 3–4: no year dummies, so the year constant matters
            truth |= pooled_estimands(planted_sl, exports, in_sl, vag, innovation, ctl,
                                      str(truth["sl_vag"]["definition"]))  # fmt: skip
    return tables, truth


# ---------------------------------------------------------------------------------------------
# measures the truth is defined on, computed here from the generated raw series


def _virtual_agglomeration(ict: Array, total: Array, dist: Array) -> Array:
    """002 §3.2.2: Vag_it = Σ_j LQ_jt·w_ij, w_ii = 1, w_ij = 1/d_ij (km).

    LQ_jt = (VS_jt/X_jt)/(VS_t/X_t) with VS ICT and X urban-unit employment; the national
    totals VS_t, X_t are the sums over the provinces given (methods note §3.1).
    """
    lq = (ict / total) / (ict.sum(axis=0) / total.sum(axis=0))
    off_diagonal = ~np.eye(len(dist), dtype=bool)
    weights = np.eye(len(dist))
    weights[off_diagonal] = 1.0 / dist[off_diagonal]
    return weights @ lq


def _equal_weight_internet_index(indicators: list[Array]) -> Array:
    """004 eq. (14), (15), (19) with a_j = ½: INTER = Σ_j ½·[(x_j − min_j)/(max_j − min_j) + 0.01].

    min_j and max_j are taken over the pooled provinces × 2004–2016 panel; the same affine map
    applies to the other years (values below 0.02 before 2004 are possible).
    """
    window = (_YEARS >= INTERNET_WINDOW[0]) & (_YEARS <= INTERNET_WINDOW[1])
    index = np.zeros_like(indicators[0])
    for x in indicators:
        lo, hi = x[:, window].min(), x[:, window].max()
        index += 0.5 * ((x - lo) / (hi - lo) + PP_SHIFT)
    return index


def _internet_lead(rng: np.random.Generator, score: Array, nt: int, within_sd: float) -> Array:
    """The provinces' Internet lead: three tiers, standardised within each year.

    The provinces are split into thirds by ``score`` (income and region plus noise): tier −1,
    0 or +1. ``lead_it = (tier_i + within_sd·ε_it − mean_t)/sd_t`` (mean and population sd
    over the provinces of year t), so each year's lead has mean 0 and variance 1; a small
    ``within_sd`` keeps the tiers as three tight clusters.
    """
    n = len(score)
    noisy = score + rng.normal(0.0, 0.2, n)
    tier = np.floor(3 * np.argsort(np.argsort(noisy)) / n) - 1.0
    lead = tier[:, None] + within_sd * rng.normal(0.0, 1.0, (n, nt))
    return (lead - lead.mean(axis=0)) / lead.std(axis=0)


def _contiguity_weights(codes: Array, dist: Array) -> Array:
    """Row-standardised queen contiguity among ``codes``; an isolated one joins its nearest."""
    c = geography.contiguity_matrix().loc[list(codes), list(codes)].to_numpy(dtype=float, copy=True)
    for i in np.flatnonzero(c.sum(axis=1) == 0):
        j = int(np.argmin(np.where(np.arange(len(codes)) == i, np.inf, dist[i])))
        c[i, j] = c[j, i] = 1.0
    return c / c.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------------------------
# primitives


def _index_2000(growth_percent: Array) -> Array:
    """A price index with 2000 = 100 from annual growth rates (the 2000 rate is unused)."""
    return 100 * np.cumprod(np.r_[1.0, 1 + growth_percent[1:] / 100])


def _ar1(rng: np.random.Generator, n: int, nt: int, phi: float, sd: float) -> Array:
    """Stationary-start AR(1) shocks e_t = φ e_{t−1} + η_t, η ~ N(0, sd²), per province."""
    eta = rng.normal(0.0, sd, (n, nt))
    e = np.empty((n, nt))
    e[:, 0] = eta[:, 0] / np.sqrt(1 - phi**2)
    for k in range(1, nt):
        e[:, k] = phi * e[:, k - 1] + eta[:, k]
    return e


def _steady_state_start(
    y0: Array, ln_tfp: Array, labour: Array, invest_ratio: Array, price_ratio: Array
) -> tuple[Array, Array, Array]:
    """TFP (with its province constant), real GDP and capital from a steady-state 2000 stock.

    Before 2000 a province's real investment is taken to have grown at its own average rate
    g_i of 2000–2020, so K_2000 = I_2000/(g_i + δ) with g_i = (I_2020/I_2000)^(1/20) − 1 —
    the perpetual-inventory start of Harberger (1978) that paper 004's capital uses (spec 004
    §1.2). I_t depends on K through GDP, so K_2000 is a fixed point, found by iteration (the
    first guess uses g = ``INITIAL_CAPITAL_GROWTH``). The province constant of ln TFP makes the
    2000 GDP, capital and labour match the anchors. A measured ALLO whose capital starts in
    2000 by that convention then equals the latent ln TFP up to a province constant.
    """
    k0 = invest_ratio[:, 0] * y0 / (INITIAL_CAPITAL_GROWTH + DEPRECIATION)
    for _ in range(_START_ITERATIONS):
        tfp = (
            ln_tfp
            + (
                np.log(y0)
                - CAPITAL_SHARE * np.log(k0)
                - (1 - CAPITAL_SHARE) * np.log(labour[:, 0])
                - ln_tfp[:, 0]
            )[:, None]
        )
        real_gdp, capital = _production(y0, k0, tfp, labour, invest_ratio, price_ratio)
        invest = invest_ratio * price_ratio * real_gdp
        growth = (invest[:, -1] / invest[:, 0]) ** (1 / (invest.shape[1] - 1)) - 1
        k_next = invest[:, 0] / (growth + DEPRECIATION)
        if np.max(np.abs(np.log(k_next / k0))) < 1e-12:
            break
        k0 = k_next
    return tfp, real_gdp, capital


def _production(
    y0: Array, k0: Array, ln_tfp: Array, labour: Array, invest_ratio: Array, price_ratio: Array
) -> tuple[Array, Array]:
    """Real GDP (2000 prices) and capital: Y = A·K^α·L^(1−α), K_t = (1−δ)K_{t−1} + I_t.

    Real investment I_t = (FAI/GDP)_t·Y_t·P_Y/P_I, so K_t solves a fixed point each year.
    """
    real_gdp, capital = np.empty_like(ln_tfp), np.empty_like(ln_tfp)
    real_gdp[:, 0], capital[:, 0] = y0, k0
    tfp_labour = np.exp(ln_tfp) * labour ** (1 - CAPITAL_SHARE)
    for k in range(1, ln_tfp.shape[1]):
        kk = capital[:, k - 1]
        for _ in range(40):  # a contraction: s·α·Y/K < 0.2
            kk = (1 - DEPRECIATION) * capital[:, k - 1] + (
                invest_ratio[:, k] * price_ratio[:, k] * tfp_labour[:, k] * kk**CAPITAL_SHARE
            )
        capital[:, k] = kk
        real_gdp[:, k] = tfp_labour[:, k] * kk**CAPITAL_SHARE
    return real_gdp, capital


def _province_exports(
    rng: np.random.Generator, a: Array, nat: Array, planted: Array, sd: float
) -> tuple[Array, Array]:
    """Province exports (USD) and the national total.

    Log growth = a year effect (the national export path) + a relative part: the 2000→2008
    anchors' average growth up to 2008, the planted SL terms from 2009, plus MA(1) shocks
    ε_t − ½ε_{t−1} (sd ×1.8 in 2009, ×1.5 in 2020). The national total adds ≈0.8 % for
    Tibet and unallocated exports.
    """
    n, nt = planted.shape
    drift = np.log(a[:, 5] / a[:, 4])[:, None] / 8 * np.ones((1, nt))
    rel = np.where(_YEARS >= RESILIENCE_WINDOW[0], planted, drift)
    scale = sd * np.where(_YEARS == 2009, 1.8, np.where(_YEARS == 2020, 1.5, 1.0))
    shock = rng.normal(0, 1, (n, nt)) * scale
    rel[:, 1:] += shock[:, 1:] - 0.5 * shock[:, :-1]
    exports = np.empty((n, nt))
    exports[:, 0] = a[:, 4] * 1e8 * np.exp(rng.normal(0, 0.05, n))
    path = nat[:, 0] / nat[0, 0]
    for k in range(1, nt):
        step = exports[:, k - 1] * np.exp(rel[:, k])
        exports[:, k] = step * (exports[:, 0].sum() * path[k] / step.sum())
    return exports, exports.sum(axis=0) * (1 + 0.008 * np.exp(rng.normal(0, 0.1, nt)))


# ---------------------------------------------------------------------------------------------
# input checks


def _check_provinces(provinces: pd.DataFrame | pl.DataFrame) -> tuple[Array, ...]:
    df = provinces.to_pandas() if isinstance(provinces, pl.DataFrame) else provinces
    missing = [c for c in ("province_code", "lat", "lon", "region", "coastal") if c not in df]
    if missing:
        raise ValueError(f"argument 'provinces': missing column(s) {missing}")
    codes = df["province_code"].astype(str).to_numpy()
    unknown = [i for i, c in enumerate(codes) if c not in _ANCHORS]
    if unknown:
        raise ValueError(
            f"argument 'provinces', column 'province_code': rows {unknown[:5]} hold codes "
            f"{codes[unknown[:5]].tolist()} outside the 30 provinces of the papers"
        )
    if len(set(codes)) != len(codes) or len(codes) < 5:
        raise ValueError("argument 'provinces': need at least 5 distinct province codes")
    region = df["region"].astype(str).str.lower().to_numpy()
    bad = np.flatnonzero(~np.isin(region, _REGIONS))
    if bad.size:
        raise ValueError(
            f"argument 'provinces', column 'region': rows {bad[:5].tolist()} are not one of "
            f"{_REGIONS}"
        )
    lat, lon = df["lat"].to_numpy(dtype=float), df["lon"].to_numpy(dtype=float)
    return codes, lat, lon, region, df["coastal"].to_numpy(dtype=bool)


def _check_hs4(hs4_codes: Sequence[str]) -> Array:
    codes = list(hs4_codes)
    bad = [i for i, c in enumerate(codes) if not (isinstance(c, str) and len(c) == 4
                                                  and c.isdigit())]  # fmt: skip
    if bad:
        raise ValueError(
            f"argument 'hs4_codes': positions {bad[:5]} are not 4-digit strings "
            f"(e.g. {[codes[i] for i in bad[:3]]!r})"
        )
    if len(codes) < 10 or len(set(codes)) != len(codes):
        raise ValueError("argument 'hs4_codes': need at least 10 distinct HS4 codes")
    return np.asarray(codes, dtype=object)


def _check_years(years: Sequence[int]) -> tuple[int, int]:
    ys = sorted(int(y) for y in years)
    if (
        not ys
        or ys[0] < ALL_YEARS[0]
        or ys[-1] > ALL_YEARS[-1]
        or ys != list(range(ys[0], ys[-1] + 1))
    ):
        raise ValueError(
            f"argument 'years': need a contiguous range inside 2000–2020, got {ys[:4]}…"
        )
    return ys[0], ys[-1]
