"""Economic-distance, nested and R&D-flow gravity weights against their formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vagg.weights as vw
from vagg.weights import WeightsError

GDP = pd.Series({"a": 2.0, "b": 3.0, "c": 7.0})


def test_economic_distance_is_one_over_the_gap() -> None:
    w = vw.economic_distance(GDP, standardize=None)
    expected = np.array([[0, 1 / 1, 1 / 5], [1 / 1, 0, 1 / 4], [1 / 5, 1 / 4, 0]])
    np.testing.assert_allclose(w.matrix.toarray(), expected)
    std = vw.economic_distance(GDP)
    np.testing.assert_allclose(std.matrix.toarray(), expected / expected.sum(axis=1, keepdims=True))


def test_equal_gdp_is_refused_or_floored() -> None:
    ties = pd.Series({"a": 2.0, "b": 2.0, "c": 5.0})
    with pytest.raises(WeightsError, match="'a' and 'b' have equal per-capita GDP"):
        vw.economic_distance(ties)
    w = vw.economic_distance(ties, min_difference=0.5, standardize=None)
    assert w.neighbors("a")["b"] == pytest.approx(2.0)


def test_missing_gdp_is_named() -> None:
    with pytest.raises(WeightsError, match=r"not finite for \['b'\]"):
        vw.economic_distance(pd.Series({"a": 1.0, "b": np.nan, "c": 2.0}))


def test_nested_variants() -> None:
    d = vw.inverse_distance(
        pd.DataFrame(
            {"lat": [30.0, 31.0, 33.0], "lon": [110.0, 111.0, 115.0]}, index=["a", "b", "c"]
        ),
        standardize=None,
    )
    wd = d.matrix.toarray()
    share = vw.nested(d, GDP, standardize=None).matrix.toarray()
    np.testing.assert_allclose(share, wd * (GDP.to_numpy() / GDP.mean())[None, :])
    econ = vw.economic_distance(GDP, standardize=None).matrix.toarray()
    hadamard = vw.nested(d, GDP, method="hadamard", standardize=None).matrix.toarray()
    np.testing.assert_allclose(hadamard, wd * econ)
    mix = vw.nested(d, GDP, method="mixture", share=0.3, standardize=None).matrix.toarray()
    row = lambda m: m / m.sum(axis=1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(mix, 0.3 * row(wd) + 0.7 * row(econ))
    with pytest.raises(WeightsError, match=r"lacks units of the distance matrix: \['c'\]"):
        vw.nested(d, GDP.drop("c"))


def test_rd_flow_formula_and_directions() -> None:
    """RDL_ij = ln(L_i)·ln(w_j − w_i)·d_ij⁻² if w_j > w_i (paper 004; methods note §3.3)."""
    codes = ["11", "31", "44"]
    personnel = pd.Series({"11": 300.0, "31": 200.0, "44": 250.0})
    wage = pd.Series({"11": 9000.0, "31": 8000.0, "44": 6000.0})
    from vagg.data import geography

    d = geography.distance_matrix_km().loc[codes, codes].to_numpy()
    flow = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            gap = wage.iloc[j] - wage.iloc[i]
            if i != j and gap > 0:
                flow[i, j] = np.log(personnel.iloc[i]) * np.log(gap) / d[i, j] ** 2
    out = vw.rd_personnel_flow(personnel, wage, direction="outflow", standardize=None)
    np.testing.assert_allclose(out.matrix.toarray(), flow)
    assert out.islands == ("11",)  # the highest wage sends nobody
    inflow = vw.rd_personnel_flow(personnel, wage, direction="inflow", standardize=None)
    np.testing.assert_allclose(inflow.matrix.toarray(), flow.T)
    both = vw.rd_personnel_flow(personnel, wage)
    np.testing.assert_allclose(both.matrix.toarray(), row_std(flow + flow.T))
    assert both.is_symmetric() is False and both.has_real_spectrum()
    with pytest.raises(WeightsError, match=r"islands\): \['11'\]"):
        vw.rd_capital_flow(personnel, wage, direction="outflow")


def row_std(m: np.ndarray) -> np.ndarray:
    return m / m.sum(axis=1, keepdims=True)


def test_negative_flows_are_refused_or_zeroed() -> None:
    personnel = pd.Series({"11": 300.0, "31": 200.0, "44": 250.0})
    wage_10k = pd.Series({"11": 0.9, "31": 0.8, "44": 0.6})  # 10⁴ yuan: gaps below 1
    with pytest.raises(WeightsError, match=r"3 flow\(s\) are negative.*smaller units"):
        vw.rd_personnel_flow(personnel, wage_10k)
    zeroed = vw.rd_personnel_flow(personnel, wage_10k, negative="zero", standardize=None)
    assert zeroed.links == 0


def test_gravity_needs_positive_mass_and_matching_units() -> None:
    with pytest.raises(WeightsError, match=r"mass must be positive.*\['31'\]"):
        vw.gravity_flow(pd.Series({"11": 3.0, "31": 0.0}), pd.Series({"11": 5.0, "31": 9.0}))
    with pytest.raises(WeightsError, match=r"only in pull: \['44'\]"):
        vw.gravity_flow(pd.Series({"11": 3.0}), pd.Series({"11": 5.0, "44": 9.0}))
