"""Figures the studies share: lines by group over years, multi-panel grids, PNG at 200 dpi.

The papers draw the same kind of figure again and again: an index over the years, one line per
group. Paper 000 Figure 1 shows the three virtual-agglomeration measures over 2000–2013;
Figure 2 is a 4 × 3 grid of twelve such panels, (a)–(l) — rows by ownership, trade mode,
region and industry, columns by same-industry, upstream and downstream agglomeration — each
with its caption beneath. :func:`line_figure` draws one panel, :func:`panel_grid` a grid of
:class:`Panel` s, and :func:`save_figure` writes the PNG.

Labels may be given in both languages, ``{"zh": "私营企业", "en": "Private"}``. Chinese needs
a font with CJK glyphs: :func:`chinese_font` uses Noto Sans CJK SC, which vagg installs with it
(the ``mplfonts`` package carries the font file), so a fresh machine draws Chinese figures and
every machine draws them with the same glyphs. Without that package it looks for an installed
font (``fc-list :lang=zh``, then matplotlib's own font list); when none is found the figure
falls back to the English labels and says so in its metadata (:func:`figure_metadata`, also
written into the PNG's text chunks by :func:`save_figure`), rather than printing empty boxes.

Figures are built on :class:`matplotlib.figure.Figure` directly, not through ``pyplot``, so
no GUI backend is involved and a study that draws many figures leaks none.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from vagg._version import __version__
from vagg.errors import VaggError
from vagg.report.labels import LANGUAGES, Lang, localized

__all__ = [
    "BUNDLED_CJK_FONT",
    "DPI",
    "KNOWN_CJK_FAMILIES",
    "YEAR_LABEL",
    "FigureError",
    "FigureLanguage",
    "Label",
    "Panel",
    "chinese_font",
    "draw_lines",
    "figure_language",
    "figure_metadata",
    "finish_figure",
    "label_text",
    "line_figure",
    "panel_grid",
    "save_figure",
    "set_figure_metadata",
]


#: A label in one language (``str``) or in several (``{"zh": ..., "en": ...}``).
Label = str | Mapping[str, str]

#: Resolution of every PNG the studies write.
DPI = 200
#: The x-axis label of a panel drawn over years when none is given.
YEAR_LABEL: dict[str, str] = {"zh": "年份", "en": "Year"}
#: Families known to carry CJK glyphs, tried in this order when fontconfig is unavailable.
KNOWN_CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "STHeiti",
    "Noto Serif CJK SC",
    "SimSun",
    "AR PL UMing CN",
)
_LATIN_FALLBACK = "DejaVu Sans"
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class FigureError(VaggError):
    """A figure cannot be drawn from the arguments given; the message names the argument."""


@dataclass(frozen=True)
class FigureLanguage:
    """The language a figure is drawn in: the one asked for, the one used, and the font.

    ``used`` differs from ``requested`` only when Chinese was asked for and no installed font
    renders it; ``note`` then says so (it is copied into the figure's metadata).
    """

    requested: Lang
    used: Lang
    font: str | None
    note: str = ""


@dataclass(frozen=True, eq=False)
class Panel:
    """One panel: ``y`` over ``x``, one line per value of ``group`` (one line without).

    ``data`` is a long table (pandas or polars) with columns ``x``, ``y`` and ``group``;
    aggregates only — a figure never shows micro records. ``group_labels`` maps group values
    to printed labels (and fixes the order of the lines); ``title`` is the caption printed
    beneath the panel, after its letter in a grid.
    """

    data: Any
    y: str
    title: Label = ""
    x: str = "year"
    group: str | None = None
    group_labels: Mapping[Any, Label] = field(default_factory=dict)
    xlabel: Label | None = None
    ylabel: Label | None = None


# -- fonts and languages ---------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def chinese_font() -> str | None:
    """The family name of a font that renders Chinese, or None.

    First the Noto Sans CJK SC file shipped by the ``mplfonts`` dependency (registered with
    matplotlib; the same font on every machine keeps figures identical across machines). Then
    asks fontconfig (``fc-list :lang=zh family file``) and registers the first font it names
    with matplotlib; without fontconfig, looks for the families of
    :data:`KNOWN_CJK_FAMILIES` among the fonts matplotlib knows. Cached for the process.
    """
    from matplotlib import font_manager

    bundled = _bundled_chinese_font()
    if bundled is not None:
        try:
            font_manager.fontManager.addfont(str(bundled))
            return str(font_manager.FontProperties(fname=str(bundled)).get_name())
        except (OSError, RuntimeError, ValueError):
            pass
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family, path in _fontconfig_chinese_fonts():
        if family in known:
            return family
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
        registered = font_manager.FontProperties(fname=path).get_name()
        return registered
    for family in KNOWN_CJK_FAMILIES:
        if family in known:
            return family
    return None


#: The font file of the ``mplfonts`` package that :func:`chinese_font` prefers.
BUNDLED_CJK_FONT = "NotoSansCJKsc-Regular.otf"


def _bundled_chinese_font() -> Path | None:
    """The Noto Sans CJK SC file shipped in the ``mplfonts`` package, found without importing
    the package (importing it would change matplotlib's global settings); None without it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("mplfonts")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "fonts" / BUNDLED_CJK_FONT
        if candidate.is_file():
            return candidate
    return None


def _fontconfig_chinese_fonts() -> list[tuple[str, str]]:
    """(family, file) of the fonts fontconfig reports as covering Chinese; [] without it."""
    executable = shutil.which("fc-list")
    if executable is None:
        return []
    try:
        listing = subprocess.run(
            [executable, ":lang=zh", "family", "file"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    fonts = []
    for line in sorted(listing.splitlines()):
        path, _, families = line.partition(":")
        family = families.strip().split(",")[0].strip()
        if family and os.path.isfile(path.strip()):
            fonts.append((family, path.strip()))
    return fonts


def figure_language(lang: Lang = "zh") -> FigureLanguage:
    """The language to draw in: ``lang``, or English when ``lang == "zh"`` and no installed
    font renders Chinese (the returned ``note`` says so)."""
    if lang not in LANGUAGES:
        raise FigureError(f"lang: expected one of {list(LANGUAGES)}, got {lang!r}")
    if lang == "en":
        return FigureLanguage("en", "en", None)
    font = chinese_font()
    if font is None:
        return FigureLanguage(
            "zh",
            "en",
            None,
            "no installed font renders Chinese (fc-list :lang=zh is empty); "
            "labels fall back to English",
        )
    return FigureLanguage("zh", "zh", font)


def label_text(label: Label | None, lang: Lang) -> str:
    """The text of ``label`` in ``lang``; a label without that language gives its other one."""
    text = localized(label, lang)
    if text is None:
        raise FigureError(f"label {label!r} has no text in any of {list(LANGUAGES)}")
    return text


# -- drawing ---------------------------------------------------------------------------------


def _as_pandas(data: Any, columns: Sequence[str]) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        frame = data
    elif hasattr(data, "to_pandas"):
        frame = data.to_pandas()
    else:
        raise FigureError(f"data: expected a pandas or polars DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FigureError(
            f"data: column(s) {missing} not found; columns available: {list(frame.columns)}"
        )
    return frame


def draw_lines(ax: Any, panel: Panel, lang: Lang, *, caption: str | None = None) -> None:
    """Draw ``panel`` on the axes ``ax``: one line with markers per group, in year order.

    A group value that repeats an ``x`` is an error (the data must already be aggregated to
    one value per group and year). ``caption`` (default: the panel's title) is printed
    beneath the axes, as the papers do.
    """
    columns = [panel.x, panel.y] + ([panel.group] if panel.group else [])
    frame = _as_pandas(panel.data, columns)
    keys = [panel.group, panel.x] if panel.group else [panel.x]
    duplicated = frame.duplicated(keys, keep=False)
    if duplicated.any():
        rows = list(frame.index[duplicated][:5])
        raise FigureError(
            f"data of panel {label_text(panel.title, lang)!r}: more than one {panel.y!r} per "
            f"{' × '.join(keys)} (rows {rows}); aggregate before plotting"
        )
    if panel.group:
        # groups without a label follow in sorted order, not in row order: the same data in
        # another row order (an unsorted group-by) draws the same figure
        present = sorted(set(frame[panel.group]), key=str)
        order = [g for g in panel.group_labels if g in present]
        order += [g for g in present if g not in order]
        for value in order:
            part = frame[frame[panel.group] == value].sort_values(panel.x)
            name = label_text(panel.group_labels.get(value, str(value)), lang)
            ax.plot(part[panel.x], part[panel.y], marker="o", markersize=3, label=name)
        if len(order) > 1:
            ax.legend(fontsize="small", frameon=False)
    else:
        part = frame.sort_values(panel.x)
        ax.plot(part[panel.x], part[panel.y], marker="o", markersize=3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    xlabel = panel.xlabel if panel.xlabel is not None or panel.x != "year" else YEAR_LABEL
    ax.set_xlabel(label_text(xlabel, lang))
    ax.set_ylabel(label_text(panel.ylabel, lang))
    ax.grid(True, linewidth=0.4, alpha=0.5)
    text = label_text(panel.title, lang) if caption is None else caption
    if text:
        below = -34.0 if xlabel else -20.0  # points under the axes: clear the ticks
        ax.annotate(
            text,
            xy=(0.5, 0.0),
            xycoords="axes fraction",
            xytext=(0.0, below),
            textcoords="offset points",
            ha="center",
            va="top",
        )


def line_figure(
    data: Any,
    *,
    y: str,
    x: str = "year",
    group: str | None = None,
    group_labels: Mapping[Any, Label] | None = None,
    title: Label | None = None,
    xlabel: Label | None = None,
    ylabel: Label | None = None,
    lang: Lang = "zh",
    size: tuple[float, float] = (6.4, 4.0),
) -> Figure:
    """One panel of lines by group over years (paper 000 Figure 1: the three virtual
    agglomeration indices, 2000–2013), with ``title`` as the caption beneath it."""
    language = figure_language(lang)
    figure = Figure(figsize=size, layout="constrained")
    panel = Panel(data, y, title or "", x, group, dict(group_labels or {}), xlabel, ylabel)
    draw_lines(figure.add_subplot(), panel, language.used)
    _finish(figure, language, [panel])
    return figure


def panel_grid(
    panels: Sequence[Panel],
    *,
    ncols: int = 3,
    lang: Lang = "zh",
    title: Label | None = None,
    panel_size: tuple[float, float] = (3.8, 2.9),
    letters: bool = True,
    sharey: bool = False,
) -> Figure:
    """A grid of panels, filled row by row, each captioned "(a) title", "(b) title", … beneath
    (paper 000 Figure 2: twelve panels in four rows — by ownership, trade mode, region and
    industry — and three columns — same-industry, upstream and downstream agglomeration)."""
    panels = list(panels)
    if not panels:
        raise FigureError("panels: a grid needs at least one Panel")
    wrong = [i for i, p in enumerate(panels) if not isinstance(p, Panel)]
    if wrong:
        raise FigureError(f"panels: items {wrong} are not Panel objects")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise FigureError(f"ncols: expected a positive integer, got {ncols!r}")
    if letters and len(panels) > len(_LETTERS):
        raise FigureError(f"panels: at most {len(_LETTERS)} lettered panels, got {len(panels)}")
    language = figure_language(lang)
    ncols = min(ncols, len(panels))
    nrows = -(-len(panels) // ncols)
    figure = Figure(
        figsize=(panel_size[0] * ncols, panel_size[1] * nrows + (0.4 if title else 0.0)),
        layout="constrained",
    )
    axes = figure.subplots(nrows, ncols, squeeze=False, sharey=sharey)
    for i, panel in enumerate(panels):
        ax = axes[i // ncols][i % ncols]
        caption = label_text(panel.title, language.used)
        if letters:
            caption = f"({_LETTERS[i]}) {caption}".rstrip()
        draw_lines(ax, panel, language.used, caption=caption)
    for j in range(len(panels), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    if title:
        figure.suptitle(label_text(title, language.used))
    _finish(figure, language, panels)
    return figure


# -- metadata and saving ---------------------------------------------------------------------

_METADATA: weakref.WeakKeyDictionary[Figure, dict[str, str]] = weakref.WeakKeyDictionary()


def _finish(figure: Figure, language: FigureLanguage, panels: Sequence[Panel]) -> None:
    """Set the CJK font on every text of the figure and record its language metadata.

    Text with Chinese characters in an English figure (a label given in Chinese only) gets
    the CJK font when one is installed; otherwise the metadata lists it.
    """
    texts = figure.findobj(Text)
    chinese = sorted({t.get_text() for t in texts if _CJK.search(t.get_text())})
    font = language.font or (chinese_font() if chinese else None)
    if font is not None:
        for text in texts:
            text.set_fontfamily([font, _LATIN_FALLBACK])
    note = language.note
    if chinese and font is None:
        note = (note + "; " if note else "") + (
            f"labels given only in Chinese, drawn without a font for them: {chinese}"
        )
    set_figure_metadata(
        figure,
        language_requested=language.requested,
        language=language.used,
        font=font or _LATIN_FALLBACK,
        note=note,
        panels=str(len(panels)),
    )


def finish_figure(figure: Figure, lang: Lang = "zh") -> Figure:
    """Give a figure drawn with plain matplotlib the run's language treatment: the CJK font on
    every text when ``lang`` is Chinese (or a label is), and the language metadata that
    :func:`save_figure` writes. Returns ``figure``."""
    _finish(figure, figure_language(lang), [])
    return figure


def set_figure_metadata(figure: Figure, **items: str) -> None:
    """Attach ``items`` to ``figure``'s metadata (kept with the figure, written by
    :func:`save_figure` into the PNG and by the study runner into its manifest)."""
    _METADATA.setdefault(figure, {}).update({k: str(v) for k, v in items.items()})


def figure_metadata(figure: Figure) -> dict[str, str]:
    """The metadata of a figure drawn by this module ({} for any other figure): the language
    asked for and used, the font, the number of panels and, after a fallback, a note."""
    return dict(_METADATA.get(figure, {}))


def save_figure(figure: Figure, path: str | Path, *, dpi: int = DPI) -> Path:
    """Write ``figure`` as a PNG at ``dpi`` (200 by default) and return the path.

    The figure's metadata goes into the PNG's text chunks ("Language", "Font", "Comment"
    holding the fallback note). The file is written to a temporary name and renamed, so an
    interrupted run never leaves half a PNG.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise FigureError(f"path: figures are saved as PNG; got {path.name!r}")
    if path.is_dir():
        raise FigureError(f"path: {path} is a directory; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = figure_metadata(figure)
    text = {"Software": f"vagg {__version__}"}
    if meta:
        text["Language"] = meta.get("language", "")
        text["Font"] = meta.get("font", "")
        if meta.get("note"):
            text["Comment"] = meta["note"]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        figure.savefig(temporary, dpi=dpi, format="png", metadata=text)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
