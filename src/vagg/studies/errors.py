"""The error of the studies layer, and the one rule for the names it uses."""

from __future__ import annotations

import re

from vagg.errors import VaggError

__all__ = ["NAME_PATTERN", "StudyError"]

#: A name of a study, table entry or cached frame: letters, digits, ``_``, ``.``, ``-``.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class StudyError(VaggError):
    """A study is defined or used wrongly (duplicate entry, unknown table, missing data, a bad
    option or argument of ``replicate``)."""
