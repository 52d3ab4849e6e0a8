"""The analysis panel of paper 001: city × HS4 × year quality beside vagg, controls and IVs.

Inputs (one folder, ``quality_cities/`` inside a dataset, or a user's own folder with the
same file names — :func:`read_inputs` checks each table's columns):

==================  ==========================================================================
``customs``         customs lines: party_id, firm_name, city_code, year, hs8, hs_vintage,
                    partner, regime, value_usd, quantity, unit, flow (read lazily)
``hs_concordance``  vintage, hs6, hs6_2002 (HS 2007/2012 → HS 2002)
``sigma``           hs3, sigma (Broda–Greenfield–Weinstein, or the user's)
``province_gdp``    province_code, year, gdp_real
``census_2004``     city_code, cic4, output
``city_panel``      city_code, year, the 9 controls, population, road_area, cpi_* …
``cities``          city_code, province_code, centre, region, telephones_1984,
                    post_offices_1984
``national``        year, internet_investment
``texts``           region_code, year, text (government work reports)
``hs2002_codes``    hs6: the valid HS 2002 codes (optional; e.g. the UN HS 2002 → BEC table's)
``hs6_end_use``     hs6, end_use ("intermediate" / "final"; BEC, for Table 5; optional)
==================  ==========================================================================

The shifts of the Bartik measure are China's real OECD IOT 2021 coefficients shipped with
vagg (``digital_shifts_chn_2005_2015.csv``) unless the folder holds ``digital_shifts``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.shipped import read_resource
from vagg.measures.customs_cells import CELL_KEY, customs_cells
from vagg.measures.historical_iv import historical_iv
from vagg.measures.hs_vintage import hs_concordance
from vagg.measures.quality import aggregate_quality, ksw_quality
from vagg.measures.shift_share import bartik_vagg
from vagg.studies.data import StudyData

__all__ = [
    "CONTROLS",
    "INPUTS",
    "QUALITY_COLUMNS",
    "YEARS",
    "build_panel",
    "derive",
    "input_folder",
    "read_inputs",
]

#: columns of the cell quality kept in the derived frame (``quality``)
QUALITY_COLUMNS = (
    "party_id",
    "city_code",
    "hs6",
    "hs4",
    "year",
    "regime",
    "value_usd",
    "quality",
    "rqua",
)
CONTROLS = ("fdi", "open", "fisc", "dlp", "sci", "edu", "wage", "gdp", "fixinv")
YEARS = tuple(range(2005, 2016))
#: table → required columns
INPUTS: dict[str, tuple[str, ...]] = {
    "customs": (
        "party_id",
        "city_code",
        "year",
        "hs8",
        "partner",
        "regime",
        "value_usd",
        "quantity",
        "unit",
    ),
    "hs_concordance": ("vintage", "hs6", "hs6_2002"),
    "sigma": ("hs3", "sigma"),
    "province_gdp": ("province_code", "year", "gdp_real"),
    "census_2004": ("city_code", "cic4", "output"),
    "city_panel": ("city_code", "year", *CONTROLS),
    "cities": (
        "city_code",
        "province_code",
        "centre",
        "region",
        "telephones_1984",
        "post_offices_1984",
    ),
    "national": ("year", "internet_investment"),
}


def input_folder(data: StudyData) -> Path:
    """``<dataset>/quality_cities`` when present, else the dataset folder itself."""
    sub = data.dataset / "quality_cities"
    return sub if sub.is_dir() else data.dataset


def read_inputs(folder: str | Path) -> dict[str, Any]:
    """The input tables of :data:`INPUTS` from ``folder`` (``<name>.parquet``).

    Parameters
    ----------
    folder : str or pathlib.Path
        The input folder.

    Returns
    -------
    dict
        Table name → polars DataFrame; ``customs`` is a lazy scan (never materialised here).

    Raises
    ------
    SchemaError
        A missing file or column, naming the table and the column.
    """
    folder = Path(folder)
    out: dict[str, Any] = {}
    for name, columns in INPUTS.items():
        path = folder / f"{name}.parquet"
        if not path.is_file():
            raise SchemaError(name, None, f"file {path.name} not found in the input folder")
        frame: Any = pl.scan_parquet(path)
        have = frame.collect_schema().names()
        missing = [c for c in columns if c not in have]
        if missing:
            raise SchemaError(name, missing[0], f"missing column(s) {missing}")
        out[name] = frame if name == "customs" else frame.collect()
    return out


def _shifts(folder: Path) -> pl.DataFrame:
    path = folder / "digital_shifts.parquet"
    if path.is_file():
        return pl.read_parquet(path)
    frame = pl.from_pandas(read_resource("digital_shifts_chn_2005_2015.csv"))
    return frame.with_columns(
        pl.col("year").cast(pl.Int64),
        *[
            pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).cast(pl.Float64).alias(c)
            for c in ("virtual", "data_input", "output")
        ],
    )


def _lag(frame: pl.DataFrame, column: str) -> pl.Expr:
    return pl.col(column).shift(1).over("city_code", order_by="year")


def build_panel(
    folder: str | Path,
    *,
    ksw_method: Literal["iv", "sigma"] = "sigma",
    min_product_cells: int = 100,
    sigma: Any = None,
    normalise: bool = True,
) -> dict[str, Any]:
    """City × HS4 × year panel of paper 001 from the raw inputs in ``folder``.

    Steps: customs lines → firm × HS6 × destination × year cells (HS 2002, counted exclusions);
    KSW quality (eq. 18–20, ``ksw_method`` "iv" or "sigma"); value-weighted city × HS4 × year
    ``hs4_qua`` (eq. 21); Bartik ``vagg`` (eq. 22, ×100) and its lag; the historical IVs; the
    nine controls. ``sigma`` replaces the folder's σ table; ``normalise=False`` aggregates the
    raw ln λ̂ instead of eq. (20)'s min–max (both for the mutation tests).

    Parameters
    ----------
    folder : str or pathlib.Path
        Folder with the input tables (:data:`INPUTS`).
    ksw_method : {"iv", "sigma"}
        Eq. (18) by 2SLS with the other-destination price (the paper) or with σ_h imposed.
    min_product_cells : int
        Thin HS6 products dropped (the paper: 100).
    sigma : DataFrame, optional
        (hs3, sigma) replacing the folder's table.
    normalise : bool
        Aggregate rqua (eq. 20, default) or the raw quality.

    Returns
    -------
    dict
        ``panel`` (polars), ``quality`` (cell quality), ``exclusions`` (by stage and reason).
    """
    folder = Path(folder)
    t = read_inputs(folder)
    conc = hs_concordance(t["hs_concordance"])
    codes_file = folder / "hs2002_codes.parquet"
    codes = pl.read_parquet(codes_file)["hs6"].to_list() if codes_file.is_file() else None
    cells = customs_cells(
        t["customs"],
        concordance=conc,
        hs2002_codes=codes,
        min_product_cells=min_product_cells,
        extra_keys=("regime",),
    )
    exclusions = {"customs_cells": dict(cells.excluded_lines)}
    cell_frame = pl.DataFrame(cells.cells).with_columns(pl.col("hs6").str.slice(0, 4).alias("hs4"))
    q = ksw_quality(
        cell_frame,
        t["sigma"] if sigma is None else sigma,
        t["province_gdp"],
        method=ksw_method,
        key=(*CELL_KEY, "regime"),
    )
    exclusions["ksw_quality"] = dict(q.excluded)
    del cells, cell_frame
    # the cell quality the exhibits read (the regression's inputs and residual left out:
    # at the paper scale each column of the ≈10⁷ cells is 80–160 MB)
    quality = pl.DataFrame(q.quality).select(QUALITY_COLUMNS)
    del q
    value = "rqua" if normalise else "quality"
    hs4 = aggregate_quality(quality, "city_hs4", value=value, name="hs4_qua")
    census = t["census_2004"]
    measure = bartik_vagg(census, _shifts(folder), years=YEARS)
    vagg = pl.DataFrame(measure.data).select("city_code", "year", "vagg").sort("city_code", "year")
    vagg = vagg.with_columns(_lag(vagg, "vagg").alias("vagg_lag"))
    hist = historical_iv(t["cities"], t["national"], years=YEARS)
    ivs = pl.DataFrame(hist.data).select("city_code", "year", "iv_tel", "iv_post")
    controls = t["city_panel"].select("city_code", pl.col("year").cast(pl.Int64), *CONTROLS)
    cities = t["cities"].select("city_code", "province_code", "centre", "region")
    panel = (
        pl.DataFrame(hs4)
        .with_columns(pl.col("year").cast(pl.Int64))
        .join(vagg, on=["city_code", "year"], how="left")
        .join(controls, on=["city_code", "year"], how="left")
        .join(ivs, on=["city_code", "year"], how="left")
        .join(cities, on="city_code", how="left")
    )
    no_vagg = panel.filter(pl.col("vagg").is_null()).height
    exclusions["panel"] = {"cells_without_vagg": no_vagg}
    panel = panel.filter(pl.col("vagg").is_not_null()).with_columns(
        (pl.col("city_code") + "_" + pl.col("hs4")).alias("city_hs4"),
        (pl.col("province_code") + "_" + pl.col("year").cast(pl.String)).alias("province_year"),
    )
    return {"panel": panel, "quality": quality, "exclusions": exclusions}


def derive(data: StudyData) -> dict[str, Any]:
    """:func:`build_panel` on the run's dataset with the study's options (cached)."""
    out = build_panel(
        input_folder(data),
        ksw_method=data.option("ksw_method"),
        min_product_cells=data.option("min_product_cells"),
    )
    for stage, dropped in out["exclusions"].items():
        data.note_dropped(stage, {k: int(v) for k, v in dropped.items()})
    return out
