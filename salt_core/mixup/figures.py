"""Figures (plotly) of the Mixup page: where the mix falls, its cosines, the sampled r_j.
Every figure built from a demo model's output says so in its title."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from salt_core.display import demo_title, isolate

PLOT_PX = (900, 370)  # the projection's plot area, roughly, at the page's width
CHAR_PX, LINE_PX = 7.0, 14.0  # a label's character width and line height at plotly's default font
POSITIONS = ("top center", "bottom center", "middle right", "middle left")


def label_positions(x, y, labels: list[str], fixed: list[bool]) -> list[str | None]:
    """A text position per point such that no two labels overlap, or None (the label is left to the hover).

    Points marked `fixed` (h_s, h_t) are placed first, below their marker; the others in order (nearest first),
    each at the first of POSITIONS whose box collides with no placed box. Boxes are estimated in pixels of a
    PLOT_PX plot area; deeper layers crowd the neighbours together, which is where labels used to overlap."""
    import numpy as np

    x, y = np.asarray(x, float), np.asarray(y, float)
    span_x, span_y = (np.ptp(x) or 1.0), (np.ptp(y) or 1.0)
    px = (x - x.min()) / span_x * PLOT_PX[0]
    py = (y - y.min()) / span_y * PLOT_PX[1]
    placed, result = [], [None] * len(labels)

    def box(i: int, where: str):
        w, h = CHAR_PX * len(str(labels[i])) + 4, LINE_PX
        if where == "top center":
            return px[i] - w / 2, py[i] + 6, px[i] + w / 2, py[i] + 6 + h
        if where == "bottom center":
            return px[i] - w / 2, py[i] - 6 - h, px[i] + w / 2, py[i] - 6
        if where == "middle right":
            return px[i] + 6, py[i] - h / 2, px[i] + 6 + w, py[i] + h / 2
        return px[i] - 6 - w, py[i] - h / 2, px[i] - 6, py[i] + h / 2

    def free(b) -> bool:
        return all(b[2] <= o[0] or o[2] <= b[0] or b[3] <= o[1] or o[3] <= b[1] for o in placed)

    order = [i for i in range(len(labels)) if fixed[i]] + [i for i in range(len(labels)) if not fixed[i]]
    for i in order:
        for where in (("bottom center",) if fixed[i] else POSITIONS):
            b = box(i, where)
            if fixed[i] or free(b):
                placed.append(b)
                result[i] = where
                break
    return result


def mixup_projection_figure(reference: pd.DataFrame, cloud, path, current, is_demo: bool,
                            reference_name: str = "nearest vocabulary tokens") -> go.Figure:
    """2-D view: reference points (grey), h_s and h_t, a cloud of vector-r mixes, the scalar path, the current r.

    `reference` has columns x, y, label, role ("source", "target" or "neighbour") and optionally hover;
    cloud, path and current are (n, 2) arrays in the same projection. `reference_name` says what the grey
    points are (nearest vocabulary tokens at layer 0, the sentences' own tokens above it).
    """
    reference = reference.assign(label=reference["label"].map(isolate))
    hover = reference["hover"].map(isolate) if "hover" in reference else reference["label"]
    fig = go.Figure()
    grey = reference["role"] == "neighbour"
    neighbours = reference[grey]
    positions = label_positions(reference["x"].to_numpy(float), reference["y"].to_numpy(float),
                                list(reference["label"]), list(reference["role"] != "neighbour"))
    shown = [p for p, g in zip(positions, grey) if g]
    fig.add_scatter(x=neighbours["x"], y=neighbours["y"], mode="markers+text",
                    text=[label if p else "" for label, p in zip(neighbours["label"], shown)],
                    textposition=[p or "top center" for p in shown], cliponaxis=False,
                    customdata=neighbours["label"], marker=dict(color="#9ca3af", size=7), name=reference_name,
                    hovertemplate="%{customdata}<extra>" + reference_name + "</extra>")
    fig.add_scatter(x=cloud[:, 0], y=cloud[:, 1], mode="markers", marker=dict(color="#7c3aed", size=4, opacity=0.35),
                    name="mixes, random vector r", hoverinfo="skip")
    fig.add_scatter(x=path[:, 0], y=path[:, 1], mode="lines", line=dict(color="#111827", dash="dot"),
                    name="scalar r from 0 to 1", hoverinfo="skip")
    for role, colour in (("source", "#1d4ed8"), ("target", "#c2410c")):
        point = reference["role"] == role
        fig.add_scatter(x=reference.loc[point, "x"], y=reference.loc[point, "y"], mode="markers+text",
                        text=reference.loc[point, "label"], customdata=hover[point], textposition="bottom center",
                        cliponaxis=False, marker=dict(color=colour, size=14), name=f"h_{role[0]} ({role})",
                        hovertemplate="%{customdata}<extra></extra>")
    fig.add_scatter(x=[current[0, 0]], y=[current[0, 1]], mode="markers", name="mix at the chosen scalar r",
                    marker=dict(color="#111827", size=14, symbol="star"))
    fig.update_layout(title=demo_title(f"Where the mixed embedding falls (PCA fitted on the {reference_name}, h_s and "
                                   "h_t)", is_demo), height=520, xaxis_title="PC 1", yaxis_title="PC 2",
                      margin=dict(l=60, r=60, t=90, b=60))
    return fig


def cosine_figure(curve: pd.DataFrame, samples: pd.DataFrame, r: float, is_demo: bool) -> go.Figure:
    """Cosine of the mix to h_s and h_t: the scalar curve, and vector-r samples at their mean r."""
    fig = go.Figure()
    fig.add_scatter(x=curve["r"], y=curve["cos_to_source"], mode="lines", name="to h_s (scalar r)",
                    line=dict(color="#1d4ed8"))
    fig.add_scatter(x=curve["r"], y=curve["cos_to_target"], mode="lines", name="to h_t (scalar r)",
                    line=dict(color="#c2410c"))
    fig.add_scatter(x=samples["mean_r"], y=samples["cos_to_source"], mode="markers", name="to h_s (vector r)",
                    marker=dict(color="#1d4ed8", size=4, opacity=0.3))
    fig.add_scatter(x=samples["mean_r"], y=samples["cos_to_target"], mode="markers", name="to h_t (vector r)",
                    marker=dict(color="#c2410c", size=4, opacity=0.3))
    fig.add_vline(x=r, line_dash="dash", line_color="black")
    fig.update_layout(title=demo_title("Cosine similarity of the mix", is_demo), xaxis_title="r (mean r_j for vectors)",
                      yaxis_title="cosine", height=360)
    return fig


R_BINS = 40  # bins of width 1/40 from exactly 0 to exactly 1, so a uniform sampler looks flat at both edges


def r_histogram(values, is_demo: bool) -> go.Figure:
    fig = go.Figure()
    fig.add_histogram(x=values, xbins=dict(start=0.0, end=1.0, size=1.0 / R_BINS), autobinx=False,
                      marker_color="#7c3aed")
    fig.update_layout(title=demo_title("Sampled r_j", is_demo), xaxis_title="r_j", yaxis_title="count",
                      xaxis_range=[0, 1], height=360)
    return fig
