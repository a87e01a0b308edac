"""Results a fragment's rerun would otherwise recompute from objects that have not changed.

`st.cache_data` hashes its arguments on every call: for a 20,000-row mined table that costs more than the
work it saves, on every threshold move. Within one full run the page's tables are the same Python objects
across the fragment's reruns, so an identity check (no hashing, no copy) tells whether a result still holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

T = TypeVar("T")
_HELD = "_salt_memo"
PLAIN = (bool, int, float, str, bytes, type(None))


def _same(held: tuple, inputs: tuple) -> bool:
    return len(held) == len(inputs) and all(
        a is b or (type(a) in PLAIN and type(a) is type(b) and a == b) for a, b in zip(held, inputs))


def memo(name: str, inputs: tuple, compute: Callable[[], T]) -> T:
    """compute()'s result, reused while `inputs` are the very same objects (or equal plain values) as the last
    call under `name` in this session; one result is kept per name."""
    held = st.session_state.get(_HELD, {}).get(name)
    if held is not None and _same(held[0], inputs):
        return held[1]
    result = compute()
    st.session_state.setdefault(_HELD, {})[name] = (inputs, result)
    return result
