"""Canonical province tables: the yearbook panel, province × HS4 exports, national series.

These are the raw inputs of studies 002 (``resilience_provinces``: export resilience and
virtual agglomeration, 30 provinces, 2009–2020) and 004 (``internet_sophistication``:
Internet development and manufacturing export sophistication, 30 provinces, 2004–2016).
Every column is a raw yearbook or customs quantity in the unit stated; ratios and indices
(SL, Vag, TAX, OPEN, INTER, MET, ALLO …) are measures, computed later from these columns.

Sources the real versions come from: China Statistical Yearbook and the provincial
yearbooks (panel), China Customs statistics aggregated by the exporter's province (exports),
the National Bureau of Statistics and the People's Bank of China (national series).
"""

from __future__ import annotations

from vagg.data.schemas.base import Column, TableSchema

PROVINCE_CODE = Column(
    "province_code",
    "str",
    "GB/T 2260 two-digit province code ('11' Beijing … '65' Xinjiang; Tibet '54' excluded)",
    pattern=r"[1-6][0-9]",
)
YEAR = Column("year", "int", "calendar year", unit="year", ge=2000, le=2020)


def _positive(name: str, description: str, unit: str) -> Column:
    return Column(name, "float", description, unit=unit, ge=0.0)


PROVINCE_PANEL = TableSchema(
    name="province_panel",
    description="Province-year yearbook panel used by studies 002 and 004",
    key=("province_code", "year"),
    columns=(
        PROVINCE_CODE,
        YEAR,
        # --- output, prices, population
        _positive("gdp", "gross regional product, current prices", "100 million RMB"),
        Column(
            "gdp_index",
            "float",
            "gross regional product volume index, previous year = 100",
            unit="previous year = 100",
            ge=50.0,
            le=150.0,
        ),
        _positive("gdp_per_capita", "GDP per head of year-end population, current", "RMB"),
        _positive("population", "year-end resident population", "10k persons"),
        Column(
            "urbanisation_rate",
            "float",
            "urban population share of year-end population (URBAN in 004)",
            unit="percent",
            ge=0.0,
            le=100.0,
        ),
        # --- labour
        _positive(
            "employment_total",
            "year-end employed persons, all sectors (labour input of 004's Solow TFP)",
            "10k persons",
        ),
        _positive(
            "urban_unit_employment",
            "employed persons in urban units, all industries (X in 002's Vag)",
            "10k persons",
        ),
        _positive(
            "ict_employment",
            "urban-unit employment in information transmission, computer services and "
            "software (VS in 002's Vag; 'software and IT services' after GB/T 4754-2011)",
            "10k persons",
        ),
        _positive("average_wage", "average annual wage of urban-unit employees", "RMB"),
        Column(
            "schooling_years",
            "float",
            "average years of schooling of the population aged 6+ (LAB in 004)",
            unit="years",
            ge=0.0,
            le=20.0,
        ),
        # --- capital (Solow TFP by perpetual inventory)
        _positive(
            "fixed_asset_investment",
            "total investment in fixed assets of the whole society, current prices",
            "100 million RMB",
        ),
        _positive(
            "fai_price_index",
            "price index of investment in fixed assets, 2000 = 100",
            "2000 = 100",
        ),
        _positive(
            "capital_stock",
            "physical capital stock by perpetual inventory from fixed_asset_investment "
            "deflated by fai_price_index: K_t = (1 - 0.096) K_{t-1} + I_t, "
            "K_2000 = I_2000 / (0.10 + 0.096)",
            "100 million RMB, 2000 prices",
        ),
        # --- public finance and demand
        _positive("tax_revenue", "tax revenue of the local general budget", "100 million RMB"),
        _positive(
            "government_expenditure",
            "expenditure of the local general budget (GOV in 004 as a share of GDP)",
            "100 million RMB",
        ),
        _positive(
            "retail_sales",
            "total retail sales of consumer goods (consumption level in 002)",
            "100 million RMB",
        ),
        # --- openness
        _positive("exports_usd", "exports of goods by the exporter's province, all goods", "USD"),
        _positive("fdi_usd", "foreign direct investment actually used", "USD"),
        # --- innovation
        _positive(
            "rd_expenditure",
            "intramural expenditure on R&D (innovation level in 002 as a share of GDP)",
            "100 million RMB",
        ),
        _positive("rd_personnel", "R&D personnel, full-time equivalent", "10k person-years"),
        # --- Internet (the four indicators of 004 eq. (14)-(20), plus 002's Internet)
        _positive(
            "postal_volume",
            "total postal business volume (004 Internet indicator 1)",
            "100 million RMB",
        ),
        Column(
            "internet_penetration",
            "float",
            "Internet users per 100 residents (004 Internet indicator 2)",
            unit="percent",
            ge=0.0,
            le=100.0,
        ),
        _positive(
            "optical_cable_km",
            "length of long-distance and local optical cable lines (004 Internet indicator 3)",
            "km",
        ),
        _positive(
            "mobile_switch_capacity",
            "capacity of mobile telephone exchanges (004 Internet indicator 4)",
            "10k subscribers",
        ),
        _positive(
            "broadband_subscribers",
            "fixed broadband Internet subscribers (002 Table 1 'Internet', in logs)",
            "10k subscribers",
        ),
    ),
    notes=(
        "Money in current prices unless the unit says otherwise; USD columns are in dollars.",
        "gdp_per_capita = gdp * 1e8 / (population * 1e4).",
    ),
)

PROVINCE_EXPORTS = TableSchema(
    name="province_exports",
    description="Manufacturing exports by exporter's province, HS 4-digit product and year",
    key=("province_code", "hs4", "year"),
    partition_by="year",
    columns=(
        PROVINCE_CODE,
        Column("hs4", "str", "HS 4-digit heading (leading zeros kept)", pattern=r"[0-9]{4}"),
        YEAR,
        Column(
            "export_value_usd",
            "float",
            "exports of the heading from the province in the year (zero flows absent)",
            unit="USD",
            ge=0.0,
        ),
    ),
)

NATIONAL_SERIES = TableSchema(
    name="national_series",
    description="National annual series: totals, prices, exchange rate, Internet investment",
    key=("year",),
    columns=(
        YEAR,
        _positive("exports_usd", "national total exports of goods (official total)", "USD"),
        _positive("rmb_per_usd", "annual average central parity rate", "RMB per USD"),
        _positive("cpi", "consumer price index, 2000 = 100", "2000 = 100"),
        _positive("gdp_deflator", "implicit GDP deflator, 2000 = 100", "2000 = 100"),
        _positive(
            "internet_investment",
            "fixed-asset investment in telecommunications and Internet infrastructure "
            "(national shift of study 001's instrument)",
            "100 million RMB",
        ),
    ),
)

__all__ = ["NATIONAL_SERIES", "PROVINCE_EXPORTS", "PROVINCE_PANEL"]
