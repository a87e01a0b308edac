"""The Substitutions page's figures and HTML."""

import pandas as pd

from salt_core.display import DEMO_NOTE
from salt_core.substitutions.codeswitching import CodeSwitched, Replacement
from salt_core.substitutions.figures import codeswitched_html, threshold_histogram


def test_codeswitched_html_escapes_hostile_text_and_marks_substitutes():
    rep = Replacement(1, 9, 12, "cat", "<b>Katze</b>", "de", "translation", 0.42, 9, 21)
    result = CodeSwitched(0, '<script>"x" cat', '<script>"<b>Katze</b>', [rep])
    html = codeswitched_html(result)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html and "&lt;b&gt;Katze&lt;/b&gt;" in html
    assert html.count("<mark") == 1 and "p = 0.4200" in html and "cat →" in html


def test_demo_figures_say_so():
    mined = pd.DataFrame({"sentence_id": [0], "word_index": [0], "word": ["cat"], "kind": ["translation"],
                          "language": ["de"], "rank": [1], "candidate": ["Katze"], "p_restricted": [0.5]})
    assert DEMO_NOTE in threshold_histogram(mined, 0.3, "p_restricted", is_demo=True).layout.title.text
    assert DEMO_NOTE not in threshold_histogram(mined, 0.3, "p_restricted", is_demo=False).layout.title.text
