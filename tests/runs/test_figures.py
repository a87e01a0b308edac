"""The Scaling page's figures and their export."""

import pandas as pd
import pytest


@pytest.mark.skipif(not __import__("os").path.exists("/usr/bin/chromium"), reason="needs Debian's chromium")
def test_figures_export_as_png_and_svg_with_their_caption():
    from salt_core.runs.figures import figure_image, score_vs_data_figure, with_caption

    runs = pd.DataFrame({"pretraining_data": [1.0, 10.0, 100.0], "score": [50.0, 55.0, 60.0], "model": "m",
                         "params": [1e9] * 3, "language": ["sw", "de", "en"], "pretraining_data_unit": "GiB"})
    figure = with_caption(score_vs_data_figure(runs), "XNLI · zero-shot · 3 runs\nintervals: bootstrap over languages")
    png, svg = figure_image(figure, "png"), figure_image(figure, "svg")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert svg.lstrip().startswith(b"<svg") and b"bootstrap over languages" in svg


def test_zero_and_unknown_volumes_are_drawn_beside_the_log_axis_not_dropped():
    from salt_core.runs.figures import STRIP, score_vs_data_figure

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
