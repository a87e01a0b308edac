"""Self-augmentation of the source training set: substitutes mined by the model itself (SALT), or looked up in a
bilingual dictionary (CoSDA-ML style, a baseline), turned into one code-switched version of each example.

Mining does not depend on the seed, so it is done once per experiment and cached beside its runs (a resumed or
repeated experiment reuses it); the code-switching draw does, and uses the run's seed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from salt_core.errors import InputError
from salt_core.files import atomic_write
from salt_core.languages import LANGUAGES, common_words
from salt_core.substitutions.codeswitching import CodeSwitched, CodeSwitchSettings, codeswitch
from salt_core.substitutions.mining import COLUMNS
from salt_core.text import Eligibility, ineligible_reason, segment_words
from salt_core.training.config import MAX_AUGMENT


def augmentation_languages(requested: tuple[str, ...], evaluated: list[str], source: str) -> list[str]:
    """Languages substitutes are mined in: those asked for, else the evaluated languages a miner can target
    (the registry's), at most MAX_AUGMENT, in the order given."""
    if requested:
        unknown = [code for code in requested if code not in LANGUAGES]
        if unknown:
            raise InputError(f"Substitutes can be mined in {', '.join(sorted(LANGUAGES))}; not in "
                             f"{', '.join(unknown)}.")
        return [code for code in requested if code != source]
    usable = [code for code in evaluated if code in LANGUAGES and code != source]
    return usable[:MAX_AUGMENT]


def cached_mining(mlm, sentences: list[str], source: str, targets: list[str], miner: str, folder: Path,
                  batch_size: int = 64) -> pd.DataFrame:
    """Mine `sentences` once per (model, sentences, languages, miner and its scoring); the table is cached in
    `folder`."""
    from salt_core.substitutions.similarity import mine, scoring

    scored_by = scoring(miner)
    identity = [mlm.name, sentences, source, targets, miner] + ([scored_by] if scored_by else [])
    key = hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest()[:16]
    path = Path(folder) / f"mined-{miner}-{key}.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    mined = mine(mlm, sentences, miner=miner, source=source, targets=targets, synonyms=False,
                 batch_size=batch_size)
    plain = mined.copy()
    plain.attrs = {}
    atomic_write(path, lambda tmp: plain.to_parquet(tmp, index=False))
    return plain


def dictionary_mined(sentences: list[str], dictionaries: dict[str, pd.DataFrame], source: str,
                     eligibility: Eligibility | None = None) -> pd.DataFrame:
    """A mined-substitutions table from dictionaries ({language: (source, target) pairs}): every eligible word
    the dictionary knows (lower-cased) gets each of its translations, all equally likely (CoSDA-ML's rule)."""
    eligibility = eligibility or Eligibility()
    lookup = {language: pairs.groupby(pairs["source"].str.lower())["target"].agg(list).to_dict()
              for language, pairs in dictionaries.items()}
    language = LANGUAGES[source]
    stopwords = frozenset(common_words(source, eligibility.stopword_count)) if eligibility.skip_stopwords else frozenset()
    rows = []
    for sentence_id, sentence in enumerate(sentences):
        for word_index, word in enumerate(segment_words(sentence)):
            if ineligible_reason(word, language, eligibility, stopwords):
                continue
            for target, table in lookup.items():
                translations = list(dict.fromkeys(table.get(word.text.lower(), [])))
                for rank, candidate in enumerate(translations, start=1):
                    rows.append({"sentence_id": sentence_id, "sentence": sentence, "word_index": word_index,
                                 "word": word.text, "start": word.start, "end": word.end, "n_pieces": 0,
                                 "windowed": False, "kind": "translation", "language": target, "rank": rank,
                                 "candidate": candidate, "token_id": -1, "p_restricted": 1.0 / len(translations),
                                 "p_full": float("nan"),
                                 "lang_mass": float("nan")})
    return pd.DataFrame(rows, columns=COLUMNS)


def codeswitched_examples(mined: pd.DataFrame, sentences: list[str], settings: CodeSwitchSettings,
                          seed: int) -> list[CodeSwitched]:
    """One code-switched version per sentence (the sentence itself where nothing passes the threshold), in the
    sentences' order; the draw uses `seed` (the run's)."""
    from dataclasses import replace

    switched = {r.sentence_id: r for r in codeswitch(mined, replace(settings, seed=seed))} if len(mined) else {}
    return [switched.get(i) or CodeSwitched(i, sentence, sentence, []) for i, sentence in enumerate(sentences)]


def spans(result: CodeSwitched) -> list[tuple[int, int, int, int]]:
    """The replacements of a code-switched sentence as (start, end, new_start, new_end), for `align`."""
    return [(r.start, r.end, r.new_start, r.new_end) for r in result.replacements]
