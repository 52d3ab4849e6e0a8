"""The study ``dvar_firms`` (paper 000) end to end on the synthetic economy.

Independent references: the minimal implementation of paper 000 eq. (6)–(7) from the raw
tables in ``tests/data/test_synth.py`` (``_dvar_panel``: pandas, its own name matching and
IO shares) estimated with pyfixest 0.60 ``feols`` for Table 1; numpy means and standard
deviations for the descriptive statistics; the planted values of ``truth.json`` for the
coverage test on the ``small`` economy (marked slow).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyfixest as pf
import pytest

from vagg.data.dataset import synthetic_dataset
from vagg.data.io import read_dataset
from vagg.report.layouts import MIN_FIRMS, SUPPRESSED, frame_table, stack_equations
from vagg.studies import registry
from vagg.studies.base import FigureEntry, TableEntry
from vagg.studies.data import StudyData
from vagg.studies.dvar_firms.descriptives import describe
from vagg.studies.runner import RunReport, run_study

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from test_synth import _dvar_panel  # the independent implementation of eq. (6)–(7)

FORMATS = ("md", "tex", "html", "docx", "xlsx", "csv")
TRUTHS = [
    *[f"dvar_firms.table1.{v}" for v in ("vagg_h", "vagg_f", "vagg_b")],
    *[f"dvar_firms.table6.markup_on_{v}" for v in ("vagg_h", "vagg_f", "vagg_b")],
    *[f"dvar_firms.table7.rpdip_on_{v}" for v in ("vagg_h", "vagg_f", "vagg_b")],
    *[f"dvar_firms.table8.exp_var_on_{v}" for v in ("vagg_h", "vagg_f", "vagg_b")],
    "dvar_firms.dvar_on_log_markup_alone",
    "dvar_firms.dvar_on_rpdip_alone",
    "dvar_firms.dvar_on_log_markup",
    "dvar_firms.dvar_on_rpdip",
    "dvar_firms.mean_dvar_processing",
    "dvar_firms.mean_dvar_ordinary",
    "dvar_firms.mean_dvar_mixed",
    "dvar_firms.mean_dvar_o_mixed",
]


def _run(scale: str, root: Path) -> tuple[RunReport, Path]:
    dataset, _ = synthetic_dataset(scale, 0, root / "data")
    data = StudyData(dataset, seed=0, scale=scale, cache_dir=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = run_study(registry.get("dvar_firms"), data, root / "results", engine=None)
    return report, dataset


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunReport, Path]:
    return _run("tiny", tmp_path_factory.mktemp("dvar_tiny"))


def test_every_entry_runs_and_writes_every_file(tiny: tuple[RunReport, Path]) -> None:
    report, _ = tiny
    assert report.ok, {o.key: o.record.get("error", {}).get("message") for o in report.outcomes}
    study = registry.get("dvar_firms")
    for entry in study.entries:
        if isinstance(entry, TableEntry):
            for fmt in FORMATS:
                assert (report.out_dir / f"{entry.key}.{fmt}").stat().st_size > 0
        else:
            assert isinstance(entry, FigureEntry)
            assert (report.out_dir / f"{entry.key}.png").stat().st_size > 0
    manifest = json.loads((report.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    stages = {note["stage"] for note in manifest["exclusions"]}
    assert "DVAR eq. (6): linked firm-years" in stages
    assert "cleaning rules (§2.3)" in stages
    assert "linkage: customs party-years not linked to a CIE firm" in stages


def test_truth_check_has_the_expected_rows(tiny: tuple[RunReport, Path]) -> None:
    """One row per declared check, every check's key among the estimands the generator
    wrote to truth.json, at least 60 of them; a row without an estimate (an equation the
    tiny economy cannot identify) says why."""
    report, dataset = tiny
    frame = pd.read_csv(report.out_dir / "truth_check.csv")
    keys = [c.key for c in registry.get("dvar_firms").truth]
    assert frame["parameter"].tolist() == keys
    assert len(keys) >= 60 and set(TRUTHS) <= set(keys)
    entries = json.loads((dataset / "truth.json").read_text(encoding="utf-8"))["entries"]
    assert set(keys) <= set(entries)
    assert frame["planted"].notna().all()
    blank = frame[frame["estimate"].isna()]
    assert blank["note"].notna().all() and len(blank) < len(frame) / 4
    assert frame.loc[frame["estimate"].notna(), "se"].gt(0).all()
    tables = dict(zip(frame["parameter"], frame["table"], strict=True))
    assert tables["dvar_firms.table1.vagg_h"] == "table_1"
    assert tables["dvar_firms.table6.markup_on_vagg_b"] == "table_6"
    assert tables["dvar_firms.dvar_on_rpdip"] == "table_6b"
    assert tables["dvar_firms.table4b.east_west.vagg_f"] == "table_4b"


def test_table1_agrees_with_the_independent_dvar_panel(tiny: tuple[RunReport, Path]) -> None:
    """Table 1 column (2) against pyfixest on the DVAR panel built independently from the raw
    tables (tests/data/test_synth.py): same coefficient; standard errors within 1% (pyfixest
    keeps singletons and uses its own small-sample factor). The independent panel applies the
    one cleaning rule of §2.3 that binds on the synthetic CIE (fewer than 8 employees)."""
    report, dataset = tiny
    panel = _dvar_panel(read_dataset(dataset))
    inside = panel[(panel["dvar"] >= 0) & (panel["dvar"] <= 1) & (panel["employment"] >= 8)]
    fit = pf.feols(
        "dvar ~ vagg_h + age + size + cl + debt + herfind | firm_id + cic4 + year",
        data=inside,
        vcov={"CRV1": "firm_id"},
    )
    outcome = next(o for o in report.outcomes if o.key == "table_1")
    ours = outcome.results[1]
    assert ours.params["vagg_h"] == pytest.approx(fit.coef()["vagg_h"], rel=1e-6)
    assert ours.bse["vagg_h"] == pytest.approx(fit.se()["vagg_h"], rel=0.01)


def test_packed_tables_keep_one_row_per_equation(tiny: tuple[RunReport, Path]) -> None:
    """Tables 4–8 print one equation per cell; the CSV lists each equation with its own N,
    and every equation of the paper's count is either there or recorded as not estimated."""
    report, _ = tiny
    manifest = json.loads((report.out_dir / "manifest.json").read_text(encoding="utf-8"))
    records = {e["key"]: e for e in manifest["entries"]}
    for key, count in (("table_4", 30), ("table_5", 15), ("table_6", 21), ("table_7", 13),
                       ("table_8", 15)):  # fmt: skip
        csv = pd.read_csv(report.out_dir / f"{key}.csv")
        equations = csv["equation"].nunique()
        skipped = [n for n in records[key]["exclusions"] if n["stage"].startswith("not estimated")]
        assert equations + len(skipped) == count, key
        nobs = csv.groupby("equation")["nobs"].nunique()
        assert (nobs == 1).all()
    table6 = (report.out_dir / "table_6.md").read_text(encoding="utf-8")
    assert "IV-2SLS" in table6 and "Kleibergen-Paap rk LM" in table6


def test_stacked_column_keeps_each_equations_estimate(tiny: tuple[RunReport, Path]) -> None:
    report, _ = tiny
    outcome = next(o for o in report.outcomes if o.key == "table_1")
    with_h, with_f = outcome.results[1], outcome.results[3]
    stacked = stack_equations({"vagg_h": (with_h, "vagg_h"), "vagg_f": (with_f, "vagg_f")})
    assert stacked.params["vagg_h"] == with_h.params["vagg_h"]
    assert stacked.bse["vagg_f"] == pytest.approx(with_f.bse["vagg_f"], rel=1e-12)
    assert np.isnan(stacked.vcov.loc["vagg_h", "vagg_f"])
    assert stacked.df_resid == min(with_h.df_resid, with_f.df_resid)
    assert stacked.diagnostics["N"] == {"vagg_h": with_h.nobs, "vagg_f": with_f.nobs}


def test_statistics_table_suppresses_cells_of_few_firms() -> None:
    rows = [("a", [1.23456, 7], [MIN_FIRMS, MIN_FIRMS]), ("b", [2.0, 3], [MIN_FIRMS - 1, 40])]
    table = frame_table(rows, columns=["x", "n"], stub="", title="t", notes=[], lang="en")
    cells = {row.label: row.cells for row in table.rows}
    assert cells == {"a": ("1.2346", "7"), "b": (SUPPRESSED, "3")}
    assert table.estimates["suppressed"].tolist() == [False, False, True, False]
    assert np.isnan(table.estimates["value"].iloc[2])


def test_describe_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=50)
    x[[4, 9]] = np.nan
    frame = pl.DataFrame({"firm_id": [f"f{i % 12}" for i in range(50)], "x": x})
    stats = describe(frame, ["x"]).iloc[0]
    finite = x[~np.isnan(x)]
    assert stats["n"] == 48 and stats["firms"] == 12
    assert stats["mean"] == pytest.approx(finite.mean(), rel=1e-12)
    assert stats["sd"] == pytest.approx(finite.std(ddof=1), rel=1e-12)
    assert (stats["min"], stats["max"]) == (finite.min(), finite.max())


# ---------------------------------------------------------------------------- small, slow

CORE = [*TRUTHS[:9], "dvar_firms.dvar_on_log_markup", "dvar_firms.dvar_on_rpdip"]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunReport, Path]:
    return _run("small", tmp_path_factory.mktemp("dvar_small"))


@pytest.mark.slow
def test_small_covers_the_planted_values(small: tuple[RunReport, Path]) -> None:
    """Table 1, the markup (Table 6) and rpdip (Table 7) equations cover their planted values
    on the small economy (seed 0); Table 4 shows the planted heterogeneity."""
    report, _ = small
    assert report.ok
    frame = pd.read_csv(report.out_dir / "truth_check.csv").set_index("parameter")
    missed = frame.loc[CORE][~frame.loc[CORE, "covered"].astype(bool)]
    assert missed.empty, missed[["planted", "estimate", "se"]]
    table4 = pd.read_csv(report.out_dir / "table_4.csv")
    b: dict[Any, float] = {
        (r.column.split(" ", 1)[1], r.row): r.estimate
        for r in table4[table4["term"] == table4["row"]].itertuples()
    }
    for v in ("vagg_h", "vagg_f", "vagg_b"):
        assert b[("私营", v)] > max(b[("国有", v)], b[("外资", v)])
        assert b[("非加工", v)] > b[("加工", v)]
        assert b[("东部", v)] > b[("西部", v)]
        assert b[("非高新", v)] > b[("高新", v)]


def _options(**changed: object) -> dict[str, object]:
    study = registry.get("dvar_firms")
    return {**{o.name: o.default for o in study.options}, **changed}


def test_markup_correction_option_subtracts_the_first_stage_residual(
    tiny: tuple[RunReport, Path],
) -> None:
    """DLW (2012) eq. (11): the corrected share is α·exp(ε̂), so log μ_dlw = log μ − ε̂, with
    ε̂ the ACF first-stage residual estimated here independently of the study."""
    from vagg.measures.production import acf
    from vagg.studies.dvar_firms.panels import (
        MARKUP_SHIFTERS,
        linkage,
        production,
        production_panel,
    )

    _, dataset = tiny
    frames = {}
    for value in ("none", "dlw"):
        data = StudyData(dataset, options=_options(markup_correction=value))
        frames[value] = production(data, linkage(data)).select("firm_id", "year", "log_markup")
    data = StudyData(dataset, options=_options())
    panel = production_panel(data, linkage(data))
    try:
        fit = acf(
            panel,
            output="gross_output",
            by="cic2",
            shifters=MARKUP_SHIFTERS,
            first_stage_firm_effects=True,
        )
    except ValueError:
        fit = acf(
            panel,
            output="gross_output",
            by=None,
            shifters=MARKUP_SHIFTERS,
            first_stage_firm_effects=True,
        )
    epsilon = fit.firm_years.select("firm_id", "year", "epsilon")
    both = (
        frames["none"]
        .join(frames["dlw"], on=["firm_id", "year"], suffix="_dlw")
        .join(epsilon, on=["firm_id", "year"])
        .drop_nulls()
    )
    assert both.height > 100
    gap = both["log_markup"] - both["epsilon"] - both["log_markup_dlw"]
    assert float(gap.abs().max()) < 1e-9


def test_did_level_option_reaches_the_switchers(
    tiny: tuple[RunReport, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """did_level="io_sector": the firm-years' treat/post are the IO-sector switches of
    :func:`vagg.measures.firm_controls.industry_switchers`, not the CIC4 ones."""
    from vagg.measures.firm_controls import industry_switchers
    from vagg.studies.dvar_firms import panels

    levels: list[str] = []

    def spy(firms: Any, *, industries: Any = None, level: str = "cic4") -> Any:
        levels.append(level)
        return industry_switchers(firms, industries=industries, level=level)  # type: ignore[arg-type]

    monkeypatch.setattr(panels, "industry_switchers", spy)
    _, dataset = tiny
    data = StudyData(dataset, options=_options(did_level="io_sector"))
    markups = pl.DataFrame(
        schema={
            "firm_id": pl.String,
            "year": pl.Int64,
            "markup": pl.Float64,
            "log_markup": pl.Float64,
            "markup_status": pl.String,
            "tfp": pl.Float64,
        }
    )
    frame = panels.firm_years(data, panels.linkage(data), markups)
    assert levels == ["io_sector"]
    expected = industry_switchers(
        data.table("firms"), industries=data.table("industries"), level="io_sector"
    )
    got = frame.select("firm_id", "year", "treat", "post").sort("firm_id", "year")
    want = expected.select("firm_id", "year", "treat", "post").sort("firm_id", "year")
    assert got.equals(want)
