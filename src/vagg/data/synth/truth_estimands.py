"""``truth.json``: the planted parameters and the estimands of the papers' regressions.

Each entry has ``value``, ``study``, ``table`` (where the paper reports it), ``kind``
(``structural``: a parameter of the data-generating process that the regression estimates
directly; ``estimand``: the population coefficient of the paper's regression computed on
the true latent outcome and true regressors; ``sign``: only the direction is planted)
and ``definition`` in the terms of the measure that should recover it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg.data.synth.technology import TECHNOLOGY
from vagg.data.synth.truth import HETEROGENEITY, Planted, demean, planted_dict
from vagg.data.synth.truth_design import (
    NO_INTERMEDIATE_INPUTS_YEAR,
    design_estimands,
    design_sample,
    realised_log_markup,
)

__all__ = [
    "CONTROL_INPUTS",
    "build_truth",
]

CONTROL_INPUTS = [
    "firm",
    "year",
    "ind_idx",
    "sales",
    "employment",
    "current_assets",
    "current_liabilities",
    "total_liabilities",
    "total_assets",
]

_SAMPLE = (
    "CIE firm-years 2000–2013 matched to their own customs records with positive exports "
    "(intermediaries excluded), DVAR by paper 000 eq. (6) with m_k from regime-10 imports and "
    "BEC-intermediate imports only"
)
_VAGG = (
    "paper 000 eq. (7)–(9): I_ft × platform members' share of CIE gross output of the firm's "
    "42-sector IO sector (agg_h), and I_ft × Σ_{k≠j} w_jk agg_h_k with w from the latest "
    "national IO benchmark table (total intermediate flows, diagonal removed, not renormalised)"
)


def _controls(controls: pd.DataFrame, firms: pd.DataFrame) -> pd.DataFrame:
    """age, size, cl, debt, herfind (CR4 of sales by CIC4-year) as paper 000 defines them."""
    c = controls.copy()
    founding = firms.set_index("firm")["founding_year"]
    c["age"] = c["year"] - founding.reindex(c["firm"]).to_numpy() + 1
    c["size"] = np.log(c["employment"])
    c["cl"] = (c["current_assets"] - c["current_liabilities"]) / c["total_assets"]
    c["debt"] = c["total_liabilities"] / c["total_assets"]
    top4 = (
        c.sort_values("sales", ascending=False)
        .groupby(["ind_idx", "year"])["sales"]
        .apply(lambda s: s.head(4).sum() / s.sum())
        .rename("herfind")
    )
    return c.join(top4, on=["ind_idx", "year"])[
        ["firm", "year", "ind_idx", "age", "size", "cl", "debt", "herfind"]
    ]


class _Demeaned:
    """The estimation sample with firm, CIC4 and year effects projected out, once."""

    def __init__(self, sample: pd.DataFrame, columns: list[str]) -> None:
        codes = [pd.factorize(sample[k])[0] for k in ("firm", "ind_idx", "year")]
        self.columns = columns
        self.data = demean(sample[columns].to_numpy(float), codes)

    def coef(self, y: str, x: list[str], which: int = 0) -> float:
        """OLS coefficient of ``x[which]`` in the regression of ``y`` on ``x`` (demeaned)."""
        pos = [self.columns.index(c) for c in x]
        beta, *_ = np.linalg.lstsq(
            self.data[:, pos], self.data[:, self.columns.index(y)], rcond=None
        )
        return float(beta[which])


def build_truth(
    planted: Planted,
    latent: pd.DataFrame,
    controls: pd.DataFrame,
    firms: pd.DataFrame,
    industries: pd.DataFrame,
    province_truth: dict[str, dict],
) -> dict:
    """Assemble truth.json: structural parameters, the estimands of paper 000 Tables 1, 1b, 6, 6b,
    7, 8 built here, and one estimand per other estimate of Tables 1–8
    (:mod:`vagg.data.synth.truth_design`)."""
    ctrl = _controls(controls, firms)
    sample = latent[latent["exporter_cie"] & ~latent["censored"]].drop(columns="ind_idx")
    sample = sample.merge(ctrl, on=["firm", "year"])
    sample = sample.assign(
        exp_var=np.log(np.maximum(sample["n_export_hs6"], 1)),
        log_markup_realised=realised_log_markup(sample),
    )
    names = ["age", "size", "cl", "debt", "herfind"]
    outcomes = ["dvar_latent", "log_markup", "log_markup_realised", "rpdip", "exp_var"]
    regressors = ["vagg_h", "vagg_f", "vagg_b"]
    dm = _Demeaned(sample, outcomes + regressors + names)
    # the markup needs the CIE intermediate inputs, missing in one year: its estimands (and
    # those of the equations holding it) are on the other years, where the markup exists
    has_inputs = (sample["year"] != NO_INTERMEDIATE_INPUTS_YEAR).to_numpy()
    dmm = _Demeaned(sample[has_inputs], outcomes + regressors + names)
    entries: dict[str, dict] = {}
    for v in ("vagg_h", "vagg_f", "vagg_b"):
        entries[f"dvar_firms.table1.{v}"] = {
            "value": dm.coef("dvar_latent", [v, *names]),
            "study": "dvar_firms",
            "table": f"Table 1, column with {v} and controls",
            "kind": "estimand",
            "definition": f"coefficient on {v} ({_VAGG}) in DVAR = β·{v} + controls (age, size, "
            "cl, debt, herfind) + firm, CIC4 and year fixed effects; sample: " + _SAMPLE,
        }
        entries[f"dvar_firms.table6.markup_on_{v}"] = {
            "value": dmm.coef("log_markup_realised", [v, *names]),
            "study": "dvar_firms",
            "table": f"Table 6, log markup on {v}",
            "kind": "estimand",
            "definition": f"coefficient on {v} in the true log markup at realised output, "
            "ln μ + ε = ln(θ_M·Y/M) (μ of the technology's materials first-order condition "
            "M = θ_M·Q/μ, ε the output shock; see truth_design.realised_log_markup) = "
            "β·vagg + controls + firm, CIC4, year FE, in the years with CIE intermediate "
            "inputs; the De Loecker–Warzynski markup recovers it up to an industry constant "
            "the fixed effects absorb",
        }
        entries[f"dvar_firms.table7.rpdip_on_{v}"] = {
            "value": dm.coef("rpdip", [v, *names]),
            "study": "dvar_firms",
            "table": f"Table 7, rpdip on {v}",
            "kind": "estimand",
            "definition": f"coefficient on {v} in rpdip_jt = +log(1 + Σ_k w_jk N_kt), N_kt the "
            "number of distinct firm × HS6 export varieties of CIE firms (linked to customs) of "
            "IO sector k (their CIE industry) in year t, w_jk the IO input weights incl. the "
            "diagonal; + controls + FE",
        }
        entries[f"dvar_firms.table8.exp_var_on_{v}"] = {
            "value": dm.coef("exp_var", [v, *names]),
            "study": "dvar_firms",
            "table": f"Table 8 (4) exp_var, on {v}",
            "kind": "estimand",
            "definition": f"coefficient on {v} in log(number of HS6 products the firm exports) "
            "+ controls + firm, CIC4, year FE; members export more varieties (the planted "
            "varieties_member_boost) and vagg is positive only for members",
        }
    for regressor, table in (("log_markup", "Table 6 (5)"), ("rpdip", "Table 7 (5)")):
        entries[f"dvar_firms.dvar_on_{regressor}_alone"] = {
            "value": (dmm if regressor == "log_markup" else dm).coef(
                "dvar_latent", [regressor, *names]
            ),
            "study": "dvar_firms",
            "table": f"{table}, DVAR on {regressor}",
            "kind": "estimand",
            "definition": f"coefficient of the true {regressor} in true DVAR = b·{regressor} + "
            "controls + firm, CIC4, year FE",
        }
    joint = ["log_markup", "rpdip", *names]
    entries["dvar_firms.dvar_on_log_markup"] = {
        "value": dmm.coef("dvar_latent", joint, 0),
        "study": "dvar_firms",
        "table": "Table 6b (1), DVAR on log markup and rpdip together",
        "kind": "estimand",
        "definition": "coefficient of the true log markup in true DVAR = b_μ·log markup + "
        "b_r·rpdip + controls + firm, CIC4, year FE (the markup raises DVAR through the "
        "materials share θ_M/μ of the technology)",
    }
    entries["dvar_firms.dvar_on_rpdip"] = {
        "value": dmm.coef("dvar_latent", joint, 1),
        "study": "dvar_firms",
        "table": "Table 6b (1), DVAR on log markup and rpdip together",
        "kind": "estimand",
        "definition": "coefficient of rpdip (paper's sign: more upstream varieties = higher) "
        "in the same equation",
    }
    levels = (
        ("processing", "dvar_latent", "mean_dvar_processing", "DVAR of pure processing"),
        ("ordinary", "dvar_latent", "mean_dvar_ordinary", "DVAR of pure ordinary"),
        ("mixed", "dvar_latent", "mean_dvar_mixed", "DVAR of mixed"),
        ("mixed", "dvar_o_latent", "mean_dvar_o_mixed", "DVAR of the ordinary exports of mixed"),
    )
    for column, (regime, outcome, key, label) in enumerate(levels, start=1):
        rows = sample.loc[sample["regime_latent"] == regime, outcome].dropna()
        entries[f"dvar_firms.{key}"] = {
            "value": float(rows.mean()) if len(rows) else float("nan"),
            "study": "dvar_firms",
            "table": f"Table 1b ({column}), mean {label} exporters",
            "kind": "estimand",
            "definition": f"mean true export {label} exporters over the estimation sample "
            "(true imported inputs embodied in the exports — ordinary ones shared pro rata "
            "over domestic sales and ordinary exports — plus δ_j per unit of exports; the "
            "level that eq. 6 must recover)",
        }
    for name, value in (
        ("beta_k", TECHNOLOGY.beta_k),
        ("beta_l", TECHNOLOGY.beta_l),
        ("theta_m", TECHNOLOGY.theta_m),
    ):
        entries[f"dvar_firms.technology.{name}"] = {
            "value": value,
            "study": "dvar_firms",
            "table": "Table 6 (tfp and markups): the planted Cobb–Douglas technology",
            "kind": "structural",
            "definition": f"output elasticity {name} of the gross-output Cobb–Douglas "
            "technology Q = exp(ω)·K^β_k·L^β_l·M^θ_M of every industry, in deflated values "
            "(ACF with the first-stage correction should recover it)",
        }
    entries.update(design_estimands(design_sample(latent, ctrl, firms, industries)))
    entries["dvar_firms.heterogeneity"] = {
        "value": HETEROGENEITY,
        "study": "dvar_firms",
        "table": "Table 4",
        "kind": "sign",
        "definition": "multipliers of the markup effect of vagg_h: larger for private than for "
        "state or foreign firms, for non-processing than processing, east than west, non-high-"
        "tech than high-tech; the DVAR effect of vagg is ordered the same way",
    }
    entries["quality_cities.quality_on_vagg"] = {
        "value": planted.quality_on_city_vagg,
        "study": "quality_cities",
        "table": "Table 2 (in log-quality units)",
        "kind": "structural",
        "definition": "d ln λ / d vagg_ct: KSW log quality (paper 001 eq. 18–19, before the "
        "min–max normalisation of eq. 20) of a firm-HS6-destination-year export line rises by "
        "this much per unit of the city's shift-share exposure vagg_ct (eq. 22: 2004 census "
        "output shares by ICIO sector × summed ICIO direct requirements of D45T47, D61, D62T63). "
        "After normalisation and aggregation (eq. 20–21) the sign is positive",
    }
    entries["quality_cities.telephones_iv"] = {
        "value": planted.telephones_on_exposure,
        "study": "quality_cities",
        "table": "Table 3 (IV first stage)",
        "kind": "sign",
        "definition": "telephones per 10k people in 1984 rise with the city's 2005 exposure "
        "(first stage positive); post offices likewise, weaker",
    }
    entries["quality_cities.market_segmentation"] = {
        "value": planted.segmentation_on_city_vagg,
        "study": "quality_cities",
        "table": "mechanism: market integration",
        "kind": "sign",
        "definition": "dispersion of city CPI category deviations falls with vagg_ct, so the "
        "relative-price segmentation index falls (integration rises) with vagg",
    }
    entries.update(province_truth)
    return {
        "planted": planted_dict(planted),
        "estimation_sample_rows": len(sample),
        "censored_rows": int(latent["censored"].sum()),
        "entries": entries,
    }
