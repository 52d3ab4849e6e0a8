"""The study ``resilience_firms`` (paper 003) end to end on the synthetic economy.

The tiny run checks that every exhibit is built with the shape of the table plan of spec 003
§5, that the outcomes are those of spec §3 (re-derived here from the raw customs lines), and
that every estimate with an estimand in ``truth.json`` covers it: the reference values are
the population estimands the generator computes from latent quantities
(``vagg.data.synth.truth_resilience`` and ``truth_mechanisms``), never from the study's
measures. The small run (slow) repeats the coverage count at seed 0.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.dataset import synthetic_dataset
from vagg.measures.customs import attach_firms
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


def test_tiny_run_builds_every_exhibit(tiny: tuple[RunReport, Path]) -> None:
    report, _ = tiny
    assert report.failed == []
    assert {o.key for o in report.outcomes} >= {
        *(f"table_{n}" for n in ("0a", "0b", "1", "2", "3", "3b", "4", "5", "6", "A1")),
        *(f"table_{n}" for n in range(7, 13)),
        "figure_1",
        "figure_2",
    }
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


def _truth(report: RunReport) -> pd.DataFrame:
    return pd.read_csv(report.out_dir / "truth_check.csv").set_index("parameter")


def test_tiny_run_covers_every_truth_row(tiny: tuple[RunReport, Path]) -> None:
    """Every declared check has its estimand in truth.json and an estimate; at tiny seed 0
    all 71 intervals cover the planted values (recorded when written)."""
    frame = _truth(tiny[0])
    assert len(frame) == len(TRUTH) == 71
    assert frame["note"].isna().all(), frame.loc[frame["note"].notna(), "note"].to_dict()
    assert frame["covered"].all(), frame.loc[~frame["covered"].astype(bool)].index.tolist()


def test_table_shapes(tiny: tuple[RunReport, Path]) -> None:
    report, _ = tiny
    table6 = _csv(report, "table_6")
    assert table6["column"].nunique() == 5  # vagg_h, vagg_f, vagg_b, I, and the Gain column
    for number, rows in (("7", 9), ("8", 9), ("9", 13), ("10", 16), ("11", 12), ("12", 9)):
        frame = _csv(report, f"table_{number}")
        # (M-a) cells for the three vagg, the mechanism's own test and a, δ, a·δ
        assert frame["equation"].nunique() == rows, number
    table3b = _csv(report, "table_3b")
    assert {f"e{e}" for e in range(5)} <= set(table3b["term"])


def test_staggered_did_recovers_the_ramp_that_twfe_averages_away(
    tiny: tuple[RunReport, Path],
) -> None:
    """The planted OPEX effect of joining builds up over four years (ATT(e) of truth.json).
    Callaway–Sant'Anna covers each ATT(e); the static two-way FE coefficient is one number,
    whose interval misses both the first-year and the full effect."""
    frame = _truth(tiny[0])
    att = [f"resilience_firms.staggered.opex_att.e{e}" for e in range(5)]
    assert frame.loc[att, "covered"].all()
    twfe = frame.loc["resilience_firms.staggered.opex_twfe"]
    for e in (0, 4):
        planted = frame.loc[att[e], "planted"]
        assert not twfe["ci_low"] <= planted <= twfe["ci_high"]


@pytest.mark.slow
def test_small_run_coverage(tmp_path: Path) -> None:
    """At small seed 0, 70 of the 71 rows cover (measured when written): the miss is the
    Callaway–Sant'Anna ATT(2) (−0.0068, s.e. 0.0009, against −0.0088), where the treated
    firms' counterfactual OPEX happens to rise 0.0020 more than the controls' in the
    balanced panel (measured on the latent records; a 95% interval misses about one row in
    twenty, and the 20-seed coverage is in test_resilience_firms_coverage)."""
    report, _ = _run("small", tmp_path)
    frame = _truth(report)
    assert report.failed == []
    assert frame["note"].isna().all()
    missed = frame.index[~frame["covered"].astype(bool)].tolist()
    assert len(missed) <= 2, missed


def test_a_party_linked_to_one_firm_keeps_it_in_every_year() -> None:
    """Party A is linked to firm 1 in 2007 and 2009 (in 2008 the firm was below the CIE
    threshold): its 2008 lines stay with firm 1. Party B was linked to firm 2, then to
    firm 3: it keeps its year-by-year links."""
    links = pl.DataFrame(
        {
            "party_id": ["A", "A", "B", "B"],
            "year": [2007, 2009, 2007, 2008],
            "firm_id": ["1", "1", "2", "3"],
        }
    )
    always, yearly = panels.party_links(links)
    assert always.to_dicts() == [{"party_id": "A", "firm_id": "1"}]
    assert sorted(yearly.rows()) == [("B", 2007, "2"), ("B", 2008, "3")]
    customs = pl.DataFrame(
        {"party_id": ["A", "A", "A", "B", "B"], "year": [2007, 2008, 2009, 2007, 2009],
         "value_usd": [1.0, 2.0, 3.0, 4.0, 5.0]}
    )  # fmt: skip
    lines = pl.concat(
        [attach_firms(customs.lazy(), always).collect(),
         attach_firms(customs.lazy(), yearly).collect()]
    )  # fmt: skip
    got = sorted(lines.select("party_id", "year", "firm_id").rows())
    # B's 2009 line has no link (B was linked to two firms, neither in 2009)
    assert got == [("A", 2007, "1"), ("A", 2008, "1"), ("A", 2009, "1"), ("B", 2007, "2")]
