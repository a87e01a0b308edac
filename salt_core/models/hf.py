"""Names from transformers, taken safely from any thread.

transformers is a lazy module: two threads that take a name from it for the first time at once can get
`ImportError: cannot import name 'BertConfig' from 'transformers'` (four threads doing `from transformers import
BertConfig` reproduce it). Streamlit runs every session's script in a thread of its own, so two sessions (or two
pages) meeting the offline model's conversion at once did. Every name salt_core takes from transformers comes
through `transformers_names`, which resolves it under one process-wide lock; once resolved, a name is a plain
attribute and the lock is held only for a dictionary look-up.

Loading is not thread-safe either: `from_pretrained` builds a model on torch's meta device inside a context that
holds for the whole process, so two loads at once (two sessions meeting the offline model) left one model with
meta tensors ("Cannot copy out of meta tensor"). Every model build or load runs inside `one_at_a_time()`.
"""

from __future__ import annotations

import importlib
import threading

_LOCK = threading.RLock()  # re-entrant: resolving a name may import modules that take names through here too


def transformers_names(*names: str, module: str = "transformers") -> tuple:
    """The named attributes of `module` (transformers or one of its submodules), in order."""
    with _LOCK:
        import transformers

        loaded = transformers if module == "transformers" else importlib.import_module(module)
        return tuple(getattr(loaded, name) for name in names)


def one_at_a_time() -> threading.RLock:
    """The context every model build or `from_pretrained` in this process runs in (the same lock)."""
    return _LOCK
