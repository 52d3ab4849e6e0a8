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
    """A small customs table in the canonical layout: 80 firms in 4 cities, 2003–2006 (HS 2002
    years), CES demand with a firm-product quality and a firm-product-year cost shock."""
    rng = np.random.default_rng(seed)
    products = {  # HS 2002 code: (unit, σ of the demand)
        "84713000": ("piece", 3.0),
        "84714100": ("piece", 3.0),
        "61091000": ("piece", 3.2),
        "61099000": ("piece", 3.2),
        "94036000": ("kg", 2.7),
        "94035000": ("kg", 2.7),
        "85252000": ("set", 4.5),
    }
    codes = list(products)
    partners = ["USA", "JPN", "DEU", "KOR", "GBR", "FRA", "NLD", "AUS"]
    rows = []
    for firm in range(80):
        city = ["110100", "310100", "440300", "330100"][firm % 4]
        for code in rng.choice(codes, 3, replace=False):
            unit, sigma = products[code]
            quality = rng.normal(0, 0.5)
            for year in range(2003, 2007):
                if rng.random() < 0.3:  # products enter and exit
                    continue
                cost = rng.normal(0, 0.4)
                for partner in rng.choice(partners, int(rng.integers(1, 5)), replace=False):
                    ln_lambda = quality + rng.normal(0, 0.2)
                    ln_p = cost + 0.3 * ln_lambda + rng.normal(0, 0.1)
                    ln_q = 5 - sigma * ln_p + (sigma - 1) * ln_lambda + rng.normal(0, 0.3)
                    rows.append(
                        (
                            f"{firm:010d}",
                            "某某制造有限公司",
                            city,
                            year,
                            "export",
                            "10",
                            code,
                            partner,
                            np.exp(ln_q),
                            unit,
                            np.exp(ln_p + ln_q),
                        )
                    )
    columns = [
        "party_id",
        "firm_name",
        "city_code",
        "year",
        "flow",
        "regime",
        "hs8",
        "partner",
        "quantity",
        "unit",
        "value_usd",
    ]
    return pd.DataFrame(rows, columns=columns)


def main() -> None:
    folder = concordance_dir()
    if folder is None:
        sys.exit("give the folder of the public concordance files as the first argument")
    sigma = read_sigma(folder / "Sigmas73countries_9403_HS3digit.dta")  # China, capped
    print(
        "BGW σ for China:",
        len(sigma),
        "HS 3-digit lines; capped",
        sigma.attrs["n_capped_low"],
        "up to 1.5 and",
        sigma.attrs["n_capped_high"],
        "down to 20",
    )
    print(sigma[sigma["hs3"].isin(["610", "847", "851", "852", "940"])].to_string(index=False))
    hs2002 = read_hs_bec(folder / "HS2002_to_BEC_Conversion_and_Correlation_Tables.csv")["hs6"]
    print("HS 2002 codes in the UN table:", hs2002.nunique())

    lines = customs_lines()
    lines.loc[[0, 1], "hs8"] = "85171200"  # an HS 2007 code in an HS 2002 year
    lines.loc[[2], "quantity"] = 0.0
    lines.loc[lines.index[lines["hs8"] == "94036000"][:3], "unit"] = "piece"
    cells = customs_cells(lines, hs2002_codes=hs2002, min_product_cells=0)
    report = cells.report()
    print(report[report["lines"] != 0].to_string(index=False))

    # provincial real GDP (any fixed unit): here an illustrative series
    gdp = pd.DataFrame(
        [
            (p, y, 1000.0 * (1 + int(p) / 100) * 1.1 ** (y - 2003))
            for p in ("11", "31", "44", "33")
            for y in range(2003, 2007)
        ],
        columns=["province_code", "year", "gdp_real"],
    )
    quality = ksw_quality(cells.cells, sigma, gdp)  # IV, σ from BGW, normalised within HS6
    print(quality.report().to_string(index=False))
    params = quality.regression.params
    print(
        f"demand regression: coefficient on ln p {params['ln_p']:.4f} (σ̂ = {-params['ln_p']:.4f}),"
        f" on ln GDP {params['ln_gdp']:.4f};"
        f" first-stage F {quality.regression.diagnostics['first_stage_f'].statistic:.1f}"
    )
    hs4 = quality.aggregate("city_hs4")
    print(
        "hs4_qua:",
        len(hs4),
        "city × HS4 × year cells; mean",
        round(float(hs4["quality"].mean()), 4),
    )
    print(hs4.head(4).to_string(index=False))

    # MP over firm × HS6 units within city × HS4 (the spec's option; HS6 units are the default)
    units = aggregate_quality(quality.quality, by=("city_code", "hs4", "party_id", "hs6", "year"))
    mp = melitz_polanec(units, unit=("party_id", "hs6"), group=("city_code", "hs4"))
    data = mp.data
    print("Melitz–Polanec:", len(data), "city × HS4 × year rows;", mp.excluded)
    gap = (data["within"] + data["between"] + data["entry"] + data["exit"] - data["total"]).abs()
    print("max |within + between + entry + exit − total| =", f"{gap.max():.1e}")
    shown = ["city_code", "hs4", "year", "within", "between", "entry", "exit", "total", "gap"]
    print(data[shown].head(3).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
