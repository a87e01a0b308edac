"""The layout the README promises: few top-level modules, one idea per package, arrows pointing down only,
no import cycle, no streamlit inside the library, and a Python API section that is true."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "salt_core"

# Layers, lowest first; each layer holds ideas, each idea one or more modules or packages. A module may import
# from its own idea or a lower layer, never from a higher layer or a sibling idea (substitutions, mixup and runs
# are separate ideas and do not import each other).
LAYERS = [
    [("salt_core.errors",)],
    [("salt_core",)],  # the root package: lazy re-exports, imports only errors
    [("salt_core.files",)],
    [("salt_core.languages",)],
    [("salt_core.text",), ("salt_core.display",)],
    [("salt_core.models",)],
    [("salt_core.substitutions",), ("salt_core.mixup",), ("salt_core.runs",)],
    [("salt_core.training",)],  # SALT itself: trains with substitutions and mixup, writes runs
    [("salt_core.cli", "salt_core.__main__")],
]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path) -> set[str]:
    """salt_core modules a file imports, anywhere in it (lazy imports inside functions count too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from salt_core.models import offline` imports a submodule
                submodule = f"{node.module}.{alias.name}"
                names.add(submodule if submodule in MODULES else node.module)
    return {n for n in names if n.startswith("salt_core") and n != "salt_core"}


GRAPH = {name: imported(path) for name, path in MODULES.items()}


def layer_of(module: str) -> tuple[int, tuple]:
    for level, ideas in enumerate(LAYERS):
        for idea in ideas:
            if module in idea or (idea != ("salt_core",) and any(module.startswith(top + ".") for top in idea)):
                return level, idea
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def test_few_top_level_modules():
    top = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(top) <= 6, top


@pytest.mark.parametrize("module", sorted(MODULES))
def test_arrows_point_down_only(module):
    level, top = layer_of(module)
    for target in GRAPH[module]:
        target_level, target_top = layer_of(target)
        assert target_level < level or target_top == top, f"{module} imports {target} (a higher or sibling idea)"


def test_no_import_cycle():
    seen, stack = set(), []

    def visit(node):
        if node in stack:
            cycle = stack[stack.index(node):] + [node]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if node in seen:
            return
        stack.append(node)
        for target in sorted(GRAPH.get(node, ())):
            visit(target)
        stack.pop()
        seen.add(node)

    for module in sorted(GRAPH):
        visit(module)


def test_the_cycle_check_finds_a_cycle():
    """The walk above is not vacuous: a planted cycle is reported."""
    global GRAPH
    saved = GRAPH
    GRAPH = {"a": {"b"}, "b": {"c"}, "c": {"a"}}
    try:
        with pytest.raises(AssertionError, match="a -> b -> c -> a"):
            test_no_import_cycle()
    finally:
        GRAPH = saved


def test_every_package_says_what_it_is_for():
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc.split()) > 15, f"{init} needs a docstring saying what the package is for"
        for sibling in init.parent.glob("*.py"):  # each module of the package is named in it
            if sibling.name != "__init__.py" and init.parent != PACKAGE:
                assert sibling.name in doc, f"{init} does not name {sibling.name}"


def test_the_library_never_imports_streamlit():
    everything = ", ".join(m for m in MODULES if m != "salt_core.__main__")
    code = f"import sys, {everything}; assert 'streamlit' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]


def test_importing_saved_runs_does_not_load_torch():
    code = "import sys, salt_core.runs, salt_core.runs.importers; assert 'torch' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]


def readme_section(title: str) -> str:
    """A section of the documentation (the README sends readers to docs/architecture.md for these)."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8") + "\n## end\n"
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, f"docs/architecture.md has no '## {title}' section"
    return match.group(1)


def test_the_readme_python_api_imports():
    """Every `from salt_core... import ...` line in the README's Python API section works."""
    section = readme_section("Python API")
    imports = re.findall(r"^from salt_core[\w.]* import [^\n]+", section, re.M)
    assert len(imports) >= 4
    code = "\n".join(imports)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_readme_layout_names_every_package():
    section = readme_section("Layout")
    for folder in [p.parent.name for p in PACKAGE.glob("*/__init__.py")] + ["pages/ui"]:
        assert f"{folder}/" in section, f"README's Layout does not name {folder}/"
    for module in PACKAGE.glob("*.py"):
        if module.name not in ("__init__.py", "__main__.py"):
            assert module.name in section, f"README's Layout does not name {module.name}"


@pytest.mark.parametrize("package", ["salt_core.models", "salt_core.substitutions", "salt_core.mixup", "salt_core.runs",
                                     "salt_core.training"])
def test_each_package_exports_resolve_and_shadow_no_module(package):
    """A re-exported name that is also a submodule's name would be replaced by the module once it is imported
    (`codeswitch` the function by `codeswitch.py`), so none may be."""
    import importlib
    import pkgutil

    module = importlib.import_module(package)
    submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
    assert not set(module.__all__) & submodules
    for name in module.__all__:
        assert getattr(module, name) is not None
