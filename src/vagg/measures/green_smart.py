"""M6 of paper 003: intelligent and green exports (SMART, KL, MATINT, EGSHARE, STRICT) and the
shipped HS lists they use.

Paper 003 §1.6: smart production lines and automation cut energy and raw-material use;
green logistics helps meet foreign environmental standards. The designed study (spec 003 §4.2,
M6) measures

* SMART_ft = 1{the firm imports intelligent equipment in t} and the value of those imports
  over fixed assets (imports in USD converted to thousand RMB at ``rmb_per_usd``);
* KL_ft = fixed assets / employment (an automation proxy);
* MATINT_ft = intermediate inputs / gross output (material intensity);
* EGSHARE_ft = share of the firm's exports in environmental goods (default: the APEC list);
* STRICT_ft = share of the firm's exports going to destinations with strict environmental
  standards (default :data:`STRICT_DESTINATIONS`: EU27 + GBR + JPN + KOR + CHE + NOR, a
  configuration, not a finding of the paper).

The HS lists ship in ``vagg/data/resources/hs_lists.csv`` (columns ``list``, ``hs6``,
``description``, ``source``) and are read by :func:`hs_list`. **The APEC list is incomplete:**
Annex C of the 2012 APEC Leaders' Declaration has 54 entries, and only the entries whose code
could be checked against a public copy of the Annex are shipped (see the ``source`` column and
``docs/measures/resilience_firms_cie.md``); pass a complete list as ``goods=`` to
:func:`egshare` for research use. Codes are HS 2002/2007 six-digit subheadings; APEC's
441872 exists from HS 2007 on, so exports of 2000–2006 (HS 1996/2002) cannot hit it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from vagg.data.frames import as_polars, like, require_columns
from vagg.data.shipped import read_resource
from vagg.errors import VaggError
from vagg.measures._firm_inputs import (
    Report,
    add_excluded,
    firm_table,
    new_report,
    ratio,
    trade_lines,
)

__all__ = [
    "EU27",
    "HS_LISTS_FILE",
    "STRICT_DESTINATIONS",
    "HSListError",
    "check_hs_codes",
    "egshare",
    "factor_intensity",
    "hs_list",
    "smart_imports",
    "strict_share",
]

HS_LISTS_FILE = "hs_lists.csv"
"""The shipped HS lists (in ``vagg/data/resources``)."""

EU27: tuple[str, ...] = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE",
)  # fmt: skip
"""The 27 member states of the European Union since February 2020 (ISO 3166 alpha-3)."""

STRICT_DESTINATIONS: tuple[str, ...] = (*EU27, "GBR", "JPN", "KOR", "CHE", "NOR")
"""Default strict-standard destinations of STRICT: EU27, the United Kingdom, Japan, Korea,
Switzerland and Norway (a configuration; pass ``destinations=`` to change it)."""


class HSListError(VaggError):
    """An HS list is unknown, malformed, or holds a code outside the HS nomenclature given."""


def _normalise_codes(codes: Iterable[object]) -> list[str]:
    return [str(c).strip().replace(".", "") for c in codes]


def check_hs_codes(codes: Sequence[str], name: str, hs_codes: Iterable[object] | None) -> None:
    """Raise :class:`HSListError` naming list ``name`` and the codes that are not six digits,
    are duplicated, or (when ``hs_codes`` is given) are not among the valid ``hs_codes``."""
    bad = [c for c in codes if not (len(c) == 6 and c.isdigit())]
    if bad:
        raise HSListError(f"HS list '{name}': codes {bad[:5]} are not six-digit HS codes")
    dup = sorted(c for c, n in Counter(codes).items() if n > 1)
    if dup:
        raise HSListError(f"HS list '{name}': duplicated codes {dup[:5]}")
    if hs_codes is not None:
        valid = {c.zfill(6) for c in _normalise_codes(hs_codes)}
        outside = [c for c in codes if c not in valid]
        if outside:
            raise HSListError(
                f"HS list '{name}': codes {outside[:5]} are not in the HS concordance given "
                f"({len(outside)} of {len(codes)} codes)"
            )


def hs_list(name: str | None = None, *, hs_codes: Iterable[object] | None = None) -> Any:
    """A shipped HS list: its rows (``list``, ``hs6``, ``description``, ``source``).

    Parameters
    ----------
    name : str, optional
        ``"environmental_apec"`` or ``"intelligent_equipment"``; None returns every list.
    hs_codes : iterable of str, optional
        The valid six-digit codes of the HS vintage the lists are used with — e.g.
        ``vagg.data.concordance.read_hs_bec(path)["hs6"]`` of the UN HS 2007 → BEC table. A
        list code outside them raises :class:`HSListError` naming the list and the code.

    Returns
    -------
    pandas.DataFrame
        The rows of the list(s), codes as six-character text.

    Raises
    ------
    HSListError
        Unknown list name (the message lists the names), a malformed or duplicated code, or a
        code outside ``hs_codes``.

    References
    ----------
    APEC (2012), Leaders' Declaration, Annex C "APEC List of Environmental Goods"; World Customs
    Organization, Harmonized System 2002/2007 nomenclature (intelligent equipment: industrial
    robots 8479.50, NC machine tools of 8457–8462, programmable controllers 8537.10, ADP
    machines 8471); spec 003 §2.
    """
    table = read_resource(HS_LISTS_FILE)
    expected = ["list", "hs6", "description", "source"]
    if list(table.columns) != expected:
        raise HSListError(f"{HS_LISTS_FILE}: columns {list(table.columns)}, expected {expected}")
    names = sorted(table["list"].unique())
    if name is not None and name not in names:
        raise HSListError(f"unknown HS list {name!r}; shipped lists are {names}")
    for list_name in names if name is None else [name]:
        rows = table[table["list"] == list_name]
        check_hs_codes(list(rows["hs6"]), list_name, hs_codes)
    out = table if name is None else table[table["list"] == name]
    return out.reset_index(drop=True)


def _goods(goods: str | Iterable[object], hs_codes: Iterable[object] | None) -> list[str]:
    if isinstance(goods, str):
        return list(hs_list(goods, hs_codes=hs_codes)["hs6"])
    codes = _normalise_codes(goods)
    check_hs_codes(codes, "goods", hs_codes)
    return codes


def _result(out: pl.DataFrame, template: Any, report: Report, return_report: bool) -> Any:
    result = like(out, template)
    return (result, report) if return_report else result


def _share(lines: pl.DataFrame, hit: pl.Expr, name: str, report: Report) -> pl.DataFrame:
    totals = lines.group_by("firm_id", "year").agg(
        pl.col("value_usd").sum().alias("exports"),
        pl.col("value_usd").filter(hit).sum().alias(f"{name}_value"),
    )
    report["n_rows"] = totals.height
    add_excluded(
        report, name, "no exports (zero total)", totals.filter(pl.col("exports") <= 0).height
    )
    return totals.with_columns(
        pl.when(pl.col("exports") > 0).then(pl.col(f"{name}_value") / pl.col("exports")).alias(name)
    ).sort("firm_id", "year")


def egshare(
    exports: Any,
    *,
    goods: str | Iterable[object] = "environmental_apec",
    hs_codes: Iterable[object] | None = None,
    return_report: bool = False,
) -> Any:
    """EGSHARE_ft = Σ_{h ∈ goods} x_fht / Σ_h x_fht, the export share of environmental goods.

    Parameters
    ----------
    exports : DataFrame
        Firm-linked customs lines: ``firm_id``, ``year``, ``value_usd`` and ``hs6`` (or
        ``hs8``); with a ``flow`` column only exports are used.
    goods : str or iterable of str
        A shipped list name (:func:`hs_list`) or the six-digit codes of another list (e.g. the
        OECD CLEG).
    hs_codes : iterable of str, optional
        Valid codes of the HS vintage, to check the list against (:func:`hs_list`).
    return_report : bool
        Also return the report (firm-years with zero exports, missing values).

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``exports``, ``egshare_value``, ``egshare``, sorted.

    References
    ----------
    Spec 003 §4.2 (M6); APEC (2012) Annex C.
    """
    codes = _goods(goods, hs_codes)
    report = new_report(0)
    lines = trade_lines(exports, "exports", flow="export", report=report, measure="egshare")
    out = _share(lines, pl.col("hs6").is_in(codes), "egshare", report)
    return _result(out, exports, report, return_report)


def strict_share(
    exports: Any,
    *,
    destinations: Iterable[str] = STRICT_DESTINATIONS,
    return_report: bool = False,
) -> Any:
    """STRICT_ft = Σ_{d ∈ destinations} x_fdt / Σ_d x_fdt, the export share going to
    destinations with strict environmental standards.

    Parameters
    ----------
    exports : DataFrame
        Firm-linked customs lines: ``firm_id``, ``year``, ``partner`` (ISO3), ``value_usd``;
        with a ``flow`` column only exports are used.
    destinations : iterable of str
        ISO 3166 alpha-3 codes (default :data:`STRICT_DESTINATIONS`).
    return_report : bool
        Also return the report.

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``exports``, ``strict_value``, ``strict``, sorted.

    References
    ----------
    Paper 003 §1.6 (meeting foreign environmental standards); spec 003 §4.2 (M6).
    """
    dests = [str(d).strip().upper() for d in destinations]
    bad = [d for d in dests if not (len(d) == 3 and d.isalpha())]
    if bad or not dests:
        raise HSListError(f"destinations must be ISO 3166 alpha-3 codes; got {bad[:5] or dests}")
    report = new_report(0)
    lines = trade_lines(
        exports,
        "exports",
        flow="export",
        extra=["partner"],
        need_hs6=False,
        report=report,
        measure="strict",
    )
    out = _share(lines, pl.col("partner").cast(pl.String).is_in(dests), "strict", report)
    return _result(out, exports, report, return_report)


def factor_intensity(firms: Any, *, return_report: bool = False) -> Any:
    """KL_ft = fixed_assets / employment and MATINT_ft = intermediate_inputs / gross_output.

    Parameters
    ----------
    firms : DataFrame
        ``firm_id``, ``year``, ``fixed_assets`` (thousand RMB), ``employment`` (persons),
        ``intermediate_inputs`` (may be missing, as in the CIE after 2007), ``gross_output``.
    return_report : bool
        Also return the report.

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``kl`` (thousand RMB per worker), ``matint``, in the order of
        ``firms``.

    References
    ----------
    Spec 003 §4.2 (M6).
    """
    money = ["fixed_assets", "employment", "intermediate_inputs", "gross_output"]
    data = firm_table(firms, money, nonnegative=money)
    report = new_report(data.height)
    data = ratio(
        data, "kl", pl.col("fixed_assets"), "employment", report, numerator_columns=["fixed_assets"]
    )
    data = ratio(
        data,
        "matint",
        pl.col("intermediate_inputs"),
        "gross_output",
        report,
        numerator_columns=["intermediate_inputs"],
    )
    return _result(data.select("firm_id", "year", "kl", "matint"), firms, report, return_report)


def _exchange_rate(rmb_per_usd: float | Any, years: pl.DataFrame) -> pl.DataFrame:
    if isinstance(rmb_per_usd, int | float):
        if not rmb_per_usd > 0:
            raise HSListError(f"rmb_per_usd must be positive, got {rmb_per_usd!r}")
        return years.with_columns(pl.lit(float(rmb_per_usd)).alias("rmb_per_usd"))
    table = as_polars(rmb_per_usd, "rmb_per_usd")
    require_columns(table, "rmb_per_usd", ["year", "rmb_per_usd"])
    table = firm_table(table, ["rmb_per_usd"], table="rmb_per_usd", key=("year",))
    rates = years.join(table, on="year", how="left")
    missing = rates.filter(pl.col("rmb_per_usd").is_null() | (pl.col("rmb_per_usd") <= 0))
    if missing.height:
        raise HSListError(
            "table 'rmb_per_usd': no positive exchange rate for years "
            f"{sorted(missing['year'].to_list())[:5]}"
        )
    return rates


def smart_imports(
    imports: Any,
    firms: Any,
    *,
    rmb_per_usd: float | Any,
    goods: str | Iterable[object] = "intelligent_equipment",
    hs_codes: Iterable[object] | None = None,
    return_report: bool = False,
) -> Any:
    """SMART_ft = 1{M^smart_ft > 0} and SMART_VALUE_ft = M^smart_ft · e_t / 1000 / fixed_assets_ft.

    M^smart_ft is the firm's imports (USD) of the ``goods`` lines in year t, e_t the RMB per
    USD exchange rate (the division by 1000 puts the imports in thousand RMB, the unit of the
    CIE's fixed assets). Every firm-year of ``firms`` gets a row (SMART = 0 without such
    imports); the intensity is null where fixed assets are missing, zero or negative (counted).
    Import firm-years absent from ``firms`` are counted and dropped.

    Parameters
    ----------
    imports : DataFrame
        Firm-linked customs lines: ``firm_id``, ``year``, ``value_usd``, ``hs6`` (or ``hs8``);
        with a ``flow`` column only imports are used.
    firms : DataFrame
        ``firm_id``, ``year``, ``fixed_assets`` (thousand RMB).
    rmb_per_usd : float or DataFrame
        One rate, or a table ``year``, ``rmb_per_usd`` covering the years of ``firms``.
    goods : str or iterable of str
        A shipped list name or six-digit codes (default: intelligent equipment).
    hs_codes : iterable of str, optional
        Valid codes of the HS vintage, to check the list against.
    return_report : bool
        Also return the report.

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``smart_imports_usd``, ``smart`` (0/1), ``smart_value``, in the
        order of ``firms``.

    References
    ----------
    Spec 003 §2 (intelligent-equipment HS lines) and §4.2 (M6); imported robots and NC machine
    tools as automation measures follow e.g. Acemoglu & Restrepo (2022).
    """
    codes = _goods(goods, hs_codes)
    data = firm_table(firms, ["fixed_assets"], nonnegative=["fixed_assets"])
    report = new_report(data.height)
    lines = trade_lines(imports, "imports", flow="import", report=report, measure="smart")
    smart = (
        lines.filter(pl.col("hs6").is_in(codes))
        .group_by("firm_id", "year")
        .agg(pl.col("value_usd").sum().alias("smart_imports_usd"))
        .with_columns(pl.col("year").cast(data.schema["year"]))
    )
    unmatched = smart.join(data.select("firm_id", "year"), on=["firm_id", "year"], how="anti")
    report["import_firm_years_not_in_firms"] = unmatched.height
    rates = _exchange_rate(rmb_per_usd, data.select("year").unique())
    out = (
        data.join(smart, on=["firm_id", "year"], how="left", maintain_order="left")
        .join(rates, on="year", how="left", maintain_order="left")
        .with_columns(pl.col("smart_imports_usd").fill_null(0.0))
        .with_columns(
            (pl.col("smart_imports_usd") > 0).cast(pl.Int8).alias("smart"),
            (pl.col("smart_imports_usd") * pl.col("rmb_per_usd") / 1000.0).alias("_smart_krmb"),
        )
    )
    out = ratio(out, "smart_value", pl.col("_smart_krmb"), "fixed_assets", report)
    out = out.select("firm_id", "year", "smart_imports_usd", "smart", "smart_value")
    return _result(out, firms, report, return_report)
