"""The province measures of papers 002 and 004 on a province panel, printed as Markdown.

By default the script builds the synthetic economy (``tiny`` scale, seed 1: its province
tables are the papers' full size, 30 provinces × 2000–2020) in a temporary folder; with
``--data DIR`` it reads your own dataset folder instead (``province_panel``,
``province_exports`` and ``national_series`` in the canonical layout of ``docs/data.md``)::

    python docs/examples/province_measures_examples.py              # synthetic economy
    python docs/examples/province_measures_examples.py --data mydata

The tables of ``docs/measures/provinces.md`` are this script's output on the synthetic economy.
Timings are wall-clock seconds of one call on the machine that runs it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from vagg.data.io import read_dataset
from vagg.data.synth.economy import generate
from vagg.measures.location_quotient import distance_decayed_lq
from vagg.measures.regional import (
    COASTAL_SPLITS,
    real_gdp,
    resilience_controls,
    sophistication_controls,
)
from vagg.measures.resilience import TABLE1_SL, export_resilience
from vagg.measures.solow import solow_tfp
from vagg.measures.sophistication import expy

TABLES = ["province_panel", "province_exports", "national_series"]
TABLE1 = {  # paper 002, Table 1 (N = 360): mean, sd, min, max
    "SL": (0.226, 0.129, 0.0672, 0.869),
    "Vag": (0.0307, 0.158, 0.000117, 0.974),
    "GDP": (12509.0, 7875.0, 4287.0, 47118.0),
    "TAX": (0.0812, 0.0294, 0.0422, 0.200),
    "CPI": (0.376, 0.0661, 0.222, 0.538),
    "FDI": (0.0201, 0.0159, 0.000100, 0.0819),
    "Internet": (7.045, 1.037, 3.490, 9.066),
    "R&D": (29.11, 10.56, 15.78, 62.14),
}
TIMES: dict[str, float] = {}


def timed(name: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    TIMES[name] = time.perf_counter() - start
    return out


def moments(values: Any) -> tuple[float, float, float, float]:
    x = np.asarray(values, dtype=float)
    return float(x.mean()), float(x.std(ddof=1)), float(x.min()), float(x.max())


def row(label: str, stats: tuple[float, ...], n: int | str = "") -> str:
    return f"| {label} | {n} | " + " | ".join(f"{v:.4g}" for v in stats) + " |"


def header(title: str) -> None:
    print(f"\n### {title}\n")
    print("| measure | N | mean | sd | min | max |")
    print("|---|---|---|---|---|---|")


def resilience_section(panel: pl.DataFrame, national: pl.DataFrame) -> None:
    window = pl.col("year").is_between(2009, 2020)
    header("Paper 002, 2009–2020: SL and Vag beside Table 1")
    sl = timed("export_resilience", lambda: export_resilience(panel, years=(2009, 2020)))
    print(row("SL, formula (E_t = Σ provinces, k = 1)", moments(sl["sl"]), sl.height))
    official = export_resilience(panel, national, years=(2009, 2020))
    print(row("SL, formula (official national total)", moments(official["sl"]), sl.height))
    methods: tuple[Literal["affine", "exponential"], ...] = ("affine", "exponential")
    for method in methods:
        moved = export_resilience(panel, years=(2009, 2020), transform=method)
        print(row(f"SL, transform='{method}'", moments(moved["sl"]), moved.height))
    print(row("SL, Table 1", TABLE1["SL"], 360))
    sample = panel.filter(window)
    vag = timed("distance_decayed_lq", lambda: distance_decayed_lq(sample))
    print(row("Vag, formula (km, own weight 1)", moments(vag["vag"]), vag.height))
    unit = distance_decayed_lq(sample, unit_km=100.0)
    print(row("Vag, distances in 100 km", moments(unit["vag"]), unit.height))
    scaled = distance_decayed_lq(sample, normalise="minmax")
    print(row("Vag, normalise='minmax' (pooled)", moments(scaled["vag"]), scaled.height))
    print(row("Vag, Table 1", TABLE1["Vag"], 360))
    top = scaled.group_by("province_code").agg(pl.col("vag").mean()).sort("vag").tail(3)
    print(
        "\nLargest mean min–max Vag: "
        + ", ".join(f"{c} {v:.3f}" for c, v in top.reverse().iter_rows())
    )

    header("Paper 002, 2009–2020: controls and moderator beside Table 1")
    controls = timed("resilience_controls", lambda: resilience_controls(sample, national))
    raw = resilience_controls(sample, national, pgdp_scale=1.0)
    labels = (("pgdp", "GDP"), ("tax", "TAX"), ("cons", "CPI"), ("fdi", "FDI"),
              ("internet", "Internet"), ("innovation", "R&D"))  # fmt: skip
    for column, paper in labels:
        frame = raw if column == "pgdp" else controls
        unit = " (RMB per head)" if column == "pgdp" else ""
        print(row(f"{column}{unit}", moments(frame[column]), frame.height))
        print(row(f"{paper}, Table 1", TABLE1[paper], 360))


def sophistication_section(
    panel: pl.DataFrame, exports: pl.DataFrame, national: pl.DataFrame
) -> None:
    window = pl.col("year").is_between(2004, 2015)
    real = timed("real_gdp", lambda: real_gdp(panel, base_year=2004))
    income = real.select(
        "province_code", "year", (pl.col("real_gdp_per_capita") / 1e4).alias("pgdp")
    )
    met = timed("expy", lambda: expy(exports, income, income_column="pgdp"))
    tfp = timed("solow_tfp", lambda: solow_tfp(panel))
    estimated = solow_tfp(panel, capital_share="estimate")["capital_share"][0]
    controls = timed("sophistication_controls", lambda: sophistication_controls(panel, national))
    header("Paper 004, 2004–2015: MET, ALLO and the controls")
    rows = (
        ("MET (EXPY, 10⁴ RMB at 2004 prices)", met.filter(window)["expy"]),
        ("ALLO = TFP level (α = 0.4, δ = 0.096)", tfp.filter(window)["tfp"]),
        ("ln ALLO", tfp.filter(window)["ln_tfp"]),
        ("URBAN", controls.filter(window)["urban"]),
        ("GOV", controls.filter(window)["gov"]),
        ("LAB (years)", controls.filter(window)["lab"]),
        ("OPEN", controls.filter(window)["open"]),
    )
    for label, values in rows:
        print(row(label, moments(values), len(values)))
    print(f"\nCapital share estimated with two-way fixed effects: {estimated:.3f}")


def splits_section() -> None:
    print("\n### Coastal lists\n")
    print("| split | coastal | provinces |")
    print("|---|---|---|")
    for name, codes in COASTAL_SPLITS.items():
        print(f"| `{name}` | {len(codes)} | {' '.join(codes)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="dataset folder (default: synthetic economy)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data
        if folder is None:
            folder = Path(tmp) / "tiny"
            generate("tiny", 1, folder)
        tables = read_dataset(folder, TABLES)
    panel, exports, national = (tables[name] for name in TABLES)
    source = "synthetic economy, tiny, seed 1" if args.data is None else args.data
    print(
        f"Data: {source}; province_panel {panel.height} rows, "
        f"province_exports {exports.height} rows."
    )
    resilience_section(panel, national)
    sophistication_section(panel, exports, national)
    splits_section()
    print("\n### Time per call (seconds)\n")
    print("| function | seconds |")
    print("|---|---|")
    for name, seconds in TIMES.items():
        print(f"| `{name}` | {seconds:.3f} |")
    assert TABLE1_SL["mean"] == TABLE1["SL"][0]


if __name__ == "__main__":
    main()
