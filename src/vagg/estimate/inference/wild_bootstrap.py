"""Wild cluster bootstrap for a coefficient of :func:`vagg.feols` with few clusters.

With G clusters the cluster-robust t-test over-rejects when G is small (30 provinces are
few); the wild cluster bootstrap (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017;
Roodman, MacKinnon, Nielsen & Webb 2019) refers the CRV1 t-statistic to its bootstrap
distribution instead.

**Model.** The fixed effects are partialled out first (Frisch–Waugh–Lovell): ``y`` and ``X``
are demeaned by every fixed effect (:func:`vagg.estimate.linear.demean.demean`) on the rows
``feols`` uses (:func:`vagg.estimate.linear.fixed_effects.estimation_rows`), and the bootstrap
runs on ``ỹ = X̃β + u``. With ``W = (X̃'X̃)⁻¹``, cluster scores ``s_g = X̃_g'û_g`` and the
CRV1 variance ``V = c·W (Σ_g s_g s_g') W`` (``c = G/(G−1)·(N−1)/(N−K)``, ``K`` counting
the absorbed effects), the statistic for ``H0: β_j = β0`` is ``t = (β̂_j − β0)/√V_jj``.

**Fixed effects not nested in the clusters.** The bootstrap refits the full model, so the
bootstrap errors ``ü ∘ v_b`` are projected off the fixed effects again before the residuals
of each draw are formed: ``H`` gains ``K_gh = W_j X̃_g' P_D (ü ∘ 1_h)`` (``G`` more demeaned
columns, ``2G`` under WCR). With effects nested in the clusters ``K = 0`` and the step is
skipped. This makes the bootstrap identical to the one on the dummy-variable regression
(pyfixest's ``Feols.wildboottest``).

**Bootstrap DGP.** ``y*_b = X̃β̈ + ü ∘ v_b``, with ``v_b`` one weight per cluster, drawn from

* Rademacher: ±1 with probability ½ (all ``2^G`` sign vectors are enumerated when
  ``2^G ≤ reps``);
* Webb's six-point distribution: ±√(1/2), ±1, ±√(3/2), each with probability 1/6;
* Mammen's (1993) two-point distribution: (1 − √5)/2 with probability (√5 + 1)/(2√5), else
  (1 + √5)/2 (also the multiplier weights of the staggered DID's uniform bands).

``β̈, ü`` are the estimates restricted by ``β_j = β0`` (WCR, ``impose_null=True``,
recommended) or the unrestricted ones (WCU). Each draw gives ``t*_b = (β*_{b,j} − β̈_j)/√V*_jj``
with the same CRV1 formula. Every quantity is linear in the cluster weights, so the draws
reduce to ``G × G`` algebra (Roodman et al. 2019): ``t*_b = c'v_b / √(c_ssc·Σ_g (c_g v_{gb} −
Σ_h H_gh v_{hb})²)`` with ``c_g = W_j s_g`` and ``H_gh = W_j X̃_g'X̃_g W s_h``. Under WCR the
restricted scores are affine in ``δ = β̂_j − β0``, so ``t*_b(β0)`` for any ``β0`` comes from
five stored vectors — which makes the confidence interval by test inversion cheap.

**Draws.** The ``G × B`` weights come from ``numpy.random.default_rng(seed)`` and are
processed in one vectorised pass (in blocks of columns); at these sizes (``G`` small, ``B`` in
the thousands) the bootstrap takes milliseconds, so it does not go through ``vagg.engine``.

**P-value** (symmetric, two-sided): ``p = #{b : |t*_b| ≥ |t|} / B``; ties (the draw
``v = (1, …, 1)`` reproduces ``t`` exactly under WCR) count as exceedances.

**Confidence interval** by test inversion: the set of ``β0`` with ``p(β0) ≥ 1 − level``,
its ends found by bracketing and bisection of the step function ``p(β0)``.

Written here (rather than calling ``wildboottest``, which is the test oracle) so that it runs
on vagg's feols sample, fixed effects and clusters, with vagg's errors, seeds and Result types;
the tests check it against the ``wildboottest`` package and pyfixest's ``Feols.wildboottest``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from vagg.estimate.errors import EstimationError
from vagg.estimate.inputs import as_pandas
from vagg.estimate.linear.demean import demean
from vagg.estimate.linear.fixed_effects import estimation_rows, feols
from vagg.estimate.results import HypothesisTest, Result, SampleAccounting

__all__ = ["WildBootstrap", "bootstrap_weights", "wild_bootstrap"]

Weights = Literal["rademacher", "webb", "mammen"]
#: Mammen (1993) two-point weights: mean 0, variance 1, third moment 1.
_MAMMEN = np.array([(1 - np.sqrt(5)) / 2, (1 + np.sqrt(5)) / 2])
_MAMMEN_P = np.array([(np.sqrt(5) + 1) / (2 * np.sqrt(5)), (np.sqrt(5) - 1) / (2 * np.sqrt(5))])
_WEBB = np.sqrt(np.array([3.0, 2.0, 1.0, 1.0, 2.0, 3.0]) / 2) * np.array([-1, -1, -1, 1, 1, 1])
#: Largest G·B block of weights processed at once.
_BLOCK = 2_000_000


@dataclass
class WildBootstrap:
    """Wild cluster bootstrap test and confidence interval for one coefficient.

    Attributes
    ----------
    param : str
        The coefficient tested.
    estimate : float
        ``β̂_j`` (equal to the ``feols`` estimate).
    se : float
        CRV1 standard error with ``c = G/(G−1)·(N−1)/(N−K)``, ``K`` the regressors plus the
        rank of the fixed-effect dummies (the convention of pyfixest's and wildboottest's
        dummy-variable model; the bootstrap p-value does not depend on ``c``).
    null : float
        ``β0`` of ``H0: β_j = β0``.
    statistic : float
        ``t = (β̂_j − β0)/se``.
    pvalue : float
        Bootstrap p-value (symmetric two-sided).
    conf_int : tuple of float
        Confidence interval by test inversion at ``level``.
    level : float
        Confidence level.
    test : HypothesisTest
        The same test as a vagg HypothesisTest (``distribution="bootstrap"``).
    t_boot : numpy.ndarray
        The bootstrap statistics ``t*_b`` at ``β0``.
    n_clusters : int
        ``G``.
    reps : int
        Draws used (``2^G`` with full enumeration).
    settings : dict
        ``weights``, ``impose_null`` (WCR/WCU), ``enumerated``, ``seed``, ``cluster``.
    sample : SampleAccounting
        Rows in the data, used, and dropped by reason (as in ``feols``).
    """

    param: str
    estimate: float
    se: float
    null: float
    statistic: float
    pvalue: float
    conf_int: tuple[float, float]
    level: float
    test: HypothesisTest
    t_boot: np.ndarray
    n_clusters: int
    reps: int
    settings: dict[str, Any] = field(default_factory=dict)
    sample: SampleAccounting | None = None

    def tidy(self) -> pd.DataFrame:
        """One row: term, estimate, CRV1 se, t, bootstrap p-value and the interval."""
        lo, hi = self.conf_int
        return pd.DataFrame(
            {
                "term": [self.param],
                "estimate": [self.estimate],
                "std_error": [self.se],
                "statistic": [self.statistic],
                "pvalue": [self.pvalue],
                "conf_low": [lo],
                "conf_high": [hi],
            }
        )

    def summary(self) -> str:
        """A short text report."""
        s = self.settings
        kind = "WCR" if s["impose_null"] else "WCU"
        return (
            f"Wild cluster bootstrap ({kind}, {s['weights']} weights, {self.reps} draws"
            f"{', full enumeration' if s['enumerated'] else ''}; G = {self.n_clusters} "
            f"clusters of {s['cluster']!r})\n"
            f"H0: {self.param} = {self.null:g}: t = {self.statistic:.4f}, p = {self.pvalue:.4f}\n"
            f"{100 * self.level:g}% CI (test inversion): [{self.conf_int[0]:.6g}, "
            f"{self.conf_int[1]:.6g}]"
        )


def bootstrap_weights(
    kind: Weights, n_clusters: int, reps: int, rng: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """``G × B`` cluster weights and whether they are the full Rademacher enumeration.

    Rademacher weights enumerate all ``2^G`` sign vectors when ``2^G ≤ reps`` (the exact
    bootstrap distribution); otherwise ``reps`` independent draws. Webb and Mammen (1993)
    weights are always drawn.
    """
    if kind == "rademacher":
        if 2**n_clusters <= reps:
            codes = np.arange(2**n_clusters)[None, :] >> np.arange(n_clusters)[:, None]
            return np.where(codes & 1, 1.0, -1.0), True
        return rng.choice(np.array([-1.0, 1.0]), size=(n_clusters, reps)), False
    if kind == "webb":
        return rng.choice(_WEBB, size=(n_clusters, reps)), False
    if kind == "mammen":
        low = rng.random((n_clusters, reps)) < _MAMMEN_P[0]
        return np.where(low, _MAMMEN[0], _MAMMEN[1]), False
    raise EstimationError(f"wild_bootstrap: weights={kind!r}; use 'rademacher', 'webb' or 'mammen'")


# --------------------------------------------------------------------------- design
_LOG = re.compile(r"^log\((.+)\)$")


def _term(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Values of one formula term on ``frame``: a column, ``log(col)`` or a product ``a:b``."""
    name = name.strip()
    if name in frame.columns:
        return frame[name].to_numpy(dtype=float)
    if ":" in name:
        parts = name.split(":")
        out = np.ones(len(frame))
        for p in parts:
            out = out * _term(frame, p)
        return out
    found = _LOG.match(name)
    if found:
        return np.log(_term(frame, found.group(1)))
    raise EstimationError(
        f"wild_bootstrap: cannot rebuild the term {name!r} from the data; add it as a column "
        "and refit (terms may be columns, log(column) and products a:b)"
    )


def _fe_codes(frame: pd.DataFrame, label: str) -> np.ndarray:
    cols = [c.strip() for c in label.split("^")]
    for c in cols:
        if c not in frame.columns:
            raise EstimationError(f"wild_bootstrap: fixed effect column {c!r} not in data")
    if len(cols) == 1:
        return pd.factorize(frame[cols[0]])[0]
    return frame.groupby(cols, sort=False).ngroup().to_numpy()


@dataclass
class _Design:
    y: np.ndarray
    x: np.ndarray
    names: list[str]
    clusters: np.ndarray
    n_clusters: int
    accounting: SampleAccounting
    fe_codes: list[np.ndarray]
    absorbed: int

    def nested(self) -> bool:
        """Every fixed effect nested in the clusters (each level inside one cluster)."""
        for codes in self.fe_codes:
            pairs = pd.DataFrame({"fe": codes, "cl": self.clusters}).drop_duplicates()
            if pairs["fe"].duplicated().any():
                return False
        return True

    def fe_projection(self, columns: np.ndarray) -> np.ndarray:
        """``P_D M``: the part of each column explained by the fixed-effect dummies."""
        return columns - demean(columns, self.fe_codes, None).values


def _design(result: Result, frame: pd.DataFrame, cluster: str) -> _Design:
    formula = result.formula
    if formula.count("|") > 1:
        raise EstimationError("wild_bootstrap: IV formulas are not supported; give an OLS feols")
    names = list(result.params.index)
    with np.errstate(all="ignore"):  # log of non-positive values: rows feols drops anyway
        y_all = _term(frame, result.depvar)
        cols = [
            np.ones(len(frame))
            if (n == "Intercept" and not result.fixed_effects)
            else _term(frame, n)
            for n in names
        ]
    rows, dropped = estimation_rows(formula, frame, vcov={"CRV1": cluster})
    sub = frame.iloc[rows]
    y = y_all[rows]
    x = np.column_stack(cols)[rows]
    codes = [_fe_codes(sub, fe) for fe in result.fixed_effects]
    absorbed = 0
    if codes:
        dm = demean(np.column_stack([y, x]), codes, None)
        y, x = dm.values[:, 0], dm.values[:, 1:]
        absorbed = int(dm.absorbed_rank) if dm.absorbed_rank is not None else 0
    clusters, levels = pd.factorize(sub[cluster])
    accounting = SampleAccounting(len(frame), len(rows), dict(dropped))
    return _Design(y, x, names, clusters, len(levels), accounting, codes, absorbed)


# --------------------------------------------------------------------------- core
@dataclass
class _Parts:
    """Stored vectors that give ``t*_b(δ)`` for any ``δ = β̂_j − β0``."""

    n0: np.ndarray
    n1: np.ndarray
    qa: np.ndarray
    qb: np.ndarray
    qc: np.ndarray

    def t_boot(self, delta: float, ssc: float) -> np.ndarray:
        denom = ssc * (self.qa + 2 * delta * self.qb + delta**2 * self.qc)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.n0 + delta * self.n1) / np.sqrt(np.maximum(denom, 0.0))


def _bootstrap_parts(
    x: np.ndarray,
    resid: np.ndarray,
    w: np.ndarray,
    j: int,
    clusters: np.ndarray,
    g: int,
    v: np.ndarray,
    impose_null: bool,
    fe_projection: Any = None,
) -> _Parts:
    k = x.shape[1]
    scores = np.zeros((g, k))
    np.add.at(scores, clusters, x * resid[:, None])
    xgxg = np.zeros((g, k, k))
    np.add.at(xgxg, clusters, x[:, :, None] * x[:, None, :])
    wj = w[j]
    a = xgxg @ wj  # G × k: X_g'X_g W_j'
    c0 = scores @ wj
    h0 = a @ w @ scores.T
    if impose_null:
        t = a / w[j, j]  # score change per unit δ
        c1 = t @ wj
        h1 = a @ w @ t.T
    else:
        c1, h1 = np.zeros(g), np.zeros((g, g))
    if fe_projection is not None:
        # bootstrap errors re-projected off the fixed effects: K_gh = W_j X_g' P_D (ü ∘ 1_h)
        ind = np.zeros((len(resid), g))
        ind[np.arange(len(resid)), clusters] = 1.0
        d_col = x @ w[:, j] / w[j, j]
        spread = [resid[:, None] * ind]
        if impose_null:
            spread.append(d_col[:, None] * ind)
        proj = fe_projection(np.hstack(spread))
        xw = x @ wj
        k0 = np.zeros((g, g))
        np.add.at(k0, clusters, xw[:, None] * proj[:, :g])
        h0 = h0 + k0
        if impose_null:
            k1 = np.zeros((g, g))
            np.add.at(k1, clusters, xw[:, None] * proj[:, g:])
            h1 = h1 + k1
    reps = v.shape[1]
    out = {name: np.empty(reps) for name in ("n0", "n1", "qa", "qb", "qc")}
    step = max(1, _BLOCK // max(g, 1))
    for lo in range(0, reps, step):
        vb = v[:, lo : lo + step]
        z0 = c0[:, None] * vb - h0 @ vb
        z1 = c1[:, None] * vb - h1 @ vb
        sl = slice(lo, lo + step)
        out["n0"][sl] = c0 @ vb
        out["n1"][sl] = c1 @ vb
        out["qa"][sl] = np.einsum("gb,gb->b", z0, z0)
        out["qb"][sl] = np.einsum("gb,gb->b", z0, z1)
        out["qc"][sl] = np.einsum("gb,gb->b", z1, z1)
    return _Parts(**out)


def _pvalue(t_boot: np.ndarray, t: float) -> float:
    return float(np.mean(np.abs(t_boot) >= abs(t) * (1 - 1e-10)))


def _invert(
    pfun: Any, estimate: float, se: float, alpha: float, side: int, scale: float = 1.0
) -> float:
    """The end of ``{β0 : p(β0) ≥ alpha}`` on one side of ``estimate``."""
    inside, step = 0.0, scale * se
    outside = step
    while pfun(estimate + side * outside) >= alpha:
        inside, outside = outside, outside * 2
        if outside > 1e6 * se:
            return float(side * np.inf)
    for _ in range(200):
        mid = 0.5 * (inside + outside)
        if pfun(estimate + side * mid) >= alpha:
            inside = mid
        else:
            outside = mid
        if outside - inside <= 1e-10 * se:
            break
    return estimate + side * 0.5 * (inside + outside)


# --------------------------------------------------------------------------- public
def wild_bootstrap(
    result_or_formula: Result | str,
    data: Any,
    param: str,
    cluster: str | None = None,
    *,
    weights: Weights = "rademacher",
    impose_null: bool = True,
    null: float = 0.0,
    reps: int = 9999,
    seed: int = 0,
    level: float = 0.95,
) -> WildBootstrap:
    """Wild cluster bootstrap p-value and confidence interval for one ``feols`` coefficient.

    Tests ``H0: β_param = null`` with the CRV1 t-statistic referred to its wild cluster
    bootstrap distribution (WCR by default: the null imposed on the bootstrap DGP; Cameron,
    Gelbach & Miller 2008, eq. in §3; MacKinnon & Webb 2017), after partialling out the fixed
    effects (FWL). The interval collects every ``β0`` that the bootstrap test does not reject
    at ``1 − level`` (test inversion; Roodman et al. 2019, §3.5). Formulas in the module
    docstring.

    Parameters
    ----------
    result_or_formula : Result or str
        A :func:`vagg.feols` Result (fitted on ``data``) or its formula, e.g.
        ``"y ~ x + z | unit + year"``. Regressors may be columns, ``log(col)`` and products
        ``a:b``; weighted fits and IV are not supported.
    data : pandas.DataFrame or polars.DataFrame
        The data the model was (or is to be) fitted on.
    param : str
        The coefficient to test, as named in ``result.params``.
    cluster : str, optional
        Cluster column; default: the Result's one-way cluster variable.
    weights : {"rademacher", "webb", "mammen"}
        Bootstrap weights; Rademacher enumerates all ``2^G`` sign vectors when ``2^G ≤ reps``.
        Webb's six-point weights are advised for very few clusters (G < 12 or so).
    impose_null : bool
        ``True``: WCR (restricted residuals; the recommended default). ``False``: WCU.
    null : float
        ``β0`` of the null hypothesis.
    reps : int
        Number of bootstrap draws ``B``.
    seed : int
        Seed of ``numpy.random.default_rng`` for the weights.
    level : float
        Confidence level of the interval.

    Returns
    -------
    WildBootstrap
        ``estimate``, ``se``, ``statistic``, ``pvalue``, ``conf_int``, ``test``
        (HypothesisTest), ``t_boot``, ``tidy()``, ``summary()``.

    Raises
    ------
    EstimationError
        Unknown ``param`` or cluster column; no cluster given or found; fewer than 2 clusters;
        bad ``weights``, ``reps`` or ``level``; a term that cannot be rebuilt from the data; a
        Result whose coefficients cannot be reproduced on ``data`` (e.g. fitted with weights
        or on other data).

    References
    ----------
    Cameron, Gelbach & Miller (2008), REStat 90(3); MacKinnon & Webb (2017), J. Applied
    Econometrics 32(2); Webb (2023), Canadian J. Economics 56(3); Roodman, MacKinnon, Nielsen &
    Webb (2019), Stata Journal 19(1) ("Fast and wild").
    """
    frame = as_pandas(data)
    if isinstance(result_or_formula, str):
        if cluster is None:
            raise EstimationError("wild_bootstrap: give cluster= with a formula")
        if cluster not in frame.columns:
            raise EstimationError(f"wild_bootstrap: cluster column {cluster!r} not in data")
        result = feols(result_or_formula, frame, vcov={"CRV1": cluster})
    else:
        result = result_or_formula
    if cluster is None:
        if len(result.clusters) != 1:
            raise EstimationError(
                "wild_bootstrap: the Result is not clustered one-way "
                f"(clusters {result.clusters}); give cluster="
            )
        cluster = result.clusters[0]
    if cluster not in frame.columns:
        raise EstimationError(f"wild_bootstrap: cluster column {cluster!r} not in data")
    if param not in result.params.index:
        raise EstimationError(
            f"wild_bootstrap: param {param!r} is not a coefficient of {result.formula!r} "
            f"(coefficients: {list(result.params.index)})"
        )
    if weights not in ("rademacher", "webb"):
        raise EstimationError(f"wild_bootstrap: weights={weights!r}; use 'rademacher' or 'webb'")
    if not (isinstance(reps, int | np.integer) and reps >= 99):
        raise EstimationError(f"wild_bootstrap: reps={reps!r}; use an integer of at least 99")
    if not 0 < level < 1:
        raise EstimationError(f"wild_bootstrap: level={level!r} must lie in (0, 1)")

    d = _design(result, frame, cluster)
    g = d.n_clusters
    if g < 2:
        raise EstimationError(f"wild_bootstrap: cluster {cluster!r} has {g} level in the sample")
    j = d.names.index(param)
    n, k = d.x.shape
    w = np.linalg.inv(d.x.T @ d.x)
    beta = w @ (d.x.T @ d.y)
    reference = result.params.to_numpy(dtype=float)
    if not np.allclose(beta, reference, rtol=1e-6, atol=1e-9 * max(1.0, np.abs(reference).max())):
        raise EstimationError(
            "wild_bootstrap: the coefficients rebuilt from data differ from the Result's "
            f"({dict(zip(d.names, beta, strict=True))} vs {dict(result.params)}); was it fitted "
            "with weights or on other data?"
        )
    resid = d.y - d.x @ beta
    ssc = g / (g - 1) * (n - 1) / (n - k - d.absorbed)
    scores = np.zeros((g, k))
    np.add.at(scores, d.clusters, d.x * resid[:, None])
    se = float(np.sqrt(ssc * np.sum((scores @ w[j]) ** 2)))

    v, enumerated = bootstrap_weights(weights, g, reps, np.random.default_rng(seed))
    projection = None if d.nested() else d.fe_projection
    parts = _bootstrap_parts(d.x, resid, w, j, d.clusters, g, v, impose_null, projection)
    estimate = float(beta[j])

    def pvalue_at(beta0: float) -> float:
        delta = estimate - beta0 if impose_null else 0.0
        return _pvalue(parts.t_boot(delta, ssc), (estimate - beta0) / se)

    t_stat = (estimate - null) / se
    t_boot = parts.t_boot(estimate - null if impose_null else 0.0, ssc)
    pvalue = _pvalue(t_boot, t_stat)
    alpha = 1 - level
    conf = (
        _invert(pvalue_at, estimate, se, alpha, -1),
        _invert(pvalue_at, estimate, se, alpha, +1),
    )
    kind = "WCR" if impose_null else "WCU"
    test = HypothesisTest(
        name=f"wild cluster bootstrap t ({kind}, {weights})",
        statistic=t_stat,
        df=(),
        pvalue=pvalue,
        distribution="bootstrap",
        null=f"{param} = {null:g}",
        terms=(param,),
    )
    return WildBootstrap(
        param=param,
        estimate=estimate,
        se=se,
        null=null,
        statistic=t_stat,
        pvalue=pvalue,
        conf_int=(float(conf[0]), float(conf[1])),
        level=level,
        test=test,
        t_boot=t_boot,
        n_clusters=g,
        reps=v.shape[1],
        settings={
            "weights": weights,
            "impose_null": impose_null,
            "enumerated": enumerated,
            "seed": seed,
            "cluster": cluster,
            "small_sample": "G/(G-1)*(N-1)/(N-K), K = regressors + absorbed fixed effects",
        },
        sample=d.accounting,
    )
