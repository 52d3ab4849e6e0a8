"""Figures shared by the studies: lines by group, 12-panel grids, PNG at 200 dpi, CJK fallback.

References are the inputs themselves (the plotted points must be the data given), the layout
of paper 000 Figure 2 (12 panels (a)–(l) in 4 rows × 3 columns), the PNG's own pHYs and
text chunks read back with Pillow, and fontconfig's answer (``fc-list :lang=zh``).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from PIL import Image

from vagg.report import figures
from vagg.report.figures import FigureError, Panel, line_figure, panel_grid, save_figure

YEARS = list(range(2000, 2014))
OWNERSHIP = {
    "private": {"zh": "私营企业", "en": "Private"},
    "state": {"zh": "国有企业", "en": "State"},
    "foreign": {"zh": "外资企业", "en": "Foreign"},
}


def _series(groups: list[str], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        [{"year": y, "group": g, "value": float(rng.random())} for g in groups for y in YEARS]
    )


@pytest.fixture
def no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures, "chinese_font", lambda: None)


@pytest.fixture
def some_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    # a font name stands in for an installed CJK font (drawing is not tested with it)
    monkeypatch.setattr(figures, "chinese_font", lambda: "DejaVu Sans")


def test_chinese_font_is_the_bundled_noto_font() -> None:
    figures.chinese_font.cache_clear()
    path = figures._bundled_chinese_font()
    assert path is not None and path.name == figures.BUNDLED_CJK_FONT
    assert figures.chinese_font() == "Noto Sans CJK SC"
    assert figures.figure_language("zh").used == "zh"


def test_fontconfig_fonts_are_read_for_the_fallback() -> None:
    executable = shutil.which("fc-list")
    if executable is None:
        assert figures._fontconfig_chinese_fonts() == []
        return
    listing = subprocess.run(
        [executable, ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout.strip()
    assert bool(figures._fontconfig_chinese_fonts()) == bool(listing)


def _draw_chinese_figure() -> None:
    fig = line_figure(
        _series(["private", "state"]),
        y="value",
        group="group",
        group_labels=OWNERSHIP,
        title={"zh": "分所有制出口国内附加值率", "en": "By ownership"},
        xlabel={"zh": "年份", "en": "Year"},
        ylabel={"zh": "均值（%）", "en": "Mean (%)"},
        lang="zh",
    )
    fig.savefig(io.BytesIO(), format="png", dpi=50)


def test_chinese_figure_renders_without_missing_glyphs() -> None:
    figures.chinese_font.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        _draw_chinese_figure()


def test_missing_glyphs_are_caught_when_the_font_lacks_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the check above can fail: with a Latin-only font the same figure warns
    monkeypatch.setattr(figures, "chinese_font", lambda: "DejaVu Sans")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="missing from font"):
            _draw_chinese_figure()


def test_lines_follow_the_data_and_group_order(no_cjk_font: None) -> None:
    data = _series(["state", "private", "foreign"])
    fig = line_figure(
        data, y="value", group="group", group_labels=OWNERSHIP, title="Index", lang="en"
    )
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["Private", "State", "Foreign"]
    for line, key in zip(lines, ["private", "state", "foreign"], strict=True):
        expected = data[data["group"] == key].sort_values("year")
        np.testing.assert_array_equal(line.get_xdata(), expected["year"].to_numpy())
        np.testing.assert_array_equal(line.get_ydata(), expected["value"].to_numpy())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Private", "State", "Foreign"]


def test_polars_input_and_a_single_line(no_cjk_font: None) -> None:
    data = pl.DataFrame({"year": [2003, 2001, 2002], "share": [0.3, 0.1, 0.2]})
    fig = line_figure(data, y="share", lang="en")
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [2001, 2002, 2003])
    np.testing.assert_array_equal(line.get_ydata(), [0.1, 0.2, 0.3])


def test_twelve_panel_grid_like_paper_000_figure_2(no_cjk_font: None) -> None:
    rows = ["ownership", "trade mode", "region", "industry"]
    columns = ["same industry", "upstream", "downstream"]
    panels = [
        Panel(_series(["private", "state"], seed=i), "value", f"{r}, {c}", group="group")
        for i, (r, c) in enumerate((r, c) for r in rows for c in columns)
    ]
    fig = panel_grid(panels, ncols=3, lang="en")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 12
    assert fig.axes[0].get_subplotspec().get_gridspec().get_geometry() == (4, 3)
    captions = [[t.get_text() for t in ax.texts] for ax in axes]
    assert captions[0] == ["(a) ownership, same industry"]
    assert captions[11] == ["(l) industry, downstream"]
    assert figures.figure_metadata(fig)["panels"] == "12"


def test_grid_hides_the_unused_cells(no_cjk_font: None) -> None:
    panels = [Panel(_series(["a"]), "value", f"p{i}") for i in range(5)]
    fig = panel_grid(panels, ncols=3, lang="en")
    assert len(fig.axes) == 6
    assert [ax.get_visible() for ax in fig.axes] == [True] * 5 + [False]


def test_png_at_200_dpi_with_metadata(tmp_path: Path, no_cjk_font: None) -> None:
    fig = line_figure(_series(["a", "b"]), y="value", group="group", size=(4.0, 3.0))
    path = save_figure(fig, tmp_path / "sub" / "figure_1.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (800, 600)  # 4 × 3 inches at 200 dpi
        assert image.info["dpi"] == pytest.approx((200, 200), abs=0.01)
        assert image.info["Language"] == "en"
        assert "fall back to English" in image.info["Comment"]
    assert list(path.parent.iterdir()) == [path]  # no temporary file left


def test_chinese_requested_without_a_font_falls_back_to_english(no_cjk_font: None) -> None:
    language = figures.figure_language("zh")
    assert (language.requested, language.used, language.font) == ("zh", "en", None)
    fig = line_figure(
        _series(["private", "state"]),
        y="value",
        group="group",
        group_labels=OWNERSHIP,
        title={"zh": "分所有制", "en": "By ownership"},
        lang="zh",
    )
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts == ["Private", "State"]
    meta = figures.figure_metadata(fig)
    assert meta["language_requested"] == "zh" and meta["language"] == "en"
    assert "no installed font renders Chinese" in meta["note"]


def test_chinese_labels_and_font_when_a_font_exists(some_cjk_font: None) -> None:
    fig = line_figure(
        _series(["private", "state"]),
        y="value",
        group="group",
        group_labels=OWNERSHIP,
        title={"zh": "分所有制", "en": "By ownership"},
        lang="zh",
    )
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["私营企业", "国有企业"]
    assert [t.get_text() for t in ax.texts] == ["分所有制"]
    assert ax.texts[0].get_fontfamily()[0] == "DejaVu Sans"
    meta = figures.figure_metadata(fig)
    assert meta["language"] == "zh" and meta["note"] == ""


def test_chinese_only_label_is_reported_without_a_font(no_cjk_font: None) -> None:
    fig = line_figure(_series(["a"]), y="value", title="只有中文", lang="en")
    assert "只有中文" in figures.figure_metadata(fig)["note"]


def test_bad_input_is_named() -> None:
    data = _series(["a"])
    twice = pd.concat([data, data.iloc[[3]]], ignore_index=True)
    with pytest.raises(FigureError, match=r"more than one 'value' per group × year.*rows"):
        line_figure(twice, y="value", group="group", lang="en")
    with pytest.raises(FigureError, match=r"column\(s\) \['share'\] not found"):
        line_figure(data, y="share", lang="en")
    with pytest.raises(FigureError, match="at least one Panel"):
        panel_grid([], lang="en")
    with pytest.raises(FigureError, match="ncols"):
        panel_grid([Panel(data, "value")], ncols=0, lang="en")
    with pytest.raises(FigureError, match="lang"):
        figures.figure_language("fr")  # type: ignore[arg-type]
    with pytest.raises(FigureError, match="PNG"):
        save_figure(line_figure(data, y="value", lang="en"), "figure.pdf")
    with pytest.raises(FigureError, match="pandas or polars"):
        line_figure([1, 2, 3], y="value", lang="en")
