"""Raw tables of the paper-001 economy from its latent cells: customs lines and work reports.

Customs lines are what China Customs distributes: HS8 lines by trade regime with the declared
HS vintage, quantity and unit, firm name and destination. A small share of lines is declared
in HS 2007 codes (converted by the shipped synthetic concordance ``qc_hs_concordance``), a few
carry a code outside the concordance, zero quantities, another unit, or belong to trade
intermediaries — the cases the sample construction must count. Reports are Chinese texts whose
digital vocabulary grows with the city's latent digital penetration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from vagg.data.shipped import read_resource

__all__ = ["concordance_2007", "customs_lines", "texts"]

_FILLER = (
    "坚持稳中求进工作总基调",
    "全面深化改革",
    "推进新型城镇化",
    "加强生态文明建设",
    "保障和改善民生",
    "扩大有效投资",
    "促进消费升级",
    "优化营商环境",
    "发展现代农业",
    "推动制造业转型升级",
)


def _code_2007(hs6: pd.Series) -> pd.Series:
    """The synthetic HS 2007 code of an HS 2002 product (the last two digits shifted by 50)."""
    return hs6.str[:4] + ((hs6.str[4:].astype(int) + 50) % 100).astype(str).str.zfill(2)


def concordance_2007(hs6: pd.Series) -> pd.DataFrame:
    """The HS 2007 → HS 2002 concordance of the synthetic products (one-to-one)."""
    codes = pd.Series(sorted(hs6.unique()))
    return pd.DataFrame({"vintage": 2007, "hs6": _code_2007(codes), "hs6_2002": codes})


def customs_lines(rng: np.random.Generator, cells: pd.DataFrame) -> pd.DataFrame:
    """Split latent cells into customs lines (1 or 2 lines per cell, the firm-product's regime)
    and add the bad lines.

    Columns: party_id, firm_name, city_code, year, hs8, hs_vintage, partner, regime,
    value_usd, quantity, unit, flow.
    """
    n = len(cells)
    two = rng.random(n) < 0.3
    idx = np.concatenate([np.arange(n), np.flatnonzero(two)])
    frac = np.ones(len(idx))
    w = rng.uniform(0.2, 0.8, two.sum())
    frac[np.flatnonzero(two)] = w
    frac[n:] = 1 - w
    declared_2007 = rng.random(len(idx)) < 0.08
    hs6 = cells["hs6"].cat
    codes_2002 = pd.Series(hs6.categories.astype(str))
    hs8_categories = pd.concat([codes_2002 + "00", _code_2007(codes_2002) + "00"])
    hs8 = pd.Categorical.from_codes(
        hs6.codes.to_numpy()[idx] + declared_2007 * len(codes_2002), categories=hs8_categories
    )
    party = cells["party_id"].cat
    party_codes = party.codes.to_numpy()[idx]
    firm_name = pd.Categorical.from_codes(
        party_codes, categories=party.categories.astype(str) + "制造有限公司"
    )

    def take(col: str, rows: np.ndarray) -> pd.Categorical:
        cat = cells[col].cat
        return pd.Categorical.from_codes(cat.codes.to_numpy()[rows], categories=cat.categories)

    n_lines = len(idx)
    lines = pd.DataFrame(
        {
            "party_id": pd.Categorical.from_codes(party_codes, categories=party.categories),
            "firm_name": firm_name,
            "city_code": take("city_code", idx),
            "year": cells["year"].to_numpy()[idx].astype(np.int64),
            "hs8": hs8,
            "hs_vintage": np.where(declared_2007, 2007, 2002).astype(np.int64),
            "partner": take("partner", idx),
            "regime": take("regime", idx),
            "value_usd": cells["value_usd"].to_numpy()[idx] * frac,
            "quantity": cells["quantity"].to_numpy()[idx] * frac,
            "unit": pd.Categorical.from_codes(np.zeros(n_lines, np.int8), categories=["kg"]),
            "flow": pd.Categorical.from_codes(np.zeros(n_lines, np.int8), categories=["export"]),
        }
    )
    del idx, frac, party_codes, declared_2007
    pick = rng.choice(n_lines, max(4, n_lines // 500), replace=False)
    bad = lines.iloc[np.sort(pick)].astype(
        {
            k: str
            for k in (
                "party_id",
                "firm_name",
                "hs8",
                "unit",
                "city_code",
                "partner",
                "regime",
                "flow",
            )
        }
    )
    bad["party_id"] = "X" + bad["party_id"].str[1:]
    kinds = np.arange(len(bad)) % 4
    bad.loc[kinds == 0, "hs8"] = "99999900"  # outside the concordance
    bad.loc[kinds == 1, "quantity"] = 0.0
    bad.loc[kinds == 2, "firm_name"] = bad.loc[kinds == 2, "party_id"] + "进出口贸易有限公司"
    bad.loc[kinds == 3, "unit"] = "unit"
    out = {}
    for col in lines.columns:
        if isinstance(lines[col].dtype, pd.CategoricalDtype):
            out[col] = union_categoricals([lines[col], pd.Categorical(bad[col])], ignore_order=True)
        else:
            out[col] = np.concatenate([lines[col].to_numpy(), bad[col].to_numpy()])
    return pd.DataFrame(out)


def texts(rng: np.random.Generator, city_year: pd.DataFrame) -> pd.DataFrame:
    """One government work report per city-year; digital terms ~ Poisson(exp(0.5 + 1.5·pen))."""
    terms = read_resource("vagg_txt_dictionary.csv")["term"].tolist()
    rows = []
    for r in city_year.itertuples(index=False):
        k = rng.poisson(np.exp(0.5 + 1.5 * r.pen))
        words = list(rng.choice(_FILLER, 30)) + list(rng.choice(terms, k))
        rng.shuffle(words)
        rows.append(
            {"region_code": r.city_code, "year": int(r.year), "text": "，".join(words) + "。"}
        )
    return pd.DataFrame(rows)
