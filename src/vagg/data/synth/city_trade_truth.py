"""Population estimands of paper 001, from the latent quality of the synthetic economy.

KSW quality is identified up to the demand equation's fixed effects and regressors: the
estimand's quality is the latent ln λ net of its projection on HS6 and destination × year
effects and ln provincial real GDP (eq. 18), min–max normalised within HS6 over all years
(eq. 20) and value-weighted to city × HS4 × year (eq. 21) — all from the latent ln λ and the
true values, never through :mod:`vagg.measures`. The estimands are the population least-squares
(and IV) coefficients of that latent outcome on the latent penetration with the paper's fixed
effects and controls, computed here with a small alternating-projection solver (a few lines of
numpy, so that the truth does not depend on vagg's estimators either).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vagg.data.synth.city_trade import PLANT, QualityCitiesEconomy

__all__ = [
    "CONTROLS",
    "demean",
    "fe_coefficient",
    "latent_cells",
    "latent_panel",
    "mp_components",
    "population_truth",
]

CONTROLS = ("fdi", "open", "fisc", "dlp", "sci", "edu", "wage", "gdp", "fixinv")


def demean(x: np.ndarray, groups: list[np.ndarray], tol: float = 1e-11) -> np.ndarray:
    """Residual of the columns of ``x`` on the dummies of ``groups`` (alternating projections).

    Parameters
    ----------
    x : numpy.ndarray
        (n,) or (n, k) values.
    groups : list of numpy.ndarray
        Integer codes 0..G−1 of each fixed effect.
    tol : float
        Largest change of an iteration at convergence.

    Returns
    -------
    numpy.ndarray
        (n, k) residuals.
    """
    x = np.asarray(x, float).copy()
    if x.ndim == 1:
        x = x[:, None]
    counts = [np.bincount(g) for g in groups]
    for _ in range(2000):
        before = x.copy()
        for g, n in zip(groups, counts, strict=True):
            for j in range(x.shape[1]):
                x[:, j] -= (np.bincount(g, weights=x[:, j], minlength=len(n)) / np.maximum(n, 1))[g]
        if np.max(np.abs(x - before)) < tol:
            break
    return x


def fe_coefficient(
    y: np.ndarray, x: np.ndarray, groups: list[np.ndarray], z: np.ndarray | None = None
) -> np.ndarray:
    """(IV) coefficients of ``y`` on ``x`` after partialling out ``groups``.

    β = (X̃'X̃)⁻¹X̃'ỹ, or the just-identified IV β = (Z̃'X̃)⁻¹Z̃'ỹ with ``z`` replacing the
    first column of ``x`` (Frisch–Waugh–Lovell on the demeaned data).

    Parameters
    ----------
    y : numpy.ndarray
        Outcome (n,).
    x : numpy.ndarray
        Regressors (n, k); the first is the one of interest.
    groups : list of numpy.ndarray
        Fixed-effect codes.
    z : numpy.ndarray, optional
        Instrument of the first regressor.

    Returns
    -------
    numpy.ndarray
        The k coefficients.
    """
    yd = demean(y, groups)[:, 0]
    xd = demean(x, groups)
    if z is None:
        return np.linalg.lstsq(xd, yd, rcond=None)[0]
    zd = xd.copy()
    zd[:, 0] = demean(z, groups)[:, 0]
    return np.linalg.solve(zd.T @ xd, zd.T @ yd)


def _codes(*cols: pd.Series) -> np.ndarray:
    return (
        pd.MultiIndex.from_arrays(list(cols)).factorize()[0]
        if len(cols) > 1
        else (cols[0].factorize()[0])
    )


def latent_cells(econ: QualityCitiesEconomy) -> pd.DataFrame:
    """Latent cell quality: ln λ net of its projection on HS6 and destination × year effects
    and ln provincial GDP (``q``), min–max normalised within HS6 (``rqua``)."""
    cells = econ.latent
    groups = [_codes(cells["hs6"]), _codes(cells["partner"], cells["year"])]
    y = demean(cells["ln_lambda"].to_numpy(), groups)[:, 0]
    g = demean(cells["ln_gdp"].to_numpy(), groups)[:, 0]
    q = y - g * (g @ y) / (g @ g)
    frame = cells[["party_id", "city_code", "hs4", "hs6", "year", "value_usd", "regime"]].assign(
        q=q
    )
    h = frame.groupby("hs6", observed=True)["q"]
    frame["rqua"] = (frame["q"] - h.transform("min")) / (h.transform("max") - h.transform("min"))
    return frame


def mp_components(units: pd.DataFrame) -> pd.DataFrame:
    """Melitz–Polanec (2015) components of the share-weighted quality of each city × HS4
    between t−1 and t, written out here independently of :mod:`vagg.measures`.

    ``units``: party_id, hs6, city_code, hs4, year, phi, w. Returns city_code, hs4, year,
    within, between, entry, exit, total, gap (between + entry + exit)."""
    key = ["city_code", "hs4", "year"]
    u = units.copy()
    u["s"] = u["w"] / u.groupby(key, observed=True)["w"].transform("sum")
    prev = u.assign(year=u["year"] + 1)
    groups = u[key].drop_duplicates()
    paired = groups.merge(prev[key].drop_duplicates(), on=key)
    m = u.merge(prev, on=[*key, "party_id", "hs6"], how="outer", suffixes=("2", "1"))
    m = m.merge(paired, on=key)
    surv = m["s1"].notna() & m["s2"].notna()
    ent, ext = m["s1"].isna(), m["s2"].isna()
    m = m.assign(
        surv=surv.astype(float),
        sp1=np.where(surv, m["s1"] * m["phi1"], 0.0),
        sp2=np.where(surv, m["s2"] * m["phi2"], 0.0),
        ss1=np.where(surv, m["s1"], 0.0),
        ss2=np.where(surv, m["s2"], 0.0),
        p1=np.where(surv, m["phi1"], 0.0),
        p2=np.where(surv, m["phi2"], 0.0),
        e_s=np.where(ent, m["s2"], 0.0),
        e_sp=np.where(ent, m["s2"] * m["phi2"], 0.0),
        x_s=np.where(ext, m["s1"], 0.0),
        x_sp=np.where(ext, m["s1"] * m["phi1"], 0.0),
        a1=np.where(m["s1"].notna(), m["s1"] * m["phi1"], 0.0),
        a2=np.where(m["s2"].notna(), m["s2"] * m["phi2"], 0.0),
    )
    g = m.groupby(key, observed=True).sum(numeric_only=True)
    n = g["surv"].replace(0, np.nan)
    mean1, mean2 = g["p1"] / n, g["p2"] / n
    big_s1, big_s2 = g["sp1"] / g["ss1"], g["sp2"] / g["ss2"]
    out = pd.DataFrame(index=g.index)
    out["within"] = mean2 - mean1
    out["between"] = (big_s2 - mean2) - (big_s1 - mean1)
    out["entry"] = np.where(g["e_s"] > 0, g["e_sp"] - g["e_s"] * big_s2, 0.0)
    out["exit"] = np.where(g["x_s"] > 0, g["x_s"] * big_s1 - g["x_sp"], 0.0)
    out["total"] = g["a2"] - g["a1"]
    out.loc[n.isna(), ["within", "between", "entry", "exit"]] = np.nan
    out["gap"] = out["between"] + out["entry"] + out["exit"]
    return out.reset_index()


def latent_panel(econ: QualityCitiesEconomy) -> pd.DataFrame:
    """The latent city × HS4 × year panel: ``hs4_latent`` beside penetration and controls."""
    frame = latent_cells(econ)
    units = (
        frame.assign(wq=frame["rqua"] * frame["value_usd"])
        .groupby(["party_id", "hs6", "city_code", "hs4", "year"], as_index=False, observed=True)[
            ["wq", "value_usd"]
        ]
        .sum()
    )
    units["phi"] = units["wq"] / units["value_usd"]
    mp = mp_components(units.rename(columns={"value_usd": "w"}))
    cells = econ.latent
    del cells
    frame["wq"] = frame["rqua"] * frame["value_usd"]
    panel = frame.groupby(["city_code", "hs4", "year"], as_index=False, observed=True)[
        ["wq", "value_usd"]
    ].sum()
    panel["hs4_latent"] = panel["wq"] / panel["value_usd"]
    cy = econ.city_year.sort_values(["city_code", "year"]).copy()
    cy["pen_lag"] = cy.groupby("city_code")["pen"].shift(1)
    cities = econ.tables["qc_cities"].set_index("city_code")
    nat = econ.tables["qc_national"].set_index("year")["internet_investment"]
    cy["iv_tel"] = cy["city_code"].map(cities["telephones_1984"]) * cy["year"].map(nat)
    cy["iv_post"] = cy["city_code"].map(cities["post_offices_1984"]) * cy["year"].map(nat)
    loc = econ.tables["qc_cities"][["city_code", "centre", "region"]]
    panel = panel.merge(mp, on=["city_code", "hs4", "year"], how="left")
    return panel.merge(cy, on=["city_code", "year"], how="inner").merge(loc, on="city_code")


def population_truth(econ: QualityCitiesEconomy) -> dict[str, Any]:
    """Truth entries ``quality_cities.*`` (value, study, table, kind, definition).

    Parameters
    ----------
    econ : QualityCitiesEconomy
        The generated economy with its latent cells.

    Returns
    -------
    dict
        Key → {"value", "study", "table", "kind", "definition"}, merged into ``truth.json``.
    """
    p = latent_panel(econ)
    y = p["hs4_latent"].to_numpy()
    ctrl = p[list(CONTROLS)].to_numpy()
    base = [_codes(p["city_code"]), _codes(p["year"]), _codes(p["hs4"])]
    out: dict[str, Any] = {}

    def put(key: str, value: float, table: str, definition: str) -> None:
        out[f"quality_cities.{key}"] = {
            "value": float(value),
            "study": "quality_cities",
            "table": table,
            "kind": "population estimand",
            "definition": definition,
        }

    x = np.column_stack([p["pen"], ctrl])
    put(
        "baseline",
        fe_coefficient(y, x, base)[0],
        "2",
        "LS coefficient of the latent hs4 quality on penetration, city/year/HS4 FE, 9 controls",
    )
    put(
        "province_year",
        fe_coefficient(y, x, [*base, _codes(p["province_code"], p["year"])])[0],
        "3",
        "as baseline, with province × year effects",
    )
    lag = p["pen_lag"].notna().to_numpy()
    pl_ = p[lag]
    bl = [_codes(pl_["city_code"]), _codes(pl_["year"]), _codes(pl_["hs4"])]
    yl = pl_["hs4_latent"].to_numpy()
    cl = pl_[list(CONTROLS)].to_numpy()
    put(
        "lagged",
        fe_coefficient(yl, np.column_stack([pl_["pen_lag"], cl]), bl)[0],
        "3",
        "LS coefficient of the latent hs4 quality on lagged penetration",
    )
    put(
        "iv_lag",
        fe_coefficient(yl, np.column_stack([pl_["pen"], cl]), bl, z=pl_["pen_lag"].to_numpy())[0],
        "3",
        "IV coefficient, penetration instrumented by its lag",
    )
    for group in ("centre", "east", "mid", "west"):
        dummy = (p["centre"] == 1) if group == "centre" else (p["region"] == group)
        xg = np.column_stack([p["pen"], p["pen"] * dummy.to_numpy(), ctrl])
        put(
            f"vagg_x_{group}",
            fe_coefficient(y, xg, base)[1],
            "6",
            f"LS coefficient of penetration × {group} (Table 6), baseline FE and controls",
        )
    for comp in ("within", "between", "entry", "exit", "total", "gap"):
        ok = p[comp].notna().to_numpy()
        pc = p[ok]
        bc = [_codes(pc["city_code"]), _codes(pc["year"]), _codes(pc["hs4"])]
        xc = np.column_stack([pc["pen"], pc[list(CONTROLS)].to_numpy()])
        put(
            f"mp_{comp}",
            fe_coefficient(pc[comp].to_numpy(), xc, bc)[0],
            "7",
            f"LS coefficient of the latent Melitz–Polanec {comp} component (firm × HS6 units)",
        )
    cells = latent_cells(econ)
    end_use = econ.tables["qc_hs6_end_use"].set_index("hs6")["end_use"]
    cells["end_use"] = cells["hs6"].map(end_use)
    for name, column, level in (
        ("processing", "regime", "14"),
        ("ordinary", "regime", "10"),
        ("intermediate", "end_use", "intermediate"),
        ("final", "end_use", "final"),
    ):
        sub = cells[cells[column] == level]
        agg = (
            sub.assign(wq=sub["rqua"] * sub["value_usd"])
            .groupby(["city_code", "hs4", "year"], as_index=False, observed=True)[
                ["wq", "value_usd"]
            ]
            .sum()
        )
        agg["y"] = agg["wq"] / agg["value_usd"]
        ps = agg.merge(econ.city_year, on=["city_code", "year"])
        bs = [_codes(ps["city_code"]), _codes(ps["year"]), _codes(ps["hs4"])]
        xs = np.column_stack([ps["pen"], ps[list(CONTROLS)].to_numpy()])
        put(
            f"{name}",
            fe_coefficient(ps["y"].to_numpy(), xs, bs)[0],
            "5",
            f"LS coefficient of the latent quality of {name} lines (Table 5)",
        )
    put(
        "lnitff",
        PLANT["lnitff_pen"],
        "8",
        "planted slope of ln(road area/population) on "
        "penetration (structural parameter of the yearbook panel)",
    )
    for name in ("iv_tel", "iv_post"):
        put(
            name,
            fe_coefficient(y, x, base, z=p[name].to_numpy())[0],
            "3",
            f"IV coefficient, penetration instrumented by {name}",
        )
    return out
