"""Schemas of the reference tables: geography, classifications, products, IO tables, census.

Codes are strings (province "11", city "110100", CIC "1310", HS "010121"); money carries its
unit in the column description. These tables are small and keyed by code.
"""

from __future__ import annotations

from vagg.data.schemas.base import Column, TableSchema

__all__ = [
    "CENSUS_2004",
    "CIC4",
    "CITIES",
    "CITY_CODE",
    "COUNTIES",
    "COUNTY_CODE",
    "HS6",
    "ICIO",
    "INDUSTRIES",
    "IO_NATIONAL",
    "IO_SECTOR",
    "IO_TOTALS",
    "PRODUCTS",
    "PROVINCES",
    "PROVINCE_CODE",
    "PROVINCE_CONTIGUITY",
]

PROVINCE_CODE = r"\d{2}"
CITY_CODE = r"\d{4}00"
COUNTY_CODE = r"\d{6}"
CIC4 = r"\d{4}"
IO_SECTOR = r"\d{2}"
HS6 = r"\d{6}"

PROVINCES = TableSchema(
    name="provinces",
    description="The 30 provinces of the papers (mainland China without Tibet).",
    key=("province_code",),
    columns=(
        Column("province_code", "str", "GB/T 2260 two-digit code", pattern=PROVINCE_CODE),
        Column("name_zh", "str", "Chinese name, e.g. 北京"),
        Column("name_en", "str", "English name"),
        Column("capital_zh", "str", "capital city, Chinese"),
        Column("capital_en", "str", "capital city, English"),
        Column("lat", "float", "capital latitude", unit="degrees north", ge=18, le=54),
        Column("lon", "float", "capital longitude", unit="degrees east", ge=73, le=135),
        Column("region", "str", "NBS three belts", allowed=("east", "central", "west")),
        Column("coastal", "bool", "coastal province"),
    ),
)

PROVINCE_CONTIGUITY = TableSchema(
    name="province_contiguity",
    description="Queen contiguity between provinces, each unordered pair once.",
    key=("province_a", "province_b"),
    columns=(
        Column("province_a", "str", "province code (smaller)", pattern=PROVINCE_CODE),
        Column("province_b", "str", "province code (larger)", pattern=PROVINCE_CODE),
        Column("by_convention", "bool", "link without a land border (Hainan–Guangdong)"),
    ),
)

CITIES = TableSchema(
    name="cities",
    description="Prefecture-level cities; the synthetic economy names all but capitals "
    "synthetically and says so in `synthetic_name`.",
    key=("city_code",),
    columns=(
        Column("city_code", "str", "six-digit administrative code", pattern=CITY_CODE),
        Column("province_code", "str", "province", pattern=PROVINCE_CODE),
        Column("name_zh", "str", "Chinese name"),
        Column("name_en", "str", "English name"),
        Column("lat", "float", "latitude", unit="degrees north", ge=18, le=54),
        Column("lon", "float", "longitude", unit="degrees east", ge=73, le=135),
        Column("is_capital", "bool", "provincial capital"),
        Column("synthetic_name", "bool", "name and location are synthetic", required=False),
    ),
)

INDUSTRIES = TableSchema(
    name="industries",
    description="CIC 4-digit manufacturing industries (GB/T 4754-2002) with their 2-digit "
    "group, national IO sector, ISIC Rev.4 division, OECD ICIO sector and high-tech flag.",
    key=("cic4",),
    columns=(
        Column("cic4", "str", "CIC 4-digit code", pattern=CIC4),
        Column("cic2", "str", "CIC 2-digit code", pattern=r"\d{2}"),
        Column("name_zh", "str", "Chinese name"),
        Column("io_sector", "str", "sector of the national 42-sector IO table", pattern=IO_SECTOR),
        Column("isic4", "str", "ISIC Rev.4 two-digit division", pattern=r"\d{2}"),
        Column("icio_sector", "str", "OECD ICIO 2018 sector code, e.g. D26"),
        Column("high_tech", "bool", "NBS high-tech manufacturing"),
    ),
)

PRODUCTS = TableSchema(
    name="products",
    description="HS 2002 six-digit products with their HS4/HS3 groups, BEC end-use class and "
    "China's import-demand elasticity σ of the HS3 line (Broda, Greenfield & Weinstein).",
    key=("hs6",),
    columns=(
        Column("hs6", "str", "HS 2002 six-digit code", pattern=HS6),
        Column("hs4", "str", "HS four-digit heading", pattern=r"\d{4}"),
        Column("hs3", "str", "HS three-digit line", pattern=r"\d{3}"),
        Column("bec", "str", "BEC Rev.4 code", pattern=r"\d{1,3}"),
        Column(
            "end_use",
            "str",
            "SNA end-use class of the BEC code",
            allowed=("intermediate", "capital", "consumption", "unclassified"),
        ),
        Column("sigma", "float", "elasticity of substitution of the HS3 line", ge=1.0001),
        Column("unit", "str", "customs quantity unit", allowed=("kg", "piece", "set", "m", "pair")),
        Column("cic4", "str", "CIC 4-digit industry that mainly produces it", pattern=CIC4),
    ),
)

IO_NATIONAL = TableSchema(
    name="io_national",
    description="National input–output flows by sector pair and benchmark year: intermediate "
    "use of `from_sector`'s output by `to_sector`, split into domestic and imported.",
    key=("year", "from_sector", "to_sector"),
    columns=(
        Column("year", "int", "benchmark year", ge=1987, le=2030),
        Column("from_sector", "str", "supplying sector (row)", pattern=IO_SECTOR),
        Column("to_sector", "str", "using sector (column)", pattern=IO_SECTOR),
        Column("domestic_use", "float", "domestically produced input", unit="10k RMB", ge=0),
        Column("imported_use", "float", "imported input", unit="10k RMB", ge=0),
    ),
)

IO_TOTALS = TableSchema(
    name="io_totals",
    description="Sector totals of the national IO tables: gross output, imports, exports and "
    "final use by benchmark year (for import shares μ_k = IM/(X + IM − EX)).",
    key=("year", "sector"),
    columns=(
        Column("year", "int", "benchmark year", ge=1987, le=2030),
        Column("sector", "str", "IO sector", pattern=IO_SECTOR),
        Column("name_zh", "str", "sector name"),
        Column("output", "float", "gross output", unit="10k RMB", ge=0),
        Column("imports", "float", "imports", unit="10k RMB", ge=0),
        Column("exports", "float", "exports", unit="10k RMB", ge=0),
        Column("final_use", "float", "domestic final use", unit="10k RMB", ge=0),
    ),
)

ICIO = TableSchema(
    name="icio",
    description="China's direct-requirement coefficients from the OECD ICIO tables: input of "
    "`input_sector` per unit of gross output of `sector`, by year.",
    key=("year", "input_sector", "sector"),
    columns=(
        Column("year", "int", "year", ge=1995, le=2030),
        Column("input_sector", "str", "supplying ICIO sector, e.g. D61 (telecommunications, J61)"),
        Column("sector", "str", "using ICIO sector"),
        Column("coefficient", "float", "direct requirement a_kj", unit="share", ge=0, le=1),
    ),
)

CENSUS_2004 = TableSchema(
    name="census_2004",
    description="First national economic census (2004): output by city and CIC 4-digit "
    "industry, the base-year shares of the shift-share measure (paper 001 eq. 22).",
    key=("city_code", "cic4"),
    columns=(
        Column("city_code", "str", "city", pattern=CITY_CODE),
        Column("cic4", "str", "industry", pattern=CIC4),
        Column("output", "float", "gross industrial output", unit="thousand RMB", ge=0),
        Column("employment", "int", "employment", unit="persons", ge=0),
        Column("n_firms", "int", "number of firms", ge=0),
    ),
)

COUNTIES = TableSchema(
    name="counties",
    description="Counties (区县) with their city, area and centroid: the geography of the "
    "congestion measures (density, distance to the city's core) of study resilience_firms.",
    key=("county_code",),
    columns=(
        Column("county_code", "str", "six-digit administrative code", pattern=COUNTY_CODE),
        Column("city_code", "str", "prefecture city", pattern=CITY_CODE),
        Column("area_km2", "float", "land area", unit="km²", ge=0.01),
        Column("lat", "float", "centroid latitude", unit="degrees north", ge=18, le=54),
        Column("lon", "float", "centroid longitude", unit="degrees east", ge=73, le=135),
    ),
)
