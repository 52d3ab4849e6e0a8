"""National input–output tables and China's ICIO digital-input coefficients.

The national tables (42 sectors, benchmark years) give the upstream/downstream weights of
virtual agglomeration (paper 000 eq. 8–9) and the foreign content of domestic inputs δ_jt
(eq. 6). The ICIO coefficients of digital service inputs (J61, J62T63, and the digital parts
of wholesale G46 and retail G47) give each industry's digital exposure Virtual_st, the shift
of paper 001's shift-share measure (eq. 22).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg.data import industries as industry_tables
from vagg.data.synth.config import ICIO_YEARS, IO_BENCHMARK_YEARS

__all__ = [
    "digital_exposure",
    "io_weights",
    "make_icio",
    "make_io_tables",
]


def make_io_tables(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``io_national`` (flows by sector pair, domestic and imported) and ``io_totals``.

    Flows Z[k, j] (row k supplies column j) come from a sparse Dirichlet structure with a
    heavy diagonal; each supplying sector has an import share μ_k; totals satisfy
    output = intermediate sales + final use + exports − imports-in-use.
    """
    sectors = industry_tables.io_sectors()
    codes = sectors["code"].tolist()
    n = len(codes)
    manuf = sectors["manufacturing"].to_numpy(bool)
    base_output = rng.lognormal(np.where(manuf, 16.5, 16.0), 0.7, n)
    affinity = rng.gamma(0.35, 1.0, (n, n)) + np.eye(n) * 2.0
    mu_base = np.clip(rng.beta(2, 20, n) + np.where(manuf, 0.02, 0.0), 0.01, 0.45)
    flows, totals = [], []
    for i, year in enumerate(IO_BENCHMARK_YEARS):
        growth = np.exp(0.12 * 5 * i + rng.normal(0, 0.05, n))
        output = base_output * growth
        shares = affinity * np.exp(rng.normal(0, 0.1, (n, n)))
        shares /= shares.sum(axis=0, keepdims=True)
        input_ratio = np.where(manuf, 0.72, 0.45)
        z = shares * (output * input_ratio)[None, :]  # Z[k, j]
        mu = np.clip(mu_base * np.exp(rng.normal(0, 0.05, n) - 0.05 * i), 0.005, 0.6)
        sold = z.sum(axis=1)
        exports = np.where(manuf, 0.18, 0.03) * output * np.exp(rng.normal(0, 0.2, n))
        domestic_supply = output - exports
        # imports by μ_k = IM / (X + IM − EX)  ⇒  IM = μ (X − EX) / (1 − μ)
        imports = mu * domestic_supply / (1 - mu)
        final_use = np.maximum(output + imports - exports - sold, 0.0)
        rows, cols = np.nonzero(z > 0)
        flows.append(
            pd.DataFrame(
                {
                    "year": year,
                    "from_sector": [codes[r] for r in rows],
                    "to_sector": [codes[c] for c in cols],
                    "domestic_use": z[rows, cols] * (1 - mu[rows]),
                    "imported_use": z[rows, cols] * mu[rows],
                }
            )
        )
        totals.append(
            pd.DataFrame(
                {
                    "year": year,
                    "sector": codes,
                    "name_zh": sectors["name_zh"].to_numpy(),
                    "output": output,
                    "imports": imports,
                    "exports": exports,
                    "final_use": final_use,
                }
            )
        )
    return pd.concat(flows, ignore_index=True), pd.concat(totals, ignore_index=True)


def io_weights(io_national: pd.DataFrame, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Input weights w_in[j, k] = x_jk / Σ_k x_jk and output weights w_out[j, m] = y_jm / Σ_m y_jm
    from the latest benchmark table not after ``year`` (the earliest one before it).

    x_jk is what j buys from k (Z[k, j]); y_jm is what j sells to m (Z[j, m]); total
    (domestic + imported) intermediate flows; diagonal kept (callers zero it for k ≠ j).
    """
    years = sorted(io_national["year"].unique())
    use = max([y for y in years if y <= year], default=years[0])
    flows = io_national[io_national["year"] == use]
    z = flows.pivot_table(
        index="from_sector", columns="to_sector", values="domestic_use", aggfunc="sum"
    ).fillna(0.0)
    z = z + flows.pivot_table(
        index="from_sector", columns="to_sector", values="imported_use", aggfunc="sum"
    ).fillna(0.0)
    codes = sorted(set(z.index) | set(z.columns))
    z = z.reindex(index=codes, columns=codes, fill_value=0.0)
    w_in = z.T.div(z.T.sum(axis=1), axis=0)  # row j: purchases from k
    w_out = z.div(z.sum(axis=1), axis=0)  # row j: sales to m
    return w_in, w_out


def make_icio(rng: np.random.Generator, industries: pd.DataFrame) -> pd.DataFrame:
    """China's direct-requirement coefficients a_kj for ICIO input sectors k and the
    manufacturing sectors j of ``industries``, 2005–2015. Digital inputs rise over time at
    sector-specific speeds; other inputs are stable."""
    icio = industry_tables.icio_sectors()
    inputs = icio["code"].tolist()
    digital = set(icio.loc[icio["digital"], "code"])
    using = sorted(industries["icio_sector"].unique())
    level = {
        (k, j): (rng.gamma(2.0, 0.004) if k in digital else rng.gamma(0.6, 0.03))
        for k in inputs
        for j in using
    }
    speed = {j: rng.uniform(0.02, 0.12) for j in using}
    rows = []
    for t in ICIO_YEARS:
        for k in inputs:
            for j in using:
                a = level[k, j]
                if k in digital:
                    a *= np.exp(speed[j] * (t - 2005))
                a *= np.exp(rng.normal(0, 0.03))
                rows.append((t, k, j, min(a, 0.5)))
    return pd.DataFrame(rows, columns=["year", "input_sector", "sector", "coefficient"])


def digital_exposure(icio: pd.DataFrame) -> pd.DataFrame:
    """Virtual_st: summed direct requirements of the digital input sectors, by sector-year,
    with 2005 values carried back to earlier years (paper 001 eq. 22's shift)."""
    digital = set(industry_tables.icio_sectors().query("digital")["code"])
    v = (
        icio[icio["input_sector"].isin(digital)]
        .groupby(["sector", "year"], as_index=False)["coefficient"]
        .sum()
        .rename(columns={"coefficient": "virtual"})
    )
    first = v[v["year"] == v["year"].min()]
    back = [first.assign(year=y) for y in range(2000, int(v["year"].min()))]
    return pd.concat([*back, v], ignore_index=True)
