"""M5 of paper 003: operating costs of exporters (OPEX, COSTR, MC, LABCOST, FINPRESS, ADJ).

Paper 003 §1.5: resource sharing on platforms saves infrastructure, hardware and labour
costs, inventory-management and transport costs and the adjustment cost of market changes,
and eases financing pressure. The designed study (spec 003 §4.2, M5) measures, from the CIE:

* OPEX_ft = (administrative + selling expenses) / sales  (管理费用 + 销售费用) / 主营业务收入;
* COSTR_ft = cost of main business / sales  (主营业务成本 / 主营业务收入);
* LABCOST_ft = wage bill / gross output;
* FINPRESS_ft = financial expenses / sales  (财务费用 may be negative: net interest income);
* MC_ft = ln(export price / DLW markup) = ln p_ft − ln μ_ft (paper 000's marginal-cost channel,
  :func:`vagg.measures.markups.marginal_cost`);
* ADJ_ft = sd(Δ ln employment) / sd(Δ ln sales) over the years t − 2, t − 1, t (a rolling
  3-year window of consecutive-year growth rates; the adjustment-cost proxy);

and INV_ft = inventory / sales, shared with M2 (:func:`vagg.measures.congestion.inventory_ratio`).
Every ratio is null (never ±inf) where its denominator is missing, zero or negative; those
firm-years are counted in the report.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from vagg.data.frames import like
from vagg.data.panel import PanelIndex
from vagg.errors import VaggError
from vagg.measures._firm_inputs import Report, add_excluded, firm_table, new_report, ratio
from vagg.measures.markups import marginal_cost

__all__ = ["adjustment_cost", "cost_ratios", "log_marginal_cost"]


def _result(out: pl.DataFrame, template: Any, report: Report, return_report: bool) -> Any:
    result = like(out, template)
    return (result, report) if return_report else result


def cost_ratios(firms: Any, *, return_report: bool = False) -> Any:
    """OPEX, COSTR, LABCOST and FINPRESS of every CIE firm-year (spec 003 §4.2, M5).

    * opex = (admin_expenses + selling_expenses) / sales;
    * costr = cost_main_business / sales;
    * labcost = wage_bill / gross_output;
    * finpress = financial_expenses / sales (the numerator may be negative).

    Parameters
    ----------
    firms : DataFrame
        CIE firm-years: ``firm_id``, ``year``, ``sales`` (主营业务收入), ``gross_output``,
        ``wage_bill``, ``admin_expenses`` (管理费用), ``selling_expenses`` (销售费用/营业费用),
        ``cost_main_business`` (主营业务成本), ``financial_expenses`` (财务费用); thousand
        RMB. All but financial expenses must be ≥ 0 (a negative value is an error naming the
        rows); missing values give null ratios, counted.
    return_report : bool
        Also return the report: for each ratio, firm-years excluded because the denominator is
        missing, zero or negative, or a numerator column is missing.

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``opex``, ``costr``, ``labcost``, ``finpress``, in the order of
        ``firms``; pandas if ``firms`` is.

    References
    ----------
    Paper 003 §1.5; spec 003 §4.2 (M5).
    """
    money = [
        "sales",
        "gross_output",
        "wage_bill",
        "admin_expenses",
        "selling_expenses",
        "cost_main_business",
    ]
    data = firm_table(firms, [*money, "financial_expenses"], nonnegative=money)
    report = new_report(data.height)
    data = ratio(
        data,
        "opex",
        pl.col("admin_expenses") + pl.col("selling_expenses"),
        "sales",
        report,
        numerator_columns=["admin_expenses", "selling_expenses"],
    )
    data = ratio(
        data,
        "costr",
        pl.col("cost_main_business"),
        "sales",
        report,
        numerator_columns=["cost_main_business"],
    )
    data = ratio(
        data,
        "labcost",
        pl.col("wage_bill"),
        "gross_output",
        report,
        numerator_columns=["wage_bill"],
    )
    data = ratio(
        data,
        "finpress",
        pl.col("financial_expenses"),
        "sales",
        report,
        numerator_columns=["financial_expenses"],
    )
    out = data.select("firm_id", "year", "opex", "costr", "labcost", "finpress")
    return _result(out, firms, report, return_report)


def log_marginal_cost(prices: Any, markups: Any, *, return_report: bool = False) -> Any:
    """MC_ft = ln(p_ft / μ_ft) = ln p_ft − ln μ_ft, the marginal cost of paper 000 Table 6.

    A thin wrapper of :func:`vagg.measures.markups.marginal_cost` that names the result as in
    spec 003: ``prices`` has ``firm_id``, ``year``, ``log_price`` (e.g.
    :func:`vagg.measures.markups.export_prices`), ``markups`` has ``firm_id``, ``year``,
    ``log_markup`` (:func:`vagg.measures.markups.dlw_markups`, De Loecker & Warzynski 2012).

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``log_price``, ``log_markup``, ``mc`` for the firm-years in
        both tables; with ``return_report`` also the report of
        :func:`~vagg.measures.markups.marginal_cost` (firm-years in one table only).

    References
    ----------
    De Loecker, Goldberg, Khandelwal & Pavcnik (2016) eq. (11); paper 000 Table 6; spec 003
    §4.2 (M5).
    """
    out, report = marginal_cost(prices, markups, return_report=True)
    if isinstance(out, pl.DataFrame):
        out = out.rename({"log_marginal_cost": "mc"})
    else:
        out = out.rename(columns={"log_marginal_cost": "mc"})
    return (out, report) if return_report else out


def adjustment_cost(firms: Any, *, window: int = 3, return_report: bool = False) -> Any:
    """ADJ_ft = sd(Δ ln L) / sd(Δ ln S) over the growth rates of t − window + 1, …, t.

    Δ ln X_fs = ln X_fs − ln X_f,s−1 is defined only when the firm is observed in s and s − 1
    with X > 0 (the gap-aware lag of :mod:`vagg.data.panel`: no growth across a missing
    year). ADJ_ft needs all ``window`` growth rates of L (employment) and S (sales), so
    ``window`` + 1 consecutive years; sd is the sample standard deviation (ddof = 1). A low
    ADJ means employment moves little when sales move: costly labour adjustment.

    Excluded and counted (null): employment or sales missing or ≤ 0 in a year of the window
    (no log), an incomplete window (fewer than ``window`` consecutive growth rates), sd of
    sales growth equal to zero.

    Parameters
    ----------
    firms : DataFrame
        ``firm_id``, ``year``, ``employment`` (≥ 0), ``sales`` (≥ 0).
    window : int
        Number of growth rates in the window (≥ 2; 3 in the spec).
    return_report : bool
        Also return the report.

    Returns
    -------
    DataFrame
        ``firm_id``, ``year``, ``sd_dln_employment``, ``sd_dln_sales``, ``adj``, in the order
        of ``firms``.

    References
    ----------
    Spec 003 §4.2 (M5); relative volatility of employment and sales as an adjustment-cost
    proxy, e.g. Cooper & Haltiwanger (2006) on the dynamics of factor adjustment.
    """
    if not isinstance(window, int) or window < 2:
        raise VaggError(f"window must be an integer >= 2, got {window!r}")
    data = firm_table(firms, ["employment", "sales"], nonnegative=["employment", "sales"])
    report = new_report(data.height)
    panel = PanelIndex.from_columns(data["firm_id"].to_numpy(), data["year"].to_numpy())
    sd = {}
    no_log = np.zeros(data.height, dtype=bool)
    for column in ("employment", "sales"):
        level = data[column].to_numpy().astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            log = np.where(level > 0, np.log(np.where(level > 0, level, 1.0)), np.nan)
        no_log |= np.isnan(log)
        growth = log - panel.shift(log, 1)
        stack = np.column_stack([panel.shift(growth, k) if k else growth for k in range(window)])
        complete = ~np.isnan(stack).any(axis=1)
        values = np.full(data.height, np.nan)
        if complete.any():
            values[complete] = stack[complete].std(axis=1, ddof=1)
        sd[column] = values
    incomplete = np.isnan(sd["employment"]) | np.isnan(sd["sales"])
    add_excluded(
        report, "adj", "employment or sales missing or not positive in t", int(no_log.sum())
    )
    add_excluded(
        report,
        "adj",
        f"fewer than {window} consecutive growth rates",
        int((incomplete & ~no_log).sum()),
    )
    zero = ~incomplete & (sd["sales"] == 0)
    add_excluded(report, "adj", "sd of sales growth is zero", int(zero.sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        adj = np.where(
            ~incomplete & ~zero, sd["employment"] / np.where(zero, 1.0, sd["sales"]), np.nan
        )
    out = data.select("firm_id", "year").with_columns(
        pl.Series("sd_dln_employment", sd["employment"]).fill_nan(None),
        pl.Series("sd_dln_sales", sd["sales"]).fill_nan(None),
        pl.Series("adj", adj).fill_nan(None),
    )
    return _result(out, firms, report, return_report)
