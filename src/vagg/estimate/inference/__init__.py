"""Resampling inference: placebo (permutation) tests with the Frisch–Waugh–Lovell fast path
(:mod:`.placebo`, :mod:`.permutation`).

The estimators are re-exported by :mod:`vagg.estimate`; this package only groups the
modules of one model family."""

__all__: list[str] = []
