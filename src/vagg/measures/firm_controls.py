"""Firm-level controls, ownership and industry switchers of paper 000.

Paper 000 (Ren & Liang 2022) §2.3 controls: age, size, liquidity (cl), leverage (debt),
industry concentration (herfind, a CR4) and ownership dummies (Zhang Jie, Chen Zhiyuan &
Liu Yuanchun 2013's classification by paid-in capital); §4.3 eq. (10): the DID on firms
that change industry (邵朝对 & 苏丹妮 2019).
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import (
    as_polars,
    check_unique_key,
    like,
    raise_if_rows,
    raise_unmatched_codes,
    require_columns,
)

__all__ = ["OWNERSHIP_TYPES", "firm_controls", "industry_switchers", "ownership"]

OWNERSHIP_TYPES: tuple[str, ...] = ("state", "collective", "legal", "foreign", "private")
"""Ownership dummies of paper 000 (state, collect, legal, foreign, private); HK/Macau/Taiwan
capital counts as foreign. Ties for the largest share go to the earlier type in this order."""

_CONTROL_INPUTS = (
    "firm_id",
    "year",
    "cic4",
    "founding_year",
    "employment",
    "sales",
    "total_assets",
    "current_assets",
    "current_liabilities",
    "total_liabilities",
)
_PAID_IN = {
    "state": ("paid_in_state",),
    "collective": ("paid_in_collective",),
    "legal": ("paid_in_legal",),
    "foreign": ("paid_in_hmt", "paid_in_foreign"),
    "private": ("paid_in_private",),
}


# (reason, column named in the error, condition on the input row)
_INVALID: tuple[tuple[str, str, pl.Expr], ...] = (
    ("founding_after_year", "founding_year", pl.col("founding_year") > pl.col("year")),
    ("employment_not_positive", "employment", pl.col("employment") <= 0),
    ("total_assets_not_positive", "total_assets", pl.col("total_assets") <= 0),
    ("negative_current_assets", "current_assets", pl.col("current_assets") < 0),
    ("negative_current_liabilities", "current_liabilities", pl.col("current_liabilities") < 0),
    ("negative_total_liabilities", "total_liabilities", pl.col("total_liabilities") < 0),
    ("negative_sales", "sales", pl.col("sales") < 0),
)


def firm_controls(firms: Any, *, on_invalid: Literal["raise", "null"] = "raise") -> Any:
    """Control variables of paper 000 §2.3 for every CIE firm-year.

    * age = year − founding_year + 1 ("样本观察期与企业成立时间的差值加 1");
    * size = ln(employment) (year-end employees);
    * cl = (current_assets − current_liabilities) / total_assets;
    * debt = total_liabilities / total_assets (long- plus short-term liabilities);
    * herfind_jt = Σ_{top 4 by sales} SV_kjt / SV_jt, the CR4 of sales in the CIC4-year over
      all firm-years of ``firms`` (trade_measures.md §10.1). Industries with ≤ 4 firms get 1
      and ``cr4_small_industry = True``; an industry-year with zero total sales gets null.

    Invalid inputs — founding year after the survey year, employment ≤ 0, total assets ≤ 0,
    negative current assets, current liabilities, total liabilities or sales — raise a
    :class:`~vagg.data.errors.SchemaError` naming the column and rows (``on_invalid="raise"``,
    default). With ``on_invalid="null"`` the controls that depend on the invalid value are
    set to null (age; size; cl and debt; herfind of the whole industry-year for negative
    sales) and the column ``invalid`` names the first reason per row (null when valid), so
    that excluded firm-years can be counted: ``out["invalid"].value_counts()``. Missing
    inputs give null controls (counted by the estimator's missing-value accounting).

    Returns DataFrame(firm_id, year, age, size, cl, debt, herfind, cr4_small_industry,
    invalid); output type follows ``firms``.
    """
    if on_invalid not in ("raise", "null"):
        raise ValueError(f"on_invalid: expected 'raise' or 'null', got {on_invalid!r}")
    cie = as_polars(firms, "firms")
    require_columns(cie, "firms", _CONTROL_INPUTS)
    check_unique_key(cie, "firms", ("firm_id", "year"))
    frame = cie.select(_CONTROL_INPUTS).with_row_index("_row")
    if on_invalid == "raise":
        for reason, column, condition in _INVALID:
            bad = frame.filter(condition)
            if bad.height:
                raise SchemaError(
                    "firms",
                    column,
                    f"invalid value ({reason.replace('_', ' ')})",
                    rows=bad["_row"].to_list(),
                    n_bad=bad.height,
                    examples=bad[column].to_list(),
                )
    reason_expr = pl.lit(None, dtype=pl.String)
    for reason, _, condition in reversed(_INVALID):
        reason_expr = (
            pl.when(condition.fill_null(False)).then(pl.lit(reason)).otherwise(reason_expr)
        )
    frame = frame.with_columns(reason_expr.alias("invalid"))

    def flagged(*reasons: str) -> pl.Expr:
        return pl.any_horizontal([_condition(r).fill_null(False) for r in reasons])

    age = pl.col("year") - pl.col("founding_year") + 1
    size = pl.col("employment").cast(pl.Float64).log()
    assets = pl.col("total_assets")
    cl = (pl.col("current_assets") - pl.col("current_liabilities")) / assets
    debt = pl.col("total_liabilities") / assets
    balance = (
        "total_assets_not_positive",
        "negative_current_assets",
        "negative_current_liabilities",
    )
    controls = frame.with_columns(
        pl.when(flagged("founding_after_year")).then(None).otherwise(age).alias("age"),
        pl.when(flagged("employment_not_positive")).then(None).otherwise(size).alias("size"),
        pl.when(flagged(*balance)).then(None).otherwise(cl).alias("cl"),
        pl.when(flagged("total_assets_not_positive", "negative_total_liabilities"))
        .then(None)
        .otherwise(debt)
        .alias("debt"),
    )
    cr4 = _cr4(frame)
    out = (
        controls.join(cr4, on=["cic4", "year"], how="left")
        .sort("_row")
        .select(
            "firm_id",
            "year",
            "age",
            "size",
            "cl",
            "debt",
            "herfind",
            "cr4_small_industry",
            "invalid",
        )
    )
    return like(out, firms)


def _condition(reason: str) -> pl.Expr:
    return next(cond for name, _, cond in _INVALID if name == reason)


def _cr4(frame: pl.DataFrame) -> pl.DataFrame:
    """CR4 of sales by (cic4, year); null for industry-years with negative sales or none."""
    sales = pl.col("sales")
    return (
        frame.filter(pl.col("cic4").is_not_null())
        .group_by("cic4", "year")
        .agg(
            (sales.sort(descending=True, nulls_last=True).head(4).sum() / sales.sum()).alias(
                "_cr4"
            ),
            (sales < 0).any().alias("_negative"),
            (sales.sum() <= 0).alias("_empty"),
            (sales.count() <= 4).alias("cr4_small_industry"),
        )
        .select(
            "cic4",
            "year",
            pl.when(pl.col("_negative") | pl.col("_empty"))
            .then(None)
            .when(pl.col("cr4_small_industry"))
            .then(1.0)
            .otherwise(pl.col("_cr4"))
            .alias("herfind"),
            "cr4_small_industry",
        )
    )


def ownership(firms: Any, rule: Literal["zhang2013"] = "zhang2013") -> Any:
    """Ownership type and dummies from paid-in capital shares (paper 000 §2.3, control 6).

    Zhang Jie, Chen Zhiyuan & Liu Yuanchun (2013, 经济研究), as used by paper 000: the owner
    type with ≥ 50% of paid-in capital (实收资本) is the firm's type; with no majority owner the
    type with the largest share. Types: state (paid_in_state), collective
    (paid_in_collective), legal (legal-person capital, paid_in_legal), foreign
    (paid_in_hmt + paid_in_foreign: Hong Kong, Macau and Taiwan capital counted as foreign)
    and private (paid_in_private). Ties go to the earlier type in
    :data:`OWNERSHIP_TYPES`. A firm-year with no positive paid-in capital (all zero or
    missing) gets ``ownership = null`` and all dummies 0 (counted by
    ``out["ownership"].null_count()``); negative paid-in capital is an error.

    Returns DataFrame(firm_id, year, ownership, state, collective, legal, foreign, private)
    with integer 0/1 dummies; output type follows ``firms``.
    """
    if rule != "zhang2013":
        raise ValueError(f"rule: only 'zhang2013' is implemented, got {rule!r}")
    cie = as_polars(firms, "firms")
    columns = [c for cols in _PAID_IN.values() for c in cols]
    require_columns(cie, "firms", ("firm_id", "year", *columns))
    check_unique_key(cie, "firms", ("firm_id", "year"))
    for column in columns:
        raise_if_rows(cie, "firms", column, pl.col(column) < 0, "negative paid-in capital")
    capital = cie.select(
        "firm_id",
        "year",
        *[
            pl.sum_horizontal([pl.col(c).fill_null(0.0) for c in cols]).alias(f"_k_{kind}")
            for kind, cols in _PAID_IN.items()
        ],
    )
    largest = pl.max_horizontal([pl.col(f"_k_{k}") for k in OWNERSHIP_TYPES])
    owner = pl.lit(None, dtype=pl.String)
    for kind in reversed(OWNERSHIP_TYPES):  # earliest type wins ties
        owner = pl.when(pl.col(f"_k_{kind}") == largest).then(pl.lit(kind)).otherwise(owner)
    owner = pl.when(largest > 0).then(owner).otherwise(None)
    out = capital.with_columns(owner.alias("ownership")).select(
        "firm_id",
        "year",
        "ownership",
        *[
            (pl.col("ownership") == k).fill_null(False).cast(pl.Int8).alias(k)
            for k in OWNERSHIP_TYPES
        ],
    )
    return like(out, firms)


def industry_switchers(
    firms: Any,
    *,
    industries: Any = None,
    level: Literal["cic4", "io_sector"] = "cic4",
) -> Any:
    """Treatment and timing of firms that change industry, for the DID of paper 000 eq. (10).

    DVAR_fjt = α·treat_f·post_ft + β·treat_f·post_ft·vagg_fjt + γX + ν_f + ν_j + ν_t + ε.

    A firm *switches* when its industry code differs from the one of its previous observed
    year ("企业是否变更行业"; 邵朝对 & 苏丹妮 2019). ``level="cic4"`` (default) compares CIC4
    codes — the CIE's industry, as the paper reads; ``level="io_sector"`` counts only switches
    between IO sectors (the level at which vagg is measured, so only those change vagg_h;
    needs ``industries``). Codes must be time-consistent (concorded across the 2003 and 2012
    CIC revisions) or every firm "switches" at a revision.

    * treat = 1 for a firm that switches exactly once in the sample, 0 for a firm that never
      does; post = 1 from the switch year (the first year observed in the new industry) on;
    * firms switching more than once (including back and forth) get treat and post null —
      neither a clean treated nor a clean control — and ``n_switches`` counts them
      (``out.filter(pl.col("n_switches") > 1)["firm_id"].n_unique()``).

    Returns DataFrame(firm_id, year, treat, post, switch_year, from_cic4, to_cic4,
    n_switches) (plus ``cross_io_sector`` when ``industries`` is given); ``switch_year``,
    ``from_cic4``, ``to_cic4`` refer to the single switch and are null otherwise. Output type
    follows ``firms``.
    """
    if level not in ("cic4", "io_sector"):
        raise ValueError(f"level: expected 'cic4' or 'io_sector', got {level!r}")
    cie = as_polars(firms, "firms")
    require_columns(cie, "firms", ("firm_id", "year", "cic4"))
    check_unique_key(cie, "firms", ("firm_id", "year"))
    missing = cie.with_row_index("_row").filter(pl.col("cic4").is_null())
    if missing.height:
        raise SchemaError("firms", "cic4", "missing industry code", rows=missing["_row"].to_list())
    panel = cie.select("firm_id", "year", "cic4").sort("firm_id", "year")
    if industries is not None:
        table = as_polars(industries, "industries")
        require_columns(table, "industries", ("cic4", "io_sector"))
        sectors = table.select("cic4", "io_sector")
        raise_unmatched_codes(
            cie.join(sectors, on="cic4", how="left"),
            "firms",
            "cic4",
            pl.col("io_sector").is_null(),
            "CIC4 code has no IO sector in the industries table",
        )
        panel = panel.join(sectors, on="cic4", how="left")
    elif level == "io_sector":
        raise ValueError("industries: needed for level='io_sector'")
    code = "cic4" if level == "cic4" else "io_sector"
    panel = panel.sort("firm_id", "year").with_columns(
        pl.col("cic4").shift(1).over("firm_id").alias("_prev_cic4"),
        pl.col(code).shift(1).over("firm_id").alias("_prev"),
    )
    panel = panel.with_columns(
        (pl.col("_prev").is_not_null() & (pl.col(code) != pl.col("_prev"))).alias("_switch")
    )
    per_firm = panel.group_by("firm_id").agg(
        pl.col("_switch").sum().alias("n_switches"),
        pl.col("year").filter(pl.col("_switch")).first().alias("switch_year"),
        pl.col("_prev_cic4").filter(pl.col("_switch")).first().alias("from_cic4"),
        pl.col("cic4").filter(pl.col("_switch")).first().alias("to_cic4"),
    )
    once = pl.col("n_switches") == 1
    out = panel.join(per_firm, on="firm_id", how="left").with_columns(
        pl.when(pl.col("n_switches") > 1).then(None).otherwise(once.cast(pl.Int8)).alias("treat"),
        pl.when(pl.col("n_switches") > 1)
        .then(None)
        .otherwise((once & (pl.col("year") >= pl.col("switch_year"))).cast(pl.Int8))
        .alias("post"),
        *[
            pl.when(once).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("switch_year", "from_cic4", "to_cic4")
        ],
    )
    columns = [
        "firm_id",
        "year",
        "treat",
        "post",
        "switch_year",
        "from_cic4",
        "to_cic4",
        "n_switches",
    ]
    if industries is not None:
        io_of = as_polars(industries, "industries").select("cic4", "io_sector")
        out = (
            out.join(
                io_of.rename({"cic4": "from_cic4", "io_sector": "_from_io"}),
                on="from_cic4",
                how="left",
            )
            .join(
                io_of.rename({"cic4": "to_cic4", "io_sector": "_to_io"}), on="to_cic4", how="left"
            )
            .with_columns(
                pl.when(once).then(pl.col("_from_io") != pl.col("_to_io")).alias("cross_io_sector")
            )
        )
        columns.append("cross_io_sector")
    return like(out.select(columns).sort("firm_id", "year"), firms)
