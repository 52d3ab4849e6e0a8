"""Cross-section ML on Anselin's Columbus data against Stata's ``spregress, ml`` and spreg.

References: tests/reference/spatial_columbus_stata.json (Stata 17 log, printed to 7
significant digits) and spatial_spreg.json (spreg 1.9.0 ML_Lag / ML_Error, full precision).
"""

from __future__ import annotations

import numpy as np
import pytest

from vagg.estimate.spatial import spatial

FORMULA = "CRIME ~ INC + HOVAL"
MODELS = ["sar", "sem", "sac", "sdm", "sdem"]


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


def test_columbus_weights_are_statas(columbus) -> None:
    _, w = columbus
    assert w.n == 49 and w.links == 236 and w.is_row_standardized


@pytest.mark.parametrize("model", MODELS)
def test_estimates_match_stata(columbus, stata, model) -> None:
    data, w = columbus
    ref = stata[model]
    res = spatial(FORMULA, data, w, model=model, unit="POLYID", vcov="oim")
    for term, value in ref["coef"].items():
        assert _rel(res.params[term], value) < 2e-6, term
    for term, value in ref["se"].items():
        assert _rel(res.bse[term], value) < 2e-5, term
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-5)
    assert _rel(res.sigma2, ref["sigma2"]) < 1e-6
    assert _rel(res.diagnostics["sigma2_se"], ref["sigma2_se"]) < 2e-5
    assert res.r2 == pytest.approx(ref["pseudo_r2"], abs=5e-5)


@pytest.mark.parametrize("model", ["sar", "sdm", "sac", "sdem"])
def test_delta_method_effects_match_stata_estat_impact(columbus, stata, model) -> None:
    data, w = columbus
    res = spatial(FORMULA, data, w, model=model, unit="POLYID", vcov="oim")
    table = res.impacts(method="delta").table
    for effect, terms in stata[model]["impacts"].items():
        for term, (value, se) in terms.items():
            assert _rel(table.loc[(effect, term), "estimate"], value) < 2e-6
            assert _rel(table.loc[(effect, term), "std_error"], se) < 2e-5


@pytest.mark.parametrize("model", ["sar", "sem", "sdm", "sdem"])
def test_expected_information_matches_spreg(columbus, spreg_ref, model) -> None:
    data, w = columbus
    ref = spreg_ref[f"columbus_{model}"]
    res = spatial(FORMULA, data, w, model=model, unit="POLYID")
    for term, value in ref["coef"].items():
        assert _rel(res.params[term], value) < 1e-5, term
    for term, value in ref["se"].items():
        assert _rel(res.bse[term], value) < 1e-5, term
    assert res.loglik == pytest.approx(ref["logll"], abs=1e-6)


def test_sac_nests_sar_and_sem(columbus) -> None:
    data, w = columbus
    fits = {m: spatial(FORMULA, data, w, model=m, unit="POLYID") for m in ("sar", "sem", "sac")}
    assert fits["sac"].loglik >= max(fits["sar"].loglik, fits["sem"].loglik)
    assert fits["sac"].aic == pytest.approx(-2 * fits["sac"].loglik + 2 * 6)


def test_lr_tests_against_ols(columbus) -> None:
    data, w = columbus
    res = spatial(FORMULA, data, w, model="sdm", unit="POLYID")
    # OLS log-likelihood of CRIME ~ INC + HOVAL (σ² = e'e/n), from numpy
    x = np.column_stack([np.ones(49), data["INC"], data["HOVAL"]])
    e = data["CRIME"] - x @ np.linalg.lstsq(x, data["CRIME"], rcond=None)[0]
    ll_ols = -24.5 * (np.log(2 * np.pi) + np.log(e @ e / 49) + 1)
    lr = res.diagnostics["lr_ols"]
    assert lr.statistic == pytest.approx(2 * (res.loglik - ll_ols), rel=1e-12)
    assert lr.df == (3,) and 0 < lr.pvalue < 1
    assert res.diagnostics["lr_slx"].df == (1,)


def test_units_in_any_order(columbus) -> None:
    data, w = columbus
    shuffled = data.sample(frac=1.0, random_state=3)
    a = spatial(FORMULA, data, w, unit="POLYID")
    b = spatial(FORMULA, shuffled, w, unit="POLYID")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)


def test_sparse_lu_log_determinant_agrees_with_eigenvalues(columbus) -> None:
    data, w = columbus
    a = spatial(FORMULA, data, w, model="sac", unit="POLYID", logdet="eigen")
    b = spatial(FORMULA, data, w, model="sac", unit="POLYID", logdet="lu")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-6)
    assert a.loglik == pytest.approx(b.loglik, abs=1e-9)


def test_reference_file_is_spregs_current_output(columbus, spreg_ref) -> None:
    """spatial_spreg.json holds what spreg computes now (regenerate it if this fails)."""
    spreg = pytest.importorskip("spreg")
    data, w = columbus
    lw = w.to_libpysal()
    lw.transform = "r"
    fit = spreg.ML_Lag(data[["CRIME"]].to_numpy(), data[["INC", "HOVAL"]].to_numpy(), lw)
    ref = spreg_ref["columbus_sar"]
    np.testing.assert_allclose(np.ravel(fit.betas), list(ref["coef"].values()), rtol=1e-10)
    np.testing.assert_allclose(np.ravel(fit.std_err), list(ref["se"].values()), rtol=1e-10)


@pytest.mark.parametrize("name", ["sem_rook", "sem_queen", "sar_rook", "sar_queen"])
def test_spatial_beta_convergence_of_us_incomes(name) -> None:  # type: ignore[no-untyped-def]
    """Methods note §7.4: Rey–Montouri style regressions, 48 states, 1929→1994."""
    libpysal = pytest.importorskip("libpysal")
    import pandas as pd
    from libpysal import examples
    from spatial_data import reference

    import vagg.weights as vw

    ref = reference("spatial_usincome_convergence.json")["models"][name]
    model, kind = name.split("_")
    incomes = pd.read_csv(examples.get_path("usjoin.csv"))
    incomes["g"] = np.log(incomes["1994"] / incomes["1929"]) / 65
    incomes["ln0"] = np.log(incomes["1929"])
    builder = libpysal.weights.Queen if kind == "queen" else libpysal.weights.Rook
    lw = builder.from_shapefile(examples.get_path("us48.shp"), idVariable="STATE_NAME")
    w = vw.from_libpysal(lw).row_standardize()
    res = spatial("g ~ ln0", incomes, w, model=model, unit="Name")
    for term, value in ref["coef"].items():
        # printed to 7 decimals (slopes) and 5 decimals (ρ, λ)
        assert res.params[term] == pytest.approx(value, abs=1e-7 if term == "ln0" else 1e-5), term
    for term, value in ref.get("se", {}).items():
        assert res.bse[term] == pytest.approx(value, abs=1e-5), term
    assert res.loglik == pytest.approx(ref["loglik"], abs=5e-4)
