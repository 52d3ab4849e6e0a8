"""The parts of the synthetic economy: which tables each writes and which parts it needs.

A *part* is a set of tables that one generator step writes, so a study can ask for the part
it reads instead of the whole economy (the province studies need thirty provinces, not
fifteen million customs lines). The parts, in the order their truth entries are merged:

* ``core``: the shared classifications and reference tables (provinces and their contiguity,
  CIC industries, HS products, the national IO tables and the ICIO).
* ``firms``: the firm economy of paper 000 — the CIE firm-years, the customs lines, the
  platform, the top-level cities with their 2004 census, city panel and texts, and the
  latent firm truth files; and the world-trade tables of paper 003 (counties, world
  imports, supply shocks, green standards). It reads the national exchange rate of
  ``provinces`` and the classifications of ``core``.
* ``provinces``: the province economy of papers 002 and 004 (province panel, province ×
  HS4 exports, national series). It reads the HS4 headings of ``core``.
* ``cities``: the city × product economy of paper 001, in the ``quality_cities/`` folder.

Each part draws from its own named random streams (:func:`vagg.data.synth.config.stream`),
so a table has the same bytes whether its part is generated alone or with every other one.
This module only declares the parts; :mod:`vagg.data.synth.economy` generates them and
:mod:`vagg.data.synth.assembly` merges their manifests and truths.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from vagg.errors import VaggError

__all__ = [
    "ALL_PARTS",
    "PARTS",
    "Part",
    "PartError",
    "parse_parts",
    "resolve_parts",
]


class PartError(VaggError):
    """An unknown part of the synthetic economy was asked for."""


@dataclass(frozen=True)
class Part:
    """One part of the synthetic economy.

    ``tables`` are the manifest names of what it writes (canonical tables, the latent truth
    files, and ``quality_cities/<name>`` for the files of paper 001); ``requires`` the parts a
    dataset must also hold for this part's studies to run (they are generated with it);
    ``cost`` its rough share of the generation time (for progress bars only).
    """

    name: str
    description: str
    tables: tuple[str, ...]
    requires: tuple[str, ...] = ()
    cost: float = 1.0


_QUALITY_CITIES = tuple(
    f"quality_cities/{name}"
    for name in (
        "census_2004",
        "cities",
        "city_panel",
        "customs",
        "firms",
        "hs2002_codes",
        "hs6_end_use",
        "hs_concordance",
        "national",
        "province_gdp",
        "sigma",
        "texts",
    )
)

#: The parts by name, in the order their truth entries are merged into ``truth.json``.
PARTS: dict[str, Part] = {
    part.name: part
    for part in (
        Part(
            "core",
            "classifications and reference tables shared by the studies",
            (
                "provinces",
                "province_contiguity",
                "industries",
                "products",
                "io_national",
                "io_totals",
                "icio",
            ),
        ),
        Part(
            "firms",
            "firm economy of paper 000: CIE firms, customs lines, platform, cities",
            (
                "cities",
                "census_2004",
                "city_panel",
                "texts",
                "platform",
                "truth_links",
                "customs",
                "firms",
                "truth_firms",
                "counties",
                "world_imports",
                "supply_shocks",
                "green_standards",
            ),
            requires=("core", "provinces"),
            cost=20.0,
        ),
        Part(
            "provinces",
            "province economy of papers 002 and 004",
            ("province_panel", "province_exports", "national_series"),
            requires=("core",),
        ),
        Part(
            "cities",
            "city × product economy of paper 001 (quality_cities/)",
            _QUALITY_CITIES,
            cost=4.0,
        ),
    )
}
#: Every part, in registry order.
ALL_PARTS: tuple[str, ...] = tuple(PARTS)


def resolve_parts(
    parts: Iterable[str] | str | None = None, *, closure: bool = True
) -> tuple[str, ...]:
    """The parts to generate for ``parts`` and everything they require, in registry order.

    ``None`` means every part; a string is split at commas (``"provinces,cities"``).
    Unknown names raise :class:`PartError`, which lists the valid parts.

    Parameters
    ----------
    parts : iterable of str, str or None
        Part names.
    closure : bool
        Add the parts they require (:attr:`Part.requires`, recursively); False checks and
        orders the names only.

    Returns
    -------
    tuple of str
        ``parts`` (with what they require), ordered as :data:`PARTS`.
    """
    if parts is None:
        return ALL_PARTS
    names = parse_parts(parts) if isinstance(parts, str) else [str(p).strip() for p in parts]
    if not names:
        raise PartError(f"no synthetic part asked for; valid parts: {', '.join(ALL_PARTS)}")
    unknown = sorted({n for n in names if n not in PARTS})
    if unknown:
        raise PartError(f"unknown synthetic part(s) {unknown}; valid parts: {', '.join(ALL_PARTS)}")
    wanted: set[str] = set()
    stack = list(names)
    while stack and closure:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack.extend(PARTS[name].requires)
    wanted.update(names)
    return tuple(p for p in ALL_PARTS if p in wanted)


def parse_parts(text: str) -> list[str]:
    """Part names from a comma-separated string (``"provinces, cities"``); empty items are
    dropped. An empty string is a :class:`PartError`."""
    names = [item.strip() for item in text.split(",") if item.strip()]
    if not names:
        raise PartError(f"no synthetic part named in {text!r}; valid parts: {', '.join(ALL_PARTS)}")
    return names
