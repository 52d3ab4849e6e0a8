"""Canonical tables of vagg: one :class:`TableSchema` per table, and the validator.

``SCHEMAS`` maps each table name to its schema; :func:`validate` checks a frame against one.
``docs/data.md`` documents every table for users who bring their own data.
"""

from __future__ import annotations

from vagg.data.schemas.base import Column, TableSchema, check_unique_key, validate
from vagg.data.schemas.micro import CUSTOMS, FIRMS, PLATFORM, QUANTITY_UNITS, REGIMES
from vagg.data.schemas.reference import (
    CENSUS_2004,
    CITIES,
    ICIO,
    INDUSTRIES,
    IO_NATIONAL,
    IO_TOTALS,
    PRODUCTS,
    PROVINCE_CONTIGUITY,
    PROVINCES,
)
from vagg.data.schemas.provinces import NATIONAL_SERIES, PROVINCE_EXPORTS, PROVINCE_PANEL
from vagg.data.schemas.regional import CITY_PANEL, CPI_CATEGORIES, TEXTS

SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in (
        PROVINCES,
        PROVINCE_CONTIGUITY,
        CITIES,
        INDUSTRIES,
        PRODUCTS,
        FIRMS,
        CUSTOMS,
        PLATFORM,
        IO_NATIONAL,
        IO_TOTALS,
        ICIO,
        CENSUS_2004,
        CITY_PANEL,
        TEXTS,
        NATIONAL_SERIES,
        PROVINCE_PANEL,
        PROVINCE_EXPORTS,
    )
}


def get_schema(name: str) -> TableSchema:
    """The schema of table ``name``; a clear error lists the known tables otherwise."""
    try:
        return SCHEMAS[name]
    except KeyError:
        raise KeyError(f"unknown table '{name}'; known tables: {sorted(SCHEMAS)}") from None


__all__ = [
    "CPI_CATEGORIES",
    "QUANTITY_UNITS",
    "REGIMES",
    "SCHEMAS",
    "Column",
    "TableSchema",
    "check_unique_key",
    "get_schema",
    "validate",
]
