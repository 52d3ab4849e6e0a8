"""Regenerate ``staggered_castle_csdid.json``: csdid references for the Callaway–Sant'Anna
tests (``tests/estimate/did/test_callaway_santanna.py``), kept so that the numbers are
checked even where csdid is not installed.

Data: the castle-doctrine panel of Cheng & Hoekstra (2013), PyPI ``causaldata.castle`` (MIT),
50 states × 2000–2010, outcome ``l_homicide``; the adoption year ``effyear`` is the first year
with ``post`` = 1 (0 for never), float32 columns cast to float64 (as in the tests' conftest).
Every number is computed with csdid (``csdid.att_gt.ATTgt``, a port of R ``did`` 2.x), never
vagg: the doubly robust ATT(g,t) with never-treated controls and a varying base period, their
analytic SEs (``bstrap=False``), and ``aggte`` simple, group, dynamic and calendar effects.

Run from the repository root: ``python tests/reference/make_staggered_references.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from importlib import metadata
from pathlib import Path

import causaldata
import numpy as np

OUT = Path(__file__).with_name("staggered_castle_csdid.json")


def main() -> None:
    from csdid.att_gt import ATTgt

    data = causaldata.castle.load_pandas().data
    first = data[data["post"] > 0].groupby("sid")["year"].min()
    data["effyear"] = data["sid"].map(first).fillna(0).astype("int64")
    data["year"] = data["year"].astype("int64")
    floats = data.select_dtypes("float32").columns
    data[floats] = data[floats].astype("float64")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        model = ATTgt(
            yname="l_homicide",
            tname="year",
            idname="sid",
            gname="effyear",
            data=data,
            control_group="nevertreated",
        ).fit(est_method="dr", base_period="varying", bstrap=False)
        out: dict[str, object] = {
            "provenance": {
                "source": "csdid.att_gt.ATTgt(...).fit(est_method='dr', base_period='varying', "
                "bstrap=False) and .aggte(typec=kind, bstrap=False)",
                "csdid": metadata.version("csdid"),
                "causaldata": metadata.version("causaldata"),
                "data": "causaldata.castle (Cheng & Hoekstra 2013), outcome l_homicide",
            },
            "att_gt": {
                "cohort": [float(g) for g in model.results["group"]],
                "time": [float(t) for t in model.results["year"]],
                "estimate": [float(v) for v in model.results["att"]],
                "std_error": [float(v) for v in model.results["se"]],
            },
        }
        for kind in ("simple", "group", "dynamic", "calendar"):
            model.aggte(typec=kind, bstrap=False)
            a = model.atte
            entry: dict[str, object] = {
                "overall": float(a["overall_att"]),
                "overall_se": float(a["overall_se"]),
            }
            if kind != "simple":
                entry["keys"] = [float(v) for v in np.asarray(a["egt"])]
                entry["estimate"] = [float(v) for v in np.asarray(a["att_egt"])]
                entry["std_error"] = [float(v) for v in np.asarray(a["se_egt"])]
            out[kind] = entry
    OUT.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
