"""β-convergence: absolute and conditional, cross-section, panel fixed effects and FM-OLS.

* :func:`convergence` — the regression of growth on the initial log level over windows, with
  the implied speed, half-life and (interaction model) acceleration (:class:`Convergence`);
* :func:`convergence_speed`, :func:`half_life` — the closed forms.

Modules: :mod:`.growth` (the growth panel and its accounting), :mod:`.speed` (closed forms and
delta-method errors), :mod:`.model` (the estimators).
"""

from .model import Convergence, convergence
from .speed import convergence_speed, half_life

__all__ = ["Convergence", "convergence", "convergence_speed", "half_life"]
