"""Cities, the 2004 census, city digital exposure, the city-year panel and work reports.

City digital exposure is paper 001's shift-share measure (eq. 22):
vagg_ct = Σ_s output_{s,c,2004}/output_{c,2004} · Virtual_st, with the 2004 shares taken from
``census_2004`` (built from the firm universe of 2004, below-scale firms included) and
Virtual_st the digital-input coefficients of the ICIO tables. The planted quality effect is
defined on exactly this measure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg.data.schemas import CPI_CATEGORIES
from vagg.data.synth.config import FIRST_YEAR, LAST_YEAR, Scale
from vagg.data.synth.names import random_words
from vagg.data.synth.truth import Planted

__all__ = [
    "city_exposure",
    "make_census_2004",
    "make_cities",
    "make_city_panel",
    "make_texts",
]

#: real numbers of prefecture-level units per province, used as relative city counts
_CITY_WEIGHT = {
    "11": 1,
    "12": 1,
    "13": 11,
    "14": 11,
    "15": 12,
    "21": 14,
    "22": 9,
    "23": 13,
    "31": 1,
    "32": 13,
    "33": 11,
    "34": 16,
    "35": 9,
    "36": 11,
    "37": 17,
    "41": 18,
    "42": 13,
    "43": 14,
    "44": 21,
    "45": 14,
    "46": 4,
    "50": 1,
    "51": 21,
    "52": 9,
    "53": 16,
    "61": 10,
    "62": 14,
    "63": 8,
    "64": 5,
    "65": 14,
}


def make_cities(rng: np.random.Generator, provinces: pd.DataFrame, scale: Scale) -> pd.DataFrame:
    """Prefecture cities: the real capital of each province plus synthetic cities around it.

    Codes follow the administrative pattern (province code + two digits + "00"); the
    capital is ``PP0100``. Non-capital names and locations are synthetic (flagged).
    """
    total_weight = sum(_CITY_WEIGHT.values())
    rows = []
    for p in provinces.itertuples(index=False):
        weight = _CITY_WEIGHT.get(p.province_code, 8)
        n = max(1, round(scale.cities_per_province * 30 * weight / total_weight))
        if weight == 1:  # municipalities are one city
            n = 1
        names = random_words(rng, n, 2)
        for i in range(n):
            capital = i == 0
            rows.append(
                {
                    "city_code": f"{p.province_code}{i + 1:02d}00",
                    "province_code": p.province_code,
                    "name_zh": (p.capital_zh if capital else names[i])
                    + ("" if capital and p.capital_zh.endswith("市") else "市"),
                    "name_en": p.capital_en if capital else f"{p.name_en} city {i + 1}",
                    "lat": p.lat + (0.0 if capital else rng.uniform(-1.5, 1.5)),
                    "lon": p.lon + (0.0 if capital else rng.uniform(-1.5, 1.5)),
                    "is_capital": capital,
                    "synthetic_name": not capital,
                }
            )
    cities = pd.DataFrame(rows)
    cities["lat"] = cities["lat"].clip(18.5, 53)
    cities["lon"] = cities["lon"].clip(74, 134)
    # the same synthetic word can come up twice: keep names unique
    dup = cities["name_zh"].duplicated(keep="first")
    cities.loc[dup, "name_zh"] = (
        cities.loc[dup, "name_zh"].str[:-1] + cities.loc[dup, "city_code"].str[2:4] + "市"
    )
    return cities


def make_census_2004(
    panel_2004: pd.DataFrame, cities: pd.DataFrame, industries: pd.DataFrame
) -> pd.DataFrame:
    """City × CIC4 output, employment and firm counts of all firms active in 2004."""
    frame = pd.DataFrame(
        {
            "city_code": cities["city_code"].to_numpy()[panel_2004["city_idx"].to_numpy()],
            "cic4": industries["cic4"].to_numpy()[panel_2004["ind_idx"].to_numpy()],
            "output": np.exp(panel_2004["log_output"].to_numpy()),
            "employment": np.maximum(8, np.exp(panel_2004["log_output"].to_numpy()) / 180).astype(
                np.int64
            ),
        }
    )
    return (
        frame.groupby(["city_code", "cic4"], as_index=False)
        .agg(output=("output", "sum"), employment=("employment", "sum"), n_firms=("output", "size"))
        .astype({"n_firms": np.int64})
    )


def city_exposure(
    census: pd.DataFrame, industries: pd.DataFrame, virtual: pd.DataFrame, cities: pd.DataFrame
) -> pd.DataFrame:
    """vagg_ct (paper 001 eq. 22) for every city and year, from 2004 output shares by ICIO
    sector and the sector's digital-input coefficients Virtual_st."""
    icio_of = industries.set_index("cic4")["icio_sector"]
    shares = census.assign(sector=census["cic4"].map(icio_of))
    shares = shares.groupby(["city_code", "sector"], as_index=False)["output"].sum()
    shares["share"] = shares["output"] / shares.groupby("city_code")["output"].transform("sum")
    merged = shares.merge(virtual, on="sector")
    merged["part"] = merged["share"] * merged["virtual"]
    vagg = merged.groupby(["city_code", "year"], as_index=False)["part"].sum()
    vagg = vagg.rename(columns={"part": "vagg"})
    full = pd.MultiIndex.from_product(
        [cities["city_code"], range(FIRST_YEAR, LAST_YEAR + 1)], names=["city_code", "year"]
    ).to_frame(index=False)
    out = full.merge(vagg, on=["city_code", "year"], how="left")
    out["vagg"] = out["vagg"].fillna(out.groupby("year")["vagg"].transform("mean"))
    return out


def make_city_panel(
    rng: np.random.Generator, cities: pd.DataFrame, exposure: pd.DataFrame, planted: Planted
) -> pd.DataFrame:
    """City-year yearbook panel with the controls of paper 001 Table 1, CPIs and 1984 IV data.

    Telephones in 1984 rise with the city's 2005 digital exposure (IV relevance); the
    dispersion of category CPI deviations falls with exposure (market integration channel).
    """
    n_c = len(cities)
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    exp_wide = exposure.pivot(index="city_code", columns="year", values="vagg").loc[
        cities["city_code"]
    ]
    z2005 = exp_wide[2005].to_numpy()
    z2005 = (z2005 - z2005.mean()) / (z2005.std() + 1e-12)
    phones = np.exp(3.0 + planted.telephones_on_exposure * z2005 + rng.normal(0, 0.5, n_c))
    posts = np.exp(0.3 + 0.25 * z2005 + rng.normal(0, 0.4, n_c))
    size = rng.normal(0, 0.6, n_c) + np.where(cities["is_capital"], 1.0, 0.0)
    rows = []
    infl = rng.normal(2.0, 1.5, (len(years), len(CPI_CATEGORIES)))
    for i, t in enumerate(years):
        g = np.exp(0.11 * (t - FIRST_YEAR))
        gdp = np.exp(15.3 + size + rng.normal(0, 0.05, n_c)) * g
        expo = exp_wide[t].to_numpy()
        spread = 1.2 * np.exp(planted.segmentation_on_city_vagg * (expo - expo.mean()))
        record = {
            "city_code": cities["city_code"].to_numpy(),
            "year": t,
            "gdp": gdp,
            "population": np.exp(5.9 + 0.6 * size + rng.normal(0, 0.02, n_c)),
            "fdi": gdp * rng.beta(2, 60, n_c) / 8.0,
            "trade": gdp * rng.lognormal(-1.3, 0.9, n_c) / 8.0,
            "fiscal_spending": gdp * rng.beta(5, 45, n_c),
            "sci_edu_spending": gdp * rng.beta(2, 900, n_c),
            "deposits_loans": gdp * rng.lognormal(0.6, 0.3, n_c),
            "students": np.exp(11.4 + size + rng.normal(0, 0.5, n_c)) * (1 + 0.08 * i),
            "fixed_investment": gdp * rng.beta(6, 4, n_c),
            "avg_wage": 12_500 * 1.13**i * np.exp(rng.normal(0, 0.15, n_c)),
            "road_area": np.exp(6 + 0.8 * size + rng.normal(0, 0.3, n_c)) * (1 + 0.06 * i),
            "secondary_employment": np.exp(3.5 + 0.7 * size + rng.normal(0, 0.3, n_c)),
            "post_offices_1984": posts,
            "telephones_1984": phones,
        }
        for k, cat in enumerate(CPI_CATEGORIES):
            record[f"cpi_{cat}"] = np.clip(
                100 + infl[i, k] + rng.normal(0, 1, n_c) * spread, 80, 130
            )
        rows.append(pd.DataFrame(record))
    return pd.concat(rows, ignore_index=True)


_DIGITAL_WORDS = (
    "互联网",
    "电子商务",
    "大数据",
    "云计算",
    "数字经济",
    "信息化",
    "物联网",
    "平台经济",
)
_FILLER = (
    "过去一年，全市上下坚持稳中求进工作总基调，经济社会发展取得新成效。",
    "我们着力推进产业结构调整，加快转变经济发展方式。",
    "坚持改革开放，对外贸易和利用外资保持稳定增长。",
    "切实保障和改善民生，城乡居民收入持续增加。",
    "加强生态文明建设，节能减排任务全面完成。",
    "深化行政体制改革，政府自身建设不断加强。",
)


def make_texts(
    rng: np.random.Generator, cities: pd.DataFrame, exposure: pd.DataFrame
) -> pd.DataFrame:
    """Government work reports: boiler-plate sentences plus digital-economy phrases whose
    frequency rises with the city's exposure and over time (paper 001's text measure)."""
    merged = exposure.merge(cities[["city_code", "name_zh"]], on="city_code")
    z = (merged["vagg"] - merged["vagg"].mean()) / (merged["vagg"].std() + 1e-12)
    lam = 2.0 * np.exp(0.6 * z + 0.12 * (merged["year"] - FIRST_YEAR))
    counts = rng.poisson(lam.to_numpy())
    texts = []
    for row, k in zip(merged.itertuples(index=False), counts, strict=True):
        body = [f"{row.name_zh}{row.year}年政府工作报告。"]
        body += list(rng.choice(_FILLER, size=6))
        words = rng.choice(_DIGITAL_WORDS, size=k)
        body += [f"大力发展{w}，推动{w}与实体经济深度融合。" for w in words]
        order = rng.permutation(len(body) - 1) + 1
        texts.append(body[0] + "".join(body[i] for i in order))
    return pd.DataFrame(
        {
            "region_code": merged["city_code"],
            "year": merged["year"],
            "doc_type": "government_work_report",
            "text": texts,
        }
    )
