"""Mutation tests of the study ``resilience_firms``: a careless reading of spec 003 makes the
truth check fail.

The generator computes its truth from the latent trade records with the Davis–Haltiwanger
midpoint growth (``vagg.data.synth.resilience_latent.dh``: exit = −2), never through the
study's measures. A study that measures RESIS with the plain growth rate
(X_2009 − X_2008)/X_2008 of the survivors — exits left out, as a percentage change must —
loses the exits through which platform members resist, and no longer reproduces it.
``test_unpatched_rows_cover`` shows the same rows cover without the mutation. All run on the
small economy (the tiny one has too few exits to tell the definitions apart).

Two more careless readings, each made detectable by a planted primitive (not by the measure):

* **a shock that leaks future information** — FD_ft weighted by the firm's year-t export
  shares instead of those of t − 1. Firms retrench from shrinking markets in a year their
  sales fall (``ResiliencePlanted.retrench_shrinking``), so the year-t basket already holds
  the year-t outcome: Loss looks smaller exactly where Δ ln X is low, and the Loss
  coefficients of Table 6 move away from the planted ones (measured at small seed 0: β1 with
  vagg_h +0.54, s.e. 0.14, against the planted −0.23);
* **a mediation without the controls** — larger firms join the platform sooner
  (``firms.ADOPTION_SIZE``) and have lower expense ratios (``cie_accounts.SCALE_ECONOMY``),
  so without the size control the a-path of OPEX_2008 (Table 11) picks up the scale economy
  (measured at small seed 0: −0.160, s.e. 0.017, against the planted −0.083).
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

import vagg
from vagg.data.dataset import synthetic_dataset
from vagg.studies import registry
from vagg.studies.data import StudyData
from vagg.studies.resilience_firms import panels
from vagg.studies.runner import run_study

_VAGG = ("vagg_h", "vagg_f", "vagg_b")
RESIS_ROWS = [f"resilience_firms.table1.RESIS.{v}" for v in _VAGG]
SHOCK_ROWS = [
    *(f"resilience_firms.table6.loss.{v}" for v in _VAGG),
    *(f"resilience_firms.table6.loss_x_{v}" for v in (*_VAGG, "I")),
    "resilience_firms.table6.gain_x_vagg_h",
]
MEDIATION_ROWS = [
    f"resilience_firms.table11.mediation.OPEX_2008.{part}" for part in ("a", "b", "indirect")
]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = synthetic_dataset("small", 0, tmp_path_factory.mktemp("resilience_mutations"))
    return path


def _truth(dataset: Path, out: Path, entries: tuple[str, ...]) -> pd.DataFrame:
    study = registry.get("resilience_firms")
    keep = [e for e in study.entries if getattr(e, "number", None) in entries]
    checks = [c for c in study.truth if c.entry in entries]  # type: ignore[union-attr]
    reduced = dataclasses.replace(study, entries=keep, truth=checks)
    options = {o.name: o.default for o in study.options}
    options["mediation_bootstrap"] = 0  # the checks read Sobel's errors; no resampling needed
    data = StudyData(dataset, seed=0, scale="small", cache_dir=None, options=options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = run_study(reduced, data, out, engine=None)
    return pd.read_csv(report.out_dir / "truth_check.csv").set_index("parameter")


def _failed(frame: pd.DataFrame, rows: list[str]) -> list[str]:
    return [r for r in rows if not bool(frame.loc[r, "covered"])]


@pytest.mark.slow
def test_unpatched_rows_cover(dataset: Path, tmp_path: Path) -> None:
    frame = _truth(dataset, tmp_path, ("1", "6", "11"))
    assert _failed(frame, [*RESIS_ROWS, *SHOCK_ROWS, *MEDIATION_ROWS]) == []


@pytest.mark.slow
def test_plain_growth_instead_of_the_midpoint_growth_fails(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = panels.resistance

    def plain_growth(trade: pl.DataFrame, groups: Any, **options: Any) -> Any:
        measure = real(trade, groups, **options)
        group = options.get("group", "cic2")
        x = trade.group_by("firm_id", "year").agg(pl.col("value_usd").sum())
        x8 = x.filter(pl.col("year") == 2008).select("firm_id", pl.col("value_usd").alias("x8"))
        x9 = x.filter(pl.col("year") == 2009).select("firm_id", pl.col("value_usd").alias("x9"))
        table = (
            measure.table.join(x8, on="firm_id", how="left")
            .join(x9, on="firm_id", how="left")
            .filter(pl.col("x9") > 0)
            .with_columns(((pl.col("x9") - pl.col("x8")) / pl.col("x8")).alias("g"))
            .with_columns((pl.col("g") - pl.col("g").mean().over(group)).alias("RESIS"))
        )
        return dataclasses.replace(measure, table=table)

    monkeypatch.setattr(panels, "resistance", plain_growth)
    assert _failed(_truth(dataset, tmp_path, ("1",)), RESIS_ROWS) != []


@pytest.mark.slow
def test_demand_shock_with_year_t_shares_fails(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FD_t = Σ w_fdh,t Δ ln M_dht: the shares of the shock year itself (the trade passed
    one year early, so the measure's lagged shares are those of t)."""
    real = panels.foreign_demand_shocks

    def current_shares(trade: pl.DataFrame, world_imports: Any, **options: Any) -> Any:
        return real(trade.with_columns(pl.col("year") - 1), world_imports, **options)

    monkeypatch.setattr(panels, "foreign_demand_shocks", current_shares)
    assert _failed(_truth(dataset, tmp_path, ("6",)), SHOCK_ROWS) != []


@pytest.mark.slow
def test_mediation_without_the_controls_fails(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(M-b) with the CIC4 and city effects but without age, size, cl, debt, herfind and
    ln X_2007."""
    real = vagg.mediation

    def no_controls(data: Any, **options: Any) -> Any:
        return real(data, **{**options, "controls": []})

    monkeypatch.setattr(vagg, "mediation", no_controls)
    assert _failed(_truth(dataset, tmp_path, ("11",)), MEDIATION_ROWS) != []
