"""The concentrated likelihood of the spatial models, and its maximisation.

One likelihood covers SAR, SEM, SAC (SARAR), SDM, SDEM and paper 004's interaction model, in
cross-sections and in panels with fixed effects. With the N × T arrays of
:mod:`.design`, spatial-lag parameters ρ_k with lag operators L_k (L_1 = W; L_2 = Z_tW in the
interaction model, Z_t = diag(INTER_t)) and an optional error parameter λ with matrix M,

    A_t = I − Σ_k ρ_k L_kt,   B = I − λM,   ε = Q·B·(A y − X β),

where Q removes the fixed effects after the spatial filters (exact ML for balanced panels;
Elhorst 2014 §3.2 for the lag model, Lee & Yu 2010 for the error model). The log-likelihood

    ℓ = −(n*/2)·ln(2πσ²) + J(ρ, λ) − ε'ε/(2σ²)

is concentrated in β (least squares of Q·B·A·y on Q·B·X) and σ² = ε'ε/n*, and maximised over
the spatial parameters: by bounded Brent for one parameter, by Nelder–Mead from several
starting points for two or three (SAC, the interaction model).

Jacobian and sample size (Lee & Yu 2010, "Estimation of spatial autoregressive panel data
models with fixed effects", *J. Econometrics* 154: 165–185):

* direct approach (Elhorst 2003; spreg, xsmle and splm defaults): n* = NT and
  J = T·(ln|A| + ln|B|);
* Lee–Yu transformation approach (``lee_yu=True``): individual effects cost one period,
  n* = N(T − 1) and weight T − 1; time effects cost one unit and W's unit eigenvalue,
  n* = (N − 1)·T (or (N − 1)(T − 1) for two-way effects) and J = weight·[ln|A| − ln(1 − ρ)]
  (same for B). With individual effects only, the estimates of β and ρ are those of the direct
  approach and only σ² changes (by T/(T − 1)); with time effects ρ and β change too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import optimize

from ..errors import EstimationError
from .design import Design, project
from .logdet import LogDet, LogDetMethod, PeriodLogDet

__all__ = ["MODELS", "Fit", "Likelihood"]

Array = npt.NDArray[np.float64]

#: model → (has a spatial lag of y, has a spatial error, has W·x terms)
MODELS: dict[str, tuple[bool, bool, bool]] = {
    "sar": (True, False, False),
    "sem": (False, True, False),
    "sac": (True, True, False),
    "sdm": (True, False, True),
    "sdem": (False, True, True),
}

_PENALTY = 1e300


@dataclass
class Fit:
    """The maximum of the likelihood: spatial parameters, β, σ² and ℓ."""

    spatial: Array
    beta: Array
    sigma2: float
    loglik: float
    converged: bool
    at_bound: list[str] = field(default_factory=list)
    evaluations: int = 0


class Likelihood:
    """The concentrated log-likelihood of one spatial model on one :class:`Design`.

    Parameters
    ----------
    design : Design
        The data (N × T arrays in W's row order).
    model : {"sar", "sem", "sac", "sdm", "sdem"}
        The model (SDM/SDEM carry their W·x columns in ``design.x``).
    lee_yu : bool
        Use the Lee–Yu transformation approach for the fixed effects (module docstring).
    logdet : {"auto", "eigen", "lu"}
        How ln|I − ρW| is computed (:mod:`.logdet`).
    bounds : mapping, optional
        Search intervals for "rho", "lambda" and the interaction parameter; each must lie in
        the stable interval of its matrix.
    """

    def __init__(
        self,
        design: Design,
        model: str,
        *,
        lee_yu: bool = False,
        logdet: LogDetMethod = "auto",
        bounds: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        self.design = design
        self.model = model
        has_lag, has_error, _ = MODELS[model]
        self.has_lag = has_lag
        self.has_error = has_error
        self.interaction = design.z is not None
        n, t = design.n, design.t
        self.w = design.w.matrix
        self.m = (design.w_error or design.w).matrix if has_error else None
        effects = design.effects
        self.lee_yu = lee_yu
        self.drop_unit = bool(lee_yu and effects in ("time", "twoways"))
        t_eff = t - 1 if lee_yu and effects in ("individual", "twoways") else t
        n_eff = n - 1 if self.drop_unit else n
        self.weight = float(t_eff)
        self.n_eff = float(n_eff * t_eff)
        if lee_yu:
            self._check_lee_yu()
        # lag operators applied to y (N × T each)
        y = design.y
        self.lags: list[Array] = []
        self.names: list[str] = []
        if has_lag:
            wy = np.asarray(self.w @ y)
            self.lags.append(wy)
            self.names.append("rho")
            if self.interaction:
                assert design.z is not None
                self.lags.append(design.z * wy)
                self.names.append(f"rho:{design.interaction}")
        if has_error:
            self.names.append("lambda")
        if not self.names:
            raise EstimationError(f"spatial: model {model!r} has no spatial parameter")
        self.k_lag = len(self.lags)
        # the FE projection after the error filter: plain when M's rows have a common sum
        self.v_const = True
        if has_error and effects in ("time", "twoways"):
            sums = np.asarray(self.m.sum(axis=1)).ravel()  # type: ignore[union-attr]
            self.v_const = bool(np.ptp(sums) <= 1e-12 * max(1.0, float(np.max(np.abs(sums)))))
            self._m_ones = sums
        x = design.x
        self._y, self._x = y, x
        self._py = project(y, effects)
        self._px = project(x, effects)
        self._plags = [project(lag, effects) for lag in self.lags]
        if has_error:
            assert self.m is not None
            self._my = np.asarray(self.m @ y)
            self._mx = np.asarray(self.m @ x.reshape(n, -1)).reshape(x.shape)
            self._mlags = [np.asarray(self.m @ lag) for lag in self.lags]
            self._pmy = project(self._my, effects)
            self._pmx = project(self._mx, effects)
            self._pmlags = [project(v, effects) for v in self._mlags]
        self._check_rank()
        # Jacobians
        self.logdet_w: LogDet | None = None
        self.logdet_z: PeriodLogDet | None = None
        if has_lag and self.interaction:
            assert design.z is not None
            self.logdet_z = PeriodLogDet(design.w, design.z)
        elif has_lag:
            self.logdet_w = LogDet(design.w, logdet)
        self.logdet_m: LogDet | None = None
        if has_error:
            same = design.w_error is None and self.logdet_w is not None
            self.logdet_m = self.logdet_w if same else LogDet(design.w_error or design.w, logdet)
        self.bounds = self._bounds(bounds or {})
        self.evaluations = 0

    # -- checks --------------------------------------------------------------------------------
    def _check_lee_yu(self) -> None:
        d = self.design
        if d.effects is None:
            raise EstimationError("spatial: lee_yu=True applies to fixed-effects panels only")
        if d.t < 2:
            raise EstimationError("spatial: lee_yu=True needs at least two periods")
        if self.interaction:
            raise EstimationError(
                "spatial: lee_yu=True is not available for the interaction model (its Jacobian "
                "changes every period, so the orthogonal transformation is not exact); use the "
                "direct approach (lee_yu=False)"
            )
        if self.drop_unit:
            for label, w in (("w", d.w), ("w_error", d.w_error)):
                if w is not None and not w.is_row_standardized:
                    raise EstimationError(
                        f"spatial: lee_yu=True with time effects needs a row-standardised "
                        f"{label} (the transformation removes W's unit eigenvalue); "
                        f"{w.name!r} is not: call .row_standardize()"
                    )

    def _check_rank(self) -> None:
        x = self._px.reshape(-1, self.design.k)
        names = self.design.names
        norms = np.sqrt(np.sum(x**2, axis=0))
        zero = [names[j] for j in np.flatnonzero(norms <= 1e-12 * max(1.0, float(norms.max())))]
        if zero:
            why = (
                " (constant within units under individual effects?)" if self.design.effects else ""
            )
            raise EstimationError(
                f"spatial: regressor(s) {zero} have no variation left after the fixed effects"
                f"{why}; drop them"
            )
        scaled = x / norms
        _, r, piv = _qr_pivot(scaled)
        diag = np.abs(np.diag(r))
        rank = int(np.sum(diag > 1e-9 * diag[0]))
        if rank < len(names):
            dropped = [names[j] for j in piv[rank:]]
            raise EstimationError(
                f"spatial: the regressors are collinear ({len(names)} columns, rank {rank}); "
                f"{dropped} are linear combinations of the others — drop them"
            )

    def _bounds(self, given: Mapping[str, tuple[float, float]]) -> list[tuple[float, float]]:
        unknown = set(given) - set(self.names)
        if unknown:
            raise EstimationError(
                f"spatial: bounds for unknown parameter(s) {sorted(unknown)}; this model has "
                f"{self.names}"
            )
        out = []
        for name in self.names:
            if name == "rho":
                stable = self.design.w.stable_interval()
            elif name == "lambda":
                stable = (self.design.w_error or self.design.w).stable_interval()
            else:
                assert self.design.z is not None
                zmax = float(np.max(np.abs(self.design.z)))
                if zmax == 0:
                    raise EstimationError(
                        f"spatial: the interaction variable {self.design.interaction!r} is zero "
                        "everywhere"
                    )
                stable = (-2.0 / zmax, 2.0 / zmax)
            lo, hi = _shrink(stable)
            if name in given:
                g_lo, g_hi = (float(v) for v in given[name])
                if not (stable[0] < g_lo < g_hi < stable[1]):
                    raise EstimationError(
                        f"spatial: bounds[{name!r}] = ({g_lo:g}, {g_hi:g}) leave the stable range "
                        f"of |{name}|: I − {name}·W is invertible only for {name} in "
                        f"({stable[0]:.6g}, {stable[1]:.6g})"
                    )
                lo, hi = g_lo, g_hi
            out.append((lo, hi))
        return out

    # -- the likelihood ---------------------------------------------------------------------------
    def parts(self, s: Array) -> tuple[Array, Array]:
        """(r, X): the filtered, projected dependent variable and regressors, stacked."""
        rho = s[: self.k_lag]
        k = self.design.k
        if self.has_error and not self.v_const:
            lam = s[-1]
            r = self._y - sum(
                (c * v for c, v in zip(rho, self.lags, strict=True)), np.zeros_like(self._y)
            )
            mr = self._my - sum(
                (c * v for c, v in zip(rho, self._mlags, strict=True)), np.zeros_like(self._y)
            )
            v = 1.0 - lam * self._m_ones
            rp = project(r - lam * mr, self.design.effects, v)
            xp = project(self._x - lam * self._mx, self.design.effects, v)
            return rp.ravel(), xp.reshape(-1, k)
        r = self._py.copy()
        for c, v in zip(rho, self._plags, strict=True):
            r -= c * v
        x = self._px
        if self.has_error:
            lam = s[-1]
            mr = self._pmy.copy()
            for c, v in zip(rho, self._pmlags, strict=True):
                mr -= c * v
            r = r - lam * mr
            x = x - lam * self._pmx
        return r.ravel(), x.reshape(-1, k)

    def jacobian(self, s: Array) -> float:
        """J(ρ, λ): the log-determinant terms (−inf outside the stable region)."""
        total = 0.0
        if self.has_lag:
            if self.logdet_z is not None:
                value = self.logdet_z(float(s[0]), float(s[1]))
            else:
                assert self.logdet_w is not None
                value = self.weight * self.logdet_w(float(s[0]))
                if self.drop_unit:
                    value -= self.weight * np.log(1.0 - s[0])
            total += value
        if self.has_error:
            assert self.logdet_m is not None
            value = self.weight * self.logdet_m(float(s[-1]))
            if self.drop_unit:
                value -= self.weight * np.log(1.0 - s[-1])
            total += value
        return float(total)

    def concentrated(self, s: Array) -> tuple[float, Array, float]:
        """(ℓ, β, σ²) at spatial parameters ``s`` with β and σ² concentrated out."""
        self.evaluations += 1
        jac = self.jacobian(s)
        if not np.isfinite(jac):
            return -np.inf, np.full(self.design.k, np.nan), np.nan
        r, x = self.parts(s)
        beta, *_ = np.linalg.lstsq(x, r, rcond=None)
        e = r - x @ beta
        sigma2 = float(e @ e) / self.n_eff
        ll = -0.5 * self.n_eff * (np.log(2.0 * np.pi) + np.log(sigma2) + 1.0) + jac
        return float(ll), np.asarray(beta, dtype=np.float64), sigma2

    def full(self, beta: Array, s: Array, sigma2: float) -> float:
        """The unconcentrated ℓ(β, ρ, λ, σ²) (for the observed information)."""
        if sigma2 <= 0:
            return -np.inf
        jac = self.jacobian(s)
        if not np.isfinite(jac):
            return -np.inf
        r, x = self.parts(s)
        e = r - x @ beta
        return float(
            -0.5 * self.n_eff * np.log(2.0 * np.pi * sigma2) + jac - float(e @ e) / (2.0 * sigma2)
        )

    def ols(self) -> tuple[float, float]:
        """(ℓ, σ²) of the non-spatial model on the same sample and fixed effects."""
        k = self.design.k
        r, x = self._py.ravel(), self._px.reshape(-1, k)
        beta, *_ = np.linalg.lstsq(x, r, rcond=None)
        e = r - x @ beta
        sigma2 = float(e @ e) / self.n_eff
        return -0.5 * self.n_eff * (np.log(2.0 * np.pi) + np.log(sigma2) + 1.0), sigma2

    # -- maximisation ----------------------------------------------------------------------------
    def maximize(self, start: Mapping[str, float] | None = None, tol: float = 1e-10) -> Fit:
        """Maximise the concentrated likelihood over the spatial parameters."""

        def objective(s: Array) -> float:
            ll = self.concentrated(np.asarray(s, dtype=float))[0]
            return -ll if np.isfinite(ll) else _PENALTY

        q = len(self.names)
        converged = True
        if q == 1:
            lo, hi = self.bounds[0]
            res = optimize.minimize_scalar(
                lambda v: objective(np.array([v])),
                bounds=(lo, hi),
                method="bounded",
                options={"xatol": tol, "maxiter": 1000},
            )
            best = np.array([float(res.x)])
            converged = bool(res.success)
        else:
            best, converged = self._maximize_nd(objective, start, tol)
        ll, beta, sigma2 = self.concentrated(best)
        if not np.isfinite(ll):
            raise EstimationError("spatial: the likelihood could not be evaluated at the optimum")
        at_bound = [
            name
            for name, value, (lo, hi) in zip(self.names, best, self.bounds, strict=True)
            if min(value - lo, hi - value) <= 1e-6 * max(1.0, hi - lo)
        ]
        return Fit(best, beta, sigma2, ll, converged, at_bound, self.evaluations)

    def _maximize_nd(
        self, objective: Callable[[Array], float], start: Mapping[str, float] | None, tol: float
    ) -> tuple[Array, bool]:
        q = len(self.names)
        lows = np.array([b[0] for b in self.bounds])
        highs = np.array([b[1] for b in self.bounds])
        # one-parameter profiles (the others at 0), and their combination, as starting points
        profile = np.zeros(q)
        for j in range(q):

            def along(v: float, j: int = j) -> float:
                s = np.zeros(q)
                s[j] = v
                return objective(s)

            res = optimize.minimize_scalar(along, bounds=self.bounds[j], method="bounded")
            profile[j] = float(res.x)
        starts = [np.zeros(q), profile]
        if start:
            starts.insert(0, np.array([float(start.get(name, 0.0)) for name in self.names]))
        best_x, best_f, ok = starts[0], np.inf, False
        for x0 in starts:
            x0 = np.clip(x0, lows, highs)
            if self.interaction:
                # the feasible region is not a box: Nelder–Mead copes with the penalty
                res = optimize.minimize(
                    objective,
                    x0,
                    method="Nelder-Mead",
                    bounds=self.bounds,
                    options={
                        "xatol": 1e-7,
                        "fatol": 1e-10,
                        "maxiter": 4000,
                        "initial_simplex": _initial_simplex(x0, self.bounds),
                    },
                )
            else:
                res = optimize.minimize(
                    objective,
                    x0,
                    method="L-BFGS-B",
                    bounds=self.bounds,
                    options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 500},
                )
            if np.isfinite(res.fun) and res.fun < best_f:
                best_x, best_f, ok = (
                    np.asarray(res.x, dtype=float),
                    float(res.fun),
                    bool(res.success),
                )
        if self.interaction:
            # polish: Nelder–Mead from the best point with a small simplex, to ``tol``
            res = optimize.minimize(
                objective,
                best_x,
                method="Nelder-Mead",
                bounds=self.bounds,
                options={
                    "xatol": tol,
                    "fatol": 1e-13,
                    "maxiter": 4000,
                    "initial_simplex": _initial_simplex(best_x, self.bounds, 1e-4),
                },
            )
            if res.fun <= best_f:
                best_x, ok = np.asarray(res.x, dtype=float), ok or bool(res.success)
            return best_x, ok
        return _newton_polish(objective, best_x, best_f, lows, highs), ok

    def describe(self) -> dict[str, Any]:
        """Settings recorded on the result."""
        return {
            "n_effective": self.n_eff,
            "jacobian_weight": self.weight,
            "lee_yu": self.lee_yu,
            "logdet": (
                "period LU"
                if self.logdet_z is not None
                else (self.logdet_w or self.logdet_m).method  # type: ignore[union-attr]
            ),
            "bounds": dict(zip(self.names, self.bounds, strict=True)),
        }


def _newton_polish(
    objective: Callable[[Array], float],
    x: Array,
    fx: float,
    lows: Array,
    highs: Array,
    iterations: int = 4,
) -> Array:
    """A few Newton steps on the (smooth) concentrated likelihood with central differences.

    Each step costs 1 + 2q + 2q(q − 1) evaluations (q ≤ 3); a step is kept only if it stays
    inside the bounds and improves the objective. Converges quadratically from the
    L-BFGS-B optimum, where the gradient is already small.
    """
    q = len(x)
    for _ in range(iterations):
        h = 1e-4 * np.maximum(np.abs(x), 0.1)
        if np.any(x - 2 * h <= lows) or np.any(x + 2 * h >= highs):
            break
        grad = np.zeros(q)
        hess = np.zeros((q, q))
        for i in range(q):
            ei = np.zeros(q)
            ei[i] = h[i]
            fp, fm = objective(x + ei), objective(x - ei)
            grad[i] = (fp - fm) / (2 * h[i])
            hess[i, i] = (fp - 2 * fx + fm) / h[i] ** 2
            for j in range(i):
                ej = np.zeros(q)
                ej[j] = h[j]
                value = (
                    objective(x + ei + ej)
                    - objective(x + ei - ej)
                    - objective(x - ei + ej)
                    + objective(x - ei - ej)
                ) / (4 * h[i] * h[j])
                hess[i, j] = hess[j, i] = value
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.linalg.eigvalsh(hess) > 0):
            break
        candidate = x - step
        if np.any(candidate <= lows) or np.any(candidate >= highs):
            break
        fc = objective(candidate)
        if not fc <= fx:
            break
        x, fx = candidate, fc
        if np.max(np.abs(step)) < 1e-10:
            break
    return x


def _shrink(interval: tuple[float, float]) -> tuple[float, float]:
    lo, hi = interval
    lo = max(lo, -1e6)
    hi = min(hi, 1e6)
    return lo + 1e-7 * abs(lo), hi - 1e-7 * abs(hi)


def _initial_simplex(x0: Array, bounds: list[tuple[float, float]], size: float = 0.1) -> Array:
    q = len(x0)
    simplex = np.tile(x0, (q + 1, 1))
    for j in range(q):
        lo, hi = bounds[j]
        step = size * (hi - lo) / 2.0
        simplex[j + 1, j] = x0[j] + step if x0[j] + step < hi else x0[j] - step
    return simplex


def _qr_pivot(x: Array) -> tuple[Array, Array, Array]:
    from scipy.linalg import qr

    q, r, piv = qr(x, mode="economic", pivoting=True)
    return q, r, piv
