"""The firm universe of the synthetic economy: primitives and the firm-year panel.

Primitives per firm: industry (a few firms switch once — the DID of paper 000), city,
ownership, founding year, productivity and size path, exporter status and trade regime,
export share, product portfolio, and the year it joins the B2B platform (adoption diffuses
from 2002, more among private, eastern, non-high-tech, non-processing and larger firms, to ≈5% of
CIE firm-years, as in paper 000). Firms above the CIE scale threshold in a year are the
CIE sample of that year; the rest still trade (they appear in customs only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vagg.data.synth.config import FIRST_YEAR, LAST_YEAR, PLATFORM_LAUNCH, Scale
from vagg.data.synth.names import INDUSTRY_WORDS, SUFFIXES, unique_brands
from vagg.data.synth.technology import technology_paths

__all__ = [
    "ADOPTION_SIZE",
    "OWNERSHIP",
    "REGIME_TYPES",
    "FirmUniverse",
    "cie_threshold",
    "make_firms",
]

OWNERSHIP = ("state", "collective", "legal", "private", "hmt", "foreign")
_OWNERSHIP_P = (0.07, 0.05, 0.10, 0.53, 0.11, 0.14)
#: rise of the log adoption hazard per log point of the firm's size at entry: larger firms
#: join the platform sooner, so size — a control of every regression — is correlated with
#: membership and vagg (what makes a mediation without the controls biased, paper 003 M5)
ADOPTION_SIZE = 0.5
REGIME_TYPES = ("ordinary", "processing", "mixed")


@dataclass
class FirmUniverse:
    """Per-firm primitives (``firms``, one row per firm) and the firm-year panel (``panel``)."""

    firms: pd.DataFrame
    panel: pd.DataFrame
    portfolios: dict[int, np.ndarray]


def cie_threshold(year: int) -> float:
    """Above-scale threshold on sales, thousand RMB: 5 million RMB to 2010, 20 million after."""
    return 5_000.0 if year <= 2010 else 20_000.0


def make_firms(
    rng: np.random.Generator,
    scale: Scale,
    cities: pd.DataFrame,
    provinces: pd.DataFrame,
    industries: pd.DataFrame,
    products: pd.DataFrame,
) -> FirmUniverse:
    """Draw the firm universe and its firm-year panel, 2000–2015."""
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    exit_rate = 0.07
    n_initial = int(scale.firms_per_year * 0.85)
    entrants_per_year = int(scale.firms_per_year * exit_rate * 1.05)
    n = n_initial + entrants_per_year * (len(years) - 1)
    start = np.concatenate(
        [np.full(n_initial, FIRST_YEAR), np.repeat(years[1:], entrants_per_year)]
    )
    life = rng.geometric(exit_rate, n)
    end = np.minimum(start + life - 1, LAST_YEAR)
    founding = np.where(
        start == FIRST_YEAR, FIRST_YEAR - rng.geometric(0.08, n) + 1, start - rng.integers(0, 3, n)
    )

    # location: eastern cities host most manufacturing
    region = cities["province_code"].map(provinces.set_index("province_code")["region"])
    city_w = np.where(region == "east", 4.0, np.where(region == "central", 1.6, 0.8))
    city_w = city_w * np.where(cities["is_capital"], 1.8, 1.0) * rng.lognormal(0, 0.5, len(cities))
    city_idx = rng.choice(len(cities), n, p=city_w / city_w.sum())

    ind_w = rng.lognormal(0, 0.6, len(industries))
    ind_idx = rng.choice(len(industries), n, p=ind_w / ind_w.sum())
    ownership = rng.choice(len(OWNERSHIP), n, p=_OWNERSHIP_P)
    own = np.array(OWNERSHIP)[ownership]

    city_region = region.to_numpy()[city_idx]
    east = city_region == "east"
    west = city_region == "west"
    foreign_like = np.isin(own, ("foreign", "hmt"))
    high_tech = industries["high_tech"].to_numpy()[ind_idx]

    # exporters and trade regime (processing concentrated in foreign-invested eastern firms)
    p_export = 1 / (1 + np.exp(-(-0.2 + 1.3 * foreign_like + 0.7 * east - 0.5 * west)))
    exporter = rng.random(n) < p_export
    p_proc = np.where(foreign_like, 0.45, 0.08)
    regime_draw = rng.random(n)
    regime_type = np.where(
        regime_draw < p_proc,
        "processing",
        np.where(regime_draw < p_proc + 0.22, "mixed", "ordinary"),
    )
    regime_type = np.where(exporter, regime_type, "none")
    export_share = np.where(regime_type == "processing", rng.beta(8, 2, n), rng.beta(2, 4, n))
    kappa_p = np.where(regime_type == "mixed", rng.uniform(0.2, 0.8, n), 0.0)
    kappa_p = np.where(regime_type == "processing", 1.0, kappa_p)

    # platform adoption: a hazard from 2002, more among private, eastern, non-high-tech,
    # non-processing firms (paper 000 Figure 2)
    propensity = (
        0.9 * (own == "private")
        + 0.3 * (own == "collective")
        - 0.4 * foreign_like
        + 0.6 * east
        - 0.5 * west
        - 0.5 * high_tech
        - 1.2 * (regime_type == "processing")
        + rng.normal(0, 0.6, n)
    )
    # the yearly adoption draws are taken here (the stream's order is kept); the hazard also
    # rises with the firm's size at entry, drawn below (ADOPTION_SIZE)
    adoption_draws = [rng.random(n) for _ in range(PLATFORM_LAUNCH, LAST_YEAR + 1)]

    # industry switchers (paper 000 eq. 10): ≈4% of multi-year firms move once to another
    # industry in a different IO sector
    switch_year = np.full(n, 9999)
    new_ind = ind_idx.copy()
    can = (end - start) >= 3
    switchers = can & (rng.random(n) < 0.04)
    io_of = industries["io_sector"].to_numpy()
    for i in np.flatnonzero(switchers):
        switch_year[i] = rng.integers(start[i] + 1, end[i] - 1)
        options = np.flatnonzero(io_of != io_of[ind_idx[i]])
        new_ind[i] = options[rng.integers(len(options))]

    size0 = rng.normal(9.6, 1.25, n) + 0.6 * foreign_like + 0.3 * exporter
    propensity = propensity + ADOPTION_SIZE * (size0 - 9.6) - 0.25
    adoption = np.full(n, 9999)
    for t, draw in zip(range(PLATFORM_LAUNCH, LAST_YEAR + 1), adoption_draws, strict=True):
        base = 0.0026 * (1.22 ** (t - PLATFORM_LAUNCH))
        hazard = np.clip(base * np.exp(propensity), 0, 0.5)
        newly = (adoption == 9999) & (start <= t) & (end >= t) & (draw < hazard)
        adoption[newly] = t
    growth = rng.normal(0.07, 0.04, n)
    firm_quality = rng.normal(0, 0.15, n)  # ψ_f, the firm's product appeal
    markup_fe = rng.normal(0.18, 0.06, n)  # log markup level m_f
    dvar_fe = rng.normal(0, 0.035, n)

    names = _firm_names(rng, n, cities, industries, city_idx, ind_idx)
    firms = pd.DataFrame(
        {
            "firm": np.arange(n),
            "firm_id": _legal_ids(rng, n),
            "firm_name": names,
            "start": start,
            "end": end,
            "founding_year": founding,
            "city_idx": city_idx,
            "ind_idx": ind_idx,
            "new_ind_idx": new_ind,
            "switch_year": switch_year,
            "ownership": own,
            "exporter": exporter,
            "regime_type": regime_type,
            "export_share": export_share,
            "kappa_p": kappa_p,
            "adoption_year": adoption,
            "size0": size0,
            "growth": growth,
            "firm_quality": firm_quality,
            "markup_fe": markup_fe,
            "dvar_fe": dvar_fe,
            "east": east,
            "west": west,
            "high_tech": high_tech,
            "product_rate": rng.gamma(2.0, 1.6, n),
        }
    )
    panel = _panel(rng, firms)
    portfolios = _portfolios(rng, firms, industries, products)
    return FirmUniverse(firms=firms, panel=panel, portfolios=portfolios)


def _panel(rng: np.random.Generator, firms: pd.DataFrame) -> pd.DataFrame:
    """One row per active firm-year: productivity, capital and labour from the technology of
    :mod:`vagg.data.synth.technology`, and log output at the firm's base markup (thousand RMB)."""
    span = (firms["end"] - firms["start"] + 1).to_numpy()
    firm = np.repeat(firms["firm"].to_numpy(), span)
    offset = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    year = np.repeat(firms["start"].to_numpy(), span) + offset
    f = firms.set_index("firm")
    tech = technology_paths(
        rng,
        firm,
        offset,
        f["size0"].to_numpy(),
        f["growth"].to_numpy(),
        f["markup_fe"].to_numpy(),
    )
    ind = np.where(
        year >= f["switch_year"].to_numpy()[firm],
        f["new_ind_idx"].to_numpy()[firm],
        f["ind_idx"].to_numpy()[firm],
    )
    member = year >= f["adoption_year"].to_numpy()[firm]
    return pd.DataFrame(
        {
            "firm": firm,
            "year": year,
            "ind_idx": ind,
            "log_output": tech["log_output_base"].to_numpy(),
            "omega": tech["omega"].to_numpy(),
            "log_capital": tech["log_capital"].to_numpy(),
            "log_labour": tech["log_labour"].to_numpy(),
            "member": member,
        }
    )


def _portfolios(
    rng: np.random.Generator, firms: pd.DataFrame, industries: pd.DataFrame, products: pd.DataFrame
) -> dict[int, np.ndarray]:
    """Each exporter's product portfolio: HS6 rows of its industry, a few from its 2-digit group."""
    by_cic4 = products.groupby("cic4").indices
    by_cic2 = products.groupby(products["cic4"].str[:2]).indices
    all_rows = np.arange(len(products))
    cic4 = industries["cic4"].to_numpy()
    out: dict[int, np.ndarray] = {}
    for row in firms.itertuples(index=False):
        if not row.exporter:
            continue
        code = cic4[row.ind_idx]
        pool = by_cic4.get(code)
        if pool is None or len(pool) == 0:
            pool = by_cic2.get(code[:2], all_rows)
        size = min(len(pool), 3 + rng.poisson(8))
        own = rng.choice(pool, size=size, replace=False)
        wider = by_cic2.get(code[:2], all_rows)
        extra = rng.choice(wider, size=min(len(wider), rng.poisson(1.5)), replace=False)
        out[row.firm] = np.unique(np.concatenate([own, extra]))
    return out


def _legal_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Nine-character legal-person codes: eight digits and a check character, all distinct."""
    numbers = rng.choice(90_000_000, size=n, replace=False) + 10_000_000
    checks = np.array(list("0123456789X"))[numbers % 11]
    return np.array([f"{num}{c}" for num, c in zip(numbers, checks, strict=True)])


def _firm_names(
    rng: np.random.Generator,
    n: int,
    cities: pd.DataFrame,
    industries: pd.DataFrame,
    city_idx: np.ndarray,
    ind_idx: np.ndarray,
) -> np.ndarray:
    """Unique names: city prefix + brand + industry word + legal suffix."""
    brands = unique_brands(rng, n)
    prefix = cities["name_zh"].str.replace("市", "", regex=False).to_numpy()[city_idx]
    word = industries["cic2"].map(INDUSTRY_WORDS).fillna("实业").to_numpy()[ind_idx]
    suffix = np.array(SUFFIXES)[rng.choice(len(SUFFIXES), n, p=(0.55, 0.2, 0.1, 0.1, 0.05))]
    return np.array(
        [f"{p}{b}{w}{s}" for p, b, w, s in zip(prefix, brands, word, suffix, strict=True)]
    )
