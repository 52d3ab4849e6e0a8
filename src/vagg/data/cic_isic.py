"""CIC (GB/T 4754-2002) industries → ISIC Rev.4 divisions → OECD IOT 2021 industries.

Paper 001 attaches the OECD input–output coefficients (ISIC Rev.4) to the 2004 economic census
(GB/T 4754-2002) by mapping each CIC 4-digit industry, the smaller unit, to one ISIC Rev.4
two-digit division (footnote to eq. 22: "本文将统计口径较小的 CIC-4 位行业对应到 ISIC 第四版的 2
位码行业"). The paper does not publish its table. vagg's table (``cic2002_isic4.csv``) is a set
of *prefix rules*: a CIC code takes the ISIC division of its longest matching prefix. Each
division of the industrial sections the census microdata cover (mining 06–11, manufacturing
13–43, utilities 44–46) has a rule; groups (3 digits) and classes (4 digits) whose ISIC
division differs from their division's, and that fall in another OECD industry, have their own
rule: footwear (182 → 15), steam boilers (3511 → 25), iron castings (3591 → 24), forgings
(3592 → 25), medical instruments (368 → 32, with electromedical equipment 3681 → 26), motor
vehicles inside transport equipment (37 → 30, 372 → 29), spectacles (4142 → 32), office
machinery (415 → 28, with cinematographic, projection and photographic equipment 4151–4153 →
26), coal briquettes (423 → 19) and oil-field services (079 → 09). The rules were written by
reading the GB/T 4754-2002 group titles against the ISIC Rev.4 division definitions; a user
with another concordance passes it as a (cic4, isic4) table instead.

ISIC divisions map to the 45 industries of the OECD national input–output tables, 2021 edition
(``oecd_iot2021_sectors.csv``: code "01"…"45" as in the OECD long files, label such as
"D61", the ISIC range and the English name). Written here because no Python package ships a
GB/T 4754-2002 → ISIC Rev.4 concordance.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import pandas as pd

from vagg.data.concordance import ReferenceDataError
from vagg.data.shipped import read_resource

__all__ = [
    "cic_isic_rules",
    "cic_to_isic",
    "iot2021_sectors",
    "isic_to_iot2021",
]


@lru_cache(maxsize=1)
def _rules() -> dict[str, str]:
    table = read_resource("cic2002_isic4.csv")
    return dict(zip(table["cic_prefix"], table["isic4"], strict=True))


@lru_cache(maxsize=1)
def _iot() -> pd.DataFrame:
    return read_resource("oecd_iot2021_sectors.csv")


def cic_isic_rules() -> pd.DataFrame:
    """The shipped CIC → ISIC Rev.4 prefix rules.

    Returns
    -------
    pandas.DataFrame
        Columns ``cic_prefix`` (2, 3 or 4 digits, GB/T 4754-2002), ``isic4`` (ISIC Rev.4
        division), ``name_zh`` (the GB/T title) and ``note`` (the ISIC class for exceptions).
    """
    return read_resource("cic2002_isic4.csv")


def iot2021_sectors() -> pd.DataFrame:
    """The 45 industries of the OECD national input–output tables, 2021 edition.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` ("01"…"45", the row/column codes of the OECD long files), ``label``
        (e.g. "D61"), ``isic4_divisions`` (e.g. "62-63") and ``name_en``. Source: OECD,
        Input-Output Tables 2021 edition, industry list (ISIC Rev.4).
    """
    return _iot().copy()


def cic_to_isic(codes: Iterable[str], *, where: str = "cic4") -> list[str]:
    """ISIC Rev.4 two-digit division of each CIC (GB/T 4754-2002) code.

    Each code takes the division of its longest prefix in :func:`cic_isic_rules`
    (e.g. "3721" → "29" by the rule "372", "3751" → "30" by the rule "37").

    Parameters
    ----------
    codes : iterable of str
        CIC codes of 2–4 digits, as text (leading zeros kept).
    where : str
        How the codes are named in an error message (table and column).

    Returns
    -------
    list of str
        The ISIC division of each code, in order.

    Raises
    ------
    ReferenceDataError
        Codes that are not digits or whose division has no rule (e.g. agriculture "01",
        services "51", or "38", which GB/T 4754-2002 does not have), listed.
    """
    rules = _rules()
    out: list[str] = []
    bad: list[str] = []
    for code in codes:
        text = str(code)
        hit = None
        if text.isdigit():
            for length in (4, 3, 2):
                if len(text) >= length and text[:length] in rules:
                    hit = rules[text[:length]]
                    break
        if hit is None:
            bad.append(text)
        out.append(hit or "")
    if bad:
        shown = sorted(set(bad))
        raise ReferenceDataError(
            f"{where}: {len(bad)} code(s) have no CIC (GB/T 4754-2002) → ISIC Rev.4 rule for "
            f"an industrial division (mining 06-11, manufacturing 13-43, utilities 44-46): "
            f"{shown[:10]}; pass your own (cic4, isic4) map"
        )
    return out


def isic_to_iot2021(divisions: Iterable[str], *, where: str = "isic4") -> list[str]:
    """OECD IOT 2021 industry code ("01"…"45") of each ISIC Rev.4 two-digit division.

    Parameters
    ----------
    divisions : iterable of str
        Two-digit ISIC Rev.4 divisions ("26", "05", …).
    where : str
        How the divisions are named in an error message.

    Returns
    -------
    list of str
        The industry code of each division (e.g. "26" → "17", computers and electronics).

    Raises
    ------
    ReferenceDataError
        Divisions that are not ISIC Rev.4 divisions of any industry, listed.
    """
    lookup: dict[str, str] = {}
    for code, span in zip(_iot()["code"], _iot()["isic4_divisions"], strict=True):
        first, _, last = span.partition("-")
        for number in range(int(first), int(last or first) + 1):
            lookup[f"{number:02d}"] = code
    out: list[str] = []
    bad: list[str] = []
    for division in divisions:
        text = str(division)
        hit = lookup.get(text)
        if hit is None:
            bad.append(text)
        out.append(hit or "")
    if bad:
        raise ReferenceDataError(
            f"{where}: {len(bad)} value(s) are not ISIC Rev.4 divisions of an OECD IOT 2021 "
            f"industry: {sorted(set(bad))[:10]}"
        )
    return out
