"""The Substitutions page's figures and HTML."""

import pandas as pd

from salt_core.display import DEMO_NOTE
from salt_core.substitutions.codeswitching import CodeSwitched, Replacement, threshold_curve
from salt_core.substitutions.figures import (
    codeswitched_html,
    kept_curve_figure,
    place_threshold,
    threshold_histogram,
)


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


def _mined(scores) -> pd.DataFrame:
    n = len(scores)
    return pd.DataFrame({"sentence_id": range(n), "word_index": [0] * n, "word": ["cat"] * n,
                         "kind": ["translation"] * n, "language": ["de"] * n, "rank": [1] * n,
                         "candidate": ["Katze"] * n, "p_restricted": scores})


def test_a_moved_threshold_line_is_the_line_a_figure_built_there_draws():
    """The page builds each figure once per table and moves its line: the moved figure must be the one it would
    have built at the new threshold, label included."""
    mined = _mined([0.1, 0.4, 0.8])
    moved = place_threshold(threshold_histogram(mined, 0.3, "p_restricted", False), 0.65)
    built = threshold_histogram(mined, 0.65, "p_restricted", False)
    assert moved.to_plotly_json() == built.to_plotly_json()
    curve = threshold_curve(mined, [0, 0.5, 1])
    moved = place_threshold(kept_curve_figure(curve, 0.3, "p_restricted", False), 0.7)
    assert moved.to_plotly_json() == kept_curve_figure(curve, 0.7, "p_restricted", False).to_plotly_json()


def test_the_data_revision_names_the_data_not_the_threshold():
    """Plotly.react skips re-binning when datarevision is unchanged: it must stay when only the line moves and
    change whenever any data array does."""
    mined = _mined([0.1, 0.4, 0.8])

    def revision(frame, threshold=0.3):
        return threshold_histogram(frame, threshold, "p_restricted", False).layout.datarevision

    assert revision(mined) == revision(mined, 0.9)
    assert revision(mined) != revision(_mined([0.1, 0.4, 0.81]))
    assert revision(mined) != revision(_mined([0.1, 0.4]))
