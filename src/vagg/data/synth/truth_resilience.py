"""``truth.json`` entries of study ``resilience_firms`` (paper 003): population estimands.

Each entry is the coefficient of one regression of the study's table plan (spec 003 §5),
computed by the generator on the true estimation sample with the latent outcome, the latent
indicator and the true regressors (:mod:`vagg.data.synth.resilience_latent`), with the fixed
effects projected out exactly (:func:`vagg.data.synth.truth.demean`). Its ``definition``
states the outcome, the regressors, the fixed effects and the sample, so that the study can be
written against it. Where a quantity has a counterfactual in the generator (the OPEX a member
would have had without the platform), the entry is the average treatment effect itself.

Conventions shared by the entries (named in each definition):

* **vagg** = paper 000 eq. (7)–(9) on the true CIE output shares (vagg_h, vagg_f, vagg_b);
  I_f = platform member (adoption year ≤ t).
* **controls** X = age, size (ln employment), cl, debt, herfind (CR4 of sales in the CIC4-year)
  as paper 000; cross-sections add ln X_f,2007.
* **cross-section sample** C: firms in the CIE in 2007 with positive own exports in 2007.
* exports are producers' own customs exports of the true firm (intermediaries excluded).
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from vagg.data.synth.cie_accounts import CIE_EFFECTS, RAMP_YEARS
from vagg.data.synth.relations import RESILIENCE, ResilienceState
from vagg.data.synth.resilience_latent import LatentTrade, dh
from vagg.data.synth.truth_estimands import _controls
from vagg.data.synth.truth_mechanisms import event_entries, mechanism_entries
from vagg.data.synth.truth_tools import (
    CONTROL_WORDS,
    CONTROLS,
    SAMPLE_C,
    VAGGS,
    Demeaned,
    Entries,
    ols,
)
from vagg.data.synth.world import (
    GREEN_DESTINATIONS,
    GREEN_YEAR,
    SECOND_COLLAPSE_DESTINATIONS,
    SECOND_COLLAPSE_YEAR,
    SUPPLY_SHOCKS,
)

__all__ = ["resilience_truth"]


def _firm_panel(
    latent: pd.DataFrame, controls: pd.DataFrame, firms: pd.DataFrame, trade: LatentTrade
) -> pd.DataFrame:
    """CIE firm-years with vagg, membership, controls, exports, cost ratios and location."""
    ctrl = _controls(controls, firms)
    cie = latent[latent["in_cie"]].drop(columns="ind_idx", errors="ignore")
    panel = cie.merge(ctrl, on=["firm", "year"])
    panel = panel.merge(controls[["firm", "year", "employment"]], on=["firm", "year"])
    f = firms.set_index("firm")
    panel["city"] = f["city_idx"].reindex(panel["firm"]).to_numpy()
    panel["adoption"] = f["adoption_year"].reindex(panel["firm"]).to_numpy()
    panel["I"] = (panel["year"] >= panel["adoption"]).astype(float)
    panel["X"] = trade.totals.reindex(
        pd.MultiIndex.from_frame(panel[["firm", "year"]]), fill_value=0.0
    ).to_numpy()
    s = panel["sales"]
    panel["OPEX"] = (panel["admin_expenses"] + panel["selling_expenses"]) / s
    panel["OPEX0"] = panel["opex0"]
    panel["COSTR"] = panel["cost_main_business"] / s
    panel["FINPRESS"] = panel["financial_expenses"] / s
    panel["INV"] = panel["inventory"] / s
    panel["NEWPROD"] = panel["new_product_output"] / panel["gross_output"]
    return panel


def _cross_section(panel: pd.DataFrame, trade: LatentTrade) -> pd.DataFrame:
    """Sample C with the outcomes RESIS, RECOV, RENEW, SURV and the 2007 regressors."""
    c = panel[(panel["year"] == 2007) & (panel["X"] > 0)].set_index("firm")
    c = c.assign(lnx07=np.log(c["X"]))
    x = {
        t: trade.exports_in(t).reindex(c.index, fill_value=0.0).to_numpy()
        for t in range(2008, 2012)
    }
    c["g_resis"] = dh(x[2008], x[2009])
    c["g_recov"] = dh(x[2009], x[2011])
    for g, name in (("g_resis", "RESIS"), ("g_recov", "RECOV")):
        c[name] = c[g] - c.groupby("cic2")[g].transform("mean")
    c["RENEW"] = trade.renewal().reindex(c.index)
    c["SURV"] = np.where(x[2008] > 0, (x[2009] > 0).astype(float), np.nan)
    return c.reset_index()


def resilience_truth(
    latent: pd.DataFrame,
    controls: pd.DataFrame,
    firms: pd.DataFrame,
    industries: pd.DataFrame,
    cities: pd.DataFrame,
    products: pd.DataFrame,
    state: ResilienceState,
) -> dict:
    """The ``resilience_firms`` entries and the planted parameters (top-level key
    ``planted_resilience``)."""
    trade = LatentTrade(
        pd.concat(state.export_history, ignore_index=True),
        pd.concat(state.import_history, ignore_index=True),
        products,
        state.exports.partner_codes,
        state.world,
        state.smart_rows,
    )
    panel = _firm_panel(latent, controls, firms, trade)
    panel["cic2"] = industries["cic2"].to_numpy()[panel["ind_idx"].to_numpy()]
    panel["province"] = cities["province_code"].to_numpy()[panel["city"].to_numpy()]
    cross = _cross_section(panel, trade)
    out = Entries()
    _table1(out, cross)
    _table6(out, panel, trade)
    mechanism_entries(out, panel, trade, cross, state)
    event_entries(out, panel, trade, cross)
    planted = {
        "relations": asdict(RESILIENCE),
        "cie_effects": CIE_EFFECTS,
        "opex_ramp_years": RAMP_YEARS,
        "collapses": [2009, SECOND_COLLAPSE_YEAR],
        "second_collapse_destinations": list(SECOND_COLLAPSE_DESTINATIONS),
        "second_collapse_chapters": list(state.world.second_chapters),
        "supply_shocks": [list(s) for s in SUPPLY_SHOCKS],
        "green_standard": {"year": GREEN_YEAR, "destinations": list(GREEN_DESTINATIONS)},
    }
    return {"planted_resilience": planted, "entries": out.entries}


def _table1(out: Entries, cross: pd.DataFrame) -> None:
    text = {
        "RESIS": "RESIS = g_f − mean g of the firm's CIC2 (2007) over C, g = Davis–Haltiwanger "
        "growth of exports 2008→2009 (exit = −2; firms with no exports in both years left out)",
        "RECOV": "RECOV = the same for 2009→2011",
        "RENEW": "RENEW = share of 2011 exports in (HS6, destination) pairs not exported in "
        "2005–2007 (firms exporting in 2011)",
        "SURV": "SURV = 1{X_2009 > 0} among the firms with X_2008 > 0",
    }
    for outcome, words in text.items():
        for v in VAGGS:
            beta, n = ols(cross, outcome, [v, *CONTROLS, "lnx07"], ["ind_idx", "city"])
            out.add(
                f"table1.{outcome}.{v}",
                beta[0],
                f"Table 1, {outcome} on {v} with controls",
                f"coefficient on {v} (2007) in {words}, regressed on {v}, {CONTROL_WORDS} "
                f"and ln X_2007 (all 2007) + CIC4 and city fixed effects; {SAMPLE_C}",
                n,
            )


def _table6(out: Entries, panel: pd.DataFrame, trade: LatentTrade) -> None:
    fd = trade.foreign_demand()
    lag = panel[["firm", "year", *VAGGS, "I", "X", "ind_idx", "province", *CONTROLS]].copy()
    lag["year"] += 1
    cur = panel[["firm", "year", "X"]].rename(columns={"X": "X1"})
    p = lag.merge(cur, on=["firm", "year"]).merge(fd, on=["firm", "year"])
    p = p[(p["X"] > 0) & (p["X1"] > 0)].copy()
    p["dlnx"] = np.log(p["X1"]) - np.log(p["X"])
    p["loss"] = np.maximum(0.0, -p["FD"])
    p["gain"] = np.maximum(0.0, p["FD"])
    p["jt"] = p["ind_idx"].astype(str) + "_" + p["year"].astype(str)
    p["pt"] = p["province"].astype(str) + "_" + p["year"].astype(str)
    fe = ["firm", "jt", "pt"]
    sample = (
        "CIE firm-years t with the firm in the CIE in t − 1 and exports in t − 1 and t; "
        "Loss = max(0, −FD), FD_ft = Σ_{d,h} w_fdh,t−1 Δ ln M_dht (w: the firm's t − 1 "
        "export shares by destination × HS6, M: world_imports); controls at t − 1; firm, "
        "CIC4 × year and province × year fixed effects"
    )
    for v in (*VAGGS, "I"):
        p[f"loss_x_{v}"] = p["loss"] * p[v]
    p["gain_x_vagg_h"] = p["gain"] * p["vagg_h"]
    inter = [f"loss_x_{v}" for v in (*VAGGS, "I")]
    dm = Demeaned(p, ["dlnx", "loss", "gain", *VAGGS, "I", *inter, "gain_x_vagg_h", *CONTROLS], fe)
    for v in (*VAGGS, "I"):
        beta = dm.coef("dlnx", ["loss", v, f"loss_x_{v}", *CONTROLS])
        words = "the membership dummy I_f,t−1" if v == "I" else f"{v}_t−1"
        out.add(
            f"table6.loss_x_{v}",
            beta[2],
            f"Table 6 (B2), Loss × {v}",
            f"coefficient β3 on Loss_ft × {words} in Δ ln X_ft = β1 Loss + β2 {words} + "
            f"β3 Loss × {words} + γ'X_t−1 + FE; {sample}",
            dm.n,
        )
        if v != "I":
            out.add(
                f"table6.loss.{v}",
                beta[0],
                f"Table 6 (B2), Loss, column with {v}",
                f"coefficient β1 on Loss_ft in the same regression with {v}; {sample}",
                dm.n,
            )
    beta = dm.coef("dlnx", ["loss", "gain", "vagg_h", "loss_x_vagg_h", "gain_x_vagg_h", *CONTROLS])
    out.add(
        "table6.gain_x_vagg_h",
        beta[4],
        "Table 6 (B2), asymmetry: Gain × vagg_h",
        "coefficient on Gain_ft × vagg_h,t−1 (Gain = max(0, FD)) in Δ ln X_ft = Loss + Gain + "
        f"vagg_h + Loss × vagg_h + Gain × vagg_h + γ'X_t−1 + FE; {sample}",
        dm.n,
    )
