"""Import/export margins, the imported-input share and rpdip (paper 000 Tables 7–8): hand
computations, bad input, and on the ``small`` synthetic economy a second, plain-pandas
implementation of the generator's rpdip plus the planted Table 7 estimand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.data.io import read_dataset
from vagg.data.synth.economy import generate
from vagg.data.synth.truth import fe_projection
from vagg.measures.markets import firm_rpdip, imported_input_share, rpdip, trade_margins


def _row(party, flow, regime, hs8, value, partner="USA", year=2005):
    return {
        "party_id": party,
        "firm_name": f"{party}有限公司",
        "year": year,
        "flow": flow,
        "regime": regime,
        "hs8": hs8,
        "partner": partner,
        "value_usd": float(value),
    }


PRODUCTS = pd.DataFrame(
    {
        "hs6": ["010101", "020202", "030303", "840000", "610000"],
        "end_use": ["intermediate", "intermediate", "intermediate", "capital", "consumption"],
    }
)


def test_trade_margins_by_hand() -> None:
    customs = pd.DataFrame(
        [
            # firm X imports two intermediate HS6 (three HS8 lines) from two origins
            _row("X000000001", "import", "10", "01010100", 10, "JPN"),
            _row("X000000001", "import", "15", "01010190", 20, "KOR"),
            _row("X000000001", "import", "14", "02020200", 30, "JPN"),
            _row("X000000001", "import", "10", "84000000", 500, "DEU"),  # capital: out
            _row("X000000001", "import", "20", "03030300", 700, "USA"),  # other regime: out
            _row("X000000001", "import", "10", "61000000", 9, "VNM"),  # consumption: out
            # exports: three HS6 (one of them consumption) to two destinations
            _row("X000000001", "export", "10", "03030300", 100, "USA"),
            _row("X000000001", "export", "15", "03030300", 50, "HKG"),
            _row("X000000001", "export", "10", "61000000", 25, "USA"),
            _row("X000000001", "export", "14", "84000000", 5, "USA"),
            _row("X000000001", "export", "31", "02020200", 99, "FRA"),  # returned goods: out
            # a second customs code of the same firm, and an unlinked party
            _row("X000000002", "export", "10", "02020200", 1, "GBR"),
            _row("Z000000001", "export", "10", "02020200", 1000, "GBR"),
        ]
    )
    links = pd.DataFrame({"party_id": ["X000000001", "X000000002"], "firm_id": ["X", "X"]})
    out = trade_margins(customs, links, PRODUCTS)
    assert isinstance(out, pd.DataFrame)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["n_import_hs6"] == 2
    assert row["import_value"] == 60
    assert row["n_import_origins"] == 2
    assert row["n_export_hs6"] == 4  # 030303, 610000, 840000, 020202
    assert row["export_value"] == 181
    assert row["n_export_destinations"] == 3  # USA, HKG, GBR


def test_trade_margins_zero_when_a_flow_is_absent_and_unknown_hs_is_an_error() -> None:
    customs = pl.DataFrame(
        [
            _row("X000000001", "export", "10", "03030300", 1),
            _row("Y000000001", "import", "10", "010101", 2),
        ]
    )
    links = pl.DataFrame({"party_id": ["X000000001", "Y000000001"], "firm_id": ["X", "Y"]})
    out = trade_margins(customs, links, PRODUCTS)
    assert isinstance(out, pl.DataFrame)
    assert out.select("n_import_hs6", "n_export_hs6").rows() == [(0, 1), (1, 0)]
    bad = customs.with_columns(pl.lit("99999999").alias("hs8"))
    with pytest.raises(SchemaError, match="HS6 code not in the products table") as err:
        trade_margins(bad, links, PRODUCTS)
    assert err.value.column == "hs8" and err.value.rows == [0, 1]


def test_imported_input_share_by_hand() -> None:
    trade = pd.DataFrame(
        {"firm_id": ["A", "B", "C"], "year": [2005, 2010, 2005], "import_value": [250.0, 1.0, 5.0]}
    )
    firms = pd.DataFrame(
        {
            "firm_id": ["A", "B"],
            "year": [2005, 2010],
            "intermediate_inputs": [8.0, None],  # thousand RMB; B: missing (2010)
        }
    )
    rates = pd.DataFrame({"year": [2005, 2010], "rmb_per_usd": [8.0, 6.8]})
    out = imported_input_share(trade, firms, rates).set_index("firm_id")
    assert list(out.index) == ["A", "B"]  # C has no CIE record
    assert out.loc["A", "imported_input_share"] == pytest.approx(250 / 1000)
    assert pd.isna(out.loc["B", "imported_input_share"])


# ---------------------------------------------------------------------------- rpdip by hand
# Z[k, j] (row k supplies column j): sector 01 buys 2 from 01, 6 from 02, 2 from 03;
# 02 buys 5 from 02 and 5 from 03; 03 buys 4 from 01. So w_in[01] = (0.2, 0.6, 0.2),
# w_in[02] = (0, 0.5, 0.5), w_in[03] = (1, 0, 0).

IO = pd.DataFrame(
    {
        "year": 2002,
        "from_sector": ["01", "02", "03", "02", "03", "01"],
        "to_sector": ["01", "01", "01", "02", "02", "03"],
        "domestic_use": [1.0, 6.0, 2.0, 4.0, 5.0, 3.0],
        "imported_use": [1.0, 0.0, 0.0, 1.0, 0.0, 1.0],
    }
)
INDUSTRIES = pd.DataFrame({"cic4": ["1711", "2611", "3911"], "io_sector": ["01", "02", "03"]})


def _rpdip_tables():
    customs = pd.DataFrame(
        [
            # 2005: X (sector 01) has 2 varieties (b twice: two partners and two regimes)
            _row("X000000001", "export", "10", "01010100", 1),
            _row("X000000001", "export", "10", "02020200", 1, "JPN"),
            _row("X000000001", "export", "15", "02020200", 1, "USA"),
            _row("X000000001", "import", "10", "03030300", 1),  # imports are not varieties
            # Y (sector 02): 1 variety; Z (sector 02): 2 varieties, one the same HS6 as Y's
            _row("Y000000001", "export", "10", "01010100", 1),
            _row("Z000000001", "export", "10", "01010100", 1),
            _row("Z000000001", "export", "10", "03030300", 1),
            # W is linked but has no CIE record in 2005; U is not linked
            _row("W000000001", "export", "10", "03030300", 1),
            _row("U000000001", "export", "10", "03030300", 1),
            # 2006: X has moved to sector 03 (industry switch) and exports one variety
            _row("X000000001", "export", "10", "01010100", 1, year=2006),
        ]
    )
    links = pd.DataFrame(
        {
            "party_id": ["X000000001", "Y000000001", "Z000000001", "W000000001"],
            "firm_id": ["X", "Y", "Z", "W"],
        }
    )
    firms = pd.DataFrame(
        {
            "firm_id": ["X", "Y", "Z", "X", "W"],
            "year": [2005, 2005, 2005, 2006, 2006],
            "cic4": ["1711", "2611", "2611", "3911", "2611"],
        }
    )
    return customs, links, firms


def test_rpdip_by_hand() -> None:
    customs, links, firms = _rpdip_tables()
    out = rpdip(customs, links, firms, INDUSTRIES, IO)
    got = {(r["io_sector"], r["year"]): r for r in out.to_dict("records")}
    # 2005: N = (2, 3, 0)
    assert [got["01", 2005]["n_varieties"], got["02", 2005]["n_varieties"]] == [2, 3]
    assert got["03", 2005]["n_varieties"] == 0
    assert got["01", 2005]["rpdip"] == pytest.approx(math.log(1 + 0.2 * 2 + 0.6 * 3))
    assert got["02", 2005]["rpdip"] == pytest.approx(math.log(1 + 0.5 * 3))
    assert got["03", 2005]["rpdip"] == pytest.approx(math.log(1 + 2))
    # 2006: N = (0, 0, 1) (X in sector 03; W has no exports that year)
    assert got["01", 2006]["rpdip"] == pytest.approx(math.log(1 + 0.2))
    assert got["02", 2006]["rpdip"] == pytest.approx(math.log(1 + 0.5))
    assert got["03", 2006]["rpdip"] == pytest.approx(0.0)
    firm = firm_rpdip(firms, INDUSTRIES, out).set_index(["firm_id", "year"])
    assert firm.loc[("X", 2006), "io_sector"] == "03"
    assert firm.loc[("Z", 2005), "rpdip"] == pytest.approx(math.log(2.5))


def test_rpdip_bad_input() -> None:
    customs, links, firms = _rpdip_tables()
    firms.loc[1, "cic4"] = "4444"
    with pytest.raises(SchemaError, match="no IO sector") as err:
        rpdip(customs, links, firms, INDUSTRIES, IO)
    assert err.value.rows == [1]
    customs, links, firms = _rpdip_tables()
    with pytest.raises(SchemaError, match="duplicate key"):
        rpdip(customs, pd.concat([links, links]), firms, INDUSTRIES, IO)
    out = rpdip(customs, links, firms, INDUSTRIES, IO)
    with pytest.raises(SchemaError, match="no rpdip"):
        firm_rpdip(firms, INDUSTRIES, out[out["io_sector"] != "02"])


# ---------------------------------------------------------------------------- the small economy


def small_dataset(factory: pytest.TempPathFactory) -> Path:
    """The ``small`` economy (seed 0), generated once per test session."""
    out = factory.getbasetemp() / "vagg_small_seed0"
    if not (out / "manifest.json").exists():
        generate("small", 0, out)
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_dataset(tmp_path_factory)


def _generator_rpdip(data: dict, truth_links: pd.DataFrame) -> pd.DataFrame:
    """A second implementation of the generator's rpdip (src/vagg/data/synth/trade.py step 4)
    in plain pandas: distinct (firm, HS6) exports of CIE firms by their IO sector, weighted
    by the latest benchmark's input shares Z[k, j] / Σ_k Z[k, j], diagonal included."""
    customs = data["customs"].to_pandas()
    firms = data["firms"].to_pandas()
    sector = data["industries"].to_pandas().set_index("cic4")["io_sector"]
    io = data["io_national"].to_pandas()
    exports = customs[customs["flow"] == "export"].merge(truth_links, on="party_id")
    exports["hs6"] = exports["hs8"].str[:6]
    exports = exports.merge(firms[["firm_id", "year", "cic4"]], on=["firm_id", "year"])
    exports["sector"] = exports["cic4"].map(sector)
    n = exports.drop_duplicates(["firm_id", "hs6", "year"]).groupby(["sector", "year"]).size()
    rows = []
    for year in sorted(firms["year"].unique()):
        bench = max([b for b in io["year"].unique() if b <= year], default=io["year"].min())
        flows = io[io["year"] == bench]
        z = flows.pivot_table(
            index="from_sector",
            columns="to_sector",
            values=["domestic_use", "imported_use"],
            aggfunc="sum",
            fill_value=0.0,
        )
        z = z["domestic_use"] + z["imported_use"]
        codes = sorted(set(z.index) | set(z.columns))
        z = z.reindex(index=codes, columns=codes, fill_value=0.0)
        w_in = z.T / z.T.sum(axis=1).to_numpy()[:, None]
        varieties = np.array([n.get((k, year), 0) for k in codes], dtype=float)
        rows.append(
            pd.DataFrame({"io_sector": codes, "year": year, "expected": np.log1p(w_in @ varieties)})
        )
    return pd.concat(rows, ignore_index=True)


def test_small_rpdip_equals_the_generators_definition(small: Path) -> None:
    data = read_dataset(small)
    truth = pl.read_parquet(small / "truth_links.parquet")
    mine = rpdip(data["customs"], truth, data["firms"], data["industries"], data["io_national"])
    expected = _generator_rpdip(data, truth.to_pandas()[["party_id", "firm_id"]])
    both = expected.merge(mine.to_pandas(), on=["io_sector", "year"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all()
    assert len(both) == 42 * 14  # 42 IO sectors × 2000–2013
    np.testing.assert_allclose(both["rpdip"], both["expected"], rtol=0, atol=1e-12)
    assert both["n_varieties"].sum() > 10_000


def test_small_rpdip_reproduces_the_planted_table7_estimand(small: Path) -> None:
    """truth.json's dvar_firms.table7.rpdip_on_vagg_h is the FE projection of the generator's
    latent rpdip on vagg_h and the controls over the DVAR sample; with our rpdip in its place
    the coefficient must be the same number (the sample and regressors rebuilt from the raw
    tables: exporters in the CIE whose MIA was not censored at zero)."""
    data = read_dataset(small)
    truth_links = pl.read_parquet(small / "truth_links.parquet").to_pandas()
    sector_rpdip = rpdip(
        data["customs"],
        pl.from_pandas(truth_links),
        data["firms"],
        data["industries"],
        data["io_national"],
    )
    f = data["firms"].to_pandas()
    f = f.merge(
        firm_rpdip(data["firms"], data["industries"], sector_rpdip).to_pandas(),
        on=["firm_id", "year"],
    )
    since = truth_links.set_index("firm_id")["member_name"].map(
        data["platform"].to_pandas().set_index("member_name")["member_since"]
    )
    f["member"] = (f["year"] >= f["firm_id"].map(since)).astype(float)
    total = f.groupby(["io_sector", "year"])["gross_output"].transform("sum")
    members = (
        (f["gross_output"] * f["member"]).groupby([f["io_sector"], f["year"]]).transform("sum")
    )
    f["vagg_h"] = f["member"] * members / total
    f["age"] = f["year"] - f["founding_year"] + 1
    f["size"] = np.log(f["employment"])
    f["cl"] = (f["current_assets"] - f["current_liabilities"]) / f["total_assets"]
    f["debt"] = f["total_liabilities"] / f["total_assets"]
    f["herfind"] = f.groupby(["cic4", "year"])["sales"].transform(
        lambda s: s.nlargest(4).sum() / s.sum()
    )
    # customs side of the sample: exporters, and whether either regime's intermediate
    # imports were censored at zero (the generator then writes no import lines)
    customs = data["customs"].to_pandas().merge(truth_links[["party_id", "firm_id"]], on="party_id")
    end_use = data["products"].to_pandas().set_index("hs6")["end_use"]
    customs = customs[
        (customs["flow"] == "export") | (customs["hs8"].str[:6].map(end_use) == "intermediate")
    ]
    customs = customs[customs["regime"].isin(["10", "14", "15"])]
    part = np.where(customs["regime"] == "10", "_o", "_p")
    flows = customs.assign(key=customs["flow"] + part).pivot_table(
        index=["firm_id", "year"], columns="key", values="value_usd", aggfunc="sum", fill_value=0.0
    )
    sample = f.merge(flows.reset_index(), on=["firm_id", "year"])
    censored = ((sample["export_p"] > 0) & (sample["import_p"] <= 0)) | (
        (sample["export_o"] > 0) & (sample["import_o"] <= 0)
    )
    sample = sample[(sample["export_p"] + sample["export_o"] > 0) & ~censored]
    entries = json.loads((small / "truth.json").read_text(encoding="utf-8"))
    assert len(sample) == entries["estimation_sample_rows"]
    controls = ["age", "size", "cl", "debt", "herfind"]
    beta = fe_projection(
        sample["rpdip"].to_numpy(),
        sample[["vagg_h", *controls]].to_numpy(),
        [pd.factorize(sample[k])[0] for k in ("firm_id", "cic4", "year")],
    )
    planted = entries["entries"]["dvar_firms.table7.rpdip_on_vagg_h"]["value"]
    assert beta[0] == pytest.approx(planted, abs=1e-9)
