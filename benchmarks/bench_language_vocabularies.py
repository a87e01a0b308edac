"""Target vocabularies beyond the 23 hand-described languages: their rule, size and precision, and what mining costs.

For each language (issue 30), with the offline multilingual-e5-small's 250,002-entry vocabulary:

* rule and size: which evidence decided the language's word-initial entries (salt_core.languages) and how many;
* vocabulary precision, where an English -> X dictionary is installed (Debian FreeDict, as bench_substitution_quality
  reads them): of 300 random word-initial entries of at least 3 letters (seed 0), the share that are words of the
  dictionary's X side. A dictionary lists lemmas, not every inflection, so this is a lower bound; beside it the same
  share for 300 random same-script entries the rule left out, which is what the rule is worth over script alone;
* unmeasured languages (no dictionary here): 12 random entries and the best candidate the similarity miner gives
  for each word of three English sentences, printed so a reader can judge them; no number is claimed;
* mining cost: seconds the similarity miner takes for one more target language over N English sentences (SIB-200's
  English train split when ../shared is beside the checkout), once the model and the source side are loaded; the
  first use of a language also builds its vocabulary vectors (printed apart).

    python benchmarks/bench_language_vocabularies.py [--languages af,cy,...] [--unmeasured yo,quy,...]
        [--cost-languages de,yo,am] [--sentences 701]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402
from bench_substitution_quality import load_dictionary  # noqa: E402

from salt_core.errors import EmptyLanguageError  # noqa: E402
from salt_core.languages import get_language, language_vocabulary, text_scripts, vocabulary_entries  # noqa: E402
from salt_core.models.loading import load_masked_lm  # noqa: E402
from salt_core.models.offline import OFFLINE_MODEL  # noqa: E402
from salt_core.substitutions.similarity import mine_by_similarity  # noqa: E402

SAMPLE = 300
SENTENCES = ["The children are playing in the water.", "My mother cooks rice every evening.",
             "The government built a new school in the village."]
SIB200_EN = Path(__file__).resolve().parents[2] / "shared" / "data" / "sib200" / "eng_Latn" / "train.tsv"


def dictionary_words(dictionary: pd.DataFrame) -> set[str]:
    words = set()
    for target in dictionary["target"].astype(str):
        words.update(part.lower() for part in target.replace(",", " ").split() if part.isalpha())
    return words


def precision(tokenizer, code: str) -> dict:
    language = get_language(code)
    vocabulary = language_vocabulary(tokenizer, code)
    entries = {entry.token_id: entry for entry in vocabulary_entries(tokenizer)}
    row = {"language": code, "name": language.name, "rule": vocabulary.rule, "word-initial entries": len(vocabulary)}
    dictionary = load_dictionary(code)
    if dictionary is None:
        return row | {"precision": None, "outside": None, "dictionary": "none installed"}
    words = dictionary_words(dictionary)
    inside = set(vocabulary.initial_ids)
    scripts = set(language.scripts)

    def share(ids) -> float:
        ids = [i for i in ids if len(entries[i].surface) >= 3]
        sample = random.Random(0).sample(ids, min(SAMPLE, len(ids)))
        return sum(entries[i].surface.lower() in words for i in sample) / len(sample) if sample else float("nan")

    outside = [i for i, entry in entries.items() if entry.initial and entry.scripts and entry.scripts <= scripts
               and i not in inside]
    return row | {"precision": round(share(inside), 3), "outside": round(share(outside), 3),
                  "dictionary": f"{len(words):,} words"}


def unmeasured(mlm, code: str) -> None:
    try:
        vocabulary = language_vocabulary(mlm.tokenizer, code)
    except EmptyLanguageError as exc:
        print(f"\n{code}: refused: {exc}")
        return
    entries = {entry.token_id: entry for entry in vocabulary_entries(mlm.tokenizer)}
    sample = random.Random(0).sample(list(vocabulary.initial_ids), min(12, len(vocabulary)))
    print(f"\n{code} ({get_language(code).name}; {vocabulary.rule}; {len(vocabulary):,} entries), UNMEASURED")
    print("  random entries:", ", ".join(entries[i].surface for i in sample))
    mined = mine_by_similarity(mlm, SENTENCES, "en", [code], synonyms=False)
    best = mined[mined["rank"] == 1]
    for _, group in best.groupby("sentence_id", sort=True):
        print("  " + " ".join(f"{w}→{c}" for w, c in zip(group["word"], group["candidate"])))


def mining_cost(mlm, codes: list[str], n: int) -> pd.DataFrame:
    if SIB200_EN.is_file():
        frame = pd.read_csv(SIB200_EN, sep="\t")
        sentences, where = frame["text"].astype(str).tolist()[:n], "SIB-200 English train"
    else:
        sentences, where = (SENTENCES * (n // len(SENTENCES) + 1))[:n], "three sentences repeated"
    mine_by_similarity(mlm, sentences[:2], "en", ["de"], synonyms=False)  # warm: model, English side
    rows = []
    for code in codes:
        start = time.perf_counter()
        mine_by_similarity(mlm, sentences[:1], "en", [code], synonyms=False)  # first use: vectors
        first = time.perf_counter() - start
        start = time.perf_counter()
        mine_by_similarity(mlm, sentences, "en", [code], synonyms=False)
        rows.append({"language": code, "sentences": len(sentences), "source": where,
                     "vocabulary vectors s (once)": round(first, 1),
                     "mining s": round(time.perf_counter() - start, 1)})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default="af,cy,ga,lt,hr,da,fi,id,sv,hu,cs,de,fr,es")
    parser.add_argument("--unmeasured", default="yo,quy,wo,so,ha,am,km,ee")
    parser.add_argument("--cost-languages", default="de,yo,am")
    parser.add_argument("--sentences", type=int, default=701)
    parser.add_argument("--model", default=OFFLINE_MODEL)
    args = parser.parse_args()
    mlm = load_masked_lm(args.model)
    codes = [c for c in args.languages.split(",") if c]
    table = pd.DataFrame([precision(mlm.tokenizer, code) for code in codes])
    print(table.to_string(index=False))
    for code in [c for c in args.unmeasured.split(",") if c]:
        unmeasured(mlm, code)
    if args.cost_languages:
        print()
        print(mining_cost(mlm, [c for c in args.cost_languages.split(",") if c], args.sentences).to_string(index=False))
    assert text_scripts("コーヒー") == {"Katakana"}  # the scripts rule this report relies on


if __name__ == "__main__":
    main()
