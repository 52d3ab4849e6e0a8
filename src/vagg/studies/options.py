"""Study options: declared, typed and documented choices a user can set for a run.

A study declares its options as :class:`StudyOption` objects (name, type, default, allowed
values, documentation) in its ``options`` field. Users set them on the command line,
``vagg replicate dvar_firms --set markup_correction=dlw`` (repeatable), or in a TOML file,
``--options FILE.toml``, holding ``name = value`` lines at the top (for every study run) or
under a ``[study]`` table (for that study only). :func:`resolve_options` checks the values
against the declarations — an unknown name or a bad value is a :class:`OptionError` listing
the valid ones — and returns every option with its value; the runner records them in the
manifest and keys the study's cached frames by them.

Written here rather than with a settings library: a study's options are a handful of typed
scalars, and the checks must name the study and list the valid values in one line.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vagg.studies.errors import StudyError

__all__ = [
    "OptionError",
    "StudyOption",
    "options_by_study",
    "parse_assignments",
    "read_options_file",
    "resolve_options",
]

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"none", "null", ""}


class OptionError(StudyError):
    """A study option is unknown or has a value it does not accept."""


@dataclass(frozen=True)
class StudyOption:
    """One declared option of a study.

    Parameters
    ----------
    name : str
        The option's name (``--set NAME=VALUE``).
    type : type
        ``bool``, ``int``, ``float`` or ``str``.
    default : Any
        The value when the user sets none (the paper's choice).
    doc : str
        What the option changes, for ``--help``-style listings and the docs.
    choices : tuple, optional
        The allowed values (for ``str`` and ``int`` options).
    optional : bool
        Whether ``none`` is an allowed value (e.g. no caliper).
    """

    name: str
    type: type
    default: Any
    doc: str
    choices: tuple[Any, ...] | None = None
    optional: bool = False

    def __post_init__(self) -> None:
        if self.type not in (bool, int, float, str):
            raise StudyError(f"option {self.name!r}: type must be bool, int, float or str")
        self.parse(self.default)  # a bad default is a declaration error

    @property
    def allowed(self) -> str:
        """The valid values, in words (for error messages and docs)."""
        if self.choices is not None:
            text = ", ".join(repr(c) for c in self.choices)
        else:
            text = {bool: "true or false", int: "an integer", float: "a number", str: "text"}[
                self.type
            ]
        return f"{text} or none" if self.optional else text

    def parse(self, value: Any) -> Any:
        """``value`` (text from the command line, or a TOML value) as the option's type.

        Raises
        ------
        OptionError
            When the value is not of the type or not among the choices.
        """
        if isinstance(value, str) and value.strip().lower() in _NONE and self.optional:
            return None
        if value is None:
            if self.optional:
                return None
            raise self._bad(value)
        try:
            parsed = self._convert(value)
        except (TypeError, ValueError):
            raise self._bad(value) from None
        if self.choices is not None and parsed not in self.choices:
            raise self._bad(value)
        return parsed

    def _convert(self, value: Any) -> Any:
        if self.type is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError(value)
        if isinstance(value, bool):
            raise TypeError(value)
        if self.type is int:
            number = float(value)
            if number != int(number):
                raise ValueError(value)
            return int(number)
        if self.type is float:
            return float(value)
        if not isinstance(value, str):
            raise TypeError(value)
        return value.strip()

    def _bad(self, value: Any) -> OptionError:
        return OptionError(f"option {self.name!r}: {value!r} is not valid; use {self.allowed}")


def resolve_options(
    declared: Sequence[StudyOption], given: Mapping[str, Any], study: str = "study"
) -> dict[str, Any]:
    """Every declared option with its value: ``given`` values parsed, defaults for the rest.

    Parameters
    ----------
    declared : sequence of StudyOption
        The study's options.
    given : mapping of str to Any
        Values set by the user (text or TOML values).
    study : str
        The study's name, for the error message.

    Returns
    -------
    dict of str to Any
        In the order of the declarations.

    Raises
    ------
    OptionError
        For an option the study does not declare (the error lists the declared ones) or a
        value the option does not accept (the error lists the valid values).
    """
    by_name = {option.name: option for option in declared}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        valid = ", ".join(f"{o.name} ({o.allowed})" for o in declared) or "none"
        raise OptionError(f"study {study!r} has no option {unknown[0]!r}; its options: {valid}")
    return {
        name: option.parse(given[name]) if name in given else option.default
        for name, option in by_name.items()
    }


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``["name=value", ...]`` (the ``--set`` arguments) as ``{name: value}``; a later
    assignment of the same name wins."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise OptionError(f"--set {item!r}: write NAME=VALUE, e.g. markup_correction=dlw")
        out[name.strip()] = value.strip()
    return out


def read_options_file(path: str | Path) -> dict[str, Any]:
    """The options of a TOML file: top-level ``name = value`` pairs, and ``[study]`` tables
    whose pairs are returned as ``"study.name"`` keys (see :func:`options_by_study`)."""
    try:
        content = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise OptionError(f"--options {path}: cannot be read ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise OptionError(f"--options {path}: not valid TOML ({err})") from None
    out: dict[str, Any] = {}
    for key, value in content.items():
        if isinstance(value, dict):
            out.update({f"{key}.{name}": v for name, v in value.items()})
        else:
            out[key] = value
    return out


def options_by_study(given: Mapping[str, Any], studies: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Split user options among ``studies``: a plain ``name`` goes to every study, a
    ``study.name`` only to that study (a study not being run is an error)."""
    out: dict[str, dict[str, Any]] = {study: {} for study in studies}
    for key, value in given.items():
        study, dot, name = key.rpartition(".")
        if not dot:
            for options in out.values():
                options[name] = value
        elif study in out:
            out[study][name] = value
        else:
            raise OptionError(
                f"option {key!r}: study {study!r} is not being run (running: {list(studies)})"
            )
    return out
