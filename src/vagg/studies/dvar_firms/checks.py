"""The truth checks of the study ``dvar_firms``: one per estimate of Tables 1–8 that has an
estimand in the synthetic economy's ``truth.json`` (:mod:`vagg.studies.truth`).

Each :class:`~vagg.studies.truth.TruthCheck` names the truth key, the table entry, the term
and the column: its position, or the header of a packed table's equation. Headers do not
depend on the run's language (Tables 4 and 4b key their equations by the English group
labels). The keys follow ``dvar_firms.table<N>.<column>.<regressor>``; the first twenty
(Table 1 with controls, Tables 6–8 column (1), the mechanism regressions and the Table 1b
levels) keep their earlier names.
"""

from __future__ import annotations

from typing import Final

from vagg.studies.base import resolve_text
from vagg.studies.dvar_firms.panels import VAGG
from vagg.studies.dvar_firms.tables import HETEROGENEITY_CONTRASTS, HETEROGENEITY_GROUPS
from vagg.studies.truth import TruthCheck

__all__ = ["CONTRAST_KEYS", "GROUP_KEYS", "TRUTH"]

#: truth-key slug of each Table 4 group (same order as HETEROGENEITY_GROUPS)
GROUP_KEYS = (
    "state",
    "foreign",
    "private",
    "east",
    "central",
    "west",
    "processing",
    "non_processing",
    "high_tech",
    "non_high_tech",
)
#: truth-key slug of each Table 4b contrast (same order as HETEROGENEITY_CONTRASTS)
CONTRAST_KEYS = (
    "private_state",
    "private_foreign",
    "east_west",
    "nonproc_proc",
    "nonhightech_hightech",
)
_LANG: Final = "en"


def _base() -> list[TruthCheck]:
    return [
        *[TruthCheck(f"dvar_firms.table1.{v}", "1", v, 2 * i + 1) for i, v in enumerate(VAGG)],
        *[TruthCheck(f"dvar_firms.table6.markup_on_{v}", "6", v, f"(1) {v}") for v in VAGG],
        *[TruthCheck(f"dvar_firms.table7.rpdip_on_{v}", "7", v, f"(1) {v}") for v in VAGG],
        *[
            TruthCheck(f"dvar_firms.table8.exp_var_on_{v}", "8", v, f"(4) exp_var {v}")
            for v in VAGG
        ],
        TruthCheck("dvar_firms.dvar_on_log_markup_alone", "6", "log_markup", "(5) log_markup"),
        TruthCheck("dvar_firms.dvar_on_rpdip_alone", "7", "rpdip", "(5) rpdip"),
        TruthCheck("dvar_firms.dvar_on_log_markup", "6b", "log_markup", 0),
        TruthCheck("dvar_firms.dvar_on_rpdip", "6b", "rpdip", 0),
        TruthCheck("dvar_firms.mean_dvar_processing", "1b", "Intercept", 0),
        TruthCheck("dvar_firms.mean_dvar_ordinary", "1b", "Intercept", 1),
        TruthCheck("dvar_firms.mean_dvar_mixed", "1b", "Intercept", 2),
        TruthCheck("dvar_firms.mean_dvar_o_mixed", "1b", "Intercept", 3),
    ]


def _tables_1_to_3() -> list[TruthCheck]:
    out = [
        TruthCheck(f"dvar_firms.table1.{v}.no_controls", "1", v, 2 * i) for i, v in enumerate(VAGG)
    ]
    for j, design in enumerate(("nn1", "nn3", "ipw")):
        out += [
            TruthCheck(f"dvar_firms.table2.{design}.{v}", "2", v, 3 * j + i)
            for i, v in enumerate(VAGG)
        ]
    for i, v in enumerate(VAGG, start=1):
        for design, header in (("did", f"DID ({i})"), ("psm_did", f"PSM-DID ({i + 3})")):
            out.append(
                TruthCheck(f"dvar_firms.table3.{design}.triple.{v}", "3", f"treat_post_{v}", header)
            )
            out.append(
                TruthCheck(f"dvar_firms.table3.{design}.treat_post.{v}", "3", "treat_post", header)
            )
    return out


def _tables_4_5() -> list[TruthCheck]:
    out = []
    for i, (key, (_, _, label)) in enumerate(zip(GROUP_KEYS, HETEROGENEITY_GROUPS, strict=True)):
        header = f"({i + 1}) {resolve_text(label, _LANG)}"
        out += [TruthCheck(f"dvar_firms.table4.{key}.{v}", "4", v, f"{header} {v}") for v in VAGG]
    for key, (*_, label) in zip(CONTRAST_KEYS, HETEROGENEITY_CONTRASTS, strict=True):
        header = resolve_text(label, _LANG)
        out += [TruthCheck(f"dvar_firms.table4b.{key}.{v}", "4b", v, f"{header} {v}") for v in VAGG]
    for column, suffix in (("(1)", "emp"), ("(2)", "fa")):
        out += [
            TruthCheck(f"dvar_firms.table5.{suffix}.{v}", "5", f"{v}_{suffix}", f"{column} {v}")
            for v in VAGG
        ]
    for column, variant in (("(3)", "dvar1"), ("(4)", "dvar2"), ("(5)", "dvar3")):
        out += [
            TruthCheck(f"dvar_firms.table5.{variant}.{v}", "5", v, f"{column} {v}") for v in VAGG
        ]
    return out


def _tables_6_to_8() -> list[TruthCheck]:
    out = []
    for table, label in (("6", "markup"), ("7", "rpdip")):
        for v in VAGG:
            out.append(
                TruthCheck(
                    f"dvar_firms.table{table}.iv.{label}_on_{v}", table, v, f"(2) IV-2SLS {v}"
                )
            )
            out.append(
                TruthCheck(
                    f"dvar_firms.table{table}.did.triple.{v}",
                    table,
                    f"treat_post_{v}",
                    f"(3) DID {v}1",
                )
            )
            out.append(
                TruthCheck(
                    f"dvar_firms.table{table}.psm_did.triple.{v}",
                    table,
                    f"treat_post_{v}",
                    f"(4) PSM-DID {v}1",
                )
            )
    for column, label in (("(6)", "price"), ("(7)", "tfp")):
        out += [
            TruthCheck(f"dvar_firms.table6.{label}_on_{v}", "6", v, f"{column} {v}") for v in VAGG
        ]
    out.append(TruthCheck("dvar_firms.table6.markup_on_price", "6", "log_price", "(8) log_price"))
    out.append(TruthCheck("dvar_firms.table6.markup_on_tfp", "6", "tfp", "(8) tfp"))
    out += [TruthCheck(f"dvar_firms.table6b.mc_on_{v}", "6b", v, i + 1) for i, v in enumerate(VAGG)]
    for column, key in (
        ("(1) impinput_var", "impinput_var"),
        ("(2) impinput_val", "impinput_val"),
        ("(3) impinput_ratio", "impinput_ratio"),
        ("(5) exp_val", "exp_val"),
    ):
        out += [TruthCheck(f"dvar_firms.table8.{key}.{v}", "8", v, f"{column} {v}") for v in VAGG]
    return out


#: Every truth check of the study, in table order within each block.
TRUTH: list[TruthCheck] = [*_base(), *_tables_1_to_3(), *_tables_4_5(), *_tables_6_to_8()]
