"""The study ``resilience_firms`` (paper 003) end to end on the synthetic economy.

The tiny run checks that every exhibit the dataset allows is built, with the shape of the
table plan of spec 003 §5, and that the outcomes are those of spec §3 computed by
:mod:`vagg.measures.export_resilience` (re-derived here from the raw customs lines).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.dataset import synthetic_dataset
from vagg.studies import registry
from vagg.studies.data import StudyData
from vagg.studies.resilience_firms import panels
from vagg.studies.resilience_firms.checks import TRUTH
from vagg.studies.runner import RunReport, run_study


def _options(**changed: object) -> dict[str, object]:
    study = registry.get("resilience_firms")
    return {**{o.name: o.default for o in study.options}, **changed}


def _run(scale: str, root: Path) -> tuple[RunReport, Path]:
    dataset, _ = synthetic_dataset(scale, 0, root / "data")
    data = StudyData(dataset, seed=0, scale=scale, cache_dir=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = run_study(registry.get("resilience_firms"), data, root / "results", engine=None)
    return report, dataset


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunReport, Path]:
    return _run("tiny", tmp_path_factory.mktemp("resilience_firms_tiny"))


def _csv(report: RunReport, key: str) -> pd.DataFrame:
    return pd.read_csv(report.out_dir / f"{key}.csv")


def test_study_is_registered_with_enough_truth_checks() -> None:
    study = registry.get("resilience_firms")
    assert len(study.checks) == len(TRUTH) >= 40
    assert len({c.key for c in TRUTH}) == len(TRUTH)
    numbers = {e.number for e in study.entries if e.kind == "table"}
    assert {"0a", "0b", "1", "2", "3", "3b", "4", "5", "6", *map(str, range(7, 13))} <= numbers


def test_tiny_run_builds_the_customs_tables(tiny: tuple[RunReport, Path]) -> None:
    report, _ = tiny
    status = {o.key: o.status for o in report.outcomes}
    for key in ("table_0a", "table_0b", "table_1", "table_2", "table_4", "table_5", "table_A1"):
        assert status[key] == "ok", key
    table1 = _csv(report, "table_1")
    # 4 outcomes × (without, with controls) × 3 vagg measures
    assert table1["equation"].nunique() == 24
    assert set(table1["row"]) == {"vagg_h", "vagg_f", "vagg_b"}
    table4 = _csv(report, "table_4")
    assert table4["column"].nunique() >= 8  # a tiny economy may lack a group's members
    table5 = _csv(report, "table_5")
    assert table5["column"].nunique() == 8


def test_resistance_is_the_midpoint_growth_relative_to_the_cic2_mean(
    tiny: tuple[RunReport, Path],
) -> None:
    """RESIS of spec 003 §3 re-derived from the raw linked customs exports: DH growth
    2008→2009 (exit −2) minus the mean over sample C of the firm's 2007 CIC2."""
    _, dataset = tiny
    data = StudyData(dataset, seed=0, scale="tiny", cache_dir=None, options=_options())
    d = panels.derive(data)
    cross = d["cross"].to_pandas().set_index("firm_id")
    x = d["exports"].group_by("firm_id", "year").agg(pl.col("value_usd").sum()).to_pandas()
    wide = x.pivot(index="firm_id", columns="year", values="value_usd").fillna(0.0)
    wide = wide.reindex(cross.index).fillna(0.0)
    x8, x9 = wide[2008], wide[2009]
    keep = (x8 + x9) > 0
    g = ((x9 - x8) / ((x9 + x8) / 2))[keep]
    cic2 = cross.loc[keep, "cic4"].str[:2]
    expected = g - g.groupby(cic2).transform("mean")
    np.testing.assert_allclose(cross.loc[keep, "RESIS"], expected, atol=1e-12)
    assert cross.loc[~keep, "RESIS"].isna().all()
    surv = cross.loc[x8 > 0, "SURV"]
    np.testing.assert_array_equal(surv.to_numpy(), (x9[x8 > 0] > 0).astype(int).to_numpy())
