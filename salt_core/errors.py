"""Exception types of salt_core: every failure a user can cause ends in one of these.

Callers (the app, the CLI) catch `SaltError` and show its message; the message is written for the
person at the keyboard and says what to do next.
"""


class SaltError(Exception):
    """Base class: a problem the user can understand and fix."""


class ModelLoadError(SaltError):
    """A model could not be found, is not a masked LM, or has no mask token."""


class UnknownLanguageError(SaltError):
    """A language code that is not in the registry."""


class EmptyLanguageError(SaltError):
    """A language that has no tokens in the current tokenizer's vocabulary."""


class UncoveredLanguageError(EmptyLanguageError):
    """A language whose tokens the rules cannot tell from those of the languages sharing its script."""


class InputError(SaltError):
    """Unusable input: empty, malformed, wrong type, too large, undecodable."""
