"""Export DVAR by regime (paper 000 eq. 6): hand-computed firms, the intermediary gross-up,
the three alternative algorithms, the accounting of dropped firm-years, bad input, and a
cross-check against the independent implementation in tests/data/test_synth.py on the
``small`` synthetic economy."""

from __future__ import annotations

import importlib.util
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.data.io import read_dataset
from vagg.data.synth.economy import generate
from vagg.measures.linkage import link_customs
from vagg.measures.value_added import (
    DVARResult,
    aggregate_dvar,
    export_dvar,
    firm_trade,
    import_share_by_year,
    intermediary_shares,
)

# ---------------------------------------------------------------------------- a hand-made economy
# Four producers (A processing, B ordinary, C mixed, D ordinary without imports), one producer
# E that is not linked, one intermediary. Exchange rate 8 RMB/USD, δ = 0.1 for sector "01".
# m_k (intermediaries' share of ordinary imports): k1 100/(400+100) = 0.2,
# k2 30/(90+180+30) = 0.1, k3 (no ordinary imports) → 0.

K1, K2, K3, CAP = "01010100", "02020200", "03030300", "84000000"


def _row(party, name, flow, regime, hs8, value, partner="USA"):
    return {
        "party_id": party,
        "firm_name": name,
        "year": 2005,
        "flow": flow,
        "regime": regime,
        "hs8": hs8,
        "partner": partner,
        "value_usd": float(value),
    }


def _customs() -> pd.DataFrame:
    rows = [
        _row("A000000001", "甲电子有限公司", "export", "15", K3, 700),
        _row("A000000001", "甲电子有限公司", "export", "14", K3, 300),
        _row("A000000001", "甲电子有限公司", "import", "15", K1, 200),
        _row("B000000001", "乙化工有限公司", "export", "10", K2, 500),
        _row("B000000001", "乙化工有限公司", "import", "10", K2, 90),
        _row("C000000001", "丙机械有限公司", "export", "15", K3, 600),
        _row("C000000001", "丙机械有限公司", "export", "10", K3, 400),
        _row("C000000001", "丙机械有限公司", "import", "14", K3, 240),
        _row("C000000001", "丙机械有限公司", "import", "10", K2, 180),
        _row("C000000001", "丙机械有限公司", "import", "10", CAP, 999),  # capital good
        _row("C000000001", "丙机械有限公司", "import", "20", K2, 55),  # other regime
        _row("D000000001", "丁纺织有限公司", "export", "10", K2, 100),
        _row("E000000001", "戊五金有限公司", "import", "10", K1, 400),
        _row("T000000001", "某市进出口有限公司", "import", "10", K1, 100),
        _row("T000000001", "某市进出口有限公司", "import", "10", K2, 30),
        _row("T000000001", "某市进出口有限公司", "export", "10", K3, 50),
    ]
    return pd.DataFrame(rows)


def _products() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hs6": [K1[:6], K2[:6], K3[:6], CAP[:6]],
            "end_use": ["intermediate", "intermediate", "intermediate", "capital"],
        }
    )


def _links() -> pd.DataFrame:
    parties = ["A000000001", "B000000001", "C000000001", "D000000001"]
    return pd.DataFrame({"party_id": parties, "firm_id": ["A", "B", "C", "D"]})


def _firms(mi=(4.0, 6.4, 8.0, 8.0)) -> pd.DataFrame:
    # sales in thousand RMB at 8 RMB/USD: A 16 → 2000, B 16 → 2000, C 24 → 3000, D 8 → 1000 USD
    return pd.DataFrame(
        {
            "firm_id": ["A", "B", "C", "D"],
            "year": 2005,
            "cic4": "1711",
            "sales": [16.0, 16.0, 24.0, 8.0],
            "intermediate_inputs": list(mi),
        }
    )


INDUSTRIES = pd.DataFrame({"cic4": ["1711"], "io_sector": ["01"]})
DELTA = pd.DataFrame({"io_sector": ["01"], "year": [2005], "delta": [0.1]})
RATES = pd.DataFrame({"year": [2005], "rmb_per_usd": [8.0]})


def _hand(**kw) -> DVARResult:
    customs, products = _customs(), _products()
    shares = intermediary_shares(customs, products)
    trade = firm_trade(customs, _links(), products, shares)
    firms = kw.pop("firms", _firms())
    return export_dvar(trade, firms, INDUSTRIES, DELTA, RATES, **kw)


def _dvar(result: DVARResult) -> dict[str, float]:
    return dict(zip(result.data["firm_id"], result.data["dvar"], strict=True))


def test_intermediary_shares_by_hand() -> None:
    m = intermediary_shares(_customs(), _products())
    assert isinstance(m, pd.DataFrame)
    got = dict(zip(m["hs6"], m["m"], strict=True))
    # k1: 100 / (400 + 100); k2: 30 / (90 + 180 + 30); k3 has no ordinary imports
    assert got == pytest.approx({K1[:6]: 0.2, K2[:6]: 0.1, CAP[:6]: 0.0})


def test_intermediary_share_is_capped() -> None:
    customs = pd.DataFrame(
        [
            _row("E000000001", "戊五金有限公司", "import", "10", K1, 1),
            _row("T000000001", "某市贸易有限公司", "import", "10", K1, 99),
        ]
    )
    m = intermediary_shares(customs, _products())
    assert m["m"].tolist() == pytest.approx([0.95])
    assert intermediary_shares(customs, _products(), cap=0.5)["m"].tolist() == [0.5]
    with pytest.raises(ValueError, match="cap"):
        intermediary_shares(customs, _products(), cap=1.0)


def test_firm_trade_by_hand() -> None:
    customs, products = _customs(), _products()
    trade = firm_trade(customs, _links(), products, intermediary_shares(customs, products))
    t = trade.set_index("firm_id")
    assert list(t.index) == ["A", "B", "C", "D"]  # E and the intermediary are not linked
    assert t.loc["A", ["ex", "ex_p", "ex_o"]].tolist() == [1000, 1000, 0]
    assert t.loc["A", "mia_p"] == pytest.approx(200 / 0.8)  # 250
    assert t.loc["A", "m_raw_p"] == 200
    assert t.loc["B", "mia_o"] == pytest.approx(90 / 0.9)  # 100
    assert t.loc["C", ["mia_p", "mia_o"]].tolist() == pytest.approx([240, 200])
    assert t.loc["C", "capital_imports"] == 999
    assert t.loc["C", "n_regime_other"] == 1
    assert t.loc["D", ["ex_o", "mia_o", "mia_p"]].tolist() == [100, 0, 0]


def test_paper_variant_hand_computed_processing_ordinary_mixed() -> None:
    result = _hand()
    dvar = _dvar(result)
    # A processing: 1 − (250 + 0.1·1000)/1000
    assert dvar["A"] == pytest.approx(0.65, abs=1e-12)
    # B ordinary: 1 − [100·500/2000 + 0.1·500]/500
    assert dvar["B"] == pytest.approx(0.85, abs=1e-12)
    # C mixed: κ_p = 0.6; DVAR_p = 1 − (240 + 60)/600 = 1/2;
    # DVAR_o = 1 − [200·400/(3000 − 600) + 40]/400 = 49/60; DVAR = 0.6/2 + 0.4·49/60 = 47/75
    assert dvar["C"] == pytest.approx(float(Fraction(47, 75)), abs=1e-12)
    row = result.data.set_index("firm_id").loc["C"]
    assert row["dvar_p"] == pytest.approx(0.5, abs=1e-12)
    assert row["dvar_o"] == pytest.approx(49 / 60, abs=1e-12)
    assert row["kappa_p"] == pytest.approx(0.6)
    # D has no imports: DVAR = 1 − δ
    assert dvar["D"] == pytest.approx(0.9, abs=1e-12)
    types = dict(zip(result.data["firm_id"], result.data["regime_type"], strict=True))
    assert types == {"A": "processing", "B": "ordinary", "C": "mixed", "D": "ordinary"}


def test_key_types_of_real_files_are_aligned_and_polars_in_gives_polars_out() -> None:
    customs = pl.from_pandas(_customs()).with_columns(pl.col("year").cast(pl.Int32))
    firms = pl.from_pandas(_firms()).with_columns(pl.col("year").cast(pl.Int16))
    shares = intermediary_shares(customs, _products())
    trade = firm_trade(customs.lazy(), _links(), _products(), shares)
    assert isinstance(shares, pl.DataFrame) and isinstance(trade, pl.DataFrame)
    assert shares["hs6"].to_list() == ["010101", "020202", "840000"]  # leading zeros kept
    result = export_dvar(trade, firms, INDUSTRIES, DELTA, RATES)
    assert isinstance(result.data, pl.DataFrame)
    assert result.data["dvar"].to_list() == pytest.approx([0.65, 0.85, 47 / 75, 0.9])


def test_firm_without_imports_has_one_minus_delta() -> None:
    rng = np.random.default_rng(0)
    n = 30
    trade = pl.DataFrame(
        {
            "firm_id": [f"F{i}" for i in range(n)],
            "year": 2005,
            "ex_p": rng.uniform(0, 100, n) * (rng.random(n) < 0.6),
            "ex_o": rng.uniform(1, 100, n),
            "mia_p": 0.0,
            "mia_o": 0.0,
            "m_raw_p": 0.0,
        }
    )
    firms = pl.DataFrame(
        {
            "firm_id": [f"F{i}" for i in range(n)],
            "year": 2005,
            "cic4": "1711",
            "sales": rng.uniform(5, 10, n),
        }
    )
    delta = rng.uniform(0.02, 0.3)
    share = pl.DataFrame({"io_sector": ["01"], "delta": [delta]})
    result = export_dvar(trade, firms, INDUSTRIES, share, RATES)
    assert isinstance(result.data, pl.DataFrame)
    assert result.data.height == n
    np.testing.assert_allclose(result.data["dvar"].to_numpy(), 1 - delta, atol=1e-12)


def test_alternative_algorithms_by_hand() -> None:
    # dvar1: δ^F = δ·max(0, MI − M_A); MI (USD) A 500, B 800, C 1000, D 1000
    d1 = _dvar(_hand(variant="dvar1"))
    assert d1["A"] == pytest.approx(1 - (250 + 0.1 * 250) / 1000, abs=1e-12)  # 0.725
    assert d1["B"] == pytest.approx(1 - (100 + 0.1 * 700) / 2000, abs=1e-12)  # 0.915
    # C mixed: 1 − [240 + 400·200/2400 + 0.1·(1000 − 440)]/1000 = 503/750
    assert d1["C"] == pytest.approx(float(Fraction(503, 750)), abs=1e-12)
    assert d1["D"] == pytest.approx(1 - 0.1 * 1000 / 1000, abs=1e-12)
    # exported share only: δ^F·X/Y, X/Y = 1/3 for C → 1 − (240 + 100/3 + 56/3)/1000 = 0.708
    d1x = _dvar(_hand(variant="dvar1", foreign_content="exports"))
    assert d1x["C"] == pytest.approx(0.708, abs=1e-12)
    # dvar2 (Kee–Tang): raw processing imports: A 1 − (200 + 100)/1000; C unchanged (m = 0)
    d2 = _dvar(_hand(variant="dvar2"))
    assert d2["A"] == pytest.approx(0.7, abs=1e-12)
    assert d2["C"] == pytest.approx(float(Fraction(47, 75)), abs=1e-12)
    # dvar3 (KWW): constant 5% instead of δ
    d3 = _dvar(_hand(variant="dvar3"))
    assert d3["A"] == pytest.approx(1 - (250 + 50) / 1000, abs=1e-12)
    assert d3["B"] == pytest.approx(1 - (25 + 25) / 500, abs=1e-12)
    assert d3["D"] == pytest.approx(0.95, abs=1e-12)


def test_dvar1_drops_missing_intermediate_inputs_and_counts_them() -> None:
    result = _hand(variant="dvar1", firms=_firms(mi=(4.0, None, 8.0, 8.0)))
    assert set(result.data["firm_id"]) == {"A", "C", "D"}
    assert result.excluded["CIE intermediate inputs (MI) missing (dvar1)"] == 1
    # the paper's formula does not need MI
    assert len(_hand(firms=_firms(mi=(4.0, None, 8.0, 8.0))).data) == 4


def test_exclusions_are_counted_and_trimming_is_optional() -> None:
    trade = pd.DataFrame(
        {
            "firm_id": ["ok", "noexp", "nocie", "bigexp", "over", "noimp"],
            "year": 2005,
            "ex_p": [0.0, 0.0, 10.0, 900.0, 100.0, 50.0],
            "ex_o": [100.0, 0.0, 10.0, 200.0, 0.0, 0.0],
            "mia_p": [0.0, 0.0, 0.0, 0.0, 500.0, 0.0],
            "mia_o": [10.0, 30.0, 0.0, 0.0, 0.0, 0.0],
            "m_raw_p": [0.0, 0.0, 0.0, 0.0, 500.0, 0.0],
        }
    )
    firms = pd.DataFrame(
        {
            "firm_id": ["ok", "noexp", "bigexp", "over", "noimp"],
            "year": 2005,
            "cic4": "1711",
            # Y (USD): 1000, 1000, 800 (< EX_p = 900), 1000, 1000
            "sales": [8.0, 8.0, 6.4, 8.0, 8.0],
        }
    )
    result = export_dvar(trade, firms, INDUSTRIES, DELTA, RATES)
    assert list(result.data["firm_id"]) == ["noimp", "ok"]
    assert result.n_input == 6
    assert result.excluded == {
        "no CIE record": 1,
        "no regime 10/14/15 exports": 1,
        "sales (Y) missing or ≤ 0": 0,
        "Y − EX_p ≤ 0 (ordinary exports need domestic sales)": 1,
        "DVAR outside [0, 1] (trimmed)": 1,
    }
    assert result.flagged == {"processing exports without processing intermediate imports": 1}
    assert dict(zip(result.dropped["firm_id"], result.dropped["reason"], strict=True)) == {
        "nocie": "no CIE record",
        "noexp": "no regime 10/14/15 exports",
        "bigexp": "Y − EX_p ≤ 0 (ordinary exports need domestic sales)",
        "over": "DVAR outside [0, 1] (trimmed)",
    }
    report = result.report().set_index("item")["firm_years"]
    assert report["retained"] == 2
    kept = export_dvar(trade, firms, INDUSTRIES, DELTA, RATES, trim=None)
    over = kept.data.set_index("firm_id").loc["over", "dvar"]
    assert over == pytest.approx(1 - (500 + 10) / 100)  # −4.1, kept without trimming


def test_gross_up_recovers_planted_imports_when_m_is_the_realised_share() -> None:
    """Planted MIA_fk; producers import MIA·(1 − m_k) themselves and intermediaries import
    m_k/(1 − m_k) of all producers' ordinary imports of k (as the synthetic economy does),
    so the realised share is m_k and MIA = Σ_k M_k/(1 − m_k) must come back exactly."""
    rng = np.random.default_rng(7)
    n_firms, n_prod = 40, 12
    m_true = rng.uniform(0.0, 0.85, n_prod)
    codes = [f"{3900 + k:04d}1000" for k in range(n_prod)]
    rows = []
    planted = {"p": np.zeros(n_firms), "o": np.zeros(n_firms)}
    ordinary_by_k = np.zeros(n_prod)
    for f in range(n_firms):
        party = f"P{f:09d}"
        rows.append(_row(party, f"厂{f}有限公司", "export", "10", codes[0], 1000))
        for kind, regime in (("p", "15"), ("o", "10")):
            for k in rng.choice(n_prod, 3, replace=False):
                mia = rng.uniform(10, 100)
                planted[kind][f] += mia
                value = mia * (1 - m_true[k])
                if kind == "o":
                    ordinary_by_k[k] += value
                rows.append(_row(party, f"厂{f}有限公司", "import", regime, codes[k], value))
    for k in range(n_prod):
        inter = ordinary_by_k[k] * m_true[k] / (1 - m_true[k])
        rows.append(_row("T000000009", "某外经贸易有限公司", "import", "10", codes[k], inter))
    customs = pl.DataFrame(rows)
    products = pl.DataFrame({"hs6": [c[:6] for c in codes], "end_use": "intermediate"})
    links = pl.DataFrame(
        {
            "party_id": [f"P{f:09d}" for f in range(n_firms)],
            "firm_id": [f"F{f}" for f in range(n_firms)],
        }
    )
    shares = intermediary_shares(customs, products)
    has_ordinary = ordinary_by_k > 0
    got_m = dict(zip(shares["hs6"], shares["m"], strict=True))
    np.testing.assert_allclose(
        [got_m[codes[k][:6]] for k in np.flatnonzero(has_ordinary)],
        m_true[has_ordinary],
        atol=1e-12,
    )
    trade = firm_trade(customs, links, products, shares).sort("firm_id")
    order = np.argsort([f"F{f}" for f in range(n_firms)])
    np.testing.assert_allclose(trade["mia_o"].to_numpy(), planted["o"][order], rtol=1e-12)
    # processing imports are grossed up with the same m_k; only products with ordinary
    # imports have an m (others count as m = 0, as the planted values of those need)
    assert np.all(has_ordinary)
    np.testing.assert_allclose(trade["mia_p"].to_numpy(), planted["p"][order], rtol=1e-12)


def test_bad_input_names_table_column_and_rows() -> None:
    customs, products = _customs(), _products()
    bad = customs.copy()
    bad.loc[3, "regime"] = "99"
    with pytest.raises(SchemaError, match="regime") as err:
        intermediary_shares(bad, products)
    assert err.value.table == "customs" and err.value.rows == [3]
    unknown = customs.copy()
    unknown.loc[4, "hs8"] = "77777700"
    with pytest.raises(SchemaError, match="HS6 code not in the products table") as err:
        firm_trade(unknown, _links(), products, intermediary_shares(customs, products))
    assert err.value.column == "hs8"
    counted = firm_trade(
        unknown, _links(), products, intermediary_shares(customs, products), unknown_hs="exclude"
    )
    assert counted.set_index("firm_id").loc["B", "n_unknown_hs"] == 1
    assert counted.set_index("firm_id").loc["B", "mia_o"] == 0
    trade = firm_trade(customs, _links(), products, intermediary_shares(customs, products))
    firms = _firms()
    firms.loc[2, "cic4"] = "9999"
    with pytest.raises(SchemaError, match="no IO sector") as err:
        export_dvar(trade, firms, INDUSTRIES, DELTA, RATES)
    assert err.value.rows == [2]  # C is row 2 of the firms table
    with pytest.raises(SchemaError, match="RMB/USD"):
        export_dvar(trade, _firms(), INDUSTRIES, DELTA, RATES.assign(year=2004))
    with pytest.raises(SchemaError, match="missing required column"):
        export_dvar(trade.drop(columns="mia_o"), _firms(), INDUSTRIES, DELTA, RATES)
    with pytest.raises(SchemaError, match="duplicate key"):
        firm_trade(customs, pd.concat([_links(), _links().assign(firm_id="X")]), products, DELTA)
    with pytest.raises(ValueError, match="variant"):
        export_dvar(trade, _firms(), INDUSTRIES, DELTA, RATES, variant="dvar9")  # type: ignore[arg-type]


def test_aggregate_is_export_weighted() -> None:
    data = pd.DataFrame(
        {
            "year": [1, 1, 2],
            "regime_type": ["a", "a", "a"],
            "dvar": [0.5, 0.8, 0.6],
            "ex": [1.0, 3.0, 2.0],
        }
    )
    out = aggregate_dvar(data, ["year"])
    assert out["dvar"].tolist() == pytest.approx([(0.5 + 2.4) / 4, 0.6])
    assert out["n_firm_years"].tolist() == [2, 1]


# ---------------------------------------------------------------------------- the small economy


def _load_test_synth():
    """tests/data/test_synth.py, whose _dvar_panel implements eq. (6)–(7) independently."""
    path = Path(__file__).resolve().parents[1] / "data" / "test_synth.py"
    spec = importlib.util.spec_from_file_location("_independent_test_synth", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small_dataset(factory: pytest.TempPathFactory) -> Path:
    """The ``small`` economy (seed 0), generated once per test session."""
    out = factory.getbasetemp() / "vagg_small_seed0"
    if not (out / "manifest.json").exists():
        generate("small", 0, out)
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_dataset(tmp_path_factory)


def test_small_economy_matches_the_independent_implementation(small: Path) -> None:
    data = read_dataset(small)
    truth = pl.read_parquet(small / "truth_links.parquet")
    shares = intermediary_shares(data["customs"], data["products"])
    trade = firm_trade(data["customs"], truth, data["products"], shares)
    delta = import_share_by_year(data["io_national"], data["io_totals"], trade["year"].unique())
    result = export_dvar(
        trade, data["firms"], data["industries"], delta, data["national_series"], trim=None
    )
    mine = result.data.to_pandas()

    reference = _load_test_synth()
    true_party = truth.to_pandas().set_index("party_id")["firm_id"]
    reference._link_customs = lambda customs, firms: true_party  # same links for both
    ref = reference._dvar_panel(data)

    both = ref[["firm_id", "year", "dvar"]].merge(
        mine[["firm_id", "year", "dvar"]], on=["firm_id", "year"], how="outer", indicator=True
    )
    assert (both["_merge"] == "both").all(), both["_merge"].value_counts()
    assert len(both) > 30_000
    np.testing.assert_allclose(both["dvar_y"], both["dvar_x"], rtol=0, atol=1e-10)

    # the linkage step (name, then zip + phone) finds the same firm-years and values
    found = link_customs(data["customs"], data["firms"]).links
    linked = export_dvar(
        firm_trade(data["customs"], found, data["products"], shares),
        data["firms"],
        data["industries"],
        delta,
        data["national_series"],
        trim=None,
    ).data
    assert linked.select("firm_id", "year").equals(result.data.select("firm_id", "year"))
    np.testing.assert_allclose(linked["dvar"], result.data["dvar"], rtol=0, atol=1e-12)

    # trade_measures.md §1.7: processing DVAR below ordinary DVAR in every year
    trimmed = export_dvar(trade, data["firms"], data["industries"], delta, data["national_series"])
    assert trimmed.data["dvar"].is_between(0, 1).all()
    by_type = aggregate_dvar(trimmed.data, ["year", "regime_type"]).pivot(
        on="regime_type", index="year", values="dvar"
    )
    assert (by_type["processing"] < by_type["ordinary"]).all()
    for variant in ("dvar1", "dvar2", "dvar3"):
        alt = export_dvar(
            trade,
            data["firms"],
            data["industries"],
            delta,
            data["national_series"],
            variant=variant,
        )
        agg = aggregate_dvar(alt.data, ["year", "regime_type"]).pivot(
            on="regime_type", index="year", values="dvar"
        )
        assert (agg["processing"] < agg["ordinary"]).all(), variant
    assert alt.excluded["DVAR outside [0, 1] (trimmed)"] >= 0
