"""OECD input–output tables in long format, and the digital-service shifts of paper 001 eq. (22).

The OECD national input–output tables (2021 edition; one country) are distributed — and kept in
the project's reference data as ``io/oecd_iot2021_chn_1995_2018_long.csv`` for China 1995–2018 —
as a long table ``year, row_code, row_description, col_code, value`` in million USD at basic
prices: rows ``01``…``45`` (industries, ISIC Rev.4 based; see
:func:`vagg.data.cic_isic.iot2021_sectors`), taxes (``TXS_IMP_FNL``, ``TXS_INT_FNL``), total
intermediate consumption ``TTL_INT_FNL``, value added ``VALU`` and output ``OUTPUT``; columns
``01``…``45`` and the final-demand columns (``HFCE``, ``NPISH``, ``GGFC``, ``GFCF``, ``INVNT``,
``CONS_ABR``, ``CONS_NONRES``, ``EXPO``, ``IMPO``). Z[k, s] (row k, column s) is what industry s
buys from industry k.

Paper 001 eq. (22) takes the direct-consumption (direct input) coefficients
a_{d,s,t} = Z_{d,s,t} / x_{s,t} of the digital services d ∈ D bought by sector s in year t,
2005–2015: telecommunications (J61, row ``34``), IT and information services (J62–J63, row
``35``) and the digital parts of wholesale (G46) and retail (G47), which the table has only
as the aggregate 45T47 (row ``26``). The paper splits it with census-yearbook split
coefficients (拆分系数, following 许宪春和张美慧 2020), so

    Virtual_st  = a_{34,s,t} + a_{35,s,t} + φ_t · a_{26,s,t}
    DataInput_st = Z_{34,s,t} + Z_{35,s,t} + φ_t · Z_{26,s,t}       (vagg_in, million USD)

with φ_t the digital share of 45T47: φ_t = w_t·d46_t + (1 − w_t)·d47_t for the wholesale share
w_t of 45T47 and the digital (internet) shares d46_t, d47_t of wholesale and retail
(:class:`TradeSplit`). The census figures behind the split are not in the public data shipped
with vagg, so φ is an argument the user supplies (``trade_split=0`` keeps J61 and J62T63 only).

Whose digital rows: the OECD national tables come as a *total* table (domestic and imported
inputs in one row) and a domestic table. The China file above is the total table — its
industry rows plus the two tax rows add up to ``TTL_INT_FNL`` (:func:`iot_identities`) — so its
coefficients count domestic and imported digital services (the spec's [C] "all-origin"
variant); read the domestic table, in the same format, for the domestic-only variant.

Coefficients are computed here rather than with ``pymrio.calc_A`` because the long files are not
in a format pymrio parses and a sector with zero output must give an undefined (null)
coefficient, not pymrio's 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import polars as pl

from vagg.data.cic_isic import iot2021_sectors
from vagg.data.concordance import ReferenceDataError

__all__ = [
    "DIGITAL_ROWS",
    "PAPER_YEARS",
    "TRADE_ROW",
    "OecdIOT",
    "TradeSplit",
    "digital_shifts",
    "direct_coefficients",
    "iot_identities",
    "read_oecd_iot",
]

#: Rows of the digital services J61 (telecommunications) and J62–J63 (IT and information).
DIGITAL_ROWS: tuple[str, ...] = ("34", "35")
#: Row of wholesale and retail trade (45T47), whose digital part enters via :class:`TradeSplit`.
TRADE_ROW = "26"
#: Years of paper 001's shifts ("2005—2015年OECD投入产出数据").
PAPER_YEARS: tuple[int, ...] = tuple(range(2005, 2016))

_COLUMNS = ("year", "row_code", "col_code", "value")
_TAX_ROWS = ("TXS_IMP_FNL", "TXS_INT_FNL")
_FINAL_DEMAND = (
    "HFCE",
    "NPISH",
    "GGFC",
    "GFCF",
    "INVNT",
    "CONS_ABR",
    "CONS_NONRES",
    "EXPO",
    "IMPO",
)


@dataclass(frozen=True)
class OecdIOT:
    """One country's OECD input–output table in long format, with the name of its source.

    Attributes
    ----------
    flows : polars.DataFrame
        Columns ``year`` (Int64), ``row_code``, ``row_description`` (may be empty),
        ``col_code`` (text) and ``value`` (Float64, million USD), unique by
        (year, row_code, col_code).
    source : str
        The file name (or ``"iot table"`` for a frame), used in every error message.
    """

    flows: pl.DataFrame
    source: str

    @property
    def years(self) -> list[int]:
        """The years the table covers, sorted."""
        return sorted(self.flows["year"].unique().to_list())

    @property
    def industries(self) -> list[str]:
        """Industry codes: two-digit row codes that are also column codes, sorted."""
        rows = set(self.flows["row_code"].unique().to_list())
        cols = set(self.flows["col_code"].unique().to_list())
        return sorted(c for c in rows & cols if c.isdigit())

    def year_table(self, year: int) -> pd.DataFrame:
        """The table of one year as a wide pandas frame (rows × columns, million USD).

        Raises
        ------
        ReferenceDataError
            When the year is not in the table (the message names the file and its years).
        """
        self._require_years([year])
        part = self.flows.filter(pl.col("year") == year).to_pandas()
        return part.pivot(index="row_code", columns="col_code", values="value")

    def _require_years(self, years: Iterable[int]) -> None:
        have = self.years
        missing = sorted(set(years) - set(have))
        if missing:
            span = f"{have[0]}-{have[-1]}" if have else "none"
            raise ReferenceDataError(
                f"{self.source}: year(s) {missing} not in the input-output table "
                f"(years present: {span})"
            )


def read_oecd_iot(
    source: str | Path | pd.DataFrame | pl.DataFrame,
    *,
    country: str | None = None,
    name: str | None = None,
) -> OecdIOT:
    """Read an OECD input–output table in long format (a CSV file or a frame).

    Parameters
    ----------
    source : str, Path, pandas.DataFrame or polars.DataFrame
        The file (e.g. ``oecd_iot2021_chn_1995_2018_long.csv``) or a frame with the columns
        ``year, row_code, col_code, value`` (and optionally ``row_description``). Codes are read
        as text, so "01" keeps its leading zero.
    country : str, optional
        When the table has a ``country`` column (several countries in one file), the country
        to keep (e.g. "CHN"); required then.
    name : str, optional
        The name used in error messages (default: the file name, or "iot table").

    Returns
    -------
    OecdIOT
        The validated flows and their source name.

    Raises
    ------
    ReferenceDataError
        A missing file or column, a value or year that is not a number, missing values, or a
        duplicated (year, row_code, col_code) — each naming the file, column and rows.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        label = name or path.name
        if not path.exists():
            raise ReferenceDataError(f"{label}: input-output file {path} does not exist")
        try:
            frame = pl.read_csv(
                path,
                schema_overrides={"row_code": pl.String, "col_code": pl.String},
                infer_schema_length=0,
            )
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise ReferenceDataError(f"{label}: could not be read as CSV ({exc})") from None
    elif isinstance(source, pd.DataFrame | pl.DataFrame):
        label = name or "iot table"
        frame = source if isinstance(source, pl.DataFrame) else _from_pandas(source)
        numeric_codes = [
            c
            for c in ("row_code", "col_code")
            if c in frame.columns and frame[c].dtype.is_numeric()
        ]
        if numeric_codes:
            raise ReferenceDataError(
                f"{label}: column(s) {numeric_codes} must be text (codes such as '01' keep their "
                "leading zeros)"
            )
        frame = frame.with_columns(
            pl.col(c).cast(pl.String)
            for c in frame.columns
            if c not in ("year", "value") and frame[c].dtype != pl.String
        )
    else:
        raise ReferenceDataError(
            f"read_oecd_iot: source must be a file path or a DataFrame, got {type(source).__name__}"
        )
    return OecdIOT(_validate(frame, label, country), label)


def _rows_text(frame: pl.DataFrame, mask: pl.Expr | pl.Series, column: str) -> str:
    hits = frame.with_row_index("_row").filter(mask)
    head = hits.head(5)
    return (
        f"{hits.height} row(s); first at rows {head['_row'].to_list()}, "
        f"values {head[column].to_list()}"
    )


def _from_pandas(source: pd.DataFrame) -> pl.DataFrame:
    """A polars copy; object columns (mixed numbers and text) become text, missing stays null."""
    fixed = source.reset_index(drop=True).copy()
    for column in fixed.columns:
        if fixed[column].dtype == object:
            fixed[column] = fixed[column].map(lambda v: None if pd.isna(v) else str(v))
    return pl.from_pandas(fixed)


def _text(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A column as stripped text, whatever its type (numbers read from a frame stay numbers)."""
    if frame[column].dtype == pl.String:
        return pl.col(column).str.strip_chars()
    return pl.col(column).cast(pl.String)


def _validate(frame: pl.DataFrame, label: str, country: str | None) -> pl.DataFrame:
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise ReferenceDataError(
            f"{label}: column(s) {missing} missing; an OECD long table has "
            f"year, row_code, row_description, col_code, value (present: {frame.columns})"
        )
    if "country" in frame.columns:
        if country is None:
            raise ReferenceDataError(
                f"{label}: the table has a 'country' column; pass country= to choose one of "
                f"{sorted(frame['country'].unique().drop_nulls().to_list())[:10]}"
            )
        frame = frame.filter(pl.col("country") == country)
        if frame.height == 0:
            raise ReferenceDataError(f"{label}: no rows for country {country!r}")
    if "row_description" not in frame.columns:
        frame = frame.with_columns(pl.lit("").alias("row_description"))
    frame = frame.select(
        _text(frame, "year"),
        pl.col("row_code").str.strip_chars(),
        pl.col("row_description").fill_null(""),
        pl.col("col_code").str.strip_chars(),
        _text(frame, "value"),
    )
    for column in _COLUMNS:
        if frame[column].null_count():
            raise ReferenceDataError(
                f"{label}: column '{column}' has missing values "
                f"({_rows_text(frame, pl.col(column).is_null(), column)})"
            )
    number = frame["year"].cast(pl.Float64, strict=False)
    whole = (number.is_not_null() & (number == number.round(0))).fill_null(False)
    if not whole.all():
        raise ReferenceDataError(
            f"{label}: column 'year' must hold whole years ({_rows_text(frame, ~whole, 'year')})"
        )
    year = number.cast(pl.Int64)
    value = frame["value"].cast(pl.Float64, strict=False)
    if value.null_count():
        raise ReferenceDataError(
            f"{label}: column 'value' must be numeric "
            f"({_rows_text(frame, value.is_null(), 'value')})"
        )
    frame = frame.with_columns(year.alias("year"), value.alias("value"))
    key = ["year", "row_code", "col_code"]
    dup = frame.select(pl.struct(key).is_duplicated()).to_series()
    if dup.any():
        head = frame.filter(dup).head(3).select(key).rows()
        raise ReferenceDataError(
            f"{label}: duplicated (year, row_code, col_code) in {int(dup.sum())} rows, e.g. {head}"
        )
    return frame


def _as_iot(iot: OecdIOT | str | Path | pd.DataFrame | pl.DataFrame) -> OecdIOT:
    return iot if isinstance(iot, OecdIOT) else read_oecd_iot(iot)


def _require_row(iot: OecdIOT, table: pd.DataFrame, row: str, year: int, what: str) -> None:
    if row not in table.index:
        raise ReferenceDataError(
            f"{iot.source}: sector row {row!r} ({what}) missing for year {year}"
        )


def _sector_names() -> dict[str, str]:
    table = iot2021_sectors()
    return dict(zip(table["code"], table["label"], strict=True))


def direct_coefficients(
    iot: OecdIOT | str | Path | pd.DataFrame | pl.DataFrame,
    years: Iterable[int] | None = None,
    *,
    inputs: Iterable[str] | None = None,
) -> pl.DataFrame:
    """Direct-consumption (direct input) coefficients a_ks = Z_ks / x_s by year.

    Parameters
    ----------
    iot : OecdIOT, path or frame
        The table (:func:`read_oecd_iot`).
    years : iterable of int, optional
        Years to compute (default: all years of the table).
    inputs : iterable of str, optional
        Supplying industries k to keep (default: all industries).

    Returns
    -------
    polars.DataFrame
        Columns ``year``, ``input_sector`` (k), ``sector`` (s), ``flow`` (Z_ks, million USD),
        ``output`` (x_s, the ``OUTPUT`` row) and ``coefficient``; the coefficient is null when
        x_s ≤ 0 (e.g. households as employers, "45", whose output is 0).

    Raises
    ------
    ReferenceDataError
        A missing year, a missing ``OUTPUT`` row or input row, or a negative intermediate flow
        between industries (named with its year, row and column).
    """
    iot = _as_iot(iot)
    chosen = iot.years if years is None else sorted({int(y) for y in years})
    iot._require_years(chosen)
    industries = iot.industries
    keep = industries if inputs is None else [str(k) for k in inputs]
    parts = []
    for year in chosen:
        table = iot.year_table(year)
        _require_row(iot, table, "OUTPUT", year, "output at basic prices")
        for row in keep:
            _require_row(iot, table, row, year, "supplying industry")
        flows = table.loc[keep, industries]
        negative = flows.lt(0).stack()
        if negative.any():
            first = negative[negative].index[:3].tolist()
            raise ReferenceDataError(
                f"{iot.source}: negative intermediate flows in year {year} at (row, column) {first}"
            )
        output = table.loc["OUTPUT", industries].astype(float)
        long = flows.stack(future_stack=True).rename("flow").reset_index()
        long.columns = ["input_sector", "sector", "flow"]
        long["output"] = long["sector"].map(output)
        long["coefficient"] = long["flow"] / long["output"].where(long["output"] > 0)
        long.insert(0, "year", year)
        parts.append(long)
    out = pl.from_pandas(pd.concat(parts, ignore_index=True))
    return out.with_columns(pl.col("year").cast(pl.Int64), pl.col("coefficient").fill_nan(None))


@dataclass(frozen=True)
class TradeSplit:
    """Split coefficients (拆分系数) of wholesale and retail trade (45T47) into its digital part.

    φ_t = w_t · d46_t + (1 − w_t) · d47_t, the share of 45T47's output (and of its sales to each
    sector) that is internet wholesale and internet retail (paper 001 §3.3, following 许宪春和
    张美慧 2020, coefficients from the China Economic Census Yearbook). Each argument is one
    number for all years or a mapping year → number, in [0, 1].

    Attributes
    ----------
    wholesale_share : float or Mapping[int, float]
        w_t, the share of wholesale (G46) in 45T47 (the rest is retail G47; motor-vehicle trade
        G45 is counted with the division it is reported in).
    digital_wholesale : float or Mapping[int, float]
        d46_t, the internet-wholesale (互联网批发) share of wholesale.
    digital_retail : float or Mapping[int, float]
        d47_t, the internet-retail (互联网零售) share of retail.
    """

    wholesale_share: float | Mapping[int, float]
    digital_wholesale: float | Mapping[int, float]
    digital_retail: float | Mapping[int, float]

    def digital_share(self, year: int) -> float:
        """φ_t for one year; a missing year or a value outside [0, 1] is an error."""
        w = _year_value(self.wholesale_share, year, "TradeSplit.wholesale_share")
        d46 = _year_value(self.digital_wholesale, year, "TradeSplit.digital_wholesale")
        d47 = _year_value(self.digital_retail, year, "TradeSplit.digital_retail")
        return w * d46 + (1.0 - w) * d47


def _year_value(value: float | Mapping[int, float], year: int, what: str) -> float:
    if isinstance(value, Mapping):
        if year not in value:
            raise ReferenceDataError(f"{what}: no value for year {year} (years {sorted(value)})")
        number = float(value[year])
    else:
        number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ReferenceDataError(f"{what}: {number} for year {year} is outside [0, 1]")
    return number


def _trade_share(trade_split: TradeSplit | float | Mapping[int, float], year: int) -> float:
    if isinstance(trade_split, TradeSplit):
        return trade_split.digital_share(year)
    return _year_value(trade_split, year, "trade_split")


def digital_shifts(
    iot: OecdIOT | str | Path | pd.DataFrame | pl.DataFrame,
    *,
    trade_split: TradeSplit | float | Mapping[int, float],
    years: Iterable[int] = PAPER_YEARS,
    digital_rows: Iterable[str] = DIGITAL_ROWS,
    trade_row: str | None = TRADE_ROW,
    sectors: Iterable[str] | None = None,
) -> pl.DataFrame:
    """The shifts of paper 001's Bartik measure: digital-service input of each sector and year.

    Virtual_st = Σ_{d ∈ digital_rows} a_{d,s,t} + φ_t · a_{trade,s,t} (eq. 22) and
    DataInput_st = Σ_d Z_{d,s,t} + φ_t · Z_{trade,s,t} (the shift of ``vagg_in``, Table 4
    col. 1; million USD), with a = Z / x the direct-consumption coefficients and φ_t the digital
    share of wholesale and retail (:class:`TradeSplit`).

    Parameters
    ----------
    iot : OecdIOT, path or frame
        An OECD long table (:func:`read_oecd_iot`), e.g. China's 1995–2018 file.
    trade_split : TradeSplit, float or Mapping[int, float]
        φ_t, as split coefficients or directly as one share / a share per year. No default:
        the census coefficients are the user's; ``0`` gives J61 + J62T63 only.
    years : iterable of int
        Years of the shifts (default 2005–2015, the paper's).
    digital_rows : iterable of str
        Rows counted whole (default "34" telecommunications, "35" IT and information services).
    trade_row : str or None
        Row of wholesale and retail (default "26"); None leaves trade out.
    sectors : iterable of str, optional
        Using sectors to return (default all industries).

    Returns
    -------
    polars.DataFrame
        One row per (year, sector): ``year``, ``sector`` (IOT code), ``label`` (e.g. "D26"),
        ``a_<row>`` for each digital row and the trade row, ``trade_digital_share`` (φ_t),
        ``virtual`` (the coefficient sum; null when the sector's output is 0), ``z_<row>``,
        ``data_input`` (million USD) and ``output``.

    Raises
    ------
    ReferenceDataError
        A year not in the table, a digital or trade row missing in a year, a sector not in the
        table, or a split value missing or outside [0, 1] — each naming the file or argument
        and the year.
    """
    iot = _as_iot(iot)
    chosen = sorted({int(y) for y in years})
    rows = [str(r) for r in digital_rows]
    trade = [] if trade_row is None else [str(trade_row)]
    names = _sector_names()
    iot._require_years(chosen)
    for year in chosen:
        table = iot.year_table(year)
        for row in [*rows, *trade]:
            what = names.get(row, "industry")
            _require_row(iot, table, row, year, f"digital input {what}")
    coef = direct_coefficients(iot, chosen, inputs=[*rows, *trade])
    if sectors is not None:
        wanted = [str(s) for s in sectors]
        unknown = sorted(set(wanted) - set(coef["sector"].unique().to_list()))
        if unknown:
            raise ReferenceDataError(f"{iot.source}: sector(s) {unknown} are not industries")
        coef = coef.filter(pl.col("sector").is_in(wanted))
    wide = coef.pivot(
        on="input_sector", index=["year", "sector", "output"], values=["coefficient", "flow"]
    )
    rename = {f"coefficient_{r}": f"a_{r}" for r in [*rows, *trade]}
    rename |= {f"flow_{r}": f"z_{r}" for r in [*rows, *trade]}
    wide = wide.rename(rename)
    shares = pl.DataFrame(
        {"year": chosen, "trade_digital_share": [_trade_share(trade_split, y) for y in chosen]},
        schema={"year": pl.Int64, "trade_digital_share": pl.Float64},
    )
    wide = wide.join(shares, on="year", how="left")
    phi = pl.col("trade_digital_share")
    virtual = pl.sum_horizontal([pl.col(f"a_{r}") for r in rows])
    data_input = pl.sum_horizontal([pl.col(f"z_{r}") for r in rows])
    if trade:
        virtual = virtual + phi * pl.col(f"a_{trade[0]}")
        data_input = data_input + phi * pl.col(f"z_{trade[0]}")
    undefined = pl.any_horizontal([pl.col(f"a_{r}").is_null() for r in [*rows, *trade]])
    out = wide.with_columns(
        pl.when(undefined).then(None).otherwise(virtual).alias("virtual"),
        data_input.alias("data_input"),
        pl.col("sector").replace_strict(names, default="").alias("label"),
    )
    columns = ["year", "sector", "label", *[f"a_{r}" for r in [*rows, *trade]]]
    columns += ["trade_digital_share", "virtual", *[f"z_{r}" for r in [*rows, *trade]]]
    columns += ["data_input", "output"]
    return out.select(columns).sort("year", "sector")


def iot_identities(
    iot: OecdIOT | str | Path | pd.DataFrame | pl.DataFrame, year: int
) -> dict[str, float]:
    """Largest absolute residual of the table's accounting identities in one year (million USD).

    ``columns``: Σ_k Z_ks + TXS_IMP_FNL + TXS_INT_FNL − TTL_INT_FNL (zero for a *total* table,
    whose industry rows hold domestic and imported inputs); ``value_added``: TTL_INT_FNL + VALU −
    OUTPUT; ``rows``: Σ_s Z_ks + final demand (incl. the negative IMPO column) − OUTPUT_k.
    Values of the order of the table's rounding (0.1 million USD per cell) mean the identity
    holds.
    """
    iot = _as_iot(iot)
    table = iot.year_table(year).fillna(0.0)
    industries = iot.industries
    for row in ("TTL_INT_FNL", "VALU", "OUTPUT", *_TAX_ROWS):
        _require_row(iot, table, row, year, "accounting row")
    z = table.loc[industries, industries]
    taxes = table.loc[list(_TAX_ROWS), industries].sum()
    columns = (z.sum() + taxes - table.loc["TTL_INT_FNL", industries]).abs().max()
    value_added = (
        (
            table.loc["TTL_INT_FNL", industries]
            + table.loc["VALU", industries]
            - table.loc["OUTPUT", industries]
        )
        .abs()
        .max()
    )
    final = [c for c in _FINAL_DEMAND if c in table.columns]
    rows = (
        (z.sum(axis=1) + table.loc[industries, final].sum(axis=1) - table.loc["OUTPUT", industries])
        .abs()
        .max()
    )
    return {"columns": float(columns), "value_added": float(value_added), "rows": float(rows)}
