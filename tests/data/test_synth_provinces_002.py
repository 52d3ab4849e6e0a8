"""The estimands of paper 002's Tables 2–4 computed by the province generator
(``vagg.data.synth.provinces_002``), against closed forms: a planted part that is exactly
linear in the regressors (plus year effects) must be recovered exactly, and the year constant
δ*_t of SL must make the share-weighted mean of exp(SL) equal to 1 (spec 002 §7)."""

from __future__ import annotations

import numpy as np
import pytest

from vagg.data.synth.provinces_002 import baseline_estimands, pooled_estimands

RNG = np.random.default_rng(7)
N, T = 30, 14
X = {name: RNG.normal(size=(N, T)) for name in ("vag", "innovation", "pgdp", "tax", "cons", "fdi")}
CTL = {k: X[k] for k in ("pgdp", "tax", "cons", "fdi")}


def test_baseline_recovers_a_linear_planted_part_with_year_effects() -> None:
    year = RNG.normal(size=(1, T))
    planted = 0.3 * X["vag"] - 0.2 * X["tax"] + 0.5 * X["fdi"] + 0.1 * X["pgdp"] + year
    out = baseline_estimands(planted, X["vag"], CTL, "test")
    assert out["sl_t2_vag_c6"]["value"] == pytest.approx(0.3, abs=1e-12)
    assert out["sl_t2_tax_c6"]["value"] == pytest.approx(-0.2, abs=1e-12)
    assert out["sl_t2_cons_c6"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert out["sl_t2_fdi_c6"]["value"] == pytest.approx(0.5, abs=1e-12)
    # col (2): Vag alone with year dummies = the within-year slope, a closed form
    v = X["vag"] - X["vag"].mean(axis=0)
    p = planted - planted.mean(axis=0)
    assert out["sl_t2_vag_c2"]["value"] == pytest.approx((v * p).sum() / (v * v).sum(), rel=1e-12)


def test_pooled_estimands_year_constant_and_interaction() -> None:
    exports = np.exp(RNG.normal(size=(N, T)))
    in_sample = np.arange(T) >= 2
    v, z = X["vag"], X["innovation"]
    planted = 0.1 * v + 0.02 * z - 0.03 * v * z
    out = pooled_estimands(planted, exports, in_sample, v, z, CTL, "test")
    # the year constant: Σ_i w_i,t−1 exp(g_it + δ*_t) = 1, so regressing g + δ* reproduces it
    shares = exports / exports.sum(axis=0)
    delta = -np.log((shares[:, :-1] * np.exp(planted[:, 1:])).sum(axis=0))
    assert np.allclose((shares[:, :-1] * np.exp(planted[:, 1:] + delta)).sum(axis=0), 1.0)
    cols = np.flatnonzero(in_sample)
    y = (planted[:, 1:] + delta)[:, cols - 1]
    x = np.column_stack([np.ones(y.size), v[:, cols].ravel(), z[:, cols].ravel(),
                         (v * z)[:, cols].ravel()])  # fmt: skip
    coef = np.linalg.lstsq(x, y.ravel(), rcond=None)[0]
    assert out["sl_t4_xz_c2"]["value"] == pytest.approx(coef[3], rel=1e-10)
    assert out["sl_t4_vag_c2"]["value"] == pytest.approx(coef[1], rel=1e-10)
    # product-only centring: c1 = γ1 + γ3·Z̄
    zbar = z[:, cols].mean()
    assert out["sl_t4_vag_c3"]["value"] == pytest.approx(coef[1] + coef[3] * zbar, rel=1e-9)
