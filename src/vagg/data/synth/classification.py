"""Industries (CIC 4-digit) and products (HS6) of the synthetic economy.

Industries: the real CIC 2-digit manufacturing groups with their IO, ISIC and ICIO sectors
(:mod:`vagg.data.industries`), each split into synthetic 4-digit codes. Products: real HS 2002
six-digit codes with their BEC end-use class and China's σ when the UN and
Broda–Greenfield–Weinstein files are given; otherwise synthetic codes in the real HS chapters
with end-use classes and σ drawn to look like them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from vagg.data import industries as industry_tables

__all__ = [
    "CHAPTER_TO_CIC2",
    "make_industries",
    "make_products",
    "reference_sigma",
]

#: HS 2002 chapter → CIC 2-digit group that mainly produces it (manufacturing chapters only).
CHAPTER_TO_CIC2: dict[int, str] = {
    **{c: "13" for c in (2, 3, 11, 15, 23)},
    **{c: "14" for c in (4, 16, 17, 18, 19, 20, 21)},
    22: "15",
    24: "16",
    **{c: "26" for c in (28, 29, 31, 32, 33, 34, 35, 36, 38)},
    30: "27",
    39: "30",
    40: "29",
    **{c: "19" for c in (41, 42, 43, 64, 67)},
    **{c: "20" for c in (44, 45, 46)},
    **{c: "22" for c in (47, 48)},
    49: "23",
    **{c: "17" for c in (50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 63)},
    **{c: "18" for c in (61, 62, 65)},
    **{c: "31" for c in (68, 69, 70)},
    71: "42",
    72: "32",
    73: "34",
    **{c: "33" for c in (74, 75, 76, 78, 79, 80, 81)},
    **{c: "34" for c in (82, 83)},
    84: "35",
    85: "40",
    **{c: "37" for c in (86, 87, 88, 89)},
    **{c: "41" for c in (90, 91)},
    **{c: "24" for c in (92, 95)},
    93: "36",
    94: "21",
    96: "42",
    27: "25",
    66: "42",
}

#: CIC 2-digit groups that also produce goods of a second chapter group (shares of codes).
_SECOND_CIC2 = {"84": "36", "85": "39", "72": "32", "28": "28"}

_UNITS_BY_CHAPTER = {84: "set", 85: "piece", 87: "piece", 64: "pair", 61: "piece", 62: "piece"}


def make_industries(rng: np.random.Generator, per_cic2: int) -> pd.DataFrame:
    """Synthetic CIC 4-digit industries under the real 2-digit groups."""
    groups = industry_tables.cic2_table()
    rows = []
    for g in groups.itertuples(index=False):
        for i in range(per_cic2):
            rows.append(
                {
                    "cic4": f"{g.cic2}{i // 9 + 1}{i % 9 + 1}",
                    "cic2": g.cic2,
                    "name_zh": f"{g.name_zh}（细类{i + 1}）",
                    "io_sector": g.io_sector,
                    "isic4": g.isic4,
                    "icio_sector": g.icio_sector,
                    "high_tech": bool(g.high_tech),
                }
            )
    return pd.DataFrame(rows)


_SIGMA_FILE = "Sigmas73countries_9403_HS3digit.dta"


def _real_product_pool(reference_dir: Path) -> pd.DataFrame | None:
    from vagg.data import concordance

    bec_file = reference_dir / "HS2002_to_BEC_Conversion_and_Correlation_Tables.csv"
    sigma_file = reference_dir / _SIGMA_FILE
    if not (bec_file.exists() and sigma_file.exists()):
        return None
    hs = concordance.hs_end_use(concordance.read_hs_bec(bec_file))
    # one BEC code per product: the first of its codes whose end use is the resolved one
    hs = hs[hs["end_use"] != "unclassified"]

    def pick(codes: str, use: str) -> str:
        options = [c for c in codes.split(";") if c.isdigit()]
        return next((c for c in options if concordance.bec_end_use(c) == use), options[0])

    hs["bec"] = [pick(c, u) for c, u in zip(hs["bec_codes"], hs["end_use"], strict=True)]
    sigma = concordance.read_sigma(sigma_file, country="China")
    pool = hs.assign(hs3=hs["hs6"].str[:3]).merge(sigma[["hs3", "sigma"]], on="hs3", how="left")
    return pool


def reference_sigma(reference_dir: Path | None) -> dict[str, float]:
    """China's BGW σ by HS3 line, capped to [1.2, 20] as in :func:`make_products`; empty
    without the reference files (a product re-coded after drawing takes its new line's σ)."""
    sigma_file = None if reference_dir is None else reference_dir / _SIGMA_FILE
    if sigma_file is None or not sigma_file.exists():
        return {}
    from vagg.data import concordance

    sigma = concordance.read_sigma(sigma_file, country="China")
    return dict(zip(sigma["hs3"], sigma["sigma"].clip(1.2, 20.0), strict=True))


def make_products(
    rng: np.random.Generator,
    industries: pd.DataFrame,
    n_products: int,
    reference_dir: Path | None = None,
) -> pd.DataFrame:
    """HS6 products with HS4/HS3, BEC class, σ, customs unit and producing CIC 4-digit industry.

    With ``reference_dir`` holding the UN HS2002→BEC table and the BGW σ file, codes, BEC
    classes and σ are real (σ missing for China's HS3 line is drawn from the others); else
    they are synthetic. Each product is assigned to a CIC 4-digit industry of the CIC
    2-digit group its chapter maps to.
    """
    pool = _real_product_pool(reference_dir) if reference_dir is not None else None
    manufacturing = sorted(CHAPTER_TO_CIC2)
    if pool is None:
        pool = _synthetic_pool(rng, n_products * 3, manufacturing)
    pool = pool[pool["hs6"].str[:2].astype(int).isin(manufacturing)]
    pool = pool[pool["end_use"] != "unclassified"].drop_duplicates("hs6")
    # keep every industry group represented: sample evenly across chapters
    chapters = pool["hs6"].str[:2].astype(int)
    weight = 1.0 / chapters.map(chapters.value_counts())
    take = min(n_products, len(pool))
    idx = rng.choice(len(pool), size=take, replace=False, p=(weight / weight.sum()).to_numpy())
    products = pool.iloc[np.sort(idx)].copy().sort_values("hs6").reset_index(drop=True)
    missing_sigma = products["sigma"].isna()
    if missing_sigma.any():
        products.loc[missing_sigma, "sigma"] = 1.5 + rng.lognormal(0.8, 0.5, missing_sigma.sum())
    # cap σ as methods/trade_measures.md §3 advises for the BGW file's extreme lines
    products["sigma"] = products["sigma"].clip(1.2, 20.0)
    products["hs4"] = products["hs6"].str[:4]
    products["hs3"] = products["hs6"].str[:3]
    chapter = products["hs6"].str[:2].astype(int)
    products["unit"] = chapter.map(_UNITS_BY_CHAPTER).fillna("kg")
    by_cic2 = industries.groupby("cic2")["cic4"].apply(list).to_dict()
    cic2 = chapter.map(CHAPTER_TO_CIC2)
    second = products["hs6"].str[:2].map(_SECOND_CIC2)
    use_second = second.notna() & (rng.random(len(products)) < 0.4)
    cic2 = cic2.where(~use_second, second)
    cic2 = cic2.where(cic2.isin(by_cic2.keys()), "42")
    products["cic4"] = [by_cic2[g][rng.integers(len(by_cic2[g]))] for g in cic2]
    return products[["hs6", "hs4", "hs3", "bec", "end_use", "sigma", "unit", "cic4"]]


def _synthetic_pool(rng: np.random.Generator, n: int, chapters: list[int]) -> pd.DataFrame:
    """Synthetic HS6 codes in real chapters, with BEC codes drawn by end use."""
    ch = rng.choice(chapters, size=n)
    codes = [f"{c:02d}{rng.integers(1, 100):02d}{rng.integers(10, 100):02d}" for c in ch]
    end_use = rng.choice(["intermediate", "capital", "consumption"], size=n, p=[0.55, 0.15, 0.30])
    bec_for = {
        "intermediate": ["22", "42", "53", "121"],
        "capital": ["41", "521"],
        "consumption": ["61", "62", "63", "122"],
    }
    bec = [bec_for[e][rng.integers(len(bec_for[e]))] for e in end_use]
    sigma = 1.5 + rng.lognormal(0.8, 0.5, n)
    return pd.DataFrame({"hs6": codes, "bec": bec, "end_use": end_use, "sigma": sigma})
