"""convergence(method="sac"): paper 004 eq. (27) against a direct vagg.spatial fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vagg
from vagg.estimate.errors import EstimationError
from vagg.weights.contiguity import queen_provinces


@pytest.fixture(scope="module")
def panel() -> tuple[pd.DataFrame, object]:
    w = queen_provinces()
    codes = list(w.index)
    rng = np.random.default_rng(4)
    years = range(2004, 2012)
    n = len(codes)
    rows = []
    level = rng.normal(1.0, 0.3, n)
    for t in years:
        m = np.exp(rng.normal(0.0, 0.4, n))
        x = rng.normal(0.0, 1.0, n)
        rows.append(pd.DataFrame({"code": codes, "year": t, "y": np.exp(level), "m": m, "x": x}))
        level = 0.9 * level + 0.1 + 0.05 * np.log(m) + rng.normal(0, 0.05, n)
    return pd.concat(rows, ignore_index=True), w


def _direct(data: pd.DataFrame, w: object, effects: str | None) -> pd.Series:
    d = data.sort_values(["code", "year"]).copy()
    d["g"] = np.log(d.groupby("code")["y"].shift(-1)) - np.log(d["y"])
    d["ly"] = np.log(d["y"])
    d["lm"] = np.log(d["m"])
    d["lylm"] = d["ly"] * d["lm"]
    d = d.dropna(subset=["g"])
    fit = vagg.spatial("g ~ ly + lm + lylm + x", d, w, model="sac", panel=("code", "year"),
                       effects=effects)  # fmt: skip
    return fit.params


@pytest.mark.parametrize(("effects", "kind"), [("none", None), ("unit", "individual")])
def test_sac_equals_direct_spatial_fit(panel, effects, kind) -> None:
    data, w = panel
    conv = vagg.convergence(data, "y", ("code", "year"), method="sac", w=w, effects=effects,
                            controls="x", interaction="log(m)")  # fmt: skip
    direct = _direct(data, w, kind)
    names = {"ly": "log_y", "lm": "log(m)", "lylm": "log_y:log(m)"}
    for term, value in direct.items():
        got = conv.result.params[names.get(str(term), str(term))]
        assert got == pytest.approx(value, abs=1e-8), term
    a1, a3 = direct["ly"], direct["lylm"]
    assert conv.acceleration == pytest.approx(a3 / a1, rel=1e-8)
    assert conv.beta == pytest.approx(a1, abs=1e-8)


def test_sac_needs_w(panel) -> None:
    data, _ = panel
    with pytest.raises(EstimationError, match=r"method='sac' needs the spatial weights"):
        vagg.convergence(data, "y", ("code", "year"), method="sac")


def test_sac_unbalanced_growth_panel_named(panel) -> None:
    data, w = panel
    broken = data[~((data["code"] == "11") & (data["year"] == 2007))]
    with pytest.raises(EstimationError, match=r"balanced growth panel.*'11'"):
        vagg.convergence(broken, "y", ("code", "year"), method="sac", w=w, effects="none")
