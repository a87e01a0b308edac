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


def test_crowded_neighbour_labels_never_overlap_and_the_rest_stay_in_the_hover():
    import numpy as np

    from salt_core.mixup.figures import CHAR_PX, LINE_PX, PLOT_PX, label_positions, mixup_projection_figure

    rng = np.random.default_rng(0)
    x = np.concatenate([[0.0, 10.0], rng.normal(5, 0.3, 40)])  # deeper layers: neighbours crowd together
    y = np.concatenate([[0.0, 10.0], rng.normal(5, 0.3, 40)])
    labels = ["h_s: cat", "h_t: Katze"] + [f"word{i}" for i in range(40)]
    fixed = [True, True] + [False] * 40
    positions = label_positions(x, y, labels, fixed)
    assert positions[:2] == ["bottom center", "bottom center"] and 0 < sum(p is not None for p in positions[2:]) < 40

    # the slow check: every pair of placed boxes, computed again here from the same geometry
    px, py = (x - x.min()) / np.ptp(x) * PLOT_PX[0], (y - y.min()) / np.ptp(y) * PLOT_PX[1]
    offsets = {"top center": (0.5, 6, 1), "bottom center": (0.5, -6, -1)}
    boxes = []
    for i, p in enumerate(positions):
        if p is None:
            continue
        w = CHAR_PX * len(labels[i]) + 4
        if p in offsets:
            left = px[i] - w / 2
            low = py[i] + 6 if p == "top center" else py[i] - 6 - LINE_PX
        else:
            left = px[i] + 6 if p == "middle right" else px[i] - 6 - w
            low = py[i] - LINE_PX / 2
        boxes.append((left, low, left + w, low + LINE_PX))
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            p, q = boxes[a], boxes[b]
            assert p[2] <= q[0] or q[2] <= p[0] or p[3] <= q[1] or q[3] <= p[1], (a, b)

    reference = pd.DataFrame({"x": x, "y": y, "label": labels, "role": ["source", "target"] + ["neighbour"] * 40})
    points = np.zeros((2, 2))
    figure = mixup_projection_figure(reference, points, points, points[:1], False)
    grey = next(t for t in figure.data if t.name == "nearest vocabulary tokens")
    assert list(grey.customdata) == labels[2:]  # every neighbour keeps its label in the hover
    assert sum(bool(t) for t in grey.text) == sum(p is not None for p in positions[2:])
