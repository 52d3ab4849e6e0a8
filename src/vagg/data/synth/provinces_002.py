"""Estimands of paper 002's Tables 2–4 on the synthetic province economy.

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

__all__ = ["BASELINE_CONTROLS", "baseline_estimands", "pooled_estimands"]

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


def _ols(target: np.ndarray, regressors: Sequence[np.ndarray]) -> np.ndarray:
    """Coefficients (intercept first) of ``target`` on a constant and ``regressors``."""
    x = np.column_stack([np.ones(target.size), *[r.ravel() for r in regressors]])
    coef, *_ = np.linalg.lstsq(x, target.ravel(), rcond=None)
    return coef


def pooled_estimands(
    planted: np.ndarray,
    exports: np.ndarray,
    in_sample: np.ndarray,
    vag: np.ndarray,
    innovation: np.ndarray,
    controls: Mapping[str, np.ndarray],
    definition: str,
) -> dict[str, dict[str, object]]:
    """Truth entries for paper 002's regressions without year effects: Table 3 (lags) and
    Table 4 (moderation, no controls).

    Without year dummies the year constant of SL matters. With E_t = Σ_i E_it, SL_it =
    r_it − ln Σ_i w_i,t−1·exp(r_it), r the relative growth and w the lagged export shares.
    Its noise-free part is g_it + δ*_t, δ*_t = −ln Σ_i w_i,t−1·exp(g_it) (g the planted part,
    w the realised shares); the estimand is the projection of g + δ*_t on a constant and the
    regressors. The shocks' share of the year constant (≈ −Σ_i w_i·u_it) is left in the error.

    Parameters
    ----------
    planted : numpy.ndarray
        g_it, provinces × all generated years.
    exports : numpy.ndarray
        Province exports, same shape (the lagged shares w).
    in_sample : numpy.ndarray of bool
        The years of the sample (2009–2020), over the columns; the first is not the first
        generated year.
    vag, innovation : numpy.ndarray
        Latent Vag and Z = 100·R&D/GDP, same shape as ``planted``.
    controls : mapping
        ``pgdp``, ``tax``, ``cons``, ``fdi`` in the truth's units, same shape.
    definition : str
        Appended to each entry's definition.

    Returns
    -------
    dict
        ``sl_t3_lag1``, ``sl_t3_lag2`` (L.Vag and L2.Vag, samples from the second and third
        sample year), ``sl_t4_vag_c1``, ``sl_t4_rd_c1``, ``sl_t4_vag_c2``, ``sl_t4_rd_c2``,
        ``sl_t4_xz_c2``, ``sl_t4_vag_c3`` (Vag with the product-only centred XZ_c).
    """
    shares = exports / exports.sum(axis=0, keepdims=True)
    delta = np.full(planted.shape[1], np.nan)
    delta[1:] = -np.log((shares[:, :-1] * np.exp(planted[:, 1:])).sum(axis=0))
    target = planted + delta[None, :]
    cols = np.flatnonzero(in_sample)
    ctl = [controls[c] for c in BASELINE_CONTROLS]
    entries: dict[str, dict[str, object]] = {}
    for lag in (1, 2):
        now = cols[lag:]
        coef = _ols(target[:, now], [vag[:, now - lag], *[c[:, now] for c in ctl]])
        spec = (
            f"Table 3 col ({lag}): the projection of the noise-free SL (planted part plus the "
            f"year constant δ*_t) on a constant, Vag lagged {lag} year(s) and GDP, TAX, CPI, "
            f"FDI, no year dummies, {len(now)} years; {definition}"
        )
        entries[f"sl_t3_lag{lag}"] = _entry(coef[1], f"Table 3 col ({lag}): L{lag}.Vag", spec)
    y, v, z = target[:, cols], vag[:, cols], innovation[:, cols]
    xz_c = (v - v.mean()) * (z - z.mean())
    for column, regressors, names in (
        (1, [v, z], ("vag", "rd")),
        (2, [v, z, v * z], ("vag", "rd", "xz")),
        (3, [v, z, xz_c], ("vag",)),
    ):
        coef = _ols(y, regressors)
        spec = (
            f"Table 4 col ({column}): the projection of the noise-free SL (planted part plus "
            "the year constant δ*_t) on a constant, Vag, Z"
            + (", Vag·Z" if column == 2 else ", (Vag − mean)(Z − mean)" if column == 3 else "")
            + f", no controls, no year dummies; {definition}"
        )
        for j, name in enumerate(names, start=1):
            label = {"vag": "Vag", "rd": "R&D", "xz": "XZ"}[name]
            entries[f"sl_t4_{name}_c{column}"] = _entry(
                coef[j], f"Table 4 col ({column}): {label}", spec
            )
    return entries
