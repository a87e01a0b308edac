"""Figures (plotly) of the Scaling page: score against data and size, gains, method deltas; export with caption."""

from __future__ import annotations

import html
import os

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from salt_core.errors import SaltError
from salt_core.runs.catalogue import size_label
from salt_core.runs.selection import is_upload

MAX_LABELLED = 80  # points with a text label; more are named on hover only
MAX_LINE_COLOURS = 20  # languages coloured one by one in the size figure; more are coloured by family
HOVER = ["run_id", "model", "language", "language_name", "params", "pretraining_data", "pretraining_data_unit", "protocol", "origin",
         "source", "flags"]
YOURS = "your runs (uploaded or trained here)"


def _mark_uploads(fig: go.Figure, data: pd.DataFrame, x: str) -> None:
    """Ring the user's own runs (uploaded files) so they stand out beside the published ones."""
    mine = data[is_upload(data)]
    if mine.empty:
        return
    fig.add_scatter(x=mine[x], y=mine["score"], mode="markers", name=YOURS,
                    marker=dict(size=17, color="rgba(0,0,0,0)", line=dict(width=2.5, color="#111827")),
                    # file and model names come from the user: escaped, so plotly renders no tag from them
                    customdata=mine[["origin", "model", "language"]].astype(str).map(html.escape).to_numpy(),
                    hovertemplate="%{customdata[0]}<br>%{customdata[1]} · %{customdata[2]}<br>score %{y:.1f}"
                                  "<extra>your run</extra>")


STRIP = "languages with no volume (0 or unknown)"  # the strip's legend entry; its tick says "0 / unknown"


def _strip(fig: go.Figure, beside: pd.DataFrame) -> None:
    """Runs a log axis cannot hold (no data for the language, or volume unknown) in a narrow strip on the right,
    sharing the score axis, so they are seen rather than silently dropped."""
    fig.update_layout(xaxis=dict(domain=[0, 0.88]),
                      xaxis2=dict(domain=[0.91, 1.0], anchor="y", range=[-1, 1], tickvals=[0], ticktext=["0 / unknown"],
                                  showgrid=False, zeroline=False))
    why = np.where(beside["pretraining_data"].fillna(-1).astype(float) == 0, "no pretraining data for this language",
                   "volume unknown")
    jitter = np.random.default_rng(0).uniform(-0.6, 0.6, len(beside))  # fixed: the strip does not move on reruns
    labelled = len(beside) <= 20  # beyond that, labels pile up: the hover still names each run
    fig.add_scatter(x=jitter, y=beside["score"], xaxis="x2", yaxis="y", mode="markers+text" if labelled else "markers",
                    name=STRIP, text=beside["language"].astype(str), textposition="top center", textfont_size=9,
                    marker=dict(color="#9ca3af", size=8, symbol="diamond"),
                    customdata=np.column_stack([beside["model"].astype(str).map(html.escape),
                                                beside["language"].astype(str), why]),
                    hovertemplate="%{customdata[0]} · %{customdata[1]}<br>score %{y:.1f}<br>%{customdata[2]}"
                                  "<extra>beside the log axis</extra>")


def model_colours(models) -> dict[str, str]:
    """One colour per model, fixed by the sorted model names (markers and trend lines share it)."""
    import plotly.express as px

    palette = px.colors.qualitative.Plotly + px.colors.qualitative.D3
    return {model: palette[i % len(palette)] for i, model in enumerate(sorted(map(str, pd.unique(models))))}


def score_vs_data_figure(runs: pd.DataFrame, facet: str | None = None,
                         unknown: pd.DataFrame | None = None) -> go.Figure:
    """Score against pretraining data (log axis), one colour per model, an OLS trend line per model. Runs with
    zero data for their language, and `unknown` runs (volume not known), are drawn in a strip beside the axis
    (listed under the figure instead when it is faceted)."""
    import plotly.express as px

    volume = runs["pretraining_data"].astype(float)
    beside = pd.concat([runs[volume <= 0], unknown if unknown is not None else runs.iloc[0:0]], ignore_index=True)
    data = runs[volume > 0].assign(size=lambda d: d["params"].map(size_label))
    unit = ", ".join(map(str, data["pretraining_data_unit"].dropna().unique()))
    colours = model_colours(data["model"])
    labelled = len(data) <= MAX_LABELLED  # beyond that, labels pile up: the hover names every point
    fig = px.scatter(data, x="pretraining_data", y="score", color="model", symbol="size", log_x=True,
                     hover_data=[c for c in HOVER if c in data.columns], facet_col=facet,
                     text="language" if labelled else None, color_discrete_map=colours)
    for model, group in data.groupby("model"):
        if group["pretraining_data"].nunique() >= 3:
            slope, intercept = np.polyfit(np.log10(group["pretraining_data"].astype(float)), group["score"], 1)
            xs = np.logspace(np.log10(group["pretraining_data"].min()), np.log10(group["pretraining_data"].max()), 20)
            group_of = next((t.legendgroup for t in fig.data if t.name and t.name.split(",")[0] == model), model)
            # the trend is drawn in its model's colour and toggles with its model's legend entry
            fig.add_scatter(x=xs, y=intercept + slope * np.log10(xs), mode="lines", showlegend=False,
                            line=dict(dash="dot", width=1.5, color=colours[model]), hoverinfo="skip",
                            name=f"{model} trend", legendgroup=group_of)
    fig.update_traces(textposition="top center", textfont_size=9, selector=dict(mode="markers+text"))
    _mark_uploads(fig, data, "pretraining_data")
    if len(beside) and facet is None:
        _strip(fig, beside)
    fig.update_layout(title=f"Score against the language's pretraining data ({unit}); dotted: OLS trend per model",
                      xaxis_title=f"pretraining data ({unit}, log scale)", yaxis_title="score", height=520)
    return fig


def score_vs_params_figure(runs: pd.DataFrame) -> go.Figure:
    """Score against parameters (log axis), one line per language and model family."""
    import plotly.express as px

    data = runs.dropna(subset=["params"]).sort_values("params").assign(params=lambda d: d["params"].astype(float))
    origin = data["origin"].fillna("published") if "origin" in data else pd.Series("published", index=data.index)
    family = data["model_family"].fillna(data["model"]) if "model_family" in data else data["model"]
    # one line per language *within one family* (yours and published apart): sizes of different families are
    # different models, and a line across them draws a cliff that no model has
    data = data.assign(series=data["language"].astype(str) + " · " + family.astype(str) + " · " + origin.astype(str))
    many = data["language"].nunique() > MAX_LINE_COLOURS  # 205 legend entries help no one: colour by family
    fig = px.line(data.assign(model_family=family), x="params", y="score", color="model_family" if many else "language",
                  line_group="series", log_x=True, markers=True, hover_data=[c for c in HOVER if c in data.columns])
    if many:
        fig.update_traces(line=dict(width=0.8), opacity=0.45)
    _mark_uploads(fig, data, "params")
    fig.update_layout(title="Score against model size, one line per language within each family"
                            + (f" ({data['language'].nunique()} languages, coloured by family; hover names each)"
                               if many else ""),
                      xaxis_title="parameters (log scale)",
                      yaxis_title="score", height=460)
    return fig


def gain_figure(gains: pd.DataFrame, title_note: str = "") -> go.Figure:
    """Gain from the smallest to the largest model of a family, against the language's data volume."""
    import plotly.express as px

    data = gains.dropna(subset=["pretraining_data"])
    unit = ", ".join(map(str, data["pretraining_data_unit"].dropna().unique()))
    fig = px.scatter(data, x="pretraining_data", y="gain", color="model_family", text="language", log_x=True,
                     hover_data=["small_model", "large_model", "task", "method"])
    fig.update_traces(textposition="top center")
    fig.add_hline(y=0, line_color="#9ca3af")
    fig.update_layout(title=f"Gain from scaling the model, against data volume {title_note}",
                      xaxis_title=f"pretraining data ({unit}, log scale)", yaxis_title="points gained", height=420)
    return fig


def settings_figure(runs: pd.DataFrame) -> go.Figure:
    """Every setting of one task side by side, never pooled: each model's mean score over the languages it was
    measured on, against its size, one panel per method, lines within a family."""
    import plotly.express as px

    data = runs.dropna(subset=["params"]).groupby(["method", "model_family", "model", "params"], as_index=False).agg(
        score=("score", "mean"), languages=("language", "nunique"), source=("source", "first"))
    data = data.sort_values("params").assign(params=lambda d: d["params"].astype(float))
    fig = px.line(data, x="params", y="score", color="model_family", facet_col="method", facet_col_wrap=1, log_x=True,
                  markers=True, hover_data=["model", "languages", "source"])
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=", 1)[-1]))
    fig.update_layout(title="Mean score over languages against model size, per setting (each panel its own method)",
                      height=260 * max(1, data["method"].nunique()) + 80, showlegend=True)
    fig.update_yaxes(title="mean score")
    fig.update_xaxes(title="parameters (log scale)")
    return fig


def delta_volume_figure(deltas: pd.DataFrame) -> go.Figure:
    """Method minus baseline per language against the language's pretraining volume (one colour per model)."""
    import plotly.express as px

    data = deltas.dropna(subset=["pretraining_data"])
    data = data[data["pretraining_data"].astype(float) > 0]
    unit = ", ".join(map(str, data["pretraining_data_unit"].dropna().unique()))
    fig = px.scatter(data, x="pretraining_data", y="delta", color="model", log_x=True, text="language",
                     hover_data=["method", "baseline", "n", "baseline_n"])
    fig.update_traces(textposition="top center", textfont_size=9)
    fig.add_hline(y=0, line_color="#9ca3af")
    fig.update_layout(title="Method minus baseline per language, against the language's pretraining data",
                      xaxis_title=f"pretraining data ({unit}, log scale)", yaxis_title="points", height=420)
    return fig


def delta_figure(deltas: pd.DataFrame) -> go.Figure:
    """Method minus baseline per language, one bar per model, with 95% error bars where seeds allow them."""
    import plotly.express as px

    data = deltas.assign(error_plus=deltas["high"] - deltas["delta"], error_minus=deltas["delta"] - deltas["low"])
    fig = px.bar(data, x="language", y="delta", color="model", barmode="group", error_y="error_plus",
                 error_y_minus="error_minus", hover_data=["method", "baseline", "score", "baseline_score", "n",
                                                          "baseline_n"])
    fig.add_hline(y=0, line_color="#9ca3af")
    fig.update_layout(title="Method minus baseline, per language (mean over seeds; bars: 95% interval where a side "
                            "has two or more seeds)", yaxis_title="points", height=380)
    return fig


SYSTEM_CHROMIUM = "/usr/bin/chromium"


CAPTION_CHARACTERS = 150  # per line at 11 px in an 1,100 px wide export (plotly does not wrap annotations)


def with_caption(fig: go.Figure, caption: str) -> go.Figure:
    """A copy of the figure with its caption (selection, fit, interval method) written under it, for export;
    the caption is wrapped to the export's width and the figure grows by its lines (it was cut at the edge)."""
    import textwrap

    lines = [wrapped for paragraph in caption.split("\n")
             for wrapped in textwrap.wrap(paragraph, CAPTION_CHARACTERS, break_long_words=True) or [""]]
    exported = go.Figure(fig)
    body = (fig.layout.height or 520)
    exported.add_annotation(text="<br>".join(html.escape(line) for line in lines), xref="paper", yref="paper", x=0,
                            y=0, yshift=-60, xanchor="left", yanchor="top", showarrow=False, align="left",
                            font=dict(size=11, color="#374151"))
    exported.update_layout(margin=dict(b=80 + 16 * len(lines)), height=body + 16 * len(lines), width=1100)
    return exported


def figure_image(fig: go.Figure, fmt: str) -> bytes:
    """PNG, SVG or PDF of a figure, drawn by kaleido in a headless Chromium (the system's, never a downloaded one)."""
    if fmt not in ("png", "svg", "pdf"):
        raise SaltError(f"Export as png, svg or pdf, not {fmt!r}.")
    if "BROWSER_PATH" not in os.environ and os.path.exists(SYSTEM_CHROMIUM):
        os.environ["BROWSER_PATH"] = SYSTEM_CHROMIUM
    try:
        return fig.to_image(format=fmt, scale=2 if fmt == "png" else 1)
    except Exception as exc:  # noqa: BLE001 - no browser, or kaleido missing: say what to install
        raise SaltError(f"{fmt.upper()} export needs kaleido and a Chromium or Chrome on this machine (Debian: "
                        f"apt-get install chromium); the HTML download and the camera icon work without them. "
                        f"({type(exc).__name__})") from exc
