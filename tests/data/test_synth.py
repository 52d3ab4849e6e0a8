"""The synthetic economy: valid tables, determinism, calibration, and planted effects that
survive the papers' own formulas applied to the raw records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyfixest as pf
import pytest
import statsmodels.formula.api as smf

from vagg.data.check import check_dataset
from vagg.data.io import read_dataset
from vagg.data.schemas import SCHEMAS
from vagg.data.synth.economy import generate
from vagg.data.synth.truth import fe_projection


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate("tiny", 0, out)
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate("small", 0, out)
    return out


def test_tiny_has_every_table_and_passes_the_check(tiny: Path) -> None:
    report = check_dataset(tiny)
    assert report.ok, report.problems
    assert set(report.rows) == set(SCHEMAS)
    assert all(n > 0 for n in report.rows.values())
    truth = json.loads((tiny / "truth.json").read_text(encoding="utf-8"))
    studies = {e["study"] for e in truth["entries"].values()}
    assert {
        "dvar_firms",
        "quality_cities",
        "resilience_firms",
        "resilience_provinces",
        "internet_sophistication",
    } <= studies
    assert all(e["definition"] for e in truth["entries"].values())


def test_same_seed_gives_identical_files_and_other_seed_does_not(
    tiny: Path, tmp_path: Path
) -> None:
    again = generate("tiny", 0, tmp_path / "again")
    first = json.loads((tiny / "manifest.json").read_text())
    hashes = {n: t["files"] for n, t in first["tables"].items()}
    assert hashes == {n: t["files"] for n, t in again["tables"].items()}
    other = generate("tiny", 1, tmp_path / "other")
    assert other["tables"]["customs"]["files"] != first["tables"]["customs"]["files"]


def test_truth_projection_equals_dummy_variable_ols() -> None:
    rng = np.random.default_rng(3)
    n = 800
    df = pd.DataFrame(
        {"f": rng.integers(0, 80, n), "j": rng.integers(0, 6, n), "t": rng.integers(0, 9, n)}
    )
    df["x"] = rng.normal(size=n) + 0.05 * df["f"] + 0.3 * df["t"]
    df["z"] = rng.normal(size=n)
    df["y"] = 1.5 * df["x"] - 0.5 * df["z"] + 0.2 * df["j"] + rng.normal(size=n)
    beta = fe_projection(
        df["y"].to_numpy(), df[["x", "z"]].to_numpy(), [df[c].to_numpy() for c in ("f", "j", "t")]
    )
    ref = smf.ols("y ~ x + z + C(f) + C(j) + C(t)", df).fit().params
    assert beta == pytest.approx([ref["x"], ref["z"]], abs=1e-10)


# ---------------------------------------------------------------------------------------
# An independent, minimal implementation of paper 000's measures, written from the paper's
# equations (6)–(7) and the controls' definitions, to check that the planted DVAR effect is
# recoverable from the raw records.

_INTERMEDIARY = re.compile("进出口|贸易|经贸|科贸|外经")


def _normalise(names: pd.Series) -> pd.Series:
    out = names.str.replace(r"[\s\u3000()（）]", "", regex=True)
    return out.str.replace("有限责任公司", "有限公司", regex=False)


def _link_customs(customs: pd.DataFrame, firms: pd.DataFrame) -> pd.Series:
    """party_id → firm_id: normalised name + year, then zip + last 7 digits of the phone."""
    cie = firms.assign(
        norm=_normalise(firms["firm_name"]), tail=firms["phone"].str.replace("-", "").str[-7:]
    )
    parties = customs.drop_duplicates(["party_id", "year"]).assign(
        norm=lambda d: _normalise(d["firm_name"]), tail=lambda d: d["phone"].str[-7:]
    )
    by_name = parties.merge(cie[["norm", "year", "firm_id"]], on=["norm", "year"], how="inner")
    rest = parties[~parties["party_id"].isin(by_name["party_id"])]
    by_phone = rest.merge(cie[["zip", "tail", "year", "firm_id"]], on=["zip", "tail", "year"])
    links = pd.concat([by_name, by_phone])[["party_id", "firm_id"]].drop_duplicates()
    return links.drop_duplicates("party_id", keep=False).set_index("party_id")["firm_id"]


def _delta(io: pd.DataFrame, totals: pd.DataFrame, year: int) -> pd.Series:
    bench = (
        max(y for y in io["year"].unique() if y <= year)
        if year >= io["year"].min()
        else io["year"].min()
    )
    flows = io[io["year"] == bench]
    z = flows.pivot_table(
        index="from_sector",
        columns="to_sector",
        values=["domestic_use", "imported_use"],
        aggfunc="sum",
    ).fillna(0)
    z = z["domestic_use"] + z["imported_use"]
    tot = totals[totals["year"] == bench].set_index("sector")
    mu = tot["imports"] / (tot["output"] + tot["imports"] - tot["exports"])
    w_in = z.T.div(z.T.sum(axis=1), axis=0)
    return w_in.mul(mu.reindex(w_in.columns), axis=1).sum(axis=1)


def _dvar_panel(data: dict[str, pl.DataFrame]) -> pd.DataFrame:
    firms = data["firms"].to_pandas()
    customs = data["customs"].to_pandas()
    products = data["products"].to_pandas().set_index("hs6")
    industries = data["industries"].to_pandas().set_index("cic4")
    rate = data["national_series"].to_pandas().set_index("year")["rmb_per_usd"]
    platform = data["platform"].to_pandas()

    member_since = dict(
        zip(_normalise(platform["member_name"]), platform["member_since"], strict=True)
    )
    firms["sector"] = firms["cic4"].map(industries["io_sector"])
    since = _normalise(firms["firm_name"]).map(member_since)
    firms["member"] = (firms["year"] >= since).astype(float)
    ov = firms.groupby(["sector", "year"])["gross_output"].transform("sum")
    ovp = (
        (firms["gross_output"] * firms["member"])
        .groupby([firms["sector"], firms["year"]])
        .transform("sum")
    )
    firms["vagg_h"] = firms["member"] * ovp / ov

    customs["hs6"] = customs["hs8"].str[:6]
    customs["intermediary"] = customs["firm_name"].str.contains(_INTERMEDIARY)
    imports = customs[
        (customs["flow"] == "import") & (customs["hs6"].map(products["end_use"]) == "intermediate")
    ]
    ordinary = imports[imports["regime"] == "10"]
    m = (
        (
            ordinary[ordinary["intermediary"]].groupby(["hs6", "year"])["value_usd"].sum()
            / ordinary.groupby(["hs6", "year"])["value_usd"].sum()
        )
        .fillna(0.0)
        .rename("m")
    )
    producers = customs[~customs["intermediary"]].copy()
    producers["firm_id"] = producers["party_id"].map(_link_customs(producers, firms))
    producers = producers.dropna(subset=["firm_id"]).join(m, on=["hs6", "year"])
    producers["m"] = producers["m"].fillna(0.0)
    is_int = producers["hs6"].map(products["end_use"]) == "intermediate"
    proc = producers["regime"].isin(["14", "15"])
    exp = producers["flow"] == "export"
    imp = (producers["flow"] == "import") & is_int
    producers["ex_p"] = np.where(exp & proc, producers["value_usd"], 0.0)
    producers["ex"] = np.where(
        exp & (proc | (producers["regime"] == "10")), producers["value_usd"], 0.0
    )
    gross = producers["value_usd"] / (1 - producers["m"])
    producers["mia_p"] = np.where(imp & proc, gross, 0.0)
    producers["mia_o"] = np.where(imp & (producers["regime"] == "10"), gross, 0.0)
    trade = producers.groupby(["firm_id", "year"])[["ex_p", "ex", "mia_p", "mia_o"]].sum()

    panel = firms.join(trade, on=["firm_id", "year"], how="inner")
    panel = panel[panel["ex"] > 0].copy()
    delta = (
        pd.concat(
            [
                _delta(data["io_national"].to_pandas(), data["io_totals"].to_pandas(), y)
                .rename("delta")
                .to_frame()
                .assign(year=y)
                for y in panel["year"].unique()
            ]
        )
        .rename_axis("sector")
        .reset_index()
    )
    panel = panel.merge(delta, on=["sector", "year"])
    y_usd = panel["sales"] * 1000 / panel["year"].map(rate)
    kp = panel["ex_p"] / panel["ex"]
    dvar_p = 1 - (panel["mia_p"] + panel["delta"] * panel["ex_p"]) / panel["ex_p"]
    dvar_o = 1 - panel["mia_o"] / (y_usd - panel["ex_p"]) - panel["delta"]
    panel["dvar"] = np.where(
        kp >= 1, dvar_p, np.where(kp <= 0, dvar_o, kp * dvar_p + (1 - kp) * dvar_o)
    )
    panel["age"] = panel["year"] - panel["founding_year"] + 1
    panel["size"] = np.log(panel["employment"])
    panel["cl"] = (panel["current_assets"] - panel["current_liabilities"]) / panel["total_assets"]
    panel["debt"] = panel["total_liabilities"] / panel["total_assets"]
    cr4 = (
        firms.groupby(["cic4", "year"])["sales"]
        .apply(lambda s: s.nlargest(4).sum() / s.sum())
        .rename("herfind")
    )
    return panel.join(cr4, on=["cic4", "year"])


def test_small_calibration_moments(small: Path) -> None:
    report = check_dataset(small)
    assert report.ok, report.problems
    m = report.moments
    print(json.dumps(m, indent=1))
    # paper 001 Table 1: fdi/GDP mean 0.031; log GDP per capita 10.163; log wage 10.349
    assert m["city_fdi_over_gdp"] == pytest.approx(0.031, abs=0.01)
    assert m["city_log_gdp_per_capita"] == pytest.approx(10.163, abs=0.3)
    assert m["city_log_wage"] == pytest.approx(10.349, abs=0.2)
    # Ahn, Khandelwal & Wei (2011): intermediaries handle about a fifth of exports
    assert 0.1 < m["customs_intermediary_export_share"] < 0.3
    # processing trade: roughly half of China's exports in the 2000s
    assert 0.2 < m["customs_processing_export_share"] < 0.6


def test_small_platform_share_and_dvar_effect_survive_the_formulas(small: Path) -> None:
    data = read_dataset(small)
    panel = _dvar_panel(data)
    # paper 000: 31,638 platform obs of 626,768 (5.05%)
    share = panel["member"].mean()
    print(f"platform share of matched exporter firm-years: {share:.4f}, n={len(panel)}")
    assert 0.03 < share < 0.09
    inside = panel[(panel["dvar"] >= 0) & (panel["dvar"] <= 1)]
    assert len(inside) / len(panel) > 0.95
    inside = inside[inside["employment"] >= 8]  # the cleaning rule of §2.3 that binds
    truth = json.loads((small / "truth.json").read_text(encoding="utf-8"))["entries"]
    fit = pf.feols(
        "dvar ~ vagg_h + age + size + cl + debt + herfind | firm_id + cic4 + year",
        data=inside,
        vcov={"CRV1": "firm_id"},
        fixef_maxiter=200_000,  # the alternating projections converge slowly on this panel
    )
    beta, se = fit.coef()["vagg_h"], fit.se()["vagg_h"]
    planted = truth["dvar_firms.table1.vagg_h"]["value"]
    print(f"vagg_h: estimate {beta:.4f} (SE {se:.4f}), planted {planted:.4f}")
    assert abs(beta - planted) < 1.96 * se


REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "concordance"


def test_real_product_codes_when_reference_files_are_given(tmp_path: Path) -> None:
    if not REFERENCE.is_dir():
        pytest.skip(f"public reference files not found at {REFERENCE}")
    from vagg.data.concordance import read_hs_bec, read_sigma

    generate("tiny", 0, tmp_path, reference_dir=REFERENCE)
    products = pl.read_parquet(tmp_path / "products.parquet").to_pandas()
    un = read_hs_bec(REFERENCE / "HS2002_to_BEC_Conversion_and_Correlation_Tables.csv")
    assert set(products["hs6"]) <= set(un["hs6"])
    sigma = read_sigma(REFERENCE / "Sigmas73countries_9403_HS3digit.dta", country="China")
    china = sigma.set_index("hs3")["sigma"]
    known = products[products["hs3"].isin(china.index)]
    assert len(known) > 0.8 * len(products)
    expected = china.reindex(known["hs3"]).clip(1.2, 20.0).to_numpy()
    assert known["sigma"].to_numpy() == pytest.approx(expected)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "Sigmas73countries_9403_HS3digit.dta" in manifest["reference_files"]
