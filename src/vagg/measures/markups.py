"""Markups (De Loecker–Warzynski), their CIE inputs, export prices and marginal cost.

Paper 000 Table 6 (the markup mechanism): Mrkup is the firm-year markup of De Loecker et al.
(2016) — the output elasticity of a flexible input over its share of revenue, with the
elasticity from an ACF production function (:func:`vagg.measures.production.acf`); ``price`` is
the mean export price of the firm's products (customs unit values); following Sheng & Liu
(2017), log marginal cost = log price − log markup splits a markup effect into a price effect
and a cost effect.

References: De Loecker & Warzynski (2012), *AER* 102(6), eq. (10)–(11) and §IV.B;
De Loecker, Goldberg, Khandelwal & Pavcnik (2016), *Econometrica* 84(2); Sheng Dan & Liu
Zhuqing (2017) (paper 000's reference [39]).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import (
    as_polars,
    check_unique_key,
    like,
    raise_unmatched_codes,
    require_columns,
)
from vagg.measures.production import (
    INPUT_COLUMNS,
    Output,
    ProductionFunction,
    ProductionFunctionError,
)

__all__ = ["cie_production_panel", "dlw_markups", "export_prices", "marginal_cost"]

_CIE_LEVELS = {"l": "employment", "k": "fixed_assets", "m": "intermediate_inputs"}

#: default nominal expenditure column of each input in a :func:`cie_production_panel` frame
EXPENDITURE_COLUMNS = {"materials": "materials_cost", "labor": "labor_cost"}


def cie_production_panel(
    firms: Any,
    *,
    output: Output = "gross_output",
    industries: Any = None,
    return_report: bool = False,
) -> Any:
    """Logs of output and inputs from the CIE firm-years, for :func:`~vagg.measures.production.acf`.

    y = ln ``gross_output`` (or ln ``value_added``), l = ln ``employment``,
    k = ln ``fixed_assets`` (net fixed assets), m = ln ``intermediate_inputs``; ``cic2`` from
    ``industries`` (cic4 → cic2) when given, else the first two digits of ``cic4`` (the GB/T
    4754 division). The nominal levels are kept for the De Loecker–Warzynski shares:
    ``output_value`` = gross output, ``materials_cost`` = intermediate inputs, ``labor_cost`` =
    wage bill (thousand RMB; null when the column is absent).

    Values are nominal: deflating (e.g. with the Brandt–Van Biesebroeck–Zhang industry
    deflators) is the user's business, before this function or on its logs. CIE intermediate
    inputs are missing in 2010 and value added after 2007.

    No row is dropped: a missing or non-positive level gives a null log, and ``acf`` counts
    those rows as excluded. ``return_report=True`` also returns the counts per column
    (``missing``, ``non_positive``): ``(frame, report)``.
    """
    if output not in ("gross_output", "value_added"):
        raise ValueError(f"output must be 'gross_output' or 'value_added'; got {output!r}")
    df = as_polars(firms, "firms")
    require_columns(df, "firms", ["firm_id", "year", "cic4", output, *_CIE_LEVELS.values()])
    check_unique_key(df, "firms", ["firm_id", "year"])
    if industries is not None:
        ind = as_polars(industries, "industries")
        require_columns(ind, "industries", ["cic4", "cic2"])
        df = df.join(ind.select("cic4", "cic2").unique("cic4"), on="cic4", how="left")
        raise_unmatched_codes(
            df, "firms", "cic4", pl.col("cic2").is_null(), "cic4 codes not in the industries table"
        )
    else:
        df = df.with_columns(pl.col("cic4").str.slice(0, 2).alias("cic2"))
    levels = {"y": output, **_CIE_LEVELS}
    report: dict[str, Any] = {"n_rows": df.height, "output": output}
    for col in levels.values():
        x = pl.col(col).cast(pl.Float64)
        counts = df.select(x.is_null().sum().alias("missing"), (x <= 0).sum().alias("non_positive"))
        report[col] = {k: int(v) for k, v in counts.row(0, named=True).items()}

    def level(col: str, alias: str) -> pl.Expr:
        if col not in df.columns:
            return pl.lit(None, pl.Float64).alias(alias)
        return pl.col(col).cast(pl.Float64).alias(alias)

    logs = [
        pl.when(pl.col(c).cast(pl.Float64) > 0).then(pl.col(c).cast(pl.Float64).log()).alias(n)
        for n, c in levels.items()
    ]
    nominal = [
        level("gross_output", "output_value"),
        level("intermediate_inputs", "materials_cost"),
        level("wage_bill", "labor_cost"),
    ]
    out = df.select("firm_id", "year", "cic2", *logs, *nominal).sort("firm_id", "year")
    result = like(out, firms)
    return (result, report) if return_report else result


def _elasticity_frame(
    production: Any, input: str, letter: str, firm: str, year: str, correct: bool
) -> tuple[pl.DataFrame, str | None]:
    """(firm, year, theta, epsilon) from a ProductionFunction or a user frame; its group column."""
    if isinstance(production, ProductionFunction):
        if input not in production.inputs:
            hint = (
                "; materials are only the proxy in a value-added function: estimate "
                "output='gross_output', or use input='labor'"
                if input == "materials"
                else ""
            )
            raise ProductionFunctionError(
                f"production: {input!r} is not an input of this {production.output} production "
                f"function (inputs {production.inputs}){hint}"
            )
        fy = as_polars(production.firm_years, "production.firm_years")
        by = production.by or None
        cols = [firm, year, f"theta_{letter}", "epsilon"] + ([by] if by else [])
        require_columns(fy, "production.firm_years", cols)
        fy = fy.select(cols)
        return (fy if correct else fy.with_columns(pl.lit(0.0).alias("epsilon"))), by
    fy = as_polars(production, "production")
    cols = [firm, year, f"theta_{letter}"] + (["epsilon"] if correct else [])
    require_columns(fy, "production", cols)
    check_unique_key(fy, "production", [firm, year])
    if not correct:
        fy = fy.with_columns(pl.lit(0.0).alias("epsilon"))
    return fy.select(firm, year, f"theta_{letter}", "epsilon"), None


def dlw_markups(
    panel: Any,
    production: Any,
    *,
    input: str = "materials",
    revenue: str = "output_value",
    expenditure: str | None = None,
    firm: str = "firm_id",
    year: str = "year",
    correct: bool = True,
    trim: tuple[float, float] | None = None,
) -> Any:
    """De Loecker–Warzynski (2012) markups: μ_it = θ^V_it / α^V_it.

    θ^V is the output elasticity of the flexible input V (``input``: materials by default; labour
    where it is flexible) from ``production`` — a :class:`ProductionFunction` or a frame with
    ``firm``, ``year``, ``theta_<m|l>`` and, when ``correct``, ``epsilon``. The share uses the
    first-stage residual ε̂ (DLW 2012 eq. 11): α^V = P^V V / (P Q / exp(ε̂)), so

        μ_it = θ^V_it · P Q_it / (exp(ε̂_it) · P^V V_it),

    with P Q = ``revenue`` and P^V V = ``expenditure`` (nominal levels; defaults are the
    :func:`cie_production_panel` columns). ``correct=False`` uses the raw share (ε̂ = 0).

    Every row of ``panel`` is returned, keyed by firm and year, with ``markup``,
    ``log_markup``, ``theta``, ``expenditure_share`` (the corrected α), ``epsilon`` and
    ``status``: "ok", "no elasticity" (outside the production-function sample), "elasticity not
    positive" (possible with a translog; flagged, not estimated), "revenue missing or not
    positive", "expenditure missing or not positive", or "trimmed" (``trim=(0.01, 0.99)`` nulls
    markups outside those quantiles within the production function's groups, as is common in
    the literature). Paper 000 Table 6 (Mrkup); De Loecker et al. (2016) §3.
    """
    if input not in INPUT_COLUMNS or input == "capital":
        raise ValueError(f"input must be 'materials' or 'labor' (a flexible input); got {input!r}")
    letter = INPUT_COLUMNS[input]
    if expenditure is None:
        expenditure = EXPENDITURE_COLUMNS[input]
    df = as_polars(panel, "panel")
    require_columns(df, "panel", [firm, year, revenue, expenditure])
    check_unique_key(df, "panel", [firm, year])
    el, by = _elasticity_frame(production, input, letter, firm, year, correct)
    if by in df.columns:
        el = el.drop(by)
    joined = df.select(firm, year, revenue, expenditure, *([by] if by in df.columns else [])).join(
        el, on=[firm, year], how="left"
    )
    theta = pl.col(f"theta_{letter}")
    rev = pl.col(revenue).cast(pl.Float64)
    exp_ = pl.col(expenditure).cast(pl.Float64)
    status = (
        pl.when(theta.is_null() | pl.col("epsilon").is_null())
        .then(pl.lit("no elasticity"))
        .when(theta <= 0)
        .then(pl.lit("elasticity not positive"))
        .when(rev.is_null() | (rev <= 0))
        .then(pl.lit("revenue missing or not positive"))
        .when(exp_.is_null() | (exp_ <= 0))
        .then(pl.lit("expenditure missing or not positive"))
        .otherwise(pl.lit("ok"))
    )
    share = exp_ / (rev / pl.col("epsilon").exp())
    out = joined.with_columns(status.alias("status"), share.alias("expenditure_share"))
    out = out.with_columns(
        pl.when(pl.col("status") == "ok").then(theta / pl.col("expenditure_share")).alias("markup")
    )
    if trim is not None:
        lo, hi = trim
        if not 0 <= lo < hi <= 1:
            raise ValueError(f"trim must be quantiles (lo, hi) with 0 ≤ lo < hi ≤ 1; got {trim}")
        over = [by] if by in out.columns else None
        q_lo = pl.col("markup").quantile(lo).over(over) if over else pl.col("markup").quantile(lo)
        q_hi = pl.col("markup").quantile(hi).over(over) if over else pl.col("markup").quantile(hi)
        cut = (pl.col("markup") < q_lo) | (pl.col("markup") > q_hi)
        out = out.with_columns(cut.fill_null(False).alias("_cut")).with_columns(
            pl.when(pl.col("_cut")).then(pl.lit("trimmed")).otherwise("status").alias("status"),
            pl.when(pl.col("_cut")).then(None).otherwise("markup").alias("markup"),
        )
    out = out.select(
        firm,
        year,
        "markup",
        pl.col("markup").log().alias("log_markup"),
        theta.alias("theta"),
        "expenditure_share",
        "epsilon",
        "status",
    )
    return like(out, panel)


def export_prices(
    customs: Any,
    links: Any,
    *,
    flow: str = "export",
    within_hs6: bool = False,
    return_report: bool = False,
) -> Any:
    """Firm-year mean log export price: the mean of ln(value / quantity) over the firm's lines.

    log_price_ft = (1/N_ft) Σ_{lines of f in t} ln(value_usd / quantity), the lines being the
    customs records (party × HS8 × regime × partner) of ``flow`` of the parties linked to firm
    f by ``links`` (``party_id`` → ``firm_id``; joined on ``year`` too when ``links`` has it).
    A firm with several customs codes pools their lines. Paper 000 Table 6 (price: the mean
    export price of the firm's products).

    Unit values are in USD per customs quantity unit, so their levels differ across products:
    with ``within_hs6=True`` each line's log unit value is first demeaned by the mean over all
    lines of the same HS6 product, quantity unit and year (every party in ``customs``,
    intermediaries included), making the firm's price relative to other exporters of the same
    goods (the within-product price of e.g. Manova & Zhang 2012). With firm fixed effects in the
    regression the raw version changes only through the firm's product mix.

    Lines with a missing or non-positive quantity or value, and lines of parties without a link,
    are excluded and counted (``return_report=True`` returns ``(frame, report)``). Output:
    ``firm_id``, ``year``, ``log_price``, ``n_lines``.
    """
    cu = as_polars(customs, "customs")
    require_columns(cu, "customs", ["party_id", "year", "flow", "hs8", "quantity", "value_usd"])
    lk = as_polars(links, "links")
    require_columns(lk, "links", ["party_id", "firm_id"])
    on = ["party_id", "year"] if "year" in lk.columns else ["party_id"]
    lk = lk.select(*on, "firm_id").unique()
    dup = lk.with_row_index("_row").filter(pl.struct(on).is_duplicated())
    if dup.height:
        raise SchemaError(
            "links",
            "party_id",
            "a customs party is linked to more than one firm",
            rows=dup["_row"].to_list(),
            examples=dup["party_id"].unique().head(5).to_list(),
        )
    lines = cu.filter(pl.col("flow") == flow)
    report: dict[str, Any] = {"n_lines": lines.height, "excluded": {}}
    q, v = pl.col("quantity").cast(pl.Float64), pl.col("value_usd").cast(pl.Float64)
    good = ((q > 0) & (v > 0)).fill_null(False)
    if n_bad := lines.filter(~good).height:
        report["excluded"]["quantity or value missing or not positive"] = n_bad
    lines = lines.filter(good).with_columns((v / q).log().alias("_luv"))
    if within_hs6:
        keys = [pl.col("hs8").str.slice(0, 6), "year"] + (["unit"] if "unit" in cu.columns else [])
        lines = lines.with_columns(pl.col("_luv") - pl.col("_luv").mean().over(keys))
    linked = lines.join(lk, on=on, how="inner")
    if n_unlinked := lines.height - linked.height:
        report["excluded"]["party not linked to a firm"] = n_unlinked
    out = (
        linked.group_by("firm_id", "year")
        .agg(pl.col("_luv").mean().alias("log_price"), pl.len().alias("n_lines"))
        .sort("firm_id", "year")
    )
    result = like(out, customs)
    return (result, report) if return_report else result


def marginal_cost(
    prices: Any,
    markups: Any,
    *,
    firm: str = "firm_id",
    year: str = "year",
    return_report: bool = False,
) -> Any:
    """Log marginal cost from price = markup × marginal cost: ln mc = ln p − ln μ.

    ``prices`` has ``log_price`` (:func:`export_prices`), ``markups`` has ``log_markup``
    (:func:`dlw_markups`); the firm-years present in both are returned with ``log_price``,
    ``log_markup`` and ``log_marginal_cost`` (null where the markup is). The firm-years in only
    one table are counted (``return_report=True`` returns ``(frame, report)``). Paper 000 Table
    6 (price and cost effects of the markup, after Sheng & Liu 2017); De Loecker et al. (2016)
    eq. (11).
    """
    pr = as_polars(prices, "prices")
    mk = as_polars(markups, "markups")
    require_columns(pr, "prices", [firm, year, "log_price"])
    require_columns(mk, "markups", [firm, year, "log_markup"])
    check_unique_key(pr, "prices", [firm, year])
    check_unique_key(mk, "markups", [firm, year])
    out = pr.select(firm, year, "log_price").join(
        mk.select(firm, year, "log_markup"), on=[firm, year], how="inner"
    )
    out = out.with_columns(
        (pl.col("log_price") - pl.col("log_markup")).alias("log_marginal_cost")
    ).sort(firm, year)
    report = {
        "n_matched": out.height,
        "prices_without_markup": pr.height - out.height,
        "markups_without_price": mk.height - out.height,
        "matched_without_markup_value": int(out["log_markup"].null_count()),
    }
    result = like(out, prices)
    return (result, report) if return_report else result
