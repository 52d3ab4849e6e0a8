"""Shared data of the cointegration tests: Grunfeld's investment panel (statsmodels)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REFERENCE = Path(__file__).parents[2] / "reference"


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    """statsmodels' ``grunfeld``: 11 firms × 20 years (1935–1954), invest, value, capital."""
    sm = pytest.importorskip("statsmodels.api")
    data = sm.datasets.grunfeld.load_pandas().data
    data["year"] = data["year"].astype(int)
    return data


@pytest.fixture(scope="module")
def arch_reference() -> dict[str, Any]:
    """Group means and pooled slopes of arch's unit-by-unit FM-OLS / DOLS on Grunfeld."""
    return json.loads((REFERENCE / "cointegration_arch_grunfeld.json").read_text())
