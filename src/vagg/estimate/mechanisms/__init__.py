"""Mechanism tests: mediation (Baron–Kenny with Sobel and cluster bootstrap, :mod:`.mediation`),
moderation (:mod:`.moderation`) and subgroup heterogeneity (:mod:`.heterogeneity`).

The estimators are re-exported by :mod:`vagg.estimate`; this package only groups the
modules of one model family."""

__all__: list[str] = []
