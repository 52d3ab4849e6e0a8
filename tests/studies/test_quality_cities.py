"""Study quality_cities (paper 001) on the tiny synthetic city-trade economy.

The planted values are population estimands the generator computes from the latent quality
(:mod:`vagg.data.synth.city_trade_truth`); the closed forms checked here are identities of the
design (nested fixed effects, the Bartik sum) and the mutation tests show that the truth check
has power.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

import vagg
from vagg.data.errors import SchemaError
from vagg.data.synth.city_trade import generate_quality_cities
from vagg.data.synth.city_trade_truth import latent_panel
from vagg.data.synth.city_trade_writer import write_quality_cities
from vagg.studies.data import StudyData
from vagg.studies.quality_cities import STUDY
from vagg.studies.quality_cities.extensions import MP_OUTCOMES, mp_panel
from vagg.studies.quality_cities.firms import firm_sample
from vagg.studies.quality_cities.panels import build_panel
from vagg.studies.quality_cities.tables import CLUSTER, placebo_draws
from vagg.studies.quality_cities.tables import panel as panel_of
from vagg.studies.runner import run_study

CONTROLS = "fdi + open + fisc + dlp + sci + edu + wage + gdp + fixinv"
BASE = f"hs4_qua ~ vagg + {CONTROLS} | city_code + year + hs4"


def _dataset(root: Path, seed: int = 0) -> Path:
    truth = write_quality_cities(root, "tiny", seed)
    (root / "truth.json").write_text(json.dumps({"entries": truth, "planted": {}}))
    return root


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _dataset(tmp_path_factory.mktemp("qc"))


@pytest.fixture(scope="module")
def report(dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    data = StudyData(dataset, seed=0, scale="tiny")
    return run_study(STUDY, data, tmp_path_factory.mktemp("out"), engine=None)


@pytest.fixture(scope="module")
def truth(dataset: Path) -> dict:
    return json.loads((dataset / "truth.json").read_text())["entries"]


@pytest.fixture(scope="module")
def panel(dataset: Path) -> pd.DataFrame:
    return build_panel(dataset / "quality_cities", min_product_cells=20)["panel"].to_pandas()


def _covers(result, term: str, planted: float) -> bool:
    low, high = result.conf_int(0.95).loc[term]
    return bool(low <= planted <= high)


def test_study_runs_and_every_truth_row_is_covered(report) -> None:
    assert report.ok, report.failed
    frame = report.truth
    assert len(frame) == 27
    assert frame["covered"].notna().all()
    assert frame["covered"].all(), frame.to_string()


def test_table3_col1_equals_baseline(report) -> None:
    tables = {o.key: o for o in report.outcomes}
    base = tables["table_2"].results[3]
    prov = tables["table_3"].results[0]
    # province FE are nested in city FE: the redundant FE leave the estimates unchanged
    assert prov.params["vagg"] == pytest.approx(base.params["vagg"], abs=1e-10)
    assert prov.bse["vagg"] == pytest.approx(base.bse["vagg"], rel=1e-8)
    assert prov.nobs == base.nobs


def test_table6_col2_is_a_reparametrisation_of_col1(report) -> None:
    table = {o.key: o for o in report.outcomes}["table_6"].results
    one, two = table[0], table[1]
    # peri = 1 - centre: b_vagg(2) = b_vagg(1) + b_int(1), the interaction flips sign
    total = one.params["vagg"] + one.params["vagg_centre"]
    assert two.params["vagg"] == pytest.approx(total, abs=1e-9)
    assert two.params["vagg_peri"] == pytest.approx(-one.params["vagg_centre"], abs=1e-9)
    assert two.bse["vagg_peri"] == pytest.approx(one.bse["vagg_centre"], rel=1e-6)
    assert two.r2 == pytest.approx(one.r2, abs=1e-12)


def test_table4_clusterings_keep_the_baseline_estimate(report) -> None:
    tables = {o.key: o for o in report.outcomes}
    base = tables["table_2"].results[3]
    for model in tables["table_4"].results[-2:]:
        assert model.params["vagg"] == pytest.approx(base.params["vagg"], abs=1e-10)
        assert model.bse["vagg"] != pytest.approx(base.bse["vagg"], rel=1e-3)


def test_mp_coefficients_add_up_on_a_common_sample(dataset: Path) -> None:
    data = StudyData(
        dataset, seed=0, scale="tiny", options={"min_product_cells": 20, "ksw_method": "sigma"}
    )
    mp = mp_panel(data)
    frame = (
        panel_of(data)
        .join(mp, on=["city_code", "hs4", "year"])
        .drop_nulls(list(MP_OUTCOMES))
        .to_pandas()
    )
    parts = frame[["within", "between", "entry", "exit"]].sum(axis=1)
    np.testing.assert_allclose(parts, frame["total"], atol=1e-12)
    coef = {
        y: vagg.feols(f"{y} ~ vagg + {CONTROLS} | city_code + year + hs4", frame).params["vagg"]
        for y in MP_OUTCOMES
    }
    added = coef["within"] + coef["between"] + coef["entry"] + coef["exit"]
    assert added == pytest.approx(coef["total"], abs=1e-10)
    assert coef["gap"] == pytest.approx(coef["between"] + coef["entry"] + coef["exit"], abs=1e-10)


def test_bartik_vagg_equals_latent_penetration(dataset: Path, panel: pd.DataFrame) -> None:
    econ = generate_quality_cities("tiny", 0)
    pen = econ.city_year.set_index(["city_code", "year"])["pen"]
    got = panel.drop_duplicates(["city_code", "year"]).set_index(["city_code", "year"])["vagg"]
    np.testing.assert_allclose(got.to_numpy(), pen.loc[got.index].to_numpy(), rtol=1e-6)


def test_ksw_quality_correlates_with_latent_quality(dataset: Path) -> None:
    econ = generate_quality_cities("tiny", 0)
    latent = latent_panel(econ)[["city_code", "hs4", "year", "hs4_latent"]]
    measured = build_panel(dataset / "quality_cities", min_product_cells=20)["panel"].to_pandas()
    both = measured.merge(latent, on=["city_code", "hs4", "year"])
    r = np.corrcoef(both["hs4_qua"], both["hs4_latent"])[0, 1]
    print(f"corr(hs4_qua, latent) = {r:.4f} over {len(both)} cells")
    assert len(both) > 0.95 * len(measured)
    assert r > 0.9


def test_wrong_sigma_fails_the_truth_check(dataset: Path, truth: dict) -> None:
    sigma = pl.read_parquet(dataset / "quality_cities" / "sigma.parquet")
    wrong = sigma.with_columns(pl.lit(12.0).alias("sigma") - pl.col("sigma") + 1.6)
    out = build_panel(dataset / "quality_cities", min_product_cells=20, sigma=wrong)
    fit = vagg.feols(BASE, out["panel"].to_pandas(), vcov=CLUSTER)
    assert not _covers(fit, "vagg", truth["quality_cities.baseline"]["value"])


def test_unnormalised_quality_fails_the_truth_check(dataset: Path, truth: dict) -> None:
    out = build_panel(dataset / "quality_cities", min_product_cells=20, normalise=False)
    fit = vagg.feols(BASE, out["panel"].to_pandas(), vcov=CLUSTER)
    assert not _covers(fit, "vagg", truth["quality_cities.baseline"]["value"])


def test_missing_iv_step_fails_the_truth_check(panel: pd.DataFrame, truth: dict) -> None:
    # the reduced form (instrument in place of vagg, no first stage) is not the IV estimand
    formula = f"hs4_qua ~ iv_post + {CONTROLS} | city_code + year + hs4"
    fit = vagg.feols(formula, panel, vcov=CLUSTER)
    assert not _covers(fit, "iv_post", truth["quality_cities.iv_post"]["value"])
    full = vagg.iv(
        f"hs4_qua ~ {CONTROLS} | city_code + year + hs4 | vagg ~ iv_post", panel, vcov=CLUSTER
    )
    assert _covers(full, "vagg", truth["quality_cities.iv_post"]["value"])


def test_planted_bad_lines_are_counted(dataset: Path) -> None:
    lines = pd.read_parquet(dataset / "quality_cities" / "customs.parquet")
    out = build_panel(dataset / "quality_cities", min_product_cells=20)
    counted = out["exclusions"]["customs_cells"]
    assert counted["hs_not_in_concordance"] == int((lines["hs8"] == "99999900").sum())
    assert counted["quantity_nonpositive"] == int((lines["quantity"] <= 0).sum())
    assert counted["intermediary"] == int(lines["firm_name"].str.contains("贸易").sum())


def test_city_missing_from_census_is_counted(dataset: Path, tmp_path: Path) -> None:
    folder = tmp_path / "inputs"
    shutil.copytree(dataset / "quality_cities", folder)
    census = pd.read_parquet(folder / "census_2004.parquet")
    gone = census["city_code"].iloc[0]
    census[census["city_code"] != gone].to_parquet(folder / "census_2004.parquet")
    full = build_panel(dataset / "quality_cities", min_product_cells=20)["panel"]
    out = build_panel(folder, min_product_cells=20)
    expected = full.filter(pl.col("city_code") == gone).height
    assert expected > 0
    assert out["exclusions"]["panel"]["cells_without_vagg"] == expected
    assert gone not in set(out["panel"]["city_code"].to_list())


def test_missing_column_names_table_and_column(dataset: Path, tmp_path: Path) -> None:
    folder = tmp_path / "inputs"
    shutil.copytree(dataset / "quality_cities", folder)
    frame = pd.read_parquet(folder / "customs.parquet").drop(columns="quantity")
    frame.to_parquet(folder / "customs.parquet")
    with pytest.raises(SchemaError, match=r"customs.*quantity"):
        build_panel(folder)


def test_missing_file_is_named(dataset: Path, tmp_path: Path) -> None:
    folder = tmp_path / "inputs"
    shutil.copytree(dataset / "quality_cities", folder)
    (folder / "national.parquet").unlink()
    with pytest.raises(SchemaError, match="national"):
        build_panel(folder)


def test_placebo_is_centred_at_zero(dataset: Path) -> None:
    data = StudyData(
        dataset,
        seed=0,
        scale="tiny",
        options={
            "ksw_method": "sigma",
            "min_product_cells": 20,
            "placebo_reps": 100,
            "placebo_level": "observation",
        },
    )
    draws = placebo_draws(data)
    coefs = np.asarray(draws.coefs)
    t = np.asarray(draws.tvalues)
    # permuted vagg has no effect: mean within 4 standard errors of zero, size near 5%
    assert abs(coefs.mean()) < 4 * coefs.std() / np.sqrt(len(coefs))
    assert np.mean(np.abs(t) > 1.96) <= 0.15


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_truth_is_covered_over_seeds(seed: int, tmp_path: Path) -> None:
    root = _dataset(tmp_path / "data", seed)
    rep = run_study(STUDY, StudyData(root, seed=seed, scale="tiny"), tmp_path / "out", engine=None)
    assert rep.ok
    # 24 rows (21 estimands) at 95%: allow four misses per seed
    assert rep.truth["covered"].sum() >= 20, rep.truth.to_string()


def _firm_inputs(dataset: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    out = build_panel(dataset / "quality_cities", min_product_cells=20)
    city_year = out["panel"].select("city_code", "year", "vagg", *CONTROLS.split(" + ")).unique()
    firms = pl.read_parquet(dataset / "quality_cities" / "firms.parquet")
    return out["quality"], firms, city_year


def test_firm_sample_is_the_value_weighted_quality_of_matched_firm_years(dataset: Path) -> None:
    quality, firms, city_year = _firm_inputs(dataset)
    sample, dropped = firm_sample(quality, firms, city_year)
    q = quality.to_pandas()
    q["wq"] = q["rqua"] * q["value_usd"]
    ref = q.groupby(["party_id", "city_code", "year"], as_index=False)[["wq", "value_usd"]].sum()
    ref["c_ref"] = ref["wq"] / ref["value_usd"]
    got = sample.to_pandas().merge(ref, on=["party_id", "city_code", "year"])
    assert len(got) == sample.height > 0
    np.testing.assert_allclose(got["c_qua"], got["c_ref"], atol=1e-12)
    f = firms.to_pandas().set_index(["party_id", "year"])
    row = got.iloc[0]
    cie = f.loc[(row["party_id"], row["year"])]
    assert row["age"] == row["year"] - cie["founded"] + 1
    assert row["size"] == pytest.approx(np.log(cie["employment"]))
    assert row["apw"] == pytest.approx(np.log(cie["assets"] / cie["employment"]))
    # every firm × city × year of the quality frame is either in the sample or counted
    assert sample.height + sum(dropped.values()) == len(ref)
    inside = ref["year"].between(2005, 2013)
    assert dropped["outside_years"] == int((~inside).sum())
    assert dropped["not_in_cie"] > 0


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda f: f.with_columns(pl.lit(0.0).alias("employment")), "employment"),
        (lambda f: f.with_columns(pl.lit(-1.0).alias("assets")), "assets"),
        (lambda f: f.with_columns((pl.col("year") + 1).alias("founded")), "founded"),
        (lambda f: pl.concat([f, f.head(1)]), "party_id"),
        (lambda f: f.drop("assets"), "assets"),
    ],
)
def test_firm_sample_bad_inputs_name_table_and_column(dataset: Path, change, column: str) -> None:
    quality, firms, city_year = _firm_inputs(dataset)
    with pytest.raises(SchemaError, match=rf"firms.*{column}"):
        firm_sample(quality, change(firms), city_year)
