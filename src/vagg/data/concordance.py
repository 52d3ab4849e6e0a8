"""Loaders for the public product concordances: UN HS→BEC tables and BGW import elasticities.

HS→BEC (``read_hs_bec``, ``hs_end_use``)
    Reads the UN Statistics Division "HS20xx to BEC Conversion and Correlation Tables.csv"
    files (as distributed with the R package ``concordance``, ``data-raw/``). Their layouts
    differ by vintage: HS 2002 has columns ``HS02,BEC,Relationship`` with six-digit codes and a
    flag "n to 1"/"n to n"; HS 2007 has ``HS2007,BEC`` with codes written "0101.10" and no
    flag; HS 2017 has ``HS 2017,BEC,Relationship`` with "n:1"/"n:n". BEC codes are BEC Rev.4.
    BEC Rev.4 codes map to the SNA end-use classes (methods note ``trade_measures.md`` §0.3):
    intermediate 111, 121, 21, 22, 31, 322, 42, 53; capital 41, 521; consumption 112, 122, 522,
    61, 62, 63; unclassified 321, 51, 7. A parent code that the UN table uses without its
    subdivision gets the class its children share, or "unclassified" when they differ (32 =
    321 + 322 — used for HS 271011/271019 light and other petroleum oils, which contain motor
    spirit — is unclassified; 2 is intermediate, 6 consumption, 4 = 41 + 42 unclassified).
    Rows without a BEC code ("n/a", e.g. HS 710820 monetary gold) are kept with ``bec``
    missing and end use "unclassified".
Import demand elasticities (``read_sigma``)
    Reads Broda, Greenfield & Weinstein's ``Sigmas73countries_9403_HS3digit.dta`` (columns
    ccode, cname, hs_3digit, sigma; 73 importers, HS 1992 three-digit lines, 1994–2003).
    σ ranges from about 1.06 to over 16,000, so it is capped (methods note §3.2: winsorise to
    [1.5, 20] or at the 1st/99th percentile, a recorded choice): the default is
    :data:`DEFAULT_SIGMA_CAP` = (1.5, 20.0).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from vagg.errors import VaggError

__all__ = [
    "BEC_END_USE",
    "DEFAULT_SIGMA_CAP",
    "END_USE_CLASSES",
    "ReferenceDataError",
    "bec_end_use",
    "hs_end_use",
    "read_hs_bec",
    "read_sigma",
]


class ReferenceDataError(VaggError):
    """A reference file or table does not have the expected layout or content.

    The message names the file (or table/argument), the column and the offending rows.
    """


END_USE_CLASSES: tuple[str, ...] = ("intermediate", "capital", "consumption", "unclassified")
"""SNA end-use classes, in the priority order used to break ties in :func:`hs_end_use`."""

BEC_END_USE: dict[str, str] = {
    **dict.fromkeys(("111", "121", "21", "22", "31", "322", "42", "53"), "intermediate"),
    **dict.fromkeys(("41", "521"), "capital"),
    **dict.fromkeys(("112", "122", "522", "61", "62", "63"), "consumption"),
    **dict.fromkeys(("321", "51", "7"), "unclassified"),
}
"""BEC Rev.4 basic categories → SNA end-use class (trade_measures.md §0.3)."""

_BEC_CHILDREN: dict[str, tuple[str, ...]] = {
    "1": ("111", "112", "121", "122"),
    "11": ("111", "112"),
    "12": ("121", "122"),
    "2": ("21", "22"),
    "3": ("31", "321", "322"),
    "32": ("321", "322"),
    "4": ("41", "42"),
    "5": ("51", "521", "522", "53"),
    "52": ("521", "522"),
    "6": ("61", "62", "63"),
}

_MISSING_BEC = {"", "n/a", "na", "nan", "none", "-"}

_RELATIONSHIPS = {
    "n to 1": "n:1",
    "n:1": "n:1",
    "n to n": "n:n",
    "n:n": "n:n",
    "1 to 1": "1:1",
    "1:1": "1:1",
    "1 to n": "1:n",
    "1:n": "1:n",
}

DEFAULT_SIGMA_CAP: tuple[float, float] = (1.5, 20.0)
"""Default bounds σ is clipped to (methods note trade_measures.md §3.2)."""

_MAX_SHOWN = 5


def _parent_end_use(code: str) -> str:
    classes = {BEC_END_USE[child] for child in _BEC_CHILDREN[code]}
    return classes.pop() if len(classes) == 1 else "unclassified"


def bec_end_use(bec: str | None) -> str:
    """Return the SNA end-use class of a BEC Rev.4 code (trade_measures.md §0.3).

    Basic categories follow :data:`BEC_END_USE`; a parent category (e.g. "32") gets the class
    shared by all its basic categories, else "unclassified"; a missing code gives
    "unclassified". Raises :class:`ReferenceDataError` for a code that is not BEC Rev.4.
    """
    if bec is None or (isinstance(bec, float) and np.isnan(bec)) or bec is pd.NA:
        return "unclassified"
    code = str(bec).strip()
    if code in BEC_END_USE:
        return BEC_END_USE[code]
    if code in _BEC_CHILDREN:
        return _parent_end_use(code)
    raise ReferenceDataError(f"bec_end_use: {code!r} is not a BEC Rev.4 code")


def _rows_text(positions: Sequence[int], values: Sequence[object]) -> str:
    """Describe offending rows by file line number (header is line 1) and value."""
    shown = [f"line {p + 2}: {v!r}" for p, v in zip(positions[:_MAX_SHOWN], values, strict=False)]
    more = f" and {len(positions) - _MAX_SHOWN} more" if len(positions) > _MAX_SHOWN else ""
    return "; ".join(shown) + more


def _find_column(columns: Sequence[str], prefix: str) -> str | None:
    for column in columns:
        if column.replace(" ", "").lower().startswith(prefix):
            return column
    return None


def _normalise_bec(raw: pd.Series, source: str, column: str) -> pd.Series:
    text = raw.fillna("").astype(str).str.strip()
    missing = text.str.lower().isin(_MISSING_BEC)
    # Cleaned copies pad BEC codes to three digits with zeros ("21" → "210"); no BEC Rev.4
    # code ends in 0, so stripping trailing zeros is unambiguous.
    code = text.str.rstrip("0")
    known = code.isin(set(BEC_END_USE) | set(_BEC_CHILDREN))
    bad = ~missing & ~known
    if bad.any():
        positions = [int(p) for p in np.flatnonzero(bad.to_numpy())]
        raise ReferenceDataError(
            f"{source}: column '{column}' has values that are not BEC Rev.4 codes "
            f"({len(positions)} rows): {_rows_text(positions, list(text[bad]))}"
        )
    return pd.Series(
        [None if is_missing else value for is_missing, value in zip(missing, code, strict=True)],
        index=raw.index,
    )


def _normalise_hs6(raw: pd.Series, source: str, column: str) -> tuple[pd.Series, int]:
    text = raw.fillna("").astype(str).str.strip().str.replace(r"[.\s]", "", regex=True)
    numeric = text.str.fullmatch(r"\d{5,6}")
    if not numeric.all():
        positions = [int(p) for p in np.flatnonzero(~numeric.to_numpy())]
        raise ReferenceDataError(
            f"{source}: column '{column}' has malformed HS six-digit codes "
            f"({len(positions)} rows): {_rows_text(positions, list(raw[~numeric]))}"
        )
    # A five-digit code lost its leading zero to a spreadsheet round trip ("10110" → "010110").
    padded = int((text.str.len() == 5).sum())
    return text.str.zfill(6), padded


def read_hs_bec(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a UN "HS20xx to BEC Conversion and Correlation Tables.csv" file.

    Returns one row per (hs6, bec) pair with columns ``hs6`` (six-character string with
    leading zeros; "0101.10" is read as "010110"), ``bec`` (BEC Rev.4 code as in the file,
    missing for "n/a"), ``relationship`` ("n:1" or "n:n", read from the file's flag, whose
    "n to 1" spelling is normalised, or derived when the file has no flag: "n:n" when the HS
    code appears with several BEC codes) and ``end_use`` (:func:`bec_end_use`, the BEC Rev.4 →
    SNA classes of trade_measures.md §0.3). An HS code mapped to several BEC codes (1:n) keeps
    all its rows; :func:`hs_end_use` resolves them to one class per hs6.

    ``attrs`` records ``source`` (file name), ``hs_column``, ``relationship_source`` ("file" or
    "derived"), ``n_hs_padded`` (five-digit codes given their leading zero) and
    ``n_duplicate_rows_dropped`` (identical hs6–BEC rows kept once).

    Raises :class:`ReferenceDataError` naming the file, column and rows when the HS or BEC
    column is missing, an HS code is not six digits, a BEC code is not BEC Rev.4 or the flag
    has an unknown value.
    """
    file = Path(path)
    source = file.name
    if not file.is_file():
        raise ReferenceDataError(f"{source}: HS→BEC file not found at {file}")
    raw = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.columns = [str(c).strip() for c in raw.columns]
    hs_column = _find_column(list(raw.columns), "hs")
    if hs_column is None:
        raise ReferenceDataError(
            f"{source}: no HS code column (a column named like 'HS02', 'HS2007' or 'HS 2017'); "
            f"columns are {list(raw.columns)}"
        )
    bec_column = _find_column(list(raw.columns), "bec")
    if bec_column is None:
        raise ReferenceDataError(f"{source}: no 'BEC' column; columns are {list(raw.columns)}")
    flag_column = _find_column(list(raw.columns), "relationship")

    hs6, n_padded = _normalise_hs6(raw[hs_column], source, hs_column)
    bec = _normalise_bec(raw[bec_column], source, bec_column)
    table = pd.DataFrame({"hs6": hs6, "bec": bec})

    if flag_column is not None:
        flag_text = raw[flag_column].astype(str).str.strip().str.lower()
        flag = flag_text.map(_RELATIONSHIPS)
        bad = flag.isna()
        if bad.any():
            positions = [int(p) for p in np.flatnonzero(bad.to_numpy())]
            raise ReferenceDataError(
                f"{source}: column '{flag_column}' has unknown relationship flags "
                f"({len(positions)} rows): {_rows_text(positions, list(raw[flag_column][bad]))}"
            )
        table["relationship"] = flag
        relationship_source = "file"
    else:
        multiple = table.groupby("hs6")["hs6"].transform("size") > 1
        table["relationship"] = multiple.map({True: "n:n", False: "n:1"})
        relationship_source = "derived"

    n_before = len(table)
    table = table.drop_duplicates(subset=["hs6", "bec"]).reset_index(drop=True)
    table["end_use"] = [bec_end_use(None if pd.isna(code) else str(code)) for code in table["bec"]]
    table.attrs = {
        "source": source,
        "hs_column": hs_column,
        "relationship_source": relationship_source,
        "n_hs_padded": n_padded,
        "n_duplicate_rows_dropped": n_before - len(table),
    }
    return table


def hs_end_use(
    hs_bec: pd.DataFrame, rule: Literal["majority", "unanimous"] = "majority"
) -> pd.DataFrame:
    """Resolve an HS→BEC table (from :func:`read_hs_bec`) to one end-use class per hs6.

    Rule "majority" (default): the class held by most of the hs6's BEC rows; ties go to the
    first class in :data:`END_USE_CLASSES` order (intermediate, capital, consumption,
    unclassified), so that a product the UN table lists as both a part (42) and a capital good
    (41) counts as an intermediate input, as the DVAR measures need (trade_measures.md §1.5).
    Rule "unanimous": the common class when all rows agree, else "unclassified".

    Returns columns ``hs6``, ``end_use``, ``n_bec`` (number of BEC rows), ``bec_codes`` (the
    BEC codes joined by ";") and ``ambiguous`` (the rows had more than one class).
    """
    if rule not in ("majority", "unanimous"):
        raise ReferenceDataError(
            f"hs_end_use: argument 'rule' must be 'majority' or 'unanimous', got {rule!r}"
        )
    missing = [c for c in ("hs6", "bec", "end_use") if c not in hs_bec.columns]
    if missing:
        raise ReferenceDataError(
            f"hs_end_use: table 'hs_bec' lacks column(s) {missing}; use read_hs_bec()"
        )
    bad_class = ~hs_bec["end_use"].isin(END_USE_CLASSES)
    if bad_class.any():
        positions = [int(p) for p in np.flatnonzero(bad_class.to_numpy())]
        raise ReferenceDataError(
            f"hs_end_use: table 'hs_bec', column 'end_use' has unknown classes at rows "
            f"{positions[:_MAX_SHOWN]}: {list(hs_bec['end_use'][bad_class][:_MAX_SHOWN])}"
        )
    # counts[h, k] = number of BEC rows of product h in class k (columns in priority order);
    # argmax takes the first maximum, i.e. ties go to the earlier class.
    codes = hs_bec["hs6"].astype(str)
    counts = pd.crosstab(codes, hs_bec["end_use"].astype(str)).reindex(
        columns=list(END_USE_CLASSES), fill_value=0
    )
    matrix = counts.to_numpy()
    majority = np.asarray(END_USE_CLASSES)[matrix.argmax(axis=1)]
    ambiguous = (matrix > 0).sum(axis=1) > 1
    chosen = majority if rule == "majority" else np.where(ambiguous, "unclassified", majority)
    bec_text = hs_bec["bec"].map(lambda b: "n/a" if pd.isna(b) else str(b))
    bec_codes = bec_text.groupby(codes, sort=True).agg(";".join).reindex(counts.index)
    result = pd.DataFrame(
        {
            "hs6": counts.index.to_numpy(),
            "end_use": chosen,
            "n_bec": matrix.sum(axis=1).astype(np.int64),
            "bec_codes": bec_codes.to_numpy(),
            "ambiguous": ambiguous,
        }
    )
    result.attrs = {"rule": rule, "source": hs_bec.attrs.get("source")}
    return result


def _normalise_country(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def read_sigma(
    path: str | os.PathLike[str],
    country: str | None = "China",
    cap: tuple[float, float] | Literal["p1_p99"] | None = DEFAULT_SIGMA_CAP,
) -> pd.DataFrame:
    """Read Broda–Greenfield–Weinstein import demand elasticities σ by HS 3-digit line.

    Reads the Stata file ``Sigmas73countries_9403_HS3digit.dta`` (columns ccode, cname,
    hs_3digit, sigma). ``country`` selects an importer by ``cname`` (case, spaces and
    punctuation ignored, e.g. "China", "Hong Kong"); ``None`` keeps all 73 with a ``country``
    column. Returns ``hs3`` (three-character string with leading zeros: 10 → "010"), ``sigma``
    (capped) and ``sigma_raw``.

    Capping (trade_measures.md §3.2): σ enters quality as 1/(σ − 1), so values near 1 blow up
    and huge values flatten it. ``cap=(lo, hi)`` clips σ to [lo, hi] (default (1.5, 20.0));
    ``cap="p1_p99"`` clips to the 1st and 99th percentiles (numpy linear interpolation) of the
    selected rows; ``cap=None`` leaves σ as read. ``attrs`` records ``source``, ``country``,
    ``sigma_cap`` (the bounds applied, or None), ``sigma_cap_rule``, ``n_capped_low`` and
    ``n_capped_high``.

    Reference: Broda, C., Greenfield, J. & Weinstein, D. (2017), "From groundnuts to
    globalization: a structural estimate of trade and growth", Research in Economics 71(4).
    Raises :class:`ReferenceDataError` naming the file, column and rows when a column is
    missing, an HS line is not an integer in 0–999, σ is not a positive finite number, an
    (importer, hs3) pair repeats, or the country is absent.
    """
    file = Path(path)
    source = file.name
    if not file.is_file():
        raise ReferenceDataError(f"{source}: σ file not found at {file}")
    try:
        raw = pd.read_stata(file)
    except ValueError as exc:
        raise ReferenceDataError(f"{source}: not a readable Stata .dta file: {exc}") from exc
    required = ["cname", "hs_3digit", "sigma"]
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise ReferenceDataError(
            f"{source}: missing column(s) {missing}; columns are {list(raw.columns)}"
        )
    raw = raw.reset_index(drop=True)
    names = raw["cname"].astype(str)
    if country is not None:
        wanted = _normalise_country(country)
        keep = names.map(_normalise_country) == wanted
        if not keep.any():
            available = sorted(names.unique())
            raise ReferenceDataError(
                f"{source}: column 'cname' has no country {country!r}; available: {available}"
            )
        raw = raw.loc[keep]
        names = names.loc[keep]

    line = pd.to_numeric(raw["hs_3digit"], errors="coerce").astype(float)
    bad_line = ~np.isfinite(line) | (line != np.round(line)) | (line < 0) | (line > 999)
    if bad_line.any():
        positions = list(raw.index[bad_line])
        raise ReferenceDataError(
            f"{source}: column 'hs_3digit' must hold integers 0–999; offending rows "
            f"{positions[:_MAX_SHOWN]} (values {list(raw['hs_3digit'][bad_line][:_MAX_SHOWN])})"
        )
    sigma_raw = pd.to_numeric(raw["sigma"], errors="coerce").astype(float)
    bad_sigma = ~np.isfinite(sigma_raw) | (sigma_raw <= 0)
    if bad_sigma.any():
        positions = list(raw.index[bad_sigma])
        raise ReferenceDataError(
            f"{source}: column 'sigma' must be positive and finite; offending rows "
            f"{positions[:_MAX_SHOWN]} (values {list(raw['sigma'][bad_sigma][:_MAX_SHOWN])})"
        )
    hs3 = line.round().astype(int).astype(str).str.zfill(3)
    table = pd.DataFrame(
        {
            "country": names.to_numpy(),
            "hs3": hs3.to_numpy(),
            "sigma_raw": sigma_raw.to_numpy(dtype=float),
        }
    )
    duplicated = table.duplicated(subset=["country", "hs3"], keep=False)
    if duplicated.any():
        positions = list(raw.index[duplicated.to_numpy()])
        raise ReferenceDataError(
            f"{source}: (cname, hs_3digit) repeats at rows {positions[:_MAX_SHOWN]}"
        )

    rule: str
    bounds: tuple[float, float] | None
    if cap is None:
        rule, bounds = "none", None
    elif isinstance(cap, str):
        if cap != "p1_p99":
            raise ReferenceDataError(
                f"read_sigma: argument 'cap' must be (lo, hi), 'p1_p99' or None, got {cap!r}"
            )
        values = table["sigma_raw"].to_numpy()
        rule = "p1_p99"
        bounds = (float(np.percentile(values, 1)), float(np.percentile(values, 99)))
    else:
        try:
            lo, hi = (float(v) for v in cap)
        except (TypeError, ValueError) as exc:
            raise ReferenceDataError(
                f"read_sigma: argument 'cap' must be (lo, hi), 'p1_p99' or None, got {cap!r}"
            ) from exc
        if not (np.isfinite(lo) and np.isfinite(hi) and 1.0 < lo < hi):
            raise ReferenceDataError(
                f"read_sigma: argument 'cap' needs 1 < lo < hi (finite), got {cap!r}"
            )
        rule, bounds = "bounds", (lo, hi)

    if bounds is None:
        table["sigma"] = table["sigma_raw"]
        n_low = n_high = 0
    else:
        n_low = int((table["sigma_raw"] < bounds[0]).sum())
        n_high = int((table["sigma_raw"] > bounds[1]).sum())
        table["sigma"] = table["sigma_raw"].clip(lower=bounds[0], upper=bounds[1])

    columns = ["hs3", "sigma", "sigma_raw"]
    if country is None:
        columns = ["country", *columns]
        table = table.sort_values(["country", "hs3"])
    else:
        table = table.sort_values("hs3")
    table = table[columns].reset_index(drop=True)
    table.attrs = {
        "source": source,
        "country": country,
        "sigma_cap": bounds,
        "sigma_cap_rule": rule,
        "n_capped_low": n_low,
        "n_capped_high": n_high,
    }
    return table
