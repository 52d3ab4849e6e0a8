"""Industry classifications: CIC 2-digit manufacturing, China's 42-sector IO table, OECD ICIO.

Conventions
-----------
CIC 2-digit (``cic2``)
    The 30 manufacturing divisions (section C) of the Chinese Industrial Classification
    GB/T 4754-2002, which the CIE firm data use for 2003–2011 and the 2004 economic census uses
    (paper 001): codes 13–43, code 38 does not exist in this vintage (electrical machinery is
    39; 38 only appears in GB/T 4754-2011). Codes are two-character strings.
IO sector (``io_sector``)
    The sector of China's 42-sector national input–output table, 2007 vintage (codes "01"–"42";
    manufacturing is "06"–"22", with "22" 废品废料 receiving CIC 43). The mapping is
    many-to-one and follows the sector definitions of the table: 13–16 → 06 食品制造及烟草加工业;
    17 → 07; 18–19 → 08; 20–21 → 09; 22–24 → 10; 25 → 11; 26–30 → 12 化学工业 (chemicals,
    medicines, chemical fibres, rubber, plastics); 31 → 13; 32–33 → 14; 34 → 15; 35–36 → 16;
    37 → 17; 39 → 18; 40 → 19; 41 → 20; 42 → 21; 43 → 22. The 2002 42-sector table has the same
    manufacturing block (06–22); it differs in some service sectors (e.g. 2002 has 旅游业 and
    科学研究事业 where 2007 has 研究与试验发展业 and 综合技术服务业), so use the 2007 list for the
    service codes.
ISIC (``isic4``)
    The ISIC Rev.4 two-digit division closest to the CIC division (one primary division as a
    string; ``isic4_other`` lists other divisions that hold a sizeable part, separated by ";").
    Paper 001 (footnote to eq. 22) maps CIC-4 industries to ISIC Rev.4 2-digit divisions to
    attach the OECD ICIO coefficients; at 2-digit, transport equipment (37) goes to 29 (motor
    vehicles, most of its output) and instruments (41) to 26.
ICIO sector (``icio_sector``)
    The OECD Inter-Country Input-Output tables, 2018 release (ISIC Rev.4, 36 industries, years
    2005–2015): the release whose years match paper 001's "2005—2015年OECD世界投入产出数据" and
    which has separate telecommunications (D61) and IT and other information services (D62T63)
    sectors. Paper 001 takes the direct-requirement coefficients of J61, J62/J63 and of the
    digital parts of wholesale (G46) and retail (G47); the 2018 release has one wholesale and
    retail sector (D45T47), and the paper splits it with census coefficients (Xu & Zhang 2020),
    which happens downstream of this table. ``icio_sectors()`` flags D61, D62T63 and D45T47 as
    the digital sectors. CIC 43 (recycling) maps to ISIC 38 and thus to D35T39.
High-tech (``high_tech``)
    NBS 高技术产业（制造业）分类 at 2-digit: 医药制造业 (27), 通信设备、计算机及其他电子设备制造业
    (40) and 仪器仪表及文化、办公用机械制造业 (41). This is a 2-digit approximation: the NBS list
    also contains aerospace (a 4-digit part of 37) and medical equipment (a 4-digit part of
    36), which are not flagged; pass ``high_tech=`` to :func:`cic2_table` to override the set.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import pandas as pd

from vagg.data.concordance import ReferenceDataError
from vagg.data.shipped import read_resource, to_bool

__all__ = [
    "DIGITAL_ICIO_SECTORS",
    "HIGH_TECH_CIC2",
    "ICIO_RELEASE",
    "IO_TABLE_VINTAGE",
    "cic2_table",
    "icio_sectors",
    "io_sectors",
]

HIGH_TECH_CIC2: tuple[str, ...] = ("27", "40", "41")
"""CIC 2-digit divisions flagged high-tech by default (NBS high-tech manufacturing, 2-digit)."""

DIGITAL_ICIO_SECTORS: tuple[str, ...] = ("D45T47", "D61", "D62T63")
"""ICIO sectors whose direct-requirement coefficients measure digital inputs in paper 001."""

ICIO_RELEASE = "OECD ICIO 2018 release (ISIC Rev.4, 36 industries, 2005-2015)"
IO_TABLE_VINTAGE = "China national input-output table, 42 sectors, 2007"


@lru_cache(maxsize=1)
def _cic2_cached() -> pd.DataFrame:
    frame = read_resource("cic2.csv")
    frame["high_tech"] = to_bool(frame, "high_tech", "cic2.csv")
    return frame


@lru_cache(maxsize=1)
def _io_cached() -> pd.DataFrame:
    frame = read_resource("io42_sectors.csv")
    frame["manufacturing"] = to_bool(frame, "manufacturing", "io42_sectors.csv")
    return frame


@lru_cache(maxsize=1)
def _icio_cached() -> pd.DataFrame:
    frame = read_resource("icio_sectors.csv")
    for column in ("manufacturing", "digital"):
        frame[column] = to_bool(frame, column, "icio_sectors.csv")
    return frame


def cic2_table(high_tech: Iterable[str] | None = None) -> pd.DataFrame:
    """Return the 30 CIC 2-digit manufacturing divisions (GB/T 4754-2002) and their mappings.

    Columns: ``cic2`` (str, "13" … "43", no "38"), ``name_zh``, ``name_en``, ``io_sector`` (42-
    sector IO table code, str with leading zero), ``io_sector_name_zh``, ``isic4`` (primary ISIC
    Rev.4 division), ``isic4_other``, ``icio_sector`` (OECD ICIO 2018 code) and ``high_tech``.
    Each division maps to exactly one IO sector and one ICIO sector (many-to-one); the
    mapping rules are in the module docstring. ``high_tech`` is the NBS 2-digit set
    :data:`HIGH_TECH_CIC2` unless ``high_tech`` gives another collection of CIC 2-digit codes.
    """
    table = _cic2_cached().copy()
    if high_tech is not None:
        if isinstance(high_tech, str):
            raise ReferenceDataError(
                "cic2_table: argument 'high_tech' must be a collection of CIC 2-digit codes, "
                f"not the single string {high_tech!r}"
            )
        chosen = [str(code) for code in high_tech]
        unknown = sorted(set(chosen) - set(table["cic2"]))
        if unknown:
            raise ReferenceDataError(
                f"cic2_table: argument 'high_tech' has codes that are not GB/T 4754-2002 "
                f"manufacturing divisions: {unknown}"
            )
        table["high_tech"] = table["cic2"].isin(chosen)
    names = _io_cached().set_index("code")["name_zh"]
    table.insert(
        table.columns.get_loc("io_sector") + 1,
        "io_sector_name_zh",
        table["io_sector"].map(names),
    )
    return table


def io_sectors() -> pd.DataFrame:
    """Return the 42 sectors of China's national input–output table (2007 vintage).

    Columns: ``code`` ("01" … "42"), ``name_zh``, ``name_en``, ``group`` (agriculture, mining,
    manufacturing, utilities, construction, services) and ``manufacturing`` (true for "06" …
    "22"). Source: NBS, 中国2007年投入产出表 (42 部门).
    """
    return _io_cached().copy()


def icio_sectors() -> pd.DataFrame:
    """Return the 36 industries of the OECD ICIO 2018 release with paper 001's digital flags.

    Columns: ``code`` (e.g. "D10T12", "D61"), ``isic4_divisions`` (range of ISIC Rev.4
    divisions, e.g. "10-12"), ``name_en``, ``manufacturing`` (D10T12 … D31T33), ``digital``
    (telecommunications D61, IT and other information services D62T63, wholesale and retail
    trade D45T47 — the digital inputs of paper 001's shift-share instrument, eq. 22) and
    ``paper_001_codes`` (the ISIC codes the paper names for that sector). Source: OECD,
    Inter-Country Input-Output Tables, 2018 edition, industry list.
    """
    return _icio_cached().copy()
