"""Selection on observables: propensity-score matching (:mod:`.psm`, psmatch2 and MatchIt
conventions), its nearest-neighbour search (:mod:`.nearest_neighbor`), balance tables
(:mod:`.balance`) and inverse probability weighting (:mod:`.ipw`).

The estimators are re-exported by :mod:`vagg.estimate`; this package only groups the
modules of one model family."""

__all__: list[str] = []
