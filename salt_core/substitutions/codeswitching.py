"""Thresholds + ratio + seed -> code-switched sentences, from an already mined table (no model runs).

SALT keeps a mined substitution when its predicted probability is high enough (translations and
source-language synonyms have separate thresholds) and code-switches the training sentence with kept
substitutions. The paper's thresholds, ratio and sampling rule are not available to us, so they are
settings here; `CodeSwitchSettings` documents each default as this project's assumption.

Every replacement keeps the character spans of the original word in the source sentence and of the
substitute in the code-switched sentence, so source and target tokens can be aligned (the Mixup page).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salt_core.errors import InputError

SCORES = ("p_restricted", "p_full")
SIMILARITY_THRESHOLD = 0.5  # the similarity miner's default: its calibrated confidence, more likely right than wrong


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
    check_columns(mined.columns)


def check_columns(columns) -> None:
    """Refuse a table whose columns are not a mined table's (before any of its rows is read)."""
    missing = REQUIRED - set(columns)
    if missing:
        raise InputError(f"This table is not a mined-substitutions table: it lacks {', '.join(sorted(missing))}.")


def row_problems(mined: pd.DataFrame) -> tuple[pd.Series, int, int]:
    """Which rows of a mined table can be used (scores are numbers in [0, 1]; each word's span lies inside its
    sentence and spells the word), and how many fail the score and the span rule."""
    check_mined(mined)
    p_restricted = pd.to_numeric(mined["p_restricted"], errors="coerce")
    p_full = pd.to_numeric(mined["p_full"], errors="coerce")
    starts, ends = pd.to_numeric(mined["start"], errors="coerce"), pd.to_numeric(mined["end"], errors="coerce")
    # p_full does not exist for the similarity miner (NaN there); p_restricted always does
    scores_ok = p_restricted.between(0, 1) & (p_full.between(0, 1) | p_full.isna())
    spans_ok = pd.Series([isinstance(s, str) and isinstance(w, str) and a == a and b == b and 0 <= a <= b <= len(s)
                          and s[int(a):int(b)] == w
                          for s, w, a, b in zip(mined["sentence"], mined["word"], starts, ends)], index=mined.index,
                         dtype=bool)
    return scores_ok & spans_ok, int((~scores_ok).sum()), int((~spans_ok).sum())


def problem_messages(bad_scores: int, bad_spans: int) -> list[str]:
    problems = []
    if bad_scores:
        problems.append(f"{bad_scores} rows have a score that is not a probability; left out")
    if bad_spans:
        problems.append(f"{bad_spans} rows have a word span outside their sentence (or one that does not spell the "
                        "word); left out")
    return problems


def clean_mined(mined: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The rows of a mined table read from a file that can be used (see `row_problems`), and, in words, what was
    dropped (a bad table must never write text taken from outside a sentence)."""
    keep, bad_scores, bad_spans = row_problems(mined)
    mined = mined.copy()
    for column in ("p_restricted", "p_full"):
        mined[column] = pd.to_numeric(mined[column], errors="coerce")
    starts, ends = pd.to_numeric(mined["start"], errors="coerce"), pd.to_numeric(mined["end"], errors="coerce")
    cleaned = mined[keep].assign(start=starts[keep].astype(int), end=ends[keep].astype(int))
    return cleaned, problem_messages(bad_scores, bad_spans)


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


def apply_replacements(sentence: str, chosen: list[Replacement]) -> str:
    pieces, cursor = [], 0
    for rep in sorted(chosen, key=lambda r: r.start):
        pieces.append(sentence[cursor:rep.start])
        rep.new_start = sum(len(p) for p in pieces)
        pieces.append(rep.substitute)
        rep.new_end = rep.new_start + len(rep.substitute)
        cursor = rep.end
    pieces.append(sentence[cursor:])
    return "".join(pieces)


def kept_by_sentence(mined: pd.DataFrame, settings: CodeSwitchSettings) -> dict[object, dict[int, list[dict]]]:
    """The kept candidates, grouped once: sentence -> word index -> candidate rows (table order). A candidate that
    is the word itself ("cat" offered as German) substitutes nothing: it may be right (a name), but a sentence
    "code-switched" by it is unchanged and would claim a switch that did not happen, so it is left out here."""
    kept = kept_substitutions(mined, settings)
    kept = kept[kept["candidate"].astype(str).str.lower() != kept["word"].astype(str).str.lower()]
    # Grouping once (not filtering the table per sentence, which made a threshold move at 200 sentences 0.7 s)
    by_sentence: dict[object, dict[int, list[dict]]] = {}
    columns = ["sentence_id", "word_index", "start", "end", "word", "candidate", "language", "kind", settings.score]
    for row in kept[columns].to_dict("records"):
        by_sentence.setdefault(row["sentence_id"], {}).setdefault(row["word_index"], []).append(row)
    return by_sentence


def switch_sentence(sentence_id, sentence: str, by_word: dict[int, list[dict]], settings: CodeSwitchSettings,
                    rng: random.Random) -> CodeSwitched:
    """One draw of one sentence (the rule in `codeswitch`), from its kept candidates and a random generator."""
    n_replace = int(settings.ratio * len(by_word) + 0.5)
    chosen = []
    for word_index in sorted(rng.sample(sorted(by_word), n_replace)):
        rows = by_word[word_index]
        row = rows[rng.randrange(len(rows))]
        chosen.append(Replacement(int(word_index), int(row["start"]), int(row["end"]), row["word"],
                                  row["candidate"], row["language"], row["kind"], float(row[settings.score])))
    return CodeSwitched(sentence_id, sentence, apply_replacements(sentence, chosen), chosen)


def codeswitch(mined: pd.DataFrame, settings: CodeSwitchSettings | None = None) -> list[CodeSwitched]:
    """One code-switched version of every sentence in the table (unchanged when nothing is kept).

    Rule (this project's assumption): among the words with at least one kept candidate other than the word itself,
    replace round(ratio * n) of them, chosen uniformly; each chosen word takes one of its kept candidates,
    chosen uniformly. Sentences are independent: sentence k uses random.Random(f"{seed}:{k}").
    """
    settings = settings or CodeSwitchSettings()
    by_sentence = kept_by_sentence(mined, settings)
    sentences = mined.drop_duplicates("sentence_id")
    return [switch_sentence(sentence_id, sentence, by_sentence.get(sentence_id, {}), settings,
                            random.Random(f"{settings.seed}:{sentence_id}"))
            for sentence_id, sentence in zip(sentences["sentence_id"], sentences["sentence"])]


def count_words(rows: pd.DataFrame) -> int:
    """How many distinct (sentence, word) pairs the rows of a mined table cover."""
    return rows[["sentence_id", "word_index"]].drop_duplicates().shape[0]


def _translations(mined: pd.DataFrame, settings: CodeSwitchSettings) -> pd.DataFrame:
    """The translation rows of the chosen languages (all languages when none are chosen)."""
    translations = mined[mined["kind"] == "translation"]
    if settings.languages is not None:
        translations = translations[translations["language"].isin(settings.languages)]
    return translations


def _count_at_least(values, thresholds) -> np.ndarray:
    """For each threshold t, how many of `values` are >= t (NaN never counts)."""
    values = np.sort(np.asarray(values, dtype=float)[~np.isnan(np.asarray(values, dtype=float))])
    return len(values) - np.searchsorted(values, np.asarray(thresholds, dtype=float), side="left")


def _best_per_word(rows: pd.DataFrame, score: str) -> np.ndarray:
    return rows.groupby(["sentence_id", "word_index"], sort=False)[score].max().to_numpy()


def threshold_curve(mined: pd.DataFrame, thresholds, settings: CodeSwitchSettings | None = None) -> pd.DataFrame:
    """How many substitutions (and words with one) survive as the translation threshold moves.

    One sort and a binary search per threshold (a word survives when its best candidate does), instead of
    a filter of the table per threshold; tests compare it with that filter.
    """
    settings = settings or CodeSwitchSettings()
    translations = _translations(mined, settings)
    return pd.DataFrame({"threshold": np.asarray(thresholds, dtype=float),
                         "kept_substitutions": _count_at_least(translations[settings.score], thresholds),
                         "words_with_a_substitution": _count_at_least(_best_per_word(translations, settings.score),
                                                                      thresholds)})


def _checked_translations(mined: pd.DataFrame, dictionary: pd.DataFrame, language: str):
    """The translation rows into `language` whose word the dictionary knows, and for each whether its candidate
    is one of the word's dictionary translations (strict lower-case match)."""
    pairs = {(str(s).strip().lower(), str(t).strip().lower())
             for s, t in zip(dictionary["source"], dictionary["target"])}
    known = {s for s, _ in pairs}
    rows = mined[(mined["kind"] == "translation") & (mined["language"] == language)]
    rows = rows[rows["word"].str.lower().isin(known)]
    correct = np.array([(str(w).lower(), str(c).lower()) in pairs for w, c in zip(rows["word"], rows["candidate"])],
                       dtype=bool)
    return rows, correct


# Why the similarity miner mines no synonyms unless asked: `bench_substitution_quality.py --synonym-report` scores
# its best source-language synonym of 300 frequent English words against WordNet (Debian's wordnet-base).
SIMILARITY_SYNONYMS_OFF = (
    "Off by default for the similarity miner: measured against WordNet, its best synonym of 300 frequent English "
    "words is a WordNet synonym for 16% of them, and no threshold lifts that above 17% (the nearest entries are "
    "inflections and neighbours: levels for level, He for She, Catholic for cat). A logistic fit on 400 held-out "
    "words found none of the confidence's features telling right from wrong: its synonyms are no confident substitutes.")


def default_synonyms(miner: str) -> bool:
    """Whether a miner mines source-language synonyms by default: SALT's masked LM yes, the similarity miner no
    (SIMILARITY_SYNONYMS_OFF says why)."""
    return miner != "similarity"


def default_thresholds(miner: str) -> tuple[float, float]:
    """(translation, synonym) thresholds a miner's scores are read at by default: the masked LM's probabilities at
    CodeSwitchSettings' assumptions, the similarity miner's calibrated confidence at SIMILARITY_THRESHOLD."""
    if miner == "similarity":
        return SIMILARITY_THRESHOLD, SIMILARITY_THRESHOLD
    defaults = CodeSwitchSettings()
    return defaults.translation_threshold, defaults.synonym_threshold


def dictionary_precision_recall(mined: pd.DataFrame, dictionary: pd.DataFrame, thresholds, language: str,
                                settings: CodeSwitchSettings | None = None) -> pd.DataFrame:
    """Precision and recall of kept translations *into `language`* against a bilingual dictionary.

    A dictionary is for one language pair, so only the translation rows of `language` are scored: with
    targets de, fr and zh an en-de dictionary must not count the fr and zh candidates as wrong.
    `dictionary` has columns `source` and `target` (case-insensitive). Only mined words that the
    dictionary knows count: precision = kept pairs found in the dictionary / kept pairs; recall = those
    words with at least one kept dictionary translation / those words.
    """
    settings = settings or CodeSwitchSettings()
    translations, correct = _checked_translations(mined, dictionary, language)
    n_words = count_words(translations)
    scores = translations[settings.score].to_numpy(dtype=float)
    kept = _count_at_least(scores, thresholds)
    kept_correct = _count_at_least(scores[correct], thresholds)
    words_hit = _count_at_least(_best_per_word(translations[correct], settings.score), thresholds)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(kept > 0, kept_correct / np.maximum(kept, 1), np.nan)
    return pd.DataFrame({"threshold": np.asarray(thresholds, dtype=float), "language": language, "kept": kept,
                         "precision": precision,
                         "recall": words_hit / n_words if n_words else np.full(len(kept), np.nan),
                         "words_in_dictionary": n_words})


def dictionary_check(mined: pd.DataFrame, dictionary: pd.DataFrame, language: str,
                     settings: CodeSwitchSettings) -> tuple[dict, pd.DataFrame]:
    """At the current threshold: the numbers, and each dictionary word's outcome, to look at.

    Returns ({"precision", "recall", "coverage", "words_in_dictionary", "words_mined", "kept"}, table) where
    precision and recall are `dictionary_precision_recall`'s at `settings.translation_threshold`, coverage is the
    share of mined words (into `language`) the dictionary knows, and the table has one row per known word:
    its kept candidates, the dictionary's translations and the outcome ("matched", "kept, not in the dictionary",
    "nothing kept").
    """
    threshold = settings.translation_threshold
    pr = dictionary_precision_recall(mined, dictionary, [threshold], language, settings).iloc[0]
    into = mined[(mined["kind"] == "translation") & (mined["language"] == language)]
    rows, correct = _checked_translations(mined, dictionary, language)
    rows = rows.assign(_hit=correct, _kept=rows[settings.score].to_numpy(dtype=float) >= threshold)
    sources = dictionary["source"].astype(str).str.strip().str.lower()
    words = set(rows["word"].str.lower())
    known = dictionary.assign(source=sources, target=dictionary["target"].astype(str).str.strip())[sources.isin(words)]
    listed = known.groupby("source")["target"].agg(lambda t: ", ".join(dict.fromkeys(t).keys()))  # the words shown
    table = []
    for (sentence, _), group in rows.groupby(["sentence_id", "word_index"], sort=True):
        kept = group[group["_kept"]].sort_values("rank")
        word = str(group["word"].iloc[0])
        outcome = "matched" if kept["_hit"].any() else ("kept, not in the dictionary" if len(kept) else "nothing kept")
        table.append({"sentence_id": sentence, "word": word, "kept candidates": ", ".join(kept["candidate"]),
                      "best score": float(group[settings.score].max()), "dictionary translations":
                      listed.get(word.lower(), ""), "outcome": outcome})
    words_mined = count_words(into)
    summary = {"precision": float(pr["precision"]), "recall": float(pr["recall"]),
               "coverage": int(pr["words_in_dictionary"]) / words_mined if words_mined else float("nan"),
               "words_in_dictionary": int(pr["words_in_dictionary"]), "words_mined": words_mined,
               "kept": int(pr["kept"])}
    return summary, pd.DataFrame(table, columns=["sentence_id", "word", "kept candidates", "best score",
                                                 "dictionary translations", "outcome"])


def dictionary_precision_at_k(mined: pd.DataFrame, dictionary: pd.DataFrame, language: str,
                              ks=(1, 5)) -> pd.DataFrame:
    """precision@k of the translations into `language`: among the mined words the dictionary knows, the share
    with a dictionary translation among their k best-ranked candidates (strict lower-case match). One row per
    miner in the table (a `miner` column; "mlm" where absent)."""
    rows, correct = _checked_translations(mined, dictionary, language)
    rows = rows.assign(_hit=correct)
    if "miner" not in rows.columns:
        rows["miner"] = "mlm"
    result = []
    for miner, group in rows.groupby("miner", sort=True):
        words = group.groupby(["sentence_id", "word_index"])
        entry = {"miner": miner, "language": language, "words_in_dictionary": words.ngroups}
        for k in ks:
            entry[f"precision@{k}"] = float(group[group["rank"] <= k].groupby(["sentence_id", "word_index"])["_hit"]
                                            .any().reindex(words.size().index, fill_value=False).mean())
        result.append(entry)
    return pd.DataFrame(result, columns=["miner", "language", "words_in_dictionary", *(f"precision@{k}" for k in ks)])


def miner_agreement(first: pd.DataFrame, second: pd.DataFrame, k: int = 5) -> pd.DataFrame:
    """Per kind and language, over the words both tables mined: how often the two miners' best candidates are
    the same word (case-insensitive), and the mean overlap of their top-k sets (Jaccard). Joins, no per-word
    Python: the page recomputes it on every threshold move."""
    keys = ["sentence_id", "word_index", "kind", "language"]
    overlap = f"top-{k} overlap (Jaccard)"

    def top(frame: pd.DataFrame) -> pd.DataFrame:
        rows = frame.loc[frame["rank"] <= k, [*keys, "rank", "candidate"]]
        return rows.assign(candidate=rows["candidate"].astype(str).str.lower()).sort_values("rank", kind="stable")

    a, b = top(first), top(second)
    best = a.drop_duplicates(keys).merge(b.drop_duplicates(keys), on=keys, suffixes=("_a", "_b"))
    sets_a, sets_b = a.drop_duplicates([*keys, "candidate"]), b.drop_duplicates([*keys, "candidate"])
    shared = sets_a.merge(sets_b, on=[*keys, "candidate"]).groupby(keys).size()
    words = best.set_index(keys)
    size_a = sets_a.groupby(keys).size().reindex(words.index)
    size_b = sets_b.groupby(keys).size().reindex(words.index)
    common = shared.reindex(words.index, fill_value=0)
    per_word = pd.DataFrame({"same": (words["candidate_a"] == words["candidate_b"]).astype(float),
                             "jaccard": common / (size_a + size_b - common)}).reset_index()
    result = per_word.groupby(["kind", "language"]).agg(words=("same", "size"), same=("same", "mean"),
                                                        jaccard=("jaccard", "mean")).reset_index()
    return result.rename(columns={"same": "same best candidate", "jaccard": overlap})[
        ["kind", "language", "words", "same best candidate", overlap]]


def threshold_step(best: float) -> float:
    """A threshold slider step that resolves scores as small as `best` (the largest score seen).

    0.001 while scores reach 0.1; below that a hundredth of best's order of magnitude (a random model's
    p_restricted sits near 1/vocabulary, ~0.002, where a 0.001 step could not place a threshold).
    """
    if not best > 0 or best >= 0.1:
        return 0.001
    return max(10.0 ** (math.floor(math.log10(best)) - 2), 1e-6)


def just_below(value: float, step: float) -> float:
    """The largest multiple of `step` that is <= value: a threshold that keeps the best candidate."""
    digits = max(0, -math.floor(math.log10(step)))
    below = round(math.floor(value / step + 1e-9) * step, digits)
    return below if below <= value else round(below - step, digits)
