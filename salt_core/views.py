"""Figures (plotly) and HTML snippets that the pages show; no streamlit here, so tests can reach them.

Every figure built from a demo model's output says so in its title.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from salt_core.catalogue import size_label
from salt_core.codeswitch import CodeSwitched

DEMO_NOTE = "<br><sup>demo model: random weights, the values mean nothing</sup>"
KIND_COLOURS = {"translation": "#c2410c", "synonym": "#1d4ed8"}


RTL_BIDI = {"R", "AL"}  # Unicode bidirectional classes of right-to-left letters (Arabic, Hebrew, ...)


def isolate(text: str) -> str:
    """Wrap text holding right-to-left letters in FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE, so a label
    such as "كتاب (ar)" keeps its own order and does not reorder the text around it."""
    import unicodedata

    text = str(text)
    if any(unicodedata.bidirectional(ch) in RTL_BIDI for ch in text):
        return "\u2068" + text + "\u2069"
    return text


def probability_text(p: float) -> str:
    """A probability with three significant digits (0.412, 0.00213, 1.87e-05): never a row of "0.000"."""
    return f"{p:.3f}" if p >= 0.1 else f"{p:.3g}"


def _title(text: str, is_demo: bool) -> str:
    return text + (DEMO_NOTE if is_demo else "")


def codeswitched_html(result: CodeSwitched) -> str:
    """The code-switched sentence with each substitute marked; hovering shows the original and probability."""
    parts, cursor = [], 0
    text = result.codeswitched
    for rep in sorted(result.replacements, key=lambda r: r.new_start):
        parts.append(html.escape(text[cursor:rep.new_start]))
        tip = f"{rep.original} → {rep.substitute} ({rep.language}, {rep.kind}, p = {rep.probability:.4f})"
        colour = KIND_COLOURS.get(rep.kind, "#444")
        parts.append(f'<mark title="{html.escape(tip)}" style="background:{colour}22;border-bottom:2px solid '
                     f'{colour};padding:0 2px">{html.escape(rep.substitute)}</mark>')
        cursor = rep.new_end
    parts.append(html.escape(text[cursor:]))
    return '<div dir="auto" style="font-size:1.1rem;line-height:2">' + "".join(parts) + "</div>"


def best_scores(mined: pd.DataFrame, score: str) -> pd.DataFrame:
    """The best candidate's score per (sentence, word, kind, language)."""
    return mined[mined["rank"] == 1][["sentence_id", "word_index", "word", "kind", "language", "candidate", score]]


def threshold_histogram(mined: pd.DataFrame, threshold: float, score: str, is_demo: bool) -> go.Figure:
    """Distribution of best-candidate scores per language, with the threshold drawn on it."""
    best = best_scores(mined[mined["kind"] == "translation"], score)
    fig = go.Figure()
    for language, group in best.groupby("language"):
        fig.add_histogram(x=group[score], name=language, opacity=0.7, nbinsx=40,
                          hovertemplate=f"{language}: %{{y}} words with best {score} in %{{x}}<extra></extra>")
    fig.add_vline(x=threshold, line_dash="dash", line_color="black", annotation_text=f"threshold {threshold:g}")
    fig.update_layout(barmode="overlay", title=_title(f"Best translation candidate's {score}", is_demo),
                      xaxis_title=score, yaxis_title="words", legend_title="language", height=340)
    return fig


def kept_curve_figure(curve: pd.DataFrame, threshold: float, score: str, is_demo: bool,
                      log_counts: bool = False) -> go.Figure:
    """How many translation substitutions survive as the threshold moves (counts on a log axis if asked:
    zero counts are then left out of the lines rather than drawn at an invented floor)."""
    if log_counts:
        curve = curve.assign(**{c: curve[c].where(curve[c] > 0) for c in
                                ("kept_substitutions", "words_with_a_substitution")})
    fig = go.Figure()
    fig.add_scatter(x=curve["threshold"], y=curve["kept_substitutions"], name="substitutions kept", mode="lines")
    fig.add_scatter(x=curve["threshold"], y=curve["words_with_a_substitution"], name="words with one kept",
                    mode="lines")
    fig.add_vline(x=threshold, line_dash="dash", line_color="black")
    fig.update_layout(title=_title("Survivors as the translation threshold moves", is_demo),
                      xaxis_title=f"threshold on {score}", yaxis_title="count" + (" (log scale)" if log_counts else ""),
                      yaxis_type="log" if log_counts else "linear", height=340)
    return fig


def precision_recall_figure(pr: pd.DataFrame, threshold: float, is_demo: bool) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=pr["threshold"], y=pr["precision"], name="precision", mode="lines")
    fig.add_scatter(x=pr["threshold"], y=pr["recall"], name="recall", mode="lines")
    fig.add_vline(x=threshold, line_dash="dash", line_color="black")
    fig.update_layout(title=_title("Kept translations against your dictionary", is_demo), xaxis_title="threshold",
                      yaxis_title="share", yaxis_range=[0, 1.02], height=340)
    return fig


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
    fig.add_scatter(x=reference.loc[grey, "x"], y=reference.loc[grey, "y"], mode="markers+text",
                    text=reference.loc[grey, "label"], textposition="top center", cliponaxis=False,
                    marker=dict(color="#9ca3af", size=7), name=reference_name,
                    hovertemplate="%{text}<extra>" + reference_name + "</extra>")
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
    fig.update_layout(title=_title(f"Where the mixed embedding falls (PCA fitted on the {reference_name}, h_s and "
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
    fig.update_layout(title=_title("Cosine similarity of the mix", is_demo), xaxis_title="r (mean r_j for vectors)",
                      yaxis_title="cosine", height=360)
    return fig


def r_histogram(values, is_demo: bool) -> go.Figure:
    fig = go.Figure()
    fig.add_histogram(x=values, nbinsx=40, marker_color="#7c3aed")
    fig.update_layout(title=_title("Sampled r_j", is_demo), xaxis_title="r_j", yaxis_title="count",
                      xaxis_range=[0, 1], height=360)
    return fig


HOVER = ["run_id", "model", "language", "params", "pretraining_data", "pretraining_data_unit", "protocol", "origin",
         "source", "flags"]
YOURS = "your runs (uploaded)"


def _mark_uploads(fig: go.Figure, data: pd.DataFrame, x: str) -> None:
    """Ring the user's own runs (uploaded files) so they stand out beside the published ones."""
    from salt_core.selection import is_upload

    mine = data[is_upload(data)]
    if mine.empty:
        return
    fig.add_scatter(x=mine[x], y=mine["score"], mode="markers", name=YOURS,
                    marker=dict(size=17, color="rgba(0,0,0,0)", line=dict(width=2.5, color="#111827")),
                    # file and model names come from the user: escaped, so plotly renders no tag from them
                    customdata=mine[["origin", "model", "language"]].astype(str).map(html.escape).to_numpy(),
                    hovertemplate="%{customdata[0]}<br>%{customdata[1]} · %{customdata[2]}<br>score %{y:.1f}"
                                  "<extra>your run</extra>")


STRIP = "0 / unknown"


def _strip(fig: go.Figure, beside: pd.DataFrame) -> None:
    """Runs a log axis cannot hold (no data for the language, or volume unknown) in a narrow strip on the right,
    sharing the score axis, so they are seen rather than silently dropped."""
    fig.update_layout(xaxis=dict(domain=[0, 0.88]),
                      xaxis2=dict(domain=[0.91, 1.0], anchor="y", range=[-1, 1], tickvals=[0], ticktext=[STRIP],
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
    fig = px.scatter(data, x="pretraining_data", y="score", color="model", symbol="size", log_x=True,
                     hover_data=[c for c in HOVER if c in data.columns], facet_col=facet, text="language")
    for model, group in data.groupby("model"):
        if group["pretraining_data"].nunique() >= 3:
            slope, intercept = np.polyfit(np.log10(group["pretraining_data"].astype(float)), group["score"], 1)
            xs = np.logspace(np.log10(group["pretraining_data"].min()), np.log10(group["pretraining_data"].max()), 20)
            fig.add_scatter(x=xs, y=intercept + slope * np.log10(xs), mode="lines", showlegend=False,
                            line=dict(dash="dot", width=1), hoverinfo="skip", name=f"{model} trend",
                            legendgroup=model)
    fig.update_traces(textposition="top center", textfont_size=9, selector=dict(mode="markers+text"))
    _mark_uploads(fig, data, "pretraining_data")
    if len(beside) and facet is None:
        _strip(fig, beside)
    fig.update_layout(title=f"Score against the language's pretraining data ({unit}); dotted: OLS trend per model",
                      xaxis_title=f"pretraining data ({unit}, log scale)", yaxis_title="score", height=520)
    return fig


def score_vs_params_figure(runs: pd.DataFrame) -> go.Figure:
    """Score against parameters (log axis), one line per language."""
    import plotly.express as px

    data = runs.dropna(subset=["params"]).sort_values("params").assign(params=lambda d: d["params"].astype(float))
    origin = data["origin"].fillna("published") if "origin" in data else pd.Series("published", index=data.index)
    data = data.assign(series=data["language"].astype(str) + " · " + origin.astype(str))  # yours and published apart
    fig = px.line(data, x="params", y="score", color="language", line_group="series", log_x=True, markers=True,
                  hover_data=[c for c in HOVER if c in data.columns])
    _mark_uploads(fig, data, "params")
    fig.update_layout(title="Score against model size, one line per language", xaxis_title="parameters (log scale)",
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


def with_caption(fig: go.Figure, caption: str) -> go.Figure:
    """A copy of the figure with its caption (selection, fit, interval method) written under it, for export."""
    exported = go.Figure(fig)
    exported.add_annotation(text=html.escape(caption).replace("\n", "<br>"), xref="paper", yref="paper", x=0,
                            y=-0.22, xanchor="left", yanchor="top", showarrow=False, align="left",
                            font=dict(size=11, color="#374151"))
    exported.update_layout(margin=dict(b=170), height=(fig.layout.height or 520) + 120, width=1100)
    return exported


def figure_image(fig: go.Figure, fmt: str) -> bytes:
    """PNG or SVG of a figure, drawn by kaleido in a headless Chromium (the system's, never a downloaded one)."""
    import os

    from salt_core.errors import SaltError

    if fmt not in ("png", "svg"):
        raise SaltError(f"Export as png or svg, not {fmt!r}.")
    if "BROWSER_PATH" not in os.environ and os.path.exists(SYSTEM_CHROMIUM):
        os.environ["BROWSER_PATH"] = SYSTEM_CHROMIUM
    try:
        return fig.to_image(format=fmt, scale=2 if fmt == "png" else 1)
    except Exception as exc:  # noqa: BLE001 - no browser, or kaleido missing: say what to install
        raise SaltError(f"{fmt.upper()} export needs kaleido and a Chromium or Chrome on this machine (Debian: "
                        f"apt-get install chromium); the HTML download and the camera icon work without them. "
                        f"({type(exc).__name__})") from exc
