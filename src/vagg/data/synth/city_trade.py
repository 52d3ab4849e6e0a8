"""The synthetic economy of paper 001 (``quality_cities``): cities, customs lines, census.

Everything is drawn from primitives with numpy; nothing here calls :mod:`vagg.measures`.

* **Cities** (the real provinces, synthetic prefecture cities, :func:`make_cities`), with
  centre (capitals and municipalities) and NBS east / central / west regions.
* **2004 census** output by city × CIC4 (real CIC 2002 two-digit groups mapped to the OECD
  IOT 2021 sectors by vagg's classification rules); each city tilts its structure toward
  digitally intensive sectors by a latent ``tilt_c``.
* **Shifts**: China's real digital-service direct-consumption coefficients Virtual_st
  (J61 + J62T63, OECD IOT 2021, 2005–2015), shipped as ``digital_shifts_chn_2005_2015.csv``.
  The city's latent digital penetration is 100 · Σ_s share_cs · Virtual_st.
* **1984 telephones and post offices** rise with the city's exposure to the growth of the
  shifts; the national internet-investment series grows with the mean shift. So
  Tel_c,1984 × NetInv_t predicts penetration within city and year.
* **Customs lines** firm × HS6 × destination × year, 2005–2015, in the CES demand of KSW
  (2013): ln q = −σ_h ln p + (σ_h − 1) ln λ + δ_ft + α_h + γ ln GDP_pt, with
  ln p = μ_h + c_ght + κ e_hgft + v (c_ght a firm-product-year cost shock common to the
  destinations, which makes the other-destination price a valid instrument). Quality
  ln λ_hgft = a_h + θ_gh + b · pen_ct + γ'controls_ct + u_c + w_t + e_hgft.
* **Planted effects on primitives**: penetration raises every product's quality (b) and
  reallocates: entrants' θ rises with penetration, low-θ products exit more when penetration
  is high.
* Yearbook controls (Table 1 moments), road area, population, secondary employment, eight
  CPI categories; government work reports (Chinese) whose digital vocabulary rises with
  penetration; provincial real GDP.

The truth (:func:`population_truth` in :mod:`vagg.data.synth.city_trade_truth`) is computed
from the latent ln λ, never from the measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vagg.data import geography
from vagg.data.cic_isic import cic_to_isic, isic_to_iot2021
from vagg.data.schemas import CPI_CATEGORIES
from vagg.data.shipped import read_resource
from vagg.data.synth.cities import make_cities
from vagg.data.synth.config import SCALES, stream

__all__ = [
    "CONTROL_EFFECTS",
    "CPI_NAMES",
    "LOCATION_EFFECTS",
    "PLANT",
    "QC_YEARS",
    "SIZES",
    "QualityCitiesEconomy",
    "QualityCitiesSize",
    "distinct_draws",
    "firm_panel",
    "generate_quality_cities",
    "real_shifts",
]

QC_YEARS = tuple(range(2005, 2016))
CPI_NAMES = CPI_CATEGORIES
_EAST = {"11", "12", "13", "21", "31", "32", "33", "35", "37", "44", "46"}
_MID = {"14", "22", "23", "34", "36", "41", "42", "43"}
#: planted structural parameters
PLANT: dict[str, float] = {
    "b_pen": 1.8,  # effect of penetration (×100 units) on ln λ
    "sd_theta": 0.7,
    "sd_e": 0.45,
    "kappa": 0.4,  # price loading on the destination-specific quality
    "gamma_gdp": 0.5,
    "processing_mult": 0.3,  # processing-trade products gain 30% of the quality effect
    "lnitff_pen": 0.4,  # slope of ln(road area / population) on penetration
    "entry_pen": 0.8,  # entrants' θ per unit of penetration above its mean
    "exit_theta": 0.6,  # exit hazard falls with θ, more when penetration is high
    "product_concentration": 9.0,  # power a of the city's product ranks (see _cells)
}
#: penetration effect multipliers by location (Table 6): centre, east, mid, west
LOCATION_EFFECTS: dict[str, float] = {"centre": -0.13, "east": -0.12, "mid": 0.12, "west": 0.06}
#: planted effects of the controls on the hs4 scale (Table 2 col. 4 signs), ×5.5 on ln λ
CONTROL_EFFECTS: dict[str, float] = {
    "sci": 3.87,
    "open": 0.0056,
    "fixinv": 0.0092,
    "fdi": -0.0897,
    "dlp": -0.019,
}


@dataclass(frozen=True)
class QualityCitiesSize:
    """Sizes of the paper-001 economy: firm-products, HS6 products, destinations."""

    firm_products: int
    hs6: int
    partners: int
    industries_per_city: int


SIZES = {
    "tiny": QualityCitiesSize(1_500, 24, 6, 12),
    "small": QualityCitiesSize(20_000, 160, 12, 25),
    "paper": QualityCitiesSize(400_000, 3_000, 40, 60),
}


@dataclass
class QualityCitiesEconomy:
    """The generated tables (pandas) and the latent cell quality."""

    tables: dict[str, pd.DataFrame]
    latent: pd.DataFrame  # cell key + ln_lambda + value_usd + hs4 + city_code
    city_year: pd.DataFrame  # city_code, year, pen (latent penetration), controls


def real_shifts() -> pd.DataFrame:
    """China's digital-service shifts 2005–2015 (OECD IOT 2021, J61 + J62T63 coefficient sum
    ``virtual`` and input ``data_input``, million USD), derived once with
    :func:`vagg.data.oecd_io.digital_shifts` (``trade_split=0``) and shipped."""
    frame = read_resource("digital_shifts_chn_2005_2015.csv")
    for col in ("virtual", "data_input", "output"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame["year"] = frame["year"].astype(int)
    return frame


def _cic_codes() -> pd.DataFrame:
    codes = [f"{c2}{k}{j}" for c2 in range(13, 43) if c2 != 38 for k in (1, 2) for j in (1, 2)]
    sectors = isic_to_iot2021(cic_to_isic(codes))
    return pd.DataFrame({"cic4": codes, "sector": sectors})


def _census(
    rng: np.random.Generator, cities: pd.DataFrame, size: QualityCitiesSize, shifts: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    cic = _cic_codes()
    growth = shifts.pivot(index="sector", columns="year", values="virtual")
    g = (growth[2015] - growth[2005]).reindex(cic["sector"]).fillna(0).to_numpy()
    g = (g - g.mean()) / g.std()
    tilt = rng.normal(0, 1, len(cities))
    rows = []
    for i, city in enumerate(cities["city_code"]):
        pick = rng.choice(len(cic), size.industries_per_city, replace=False)
        out = np.exp(rng.normal(8, 1.2, len(pick)) + 0.9 * tilt[i] * g[pick])
        rows.append(
            pd.DataFrame(
                {
                    "city_code": city,
                    "cic4": cic["cic4"].to_numpy()[pick],
                    "output": out,
                    "employment": np.maximum(10, out / 50).astype(np.int64),
                }
            )
        )
    return pd.concat(rows, ignore_index=True), tilt


def _penetration(census: pd.DataFrame, shifts: pd.DataFrame) -> pd.DataFrame:
    sector = dict(zip(_cic_codes()["cic4"], _cic_codes()["sector"], strict=True))
    c = census.assign(sector=census["cic4"].map(sector))
    c = c.groupby(["city_code", "sector"], as_index=False)["output"].sum()
    c["share"] = c["output"] / c.groupby("city_code")["output"].transform("sum")
    m = c.merge(shifts[["year", "sector", "virtual"]], on="sector")
    m["part"] = 100.0 * m["share"] * m["virtual"]
    return (
        m.groupby(["city_code", "year"], as_index=False)["part"]
        .sum()
        .rename(columns={"part": "pen"})
    )


def _controls(rng: np.random.Generator, cy: pd.DataFrame) -> pd.DataFrame:
    n = len(cy)
    city_fx = cy.groupby("city_code").ngroup().to_numpy()
    cfx = rng.normal(0, 1, city_fx.max() + 1)[city_fx]
    out = cy.copy()
    out["fdi"] = np.clip(0.031 + 0.02 * cfx * 0.6 + rng.normal(0, 0.018, n), 0, 0.376)
    out["open"] = np.clip(np.exp(rng.normal(-1.4, 0.9, n) + 0.5 * cfx), 0, 8.1)
    out["fisc"] = np.clip(0.103 + rng.normal(0, 0.05, n), 0.028, 1.4)
    out["dlp"] = np.clip(0.392 + rng.normal(0, 0.06, n), 0.13, 0.85)
    out["sci"] = np.clip(0.002 + rng.normal(0, 0.0015, n) + 0.0007 * cfx, 0, 0.041)
    out["edu"] = np.clip(0.024 + rng.normal(0, 0.02, n) + 0.01 * cfx, 0, 0.129)
    out["wage"] = 9.6 + 0.09 * (out["year"] - 2005) + rng.normal(0, 0.25, n) + 0.1 * cfx
    out["gdp"] = 9.6 + 0.1 * (out["year"] - 2005) + rng.normal(0, 0.4, n) + 0.3 * cfx
    out["fixinv"] = np.clip(0.594 + rng.normal(0, 0.2, n), 0.087, 2.1)
    pop = np.exp(rng.normal(5.8, 0.6, city_fx.max() + 1))[city_fx]
    out["population"] = pop * (1 + 0.01 * (out["year"] - 2005))
    out["road_area"] = pop * np.exp(0.5 + PLANT["lnitff_pen"] * out["pen"] + rng.normal(0, 0.1, n))
    share2 = np.clip(0.45 + 0.05 * cfx + rng.normal(0, 0.03, n), 0.1, 0.8)
    out["employment"] = pop * 0.3
    out["secondary_employment"] = out["employment"] * share2
    for k, name in enumerate(CPI_NAMES):
        out[f"cpi_{name}"] = (
            100
            + 2
            + k * 0.2
            + rng.normal(0, 1, n) * np.clip(1.5 - 0.8 * (out["pen"] - 0.5), 0.2, 3.0)
        )
    return out


def distinct_draws(rng: np.random.Generator, population: int, k: np.ndarray) -> np.ndarray:
    """For each row i, ``k[i]`` distinct integers drawn uniformly from 0..population−1 without
    replacement, concatenated row after row (vectorised over rows).

    Sequential sampling: the j-th draw is uniform on the population−j values not drawn yet,
    r ~ U{0..population−j−1} mapped to the r-th unused value by stepping over the earlier
    draws in ascending order (each earlier draw s ≤ r shifts r by one).
    """
    k = np.asarray(k, np.int64)
    if len(k) == 0:
        return np.zeros(0, np.int64)
    kmax = int(k.max())
    if kmax > population:
        raise ValueError(f"cannot draw {kmax} distinct values from {population}")
    out = np.empty((len(k), kmax), np.int64)
    drawn = np.empty((len(k), 0), np.int64)
    for j in range(kmax):
        r = rng.integers(0, population - j, len(k))
        for col in range(j):
            r += r >= drawn[:, col]
        out[:, j] = r
        drawn = np.sort(np.column_stack([drawn, r]), axis=1)
    return out[np.arange(kmax)[None, :] < k[:, None]]


def _cells(
    rng: np.random.Generator,
    size: QualityCitiesSize,
    cities: pd.DataFrame,
    cy: pd.DataFrame,
    sigma: dict[str, float],
) -> pd.DataFrame:
    """Firm-product spells and their destination-year cells, with latent ln λ."""
    hs3 = sorted(sigma)
    n_h = size.hs6
    hs4 = np.array([f"{hs3[i % len(hs3)]}{(i // len(hs3)) % 10}" for i in range(n_h)])
    hs6 = np.array([f"{h}{i % 100:02d}" for i, h in enumerate(hs4)])
    sig = np.array([sigma[h[:3]] for h in hs6])
    a_h = rng.normal(0, 0.5, n_h)
    mu_h = rng.normal(1.0, 0.8, n_h)
    n_city = len(cities)
    city_w = np.exp(rng.normal(0, 1, n_city))
    city_w /= city_w.sum()
    n = size.firm_products
    firms = max(5, n // 3)
    firm_city = rng.choice(n_city, firms, p=city_w)
    fp_firm = rng.integers(0, firms, n)
    fp_city = firm_city[fp_firm]
    # cities specialise: a firm-product's HS6 is the rank-r product of its city's own
    # ordering (a random offset), r = ⌊n_h · u^a⌋ concentrated on the first ranks (a > 1), so
    # that the city × HS4 × year panel has the paper's size (Table 1: ≈ 0.69 million cells)
    offset = rng.integers(0, n_h, n_city)
    rank = np.floor(n_h * rng.random(n) ** PLANT["product_concentration"]).astype(np.int64)
    fp_h = (offset[fp_city] + rank) % n_h
    start = rng.integers(2003, 2014, n)
    pen = cy.pivot(index="city_code", columns="year", values="pen").loc[cities["city_code"]]
    pen_arr = pen.to_numpy()  # city × year (2005..2015)
    mean_pen = pen_arr.mean()
    pen_start = pen_arr[fp_city, np.clip(start - 2005, 0, 10)]
    theta = rng.normal(0, PLANT["sd_theta"], n) + PLANT["entry_pen"] * (pen_start - mean_pen) * (
        start >= 2005
    )
    n_dest = rng.integers(2, min(size.partners, 5) + 1, n)
    processing = rng.random(n) < 0.35  # processing-trade firm-products (Table 5)
    regime_mult = np.where(processing, PLANT["processing_mult"], 1.0)
    alive = np.ones(n, bool)
    cyx = cy.set_index(["city_code", "year"])
    ctrl = cyx[list(CONTROL_EFFECTS)].to_numpy() @ np.array(list(CONTROL_EFFECTS.values())) * 5.5
    ctrl = pd.Series(ctrl, index=cyx.index)
    ctrl_arr = ctrl.unstack("year").loc[cities["city_code"]].to_numpy()
    u_c = rng.normal(0, 0.3, n_city)
    mult = (
        1.0
        + LOCATION_EFFECTS["centre"] * cities["centre"].to_numpy()
        + cities["region"].map(LOCATION_EFFECTS).to_numpy()
    )
    w_t = rng.normal(0, 0.1, len(QC_YEARS))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("fp", "year", "dest", "ln_lambda", "e")}
    for ti, year in enumerate(QC_YEARS):
        p_t = pen_arr[:, ti]
        hazard = 1 / (
            1 + np.exp(2.2 + PLANT["exit_theta"] * theta * (1 + (p_t[fp_city] - mean_pen)))
        )
        alive &= ~((start < year) & (rng.random(n) < hazard))
        active = np.flatnonzero(alive & (start <= year))
        k = n_dest[active]
        idx = np.repeat(active, k)
        c = fp_city[idx]
        common = (
            a_h[fp_h[idx]]
            + theta[idx]
            + PLANT["b_pen"] * mult[c] * regime_mult[idx] * p_t[c]
            + ctrl_arr[c, ti]
            + u_c[c]
            + w_t[ti]
        )
        e = rng.normal(0, PLANT["sd_e"], len(idx))
        parts["fp"].append(idx.astype(np.int32))
        parts["year"].append(np.full(len(idx), year, np.int16))
        parts["dest"].append(distinct_draws(rng, size.partners, k).astype(np.int16))
        parts["ln_lambda"].append(common + e)
        parts["e"].append(e)
    cells = pd.DataFrame({k: np.concatenate(v) for k, v in parts.items()})
    del parts
    cells["city"] = fp_city[cells["fp"].to_numpy()].astype(np.int32)
    h = fp_h[cells["fp"].to_numpy()]
    cost = rng.normal(0, 0.5, (n, len(QC_YEARS)))
    ln_p = (
        mu_h[h]
        + cost[cells["fp"].to_numpy(), cells["year"].to_numpy() - 2005]
        + PLANT["kappa"] * cells["e"].to_numpy()
        + rng.normal(0, 0.1, len(cells))
    )
    delta = rng.normal(0, 0.5, (size.partners, len(QC_YEARS)))
    ln_q = (
        -sig[h] * ln_p
        + (sig[h] - 1) * cells["ln_lambda"].to_numpy()
        + 3 * a_h[h]
        + 6.0
        + delta[cells["dest"].to_numpy(), cells["year"].to_numpy() - 2005]
    )
    # text columns as categoricals: the paper scale has ≈10⁷ cells
    hs6_id = np.unique(hs6, return_inverse=True)[1]
    cells["hs6"] = pd.Categorical.from_codes(hs6_id[h], categories=np.unique(hs6))
    hs4_id = np.unique(hs4, return_inverse=True)[1]
    cells["hs4"] = pd.Categorical.from_codes(hs4_id[h], categories=np.unique(hs4))
    cells["regime"] = pd.Categorical.from_codes(
        processing[cells["fp"].to_numpy()].astype(np.int8), categories=["10", "14"]
    )
    cells["sigma"] = sig[h]
    cells["quantity"] = np.exp(ln_q)
    cells["value_usd"] = np.exp(ln_q + ln_p)
    firm_codes = np.array([f"F{i:07d}" for i in range(firms)])
    cells["party_id"] = pd.Categorical.from_codes(
        fp_firm[cells["fp"].to_numpy()], categories=firm_codes
    )
    cells["city_code"] = pd.Categorical.from_codes(
        cells["city"].to_numpy(), categories=cities["city_code"].to_numpy()
    )
    partners = np.array([f"P{i:03d}" for i in range(size.partners)])
    cells["partner"] = pd.Categorical.from_codes(cells["dest"].to_numpy(), categories=partners)
    return cells


def generate_quality_cities(scale: str, seed: int) -> QualityCitiesEconomy:
    """Generate the paper-001 economy at ``scale`` ("tiny", "small", "paper") with ``seed``.

    Parameters
    ----------
    scale : str
        Size (:data:`SIZES`; the number of cities follows :data:`vagg.data.synth.config.SCALES`).
    seed : int
        Seed; each component draws from its own named stream.

    Returns
    -------
    QualityCitiesEconomy
        Tables ``qc_cities``, ``qc_census_2004``, ``qc_city_panel``, ``qc_customs``,
        ``qc_national``, ``qc_province_gdp``, ``qc_texts``, ``qc_sigma``, and the latent cells.
    """
    from vagg.data.synth.city_trade_tables import concordance_2007, customs_lines, texts

    if scale not in SIZES:
        raise ValueError(f"unknown scale '{scale}'; choose one of {sorted(SIZES)}")
    size = SIZES[scale]
    provinces = geography.provinces()
    cities = make_cities(stream(seed, "qc_cities"), provinces, SCALES[scale])
    pc = cities["province_code"]
    cities["centre"] = cities["is_capital"].astype(int)
    cities["region"] = np.where(pc.isin(_EAST), "east", np.where(pc.isin(_MID), "mid", "west"))
    shifts = real_shifts()
    census, _tilt = _census(stream(seed, "qc_census"), cities, size, shifts)
    cy = _penetration(census, shifts)
    cy = cy.merge(cities[["city_code", "province_code"]], on="city_code")
    cy = _controls(stream(seed, "qc_controls"), cy).sort_values(["city_code", "year"])
    rng = stream(seed, "qc_hist")
    growth = cy.pivot(index="city_code", columns="year", values="pen").loc[cities["city_code"]]
    expo = (growth[2015] - growth[2005]).to_numpy()
    z = (expo - expo.mean()) / expo.std()
    cities["telephones_1984"] = np.round(np.exp(7 + 0.35 * z + rng.normal(0, 0.6, len(z))))
    cities["post_offices_1984"] = np.round(np.exp(4 + 0.8 * z + rng.normal(0, 0.25, len(z))))
    cities["population_1984"] = np.round(np.exp(rng.normal(5.5, 0.5, len(z))), 1)
    mean_v = shifts.groupby("year")["virtual"].mean()
    national = pd.DataFrame(
        {
            "year": list(QC_YEARS),
            "internet_investment": (
                1000 * mean_v.loc[list(QC_YEARS)].to_numpy() / mean_v.loc[2005]
            ),
        }
    )
    sigma = _sigma(stream(seed, "qc_sigma"))
    prov = cy.groupby(["province_code", "year"], as_index=False)["gdp"].mean()
    prov["gdp_real"] = np.exp(prov.pop("gdp")) * 1e3
    cells = _cells(stream(seed, "qc_customs"), size, cities, cy, sigma)
    # ln real GDP of the cell's province and year, by position (cells["city"] indexes cities)
    gdp = prov.pivot(index="province_code", columns="year", values="gdp_real")
    gdp_by_city = np.log(gdp.loc[cities["province_code"], list(QC_YEARS)].to_numpy())
    ln_gdp = gdp_by_city[cells["city"].to_numpy(), cells["year"].to_numpy() - QC_YEARS[0]]
    cells["ln_gdp"] = ln_gdp
    shift = np.exp(PLANT["gamma_gdp"] * ln_gdp)
    cells["quantity"] *= shift
    cells["value_usd"] *= shift
    tables = {
        "qc_cities": cities,
        "qc_census_2004": census,
        "qc_city_panel": cy.drop(columns="pen"),
        "qc_customs": customs_lines(stream(seed, "qc_lines"), cells),
        "qc_national": national,
        "qc_province_gdp": prov,
        "qc_texts": texts(stream(seed, "qc_texts"), cy),
        "qc_sigma": pd.DataFrame({"hs3": list(sigma), "sigma": list(sigma.values())}),
        "qc_hs_concordance": concordance_2007(cells["hs6"]),
        "qc_hs2002_codes": pd.DataFrame({"hs6": sorted(cells["hs6"].unique())}),
        "qc_hs6_end_use": _end_use(stream(seed, "qc_bec"), cells["hs6"]),
        "qc_firms": firm_panel(stream(seed, "qc_firms"), cells["party_id"].cat.categories),
    }
    return QualityCitiesEconomy(tables, cells, cy)


def firm_panel(rng: np.random.Generator, party_ids: pd.Index) -> pd.DataFrame:
    """The CIE side of the matched CIE–customs sample (Table 4 (4)–(5)), 2005–2013.

    Each firm has a latent size s_f ~ N(0, 1); it is in the survey (above scale) when
    s_f > −0.5 (≈ 69% of firms), in every year 2005–2013 except 5% of firm-years missing at
    random. founded ~ U{1980..2004}; employment = exp(4 + 0.8 s_f + 0.03 (t − 2005) + ε),
    ε ~ N(0, 0.15²); assets = employment · exp(5 + 0.3 s_f + η), η ~ N(0, 0.2²) (thousand
    yuan). The controls are drawn apart from quality: they are regressors of the matched
    sample, with no planted effect of their own.
    """
    years = np.arange(2005, 2014)
    n = len(party_ids)
    size = rng.normal(0, 1, n)
    founded = rng.integers(1980, 2005, n)
    firm = np.repeat(np.arange(n), len(years))
    year = np.tile(years, n)
    keep = (size[firm] > -0.5) & (rng.random(len(firm)) >= 0.05)
    firm, year = firm[keep], year[keep]
    employment = np.exp(
        4 + 0.8 * size[firm] + 0.03 * (year - 2005) + rng.normal(0, 0.15, len(firm))
    )
    assets = employment * np.exp(5 + 0.3 * size[firm] + rng.normal(0, 0.2, len(firm)))
    return pd.DataFrame(
        {
            "party_id": pd.Categorical.from_codes(firm, categories=party_ids),
            "year": year.astype(np.int64),
            "founded": founded[firm].astype(np.int64),
            "employment": np.round(employment).clip(min=1),
            "assets": assets,
        }
    )


def _end_use(rng: np.random.Generator, hs6: pd.Series) -> pd.DataFrame:
    """BEC end use of each synthetic HS6 (intermediate or final, half each; no planted
    difference, as the paper finds none)."""
    codes = sorted(hs6.unique())
    final = rng.random(len(codes)) < 0.5
    return pd.DataFrame({"hs6": codes, "end_use": np.where(final, "final", "intermediate")})


def _sigma(rng: np.random.Generator) -> dict[str, float]:
    """σ by HS3 for manufacturing lines (chapters 39–96), drawn in the range of the capped
    Broda–Greenfield–Weinstein values for China."""
    lines = [f"{c:02d}{d}" for c in range(39, 97) for d in (1, 2)]
    values = np.clip(np.exp(rng.normal(1.2, 0.45, len(lines))) + 1.2, 1.5, 20.0)
    return dict(zip(lines, np.round(values, 3).tolist(), strict=True))
