"""Mutation tests of the study ``dvar_firms``: each careless reading of paper 000 makes the
truth check fail.

The synthetic economy writes imports from the firms' sourcing choices and the true DVAR
from the latent imported inputs (``vagg.data.synth.trade``), never from eq. (6), so a measure
that misreads eq. (6) no longer reproduces the generator. Each test patches one measure the
way a careless reader would, reruns the exhibits that carry the affected truth rows on the
``tiny`` economy, and asserts that at least one row named in the test is not covered — and
the unpatched run (``test_unpatched_rows_cover``) shows those rows do cover.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

from vagg.data.dataset import synthetic_dataset
from vagg.measures import value_added
from vagg.studies import registry
from vagg.studies.data import StudyData
from vagg.studies.dvar_firms import panels
from vagg.studies.runner import run_study

LEVEL_ROWS = [
    "dvar_firms.mean_dvar_processing",
    "dvar_firms.mean_dvar_ordinary",
    "dvar_firms.mean_dvar_mixed",
    "dvar_firms.mean_dvar_o_mixed",
]
MARKUP_ROW = "dvar_firms.dvar_on_log_markup"
RPDIP_ROWS = [f"dvar_firms.table7.rpdip_on_{v}" for v in ("vagg_h", "vagg_f", "vagg_b")]
#: Table 7 (5): DVAR on rpdip alone — its sign follows rpdip's, whatever vagg's link to rpdip
RPDIP_SLOPE = "dvar_firms.dvar_on_rpdip_alone"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = synthetic_dataset("tiny", 0, tmp_path_factory.mktemp("mutations"))
    return path


def _truth(
    dataset: Path, out: Path, entries: tuple[str, ...], options: dict[str, Any] | None = None
) -> pd.DataFrame:
    """truth_check.csv of a run of the study restricted to ``entries`` (table numbers)."""
    study = registry.get("dvar_firms")
    keep = [e for e in study.entries if getattr(e, "number", None) in entries]
    checks = [c for c in study.truth if c.entry in entries]  # type: ignore[union-attr]
    reduced = dataclasses.replace(study, entries=keep, truth=checks)
    data = StudyData(dataset, seed=0, scale="tiny", cache_dir=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = run_study(reduced, data, out, engine=None, options=options)
    return pd.read_csv(report.out_dir / "truth_check.csv").set_index("parameter")


def _failed(frame: pd.DataFrame, rows: list[str]) -> list[str]:
    print(frame.loc[rows, ["planted", "estimate", "se", "covered"]].to_string())
    return [r for r in rows if not bool(frame.loc[r, "covered"])]


def test_unpatched_rows_cover(dataset: Path, tmp_path: Path) -> None:
    frame = _truth(dataset, tmp_path, ("1b", "6b", "7"))
    assert _failed(frame, [*LEVEL_ROWS, *RPDIP_ROWS, RPDIP_SLOPE, MARKUP_ROW]) == []


def test_markups_without_the_correction_fail(dataset: Path, tmp_path: Path) -> None:
    """The raw materials share as the markup (no DLW first-stage correction): the output
    shock ε of the technology moves both the share and the true DVAR, and the markup
    coefficient of Table 6b leaves its interval."""
    frame = _truth(dataset, tmp_path, ("6b",), {"markup_correction": "none"})
    assert _failed(frame, [MARKUP_ROW])


def test_delta_zero_fails(dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """δ_jt = 0 in eq. (6): the foreign content of domestic inputs is forgotten."""
    original = panels.import_share_by_year

    def no_delta(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **kwargs).with_columns(pl.lit(0.0).alias("delta"))

    monkeypatch.setattr(panels, "import_share_by_year", no_delta)
    frame = _truth(dataset, tmp_path, ("1b",))
    assert _failed(frame, LEVEL_ROWS)


def test_no_intermediary_gross_up_fails(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Imports not grossed up by 1/(1 − m_k): the indirect imports through intermediaries
    are left out."""
    original = panels.intermediary_shares

    def no_gross_up(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **kwargs).with_columns(pl.lit(0.0).alias("m"))

    monkeypatch.setattr(panels, "intermediary_shares", no_gross_up)
    frame = _truth(dataset, tmp_path, ("1b",))
    assert _failed(frame, LEVEL_ROWS)


def test_ordinary_imports_over_output_fails(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ordinary imports allocated by EX_o / Y instead of EX_o / (D + EX_o) = EX_o/(Y − EX_p)."""
    original = value_added._dvar_formulas

    def over_output(kept: pl.LazyFrame, variant: str, *args: Any) -> pl.LazyFrame:
        frame = original(kept, variant, *args)
        wrong = 1.0 - pl.col("mia_o") / pl.col("y_usd") - pl.col("delta")
        rt = pl.col("regime_type")
        return frame.with_columns(
            pl.when(rt != "processing").then(wrong).alias("dvar_o")
        ).with_columns(
            pl.when(rt == "processing")
            .then(pl.col("dvar_p"))
            .when(rt == "ordinary")
            .then(pl.col("dvar_o"))
            .otherwise(pl.col("kappa_p") * pl.col("dvar_p") + pl.col("kappa_o") * pl.col("dvar_o"))
            .alias("dvar")
        )

    monkeypatch.setattr(value_added, "_dvar_formulas", over_output)
    frame = _truth(dataset, tmp_path, ("1b",))
    assert _failed(frame, ["dvar_firms.mean_dvar_o_mixed"])


def test_flipped_rpdip_sign_fails(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rpdip with the opposite sign (−log(1 + upstream varieties))."""
    original = panels.firm_rpdip

    def flipped(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **kwargs).with_columns(-pl.col("rpdip"))

    monkeypatch.setattr(panels, "firm_rpdip", flipped)
    frame = _truth(dataset, tmp_path, ("7",))
    assert _failed(frame, [*RPDIP_ROWS, RPDIP_SLOPE])


VAGG_ROWS = [f"dvar_firms.table1.{v}" for v in ("vagg_f", "vagg_b")]


def test_unpatched_design_rows_cover(dataset: Path, tmp_path: Path) -> None:
    """The rows the mutations below break cover on the unpatched chain."""
    frame = _truth(dataset, tmp_path, ("1",))
    assert _failed(frame, VAGG_ROWS) == []


def test_diagonal_kept_in_vagg_f_and_vagg_b_fails(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vagg_f / vagg_b summed over all sectors k, the firm's own sector included (eq. 8–9
    say k ≠ j): the upstream and downstream measures absorb the horizontal one."""
    original = panels.virtual_agglomeration

    def with_diagonal(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **{**kwargs, "diagonal": True})

    monkeypatch.setattr(panels, "virtual_agglomeration", with_diagonal)
    frame = _truth(dataset, tmp_path, ("1",))
    assert _failed(frame, VAGG_ROWS)


def test_own_sector_import_share_as_delta_fails(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """δ_j read as the sector's own import share μ_j = imports / (output + imports − exports)
    instead of the imported share of its intermediate inputs Σ_k w_jk μ_k (eq. 6's indirect
    imports through domestic inputs)."""
    original = panels.import_share_by_year

    def own_share(io_national: Any, io_totals: Any, years: Any) -> Any:
        out = original(io_national, io_totals, years)
        totals = pl.DataFrame(io_totals) if not isinstance(io_totals, pl.DataFrame) else io_totals
        mu = totals.select(
            pl.col("sector").alias("io_sector"),
            pl.col("year").alias("benchmark"),
            (pl.col("imports") / (pl.col("output") + pl.col("imports") - pl.col("exports"))).alias(
                "mu"
            ),
        )
        joined = out.join(mu, on=["io_sector", "benchmark"], how="left")
        return joined.with_columns(pl.col("mu").alias("delta")).drop("mu")

    monkeypatch.setattr(panels, "import_share_by_year", own_share)
    frame = _truth(dataset, tmp_path, ("1b",))
    assert _failed(frame, LEVEL_ROWS)
