"""Linear models: one formula grammar, one sample builder, one demeaner and one covariance
module shared by ``feols`` (:mod:`.fixed_effects`) and 2SLS (:mod:`.iv`, with the weak-IV
statistics of :mod:`.weak_iv`); :mod:`.panel_ops` holds the panel lags the formulas use.

The estimators are re-exported by :mod:`vagg.estimate`; this package only groups the
modules of one model family."""

__all__: list[str] = []
