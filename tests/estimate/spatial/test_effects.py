"""LeSage–Pace effects: closed forms (1e-10), the three trace methods, and the simulation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import vagg.weights as vw
from vagg.engine import Local
from vagg.estimate.spatial import spatial, spatial_effects
from vagg.estimate.spatial.effects import EffectsKit


def _dense_effects(w: np.ndarray, rho: float, beta: float, theta: float = 0.0) -> np.ndarray:
    s = np.linalg.inv(np.eye(len(w)) - rho * w) @ (beta * np.eye(len(w)) + theta * w)
    direct = np.trace(s) / len(w)
    total = s.sum() / len(w)
    return np.array([direct, total - direct, total])


@pytest.mark.parametrize("rho", [-0.6, 0.3, 0.85])
def test_closed_forms_row_standardised(rho: float) -> None:
    """direct = mean diag (I − ρW)⁻¹β and total = β/(1 − ρ) (methods note §4.4)."""
    w = vw.queen_provinces()
    out = spatial_effects(w, rho, {"x": 2.5, "z": -1.0})
    a_inv = np.linalg.inv(np.eye(30) - rho * w.matrix.toarray())
    for term, beta in (("x", 2.5), ("z", -1.0)):
        assert out.loc[term, "direct"] == pytest.approx(np.mean(np.diag(a_inv)) * beta, abs=1e-10)
        assert out.loc[term, "total"] == pytest.approx(beta / (1 - rho), abs=1e-10)
        assert out.loc[term, "indirect"] == pytest.approx(
            beta / (1 - rho) - np.mean(np.diag(a_inv)) * beta, abs=1e-10
        )


def test_closed_forms_durbin_and_unstandardised() -> None:
    """SDM: S = (I − ρW)⁻¹(βI + θW), for a binary (not row-standardised) W too."""
    for w in (vw.queen_provinces(), vw.queen_provinces(standardize=None)):
        rho = 0.4 if w.is_row_standardized else 0.12
        out = spatial_effects(w, rho, {"x": 1.3}, {"x": -0.7})
        ref = _dense_effects(w.matrix.toarray(), rho, 1.3, -0.7)
        np.testing.assert_allclose(out.loc["x"].to_numpy(), ref, atol=1e-10)
        if w.is_row_standardized:
            assert out.loc["x", "total"] == pytest.approx((1.3 - 0.7) / (1 - rho), abs=1e-10)


def test_asymmetric_weights_use_dense_traces() -> None:
    """A W with a one-way link pattern is not similar to a symmetric matrix: dense traces."""
    rng = np.random.default_rng(8)
    n = 40
    rows = np.repeat(np.arange(n), 3)
    cols = (rows + rng.integers(1, n, size=rows.size)) % n
    matrix = sp.csr_array((rng.uniform(0.5, 2, rows.size), (rows, cols)), (n, n))
    w = vw.from_sparse(matrix, [f"u{i}" for i in range(n)], standardize="row")
    assert not w.has_real_spectrum()
    kit = EffectsKit.for_lag(w, ["x"], [0], [1], [2])
    assert kit.mode == "dense"
    out = spatial_effects(w, 0.5, {"x": 1.0}, {"x": 0.5})
    np.testing.assert_allclose(
        out.loc["x"].to_numpy(), _dense_effects(w.matrix.toarray(), 0.5, 1.0, 0.5), atol=1e-10
    )


def test_series_traces_for_large_asymmetric_matrices() -> None:
    """Beyond 300 units without a symmetric similar matrix: power series with Hutchinson
    traces (approximate; LeSage & Pace 2009 §4.4) against the dense inverse."""
    rng = np.random.default_rng(5)
    n = 400
    rows = np.repeat(np.arange(n), 4)
    cols = (rows + rng.integers(1, n, size=rows.size)) % n
    w = vw.from_sparse(
        sp.csr_array((rng.uniform(0.5, 2, rows.size), (rows, cols)), (n, n)), range(n)
    )
    w = w.row_standardize()
    kit = EffectsKit.for_lag(w, ["x"], [0], [1], [2], rho_max=0.7)
    assert kit.mode == "series"
    got = kit.effects(np.array([1.0, 0.5, 0.6]))[0][:, 0]
    ref = _dense_effects(w.matrix.toarray(), 0.6, 1.0, 0.5)
    np.testing.assert_allclose(got[[0, 2]], ref[[0, 2]], rtol=2e-3)


def test_rho_outside_the_stable_range_is_refused() -> None:
    w = vw.queen_provinces()
    lo, _ = w.stable_interval()
    with pytest.raises(ValueError, match=r"outside the stable range \(-1\.6036"):
        spatial_effects(w, 1.02, {"x": 1.0})
    with pytest.raises(ValueError, match="outside the stable range"):
        spatial_effects(w, lo - 0.01, {"x": 1.0})


def test_simulation_is_seeded_and_engine_independent(us_income) -> None:
    data, w = us_income
    res = spatial("g ~ lag_ln", data, w, model="sdm", panel=("state", "year"), effects="individual")
    a = res.impacts(draws=200, seed=11)
    b = res.impacts(draws=200, seed=11, engine=Local(1))
    with ThreadPoolExecutor(2) as pool:
        c = res.impacts(draws=200, seed=11, engine=pool)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.table, c.table)
    d = res.impacts(draws=200, seed=12)
    assert not np.allclose(a.table["std_error"], d.table["std_error"])
    assert a.draws == 200 and a.seed == 11


def test_simulated_standard_errors_agree_with_the_delta_method(us_income) -> None:
    """With ρ estimated tightly (SE 0.04) the effects are nearly linear in the parameters, so the
    simulated SEs (5,000 draws; Monte Carlo error ≈ 1%) match the delta method within 5%."""
    data, w = us_income
    res = spatial("g ~ lag_ln", data, w, model="sdm", panel=("state", "year"), effects="individual")
    sim = res.impacts(draws=5000, seed=3).table
    delta = res.impacts(method="delta").table
    np.testing.assert_allclose(sim["estimate"], delta["estimate"], rtol=1e-12)
    np.testing.assert_allclose(sim["std_error"], delta["std_error"], rtol=0.05)
    assert (sim["conf_low"] < sim["estimate"]).all() and (sim["estimate"] < sim["conf_high"]).all()


def test_effects_at_the_estimates_are_the_closed_forms(columbus) -> None:
    data, w = columbus
    res = spatial("CRIME ~ INC + HOVAL", data, w, model="sdm", unit="POLYID")
    rho = res.params["rho"]
    for term in ("INC", "HOVAL"):
        ref = _dense_effects(w.matrix.toarray(), rho, res.params[term], res.params[f"W_{term}"])
        got = [res.effects.direct[term], res.effects.indirect[term], res.effects.total[term]]
        np.testing.assert_allclose(got, ref, atol=1e-10)


def test_error_models_have_exact_linear_effects(columbus) -> None:
    data, w = columbus
    sem = spatial("CRIME ~ INC + HOVAL", data, w, model="sem", unit="POLYID")
    eff = sem.effects
    assert eff.method == "exact"
    np.testing.assert_allclose(eff.direct, sem.params[["INC", "HOVAL"]])
    np.testing.assert_allclose(eff.indirect, 0.0)
    np.testing.assert_allclose(eff.table.loc["direct", "std_error"], sem.bse[["INC", "HOVAL"]])
    sdem = spatial("CRIME ~ INC + HOVAL", data, w, model="sdem", unit="POLYID")
    np.testing.assert_allclose(sdem.effects.indirect, sdem.params[["W_INC", "W_HOVAL"]])
    v = sdem.vcov
    total_se = np.sqrt(v.loc["INC", "INC"] + v.loc["W_INC", "W_INC"] + 2 * v.loc["INC", "W_INC"])
    assert sdem.effects.table.loc[("total", "INC"), "std_error"] == pytest.approx(total_se)


def test_interaction_effects_reduce_to_sar_when_inter_is_constant() -> None:
    """With INTER = c in every unit and period, A_t = I − (ρ + ρ′c)W: the SAR effects at ρ + ρ′c."""
    w = vw.queen_provinces()
    z = np.full((30, 5), 0.5)
    kit = EffectsKit.for_lag(w, ["x"], [0], [-1], [1, 2], z=z)
    got = kit.effects(np.array([2.0, 0.3, 0.4]))[0][:, 0]
    ref = spatial_effects(w, 0.3 + 0.4 * 0.5, {"x": 2.0}).loc["x"].to_numpy()
    np.testing.assert_allclose(got, ref, atol=1e-10)
