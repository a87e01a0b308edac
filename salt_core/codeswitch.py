"""Thresholds + ratio + seed -> code-switched sentences, from an already mined table (no model runs).

SALT keeps a mined substitution when its predicted probability is high enough (translations and
source-language synonyms have separate thresholds) and code-switches the training sentence with kept
substitutions. The paper's thresholds, ratio and sampling rule are not available to us, so they are
settings here; `CodeSwitchSettings` documents each default as this project's assumption.

Every replacement keeps the character spans of the original word in the source sentence and of the
substitute in the code-switched sentence, so source and target tokens can be aligned (the Mixup page).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pandas as pd

from salt_core.errors import InputError

SCORES = ("p_restricted", "p_full")


@dataclass(frozen=True)
class CodeSwitchSettings:
    translation_threshold: float = 0.3  # assumption: keep a translation whose score is >= this
    synonym_threshold: float | None = 0.5  # assumption; None: never substitute synonyms
    score: str = "p_restricted"  # which column the thresholds read: "p_restricted" or "p_full"
    ratio: float = 0.5  # assumption: share of words with a kept candidate that get replaced
    languages: tuple[str, ...] | None = None  # target languages to use; None: all mined
    seed: int = 0  # same seed, same output (each sentence draws from its own seeded generator)

    def validate(self) -> None:
        if self.score not in SCORES:
            raise InputError(f"score must be one of {SCORES}, not {self.score!r}.")
        thresholds = [self.translation_threshold] + ([self.synonym_threshold] if self.synonym_threshold is not None
                                                     else [])
        if any(not 0.0 <= t <= 1.0 for t in thresholds):
            raise InputError("Thresholds are probabilities: choose values between 0 and 1.")
        if not 0.0 <= self.ratio <= 1.0:
            raise InputError("The replacement ratio must be between 0 and 1.")


@dataclass
class Replacement:
    word_index: int
    start: int  # span of the original word in the source sentence
    end: int
    original: str
    substitute: str
    language: str
    kind: str  # "translation" or "synonym"
    probability: float  # the score the threshold read
    new_start: int = 0  # span of the substitute in the code-switched sentence
    new_end: int = 0


@dataclass
class CodeSwitched:
    sentence_id: object
    source: str
    codeswitched: str
    replacements: list[Replacement] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"sentence_id": self.sentence_id, "source": self.source, "codeswitched": self.codeswitched,
                "replacements": [vars(r) for r in self.replacements]}


REQUIRED = {"sentence_id", "sentence", "word_index", "word", "start", "end", "kind", "language", "candidate",
            "p_restricted", "p_full"}


def check_mined(mined: pd.DataFrame) -> None:
    missing = REQUIRED - set(mined.columns)
    if missing:
        raise InputError(f"This table is not a mined-substitutions table: it lacks {', '.join(sorted(missing))}.")


def kept_substitutions(mined: pd.DataFrame, settings: CodeSwitchSettings) -> pd.DataFrame:
    """The rows whose score passes the threshold of their kind (a pure filter of `mined`)."""
    settings.validate()
    check_mined(mined)
    score = mined[settings.score]
    is_translation = mined["kind"] == "translation"
    keep = is_translation & (score >= settings.translation_threshold)
    if settings.languages is not None:
        keep &= mined["language"].isin(settings.languages)
    if settings.synonym_threshold is not None:
        keep |= (mined["kind"] == "synonym") & (score >= settings.synonym_threshold)
    return mined[keep]


def _apply(sentence: str, chosen: list[Replacement]) -> str:
    pieces, cursor = [], 0
    for rep in sorted(chosen, key=lambda r: r.start):
        pieces.append(sentence[cursor:rep.start])
        rep.new_start = sum(len(p) for p in pieces)
        pieces.append(rep.substitute)
        rep.new_end = rep.new_start + len(rep.substitute)
        cursor = rep.end
    pieces.append(sentence[cursor:])
    return "".join(pieces)


def codeswitch(mined: pd.DataFrame, settings: CodeSwitchSettings | None = None) -> list[CodeSwitched]:
    """One code-switched version of every sentence in the table (unchanged when nothing is kept).

    Rule (this project's assumption): among the words with at least one kept candidate, replace
    round(ratio * n) of them, chosen uniformly; each chosen word takes one of its kept candidates,
    chosen uniformly. Sentences are independent: sentence k uses random.Random(f"{seed}:{k}").
    """
    settings = settings or CodeSwitchSettings()
    kept = kept_substitutions(mined, settings)
    results = []
    for sentence_id, rows in mined.groupby("sentence_id", sort=False):
        sentence = rows["sentence"].iloc[0]
        candidates = kept[kept["sentence_id"] == sentence_id]
        by_word = {index: group for index, group in candidates.groupby("word_index")}
        rng = random.Random(f"{settings.seed}:{sentence_id}")
        n_replace = int(settings.ratio * len(by_word) + 0.5)
        chosen = []
        for word_index in sorted(rng.sample(sorted(by_word), n_replace)):
            row = by_word[word_index].iloc[rng.randrange(len(by_word[word_index]))]
            chosen.append(Replacement(int(word_index), int(row["start"]), int(row["end"]), row["word"],
                                      row["candidate"], row["language"], row["kind"],
                                      float(row[settings.score])))
        results.append(CodeSwitched(sentence_id, sentence, _apply(sentence, chosen), chosen))
    return results


def count_words(rows: pd.DataFrame) -> int:
    """How many distinct (sentence, word) pairs the rows of a mined table cover."""
    return rows[["sentence_id", "word_index"]].drop_duplicates().shape[0]


def _translations(mined: pd.DataFrame, settings: CodeSwitchSettings) -> pd.DataFrame:
    """The translation rows of the chosen languages (all languages when none are chosen)."""
    translations = mined[mined["kind"] == "translation"]
    if settings.languages is not None:
        translations = translations[translations["language"].isin(settings.languages)]
    return translations


def threshold_curve(mined: pd.DataFrame, thresholds, settings: CodeSwitchSettings | None = None) -> pd.DataFrame:
    """How many substitutions (and words with one) survive as the translation threshold moves."""
    settings = settings or CodeSwitchSettings()
    translations = _translations(mined, settings)
    score = translations[settings.score]
    rows = []
    for t in thresholds:
        kept = translations[score >= t]
        rows.append({"threshold": float(t), "kept_substitutions": len(kept),
                     "words_with_a_substitution": count_words(kept)})
    return pd.DataFrame(rows)


def dictionary_precision_recall(mined: pd.DataFrame, dictionary: pd.DataFrame, thresholds,
                                settings: CodeSwitchSettings | None = None) -> pd.DataFrame:
    """Precision and recall of kept translations against a bilingual dictionary, per threshold.

    `dictionary` has columns `source` and `target` (case-insensitive). Only mined words that the
    dictionary knows count: precision = kept pairs found in the dictionary / kept pairs; recall = those
    words with at least one kept dictionary translation / those words.
    """
    settings = settings or CodeSwitchSettings()
    pairs = {(s.strip().lower(), t.strip().lower()) for s, t in zip(dictionary["source"], dictionary["target"])}
    known = {s for s, _ in pairs}
    translations = _translations(mined, settings)
    translations = translations[translations["word"].str.lower().isin(known)]
    correct = [(w.lower(), c.lower()) in pairs for w, c in zip(translations["word"], translations["candidate"])]
    translations = translations.assign(correct=correct)
    n_words = count_words(translations)
    rows = []
    for t in thresholds:
        kept = translations[translations[settings.score] >= t]
        hits = count_words(kept[kept["correct"]])
        rows.append({"threshold": float(t), "kept": len(kept),
                     "precision": kept["correct"].mean() if len(kept) else float("nan"),
                     "recall": hits / n_words if n_words else float("nan"), "words_in_dictionary": n_words})
    return pd.DataFrame(rows)
