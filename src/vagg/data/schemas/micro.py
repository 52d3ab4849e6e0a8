"""Schemas of the micro tables: firm-years (CIE-like), customs transactions, platform members.

Money in the firm table is in thousand RMB (as the CIE reports it); customs values are in
USD. The loaders never convert silently: measures convert with `national_series.rmb_per_usd`.
"""

from __future__ import annotations

from vagg.data.schemas.base import Column, TableSchema
from vagg.data.schemas.reference import CIC4, CITY_CODE, COUNTY_CODE

__all__ = [
    "CUSTOMS",
    "FIRMS",
    "PLATFORM",
    "QUANTITY_UNITS",
    "REGIMES",
]

#: China Customs trade-regime codes (贸易方式) with their English labels. The papers use
#: 10 (ordinary), 14 and 15 (processing); every other code goes to an explicit "other" bucket.
REGIMES: dict[str, str] = {
    "10": "ordinary trade",
    "11": "state aid and donations",
    "12": "compensation trade",
    "13": "equipment for processing trade",
    "14": "processing and assembly with supplied materials",
    "15": "processing with imported materials",
    "16": "goods on consignment",
    "19": "border trade",
    "20": "equipment imported as foreign investment",
    "22": "outward processing",
    "23": "barter trade",
    "25": "contracted projects abroad",
    "27": "leasing trade",
    "30": "outward investment goods",
    "31": "returned goods",
    "33": "bonded warehouse goods",
    "34": "bonded-zone transit goods",
    "35": "export-processing-zone imported equipment",
    "39": "other trade",
}

QUANTITY_UNITS = ("kg", "piece", "set", "m", "pair")

_MONEY = "thousand RMB"

FIRMS = TableSchema(
    name="firms",
    description="Firm-years of above-scale industrial firms, with the columns of the China "
    "Industrial Enterprises database (CIE) that the studies use.",
    key=("firm_id", "year"),
    partition_by="year",
    columns=(
        Column("firm_id", "str", "legal-person code (法人代码)", pattern=r"[0-9A-Z]{9}"),
        Column("year", "int", "survey year", ge=1998, le=2030),
        Column("firm_name", "str", "registered Chinese name"),
        Column("cic4", "str", "CIC 4-digit industry (GB/T 4754-2002)", pattern=CIC4),
        Column("city_code", "str", "city of registration", pattern=CITY_CODE),
        Column("zip", "str", "postal code", pattern=r"\d{6}", nullable=True),
        Column("phone", "str", "telephone with area code", nullable=True),
        Column("founding_year", "int", "year founded", ge=1800, le=2030),
        Column("gross_output", "float", "gross industrial output (工业总产值)", _MONEY, ge=0),
        Column("sales", "float", "main business revenue (主营业务收入)", _MONEY, ge=0),
        Column("export_delivery", "float", "export delivery value (出口交货值)", _MONEY, ge=0),
        Column("employment", "int", "employees at year end", "persons", ge=0),
        Column("wage_bill", "float", "total wages payable", _MONEY, ge=0),
        Column("total_assets", "float", "total assets", _MONEY, ge=0),
        Column("fixed_assets", "float", "net fixed assets", _MONEY, ge=0),
        Column("current_assets", "float", "current assets", _MONEY, ge=0),
        Column("current_liabilities", "float", "current liabilities", _MONEY, ge=0),
        Column("total_liabilities", "float", "total liabilities", _MONEY, ge=0),
        Column(
            "intermediate_inputs",
            "float",
            "intermediate inputs (工业中间投入); missing in several post-2007 years",
            _MONEY,
            nullable=True,
            ge=0,
        ),
        Column(
            "value_added",
            "float",
            "industrial value added (工业增加值); not reported after 2007",
            _MONEY,
            nullable=True,
        ),
        Column("paid_in_state", "float", "paid-in capital: state", _MONEY, ge=0),
        Column("paid_in_collective", "float", "paid-in capital: collective", _MONEY, ge=0),
        Column("paid_in_legal", "float", "paid-in capital: legal persons", _MONEY, ge=0),
        Column("paid_in_private", "float", "paid-in capital: individuals", _MONEY, ge=0),
        Column("paid_in_hmt", "float", "paid-in capital: Hong Kong, Macau, Taiwan", _MONEY, ge=0),
        Column("paid_in_foreign", "float", "paid-in capital: foreign", _MONEY, ge=0),
        # items of the firm-resilience study (paper 003); optional for the other studies
        *(
            Column(name, "float", text, _MONEY, nullable=True, ge=0, required=False)
            for name, text in (
                ("inventory", "inventory (存货)"),
                ("cost_main_business", "cost of main business (主营业务成本)"),
                ("selling_expenses", "selling expenses (销售费用, also 营业费用)"),
                ("admin_expenses", "administrative expenses (管理费用)"),
                (
                    "new_product_output",
                    "new-product output (新产品产值); not reported in some years",
                ),
                ("accounts_receivable", "accounts receivable (应收账款)"),
            )
        ),
        Column(
            "financial_expenses",
            "float",
            "financial expenses (财务费用); negative when net interest income",
            _MONEY,
            nullable=True,
            required=False,
        ),
        Column(
            "county_code",
            "str",
            "county of the firm's address (区县代码)",
            pattern=COUNTY_CODE,
            nullable=True,
            required=False,
        ),
    ),
)

CUSTOMS = TableSchema(
    name="customs",
    description="China Customs records aggregated to firm × year × flow × regime × HS8 × "
    "partner (monthly records of 2000–2006 are summed to years on load). Trade "
    "intermediaries appear as in the real data: identified only by their names.",
    key=("party_id", "year", "flow", "regime", "hs8", "partner"),
    partition_by="year",
    columns=(
        Column("party_id", "str", "10-character customs firm code", pattern=r"[0-9A-Z]{10}"),
        Column("firm_name", "str", "Chinese name of the declaring firm"),
        Column("year", "int", "year", ge=1995, le=2030),
        Column("flow", "str", "direction", allowed=("export", "import")),
        Column("regime", "str", "trade-regime code (贸易方式)", allowed=tuple(REGIMES)),
        Column("hs8", "str", "HS eight-digit product code", pattern=r"\d{8}"),
        Column(
            "partner", "str", "destination / origin country, ISO 3166 alpha-3", pattern=r"[A-Z]{3}"
        ),
        Column("quantity", "float", "quantity in `unit`", ge=0),
        Column("unit", "str", "quantity unit", allowed=QUANTITY_UNITS),
        Column("value_usd", "float", "value", "USD", ge=0),
        Column(
            "city_code", "str", "domestic origin/destination city (境内货源地)", pattern=CITY_CODE
        ),
        Column("zip", "str", "postal code of the declaring firm", pattern=r"\d{6}", nullable=True),
        Column("phone", "str", "telephone of the declaring firm", nullable=True),
    ),
)

PLATFORM = TableSchema(
    name="platform",
    description="B2B platform paid-member list (e.g. a scrape of 1688.com 诚信通 members): "
    "company name, first year of paid membership and the platform's category. Matched to "
    "firms by normalised name.",
    key=("member_name",),
    columns=(
        Column("member_name", "str", "company name as listed on the platform"),
        Column("member_since", "int", "first year of paid membership", ge=1999, le=2030),
        Column("category", "str", "platform industry category"),
        Column("province_zh", "str", "location shown on the platform", nullable=True),
    ),
)
