"""The shared inputs of the synthetic economy's parts, drawn once per generation.

Every part of :mod:`vagg.data.synth.parts` starts from the same classifications (provinces,
CIC industries, HS products with their price levels, the national IO tables and the ICIO);
the firm economy also reads the province economy's national series (the exchange rate).
:class:`SharedInputs` draws each of them on first use from its own named stream, so a part
generated alone sees exactly the inputs it sees when every part is generated together, and a
part that does not need the province economy never draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from vagg.data import geography
from vagg.data.io import write_table
from vagg.data.schemas import SCHEMAS, validate
from vagg.data.synth.classification import make_industries, make_products, reference_sigma
from vagg.data.synth.config import Scale, stream
from vagg.data.synth.io_tables import make_icio, make_io_tables
from vagg.data.synth.provinces import generate_province_tables

__all__ = ["LISTED_CODES", "SharedInputs", "listed_products", "write_frames"]

#: HS list codes (vagg/data/resources/hs_lists.csv) the synthetic products must carry, with
#: the end use their product gets: intelligent equipment is capital goods; 840290 (boiler
#: parts, APEC environmental goods) an intermediate. 441872 is left out: it is not an HS 2002
#: code, and the products table is HS 2002.
LISTED_CODES: dict[str, str] = {
    "847950": "capital",
    "845710": "capital",
    "846031": "capital",
    "853710": "capital",
    "847130": "capital",
    "847150": "capital",
    "840290": "intermediate",
}


@dataclass
class SharedInputs:
    """What several parts read, for scale ``cfg``, ``seed`` and reference folder ``ref``.

    Each attribute is computed on first use (streams ``industries``, ``products``,
    ``product_params``, ``io``, ``icio``, ``provinces``, as the whole economy has always
    drawn them) and kept for the other parts of the same generation.
    """

    cfg: Scale
    seed: int
    ref: Path | None = None

    @cached_property
    def provinces(self) -> pd.DataFrame:
        """The 30 provinces of the papers (shipped geography)."""
        return geography.provinces()[SCHEMAS["provinces"].column_names]

    @cached_property
    def contiguity(self) -> pd.DataFrame:
        """Queen contiguity of the provinces (shipped geography)."""
        return geography.province_contiguity()[SCHEMAS["province_contiguity"].column_names]

    @cached_property
    def industries(self) -> pd.DataFrame:
        """CIC 4-digit industries under each 2-digit group."""
        return make_industries(stream(self.seed, "industries"), self.cfg.industries_per_cic2)

    @cached_property
    def products(self) -> pd.DataFrame:
        """HS6 products with their price level ln p ~ N(1.5, 1), intermediary share
        ~ Beta(2, 8) capped at 0.9, and an HS8 code (HS6 + one random digit + 0)."""
        products = make_products(
            stream(self.seed, "products"), self.industries, self.cfg.products, self.ref
        )
        rng = stream(self.seed, "product_params")
        products["price_level"] = rng.normal(1.5, 1.0, len(products))
        products["intermediary_share"] = np.clip(rng.beta(2, 8, len(products)), 0.0, 0.9)
        products["hs8"] = products["hs6"] + np.char.zfill(
            rng.integers(0, 10, len(products)).astype(str) + "0", 2
        )
        products = listed_products(products)
        real_sigma = reference_sigma(self.ref)
        if real_sigma:
            known = products["hs3"].isin(real_sigma.keys())
            products.loc[known, "sigma"] = products.loc[known, "hs3"].map(real_sigma)
        return products

    @cached_property
    def drawn_hs4(self) -> list[str]:
        """The HS4 headings of the products as drawn, before :func:`listed_products` gives
        some of them the codes of the shipped HS lists (the province economy reads these)."""
        products = make_products(
            stream(self.seed, "products"), self.industries, self.cfg.products, self.ref
        )
        return sorted(products["hs4"].unique())

    @cached_property
    def io_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The national IO flows and totals (benchmark years)."""
        return make_io_tables(stream(self.seed, "io"))

    @cached_property
    def icio(self) -> pd.DataFrame:
        """The ICIO direct requirements by CIC industry."""
        return make_icio(stream(self.seed, "icio"), self.industries)

    @cached_property
    def province_economy(self) -> tuple[dict[str, pl.DataFrame], dict[str, dict]]:
        """The province tables (panel, HS4 exports, national series) and their truth."""
        hs4 = self.drawn_hs4
        return generate_province_tables(stream(self.seed, "provinces"), self.provinces, hs4)

    def core_tables(self) -> dict[str, pd.DataFrame | pl.DataFrame]:
        """The tables of the ``core`` part, by name."""
        io_national, io_totals = self.io_tables
        return {
            "provinces": self.provinces,
            "province_contiguity": self.contiguity,
            "industries": self.industries[SCHEMAS["industries"].column_names],
            "products": self.products[SCHEMAS["products"].column_names],
            "io_national": io_national,
            "io_totals": io_totals,
            "icio": self.icio,
        }


def write_frames(
    out: Path, frames: dict[str, pd.DataFrame | pl.DataFrame]
) -> dict[str, list[Path]]:
    """Validate each frame against its schema and write it as ``out/<name>.parquet``;
    returns the files written by table."""
    return {
        name: write_table(validate(frame, SCHEMAS[name]), out / f"{name}.parquet", name)
        for name, frame in frames.items()
    }


def listed_products(products: pd.DataFrame) -> pd.DataFrame:
    """``products`` with the codes of :data:`LISTED_CODES` present: each code not already
    there is given to a product of the same HS chapter and end use (else the same end use),
    the first such product that is not itself listed, in row order. No draw is consumed, so
    every other product, price and share stays as drawn; HS4, HS3 and HS8 follow the new
    code (HS8 keeps its last two digits); with the reference files, σ follows it in
    :attr:`SharedInputs.products`."""
    out = products.copy()
    taken = set(out["hs6"])
    fixed: set[int] = set()
    for code, use in LISTED_CODES.items():
        if code in taken:
            fixed.update(np.flatnonzero(out["hs6"].to_numpy() == code).tolist())
            continue
        same_use = out["end_use"].to_numpy() == use
        chapter = out["hs6"].str[:2].to_numpy() == code[:2]
        for mask in (same_use & chapter, same_use):
            rows = [i for i in np.flatnonzero(mask) if i not in fixed]
            if rows:
                break
        if not rows:
            continue
        i = int(rows[0])
        fixed.add(i)
        taken.add(code)
        out.loc[i, "hs8"] = code + str(out.loc[i, "hs8"])[6:]
        out.loc[i, ["hs6", "hs4", "hs3"]] = [code, code[:4], code[:3]]
    return out
