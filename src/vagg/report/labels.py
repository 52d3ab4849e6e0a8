"""Row labels and notes of regression tables, in English and in Chinese.

The Chinese wording follows the tables of the five studies (e.g. 000 Tables 1–8 and 001
Tables 2–4): 常数项, 样本量, 控制变量, 是/否, "个体/行业/年份固定效应", "括号内为标准误",
"*、**和***分别表示在10%、5%和1%的水平上显著". The English wording follows the usual
esttab / fixest ``etable`` conventions (Constant, Observations, Controls, Yes/No, "Year FE").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

__all__ = [
    "DIAGNOSTIC_NAMES",
    "FIXED_EFFECT_NAMES",
    "LANGUAGES",
    "TEXT",
    "Lang",
    "diagnostic_label",
    "fixed_effect_label",
    "localized",
    "pvalue_note",
    "stars_note",
    "text",
    "uncertainty_note",
]


Lang = Literal["en", "zh"]
LANGUAGES: tuple[Lang, ...] = ("en", "zh")

#: Fixed labels of the table's rows and cells.
TEXT: dict[str, dict[Lang, str]] = {
    "variable": {"en": "", "zh": "变量"},
    "dependent": {"en": "Dependent variable", "zh": "被解释变量"},
    "constant": {"en": "Constant", "zh": "常数项"},
    "nobs": {"en": "Observations", "zh": "样本量"},
    "r2": {"en": "R²", "zh": "R²"},
    "adj_r2": {"en": "Adjusted R²", "zh": "调整R²"},
    "r2_within": {"en": "Within R²", "zh": "组内R²"},
    "loglik": {"en": "Log likelihood", "zh": "对数似然值"},
    "controls": {"en": "Controls", "zh": "控制变量"},
    "yes": {"en": "Yes", "zh": "是"},
    "no": {"en": "No", "zh": "否"},
    "note_prefix": {"en": "Notes: ", "zh": "注："},
}

#: Names of common fixed-effect variables; anything else is shown as written.
FIXED_EFFECT_NAMES: dict[str, dict[Lang, str]] = {
    "firm": {"en": "Firm", "zh": "个体"},
    "firm_id": {"en": "Firm", "zh": "个体"},
    "id": {"en": "Individual", "zh": "个体"},
    "industry": {"en": "Industry", "zh": "行业"},
    "industry_id": {"en": "Industry", "zh": "行业"},
    "cic2": {"en": "Industry", "zh": "行业"},
    "cic4": {"en": "Industry", "zh": "行业"},
    "hs4": {"en": "Industry (HS4)", "zh": "行业"},
    "hs6": {"en": "Product (HS6)", "zh": "产品"},
    "product": {"en": "Product", "zh": "产品"},
    "year": {"en": "Year", "zh": "年份"},
    "city": {"en": "City", "zh": "城市"},
    "city_id": {"en": "City", "zh": "城市"},
    "province": {"en": "Province", "zh": "省份"},
    "province_id": {"en": "Province", "zh": "省份"},
    "country": {"en": "Country", "zh": "国家"},
    "destination": {"en": "Destination", "zh": "目的国"},
    "region": {"en": "Region", "zh": "地区"},
}

#: Row labels of the diagnostics that :mod:`vagg.estimate.linear.iv` stores in
#: ``Result.diagnostics``.
DIAGNOSTIC_NAMES: dict[str, dict[Lang, str]] = {
    "kp_rk_lm": {"en": "Kleibergen–Paap rk LM", "zh": "Kleibergen-Paap rk LM统计量"},
    "kp_rk_wald": {"en": "Kleibergen–Paap rk Wald", "zh": "Kleibergen-Paap rk Wald统计量"},
    "kp_rk_wald_f": {"en": "Kleibergen–Paap rk Wald F", "zh": "Kleibergen-Paap rk Wald F统计量"},
    "cragg_donald_f": {"en": "Cragg–Donald Wald F", "zh": "Cragg-Donald Wald F统计量"},
    "anderson_rubin": {"en": "Anderson–Rubin F", "zh": "Anderson-Rubin F统计量"},
    "stock_yogo": {
        "en": "Stock–Yogo 10% maximal IV size critical value",
        "zh": "Stock-Yogo 10%临界值",
    },
    "first_stage": {"en": "First-stage F", "zh": "第一阶段F值"},
}


def text(key: str, lang: Lang) -> str:
    """The label ``key`` (a key of :data:`TEXT`) in language ``lang``."""
    return TEXT[key][lang]


def fixed_effect_label(name: str, lang: Lang) -> str:
    """Row label of one fixed effect: ``"year"`` → "Year FE" / "年份固定效应".

    Interacted effects written with ``^`` (pyfixest / fixest syntax) are joined with "×":
    ``"province^year"`` → "Province × Year FE" / "省份×年份固定效应" (001 Table 3).
    """
    parts = [_fixed_effect_part(part.strip(), lang) for part in name.split("^")]
    if lang == "zh":
        return "×".join(parts) + "固定效应"
    return " × ".join(parts) + " FE"


def _fixed_effect_part(name: str, lang: Lang) -> str:
    known = FIXED_EFFECT_NAMES.get(name.lower())
    return known[lang] if known else name


def diagnostic_label(key: str, lang: Lang) -> str:
    """Row label of a diagnostic of ``Result.diagnostics`` (the key itself when unknown)."""
    known = DIAGNOSTIC_NAMES.get(key)
    return known[lang] if known else key


def uncertainty_note(stat: str, vcov_types: Sequence[str], lang: Lang) -> str:
    """What the parentheses hold: "括号内为标准误" / "Standard errors in parentheses".

    When every column uses the same robust or clustered covariance the note says so
    (001 Table 2: "括号内的值是城市行业层面聚类稳健标准误").
    """
    if stat == "t":
        return "括号内为t值" if lang == "zh" else "t statistics in parentheses"
    kinds = set(vcov_types)
    kind = kinds.pop() if len(kinds) == 1 else ""
    if kind.startswith("CRV") or kind == "cluster":
        return (
            "括号内为聚类稳健标准误" if lang == "zh" else "Clustered standard errors in parentheses"
        )
    if kind in ("hetero", "robust") or kind.startswith("HC"):
        return "括号内为稳健标准误" if lang == "zh" else "Robust standard errors in parentheses"
    return "括号内为标准误" if lang == "zh" else "Standard errors in parentheses"


def stars_note(thresholds: Sequence[float], lang: Lang) -> str:
    """The significance legend: one star per threshold passed, loosest threshold first.

    ``(0.1, 0.05, 0.01)`` → "*、**和***分别表示在10%、5%和1%的水平上显著" /
    "*, ** and *** denote significance at the 10%, 5% and 1% levels" (000 Table 2 note).
    """
    ordered = sorted(thresholds, reverse=True)
    marks = ["*" * (i + 1) for i in range(len(ordered))]
    levels = [f"{100 * t:g}%" for t in ordered]
    if lang == "zh":
        return f"{_join_zh(marks)}分别表示在{_join_zh(levels)}的水平上显著"
    if len(ordered) == 1:
        return f"{marks[0]} denotes significance at the {levels[0]} level"
    return f"{_join_en(marks)} denote significance at the {_join_en(levels)} levels"


def pvalue_note(lang: Lang) -> str:
    """Legend of the bracketed p-values of test statistics."""
    return "方括号内为相应检验的p值" if lang == "zh" else "p-values of the tests in brackets"


def _join_zh(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return "、".join(items[:-1]) + "和" + items[-1]


def _join_en(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + " and " + items[-1]


def localized(text: str | Mapping[str, str] | None, lang: Lang) -> str | None:
    """``text`` in ``lang``: a plain string as is, a ``{"zh": ..., "en": ...}`` mapping's entry
    for ``lang`` or else its other language; ``None`` (the caller raises) when it has neither."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    for key in (lang, *LANGUAGES):
        if key in text:
            return str(text[key])
    return None
