"""Static checks of the Streamlit scripts: what no rendering test may miss."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_bare_expression_that_magic_would_print(script):
    """A bare non-call expression (e.g. `st.a(x) if c else st.b(y)`) is written to the page by Streamlit's magic:
    it printed DeltaGenerator's API documentation under two Scaling tabs. Magic is also off in config.toml."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    bare = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Expr)
            and not isinstance(node.value, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom))
            and not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str))]
    assert bare == [], f"{script.name}: bare expressions on lines {bare}"


def test_magic_is_off():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["magicEnabled"] is False
