"""Weak-identification diagnostics for linear IV, with ivreg2 / ivreghdfe conventions.

Every function works on arrays from which the exogenous regressors (the constant, the included
controls and any absorbed fixed effects) have already been partialled out, and which have
already been multiplied by the square root of the (mean-one) weights in a weighted model:

* ``endog`` — Y, N x K1, the endogenous regressors;
* ``instruments`` — Z, N x L1, the excluded instruments;
* ``y`` — the dependent variable (Anderson–Rubin only).

By Frisch–Waugh–Lovell the first-stage coefficients, residuals and sandwich covariances of the
excluded instruments are the same as in the full regression, so the statistics equal those that
ivreg2 computes on the unpartialled data once the partialled parameters are counted in the
degrees of freedom. That count is ``n_partialled``: the included exogenous regressors, the
constant, and the absorbed fixed-effect levels (counted by
:func:`vagg.estimate.linear.sandwich.small_sample`, ivreghdfe's rule). With it the
small-sample factors are those of ``ivreg2.ado`` (Baum, Schaffer & Stillman 2007; the ``s_ffirst``
and identification blocks of ivreg2 4.1 and ivreghdfe 1.0), with L = L1 + ``n_partialled``:

* without clusters, F = chi2 / N * (N - L) / df1, with denominator df N - L;
* with clusters, F = chi2 / (N - 1) * (N - L) * (G - 1) / G / df1, with denominator df G - 1,
  G the number of clusters (the smaller count for two-way clustering).

Moment covariances carry no small-sample factor (``ranktest``: HC0 / CRV0). Statistics that are
not defined for the data (an endogenous regressor predicted exactly, a singular covariance) are
returned as :class:`~vagg.estimate.results.NotAvailable` with the reason.

References: Anderson & Rubin (1949), *Ann. Math. Statist.* 20, 46-63; Anderson (1951);
Cragg & Donald (1993), *Econometric Theory* 9, 222-240; Stock & Yogo (2005), in *Identification
and Inference for Econometric Models*, CUP, Tables 5.1-5.2; Kleibergen & Paap (2006),
*J. Econometrics* 133, 97-126; Baum, Schaffer & Stillman (2007), *Stata Journal* 7, 465-506;
Sanderson & Windmeijer (2016), *J. Econometrics* 190, 212-221; Correia (2016), reghdfe /
ivreghdfe degrees-of-freedom rules; Abowd, Creecy & Kramarz (2002) for connected components.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
from scipy import linalg

from vagg.estimate.errors import EstimationError
from vagg.estimate.linear.sandwich import Factor, score_meat
from vagg.estimate.results import HypothesisTest, NotAvailable

__all__ = [
    "AndersonRubin",
    "FirstStageF",
    "KleibergenPaap",
    "StockYogo",
    "anderson_rubin",
    "canonical_correlations",
    "cragg_donald_f",
    "first_stage_f",
    "kleibergen_paap_rk",
    "n_clusters",
    "score_covariance",
    "stock_yogo_critical_values",
]

VcovKind = Literal["iid", "robust", "cluster"]
_EXACT_FIT = 1e-12
_EXACT_MSG = "an endogenous regressor is an exact linear function of the instruments"


@dataclass(frozen=True)
class FirstStageF:
    """First-stage strength of one endogenous regressor (ivreg2 ``first`` output)."""

    f: HypothesisTest
    partial_r2: float
    sw_f: HypothesisTest | NotAvailable
    coefficients: np.ndarray = field(repr=False)

    def __str__(self) -> str:
        return f"{self.f}; partial R2 = {self.partial_r2:.4f}; {self.sw_f}"


@dataclass(frozen=True)
class KleibergenPaap:
    """Kleibergen–Paap rk LM (underidentification) and rk Wald (weak identification) statistics."""

    lm: HypothesisTest | NotAvailable
    wald: HypothesisTest | NotAvailable
    wald_f: float | NotAvailable

    def __str__(self) -> str:
        f = self.wald_f if isinstance(self.wald_f, NotAvailable) else f"{self.wald_f:.4f}"
        return f"{self.lm}; rk Wald F = {f}"


@dataclass(frozen=True)
class AndersonRubin:
    """Anderson–Rubin test of H0: beta = beta0 for all endogenous coefficients, F and chi2 forms."""

    f: HypothesisTest
    chi2: HypothesisTest
    beta0: tuple[float, ...]

    def __str__(self) -> str:
        return f"{self.f}; {self.chi2}"


@dataclass(frozen=True)
class StockYogo:
    """Stock–Yogo (2005) critical values for the Cragg–Donald F, keyed by the maximal distortion.

    ``iv_size``: maximal size of a nominal 5% Wald test (0.10, 0.15, 0.20, 0.25), Table 5.2;
    ``relative_bias``: maximal 2SLS bias relative to OLS (0.05, 0.10, 0.20, 0.30), Table 5.1.
    A table that does not cover (n_endog, n_instr) is NotAvailable.
    """

    n_endog: int
    n_instr: int
    iv_size: dict[float, float] | NotAvailable
    relative_bias: dict[float, float] | NotAvailable

    def __str__(self) -> str:
        def fmt(table: dict[float, float] | NotAvailable) -> str:
            if isinstance(table, NotAvailable):
                return str(table)
            return ", ".join(f"{k:.0%}: {v:.2f}" for k, v in table.items())

        return f"IV size [{fmt(self.iv_size)}]; relative bias [{fmt(self.relative_bias)}]"


# -- shared pieces -----------------------------------------------------------------------------


def _as_2d(name: str, a: np.ndarray) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise EstimationError(f"{name}: expected a 1-d or 2-d array, got {arr.ndim} dimensions")
    if not np.isfinite(arr).all():
        rows = np.flatnonzero(~np.isfinite(arr).all(axis=1))[:5].tolist()
        raise EstimationError(f"{name}: non-finite values in rows {rows}")
    return arr


def _check_arrays(
    endog: np.ndarray, instruments: np.ndarray, clusters: np.ndarray | None, vcov: str
) -> tuple[np.ndarray, np.ndarray, list[Factor]]:
    y = _as_2d("endog", endog)
    z = _as_2d("instruments", instruments)
    if y.shape[0] != z.shape[0]:
        raise EstimationError(
            f"endog has {y.shape[0]} rows but instruments has {z.shape[0]}; they must match"
        )
    if z.shape[1] < y.shape[1]:
        raise EstimationError(
            f"underidentified: {z.shape[1]} excluded instrument(s) for {y.shape[1]} "
            "endogenous regressor(s); need at least as many instruments as endogenous regressors"
        )
    if np.linalg.matrix_rank(z) < z.shape[1]:
        raise EstimationError("instruments: the excluded instruments are collinear")
    return y, z, _cluster_codes(clusters, y.shape[0], vcov)


def _cluster_codes(clusters: np.ndarray | None, n: int, vcov: str) -> list[Factor]:
    """The one or two cluster variables of ``clusters`` (N or N x 2 identifiers) as Factors."""
    if vcov not in ("iid", "robust", "cluster"):
        raise EstimationError(f"vcov: expected 'iid', 'robust' or 'cluster', got {vcov!r}")
    if vcov != "cluster":
        return []
    if clusters is None:
        raise EstimationError("clusters: required when vcov='cluster'")
    c = np.asarray(clusters)
    if c.ndim == 1:
        c = c[:, None]
    if c.shape[0] != n or c.shape[1] not in (1, 2):
        raise EstimationError(f"clusters: expected {n} rows and 1 or 2 columns, got {c.shape}")
    factors = []
    for j in range(c.shape[1]):
        codes, levels = pd.factorize(c[:, j])
        if codes.min() < 0:
            raise EstimationError("clusters: missing cluster identifiers")
        factors.append(Factor(f"cluster{j}", codes.astype(np.int64), len(levels)))
    if _n_clusters(factors) < 2:
        raise EstimationError("clusters: at least two clusters are needed")
    return factors


def _n_clusters(factors: list[Factor]) -> int:
    """Cluster count for small-sample factors: the smaller one under two-way clustering."""
    return min(f.n_levels for f in factors)


def score_covariance(
    scores: np.ndarray, vcov: VcovKind = "robust", clusters: np.ndarray | None = None
) -> np.ndarray:
    """Covariance of the moment vector sum_i g_i / sqrt(N), without small-sample factors.

    robust: (1/N) sum_i g_i g_i' (HC0); cluster: (1/N) sum_c (sum_{i in c} g_i)(.)' (CRV0);
    two-way cluster: S_1 + S_2 - S_12 with S_12 over the intersection of the two dimensions
    (Cameron, Gelbach & Miller 2011; as in ``ranktest`` and ivreg2), from
    :func:`vagg.estimate.linear.sandwich.score_meat`. The iid case has a Kronecker form and is
    built by the callers.
    """
    g = _as_2d("scores", scores)
    if vcov == "iid":
        raise EstimationError("vcov: score_covariance covers 'robust' and 'cluster' only")
    return _score_cov(g, _cluster_codes(clusters, g.shape[0], vcov))


def n_clusters(clusters: np.ndarray) -> int:
    """Clusters counted in small-sample factors: the smaller count under two-way clustering."""
    c = np.asarray(clusters)
    return _n_clusters(_cluster_codes(c, c.shape[0], "cluster"))


def _score_cov(g: np.ndarray, codes: list[Factor]) -> np.ndarray:
    return score_meat(g, codes) / g.shape[0]


def _chi2_to_f(
    chi2: float, df1: int, n: int, n_params: int, codes: list[Factor]
) -> tuple[float, int]:
    """ivreg2's conversion of a Wald chi2 into an F statistic and its denominator df."""
    if codes:
        g = _n_clusters(codes)
        return chi2 / (n - 1) * (n - n_params) * (g - 1) / g / df1, g - 1
    return chi2 / n * (n - n_params) / df1, n - n_params


def _f_test(name: str, chi2: float, df1: int, n: int, n_params: int, codes) -> HypothesisTest:
    f, df2 = _chi2_to_f(chi2, df1, n, n_params, codes)
    return HypothesisTest.f(name, f, df1, df2)


def _chi2_test(name: str, chi2: float, df: int) -> HypothesisTest:
    return HypothesisTest.chi2(name, chi2, df)


def _wald(z: np.ndarray, coef: np.ndarray, resid: np.ndarray, vcov: str, codes) -> float:
    """Wald chi2 for H0: coef = 0 in the regression of some series on z with residual resid.

    N Var(coef) = Q_zz^-1 S Q_zz^-1 with S the covariance of z_i e_i (HC0 / CRV0); the classical
    form uses S = sigma^2 Q_zz with sigma^2 = e'e/N, as ivreg2 does before its small-sample factor.
    """
    n = z.shape[0]
    qzz = z.T @ z / n
    if vcov == "iid":
        return float(n * coef @ qzz @ coef / (resid @ resid / n))
    s = _score_cov(z * resid[:, None], codes)
    v = np.linalg.solve(qzz, np.linalg.solve(qzz, s).T)
    return float(n * coef @ np.linalg.pinv(v, hermitian=True) @ coef)


# -- canonical correlations and Cragg–Donald ------------------------------------------------


def canonical_correlations(endog: np.ndarray, instruments: np.ndarray) -> np.ndarray:
    """Squared partial canonical correlations between Y and Z, in ascending order.

    They are the eigenvalues of (Y'Y)^-1 Y'Z (Z'Z)^-1 Z'Y (Anderson 1951), computed as the squared
    singular values of Q_zz^-1/2' Q_zy Q_yy^-1/2 with Cholesky factors.
    """
    y, z, _ = _check_arrays(endog, instruments, None, "iid")
    return np.sort(_theta(y, z)[3] ** 2)


def _theta(y: np.ndarray, z: np.ndarray):
    """Theta = L_z' Pi (L_y')^-1 with Q = L L' (lower Cholesky), and its SVD (methods §8.2)."""
    n = y.shape[0]
    qzz, qyy = z.T @ z / n, y.T @ y / n
    lz = linalg.cholesky(qzz, lower=True)
    ly = linalg.cholesky(qyy, lower=True)
    pi = np.linalg.solve(qzz, z.T @ y / n)
    theta = linalg.solve_triangular(ly, (lz.T @ pi).T, lower=True).T
    u, s, vt = np.linalg.svd(theta, full_matrices=True)
    return pi, lz, ly, s, u, vt.T, theta


def cragg_donald_f(endog: np.ndarray, instruments: np.ndarray, *, n_partialled: int = 0):
    """Cragg–Donald Wald F statistic (Cragg & Donald 1993; Stock & Yogo 2005; ivreg2 ``cdf``).

    With CCEV the smallest squared canonical correlation and CDEV = CCEV / (1 - CCEV),

        F_CD = CDEV * (N - L1 - n_partialled) / L1.

    With one endogenous regressor it is the classical first-stage F. It ignores the vcov choice
    (homoskedastic by construction); compare it with :func:`stock_yogo_critical_values`.
    Returns NotAvailable when an endogenous regressor is an exact linear function of Z.
    """
    y, z, _ = _check_arrays(endog, instruments, None, "iid")
    ccev = float(_theta(y, z)[3].min() ** 2)
    if 1 - ccev < _EXACT_FIT:
        return NotAvailable(
            "an endogenous regressor is an exact linear function of the instruments"
        )
    n, l1 = z.shape
    return ccev / (1 - ccev) * (n - l1 - n_partialled) / l1


# -- Kleibergen–Paap --------------------------------------------------------------------------


def kleibergen_paap_rk(
    endog: np.ndarray,
    instruments: np.ndarray,
    *,
    n_partialled: int = 0,
    vcov: VcovKind = "robust",
    clusters: np.ndarray | None = None,
) -> KleibergenPaap:
    """Kleibergen–Paap (2006) rk statistics for H0: rank(Pi) = K1 - 1 (underidentification).

    Following ``ranktest`` (Kleibergen & Schaffer 2007; methods §8.2):

    1. Q_zz = Z'Z/N, Q_yy = Y'Y/N, Pi = Q_zz^-1 Z'Y/N; Theta = L_z' Pi (L_y')^-1 with lower
       Cholesky factors, SVD Theta = U S V'.
    2. S = avar(vec(Z'v)/sqrt(N)) with v = Y (LM version) or v = Y - Z Pi (Wald version):
       iid (v'v/N) kron Q_zz; robust (1/N) sum (v_i kron z_i)(.)'; cluster by sums over clusters.
    3. N Var(vec Theta) = (L_y^-1 kron L_z^-1) S (.)'.
    4. With U2, V2 the singular vectors beyond the first q = K1 - 1, lambda = U2' Theta V2 and
       rk = N lambda' [(V2 kron U2)' Var (V2 kron U2)]^+ lambda ~ chi2(L1 - K1 + 1).
       (ranktest normalises U2, V2 by invertible matrices, which leaves rk unchanged.)

    Identities (tested): iid LM = Anderson's N * CCEV; iid Wald = Cragg–Donald N * CDEV;
    with K1 = 1 the robust/cluster Wald equals the HC0/CRV0 Wald test of the first stage.
    ``wald_f`` is ivreg2's "Kleibergen–Paap rk Wald F": rk_Wald / N * (N - L) / L1, or with
    clusters rk_Wald / (N - 1) * (N - L) * (G - 1) / G / L1, where L = L1 + n_partialled.
    The LM statistic carries no small-sample factor (ivreg2 ``idstat``).
    """
    y, z, codes = _check_arrays(endog, instruments, clusters, vcov)
    n, l1 = z.shape
    k1 = y.shape[1]
    pi, lz, ly, s, u, v, theta = _theta(y, z)
    df = l1 - k1 + 1
    if 1 - s.min() ** 2 < _EXACT_FIT:
        na = NotAvailable(_EXACT_MSG)
        return KleibergenPaap(na, na, na)
    transform = np.kron(np.linalg.inv(ly), np.linalg.inv(lz))
    select = np.kron(v[:, k1 - 1 :], u[:, k1 - 1 :]).T
    lam = select @ theta.ravel(order="F")
    qzz = z.T @ z / n

    def rk(series: np.ndarray) -> float | None:
        if vcov == "iid":
            s_mom = np.kron(series.T @ series / n, qzz)
        else:
            scores = (series[:, :, None] * z[:, None, :]).reshape(n, k1 * l1)
            s_mom = _score_cov(scores, codes)
        omega = select @ transform @ s_mom @ transform.T @ select.T
        omega = (omega + omega.T) / 2
        if not np.any(np.abs(omega) > 0):
            return None
        return float(n * lam @ np.linalg.pinv(omega, hermitian=True) @ lam)

    lm_stat = rk(y)
    wald_stat = rk(y - z @ pi)
    singular = NotAvailable("the covariance of the rk statistic is zero")
    lm_name = "Anderson canonical correlation LM" if vcov == "iid" else "Kleibergen-Paap rk LM"
    lm = singular if lm_stat is None else _chi2_test(lm_name, lm_stat, df)
    if wald_stat is None:
        return KleibergenPaap(lm, singular, singular)
    wald_name = "Cragg-Donald Wald" if vcov == "iid" else "Kleibergen-Paap rk Wald"
    wald = _chi2_test(wald_name, wald_stat, df)
    wald_f, _ = _chi2_to_f(wald_stat, l1, n, l1 + n_partialled, codes)
    return KleibergenPaap(lm, wald, wald_f)


# -- first-stage F and Sanderson–Windmeijer ----------------------------------------------------


def first_stage_f(
    endog: np.ndarray,
    instruments: np.ndarray,
    *,
    n_partialled: int = 0,
    vcov: VcovKind = "iid",
    clusters: np.ndarray | None = None,
) -> list[FirstStageF]:
    """First-stage F, partial R² and Sanderson–Windmeijer conditional F, per endogenous regressor.

    For Y_j regressed on Z (coefficients pi_j, residual v_j) the F tests pi_j = 0:
    F = W / N * (N - L) / L1 (clusters: W / (N - 1) * (N - L) * (G - 1) / G / L1), with W the
    Wald chi2 under the chosen vcov (classical with sigma^2 = v'v/N, HC0 or CRV0), L = L1 +
    n_partialled. This equals the Wald test with HC1/CRV1 small-sample factors divided by L1.
    Partial R² = 1 - v_j'v_j / Y_j'Y_j.

    Sanderson & Windmeijer (2016) conditional F (ivreg2 ``SWF``): regress Y_j by 2SLS on the
    other endogenous regressors, b = (Yhat_-j' Yhat_-j)^-1 Yhat_-j' Y_j; e = Y_j - Y_-j b; regress e
    on Z and test all coefficients: SWF = W_e / N * (N - L) / (L1 - K1 + 1), df (L1 - K1 + 1, .).
    With one endogenous regressor it equals the first-stage F, as in ivreg2.
    """
    y, z, codes = _check_arrays(endog, instruments, clusters, vcov)
    n, l1 = z.shape
    k1 = y.shape[1]
    n_params = l1 + n_partialled
    pi = np.linalg.lstsq(z, y, rcond=None)[0]
    fitted = z @ pi
    out = []
    for j in range(k1):
        resid = y[:, j] - fitted[:, j]
        wald = _wald(z, pi[:, j], resid, vcov, codes)
        f = _f_test("first-stage F", wald, l1, n, n_params, codes)
        partial_r2 = 1 - float(resid @ resid) / float(y[:, j] @ y[:, j])
        others = [i for i in range(k1) if i != j]
        if others:
            b = np.linalg.lstsq(fitted[:, others], y[:, j], rcond=None)[0]
            e = y[:, j] - y[:, others] @ b
        else:
            e = y[:, j]
        coef_e = np.linalg.lstsq(z, e, rcond=None)[0]
        resid_e = e - z @ coef_e
        if float(resid_e @ resid_e) < _EXACT_FIT * float(e @ e):
            sw: HypothesisTest | NotAvailable = NotAvailable(
                "the conditional first stage fits exactly"
            )
        else:
            sw_wald = _wald(z, coef_e, resid_e, vcov, codes)
            sw = _f_test("Sanderson-Windmeijer F", sw_wald, l1 - k1 + 1, n, n_params, codes)
        out.append(FirstStageF(f, partial_r2, sw, pi[:, j].copy()))
    return out


# -- Anderson–Rubin ------------------------------------------------------------------------------


def anderson_rubin(
    y: np.ndarray,
    endog: np.ndarray,
    instruments: np.ndarray,
    *,
    beta0: Sequence[float] | None = None,
    n_partialled: int = 0,
    vcov: VcovKind = "iid",
    clusters: np.ndarray | None = None,
) -> AndersonRubin:
    """Anderson & Rubin (1949) weak-instrument-robust test of H0: beta = beta0.

    Regress y - Y beta0 on Z (the reduced form under H0) and test all L1 coefficients = 0 with
    the chosen vcov: chi2 = Wald ~ chi2(L1); F = chi2 / N * (N - L) / L1 ~ F(L1, N - L), or with
    clusters chi2 / (N - 1) * (N - L) * (G - 1) / G / L1 ~ F(L1, G - 1) (ivreg2 ``arf``,
    ``archi2``; ivreg2 reports beta0 = 0). Inverting it over a grid of beta0 gives a confidence
    set that is valid however weak the instruments are.
    """
    yy, z, codes = _check_arrays(endog, instruments, clusters, vcov)
    dep = _as_2d("y", y)[:, 0]
    if dep.shape[0] != z.shape[0]:
        raise EstimationError(f"y has {dep.shape[0]} rows but instruments has {z.shape[0]}")
    b0 = np.zeros(yy.shape[1]) if beta0 is None else np.asarray(beta0, dtype=float).ravel()
    if b0.size != yy.shape[1]:
        raise EstimationError(f"beta0: expected {yy.shape[1]} values, got {b0.size}")
    n, l1 = z.shape
    target = dep - yy @ b0
    coef = np.linalg.lstsq(z, target, rcond=None)[0]
    resid = target - z @ coef
    chi2 = _wald(z, coef, resid, vcov, codes)
    return AndersonRubin(
        f=_f_test("Anderson-Rubin F", chi2, l1, n, l1 + n_partialled, codes),
        chi2=_chi2_test("Anderson-Rubin chi2", chi2, l1),
        beta0=tuple(float(b) for b in b0),
    )


# -- Stock–Yogo tables -----------------------------------------------------------------------


def _load_stock_yogo() -> dict[tuple[str, int, int], dict[float, float]]:
    text = resources.files("vagg.estimate.linear").joinpath("resources/stock_yogo.csv").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    table: dict[tuple[str, int, int], dict[float, float]] = {}
    for row in csv.DictReader(lines):
        key = (row["table"], int(row["n_endog"]), int(row["n_instr"]))
        table.setdefault(key, {})[float(row["threshold"])] = float(row["critical_value"])
    return table


_STOCK_YOGO: dict[tuple[str, int, int], dict[float, float]] | None = None


def stock_yogo_critical_values(n_endog: int, n_instr: int) -> StockYogo | NotAvailable:
    """Stock & Yogo (2005) 5% critical values for the Cragg–Donald F statistic.

    Tables 5.2 (2SLS size: maximal size 10/15/20/25% of a nominal 5% Wald test; K1 = 1, 2 and
    K2 = n_instr = 1..30) and 5.1 (2SLS bias relative to OLS at most 5/10/20/30%; K1 = 1..3 and
    K2 = 3..30, K2 >= K1 + 2). Shipped in ``resources/stock_yogo.csv``, whose header records the
    provenance. Beyond the tables the value is NotAvailable. ivreg2 also prints them next to
    the robust Kleibergen–Paap F, for which they are only a rule of thumb.
    """
    global _STOCK_YOGO
    if _STOCK_YOGO is None:
        _STOCK_YOGO = _load_stock_yogo()
    size = _STOCK_YOGO.get(("iv_size", n_endog, n_instr))
    bias = _STOCK_YOGO.get(("relative_bias", n_endog, n_instr))
    if size is None and bias is None:
        return NotAvailable(
            f"Stock-Yogo tables do not cover {n_endog} endogenous regressor(s) "
            f"with {n_instr} instrument(s)"
        )
    return StockYogo(
        n_endog=n_endog,
        n_instr=n_instr,
        iv_size=dict(size) if size else NotAvailable("not tabulated by Stock and Yogo (2005)"),
        relative_bias=(
            dict(bias) if bias else NotAvailable("not tabulated by Stock and Yogo (2005)")
        ),
    )
