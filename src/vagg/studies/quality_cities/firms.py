"""Table 4 (4)–(5) of paper 001: firm-level export quality on the matched CIE–customs sample.

c_qua_ft = Σ_{i∈f,t} (v_i / Σ_{i'∈f,t} v_i') · rqua_i, the value-weighted normalised KSW
quality of the firm's HS6 × destination cells (eq. 21 at the firm level, spec 001 §1.3),
joined to the CIE firm-years (``firms.parquet``: party_id, year, founded, employment,
assets) of 2005–2013. Firm controls (spec 001 §1.3 [C]): age = year − founded + 1,
size = ln employment, apw = ln(assets / employment). Column (4) regresses c_qua on vagg with
firm, city and year effects; (5) adds the firm controls and the nine city controls. Errors are
clustered by firm. Age is collinear with the firm and year effects and is dropped by the
estimator, as in the paper's software.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

import vagg
from vagg.data.frames import check_rows, check_unique_key, require_columns
from vagg.measures.quality import aggregate_quality
from vagg.studies.data import StudyData
from vagg.studies.quality_cities.panels import CONTROLS, derive, input_folder

__all__ = ["FIRM_COLUMNS", "FIRM_YEARS", "firm_models", "firm_sample"]

#: required columns of ``firms.parquet``
FIRM_COLUMNS = ("party_id", "year", "founded", "employment", "assets")
#: years of the matched sample (spec 001 §1.2)
FIRM_YEARS = (2005, 2013)


def firm_sample(quality: Any, firms: Any, city_year: Any) -> tuple[pl.DataFrame, dict[str, int]]:
    """The firm × city × year sample of Table 4 (4)–(5) and the counted exclusions.

    Parameters
    ----------
    quality : polars.DataFrame
        KSW cell quality with party_id, city_code, year, rqua and value_usd.
    firms : polars.DataFrame
        CIE firm-years: party_id, year, founded, employment, assets (one row per firm-year).
    city_year : polars.DataFrame
        city_code, year, vagg and the nine controls.

    Returns
    -------
    (polars.DataFrame, dict)
        Rows party_id, city_code, year, c_qua, age, size, apw, vagg, controls; and the firm
        × city × years left out: ``outside_years`` (not 2005–2013), ``not_in_cie`` (no CIE
        firm-year), ``without_vagg`` (city-year without the measure).

    Raises
    ------
    SchemaError
        A missing column, a duplicated firm-year, founded after the year, or employment or
        assets not positive (naming the table, the column and the rows).
    """
    require_columns(firms, "firms", FIRM_COLUMNS)
    cie = firms.select(FIRM_COLUMNS).with_columns(pl.col("year").cast(pl.Int64))
    check_unique_key(cie, "firms", ("party_id", "year"))
    check_rows(
        cie,
        "firms",
        [
            (pl.col("founded") > pl.col("year"), "founded", "founded after the survey year"),
            (pl.col("employment") <= 0, "employment", "employment not positive"),
            (pl.col("assets") <= 0, "assets", "assets not positive"),
        ],
    )
    cie = cie.with_columns(
        (pl.col("year") - pl.col("founded") + 1).alias("age"),
        pl.col("employment").cast(pl.Float64).log().alias("size"),
        (pl.col("assets") / pl.col("employment")).log().alias("apw"),
    ).select("party_id", "year", "age", "size", "apw")
    cq = pl.DataFrame(
        aggregate_quality(quality, by=["party_id", "city_code", "year"], name="c_qua")
    ).with_columns(pl.col("year").cast(pl.Int64))
    first, last = FIRM_YEARS
    inside = cq.filter(pl.col("year").is_between(first, last))
    matched = inside.join(cie, on=["party_id", "year"], how="inner")
    sample = matched.join(city_year, on=["city_code", "year"], how="inner")
    dropped = {
        "outside_years": cq.height - inside.height,
        "not_in_cie": inside.height - matched.height,
        "without_vagg": matched.height - sample.height,
    }
    return sample.select(
        "party_id", "city_code", "year", "c_qua", "age", "size", "apw", "vagg", *CONTROLS
    ), dropped


def _sample(data: StudyData) -> pl.DataFrame | None:
    path = Path(input_folder(data)) / "firms.parquet"
    if not path.is_file():
        return None
    out = data.cached("quality_cities_panel", derive)
    city_year = out["panel"].select("city_code", "year", "vagg", *CONTROLS).unique()
    sample, dropped = firm_sample(out["quality"], pl.read_parquet(path), city_year)
    data.note_dropped("firm_sample", dropped)
    return sample


def firm_models(data: StudyData) -> list[Any]:
    """Table 4 (4) c_qua on vagg with firm, city and year effects; (5) with firm and city
    controls; errors clustered by firm. Empty when the input folder has no ``firms.parquet``."""
    sample = _sample(data)
    if sample is None:
        return []
    frame = sample.to_pandas()
    fe = "party_id + city_code + year"
    cluster = {"CRV1": "party_id"}
    return [
        vagg.feols(f"c_qua ~ vagg | {fe}", frame, vcov=cluster),
        vagg.feols(
            f"c_qua ~ vagg + age + size + apw + {' + '.join(CONTROLS)} | {fe}",
            frame,
            vcov=cluster,
        ),
    ]
