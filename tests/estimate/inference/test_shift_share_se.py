"""Shift-share inference: AKM standard errors equal the Borusyak–Hull–Jaravel shock-level
HC0 errors, which linearmodels computes independently on the aggregated shocks; the EHW error
equals statsmodels' HC0; the AKM0 set inverts its own test; bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.iv import IV2SLS
from scipy import stats

from vagg.estimate.errors import EstimationError
from vagg.estimate.inference.shift_share import shift_share_se, shock_level

SECTORS = list("abcdef")
YEARS = [2005, 2006, 2007]


def _design(seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    units = [f"{i:04d}00" for i in range(60)]
    sh = rng.dirichlet(np.ones(len(SECTORS)) * 0.5, size=len(units))
    shares = pd.DataFrame(
        [(u, s, sh[i, j]) for i, u in enumerate(units) for j, s in enumerate(SECTORS)],
        columns=["city_code", "sector", "share"],
    )
    shifts = pd.DataFrame(
        [(t, s, rng.normal()) for t in YEARS for s in SECTORS], columns=["year", "sector", "shift"]
    )
    data = pd.DataFrame(
        [(u, t, j) for u in units for t in YEARS for j in range(2)],
        columns=["city_code", "year", "cell"],
    )
    s_w = shares.pivot(index="city_code", columns="sector", values="share")
    g_w = shifts.pivot(index="year", columns="sector", values="shift")
    data["B"] = [
        s_w.loc[u].to_numpy() @ g_w.loc[t].to_numpy()
        for u, t in zip(data.city_code, data.year, strict=True)
    ]
    data["x"] = data.B + rng.normal(size=len(data))
    data["y"] = 0.5 * data.x + rng.normal(size=len(data))
    data["w"] = rng.uniform(0.5, 2.0, len(data))
    return data, shares, shifts


@pytest.mark.parametrize("endog", [None, "x"])
@pytest.mark.parametrize("weights", [None, "w"])
def test_akm_equals_bhj_shock_level_hc0(endog: str | None, weights: str | None) -> None:
    data, shares, shifts = _design()
    kw = {"outcome": "y", "endog": endog, "absorb": ["year"], "weights": weights}
    akm = shift_share_se(data, shares, shifts, **kw)
    bhj = shock_level(data, shares, shifts, **kw)
    agg = bhj.shocks
    q = pd.get_dummies(agg["period"].astype(str)).astype(float)
    ref = IV2SLS(agg.y_bar, q, agg.x_bar, agg.g, weights=agg.s).fit(cov_type="robust")
    assert akm.estimate == pytest.approx(ref.params["x_bar"], abs=1e-12)
    assert akm.results["akm"].bse.iloc[0] == pytest.approx(ref.std_errors["x_bar"], rel=1e-10)
    assert bhj.result.bse.iloc[0] == pytest.approx(ref.std_errors["x_bar"], rel=1e-10)
    assert bhj.result.nobs == len(SECTORS) * len(YEARS)


def test_constant_control_matches_constant_shock_control_in_a_cross_section() -> None:
    data, shares, shifts = _design(2)
    one = data[(data.year == 2005) & (data.cell == 0)]
    akm = shift_share_se(one, shares, shifts, outcome="y")
    bhj = shock_level(one, shares, shifts, outcome="y", shock_controls="constant")
    agg = bhj.shocks
    ref = IV2SLS(agg.y_bar, np.ones(len(agg)), agg.x_bar, agg.g, weights=agg.s).fit(
        cov_type="robust"
    )
    assert akm.results["akm"].bse.iloc[0] == pytest.approx(ref.std_errors["x_bar"], rel=1e-10)


def test_ehw_is_hc0_of_the_observation_regression() -> None:
    data, shares, shifts = _design(3)
    res = shift_share_se(data, shares, shifts, outcome="y", absorb=["year"])
    exog = pd.get_dummies(data.year.astype(str)).astype(float).assign(B=data.B)
    ref = sm.OLS(data.y, exog).fit(cov_type="HC0")
    assert res.estimate == pytest.approx(ref.params["B"], abs=1e-12)
    assert res.results["ehw"].bse.iloc[0] == pytest.approx(ref.bse["B"], rel=1e-10)


def test_akm0_interval_inverts_the_null_imposed_test() -> None:
    data, shares, shifts = _design(4)
    res = shift_share_se(data, shares, shifts, outcome="y", endog="x", absorb=["year"])
    assert res.akm0_interval.kind == "interval"
    cv = stats.norm.isf(0.025)
    for bound in (res.akm0_interval.lower, res.akm0_interval.upper):
        at = shift_share_se(
            data, shares, shifts, outcome="y", endog="x", absorb=["year"], beta0=bound
        )
        assert abs(at.akm0.statistic) == pytest.approx(cv, rel=1e-8)
    assert res.akm0_interval.lower < res.estimate < res.akm0_interval.upper


def test_sector_clustering_sums_shocks_of_a_sector() -> None:
    data, shares, shifts = _design(5)
    kw = {"outcome": "y", "absorb": ["year"], "shock_cluster": "sector"}
    akm = shift_share_se(data, shares, shifts, **kw)
    bhj = shock_level(data, shares, shifts, **kw)
    assert akm.results["akm"].bse.iloc[0] == pytest.approx(bhj.result.bse.iloc[0], rel=1e-10)
    plain = shift_share_se(data, shares, shifts, outcome="y", absorb=["year"])
    assert akm.results["akm"].bse.iloc[0] != pytest.approx(plain.results["akm"].bse.iloc[0])
    assert "sector" in akm.notes[0]


def test_scale_does_not_change_inference() -> None:
    data, shares, shifts = _design(6)
    base = shift_share_se(data, shares, shifts, outcome="y", endog="x", absorb=["year"])
    scaled = shift_share_se(
        data, shares, shifts, outcome="y", endog="x", absorb=["year"], scale=100.0
    )
    assert scaled.results["akm"].bse.iloc[0] == pytest.approx(
        base.results["akm"].bse.iloc[0], rel=1e-10
    )


def test_tidy_and_summary() -> None:
    data, shares, shifts = _design(7)
    res = shift_share_se(data, shares, shifts, outcome="y", absorb=["year"])
    table = res.tidy()
    assert table["method"].tolist() == ["ehw", "akm", "akm0"]
    assert "18 shocks" in res.summary()
    assert res.n_shocks == 18 and res.dropped_shocks == 0


def test_effective_number_of_shocks() -> None:
    data, shares, shifts = _design(8)
    bhj = shock_level(data, shares, shifts, outcome="y", absorb=["year"])
    s = bhj.shocks["s"] / bhj.shocks["s"].sum()
    assert bhj.effective_shocks == pytest.approx(1 / (s**2).sum())


def test_missing_rows_are_counted() -> None:
    data, shares, shifts = _design(9)
    data.loc[[1, 2, 3], "y"] = np.nan
    res = shift_share_se(data, shares, shifts, outcome="y", absorb=["year"])
    assert res.results["akm"].sample.dropped == {"missing": 3}


def test_collinear_shares_are_an_error() -> None:
    data, shares, shifts = _design(10)
    twin = shares[shares.sector == "a"].assign(sector="g")
    shares = pd.concat([shares, twin])
    shifts = pd.concat([shifts, shifts[shifts.sector == "a"].assign(sector="g")])
    with pytest.raises(EstimationError, match="rank"):
        shift_share_se(data, shares, shifts, outcome="y", absorb=["year"])


def test_unit_without_shares_is_an_error() -> None:
    data, shares, shifts = _design(11)
    with pytest.raises(EstimationError, match=r"city_code values without shares: '000000'"):
        shift_share_se(data, shares[shares.city_code != "000000"], shifts, outcome="y")


def test_missing_shift_is_an_error() -> None:
    data, shares, shifts = _design(12)
    with pytest.raises(EstimationError, match=r"no 'shift' for sector 'a', year 2005"):
        shift_share_se(data, shares, shifts.iloc[1:], outcome="y")


def test_missing_column_is_named() -> None:
    data, shares, shifts = _design(13)
    with pytest.raises(EstimationError, match="column 'nope'"):
        shift_share_se(data, shares, shifts, outcome="nope")
