"""Sizes of the synthetic economy at each scale, and the random streams it draws from.

``tiny`` is for unit tests (seconds), ``small`` for CI and the demo, ``paper`` for the papers'
sizes (paper 000: 626,768 matched firm-years, 31,638 of them platform members; ≈280 cities;
tens of millions of customs rows). Each component draws from its own named stream, so adding
a component never changes the numbers of another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FIRST_YEAR",
    "ICIO_YEARS",
    "IO_BENCHMARK_YEARS",
    "LAST_CIE_YEAR",
    "LAST_YEAR",
    "PLATFORM_LAUNCH",
    "SCALES",
    "Scale",
    "get_scale",
    "stream",
]

FIRST_YEAR = 2000
LAST_YEAR = 2015  # customs and city panels run to 2015 (paper 001)
LAST_CIE_YEAR = 2013  # the CIE sample of paper 000 ends in 2013
IO_BENCHMARK_YEARS = (2002, 2007, 2012)
ICIO_YEARS = tuple(range(2005, 2016))
PLATFORM_LAUNCH = 2002  # paid membership (诚信通) begins


@dataclass(frozen=True)
class Scale:
    """Sizes of one scale."""

    name: str
    cities_per_province: float  # mean number of prefecture cities per province
    industries_per_cic2: int  # CIC 4-digit industries generated under each 2-digit group
    products: int  # HS6 products
    firms_per_year: int  # mean number of active firms (CIE universe incl. below-scale)
    intermediaries: int  # trade intermediaries (pure trading firms)
    platform_outsiders: int  # platform members that are not industrial firms


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 1.5, 1, 120, 500, 15, 300),
    "small": Scale("small", 3.0, 3, 600, 5_000, 80, 4_000),
    "paper": Scale("paper", 9.4, 12, 3_500, 105_000, 1_500, 120_000),
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale '{name}'; choose one of {sorted(SCALES)}") from None


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random generator for component ``name`` under ``seed``."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
