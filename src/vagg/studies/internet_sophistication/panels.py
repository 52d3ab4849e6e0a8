"""Derived panels of ``internet_sophistication``: the province × year frame and the five W.

:func:`province_frame` builds, from ``province_panel``, ``province_exports`` and
``national_series``, one row per province and year of the estimation window with

* ``met`` (EXPY, 10⁴ yuan; eq. 12–13 with PRODY over the provinces weighted by per-capita
  GDP, :func:`vagg.measures.sophistication.expy`) and ``ln_met``; ``y`` is the dependent
  variable of Tables 1–5 (``ln_met`` or ``met`` by the option ``met_scale``);
* ``inter``: the projection-pursuit Internet index of the four indicators, fitted year by year
  with RAGA (eq. 14–20, :func:`vagg.projection_pursuit`); ``inter_std``: ``inter``
  standardised within each year (mean 0, population sd 1); ``inter_ew``: the equal-weight
  index with pooled normalisation over 2004–2016, the definition the synthetic economy's truth
  uses;
* ``ln_broadband_pc``: ln(broadband subscribers / population), the outcome of the check on the
  year-by-year index (Table A1);
* ``allo``: Solow TFP (ln, α_K = 0.4, δ = 9.6 %, perpetual inventory at 2004 prices;
  :func:`vagg.measures.solow.solow_tfp`);
* the controls ``urban gov lab open`` (:func:`vagg.measures.regional.sophistication_controls`);
* ``coastal_main`` and ``coastal_2``: the two coastal dummies of the options;
* ``a_<indicator>``: the projection direction of the row's year;
* ``rd_personnel``, ``rd_expenditure``, ``wage``, ``pgdp`` for the weight matrices.

:func:`weights` returns the contiguity, inverse-distance, economic-distance and the two
gravity R&D-flow matrices (:mod:`vagg.weights`), row-standardised, for the whole panel or a
subsample (the within-group block, re-standardised; spec 004 §8).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vagg.estimate.composite import projection_pursuit
from vagg.estimate.composite.raga import RagaOptions
from vagg.measures.regional import COASTAL_SPLITS, sophistication_controls
from vagg.measures.solow import solow_tfp
from vagg.measures.sophistication import expy
from vagg.studies.data import StudyData
from vagg.studies.errors import StudyError
from vagg.weights import SpatialWeights
from vagg.weights.contiguity import queen_provinces
from vagg.weights.distance import inverse_distance_provinces
from vagg.weights.economic import economic_distance
from vagg.weights.gravity import rd_capital_flow, rd_personnel_flow

__all__ = [
    "CONTROLS",
    "EQUAL_WEIGHT_WINDOW",
    "INDICATORS",
    "WEIGHTS",
    "check_balanced",
    "equal_weight_index",
    "pp_directions",
    "province_frame",
    "weights",
]

#: The four Internet indicators of eq. (14)–(20), in the paper's order.
INDICATORS: tuple[str, ...] = (
    "postal_volume",
    "internet_penetration",
    "optical_cable_km",
    "mobile_switch_capacity",
)
#: The controls of eq. (21)–(25): URBAN, GOV, LAB, OPEN.
CONTROLS: tuple[str, ...] = ("urban", "gov", "lab", "open")
#: Years over which the equal-weight index is normalised (the paper's stated 2004–2016).
EQUAL_WEIGHT_WINDOW: tuple[int, int] = (2004, 2016)
#: Names of the weight matrices of Tables 4–6.
WEIGHTS: tuple[str, ...] = ("contiguity", "distance", "economic", "wfp", "wfc")


def check_balanced(frame: pd.DataFrame, table: str, years: Sequence[int]) -> None:
    """Refuse a panel in which a province lacks a year of ``years`` (names the pairs).

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``province_code`` and ``year``.
    table : str
        The table's name, for the message.
    years : sequence of int
        The years every province must have.

    Raises
    ------
    StudyError
        A (province, year) pair is missing or duplicated.
    """
    dup = frame.duplicated(["province_code", "year"])
    if dup.any():
        pairs = frame.loc[dup, ["province_code", "year"]].head(5).to_records(index=False)
        raise StudyError(f"{table}: duplicated (province_code, year) rows: {list(pairs)}")
    have = set(zip(frame["province_code"], frame["year"].astype(int), strict=True))
    missing = [
        (p, y) for p in sorted(frame["province_code"].unique()) for y in years if (p, y) not in have
    ]
    if missing:
        shown = ", ".join(f"{p}/{y}" for p, y in missing[:8])
        raise StudyError(
            f"{table}: unbalanced panel, {len(missing)} province-years missing "
            f"(province_code/year): {shown}"
        )


def _positive(frame: pd.DataFrame, column: str, table: str) -> None:
    bad = frame[~(frame[column] > 0)]
    if len(bad):
        rows = ", ".join(f"{p}/{y}" for p, y in zip(bad["province_code"], bad["year"], strict=True))
        raise StudyError(
            f"{table}: column {column!r} must be > 0 to take its log; offending rows "
            f"(province_code/year): {rows[:200]}"
        )


def equal_weight_index(
    panel: pd.DataFrame, window: tuple[int, int] = EQUAL_WEIGHT_WINDOW
) -> pd.Series:
    """INTER with a_j = ½ and min–max over the pooled ``window`` (eq. 14–15, 19 with a fixed a).

    ``INTER_it = Σ_j ½·[(x_jit − min_j)/(max_j − min_j) + 0.01]``, min and max over all
    provinces and years of ``window``. This is the index the synthetic economy plants its
    effects on; the projection pursuit with pooled normalisation finds a direction near it.

    Parameters
    ----------
    panel : pandas.DataFrame
        ``province_panel`` rows with the four indicators and ``year``.
    window : tuple of int
        First and last year of the normalisation.

    Returns
    -------
    pandas.Series
        Aligned to ``panel``'s index.
    """
    inside = panel["year"].between(*window)
    total = pd.Series(0.0, index=panel.index)
    for col in INDICATORS:
        lo, hi = panel.loc[inside, col].min(), panel.loc[inside, col].max()
        if not hi > lo:
            raise StudyError(f"province_panel: indicator {col!r} is constant over {window}")
        total += 0.5 * ((panel[col] - lo) / (hi - lo) + 0.01)
    return total


def _frame(
    data: StudyData,
    *,
    first: int,
    last: int,
    pp_fit: str,
    pp_normalise: str,
    population: int,
    coastal_main: str,
    coastal_2: str,
) -> pd.DataFrame:
    panel = data.table("province_panel").to_pandas()
    exports = data.table("province_exports")
    national = data.table("national_series")
    years = list(range(first, last + 1))
    window = panel[panel["year"].between(first, last)].reset_index(drop=True)
    check_balanced(window, "province_panel", years)
    for col in ("gdp", "gdp_per_capita", "employment_total", *INDICATORS):
        _positive(window, col, "province_panel")
    met = expy(exports, data.table("province_panel")).to_pandas()
    met["expy"] = met["expy"] / 1e4  # 10⁴ yuan
    allo = solow_tfp(data.table("province_panel"), base_year=first).to_pandas()
    ctl = sophistication_controls(data.table("province_panel"), national).to_pandas()
    keys = ["province_code", "year"]
    out = window[keys + list(INDICATORS)].copy()
    out = out.merge(met.rename(columns={"expy": "met"}), on=keys, how="left")
    out = out.merge(allo[[*keys, "ln_tfp"]].rename(columns={"ln_tfp": "allo"}), on=keys, how="left")
    out = out.merge(ctl, on=keys, how="left")
    lost = out[out[["met", "allo", *CONTROLS]].isna().any(axis=1)]
    if len(lost):
        rows = ", ".join(
            f"{p}/{y}" for p, y in zip(lost["province_code"], lost["year"], strict=True)
        )
        raise StudyError(
            f"province_exports/province_panel: MET, ALLO or a control is missing for "
            f"(province_code/year) {rows[:200]}"
        )
    _positive(out, "met", "province_exports (MET)")
    out["ln_met"] = np.log(out["met"])
    ew = equal_weight_index(panel)
    out["inter_ew"] = ew[panel["year"].between(first, last)].to_numpy()
    pp = projection_pursuit(
        out,
        list(INDICATORS),
        by="year" if pp_fit == "year" else None,
        normalise="pooled" if pp_fit == "year" and pp_normalise == "pooled" else "group",
        seed=0,
        options=RagaOptions(population=population),
    )
    out["inter"] = pp.scores.to_numpy()
    by_year = out.groupby("year")["inter"]
    out["inter_std"] = (out["inter"] - by_year.transform("mean")) / by_year.transform(
        lambda x: x.std(ddof=0)
    )
    _positive(window, "broadband_subscribers", "province_panel")
    out["ln_broadband_pc"] = np.log(window["broadband_subscribers"] / window["population"])
    extra = window[
        ["gdp_per_capita", "rd_personnel", "rd_expenditure", "average_wage", "capital_stock", "gdp"]
    ].rename(columns={"gdp_per_capita": "pgdp", "average_wage": "wage"})
    out = pd.concat([out, extra.reset_index(drop=True)], axis=1)
    for name, split in (("coastal_main", coastal_main), ("coastal_2", coastal_2)):
        out[name] = out["province_code"].isin(COASTAL_SPLITS[split])
    directions = pp.directions
    for col in INDICATORS:
        if len(directions) == 1:
            out[f"a_{col}"] = float(directions[col].iloc[0])
        else:
            by_year = {int(str(k)): float(v) for k, v in directions[col].items()}
            out[f"a_{col}"] = out["year"].map(by_year)
    return out.sort_values(keys).reset_index(drop=True)


def province_frame(data: StudyData) -> pd.DataFrame:
    """The estimation panel (module docstring), cached per dataset and options.

    Parameters
    ----------
    data : StudyData
        The study's data and options.

    Returns
    -------
    pandas.DataFrame
        One row per province and year of ``first_year``–``last_year``; column ``y`` is the
        dependent variable of Tables 1–5.

    Raises
    ------
    StudyError
        A province missing in a year, a non-positive value that enters a log, a missing
        measure.
    """
    first, last = int(data.option("first_year")), int(data.option("last_year"))
    if last - first < 4:
        raise StudyError(f"first_year={first}, last_year={last}: need at least 5 years")
    frame = data.cached(
        "province_frame",
        _frame,
        params={
            "first": first,
            "last": last,
            "pp_fit": data.option("pp_fit"),
            "pp_normalise": data.option("pp_normalise"),
            "population": int(data.option("raga_population")),
            "coastal_main": data.option("coastal_main"),
            "coastal_2": data.option("coastal_split_2"),
        },
    )
    frame = frame.copy()
    frame["y"] = frame["ln_met"] if data.option("met_scale") == "log" else frame["met"]
    return frame


def pp_directions(data: StudyData) -> pd.DataFrame:
    """The projection-pursuit direction a*_t: one row per year, one column per indicator
    (the same row every year when the direction is fitted pooled)."""
    frame = province_frame(data)
    cols = [f"a_{c}" for c in INDICATORS]
    out = frame.groupby("year")[cols].first()
    out.columns = list(INDICATORS)
    return out


def weights(
    frame: pd.DataFrame, name: str, provinces: Sequence[str] | None = None
) -> SpatialWeights:
    """Row-standardised W ``name`` over ``provinces`` (default: all of ``frame``).

    ``contiguity``: queen with the Hainan–Guangdong link; ``distance``: 1/d between capitals
    (km); ``economic``: 1/|ḡ_i − ḡ_j| on mean per-capita GDP; ``wfp`` / ``wfc``: the gravity
    R&D-personnel and R&D-capital flow matrices (:mod:`vagg.weights.gravity`) on the sample
    means of R&D personnel and wages, and of R&D expenditure and the capital pull (GDP per
    unit of capital). A subsample's W is the within-group block, re-standardised.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`province_frame`.
    name : str
        One of :data:`WEIGHTS`.
    provinces : sequence of str, optional
        The provinces of the subsample.

    Returns
    -------
    SpatialWeights
    """
    codes = sorted(frame["province_code"].unique() if provinces is None else provinces)
    sub = frame[frame["province_code"].isin(codes)]
    means = sub.groupby("province_code")[
        ["pgdp", "rd_personnel", "wage", "rd_expenditure", "gdp", "capital_stock"]
    ].mean()
    if name == "contiguity":
        return queen_provinces(provinces=codes)
    if name == "distance":
        return inverse_distance_provinces(provinces=codes)
    if name == "economic":
        return economic_distance(means["pgdp"])
    if name == "wfp":
        return rd_personnel_flow(means["rd_personnel"] * 1e4, means["wage"], negative="zero")
    if name == "wfc":
        return rd_capital_flow(
            means["rd_expenditure"] * 1e8,
            100 * means["gdp"] / means["capital_stock"],
            negative="zero",
        )
    raise StudyError(f"weights: unknown W {name!r}; use one of {list(WEIGHTS)}")
