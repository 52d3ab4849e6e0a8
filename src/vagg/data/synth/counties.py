"""Counties of the synthetic cities and the firms' county of location (paper 003, M2).

Each city has 3–9 counties (codes: the city's first four digits + 01, 02, …). County 01 is
the city's core: it is small (area ~ lognormal(6.0, 0.3) km² against lognormal(7.2, 0.5) for
the others) and draws most firms, so it is the densest. Centroids lie within about 40 km of
the city's coordinates, farther for higher county numbers.

A firm's county is drawn at entry with probability ∝ exp(−0.6·(rank − 1)) (rank = the
county number), and each year a firm that is not in its city's last county moves with
probability ``move_base`` + ``move_member``·member to a farther county (a higher number):
members, whose inventory costs fall, can afford to leave the congested core (spec 003 M2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MOVE_BASE", "MOVE_MEMBER", "assign_counties", "make_counties", "move_firms"]

#: yearly probability that a firm moves to a county farther from its city's core
MOVE_BASE = 0.01
#: ... extra for platform members
MOVE_MEMBER = 0.05


def make_counties(rng: np.random.Generator, cities: pd.DataFrame) -> pd.DataFrame:
    """The ``counties`` table: county_code, city_code, area_km2, lat, lon, rank (not written)."""
    rows = []
    for city in cities.itertuples(index=False):
        n = int(rng.integers(3, 10))
        for rank in range(1, n + 1):
            angle = rng.uniform(0, 2 * np.pi)
            reach = 0.0 if rank == 1 else 0.08 * rank
            area = rng.lognormal(6.0, 0.3) if rank == 1 else rng.lognormal(7.2, 0.5)
            rows.append(
                {
                    "county_code": f"{city.city_code[:4]}{rank:02d}",
                    "city_code": city.city_code,
                    "area_km2": round(float(area), 1),
                    "lat": float(np.clip(city.lat + reach * np.sin(angle), 18.2, 53.5)),
                    "lon": float(np.clip(city.lon + reach * np.cos(angle), 73.5, 134.8)),
                    "rank": rank,
                }
            )
    return pd.DataFrame(rows)


def assign_counties(
    rng: np.random.Generator, city_idx: np.ndarray, counties: pd.DataFrame, cities: pd.DataFrame
) -> np.ndarray:
    """Each firm's county at entry (row of ``counties``), near the core more often."""
    first = counties.groupby("city_code").indices
    out = np.zeros(len(city_idx), np.int64)
    codes = cities["city_code"].to_numpy()
    for c in np.unique(city_idx):
        rows = np.sort(first[codes[c]])
        at = np.flatnonzero(city_idx == c)
        w = np.exp(-0.6 * np.arange(len(rows)))
        out[at] = rows[rng.choice(len(rows), len(at), p=w / w.sum())]
    return out


def move_firms(
    rng: np.random.Generator,
    county: np.ndarray,
    active: np.ndarray,
    member: np.ndarray,
    counties: pd.DataFrame,
) -> np.ndarray:
    """The counties after this year's moves: an active firm not in its city's last county
    moves with probability MOVE_BASE + MOVE_MEMBER·member to a county of higher rank."""
    rank = counties["rank"].to_numpy()
    last = counties.groupby("city_code")["rank"].transform("max").to_numpy()
    can = active & (rank[county] < last[county])
    moves = can & (rng.random(len(county)) < MOVE_BASE + MOVE_MEMBER * member)
    step = 1 + np.floor(rng.random(len(county)) * (last[county] - rank[county])).astype(np.int64)
    out = county.copy()
    out[moves] = county[moves] + step[moves]  # rows of one city are consecutive, by rank
    return out
