"""The truth checks of the study ``resilience_firms``: one per estimate that has an estimand in
the synthetic economy's ``truth.json`` (keys ``resilience_firms.<table>.<…>``, written by
``vagg.data.synth`` from latent values).

Packed tables name the equation by ``"<column> <row>"`` (:func:`vagg.report.layouts.pack_cells`);
the others by position.
"""

from __future__ import annotations

from vagg.studies.resilience_firms.mechanism_tables import MECHANISMS
from vagg.studies.resilience_firms.panels import OUTCOMES, VAGG
from vagg.studies.resilience_firms.tables import EVENT_WINDOWS
from vagg.studies.truth import TruthCheck

__all__ = ["TRUTH"]

_P = "resilience_firms"


def _table1() -> list[TruthCheck]:
    return [
        TruthCheck(f"{_P}.table1.{outcome}.{v}", "1", v, f"({2 * i + 2}) {outcome} {v}")
        for i, outcome in enumerate(OUTCOMES)
        for v in VAGG
    ]


def _table6() -> list[TruthCheck]:
    out = []
    for i, v in enumerate((*VAGG, "I")):
        out.append(TruthCheck(f"{_P}.table6.loss_x_{v}", "6", f"loss_x_{v}", i))
        if v != "I":
            out.append(TruthCheck(f"{_P}.table6.loss.{v}", "6", "LOSS", i))
    out.append(TruthCheck(f"{_P}.table6.gain_x_vagg_h", "6", "gain_x_vagg_h", 4))
    return out


def _mechanisms() -> list[TruthCheck]:
    out = []
    for mechanism, (table, codes, mediator) in MECHANISMS.items():
        for i, code in enumerate(codes, start=1):
            out.append(
                TruthCheck(
                    f"{_P}.table{table}.{code}_on_vagg_h", table, "vagg_h", f"({i}) {code} vagg_h"
                )
            )
        i = len(codes) + 1
        if mechanism == "M2":
            for term, key in (("HIGHDENS", "HIGHDENS"), ("vagg_h_x_HIGHDENS", "vagg_h_x_HIGHDENS")):
                out.append(TruthCheck(f"{_P}.table8.{key}", table, term, f"({i}) M-c RESIS {term}"))
        if mechanism == "M3":
            out.append(
                TruthCheck(
                    f"{_P}.table9.REPLACE_on_vagg_h", table, "vagg_h", f"({i}) REPLACE vagg_h"
                )
            )
        if mechanism == "M4":
            out.append(
                TruthCheck(
                    f"{_P}.table10.OFFSET_on_vagg_h", table, "vagg_h", f"({i}) OFFSET vagg_h"
                )
            )
        if mediator is None:
            continue
        j = i + (1 if mechanism in ("M3", "M4") else 0)
        header = f"({j}) M-b {mediator}"
        key = f"{_P}.table{table}.mediation.{mediator}"
        out += [
            TruthCheck(f"{key}.a", table, "vagg_h", f"{header} vagg_h"),
            TruthCheck(f"{key}.b", table, mediator, f"{header} M"),
            TruthCheck(f"{key}.indirect", table, "indirect", f"{header} a·δ"),
        ]
    return out


def _events() -> list[TruthCheck]:
    out = []
    for i, (name, _, years, ref) in enumerate(EVENT_WINDOWS):
        out += [TruthCheck(f"{_P}.event.{name}.{k}", "A1", f"d{k}", i) for k in years if k != ref]
    out += [
        TruthCheck(f"{_P}.staggered.opex_att.e{e}", "3b", f"e{e}", "(2) Callaway-Sant'Anna")
        for e in range(5)
    ]
    out.append(TruthCheck(f"{_P}.staggered.opex_twfe", "3b", "member", "(1) TWFE"))
    return out


#: Every truth check of the study, in table order.
TRUTH: list[TruthCheck] = [*_table1(), *_table6(), *_mechanisms(), *_events()]
