"""The CIE records of the synthetic firms: the accounts of paper 000 (:func:`cie_rows`) and
the cost, inventory and innovation items of paper 003 (:func:`cie_accounts`, M1/M2/M5).

Drawn per firm-year from the stream ``cie_accounts<year>`` around firm levels drawn once
(stream ``cie_accounts``), with planted platform-membership effects (member = 1 from the
adoption year on), all relative to sales S (thousand RMB, as the CIE):

* inventory (存货) = S·exp(ln 0.14 + a_f − 0.25·member + N(0, 0.15));
* cost of main business (主营业务成本) = S·(0.82 + b_f − 0.015·member + N(0, 0.01));
* selling expenses (销售费用) = S·exp(ln 0.035 + c_f + κ·(l − 5.2) − 0.20·r(e) + N(0, 0.15));
* administrative expenses (管理费用) = S·exp(ln 0.05 + c_f + κ·(l − 5.2) − 0.15·r(e) +
  N(0, 0.15)), with l = ln employment and κ = ``SCALE_ECONOMY`` = −0.20 (the expense ratios
  fall with size; since larger firms join the platform sooner, size confounds OPEX and vagg
  and a mediation through OPEX needs the size control), where
  r(e) = min(e + 1, 4)/4 for e = t − adoption year ≥ 0 and 0 before: the saving builds up
  over the first four years of membership (the dynamic effect the staggered DID recovers);
* financial expenses (财务费用) = S·(0.012 − 0.004·member + N(0, 0.005)), negative when net
  interest income exceeds interest paid;
* new-product output (新产品产值) = gross output × share; the share is 0 with probability
  0.75 − 0.15·member, else Beta(2, 5); not reported in 2010 (null), as the CIE;
* accounts receivable (应收账款) = S·exp(ln 0.15 + a_f − 0.10·member + N(0, 0.2)).

a_f ~ N(0, 0.2), b_f ~ N(0, 0.04), c_f ~ N(0, 0.2). The effects are planted in
:data:`CIE_EFFECTS` (the truth reads them from there). Beside the items, the function returns
``opex0``: the OPEX ratio the firm-year would have had without the platform (same draws,
r = 0), from which the truth computes the dynamic ATT of joining.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg.data.synth.firms import OWNERSHIP

__all__ = [
    "CIE_EFFECTS",
    "RAMP_YEARS",
    "SCALE_ECONOMY",
    "cie_accounts",
    "cie_rows",
    "firm_levels",
    "opex_ramp",
]

#: years over which the OPEX saving of membership builds up
RAMP_YEARS = 4
#: elasticity of the selling and administrative expense ratios with respect to employment
SCALE_ECONOMY = -0.20
#: mean log employment around which the scale economy is centred
_MEAN_LOG_LABOUR = 5.2


def opex_ramp(event_time: np.ndarray) -> np.ndarray:
    """r(e) = min(e + 1, RAMP_YEARS)/RAMP_YEARS for e ≥ 0, else 0."""
    e = np.asarray(event_time)
    return np.where(e >= 0, np.minimum(e + 1, RAMP_YEARS) / RAMP_YEARS, 0.0)


#: planted effects of membership on the CIE items (log points or ratio points, see docstring)
CIE_EFFECTS = {
    "log_inventory": -0.25,
    "cost_ratio": -0.015,
    "log_selling": -0.20,
    "log_admin": -0.15,
    "fin_ratio": -0.004,
    "p_new_product": 0.15,
    "log_receivable": -0.10,
}


def firm_levels(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """The firm levels a_f, b_f, c_f of the cost items."""
    return pd.DataFrame(
        {"a": rng.normal(0, 0.2, n), "b": rng.normal(0, 0.04, n), "c": rng.normal(0, 0.2, n)}
    )


def cie_accounts(
    rng: np.random.Generator,
    levels: pd.DataFrame,
    firm: np.ndarray,
    year: int,
    sales: np.ndarray,
    gross_output: np.ndarray,
    event_time: np.ndarray,
    log_labour: np.ndarray,
) -> pd.DataFrame:
    """The items of the firm-years ``firm`` (rows of ``levels``) in ``year``; ``event_time``
    is year − adoption year (negative before joining), ``log_labour`` the firm-year's log
    employment (the scale economy of the expense ratios)."""
    n = len(firm)
    m = (np.asarray(event_time) >= 0).astype(float)
    r = opex_ramp(event_time)
    e = CIE_EFFECTS
    a, b, c = (levels[k].to_numpy()[firm] for k in ("a", "b", "c"))
    new_share = np.where(rng.random(n) < 0.75 - e["p_new_product"] * m, 0.0, rng.beta(2.0, 5.0, n))
    scale = SCALE_ECONOMY * (np.asarray(log_labour, float) - _MEAN_LOG_LABOUR)
    sell = np.log(0.035) + c + scale + rng.normal(0, 0.15, n)
    admin = np.log(0.05) + c + scale + rng.normal(0, 0.15, n)
    return pd.DataFrame(
        {
            "inventory": sales
            * np.exp(np.log(0.14) + a + e["log_inventory"] * m + rng.normal(0, 0.15, n)),
            "cost_main_business": sales
            * np.clip(0.82 + b + e["cost_ratio"] * m + rng.normal(0, 0.01, n), 0.3, 0.99),
            "selling_expenses": sales * np.exp(sell + e["log_selling"] * r),
            "admin_expenses": sales * np.exp(admin + e["log_admin"] * r),
            "financial_expenses": sales * (0.012 + e["fin_ratio"] * m + rng.normal(0, 0.005, n)),
            "new_product_output": np.where(year == 2010, np.nan, gross_output * new_share),
            "accounts_receivable": sales
            * np.exp(np.log(0.15) + a + e["log_receivable"] * m + rng.normal(0, 0.2, n)),
            "opex0": np.exp(sell) + np.exp(admin),
        }
    )


def cie_rows(
    rng: np.random.Generator,
    fr: pd.DataFrame,
    rows: pd.DataFrame,
    output: np.ndarray,
    sales: np.ndarray,
    materials: np.ndarray,
    in_cie: np.ndarray,
    ex_usd: np.ndarray,
    year: int,
    rmb_per_usd: float,
) -> pd.DataFrame:
    """CIE firm-year records of the above-scale firms, written from the technology's choices.

    Gross output = Q·exp(ε), intermediate inputs = the materials the firm chose
    (:func:`vagg.data.synth.technology.materials_and_output`), employment = exp(l) (at least
    8 before rounding is applied to small firms' records), net fixed assets = exp(k), wage bill
    = employment × a wage that grows 10% a year. The real CIE's gaps are kept: intermediate
    inputs are missing in 2010 and value added after 2007.
    """
    n = len(rows)
    t = year
    employment = np.maximum(1, np.round(np.exp(rows["log_labour"].to_numpy()))).astype(np.int64)
    wage = employment * 12.0 * 1.1 ** (t - 2000) * np.exp(rng.normal(0, 0.2, n))
    fixed = np.exp(rows["log_capital"].to_numpy())
    total_assets = fixed / rng.beta(4, 6, n)
    current = (total_assets - fixed) * rng.beta(8, 2, n)
    liabilities = total_assets * rng.beta(6, 4.5, n)
    current_liab = liabilities * rng.beta(7, 2.5, n)
    export_delivery = ex_usd * rmb_per_usd / 1000.0 * np.exp(rng.normal(0, 0.05, n))
    inter = materials
    value_added = output - inter + output * 0.03
    paid_in = total_assets * rng.beta(2, 6, n)
    own = fr["ownership"].to_numpy()
    major = rng.uniform(0.6, 1.0, n)
    shares = np.zeros((n, len(OWNERSHIP)))
    owner_col = pd.Index(OWNERSHIP).get_indexer(own)
    shares[np.arange(n), owner_col] = major
    minority = (owner_col + 1 + rng.integers(0, len(OWNERSHIP) - 1, n)) % len(OWNERSHIP)
    shares[np.arange(n), minority] += 1 - major
    frame = pd.DataFrame(
        {
            "firm": fr["firm"].to_numpy(),
            "year": t,
            "ind_idx": rows["ind_idx"].to_numpy(),
            "gross_output": output,
            "sales": sales,
            "export_delivery": export_delivery,
            "employment": employment,
            "wage_bill": wage,
            "total_assets": total_assets,
            "fixed_assets": fixed,
            "current_assets": current,
            "current_liabilities": current_liab,
            "total_liabilities": liabilities,
            "intermediate_inputs": np.where(t == 2010, np.nan, inter),
            "value_added": np.where(t <= 2007, value_added, np.nan),
            **{f"paid_in_{o}": paid_in * shares[:, i] for i, o in enumerate(OWNERSHIP)},
        }
    )
    return frame[in_cie]
