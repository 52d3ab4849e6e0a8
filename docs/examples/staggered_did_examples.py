"""The numbers of docs/estimation/staggered_did.md: Callaway–Sant'Anna and Sun–Abraham on the
castle-doctrine panel (Cheng & Hoekstra 2013, shipped by ``causaldata``), and the check
against csdid. Run: ``python docs/examples/staggered_did_examples.py`` (about 10 s)."""

from __future__ import annotations

import contextlib
import io
import warnings

import causaldata
import numpy as np
import pandas as pd

from vagg.estimate import callaway_santanna, feols, sun_abraham


def load_castle() -> pd.DataFrame:
    """50 states × 2000–2010; ``effyear`` = first year with ``post`` = 1 (0: never)."""
    data = causaldata.castle.load_pandas().data
    first = data[data["post"] > 0].groupby("sid")["year"].min()
    data["effyear"] = data["sid"].map(first).fillna(0).astype("int64")
    data["year"] = data["year"].astype("int64")
    floats = data.select_dtypes("float32").columns
    data[floats] = data[floats].astype("float64")
    return data


def show(frame: pd.DataFrame, columns: list[str]) -> None:
    print(frame[columns].to_markdown(index=False, floatfmt=".4f"))
    print()


def main() -> None:
    castle = load_castle()
    fit = callaway_santanna(
        castle, "l_homicide", "sid", "year", "effyear", control="never", method="dr", seed=1
    )
    cols = ["term", "estimate", "std_error", "conf_low", "conf_high", "band_low", "band_high"]
    print("### CS dynamic (event-time) effects, never-treated controls, DR, varying base\n")
    dyn = fit.aggregate("dynamic", min_e=-5, max_e=4)
    show(dyn.frame, cols)
    print(f"uniform critical value: {float(dyn.crit_value):.4f}\n")
    for kind in ("simple", "group", "dynamic", "calendar"):
        agg = fit.aggregate(kind)
        assert agg.overall is not None
        o = agg.overall.iloc[0]
        print(f"- overall ({kind}): {o['estimate']:.4f} (se {o['std_error']:.4f})")
    print()
    print("### CS group effects\n")
    show(fit.aggregate("group").frame, ["term", "estimate", "std_error", "band_low", "band_high"])
    print("### Sun–Abraham interaction-weighted effects, never-treated controls\n")
    sa = sun_abraham(castle, "l_homicide", "sid", "year", "effyear", seed=1)
    f = sa.coefficients()
    show(f[(f["rel_time"] >= -5) & (f["rel_time"] <= 4)], cols)
    castle["treated"] = ((castle["effyear"] > 0) & (castle["year"] >= castle["effyear"])).astype(
        float
    )
    twfe = feols("l_homicide ~ treated | sid + year", castle)
    print(
        f"static TWFE: {twfe.params['treated']:.4f} (se {twfe.bse['treated']:.4f}, "
        "clustered by state)\n"
    )
    from csdid.att_gt import ATTgt

    print("### Agreement with csdid 0.4.3 (max |difference| over ATT(g,t))\n")
    print("| method | control | ATT(g,t) | SE |")
    print("| :--- | :--- | ---: | ---: |")
    for method in ("reg", "ipw", "dr"):
        for control, cg in (("never", "nevertreated"), ("notyet", "notyettreated")):
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                ref = ATTgt(
                    yname="l_homicide",
                    tname="year",
                    idname="sid",
                    gname="effyear",
                    data=castle,
                    control_group=cg,
                ).fit(est_method=method, bstrap=False)
            ours = callaway_santanna(
                castle,
                "l_homicide",
                "sid",
                "year",
                "effyear",
                control=control,
                method=method,
                bootstrap=0,
            ).att_gt
            d_att = np.max(np.abs(ours["estimate"] - np.asarray(ref.results["att"])))
            d_se = np.max(np.abs(ours["std_error"] - np.asarray(ref.results["se"])))
            print(f"| {method} | {control} | {d_att:.1e} | {d_se:.1e} |")


if __name__ == "__main__":
    main()
