"""Every third-party module that salt_core/, pages/ or app.py imports is declared: in requirements.txt, or in an
optional requirements file (requirements-<extra>.txt) and then imported inside `try ... except ImportError` so that
its absence ends in a message, not a traceback. A fresh `pip install -r requirements.txt` once lacked scipy, which
Scaling's Method vs baseline imports: CI had it only through a development dependency."""

import ast
import re
import sys
from importlib.metadata import packages_distributions

from tests.paths import ROOT

IMPORT_TO_DISTRIBUTION = {"language_data": "langcodes"}  # brought by langcodes[data], the extra requirements.txt names


def declared(path) -> set[str]:
    names = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[<>=!~;\s]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def third_party_imports():
    """(top-level module, file, line, guarded by `except ImportError`) for every import in the product."""
    distributions = packages_distributions()
    for path in [*ROOT.joinpath("salt_core").rglob("*.py"), *ROOT.joinpath("pages").rglob("*.py"), ROOT / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(
                    handler.type is not None and {"ImportError", "ModuleNotFoundError"} & {
                        n.id for n in ast.walk(handler.type) if isinstance(n, ast.Name)} for handler in node.handlers):
                guarded |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in ("salt_core", "pages", "tests"):
                    continue
                # every distribution that provides the module (mlflow: mlflow, mlflow-skinny, mlflow-tracing)
                names = [IMPORT_TO_DISTRIBUTION[top]] if top in IMPORT_TO_DISTRIBUTION else \
                    distributions.get(top) or [top]
                yield top, sorted({name.lower().replace("_", "-") for name in names}), \
                    f"{path.relative_to(ROOT)}:{node.lineno}", id(node) in guarded


def test_every_third_party_import_is_declared():
    required = declared(ROOT / "requirements.txt")
    optional = {path.name: declared(path) for path in ROOT.glob("requirements-*.txt") if path.name != "requirements-dev.txt"}
    problems = []
    for module, distributions, where, guarded in third_party_imports():
        if set(distributions) & required:
            continue
        extra = next((name for name, names in optional.items() if set(distributions) & names), None)
        if extra is None:
            problems.append(f"{where}: {module} ({', '.join(distributions)}) is in no requirements file")
        elif not guarded:
            problems.append(f"{where}: {module} is optional ({extra}) but not imported under `except ImportError`")
    assert problems == []


def test_the_check_sees_what_it_checks():
    found = {module for module, *_ in third_party_imports()}
    assert {"torch", "transformers", "streamlit", "scipy", "pandas", "ray", "datasets"} <= found
