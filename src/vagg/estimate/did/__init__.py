"""Difference-in-differences: DID terms and PSM-DID (:mod:`.psm_did`) and event studies
(:mod:`.event_study`).

The estimators are re-exported by :mod:`vagg.estimate`; this package only groups the
modules of one model family."""

__all__: list[str] = []
