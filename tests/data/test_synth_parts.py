"""The synthetic economy in parts: a part alone has the bytes it has in the whole economy, the
cache adds a missing part without touching the others, and bad part names are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vagg.cli import app
from vagg.data.dataset import synthetic_dataset, synthetic_matches
from vagg.data.synth import economy
from vagg.data.synth.assembly import merge_truth
from vagg.data.synth.economy import generate
from vagg.data.synth.parts import ALL_PARTS, PARTS, PartError, resolve_parts
from vagg.studies.base import Study, StudyError, TableEntry
from vagg.studies.prepare import study_parts


def _files(folder: Path) -> dict[str, str]:
    """Relative path → SHA-256 (from the manifest's own record of the files)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {name: sha for t in manifest["tables"].values() for name, sha in t["files"].items()}


def _without_timings(folder: Path) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {k: v for k, v in manifest.items() if k != "timings_s"}


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("full")
    generate("tiny", 0, out)
    return out


def test_registry_lists_what_each_part_writes(full: Path) -> None:
    manifest = json.loads((full / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["parts"]) == list(ALL_PARTS)
    for name, part in PARTS.items():
        assert manifest["parts"][name]["tables"] == sorted(part.tables), name
    # every file of the folder belongs to exactly one part
    on_disk = {
        p.relative_to(full).as_posix()
        for p in full.rglob("*.parquet")
        if not p.name.startswith(".")
    }
    assert on_disk == set(_files(full))


def test_a_part_alone_has_the_bytes_of_the_full_economy(full: Path, tmp_path: Path) -> None:
    alone = generate("tiny", 0, tmp_path / "provinces", parts="provinces")
    assert list(alone["parts"]) == ["core", "provinces"]  # provinces requires core
    files = _files(tmp_path / "provinces")
    expected = {t for p in ("core", "provinces") for t in PARTS[p].tables}
    assert set(alone["tables"]) == expected
    assert files == {k: v for k, v in _files(full).items() if k in files}
    assert len(files) == len(expected)  # none is partitioned
    truth = json.loads((tmp_path / "provinces" / "truth.json").read_text(encoding="utf-8"))
    whole = json.loads((full / "truth.json").read_text(encoding="utf-8"))
    assert truth["entries"] == {k: whole["entries"][k] for k in truth["entries"]}
    assert "sl_vag" in truth["entries"] and "planted" not in truth
    assert not any(k.startswith("dvar_firms.") for k in truth["entries"])


def test_a_dataset_built_part_by_part_equals_one_built_at_once(full: Path, tmp_path: Path) -> None:
    out = tmp_path / "stepwise"
    for parts in ("cities", "provinces", "firms"):  # not the registry's order on purpose
        generate("tiny", 0, out, parts=parts)
    assert _files(out) == _files(full)
    assert _without_timings(out) == _without_timings(full)
    assert (out / "truth.json").read_bytes() == (full / "truth.json").read_bytes()


def test_the_cache_adds_a_missing_part_and_leaves_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    for name, writer in list(economy._PART_WRITERS.items()):

        def counted(*args: object, _writer=writer, _name=name):  # type: ignore[no-untyped-def]
            calls.append(_name)
            return _writer(*args)

        monkeypatch.setitem(economy._PART_WRITERS, name, counted)
    folder, reused = synthetic_dataset("tiny", 0, tmp_path, parts=["provinces"])
    assert (reused, calls) == (False, ["core", "provinces"])
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*.parquet")}
    assert synthetic_matches(folder, "tiny", 0, parts=["provinces"])
    assert not synthetic_matches(folder, "tiny", 0, parts=["cities"])
    assert not synthetic_matches(folder, "tiny", 0)  # None: every part

    folder2, reused = synthetic_dataset("tiny", 0, tmp_path, parts=["cities"])
    assert (folder2, reused, calls[2:]) == (folder, False, ["cities"])
    assert {p: p.stat().st_mtime_ns for p in before} == before  # not rewritten
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["parts"]) == ["core", "provinces", "cities"]
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    assert "sl_vag" in truth["entries"] and "quality_cities.baseline" in truth["entries"]

    _, reused = synthetic_dataset("tiny", 0, tmp_path, parts=["provinces", "cities"])
    assert (reused, len(calls)) == (True, 3)


def test_an_interrupted_part_is_not_listed_and_is_redone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _ = synthetic_dataset("tiny", 0, tmp_path, parts=["core"])
    real = economy._PART_WRITERS["provinces"]

    def killed(out: Path, *args: object) -> None:
        (out / "province_panel.parquet").write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setitem(economy._PART_WRITERS, "provinces", killed)
    with pytest.raises(KeyboardInterrupt):
        synthetic_dataset("tiny", 0, tmp_path, parts=["provinces"])
    assert synthetic_matches(folder, "tiny", 0, parts=["core"])
    assert not synthetic_matches(folder, "tiny", 0, parts=["provinces"])
    monkeypatch.setitem(economy._PART_WRITERS, "provinces", real)
    _, reused = synthetic_dataset("tiny", 0, tmp_path, parts=["provinces"])
    assert not reused
    assert (folder / "province_panel.parquet").read_bytes()[:4] == b"PAR1"


def test_a_part_written_before_it_declared_a_table_is_redone(tmp_path: Path) -> None:
    folder, _ = synthetic_dataset("tiny", 0, tmp_path, parts=["cities"])
    assert synthetic_matches(folder, "tiny", 0, parts=["cities"])
    # the manifest of an older vagg, whose cities part had no firms table yet
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["parts"]["cities"]["tables"].remove("quality_cities/firms")
    manifest["tables"].pop("quality_cities/firms")
    path.write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "quality_cities" / "firms.parquet").unlink()
    assert not synthetic_matches(folder, "tiny", 0, parts=["cities"])
    _, reused = synthetic_dataset("tiny", 0, tmp_path, parts=["cities"])
    assert not reused
    assert (folder / "quality_cities" / "firms.parquet").is_file()
    assert synthetic_matches(folder, "tiny", 0, parts=["cities"])


def test_parts_resolve_with_what_they_require() -> None:
    assert resolve_parts(None) == ALL_PARTS == ("core", "firms", "provinces", "cities")
    assert resolve_parts("firms") == ("core", "firms", "provinces")
    assert resolve_parts(["cities"]) == ("cities",)
    assert resolve_parts(" cities , provinces") == ("core", "provinces", "cities")
    assert resolve_parts(["firms"], closure=False) == ("firms",)


@pytest.mark.parametrize("bad", ["provinces,plants", ["firm"], "", []])
def test_a_bad_part_name_lists_the_valid_parts(bad: object, tmp_path: Path) -> None:
    with pytest.raises(PartError, match="valid parts: core, firms, provinces, cities"):
        resolve_parts(bad)  # type: ignore[arg-type]
    with pytest.raises(PartError):
        synthetic_dataset("tiny", 0, tmp_path / "cache", parts=bad)  # type: ignore[arg-type]
    assert not (tmp_path / "cache").exists()  # refused before anything is written


def test_cli_refuses_a_bad_part_and_writes_one_part(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(
        app, ["synth", "--scale", "tiny", "--parts", "plants", "--out", str(tmp_path)]
    )
    assert bad.exit_code == 2
    text = " ".join(bad.output.split())  # the console wraps long lines
    assert "['plants']" in text and "valid parts: core, firms, provinces, cities" in text
    assert not (tmp_path / "manifest.json").exists()
    args = ["synth", "--scale", "tiny", "--parts", "provinces", "--out", str(tmp_path / "p")]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["parts"]) == ["core", "provinces"]
    assert not (tmp_path / "p" / "customs").exists()


def test_studies_declare_their_parts() -> None:
    def build(data: object, engine: object) -> list:
        return []

    entry = TableEntry("1", build)
    with pytest.raises(StudyError, match="valid parts"):
        Study("demo_parts", "t", [entry], synthetic_parts=("plants",))
    with pytest.raises(StudyError, match="sequence of part names"):
        Study("demo_parts", "t", [entry], synthetic_parts="provinces")
    provinces = Study("a", "t", [entry], synthetic_parts=("provinces",))
    cities = Study("b", "t", [entry], synthetic_parts=["cities"])
    everything = Study("c", "t", [entry])
    assert study_parts([cities, provinces]) == ("provinces", "cities")
    assert study_parts([provinces, everything]) is None


def test_registered_studies_ask_for_their_own_part_only() -> None:
    from vagg.studies import registry

    declared = {s.name: s.synthetic_parts for s in registry.all()}
    assert declared["resilience_provinces"] == ("provinces",)
    assert declared["internet_sophistication"] == ("provinces",)
    assert declared["quality_cities"] == ("cities",)
    assert declared["dvar_firms"] == ("firms",)


def test_two_parts_may_not_define_the_same_truth_key() -> None:
    merged = merge_truth({"cities": {"entries": {"b": 2}}, "firms": {"x": 1, "entries": {"a": 1}}})
    assert list(merged) == ["x", "entries"] and list(merged["entries"]) == ["a", "b"]
    with pytest.raises(PartError, match=r"\['a'\] of part 'provinces'"):
        merge_truth({"firms": {"entries": {"a": 1}}, "provinces": {"entries": {"a": 2}}})


def test_asking_again_rewrites_that_part_only(tmp_path: Path) -> None:
    generate("tiny", 0, tmp_path, parts="provinces")
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.parquet")}
    manifest = generate("tiny", 0, tmp_path, parts="provinces")
    changed = {p.name for p in tmp_path.glob("*.parquet") if p.stat().st_mtime_ns != stamps[p.name]}
    assert changed == {f"{t}.parquet" for t in PARTS["provinces"].tables}  # core kept
    assert list(manifest["parts"]) == ["core", "provinces"]
    other = generate("tiny", 1, tmp_path, parts="provinces")  # another economy: started anew
    assert other["seed"] == 1 and list(other["parts"]) == ["core", "provinces"]


def test_an_economy_of_other_generator_code_is_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same package version, scale and seed, but the generator's source changed: the cached
    economy is regenerated, not reused with its old truth."""
    from vagg.data.dataset import synthetic_dataset
    from vagg.data.synth import assembly

    first, reused = synthetic_dataset("tiny", 0, tmp_path, parts="provinces")
    assert not reused
    again, reused = synthetic_dataset("tiny", 0, tmp_path, parts="provinces")
    assert reused and again == first
    manifest = json.loads((first / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generator_source"] == assembly.generator_source_hash()
    monkeypatch.setattr(assembly, "generator_source_hash", lambda: "0" * 64)
    _, reused = synthetic_dataset("tiny", 0, tmp_path, parts="provinces")
    assert not reused
