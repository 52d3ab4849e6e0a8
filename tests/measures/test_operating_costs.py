"""M5 of paper 003 (vagg.measures.operating_costs): OPEX, COSTR, LABCOST, FINPRESS, MC, ADJ.

Expected numbers are worked out by hand in the comments; ADJ is recomputed on a random
unbalanced panel with pandas (years reindexed per firm, ``diff`` and ``rolling(3).std``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.measures.operating_costs import adjustment_cost, cost_ratios, log_marginal_cost


def _firms() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "firm_id": ["A", "B", "C"],
            "year": 2005,
            "sales": [200.0, 0.0, 100.0],
            "gross_output": [160.0, 50.0, 0.0],
            "wage_bill": [40.0, 5.0, 10.0],
            "admin_expenses": [10.0, 1.0, None],
            "selling_expenses": [30.0, 2.0, 5.0],
            "cost_main_business": [150.0, 3.0, 80.0],
            "financial_expenses": [-4.0, 1.0, 2.0],
        }
    )


def test_cost_ratios_hand_numbers_and_exclusions() -> None:
    out, report = cost_ratios(_firms(), return_report=True)
    a = out.iloc[0]
    assert a.opex == pytest.approx(0.2)  # (10 + 30) / 200
    assert a.costr == pytest.approx(0.75)  # 150 / 200
    assert a.labcost == pytest.approx(0.25)  # 40 / 160
    assert a.finpress == pytest.approx(-0.02)  # net interest income: -4 / 200
    b, c = out.iloc[1], out.iloc[2]
    assert b[["opex", "costr", "finpress"]].isna().all() and b.labcost == 0.1
    assert pd.isna(c.opex) and c.costr == 0.8 and pd.isna(c.labcost)
    assert report["excluded"] == {
        "opex": {"sales not positive": 1, "missing admin_expenses": 1},
        "costr": {"sales not positive": 1},
        "labcost": {"gross_output not positive": 1},
        "finpress": {"sales not positive": 1},
    }
    values = out[["opex", "costr", "labcost", "finpress"]].to_numpy()
    assert not np.isinf(values).any()


def test_cost_ratios_unchanged_by_a_money_rescale() -> None:
    firms = _firms()
    money = [c for c in firms.columns if c not in ("firm_id", "year")]
    scaled = firms.copy()
    scaled[money] = scaled[money] * 1000.0
    pd.testing.assert_frame_equal(cost_ratios(scaled), cost_ratios(firms))


def test_cost_ratios_bad_input() -> None:
    firms = _firms()
    firms.loc[2, "selling_expenses"] = -1.0
    with pytest.raises(SchemaError, match=r"'firms', column 'selling_expenses'.*rows \[2\]"):
        cost_ratios(firms)
    with pytest.raises(SchemaError, match=r"missing required column.*'financial_expenses'"):
        cost_ratios(_firms().drop(columns="financial_expenses"))
    firms = _firms()
    firms["sales"] = firms["sales"].astype(str)
    with pytest.raises(SchemaError, match=r"'sales'.*must be numeric"):
        cost_ratios(firms)


def test_log_marginal_cost() -> None:
    prices = pl.DataFrame({"firm_id": ["A", "B"], "year": [2005, 2005], "log_price": [1.5, 0.3]})
    markups = pl.DataFrame({"firm_id": ["A"], "year": [2005], "log_markup": [0.2]})
    out, report = log_marginal_cost(prices, markups, return_report=True)
    assert out["mc"].to_list() == [pytest.approx(1.3)]
    assert report["prices_without_markup"] == 1
    pandas_out = log_marginal_cost(prices.to_pandas(), markups.to_pandas())
    assert pandas_out["mc"].tolist() == [pytest.approx(1.3)]


def test_adjustment_cost_hand_number() -> None:
    e = math.e
    firms = pl.DataFrame(
        {
            "firm_id": ["A"] * 4,
            "year": [2001, 2002, 2003, 2004],
            "employment": [100, 200, 100, 200],
            "sales": [100.0, 100.0 * e, 100.0, 100.0 * e],
        }
    )
    out, report = adjustment_cost(firms, return_report=True)
    # Δln L = (ln2, −ln2, ln2), Δln S = (1, −1, 1): both sds are 2/√3 times ln2 and 1
    assert out["adj"].to_list()[:3] == [None, None, None]
    assert out["adj"][3] == pytest.approx(math.log(2), rel=1e-12)
    assert out["sd_dln_sales"][3] == pytest.approx(2 / math.sqrt(3), rel=1e-12)
    assert report["excluded"]["adj"] == {"fewer than 3 consecutive growth rates": 3}


def _pandas_adj(firms: pd.DataFrame, window: int) -> pd.Series:
    pieces = []
    for firm, group in firms.groupby("firm_id"):
        g = group.set_index("year").reindex(range(group.year.min(), group.year.max() + 1))
        sd = {}
        for col in ("employment", "sales"):
            log = np.log(g[col].where(g[col] > 0))
            sd[col] = log.diff().rolling(window).std()
        adj = sd["employment"] / sd["sales"].where(sd["sales"] > 0)
        pieces.append(pd.DataFrame({"firm_id": firm, "year": g.index, "adj": adj.to_numpy()}))
    return pd.concat(pieces).set_index(["firm_id", "year"])["adj"]


def test_adjustment_cost_matches_pandas_on_unbalanced_panel() -> None:
    rng = np.random.default_rng(7)
    rows = []
    for i in range(80):
        years = sorted(rng.choice(np.arange(1998, 2008), size=rng.integers(2, 10), replace=False))
        for year in years:
            rows.append((f"F{i:03d}", int(year), int(rng.integers(0, 400)), rng.lognormal(8, 1)))
    firms = pd.DataFrame(rows, columns=["firm_id", "year", "employment", "sales"])
    for window in (3, 2):
        out = adjustment_cost(firms, window=window)
        expected = _pandas_adj(firms, window).reindex(
            pd.MultiIndex.from_frame(firms[["firm_id", "year"]])
        )
        assert out["adj"].notna().sum() > 20
        np.testing.assert_allclose(out["adj"].to_numpy(), expected.to_numpy(), rtol=1e-10)
    scaled = adjustment_cost(firms.assign(sales=firms.sales * 1e-3))
    np.testing.assert_allclose(scaled["adj"], adjustment_cost(firms)["adj"], rtol=1e-10)


def test_adjustment_cost_bad_arguments() -> None:
    with pytest.raises(ValueError, match="window"):
        adjustment_cost(_firms(), window=1)
    with pytest.raises(SchemaError, match=r"'firms', column 'year'.*whole numbers"):
        adjustment_cost(
            pd.DataFrame({"firm_id": ["A"], "year": ["2005a"], "employment": [1], "sales": [1.0]})
        )
