"""The estimands of paper 000's regression tables, one per estimate (Tables 1–8, 4b, 6b).

Each estimand is the coefficient the paper's regression would give on the *true* sample
with the *true* outcome and regressors of the synthetic economy: the latent export DVAR
(and its Table 5 variants built from the latent imported inputs), the planted log markup,
the latent productivity ω, the firms' own import and export records, the true virtual
agglomeration of eq. (7)–(9) from the true membership. Fixed effects (firm, CIC4, year) are
projected out exactly by :func:`vagg.data.synth.truth.demean`; controls are those of §2.3
(age, size, cl, debt, herfind; the ownership dummies are constant within firms here and
drop out with the firm effects). Nothing here calls :mod:`vagg.measures` or
:mod:`vagg.estimate`.

Where the paper's estimator changes the sample in a way that has no population counterpart
(nearest-neighbour matching, inverse-probability weights), the estimand is that of the
same equation on the population the matching draws from: the treated and all eligible
controls (Table 2: members and never-members in years with both; PSM-DID: the DID sample).
A matching that keeps the treated and reweights controls on covariates leaves the
coefficient of a regressor that is zero for every control unchanged in the population.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vagg.data.synth.truth import demean

__all__ = [
    "CONTRASTS",
    "GROUPS",
    "KWW_FOREIGN_SHARE",
    "NO_INTERMEDIATE_INPUTS_YEAR",
    "design_estimands",
    "design_sample",
    "realised_log_markup",
]

VAGG = ("vagg_h", "vagg_f", "vagg_b")
CONTROLS = ["age", "size", "cl", "debt", "herfind"]
#: Koopman, Wang & Wei (2012): a constant foreign share of domestic inputs (Table 5 DVAR3)
KWW_FOREIGN_SHARE = 0.05
#: Table 4's groups: (key, column, value), in the table's order
GROUPS: tuple[tuple[str, str, object], ...] = (
    ("state", "ownership", "state"),
    ("foreign", "ownership", "foreign"),
    ("private", "ownership", "private"),
    ("east", "region", "east"),
    ("central", "region", "central"),
    ("west", "region", "west"),
    ("processing", "processing", 1),
    ("non_processing", "processing", 0),
    ("high_tech", "high_tech", 1),
    ("non_high_tech", "high_tech", 0),
)
#: Table 4b's contrasts: (key, group, reference group)
CONTRASTS: tuple[tuple[str, str, str], ...] = (
    ("private_state", "private", "state"),
    ("private_foreign", "private", "foreign"),
    ("east_west", "east", "west"),
    ("nonproc_proc", "non_processing", "processing"),
    ("nonhightech_hightech", "non_high_tech", "high_tech"),
)
_FE = ("firm", "ind_idx", "year")
#: the CIE year without intermediate inputs (:mod:`vagg.data.synth.cie_accounts`): no measure
#: built on them exists there (DVAR1, the imported-input ratio, markups, ACF productivity,
#: marginal cost), so neither does its estimand
NO_INTERMEDIATE_INPUTS_YEAR = 2010
_TINY = 1e-10


def _entry(value: float, table: str, definition: str, kind: str = "estimand") -> dict:
    return {
        "value": float(value),
        "study": "dvar_firms",
        "table": table,
        "kind": kind,
        "definition": definition,
    }


#: demeaned columns of each row set already projected (one projection per row set, all
#: numeric columns at once: the projection acts column by column, so a column missing on
#: some rows of the set leaves the others intact); cleared by :func:`design_estimands`
_PROJECTED: dict[tuple[int, int, str], pd.DataFrame] = {}


def _demeaned(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """``columns`` of the complete rows of ``frame`` with firm, CIC4 and year effects
    projected out."""
    values = frame[list(columns)].to_numpy(float)
    rows = frame[np.isfinite(values).all(axis=1)]
    if len(rows) < 10:
        return np.empty((0, len(columns))), list(columns)
    key = (len(rows), int(pd.util.hash_array(rows.index.to_numpy()).sum()), str(id(frame.columns)))
    if key not in _PROJECTED or not set(columns) <= set(_PROJECTED[key].columns):
        numeric = [c for c, t in rows.dtypes.items() if c not in _FE and t.kind in "biuf"]
        codes = [pd.factorize(rows[k])[0] for k in _FE]
        with np.errstate(invalid="ignore"):
            data = demean(rows[numeric].to_numpy(float), codes)
        # one row set at a time: each holds every numeric column of ~10⁶ rows at paper scale
        _PROJECTED.clear()
        _PROJECTED[key] = pd.DataFrame(data, columns=numeric, copy=False)
    return _PROJECTED[key][list(columns)].to_numpy(), list(columns)


def fe_coef(frame: pd.DataFrame, y: str, x: Sequence[str], *, controls: bool = True) -> float:
    """OLS coefficient of ``x[0]`` in ``y ~ x + controls | firm + CIC4 + year`` (paper 000
    eq. 5) on the complete rows of ``frame``; NaN when fewer than 10 rows."""
    columns = [y, *x, *(CONTROLS if controls else [])]
    data, names = _demeaned(frame, columns)
    if len(data) == 0:
        return float("nan")
    keep = [i for i in range(1, len(names)) if i <= len(x) or data[:, i].var() > _TINY]
    beta, *_ = np.linalg.lstsq(data[:, keep], data[:, 0], rcond=None)
    return float(beta[0])


def iv_coef(frame: pd.DataFrame, y: str, x: str, z: str) -> float:
    """2SLS coefficient of ``x`` instrumented by ``z`` in ``y ~ controls | FE | x ~ z``
    (Tables 6–7 (2)): β = (X̂'X)⁻¹X̂'y on the demeaned data, X̂ the projection of [x, W]
    on [z, W], W the controls that vary within the fixed effects."""
    data, _ = _demeaned(frame, [y, x, z, *CONTROLS])
    if len(data) == 0:
        return float("nan")
    w = [i for i in range(3, data.shape[1]) if data[:, i].var() > _TINY]
    regs = data[:, [1, *w]]
    inst = data[:, [2, *w]]
    fitted = inst @ np.linalg.lstsq(inst, regs, rcond=None)[0]
    beta = np.linalg.solve(fitted.T @ regs, fitted.T @ data[:, 0])
    return float(beta[0])


def design_sample(
    latent: pd.DataFrame,
    controls: pd.DataFrame,
    firms: pd.DataFrame,
    industries: pd.DataFrame,
) -> pd.DataFrame:
    """The true estimation sample of paper 000 with every column the estimands need.

    Rows: CIE exporters' firm-years with a true DVAR in [0, 1] (``exporter_cie`` and not
    ``censored``), merged with the controls (age, size, cl, debt, herfind). Added: the lagged
    vagg of the previous CIE year (t − 1 only), ``ever_member`` (a member in some CIE year),
    the DID status (``treat``: the firm's one industry switch falls between two of its CIE
    years; ``post``: from the switch year on), the groups of Table 4 (ownership with Hong
    Kong, Macau and Taiwan firms counted as foreign; region; pure processing exporters;
    high-tech industry), and the true outcomes of Tables 5, 6 and 8.
    """
    cie = latent[latent["in_cie"]].copy()
    f = firms.set_index("firm")
    # lags of vagg over consecutive CIE years
    prev = cie[["firm", "year", *VAGG]].assign(year=cie["year"] + 1)
    cie = cie.merge(prev, on=["firm", "year"], how="left", suffixes=("", "_lag"))
    cie["ever_member"] = cie.groupby("firm")["member"].transform("max").astype(int)
    switch = f["switch_year"].reindex(cie["firm"]).to_numpy()
    before = (cie["year"] < switch).groupby(cie["firm"]).transform("max").to_numpy()
    after = (cie["year"] >= switch).groupby(cie["firm"]).transform("max").to_numpy()
    treat = (switch < 9999) & before & after
    cie["treat"] = treat.astype(int)
    cie["post"] = (treat & (cie["year"].to_numpy() >= switch)).astype(int)
    cie["treat_post"] = cie["post"]
    for v in VAGG:
        cie[f"treat_post_{v}"] = cie["post"] * cie[v]

    sample = cie[cie["exporter_cie"] & ~cie["censored"]].drop(columns="ind_idx")
    sample = sample.merge(controls, on=["firm", "year"])
    own = f["ownership"].reindex(sample["firm"]).replace({"hmt": "foreign"})
    sample["ownership"] = own.to_numpy()
    east = f["east"].reindex(sample["firm"]).to_numpy()
    west = f["west"].reindex(sample["firm"]).to_numpy()
    sample["region"] = np.where(east, "east", np.where(west, "west", "central"))
    sample["processing"] = (sample["regime_latent"] == "processing").astype(int)
    tech = industries["high_tech"].to_numpy().astype(int)
    sample["high_tech"] = tech[sample["ind_idx"].to_numpy()]
    sample["member_f"] = sample["member"].astype(float)
    return _outcomes(sample)


def realised_log_markup(s: pd.DataFrame) -> pd.Series:
    """ln μ + ε = ln(θ_M·Y/M): the log markup at realised output, the estimand of a markup
    regressed on vagg (null where the CIE lacks intermediate inputs).

    ε (the output shock) is independent of vagg among all firms, but the estimation sample
    — CIE firms above the sales threshold that export, with a DVAR in [0, 1] — is selected on
    realised output, so within it ε co-moves with vagg. The De Loecker–Warzynski correction
    subtracts the first-stage residual ε̂, which is orthogonal to the first stage's markup
    shifters (vagg among them; De Loecker & Warzynski 2012 §IV.A), so the part of ε along
    vagg stays in the estimated markup: a regression of ln μ̂ on vagg estimates the
    coefficient of ln μ + ε, not of ln μ. The two differ by the (small) selection term.
    """
    value = s["log_markup"] + s["output_shock"]
    return value.where(s["year"] != NO_INTERMEDIATE_INPUTS_YEAR)


def _outcomes(s: pd.DataFrame) -> pd.DataFrame:
    """True outcomes of Tables 5, 6 and 8 (see :func:`design_sample`)."""
    ex, ex_p, y = s["ex_usd"], s["ex_p_usd"], s["sales_usd"]
    ex_o = ex - ex_p
    delta = s["delta"]
    regime = s["regime_latent"]

    def trimmed(values: pd.Series) -> pd.Series:
        return values.where((values >= 0) & (values <= 1))

    # DVAR1 (Upward, Wang & Zheng 2013): foreign content of domestic inputs δ·max(0, MI − M_A)
    delta_f = delta * np.maximum(s["materials_usd"] - s["mia_p"] - s["mia_o"], 0.0)
    dvar1 = np.where(
        regime == "processing",
        1 - (s["mia_p"] + delta_f) / ex_p,
        np.where(
            regime == "ordinary",
            1 - (s["mia_o"] + delta_f) / y,
            1 - (s["mia_p"] + ex_o * s["mia_o"] / (y - ex_p) + delta_f) / ex,
        ),
    )
    inputs_recorded = s["year"] != NO_INTERMEDIATE_INPUTS_YEAR
    s["dvar1"] = trimmed(pd.Series(dvar1, index=s.index)).where(inputs_recorded)
    # DVAR2 (Kee & Tang 2016): processing imports as the firm declared them (no gross-up)
    kappa = ex_p / ex
    dvar_p2 = 1 - s["mia_p_direct_usd"] / ex_p.where(ex_p > 0) - delta
    dvar2 = np.where(
        regime == "processing",
        dvar_p2,
        np.where(
            regime == "ordinary",
            s["dvar_latent"],
            kappa * dvar_p2 + (1 - kappa) * s["dvar_o_latent"],
        ),
    )
    s["dvar2"] = trimmed(pd.Series(dvar2, index=s.index))
    # DVAR3 (Koopman, Wang & Wei 2012): a constant foreign share in place of δ_j
    s["dvar3"] = trimmed(s["dvar_latent"] + delta - KWW_FOREIGN_SHARE)
    s["log_n_import_hs6"] = np.log(s["n_import_hs6"].where(s["n_import_hs6"] > 0))
    s["log_import_value"] = np.log(s["import_direct_usd"].where(s["import_direct_usd"] > 0))
    s["impinput_ratio"] = (s["import_direct_usd"] / s["materials_usd"]).where(inputs_recorded)
    s["log_n_export_hs6"] = np.log(s["n_export_hs6"].where(s["n_export_hs6"] > 0))
    s["log_export_value"] = np.log(s["ex_usd"])
    s["log_price"] = s["log_price_rel"]
    # markups (θ_M·Y/M) and productivity (ACF on y, l, k, m) need the intermediate inputs
    s["log_markup"] = s["log_markup"].where(inputs_recorded)
    s["log_markup_realised"] = realised_log_markup(s)
    s["omega"] = s["omega"].where(inputs_recorded)
    s["log_mc"] = s["log_price_rel"] - s["log_markup_realised"]
    return s


def _table_1_to_3(s: pd.DataFrame) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for v in VAGG:
        out[f"dvar_firms.table1.{v}.no_controls"] = _entry(
            fe_coef(s, "dvar_latent", [v], controls=False),
            f"Table 1, {v} without controls",
            f"coefficient on the true {v} in true DVAR ~ {v} | firm + CIC4 + year",
        )
    # Table 2: members vs never-members, in years with both (the matching's population)
    cand = s[(s["member"] == 1) | (s["ever_member"] == 0)]
    both = cand.groupby("year")["member"].agg(["min", "max"])
    years = both.index[(both["min"] == 0) & (both["max"] == 1)]
    cand = cand[cand["year"].isin(years)]
    for v in VAGG:
        value = fe_coef(cand, "dvar_latent", [v])
        for design, label in (("nn1", "1:1 NN"), ("nn3", "1:3 NN"), ("ipw", "IPW")):
            out[f"dvar_firms.table2.{design}.{v}"] = _entry(
                value,
                f"Table 2, {label}, {v}",
                f"coefficient on {v} in true DVAR ~ {v} + controls | FE on the matching's "
                "population: members' firm-years and never-members' firm-years, in years "
                "with both (future members before joining left out)",
            )
    for outcome, table in (
        ("dvar_latent", "table3"),
        ("log_markup_realised", "table6"),
        ("rpdip", "table7"),
    ):
        for v in VAGG:
            x = ["treat_post", f"treat_post_{v}"]
            for design in ("did", "psm_did"):
                terms = (x[1], x[0]) if table == "table3" else (x[1],)
                for term in terms:
                    order = [term, *[t for t in x if t != term]]
                    name = "treat_post" if term == "treat_post" else "triple"
                    key = f"dvar_firms.{table}.{design}.{name}.{v}"
                    out[key] = _entry(
                        fe_coef(s, outcome, order),
                        f"{table.replace('table', 'Table ')} {design.upper()}, {term}",
                        f"coefficient on {term} in true {outcome} ~ treat×post + "
                        f"treat×post×{v} + controls | FE (eq. 10); treat: the firm's one "
                        "industry switch (to another IO sector) falls between two of its CIE "
                        "years; post: from the switch year on (the planted sourcing_on_switch "
                        "lowers the switcher's imported share from then on)"
                        + (
                            "; PSM-DID: the DID sample it matches from"
                            if design == "psm_did"
                            else ""
                        ),
                    )
    return out


def _table_4_5(s: pd.DataFrame) -> dict[str, dict]:
    out: dict[str, dict] = {}
    coef: dict[tuple[str, str], float] = {}
    for key, column, value in GROUPS:
        part = s[s[column] == value]
        for v in VAGG:
            coef[key, v] = fe_coef(part, "dvar_latent", [v])
            out[f"dvar_firms.table4.{key}.{v}"] = _entry(
                coef[key, v],
                f"Table 4, {key}, {v}",
                f"coefficient on {v} in true DVAR ~ {v} + controls | FE on the firm-years with "
                f"{column} = {value} (ownership: HMT counted as foreign; processing: pure "
                "processing exporters in the year)",
            )
    for key, group, reference in CONTRASTS:
        for v in VAGG:
            out[f"dvar_firms.table4b.{key}.{v}"] = _entry(
                coef[group, v] - coef[reference, v],
                f"Table 4b, {group} − {reference}, {v}",
                f"difference of the Table 4 estimands of {group} and {reference} for {v}",
            )
    for suffix, label in (("emp", "employment"), ("fa", "net fixed assets")):
        for v in VAGG:
            out[f"dvar_firms.table5.{suffix}.{v}"] = _entry(
                fe_coef(s, "dvar_latent", [f"{v}_{suffix}"]),
                f"Table 5, vagg weighted by {label}, {v}",
                f"coefficient on the true {v} with members' {label} shares in eq. (7) in true "
                "DVAR ~ vagg + controls | FE",
            )
    for variant, label in (
        ("dvar1", "DVAR1 (Upward et al. 2013; 2010 has no intermediate inputs)"),
        ("dvar2", "DVAR2 (Kee & Tang 2016: declared processing imports)"),
        ("dvar3", "DVAR3 (Koopman et al. 2012: 5% foreign share of domestic inputs)"),
    ):
        for v in VAGG:
            out[f"dvar_firms.table5.{variant}.{v}"] = _entry(
                fe_coef(s, variant, [v]),
                f"Table 5, {label}, {v}",
                f"coefficient on {v} in the true {label}, computed from the latent imported "
                "inputs, ~ vagg + controls | FE; firm-years whose true variant is outside "
                "[0, 1] left out",
            )
    return out


def _table_6_to_8(s: pd.DataFrame) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for outcome, table, label in (
        ("log_markup_realised", "table6", "markup"),
        ("rpdip", "table7", "rpdip"),
    ):
        for v in VAGG:
            out[f"dvar_firms.{table}.iv.{label}_on_{v}"] = _entry(
                iv_coef(s, outcome, v, f"{v}_lag"),
                f"{table.replace('table', 'Table ')} (2) IV-2SLS, {v}",
                f"2SLS coefficient on {v} instrumented by its value in the previous CIE year, "
                f"true {outcome} ~ controls | FE | {v} ~ {v}_lag, on firm-years with the lag",
            )
    for outcome, column, label in (
        ("log_price", "(6)", "price"),
        ("omega", "(7)", "tfp"),
    ):
        for v in VAGG:
            out[f"dvar_firms.table6.{label}_on_{v}"] = _entry(
                fe_coef(s, outcome, [v]),
                f"Table 6 {column}, {label} on {v}",
                f"coefficient on {v} in the true {label} (price: mean log price of the firm's "
                "export lines relative to all lines of the same HS6 product and year; tfp: the "
                "planted productivity ω) "
                "~ vagg + controls | FE",
            )
    for regressor, label in (("log_price", "price"), ("omega", "tfp")):
        out[f"dvar_firms.table6.markup_on_{label}"] = _entry(
            fe_coef(s, "log_markup", [regressor]),
            f"Table 6 (8), markup on {label}",
            f"coefficient of the true {label} in the true log markup ~ {label} + controls | FE",
        )
    for v in VAGG:
        out[f"dvar_firms.table6b.mc_on_{v}"] = _entry(
            fe_coef(s, "log_mc", [v]),
            f"Table 6b, log marginal cost on {v}",
            f"coefficient on {v} in the true log price − the true log markup at realised output "
            "(ln μ + ε, see realised_log_markup) ~ vagg + controls | FE",
        )
    for outcome, key, label in (
        ("log_n_import_hs6", "impinput_var", "log number of imported intermediate HS6"),
        ("log_import_value", "impinput_val", "log declared intermediate imports"),
        ("impinput_ratio", "impinput_ratio", "declared intermediate imports / materials"),
        ("log_export_value", "exp_val", "log exports"),
    ):
        for v in VAGG:
            out[f"dvar_firms.table8.{key}.{v}"] = _entry(
                fe_coef(s, outcome, [v]),
                f"Table 8, {key}, {v}",
                f"coefficient on {v} in the firm's true {label} (its own regime 10/14/15 "
                "records; zeros left out of the logs; the ratio missing in 2010) ~ vagg + "
                "controls | FE",
            )
    return out


def design_estimands(sample: pd.DataFrame) -> dict[str, dict]:
    """truth.json entries for every estimate of Tables 1–8 that the base truth module does
    not already hold (:func:`vagg.data.synth.truth_estimands.build_truth`), computed on the
    true sample of :func:`design_sample`."""
    _PROJECTED.clear()
    try:
        return {**_table_1_to_3(sample), **_table_4_5(sample), **_table_6_to_8(sample)}
    finally:
        _PROJECTED.clear()
