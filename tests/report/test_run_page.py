"""The run page (index.html): built from a run's published files, self-contained, complete.

References: the files written here by hand (their captions, bytes and truth rows must appear
in the page as given), and, in the slow test, a real headless Chromium that loads the page
of a real `vagg replicate` run and reports the tables and decoded images it found.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

from vagg.cli import app
from vagg.report.run_page import RunPageError, study_folders, write_run_page
from vagg.studies.truth import TRUTH_COLUMNS

TABLE_HTML = """<!DOCTYPE html><html><head><title>t</title></head><body>
<table class="vagg-regression-table"><caption>表1　基准回归</caption>
<tr><td>vagg_h</td><td>0.123***</td></tr></table>
</body></html>"""


def _png(path: Path) -> bytes:
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    fig.savefig(path, format="png", dpi=40)
    return path.read_bytes()


def _run(tmp_path: Path) -> tuple[Path, bytes]:
    study = tmp_path / "results" / "demo"
    study.mkdir(parents=True)
    (study / "table_1.html").write_text(TABLE_HTML, encoding="utf-8")
    (study / "table_1.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    png = _png(study / "figure_1.png")
    manifest = {
        "study": "demo",
        "title": "演示研究",
        "paper": "Paper 999",
        "status": "ok",
        "data": {"hash": "abc123", "hash_of": "files", "synthetic": True},
        "seed": 7,
        "scale": "tiny",
        "lang": "zh",
        "options": {"markup_correction": "dlw"},
        "engine": {"name": "Local", "n_workers": 2},
        "min_firms": 10,
        "seconds": 1.5,
        "rows_dropped": {"table_1": {"singleton_fe": 3}},
        "entries": [
            {
                "key": "table_1",
                "kind": "table",
                "title": "基准回归",
                "status": "ok",
                "files": ["table_1.html", "table_1.csv"],
                "notes": ["标准误按行业聚类"],
            },
            {
                "key": "figure_1",
                "kind": "figure",
                "title": "图1",
                "status": "ok",
                "files": ["figure_1.png"],
            },
        ],
    }
    (study / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with (study / "truth_check.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRUTH_COLUMNS)
        writer.writerow(
            [
                "beta_h",
                "table_1",
                "(1)",
                "vagg_h",
                "0.12",
                "0.123",
                "0.01",
                "0.10",
                "0.14",
                "True",
                "",
            ]
        )
        writer.writerow(
            [
                "beta_f",
                "table_1",
                "(2)",
                "vagg_f",
                "0.30",
                "0.10",
                "0.01",
                "0.08",
                "0.12",
                "False",
                "",
            ]
        )
    return tmp_path / "results", png


def test_page_holds_tables_figures_truth_and_links(tmp_path: Path) -> None:
    out, png = _run(tmp_path)
    page = write_run_page(out)
    assert page == out / "index.html"
    text = page.read_text(encoding="utf-8")
    assert "表1　基准回归" in text and "0.123***" in text
    assert base64.b64encode(png).decode("ascii") in text  # the figure, embedded as it is
    assert "1 of 2 planted values covered" in text
    assert '<td class="no">NO</td>' in text and '<td class="yes">yes</td>' in text
    for name in ("table_1.html", "table_1.csv", "figure_1.png"):
        assert f'href="demo/{name}"' in text
    assert "abc123" in text and "markup_correction = dlw" in text
    assert "singleton_fe = 3" in text and "标准误按行业聚类" in text
    assert not list(out.glob(".index.html.*"))  # no partial file left behind


def test_one_study_folder_is_a_run_too(tmp_path: Path) -> None:
    out, _ = _run(tmp_path)
    assert study_folders(out / "demo") == [out / "demo"]
    text = write_run_page(out / "demo").read_text(encoding="utf-8")
    assert 'href="./table_1.csv"' in text


def test_missing_or_empty_folders_are_named(tmp_path: Path) -> None:
    with pytest.raises(RunPageError, match="no such folder"):
        write_run_page(tmp_path / "absent")
    with pytest.raises(RunPageError, match=r"no study folder with a manifest\.json"):
        write_run_page(tmp_path)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(RunPageError, match=r"broken/manifest\.json: cannot be read"):
        write_run_page(tmp_path)


def test_cli_report_rebuilds_the_page(tmp_path: Path) -> None:
    out, _ = _run(tmp_path)
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()
    result = CliRunner().invoke(app, ["report", str(tmp_path / "absent")])
    assert result.exit_code == 2 and "no such folder" in " ".join(result.output.split())


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (apt: chromium)")
def test_a_real_run_page_opens_in_headless_chromium(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = CliRunner().invoke(
        app,
        [
            "replicate",
            "resilience_provinces",
            "--scale",
            "tiny",
            "--out",
            str(out),
            "--cache-dir",
            str(tmp_path / "data"),
        ],
    )
    assert result.exit_code == 0, result.output
    page = out / "index.html"
    assert page.is_file()
    browser = _chromium()
    assert browser is not None
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(
        [*flags, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body is not None
    attrs = dict(re.findall(r'data-([a-z-]+)="(\d+)"', body.group(1)))
    manifest = json.loads((out / "resilience_provinces" / "manifest.json").read_text("utf-8"))
    figures = [e for e in manifest["entries"] if e["kind"] == "figure"]
    tables = [e for e in manifest["entries"] if e["kind"] == "table"]
    assert int(attrs["images"]) == len(figures) >= 1
    assert int(attrs["images-decoded"]) == len(figures)  # every PNG decoded by the browser
    assert int(attrs["tables"]) >= len(tables) + 2  # each table, the run and the truth check
    shot = tmp_path / "page.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    from PIL import Image

    image = Image.open(shot).convert("L")
    low, high = image.getextrema()
    assert high - low > 100  # text and lines on a white page, not a blank one
