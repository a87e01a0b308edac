"""Figures of the Experiments page: each run's learning curve, so a reader can see whether the baseline converged."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

CURVES = ("training loss", "source-dev accuracy")


def learning_curve_figure(curves: pd.DataFrame) -> go.Figure:
    """Training loss and source-dev accuracy against the optimisation step, one line per run, coloured by method;
    the chosen checkpoint of each run marked on its dev curve."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=CURVES, horizontal_spacing=0.1)
    methods = sorted(curves["method"].unique())
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]
    colour = {method: palette[i % len(palette)] for i, method in enumerate(methods)}
    shown = set()
    for (run, method), frame in curves.groupby(["run", "method"], sort=True):
        for column, name in enumerate(CURVES, start=1):
            points = frame[frame["curve"] == name].sort_values("step")
            if points.empty:
                continue
            figure.add_scatter(x=points["step"], y=points["value"], mode="lines+markers" if column == 2 else "lines",
                               line={"color": colour[method], "width": 1.5}, name=method, legendgroup=method,
                               showlegend=method not in shown, row=1, col=column,
                               hovertemplate=f"{run}<br>step %{{x}}: %{{y:.3f}}<extra>{method}</extra>")
            shown.add(method)
            if column == 2:
                chosen = points[points["step"] == frame["chosen_step"].iloc[0]]
                figure.add_scatter(x=chosen["step"], y=chosen["value"], mode="markers", showlegend=False,
                                   marker={"symbol": "star", "size": 12, "color": colour[method]}, row=1, col=2,
                                   hovertemplate=f"{run}<br>chosen checkpoint, step %{{x}}<extra>{method}</extra>")
    figure.update_xaxes(title_text="optimisation step")
    figure.update_yaxes(title_text="loss", row=1, col=1)
    figure.update_yaxes(title_text="accuracy (%)", row=1, col=2)
    figure.update_layout(height=360, legend_title="method", margin={"t": 40})
    return figure
