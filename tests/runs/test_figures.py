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
    pdf = figure_image(figure, "pdf")  # for a paper: it opens (a PDF header and trailer) and has a page
    import re

    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_a_long_caption_is_wrapped_to_the_export_and_the_figure_grows_with_it():
    from salt_core.runs.figures import CAPTION_CHARACTERS, score_vs_data_figure, with_caption

    runs = pd.DataFrame({"pretraining_data": [1.0, 10.0], "score": [50.0, 55.0], "model": "m", "params": 1e9,
                         "language": ["sw", "de"], "pretraining_data_unit": "GiB"})
    caption = "families drawn: " + ", ".join(f"family-{i}" for i in range(60)) + "\nsecond paragraph"
    short, long = with_caption(score_vs_data_figure(runs), "one line"), with_caption(score_vs_data_figure(runs), caption)
    lines = long.layout.annotations[-1].text.split("<br>")
    assert len(lines) >= 4 and all(len(line) <= CAPTION_CHARACTERS for line in lines)  # wrapped, none cut
    assert " ".join(lines).replace("  ", " ").startswith("families drawn: family-0, family-1") and lines[-1] == \
        "second paragraph"
    assert long.layout.height > short.layout.height and long.layout.margin.b > short.layout.margin.b


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


def _two_families():
    rows = []
    for model, family, params, base in (("mBERT", "mBERT", 172e6, 60), ("XLM-R Base", "XLM-R", 250e6, 70),
                                        ("XLM-R Large", "XLM-R", 560e6, 78), ("XLM-100", "XLM", 570e6, 55)):
        for i, (language, volume) in enumerate((("sw", 1.6), ("ur", 5.7), ("de", 66.6), ("en", 300.8))):
            rows.append({"model": model, "model_family": family, "params": params, "language": language,
                         "score": base + 3 * i, "pretraining_data": volume, "pretraining_data_unit": "GiB"})
    return pd.DataFrame(rows)


def test_trend_lines_wear_their_models_colour_and_legend_group():
    from salt_core.runs.figures import score_vs_data_figure

    figure = score_vs_data_figure(_two_families())
    markers = {t.name.split(",")[0]: t for t in figure.data if t.mode and "markers" in t.mode}
    trends = [t for t in figure.data if t.name and t.name.endswith(" trend")]
    assert len(trends) == 4
    for trend in trends:
        model = trend.name.removesuffix(" trend")
        assert trend.line.color == markers[model].marker.color and trend.legendgroup == markers[model].legendgroup


def test_size_lines_join_sizes_within_one_family_only():
    from salt_core.runs.figures import score_vs_params_figure

    runs = _two_families()
    figure = score_vs_params_figure(runs)
    family_of = dict(zip(runs["params"], runs["model_family"]))
    lines = [t for t in figure.data if t.mode and "lines" in t.mode]
    assert lines and all(len({family_of[x] for x in t.x}) == 1 for t in lines)
    assert any(len(t.x) == 2 for t in lines)  # XLM-R Base -> Large is still one line
