"""Errors raised by the spatial-weights builders and the :class:`SpatialWeights` object."""

from __future__ import annotations

from collections.abc import Sequence

from vagg.errors import VaggError

__all__ = ["WeightsError", "ids_text"]

_MAX_SHOWN = 8


class WeightsError(VaggError):
    """A weight matrix cannot be built or used as asked; the message names the units (ids)."""


def ids_text(ids: Sequence[object]) -> str:
    """The first few ids, ``repr``-ed, and how many more there are."""
    items = list(ids)
    shown = ", ".join(repr(v) for v in items[:_MAX_SHOWN])
    more = len(items) - _MAX_SHOWN
    return "[" + shown + (f", … {more} more" if more > 0 else "") + "]"
