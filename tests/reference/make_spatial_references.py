"""Regenerate ``spatial_spreg.json``: spreg's ML estimates on the public data of
``spatial_data.py``, the references of ``tests/estimate/spatial``.

Models (spreg's own estimators, none of them vagg; the data and W are built by
``spatial_data.py`` and handed to spreg as a libpysal ``W`` with ``transform = "r"``):

* Columbus cross-section: ``ML_Lag`` (SAR), ``ML_Error`` (SEM), ``ML_Lag(slx_lags=1)`` (SDM),
  ``ML_Error(slx_lags=1)`` (SDEM), ``method="full"``;
* US state income growth 1990–1999, individual effects: ``Panel_FE_Lag``, ``Panel_FE_Error``
  (wide N × T input), ``ML_LagFE(slx_lags=1)``, ``ML_ErrorFE(slx_lags=1)``;
* the same with two-way effects: ``ML_LagFE`` and ``ML_ErrorFE`` with T − 1 time dummies among
  the regressors (spreg 1.9.0 has no ``time_effects``; the dummies give the same β, ρ/λ and σ²
  as two-way demeaning by the Frisch–Waugh–Lovell theorem).

spreg 1.9.0's ``Panel_FE_Lag``/``Panel_FE_Error`` report ``logll`` without the 1/(NT) inside
ln σ² (methods note §4.6); the raw value is stored and the tests check the shift.

Run from the repository root: ``python tests/reference/make_spatial_references.py``.
"""

from __future__ import annotations

import datetime
import json
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import spatial_data

import vagg.weights as vw

OUT = Path(__file__).with_name("spatial_spreg.json")


def _entry(
    names: list[str], model: Any, command: str, index: list[int] | None = None
) -> dict[str, Any]:
    betas = np.asarray(model.betas).ravel()
    se = np.asarray(model.std_err).ravel()
    if index is not None:
        betas, se = betas[index], se[index]
    sig2 = float(np.asarray(model.sig2).ravel()[0])
    return {
        "command": command,
        "coef": dict(zip(names, map(float, betas), strict=True)),
        "se": dict(zip(names, map(float, se), strict=True)),
        "sigma2": sig2,
        "logll": float(model.logll),
    }


def main() -> None:
    import spreg

    warnings.simplefilter("ignore")
    out: dict[str, Any] = {
        "source": "spreg (PySAL) maximum-likelihood estimators",
        "versions": {p: metadata.version(p) for p in ("spreg", "libpysal", "numpy", "scipy")},
        "date": datetime.date.today().isoformat(),
        "script": "tests/reference/make_spatial_references.py (data: spatial_data.py)",
        "models": {},
    }
    models = out["models"]

    data, w = spatial_data.columbus()
    lw = vw.to_libpysal(w)
    lw.transform = "r"
    y = data[["CRIME"]].to_numpy()
    x = data[["INC", "HOVAL"]].to_numpy()
    base = ["Intercept", "INC", "HOVAL"]
    models["columbus_sar"] = _entry(
        [*base, "rho"], spreg.ML_Lag(y, x, lw, method="full"), "ML_Lag(y, x, w, method='full')"
    )
    models["columbus_sem"] = _entry(
        [*base, "lambda"], spreg.ML_Error(y, x, lw, method="full"), "ML_Error(y, x, w)"
    )
    models["columbus_sdm"] = _entry(
        [*base, "W_INC", "W_HOVAL", "rho"],
        spreg.ML_Lag(y, x, lw, slx_lags=1, method="full"),
        "ML_Lag(y, x, w, slx_lags=1, method='full')",
    )
    models["columbus_sdem"] = _entry(
        [*base, "W_INC", "W_HOVAL", "lambda"],
        spreg.ML_Error(y, x, lw, slx_lags=1, method="full"),
        "ML_Error(y, x, w, slx_lags=1, method='full')",
    )

    panel, w = spatial_data.us_income_growth()
    lw = vw.to_libpysal(w)
    lw.transform = "r"
    wide_y = panel.pivot(index="state", columns="year", values="g").loc[list(w.ids)].to_numpy()
    wide_x = panel.pivot(index="state", columns="year", values="lag_ln").loc[list(w.ids)].to_numpy()
    n, t = wide_y.shape
    models["usinc_fe_sar"] = _entry(
        ["lag_ln", "rho"], spreg.Panel_FE_Lag(wide_y, wide_x, lw), "Panel_FE_Lag(y_wide, x_wide, w)"
    )
    models["usinc_fe_sem"] = _entry(
        ["lag_ln", "lambda"],
        spreg.Panel_FE_Error(wide_y, wide_x, lw),
        "Panel_FE_Error(y_wide, x_wide, w)",
    )
    models["usinc_fe_sdm"] = _entry(
        ["lag_ln", "W_lag_ln", "rho"],
        spreg.ML_LagFE(wide_y, wide_x, lw, slx_lags=1),
        "ML_LagFE(y_wide, x_wide, w, slx_lags=1)",
    )
    models["usinc_fe_sdem"] = _entry(
        ["lag_ln", "W_lag_ln", "lambda"],
        spreg.ML_ErrorFE(wide_y, wide_x, lw, slx_lags=1),
        "ML_ErrorFE(y_wide, x_wide, w, slx_lags=1)",
    )
    # two-way: time-major long arrays with T − 1 period dummies
    y_long = wide_y.T.reshape(-1, 1)
    x_long = wide_x.T.reshape(-1, 1)
    period = np.repeat(np.arange(t), n)
    dummies = (period[:, None] == np.arange(1, t)[None, :]).astype(float)
    x_dum = np.hstack([x_long, dummies])
    models["usinc_twoways_sar"] = _entry(
        ["lag_ln", "rho"],
        spreg.ML_LagFE(y_long, x_dum, lw),
        "ML_LagFE(y_long, [x, T-1 period dummies], w)",
        index=[0, -1],
    )
    models["usinc_twoways_sem"] = _entry(
        ["lag_ln", "lambda"],
        spreg.ML_ErrorFE(y_long, x_dum, lw),
        "ML_ErrorFE(y_long, [x, T-1 period dummies], w)",
        index=[0, -1],
    )
    OUT.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
