"""Supply-chain flexibility of importers: NSRC, IMPHHI, SWITCH, REPLACE, DOMSRC (paper 003, M3).

Mechanism M3 of study ``resilience_firms`` (spec 003 §4.2; paper §1.3: platforms let firms
find alternative suppliers quickly and not depend on a single one) is measured on the firm's
imports of intermediate goods:

* :func:`intermediate_imports` — the firm's import rows of BEC-intermediate HS6 products (the
  ``products`` table's ``end_use``, from the UN HS→BEC concordance, :mod:`vagg.data.concordance`;
  trade_measures §0.3), by regime group: ordinary trade (10) and processing trade (14, 15)
  separately — processing inputs are largely assigned by the foreign buyer (spec 003 §4.2) —
  and ``"all"`` (both);
* :func:`source_diversity` — NSRC (number of source countries) and IMPHHI (Herfindahl index of
  source-country, or country × HS6, import shares);
* :func:`source_switching` — SWITCH, the share of imports in (country, HS6) pairs not used in
  t − 1;
* :func:`replacement` — REPLACE, imports of the same HS6 from other countries gained after a
  source-country supply shock, per unit of the imports lost from the shocked country;
* :func:`domestic_sourcing` — DOMSRC = 1 − imported / total intermediate inputs (the
  complement of paper 000's impinput_ratio, :func:`vagg.measures.markets.imported_input_share`).

Input: a firm-linked customs frame (firm_id, year, flow, regime, hs6 or hs8, partner,
value_usd); with a ``flow`` column only imports are read. Product codes absent from
``products`` are an error naming the rows (the HS vintage must be converted first,
:mod:`vagg.measures.hs_vintage`). Written here: the indicators are short aggregations of
customs rows, and no package computes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import check_rows, check_unique_key, require_columns
from vagg.errors import VaggError
from vagg.measures._firm_trade import (
    REGIME_GROUPS,
    FirmMeasure,
    check_option,
    data_years,
    firm_trade,
    output,
    require_consecutive,
    require_years,
)
from vagg.measures.customs import keyed_lazy

__all__ = [
    "domestic_sourcing",
    "intermediate_imports",
    "replacement",
    "source_diversity",
    "source_switching",
]

Cells = Literal["country", "country_hs6"]
_DEFAULT_GROUPS = ("ordinary", "processing")


def _end_uses(products: Any) -> pl.LazyFrame:
    lf = keyed_lazy(products, "products")
    require_columns(lf, "products", ["hs6", "end_use"])
    lf = lf.select(pl.col("hs6").cast(pl.String).str.zfill(6), pl.col("end_use").cast(pl.String))
    check_unique_key(lf, "products", ["hs6"])
    return lf


def _intermediate(
    trade: Any, products: Any, regimes: Sequence[str]
) -> tuple[pl.LazyFrame, list[int], dict[str, int]]:
    for g in regimes:
        check_option("regimes", g, list(REGIME_GROUPS))
    if not regimes:
        raise VaggError("argument 'regimes': give at least one regime group")
    rows = firm_trade(trade, "trade", flow="import", products=True, partners=True, regime=True)
    years = data_years(rows)
    rows = rows.join(_end_uses(products), on="hs6", how="left").collect().lazy()
    check_rows(
        rows,
        "trade",
        [(pl.col("end_use").is_null(), "hs6", "HS6 code not in the products table")],
        row_col="_row",
    )
    core = list(REGIME_GROUPS["all"])
    in_core = pl.col("regime").is_in(core).fill_null(False)
    tally = rows.select(
        (~in_core).sum().alias("rows_other_regime"),
        (in_core & (pl.col("end_use") != "intermediate")).sum().alias("rows_not_intermediate"),
    ).collect()
    counts = {k: int(tally[k][0]) for k in tally.columns}
    inter = rows.filter(pl.col("end_use") == "intermediate")
    parts = [
        inter.filter(pl.col("regime").is_in(list(REGIME_GROUPS[g]))).with_columns(
            pl.lit(g).alias("regime_group")
        )
        for g in dict.fromkeys(regimes)
    ]
    out = (
        pl.concat(parts)
        .group_by("firm_id", "year", "regime_group", "partner", "hs6")
        .agg(pl.col("value_usd").sum())
        .filter(pl.col("value_usd") > 0)
    )
    return out, years, counts


def intermediate_imports(
    trade: Any, products: Any, *, regimes: Sequence[str] = _DEFAULT_GROUPS
) -> FirmMeasure:
    """The firm's imports of BEC-intermediate goods by year, regime group, source and HS6.

    M_fchgt = Σ value_usd over the firm's import rows of HS6 h from country c in year t under
    the regimes of group g (``"ordinary"``: 10; ``"processing"``: 14, 15; ``"all"``: both),
    for products whose ``end_use`` in ``products`` is ``"intermediate"`` (BEC Rev.4 classes
    111, 121, 21, 22, 31, 322, 42, 53; trade_measures §0.3; UN Statistics Division HS→BEC
    tables). Spec 003 §4.2 M3 ("BEC-intermediate imports, ordinary and processing
    separately"). Rows under other regimes and of non-intermediate products are counted
    (``rows_other_regime``, ``rows_not_intermediate``); cells of zero value are dropped.

    Returns :class:`FirmMeasure` with table (firm_id, year, regime_group, partner, hs6,
    value_usd).
    """
    lf, years, counts = _intermediate(trade, products, regimes)
    out = lf.sort("firm_id", "year", "regime_group", "partner", "hs6").collect()
    return FirmMeasure(output(out, trade), counts, {"regimes": list(regimes), "years": years})


def source_diversity(
    trade: Any,
    products: Any,
    *,
    cells: Cells = "country",
    regimes: Sequence[str] = _DEFAULT_GROUPS,
) -> FirmMeasure:
    """NSRC and IMPHHI: how many countries a firm sources intermediates from, and how
    concentrated its imports are.

    NSRC_ft = #{c: M_fct > 0}
    IMPHHI_ft = Σ_k (M_fkt / M_ft)²

    with k a source country (``cells="country"``) or a country × HS6 cell
    (``cells="country_hs6"``), over the BEC-intermediate imports of each regime group
    (:func:`intermediate_imports`). IMPHHI ∈ (0, 1]; 1 is a single source. Spec 003 §4.2 M3
    (NSRC, IMPHHI); Herfindahl (1950) / Hirschman (1945) for the index.

    Returns :class:`FirmMeasure` with table (firm_id, year, regime_group, imports_usd, NSRC,
    IMPHHI), one row per firm-year-group with intermediate imports.
    """
    check_option("cells", cells, ["country", "country_hs6"])
    lf, _, counts = _intermediate(trade, products, regimes)
    key = ["firm_id", "year", "regime_group"]
    by = [*key, "partner"] if cells == "country" else [*key, "partner", "hs6"]
    units = lf.group_by(by).agg(pl.col("value_usd").sum())
    share = pl.col("value_usd") / pl.col("value_usd").sum().over(key)
    nsrc = pl.len() if cells == "country" else pl.col("partner").n_unique()
    out = (
        units.with_columns((share * share).alias("_s2"))
        .group_by(key)
        .agg(
            pl.col("value_usd").sum().alias("imports_usd"),
            nsrc.cast(pl.Int64).alias("NSRC"),
            pl.col("_s2").sum().alias("IMPHHI"),
        )
        .sort(key)
        .collect()
    )
    return FirmMeasure(output(out, trade), counts, {"cells": cells, "regimes": list(regimes)})


def source_switching(
    trade: Any, products: Any, *, regimes: Sequence[str] = _DEFAULT_GROUPS
) -> FirmMeasure:
    """SWITCH: the share of a firm's intermediate imports in (country, HS6) pairs it did not
    import in t − 1.

    SWITCH_ft = Σ_{(c,h) ∉ P_f,t−1} M_fcht / M_ft,  P_f,t−1 = {(c, h): M_fch,t−1 > 0}

    per regime group (:func:`intermediate_imports`); a firm with no intermediate imports of the
    group in t − 1 has SWITCH = 1. Spec 003 §4.2 M3 (SWITCH). Firm-years of the first import
    year of the data have no t − 1 and no row (``counts["first_year"]``); a calendar year
    without import rows between the first and last is an error naming it.

    Returns :class:`FirmMeasure` with table (firm_id, year, regime_group, imports_usd, SWITCH).
    """
    lf, years, counts = _intermediate(trade, products, regimes)
    require_consecutive(years, "trade")
    first = min(years) if years else 0
    pairs = ["firm_id", "regime_group", "partner", "hs6"]
    before = lf.select(*pairs, (pl.col("year") + 1).alias("year")).with_columns(
        pl.lit(True).alias("_old")
    )
    joined = lf.join(before, on=[*pairs, "year"], how="left")
    key = ["firm_id", "year", "regime_group"]
    out = (
        joined.group_by(key)
        .agg(
            pl.col("value_usd").sum().alias("imports_usd"),
            pl.col("value_usd").filter(pl.col("_old").is_null()).sum().alias("_new"),
        )
        .with_columns((pl.col("_new") / pl.col("imports_usd")).alias("SWITCH"))
        .sort(key)
        .collect()
    )
    counts = {**counts, "first_year": int((out["year"] == first).sum())}
    out = out.filter(pl.col("year") != first).drop("_new")
    return FirmMeasure(output(out, trade), counts, {"regimes": list(regimes), "years": years})


def _shocks(supply_shocks: Any) -> list[tuple[str, int, list[str] | None]]:
    lf = keyed_lazy(supply_shocks, "supply_shocks")
    require_columns(lf, "supply_shocks", ["partner", "year"])
    has_hs6 = "hs6" in lf.collect_schema().names()
    cols = [pl.col("partner").cast(pl.String), pl.col("year")]
    if has_hs6:
        cols.append(pl.col("hs6").cast(pl.String).str.zfill(6))
    df = lf.select(cols).collect()
    check_rows(
        df,
        "supply_shocks",
        [
            (pl.col("partner").is_null(), "partner", "missing partner"),
            (pl.col("year").is_null(), "year", "missing year"),
        ],
    )
    out = []
    for (partner, year), part in df.group_by(["partner", "year"], maintain_order=True):
        hs = None
        if has_hs6 and part["hs6"].null_count() == 0:
            hs = sorted(part["hs6"].to_list())
        out.append((str(partner), int(year), hs))
    return out


def replacement(
    trade: Any,
    products: Any,
    supply_shocks: Any,
    *,
    horizon: int = 1,
    regimes: Sequence[str] = _DEFAULT_GROUPS,
) -> FirmMeasure:
    """REPLACE: imports from other countries gained per unit lost from a shocked source.

    For a supply shock to country c in year t (a row of ``supply_shocks``: partner, year and,
    optionally, hs6 — then only those products are shocked; without hs6, or with a null, every
    product) and the firm's exposed products H_f = {h: M_fch,t−1 > 0} (within the shocked
    products):

    LOSS_f = Σ_{h∈H_f} max(0, M_fch,t−1 − M̄_fch),
    GAIN_f = Σ_{h∈H_f} (M̄_f,−c,h − M_f,−c,h,t−1),
    REPLACE_f = GAIN_f / LOSS_f

    with M̄ the mean of years t … t + ``horizon`` (t and t + 1 by default) and −c every source
    other than c, over BEC-intermediate imports of each regime group. REPLACE = 1: the loss was
    fully made up from other countries; GAIN may be negative. Spec 003 §4.2 M3 (REPLACE;
    paper §1.3, "find alternative suppliers quickly"; real analogues the 2011 Tōhoku earthquake
    and Thailand floods, spec 003 §2). Exposed firms with no loss have no REPLACE
    (``counts["no_loss"]``). Years t − 1 … t + horizon without any import rows are an error
    naming them.

    Returns :class:`FirmMeasure` with table (firm_id, regime_group, shock_partner, shock_year,
    n_products, LOSS, GAIN, REPLACE), one row per exposed firm, group and shock.
    """
    if horizon < 0:
        raise VaggError(f"argument 'horizon': must be 0 or more, got {horizon!r}")
    shocks = _shocks(supply_shocks)
    lf, years, counts = _intermediate(trade, products, regimes)
    data = lf.collect()
    parts = []
    n_no_loss = 0
    for partner, year, hs in shocks:
        window = list(range(year, year + horizon + 1))
        require_years(
            years, [year - 1, *window], "trade", f"REPLACE after the shock {partner} {year}"
        )
        key = ["firm_id", "regime_group", "hs6"]
        d = data.filter(pl.col("year").is_in([year - 1, *window]))
        if hs is not None:
            d = d.filter(pl.col("hs6").is_in(hs))
        from_c = pl.col("partner") == partner
        by_year = d.group_by(*key, "year").agg(
            pl.col("value_usd").filter(from_c).sum().alias("_c"),
            pl.col("value_usd").filter(~from_c).sum().alias("_o"),
        )
        before = by_year.filter(pl.col("year") == year - 1)
        exposed = before.filter(pl.col("_c") > 0).select(
            *key, pl.col("_c").alias("c0"), pl.col("_o").alias("o0")
        )
        after = (
            by_year.filter(pl.col("year") >= year)
            .group_by(key)
            .agg(
                (pl.col("_c").sum() / len(window)).alias("c1"),
                (pl.col("_o").sum() / len(window)).alias("o1"),
            )
        )
        cells = exposed.join(after, on=key, how="left").with_columns(
            pl.col("c1", "o1").fill_null(0.0)
        )
        firm = (
            cells.group_by("firm_id", "regime_group")
            .agg(
                pl.len().cast(pl.Int64).alias("n_products"),
                (pl.col("c0") - pl.col("c1")).clip(lower_bound=0).sum().alias("LOSS"),
                (pl.col("o1") - pl.col("o0")).sum().alias("GAIN"),
            )
            .with_columns(
                pl.lit(partner).alias("shock_partner"),
                pl.lit(year).cast(pl.Int64).alias("shock_year"),
            )
        )
        n_no_loss += int((firm["LOSS"] <= 0).sum())
        parts.append(firm.filter(pl.col("LOSS") > 0))
    schema = {
        "firm_id": pl.String,
        "regime_group": pl.String,
        "shock_partner": pl.String,
        "shock_year": pl.Int64,
        "n_products": pl.Int64,
        "LOSS": pl.Float64,
        "GAIN": pl.Float64,
    }
    out = (
        pl.concat([p.select(list(schema)) for p in parts]) if parts else pl.DataFrame(schema=schema)
    )
    out = out.with_columns((pl.col("GAIN") / pl.col("LOSS")).alias("REPLACE")).sort(
        "shock_year", "shock_partner", "firm_id", "regime_group"
    )
    counts = {**counts, "no_loss": n_no_loss}
    return FirmMeasure(output(out, trade), counts, {"horizon": horizon, "regimes": list(regimes)})


def _rates(rmb_per_usd: float | Mapping[int, float] | Any) -> pl.LazyFrame:
    if isinstance(rmb_per_usd, (int, float)):
        if not rmb_per_usd > 0:
            raise VaggError(f"argument 'rmb_per_usd': must be positive, got {rmb_per_usd!r}")
        return pl.LazyFrame({"_any": [True], "rmb_per_usd": [float(rmb_per_usd)]})
    if isinstance(rmb_per_usd, Mapping):
        frame: Any = pl.DataFrame(
            {
                "year": [int(y) for y in rmb_per_usd],
                "rmb_per_usd": [float(v) for v in rmb_per_usd.values()],
            }
        )
    else:
        frame = rmb_per_usd
    lf = keyed_lazy(frame, "rmb_per_usd")
    require_columns(lf, "rmb_per_usd", ["year", "rmb_per_usd"])
    lf = lf.select("year", pl.col("rmb_per_usd").cast(pl.Float64))
    check_unique_key(lf, "rmb_per_usd", ["year"])
    bad = pl.col("rmb_per_usd").is_null() | (pl.col("rmb_per_usd") <= 0)
    check_rows(lf, "rmb_per_usd", [(bad, "rmb_per_usd", "missing or non-positive rate")])
    return lf


def domestic_sourcing(
    trade: Any,
    products: Any,
    firms: Any,
    rmb_per_usd: float | Mapping[int, float] | Any,
    *,
    regimes: Sequence[str] = ("all",),
    clip: bool = False,
) -> FirmMeasure:
    """DOMSRC: the domestic share of a firm's intermediate inputs.

    DOMSRC_ft = 1 − (M_ft · e_t / 1000) / MI_ft

    with M_ft the firm's BEC-intermediate imports in USD (:func:`intermediate_imports`, regime
    group ``"all"`` by default), e_t the exchange rate in RMB per USD (``rmb_per_usd``: one
    number, a {year: rate} mapping, or a frame with year and rmb_per_usd such as the
    ``national_series`` table) and MI_ft the CIE intermediate inputs in thousand RMB
    (``firms``: firm_id, year, intermediate_inputs). The complement of paper 000's
    impinput_ratio (Table 8 col. 3; :func:`vagg.measures.markets.imported_input_share`).
    Spec 003 §4.2 M3 (DOMSRC).

    One row per firm-year of ``firms`` and regime group (imports 0 without customs rows).
    Imports of firm-years absent from ``firms`` are not used and are counted
    (``import_firm_years_not_in_firms``, firm-year-groups).
    MI missing or ≤ 0 gives null (``counts["no_intermediate_inputs"]``); imports above MI
    give DOMSRC < 0, counted (``imports_exceed_inputs``) and kept, or set to 0 with
    ``clip=True``. A year of ``firms`` without a rate is an error naming it.

    Returns :class:`FirmMeasure` with table (firm_id, year, regime_group, imports_usd,
    imports_rmb_thousand, intermediate_inputs, DOMSRC), pandas when ``firms`` is pandas.
    """
    lf, _, counts = _intermediate(trade, products, regimes)
    fm = keyed_lazy(firms, "firms")
    require_columns(fm, "firms", ["firm_id", "year", "intermediate_inputs"])
    fm = fm.select(
        pl.col("firm_id").cast(pl.String), "year", pl.col("intermediate_inputs").cast(pl.Float64)
    )
    check_unique_key(fm, "firms", ["firm_id", "year"])
    rates = _rates(rmb_per_usd)
    if "_any" in rates.collect_schema().names():
        fm = fm.with_columns(pl.lit(rates.collect()["rmb_per_usd"][0]).alias("rmb_per_usd"))
    else:
        have = data_years(rates)
        need = data_years(fm)
        missing = sorted(set(need) - set(have))
        if missing:
            raise SchemaError("rmb_per_usd", "year", f"no exchange rate for year(s) {missing}")
        fm = fm.join(rates, on="year", how="left")
    groups = pl.LazyFrame({"regime_group": list(dict.fromkeys(regimes))})
    imports = lf.group_by("firm_id", "year", "regime_group").agg(
        pl.col("value_usd").sum().alias("imports_usd")
    )
    mi = pl.col("intermediate_inputs")
    m_rmb = pl.col("imports_usd") * pl.col("rmb_per_usd") / 1000.0
    out = (
        fm.join(groups, how="cross")
        .join(imports, on=["firm_id", "year", "regime_group"], how="left")
        .with_columns(pl.col("imports_usd").fill_null(0.0))
        .with_columns(m_rmb.alias("imports_rmb_thousand"))
        .with_columns(pl.when(mi > 0).then(1 - pl.col("imports_rmb_thousand") / mi).alias("DOMSRC"))
        .sort("firm_id", "year", "regime_group")
        .collect()
    )
    unmatched = imports.join(fm.select("firm_id", "year"), on=["firm_id", "year"], how="anti")
    counts = {
        **counts,
        "import_firm_years_not_in_firms": int(unmatched.select(pl.len()).collect().item()),
        "no_intermediate_inputs": int(out["DOMSRC"].null_count()),
        "imports_exceed_inputs": int((out["DOMSRC"] < 0).sum()),
    }
    if clip:
        out = out.with_columns(pl.col("DOMSRC").clip(lower_bound=0.0))
    out = out.select(
        "firm_id",
        "year",
        "regime_group",
        "imports_usd",
        "imports_rmb_thousand",
        "intermediate_inputs",
        "DOMSRC",
    )
    return FirmMeasure(output(out, firms), counts, {"regimes": list(regimes), "clip": clip})
