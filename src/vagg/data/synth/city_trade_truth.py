"""Population estimands of paper 001, from the latent quality of the synthetic economy.

KSW quality is identified up to the demand equation's fixed effects and regressors: the
estimand's quality is (σ_h − 1) ln λ net of its projection on HS6 and destination × year
effects and ln provincial real GDP, divided by σ_h − 1 (eq. 18–19 with the true σ_h), min–max
normalised within HS6 over all years (eq. 20) and value-weighted to city × HS4 × year (eq. 21)
— all from the latent ln λ and the true values, never through :mod:`vagg.measures`. The
estimands are the population least-squares (and IV) coefficients of that latent outcome on the
latent penetration with the paper's fixed effects and controls, computed here with a small
exact fixed-effects solver (a few lines of numpy, so that the truth does not depend on vagg's
estimators either).
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
    "latent_firms",
    "latent_panel",
    "mp_components",
    "population_truth",
]

CONTROLS = ("fdi", "open", "fisc", "dlp", "sci", "edu", "wage", "gdp", "fixinv")


def demean(x: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Residual of the columns of ``x`` on the dummies of ``groups``, solved exactly.

    With D = [D_A, D_R] (A the effect with the most levels, R the others), the residual is
    M_D x = M_A x − M_A D_R b with b = S⁺ D_R'M_A x and S = D_R'M_A D_R
    = D_R'D_R − (D_A'D_R)' diag(1/n_a) (D_A'D_R) (Frisch–Waugh–Lovell; S⁺ the pseudo-inverse,
    which absorbs the collinear dummies). M_A is the within transformation of A. A few lines of
    numpy and scipy.sparse, independent of vagg's estimators.

    Parameters
    ----------
    x : numpy.ndarray
        (n,) or (n, k) values.
    groups : list of numpy.ndarray
        Integer codes 0..G−1 of each fixed effect.

    Returns
    -------
    numpy.ndarray
        (n, k) residuals.
    """
    from scipy import sparse

    x = np.asarray(x, float)
    if x.ndim == 1:
        x = x[:, None]
    codes = [np.asarray(g, np.int64) for g in groups]
    sizes = [int(g.max()) + 1 for g in codes]
    big = int(np.argmax(sizes))
    a, n_a = codes[big], sizes[big]
    count_a = np.maximum(np.bincount(a, minlength=n_a), 1).astype(float)

    def within(v: np.ndarray) -> np.ndarray:
        out = np.empty_like(v)
        for j in range(v.shape[1]):
            out[:, j] = v[:, j] - (np.bincount(a, weights=v[:, j], minlength=n_a) / count_a)[a]
        return out

    xa = within(x)
    rest = [(c, g) for i, (c, g) in enumerate(zip(codes, sizes, strict=True)) if i != big]
    if not rest:
        return xa
    offsets = np.cumsum([0] + [g for _, g in rest])
    n_r = int(offsets[-1])
    s_mat = np.zeros((n_r, n_r))
    for i, (ci, gi) in enumerate(rest):
        for j, (cj, gj) in enumerate(rest[i:], start=i):
            block = np.bincount(ci * gj + cj, minlength=gi * gj).reshape(gi, gj)
            s_mat[offsets[i] : offsets[i] + gi, offsets[j] : offsets[j] + gj] = block
            s_mat[offsets[j] : offsets[j] + gj, offsets[i] : offsets[i] + gi] = block.T
    # (D_A'D_R)' diag(1/n_a) (D_A'D_R) from the A × R cell counts (sparse: A may be large)
    pair = np.concatenate([a * n_r + c + o for (c, _), o in zip(rest, offsets[:-1], strict=True)])
    cells, counts = np.unique(pair, return_counts=True)
    del pair
    cross = sparse.csr_matrix((counts.astype(float), (cells // n_r, cells % n_r)), shape=(n_a, n_r))
    s_mat -= (cross.T @ sparse.diags(1.0 / count_a) @ cross).toarray()
    rhs = np.vstack(
        [
            np.column_stack(
                [np.bincount(c, weights=xa[:, j], minlength=g) for j in range(xa.shape[1])]
            )
            for c, g in rest
        ]
    )
    b = np.linalg.pinv(s_mat, rtol=1e-9, hermitian=True) @ rhs
    fitted = sum(b[o : o + g][c] for (c, g), o in zip(rest, offsets[:-1], strict=True))
    return xa - within(np.asarray(fitted))


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
    x = np.asarray(x, float).reshape(len(y), -1)
    cols = [np.asarray(y, float)[:, None], x]
    if z is not None:
        cols.append(np.asarray(z, float)[:, None])
    both = demean(np.hstack(cols), groups)
    yd, xd = both[:, 0], both[:, 1 : 1 + x.shape[1]]
    if z is None:
        return _ls(xd, yd)
    zd = xd.copy()
    zd[:, 0] = both[:, -1]
    return np.linalg.solve(zd.T @ xd, zd.T @ yd)


def _ls(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares from the normal equations of the columns scaled to unit norm,
    β = S⁻¹(X̃'X̃)⁻¹X̃'y with X̃ = XS⁻¹ (a k × k solve: no SVD of the n × k matrix)."""
    scale = np.linalg.norm(x, axis=0)
    xs = x / scale
    return np.linalg.solve(xs.T @ xs, xs.T @ y) / scale


def _codes(*cols: pd.Series) -> np.ndarray:
    """Integer codes 0..G−1 of the combinations of ``cols`` (each factorised, then combined
    arithmetically: no tuples of Python objects for the ≈10⁷ cells)."""
    code = np.zeros(len(cols[0]), np.int64)
    for col in cols:
        own, uniques = pd.factorize(col)
        code = code * len(uniques) + own
    return np.unique(code, return_inverse=True)[1] if len(cols) > 1 else code


def latent_cells(econ: QualityCitiesEconomy) -> pd.DataFrame:
    """Latent cell quality ``q`` and its min–max normalisation within HS6 (``rqua``).

    The demand residual of eq. (18) with the true σ_h is the part of (σ_h − 1) ln λ that HS6
    and destination × year effects and ln provincial GDP leave (the demand shifters they
    absorb are exactly those effects); eq. (19) divides it by σ_h − 1:
    q = M[(σ_h − 1) ln λ] / (σ_h − 1), M the residual maker of those regressors. The
    destination × year effects are common to products of different σ_h, so q is not
    ln λ − M-projection of ln λ itself when σ_h varies."""
    cells = econ.latent
    groups = [_codes(cells["hs6"]), _codes(cells["partner"], cells["year"])]
    sigma = cells["sigma"].to_numpy()
    both = demean(np.column_stack([(sigma - 1) * cells["ln_lambda"], cells["ln_gdp"]]), groups)
    y, g = both[:, 0], both[:, 1]
    del both
    q = (y - g * (g @ y) / (g @ g)) / (sigma - 1)
    frame = cells[["party_id", "city_code", "hs4", "hs6", "value_usd", "regime"]].assign(
        year=cells["year"].to_numpy().astype(np.int64), q=q
    )
    h = frame.groupby("hs6", observed=True)["q"]
    low, high = h.transform("min"), h.transform("max")
    frame["rqua"] = (frame["q"] - low) / (high - low)
    return frame


def _weighted(frame: pd.DataFrame, by: list[str], name: str) -> pd.DataFrame:
    """Value-weighted mean of ``rqua`` by ``by`` (eq. 21) as column ``name``."""
    out = (
        frame.assign(wq=frame["rqua"] * frame["value_usd"])
        .groupby(by, as_index=False, observed=True)[["wq", "value_usd"]]
        .sum()
    )
    out[name] = out.pop("wq") / out["value_usd"]
    return out


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


def latent_panel(econ: QualityCitiesEconomy, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The latent city × HS4 × year panel: ``hs4_latent`` beside penetration and controls
    (``frame``: :func:`latent_cells` when already computed)."""
    frame = latent_cells(econ) if frame is None else frame
    units = _weighted(frame, ["party_id", "hs6", "city_code", "hs4", "year"], "phi")
    mp = mp_components(units.rename(columns={"value_usd": "w"}))
    del units
    panel = _weighted(frame, ["city_code", "hs4", "year"], "hs4_latent")
    cy = econ.city_year.sort_values(["city_code", "year"]).copy()
    cy["pen_lag"] = cy.groupby("city_code")["pen"].shift(1)
    cities = econ.tables["qc_cities"].set_index("city_code")
    nat = econ.tables["qc_national"].set_index("year")["internet_investment"]
    cy["iv_tel"] = cy["city_code"].map(cities["telephones_1984"]) * cy["year"].map(nat)
    cy["iv_post"] = cy["city_code"].map(cities["post_offices_1984"]) * cy["year"].map(nat)
    loc = econ.tables["qc_cities"][["city_code", "centre", "region"]]
    panel = panel.merge(mp, on=["city_code", "hs4", "year"], how="left")
    return panel.merge(cy, on=["city_code", "year"], how="inner").merge(loc, on="city_code")


def latent_firms(econ: QualityCitiesEconomy, frame: pd.DataFrame) -> pd.DataFrame:
    """The latent firm × city × year panel of Table 4 (4)–(5): ``c_latent`` (value-weighted
    over the firm's HS6 × destination cells) on the matched CIE firm-years (``qc_firms``,
    2005–2013) with age = year − founded + 1, size = ln employment, ln assets per worker,
    penetration and the city controls."""
    firms = econ.tables["qc_firms"].assign(party_id=lambda f: f["party_id"].astype(str))
    firms["age"] = firms["year"] - firms["founded"] + 1
    firms["size"] = np.log(firms["employment"])
    firms["apw"] = np.log(firms["assets"] / firms["employment"])
    panel = _weighted(frame, ["party_id", "city_code", "year"], "c_latent")
    panel["party_id"] = panel["party_id"].astype(str)
    panel = panel.merge(firms[["party_id", "year", "age", "size", "apw"]], on=["party_id", "year"])
    return panel.merge(econ.city_year, on=["city_code", "year"], how="inner")


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
    cells = latent_cells(econ)
    p = latent_panel(econ, cells)
    out: dict[str, Any] = {}

    def put(key: str, value: float, table: str, definition: str) -> None:
        out[f"quality_cities.{key}"] = {
            "value": float(value),
            "study": "quality_cities",
            "table": table,
            "kind": "population estimand",
            "definition": definition,
        }

    ctrl = list(CONTROLS)
    groups = ("centre", "east", "mid", "west")
    dummies = {g: (p["centre"] == 1) if g == "centre" else (p["region"] == g) for g in groups}
    # every full-panel estimand shares the city, year and HS4 effects: demeaned once
    stack = np.column_stack(
        [
            p["hs4_latent"],
            p["pen"],
            p[ctrl].to_numpy(),
            *[p["pen"] * dummies[g].to_numpy() for g in groups],
            p["iv_tel"],
            p["iv_post"],
        ]
    )
    d = demean(stack, [_codes(p["city_code"]), _codes(p["year"]), _codes(p["hs4"])])
    k = 2 + len(ctrl)
    yd, xd = d[:, 0], d[:, 1:k]
    put(
        "baseline",
        _ls(xd, yd)[0],
        "2",
        "LS coefficient of the latent hs4 quality on penetration, city/year/HS4 FE, 9 controls",
    )
    for i, group in enumerate(groups):
        xg = np.column_stack([xd[:, :1], d[:, k + i], xd[:, 1:]])
        put(
            f"vagg_x_{group}",
            _ls(xg, yd)[1],
            "6",
            f"LS coefficient of penetration × {group} (Table 6), baseline FE and controls",
        )
    for j, name in enumerate(("iv_tel", "iv_post")):
        zd = xd.copy()
        zd[:, 0] = d[:, k + len(groups) + j]
        put(
            name,
            np.linalg.solve(zd.T @ xd, zd.T @ yd)[0],
            "3",
            f"IV coefficient, penetration instrumented by {name}",
        )
    del d, stack
    y = p["hs4_latent"].to_numpy()
    x = np.column_stack([p["pen"], p[ctrl].to_numpy()])
    base = [_codes(p["city_code"]), _codes(p["year"]), _codes(p["hs4"])]
    put(
        "province_year",
        fe_coefficient(y, x, [*base, _codes(p["province_code"], p["year"])])[0],
        "3",
        "as baseline, with province × year effects",
    )
    pl_ = p[p["pen_lag"].notna().to_numpy()]
    bl = [_codes(pl_["city_code"]), _codes(pl_["year"]), _codes(pl_["hs4"])]
    d = demean(
        np.column_stack([pl_["hs4_latent"], pl_["pen_lag"], pl_["pen"], pl_[ctrl].to_numpy()]),
        bl,
    )
    put(
        "lagged",
        _ls(d[:, [1, *range(3, d.shape[1])]], d[:, 0])[0],
        "3",
        "LS coefficient of the latent hs4 quality on lagged penetration",
    )
    xd, zd = d[:, 2:], d[:, 2:].copy()
    zd[:, 0] = d[:, 1]
    put(
        "iv_lag",
        np.linalg.solve(zd.T @ xd, zd.T @ d[:, 0])[0],
        "3",
        "IV coefficient, penetration instrumented by its lag",
    )
    for comp in ("within", "between", "entry", "exit", "total", "gap"):
        ok = p[comp].notna().to_numpy()
        pc = p[ok]
        bc = [_codes(pc["city_code"]), _codes(pc["year"]), _codes(pc["hs4"])]
        xc = np.column_stack([pc["pen"], pc[ctrl].to_numpy()])
        put(
            f"mp_{comp}",
            fe_coefficient(pc[comp].to_numpy(), xc, bc)[0],
            "7",
            f"LS coefficient of the latent Melitz–Polanec {comp} component (firm × HS6 units)",
        )
    end_use = econ.tables["qc_hs6_end_use"].set_index("hs6")["end_use"]
    cells["end_use"] = cells["hs6"].map(end_use)  # on the categories
    for name, column, level in (
        ("processing", "regime", "14"),
        ("ordinary", "regime", "10"),
        ("intermediate", "end_use", "intermediate"),
        ("final", "end_use", "final"),
    ):
        agg = _weighted(cells[cells[column] == level], ["city_code", "hs4", "year"], "y")
        ps = agg.merge(econ.city_year, on=["city_code", "year"])
        bs = [_codes(ps["city_code"]), _codes(ps["year"]), _codes(ps["hs4"])]
        xs = np.column_stack([ps["pen"], ps[ctrl].to_numpy()])
        put(
            f"{name}",
            fe_coefficient(ps["y"].to_numpy(), xs, bs)[0],
            "5",
            f"LS coefficient of the latent quality of {name} lines (Table 5)",
        )
    h6 = _weighted(cells, ["city_code", "hs6", "year"], "y").merge(
        econ.city_year, on=["city_code", "year"]
    )
    put(
        "hs6",
        fe_coefficient(
            h6["y"].to_numpy(),
            np.column_stack([h6["pen"], h6[ctrl].to_numpy()]),
            [_codes(h6["city_code"]), _codes(h6["year"]), _codes(h6["hs6"])],
        )[0],
        "4",
        "LS coefficient of the latent city × HS6 × year quality on penetration, city/year/HS6 "
        "FE, 9 controls (Table 4 (2))",
    )
    del h6
    firms = latent_firms(econ, cells)
    del cells
    fg = [_codes(firms["party_id"]), _codes(firms["city_code"]), _codes(firms["year"])]
    yf = firms["c_latent"].to_numpy()
    put(
        "firm",
        fe_coefficient(yf, firms[["pen"]].to_numpy(), fg)[0],
        "4",
        "LS coefficient of the latent firm quality on penetration, firm/city/year FE, matched "
        "CIE firm-years 2005–2013 (Table 4 (4))",
    )
    put(
        "firm_controls",
        # age = year − founded + 1 is collinear with the firm and year effects: left out
        fe_coefficient(yf, firms[["pen", "size", "apw", *ctrl]].to_numpy(), fg)[0],
        "4",
        "as firm, with firm size, ln assets per worker and the 9 city controls (firm age is "
        "collinear with the firm and year effects) (Table 4 (5))",
    )
    put(
        "lnitff",
        PLANT["lnitff_pen"],
        "8",
        "planted slope of ln(road area/population) on "
        "penetration (structural parameter of the yearbook panel)",
    )
    return out
