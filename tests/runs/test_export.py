"""Tables for a paper: booktabs LaTeX and captioned CSV."""

import io
import math

import pandas as pd

from salt_core.runs.export import answer_terms, captioned_csv, escape, latex_table


def test_latex_is_booktabs_with_its_caption_and_every_special_character_escaped():
    frame = pd.DataFrame({"language": ["en_US & co", "50% de"], "delta": [1.234, math.nan], "n": [3, 2]})
    tex = latex_table(frame, "SALT minus baseline; 95% Welch interval_ok #1", "tab:salt deltas",
                      {"delta": "+.1f"})
    lines = tex.splitlines()
    assert lines[0] == r"\begin{table}[t]" and lines[-1] == r"\end{table}"
    assert r"\caption{SALT minus baseline; 95\% Welch interval\_ok \#1}" in tex and r"\label{tab:salt-deltas}" in tex
    assert r"\begin{tabular}{lrr}" in tex
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    assert r"en\_US \& co & +1.2 & 3 \\" in tex and r"50\% de & --- & 2 \\" in tex  # NaN is a dash
    assert escape("a\\b{c}~^$") == r"a\textbackslash{}b\{c\}\textasciitilde{}\textasciicircum{}\$"


def test_csv_carries_its_caption_as_comments_and_reads_back():
    frame = pd.DataFrame({"language": ["de", "sw"], "score": [88.1, 70.0]})
    text = captioned_csv(frame, "Per-language scores\nprotocol: zero-shot")
    assert text.startswith("# Per-language scores\n# protocol: zero-shot\n")
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(text), comment="#"), frame)


def test_the_answer_cards_numbers_become_a_table():
    from salt_core.runs.scaling import answer
    from salt_core.runs.schema import reference_runs

    runs = reference_runs()
    xnli = runs[(runs["task"] == "XNLI") & (runs["metric"] == "accuracy") & (runs["method"] == "translate-train-all")
                & (runs["pretraining_data_unit"] == "GiB")]
    verdict = answer(xnli, n_boot=200)
    assert verdict.ok and list(verdict.table["quantity"]) == [
        "10x more pretraining data (points)", "10x more parameters (points)", "data worth doubling the model (x)"]
    assert (verdict.table["low"] <= verdict.table["estimate"]).all()
    assert (verdict.table["estimate"] <= verdict.table["high"]).all()
    assert f"{verdict.table['estimate'].iloc[0]:+.1f} points" in verdict.headline  # the card's own numbers
    terms = answer_terms(pd.DataFrame({"term": ["log10(data)"], "estimate": [1.0], "low": [0.5], "high": [1.5]}))
    assert list(terms.columns) == ["term", "estimate", "95% CI low", "95% CI high"]
