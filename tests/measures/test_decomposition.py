"""Tests for vagg.measures.decomposition: Olley–Pakes and Melitz–Polanec (paper 001 eq. 23).

References: a hand computation from Melitz & Polanec's (2015) definitions with exact fractions
(``tests/reference/melitz_polanec_hand.json``); the identity ΔΦ = within + between + entry +
exit to 1e-12 on random panels; and an independent plain-Python implementation written from
the same definitions (loops over dicts, no polars) on a random panel with entry, exit, gaps and
aggregates without survivors.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.errors import SchemaError
from vagg.measures.decomposition import MP_COMPONENTS, melitz_polanec, olley_pakes

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "melitz_polanec_hand.json"


def _hand() -> tuple[pd.DataFrame, dict]:
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    units = pd.DataFrame(ref["units"]).rename(
        columns={"unit": "hs6", "period": "year", "phi": "quality", "weight": "value_usd"}
    )
    units["city_code"], units["hs4"] = "110100", "8471"
    return units, ref["expected"]


def random_panel(seed: int = 5, n_groups: int = 60, n_units: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_groups):
        for u in range(n_units):
            for t in range(2005, 2011):
                if rng.random() < 0.55:
                    rows.append((f"{g:04d}00", "8471", f"{u:06d}", t))
    frame = pd.DataFrame(rows, columns=["city_code", "hs4", "hs6", "year"])
    frame["quality"] = rng.uniform(0, 1, len(frame))
    frame["value_usd"] = rng.lognormal(5, 2, len(frame))
    return frame


def naive_mp(frame: pd.DataFrame) -> dict[tuple[str, int], dict[str, float]]:
    """Melitz–Polanec from the definitions, one aggregate-period pair at a time."""
    data: dict[tuple[str, int], dict[str, tuple[float, float]]] = {}
    for r in frame.itertuples():
        data.setdefault((r.city_code, r.year), {})[r.hs6] = (r.quality, r.value_usd)
    out = {}
    for (g, t), now in data.items():
        before = data.get((g, t - 1))
        if before is None:
            continue
        w1, w2 = sum(w for _, w in before.values()), sum(w for _, w in now.values())
        s1 = {i: w / w1 for i, (_, w) in before.items()}
        s2 = {i: w / w2 for i, (_, w) in now.items()}
        surv = sorted(set(before) & set(now))
        if not surv:
            out[(g, t)] = {"status": "no_survivors"}
            continue

        def stats(s: dict, d: dict, surv: list = surv) -> tuple[float, float, float]:
            tot = sum(s[i] for i in surv)
            agg = sum(s[i] * d[i][0] for i in surv) / tot
            mean = sum(d[i][0] for i in surv) / len(surv)
            cov = sum((s[i] / tot - 1 / len(surv)) * (d[i][0] - mean) for i in surv)
            return agg, mean, cov

        agg1, mean1, cov1 = stats(s1, before)
        agg2, mean2, cov2 = stats(s2, now)
        ent = [i for i in now if i not in before]
        ext = [i for i in before if i not in now]
        se = sum(s2[i] for i in ent)
        sx = sum(s1[i] for i in ext)
        agg_e = sum(s2[i] * now[i][0] for i in ent) / se if ent else 0.0
        agg_x = sum(s1[i] * before[i][0] for i in ext) / sx if ext else 0.0
        out[(g, t)] = {
            "within": mean2 - mean1,
            "between": cov2 - cov1,
            "entry": se * (agg_e - agg2),
            "exit": sx * (agg1 - agg_x),
            "total": sum(s2[i] * now[i][0] for i in now)
            - sum(s1[i] * before[i][0] for i in before),
        }
    return out


def test_hand_computed_example() -> None:
    units, expected = _hand()
    res = melitz_polanec(units)
    row = res.data.iloc[0]
    for name in ("phi_prev", "phi", "total", "within", "between", "entry", "exit", "gap"):
        assert row[name] == pytest.approx(expected[name], abs=1e-14), name
    assert row["share_entrants"] == expected["share_entrants"]
    assert row["share_exiters"] == expected["share_exiters"]
    assert (row["n_survivors"], row["n_entrants"], row["n_exiters"]) == (2, 1, 1)
    assert res.excluded == {"no_previous_period": 1}
    op = olley_pakes(units).set_index("year")
    for period in (1, 2):
        ref = expected[f"olley_pakes_period_{period}"]
        assert op.loc[period, "phi"] == pytest.approx(ref["phi"], abs=1e-14)
        assert op.loc[period, "mean"] == pytest.approx(ref["mean"], abs=1e-14)
        assert op.loc[period, "cov"] == pytest.approx(ref["cov"], abs=1e-14)


def test_components_add_up_exactly() -> None:
    res = melitz_polanec(random_panel(), group=("city_code", "hs4"))
    data = res.data[res.data["status"] == "ok"]
    parts = data["within"] + data["between"] + data["entry"] + data["exit"]
    assert np.max(np.abs(parts - data["total"])) < 1e-12
    assert np.max(np.abs(data["gap"] - (data["total"] - data["within"]))) < 1e-12
    assert len(data) > 200


def test_agrees_with_plain_python_definitions() -> None:
    panel = random_panel(seed=9, n_groups=40, n_units=4)  # few units: some pairs lack survivors
    res = melitz_polanec(panel).data
    ref = naive_mp(panel)
    assert len(res) == len(ref)
    for row in res.itertuples():
        expected = ref[(row.city_code, row.year)]
        if "status" in expected:
            assert row.status == "no_survivors" and math.isnan(row.within)
            continue
        for name in ("within", "between", "entry", "exit", "total"):
            assert getattr(row, name) == pytest.approx(expected[name], abs=1e-12)
    assert (res["status"] == "no_survivors").any()


def test_empty_entrant_and_exiter_sets_contribute_zero() -> None:
    frame = pd.DataFrame(
        {
            "city_code": "110100",
            "hs4": "8471",
            "hs6": ["a", "b", "a", "b"],
            "year": [2005, 2005, 2006, 2006],
            "quality": [0.2, 0.6, 0.3, 0.9],
            "value_usd": [1.0, 3.0, 2.0, 2.0],
        }
    )
    row = melitz_polanec(pl.from_pandas(frame)).data.row(0, named=True)
    assert row["entry"] == 0.0 and row["exit"] == 0.0
    # survivors only: total = within + between = (0.5*0.3+0.5*0.9) - (0.25*0.2+0.75*0.6)
    assert row["total"] == pytest.approx(0.6 - 0.5, abs=1e-15)
    assert row["within"] == pytest.approx(0.6 - 0.4, abs=1e-15)


def test_gap_definitions_agree() -> None:
    panel = random_panel(seed=2)
    a = melitz_polanec(panel).data
    b = melitz_polanec(panel, gap="total_minus_within").data
    ok = a["status"] == "ok"
    assert np.max(np.abs(a.loc[ok, "gap"] - b.loc[ok, "gap"])) < 1e-12
    assert list(a.columns[3:9]) == list(MP_COMPONENTS)


def test_nonpositive_weight_is_an_error() -> None:
    units, _ = _hand()
    units.loc[2, "value_usd"] = 0.0
    with pytest.raises(SchemaError, match=r"table 'units', column 'value_usd'.*rows \[2\]"):
        melitz_polanec(units)


def test_missing_quality_is_an_error() -> None:
    units, _ = _hand()
    units.loc[4, "quality"] = None
    with pytest.raises(SchemaError, match=r"column 'quality'.*rows \[4\]"):
        melitz_polanec(units)


def test_duplicate_units_are_an_error() -> None:
    units, _ = _hand()
    units = pd.concat([units, units.iloc[[0]]], ignore_index=True)
    with pytest.raises(SchemaError, match=r"table 'units'.*duplicate key"):
        melitz_polanec(units)
