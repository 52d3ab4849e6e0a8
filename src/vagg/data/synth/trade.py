"""One year of the micro economy: virtual agglomeration, markups, customs lines, DVAR, CIE rows.

Order within a year (each step uses only what came before):
1. planned output (productivity, capital and labour of :mod:`vagg.data.synth.technology`
   at the firm's base markup) → platform members' output share by IO sector; the log markup
   = m_f + trend + a·g_f·vagg_h + u responds to it;
2. materials chosen flexibly given the markup (M = θ_M·Q/μ), output Y = Q·exp(ε); the true
   regressors vagg_h / vagg_f / vagg_b (paper 000 eq. 7–9) from the realised CIE output;
3. export lines, from the persistent export book of :mod:`vagg.data.synth.relations` (its
   births, deaths and demand states carry the planted resilience mechanisms of paper 003):
   price = product level × markup × quality^0.5; quantity from CES demand with quality λ
   (ln λ = ψ_f + θ·vagg_ct + ξ; KSW eq. 18), the destination's trend and the line's
   world-demand state;
4. upstream domestic variety N_kt (distinct firm × HS6 varieties exported by CIE firms of
   IO sector k) → rpdip_jt = +log(1 + Σ_k w_in[j,k] N_kt) (the paper's sign: more
   varieties, higher rpdip);
5. sourcing: the imported share of materials is a logistic function of a sourcing cost
   that falls with vagg_f, with upstream variety and after a firm's industry switch (the
   DID of paper 000 eq. 10); processing output uses the processing
   import share, the rest the ordinary one. Imports are *these choices* — never derived
   from a DVAR — spread over the firm's source cells (the source book; after a supply shock
   only the delivered part, domestic inputs filling the gap) and written as customs lines
   net of the intermediaries' share m_k;
6. intermediaries import m_k/(1 − m_k) of producers' direct ordinary imports of k, so the
   realised share in the data equals m_k;
7. true DVAR = 1 − (imported inputs embodied in the exports + δ_j·exports)/exports, imported
   inputs of ordinary output shared pro rata over its sales (the accounting the paper's
   eq. 6 assumes), from the latent quantities;
8. the CIE records, from their own streams (``cie<year>``, ``cie_accounts<year>``), with
   the items of paper 003 and the firm's county (:mod:`vagg.data.synth.counties`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vagg.data.synth.cie_accounts import cie_accounts, cie_rows
from vagg.data.synth.config import stream
from vagg.data.synth.counties import move_firms
from vagg.data.synth.firms import FirmUniverse, cie_threshold
from vagg.data.synth.latent_margins import latent_margins
from vagg.data.synth.relations import RESILIENCE, ResilienceState, join_effect
from vagg.data.synth.technology import TECHNOLOGY, materials_and_output
from vagg.data.synth.truth import HETEROGENEITY, Planted

__all__ = [
    "RPDIP_SIGN",
    "SOURCING_LEVEL",
    "YearContext",
    "generate_year",
    "heterogeneity_multiplier",
    "virtual_agglomeration",
]

#: logit level of the imported share of materials by regime (processing output runs mostly on
#: imported inputs, ordinary output mostly on domestic ones)
SOURCING_LEVEL = {"processing": 1.2, "ordinary": -1.0}
#: rpdip in paper 000's sign convention: more upstream domestic varieties = higher rpdip
RPDIP_SIGN = 1.0


@dataclass
class YearContext:
    """Everything constant within a year that the generator needs."""

    year: int
    rmb_per_usd: float
    w_in: np.ndarray  # IO-sector × IO-sector input weights (rows: buyer)
    w_out: np.ndarray  # output weights (rows: seller)
    delta: np.ndarray  # δ_j: imported share of sector j's intermediate inputs
    sector_of_industry: np.ndarray  # industry index → IO sector index
    city_vagg: np.ndarray  # vagg_ct by city index
    partner_codes: np.ndarray
    partner_weight: np.ndarray
    partner_demand: np.ndarray  # log demand shifter of each partner this year (unused here)
    state: ResilienceState | None = None  # the year-to-year books of paper 003


def heterogeneity_multiplier(firms: pd.DataFrame) -> np.ndarray:
    """g_f, the markup-effect multiplier (paper 000 Table 4): ownership, processing, west, tech."""
    g = firms["ownership"].map(HETEROGENEITY["ownership"]).to_numpy(float)
    g = g * np.where(firms["regime_type"] == "processing", HETEROGENEITY["processing_type"], 1.0)
    g = g * np.where(firms["west"], HETEROGENEITY["west"], 1.0)
    return g * np.where(firms["high_tech"], HETEROGENEITY["high_tech"], 1.0)


def virtual_agglomeration(
    sector: np.ndarray, member: np.ndarray, output: np.ndarray, in_cie: np.ndarray, ctx: YearContext
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """agg_h by IO sector (members' share of CIE gross output) and firm vagg_h, vagg_f, vagg_b.

    vagg_f = I_f Σ_{k≠j} w_in[j,k] agg_h[k]; vagg_b = I_f Σ_{m≠j} w_out[j,m] agg_h[m]
    (weights not renormalised after removing the diagonal).
    """
    n_sec = ctx.w_in.shape[0]
    tot = np.bincount(sector[in_cie], weights=output[in_cie], minlength=n_sec)
    mem = np.bincount(sector[in_cie], weights=(output * member)[in_cie], minlength=n_sec)
    agg_h = np.divide(mem, tot, out=np.zeros(n_sec), where=tot > 0)
    w_in = ctx.w_in.copy()
    w_out = ctx.w_out.copy()
    np.fill_diagonal(w_in, 0.0)
    np.fill_diagonal(w_out, 0.0)
    up = w_in @ agg_h
    down = w_out @ agg_h
    m = member.astype(float)
    return agg_h, m * agg_h[sector], m * up[sector], m * down[sector]


def generate_year(
    rng: np.random.Generator,
    universe: FirmUniverse,
    products: pd.DataFrame,
    intermediaries: pd.DataFrame,
    ctx: YearContext,
    planted: Planted,
) -> dict[str, pd.DataFrame]:
    """Generate one year: customs lines, CIE rows and the latent records for the truth."""
    t = ctx.year
    firms = universe.firms
    rows = universe.panel[universe.panel["year"] == t]
    f = rows["firm"].to_numpy()
    fr = firms.iloc[f]
    n = len(f)
    threshold = cie_threshold(t)
    state = fr["ownership"].to_numpy() == "state"
    member = rows["member"].to_numpy()
    book = ctx.state
    assert book is not None, "generate_year needs the ResilienceState of the firm economy"
    rng_r = stream(book.seed, f"relations{t}")
    member_all = np.zeros(len(firms))
    member_all[f] = member
    active = np.zeros(len(firms), bool)
    active[f] = True
    book.county = move_firms(
        stream(book.seed, f"counties{t}"), book.county, active, member_all, book.counties
    )
    sector = ctx.sector_of_industry[rows["ind_idx"].to_numpy()]
    sales_shock = np.exp(rng.normal(-0.03, 0.02, n))

    # first pass: platform shares at the output the firms plan at their base markup; the
    # markup responds to them (the planted markup effect acts on this primitive)
    planned = np.exp(rows["log_output"].to_numpy())  # thousand RMB
    _, vagg_h0, _, _ = virtual_agglomeration(
        sector, member, planned, (planned * sales_shock >= threshold) | state, ctx
    )
    g = heterogeneity_multiplier(fr)
    log_markup = (
        fr["markup_fe"].to_numpy()
        + 0.004 * (t - 2000)
        + planted.markup_on_vagg_h * g * vagg_h0
        + rng.normal(0, planted.markup_noise_sd, n)
    )
    # technology: materials chosen flexibly given the markup; output shock ε after the choice
    eps = rng.normal(0, TECHNOLOGY.eps_sd, n)
    materials, _, output = materials_and_output(
        rows["omega"].to_numpy(),
        rows["log_capital"].to_numpy(),
        rows["log_labour"].to_numpy(),
        log_markup,
        eps,
    )
    sales = output * sales_shock
    in_cie = (sales >= threshold) | state
    # the true regressors: platform shares of the realised CIE output (what eq. 7–9 measure)
    agg_h, vagg_h, vagg_f, vagg_b = virtual_agglomeration(sector, member, output, in_cie, ctx)

    exports = _export_lines(
        rng, rng_r, universe, fr, rows, products, ctx, log_markup, member_all, sales, planted
    )
    book.export_history.append(
        exports[["firm", "hs6_row", "partner_idx", "value_usd"]].assign(year=t)
    )
    ex_by_firm = exports.groupby("firm")["value_usd"].sum()
    n_hs6 = exports.groupby("firm")["hs6_row"].nunique()
    exp_p = exports[exports["regime"] != "10"].groupby("firm")["value_usd"].sum()

    # upstream domestic variety and rpdip (Kee–Tang proxy of the relative domestic input price)
    # counted over CIE exporters only: the measure can place a customs firm in an industry
    # only through its CIE record
    cie_lines = exports[in_cie[exports["pos"].to_numpy()]]
    varieties = (
        pd.DataFrame(
            {
                "s": ctx.sector_of_industry[cie_lines["ind_idx"].to_numpy()],
                "f": cie_lines["firm"].to_numpy(),
                "h": cie_lines["hs6_row"].to_numpy(),
            }
        )
        .drop_duplicates()
        .groupby("s")
        .size()
    )
    n_kt = np.zeros(ctx.w_in.shape[0])
    n_kt[varieties.index.to_numpy()] = varieties.to_numpy()
    upstream = np.log1p(ctx.w_in @ n_kt)
    rpdip_sector = RPDIP_SIGN * upstream
    rpdip = rpdip_sector[sector]

    sales_usd = sales * 1000.0 / ctx.rmb_per_usd
    materials_usd = materials * 1000.0 / ctx.rmb_per_usd
    ex = ex_by_firm.reindex(f, fill_value=0.0).to_numpy()
    ex_p = exp_p.reindex(f, fill_value=0.0).to_numpy()
    exporter_cie = in_cie & (ex > 0)
    kappa_p = np.divide(ex_p, ex, out=np.zeros(n), where=ex > 0)

    # sourcing: the imported share of materials falls with the platform membership of
    # upstream industries and with domestic upstream variety (both lower the cost of domestic
    # inputs); processing output runs on imported inputs under the processing regimes
    cost = (
        fr["dvar_fe"].to_numpy() * 8.0
        - planted.sourcing_on_vagg_f * vagg_f
        - planted.sourcing_on_upstream_variety * (upstream[sector] - upstream.mean())
        - planted.sourcing_on_switch * (t >= fr["switch_year"].to_numpy())
        + rng.normal(0, 0.15, n)
    )
    share_p = 1 / (1 + np.exp(-(SOURCING_LEVEL["processing"] + cost)))
    share_o = 1 / (1 + np.exp(-(SOURCING_LEVEL["ordinary"] + cost)))
    proc_materials = materials_usd * np.divide(
        ex_p, sales_usd, out=np.zeros(n), where=sales_usd > 0
    )
    mia_p = np.where(exporter_cie, share_p * proc_materials, 0.0)
    mia_o = np.where(exporter_cie, share_o * (materials_usd - proc_materials), 0.0)
    # below-scale firms import for their own use (no DVAR is measured for them)
    small_importer = ~in_cie & (rng.random(n) < 0.3)
    mia_o = np.where(small_importer, share_o * materials_usd, mia_o)

    # realised imports: the source book delivers less after an unreplaced supply shock and
    # domestic inputs fill the gap, so the imported inputs below are the realised ones
    fixed_usd = np.exp(rows["log_capital"].to_numpy()) * 1000.0 / ctx.rmb_per_usd
    imports, delivered = _import_lines(
        rng, rng_r, f, fr, mia_p, mia_o, products, ctx, member_all, in_cie, fixed_usd, book
    )
    mia_p, mia_o = mia_p * delivered, mia_o * delivered
    book.import_history.append(
        imports[["firm", "hs6_row", "partner_idx", "regime", "value_usd"]].assign(year=t)
    )

    # true domestic content of exports: foreign content = imported inputs embodied in the
    # exports + the foreign content of domestically bought inputs, δ_j per unit of output
    delta = ctx.delta[sector]
    dvar_p = 1 - np.divide(mia_p, ex_p, out=np.zeros(n), where=ex_p > 0) - delta
    dom = sales_usd - ex_p
    dvar_o = 1 - np.divide(mia_o, dom, out=np.zeros(n), where=dom > 0) - delta
    dvar_true = np.where(
        kappa_p >= 1,
        dvar_p,
        np.where(kappa_p > 0, kappa_p * dvar_p + (1 - kappa_p) * dvar_o, dvar_o),
    )

    inter = _intermediary_lines(rng, imports, exports, intermediaries, products, ctx)
    # Table 5's weights (employment, net fixed assets: the CIE records' values) and the
    # firms' own trade records, kept for the truth (vagg.data.synth.truth_design)
    weights = {
        "emp": np.maximum(1, np.round(np.exp(rows["log_labour"].to_numpy()))),
        "fa": np.exp(rows["log_capital"].to_numpy()),
    }
    weighted = {
        f"{v}_{suffix}": measure
        for suffix, w in weights.items()
        for v, measure in zip(
            ("vagg_h", "vagg_f", "vagg_b"),
            virtual_agglomeration(sector, member, w, in_cie, ctx)[1:],
            strict=True,
        )
    }
    margins = latent_margins(f, imports, exports, inter, products)

    latent_records = pd.DataFrame(
        {
            "firm": f,
            "year": t,
            "vagg_h": vagg_h,
            "vagg_f": vagg_f,
            "vagg_b": vagg_b,
            "log_markup": log_markup,
            "output_shock": eps,
            "omega": rows["omega"].to_numpy(),
            "rpdip": rpdip,
            "dvar_latent": dvar_true,
            "dvar_p_latent": np.where(ex_p > 0, dvar_p, np.nan),
            "dvar_o_latent": np.where(ex > ex_p, dvar_o, np.nan),
            "regime_latent": np.where(
                kappa_p >= 1, "processing", np.where(kappa_p > 0, "mixed", "ordinary")
            ),
            "exporter_cie": exporter_cie,
            "censored": exporter_cie & ((dvar_true < 0) | (dvar_true > 1)),
            "in_cie": in_cie,
            "member": member,
            "ex_usd": ex,
            "n_export_hs6": n_hs6.reindex(f, fill_value=0).to_numpy(),
            "ind_idx": rows["ind_idx"].to_numpy(),
            "ex_p_usd": ex_p,
            "sales_usd": sales_usd,
            "materials_usd": materials_usd,
            "mia_p": mia_p,
            "mia_o": mia_o,
            "delta": delta,
            **weighted,
            **{c: margins[c].to_numpy() for c in margins.columns},
        }
    )
    # the accounts draw from their own stream: trade lines never shift the CIE records
    rng_cie = stream(book.seed, f"cie{t}")
    cie = cie_rows(rng_cie, fr, rows, output, sales, materials, in_cie, ex, t, ctx.rmb_per_usd)
    extra = cie_accounts(
        stream(book.seed, f"cie_accounts{t}"),
        book.cie_levels,
        f,
        t,
        sales,
        output,
        t - fr["adoption_year"].to_numpy(),
        rows["log_labour"].to_numpy(),
    )
    latent_records["opex0"] = extra.pop("opex0").to_numpy()
    latent_records["county_row"] = book.county[f]
    extra["county_code"] = book.counties["county_code"].to_numpy()[book.county[f]]
    for name in ("inventory", "cost_main_business", "selling_expenses", "admin_expenses",
                 "financial_expenses", "new_product_output"):  # fmt: skip
        latent_records[name] = extra[name].to_numpy()
    latent_records["sales"] = sales
    latent_records["gross_output"] = output
    cie = pd.concat([cie, extra[in_cie].set_index(cie.index)], axis=1)
    return {
        "exports": exports,
        "imports": imports,
        "intermediary": inter,
        "cie": cie,
        "latent": latent_records,
        "agg_h": pd.DataFrame({"year": t, "sector_idx": np.arange(len(agg_h)), "agg_h": agg_h}),
    }


def _export_lines(
    rng: np.random.Generator,
    rng_r: np.random.Generator,
    universe: FirmUniverse,
    fr: pd.DataFrame,
    rows: pd.DataFrame,
    products: pd.DataFrame,
    ctx: YearContext,
    log_markup: np.ndarray,
    member_all: np.ndarray,
    sales: np.ndarray,
    planted: Planted,
) -> pd.DataFrame:
    """Export lines (firm × HS6 × partner) of the persistent export book
    (:mod:`vagg.data.synth.relations`) with KSW demand; values in USD.

    Quantity: ln q = −σ ln p + (σ − 1) ln p̄_h + (σ − 1) ln λ + ln T_f + g_d·(t − 2000) + D_ℓ
    + u_ℓ + N(0, 0.1), g_d the destination's trend growth of world demand,
    with T_f = export share × sales / L̄_f × exp(τ(e)), L̄_f the firm's target number of
    lines, D_ℓ the line's world-demand state and τ(e) the dynamic effect of joining.
    """
    book = ctx.state
    assert book is not None
    t = ctx.year
    firms = universe.firms
    f_all = fr["firm"].to_numpy()
    pos_of = np.full(len(firms), -1, np.int64)
    pos_of[f_all] = np.arange(len(f_all))
    adoption = firms["adoption_year"].to_numpy()
    member_prev = (adoption <= t - 1).astype(float)
    target = 3.2 * (
        1 + firms["product_rate"].to_numpy() * (1 + planted.varieties_member_boost * member_all)
    )
    exporters = f_all[fr["exporter"].to_numpy()]
    sales_now = np.full(len(firms), np.nan)
    sales_now[f_all] = sales
    before = book.exports.sales_prev
    sales_fell = sales_now < (before if len(before) == len(firms) else np.nan)
    book.exports.sales_prev = sales_now
    lines = book.exports.step(
        rng_r, t, book.world, exporters, target, member_all, member_prev, book.core(), sales_fell
    )
    if len(lines) == 0:
        book.exports.remember(lines, np.zeros(0))
        return _empty_lines()
    firm = lines["firm"].to_numpy()
    pos = pos_of[firm]
    prod = lines["hs6_row"].to_numpy()
    partner = lines["partner_idx"].to_numpy()
    m = len(pos)

    sigma = products["sigma"].to_numpy()[prod]
    price_level = products["price_level"].to_numpy()[prod]
    city = fr["city_idx"].to_numpy()[pos]
    log_q_lambda = (
        fr["firm_quality"].to_numpy()[pos]
        + planted.quality_on_city_vagg * ctx.city_vagg[city]
        + rng.normal(0, 0.1, m)
    )
    log_price = price_level + (log_markup[pos] - 0.18) + 0.5 * log_q_lambda + rng.normal(0, 0.1, m)
    export_share = fr["export_share"].to_numpy()[pos]
    scale_t = export_share * sales[pos] * 1000.0 / ctx.rmb_per_usd / target[firm]
    scale_t = scale_t * np.exp(join_effect(t, adoption[firm], RESILIENCE))
    log_q = (
        -sigma * log_price
        + (sigma - 1) * price_level
        + (sigma - 1) * log_q_lambda
        + np.log(scale_t)
        + lines["D"].to_numpy()
        + book.world.trend[partner] * (t - 2000)
        + lines["u"].to_numpy()
        + rng.normal(0, 0.1, m)
    )
    value = np.exp(log_price + log_q)
    # cap exports at 95% of sales (a handful of firm-years): scale that firm's lines down
    sales_usd = sales * 1000.0 / ctx.rmb_per_usd
    total = np.bincount(pos, weights=value, minlength=len(fr))
    scale = np.where(total > 0.95 * sales_usd, 0.95 * sales_usd / np.maximum(total, 1e-12), 1.0)
    value = value * scale[pos]
    log_q = np.log(value) - log_price
    book.exports.remember(lines, value)

    regime_type = fr["regime_type"].to_numpy()[pos]
    kappa = fr["kappa_p"].to_numpy()[pos]
    processing = (regime_type == "processing") | (
        (regime_type == "mixed") & (rng.random(m) < kappa)
    )
    regime = np.where(processing, np.where(rng.random(m) < 0.8, "15", "14"), "10")
    return pd.DataFrame(
        {
            "firm": firm,
            "pos": pos,
            "ind_idx": rows["ind_idx"].to_numpy()[pos],
            "hs6_row": prod,
            "partner_idx": partner,
            "regime": regime,
            "value_usd": value,
            "quantity": np.exp(log_q),
            "city_idx": city,
            "log_quality": log_q_lambda,
        }
    )


def _empty_lines() -> pd.DataFrame:
    cols = [
        "firm",
        "pos",
        "ind_idx",
        "hs6_row",
        "partner_idx",
        "regime",
        "value_usd",
        "quantity",
        "city_idx",
        "log_quality",
    ]
    return pd.DataFrame({c: pd.Series(dtype=float) for c in cols})


def _import_lines(
    rng: np.random.Generator,
    rng_r: np.random.Generator,
    f: np.ndarray,
    fr: pd.DataFrame,
    mia_p: np.ndarray,
    mia_o: np.ndarray,
    products: pd.DataFrame,
    ctx: YearContext,
    member_all: np.ndarray,
    in_cie: np.ndarray,
    fixed_usd: np.ndarray,
    book: ResilienceState,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Direct imports of intermediates from the firm's source cells
    (:class:`vagg.data.synth.relations.SourceBook`): value = MIA · share_c · (1 − m_k) per
    cell and regime (eq. 6 inverted), plus capital-goods imports that the DVAR must leave
    out (BEC end use 'capital'), among them intelligent equipment, imported more often by
    platform members. Returns the lines and, per firm-year, the share of planned imports
    delivered (below 1 after an unreplaced supply shock)."""
    capital_rows = np.flatnonzero(products["end_use"].to_numpy() == "capital")
    m_share = products["intermediary_share"].to_numpy()
    pos_of = np.full(len(member_all), -1, np.int64)
    pos_of[f] = np.arange(len(f))
    importers = f[(mia_p + mia_o) > 0]
    cells, delivered_all = book.sources.step(rng_r, ctx.year, importers, member_all)
    delivered = delivered_all[f]
    parts = []
    pos = pos_of[cells["firm"].to_numpy()]
    prod = cells["hs6_row"].to_numpy()
    share = cells["share"].to_numpy()
    for amount, regime in ((mia_p, "processing"), (mia_o, "10")):
        value = amount[pos] * share * (1 - m_share[prod])
        keep = value > 0
        reg = (
            np.where(rng.random(int(keep.sum())) < 0.8, "15", "14")
            if regime == "processing"
            else np.full(int(keep.sum()), "10")
        )
        parts.append(
            pd.DataFrame(
                {
                    "pos": pos[keep],
                    "hs6_row": prod[keep],
                    "regime": reg,
                    "value_usd": value[keep],
                    "partner_idx": cells["partner_idx"].to_numpy()[keep],
                }
            )
        )
    # capital goods: foreign-invested firms import equipment (regime 20), others ordinary
    buyers = np.flatnonzero((mia_p + mia_o > 0) & (rng.random(len(f)) < 0.12))
    own_all = fr["ownership"].to_numpy()
    if len(buyers) and len(capital_rows):
        parts.append(
            pd.DataFrame(
                {
                    "pos": buyers,
                    "hs6_row": capital_rows[rng.integers(0, len(capital_rows), len(buyers))],
                    "regime": np.where(np.isin(own_all[buyers], ("foreign", "hmt")), "20", "10"),
                    "value_usd": (mia_p + mia_o)[buyers] * rng.uniform(0.05, 0.3, len(buyers)),
                    "partner_idx": rng.choice(
                        len(ctx.partner_codes), len(buyers), p=ctx.partner_weight
                    ),
                }
            )
        )
    # intelligent equipment (M6): CIE firms, more often members
    p_smart = RESILIENCE.smart_base + RESILIENCE.smart_member * member_all[f]
    smart = np.flatnonzero(in_cie & (rng_r.random(len(f)) < p_smart))
    if len(smart) and len(book.smart_rows):
        base = fixed_usd[smart]
        parts.append(
            pd.DataFrame(
                {
                    "pos": smart,
                    "hs6_row": book.smart_rows[rng_r.integers(0, len(book.smart_rows), len(smart))],
                    "regime": np.where(np.isin(own_all[smart], ("foreign", "hmt")), "20", "10"),
                    "value_usd": base * rng_r.uniform(0.02, 0.10, len(smart)),
                    "partner_idx": rng_r.choice(
                        len(ctx.partner_codes), len(smart), p=ctx.partner_weight
                    ),
                }
            )
        )
    lines = pd.concat(parts, ignore_index=True)
    lines = lines.groupby(["pos", "hs6_row", "regime", "partner_idx"], as_index=False)[
        "value_usd"
    ].sum()
    lines["firm"] = f[lines["pos"].to_numpy()]
    unit_price = np.exp(products["price_level"].to_numpy()[lines["hs6_row"].to_numpy()])
    lines["quantity"] = lines["value_usd"] / (unit_price * rng.lognormal(0, 0.1, len(lines)))
    lines["city_idx"] = fr["city_idx"].to_numpy()[lines["pos"].to_numpy()]
    return lines.drop(columns="pos"), delivered


def _intermediary_lines(
    rng: np.random.Generator,
    imports: pd.DataFrame,
    exports: pd.DataFrame,
    intermediaries: pd.DataFrame,
    products: pd.DataFrame,
    ctx: YearContext,
) -> pd.DataFrame:
    """Intermediaries' ordinary imports (m_k/(1 − m_k) of producers' ordinary imports of k)
    and their exports (about a fifth of producers' export value, on the same products)."""
    n_int = len(intermediaries)
    m_share = products["intermediary_share"].to_numpy()
    ordinary = imports[imports["regime"] == "10"]
    by_prod = ordinary.groupby("hs6_row")["value_usd"].sum()
    prod = by_prod.index.to_numpy()
    amount = by_prod.to_numpy() * m_share[prod] / (1 - m_share[prod])
    keep = amount > 0
    prod, amount = prod[keep], amount[keep]
    k = 1 + rng.poisson(0.8, len(prod))
    p_rep = np.repeat(prod, k)
    w = rng.gamma(1.0, 1.0, len(p_rep))
    w = (
        w
        / np.bincount(np.repeat(np.arange(len(prod)), k), weights=w)[
            np.repeat(np.arange(len(prod)), k)
        ]
    )
    imp = pd.DataFrame(
        {
            "intermediary": rng.integers(0, n_int, len(p_rep)),
            "hs6_row": p_rep,
            "regime": "10",
            "flow": "import",
            "value_usd": np.repeat(amount, k) * w,
            "partner_idx": rng.choice(len(ctx.partner_codes), len(p_rep), p=ctx.partner_weight),
        }
    )
    sample = exports.sample(frac=0.2, random_state=rng.integers(2**31)) if len(exports) else exports
    exp = pd.DataFrame(
        {
            "intermediary": rng.integers(0, n_int, len(sample)),
            "hs6_row": sample["hs6_row"].to_numpy(),
            "regime": "10",
            "flow": "export",
            "value_usd": sample["value_usd"].to_numpy() * rng.lognormal(0, 0.3, len(sample)),
            "partner_idx": sample["partner_idx"].to_numpy(),
        }
    )
    out = pd.concat([imp, exp], ignore_index=True)
    out = out.groupby(["intermediary", "hs6_row", "regime", "flow", "partner_idx"], as_index=False)[
        "value_usd"
    ].sum()
    out["city_idx"] = intermediaries["city_idx"].to_numpy()[out["intermediary"].to_numpy()]
    return out
