"""Markups and productivity of ``dvar_firms`` against the planted technology (tiny economy).

The synthetic economy's firms produce with a Cobb–Douglas technology, choose materials under
a markup and record the latent productivity and markup in ``truth_firms.parquet``
(:mod:`vagg.data.synth.technology`). References: the planted values (truth.json) and the
latent file; the thresholds are set below the values measured on seed 0 (within-firm
r = 0.75 for the corrected markup against 0.45 uncorrected; r(ω̂, ω) = 0.48 with
membership and vagg in the first stage; θ̂_M = 0.96 against the planted 0.55), recorded in
docs/studies/dvar_firms.md.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.dataset import synthetic_dataset
from vagg.data.synth.technology import TECHNOLOGY
from vagg.measures.markups import cie_production_panel
from vagg.measures.production import acf
from vagg.studies import registry
from vagg.studies.data import StudyData
from vagg.studies.dvar_firms.panels import (
    VAGG,
    linkage,
    production,
    production_panel,
)

SYNTH = Path(__file__).resolve().parents[2] / "src" / "vagg" / "data" / "synth"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = synthetic_dataset("tiny", 0, tmp_path_factory.mktemp("technology"))
    return path


def _options(**changed: object) -> dict[str, object]:
    study = registry.get("dvar_firms")
    return {**{o.name: o.default for o in study.options}, **changed}


def _within(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column] - frame.groupby("firm_id")[column].transform("mean")


def test_corrected_markups_track_the_true_markups_within_firms(dataset: Path) -> None:
    truth = pl.read_parquet(dataset / "truth_firms.parquet").select(
        "firm_id", "year", pl.col("log_markup").alias("true")
    )
    r = {}
    for value in ("dlw", "none"):
        data = StudyData(dataset, options=_options(markup_correction=value))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            measured = production(data, linkage(data))
        both = measured.join(truth, on=["firm_id", "year"]).drop_nulls("log_markup").to_pandas()
        assert len(both) > 1000
        r[value] = float(np.corrcoef(_within(both, "log_markup"), _within(both, "true"))[0, 1])
    print(r)
    assert r["dlw"] > 0.6
    assert r["dlw"] > r["none"] + 0.15


#: membership and vagg only: with the study's group interactions as well, the pooled φ̂
#: absorbs more of the markup and ω̂ stops tracking ω (tiny, seed 0: r = −0.62)
BASE_SHIFTERS = ("member", *VAGG)


def _pooled_fit(dataset: Path) -> tuple[object, pl.DataFrame]:
    data = StudyData(dataset, options=_options())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel = production_panel(data, linkage(data))
        fit = acf(panel, output="gross_output", by=None, shifters=BASE_SHIFTERS)
    return fit, pl.read_parquet(dataset / "truth_firms.parquet")


def test_acf_productivity_correlates_with_true_productivity(dataset: Path) -> None:
    fit, truth = _pooled_fit(dataset)
    both = fit.firm_years.join(truth, on=["firm_id", "year"])  # type: ignore[attr-defined]
    r = float(np.corrcoef(both["omega"].to_numpy(), both["omega_right"].to_numpy())[0, 1])
    print(f"r(omega_hat, omega) = {r:.3f}")
    assert r > 0.35


@pytest.mark.xfail(
    strict=True,
    reason="gross-output ACF with a flexible input under markups is not identified "
    "(Gandhi, Navarro & Rivers 2020): y − m is the log markup, and θ̂_M goes to ≈ 1",
)
def test_acf_recovers_the_materials_elasticity(dataset: Path) -> None:
    fit, _ = _pooled_fit(dataset)
    coefs = dict(fit.coefficients.select("term", "estimate").iter_rows())  # type: ignore[attr-defined]
    assert coefs["m"] == pytest.approx(TECHNOLOGY.theta_m, abs=0.05)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="value-added ACF: productivity is AR(1) around a firm-specific level and trend, not "
    "a Markov process common to the firms of an industry, so the ACF moments are not zero at "
    "the true elasticities (tiny, seed 0, pooled: β̂_l 0.41, β̂_k 0.54 against 0.56, 0.22)",
)
def test_value_added_acf_recovers_the_implied_elasticities(dataset: Path) -> None:
    """With flexible materials, M = θ_M·Q/μ and value added VA = Y − M + 0.03·Y, so
    ln VA = β_l/(1 − θ_M)·l + β_k/(1 − θ_M)·k + (a term in ω, μ and ε): the value-added
    elasticities the ACF of value added should recover are β/(1 − θ_M)."""
    data = StudyData(dataset, options=_options())
    panel = cie_production_panel(
        data.table("firms"), output="value_added", industries=data.table("industries")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = acf(panel, output="value_added", by=None)
    coefs = dict(fit.coefficients.select("term", "estimate").iter_rows())
    print(coefs)
    scale = 1 - TECHNOLOGY.theta_m
    assert coefs["l"] == pytest.approx(TECHNOLOGY.beta_l / scale, abs=0.05)
    assert coefs["k"] == pytest.approx(TECHNOLOGY.beta_k / scale, abs=0.05)


def test_synthetic_economy_never_imports_the_measures() -> None:
    """The generator computes every truth from latent quantities, never with vagg.measures."""
    offenders = []
    for path in sorted(SYNTH.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("vagg.measures")]
    assert len(list(SYNTH.glob("*.py"))) > 5
    assert offenders == []


def test_no_measure_reads_a_latent_column() -> None:
    """The measures see the raw records only: no module of vagg.measures names a latent
    column of the generator (``*_latent``, the firms' own import and price records kept for
    the truth) or the synthetic-only truth files of the estimates (truth_firms.parquet,
    truth.json)."""
    import re

    measures = SYNTH.parents[1] / "measures"
    latent = re.compile(
        r"\b\w+_latent\b|log_price_rel|import_direct_usd|mia_p_direct_usd|output_shock|truth_firms"
        r"|truth\.json"
    )
    offenders = [
        f"{path.relative_to(measures)}: {match.group(0)}"
        for path in sorted(measures.rglob("*.py"))
        for match in latent.finditer(path.read_text(encoding="utf-8"))
    ]
    assert len(list(measures.rglob("*.py"))) > 10
    assert offenders == []
