"""The Mixup page's figures."""

import pandas as pd


def test_projection_labels_are_short_and_layer_names_its_grey_points():
    import numpy as np

    from salt_core.mixup.figures import mixup_projection_figure

    reference = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.5], "role": ["source", "target", "neighbour"],
                              "label": ["h_s: Researchers", "h_t: كتاب", "tok"],
                              "hover": ["h_s: Researchers (first piece 'Res')", "h_t: كتاب", "tok"]})
    points = np.zeros((2, 2))
    figure = mixup_projection_figure(reference, points, points, points[:1], False, "tokens of both sentences at layer 3")
    names = [trace.name for trace in figure.data]
    assert "tokens of both sentences at layer 3" in names and "nearest vocabulary tokens" not in names
    texts = [t for trace in figure.data if trace.text is not None for t in trace.text]
    assert "\u2068h_t: كتاب\u2069" in texts and all(trace.cliponaxis is False for trace in figure.data if trace.text)


def test_the_r_histogram_bins_start_at_0_and_end_at_1_so_a_uniform_sampler_is_flat():
    import numpy as np

    from salt_core.mixup.figures import R_BINS, r_histogram

    values = np.random.default_rng(0).uniform(0, 1, 200_000)
    trace = r_histogram(values, False).data[0]
    assert (trace.xbins.start, trace.xbins.end, trace.xbins.size) == (0.0, 1.0, 1.0 / R_BINS)
    counts, _ = np.histogram(values, bins=np.linspace(trace.xbins.start, trace.xbins.end, R_BINS + 1))
    assert counts[0] > 0.9 * counts.mean() and counts[-1] > 0.9 * counts.mean()  # edge bins are full bins
