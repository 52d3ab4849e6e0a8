"""Every figure of every study, drawn in Chinese and in English on the tiny synthetic economy:
each axis carries a label in the run's language, and no glyph falls back to a missing-glyph
box (matplotlib's "Glyph … missing from font" warning is an error here)."""

from __future__ import annotations

import re
import warnings
from io import BytesIO
from typing import Any

import pytest

from vagg.data.dataset import synthetic_dataset
from vagg.engine import Local
from vagg.studies import registry
from vagg.studies.base import FigureEntry
from vagg.studies.data import StudyData
from vagg.studies.options import resolve_options

_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


def _figure_entries() -> list[tuple[str, FigureEntry]]:
    return [
        (study.name, entry)
        for study in registry.all()
        for entry in study.entries
        if isinstance(entry, FigureEntry)
    ]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> StudyData:
    """One StudyData on the tiny economy: its derived frames are kept in memory and shared by
    both languages' figures."""
    dataset, _ = synthetic_dataset("tiny", 0, tmp_path_factory.mktemp("cache"))
    return StudyData(dataset, seed=0, scale="tiny", cache_dir=None)


def _draw(data: StudyData, study: str, entry: FigureEntry, lang: str) -> Any:
    data.lang = lang  # type: ignore[assignment]
    data.options = resolve_options(registry.get(study).options, {}, study)
    figure = entry.build(data, Local(1))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        figure.savefig(BytesIO(), format="png", dpi=50)
    return figure


def test_every_study_has_figures() -> None:
    names = {name for name, _ in _figure_entries()}
    assert {"dvar_firms", "quality_cities", "resilience_provinces"} <= names


def _label_problems(figure: Any, where: str, lang: str) -> list[str]:
    """What is wrong with the labels of ``figure``'s axes (empty when nothing is)."""
    problems = []
    drawn = [ax for ax in figure.axes if ax.get_visible() and ax.axison]
    if not drawn:
        return [f"{where}: no axes drawn"]
    for i, ax in enumerate(drawn):
        if ax.get_label() == "<colorbar>":
            labels = [ax.get_xlabel() or ax.get_ylabel()]
        else:
            labels = [ax.get_xlabel(), ax.get_ylabel()]
        if not all(label.strip() for label in labels):
            problems.append(f"{where} axes {i}: unlabelled axis {labels}")
        chinese = [label for label in labels if _CJK.search(label)]
        if lang == "en" and chinese:
            problems.append(f"{where} axes {i}: Chinese label in an English figure: {chinese}")
        if lang == "zh" and len(chinese) < len(labels):
            problems.append(f"{where} axes {i}: no Chinese label in a Chinese figure: {labels}")
    return problems


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("study", "entry"), _figure_entries(), ids=lambda v: v if isinstance(v, str) else v.key
)
def test_every_axis_is_labelled_in_the_run_language(
    data: StudyData, study: str, entry: FigureEntry, lang: str
) -> None:
    figure = _draw(data, study, entry, lang)
    assert _label_problems(figure, f"{study} {entry.key} ({lang})", lang) == []


@pytest.mark.parametrize(
    ("year_label", "lang", "problem"),
    [
        ({"zh": "", "en": ""}, "en", "unlabelled axis"),
        ({"zh": "Year", "en": "Year"}, "zh", "no Chinese label"),
        ({"zh": "年份", "en": "年份"}, "en", "Chinese label in an English figure"),
    ],
)
def test_a_wrong_axis_label_is_caught(
    data: StudyData,
    monkeypatch: pytest.MonkeyPatch,
    year_label: dict[str, str],
    lang: str,
    problem: str,
) -> None:
    """Mutations of the year axis of paper 000's Figure 1: no label, an English label in a
    Chinese figure, a Chinese label in an English one."""
    import vagg.report.figures as figures

    monkeypatch.setattr(figures, "YEAR_LABEL", year_label)
    study, entry = next((s, e) for s, e in _figure_entries() if s == "dvar_firms")
    problems = _label_problems(_draw(data, study, entry, lang), "mutant", lang)
    assert any(problem in p for p in problems), problems
