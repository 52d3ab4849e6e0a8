"""Tests for vagg.measures.quality and quality_demand: KSW quality (paper 001 eq. 18–21).

References: pyfixest ``feols`` (0.60, run in the test) for the demand regression — OLS with σ
imposed and 2SLS with the other-destination price instrument, both with HS6 and destination ×
year fixed effects and ``fixef_rm="none"`` (vagg keeps singletons) — for coefficients,
residuals and the first-stage F; closed forms for the invariances (a price rescale constant
within the product effect, a quantity rescale constant within destination × year), the σ cap
and the normalisation bounds; pandas groupby arithmetic for the eq. (21) weights.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest
from _ksw_synthetic import make_cells, shared_file

from vagg.data.concordance import read_sigma
from vagg.data.errors import SchemaError
from vagg.errors import VaggError
from vagg.measures.quality import aggregate_quality, attach_sigma, ksw_quality, normalise_quality
from vagg.measures.quality_demand import demand_regression

pf = pytest.importorskip("pyfixest")


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return make_cells()


def _pyfixest(formula: str, frame: pd.DataFrame) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, frame, fixef_rm="none", vcov="iid", fixef_tol=1e-13)


def _frame(result: object) -> pd.DataFrame:
    out = result.quality  # type: ignore[attr-defined]
    return out if isinstance(out, pd.DataFrame) else out.to_pandas()


def test_sigma_imposed_matches_pyfixest(data: dict[str, pd.DataFrame]) -> None:
    res = ksw_quality(data["cells"], data["sigma"], data["province_gdp"], method="sigma")
    q = _frame(res)
    q["y"] = q["ln_q"] + q["sigma"] * q["ln_p"]
    q["dy"] = q["partner"] + q["year"].astype(str)
    fit = _pyfixest("y ~ ln_gdp | hs6 + dy", q)
    assert res.regression.params["ln_gdp"] == pytest.approx(fit.coef()["ln_gdp"], abs=1e-9)
    assert res.regression.bse["ln_gdp"] == pytest.approx(fit.se()["ln_gdp"], rel=1e-7)
    np.testing.assert_allclose(q["residual"], fit.resid(), atol=1e-8)
    np.testing.assert_allclose(q["quality"], fit.resid() / (q["sigma"] - 1), atol=1e-7)
    assert res.excluded["quality_constant_in_hs6"] == 0


def test_iv_matches_pyfixest(data: dict[str, pd.DataFrame]) -> None:
    res = ksw_quality(data["cells"], data["sigma"], data["province_gdp"], method="iv")
    q = _frame(res)
    q["dy"] = q["partner"] + q["year"].astype(str)
    fit = _pyfixest("ln_q ~ ln_gdp | hs6 + dy | ln_p ~ price_iv", q)
    coef = fit.coef()
    assert res.regression.params["ln_p"] == pytest.approx(coef["ln_p"], abs=1e-9)
    assert res.regression.params["ln_gdp"] == pytest.approx(coef["ln_gdp"], abs=1e-9)
    np.testing.assert_allclose(q["residual"], fit.resid(), atol=1e-8)
    first = res.regression.diagnostics["first_stage_f"]
    assert first.statistic == pytest.approx(fit._f_stat_1st_stage, rel=1e-6)
    # the generated σ are 3–6 on most lines: the pooled σ̂ is in that range
    assert 2.0 < -res.regression.params["ln_p"] < 8.0


def test_demand_regression_plain_matches_pyfixest() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    a, b = rng.integers(0, 60, n), rng.integers(0, 40, n)
    x = rng.normal(size=n) + a / 30
    y = 0.7 * x + a / 10 - b / 20 + rng.normal(size=n)
    fit = demand_regression(y, {"x": x}, [a, b], fe_names=["a", "b"])
    ref = _pyfixest("y ~ x | a + b", pd.DataFrame({"y": y, "x": x, "a": a, "b": b}))
    assert fit.result.params["x"] == pytest.approx(ref.coef()["x"], abs=1e-10)
    np.testing.assert_allclose(fit.residuals, ref.resid(), atol=1e-9)
    assert fit.absorbed_rank == 60 + 40 - 1


def test_iv_excludes_single_destination_cells(data: dict[str, pd.DataFrame]) -> None:
    cells = data["cells"]
    n_dest = cells.groupby(["party_id", "city_code", "hs6", "year"])["partner"].transform("size")
    res = ksw_quality(cells, data["sigma"], data["province_gdp"])
    assert res.excluded["no_instrument"] == int((n_dest == 1).sum())
    imposed = ksw_quality(cells, data["sigma"], data["province_gdp"], no_instrument="impose")
    assert imposed.excluded["no_instrument"] == 0
    assert imposed.options["n_imposed"] == int((n_dest == 1).sum())
    assert len(_frame(imposed)) == len(cells)


def test_quality_recovers_latent_quality_without_demand_noise() -> None:
    # with no demand shock ε = (σ − 1) ln λ, so the residual is (σ − 1) ln λ projected off the
    # fixed effects and the GDP control: computed here independently with pyfixest
    gen = make_cells(n_firms=200, demand_noise=0.0)
    res = ksw_quality(gen["cells"], gen["sigma"], gen["province_gdp"], method="sigma")
    keys = ["party_id", "hs6", "partner", "year"]
    q = _frame(res).merge(gen["cells"][[*keys, "ln_lambda", "sigma_true"]], on=keys)
    q["e"] = (q["sigma_true"] - 1) * q["ln_lambda"]
    q["dy"] = q["partner"] + q["year"].astype(str)
    ref = _pyfixest("e ~ ln_gdp | hs6 + dy", q)
    np.testing.assert_allclose(q["residual"], ref.resid(), atol=1e-8)


@pytest.mark.parametrize("method", ["sigma", "iv"])
def test_price_rescale_within_product_leaves_quality_unchanged(
    data: dict[str, pd.DataFrame], method: str
) -> None:
    cells = data["cells"].copy()
    base = _frame(ksw_quality(cells, data["sigma"], data["province_gdp"], method=method))
    codes = sorted(cells["hs6"].unique())
    factor = dict(zip(codes, np.exp(np.linspace(-2, 2, len(codes))), strict=True))
    cells["value_usd"] *= cells["hs6"].map(factor)  # p → c_h p, q unchanged
    moved = _frame(ksw_quality(cells, data["sigma"], data["province_gdp"], method=method))
    np.testing.assert_allclose(moved["quality"], base["quality"], atol=1e-9)
    np.testing.assert_allclose(moved["rqua"], base["rqua"], atol=1e-9)


def test_quantity_rescale_within_destination_year_leaves_quality_unchanged(
    data: dict[str, pd.DataFrame],
) -> None:
    cells = data["cells"].copy()
    base = _frame(ksw_quality(cells, data["sigma"], data["province_gdp"], method="sigma"))
    key = cells["partner"] + cells["year"].astype(str)
    scale = np.exp(pd.Series(pd.factorize(key)[0] % 7 - 3.0, index=cells.index))
    cells["quantity"] *= scale  # q → k_ft q at the same price
    cells["value_usd"] *= scale
    moved = _frame(ksw_quality(cells, data["sigma"], data["province_gdp"], method="sigma"))
    np.testing.assert_allclose(moved["quality"], base["quality"], atol=1e-9)


def test_price_rescale_within_product_year_needs_product_year_effects(
    data: dict[str, pd.DataFrame],
) -> None:
    cells = data["cells"].copy()
    shifted = cells.copy()
    key = cells["hs6"] + cells["year"].astype(str)
    shifted["value_usd"] *= np.exp(pd.Series(pd.factorize(key)[0] % 5 * 0.3, index=cells.index))
    args = (data["sigma"], data["province_gdp"])
    a = _frame(ksw_quality(cells, *args, method="sigma", product_fe="hs6_year"))
    b = _frame(ksw_quality(shifted, *args, method="sigma", product_fe="hs6_year"))
    np.testing.assert_allclose(a["quality"], b["quality"], atol=1e-9)
    # with the paper's HS6 effects a product-year price shift is not absorbed
    c = _frame(ksw_quality(cells, *args, method="sigma"))
    d = _frame(ksw_quality(shifted, *args, method="sigma"))
    assert np.max(np.abs(c["quality"] - d["quality"])) > 1e-3


def test_normalisation_bounds_within_product(data: dict[str, pd.DataFrame]) -> None:
    q = _frame(ksw_quality(data["cells"], data["sigma"], data["province_gdp"]))
    by = q.groupby("hs6")["rqua"]
    assert (by.min() == 0.0).all() and (by.max() == 1.0).all()
    lo, hi = (
        q.groupby("hs6")["quality"].transform("min"),
        q.groupby("hs6")["quality"].transform("max"),
    )
    np.testing.assert_allclose(q["rqua"], (q["quality"] - lo) / (hi - lo), atol=1e-12)


def test_normalise_quality_marks_constant_products() -> None:
    frame = pl.DataFrame({"hs6": ["1", "1", "2", "2"], "quality": [1.0, 3.0, 2.0, 2.0]})
    out = normalise_quality(frame)
    assert out["rqua"].to_list() == [0.0, 1.0, None, None]


def test_sigma_is_capped(data: dict[str, pd.DataFrame]) -> None:
    res = ksw_quality(data["cells"], data["sigma"], data["province_gdp"], method="sigma")
    q = _frame(res)
    sigma = q.groupby(q["hs6"].str[:3])["sigma"].first()
    assert sigma["852"] == 1.5 and sigma["940"] == 20.0 and sigma["847"] == 3.0
    assert res.sigma_capped == {"low": 1, "high": 1}
    np.testing.assert_allclose(q["quality"], q["residual"] / (q["sigma"] - 1.0), rtol=1e-12)
    wide = attach_sigma(data["cells"].head(50), data["sigma"], sigma_cap=(1.2, 600.0))
    assert set(np.round(wide["sigma"], 6)) <= {3.0, 4.5, 1.2, 6.0, 2.5, 500.0}


def test_sigma_at_most_one_without_cap_is_an_error(data: dict[str, pd.DataFrame]) -> None:
    sigma = data["sigma"].assign(sigma=lambda s: s["sigma"].where(s["hs3"] != "852", 0.9))
    with pytest.raises(SchemaError, match=r"table 'sigma', column 'sigma'.*exceed 1"):
        ksw_quality(data["cells"], sigma, sigma_cap=None)


def test_missing_sigma_is_counted_or_an_error(data: dict[str, pd.DataFrame]) -> None:
    sigma = data["sigma"][data["sigma"]["hs3"] != "610"]
    n_610 = int((data["cells"]["hs6"].str[:3] == "610").sum())
    res = ksw_quality(data["cells"], sigma, data["province_gdp"], method="sigma")
    assert res.excluded["sigma_missing"] == n_610
    with pytest.raises(SchemaError, match=r"table 'sigma', column 'hs3'.*'610'"):
        ksw_quality(data["cells"], sigma, data["province_gdp"], missing_sigma="error")


def test_missing_province_gdp_is_an_error(data: dict[str, pd.DataFrame]) -> None:
    gdp = data["province_gdp"]
    gdp = gdp[~((gdp["province_code"] == "44") & (gdp["year"] == 2006))]
    with pytest.raises(SchemaError, match=r"province_gdp.*gdp_real.*\('44', 2006\)"):
        ksw_quality(data["cells"], data["sigma"], gdp)


def test_nonpositive_quantity_cells_are_counted(data: dict[str, pd.DataFrame]) -> None:
    cells = data["cells"].copy()
    cells.loc[:4, "quantity"] = 0.0
    cells.loc[5:6, "quantity"] = np.nan
    res = ksw_quality(cells, data["sigma"], data["province_gdp"], method="sigma")
    assert res.excluded["nonpositive_value_or_quantity"] == 7
    assert res.report().iloc[-1]["cells"] == len(cells) - sum(res.excluded.values())


def test_duplicate_cells_are_an_error(data: dict[str, pd.DataFrame]) -> None:
    cells = pd.concat([data["cells"], data["cells"].iloc[[3]]])
    with pytest.raises(SchemaError, match=r"table 'cells'.*duplicate key"):
        ksw_quality(cells, data["sigma"])


def test_estimated_sigma_option(data: dict[str, pd.DataFrame]) -> None:
    res = ksw_quality(data["cells"], data["sigma"], data["province_gdp"], quality_sigma="estimated")
    q = _frame(res)
    sigma_hat = -res.regression.params["ln_p"]
    np.testing.assert_allclose(q["quality"], q["residual"] / (sigma_hat - 1), rtol=1e-12)


def test_real_bgw_sigma_runs() -> None:
    path = shared_file("concordance", "Sigmas73countries_9403_HS3digit.dta")
    if path is None:
        pytest.skip("public BGW σ file not found next to the repository")
    sigma = read_sigma(path)  # China, capped to [1.5, 20]
    cells = make_cells(n_firms=150)["cells"]
    res = ksw_quality(cells, sigma, method="sigma", missing_sigma="error")
    q = _frame(res)
    # BGW China: hs3 847 → 3.023737, 851 → capped values lie in [1.5, 20]
    assert q.loc[q["hs6"].str[:3] == "847", "sigma"].iloc[0] == pytest.approx(3.023737, abs=1e-6)
    assert q["sigma"].between(1.5, 20.0).all()


def test_aggregation_is_the_value_weighted_mean(data: dict[str, pd.DataFrame]) -> None:
    res = ksw_quality(data["cells"], data["sigma"], data["province_gdp"])
    q = _frame(res)
    got = res.aggregate("city_hs4")
    w = q["value_usd"] / q.groupby(["city_code", "hs4", "year"])["value_usd"].transform("sum")
    expected = (w * q["rqua"]).groupby([q["city_code"], q["hs4"], q["year"]]).sum()
    np.testing.assert_allclose(got["quality"], expected.sort_index().to_numpy(), atol=1e-12)
    assert got["quality"].between(0, 1).all()
    assert got["n_cells"].sum() == len(q)
    firm = aggregate_quality(q, "firm")
    assert list(firm.columns[:2]) == ["party_id", "year"] and firm["quality"].between(0, 1).all()
    hs6 = aggregate_quality(pl.from_pandas(q), "city_hs6")
    assert (
        isinstance(hs6, pl.DataFrame)
        and hs6.height == q.groupby(["city_code", "hs6", "year"]).ngroups
    )


def test_aggregation_rejects_missing_quality() -> None:
    frame = pd.DataFrame(
        {"city_code": ["1"], "hs4": ["8471"], "year": [2005], "rqua": [np.nan], "value_usd": [1.0]}
    )
    frame["rqua"] = None
    with pytest.raises(SchemaError, match="missing rqua"):
        aggregate_quality(frame)


def test_demand_regression_rejects_missing_values() -> None:
    y = np.array([1.0, np.nan, 2.0, 3.0])
    with pytest.raises(VaggError, match=r"column 'y'.*rows \[1\]"):
        demand_regression(y, {"x": np.arange(4.0)}, [np.array([0, 0, 1, 1])])


def test_output_type_follows_input(data: dict[str, pd.DataFrame]) -> None:
    res = ksw_quality(pl.from_pandas(data["cells"]), data["sigma"], method="sigma")
    assert isinstance(res.quality, pl.DataFrame)
    assert "ln_gdp" not in res.quality.columns
