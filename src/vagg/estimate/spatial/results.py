"""The result of a spatial ML fit: a :class:`~vagg.estimate.results.Result` with σ², AIC, LR
tests and the LeSage–Pace effects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import EstimationError
from ..results import Result
from .effects import EffectsKit, SpatialEffects, delta_effects, linear_effects, simulate

__all__ = ["SpatialResult"]


@dataclass(repr=False)
class SpatialResult(Result):
    """Estimates of a spatial model (see :func:`vagg.spatial`).

    Beyond :class:`~vagg.estimate.results.Result`: ``params`` hold β (W·x terms named
    ``W_x``), ``rho`` (spatial lag), ``rho:<INTER>`` (paper 004's interaction term) and
    ``lambda`` (spatial error); ``sigma2`` is σ̂² = ε'ε/n*; ``aic`` = −2ℓ + 2·(number of β,
    spatial parameters and σ²; fixed effects not counted); ``diagnostics`` holds the LR tests
    against OLS (:class:`~vagg.estimate.results.HypothesisTest`), σ² and its standard
    error; ``effects`` the direct, indirect and total effects (computed on first use, by
    simulation for models with a spatial lag; :meth:`impacts` recomputes them with other
    settings). ``r2`` is the squared correlation between y and the reduced-form prediction
    A⁻¹Xβ (a pseudo R², within the fixed effects in FE panels).
    """

    sigma2: float = float("nan")
    aic: float = float("nan")
    spatial_terms: tuple[str, ...] = ()
    weights_name: str = ""
    effect_draws: int = 1000
    seed: int | None = 0
    _lag_spec: dict[str, Any] | None = field(default=None, repr=False)
    _linear: dict[str, Any] | None = field(default=None, repr=False)
    _kit: EffectsKit | None = field(default=None, repr=False)
    _effects: SpatialEffects | None = field(default=None, repr=False)

    @property
    def effects(self) -> SpatialEffects:
        """Direct, indirect and total effects (computed once with the fit's draws and seed)."""
        if self._effects is None:
            self._effects = self.impacts()
        return self._effects

    def effects_kit(self) -> EffectsKit | None:
        """The traces machinery of the effects (built on first use; None for SEM/SDEM)."""
        if self._kit is None and self._lag_spec is not None:
            spec = self._lag_spec
            self._kit = EffectsKit.for_lag(
                spec["w"],
                spec["terms"],
                spec["beta_idx"],
                spec["theta_idx"],
                spec["rho_idx"],
                z=spec["z"],
                rho_max=spec["rho_max"],
            )
        return self._kit

    def impacts(
        self,
        *,
        method: Literal["simulation", "delta"] = "simulation",
        draws: int | None = None,
        seed: int | None = None,
        engine: Any = None,
        level: float = 0.95,
        keep_draws: bool = False,
    ) -> SpatialEffects:
        """Effects with standard errors (LeSage & Pace 2009; :mod:`.effects`).

        Parameters
        ----------
        method : {"simulation", "delta"}
            Standard errors from draws of N(θ̂, V̂) (default; spatialreg, xsmle) or by the
            delta method with a numerical Jacobian (Stata ``estat impact``). SEM and SDEM
            effects are linear in the estimates and always exact.
        draws : int, optional
            Number of simulation draws (default: the fit's ``effect_draws``, 1000).
        seed : int, optional
            Seed of the draws (default: the fit's ``seed``).
        engine : None, "local", "dask" or an engine
            Where the chunks of draws run (:func:`vagg.engine.run_tasks`).
        level : float
            Coverage of the intervals (percentiles of the draws; normal for the delta method).
        keep_draws : bool
            Keep the simulated effects (draws × 3 × terms) on the returned object.
        """
        mean = self.params.to_numpy()
        cov = self.vcov.to_numpy()
        kit = self.effects_kit()
        if kit is None:
            assert self._linear is not None
            return linear_effects(
                self._linear["terms"],
                mean,
                cov,
                self._linear["beta_idx"],
                self._linear["theta_idx"],
                self._linear["mean_row_sum"],
                level,
            )
        if method == "delta":
            return delta_effects(kit, mean, cov, level=level)
        if method != "simulation":
            raise EstimationError(
                f"impacts: method must be 'simulation' or 'delta'; got {method!r}"
            )
        return simulate(
            kit,
            mean,
            cov,
            draws=self.effect_draws if draws is None else draws,
            seed=self.seed if seed is None else seed,
            engine=engine,
            level=level,
            keep=keep_draws,
        )

    def summary(self) -> str:
        """The coefficient table, σ², log-likelihood, AIC and the LR tests."""
        head = super().summary()
        return head + f"\naic: {self.aic:.4f}\nW: {self.weights_name}"

    def __repr__(self) -> str:
        spatial = {t: round(float(self.params[t]), 4) for t in self.spatial_terms}
        return f"<SpatialResult {self.model} n={self.nobs} {spatial}>"


def pseudo_r2(y: npt.NDArray[np.float64], fitted: npt.NDArray[np.float64]) -> float:
    """Squared correlation between y and the prediction."""
    yc, fc = y - y.mean(), fitted - fitted.mean()
    denom = float(np.sqrt((yc @ yc) * (fc @ fc)))
    return float((yc @ fc) / denom) ** 2 if denom > 0 else float("nan")
