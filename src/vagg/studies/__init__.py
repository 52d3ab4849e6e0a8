"""vagg.studies: each paper as a list of tables and figures, run end to end by ``vagg replicate``.

A study package (one per paper, e.g. :mod:`vagg.studies.dvar_firms`, with modules named for
what they hold: panels, models, tables, descriptives, options) builds a :class:`Study` of
:class:`TableEntry` and :class:`FigureEntry` objects — small functions
``(StudyData, Engine) -> list[Result] | Figure`` with the paper's numbers, headers and notes —
declares the planted parameters it checks (:class:`TruthCheck`) and the options a user may
set (:class:`StudyOption`), and registers it with :func:`register`. :func:`replicate` /
:func:`run_study` run it and write ``results/<study>/``: tables in every export format,
figures as PNG, ``manifest.json`` and, on synthetic data, ``truth_check.csv``.

The names are imported on first use, so ``import vagg.studies`` stays light.
"""

from __future__ import annotations

from vagg._lazy import lazy_exports

_API: dict[str, str] = {
    "Study": "vagg.studies.base",
    "TableEntry": "vagg.studies.base",
    "FigureEntry": "vagg.studies.base",
    "StudyData": "vagg.studies.data",
    "StudyError": "vagg.studies.errors",
    "StudyOption": "vagg.studies.options",
    "OptionError": "vagg.studies.options",
    "resolve_options": "vagg.studies.options",
    "resolve_text": "vagg.studies.base",
    "TruthCheck": "vagg.studies.base",
    "TruthError": "vagg.studies.truth",
    "truth_check": "vagg.studies.truth",
    "Registry": "vagg.studies.registry",
    "register": "vagg.studies.registry",
    "RunReport": "vagg.studies.runner",
    "run_study": "vagg.studies.runner",
    "replicate": "vagg.studies.runner",
    "check_arguments": "vagg.studies.runner",
}

__all__ = sorted(_API)


__getattr__, __dir__ = lazy_exports(__name__, _API, globals())
