"""The app on a virtual environment built from requirements.txt alone (no development packages): every import the
pages need is declared. Scaling's Method vs baseline once failed there (scipy was imported but not declared; CI had
it only through statsmodels, a development dependency). .ci/run builds the environment and names it in
SALT_RUNTIME_VENV; elsewhere the test is skipped, and it fails in CI when the variable is missing."""

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import streamlit_server
from tests.e2e.test_scaling_e2e import compare_salt_with_its_baseline

pytestmark = pytest.mark.e2e


def runtime_python() -> str:
    venv = os.environ.get("SALT_RUNTIME_VENV")
    if not venv:
        if os.environ.get("CI"):
            pytest.fail("SALT_RUNTIME_VENV is not set: .ci/run builds the requirements-only environment")
        pytest.skip("set SALT_RUNTIME_VENV to a venv made with `pip install -r requirements.txt` alone")
    python = Path(venv) / "bin" / "python"
    assert python.exists(), f"{python} is missing"
    return str(python)


def test_method_vs_baseline_on_a_requirements_only_venv(browser, tmp_path):
    python = runtime_python()
    with streamlit_server(tmp_path / "server.log", python=python) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        try:
            compare_salt_with_its_baseline(url, page, tmp_path)
        finally:
            context.close()
