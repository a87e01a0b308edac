"""Words of a sentence, with character spans, and which of them SALT may substitute.

SALT masks words, not subword pieces. We segment by Unicode category, which needs no language model and
treats every script alike:
* letters, combining marks and digits form words ("Katze", "naïve", "नमस्ते", "COVID19");
* each punctuation mark or symbol (emoji included) is a unit of its own, never eligible;
* whitespace, control and format characters (zero-width joiners, direction marks) separate words;
* Han characters and kana are one word each, as mBERT's basic tokenizer treats them; Thai, written
  without spaces, stays one unit per run of letters (a known limitation: no Thai word segmenter here).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from salt_core.languages import Language, char_script, text_scripts

SCRIPTIO_CONTINUA = {"Han", "Hiragana", "Katakana"}  # one word per character


@dataclass(frozen=True)
class Word:
    index: int  # position among the sentence's units
    text: str
    start: int  # character span [start, end) in the sentence
    end: int


def _kind(ch: str) -> str:
    category = unicodedata.category(ch)
    if category[0] in "LMN":
        return "word"
    if category[0] in "PS":
        return "mark"
    return "space"  # Z*, Cc, Cf, Cs, Co, Cn


def segment_words(sentence: str) -> list[Word]:
    """Split a sentence into words and punctuation/symbol units with their character spans."""
    units: list[tuple[int, int]] = []
    start = None
    for i, ch in enumerate(sentence):
        kind = _kind(ch)
        own_unit = kind == "mark" or (kind == "word" and char_script(ch) in SCRIPTIO_CONTINUA)
        if start is not None and (kind != "word" or own_unit):
            units.append((start, i))
            start = None
        if own_unit:
            units.append((i, i + 1))
        elif kind == "word" and start is None:
            start = i
    if start is not None:
        units.append((start, len(sentence)))
    return [Word(n, sentence[s:e], s, e) for n, (s, e) in enumerate(units)]


@dataclass(frozen=True)
class Eligibility:
    """Which words may be masked and substituted. Every default is this project's assumption."""

    min_chars: int = 2  # skip one-letter words ("a", "I") in spaced scripts; Han/kana words are 1 char
    skip_stopwords: bool = False  # SALT's rule is unknown; keeping function words shows more
    stopword_count: int = 100  # when skipping: the source language's N most frequent words


def ineligible_reason(word: Word, source: Language, rules: Eligibility, stopwords: frozenset[str]) -> str | None:
    """Why a word may not be substituted, or None when it may."""
    scripts = text_scripts(word.text)
    if scripts is None:
        return "punctuation, digit or symbol"
    if not scripts <= set(source.scripts):
        return f"not in {source.name} script"
    if len(word.text) < rules.min_chars and not scripts <= SCRIPTIO_CONTINUA:
        return f"shorter than {rules.min_chars} characters"
    if rules.skip_stopwords and word.text.lower() in stopwords:
        return "stopword"
    return None


@dataclass(frozen=True)
class Budget:
    """How much of a text the page mines: the first `taken` sentences, within both limits."""

    taken: int  # sentences mined, from the start
    left: int  # sentences left out
    words: int  # words (as segment_words counts them, in every script) in the sentences taken
    words_left: int  # words in the sentences left out


def within_budget(sentences: list[str], max_sentences: int, max_words: int) -> Budget:
    """The longest prefix of `sentences` with at most `max_sentences` sentences and `max_words` words.

    Words are counted the way the miner segments them, so 200 lines of Chinese (one word per character)
    count as the thousands of masked predictions they cost, not as 200 whitespace-split "words".
    """
    counts = [sum(1 for w in segment_words(s) if _kind(w.text[0]) == "word") for s in sentences]
    taken, words = 0, 0
    for count in counts[:max_sentences]:
        if words + count > max_words:
            break
        taken, words = taken + 1, words + count
    return Budget(taken, len(sentences) - taken, words, sum(counts) - words)
