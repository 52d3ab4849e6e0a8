"""Record linkage: customs parties and platform members to CIE firms.

The CIE (industrial enterprise survey), the customs records and the platform's member list
share no firm identifier, so paper 000 (§3.3, "匹配数据") links them by names and contact
details, following the standard two-pass procedure for China's micro data:

* **customs → CIE** (Upward, Wang & Zheng 2013; Yu 2015; trade_measures.md §10.3):
  pass 1 on the normalised firm name within a year; pass 2, for party-years still without a
  unique match, on the zip code plus the last seven digits of the phone number within a year.
  Trade intermediaries (Ahn, Khandelwal & Wei 2011: names containing 进出口, 经贸, 贸易, 科贸,
  外经) are set aside before matching and counted; a party-year that matches several CIE
  firms is dropped as ambiguous and counted.
* **platform → CIE**: the member's listed name, normalised, against every name a CIE firm
  carries in any year; a member name that matches several firms is dropped as ambiguous.

Names are normalised as in trade_measures.md §0.5: full-width → half-width characters, all
whitespace (incl. the ideographic space U+3000) and bracket characters ()（）【】[] removed,
有限责任公司 → 有限公司, Latin letters upper-cased.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.frames import as_lazy, check_unique_key, like, require_columns

__all__ = [
    "INTERMEDIARY_KEYWORDS",
    "CustomsLinkage",
    "PlatformLinkage",
    "flag_intermediaries",
    "link_customs",
    "link_platform",
    "linkage_quality",
    "normalize_name",
    "normalize_name_expr",
]

INTERMEDIARY_KEYWORDS: tuple[str, ...] = ("进出口", "经贸", "贸易", "科贸", "外经")
"""Name keywords of pure trading firms (Ahn, Khandelwal & Wei 2011, JIE)."""

_FULL_WIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)]
_HALF_WIDTH = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)]
_STRIPPED = r"[\s\u3000\u00a0()\[\]（）【】]"
PHONE_DIGITS = 7


# ---------------------------------------------------------------------------- names


def normalize_name_expr(expr: pl.Expr) -> pl.Expr:
    """The name normalisation of :func:`normalize_name` as a polars expression."""
    return (
        expr.str.replace_many(_FULL_WIDTH, _HALF_WIDTH)
        .str.replace_all(_STRIPPED, "")
        .str.replace_all("有限责任公司", "有限公司", literal=True)
        .str.to_uppercase()
    )


def _names_series(names: Any) -> pl.Series:
    if isinstance(names, pl.Series):
        return names.cast(pl.String)
    if isinstance(names, pd.Series):
        converted = pl.from_pandas(names.reset_index(drop=True))
        if not isinstance(converted, pl.Series):  # pragma: no cover - pandas Series in
            raise TypeError("names: expected a one-dimensional sequence of names")
        return converted.cast(pl.String).rename("name")
    if isinstance(names, str):
        raise TypeError("names: expected a sequence of names, got a single string")
    return pl.Series("name", list(names), dtype=pl.String)


def _names_like(result: pl.Series, names: Any) -> Any:
    if isinstance(names, pd.Series):
        return pd.Series(result.to_list(), index=names.index, name=names.name)
    return result


def normalize_name(names: Any) -> Any:
    """Normalised firm names for matching (trade_measures.md §0.5).

    Steps: full-width forms U+FF01–U+FF5E → their half-width ASCII counterparts; remove all
    whitespace (incl. U+3000 and no-break space) and the bracket characters ()（）【】[]
    (their content is kept); 有限责任公司 → 有限公司; Latin letters upper-cased. Missing names
    stay missing.

    ``names``: pandas Series (returns a pandas Series with the same index), polars Series or
    any sequence of strings (returns a polars Series).
    """
    series = _names_series(names)
    out = pl.select(normalize_name_expr(pl.lit(series))).to_series().rename(series.name)
    return _names_like(out, names)


def _intermediary_expr(normalised: pl.Expr, keywords: Sequence[str]) -> pl.Expr:
    flags = [normalised.str.contains(k, literal=True) for k in keywords]
    return pl.any_horizontal(flags).fill_null(False)


def flag_intermediaries(names: Any, keywords: Sequence[str] = INTERMEDIARY_KEYWORDS) -> Any:
    """``True`` for trade intermediaries: the normalised name contains one of ``keywords``.

    Ahn, Khandelwal & Wei (2011, JIE) identify China's pure trading firms by 进出口, 经贸,
    贸易, 科贸 and 外经 in the name (they handle about a fifth of exports);
    trade_measures.md §0.4. Missing names are not flagged. Output type follows ``names``
    (see :func:`normalize_name`).
    """
    if not keywords:
        raise ValueError("keywords: give at least one intermediary keyword")
    series = _names_series(names)
    out = pl.select(_intermediary_expr(normalize_name_expr(pl.lit(series)), keywords))
    return _names_like(out.to_series().rename(series.name), names)


def _phone_tail(expr: pl.Expr, digits: int = PHONE_DIGITS) -> pl.Expr:
    """The last ``digits`` digits of a phone number (non-digits removed); null if shorter."""
    only = expr.str.replace_all(r"\D", "")
    return pl.when(only.str.len_chars() >= digits).then(only.str.slice(-digits)).otherwise(None)


# ---------------------------------------------------------------------------- customs


@dataclass
class CustomsLinkage:
    """Result of :func:`link_customs`.

    links:
        (party_id, year, firm_id, match_pass) — one row per linked customs party-year;
        ``match_pass`` is ``"name"`` or ``"zip_phone"``.
    report:
        By year: customs exporters (parties with exports), intermediary exporters, producer
        exporters, matched exporters (all / by name / by zip+phone), export value, the share
        of export value matched (of all exports and of producers' exports) and the
        intermediaries' export share.
    excluded:
        Counts over customs party-years: ``party_years``, ``intermediary``, ``linked_name``,
        ``linked_zip_phone``, ``ambiguous`` (several CIE firms match), ``unmatched``, and
        ``intermediary_rows`` (customs lines of intermediaries) and
        ``firm_years_with_several_parties`` (many-to-one links are kept).
    considered:
        (party_id, year) of the producer party-years that were matched against the CIE.
    firm_years:
        (firm_id, year) of the CIE table; with ``considered`` they define which true links
        could be found (:func:`linkage_quality`).
    """

    links: Any
    report: Any
    excluded: dict[str, int]
    considered: pl.DataFrame = field(repr=False)
    firm_years: pl.DataFrame = field(repr=False)


_CUSTOMS_COLUMNS = ("party_id", "firm_name", "year", "flow", "value_usd", "zip", "phone")
_FIRM_ID_COLUMNS = ("firm_id", "year", "firm_name", "zip", "phone")


def _cie_identities(firms: Any) -> pl.DataFrame:
    cie = as_lazy(firms, "firms")
    require_columns(cie, "firms", _FIRM_ID_COLUMNS)
    frame = cie.select(_FIRM_ID_COLUMNS).collect()
    check_unique_key(frame, "firms", ("firm_id", "year"))
    return frame.with_columns(
        normalize_name_expr(pl.col("firm_name")).alias("norm"),
        _phone_tail(pl.col("phone")).alias("tail"),
    )


def _unique_match(candidates: pl.DataFrame, keys: Sequence[str]) -> tuple[pl.DataFrame, set]:
    """Split candidate (keys…, firm_id) pairs into unique links and ambiguous keys."""
    grouped = candidates.group_by(keys).agg(
        pl.col("firm_id").unique().alias("firms"), pl.col("firm_id").n_unique().alias("n")
    )
    unique = grouped.filter(pl.col("n") == 1).select(
        *keys, pl.col("firms").list.first().alias("firm_id")
    )
    ambiguous = grouped.filter(pl.col("n") > 1).select(keys)
    return unique, set(ambiguous.rows())


def link_customs(
    customs: Any,
    firms: Any,
    *,
    keywords: Sequence[str] = INTERMEDIARY_KEYWORDS,
) -> CustomsLinkage:
    """Link customs parties to CIE firms, year by year, in two passes.

    For each customs party-year (party_id, year) — all its declared names, zips and phones:

    1. intermediaries (normalised name contains one of ``keywords``; Ahn, Khandelwal & Wei
       2011) are excluded and counted (a party-year with any flagged name is an
       intermediary);
    2. pass 1: normalised name + year equal to a CIE firm-year's (trade_measures.md §10.3);
    3. pass 2, for party-years without a unique name match: zip code + the last seven
       digits of the phone (digits only; Yu 2015, EJ) + year;
    4. a party-year whose candidates in a pass are several CIE firms is ambiguous in that
       pass; ambiguous after both passes → dropped and counted. Several parties linked to
       one firm-year are kept (firms may hold several customs codes) and counted.

    Paper 000 §3.3 (the matched CIE–customs sample of eq. 6). ``customs`` may be pandas,
    polars or a polars LazyFrame (``scan_table``): it is reduced to distinct party-year
    identities before any string work. ``firms`` needs unique (firm_id, year).
    Returns a :class:`CustomsLinkage`; ``links`` and ``report`` follow ``customs``' type
    (polars for a LazyFrame).
    """
    lazy = as_lazy(customs, "customs")
    require_columns(lazy, "customs", _CUSTOMS_COLUMNS)
    flows = lazy.select(pl.col("flow").unique()).collect()["flow"].to_list()
    unknown = sorted({str(f) for f in flows} - {"export", "import"})
    if unknown:
        raise SchemaError("customs", "flow", "flow must be 'export' or 'import'", examples=unknown)
    is_export = pl.col("flow") == "export"
    identities = (
        lazy.group_by("party_id", "year", "firm_name", "zip", "phone")
        .agg(
            pl.col("value_usd").filter(is_export).sum().alias("export_value"),
            pl.len().alias("rows"),
        )
        .collect()
        .with_columns(
            normalize_name_expr(pl.col("firm_name")).alias("norm"),
            _phone_tail(pl.col("phone")).alias("tail"),
        )
        .with_columns(_intermediary_expr(pl.col("norm"), keywords).alias("intermediary"))
    )
    party_years = identities.group_by("party_id", "year").agg(
        pl.col("export_value").sum(),
        pl.col("rows").sum(),
        pl.col("intermediary").any(),
    )
    producers = identities.join(
        party_years.filter(~pl.col("intermediary")).select("party_id", "year"),
        on=["party_id", "year"],
        how="semi",
    )
    cie = _cie_identities(firms)

    keys = ["party_id", "year"]
    by_name = producers.join(cie.select("norm", "year", "firm_id"), on=["norm", "year"])
    name_links, name_ambiguous = _unique_match(by_name.select(*keys, "firm_id"), keys)
    rest = producers.join(name_links.select(keys), on=keys, how="anti")
    phone_cands = rest.filter(pl.col("tail").is_not_null() & pl.col("zip").is_not_null()).join(
        cie.filter(pl.col("tail").is_not_null()).select("zip", "tail", "year", "firm_id"),
        on=["zip", "tail", "year"],
    )
    phone_links, phone_ambiguous = _unique_match(phone_cands.select(*keys, "firm_id"), keys)
    links = pl.concat(
        [
            name_links.with_columns(pl.lit("name").alias("match_pass")),
            phone_links.with_columns(pl.lit("zip_phone").alias("match_pass")),
        ]
    ).sort(keys)
    linked = set(links.select(keys).rows())
    ambiguous = (name_ambiguous | phone_ambiguous) - linked

    n_producer = party_years.filter(~pl.col("intermediary")).height
    excluded = {
        "party_years": party_years.height,
        "intermediary": party_years.height - n_producer,
        "intermediary_rows": int(party_years.filter(pl.col("intermediary"))["rows"].sum()),
        "linked_name": name_links.height,
        "linked_zip_phone": phone_links.height,
        "ambiguous": len(ambiguous),
        "unmatched": n_producer - links.height - len(ambiguous),
        "firm_years_with_several_parties": int(
            links.group_by("firm_id", "year").len().filter(pl.col("len") > 1).height
        ),
    }
    report = _customs_report(party_years, links)
    return CustomsLinkage(
        links=like(links, customs),
        report=like(report, customs),
        excluded=excluded,
        considered=producers.select(keys).unique(),
        firm_years=cie.select("firm_id", "year"),
    )


def _customs_report(party_years: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    exporters = party_years.filter(pl.col("export_value") > 0).join(
        links, on=["party_id", "year"], how="left"
    )
    linked = pl.col("firm_id").is_not_null()
    value = pl.col("export_value")
    producer = ~pl.col("intermediary")
    return (
        exporters.group_by("year")
        .agg(
            pl.len().alias("exporters"),
            pl.col("intermediary").sum().alias("intermediary_exporters"),
            producer.sum().alias("producer_exporters"),
            linked.sum().alias("matched"),
            (pl.col("match_pass") == "name").sum().alias("matched_name"),
            (pl.col("match_pass") == "zip_phone").sum().alias("matched_zip_phone"),
            value.sum().alias("export_value"),
            (value.filter(linked).sum() / value.sum()).alias("matched_value_share"),
            (value.filter(linked).sum() / value.filter(producer).sum()).alias(
                "matched_producer_value_share"
            ),
            (value.filter(~producer).sum() / value.sum()).alias("intermediary_value_share"),
        )
        .sort("year")
    )


# ---------------------------------------------------------------------------- platform


@dataclass
class PlatformLinkage:
    """Result of :func:`link_platform`.

    links:
        (firm_id, member_name, member_since) — one firm per linked member name.
    report:
        By ``member_since``: members, linked, ambiguous, unmatched and the linked share.
    excluded:
        Counts of member names: ``members``, ``linked``, ``ambiguous`` (several CIE firms
        carry the normalised name), ``unmatched``, ``firms_with_several_names``.
    considered, firm_ids:
        The member names matched and the CIE firm ids (for :func:`linkage_quality`).
    """

    links: Any
    report: Any
    excluded: dict[str, int]
    considered: pl.DataFrame = field(repr=False)
    firm_ids: pl.DataFrame = field(repr=False)


def link_platform(platform: Any, firms: Any) -> PlatformLinkage:
    """Link platform members (诚信通 paid members) to CIE firms by normalised name.

    A member name links to the CIE firm whose name — in any survey year — normalises to
    the same string (trade_measures.md §0.5, §10.3). A member name matching several firms is
    ambiguous: dropped and counted. Several member names may link to one firm (kept;
    :func:`vagg.measures.agglomeration.platform_membership` uses the earliest
    ``member_since``). Paper 000 §3.1–3.3 (I_fjt of eq. 7). Output type follows ``platform``.
    """
    members = as_lazy(platform, "platform")
    require_columns(members, "platform", ("member_name", "member_since"))
    listed = (
        members.select("member_name", "member_since")
        .collect()
        .with_columns(normalize_name_expr(pl.col("member_name")).alias("norm"))
    )
    cie = as_lazy(firms, "firms")
    require_columns(cie, "firms", ("firm_id", "firm_name"))
    names = (
        cie.select("firm_id", normalize_name_expr(pl.col("firm_name")).alias("norm"))
        .unique()
        .collect()
    )
    candidates = listed.join(names, on="norm")
    unique, ambiguous = _unique_match(candidates.select("member_name", "firm_id"), ["member_name"])
    links = (
        listed.select("member_name", "member_since")
        .group_by("member_name")
        .agg(pl.col("member_since").min())
        .join(unique, on="member_name")
        .select("firm_id", "member_name", "member_since")
        .sort("firm_id", "member_name")
    )
    status = listed.with_columns(
        pl.when(pl.col("member_name").is_in(links["member_name"].implode()))
        .then(pl.lit("linked"))
        .when(pl.col("member_name").is_in(pl.Series([a[0] for a in ambiguous]).implode()))
        .then(pl.lit("ambiguous"))
        .otherwise(pl.lit("unmatched"))
        .alias("status")
    )
    report = (
        status.group_by("member_since")
        .agg(
            pl.len().alias("members"),
            (pl.col("status") == "linked").sum().alias("linked"),
            (pl.col("status") == "ambiguous").sum().alias("ambiguous"),
            (pl.col("status") == "unmatched").sum().alias("unmatched"),
        )
        .with_columns((pl.col("linked") / pl.col("members")).alias("linked_share"))
        .sort("member_since")
    )
    counts = status["status"].value_counts()
    count = dict(zip(counts["status"].to_list(), counts["count"].to_list(), strict=True))
    excluded = {
        "members": listed.height,
        "linked": int(count.get("linked", 0)),
        "ambiguous": int(count.get("ambiguous", 0)),
        "unmatched": int(count.get("unmatched", 0)),
        "firms_with_several_names": int(
            links.group_by("firm_id").len().filter(pl.col("len") > 1).height
        ),
    }
    return PlatformLinkage(
        links=like(links, platform),
        report=like(report, platform),
        excluded=excluded,
        considered=listed.select("member_name").unique(),
        firm_ids=names.select("firm_id").unique(),
    )


# ---------------------------------------------------------------------------- quality


def _quality(n_correct: int, n_found: int, n_true: int) -> dict[str, float]:
    return {
        "precision": n_correct / n_found if n_found else float("nan"),
        "recall": n_correct / n_true if n_true else float("nan"),
        "n_true": n_true,
        "n_found": n_found,
        "n_correct": n_correct,
    }


def linkage_quality(found: Any, true_links: Any) -> dict[str, float]:
    """Precision and recall of a linkage against the true links.

    precision = |found ∩ true| / |found|,  recall = |found ∩ true| / |true linkable|.

    ``true_links`` is a table (firm_id, party_id, member_name) such as a synthetic dataset's
    ``truth_links.parquet``. With a :class:`CustomsLinkage`, the unit is the customs
    party-year: a link is correct when its firm is the party's true firm; a true link is
    linkable when the party-year was matched (a producer) and its true firm is in the CIE
    that year. With a :class:`PlatformLinkage`, the unit is the member name; linkable true
    links are members of the platform table whose true firm is in the CIE. A plain links
    table is compared as distinct (party_id, firm_id) or (firm_id, member_name) pairs against
    all true pairs. Returns dict(precision, recall, n_true, n_found, n_correct).
    """
    truth = as_lazy(true_links, "true_links").collect()
    if isinstance(found, CustomsLinkage):
        require_columns(truth, "true_links", ("firm_id", "party_id"))
        true_party = truth.select("party_id", pl.col("firm_id").alias("true_firm")).unique()
        linkable = found.considered.join(true_party, on="party_id").join(
            found.firm_years.rename({"firm_id": "true_firm"}), on=["true_firm", "year"], how="semi"
        )
        links = as_lazy(found.links, "links").collect()
        correct = links.join(true_party, on="party_id").filter(
            pl.col("firm_id") == pl.col("true_firm")
        )
        return _quality(correct.height, links.height, linkable.height)
    if isinstance(found, PlatformLinkage):
        require_columns(truth, "true_links", ("firm_id", "member_name"))
        true_pairs = truth.filter(pl.col("member_name").is_not_null()).select(
            "firm_id", "member_name"
        )
        linkable = true_pairs.join(found.considered, on="member_name", how="semi").join(
            found.firm_ids, on="firm_id", how="semi"
        )
        links = as_lazy(found.links, "links").collect().select("firm_id", "member_name")
        correct = links.join(true_pairs, on=["firm_id", "member_name"], how="semi")
        return _quality(correct.height, links.height, linkable.unique().height)
    links = as_lazy(found, "found").collect()
    key = ["party_id", "firm_id"] if "party_id" in links.columns else ["firm_id", "member_name"]
    require_columns(links, "found", key)
    require_columns(truth, "true_links", key)
    pairs = links.select(key).unique()
    true_pairs = truth.select(key).drop_nulls().unique()
    correct = pairs.join(true_pairs, on=key, how="semi")
    return _quality(correct.height, pairs.height, true_pairs.height)
