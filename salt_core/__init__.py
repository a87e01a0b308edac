"""salt_core: the library behind SALT Explorer (no streamlit in here). Read the packages' docstrings top-down:

    errors.py        the exception types every user-facing failure ends in
    files.py         text read with the line numbers users see; atomic writes; a writer's lock
    languages.py     language registry, codes and names; which vocabulary entries belong to a language
    text.py          words of a sentence, and which of them are eligible to be masked or replaced
    display.py       how figures show text: right-to-left labels, probabilities, the demo-model note
    models/          load a masked LM offline-first; the real offline encoder; tiny demo models
    substitutions/   SALT's offline step: mine substitutions (masked LM, or a similarity baseline), code-switch,
                     dictionaries and corpora, resumable corpus jobs, their figures
    mixup/           SALT's online step: r samplers and mix(), alignment, the training-time module, the page's
                     exploration helpers, figures
    runs/            saved runs: schema, identity, catalogue, importers, bundled reference, selection, scaling
                     fits and the answer, figures
    cli.py           the command line (python -m salt_core), thin

Arrows point down only: cli -> packages -> models -> text/languages -> files/errors (tests/test_layout.py).
Each package re-exports its public names lazily, so `import salt_core.runs` does not load torch.
"""

from __future__ import annotations

import importlib

from salt_core.errors import EmptyLanguageError, InputError, ModelLoadError, SaltError, UnknownLanguageError

__all__ = ["SaltError", "ModelLoadError", "UnknownLanguageError", "EmptyLanguageError", "InputError"]
__version__ = "0.1.0"


def lazy_exports(package: str, exports: dict[str, str]):
    """`__getattr__` and `__dir__` for a package that re-exports `exports` (name -> module) on first use."""

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
