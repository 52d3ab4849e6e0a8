"""Panel cointegration estimators: Pedroni's group-mean FM-OLS and DOLS, and pooled variants.

* :func:`fmols` — panel fully modified OLS (Phillips & Hansen 1990 unit by unit; Pedroni 2000,
  2001 group mean; Phillips & Moon 1999 / Kao & Chiang 2000 pooled);
* :func:`dols` — panel dynamic OLS (Saikkonen 1991, Stock & Watson 1993 unit by unit; Pedroni
  2001 group mean; Kao & Chiang 2000 / Mark & Sul 2003 pooled);
* :func:`long_run_covariance` — kernel long-run covariances with Bartlett, Parzen and
  quadratic-spectral kernels and fixed, Newey–West, Andrews or rule-of-thumb bandwidths.

Modules: :mod:`.longrun` (kernels and bandwidths), :mod:`.fmols_unit` and :mod:`.dols_unit`
(one unit), :mod:`.panel_sample` (the panel of unit series), :mod:`.panel` (group mean and
pooled), :mod:`.results` (:class:`CointegrationResult`).
"""

from .longrun import LongRunCovariance, long_run_covariance
from .panel import dols, fmols
from .results import CointegrationResult

__all__ = ["CointegrationResult", "LongRunCovariance", "dols", "fmols", "long_run_covariance"]
