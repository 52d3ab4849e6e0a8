"""vagg.measures: pure functions from canonical tables to measure columns, one module per family.

The names listed in ``_API`` are importable from ``vagg.measures`` directly and loaded on
first use (``from vagg.measures import cost_ratios``), so importing the package stays cheap.
"""

from __future__ import annotations

from vagg._lazy import lazy_exports

_API: dict[str, str] = {
    # paper 003 (resilience_firms): customs-based outcomes, demand shocks, M3 and M4
    "dh_growth": "vagg.measures.export_resilience",
    "resistance": "vagg.measures.export_resilience",
    "recovery": "vagg.measures.export_resilience",
    "renewal": "vagg.measures.export_resilience",
    "foreign_demand_shocks": "vagg.measures.demand_shocks",
    "collapse_exposure": "vagg.measures.demand_shocks",
    "source_diversity": "vagg.measures.supply_chain",
    "source_switching": "vagg.measures.supply_chain",
    "domestic_sourcing": "vagg.measures.supply_chain",
    "destination_churn": "vagg.measures.market_response",
    "reallocation": "vagg.measures.market_response",
    "emerging_share": "vagg.measures.market_response",
    # paper 003 (resilience_firms): CIE-based mechanism measures M1, M2, M5, M6
    "new_product_share": "vagg.measures.export_structure",
    "product_churn": "vagg.measures.export_structure",
    "firm_expy": "vagg.measures.export_structure",
    "upgrading": "vagg.measures.export_structure",
    "isolation": "vagg.measures.export_structure",
    "density": "vagg.measures.congestion",
    "inventory_ratio": "vagg.measures.congestion",
    "wage_premium": "vagg.measures.congestion",
    "core_distance": "vagg.measures.congestion",
    "cost_ratios": "vagg.measures.operating_costs",
    "log_marginal_cost": "vagg.measures.operating_costs",
    "adjustment_cost": "vagg.measures.operating_costs",
    "hs_list": "vagg.measures.green_smart",
    "smart_imports": "vagg.measures.green_smart",
    "factor_intensity": "vagg.measures.green_smart",
    "egshare": "vagg.measures.green_smart",
    "strict_share": "vagg.measures.green_smart",
    # end of paper 003 CIE-based block
}

__all__ = sorted(_API)


__getattr__, __dir__ = lazy_exports(__name__, _API, globals())
