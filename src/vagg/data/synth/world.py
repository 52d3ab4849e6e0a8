"""World import demand and the dated shocks of the firm-resilience study (paper 003).

The primitives drawn here are exogenous to Chinese firms:

* **World import demand** M_dht, destination d × HS6 product h × year t, imports from the world
  excluding China (a BACI-like table, ``world_imports``). Its log changes are
  Δ ln M_dht = g_d + η_h + ν_dht with destination trends g_d ~ N(0.10, 0.04), product trends
  η_h ~ N(0, 0.02) and noise ν ~ N(0, 0.06), plus two collapses:

  - the **2008–09 global collapse**: Δ ln M = −0.30 + δ_d + N(0, 0.10) for every cell in
    2009, δ_d ~ N(0, 0.12) by destination (so firms' exposure differs and some destinations
    fall less than others), a rebound of +0.20 in 2010;
  - a **second, planted collapse in 2012** (:data:`SECOND_COLLAPSE_YEAR`): −0.45 for the euro-area
    destinations of :data:`SECOND_COLLAPSE_DESTINATIONS` in half of the HS chapters (drawn),
    +0.10 in 2013. Its real analogue is the 2012 euro-area recession.

* **Source-country supply disruptions** (``supply_shocks``): Japan and Thailand in 2011 (the
  Tōhoku earthquake and the Thai floods). Their effect on firms' imports is planted in
  :mod:`vagg.data.synth.relations`.
* **A green-standard tightening** (``green_standards``): the EU members and the United Kingdom
  among the partners tighten their environmental product rules in 2006 (the real analogue is
  the EU RoHS directive, in force from July 2006). Lines of non-environmental goods to them
  lose demand that year (:mod:`vagg.data.synth.relations`).

These functions are the data-generating process; they never call :mod:`vagg.measures`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "COLLAPSE_YEARS",
    "DEMAND_TREND",
    "EMERGING",
    "GREEN_DESTINATIONS",
    "GREEN_YEAR",
    "SECOND_COLLAPSE_DESTINATIONS",
    "SECOND_COLLAPSE_YEAR",
    "STRICT",
    "SUPPLY_SHOCKS",
    "WorldDemand",
    "green_standards_table",
    "make_world_demand",
    "supply_shocks_table",
]

#: the year of the second planted trade collapse (destination × HS specific)
SECOND_COLLAPSE_YEAR = 2012
#: euro-area destinations hit by the second collapse
SECOND_COLLAPSE_DESTINATIONS = ("DEU", "NLD", "FRA", "ITA", "ESP", "BEL")
#: both collapse years
COLLAPSE_YEARS = (2009, SECOND_COLLAPSE_YEAR)
#: (source country, year) supply disruptions
SUPPLY_SHOCKS = (("JPN", 2011), ("THA", 2011))
#: the year and destinations of the green-standard tightening
GREEN_YEAR = 2006
GREEN_DESTINATIONS = ("DEU", "NLD", "GBR", "FRA", "ITA", "ESP", "BEL", "POL", "SWE")
#: partners with strict environmental standards (as ``vagg.measures.green_smart``'s default)
STRICT = (*GREEN_DESTINATIONS, "JPN", "KOR", "CHE")
#: partners outside the IMF WEO advanced economies (April 2024), China excluded
EMERGING = (
    "RUS", "IND", "MYS", "VNM", "THA", "IDN", "BRA", "ARE", "MEX", "PHL", "SAU", "TUR", "POL",
    "ZAF", "CHL", "IRN", "NGA", "EGY", "PAK", "ARG", "BGD", "KAZ",
)  # fmt: skip
#: the mean trend growth of world demand (destination trends g_d ~ N(DEMAND_TREND, 0.04))
DEMAND_TREND = 0.10


@dataclass
class WorldDemand:
    """log world import demand ``log_m`` (years × partners × products) and its labels."""

    years: np.ndarray
    partner_codes: np.ndarray
    hs6: np.ndarray
    log_m: np.ndarray
    second_chapters: tuple[str, ...]
    trend: np.ndarray  # g_d, the destination's trend growth of log imports

    def dlog(self, year: int) -> np.ndarray:
        """Δ ln M_dh of ``year`` (partners × products); zeros in the first year."""
        i = int(np.searchsorted(self.years, year))
        if i == 0:
            return np.zeros(self.log_m.shape[1:])
        return self.log_m[i] - self.log_m[i - 1]

    def destination_growth(self, year: int) -> np.ndarray:
        """ĝ_dt = Δ ln Σ_h M_dht by partner, standardised across partners (z-scores)."""
        i = int(np.searchsorted(self.years, year))
        if i == 0:
            return np.zeros(len(self.partner_codes))
        total = np.log(np.exp(self.log_m[i - 1 : i + 1]).sum(axis=2))
        g = total[1] - total[0]
        sd = g.std()
        return (g - g.mean()) / sd if sd > 0 else np.zeros_like(g)

    def table(self) -> pd.DataFrame:
        """The ``world_imports`` table: destination, hs6, year, imports_usd."""
        n_y, n_d, n_h = self.log_m.shape
        return pd.DataFrame(
            {
                "destination": np.tile(np.repeat(self.partner_codes, n_h), n_y),
                "hs6": np.tile(self.hs6, n_y * n_d),
                "year": np.repeat(self.years, n_d * n_h).astype(np.int64),
                "imports_usd": np.exp(self.log_m.reshape(-1)).round(0),
            }
        )


def make_world_demand(
    rng: np.random.Generator,
    partner_codes: np.ndarray,
    partner_weight: np.ndarray,
    hs6: np.ndarray,
    years: np.ndarray,
) -> WorldDemand:
    """Draw world import demand (see the module docstring for the process and its sizes)."""
    n_d, n_h, n_y = len(partner_codes), len(hs6), len(years)
    level = np.log(2e9 * partner_weight)[:, None] + rng.normal(0, 1.0, (n_d, n_h))
    g_d = rng.normal(DEMAND_TREND, 0.04, n_d)
    eta_h = rng.normal(0, 0.02, n_h)
    chapters = np.array(sorted({c[:2] for c in hs6}))
    second = tuple(sorted(rng.choice(chapters, size=max(1, len(chapters) // 2), replace=False)))
    hit_d = np.isin(partner_codes, SECOND_COLLAPSE_DESTINATIONS)[:, None]
    hit_h = np.isin(np.array([c[:2] for c in hs6]), second)[None, :]
    collapse_d = rng.normal(0, 0.12, n_d)
    log_m = np.empty((n_y, n_d, n_h))
    log_m[0] = level
    for i in range(1, n_y):
        t = int(years[i])
        step = g_d[:, None] + eta_h[None, :] + rng.normal(0, 0.06, (n_d, n_h))
        if t == 2009:
            step = step - 0.30 + collapse_d[:, None] + rng.normal(0, 0.10, (n_d, n_h))
        elif t == 2010:
            step = step + 0.20
        if t == SECOND_COLLAPSE_YEAR:
            step = step - 0.45 * (hit_d & hit_h)
        elif t == SECOND_COLLAPSE_YEAR + 1:
            step = step + 0.10 * (hit_d & hit_h)
        log_m[i] = log_m[i - 1] + step
    return WorldDemand(
        np.asarray(years), np.asarray(partner_codes), np.asarray(hs6), log_m, second, g_d
    )


def supply_shocks_table() -> pd.DataFrame:
    """The ``supply_shocks`` table: partner, year (every HS6 product of the source is hit)."""
    return pd.DataFrame(
        {
            "partner": [p for p, _ in SUPPLY_SHOCKS],
            "year": [y for _, y in SUPPLY_SHOCKS],
            "hs6": pd.Series([None] * len(SUPPLY_SHOCKS), dtype=object),
        }
    )


def green_standards_table() -> pd.DataFrame:
    """The ``green_standards`` table: destination, year the standard was tightened."""
    return pd.DataFrame(
        {"destination": list(GREEN_DESTINATIONS), "year": [GREEN_YEAR] * len(GREEN_DESTINATIONS)}
    )
