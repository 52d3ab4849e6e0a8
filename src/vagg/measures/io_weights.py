"""Input–output weights between IO sectors, shared by the measures of paper 000.

The national benchmark tables (``io_national``) hold the intermediate flows
Z[k, j] = ``domestic_use + imported_use`` with row k the *supplying* sector
(``from_sector``) and column j the *using* sector (``to_sector``). Three objects are built
from them:

* input weights  w_in[j, k]  = x_jk / Σ_k x_jk, x_jk = Z[k, j]  (what j buys from k);
* output weights w_out[j, m] = Z[j, m] / Σ_m Z[j, m]            (what j sells to m);
* the imported share of each sector's intermediate inputs δ_j = Σ_k w_in[j, k] μ_k with
  μ_k = IM_k / (X_k + IM_k − EX_k) (proportionality assumption).

They enter paper 000 eq. (8)–(9) (upstream / downstream virtual agglomeration, the
Javorcik 2004 forward/backward linkage indices) and eq. (6) (foreign content of domestic
inputs, Koopman, Wang & Wei 2012; Kee & Tang 2016). Each year uses the latest benchmark
table not after it (the earliest table for years before the first benchmark); the
benchmark used is returned in a ``benchmark`` column.

Total (domestic + imported) flows are used: the weights describe the technology of the
using sector, not where its inputs are produced. Sectors whose denominator is zero get
``NaN`` weights (undefined), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import as_polars, like, raise_if_rows, require_columns

__all__ = [
    "benchmark_year",
    "import_share_of_inputs",
    "import_shares",
    "input_weight_matrix",
    "io_input_weights",
    "io_output_weights",
    "output_weight_matrix",
]

Frame = TypeVar("Frame", pl.DataFrame, pd.DataFrame)

_FLOW_COLUMNS = ("year", "from_sector", "to_sector", "domestic_use", "imported_use")
_TOTAL_COLUMNS = ("year", "sector", "output", "imports", "exports")


# ---------------------------------------------------------------------------- frame helpers


# ---------------------------------------------------------------------------- benchmark tables


def benchmark_year(available: Iterable[int], year: int) -> int:
    """The benchmark table used for ``year``: the latest one not after it, or the earliest
    one when ``year`` precedes them all (trade_measures.md §2.3 step 4)."""
    years = sorted({int(y) for y in available})
    if not years:
        raise SchemaError("io_national", "year", "no benchmark table")
    before = [y for y in years if y <= int(year)]
    return before[-1] if before else years[0]


def _flow_matrix(io_national: Any, year: int) -> tuple[np.ndarray, list[str], int]:
    """Z (rows: supplier k, columns: user j) of total flows, the sector codes and the benchmark."""
    flows = as_polars(io_national, "io_national")
    require_columns(flows, "io_national", _FLOW_COLUMNS)
    for col in ("domestic_use", "imported_use"):
        raise_if_rows(flows, "io_national", col, pl.col(col) < 0, "negative intermediate flow")
        raise_if_rows(flows, "io_national", col, pl.col(col).is_null(), "missing intermediate flow")
    bench = benchmark_year(flows["year"].unique().to_list(), year)
    use = flows.filter(pl.col("year") == bench)
    codes = sorted(set(use["from_sector"].to_list()) | set(use["to_sector"].to_list()))
    index = {c: i for i, c in enumerate(codes)}
    rows = np.array([index[c] for c in use["from_sector"].to_list()], dtype=np.int64)
    cols = np.array([index[c] for c in use["to_sector"].to_list()], dtype=np.int64)
    values = (use["domestic_use"] + use["imported_use"]).to_numpy().astype(float)
    z = np.zeros((len(codes), len(codes)))
    np.add.at(z, (rows, cols), values)
    return z, codes, bench


def _row_normalise(m: np.ndarray) -> np.ndarray:
    """Divide each row by its sum; rows summing to zero become NaN (undefined weights)."""
    sums = m.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sums > 0, m / np.where(sums > 0, sums, 1.0), np.nan)


def _long(w: np.ndarray, codes: list[str], other: str, bench: int) -> pl.DataFrame:
    n = len(codes)
    return pl.DataFrame(
        {
            "io_sector": np.repeat(codes, n).tolist(),
            other: np.tile(codes, n).tolist(),
            "weight": w.reshape(-1),
            "benchmark": np.full(n * n, bench, dtype=np.int64),
        }
    )


def input_weight_matrix(
    io_national: Any, year: int, *, diagonal: bool = True
) -> tuple[np.ndarray, list[str], int]:
    """w_in as a dense array (row j = using sector, column k = supplier), its sector codes and
    the benchmark year; see :func:`io_input_weights`."""
    z, codes, bench = _flow_matrix(io_national, year)
    w = _row_normalise(z.T)
    if not diagonal:
        np.fill_diagonal(w, np.where(np.isnan(np.diag(w)), np.nan, 0.0))
    return w, codes, bench


def output_weight_matrix(
    io_national: Any, year: int, *, diagonal: bool = True
) -> tuple[np.ndarray, list[str], int]:
    """w_out as a dense array (row j = supplying sector, column m = customer), its sector codes
    and the benchmark year; see :func:`io_output_weights`."""
    z, codes, bench = _flow_matrix(io_national, year)
    w = _row_normalise(z)
    if not diagonal:
        np.fill_diagonal(w, np.where(np.isnan(np.diag(w)), np.nan, 0.0))
    return w, codes, bench


def io_input_weights(io_national: Frame, year: int, *, diagonal: bool = True) -> Frame:
    """Input (upstream, supplier) weights of each IO sector.

    w_in[j, k] = x_jk / Σ_k x_jk, with x_jk = Z[k, j] = domestic_use + imported_use of
    ``from_sector`` k in ``to_sector`` j — what sector j buys from sector k, a share of all
    its intermediate purchases. Equivalently a_kj / Σ_k a_kj with the direct input
    coefficients a_kj = Z[k, j] / X_j (直接消耗系数; X_j cancels).

    Paper 000 eq. (8) (upstream virtual agglomeration vagg_f); Javorcik (2004, AER) forward
    linkage; trade_measures.md §2.1.

    Parameters
    ----------
    io_national : pandas.DataFrame or polars.DataFrame
        Canonical ``io_national`` table (year, from_sector, to_sector, domestic_use,
        imported_use), pandas or polars.
    year : int
        The year the weights are for; the latest benchmark table not after it is used (the
        earliest one for years before the first benchmark).
    diagonal : bool
        ``False`` sets w_in[j, j] to 0 **without renormalising** the other weights (paper 000
        eq. 8 sums over k ≠ j; Javorcik's weights are shares of all intermediate use, so the
        off-diagonal weights sum to less than 1).

    Returns
    -------
    DataFrame(io_sector, upstream_sector, weight, benchmark): one row per ordered sector pair
    of the benchmark table; ``weight`` is NaN for a sector with no intermediate purchases.
    """
    w, codes, bench = input_weight_matrix(io_national, year, diagonal=diagonal)
    return like(_long(w, codes, "upstream_sector", bench), io_national)


def io_output_weights(io_national: Frame, year: int, *, diagonal: bool = True) -> Frame:
    """Output (downstream, customer) weights of each IO sector.

    w_out[j, m] = Z[j, m] / Σ_m Z[j, m]: the share of sector j's intermediate sales that go to
    sector m (normalised direct distribution coefficients, 直接分配系数; shares of intermediate
    use only, final demand excluded — trade_measures.md §2.4).

    Paper 000 eq. (9) (downstream virtual agglomeration vagg_b); Javorcik (2004, AER) backward
    linkage; trade_measures.md §2.1.

    ``diagonal=False`` zeroes w_out[j, j] without renormalising. Returns
    DataFrame(io_sector, downstream_sector, weight, benchmark); ``weight`` is NaN for a sector
    with no intermediate sales. The benchmark rule is that of :func:`io_input_weights`.
    """
    w, codes, bench = output_weight_matrix(io_national, year, diagonal=diagonal)
    return like(_long(w, codes, "downstream_sector", bench), io_national)


def import_shares(io_totals: Any, bench: int, codes: list[str]) -> np.ndarray:
    """μ_k = IM_k / (X_k + IM_k − EX_k) of the benchmark ``bench``, aligned to ``codes``."""
    totals = as_polars(io_totals, "io_totals")
    require_columns(totals, "io_totals", _TOTAL_COLUMNS)
    use = totals.filter(pl.col("year") == bench)
    if use.height == 0:
        raise SchemaError("io_totals", "year", f"no sector totals for benchmark year {bench}")
    missing = sorted(set(codes) - set(use["sector"].to_list()))
    if missing:
        raise SchemaError(
            "io_totals",
            "sector",
            f"IO sectors of io_national {bench} have no totals",
            n_bad=len(missing),
            examples=missing,
        )
    denominator = pl.col("output") + pl.col("imports") - pl.col("exports")
    indexed = totals.with_row_index("_row").filter(pl.col("year") == bench)
    bad = indexed.filter((denominator <= 0) | (pl.col("imports") < 0) | denominator.is_null())
    if bad.height:
        raise SchemaError(
            "io_totals",
            "imports",
            "domestic absorption X + IM − EX must be positive and imports non-negative",
            rows=bad["_row"].to_list(),
            n_bad=bad.height,
            examples=bad["sector"].to_list(),
        )
    mu = use.select("sector", (pl.col("imports") / denominator).alias("mu"))
    lookup = dict(zip(mu["sector"].to_list(), mu["mu"].to_list(), strict=True))
    return np.array([lookup[c] for c in codes], dtype=float)


def import_share_of_inputs(io_national: Frame, io_totals: Any, year: int) -> Frame:
    """Imported share of each IO sector's intermediate inputs.

    δ_j = Σ_k w_in[j, k] · μ_k,  μ_k = IM_k / (X_k + IM_k − EX_k)

    with w_in the input weights of :func:`io_input_weights` (diagonal included: a sector's
    purchases from itself are inputs too) and μ_k the import share of good k in domestic
    absorption (proportionality assumption). Paper 000 eq. (6)'s δ_jt used for the foreign
    content of domestic inputs δ^F = δ_j · max(0, MI − M_A); trade_measures.md §1.3;
    Koopman, Wang & Wei (2012); Upward, Wang & Zheng (2013).

    Both tables come from the same benchmark (latest not after ``year``). Returns
    DataFrame(io_sector, delta, benchmark); ``delta`` is NaN for a sector without
    intermediate purchases.
    """
    w, codes, bench = input_weight_matrix(io_national, year, diagonal=True)
    mu = import_shares(io_totals, bench, codes)
    delta = np.where(np.isnan(w).all(axis=1), np.nan, np.nan_to_num(w) @ mu)
    out = pl.DataFrame(
        {"io_sector": codes, "delta": delta, "benchmark": np.full(len(codes), bench, np.int64)}
    )
    return like(out, io_national)
