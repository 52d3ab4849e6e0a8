"""Export resilience (paper 002 §3.2.1): SL, Martin's sensitivity and resistance indices.

References (tests/reference/province_measures.json): the methods note's toy oracle
(regional_and_estimators.md §2), hand series for Martin's indices and for the window k, paper
002's Table 1 moments; closed forms: Σ_i (E_i,t−k/E_t−k)·exp(SL_it) = 1 when E_t = Σ_i E_it
(so some province has SL ≤ 0 every year), and the affine transformation leaves OLS t-values
unchanged (checked with statsmodels).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
import statsmodels.api as sm

from vagg.data.errors import SchemaError
from vagg.errors import VaggError
from vagg.measures.resilience import TABLE1_SL, export_resilience, fit_moment_transform

REF = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "province_measures.json").read_text()
)


def _panel(series: dict[str, list[float]], first: int = 2008) -> pd.DataFrame:
    rows = [
        {"province_code": code, "year": first + t, "exports_usd": value}
        for code, values in series.items()
        for t, value in enumerate(values)
    ]
    return pd.DataFrame(rows)


def _national(values: list[float], first: int = 2008) -> pd.DataFrame:
    return pd.DataFrame({"year": range(first, first + len(values)), "exports_usd": values})


def test_toy_oracle_all_forms() -> None:
    panel = _panel({"11": [100.0, 90.0], "12": [900.0, 860.0]})
    nation = _national([1000.0, 950.0])
    ref = REF["resilience_toy"]
    for form, column in (("log_relative", "sl"), ("sensitivity", "sensitivity"),
                         ("resistance", "resistance")):  # fmt: skip
        out = export_resilience(panel, nation, form=form)
        assert list(out.columns) == ["province_code", "year", column]
        value = out.loc[out["province_code"] == "11", column].item()
        assert value == pytest.approx(ref[column], abs=1e-7)


def test_martin_hand_series() -> None:
    panel = _panel({"11": [200.0, 180.0, 198.0], "12": [1800.0, 1720.0, 1892.0]})
    nation = _national([2000.0, 1900.0, 2090.0])
    ref = REF["martin_series"]
    for form in ("sensitivity", "resistance"):
        out = export_resilience(panel, nation, form=form)
        got = out.loc[out["province_code"] == "11", form].to_numpy()
        np.testing.assert_allclose(got, ref[form], atol=1e-12)
    sl = export_resilience(panel, nation)
    np.testing.assert_allclose(sl.loc[sl["province_code"] == "11", "sl"], ref["sl"], atol=1e-12)
    assert list(sl["year"].unique()) == [2009, 2010]  # the first k years are the base


def test_window_k() -> None:
    panel = _panel({"11": [100.0, 110.0, 121.0], "12": [900.0, 890.0, 979.0]})
    nation = _national([1000.0, 1000.0, 1100.0])
    out = export_resilience(panel, nation, k=2)
    assert out["year"].tolist() == [2010, 2010]
    assert out.loc[out["province_code"] == "11", "sl"].item() == pytest.approx(
        REF["window_k2"]["sl"], abs=1e-12
    )
    # a wrong k changes the measure
    assert not np.allclose(export_resilience(panel, nation, k=1)["sl"].iloc[-1], 0.0953101798)


def test_national_undefined_growth_gives_null() -> None:
    panel = _panel({"11": [100.0, 90.0], "12": [900.0, 910.0]})
    out = export_resilience(panel, form="sensitivity")  # national 1000 → 1000
    assert out["sensitivity"].isna().all()


def test_sum_identity_and_nonpositive_province(province_economy: dict) -> None:
    panel = province_economy["province_panel"]
    sl = export_resilience(panel, years=(2009, 2020))
    assert isinstance(sl, pl.DataFrame) and sl.height == 360
    base = panel.select("province_code", (pl.col("year") + 1).alias("year"), "exports_usd")
    merged = sl.join(base, on=["province_code", "year"])
    weights = merged.with_columns(
        (pl.col("exports_usd") / pl.col("exports_usd").sum().over("year")).alias("w")
    )
    identity = weights.group_by("year").agg((pl.col("w") * pl.col("sl").exp()).sum().alias("s"))
    np.testing.assert_allclose(identity["s"].to_numpy(), 1.0, atol=1e-12)
    assert (sl.group_by("year").agg(pl.col("sl").min())["sl"] <= 0).all()
    # the official total differs by a year constant only
    official = export_resilience(panel, province_economy["national_series"], years=(2009, 2020))
    gap = sl.join(official, on=["province_code", "year"]).with_columns(
        (pl.col("sl") - pl.col("sl_right")).alias("d")
    )
    spread = gap.group_by("year").agg((pl.col("d").max() - pl.col("d").min()).alias("r"))
    assert spread["r"].max() < 1e-12


def test_affine_transform_keeps_t_values(province_economy: dict) -> None:
    panel = province_economy["province_panel"]
    sl = export_resilience(panel, years=(2009, 2020)).to_pandas()
    moved = export_resilience(panel, years=(2009, 2020), transform="affine").to_pandas()
    assert moved["sl"].mean() == pytest.approx(TABLE1_SL["mean"], abs=1e-12)
    assert moved["sl"].std(ddof=1) == pytest.approx(TABLE1_SL["sd"], abs=1e-12)
    x = sm.add_constant(np.log(panel.filter(pl.col("year") >= 2009)["gdp"].to_numpy()))
    t_raw = sm.OLS(sl["sl"].to_numpy(), x).fit().tvalues[1]
    t_new = sm.OLS(moved["sl"].to_numpy(), x).fit().tvalues[1]
    assert t_new == pytest.approx(t_raw, rel=1e-10)


def test_exponential_transform_hits_table1(province_economy: dict) -> None:
    panel = province_economy["province_panel"]
    sl = export_resilience(panel, years=(2009, 2020))["sl"].to_numpy()
    fitted = fit_moment_transform(sl, "exponential")
    out = fitted(sl)
    target = REF["paper002_table1_sl"]
    assert out.mean() == pytest.approx(target["mean"], abs=1e-10)
    assert out.std(ddof=1) == pytest.approx(target["sd"], abs=1e-10)
    assert out.min() == pytest.approx(target["min"], abs=1e-9)
    assert (out > 0).all() and fitted.lam > 0
    assert np.array_equal(np.argsort(out, kind="stable"), np.argsort(sl, kind="stable"))
    assert fitted.achieved["max"] == pytest.approx(out.max())


def test_exponential_transform_refuses_light_left_tail() -> None:
    sample = np.random.default_rng(0).exponential(1.0, 400)  # standardised min ≈ −1 > −1.23
    with pytest.raises(VaggError, match="already above the target"):
        fit_moment_transform(sample, "exponential")


# --- bad inputs: one test per error case


def test_error_province_missing_in_a_year() -> None:
    panel = _panel({"11": [100.0, 90.0, 95.0], "12": [900.0, 860.0, 870.0]}).iloc[:-1]
    with pytest.raises(SchemaError, match=r"province_panel.*province is missing.*\('12', 2010\)"):
        export_resilience(panel)


def test_error_nonpositive_exports() -> None:
    panel = _panel({"11": [100.0, 0.0], "12": [900.0, 860.0]})
    with pytest.raises(SchemaError, match=r"'province_panel', column 'exports_usd'.*rows \[1\]"):
        export_resilience(panel)


def test_error_exports_not_numbers() -> None:
    panel = _panel({"11": [100.0, 90.0], "12": [900.0, 860.0]})
    panel["exports_usd"] = ["100", "90", "1,900", "860"]
    with pytest.raises(SchemaError, match=r"column 'exports_usd': values are not numbers.*\[2\]"):
        export_resilience(panel)


def test_error_unknown_province_code() -> None:
    panel = _panel({"11": [100.0, 90.0], "54": [10.0, 11.0]})
    with pytest.raises(SchemaError, match=r"column 'province_code': unknown province.*\['54'"):
        export_resilience(panel)


def test_error_duplicate_province_year() -> None:
    panel = _panel({"11": [100.0, 90.0]})
    with pytest.raises(SchemaError, match="duplicate key"):
        export_resilience(pd.concat([panel, panel.iloc[[0]]]))


def test_error_base_years_missing() -> None:
    panel = _panel({"11": [100.0, 90.0], "12": [900.0, 860.0]})
    with pytest.raises(SchemaError, match=r"column 'year'.*need exports in 2007–2009"):
        export_resilience(panel, years=(2008, 2009))


def test_error_national_year_missing() -> None:
    panel = _panel({"11": [100.0, 90.0], "12": [900.0, 860.0]})
    with pytest.raises(SchemaError, match=r"'national_series', column 'exports_usd'.*\[2008\]"):
        export_resilience(panel, _national([950.0], first=2009))


def test_error_bad_window() -> None:
    panel = _panel({"11": [100.0, 90.0], "12": [900.0, 860.0]})
    with pytest.raises(VaggError, match="argument 'k'"):
        export_resilience(panel, k=0)


def test_error_unknown_form() -> None:
    panel = _panel({"11": [100.0, 90.0], "12": [900.0, 860.0]})
    with pytest.raises(VaggError, match="argument 'form'"):
        export_resilience(panel, form="resilience")  # type: ignore[arg-type]
