"""Schemas of the city tables (paper 001): the city-year panel and government work reports."""

from __future__ import annotations

from vagg.data.schemas.base import Column, TableSchema
from vagg.data.schemas.reference import CITY_CODE

__all__ = [
    "CITY_PANEL",
    "CPI_CATEGORIES",
    "TEXTS",
]

CPI_CATEGORIES = (
    "food",
    "tobacco_liquor",
    "clothing",
    "household",
    "health",
    "transport_communication",
    "recreation_education",
    "housing",
)

CITY_PANEL = TableSchema(
    name="city_panel",
    description="City-year yearbook panel (China City Statistical Yearbook style): the controls "
    "of paper 001 Table 1, market-segmentation prices, and historical IV inputs.",
    key=("city_code", "year"),
    columns=(
        Column("city_code", "str", "city", pattern=CITY_CODE),
        Column("year", "int", "year", ge=1990, le=2030),
        Column("gdp", "float", "gross regional product", "10k RMB", ge=0),
        Column("population", "float", "registered population", "10k persons", ge=0),
        Column("fdi", "float", "foreign direct investment actually used", "10k USD", ge=0),
        Column("trade", "float", "imports plus exports", "10k USD", ge=0),
        Column("fiscal_spending", "float", "local general budget expenditure", "10k RMB", ge=0),
        Column("sci_edu_spending", "float", "science and education expenditure", "10k RMB", ge=0),
        Column("deposits_loans", "float", "deposits plus loans outstanding", "10k RMB", ge=0),
        Column("students", "float", "students in higher education", "persons", ge=0),
        Column("fixed_investment", "float", "fixed-asset investment", "10k RMB", ge=0),
        Column("avg_wage", "float", "average wage of employees", "RMB", ge=0),
        Column("road_area", "float", "paved road area", "10k m2", ge=0),
        Column(
            "secondary_employment", "float", "employment in secondary industry", "10k persons", ge=0
        ),
        *(
            Column(
                f"cpi_{c}",
                "float",
                f"consumer price index, {c.replace('_', ' ')}",
                "previous year = 100",
                ge=50,
                le=200,
            )
            for c in CPI_CATEGORIES
        ),
        Column(
            "post_offices_1984", "float", "post offices per 10k people in 1984", "per 10k", ge=0
        ),
        Column("telephones_1984", "float", "telephones per 10k people in 1984", "per 10k", ge=0),
    ),
)

TEXTS = TableSchema(
    name="texts",
    description="Government work reports (政府工作报告) by region and year, full Chinese text.",
    key=("region_code", "year", "doc_type"),
    columns=(
        Column("region_code", "str", "city (or province) code", pattern=r"\d{2}|\d{4}00"),
        Column("year", "int", "year of the report", ge=1990, le=2030),
        Column("doc_type", "str", "document type", allowed=("government_work_report",)),
        Column("text", "str", "full text"),
    ),
)
