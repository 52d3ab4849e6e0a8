"""``truth.json`` entries of the mechanisms (Tables 7–12) and the event studies of study
``resilience_firms`` (paper 003), computed on the latent records like the rest of its truth
(:mod:`vagg.data.synth.truth_resilience`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg.data.synth.cie_accounts import RAMP_YEARS
from vagg.data.synth.relations import ResilienceState
from vagg.data.synth.resilience_latent import LatentTrade
from vagg.data.synth.truth_tools import CONTROL_WORDS, CONTROLS, SAMPLE_C, Entries, a_path, ols

__all__ = ["event_entries", "mechanism_entries"]

_CIE = "sample: CIE firm-years 2000–2013 with the item reported (positive sales)"
_MEDIATORS = {
    "SWITCH_2009": (
        "Table 9 (M3)",
        "SWITCH of 2009 (share of 2009 intermediate imports in "
        "(country, HS6) pairs not used in 2008; regimes 10, 14, 15 together)",
    ),
    "REALLOC_2009": ("Table 10 (M4)", "REALLOC of 2009"),
    "OPEX_2008": ("Table 11 (M5)", "OPEX of 2008"),
    "NEWPROD_2008": ("Table 7 (M1)", "NEWPROD of 2008"),
    "STRICT_2008": ("Table 12 (M6)", "STRICT export share of 2008"),
}


def _merge(panel: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    return panel.merge(frame, on=["firm", "year"])


def mechanism_entries(
    out: Entries,
    panel: pd.DataFrame,
    trade: LatentTrade,
    cross: pd.DataFrame,
    state: ResilienceState,
) -> None:
    """The (M-a) a-paths, REPLACE, OFFSET, the congestion moderation and the mediation."""
    for code, table in (
        ("NEWPROD", "Table 7 (M1)"),
        ("INV", "Table 8 (M2)"),
        ("OPEX", "Table 11 (M5)"),
        ("COSTR", "Table 11 (M5)"),
        ("FINPRESS", "Table 11 (M5)"),
    ):
        a_path(out, panel, code, table, _CIE)
    pchurn = trade.churn("hs6_row").rename(columns={"CHURN": "PCHURN"})
    pchurn = pchurn[(pchurn["x"] > 0) & (pchurn["x_prev"] > 0)]
    a_path(
        out,
        _merge(panel, pchurn),
        "PCHURN",
        "Table 7 (M1)",
        "PCHURN = (Σ_added x_ht + Σ_dropped x_h,t−1)/((X_t + X_t−1)/2) over HS6 products; "
        "CIE firm-years exporting in t and t − 1",
    )
    dest = trade.churn("partner_idx").rename(columns={"CHURN": "DCHURN", "n_added": "NEWDEST"})
    words = "CIE firm-years with exports in t or t − 1 (t > 2000); destinations = partners"
    for code in ("NEWDEST", "DCHURN"):
        a_path(out, _merge(panel, dest), code, "Table 10 (M4)", words)
    a_path(
        out,
        _merge(panel, trade.realloc()),
        "REALLOC",
        "Table 10 (M4)",
        "REALLOC = Σ_d (s_fdt − s_fd,t−1)·z(ĝ_dt), ĝ_dt = Δ ln Σ_h M_dht standardised "
        "across destinations in t; CIE firm-years exporting in t and t − 1",
    )
    a_path(
        out,
        _merge(panel, trade.emerging()),
        "EMERG",
        "Table 10 (M4)",
        "EMERG = share of X_ft to emerging destinations (outside the IMF WEO advanced "
        "economies) first served in t − 1 or t; CIE firm-years exporting in t, t ≥ 2002",
    )
    a_path(
        out,
        _merge(panel, trade.strict()),
        "STRICT",
        "Table 12 (M6)",
        "STRICT = share of X_ft to EU27 + GBR + JPN + KOR + CHE + NOR; CIE exporters in t",
    )
    src = trade.sourcing()
    for code in ("NSRC", "IMPHHI", "SWITCH"):
        a_path(
            out,
            _merge(panel, src),
            code,
            "Table 9 (M3)",
            "BEC-intermediate imports under regimes 10, 14 and 15 together (regime group "
            "'all'); NSRC = number of source countries, IMPHHI = Σ_c s_c² over countries, "
            "SWITCH = share in (country, HS6) pairs not used in t − 1; CIE firm-years "
            "importing intermediates in t (SWITCH: t > 2000)",
        )
    smart = trade.smart_imports().rename("smart_usd").reset_index()
    sm = panel.merge(smart, on=["firm", "year"], how="left")
    sm["SMART"] = (sm["smart_usd"].fillna(0.0) > 0).astype(float)
    a_path(
        out,
        sm,
        "SMART",
        "Table 12 (M6)",
        "SMART = 1{imports of the intelligent-equipment HS list > 0}; CIE firm-years",
    )
    nxt = panel[["firm", "year", "county_row"]].assign(year=panel["year"] - 1)
    mv = panel.merge(nxt, on=["firm", "year"], suffixes=("", "_next"))
    mv["MOVE_next"] = (mv["county_row_next"] != mv["county_row"]).astype(float)
    a_path(
        out,
        mv,
        "MOVE_next",
        "Table 8 (M2)",
        "MOVE_f,t+1 = 1{the firm's county in t + 1 is another, farther from its city's "
        "core county}; CIE firm-years with a CIE record in t + 1 (LPM)",
    )
    _replace(out, panel, trade)
    _offset(out, cross, trade, state)
    _congestion(out, cross, panel, state)
    _mediation(out, cross, panel, trade)


def _replace(out: Entries, panel: pd.DataFrame, trade: LatentTrade) -> None:
    rep = trade.replacement()
    at = panel[panel["year"] == 2010].drop(columns="year")
    rows = rep.merge(at, on="firm")
    beta, n = ols(rows, "REPLACE", ["vagg_h", *CONTROLS], ["ind_idx"])
    out.add(
        "table9.REPLACE_on_vagg_h",
        beta[0],
        "Table 9 (M3), REPLACE on vagg_h among exposed firms",
        "coefficient on vagg_h (2010) in REPLACE = GAIN/LOSS after the 2011 supply shocks "
        "(supply_shocks: JPN, THA; horizon 1: means over 2011–2012; products imported from the "
        f"source in 2010; BEC-intermediate imports, regimes 10/14/15 together) + {CONTROL_WORDS} "
        "(2010) + CIC4 fixed effects; one row per exposed firm × shocked source with LOSS > 0 "
        "and a CIE record in 2010",
        n,
    )


def _offset(out: Entries, cross: pd.DataFrame, trade: LatentTrade, state: ResilienceState):
    world = state.world
    i0, i1 = (int(np.searchsorted(world.years, y)) for y in (2008, 2009))
    total = np.log(np.exp(world.log_m[[i0, i1]]).sum(axis=2))
    g = total[1] - total[0]
    hit = np.flatnonzero(g < np.median(g))
    off = trade.offset(hit).rename("OFFSET")
    rows = cross.merge(off, left_on="firm", right_index=True)
    beta, n = ols(rows, "OFFSET", ["vagg_h", *CONTROLS, "lnx07"], ["ind_idx", "city"])
    codes = ", ".join(sorted(state.exports.partner_codes[hit]))
    out.add(
        "table10.OFFSET_on_vagg_h",
        beta[0],
        "Table 10 (M4), OFFSET (2008→2009) on vagg_h",
        "coefficient on vagg_h (2007) in OFFSET = Σ_{d∉H} max(0, ΔX_fd)/Σ_{d∈H} |min(0, ΔX_fd)| "
        "over 2008→2009, H = destinations whose ln Σ_h M fell by more than the median "
        f"destination's (hit_destinations with threshold = that median; here {codes}) + "
        f"{CONTROL_WORDS}, ln X_2007 + CIC4 and city FE; {SAMPLE_C}, with a loss in H",
        n,
    )


def _congestion(out: Entries, cross: pd.DataFrame, panel: pd.DataFrame, state: ResilienceState):
    counties = state.counties
    p07 = panel[panel["year"] == 2007]
    cells = p07.groupby(["cic2", "county_row"])["employment"].sum().reset_index()
    cells["dens"] = cells["employment"] / counties["area_km2"].to_numpy()[cells["county_row"]]
    cells = cells[cells["employment"] > 0]
    cells["thr"] = cells.groupby("cic2")["dens"].transform(lambda s: np.quantile(s, 0.75))
    cells["HIGHDENS"] = (cells["dens"] > cells["thr"]).astype(float)
    c = cross.merge(p07[["firm", "county_row"]], on="firm", suffixes=("", "_07")).merge(
        cells[["cic2", "county_row", "HIGHDENS"]], on=["cic2", "county_row"], how="left"
    )
    c["vxh"] = c["vagg_h"] * c["HIGHDENS"]
    beta, n = ols(
        c, "RESIS", ["vagg_h", "HIGHDENS", "vxh", *CONTROLS, "lnx07"], ["ind_idx", "city"]
    )
    words = (
        "RESIS = β1 vagg_h + β2 HIGHDENS + β3 vagg_h × HIGHDENS + controls, ln X_2007 + CIC4 "
        "and city FE (raw, not centred); HIGHDENS = 1{DENS > p75 of DENS over the counties with "
        "employment in the CIC2 in 2007 (linear interpolation)}, DENS = CIE employment of the "
        f"firm's CIC2 in its county / county area, 2007; {SAMPLE_C}"
    )
    out.add("table8.HIGHDENS", beta[1], "Table 8 (M2, M-c), HIGHDENS", f"β2 in {words}", n)
    out.add(
        "table8.vagg_h_x_HIGHDENS",
        beta[2],
        "Table 8 (M2, M-c), vagg_h × HIGHDENS",
        f"β3 in {words}",
        n,
    )


def _mediation(out: Entries, cross: pd.DataFrame, panel: pd.DataFrame, trade: LatentTrade):
    c = cross.copy()
    src = trade.sourcing()
    realloc = trade.realloc()
    strict = trade.strict()
    pieces = {
        "SWITCH_2009": src[src["year"] == 2009].set_index("firm")["SWITCH"],
        "REALLOC_2009": realloc[realloc["year"] == 2009].set_index("firm")["REALLOC"],
        "OPEX_2008": panel[panel["year"] == 2008].set_index("firm")["OPEX"],
        "NEWPROD_2008": panel[panel["year"] == 2008].set_index("firm")["NEWPROD"],
        "STRICT_2008": strict[strict["year"] == 2008].set_index("firm")["STRICT"],
    }
    for name, series in pieces.items():
        c[name] = series.reindex(c["firm"]).to_numpy()
        rows = c.dropna(subset=[name, "RESIS"])
        fe = ["ind_idx", "city"]
        a, n = ols(rows, name, ["vagg_h", *CONTROLS, "lnx07"], fe)
        b, _ = ols(rows, "RESIS", ["vagg_h", name, *CONTROLS, "lnx07"], fe)
        table, words = _MEDIATORS[name]
        base = (
            f"{SAMPLE_C}, with RESIS and the mediator M = {words} defined; {CONTROL_WORDS}, "
            "ln X_2007; CIC4 and city FE"
        )
        key = f"{table.split(' ')[0].lower()}{table.split(' ')[1]}.mediation.{name}"
        out.add(
            f"{key}.a",
            a[0],
            f"{table}, (M-b) a-path of {name}",
            f"coefficient on vagg_h (2007) in M = a·vagg_h + controls + FE; {base}",
            n,
        )
        out.add(
            f"{key}.b",
            b[1],
            f"{table}, (M-b) b-path of {name}",
            f"coefficient δ on M in RESIS = β'·vagg_h + δ·M + controls + FE; {base}",
            n,
        )
        out.add(
            f"{key}.indirect",
            a[0] * b[1],
            f"{table}, (M-b) indirect effect of {name}",
            f"a·δ, the product of the two entries above (Sobel / bootstrap target); {base}",
            n,
        )


def event_entries(
    out: Entries, panel: pd.DataFrame, trade: LatentTrade, cross: pd.DataFrame
) -> None:
    """Event studies around the collapses (members vs non-members) and the dynamic ATT of
    joining the platform (staggered entry)."""
    totals = trade.totals.rename("X").reset_index()
    for start, years, base, label in (
        (2007, range(2005, 2012), 2008, "2008–09 collapse"),
        (2011, range(2009, 2014), 2011, "second collapse (2012)"),
    ):
        first = panel[(panel["year"] == start) & (panel["X"] > 0)][["firm", "I"]]
        rows = totals[totals["year"].isin(list(years))].merge(first, on="firm")
        rows = rows[rows["X"] > 0].assign(lnx=lambda d: np.log(d["X"]))
        ks = [k for k in years if k != base]
        for k in ks:
            rows[f"d{k}"] = (rows["year"] == k) * rows["I"]
        beta, n = ols(rows, "lnx", [f"d{k}" for k in ks], ["firm", "year"])
        for k, b in zip(ks, beta, strict=True):
            out.add(
                f"event.{'collapse2009' if start == 2007 else 'collapse2012'}.{k}",
                b,
                f"Figure 1 / event study around the {label}: members vs non-members, {k}",
                f"coefficient θ_{k} in ln X_ft = Σ_(k≠{base}) θ_k·1{{t = k}}·I_f + firm FE + "
                f"year FE, I_f = platform member in {start}; firms in the CIE in {start} with "
                f"exports in {start}, firm-years {min(years)}–{max(years)} with X_ft > 0",
                n,
            )
    # the staggered estimators need a balanced panel: the estimand is taken over the firms
    # observed in every year (OPEX known), joining after the first year (as the study's sample)
    observed = panel.dropna(subset=["OPEX", "OPEX0"])
    n_years = observed["year"].nunique()
    balanced = observed[observed.groupby("firm")["year"].transform("nunique") == n_years]
    first_year = int(observed["year"].min())
    joiners = balanced[(balanced["adoption"] <= 2013) & (balanced["adoption"] > first_year)].copy()
    joiners["e"] = joiners["year"] - joiners["adoption"]
    for e in range(0, RAMP_YEARS + 1):
        at = joiners[joiners["e"] == e]
        out.add(
            f"staggered.opex_att.e{e}",
            float((at["OPEX"] - at["OPEX0"]).mean()),
            f"Table 3 (staggered DID), dynamic ATT of joining on OPEX, event time {e}",
            f"ATT(e={e}) = mean over the firm-years of platform joiners at event time e = t − "
            "adoption year, among firms in the CIE with OPEX in every year and joining after "
            "the first year (the balanced panel the staggered estimators need), of "
            "OPEX_ft − OPEX_ft(0), OPEX = (admin + selling expenses)/sales and "
            "OPEX(0) the firm-year's ratio without the platform (same draws); a Callaway–"
            "Sant'Anna or Sun–Abraham estimator with never- or not-yet-joined controls, firm "
            "and year effects, recovers it",
            len(at),
        )
    beta, n = ols(panel, "OPEX", ["I"], ["firm", "year"])
    out.add(
        "staggered.opex_twfe",
        beta[0],
        "Table 3, static two-way FE coefficient of membership on OPEX",
        "coefficient on I_ft in OPEX_ft = β I_ft + firm FE + year FE over all CIE firm-years: "
        "the estimand of the static TWFE estimator, which differs from the average of the "
        "dynamic ATTs because the effect builds up over four years",
        n,
    )
