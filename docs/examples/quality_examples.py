"""The examples of docs/measures/quality.md: run from the repository root.

    python docs/examples/quality_examples.py [path/to/shared/data/concordance]

Uses the real public reference files (Broda–Greenfield–Weinstein σ, UN HS 2002 → BEC) when the
folder is given or found next to the repository, and a small generated customs table (numpy,
fixed seed) for the measures themselves. Prints the numbers quoted in the docs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from vagg.data.concordance import read_hs_bec, read_sigma
from vagg.measures.customs_cells import customs_cells
from vagg.measures.decomposition import melitz_polanec
from vagg.measures.quality import aggregate_quality, ksw_quality

ROOT = Path(__file__).resolve().parents[2]


def concordance_dir() -> Path | None:
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base / "shared" / "data" / "concordance"
        if path.is_dir():
            return path
    return None


def customs_lines(seed: int = 2022) -> pd.DataFrame:
    """A small customs table in the canonical layout: 60 firms in 4 cities, 2004–2007."""
    rng = np.random.default_rng(seed)
    products = {
        "84713000": ("piece", 3.0),
        "85171100": ("set", 4.0),
        "61091000": ("piece", 6.0),
        "94036000": ("kg", 2.5),
        "85252000": ("set", 4.5),
    }
    codes = list(products)
    rows = []
    for firm in range(60):
        city = ["110100", "310100", "440300", "330100"][firm % 4]
        quality = rng.normal(0, 0.5)
        for code in rng.choice(codes, 2, replace=False):
            for year in range(2004, 2008):
                if rng.random() < 0.3:  # products enter and exit
                    continue
                for partner in rng.choice(["USA", "JPN", "DEU", "KOR", "GBR", "FRA"], 3, False):
                    sigma = products[code][1]
                    ln_p = rng.normal(0, 0.3) + 0.3 * quality
                    ln_q = 5 - sigma * ln_p + (sigma - 1) * quality + rng.normal(0, 0.3)
                    rows.append(
                        (f"{firm:010d}", "某某制造有限公司", city, year, "export", "10", code,
                         partner, np.exp(ln_q), products[code][0], np.exp(ln_p + ln_q))
                    )
    columns = ["party_id", "firm_name", "city_code", "year", "flow", "regime", "hs8", "partner",
               "quantity", "unit", "value_usd"]
    return pd.DataFrame(rows, columns=columns)


def main() -> None:
    folder = concordance_dir()
    if folder is None:
        sys.exit("give the folder of the public concordance files as the first argument")
    sigma = read_sigma(folder / "Sigmas73countries_9403_HS3digit.dta")  # China, capped
    print("BGW σ for China:", len(sigma), "HS 3-digit lines; capped", sigma.attrs["n_capped_low"],
          "up to 1.5 and", sigma.attrs["n_capped_high"], "down to 20")
    print(sigma[sigma["hs3"].isin(["610", "847", "851", "852", "940"])].to_string(index=False))
    hs2002 = read_hs_bec(folder / "HS2002_to_BEC_Conversion_and_Correlation_Tables.csv")["hs6"]
    print("HS 2002 codes in the UN table:", hs2002.nunique())

    lines = customs_lines()
    lines.loc[[0, 1], "hs8"] = "85171200"  # an HS 2007 code declared in 2004: not HS 2002
    lines.loc[[2], "quantity"] = 0.0
    lines.loc[lines.index[lines["hs8"] == "94036000"][:3], "unit"] = "piece"
    cells = customs_cells(lines, hs2002_codes=hs2002, min_product_cells=0)
    report = cells.report()
    print(report[report["lines"] != 0].to_string(index=False))

    # provincial real GDP (any fixed unit): here an illustrative series
    gdp = pd.DataFrame(
        [(p, y, 1000.0 * (1 + int(p) / 100) * 1.1 ** (y - 2004))
         for p in ("11", "31", "44", "33") for y in range(2004, 2008)],
        columns=["province_code", "year", "gdp_real"],
    )
    quality = ksw_quality(cells.cells, sigma, gdp)  # IV, σ from BGW, normalised within HS6
    print(quality.report().to_string(index=False))
    params = quality.regression.params
    print(f"demand regression: coefficient on ln p {params['ln_p']:.4f} (σ̂ = {-params['ln_p']:.4f}),"
          f" on ln GDP {params['ln_gdp']:.4f};"
          f" first-stage F {quality.regression.diagnostics['first_stage_f'].statistic:.1f}")
    hs4 = quality.aggregate("city_hs4")
    print("hs4_qua:", len(hs4), "city × HS4 × year cells; mean", round(float(hs4["quality"].mean()), 4))
    print(hs4.head(4).to_string(index=False))

    hs6 = aggregate_quality(quality.quality, "city_hs6")
    hs6["hs4"] = hs6["hs6"].str[:4]
    mp = melitz_polanec(hs6, unit=("hs6",), group=("city_code", "hs4"), value="quality")
    data = mp.data
    print("Melitz–Polanec:", len(data), "city × HS4 × year rows;", mp.excluded)
    gap = (data["within"] + data["between"] + data["entry"] + data["exit"] - data["total"]).abs()
    print("max |within + between + entry + exit − total| =", f"{gap.max():.1e}")
    print(pl.from_pandas(data.head(3)[["city_code", "hs4", "year", "within", "between", "entry",
                                       "exit", "total", "gap"]]))


if __name__ == "__main__":
    main()
