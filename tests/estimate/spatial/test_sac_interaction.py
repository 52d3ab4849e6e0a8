"""SAC with two-way effects and paper 004's interaction model against a brute-force maximum of
the full (unconcentrated) likelihood written out here with dense determinants, on a
30-province × 12-year panel simulated from known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import vagg.weights as vw
from vagg.estimate.spatial import spatial
from vagg.estimate.spatial.design import build_design
from vagg.estimate.spatial.likelihood import Likelihood

N, T = 30, 12


def _panel(
    seed: int, *, rho: float, rho_z: float, lam: float
) -> tuple[pd.DataFrame, vw.SpatialWeights]:
    rng = np.random.default_rng(seed)
    w = vw.queen_provinces()
    wd = w.matrix.toarray()
    inter = rng.uniform(0.05, 1.0, size=(N, T))
    x = rng.normal(size=(N, T, 2))
    unit, period = rng.normal(size=N), rng.normal(size=T)
    y = np.empty((N, T))
    for t in range(T):
        u = np.linalg.solve(np.eye(N) - lam * wd, rng.normal(scale=0.4, size=N))
        a = np.eye(N) - (rho + rho_z * inter[:, t])[:, None] * wd
        y[:, t] = np.linalg.solve(a, unit + period[t] + x[:, t] @ [1.0, -0.5] + u)
    frame = pd.DataFrame(
        {
            "province": np.repeat(list(w.ids), T),
            "year": np.tile(np.arange(2004, 2004 + T), N),
            "met": y.ravel(),
            "x1": x[:, :, 0].ravel(),
            "x2": x[:, :, 1].ravel(),
            "inter": inter.ravel(),
        }
    )
    return frame, w


def _two_way(e: np.ndarray) -> np.ndarray:
    return e - e.mean(axis=1, keepdims=True) - e.mean(axis=0, keepdims=True) + e.mean()


def _brute_force(frame: pd.DataFrame, w: vw.SpatialWeights, *, inter: bool, error: bool):  # type: ignore[no-untyped-def]
    wd = w.matrix.toarray()
    grid = frame.set_index(["province", "year"]).loc[
        [(p, yr) for p in w.ids for yr in range(2004, 2004 + T)]
    ]
    y = grid["met"].to_numpy().reshape(N, T)
    x = grid[["x1", "x2"]].to_numpy().reshape(N, T, 2)
    z = grid["inter"].to_numpy().reshape(N, T)

    def negll(theta: np.ndarray) -> float:
        beta, rho = theta[:2], theta[2]
        rho_z = theta[3] if inter else 0.0
        lam = theta[-2] if error else 0.0
        s2 = np.exp(theta[-1])
        b = np.eye(N) - lam * wd
        ll = -0.5 * N * T * np.log(2 * np.pi * s2)
        e = np.empty((N, T))
        for t in range(T):
            a = np.eye(N) - (rho + rho_z * z[:, t])[:, None] * wd
            sign, logdet = np.linalg.slogdet(a)
            if sign <= 0:
                return 1e10
            ll += logdet
            e[:, t] = b @ (a @ y[:, t] - x[:, t] @ beta)
        sign, logdet_b = np.linalg.slogdet(b)
        if sign <= 0:
            return 1e10
        ll += T * logdet_b
        e = _two_way(e)
        return float(-(ll - (e**2).sum() / (2 * s2)))

    start = np.array([0.5, 0.0, 0.1] + ([0.0] if inter else []) + ([0.1] if error else []) + [0.0])
    res = optimize.minimize(negll, start, method="BFGS", options={"gtol": 1e-9, "maxiter": 5000})
    res = optimize.minimize(
        negll,
        res.x,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    return res.x, -res.fun


def test_sac_twoways_is_the_maximum_of_the_full_likelihood() -> None:
    frame, w = _panel(7, rho=0.35, rho_z=0.0, lam=0.3)
    res = spatial(
        "met ~ x1 + x2", frame, w, model="sac", panel=("province", "year"), effects="twoways"
    )
    theta, ll = _brute_force(frame, w, inter=False, error=True)
    assert res.loglik == pytest.approx(ll, abs=1e-6)
    assert res.loglik >= ll - 1e-9
    np.testing.assert_allclose(res.params[["x1", "x2", "rho", "lambda"]], theta[:4], atol=2e-5)
    assert res.sigma2 == pytest.approx(np.exp(theta[-1]), rel=1e-5)


def test_interaction_model_is_the_maximum_of_the_full_likelihood() -> None:
    frame, w = _panel(8, rho=0.4, rho_z=0.3, lam=0.0)
    res = spatial(
        "met ~ x1 + x2",
        frame,
        w,
        model="sar",
        panel=("province", "year"),
        effects="twoways",
        interaction="inter",
    )
    theta, ll = _brute_force(frame, w, inter=True, error=False)
    assert res.loglik == pytest.approx(ll, abs=1e-6)
    np.testing.assert_allclose(res.params[["x1", "x2", "rho", "rho:inter"]], theta[:4], atol=2e-5)
    assert res.model == "sar+interaction"


def test_interaction_term_zero_gives_the_sar_likelihood() -> None:
    """Paper 004 §7: with ρ′ = 0 eq. (25) reduces to eq. (24)."""
    frame, w = _panel(9, rho=0.4, rho_z=0.3, lam=0.0)
    common = {
        "panel": ("province", "year"),
        "unit": None,
        "effects": "twoways",
        "slx": None,
        "w_error": None,
        "allow_islands": False,
        "require_row_standardized": False,
    }
    with_z = Likelihood(
        build_design("met ~ x1 + x2", frame, w, model="sar", interaction="inter", **common), "sar"
    )
    plain = Likelihood(
        build_design("met ~ x1 + x2", frame, w, model="sar", interaction=None, **common), "sar"
    )
    for rho in (-0.3, 0.1, 0.6):
        a = with_z.concentrated(np.array([rho, 0.0]))
        b = plain.concentrated(np.array([rho]))
        assert a[0] == pytest.approx(b[0], abs=1e-9)
        np.testing.assert_allclose(a[1], b[1], atol=1e-12)


def test_interaction_expected_and_observed_information_agree() -> None:
    frame, w = _panel(10, rho=0.4, rho_z=0.3, lam=0.0)
    kw = {
        "model": "sar",
        "panel": ("province", "year"),
        "effects": "twoways",
        "interaction": "inter",
    }
    eim = spatial("met ~ x1 + x2", frame, w, **kw)
    oim = spatial("met ~ x1 + x2", frame, w, vcov="oim", **kw)
    np.testing.assert_allclose(eim.bse, oim.bse, rtol=0.15)


def test_interaction_effects_average_the_periods() -> None:
    frame, w = _panel(11, rho=0.4, rho_z=0.3, lam=0.0)
    res = spatial("met ~ x1 + x2", frame, w, panel=("province", "year"), interaction="inter")
    z = frame.set_index(["province", "year"])["inter"].unstack().loc[list(w.ids)].to_numpy()
    rho, rho_z, beta = res.params["rho"], res.params["rho:inter"], res.params["x1"]
    wd = w.matrix.toarray()
    direct = total = 0.0
    for t in range(T):
        inv = np.linalg.inv(np.eye(N) - (rho + rho_z * z[:, t])[:, None] * wd)
        direct += np.trace(inv) * beta / N / T
        total += inv.sum() * beta / N / T
    assert res.effects.direct["x1"] == pytest.approx(direct, abs=1e-10)
    assert res.effects.total["x1"] == pytest.approx(total, abs=1e-10)
