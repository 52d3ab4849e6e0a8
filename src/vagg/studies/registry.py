"""The studies ``vagg replicate`` knows, by name.

A study package (or module) registers its study when imported::

    STUDY = register(Study("dvar_firms", ...))

:func:`get` and :func:`all` first import every module of the :mod:`vagg.studies` package
(the framework modules of :data:`vagg.studies.base.FRAMEWORK_MODULES` and private ``_*``
modules aside), so a new study is found by adding its package — nothing else to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from vagg.studies.base import FRAMEWORK_MODULES, Study, StudyError

__all__ = ["REGISTRY", "Registry", "all", "get", "names", "register"]


class Registry:
    """Studies by name. ``discover``: import the study modules of :mod:`vagg.studies` before
    answering :meth:`get` or :meth:`all` (off for registries built by hand, e.g. in tests)."""

    def __init__(self, *, discover: bool = True) -> None:
        self._studies: dict[str, Study] = {}
        self._discover = discover
        self._discovered = False

    def register(self, study: Study, *, replace: bool = False) -> Study:
        """Add ``study`` under its name and return it; a different study under a taken name is
        an error unless ``replace``."""
        if not isinstance(study, Study):
            raise StudyError(f"register: expected a Study, got {type(study).__name__}")
        taken = self._studies.get(study.name)
        if taken is not None and taken is not study and not replace:
            raise StudyError(
                f"register: a different study is already registered as {study.name!r}; "
                "pass replace=True to replace it"
            )
        self._studies[study.name] = study
        return study

    def unregister(self, name: str) -> None:
        """Remove study ``name`` (no error when absent)."""
        self._studies.pop(name, None)

    def discover(self) -> None:
        """Import every study module of :mod:`vagg.studies` once (they register themselves)."""
        if not self._discover or self._discovered:
            return
        self._discovered = True
        folder = Path(__file__).parent
        for module in sorted(pkgutil.iter_modules([str(folder)]), key=lambda m: m.name):
            if module.name in FRAMEWORK_MODULES or module.name.startswith("_"):
                continue
            importlib.import_module(f"vagg.studies.{module.name}")

    def get(self, name: str) -> Study:
        """The study registered as ``name``; the error lists the registered names."""
        self.discover()
        try:
            return self._studies[name]
        except KeyError:
            known = ", ".join(sorted(self._studies)) or "none"
            raise StudyError(f"unknown study {name!r}; registered studies: {known}") from None

    def all(self) -> list[Study]:
        """Every registered study, by name."""
        self.discover()
        return [self._studies[name] for name in sorted(self._studies)]

    def names(self) -> list[str]:
        """The names of the registered studies, sorted."""
        return [study.name for study in self.all()]


#: The registry ``vagg replicate`` reads.
REGISTRY = Registry()


def register(study: Study, *, replace: bool = False) -> Study:
    """Register ``study`` in the default registry and return it (see :meth:`Registry.register`)."""
    return REGISTRY.register(study, replace=replace)


def get(name: str) -> Study:
    """The study registered as ``name`` in the default registry."""
    return REGISTRY.get(name)


def all() -> list[Study]:
    """Every study of the default registry, sorted by name."""
    return REGISTRY.all()


def names() -> list[str]:
    """Names of the studies of the default registry."""
    return REGISTRY.names()
