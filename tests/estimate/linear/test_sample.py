"""``vagg.estimate.linear.sample``: the rows a feols model uses, why the others are dropped.

References: the rows and drop counts are worked out by hand on a 24-row table below (which row
fails which rule, and which firm is left with a single row); the arrays are the table's own
columns (and numpy's ``log``) on those rows; the fit on a prepared sample is compared with
``feols`` on the table, which ``tests/estimate/linear/test_fixed_effects.py`` checks against Stata,
linearmodels and pyfixest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.fixed_effects import estimation_rows, estimation_sample, feols, fit_sample
from vagg.estimate.linear.sample import restamp_accounting
from vagg.estimate.results import Result, SampleAccounting

FORMULA = "y ~ log(x) + z | firm + year"


def table() -> pd.DataFrame:
    """8 firms × 3 years. Row 1: y missing; row 4: x = 0 (log); row 7: weight 0. Firms 0, 1
    and 2 keep two rows each; firm 7 is listed with one row only (rows 21, 22 dropped below)."""
    rng = np.random.default_rng(3)
    firm = np.repeat(np.arange(8), 3)
    year = np.tile([2001, 2002, 2003], 8)
    df = pd.DataFrame(
        {
            "firm": firm,
            "year": year,
            "x": rng.uniform(1, 3, 24),
            "z": rng.normal(size=24),
            "y": rng.normal(size=24),
            "w": rng.uniform(0.5, 2, 24),
        },
        index=[f"r{i}" for i in range(24)],
    )
    df.loc["r1", "y"] = np.nan
    df.loc["r4", "x"] = 0.0
    df.loc["r7", "w"] = 0.0
    df = df.drop(index=["r21", "r22"])  # firm 7: a singleton (row r23)
    return df.sample(frac=1.0, random_state=4)  # rows in no particular order


def test_rows_reasons_and_arrays() -> None:
    df = table()
    s = estimation_sample(FORMULA, df, weights="w")
    used = sorted(set(df.index) - {"r1", "r4", "r7", "r23"})
    assert sorted(df.index[s.rows]) == used
    assert s.dropped == {"missing": 1, "nonpositive_in_log": 1, "zero_weight": 1, "singleton_fe": 1}
    assert s.accounting == SampleAccounting(22, 18, s.dropped)
    np.testing.assert_array_equal(s.y, df["y"].to_numpy()[s.rows])
    np.testing.assert_array_equal(
        s.x[:, s.names.index("log(x)")], np.log(df["x"].to_numpy()[s.rows])
    )
    np.testing.assert_array_equal(s.weights, df["w"].to_numpy()[s.rows])
    firm_codes = s.effects[0].codes  # firm has the most levels: the arrays are sorted by it
    assert np.all(np.diff(firm_codes) >= 0)
    assert s.vcov.kind == "CRV1" and s.vcov.clusters == ("firm",)

    rows, dropped = estimation_rows(FORMULA, df, weights="w")
    assert list(rows) == sorted(s.rows)
    assert dropped == s.dropped
    rows, dropped = estimation_rows("y ~ z", df)
    assert dropped == {"missing": 1} and len(rows) == 21


def test_fit_sample_is_feols() -> None:
    df = table()
    for kwargs in ({"vcov": "hetero"}, {"vcov": {"CRV1": "firm+year"}, "weights": "w"}):
        sample = estimation_sample(FORMULA, df, **kwargs)
        fitted = fit_sample(sample, ssc="fixest")
        direct = feols(FORMULA, df, ssc="fixest", **kwargs)
        np.testing.assert_array_equal(fitted.params, direct.params)
        np.testing.assert_array_equal(fitted.bse, direct.bse)
        assert fitted.sample == direct.sample
    with pytest.raises(EstimationError, match="column 'q'"):
        estimation_sample("y ~ q", df)
    with pytest.raises(EstimationError, match="ssc"):
        fit_sample(estimation_sample(FORMULA, df), ssc="nonsense")


def test_restamp_accounting() -> None:
    df = table()
    rows, dropped = estimation_rows(FORMULA, df)
    fit = feols(FORMULA, df.iloc[rows])
    assert isinstance(fit, Result) and fit.sample is not None
    assert (fit.sample.n_input, fit.sample.n_used) == (len(rows), len(rows))
    whole = SampleAccounting(len(df), len(rows), dropped)
    assert restamp_accounting(fit, whole, "cut first") is fit
    assert fit.sample == whole and fit.diagnostics["sample_note"] == "cut first"
