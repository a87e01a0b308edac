import pandas as pd
import pytest

from salt_core.codeswitch import CodeSwitched, Replacement
from salt_core.views import DEMO_NOTE, codeswitched_html, threshold_histogram


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


def test_right_to_left_labels_are_isolated_and_left_to_right_ones_untouched():
    from salt_core.views import isolate

    assert isolate("كتاب") == "\u2068كتاب\u2069" and isolate("ספר (he)").startswith("\u2068")
    assert isolate("Katze") == "Katze" and isolate("猫") == "猫"


def test_probability_text_never_rounds_to_zero():
    from salt_core.views import probability_text

    assert probability_text(0.41234) == "0.412" and probability_text(0.00213) == "0.00213"
    assert probability_text(1.87e-5) == "1.87e-05" and probability_text(0.0) == "0"


def test_projection_labels_are_short_and_layer_names_its_grey_points():
    import numpy as np

    from salt_core.views import mixup_projection_figure

    reference = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.5], "role": ["source", "target", "neighbour"],
                              "label": ["h_s: Researchers", "h_t: كتاب", "tok"],
                              "hover": ["h_s: Researchers (first piece 'Res')", "h_t: كتاب", "tok"]})
    points = np.zeros((2, 2))
    figure = mixup_projection_figure(reference, points, points, points[:1], False, "tokens of both sentences at layer 3")
    names = [trace.name for trace in figure.data]
    assert "tokens of both sentences at layer 3" in names and "nearest vocabulary tokens" not in names
    texts = [t for trace in figure.data if trace.text is not None for t in trace.text]
    assert "\u2068h_t: كتاب\u2069" in texts and all(trace.cliponaxis is False for trace in figure.data if trace.text)


@pytest.mark.skipif(not __import__("os").path.exists("/usr/bin/chromium"), reason="needs Debian's chromium")
def test_figures_export_as_png_and_svg_with_their_caption():
    from salt_core.views import figure_image, score_vs_data_figure, with_caption

    runs = pd.DataFrame({"pretraining_data": [1.0, 10.0, 100.0], "score": [50.0, 55.0, 60.0], "model": "m",
                         "params": [1e9] * 3, "language": ["sw", "de", "en"], "pretraining_data_unit": "GiB"})
    figure = with_caption(score_vs_data_figure(runs), "XNLI · zero-shot · 3 runs\nintervals: bootstrap over languages")
    png, svg = figure_image(figure, "png"), figure_image(figure, "svg")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert svg.lstrip().startswith(b"<svg") and b"bootstrap over languages" in svg


def test_zero_and_unknown_volumes_are_drawn_beside_the_log_axis_not_dropped():
    from salt_core.views import STRIP, score_vs_data_figure

    runs = pd.DataFrame({"pretraining_data": [0.0, 1.0, 10.0, 100.0], "score": [35.0, 50.0, 55.0, 60.0],
                         "model": "m", "params": 1e9, "language": ["qu", "sw", "de", "en"],
                         "pretraining_data_unit": "GiB"})
    unknown = runs.iloc[[1]].assign(pretraining_data=float("nan"), language="yo", score=40.0)
    figure = score_vs_data_figure(runs, unknown=unknown)
    strip = [t for t in figure.data if t.name == STRIP]
    assert len(strip) == 1 and strip[0].xaxis == "x2"
    assert list(strip[0].y) == [35.0, 40.0] and list(strip[0].text) == ["qu", "yo"]
    assert [c[2] for c in strip[0].customdata] == ["no pretraining data for this language", "volume unknown"]
    on_axis = [t for t in figure.data if t.name != STRIP and t.mode and "markers" in t.mode]
    assert all(min(t.x) > 0 for t in on_axis)  # nothing at 0 on the log axis
    faceted = score_vs_data_figure(runs.assign(task="XNLI"), facet="task", unknown=unknown)
    assert not [t for t in faceted.data if t.name == STRIP]  # the page lists them instead
