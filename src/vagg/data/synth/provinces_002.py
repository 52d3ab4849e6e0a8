"""Estimands of paper 002's stepwise baseline (Table 2) on the synthetic province economy.

Table 2 regresses SL on Vag and a growing set of controls with year effects, but without
innovation Z and Vag·Z. The synthetic economy plants SL_it = g(Vag, Z, Vag·Z, controls) + δ_t
+ u_it (:func:`vagg.data.synth.provinces.generate_province_tables`), with u_it MA(1) growth
shocks independent of the regressors and δ_t a year constant. Conditional on the regressors,
the expected OLS coefficient of such a misspecified regression is the least-squares projection
of the planted part g on the regressors and year dummies (δ_t is absorbed by the dummies):

    β*_S = argmin_b Σ_it (g_it − X_S,it·b − a_t)²,

computed here from the generator's latent arrays, never from vagg's measures. The estimand
differs by seed (it is conditional on the drawn provinces), as the truth of every truth.json.
Numpy least squares is used directly: the projection is a population quantity of the
generator, not an estimate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["BASELINE_CONTROLS", "baseline_estimands"]

#: Table 2's controls in the order it adds them: GDP, TAX, CPI, FDI.
BASELINE_CONTROLS: tuple[str, ...] = ("pgdp", "tax", "cons", "fdi")
_LABELS = {"pgdp": "GDP", "tax": "TAX", "cons": "CPI", "fdi": "FDI"}


def _projection(target: np.ndarray, regressors: Sequence[np.ndarray]) -> np.ndarray:
    """Coefficients of ``target`` (provinces × years) on ``regressors`` after year demeaning."""
    y = target - target.mean(axis=0, keepdims=True)
    x = np.column_stack([(r - r.mean(axis=0, keepdims=True)).ravel() for r in regressors])
    coef, *_ = np.linalg.lstsq(x, y.ravel(), rcond=None)
    return coef


def baseline_estimands(
    planted: np.ndarray, vag: np.ndarray, controls: Mapping[str, np.ndarray], definition: str
) -> dict[str, dict[str, object]]:
    """Truth entries for Table 2 cols (2)–(6) of paper 002.

    Parameters
    ----------
    planted : numpy.ndarray
        The planted part g_it of SL (provinces × years of the sample, 2009–2020).
    vag : numpy.ndarray
        Latent Vag, same shape.
    controls : mapping
        ``pgdp``, ``tax``, ``cons``, ``fdi``: the latent controls in the units of the truth
        definition, same shape.
    definition : str
        The measures and sample the entries are defined on (appended to each definition).

    Returns
    -------
    dict
        ``sl_t2_vag_c2`` … ``sl_t2_vag_c6`` (Vag in cols 2–6) and ``sl_t2_<control>_c6``
        (each control in col 6), each ``{value, kind: "estimate", study, table,
        definition}``.
    """
    entries: dict[str, dict[str, object]] = {}
    for step in range(len(BASELINE_CONTROLS) + 1):
        names = BASELINE_CONTROLS[:step]
        coef = _projection(planted, [vag, *[controls[c] for c in names]])
        column = step + 2
        spec = (
            f"Table 2 col ({column}): the least-squares projection, over the sample's "
            f"province-years, of the planted part of SL on Vag{', ' if names else ''}"
            f"{', '.join(_LABELS[c] for c in names)} and year dummies (the expected OLS "
            "coefficient given the regressors; Z and Vag·Z are omitted, as in the paper); "
            f"{definition}"
        )
        entries[f"sl_t2_vag_c{column}"] = _entry(coef[0], f"Table 2 col ({column}): Vag", spec)
        if column == 6:
            for j, name in enumerate(names, start=1):
                entries[f"sl_t2_{name}_c6"] = _entry(
                    coef[j], f"Table 2 col (6): {_LABELS[name]}", spec
                )
    return entries


def _entry(value: float, table: str, definition: str) -> dict[str, object]:
    return {
        "value": float(value),
        "kind": "estimate",
        "study": "resilience_provinces",
        "table": table,
        "definition": definition,
    }
