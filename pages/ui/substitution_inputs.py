"""Substitutions' inputs: the sentences (typed or a small corpus), the miner and its settings, the target
languages the rules can give a vocabulary, the page's budget, and the mining itself (cached by its inputs)."""


from dataclasses import dataclass

import streamlit as st

from pages import ui
from salt_core.errors import SaltError
from salt_core.languages import DEFAULT_STRICTNESS, STRICTNESS, language_vocabulary
from salt_core.substitutions.codeswitching import (
    SIMILARITY_SYNONYMS_OFF,
    CodeSwitchSettings,
    default_synonyms,
)
from salt_core.substitutions.corpus import TEXT_COLUMNS, NoTextColumn, read_corpus
from salt_core.substitutions.mining import DEFAULT_TOP_K
from salt_core.substitutions.similarity import (
    MINER_LABELS,
    MINERS,
    SimilaritySettings,
    has_target_table,
    target_table,
)
from salt_core.substitutions.similarity import mine as run_miner
from salt_core.text import Eligibility, within_budget

MAX_SENTENCES = 200  # the page is for looking; the CLI mines corpora
MAX_CHARS = 200_000  # the text area's hard limit
URL_TEXT_LIMIT = 2_000  # longer texts are kept in the session, not written into the link
MAX_WORDS = 3_000  # each word is one masked prediction: beyond this, use the CLI
PER_PAGE = 10  # code-switched sentences shown at once
EXAMPLE = "The cat sat on the mat.\nShe reads a good book every evening."
DEFAULTS, ELIGIBLE = CodeSwitchSettings(), Eligibility()
SIMILARITY = SimilaritySettings()


@st.cache_data(show_spinner=False, max_entries=32)
def mine(model_name: str, miner: str, strictness: str, sentences: tuple, ids: tuple, source: str, targets: tuple,
         top_k: int, synonyms: bool, min_chars: int, skip_stopwords: bool):
    """Cached by its inputs: moving a threshold never reruns the model."""
    mined = run_miner(ui.cached_model(model_name), list(sentences), miner=miner, source=source,
                      targets=list(targets), top_k=top_k, synonyms=synonyms, sentence_ids=list(ids),
                      strictness=strictness,
                      eligibility=Eligibility(min_chars=min_chars, skip_stopwords=skip_stopwords))
    return mined, mined.attrs["skipped"], mined.attrs["warnings"]


def read_upload(upload):
    """The uploaded corpus, in the column the user picks where the file has none of the usual names (the picker
    stays on the page while it is in use: a widget that is not drawn loses its value)."""
    options = st.session_state.get("text_column_options")
    if options and options[0] != upload.file_id:  # a choice made for another file
        st.session_state.pop("text_column", None)
        options = None
    if options:
        st.selectbox("Text column", options[1], index=None, key="text_column", placeholder="Choose a column")
    try:
        return read_corpus(upload.getvalue(), upload.name, st.session_state.get("text_column"))
    except NoTextColumn as exc:
        st.session_state["text_column_options"] = (upload.file_id, exc.columns)
        if not options:
            st.rerun()
        st.info(ui.plain(f"{upload.name} has no column named {', '.join(TEXT_COLUMNS)}: pick the one that holds "
                         "the sentences."), icon=":material/table_rows:")
        st.stop()


def prepare_vectors(mlm, source: str, targets: tuple, strictness: str) -> None:
    """The similarity miner's first use of a language computes its vocabulary's vectors (up to ~30 s for a
    250k vocabulary): a progress bar per language rather than a bare spinner."""
    layer = SIMILARITY.validate(mlm)
    for code, kind in [(source, DEFAULT_STRICTNESS), *((t, strictness) for t in targets)]:
        if has_target_table(mlm, code, layer, kind):
            continue
        bar = st.progress(0.0, text=f"Vocabulary vectors of {ui.language_label(code)} (first use only) …")
        target_table(mlm, code, layer, strictness=kind, progress=lambda done, total, bar=bar, code=code: bar.progress(
            done / total, text=f"Vocabulary vectors of {ui.language_label(code)} (first use only): {done:,} of "
                               f"{total:,} entries"))
        bar.empty()


@dataclass
class Job:
    """What the page mines, and with what: everything the inspector below reads besides the table."""

    mlm: object
    offered: tuple
    miner: str
    strictness: str
    source: str
    targets: tuple
    top_k: int
    synonyms: bool
    args: tuple  # mine()'s arguments after the model, miner and strictness


def collect(mlm):
    """Draw the inputs, mine, and return (job, mined table); stops the page, saying why, when there is nothing to
    mine."""
    source, targets = st.session_state.get("source", "en"), tuple(st.session_state.get("targets") or ())
    offered = MINERS if mlm.has_mlm_head else ("similarity",)
    if not mlm.has_mlm_head:
        st.info(f"{ui.plain(mlm.label)} has no trained masked-LM head, so SALT's masked-LM miner cannot run. Candidates "
                "come from **embedding similarity**: the target-language vocabulary entries whose vectors are closest "
                "to the word's (in its sentence and alone). A dictionary-free baseline, **not SALT's method**.",
                icon=":material/info:")
    left, right = st.columns([3, 2])
    with left:
        # A long text stays in this session but out of the URL (a 20,000-word paste made a 130,000-character link):
        # the binding is decided before the widget is drawn, and a widget drawn unbound takes its parameter out of
        # the URL itself (st.query_params refuses to delete a parameter that is still bound to a widget).
        long_text = len(st.session_state.get("text") or "") > URL_TEXT_LIMIT
        text = st.text_area("Sentences, one per line", EXAMPLE, key="text", height=110, max_chars=MAX_CHARS,
                            bind=None if long_text else "query-params")
        if long_text:
            st.caption(f"This text is longer than {URL_TEXT_LIMIT:,} characters, so the link does not carry it: it is "
                       "kept in this session only. Share the file instead.")
        upload = st.file_uploader("…or a small corpus", type=["txt", "csv", "tsv", "jsonl"],
                                  help=".txt: one sentence per line; .csv/.tsv/.jsonl: a column named text or sentence")
    with right:
        if len(offered) > 1:
            # Options are the names themselves (a bound widget writes its label to the URL: miner=similarity)
            miner = st.radio("Candidates from", offered, key="miner", bind="query-params", horizontal=True,
                             captions=[MINER_LABELS[m] for m in offered],
                             help="Which miner's candidates are thresholded and code-switched below; both are "
                                  "compared side by side further down.")
        else:
            miner = offered[0]
        strictness = st.selectbox("Target vocabulary", list(STRICTNESS), index=list(STRICTNESS).index(DEFAULT_STRICTNESS),
                                  key="strict", bind="query-params",
                                  help="Many vocabulary entries are words of several languages ('Ray', 'Dual' count as "
                                       "German and English). 'exclusive' keeps only a language's own entries.")
        st.caption(STRICTNESS[strictness][0].upper() + STRICTNESS[strictness][1:] + ".")
        top_k = st.number_input("Candidates per word and language (top-k)", 1, 50, DEFAULT_TOP_K, key="k",
                                bind="query-params")
        # Each miner has its own default (and URL key): the similarity miner's synonyms were measured and are not
        # confident substitutes (SIMILARITY_SYNONYMS_OFF), SALT's masked LM mines them as the paper does.
        synonyms = st.checkbox("Also mine source-language synonyms", default_synonyms(miner),
                               key="syn" if miner == "mlm" else "syn_sim", bind="query-params",
                               help=SIMILARITY_SYNONYMS_OFF if miner == "similarity" else None)
        if miner == "similarity":
            st.caption("Synonyms are off by default for this miner: measured against WordNet, 16% of its best synonyms "
                       "are right and no threshold separates right from wrong (docs/mining.md).")
        with st.expander("Which words are eligible"):
            min_chars = st.number_input("Minimum word length (spaced scripts)", 1, 10, ELIGIBLE.min_chars, key="minc")
            skip_stopwords = st.checkbox(f"Skip the source language's {ELIGIBLE.stopword_count} most frequent words",
                                         ELIGIBLE.skip_stopwords, key="stop")

    if upload is not None:
        try:
            corpus = read_upload(upload)
        except SaltError as exc:
            st.error(ui.plain(exc))
            st.stop()
        for problem in corpus.problems[:20]:
            st.warning(ui.plain(f"{upload.name}, line {problem['line']}: {problem['reason']} — skipped."))
        if len(corpus.problems) > 20:
            st.warning(f"… and {len(corpus.problems) - 20} more problem lines.")
        ids, sentences = corpus.sentence_ids, corpus.sentences
    else:
        sentences = (text or "").splitlines()
        ids = list(range(1, len(sentences) + 1))
        if not any(s.strip() for s in sentences):
            st.info("Type a sentence (or upload a corpus) to mine substitutions.")
            st.stop()
    usable = []
    for code in targets:  # a language the rules cannot give a vocabulary is named with why, and the others are mined
        try:
            with st.spinner(f"Deciding which entries of the vocabulary are {ui.language_label(code)} (first use only) …"):
                language_vocabulary(mlm.tokenizer, code, strictness)
            usable.append(code)
        except SaltError as exc:
            st.error(ui.plain(exc))
    if len(usable) < len(targets) and not usable and not synonyms:
        st.stop()
    targets = tuple(usable)
    if not targets and not synonyms:
        st.info("Pick at least one target language in the sidebar (or ask for synonyms).")
        st.stop()
    budget = within_budget(sentences, MAX_SENTENCES, MAX_WORDS)
    if budget.taken == 0:
        st.error(f"The first sentence alone has {budget.words_left:,} words; this page mines at most {MAX_WORDS:,} "
                 "at once (each word is one masked prediction). Use `python -m salt_core mine` for long texts.")
        st.stop()
    if budget.left:
        st.warning(f"Mining the first {budget.taken:,} sentences ({budget.words:,} words); {budget.left:,} sentences "
                   f"({budget.words_left:,} words) were left out — this page mines at most {MAX_SENTENCES} sentences "
                   f"and {MAX_WORDS:,} words at once. Use `python -m salt_core mine` for the whole corpus.")
        ids, sentences = ids[:budget.taken], sentences[:budget.taken]

    job = (tuple(sentences), tuple(ids), source, targets, int(top_k), synonyms, int(min_chars), skip_stopwords)
    if "similarity" in offered:  # this page's miner, or the side-by-side comparison's
        try:
            prepare_vectors(mlm, source, targets, strictness)
        except SaltError:
            pass  # the miner itself says what is wrong (an empty vocabulary, an unknown language)
    with st.spinner("Mining …"):
        mined, skipped, warnings = mine(mlm.name, miner, strictness, *job)
    for item in skipped[:20]:
        st.warning(ui.plain(f"Line {item['sentence_id']} not mined: {item['reason']}."))
    if len(skipped) > 20:
        st.warning(f"… and {len(skipped) - 20} more lines not mined.")
    for warning in warnings:
        st.warning(ui.plain(warning))
    if mined.empty:
        st.info("Nothing to show: no eligible words were found.")
        st.stop()
    return Job(mlm, offered, miner, strictness, source, targets, int(top_k), synonyms, job), mined
