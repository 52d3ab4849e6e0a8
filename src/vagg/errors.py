"""The one base class of every error vagg raises on purpose.

Every error vagg raises for bad input or an impossible request is a :class:`VaggError`, which
is a :class:`ValueError`, so ``except vagg.VaggError`` catches all of them and code written
against ``ValueError`` keeps working. Each family (schemas, estimation, studies, reports,
engines) subclasses it in its own module; the message names the table, column and rows, or the
argument, that caused it.
"""

from __future__ import annotations

__all__ = ["VaggError"]


class VaggError(ValueError):
    """Base class of all errors raised by vagg for input it cannot use."""
