"""The study ``resilience_provinces`` (paper 002) end to end on the synthetic province economy.

Independent references: SL and Vag recomputed here from the raw tables with numpy (haversine
distances between the capitals of ``provinces.parquet``, R = 6371.0088 km); statsmodels 0.14
OLS with HC1 / conventional / cluster covariances for Tables 2–4; the closed-form identities
of the product-only centred interaction (spec 002 §2 E4); the planted values of
``truth.json`` for the truth check (coverage over 20 seeds is marked slow).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
import statsmodels.formula.api as smf

import vagg.measures.location_quotient as lq_module
from vagg.data.dataset import synthetic_dataset
from vagg.data.errors import SchemaError
from vagg.studies import registry
from vagg.studies.base import TableEntry
from vagg.studies.data import StudyData
from vagg.studies.resilience_provinces import panels as panels_module
from vagg.studies.resilience_provinces.models import moderation_models, truth_models
from vagg.studies.resilience_provinces.panels import resilience_panel
from vagg.studies.runner import RunReport, run_study
from vagg.studies.truth import truth_check

STUDY = "resilience_provinces"
TRUTHS = [
    "sl_vag",
    "sl_innovation",
    "sl_vag_x_innovation",
    "sl_pgdp",
    "sl_tax",
    "sl_consumption",
    "sl_fdi",
    "sl_vag_centred",
    *[f"sl_t2_vag_c{c}" for c in range(2, 7)],
    *[f"sl_t2_{v}_c6" for v in ("pgdp", "tax", "cons", "fdi")],
    "sl_t3_lag1",
    "sl_t3_lag2",
    "sl_t4_vag_c1",
    "sl_t4_rd_c1",
    "sl_t4_vag_c2",
    "sl_t4_rd_c2",
    "sl_t4_xz_c2",
    "sl_t4_vag_c3",
]
EARTH_KM = 6371.0088


def _run(dataset: Path, out: Path, **options: Any) -> RunReport:
    study = registry.get(STUDY)
    data = StudyData(dataset, seed=0, scale="tiny", cache_dir=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_study(study, data, out, engine=None, options=options)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _ = synthetic_dataset(
        "tiny", 0, tmp_path_factory.mktemp("s002") / "data", parts=["provinces"]
    )
    return path


@pytest.fixture(scope="module")
def tiny(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    return _run(dataset, tmp_path_factory.mktemp("s002_results"))


@pytest.fixture(scope="module")
def frame(dataset: Path) -> pd.DataFrame:
    return resilience_panel(
        pl.read_parquet(dataset / "province_panel.parquet"),
        pl.read_parquet(dataset / "national_series.parquet"),
    ).to_pandas()


def _truth(dataset: Path) -> dict[str, Any]:
    return json.loads((dataset / "truth.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------- the run


def test_every_entry_runs_and_every_truth_row_covers(tiny: RunReport) -> None:
    assert tiny.ok, {o.key: o.record.get("error", {}).get("message") for o in tiny.outcomes}
    for entry in registry.get(STUDY).entries:
        suffix = "md" if isinstance(entry, TableEntry) else "png"
        assert (tiny.out_dir / f"{entry.key}.{suffix}").stat().st_size > 0
    truth = pd.read_csv(tiny.out_dir / "truth_check.csv", dtype={"covered": "boolean"})
    assert truth["parameter"].tolist() == TRUTHS
    assert truth["note"].isna().all()
    assert truth["covered"].all(), truth[["parameter", "planted", "estimate", "se"]]


# ---------------------------------------------------------------------------- measures


def test_panel_matches_an_independent_sl_and_vag(dataset: Path, frame: pd.DataFrame) -> None:
    raw = pd.read_parquet(dataset / "province_panel.parquet")
    wide = raw.pivot(index="year", columns="province_code", values="exports_usd")
    log_total = np.log(wide.sum(axis=1))
    sl = (np.log(wide).diff().sub(log_total.diff(), axis=0)).loc[2009:2020]
    got = frame.pivot(index="year", columns="province_code", values="sl")
    np.testing.assert_allclose(got.to_numpy(), sl[got.columns].to_numpy(), rtol=0, atol=1e-12)

    cap = pd.read_parquet(dataset / "provinces.parquet").set_index("province_code")
    codes = list(got.columns)
    lat, lon = np.radians(cap.loc[codes, "lat"]), np.radians(cap.loc[codes, "lon"])
    a = (np.sin((lat.to_numpy()[:, None] - lat.to_numpy()) / 2) ** 2
         + np.cos(lat.to_numpy()[:, None]) * np.cos(lat.to_numpy())
         * np.sin((lon.to_numpy()[:, None] - lon.to_numpy()) / 2) ** 2)  # fmt: skip
    d = 2 * EARTH_KM * np.arcsin(np.sqrt(a))
    w = np.where(np.eye(len(codes), dtype=bool), 1.0, 1.0 / np.where(d > 0, d, np.inf))
    sub = raw[raw["year"].between(2009, 2020)]
    ict = sub.pivot(index="year", columns="province_code", values="ict_employment")[codes]
    emp = sub.pivot(index="year", columns="province_code", values="urban_unit_employment")[codes]
    lq = (ict / emp).div(ict.sum(axis=1) / emp.sum(axis=1), axis=0)
    vag = lq.to_numpy() @ w.T
    got_vag = frame.pivot(index="year", columns="province_code", values="vag")[codes]
    np.testing.assert_allclose(got_vag.to_numpy(), vag, rtol=1e-12)


def test_sl_cannot_be_strictly_positive(frame: pd.DataFrame) -> None:
    # spec 002 §1.4 item 2: with E_t = Σ_i E_it every year has a province with SL ≤ 0
    assert (frame.groupby("year")["sl"].min() <= 0).all()


def test_affine_option_reproduces_table1_sl_moments(dataset: Path) -> None:
    tables = [pl.read_parquet(dataset / f"{t}.parquet") for t in ("province_panel",
                                                                  "national_series")]  # fmt: skip
    out = resilience_panel(*tables, sl_transform="affine", vag_normalise="minmax")
    assert out["sl"].mean() == pytest.approx(0.226, abs=1e-12)
    assert out["sl"].std() == pytest.approx(0.129, abs=1e-12)
    assert (out["vag"].min(), out["vag"].max()) == pytest.approx((0.0, 1.0), abs=1e-12)


# ---------------------------------------------------------------------------- estimates


def test_table2_and_3_match_statsmodels(frame: pd.DataFrame) -> None:
    from vagg.studies.resilience_provinces.models import baseline_steps, lag_models

    steps = baseline_steps(frame, "hc1")
    ref = smf.ols("sl ~ vag + pgdp + tax + cons + fdi + C(year)", frame).fit(cov_type="HC1")
    np.testing.assert_allclose(steps[5].params["vag"], ref.params["vag"], rtol=1e-9)
    np.testing.assert_allclose(steps[5].bse["vag"], ref.bse["vag"], rtol=1e-7)
    assert steps[5].adj_r2 == pytest.approx(ref.rsquared_adj, rel=1e-9)
    one = smf.ols("sl ~ vag", frame).fit(cov_type="HC1")
    np.testing.assert_allclose(steps[0].bse["vag"], one.bse["vag"], rtol=1e-7)

    lagged = frame.sort_values(["province_code", "year"]).copy()
    lagged["vag_l2"] = lagged.groupby("province_code")["vag"].shift(2)
    ref2 = smf.ols("sl ~ vag_l2 + pgdp + tax + cons + fdi", lagged.dropna()).fit()
    got = lag_models(frame, "iid")[1]
    assert got.nobs == 300 == ref2.nobs
    np.testing.assert_allclose(got.params["L(vag, 2)"], ref2.params["vag_l2"], rtol=1e-9)
    np.testing.assert_allclose(got.bse["L(vag, 2)"], ref2.bse["vag_l2"], rtol=1e-7)


def test_product_only_centring_identities(frame: pd.DataFrame) -> None:
    # spec 002 §2 E4: c3 = γ3 (same SE), c1 = γ1 + γ3·R̄, c2 = γ2 + γ3·V̄, c0 = γ0 − γ3·V̄·R̄
    _, raw, centred = moderation_models(frame, "iid")
    v, r = frame["vag"].mean(), frame["innovation"].mean()
    g3 = raw.params["vag:innovation"]
    assert centred.params["xz_c"] == pytest.approx(g3, abs=1e-10)
    assert centred.bse["xz_c"] == pytest.approx(raw.bse["vag:innovation"], abs=1e-10)
    assert centred.params["vag"] == pytest.approx(raw.params["vag"] + g3 * r, abs=1e-10)
    assert centred.params["innovation"] == pytest.approx(
        raw.params["innovation"] + g3 * v, abs=1e-10
    )
    assert centred.params["Intercept"] == pytest.approx(
        raw.params["Intercept"] - g3 * v * r, abs=1e-10
    )
    assert centred.adj_r2 == pytest.approx(raw.adj_r2, abs=1e-12)


def test_truth_table_clustered_se_matches_statsmodels(frame: pd.DataFrame) -> None:
    got = truth_models(frame, reps=99, seed=1)[0]
    ref = smf.ols("sl ~ vag * innovation + pgdp + tax + cons + fdi + C(year)", frame).fit(
        cov_type="cluster", cov_kwds={"groups": frame["province_code"].astype(int)}
    )
    np.testing.assert_allclose(got.params["vag:innovation"], ref.params["vag:innovation"],
                               rtol=1e-9)  # fmt: skip
    np.testing.assert_allclose(got.bse["vag:innovation"], ref.bse["vag:innovation"], rtol=1e-6)
    test = got.diagnostics["WCB XZ"]
    assert 0 <= test.pvalue <= 1 and test.statistic == pytest.approx(
        got.params["vag:innovation"] / got.bse["vag:innovation"], rel=1e-8
    )


def test_leave_one_out_matches_statsmodels_and_draws(frame: pd.DataFrame) -> None:
    from matplotlib.figure import Figure

    from vagg.report.figures import FigureError
    from vagg.report.influence import leave_one_out_figure
    from vagg.studies.resilience_provinces.models import leave_one_out

    loo = leave_one_out(frame)
    assert loo["left_out"].tolist()[:2] == ["none", "11"] and len(loo) == 31
    sub = frame[frame["province_code"] != "11"]
    ref = smf.ols("sl ~ vag + pgdp + tax + cons + fdi + C(year)", sub).fit(cov_type="HC1")
    row = loo.set_index("left_out").loc["11"]
    assert row["estimate"] == pytest.approx(ref.params["vag"], rel=1e-9)
    assert row["se"] == pytest.approx(ref.bse["vag"], rel=1e-7)
    figure = leave_one_out_figure(loo, lang="en")
    assert isinstance(figure, Figure) and len(figure.axes[0].get_yticks()) == 30
    with pytest.raises(FigureError, match="no row with left_out == 'none'"):
        leave_one_out_figure(loo[loo["left_out"] != "none"], lang="en")


def test_clustered_table2_carries_wild_bootstrap_p_values(frame: pd.DataFrame) -> None:
    from vagg.studies.resilience_provinces.models import (
        baseline_steps,
        wcb_key,
        with_wild_bootstrap,
    )
    from vagg.studies.resilience_provinces.tables import diagnostics_available

    steps = [
        with_wild_bootstrap(r, frame, reps=199, seed=0) for r in baseline_steps(frame, "cluster")
    ]
    table = diagnostics_available(steps, diagnostics=["WCB Vag", "WCB TAX", "WCB XZ"])
    labels = [row.label for row in table.rows]
    assert "WCB Vag" in labels and "WCB TAX" in labels and "WCB XZ" not in labels
    test = steps[5].diagnostics[wcb_key("vag")]
    assert test.statistic == pytest.approx(steps[5].params["vag"] / steps[5].bse["vag"], rel=1e-8)
    plain = diagnostics_available(baseline_steps(frame, "hc1"), diagnostics=["WCB Vag"])
    assert "WCB Vag" not in [row.label for row in plain.rows]


# ---------------------------------------------------------------------------- mutations


def _covered(dataset: Path, frame_of: pd.DataFrame) -> dict[str, bool]:
    from vagg.studies.resilience_provinces.models import baseline_steps, lag_models

    results = {
        "table_2": ([f"({c})" for c in range(1, 7)], baseline_steps(frame_of, "hc1")),
        "table_3": (["(1)", "(2)"], lag_models(frame_of, "iid")),
        "table_4": (["(1)", "(2)", "(3)"], moderation_models(frame_of, "iid")),
        "table_4b": (["(1)", "(2)"], truth_models(frame_of, reps=99, seed=0)),
    }
    check = truth_check(registry.get(STUDY), _truth(dataset), results)
    return dict(zip(check["parameter"], check["covered"].astype(bool), strict=True))


def _panel(dataset: Path) -> pd.DataFrame:
    return resilience_panel(
        pl.read_parquet(dataset / "province_panel.parquet"),
        pl.read_parquet(dataset / "national_series.parquet"),
    ).to_pandas()


def test_truth_check_passes_unmutated(dataset: Path) -> None:
    assert all(_covered(dataset, _panel(dataset)).values())


def test_truth_check_fails_for_a_wrong_k(dataset: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = panels_module.export_resilience

    def k_two(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **{**kwargs, "k": 2})

    monkeypatch.setattr(panels_module, "export_resilience", k_two)
    covered = _covered(dataset, _panel(dataset))
    assert not covered["sl_vag"] or not covered["sl_vag_x_innovation"], covered


def test_truth_check_fails_for_distances_not_in_km(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # w_ij = (d_ij/100 km)^−1 instead of (d_ij in km)^−1: spillovers 100 times too strong
    original = lq_module.decay_weights

    def hundreds_of_km(*args: Any, **kwargs: Any) -> pd.DataFrame:
        return original(*args, **{**kwargs, "unit_km": 100.0})

    monkeypatch.setattr(lq_module, "decay_weights", hundreds_of_km)
    covered = _covered(dataset, _panel(dataset))
    assert not covered["sl_vag"], covered


# ---------------------------------------------------------------------------- bad input


def test_a_province_missing_in_a_year_is_named(dataset: Path) -> None:
    panel = pl.read_parquet(dataset / "province_panel.parquet")
    gap = panel.filter(~((pl.col("province_code") == "32") & (pl.col("year") == 2015)))
    with pytest.raises(SchemaError, match=r"province_panel.*missing in a year.*'32', 2015"):
        resilience_panel(gap, pl.read_parquet(dataset / "national_series.parquet"))


def test_a_non_positive_export_is_named(dataset: Path) -> None:
    panel = pl.read_parquet(dataset / "province_panel.parquet")
    bad = panel.with_columns(
        pl.when((pl.col("province_code") == "44") & (pl.col("year") == 2012))
        .then(0.0)
        .otherwise(pl.col("exports_usd"))
        .alias("exports_usd")
    )
    with pytest.raises(SchemaError, match=r"province_panel.*exports_usd.*positive.*'44', 2012"):
        resilience_panel(bad, pl.read_parquet(dataset / "national_series.parquet"))


# ---------------------------------------------------------------------------- coverage


def _coverage(root: Path, seeds: range) -> dict[str, list[bool]]:
    """Per truth row, whether its interval covers the planted value in each seed (tiny)."""
    hits: dict[str, list[bool]] = {k: [] for k in TRUTHS}
    for seed in seeds:
        path, _ = synthetic_dataset("tiny", seed, root, parts=["provinces"])
        for key, covered in _covered(path, _panel(path)).items():
            hits[key].append(covered)
    return hits


def test_coverage_of_two_fresh_seeds(tmp_path: Path) -> None:
    """The fast companion of the 20-seed test: seeds 20–21 (not those of the docs' tables)
    run through the same truth check; every row has a verdict in both, and at least 85 % of
    the 50 (row, seed) pairs cover (all 50 did when written; a broken measure or SE drops
    many rows at once, as the mutation tests show)."""
    hits = _coverage(tmp_path / "data", range(20, 22))
    assert set(hits) == set(TRUTHS) and all(len(v) == 2 for v in hits.values())
    pooled = float(np.mean([c for v in hits.values() for c in v]))
    assert pooled >= 0.85, hits


@pytest.mark.slow
def test_coverage_over_20_seeds(tmp_path: Path) -> None:
    hits = _coverage(tmp_path / "data", range(20))
    rates = {k: float(np.mean(v)) for k, v in hits.items()}
    print("coverage over 20 seeds:", rates)
    assert all(0.85 <= r <= 1.0 for r in rates.values()), rates


# ---------------------------------------------------------------------------- real data


def test_a_yearbook_panel_with_only_the_studys_columns_runs(
    dataset: Path, frame: pd.DataFrame, tmp_path: Path
) -> None:
    from vagg.data.io import read_table
    from vagg.studies.resilience_provinces.panels import (
        NATIONAL_COLUMNS,
        PANEL_COLUMNS,
        YEARBOOK_COLUMNS,
        YEARBOOK_NATIONAL_COLUMNS,
        study_table,
    )

    raw = tmp_path / "raw"
    raw.mkdir()
    to_zh = {v: k for k, v in YEARBOOK_COLUMNS.items()}
    panel = pl.read_parquet(dataset / "province_panel.parquet").filter(pl.col("year") >= 2008)
    panel.select(PANEL_COLUMNS).rename(to_zh).write_csv(raw / "panel.csv")
    national = pl.read_parquet(dataset / "national_series.parquet").select(NATIONAL_COLUMNS)
    national.rename({v: k for k, v in YEARBOOK_NATIONAL_COLUMNS.items()}).write_csv(
        raw / "national.csv"
    )
    user = tmp_path / "user"
    user.mkdir()
    for src, name, cmap in (
        ("panel.csv", "province_panel", YEARBOOK_COLUMNS),
        ("national.csv", "national_series", YEARBOOK_NATIONAL_COLUMNS),
    ):
        read_table(raw / src, name, column_map=cmap, validate_on_load=False).write_parquet(
            user / f"{name}.parquet"
        )
    data = StudyData(user, seed=0, cache_dir=None)
    mine = resilience_panel(
        study_table(data, "province_panel", PANEL_COLUMNS),
        study_table(data, "national_series", NATIONAL_COLUMNS),
    ).to_pandas()
    pd.testing.assert_frame_equal(mine, frame)
