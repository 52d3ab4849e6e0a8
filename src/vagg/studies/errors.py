"""The error of the studies layer."""

from __future__ import annotations

from vagg.errors import VaggError

__all__ = ["StudyError"]


class StudyError(VaggError):
    """A study is defined or used wrongly (duplicate entry, unknown table, missing data, a bad
    option or argument of ``replicate``)."""
