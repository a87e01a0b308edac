"""Substitutions: mine restricted-MLM candidates, inspect thresholds, produce code-switched text."""

import io
import json

import numpy as np
import streamlit as st

from pages import ui
from salt_core.codeswitch import (
    CodeSwitchSettings,
    codeswitch,
    count_words,
    dictionary_precision_recall,
    kept_substitutions,
    threshold_curve,
)
from salt_core.corpus import read_corpus, read_dictionary
from salt_core.mining import mine_substitutions
from salt_core.text import Eligibility
from salt_core.views import codeswitched_html, kept_curve_figure, precision_recall_figure, threshold_histogram

MAX_SENTENCES = 200  # the page is for looking; the CLI mines corpora
MAX_CHARS = 200_000  # the text area's hard limit; MAX_WORDS below gives the message
MAX_WORDS = 3_000  # each word is one masked forward pass: beyond this, use the CLI
EXAMPLE = "The cat sat on the mat.\nShe reads a good book every evening."


@st.cache_data(show_spinner=False, max_entries=32)
def mine(model_name: str, sentences: tuple, ids: tuple, source: str, targets: tuple, top_k: int, synonyms: bool,
         min_chars: int, skip_stopwords: bool):
    """Cached by its inputs: moving a threshold never reruns the model."""
    mined = mine_substitutions(ui.cached_model(model_name), list(sentences), source, list(targets), top_k,
                               synonyms=synonyms, sentence_ids=list(ids),
                               eligibility=Eligibility(min_chars=min_chars, skip_stopwords=skip_stopwords))
    return mined, mined.attrs["skipped"], mined.attrs["warnings"]


mlm = ui.model_page(
    "pages/substitutions.py", "Substitutions",
    "Mask each word, let the masked LM predict it restricted to a language's vocabulary, keep the predictions that "
    "pass a threshold, and code-switch. Thresholds, ratio and eligibility defaults are this project's assumptions: "
    "SALT's own values are not available.")

source, targets = st.session_state.get("source", "en"), tuple(st.session_state.get("targets") or ())
left, right = st.columns([3, 2])
with left:
    text = st.text_area("Sentences, one per line", EXAMPLE, key="text", bind="query-params", height=110,
                        max_chars=MAX_CHARS)
    upload = st.file_uploader("…or a small corpus", type=["txt", "csv", "tsv", "jsonl"],
                              help=".txt: one sentence per line; .csv/.tsv/.jsonl: a column named text or sentence")
with right:
    top_k = st.number_input("Candidates per word and language (top-k)", 1, 50, 5, key="k", bind="query-params")
    synonyms = st.checkbox("Also mine source-language synonyms", True, key="syn", bind="query-params")
    with st.expander("Which words are eligible"):
        min_chars = st.number_input("Minimum word length (spaced scripts)", 1, 10, 2, key="minc")
        skip_stopwords = st.checkbox("Skip the source language's 100 most frequent words", False, key="stop")

if upload is not None:
    corpus = read_corpus(upload.getvalue(), upload.name, max_sentences=MAX_SENTENCES)
    for problem in corpus.problems:
        st.warning(f"{upload.name}, line {problem['line']}: {problem['reason']} — skipped.")
    ids, sentences = corpus.sentence_ids, corpus.sentences
else:
    sentences = (text or "").splitlines()
    ids = list(range(1, len(sentences) + 1))
    if not any(s.strip() for s in sentences):
        st.info("Type a sentence (or upload a corpus) to mine substitutions.")
        st.stop()
    if len(sentences) > MAX_SENTENCES:
        st.error(f"{len(sentences):,} lines is more than this page mines at once ({MAX_SENTENCES}). Use "
                 "`python -m salt_core mine` for corpora.")
        st.stop()
if not targets and not synonyms:
    st.info("Pick at least one target language in the sidebar (or ask for synonyms).")
    st.stop()
n_words = sum(len(s.split()) for s in sentences if isinstance(s, str))
if n_words > MAX_WORDS:
    st.error(f"That is {n_words:,} words; this page mines at most {MAX_WORDS:,} at once (each word is one masked "
             "prediction). Use `python -m salt_core mine` for long texts and corpora.")
    st.stop()

with st.spinner("Mining …"):
    mined, skipped, warnings = mine(mlm.name, tuple(sentences), tuple(ids), source, targets, int(top_k), synonyms,
                                    int(min_chars), skip_stopwords)
for item in skipped:
    st.warning(f"Line {item['sentence_id']} not mined: {item['reason']}.")
for warning in warnings:
    st.warning(warning)
if mined.empty:
    st.info("Nothing to show: no eligible words were found.")
    st.stop()

st.subheader("Thresholds and code-switching")
c1, c2, c3, c4 = st.columns(4)
score = c1.radio("Threshold reads", ["p_restricted", "p_full"], key="score", bind="query-params",
                 help="p_restricted: softmax renormalised over the language's vocabulary; p_full: the model's "
                      "full softmax")
threshold = c2.slider("Translation threshold", 0.0, 1.0, 0.3, 0.001, format="%.3f", key="t", bind="query-params")
synonym_threshold = c2.slider("Synonym threshold", 0.0, 1.0, 0.5, 0.001, format="%.3f", key="ts",
                              bind="query-params", disabled=not synonyms)
ratio = c3.slider("Replacement ratio", 0.0, 1.0, 0.5, 0.05, key="ratio", bind="query-params",
                  help="share of the words with a kept candidate that get replaced")
seed = c4.number_input("Seed", 0, 2**31 - 1, 0, key="seed", bind="query-params")
settings = CodeSwitchSettings(threshold, synonym_threshold if synonyms else None, score, ratio, targets or None,
                              int(seed))
kept = kept_substitutions(mined, settings)
kept_translations = int((kept["kind"] == "translation").sum())
m1, m2, m3 = st.columns(3)
m1.metric("Words mined", count_words(mined))
m2.metric("Translations kept", kept_translations, help="candidates whose score passes the translation threshold")
m3.metric("Synonyms kept", int((kept["kind"] == "synonym").sum()))

results = codeswitch(mined, settings)
st.session_state["last_codeswitched"] = results[-1].to_dict() if results else None
for result in results:
    st.markdown(codeswitched_html(result), unsafe_allow_html=True)

st.subheader("Candidates")
sentence_ids = list(dict.fromkeys(mined["sentence_id"]))
first_text = mined.groupby("sentence_id", sort=False)["sentence"].first()
chosen = st.selectbox("Sentence", sentence_ids, format_func=lambda i: f"line {i}: {first_text[i][:80]}")
table = mined[mined["sentence_id"] == chosen].copy()
table["kept"] = table.index.isin(kept.index)
columns = list(dict.fromkeys(["word", "kind", "language", "rank", "candidate", score, "kept", "p_restricted",
                              "p_full", "lang_mass"]))
st.dataframe(table[columns], hide_index=True, width="stretch",
             column_config={score: st.column_config.ProgressColumn(score, min_value=0.0, max_value=1.0,
                                                                    format="%.4f")})

st.subheader("Threshold inspector")
grid = np.round(np.linspace(0, 1, 201), 3)
h1, h2 = st.columns(2)
h1.plotly_chart(threshold_histogram(mined, threshold, score, mlm.is_demo), width="stretch")
h2.plotly_chart(kept_curve_figure(threshold_curve(mined, grid, settings), threshold, score, mlm.is_demo),
                width="stretch")
dictionary_file = st.file_uploader("Bilingual dictionary (two columns: source word, target word) for precision "
                                   "and recall", type=["csv", "tsv", "txt"], key="dictionary")
if dictionary_file is not None:
    dictionary = read_dictionary(dictionary_file.getvalue(), dictionary_file.name)
    pr = dictionary_precision_recall(mined, dictionary, grid, settings)
    if pr["words_in_dictionary"].iloc[0] == 0:
        st.info("None of the mined words is in the dictionary's source column.")
    else:
        st.plotly_chart(precision_recall_figure(pr, threshold, mlm.is_demo), width="stretch")

st.subheader("Downloads")
d1, d2, d3 = st.columns(3)
plain = mined.copy()
plain.attrs = {}
parquet = io.BytesIO()
plain.to_parquet(parquet, index=False)
d1.download_button("Mined table (CSV)", plain.to_csv(index=False), "mined.csv", "text/csv")
d2.download_button("Mined table (Parquet)", parquet.getvalue(), "mined.parquet", "application/octet-stream")
d3.download_button("Code-switched corpus (JSONL)",
                   "".join(json.dumps(r.to_dict(), ensure_ascii=False, default=str) + "\n" for r in results),
                   "codeswitched.jsonl", "application/jsonl")
if mlm.is_demo:
    st.caption("Every number on this page comes from the demo model's random weights.")
