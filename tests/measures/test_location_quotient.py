"""Location quotient and the distance-decayed virtual agglomeration Vag (paper 002 §3.2.2).

References (tests/reference/province_measures.json): a hand-computed three-province example,
Beijing–Shanghai distances from the methods note §3.2, libpysal's ``arcdist`` for the default
distances; closed forms: with every off-diagonal distance infinite Vag equals the plain LQ, and
Σ_j (X_j/X)·LQ_j = 1 when the national totals are the provincial sums.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data import geography
from vagg.data.errors import SchemaError
from vagg.errors import VaggError
from vagg.measures.location_quotient import decay_weights, distance_decayed_lq, location_quotient

REF = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "province_measures.json").read_text()
)
CODES = ["11", "12", "13"]
PANEL = pd.DataFrame(
    {
        "province_code": CODES,
        "year": 2010,
        "ict_employment": [10.0, 5.0, 5.0],
        "urban_unit_employment": [100.0, 100.0, 200.0],
    }
)
DIST = pd.DataFrame(
    [[0.0, 100.0, 200.0], [100.0, 0.0, 100.0], [200.0, 100.0, 0.0]], index=CODES, columns=CODES
)


def test_hand_example() -> None:
    ref = REF["lq_hand"]
    lq = location_quotient(PANEL)
    np.testing.assert_allclose(lq["lq"], ref["lq"], rtol=1e-14)
    km = distance_decayed_lq(PANEL, distances=DIST)
    np.testing.assert_allclose(km["vag"], ref["vag_km"], rtol=1e-14)
    hundred = distance_decayed_lq(PANEL, distances=DIST, unit_km=100.0)
    np.testing.assert_allclose(hundred["vag"], ref["vag_100km"], rtol=1e-14)


def test_infinite_distances_give_plain_lq(province_economy: dict) -> None:
    panel = province_economy["province_panel"]
    codes = geography.provinces()["province_code"].tolist()
    far = pd.DataFrame(np.inf, index=codes, columns=codes)
    out = distance_decayed_lq(panel, distances=far)
    np.testing.assert_array_equal(out["vag"].to_numpy(), out["lq"].to_numpy())
    assert np.array_equal(decay_weights(distances=far).to_numpy(), np.eye(30))


def test_lq_weighted_mean_is_one(province_economy: dict) -> None:
    panel = province_economy["province_panel"]
    lq = location_quotient(panel).join(
        panel.select("province_code", "year", "urban_unit_employment"), on=["province_code", "year"]
    )
    check = lq.group_by("year").agg(
        (pl.col("lq") * pl.col("urban_unit_employment")).sum()
        / pl.col("urban_unit_employment").sum()
    )
    np.testing.assert_allclose(check["lq"].to_numpy(), 1.0, atol=1e-12)


def test_default_weights_are_inverse_great_circle_km() -> None:
    from libpysal.cg.sphere import arcdist

    weights = decay_weights()
    assert np.all(np.diag(weights.to_numpy()) == 1.0)
    table = geography.provinces().set_index("province_code")
    for a, b in (("11", "31"), ("44", "65"), ("46", "23")):
        km = arcdist(tuple(table.loc[a, ["lon", "lat"]]), tuple(table.loc[b, ["lon", "lat"]]))
        # libpysal uses R = 6371.0 km, vagg 6371.0088 km: relative gap 1.4e-6
        assert 1.0 / weights.loc[a, b] == pytest.approx(km * 6371.0088 / 6371.0, rel=1e-9)
    ref = REF["beijing_shanghai_km"]
    assert geography.great_circle_km(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(
        ref["r6371_0088"], abs=1e-3
    )


def test_minmax_options(province_economy: dict) -> None:
    panel = province_economy["province_panel"].filter(pl.col("year").is_between(2009, 2020))
    raw = distance_decayed_lq(panel)
    pooled = distance_decayed_lq(panel, normalise="minmax")
    assert pooled["vag"].min() == 0.0 and pooled["vag"].max() == pytest.approx(1.0)
    span = raw["vag"].max() - raw["vag"].min()
    np.testing.assert_allclose(
        pooled["vag"].to_numpy(), (raw["vag"].to_numpy() - raw["vag"].min()) / span, atol=1e-14
    )
    yearly = distance_decayed_lq(panel, normalise="minmax", minmax_over="year")
    per_year = yearly.group_by("year").agg(pl.col("vag").min().alias("lo"), pl.col("vag").max())
    assert (per_year["lo"] == 0).all() and np.allclose(per_year["vag"], 1.0)
    fixed = distance_decayed_lq(panel, normalise="minmax", bounds=(0.0, 10.0))
    np.testing.assert_allclose(fixed["vag"].to_numpy(), raw["vag"].to_numpy() / 10.0)


# --- bad inputs: one test per error case


def test_error_province_missing_in_a_year() -> None:
    two_years = pd.concat([PANEL, PANEL.assign(year=2011)]).iloc[:-1]
    with pytest.raises(SchemaError, match=r"province is missing in a year.*\('13', 2011\)"):
        distance_decayed_lq(two_years, distances=DIST)


def test_error_unknown_province_code() -> None:
    with pytest.raises(SchemaError, match=r"unknown province codes.*\['99'\]"):
        location_quotient(PANEL.assign(province_code=["11", "12", "99"]))


def test_error_zero_total_employment() -> None:
    bad = PANEL.assign(urban_unit_employment=[100.0, 0.0, 200.0])
    with pytest.raises(SchemaError, match=r"column 'urban_unit_employment'.*rows \[1\]"):
        location_quotient(bad)


def test_error_negative_ict_employment() -> None:
    bad = PANEL.assign(ict_employment=[10.0, -5.0, 5.0])
    with pytest.raises(SchemaError, match=r"column 'ict_employment'.*non-negative.*rows \[1\]"):
        location_quotient(bad)


def test_error_distances_missing_a_province() -> None:
    with pytest.raises(SchemaError, match=r"table 'distances'.*no distances.*\['13'\]"):
        distance_decayed_lq(PANEL, distances=DIST.loc[["11", "12"], ["11", "12"]])


def test_error_zero_distance_between_provinces() -> None:
    bad = DIST.copy()
    bad.loc["11", "12"] = 0.0
    with pytest.raises(SchemaError, match=r"distances between distinct provinces must be positive"):
        distance_decayed_lq(PANEL, distances=bad)


def test_error_bad_normalisation_option() -> None:
    with pytest.raises(VaggError, match="argument 'normalise'"):
        distance_decayed_lq(PANEL, distances=DIST, normalise="zscore")  # type: ignore[arg-type]


def test_error_bad_bounds() -> None:
    with pytest.raises(VaggError, match="argument 'bounds'"):
        distance_decayed_lq(PANEL, distances=DIST, normalise="minmax", bounds=(1.0, 1.0))
