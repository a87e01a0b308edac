"""salt_core: the library behind SALT Explorer (no streamlit in here).

Modules, one idea each:
    errors      exception types every user-facing failure ends in
    languages   language registry; which token ids of a tokenizer belong to a language
    tiny        tiny random-weight masked LMs with a real multilingual tokenizer, built offline
    models      load a Hugging Face masked LM offline-first
"""

from salt_core.errors import EmptyLanguageError, InputError, ModelLoadError, SaltError, UnknownLanguageError

__all__ = ["SaltError", "ModelLoadError", "UnknownLanguageError", "EmptyLanguageError", "InputError"]
__version__ = "0.1.0"
