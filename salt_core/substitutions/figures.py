"""Figures (plotly) and HTML of the Substitutions page: code-switched text, score histograms, kept and
precision/recall curves. Every figure built from a demo model's output says so in its title."""

from __future__ import annotations

import hashlib
import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from salt_core.display import demo_title
from salt_core.substitutions.codeswitching import CodeSwitched

KIND_COLOURS = {"translation": "#c2410c", "synonym": "#1d4ed8"}


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


def with_data_revision(fig: go.Figure) -> go.Figure:
    """Name the figure's data by a digest of its arrays (layout.datarevision). Plotly.react, which redraws a chart
    in the browser, then treats a later figure with the same digest as a layout change (the threshold line moved)
    and does not re-bin or re-lay every point; any change to the data changes the digest."""
    digest = hashlib.blake2b(digest_size=8)
    for trace in fig.data:
        for axis in ("x", "y"):
            values = getattr(trace, axis, None)
            digest.update(b"|" if values is None else np.asarray(values).tobytes())
    fig.layout.datarevision = digest.hexdigest()
    return fig


def score_label(miner: str, score: str) -> str:
    """What a score column holds, named for the reader: the similarity miner's `p_restricted` is a calibrated
    confidence that the candidate is right, not a probability over a restricted vocabulary as the masked LM's."""
    return "confidence" if miner == "similarity" and score == "p_restricted" else score


def best_scores(mined: pd.DataFrame, score: str) -> pd.DataFrame:
    """The best candidate's score per (sentence, word, kind, language)."""
    return mined[mined["rank"] == 1][["sentence_id", "word_index", "word", "kind", "language", "candidate", score]]


def threshold_histogram(mined: pd.DataFrame, threshold: float, score: str, is_demo: bool) -> go.Figure:
    """Distribution of best-candidate scores per language, with the threshold drawn on it."""
    best = best_scores(mined[mined["kind"] == "translation"], score)
    miners = set(mined["miner"]) if "miner" in mined.columns else {"mlm"}
    label = score_label(miners.pop() if len(miners) == 1 else "mlm", score)
    fig = go.Figure()
    for language, group in best.groupby("language"):
        fig.add_histogram(x=group[score], name=language, opacity=0.7, nbinsx=40,
                          hovertemplate=f"{language}: %{{y}} words with best {label} in %{{x}}<extra></extra>")
    fig.add_vline(x=threshold, line_dash="dash", line_color="black", annotation_text=f"threshold {threshold:g}")
    fig.update_layout(barmode="overlay", title=demo_title(f"Best translation candidate's {label}", is_demo),
                      xaxis_title=label, yaxis_title="words", legend_title="language", height=340)
    return with_data_revision(fig)


def kept_curve_figure(curve: pd.DataFrame, threshold: float, score: str, is_demo: bool,
                      log_counts: bool = False) -> go.Figure:
    """`score` is named as the axis shows it (score_label)."""
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
    fig.update_layout(title=demo_title("Survivors as the translation threshold moves", is_demo),
                      xaxis_title=f"threshold on {score}", yaxis_title="count" + (" (log scale)" if log_counts else ""),
                      yaxis_type="log" if log_counts else "linear", height=340)
    return with_data_revision(fig)


def place_threshold(fig: go.Figure, threshold: float) -> go.Figure:
    """Move the threshold line (and its label, where it has one) of a figure above to `threshold`, in place: the
    page builds each figure once per mined table and moves only its line as the slider moves."""
    fig.layout.shapes[0].update(x0=threshold, x1=threshold)
    if fig.layout.annotations:
        fig.layout.annotations[0].update(x=threshold, text=f"threshold {threshold:g}")
    return fig


def precision_recall_figure(pr: pd.DataFrame, threshold: float, is_demo: bool) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=pr["threshold"], y=pr["precision"], name="precision", mode="lines")
    fig.add_scatter(x=pr["threshold"], y=pr["recall"], name="recall", mode="lines")
    fig.add_vline(x=threshold, line_dash="dash", line_color="black")
    fig.update_layout(title=demo_title("Kept translations against your dictionary", is_demo), xaxis_title="threshold",
                      yaxis_title="share", yaxis_range=[0, 1.02], height=340)
    return with_data_revision(fig)
