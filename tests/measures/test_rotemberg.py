"""Rotemberg weights (Goldsmith-Pinkham, Sorkin & Swift 2020): Σα = 1 and Σαβ equal to the
Bartik IV / OLS estimate computed independently by linearmodels and statsmodels with explicit
dummies, β_k equal to the IV with one share-year instrument, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from linearmodels.iv import IV2SLS

from vagg.data.errors import SchemaError
from vagg.measures.rotemberg import rotemberg_weights

SECTORS = ["a", "b", "c", "d"]
YEARS = [2005, 2006, 2007]


def _design(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    units = [f"{i:04d}00" for i in range(30)]
    sh = rng.dirichlet(np.ones(len(SECTORS)), size=len(units))
    shares = pd.DataFrame(
        [(u, s, sh[i, j]) for i, u in enumerate(units) for j, s in enumerate(SECTORS)],
        columns=["city_code", "sector", "share"],
    )
    shifts = pd.DataFrame(
        [(t, s, rng.normal()) for t in YEARS for s in SECTORS], columns=["year", "sector", "shift"]
    )
    rows = [(u, t, f"h{j}", rng.normal()) for u in units for t in YEARS for j in range(3)]
    data = pd.DataFrame(rows, columns=["city_code", "year", "hs4", "c1"])
    s_w = shares.pivot(index="city_code", columns="sector", values="share")
    g_w = shifts.pivot(index="year", columns="sector", values="shift")
    data["B"] = [
        s_w.loc[u].to_numpy() @ g_w.loc[t].to_numpy()
        for u, t in zip(data.city_code, data.year, strict=True)
    ]
    data["x"] = data.B + rng.normal(size=len(data))
    data["y"] = 0.5 * data.x + 0.3 * data.c1 + rng.normal(size=len(data))
    data["w"] = rng.uniform(0.5, 2.0, len(data))
    return data, shares, shifts


def _dummies(data: pd.DataFrame) -> pd.DataFrame:
    exog = pd.get_dummies(data[["city_code", "year", "hs4"]].astype(str), drop_first=True)
    exog = exog.astype(float)
    exog["const"] = 1.0
    exog["c1"] = data["c1"]
    return exog


FE = ["city_code", "year", "hs4"]


def test_weights_sum_to_one_and_reproduce_the_iv_estimate() -> None:
    data, shares, shifts = _design()
    r = rotemberg_weights(data, shares, shifts, outcome="y", endog="x", controls=["c1"], absorb=FE)
    assert r.by_instrument["alpha"].sum() == pytest.approx(1.0, abs=1e-12)
    assert r.beta_from_weights == pytest.approx(r.beta, abs=1e-12)
    ref = IV2SLS(data.y, _dummies(data), data.x, data.B).fit().params["x"]
    assert r.beta == pytest.approx(ref, abs=1e-9)


def test_ols_on_the_bartik_measure_is_decomposed() -> None:
    data, shares, shifts = _design(1)
    r = rotemberg_weights(data, shares, shifts, outcome="y", controls=["c1"], absorb=FE)
    exog = _dummies(data).assign(B=data.B)
    assert r.beta == pytest.approx(sm.OLS(data.y, exog).fit().params["B"], abs=1e-9)
    assert r.beta_from_weights == pytest.approx(r.beta, abs=1e-12)


def test_weighted_regression_without_fixed_effects() -> None:
    data, shares, shifts = _design(2)
    r = rotemberg_weights(
        data, shares, shifts, outcome="y", endog="x", controls=["c1"], weights="w"
    )
    exog = sm.add_constant(data[["c1"]])
    ref = IV2SLS(data.y, exog, data.x, data.B, weights=data.w).fit().params["x"]
    assert r.beta == pytest.approx(ref, abs=1e-10)
    assert r.by_instrument["alpha"].sum() == pytest.approx(1.0, abs=1e-12)


def test_beta_k_is_the_just_identified_iv_with_one_instrument() -> None:
    data, shares, shifts = _design(3)
    r = rotemberg_weights(data, shares, shifts, outcome="y", endog="x", controls=["c1"], absorb=FE)
    share_b = data.city_code.map(shares[shares.sector == "b"].set_index("city_code")["share"])
    z = share_b * (data.year == 2006)
    ref = IV2SLS(data.y, _dummies(data), data.x, z.rename("z")).fit().params["x"]
    row = r.by_instrument.query("sector == 'b' and year == 2006")
    assert row["beta"].item() == pytest.approx(ref, abs=1e-8)


def test_sector_aggregation_closed_form() -> None:
    data, shares, shifts = _design(4)
    r = rotemberg_weights(data, shares, shifts, outcome="y", endog="x", absorb=FE)
    inst = r.by_instrument
    for _, row in r.by_sector.iterrows():
        part = inst[inst.sector == row["sector"]]
        assert row["alpha"] == pytest.approx(part["alpha"].sum())
        assert row["beta"] == pytest.approx((part.alpha * part.beta).sum() / part.alpha.sum())
    assert r.by_sector["alpha"].is_monotonic_decreasing
    assert r.negative_weight <= 0
    assert len(r.top(2)) == 2


def test_scale_leaves_the_decomposition_unchanged() -> None:
    data, shares, shifts = _design(5)
    r1 = rotemberg_weights(data, shares, shifts, outcome="y", endog="x", absorb=FE)
    r2 = rotemberg_weights(data, shares, shifts, outcome="y", endog="x", absorb=FE, scale=100)
    assert r2.beta == pytest.approx(r1.beta, abs=1e-12)
    assert r2.by_instrument["alpha"].to_numpy() == pytest.approx(
        r1.by_instrument["alpha"].to_numpy(), abs=1e-12
    )


def test_missing_values_are_counted() -> None:
    data, shares, shifts = _design(6)
    data.loc[[0, 5], "y"] = np.nan
    r = rotemberg_weights(data, shares, shifts, outcome="y", endog="x", absorb=FE)
    assert r.excluded == {"missing value": 2}
    assert r.n_obs == len(data) - 2


def test_unit_without_shares_is_an_error() -> None:
    data, shares, shifts = _design(7)
    with pytest.raises(SchemaError, match=r"data.*city_code.*units without shares"):
        rotemberg_weights(data, shares[shares.city_code != "000100"], shifts, outcome="y")


def test_missing_shift_is_an_error() -> None:
    data, shares, shifts = _design(8)
    shifts = shifts.drop(index=0)
    with pytest.raises(SchemaError, match=r"no shift for \(sector, year\) \[\('a', 2005\)\]"):
        rotemberg_weights(data, shares, shifts, outcome="y")


def test_missing_column_is_named() -> None:
    data, shares, shifts = _design(9)
    with pytest.raises(SchemaError, match=r"table 'data', column 'nope'"):
        rotemberg_weights(data, shares, shifts, outcome="nope")


def test_non_positive_weights_are_an_error() -> None:
    data, shares, shifts = _design(10)
    data.loc[4, "w"] = 0.0
    with pytest.raises(SchemaError, match=r"column 'w'.*positive.*rows \[4\]"):
        rotemberg_weights(data, shares, shifts, outcome="y", weights="w")
