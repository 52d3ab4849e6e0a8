"""Shared fixtures of the data tests: the tiny synthetic economy (seed 0), generated once per
session, and fresh copies of a small subset of it for tests that damage a dataset."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vagg.data.dataset import synthetic_dataset

#: The subset the bad-input tests copy: partitioned firms and customs, six reference tables.
SUBSET = (
    "firms",
    "customs",
    "industries",
    "cities",
    "counties",
    "provinces",
    "products",
    "national_series",
)


@pytest.fixture(scope="session")
def tiny_economy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny synthetic economy, seed 0 (generated once per test session)."""
    folder, _ = synthetic_dataset("tiny", 0, tmp_path_factory.mktemp("tiny-cache"))
    return folder


@pytest.fixture
def ds(tiny_economy: Path, tmp_path: Path) -> Path:
    """A fresh copy of :data:`SUBSET` of the tiny economy, free to damage."""
    out = tmp_path / "ds"
    out.mkdir()
    for name in SUBSET:
        if (tiny_economy / name).is_dir():
            shutil.copytree(tiny_economy / name, out / name)
        else:
            shutil.copy(tiny_economy / f"{name}.parquet", out / f"{name}.parquet")
    return out
