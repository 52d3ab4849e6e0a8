"""One page to open first: ``index.html`` of a replication run, built from what the run wrote.

A run writes, per study, ``OUT/STUDY/`` with the tables in six formats, the figures as PNG,
``manifest.json`` and (on synthetic data) ``truth_check.csv``. :func:`write_run_page` reads
those files — never the data — and writes ``OUT/index.html``: a single self-contained page
(styles inline, figures embedded as base64 PNG) with, for every study, the manifest in words
(data hash, seed, scale, options, engine, timings, rows dropped and exclusions), the truth
check with each planted value beside its estimate and whether the interval covers it, every
table in the paper's layout (the HTML export of the table, as published), every figure, and a
link to every exported file. Because it only reads published files, the page holds nothing
the disclosure rules kept out of them.

``vagg report OUT`` rebuilds the page; ``vagg replicate`` writes it at the end of a run.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from vagg.errors import VaggError

__all__ = ["RunPageError", "study_folders", "write_run_page"]

INDEX = "index.html"
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)
_STYLE = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","Microsoft YaHei",
"PingFang SC",sans-serif;margin:2em auto;max-width:75em;padding:0 1em;color:#111}
h1{font-size:1.6em}h2{border-bottom:2px solid #333;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.6em}table{margin:.6em 0}caption{font-weight:bold;text-align:left}
.meta td,.truth td,.truth th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}
.truth .no{color:#a00;font-weight:bold}.truth .yes{color:#070}
.files a{margin-right:.8em}figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
nav li{margin:.2em 0}.failed{color:#a00}
"""
#: Counts, once the page has loaded, the tables and the figures the browser decoded, into
#: ``data-`` attributes of ``<body>`` (read by the browser test; harmless otherwise).
_LOAD_CHECK = (
    "<script>window.addEventListener('load',function(){var b=document.body,"
    "i=Array.prototype.slice.call(document.images);b.dataset.images=i.length;"
    "b.dataset.imagesDecoded=i.filter(function(x){return x.complete&&x.naturalWidth>0}).length;"
    "b.dataset.tables=document.querySelectorAll('table').length;});</script>"
)


class RunPageError(VaggError):
    """The folder given holds no replication output; the message names the folder."""


def study_folders(out: Path) -> list[Path]:
    """The study folders of a run: the sub-folders of ``out`` that hold a ``manifest.json``
    (sorted by name), or ``out`` itself when it is one study's folder."""
    if (out / "manifest.json").is_file():
        return [out]
    return sorted(p for p in out.iterdir() if p.is_dir() and (p / "manifest.json").is_file())


def write_run_page(out: str | Path) -> Path:
    """Write ``out/index.html`` for the replication output under ``out`` and return its path.

    Raises :class:`RunPageError` when ``out`` does not exist or holds no study folder with a
    ``manifest.json``. The page is written to a temporary file and renamed into place.
    """
    folder = Path(out)
    if not folder.is_dir():
        raise RunPageError(f"{folder}: no such folder of replication output")
    studies = study_folders(folder)
    if not studies:
        raise RunPageError(
            f"{folder}: no study folder with a manifest.json (run `vagg replicate` first)"
        )
    sections = [_study_section(path, folder) for path in studies]
    manifests = [_read_manifest(path) for path in studies]
    nav = "".join(
        f'<li><a href="#{_anchor(m.get("study", p.name))}">{_e(m.get("study", p.name))}</a>'
        f" — {_e(m.get('title', ''))} ({_e(m.get('status', ''))})</li>"
        for m, p in zip(manifests, studies, strict=True)
    )
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>vagg replication</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>vagg replication</h1>\n<nav><ul>{nav}</ul></nav>\n"
        + "\n".join(sections)
        + f"\n{_LOAD_CHECK}\n</body>\n</html>\n"
    )
    target = folder / INDEX
    partial = folder / f".{INDEX}.{os.getpid()}.partial"
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, target)
    return target


def _read_manifest(study: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((study / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise RunPageError(f"{study / 'manifest.json'}: cannot be read ({err})") from None
    if not isinstance(manifest, dict):
        raise RunPageError(f"{study / 'manifest.json'}: not a JSON object")
    return manifest


def _study_section(study: Path, root: Path) -> str:
    manifest = _read_manifest(study)
    name = str(manifest.get("study", study.name))
    prefix = study.relative_to(root).as_posix() if study != root else "."
    parts = [
        f'<section id="{_anchor(name)}">',
        f"<h2>{_e(name)} — {_e(manifest.get('title', ''))}</h2>",
        f"<p>{_e(manifest.get('paper', ''))}</p>",
        _manifest_table(manifest),
        _truth_section(study / "truth_check.csv"),
    ]
    for entry in manifest.get("entries", []):
        parts.append(_entry_section(entry, study, prefix))
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def _manifest_table(manifest: Mapping[str, Any]) -> str:
    data = manifest.get("data", {}) or {}
    engine = manifest.get("engine", {}) or {}
    truth = manifest.get("truth_check", {}) or {}
    dropped = {k: v for k, v in (manifest.get("rows_dropped", {}) or {}).items() if v}
    rows = [
        ("status", manifest.get("status")),
        ("data", "synthetic economy" if data.get("synthetic") else "user data"),
        ("data hash", f"{data.get('hash', '')} (of the {data.get('hash_of', 'files')})"),
        ("scale / seed", f"{manifest.get('scale')} / {manifest.get('seed')}"),
        ("language", manifest.get("lang")),
        ("options", _inline(manifest.get("options", {}))),
        ("engine", f"{engine.get('name', '')} ({engine.get('n_workers', '?')} workers)"),
        ("disclosure", f"cells and regressions from fewer than {manifest.get('min_firms')} firms"),
        ("started / finished", f"{manifest.get('started')} / {manifest.get('finished')}"),
        ("seconds", manifest.get("seconds")),
        ("peak memory (MB)", _inline(manifest.get("peak_memory_mb", {}))),
        ("rows dropped", _inline(dropped) or "none"),
        ("exclusions", _inline(manifest.get("exclusions", [])) or "none"),
        ("failed entries", ", ".join(manifest.get("failed_entries", []) or []) or "none"),
        ("withheld entries", ", ".join(manifest.get("withheld_entries", []) or []) or "none"),
        ("truth check", _inline(truth) or "not checked (user data)"),
        ("vagg / Python", f"{manifest.get('vagg')} / {manifest.get('python')}"),
    ]
    body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta"><caption>Run</caption>{body}</table>'


def _truth_section(path: Path) -> str:
    if not path.is_file():
        return ""
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    if not records:
        return ""
    from vagg.studies.truth import TRUTH_COLUMNS  # the columns the runner writes

    columns = list(TRUTH_COLUMNS)
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = []
    for record in records:
        covered = record.get("covered", "")
        mark = {"True": '<td class="yes">yes</td>', "False": '<td class="no">NO</td>'}
        cells = [
            mark.get(covered, f"<td>{_e(covered)}</td>")
            if c == "covered"
            else f"<td>{_e(_number(record.get(c, '')))}</td>"
            for c in columns
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    n_cov = sum(r.get("covered") == "True" for r in records)
    caption = f"Truth check: {n_cov} of {len(records)} planted values covered"
    return (
        f'<table class="truth"><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _entry_section(entry: Mapping[str, Any], study: Path, prefix: str) -> str:
    key = str(entry.get("key", ""))
    title = f"{key}: {entry.get('title', '')}"
    files = [str(f) for f in entry.get("files", [])]
    links = "".join(f'<a href="{_e(prefix)}/{_e(f)}">{_e(f)}</a>' for f in files)
    status = str(entry.get("status", ""))
    parts = [f'<h3 id="{_anchor(study.name + "-" + key)}">{_e(title)}</h3>']
    if status != "ok":
        parts.append(f'<p class="failed">{_e(status)}: {_e(entry.get("error", ""))}</p>')
    for name in files:
        if name.endswith(".html"):
            parts.append(_embedded_table(study / name))
        elif name.endswith(".png"):
            parts.append(_embedded_figure(study / name, str(entry.get("title", key))))
    parts.extend(f"<p>{_e(note)}</p>" for note in entry.get("notes", []) or [])
    if links:
        parts.append(f'<p class="files">{links}</p>')
    return "\n".join(parts)


def _embedded_table(path: Path) -> str:
    if not path.is_file():
        return f'<p class="failed">missing file {_e(path.name)}</p>'
    text = path.read_text(encoding="utf-8")
    match = _BODY.search(text)
    return match.group(1).strip() if match else text


def _embedded_figure(path: Path, caption: str) -> str:
    if not path.is_file():
        return f'<p class="failed">missing file {_e(path.name)}</p>'
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{encoded}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k} = {_inline(v)}" for k, v in value.items())
    if isinstance(value, Iterable) and not isinstance(value, str):
        return "; ".join(_inline(v) for v in value)
    return "" if value is None else str(value)


def _number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return f"{value:.4g}"


def _anchor(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]+", "-", text).strip("-") or "study"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))
