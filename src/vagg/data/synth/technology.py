"""The firms' production technology and input sourcing in the synthetic economy (paper 000).

Gross-output Cobb–Douglas technology in deflated values (the synthetic economy has no
inflation: its output and input price indices are 1 in every year, so nominal = deflated)

    Q_ft = exp(ω_ft) · K_ft^β_k · L_ft^β_l · M_ft^θ_M,   observed output Y_ft = Q_ft · exp(ε_ft)

* productivity ω is a first-order Markov process, ω_ft = a_f + g_f·(t − t0) + u_ft with
  u_ft = ρ·u_f,t−1 + ξ_ft (Ackerberg, Caves & Frazer 2015 timing);
* capital accumulates from investment chosen at t − 1 on the productivity seen then,
  K_f,t+1 = (1 − d)·K_ft + I_ft;
* labour is chosen at t − 1 given the expected productivity and a firm-year wage shock;
* materials are flexible: the first-order condition under a markup μ_ft over marginal cost
  (De Loecker & Warzynski 2012, eq. 9) gives M_ft = θ_M · Q_ft / μ_ft, so that
  μ = θ_M · Q / M exactly and μ = θ_M · Y / (M · exp(ε)) in the observed accounts;
* ε_ft is an output shock unknown when inputs are chosen (the first-stage residual that DLW
  subtract).

Sourcing: a share s_ft of materials is imported; processing exporters import the inputs of
their processing output under the processing regimes. The imported share falls with a
logistic sourcing cost that falls with the platform membership of upstream industries
(vagg_f) and with the number of domestic upstream varieties (the paper's rpdip channel).

These functions are written here rather than taken from a library because they *are* the
data-generating process; they never call :mod:`vagg.measures`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "TECHNOLOGY",
    "Technology",
    "materials_and_output",
    "technology_paths",
]


@dataclass(frozen=True)
class Technology:
    """Planted technology (Cobb–Douglas elasticities, Markov and accumulation parameters)."""

    beta_k: float = 0.10  # output elasticity of capital
    beta_l: float = 0.25  # output elasticity of labour
    theta_m: float = 0.55  # output elasticity of materials (the DLW θ_M)
    rho: float = 0.75  # persistence of productivity
    xi_sd: float = 0.08  # sd of the productivity innovation ξ
    eps_sd: float = 0.06  # sd of the output shock ε
    depreciation: float = 0.08
    wage_shock_sd: float = 0.25  # sd of the firm-year log wage shock (moves labour)


TECHNOLOGY = Technology()


def technology_paths(
    rng: np.random.Generator,
    firm: np.ndarray,
    offset: np.ndarray,
    size0: np.ndarray,
    growth: np.ndarray,
    markup_fe: np.ndarray,
    tech: Technology = TECHNOLOGY,
) -> pd.DataFrame:
    """Productivity, capital and labour of every firm-year, and output at the firm's base markup.

    ``firm`` (per row) indexes the per-firm arrays ``size0`` (log output at entry, thousand
    RMB), ``growth`` (trend growth of log output) and ``markup_fe`` (base log markup); rows
    of a firm are consecutive and ``offset`` counts its years from entry.

    Returns DataFrame(omega, log_capital, log_labour, log_output_base) aligned with the rows,
    where log_output_base = [ω + β_k k + β_l l + θ ln θ − θ·markup_fe] / (1 − θ) is the log of
    Q with materials chosen at the base markup.
    """
    n = len(firm)
    theta = tech.theta_m
    xi = rng.normal(0, tech.xi_sd, n)
    wage_shock = rng.normal(0, tech.wage_shock_sd, n)
    inv_noise = rng.normal(0, 0.03, n)
    k0 = size0 - 0.3 + rng.normal(0, 0.3, len(size0))
    l0 = size0 - 5.2
    u = np.empty(n)
    k = np.empty(n)
    lab = np.empty(n)
    trend = growth[firm] * (1 - theta) * 0.6 * offset
    first = offset == 0
    u[first] = xi[first] / np.sqrt(1 - tech.rho**2)
    k[first] = k0[firm[first]]
    lab[first] = l0[firm[first]] + 0.5 * tech.rho * u[first] + wage_shock[first]
    for step in range(1, int(offset.max()) + 1 if n else 0):
        at = np.flatnonzero(offset == step)
        prev = at - 1
        u[at] = tech.rho * u[prev] + xi[at]
        rate = np.clip(
            tech.depreciation + growth[firm[at]] + 0.4 * u[prev] + inv_noise[prev], 0.0, 0.6
        )
        k[at] = k[prev] + np.log(1 - tech.depreciation + rate)
        lab[at] = (
            l0[firm[at]] + 0.5 * (k[at] - k0[firm[at]]) + 0.5 * tech.rho * u[prev] + wage_shock[at]
        )
    # the firm's productivity level a_f puts its entry output at exp(size0)
    a = (1 - theta) * size0 - tech.beta_k * k0 - tech.beta_l * l0 - theta * np.log(theta)
    a = a + theta * markup_fe
    omega = a[firm] + trend + u
    log_output = (
        omega
        + tech.beta_k * k
        + tech.beta_l * lab
        + theta * np.log(theta)
        - theta * markup_fe[firm]
    ) / (1 - theta)
    return pd.DataFrame(
        {"omega": omega, "log_capital": k, "log_labour": lab, "log_output_base": log_output}
    )


def materials_and_output(
    omega: np.ndarray,
    log_capital: np.ndarray,
    log_labour: np.ndarray,
    log_markup: np.ndarray,
    eps: np.ndarray,
    tech: Technology = TECHNOLOGY,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Materials, planned output Q and observed output Y = Q·exp(ε) under markup μ (levels).

    From the materials first-order condition M = θ_M·Q/μ substituted into the technology:
    ln Q = [ω + β_k k + β_l l + θ ln θ − θ ln μ] / (1 − θ), ln M = ln θ − ln μ + ln Q.
    """
    theta = tech.theta_m
    log_q = (
        omega + tech.beta_k * log_capital + tech.beta_l * log_labour + theta * np.log(theta)
    ) / (1 - theta) - theta / (1 - theta) * log_markup
    log_m = np.log(theta) - log_markup + log_q
    return np.exp(log_m), np.exp(log_q), np.exp(log_q + eps)
