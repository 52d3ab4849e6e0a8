"""Panel Granger causality: the Dumitrescu–Hurlin (2012) non-causality test.

* :func:`granger_dh` — ``W̄``, ``Z̄`` and ``Z̃`` with N(0, 1) p-values, the individual Wald
  statistics, lag selection by AIC/BIC/HQIC and block-bootstrap p-values.

Modules: :mod:`.panel_data` (the balanced matrices and the unit regressions),
:mod:`.bootstrap` (the statistics and the block bootstrap), :mod:`.dumitrescu_hurlin` (the
test and :class:`GrangerDH`).
"""

from .dumitrescu_hurlin import GrangerDH, granger_dh

__all__ = ["GrangerDH", "granger_dh"]
