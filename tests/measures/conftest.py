"""Shared fixtures of the measure tests: one synthetic province economy (papers 002 and 004)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from vagg.data import geography
from vagg.data.synth.provinces import generate_province_tables

PROVINCE_SEED = 20240611
HS4 = [f"{h:04d}" for h in range(8401, 8441)]


@pytest.fixture(scope="session")
def province_economy() -> dict[str, pl.DataFrame]:
    """province_panel, province_exports and national_series, 30 provinces × 2000–2020."""
    tables, _ = generate_province_tables(
        np.random.default_rng(PROVINCE_SEED), geography.provinces(), HS4
    )
    return tables
