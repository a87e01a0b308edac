"""How any figure or table shows text and numbers: right-to-left labels, probabilities, the demo-model note.

Shared by the figures of every package (no streamlit here, so tests reach it).
"""

from __future__ import annotations

DEMO_NOTE = "<br><sup>demo model: random weights, the values mean nothing</sup>"

RTL_BIDI = {"R", "AL"}  # Unicode bidirectional classes of right-to-left letters (Arabic, Hebrew, ...)


def isolate(text: str) -> str:
    """Wrap text holding right-to-left letters in FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE, so a label
    such as "كتاب (ar)" keeps its own order and does not reorder the text around it."""
    import unicodedata

    text = str(text)
    if any(unicodedata.bidirectional(ch) in RTL_BIDI for ch in text):
        return "\u2068" + text + "\u2069"
    return text


def probability_text(p: float) -> str:
    """A probability with three significant digits (0.412, 0.00213, 1.87e-05): never a row of "0.000"."""
    return f"{p:.3f}" if p >= 0.1 else f"{p:.3g}"


def demo_title(text: str, is_demo: bool) -> str:
    return text + (DEMO_NOTE if is_demo else "")
