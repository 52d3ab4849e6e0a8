"""Schemas of the world-trade tables of study resilience_firms (paper 003): destination ×
HS6 import demand, source-country supply disruptions and green-standard tightenings."""

from __future__ import annotations

from vagg.data.schemas.base import Column, TableSchema
from vagg.data.schemas.reference import HS6

__all__ = ["GREEN_STANDARDS", "SUPPLY_SHOCKS", "WORLD_IMPORTS"]

_ISO3 = r"[A-Z]{3}"

WORLD_IMPORTS = TableSchema(
    name="world_imports",
    description="Imports of each destination by HS6 product and year from the world "
    "excluding China (CEPII BACI: sum of v over exporters other than 156, × 1000): the "
    "demand side of the firm-specific foreign demand shocks.",
    key=("destination", "hs6", "year"),
    columns=(
        Column("destination", "str", "importing country, ISO 3166 alpha-3", pattern=_ISO3),
        Column("hs6", "str", "HS six-digit product", pattern=HS6),
        Column("year", "int", "year", ge=1995, le=2030),
        Column(
            "imports_usd",
            "float",
            "imports from the world excluding China; missing marks a missing cell",
            unit="USD",
            nullable=True,
            ge=0,
        ),
    ),
)

SUPPLY_SHOCKS = TableSchema(
    name="supply_shocks",
    description="Source-country supply disruptions (e.g. Japan and Thailand in 2011): the "
    "country, the year and, optionally, the HS6 products hit (missing: every product).",
    key=("partner", "year", "hs6"),
    columns=(
        Column("partner", "str", "source country, ISO 3166 alpha-3", pattern=_ISO3),
        Column("year", "int", "year of the disruption", ge=1995, le=2030),
        Column("hs6", "str", "product hit (missing: every product)", pattern=HS6, nullable=True),
    ),
)

GREEN_STANDARDS = TableSchema(
    name="green_standards",
    description="Destinations that tightened their environmental product standards, and the "
    "year they did (e.g. the EU RoHS directive, 2006).",
    key=("destination", "year"),
    columns=(
        Column("destination", "str", "country, ISO 3166 alpha-3", pattern=_ISO3),
        Column("year", "int", "year the tighter standard took effect", ge=1995, le=2030),
    ),
)
