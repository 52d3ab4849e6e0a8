"""The top-level API: every advertised name resolves, lazily."""

from __future__ import annotations

import subprocess
import sys

import pytest

import vagg


@pytest.mark.parametrize("name", [n for n in vagg.__all__ if n != "__version__"])
def test_public_name_resolves(name: str) -> None:
    assert getattr(vagg, name) is not None


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'fe_ols'"):
        vagg.fe_ols  # noqa: B018


def test_import_does_not_load_the_estimators() -> None:
    code = "import sys, vagg; print('pyfixest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
