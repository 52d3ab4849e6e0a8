"""Virtual agglomeration: platform members' share of their industry, own and along the IO chain.

Paper 000 (Ren & Liang 2022) measures a firm's participation in the virtual cluster of the
Alibaba B2B platform (诚信通 paid members) by

    vagg_h_fjt = I_ft · agg_h_jt,   agg_h_jt = ov^p_jt / ov_jt                     (7)
    vagg_f_fjt = I_ft · Σ_{k≠j} w_in[j,k] · agg_h_kt                              (8)
    vagg_b_fjt = I_ft · Σ_{m≠j} w_out[j,m] · agg_h_mt                             (9)

with ov^p_jt the gross output (销售总产值) of the platform members among the CIE firms of
industry j in year t, ov_jt that of all CIE firms of j, and the IO weights of
:mod:`vagg.measures.io_weights` (Javorcik 2004's forward/backward linkage construction;
trade_measures.md §2). Industries are IO sectors (CIC4 → IO sector through the
``industries`` table), because the IO weights exist only there (trade_measures.md §2.3).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
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
from vagg.measures.io_weights import (
    benchmark_year,
    input_weight_matrix,
    output_weight_matrix,
)

__all__ = ["platform_membership", "vagg_timeline", "virtual_agglomeration"]

Weight = Literal["gross_output", "sales", "employment", "fixed_assets"]
WEIGHTS: tuple[str, ...] = ("gross_output", "sales", "employment", "fixed_assets")
VAGG_COLUMNS = ("vagg_h", "vagg_f", "vagg_b")


def platform_membership(firms: Any, platform_links: Any) -> Any:
    """Platform membership dummy I_ft of every CIE firm-year.

    I_ft = 1 if firm f is linked to a platform member (诚信通 paid member) whose first paid
    year ``member_since`` ≤ t, else 0 (paper 000 eq. 7: "企业 f 在 t 年为阿里巴巴诚信通付费会员";
    membership is taken as persistent from the first paid year on). A firm linked to several
    member names takes the earliest ``member_since``.

    ``platform_links``: (firm_id, member_since), e.g. ``link_platform(...).links`` or true
    links joined to the platform table. Returns DataFrame(firm_id, year, member) with one row
    per firm-year of ``firms``; output type follows ``firms``.
    """
    cie = as_polars(firms, "firms")
    require_columns(cie, "firms", ("firm_id", "year"))
    links = as_polars(platform_links, "platform_links")
    require_columns(links, "platform_links", ("firm_id", "member_since"))
    first = links.group_by("firm_id").agg(pl.col("member_since").min())
    out = (
        cie.select("firm_id", "year")
        .join(first, on="firm_id", how="left")
        .select(
            "firm_id",
            "year",
            (pl.col("year") >= pl.col("member_since")).fill_null(False).alias("member"),
        )
    )
    return like(out, firms)


#: The error of a firm-year whose CIC4 code the industries table does not map.
_NO_SECTOR = "CIC4 code has no IO sector in the industries table"


def _firm_sectors(cie: pl.DataFrame, industries: Any) -> pl.DataFrame:
    table = as_polars(industries, "industries")
    require_columns(table, "industries", ("cic4", "io_sector"))
    check_unique_key(table, "industries", ("cic4",))
    mapped = (
        cie.with_row_index("_row")
        .join(table.select("cic4", "io_sector"), on="cic4", how="left")
        .sort("_row")
    )
    raise_unmatched_codes(mapped, "firms", "cic4", pl.col("io_sector").is_null(), _NO_SECTOR)
    return mapped.drop("_row")


def virtual_agglomeration(
    firms: Any,
    membership: Any,
    industries: Any,
    io_national: Any,
    *,
    weight: Weight = "gross_output",
    diagonal: bool = False,
) -> Any:
    """Same-industry, upstream and downstream virtual agglomeration of every CIE firm-year.

    agg_h_jt = Σ_{f∈j} I_ft y_ft / Σ_{f∈j} y_ft over all CIE firms of IO sector j in year t
    (y = ``weight``); vagg_h_ft = I_ft · agg_h_{j(f)t};
    vagg_f_ft = I_ft · Σ_k w_in[j,k] agg_h_kt;  vagg_b_ft = I_ft · Σ_m w_out[j,m] agg_h_mt,
    the sums over k ≠ j and m ≠ j unless ``diagonal=True``; weights are not renormalised
    after removing the diagonal (paper 000 eq. 7–9; Javorcik 2004; trade_measures.md §2).

    Parameters
    ----------
    firms : pandas.DataFrame or polars.DataFrame
        CIE firm-years (firm_id, year, cic4 and the ``weight`` column), unique (firm_id, year).
        ``weight`` must be non-negative and not missing (the paper drops firm-years with
        missing key indicators before measuring; a missing or negative value is an error
        naming the rows).
    membership : pandas.DataFrame or polars.DataFrame
        (firm_id, year, member) from :func:`platform_membership`; firm-years absent from it
        are non-members.
    industries : pandas.DataFrame or polars.DataFrame
        (cic4, io_sector): every cic4 of ``firms`` must map to an IO sector (else an error).
    io_national : pandas.DataFrame or polars.DataFrame
        Benchmark IO flows; each year uses the latest benchmark not after it.
    weight : str
        ``"gross_output"`` (销售总产值, the paper's default), ``"sales"``, or Table 5's
        alternatives ``"employment"`` and ``"fixed_assets"``.
    diagonal : bool
        Include the firm's own sector in the upstream/downstream sums.

    IO sectors with no CIE firm in a year (agriculture, services…) have agg_h = 0: no
    above-scale platform output is observed there. A sector whose IO weights are undefined
    (no intermediate purchases/sales) gives NaN vagg_f/vagg_b for its members.

    Returns DataFrame(firm_id, year, io_sector, agg_h, vagg_h, vagg_f, vagg_b); output type
    follows ``firms``.
    """
    if weight not in WEIGHTS:
        raise ValueError(f"weight: expected one of {WEIGHTS}, got {weight!r}")
    cie = as_polars(firms, "firms")
    require_columns(cie, "firms", ("firm_id", "year", "cic4", weight))
    check_unique_key(cie, "firms", ("firm_id", "year"))
    raise_if_rows(
        cie,
        "firms",
        weight,
        pl.col(weight).is_null() | pl.col(weight).is_nan() | (pl.col(weight) < 0),
        "agglomeration weight must be non-negative and not missing",
    )
    member = as_polars(membership, "membership")
    require_columns(member, "membership", ("firm_id", "year", "member"))
    check_unique_key(member, "membership", ("firm_id", "year"))
    panel = _firm_sectors(
        cie.select("firm_id", "year", "cic4", pl.col(weight).cast(pl.Float64).alias("_y")),
        industries,
    ).join(member.select("firm_id", "year", "member"), on=["firm_id", "year"], how="left")
    panel = panel.with_columns(pl.col("member").fill_null(False).cast(pl.Float64).alias("_i"))

    shares = panel.group_by("io_sector", "year").agg(
        ((pl.col("_i") * pl.col("_y")).sum() / pl.col("_y").sum()).alias("agg_h")
    )
    # a sector whose CIE firms all have zero weight: no platform output share is defined
    shares = shares.with_columns(pl.col("agg_h").fill_nan(None))
    chain = _chain_shares(shares, io_national, diagonal)
    out = (
        panel.join(chain, on=["io_sector", "year"], how="left")
        .with_columns(
            (pl.col("_i") * pl.col("agg_h")).alias("vagg_h"),
            (pl.col("_i") * pl.col("up")).alias("vagg_f"),
            (pl.col("_i") * pl.col("down")).alias("vagg_b"),
        )
        .select("firm_id", "year", "io_sector", "agg_h", *VAGG_COLUMNS)
    )
    return like(out, firms)


def _chain_shares(shares: pl.DataFrame, io_national: Any, diagonal: bool) -> pl.DataFrame:
    """Per (io_sector, year): agg_h and the IO-weighted upstream and downstream shares."""
    years = sorted(shares["year"].unique().to_list())
    flows = as_polars(io_national, "io_national")
    require_columns(flows, "io_national", ("year",))
    available = flows["year"].unique().to_list()
    matrices: dict[int, tuple[np.ndarray, np.ndarray, list[str]]] = {}
    parts = []
    for year in years:
        bench = benchmark_year(available, year)
        if bench not in matrices:
            w_in, codes, _ = input_weight_matrix(flows, bench, diagonal=diagonal)
            w_out, _, _ = output_weight_matrix(flows, bench, diagonal=diagonal)
            matrices[bench] = (w_in, w_out, codes)
        w_in, w_out, codes = matrices[bench]
        here = shares.filter(pl.col("year") == year)
        unknown = sorted(set(here["io_sector"].to_list()) - set(codes))
        if unknown:
            raise SchemaError(
                "industries",
                "io_sector",
                f"IO sectors not in the io_national benchmark {bench}",
                n_bad=len(unknown),
                examples=unknown,
            )
        lookup = dict(zip(here["io_sector"].to_list(), here["agg_h"].to_list(), strict=True))
        agg = np.array([lookup.get(c) for c in codes], dtype=float)
        present = np.array([c in lookup for c in codes])
        agg = np.where(present, agg, 0.0)  # sectors without CIE firms: no platform share
        up = _weighted(w_in, agg)
        down = _weighted(w_out, agg)
        parts.append(
            pl.DataFrame(
                {
                    "io_sector": codes,
                    "year": np.full(len(codes), year, dtype=np.int64),
                    "agg_h": agg,
                    "up": up,
                    "down": down,
                },
                schema_overrides={"year": shares.schema["year"]},
            ).filter(pl.Series(present))
        )
    return pl.concat(parts).with_columns(pl.col("agg_h", "up", "down").fill_nan(None))


def _weighted(w: np.ndarray, agg: np.ndarray) -> np.ndarray:
    """Σ_k w[j,k]·agg[k]; NaN when row j's weights are undefined or a used agg is undefined."""
    terms = w * agg[None, :]
    used = w > 0
    undefined = np.isnan(w).all(axis=1) | (np.isnan(agg)[None, :] & used).any(axis=1)
    return np.where(undefined, np.nan, np.nansum(np.where(used, terms, 0.0), axis=1))


def vagg_timeline(vagg: Any, firms: Any, by: str | None = None) -> Any:
    """Mean virtual agglomeration by year (and group): paper 000 Figures 1–2.

    For each year (and each value of ``by``): mean vagg_h, vagg_f, vagg_b over all CIE
    firm-years (non-members count as 0, as in the paper's industry-wide development path),
    ``member_share`` (share of firm-years with vagg_h > 0: members whose sector has a
    positive platform share) and ``n_firms`` (so that a report can suppress cells built from
    few firms).

    ``by`` is a column of ``vagg`` or of ``firms`` (joined on firm_id, year), e.g. an
    ownership type from :func:`vagg.measures.firm_controls.ownership`, the trade-regime type,
    the region or the high-tech flag, joined into ``firms`` by the caller. Output type
    follows ``vagg``.
    """
    measure = as_polars(vagg, "vagg")
    require_columns(measure, "vagg", ("firm_id", "year", *VAGG_COLUMNS))
    keys = ["year"]
    if by is not None:
        keys = [by, "year"]
        if by not in measure.columns:
            cie = as_polars(firms, "firms")
            require_columns(cie, "firms", ("firm_id", "year", by))
            measure = measure.join(
                cie.select("firm_id", "year", by), on=["firm_id", "year"], how="left"
            )
    out = (
        measure.group_by(keys)
        .agg(
            *[pl.col(c).mean() for c in VAGG_COLUMNS],
            (pl.col("vagg_h") > 0).mean().alias("member_share"),
            pl.col("firm_id").n_unique().alias("n_firms"),
        )
        .sort(keys)
    )
    return like(out, vagg)
