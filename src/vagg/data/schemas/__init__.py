"""Canonical tables of vagg: one :class:`TableSchema` per table, and the validator.

``SCHEMAS`` maps each table name to its schema; :func:`validate` checks a frame against one.
``docs/data.md`` documents every table for users who bring their own data.
"""

from __future__ import annotations

from vagg.data.frames import check_unique_key, raise_if_rows
from vagg.data.schemas.base import Column, TableSchema, validate
from vagg.data.schemas.micro import CUSTOMS, FIRMS, PLATFORM, QUANTITY_UNITS, REGIMES
from vagg.data.schemas.provinces import NATIONAL_SERIES, PROVINCE_EXPORTS, PROVINCE_PANEL
from vagg.data.schemas.reference import (
    CENSUS_2004,
    CITIES,
    COUNTIES,
    ICIO,
    INDUSTRIES,
    IO_NATIONAL,
    IO_TOTALS,
    PRODUCTS,
    PROVINCE_CONTIGUITY,
    PROVINCES,
)
from vagg.data.schemas.regional import CITY_PANEL, CPI_CATEGORIES, TEXTS
from vagg.data.schemas.world import GREEN_STANDARDS, SUPPLY_SHOCKS, WORLD_IMPORTS

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
        COUNTIES,
        WORLD_IMPORTS,
        SUPPLY_SHOCKS,
        GREEN_STANDARDS,
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
    "raise_if_rows",
    "schema_markdown",
    "validate",
]


def schema_markdown() -> str:
    """Markdown documentation of every canonical table (embedded in ``docs/data.md``)."""
    parts = []
    for schema in SCHEMAS.values():
        parts.append(f"### `{schema.name}`\n")
        parts.append(f"{schema.description}\n")
        key = ", ".join(f"`{k}`" for k in schema.key)
        part = f"; partitioned by `{schema.partition_by}`" if schema.partition_by else ""
        parts.append(f"Key: {key}{part}.\n")
        parts.append("| column | type | unit | null | rule | description |")
        parts.append("|---|---|---|---|---|---|")
        for c in schema.columns:
            rules = []
            if c.pattern:
                rules.append(f"`{c.pattern}`")
            if c.allowed:
                shown = ", ".join(str(a) for a in c.allowed[:8])
                rules.append(f"one of {shown}{' …' if len(c.allowed) > 8 else ''}")
            if c.ge is not None:
                rules.append(f"≥ {c.ge:g}")
            if c.le is not None:
                rules.append(f"≤ {c.le:g}")
            parts.append(
                f"| `{c.name}` | {c.dtype} | {c.unit} | {'yes' if c.nullable else 'no'} | "
                f"{'; '.join(rules)} | {c.description} |"
            )
        parts.append("")
    return "\n".join(parts)
