"""The command line's services around a run: `vagg info`, the default synthetic folder and a
run on a Dask scheduler given by address (identical tables to the local engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vagg.cli import app


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_info_names_versions_font_engines_and_cache(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"x" * 2**20)
    result = CliRunner().invoke(app, ["info", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = _flat(result.output)
    for item in ("numpy", "polars", "pyfixest", "Chinese font", "engines", "cache"):
        assert item in text
    assert "Noto Sans CJK SC" in text
    assert "(1.0 MB)" in text


def test_synth_without_out_writes_by_scale_and_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["synth", "--scale", "tiny", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "tiny-seed3" / "manifest.json").is_file()
    assert not (tmp_path / "data" / "small").exists()


def test_scheduler_needs_the_dask_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "replicate",
            "resilience_provinces",
            "--scale",
            "tiny",
            "--scheduler",
            "tcp://127.0.0.1:1",
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 2
    assert "needs --engine dask" in _flat(result.output)


def test_replicate_on_a_scheduler_address_matches_local(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    cache = tmp_path / "data"
    local = CliRunner().invoke(
        app,
        [
            "replicate",
            "resilience_provinces",
            "--scale",
            "tiny",
            "--out",
            str(tmp_path / "a"),
            "--cache-dir",
            str(cache / "a"),
        ],
    )
    assert local.exit_code == 0, local.output
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        remote = CliRunner().invoke(
            app,
            [
                "replicate",
                "resilience_provinces",
                "--scale",
                "tiny",
                "--engine",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--out",
                str(tmp_path / "b"),
                "--cache-dir",
                str(cache / "b"),  # its own cache: every entry is computed on the cluster
            ],
        )
    assert remote.exit_code == 0, remote.output
    a = sorted((tmp_path / "a" / "resilience_provinces").glob("*.csv"))
    b = sorted((tmp_path / "b" / "resilience_provinces").glob("*.csv"))
    assert [p.name for p in a] == [p.name for p in b] and len(a) >= 5
    for left, right in zip(a, b, strict=True):
        assert left.read_bytes() == right.read_bytes(), left.name
    manifest = json.loads((tmp_path / "b" / "resilience_provinces" / "manifest.json").read_text())
    assert manifest["engine"]["name"] == "Dask"
    assert not any(entry.get("cached") for entry in manifest["entries"])


def test_replicate_shows_how_the_data_generation_advances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import contextmanager

    import vagg.progress
    from vagg.studies import replicate

    seen: list[tuple[str, str, float]] = []

    @contextmanager
    def recorded(console: object, description: str, **kwargs: object):  # type: ignore[no-untyped-def]
        yield lambda stage, done: seen.append((description, stage, done))

    monkeypatch.setattr(vagg.progress, "fraction_bar", recorded)
    cache = tmp_path / "data"
    replicate(["resilience_provinces"], scale="tiny", cache_dir=cache, out=tmp_path / "r")
    assert seen, "no progress was reported while generating"
    assert {d for d, _, _ in seen} == {"synth tiny"}
    fractions = [done for _, _, done in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert any(stage.startswith("provinces") for _, stage, _ in seen)
    seen.clear()
    replicate(["resilience_provinces"], scale="tiny", cache_dir=cache, out=tmp_path / "r2")
    assert [done for _, _, done in seen if done > 0] == [], "a reused dataset reports no work"
