"""Study options: parsing, checking against the declarations, and the dvar_firms options."""

from __future__ import annotations

from pathlib import Path

import pytest

from vagg.studies import registry
from vagg.studies.errors import StudyError
from vagg.studies.options import (
    OptionError,
    StudyOption,
    options_by_study,
    parse_assignments,
    read_options_file,
    resolve_options,
)

DECLARED = (
    StudyOption("level", str, "cic4", "industry level", choices=("cic4", "io_sector")),
    StudyOption("replace", bool, True, "with replacement"),
    StudyOption("caliper", float, None, "largest distance", optional=True),
    StudyOption("k", int, 1, "neighbours"),
)


def test_defaults_and_parsed_values() -> None:
    assert resolve_options(DECLARED, {}) == {
        "level": "cic4",
        "replace": True,
        "caliper": None,
        "k": 1,
    }
    given = {"level": "io_sector", "replace": "no", "caliper": "0.05", "k": "3"}
    assert resolve_options(DECLARED, given) == {
        "level": "io_sector",
        "replace": False,
        "caliper": 0.05,
        "k": 3,
    }
    assert resolve_options(DECLARED, {"caliper": "none", "replace": False})["caliper"] is None


def test_unknown_name_lists_the_declared_options() -> None:
    with pytest.raises(OptionError, match=r"study 'x' has no option 'levl'; its options: level"):
        resolve_options(DECLARED, {"levl": "cic4"}, "x")


@pytest.mark.parametrize(
    ("name", "value", "valid"),
    [
        ("level", "cic2", "'cic4', 'io_sector'"),
        ("replace", "maybe", "true or false"),
        ("caliper", "wide", "a number or none"),
        ("k", "1.5", "an integer"),
        ("k", "none", "an integer"),
    ],
)
def test_bad_value_names_the_valid_ones(name: str, value: str, valid: str) -> None:
    with pytest.raises(OptionError, match=f"option '{name}': '{value}' is not valid; use {valid}"):
        resolve_options(DECLARED, {name: value})


def test_a_bad_declaration_is_an_error() -> None:
    with pytest.raises(StudyError, match="type must be"):
        StudyOption("x", list, [], "a list")
    with pytest.raises(OptionError, match="'x': 'c' is not valid"):
        StudyOption("x", str, "c", "letters", choices=("a", "b"))


def test_assignments_and_toml(tmp_path: Path) -> None:
    assert parse_assignments(["a=1", "b = two", "a=3"]) == {"a": "3", "b": "two"}
    path = tmp_path / "o.toml"
    path.write_text('k = 2\n[dvar_firms]\nmarkup_correction = "dlw"\n', encoding="utf-8")
    read = read_options_file(path)
    assert read == {"k": 2, "dvar_firms.markup_correction": "dlw"}
    split = options_by_study(read, ["dvar_firms", "other"])
    assert split == {"dvar_firms": {"k": 2, "markup_correction": "dlw"}, "other": {"k": 2}}
    with pytest.raises(OptionError, match="study 'third' is not being run"):
        options_by_study({"third.k": 1}, ["dvar_firms"])
    path.write_text("k = [", encoding="utf-8")
    with pytest.raises(OptionError, match="not valid TOML"):
        read_options_file(path)


def test_dvar_firms_declares_its_options_with_the_papers_defaults() -> None:
    study = registry.get("dvar_firms")
    defaults = resolve_options(study.options, {}, study.name)
    assert defaults == {
        "markup_correction": "dlw",
        "markup_first_stage": "firm_effects",
        "did_level": "io_sector",
        "psm_did_unit": "firm",
        "matching_replace": True,
        "matching_caliper": None,
        "matching_common_support": True,
    }
    assert all(option.doc for option in study.options)
