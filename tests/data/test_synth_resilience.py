"""The firm economy's extension for study ``resilience_firms`` (paper 003): its tables, its
truth, and each planted mechanism seen in the generated data.

Reference values come from the planted parameters of the generator
(:mod:`vagg.data.synth.relations`, :mod:`vagg.data.synth.cie_accounts`,
:mod:`vagg.data.synth.world`, :mod:`vagg.data.synth.counties`) and from closed forms stated
beside each test; the estimates are simple contrasts or within-firm OLS on the published
tables (membership from the platform list through the true links), so a test fails when a
mechanism is missing, has the wrong sign or the wrong size.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.check import check_dataset
from vagg.data.dataset import synthetic_dataset
from vagg.data.schemas import SCHEMAS, validate
from vagg.data.synth.cie_accounts import CIE_EFFECTS, SCALE_ECONOMY
from vagg.data.synth.counties import MOVE_BASE, MOVE_MEMBER
from vagg.data.synth.economy import generate
from vagg.data.synth.relations import RESILIENCE
from vagg.data.synth.world import (
    SECOND_COLLAPSE_DESTINATIONS,
    SECOND_COLLAPSE_YEAR,
    SUPPLY_SHOCKS,
)
from vagg.errors import VaggError
from vagg.measures.export_resilience import resistance
from vagg.measures.green_smart import HSListError, hs_list

NEW_TABLES = ("counties", "world_imports", "supply_shocks", "green_standards")
NEW_FIRM_COLUMNS = (
    "inventory",
    "cost_main_business",
    "selling_expenses",
    "admin_expenses",
    "financial_expenses",
    "new_product_output",
    "accounts_receivable",
    "county_code",
)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small economy's firm part, seed 0 (about half a minute)."""
    folder, _ = synthetic_dataset("small", 0, tmp_path_factory.mktemp("small-res"), parts="firms")
    return folder


def _read(folder: Path, table: str) -> pd.DataFrame:
    if (folder / table).is_dir():
        return pl.read_parquet(folder / table / "*/*.parquet", hive_partitioning=True).to_pandas()
    return pl.read_parquet(folder / f"{table}.parquet").to_pandas()


@pytest.fixture(scope="module")
def cie(small: Path) -> pd.DataFrame:
    """CIE firm-years with the membership flag I (platform list → true firm links)."""
    firms = _read(small, "firms")
    links = _read(small, "truth_links").dropna(subset=["member_name"])
    since = links.merge(_read(small, "platform"), on="member_name")
    firms["since"] = firms["firm_id"].map(since.set_index("firm_id")["member_since"])
    firms["I"] = (firms["year"] >= firms["since"].fillna(9999)).astype(float)
    firms["e"] = firms["year"] - firms["since"].fillna(9999)
    return firms


def _within(frame: pd.DataFrame, y: str, x: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """OLS of ``y`` on ``x`` with firm and year effects (alternating projections), with
    conventional standard errors."""
    data = frame.dropna(subset=[y, *x])[["firm_id", "year", y, *x]].copy()
    cols = [y, *x]
    values = data[cols].to_numpy(float)
    for _ in range(50):
        for key in ("firm_id", "year"):
            means = (
                pd.DataFrame(values, columns=cols).groupby(data[key].to_numpy()).transform("mean")
            )
            values = values - means.to_numpy()
    yv, xv = values[:, 0], values[:, 1:]
    beta, *_ = np.linalg.lstsq(xv, yv, rcond=None)
    resid = yv - xv @ beta
    dof = len(yv) - xv.shape[1] - data["firm_id"].nunique() - data["year"].nunique()
    cov = np.linalg.inv(xv.T @ xv) * (resid @ resid) / dof
    return beta, np.sqrt(np.diag(cov))


# ----------------------------------------------------------------------------- tables


def test_new_tables_pass_their_schemas_and_the_check(small: Path) -> None:
    for table in NEW_TABLES:
        frame = pl.read_parquet(small / f"{table}.parquet")
        validate(frame, SCHEMAS[table])
        assert frame.height > 0
    firms = _read(small, "firms")
    assert set(NEW_FIRM_COLUMNS) <= set(firms.columns)
    counties = _read(small, "counties")
    assert firms["county_code"].isin(counties["county_code"]).all()
    assert (firms["county_code"].str[:4] == firms["city_code"].str[:4]).all()
    report = check_dataset(small)
    assert report.ok, report.problems


def test_world_imports_cover_every_destination_product_and_year(small: Path) -> None:
    world = _read(small, "world_imports")
    products = _read(small, "products")
    years = range(2000, 2016)
    assert len(world) == world["destination"].nunique() * len(products) * len(years)
    assert set(world["hs6"]) == set(products["hs6"])
    shocks = _read(small, "supply_shocks")
    assert sorted(map(tuple, shocks[["partner", "year"]].to_numpy())) == sorted(SUPPLY_SHOCKS)


def test_products_carry_the_shipped_hs_list_codes(small: Path) -> None:
    """The intelligent-equipment list is inside the synthetic product codes; the APEC code
    441872 is not an HS 2002 code and is reported as outside the concordance."""
    products = _read(small, "products")
    smart = hs_list("intelligent_equipment")
    wanted = {"847950", "845710", "846031", "853710", "847130", "847150"}
    assert wanted <= set(products["hs6"]) and wanted <= set(smart["hs6"])
    assert products.set_index("hs6").loc[sorted(wanted), "end_use"].eq("capital").all()
    with pytest.raises(HSListError, match="441872"):
        hs_list("environmental_apec", hs_codes=products["hs6"])


def test_truth_has_the_study_entries(small: Path) -> None:
    truth = json.loads((small / "truth.json").read_text(encoding="utf-8"))
    entries = {k: v for k, v in truth["entries"].items() if v["study"] == "resilience_firms"}
    assert len(entries) >= 40
    for key, entry in entries.items():
        assert set(entry) == {"value", "study", "table", "kind", "definition"}, key
        assert np.isfinite(entry["value"]), key
        assert (
            "fixed effects" in entry["definition"]
            or "FE" in entry["definition"]
            or ("ATT" in entry["definition"])
        ), key
    assert "planted_resilience" in truth
    assert any(k.startswith("dvar_firms.") for k in truth["entries"])  # paper 000 kept


def test_same_seed_same_tables_other_seed_not(tmp_path: Path) -> None:
    a, b, c = (tmp_path / n for n in ("a", "b", "c"))
    generate("tiny", 3, a, parts="firms")
    generate("tiny", 3, b, parts="firms")
    generate("tiny", 4, c, parts="firms")
    for table in NEW_TABLES:
        same = (a / f"{table}.parquet").read_bytes() == (b / f"{table}.parquet").read_bytes()
        assert same, table
    assert (a / "truth.json").read_bytes() == (b / "truth.json").read_bytes()
    assert (a / "world_imports.parquet").read_bytes() != (c / "world_imports.parquet").read_bytes()


# ----------------------------------------------------------------------- planted effects


def test_world_demand_collapses_have_their_planted_sizes(small: Path) -> None:
    """2009: mean Δ ln M = trend 0.10 − 0.30 (+ destination and cell noise of mean 0);
    2012: euro-area destinations × the drawn half of the chapters fall by 0.45 more than
    the other cells (planted in vagg.data.synth.world)."""
    world = _read(small, "world_imports")
    wide = world.pivot_table(index=["destination", "hs6"], columns="year", values="imports_usd")
    d09 = np.log(wide[2009] / wide[2008])
    assert d09.mean() == pytest.approx(-0.20, abs=0.06)
    truth = json.loads((small / "truth.json").read_text(encoding="utf-8"))
    chapters = truth["planted_resilience"]["second_collapse_chapters"]
    d12 = np.log(wide[SECOND_COLLAPSE_YEAR] / wide[SECOND_COLLAPSE_YEAR - 1]).reset_index()
    hit = d12["destination"].isin(SECOND_COLLAPSE_DESTINATIONS) & d12["hs6"].str[:2].isin(chapters)
    gap = d12.loc[hit, 0].mean() - d12.loc[~hit, 0].mean()
    assert gap == pytest.approx(-0.45, abs=0.03)


@pytest.mark.parametrize(
    ("column", "effect", "ramp"),
    [
        ("log_inventory", CIE_EFFECTS["log_inventory"], False),
        ("log_selling", CIE_EFFECTS["log_selling"], True),
        ("log_admin", CIE_EFFECTS["log_admin"], True),
        ("cost_ratio", CIE_EFFECTS["cost_ratio"], False),
        ("fin_ratio", CIE_EFFECTS["fin_ratio"], False),
    ],
)
def test_cie_cost_items_respond_to_membership_by_the_planted_size(
    cie: pd.DataFrame, column: str, effect: float, ramp: bool
) -> None:
    """Within-firm OLS on I (or on the OPEX ramp r(e) = min(e + 1, 4)/4, with ln employment
    beside it: the expense ratios also fall with size) recovers the planted effect within
    three standard errors."""
    frame = cie.assign(
        lnemp=np.log(cie["employment"]),
        log_inventory=np.log(cie["inventory"] / cie["sales"]),
        log_selling=np.log(cie["selling_expenses"] / cie["sales"]),
        log_admin=np.log(cie["admin_expenses"] / cie["sales"]),
        cost_ratio=cie["cost_main_business"] / cie["sales"],
        fin_ratio=cie["financial_expenses"] / cie["sales"],
        r=np.where(cie["e"] >= 0, np.minimum(cie["e"] + 1, 4) / 4, 0.0),
    )
    beta, se = _within(frame, column, ["r", "lnemp"] if ramp else ["I"])
    assert abs(beta[0] - effect) < 3 * se[0], (beta[0], se[0], effect)
    if ramp:  # the scale economy of the selling and administrative expense ratios
        assert abs(beta[1] - SCALE_ECONOMY) < 3 * se[1], (beta[1], se[1], SCALE_ECONOMY)


def test_new_product_output_is_more_often_positive_for_members(cie: pd.DataFrame) -> None:
    """P(new_product_output = 0) = 0.75 − 0.15·I: the pooled contrast is 0.15 ± 3 se."""
    rows = cie.dropna(subset=["new_product_output"])
    zero = (rows["new_product_output"] == 0).astype(float)
    m, n = zero[rows["I"] == 1], zero[rows["I"] == 0]
    diff = n.mean() - m.mean()
    se = np.sqrt(m.var() / len(m) + n.var() / len(n))
    assert abs(diff - CIE_EFFECTS["p_new_product"]) < 3 * se
    assert rows.loc[rows["year"] == 2010].empty  # not reported in 2010, as the CIE


def test_members_move_away_from_the_core_more_often(cie: pd.DataFrame, small: Path) -> None:
    """A move is a county change between consecutive CIE years; the yearly rate is
    MOVE_BASE + MOVE_MEMBER·I among firms not in their city's last county."""
    counties = _read(small, "counties")
    last = counties.assign(rank=counties["county_code"].str[4:].astype(int))
    last_rank = last.groupby("city_code")["rank"].transform("max")
    at_edge = set(last.loc[last["rank"] == last_rank, "county_code"])
    panel = cie.sort_values(["firm_id", "year"])[["firm_id", "year", "county_code", "I"]]
    nxt = panel.assign(year=panel["year"] - 1)
    both = panel.merge(nxt, on=["firm_id", "year"], suffixes=("", "_next"))
    both = both[~both["county_code"].isin(at_edge)]
    moved = (both["county_code_next"] != both["county_code"]).astype(float)
    farther = both.loc[moved == 1]
    assert (farther["county_code_next"] > farther["county_code"]).all()  # to a higher rank
    rate_m = moved[both["I_next"] == 1].mean()
    rate_n = moved[both["I_next"] == 0].mean()
    assert rate_n == pytest.approx(MOVE_BASE, abs=0.004)
    assert rate_m - rate_n == pytest.approx(MOVE_MEMBER, abs=0.02)


def test_supply_shock_cuts_imports_from_the_shocked_sources(small: Path) -> None:
    """In 2011 the cells from Japan and Thailand deliver 1 − supply_loss = 30% of their weight,
    so those imports fall by far more than the others."""
    customs = _read(small, "customs")
    imports = customs[customs["flow"] == "import"]
    by = imports.groupby([imports["partner"].isin(["JPN", "THA"]), "year"])["value_usd"].sum()
    shocked = np.log(by.loc[(True, 2011)] / by.loc[(True, 2010)])
    other = np.log(by.loc[(False, 2011)] / by.loc[(False, 2010)])
    assert shocked - other < -0.6  # ln(0.3) = −1.2 before replacement and intermediaries


def test_table_estimands_have_the_planted_directions(small: Path) -> None:
    """The directions the mechanisms plant, on the estimands computed from latent records."""
    entries = json.loads((small / "truth.json").read_text(encoding="utf-8"))["entries"]

    def v(key: str) -> float:
        return float(entries[f"resilience_firms.{key}"]["value"])

    assert v("table1.RESIS.vagg_h") > 0
    assert v("table6.loss.vagg_h") < 0 < v("table6.loss_x_vagg_h")
    assert v("table6.loss_x_I") > 0
    for key in ("table9.NSRC", "table9.SWITCH", "table10.NEWDEST", "table10.REALLOC",
                "table10.EMERG", "table12.SMART", "table12.STRICT", "table7.NEWPROD",
                "table8.MOVE_next"):  # fmt: skip
        assert v(f"{key}_on_vagg_h") > 0, key
    for key in ("table9.IMPHHI", "table8.INV", "table11.OPEX", "table11.COSTR",
                "table11.FINPRESS"):  # fmt: skip
        assert v(f"{key}_on_vagg_h") < 0, key


def test_dynamic_att_of_joining_matches_its_closed_form(small: Path, cie: pd.DataFrame) -> None:
    """ATT(e) on OPEX = E[s](e^(−0.20 r) − 1) + E[a](e^(−0.15 r) − 1), r = min(e + 1, 4)/4,
    E[s] = 0.035·exp((0.2² + 0.15²)/2)·G_e, E[a] = 0.05·exp((0.2² + 0.15²)/2)·G_e (lognormal
    means of the planted selling and administrative ratios), G_e the mean of the scale
    economy exp(κ(ln employment − 5.2)) over the joiners' firm-years at e (balanced CIE
    panel, as the estimand); the static TWFE coefficient is smaller in magnitude than the
    long-run effect."""
    entries = json.loads((small / "truth.json").read_text(encoding="utf-8"))["entries"]
    lift = np.exp((0.2**2 + 0.15**2) / 2)
    years = cie["year"].nunique()
    balanced = cie[cie.groupby("firm_id")["year"].transform("nunique") == years]
    joiners = balanced[(balanced["since"] > balanced["year"].min()) & (balanced["since"] <= 2013)]
    for e in range(5):
        r = min(e + 1, 4) / 4
        at = joiners[joiners["e"] == e]
        g = np.exp(SCALE_ECONOMY * (np.log(at["employment"]) - 5.2)).mean()
        closed = g * lift * (0.035 * (np.exp(-0.20 * r) - 1) + 0.05 * (np.exp(-0.15 * r) - 1))
        got = entries[f"resilience_firms.staggered.opex_att.e{e}"]["value"]
        assert got == pytest.approx(closed, rel=0.15), e
    twfe = entries["resilience_firms.staggered.opex_twfe"]["value"]
    assert abs(twfe) < abs(entries["resilience_firms.staggered.opex_att.e4"]["value"])


def test_recovery_mechanisms_are_planted() -> None:
    """The planted sizes the docs report (a change here must change the docs)."""
    assert RESILIENCE.loss_damping_member == 0.40
    assert RESILIENCE.replace_member > RESILIENCE.replace_nonmember
    assert RESILIENCE.stop_member_relief < RESILIENCE.stop_collapse


# --------------------------------------------------------------------------- bad inputs


def test_bad_county_code_and_world_imports_are_reported(small: Path, tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    ds.mkdir()
    for name in ("counties", "world_imports", "products", "industries", "cities"):
        shutil.copy(small / f"{name}.parquet", ds / f"{name}.parquet")
    shutil.copytree(small / "firms", ds / "firms")
    part = next((ds / "firms" / "year=2005").glob("*.parquet"))
    firms = pl.read_parquet(part)
    firms.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("999999")).otherwise("county_code")
        .alias("county_code")
    ).write_parquet(part)  # fmt: skip
    world = pl.read_parquet(ds / "world_imports.parquet")
    world.with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(-1.0).otherwise("imports_usd")
        .alias("imports_usd")
    ).write_parquet(ds / "world_imports.parquet")  # fmt: skip
    problems = check_dataset(ds).problems
    county = [p for p in problems if "county_code" in p]
    assert len(county) == 1 and "counties.county_code" in county[0] and "999999" in county[0]
    negative = [p for p in problems if "imports_usd" in p]
    assert len(negative) == 1 and "world_imports" in negative[0]


def test_missing_shock_year_and_empty_benchmark_on_generated_customs(small: Path) -> None:
    """A dataset whose customs lack 2009 cannot give RESIS: an error naming the year. A firm
    alone in its group has an empty leave-out benchmark: counted, not an error."""
    customs = _read(small, "customs")
    links = _read(small, "truth_links")
    exports = customs[customs["flow"] == "export"].merge(links[["party_id", "firm_id"]])
    exports = exports[["firm_id", "year", "partner", "hs8", "value_usd"]]
    firms = _read(small, "firms")
    groups = firms[firms["year"] == 2007][["firm_id", "cic4"]].rename(columns={"cic4": "cic2"})
    with pytest.raises(VaggError, match="2009"):
        resistance(exports[exports["year"] != 2009], groups)
    lone = exports.loc[exports["year"] == 2008, "firm_id"].iloc[0]
    alone = groups.assign(cic2=np.where(groups["firm_id"] == lone, "zz", groups["cic2"]))
    res = resistance(exports, alone, leave_out=True)
    assert res.counts["empty_benchmark"] >= 1


def test_alternating_projections_equal_the_exact_projection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The paper-scale path of the truth's fixed-effect projection agrees with the exact
    normal-equation projection of vagg.data.synth.truth.demean to 1e-9."""
    from vagg.data.synth import truth_tools
    from vagg.data.synth.truth import demean

    rng = np.random.default_rng(7)
    codes = [rng.integers(0, 400, 3000), rng.integers(0, 40, 3000), rng.integers(0, 20, 3000)]
    values = rng.normal(size=(3000, 3)) + 0.2 * codes[1][:, None]
    monkeypatch.setattr(truth_tools, "DENSE_LIMIT", 0)
    assert np.abs(truth_tools.project_out(values, codes) - demean(values, codes)).max() < 1e-9
