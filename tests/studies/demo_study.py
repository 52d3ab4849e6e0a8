"""A small study for testing the framework: firm size and sales on the tiny synthetic economy.

It reads the CIE firm table, derives a firm-year panel through ``StudyData.cached`` (counting
how often the derivation runs), estimates log sales on log employment with year (and firm)
fixed effects, draws a figure of mean log sales by year and ownership group, and — when asked —
has a table that fails, so the runner's error capture can be tested.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

import vagg
from vagg.report.figures import Panel, line_figure, panel_grid
from vagg.studies.base import FigureEntry, Study, TableEntry
from vagg.studies.data import StudyData
from vagg.studies.options import StudyOption
from vagg.studies.truth import TruthCheck

#: Times the firm panel was derived (``firm_panel`` bumps it); tests reset it.
CALLS = {"firm_panel": 0}

#: The demo's one option: the smallest sales of a firm-year kept (thousand RMB).
OPTIONS = (StudyOption("min_sales", float, 0.0, "Firm-years with sales at or below this."),)

ELASTICITY = "demo.sales_on_employment"
FAR_AWAY = "demo.far_away"


def firm_panel(data: StudyData) -> pl.DataFrame:
    """Firm-years with positive sales and employment, and the firm's ownership group (the
    largest paid-in capital share). Rows with non-positive sales are excluded and counted."""
    CALLS["firm_panel"] += 1
    firms = data.table("firms")
    kept = firms.filter((pl.col("sales") > data.option("min_sales")) & (pl.col("employment") > 0))
    data.note_dropped(
        "firm_panel",
        {"nonpositive_sales_or_employment": firms.height - kept.height},
        n_input=firms.height,
    )
    capital = ["paid_in_state", "paid_in_private", "paid_in_foreign"]
    owner = pl.concat_list(capital).list.arg_max()
    return kept.select(
        "firm_id", "year", "sales", "employment",
        owner.replace_strict(
            [0, 1, 2], ["state", "private", "foreign"], return_dtype=pl.String
        ).alias("owner"),
    )  # fmt: skip


def table_size(data: StudyData, engine: Any) -> list[vagg.Result]:
    panel = data.cached("demo_firm_panel", firm_panel)
    return [
        vagg.feols("log(sales) ~ log(employment) | year", panel, vcov="iid"),
        vagg.feols("log(sales) ~ log(employment) | firm_id + year", panel, vcov="iid"),
    ]


def table_by_owner(data: StudyData, engine: Any) -> dict[str, vagg.Result]:
    panel = data.cached("demo_firm_panel", firm_panel)
    return {
        owner: vagg.feols(
            "log(sales) ~ log(employment) | year",
            panel.filter(pl.col("owner") == owner),
            vcov="iid",
        )
        for owner in ("private", "state")
    }


def table_broken(data: StudyData, engine: Any) -> list[vagg.Result]:
    data.cached("demo_firm_panel", firm_panel)
    raise ValueError("table 9 cannot be estimated: planted failure")


def figure_sales(data: StudyData, engine: Any) -> Any:
    panel = data.cached("demo_firm_panel", firm_panel)
    means = (
        panel.group_by("owner", "year")
        .agg(pl.col("sales").log().mean().alias("log_sales"))
        .sort("owner", "year")
    )
    return line_figure(
        means,
        y="log_sales",
        group="owner",
        group_labels={"private": {"zh": "私营", "en": "Private"}, "state": "State"},
        title={"zh": "分所有制销售额", "en": "Sales by ownership"},
        lang=data.lang,
    )


def figure_grid(data: StudyData, engine: Any) -> Any:
    panel = data.cached("demo_firm_panel", firm_panel)
    means = panel.group_by("owner", "year").agg(
        pl.col("sales").log().mean().alias("log_sales"),
        pl.col("employment").log().mean().alias("log_employment"),
    )
    return panel_grid(
        [
            Panel(means, "log_sales", {"en": "Log sales", "zh": "销售额对数"}, group="owner"),
            Panel(means, "log_employment", "Log employment", group="owner"),
        ],
        ncols=2,
        lang=data.lang,
    )


def make_demo_study(name: str = "demo", *, broken: bool = False) -> Study:
    """The demo study; ``broken`` adds Table 9, which raises."""
    entries: list[TableEntry | FigureEntry] = [
        TableEntry(
            "1",
            table_size,
            title={"en": "Sales and employment", "zh": "销售额与就业"},
            columns=["(1)", "(2)"],
            notes=["Demo on the tiny synthetic economy."],
            rename={"log(employment)": {"en": "Log employment", "zh": "就业对数"}},
        ),
        TableEntry("2", table_by_owner, title="By ownership", options={"digits": 3}),
        FigureEntry("1", figure_sales, title="Sales by ownership"),
        FigureEntry("2", figure_grid),
    ]
    if broken:
        entries.insert(2, TableEntry("9", table_broken, title="Broken"))
    return Study(
        name,
        {"en": "Demo study", "zh": "示例研究"},
        entries,
        truth=[
            TruthCheck(ELASTICITY, "1", "log(employment)", 0),
            TruthCheck(FAR_AWAY, "table_1", "log(employment)", "(2)"),
            TruthCheck(ELASTICITY, "2", "log(employment)", "private"),
        ],
        paper="test fixture",
        lang="en",
        options=OPTIONS,
    )


def planted_entries(elasticity: float) -> dict[str, dict[str, Any]]:
    """truth.json entries the demo checks: the elasticity (as computed independently by the
    test) and a value no interval covers."""
    return {
        ELASTICITY: {"value": elasticity, "study": "demo", "table": "Table 1", "kind": "test"},
        FAR_AWAY: {"value": float(np.float64(50.0)), "study": "demo", "kind": "test"},
    }
