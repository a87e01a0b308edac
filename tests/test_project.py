"""The project's own promises: requirement ranges, the constraints CI runs with, one source of defaults."""

import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

from salt_core.substitutions.codeswitching import CodeSwitchSettings
from salt_core.substitutions.mining import DEFAULT_TOP_K
from salt_core.text import Eligibility

ROOT = Path(__file__).resolve().parents[1]


def _requirements(path: Path) -> dict[str, Requirement]:
    lines = [line.split("#")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    reqs = [Requirement(line) for line in lines if line and not line.startswith("-")]
    return {r.name.lower().replace("_", "-"): r for r in reqs}


def test_constraints_satisfy_every_requirement_range():
    pinned = {name: next(iter(r.specifier)).version for name, r in _requirements(ROOT / "constraints.txt").items()}
    for path in (ROOT / "requirements.txt", ROOT / "requirements-dev.txt"):
        for name, requirement in _requirements(path).items():
            assert name in pinned, f"{name} is required but constraints.txt does not pin it"
            assert requirement.specifier.contains(Version(pinned[name]), prereleases=True), (name, pinned[name])


def test_streamlit_lower_bound_has_the_url_binding_the_pages_rely_on():
    """bind="query-params" arrived in 1.55 and programmatic sets reach the URL from 1.58 (the Scaling resets)."""
    spec = _requirements(ROOT / "requirements.txt")["streamlit"].specifier
    assert not spec.contains("1.57.0") and spec.contains("1.58.0")


def test_readme_and_cli_state_the_defaults_of_the_settings_dataclasses():
    from salt_core.cli import build_parser

    defaults, eligible = CodeSwitchSettings(), Eligibility()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"translation threshold ([0-9.]+),\s+synonym threshold ([0-9.]+), replacement ratio ([0-9.]+), "
                       r"words of at least (\d+) characters", readme)
    assert stated, "the README no longer states the assumed defaults"
    assert tuple(map(float, stated.groups()[:3])) == (defaults.translation_threshold, defaults.synonym_threshold,
                                                       defaults.ratio)
    assert int(stated.group(4)) == eligible.min_chars
    parser = build_parser()
    mine = parser.parse_args(["mine", "--targets", "de", "--input", "x.txt", "--output", "y.parquet"])
    cs = parser.parse_args(["codeswitch", "--mined", "m.parquet", "--output", "o.jsonl"])
    assert (mine.top_k, mine.min_word_chars) == (DEFAULT_TOP_K, eligible.min_chars)
    assert (cs.ratio, cs.seed, cs.score) == (defaults.ratio, defaults.seed, defaults.score)
    # the thresholds follow the table's miner when not given (tests/test_cli.py checks both miners)
    assert cs.threshold is None and not hasattr(cs, "synonym_threshold")
    help_text = " ".join(parser._subparsers._group_actions[0].choices["codeswitch"].format_help().split())
    assert f"{defaults.translation_threshold} for the masked-LM miner" in help_text
    assert f"{defaults.synonym_threshold} for the masked-LM miner" in help_text


def test_browser_tests_never_pause_or_wait_on_a_short_fixed_timeout():
    """Waits follow the app's idle signals with generous ceilings: a fixed pause, or a ceiling of a few
    seconds on work that depends on machine speed, flakes on a busy machine (it did, in a fresh-clone CI run)."""
    import ast

    short = []
    for path in sorted((ROOT / "tests" / "e2e").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                assert name not in ("wait_for_timeout", "sleep") or path.name == "conftest.py", \
                    f"{path.name}:{node.lineno}: a fixed pause ({name})"
                for keyword in node.keywords:
                    if keyword.arg in ("timeout", "timeout_ms") and isinstance(keyword.value, ast.Constant):
                        if isinstance(keyword.value.value, (int, float)) and keyword.value.value < 60_000 and \
                                name not in ("urlopen", "wait", "run"):  # seconds: health probe, shutdown, CLI
                            short.append(f"{path.name}:{node.lineno}")
    assert short == [], f"short fixed timeouts: {short}"
    conftest = (ROOT / "tests" / "e2e" / "conftest.py").read_text(encoding="utf-8")
    assert "expect.set_options(timeout=WAIT_MS)" in conftest  # expect's own 5 s default is replaced
