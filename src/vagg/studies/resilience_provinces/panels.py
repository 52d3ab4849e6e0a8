"""The analysis panel of the study ``resilience_provinces`` (paper 002).

One frame, province × year over 2009–2020 (30 provinces, N = 360), built from the canonical
tables ``province_panel`` and ``national_series`` by the measures of :mod:`vagg.measures`:

* ``sl`` — export resilience SL (eq. E1), :func:`vagg.measures.resilience.export_resilience`
  with the window ``k`` and the transformation of the study's options;
* ``vag`` — the distance-decayed location quotient of ICT employment (eq. E2), own weight 1,
  great-circle distances between capitals,
  :func:`vagg.measures.location_quotient.distance_decayed_lq`, optionally min–max normalised;
* ``pgdp``, ``tax``, ``cons``, ``fdi`` (the paper's GDP, TAX, CPI, FDI), ``innovation`` (R&D)
  and ``internet`` — :func:`vagg.measures.regional.resilience_controls`;
* ``xz`` = Vag·R&D and ``xz_c`` = (Vag − V̄)(R&D − R̄), the means over the panel (Table 4
  col 3 centres only the product; spec 002 §2 E4).

Nothing is dropped: the measures raise on a province missing in a year or a non-positive value
in a log, and the panel keeps every province-year of the window.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from vagg.data.errors import SchemaError
from vagg.data.io import read_table, table_path
from vagg.data.schemas import get_schema, validate
from vagg.measures.location_quotient import distance_decayed_lq
from vagg.measures.regional import resilience_controls
from vagg.measures.resilience import export_resilience
from vagg.studies.data import StudyData
from vagg.studies.errors import StudyError

__all__ = [
    "CONTROLS",
    "KEY",
    "NATIONAL_COLUMNS",
    "PANEL_COLUMNS",
    "WINDOW",
    "YEARBOOK_COLUMNS",
    "YEARBOOK_NATIONAL_COLUMNS",
    "derive",
    "resilience_panel",
    "study_table",
]

#: The paper's sample (§3.1, Table 1's Year row).
WINDOW: tuple[int, int] = (2009, 2020)
#: The controls of eq. (E3) in the order Table 2 adds them: GDP, TAX, CPI, FDI.
CONTROLS: tuple[str, ...] = ("pgdp", "tax", "cons", "fdi")
KEY: tuple[str, str] = ("province_code", "year")
#: The columns of ``province_panel`` the study reads (a user's panel may hold only these).
PANEL_COLUMNS: tuple[str, ...] = (
    *KEY,
    "exports_usd",
    "ict_employment",
    "urban_unit_employment",
    "gdp",
    "gdp_per_capita",
    "tax_revenue",
    "retail_sales",
    "fdi_usd",
    "rd_expenditure",
    "broadband_subscribers",
)
#: The columns of ``national_series`` the study reads.
NATIONAL_COLUMNS: tuple[str, ...] = ("year", "rmb_per_usd", "exports_usd")
#: Yearbook headers → canonical columns (the ``column_map`` of :func:`vagg.data.io.read_table`)
#: for a panel typed from the China Statistical Yearbook (中国统计年鉴), the China Labour
#: Statistical Yearbook (就业人员) and the China Statistical Yearbook on Science and Technology
#: (R&D). Convert the units first (docs/studies/resilience_provinces.md lists them).
YEARBOOK_COLUMNS: dict[str, str] = {
    "省份代码": "province_code",
    "年份": "year",
    "出口总额(美元)": "exports_usd",
    "信息传输、计算机服务和软件业城镇单位就业人员": "ict_employment",
    "城镇单位就业人员": "urban_unit_employment",
    "地区生产总值": "gdp",
    "人均地区生产总值": "gdp_per_capita",
    "税收收入": "tax_revenue",
    "社会消费品零售总额": "retail_sales",
    "实际利用外商直接投资额(美元)": "fdi_usd",
    "R&D经费内部支出": "rd_expenditure",
    "互联网宽带接入用户": "broadband_subscribers",
}
#: The same for ``national_series``.
YEARBOOK_NATIONAL_COLUMNS: dict[str, str] = {
    "年份": "year",
    "人民币汇率(元/美元)": "rmb_per_usd",
    "货物出口总额(美元)": "exports_usd",
}


def resilience_panel(
    panel: pl.DataFrame,
    national: pl.DataFrame,
    *,
    k: int = 1,
    sl_transform: str = "none",
    national_total: str = "sum",
    vag_normalise: str = "none",
    vag_unit_km: float = 1.0,
    window: tuple[int, int] = WINDOW,
) -> pl.DataFrame:
    """The province × year panel of paper 002 (columns: province_code, year, sl, vag, pgdp,
    tax, cons, fdi, innovation, internet when the panel has broadband_subscribers, xz, xz_c).

    Parameters
    ----------
    panel : polars.DataFrame
        ``province_panel`` covering ``window`` and the k years before it.
    national : polars.DataFrame
        ``national_series`` (rmb_per_usd; exports_usd when ``national_total="official"``).
    k : int
        Window of SL (eq. E1); default 1 (the paper does not state it).
    sl_transform : {"none", "affine", "exponential"}
        Map SL to Table 1's moments (:func:`vagg.measures.resilience.fit_moment_transform`);
        "none" (default) keeps the printed formula.
    national_total : {"sum", "official"}
        E_t as the sum over the panel's provinces (default) or ``national_series.exports_usd``.
    vag_normalise : {"none", "minmax"}
        Min–max normalisation of Vag over the pooled window (spec 002 §1.4 item 3).
    vag_unit_km : float
        Distance unit of d_ij in km (1 = km, the default; 100 = hundreds of km).
    window : (int, int)
        First and last year.

    Returns
    -------
    polars.DataFrame
        Sorted by province and year.
    """
    lo, hi = window
    _check_positive(panel, ("exports_usd", "gdp", "gdp_per_capita", "urban_unit_employment"))
    sl = export_resilience(
        panel,
        national if national_total == "official" else None,
        k=k,
        years=window,
        transform=None if sl_transform == "none" else sl_transform,  # type: ignore[arg-type]
    )
    in_window = panel.filter(pl.col("year").is_between(lo, hi))
    vag = distance_decayed_lq(
        in_window,
        unit_km=vag_unit_km,
        normalise=None if vag_normalise == "none" else "minmax",
    )
    controls = resilience_controls(in_window, national)
    out = (
        sl.select(*KEY, "sl")
        .join(vag.select(*KEY, pl.col("vag")), on=list(KEY), how="inner", validate="1:1")
        .join(controls, on=list(KEY), how="inner", validate="1:1")
        .sort(*KEY)
    )
    expected = in_window.height
    if out.height != expected:
        raise StudyError(
            f"resilience panel: {out.height} province-years after joining SL, Vag and the "
            f"controls, {expected} in province_panel {lo}–{hi}"
        )
    v_bar, r_bar = out["vag"].mean(), out["innovation"].mean()
    return out.with_columns(
        (pl.col("vag") * pl.col("innovation")).alias("xz"),
        ((pl.col("vag") - v_bar) * (pl.col("innovation") - r_bar)).alias("xz_c"),
    )


def _check_positive(panel: pl.DataFrame, columns: tuple[str, ...]) -> None:
    """Raise :class:`~vagg.data.errors.SchemaError` naming the (province_code, year) of any
    missing or non-positive value of ``columns`` (they enter a log or a denominator)."""
    for column in columns:
        if column not in panel.columns:
            continue  # the measure names the missing column
        bad = panel.filter(pl.col(column).is_null() | (pl.col(column) <= 0)).sort(*KEY)
        if bad.height:
            raise SchemaError(
                "province_panel",
                column,
                "must be positive (it enters a log or a ratio); (province_code, year)",
                n_bad=bad.height,
                examples=list(bad.select(*KEY).head(5).iter_rows()),
            )


def study_table(data: StudyData, name: str, columns: tuple[str, ...]) -> pl.DataFrame:
    """Table ``name`` of the dataset: the validated canonical table when it holds every column
    of its schema, else only ``columns``, validated against those columns' rules.

    A user's yearbook panel for paper 002 need not carry the columns of paper 004 (PP
    indicators, capital stock …); :meth:`StudyData.table` would reject it for them.
    """
    path = table_path(data.dataset, name)
    if path is None:
        return data.table(name)  # raises the framework's "not found"
    raw = read_table(path, name, validate_on_load=False)
    schema = get_schema(name)
    if set(schema.column_names) <= set(raw.columns):
        return data.table(name)
    wanted = set(columns)
    subset = replace(schema, columns=tuple(c for c in schema.columns if c.name in wanted))
    return validate(raw.select([c for c in raw.columns if c in wanted]), subset)


def derive(data: StudyData) -> pl.DataFrame:
    """:func:`resilience_panel` of the dataset's tables under the run's options."""
    return resilience_panel(
        study_table(data, "province_panel", PANEL_COLUMNS),
        study_table(data, "national_series", NATIONAL_COLUMNS),
        k=int(data.option("k")),
        sl_transform=str(data.option("sl_transform")),
        national_total=str(data.option("national_total")),
        vag_normalise=str(data.option("vag_normalise")),
        vag_unit_km=float(data.option("vag_unit_km")),
    )
