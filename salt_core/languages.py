"""Language registry, and which token ids of a tokenizer belong to which language.

SALT restricts a multilingual masked LM's predictions to one target language's vocabulary. A
tokenizer's vocabulary is not labelled by language, so this module labels it, with one rule:

    script decides when it can; evidence about words decides between languages that share a script.

The registry holds the 23 languages described by hand (CORE: XNLI's, PAWS-X's and five more) and every other
FLORES-200 language of SIB-200 (205 in all, `data/flores200.txt`), each by a short key (`language_code()` of its
FLORES code; `yo`, `quy`, `zh-Hant`), reachable by FLORES code, ISO 639 code or name (`get_language`).

For every vocabulary entry we take its surface form (without the "##" or "▁" marker) and whether it
begins a word. An entry is *eligible* only if it is made of letters (and combining marks): special
tokens, punctuation, digits, symbols and mixed entries never belong to any language. A letter's script is
Unicode's Script property, or its Script_Extensions when it has none of its own (the long-vowel mark ー).

1. Script. The languages whose scripts cover every letter of the entry are its candidates. With one
   candidate (Greek -> el, Thai -> th, Khmer -> km, Georgian -> ka) the entry belongs to it: the *script rule*.
2. Otherwise a language uses the first evidence it has:
   * wordfreq (its own list, or its macrolanguage's when written in its script): a word-initial entry belongs
     to L when its lower-cased surface has Zipf frequency >= `MIN_ZIPF` in L's list and is within
     `ZIPF_MARGIN` of the highest Zipf frequency among the other candidates' lists. So German gets "Katze" (de
     4.5, en ~1) and "und", "in" goes to both German and English, and "the" (en 7.7, de 5.6) stays English.
     These two numbers are this project's assumption, not SALT's;
   * a list bundled in `salt_core/data/` (Swahili: curated frequent words and the hunspell-sw lexicon);
   * the CLD2 language identifier (pycld2, its model in the wheel): CLD2's best guess for the entry is L;
   * none: the language is refused with the reason (UncoveredLanguageError); it can be evaluated, not
     code-switched into. `coverage()` reports which rule each language used and what it shares with others.
3. Strictness: an entry can belong to several languages ("in" is German and English). "shared" (the default)
   keeps such entries; "exclusive" keeps only entries that no other language's word list claims.

Continuation pieces ("##en", "ung") cannot be attributed by word evidence; they are attributed by script
alone and kept apart from word-initial pieces. For languages written without spaces between words
(zh, ja, th, km, lo, my, bo) the tokenizer's word-initial marker says nothing about words, so every piece counts
as word-initial there. Results are cached per (tokenizer vocabulary, language) and kept under SALT_HOME.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import langcodes
import pandas as pd

from salt_core.errors import EmptyLanguageError, UncoveredLanguageError, UnknownLanguageError

MIN_ZIPF = 2.5  # assumption: below ~3 per billion words a form is noise for our purpose
ZIPF_MARGIN = 1.0  # assumption: within 10x of the most frequent competitor counts as "also this language"


@dataclass(frozen=True)
class Language:
    code: str  # the registry key: ISO 639-1 for the 23 described by hand, language_code(FLORES code) for the rest
    name: str
    scripts: tuple[str, ...]  # scripts the language is written in, primary first
    family: str
    spaced: bool = True  # are words separated by spaces?
    benchmarks: tuple[str, ...] = ()  # which cross-lingual benchmarks include it
    flores: str = ""  # FLORES-200 code (SIB-200's), where the language is one of them

    @property
    def script(self) -> str:
        return self.scripts[0]


_X, _P = "XNLI", "PAWS-X"
LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in [
        Language("en", "English", ("Latin",), "Indo-European (Germanic)", benchmarks=(_X, _P)),
        Language("de", "German", ("Latin",), "Indo-European (Germanic)", benchmarks=(_X, _P)),
        Language("fr", "French", ("Latin",), "Indo-European (Romance)", benchmarks=(_X, _P)),
        Language("es", "Spanish", ("Latin",), "Indo-European (Romance)", benchmarks=(_X, _P)),
        Language("el", "Greek", ("Greek",), "Indo-European (Hellenic)", benchmarks=(_X,)),
        Language("bg", "Bulgarian", ("Cyrillic",), "Indo-European (Slavic)", benchmarks=(_X,)),
        Language("ru", "Russian", ("Cyrillic",), "Indo-European (Slavic)", benchmarks=(_X,)),
        Language("tr", "Turkish", ("Latin",), "Turkic", benchmarks=(_X,)),
        Language("ar", "Arabic", ("Arabic",), "Afro-Asiatic (Semitic)", benchmarks=(_X,)),
        Language("vi", "Vietnamese", ("Latin",), "Austroasiatic", benchmarks=(_X,)),
        Language("th", "Thai", ("Thai",), "Kra-Dai", spaced=False, benchmarks=(_X,)),
        Language("zh", "Chinese", ("Han",), "Sino-Tibetan", spaced=False, benchmarks=(_X, _P)),
        Language("hi", "Hindi", ("Devanagari",), "Indo-European (Indo-Aryan)", benchmarks=(_X,)),
        Language("sw", "Swahili", ("Latin",), "Niger-Congo (Bantu)", benchmarks=(_X,)),
        Language("ur", "Urdu", ("Arabic",), "Indo-European (Indo-Aryan)", benchmarks=(_X,)),
        Language("ja", "Japanese", ("Hiragana", "Katakana", "Han"), "Japonic", spaced=False, benchmarks=(_P,)),
        Language("ko", "Korean", ("Hangul",), "Koreanic", benchmarks=(_P,)),
        Language("it", "Italian", ("Latin",), "Indo-European (Romance)"),
        Language("pt", "Portuguese", ("Latin",), "Indo-European (Romance)"),
        Language("nl", "Dutch", ("Latin",), "Indo-European (Germanic)"),
        Language("pl", "Polish", ("Latin",), "Indo-European (Slavic)"),
        Language("uk", "Ukrainian", ("Cyrillic",), "Indo-European (Slavic)"),
        Language("fa", "Persian", ("Arabic",), "Indo-European (Iranian)"),
    ]
}

CORE = tuple(LANGUAGES)  # the 23 described by hand (XNLI, PAWS-X and five more): the demo model's languages


# ----------------------------------------------------------------------------- scripts (Unicode's own property)

# A FLORES script subtag -> the Unicode scripts its text is written in (Japanese mixes three; Han for both Chinese).
_SCRIPT_PARTS = {"Jpan": ("Hira", "Kana", "Hani"), "Hans": ("Hani",), "Hant": ("Hani",), "Kore": ("Hang", "Hani")}
_UNSPACED = {"Hani", "Hira", "Kana", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"}  # written without spaces between words


@cache
def script_name(code: str) -> str:
    """CLDR's English name of an ISO 15924 script code ("Ethi" -> "Ethiopic"), the name the registry uses."""
    return langcodes.Language.make(script=code).script_name()


@cache
def _script_patterns() -> tuple[tuple[str, object, object], ...]:
    """(name, Script pattern, Script_Extensions pattern) for every script a catalogue language is written in."""
    import regex

    codes = dict.fromkeys(["Latn", "Cyrl", "Hani", "Arab", "Deva", "Hira", "Kana", "Hang", "Grek", "Thai", "Hebr"])
    for flores in _flores_codes():
        codes.update(dict.fromkeys(_SCRIPT_PARTS.get(flores.split("_")[1], (flores.split("_")[1],))))
    return tuple((script_name(code), regex.compile(rf"\p{{sc={code}}}"), regex.compile(rf"\p{{scx={code}}}"))
                 for code in codes)


@lru_cache(maxsize=100_000)
def char_scripts(ch: str) -> tuple[str, ...] | None:
    """The scripts a letter may be written in, from Unicode's Script property, or its Script_Extensions when it
    has none of its own (the long-vowel mark ー is Hiragana or Katakana); ("Mark",) for combining marks,
    ("Other",) for a letter of a script no catalogue language uses, None for anything that is not a letter."""
    category = unicodedata.category(ch)
    if category.startswith("M"):
        return ("Mark",)
    if not category.startswith("L"):
        return None
    patterns = _script_patterns()
    for name, own, _ in patterns:
        if own.match(ch):
            return (name,)
    extended = tuple(name for name, _, extensions in patterns if extensions.match(ch))
    return extended or ("Other",)


def char_script(ch: str) -> str | None:
    """One script for a letter (the first of char_scripts); "Mark" for combining marks; None for non-letters."""
    scripts = char_scripts(ch)
    return scripts[0] if scripts else None


def text_scripts(text: str) -> frozenset[str] | None:
    """The scripts of a string made only of letters and marks; None if it holds anything else. A letter of several
    scripts counts as the one the rest of the string is written in (コーヒー is Katakana, ひらがーな Hiragana)."""
    options = []
    for ch in text:
        scripts = char_scripts(ch)
        if scripts is None:
            return None
        if scripts != ("Mark",):
            options.append(scripts)
    fixed = {scripts[0] for scripts in options if len(scripts) == 1}
    chosen = {next((s for s in scripts if s in fixed), scripts[0]) for scripts in options}
    return frozenset(chosen) if chosen else None


# ----------------------------------------------------------------------------- word-frequency evidence

def _read_words(name: str) -> list[str]:
    path = resources.files("salt_core") / "data" / name
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [w.lower() for line in lines if not line.startswith("#") for w in line.split()]


@cache
def _curated_words(code: str) -> frozenset[str]:
    """The words of a language without a wordfreq list: the curated frequent words (`sw.txt`) and, where
    bundled, a full spell-checker lexicon (`sw-hunspell.txt`, from Debian's hunspell-sw; licence in its header)."""
    return frozenset(_read_words(f"{code}.txt")) | frozenset(_read_words(f"{code}-hunspell.txt"))


@cache
def wordfreq_code(code: str) -> str | None:
    """The wordfreq list of a registry language, written in its script: its own, else its macrolanguage's (Croatian
    and Bosnian read the Serbo-Croatian list `sh`, Standard Malay `ms`), else None."""
    import wordfreq

    available = wordfreq.available_languages()
    base = langcodes.Language.get(code).language
    scripts = set(LANGUAGES[code].scripts) if code in LANGUAGES else None
    for candidate in (base, macrolanguage(base)):
        if candidate in available and (scripts is None or _written_in(candidate, scripts)):
            return candidate
    return None


def _written_in(listed: str, scripts: set[str]) -> bool:
    """Whether most of a wordfreq list's 200 most frequent words are in these scripts (the Serbo-Croatian list is
    Latin: no evidence for Serbian in Cyrillic, which the language identifier decides instead)."""
    import wordfreq

    words = wordfreq.top_n_list(listed, 200)
    return sum(bool(text_scripts(word)) and text_scripts(word) <= scripts for word in words) > len(words) / 2


def macrolanguage(language: str) -> str | None:
    """The macrolanguage of a language subtag by the IANA subtag registry (quy -> qu, hr -> sh), or None."""
    from langcodes.data_dicts import MACROLANGUAGES

    return MACROLANGUAGES.get(language)


@cache
def zipf_table(code: str) -> dict[str, float] | None:
    """word -> Zipf frequency from wordfreq's 'best' list, or None when wordfreq lacks the language."""
    listed = wordfreq_code(code)
    return None if listed is None else _zipf_of_list(listed)


@cache
def _zipf_of_list(listed: str) -> dict[str, float]:
    """One wordfreq list as word -> Zipf, read from its buckets (bucket i holds the words at -i centibels, Zipf
    9 - i/100), down to the lowest Zipf that can matter: below MIN_ZIPF - ZIPF_MARGIN a word is neither the
    language's nor able to outrank another's. About 4x faster than going through get_frequency_dict."""
    import wordfreq

    floor = MIN_ZIPF - ZIPF_MARGIN
    table: dict[str, float] = {}
    for index, bucket in enumerate(wordfreq.get_frequency_list(listed, "best")):
        zipf = 9 - index / 100
        if zipf < floor:
            break
        for word in bucket:
            table.setdefault(word, zipf)
    return table


IDENTIFIER = "language identifier (CLD2)"


@cache
def _identifier_languages() -> dict[str, str]:
    """Language subtag -> the code CLD2 answers, for every language its model (shipped in pycld2's wheel) detects."""
    import pycld2

    detected = set(pycld2.DETECTED_LANGUAGES)
    out: dict[str, str] = {}
    for name, code in pycld2.LANGUAGES:
        if name in detected and not code.startswith("xx"):
            try:
                out.setdefault(langcodes.Language.get(code).language, code)
            except (ValueError, LookupError):
                continue
    return out


@cache
def identifier_code(code: str) -> str | None:
    """The CLD2 code of a registry language (its own language or its macrolanguage: Ayacucho Quechua is `qu`)."""
    language = langcodes.Language.get(code).language
    known = _identifier_languages()
    return known.get(language) or known.get(macrolanguage(language) or "")


@lru_cache(maxsize=1_000_000)
def identified(surface: str) -> str | None:
    """The language CLD2 finds most likely for a short string (best effort), as CLD2 names it; None if none."""
    import pycld2

    try:
        _, _, details = pycld2.detect(surface, bestEffort=True)
    except pycld2.error:
        return None
    code = details[0][1]
    return None if code in ("un", "xxx") else code


def word_source(code: str) -> str:
    """Which evidence tells a language's words from those of languages sharing its script: 'wordfreq', 'curated
    list', the language identifier, or 'none'."""
    if zipf_table(code) is not None:
        return "wordfreq"
    if _curated_words(code):
        return "curated list"
    return IDENTIFIER if identifier_code(code) else "none"


def common_words(code: str, n: int = 2000) -> list[str]:
    """The `n` most frequent words of a language, from wordfreq or the curated list (demo corpus, stopwords)."""
    table = zipf_table(code)
    if table is not None:
        return sorted(table, key=table.get, reverse=True)[:n]
    return list(dict.fromkeys(_read_words(f"{code}.txt")))[:n]  # the curated list is in frequency order


# ----------------------------------------------------------------------------- tokenizer vocabulary

@dataclass(frozen=True)
class VocabEntry:
    token_id: int
    surface: str  # the entry without its word-boundary marker
    initial: bool  # does the entry begin a word?
    scripts: frozenset[str] | None  # None: not made of letters, never belongs to a language


def _marker_style(vocab: dict[str, int]) -> str:
    """Which word-boundary convention a vocabulary uses: sentencepiece '▁', wordpiece '##', byte-level 'Ġ'."""
    sample = list(vocab)
    meta = sum(t.startswith("▁") for t in sample)
    hashes = sum(t.startswith("##") for t in sample)
    byte_level = sum(t.startswith("Ġ") for t in sample)
    return max((meta, "sentencepiece"), (hashes, "wordpiece"), (byte_level, "bytelevel"))[1]


def _scan_vocabulary(tokenizer) -> list[VocabEntry]:
    vocab = tokenizer.get_vocab()
    special = set(tokenizer.all_special_ids)
    style = _marker_style(vocab)
    entries = []
    for token, token_id in sorted(vocab.items(), key=lambda item: item[1]):
        if style == "sentencepiece":
            initial, surface = token.startswith("▁"), token.lstrip("▁")
        elif style == "wordpiece":
            initial, surface = not token.startswith("##"), token.removeprefix("##")
        else:  # byte-level BPE: the decoder knows the byte mapping
            initial = token.startswith("Ġ")
            surface = tokenizer.convert_tokens_to_string([token]).strip()
        scripts = None if token_id in special else text_scripts(surface)
        entries.append(VocabEntry(token_id, surface, initial, scripts))
    return entries


def tokenizer_fingerprint(tokenizer) -> str:
    """A key that changes whenever the vocabulary does (name alone is not enough: folders get rebuilt)."""
    size = len(tokenizer)
    cached = getattr(tokenizer, "_salt_fingerprint", None)
    if cached and cached[0] == size:  # adding tokens changes the size, which invalidates this
        return cached[1]
    vocab = tokenizer.get_vocab()
    digest = hashlib.sha1("\n".join(sorted(vocab)).encode("utf-8"), usedforsecurity=False).hexdigest()
    fingerprint = f"{getattr(tokenizer, 'name_or_path', '')}:{len(vocab)}:{digest[:16]}"
    tokenizer._salt_fingerprint = (size, fingerprint)
    return fingerprint


@dataclass(frozen=True)
class LanguageVocabulary:
    """The token ids of one language in one tokenizer."""

    language: Language
    initial_ids: tuple[int, ...]  # word-initial entries: the candidates SALT may substitute
    continuation_ids: tuple[int, ...]  # pieces that continue a word, attributed by script only
    rule: str  # "script", "word frequency (wordfreq)", "curated list", ...

    def __len__(self) -> int:
        return len(self.initial_ids)


_CACHE: dict[tuple[str, str, str], LanguageVocabulary] = {}
_ENTRY_CACHE: dict[str, list[VocabEntry]] = {}


# Deciding a language's vocabulary the first time reads the tokenizer and wordfreq's lists of every rival
# language, none of which is promised to be thread-safe; two Streamlit sessions on a new SALT_HOME once got "no
# word-initial tokens of German" from one of them. First computations take this lock; cached look-ups do not.
_FIRST_USE = threading.RLock()


def vocabulary_entries(tokenizer) -> list[VocabEntry]:
    """Every vocabulary entry with its surface form, word-initial flag and scripts, in id order (cached)."""
    key = tokenizer_fingerprint(tokenizer)
    if key not in _ENTRY_CACHE:
        with _FIRST_USE:
            if key not in _ENTRY_CACHE:
                _ENTRY_CACHE[key] = _scan_vocabulary(tokenizer)
    return _ENTRY_CACHE[key]


@lru_cache(maxsize=4096)
def _candidates(scripts: frozenset[str]) -> list[Language]:
    return [lang for lang in LANGUAGES.values() if scripts <= set(lang.scripts)]


def _belongs_by_frequency(surface: str, language: Language, rivals: list[Language]) -> bool:
    word = surface.lower()
    own = zipf_table(language.code)
    if own is None:
        return word in _curated_words(language.code)
    zipf = own.get(word, 0.0)
    if zipf < MIN_ZIPF:
        return False
    rival_best = max((table.get(word, 0.0) for table in _tables(tuple(r.code for r in rivals)) if table is not own),
                     default=0.0)
    return zipf >= rival_best - ZIPF_MARGIN


@lru_cache(maxsize=4096)
def _tables(codes: tuple[str, ...]) -> tuple[dict[str, float], ...]:
    """The distinct wordfreq tables of some languages (languages without one, or sharing one, add nothing)."""
    tables = {id(table): table for table in map(zipf_table, codes) if table is not None}
    return tuple(tables.values())


def _belongs_by_identifier(surface: str, language: Language) -> bool:
    return identified(surface) == identifier_code(language.code)


def _shares_script(language: Language) -> list[Language]:
    return [other for other in LANGUAGES.values()
            if other.code != language.code and set(other.scripts) & set(language.scripts)]


def _uncovered_reason(language: Language) -> str | None:
    """Why the rules cannot tell a language's tokens from its script-mates', or None when they can."""
    if word_source(language.code) != "none":
        return None
    mates = _shares_script(language)
    if not mates:
        return None
    names = ", ".join(other.name for other in mates[:3]) + (f" and {len(mates) - 3} more" if len(mates) > 3 else "")
    return (f"{language.name} ({language.code}) is written in {' and '.join(language.scripts)}, like {names}, and "
            "no word list here (wordfreq, a bundled list) nor the language identifier (CLD2) covers it, so its "
            "tokens cannot be told from theirs; it can be evaluated, not code-switched into.")


def _exclusive(entry: VocabEntry, language: Language) -> bool:
    """Whether an entry of `language` belongs to no other language of its script by the same rule."""
    candidates = _candidates(entry.scripts)
    own_list = wordfreq_code(language.code)
    for rival in candidates:
        if own_list and wordfreq_code(rival.code) == own_list:  # the same list (hr, sr, bs: 'sh') tells nothing apart
            continue
        if rival.code != language.code and _belongs_by_frequency(
                entry.surface, rival, [c for c in candidates if c.code != rival.code]):
            return False
    return True


STRICTNESS = {
    "shared": "entries of the language, including those that are also words of another language (Rover, Dual)",
    "exclusive": "only entries that belong to no other language of the same script",
}
DEFAULT_STRICTNESS = "shared"  # measured better with the offline model: docs/mining.md, "The embedding-similarity miner"


def check_strictness(strictness: str) -> str:
    if strictness not in STRICTNESS:
        raise UnknownLanguageError(f"Unknown strictness {strictness!r}: choose {' or '.join(STRICTNESS)}.")
    return strictness


def language_vocabulary(tokenizer, code: str, strictness: str = DEFAULT_STRICTNESS) -> LanguageVocabulary:
    """The token ids of language `code` in `tokenizer`, by the rule in this module's docstring.

    `strictness` "shared" keeps entries that also belong to another language (German "in", "Ray"); "exclusive"
    keeps only entries that belong to no other language of their script.
    Raises UnknownLanguageError for a code outside the registry and EmptyLanguageError when the
    tokenizer holds no word-initial entry of the language.
    """
    language = get_language(code)
    check_strictness(strictness)
    key = tokenizer_fingerprint(tokenizer)
    if (key, language.code, strictness) in _CACHE:
        return _CACHE[(key, language.code, strictness)]
    with _FIRST_USE:
        return _compute_vocabulary(tokenizer, key, language, code, strictness)


def _compute_vocabulary(tokenizer, key: str, language: Language, code: str, strictness: str) -> LanguageVocabulary:
    """language_vocabulary's first computation for a (tokenizer, language, strictness), under _FIRST_USE."""
    entries = vocabulary_entries(tokenizer)
    if (key, language.code, strictness) in _CACHE:  # computed by another thread while this one waited
        return _CACHE[(key, language.code, strictness)]
    stored = _stored_vocabulary(key, language, strictness)
    if stored is not None:
        _CACHE[(key, language.code, strictness)] = LanguageVocabulary(language, *stored)
        return _CACHE[(key, language.code, strictness)]
    if strictness == "exclusive":
        shared = language_vocabulary(tokenizer, code, "shared")
        by_id = {entry.token_id: entry for entry in entries}
        kept = tuple(i for i in shared.initial_ids if _exclusive(by_id[i], language))
        if not kept:
            raise EmptyLanguageError(
                f"The tokenizer {getattr(tokenizer, 'name_or_path', '')!r} has no {language.name} entries that "
                "belong to no other language; use the shared vocabulary.")
        result = LanguageVocabulary(language, kept, shared.continuation_ids, shared.rule + ", exclusive")
        _CACHE[(key, language.code, strictness)] = result
        _store_vocabulary(key, result, strictness)
        return result
    uncovered = _uncovered_reason(language)
    if uncovered:
        raise UncoveredLanguageError(uncovered)
    source = word_source(language.code)
    initial, continuation, rules = [], [], set()
    for entry in entries:
        if entry.scripts is None or not entry.scripts <= set(language.scripts):
            continue
        if entry.initial or not language.spaced:
            rivals = [c for c in _candidates(entry.scripts) if c.code != language.code]
            if not rivals:
                initial.append(entry.token_id)
                rules.add("script")
            elif source == IDENTIFIER:
                if _belongs_by_identifier(entry.surface, language):
                    initial.append(entry.token_id)
                    rules.add(IDENTIFIER)
            elif _belongs_by_frequency(entry.surface, language, rivals):
                initial.append(entry.token_id)
                listed = wordfreq_code(language.code)
                rules.add(f"word frequency ({source}" + (f", the '{listed}' list)" if listed and listed !=
                                                          language.code else ")"))
        else:
            continuation.append(entry.token_id)
    if not initial:
        raise EmptyLanguageError(
            f"The tokenizer {getattr(tokenizer, 'name_or_path', '')!r} has no word-initial tokens of "
            f"{language.name} ({language.code}); pick another language or a model that covers it."
        )
    result = LanguageVocabulary(language, tuple(initial), tuple(continuation), " + ".join(sorted(rules)))
    _CACHE[(key, language.code, strictness)] = result
    _store_vocabulary(key, result, strictness)
    return result


@cache
def _rules_digest() -> str:
    """What a language's vocabulary depends on besides the tokenizer: this module's rules, the bundled word lists
    and wordfreq's version. A change to any of them makes stored vocabularies stale."""
    from importlib.metadata import version

    digest = hashlib.sha1(Path(__file__).read_bytes(), usedforsecurity=False)
    for path in sorted((resources.files("salt_core") / "data").iterdir(), key=lambda p: p.name):
        if path.name.endswith(".txt"):
            digest.update(path.name.encode() + path.read_bytes())
    digest.update(version("wordfreq").encode())
    return digest.hexdigest()[:16]


def _vocabulary_file(key: str, language: Language, strictness: str) -> Path:
    from salt_core.files import salt_home

    name = hashlib.sha1(f"{key}|{_rules_digest()}".encode(), usedforsecurity=False).hexdigest()[:20]
    return salt_home() / "vocabularies" / f"{name}-{language.code}-{strictness}.json"


def _stored_vocabulary(key: str, language: Language, strictness: str):
    """(initial ids, continuation ids, rule) computed by an earlier process, or None. Deciding the first language
    of a tokenizer reads wordfreq's lists of every rival language (about 4 s even for the demo model), and every
    command and every Ray worker would pay it again."""
    try:
        stored = json.loads(_vocabulary_file(key, language, strictness).read_text(encoding="utf-8"))
        if stored["key"] != key:
            return None
        return tuple(stored["initial"]), tuple(stored["continuation"]), str(stored["rule"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_vocabulary(key: str, vocabulary: LanguageVocabulary, strictness: str) -> None:
    from salt_core.files import atomic_write

    record = {"key": key, "initial": list(vocabulary.initial_ids), "continuation": list(vocabulary.continuation_ids),
              "rule": vocabulary.rule}
    try:
        atomic_write(_vocabulary_file(key, vocabulary.language, strictness),
                     lambda tmp: tmp.write_text(json.dumps(record), encoding="utf-8"))
    except OSError:  # a read-only home: the vocabulary is still right, only not kept
        pass




_OWNERS: dict[tuple, dict[int, str]] = {}


def token_languages(tokenizer, codes: tuple[str, ...] = CORE) -> dict[int, str]:
    """token id -> comma-separated languages (of `codes`, by default the 23 described by hand) it belongs to
    (word-initial entries only; cached)."""
    key = (tokenizer_fingerprint(tokenizer), tuple(codes))
    if key not in _OWNERS:
        owners: dict[int, list[str]] = {}
        for code in codes:
            try:
                ids = language_vocabulary(tokenizer, code).initial_ids
            except EmptyLanguageError:  # a language absent from this tokenizer simply owns nothing
                continue
            for token_id in ids:
                owners.setdefault(token_id, []).append(code)
        _OWNERS[key] = {token_id: ",".join(codes) for token_id, codes in owners.items()}
    return _OWNERS[key]


def coverage(tokenizer, codes: list[str] | None = None) -> pd.DataFrame:
    """Per language: how many word-initial and continuation tokens it holds, by which rule, and how many of its
    word-initial entries also belong to another registry language (`shared_with_others`; the "exclusive"
    strictness drops them). `attrs["attributed_share"]` is the share of the whole vocabulary that belongs to
    some registry language (word-initial or continuation), `attrs["vocabulary_size"]` the vocabulary size."""
    codes = tuple(get_language(code).code for code in (codes or CORE))
    owners = token_languages(tokenizer, codes)
    rows, attributed = [], set()
    for code in codes:
        language = get_language(code)
        try:
            vocab = language_vocabulary(tokenizer, code)
            n_initial, n_cont, rule = len(vocab.initial_ids), len(vocab.continuation_ids), vocab.rule
            shared = sum("," in owners.get(i, "") for i in vocab.initial_ids)
            attributed.update(vocab.initial_ids, vocab.continuation_ids)
        except UncoveredLanguageError:
            n_initial, n_cont, rule, shared = 0, 0, "none: no word list or identifier covers it", 0
        except EmptyLanguageError:
            n_initial, n_cont, rule, shared = 0, 0, "no tokens", 0
        rows.append({
            "code": language.code, "flores": language.flores, "language": language.name, "script": language.script,
            "family": language.family, "word_initial_tokens": n_initial, "shared_with_others": shared,
            "shared_share": shared / n_initial if n_initial else 0.0,
            "continuation_tokens": n_cont, "rule": rule, "word_source": word_source(language.code),
        })
    frame = pd.DataFrame(rows)
    size = len(tokenizer.get_vocab())
    frame.attrs.update(attributed_share=len(attributed) / size if size else 0.0, vocabulary_size=size)
    return frame


# ----------------------------------------------------------------------------- codes and names

# Scripts that are part of a language's usual one: Korean is written in Kore (Hangul + Han), so FLORES kor_Hang is
# plain Korean; likewise Japanese kana within Jpan.
SCRIPT_PARTS = {"Kore": ("Hang",), "Jpan": ("Hira", "Kana", "Hrkt")}
# XWinograd and a few sources use country-like codes for languages.
CODE_FIXES = {"jp": "ja", "cn": "zh", "kr": "ko", "gr": "el", "cz": "cs", "dk": "da", "eus": "eu"}


def fold(text: str) -> str:
    """A name for matching: case-folded, without diacritics ("Yorùbá" -> "yoruba", "Türkçe" -> "turkce")."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    bare = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return re.sub(r"[\s\-_]+", " ", bare.replace("ı", "i").casefold().replace("(", "").replace(")", "")).strip()


@cache
def _names_index() -> dict[str, str]:
    """Folded English name and own name (autonym) of every CLDR language -> its code (the shorter code when two
    languages share a name, so "Kiswahili" is sw, not the individual language swh)."""
    from langcodes.language_lists import CLDR_LANGUAGES
    from language_data.names import code_to_names

    index: dict[str, str] = {}
    for code in sorted(CLDR_LANGUAGES, key=lambda c: (len(c), c)):
        names = code_to_names(code)
        for name in (names.get("en"), names.get(code)):
            if name:
                index.setdefault(fold(name), code)
    return index


def _name_code(text: str) -> str | None:
    """The code of a language *named* by text, in English or in its own language, with or without diacritics.
    Only whole names count: langcodes.find and language_data's name_to_code also match prefixes ("virology" ->
    Estonian, via Finnish "viro"; "religions" -> Reli), so an answer is kept only when the text is one of that
    language's names."""
    folded = fold(text)
    if folded.isascii() and len(folded) < 4:  # "Gen", "Ko", "So" name languages, and are far more often words
        return None
    code = _names_index().get(folded)
    if code:
        return code
    from language_data.names import code_to_names, name_to_code

    def named(language: str | None) -> bool:  # the text is one of the language's names, not a prefix of a word
        return bool(language) and folded in {fold(name) for name in code_to_names(language).values()}

    code = name_to_code("language", folded, "en")  # also answers a word its name begins ("religions" -> Reli)
    if code and named(langcodes.Language.get(code).language):
        return langcodes.Language.get(code).language
    try:
        found = langcodes.find(text)
    except LookupError:
        return None
    return found.language if named(found.language) else None


def language_code(value: str) -> str | None:
    """The shortest ISO 639 code of a language code, BCP-47 tag or name; None if it names none.

    A script the tag states is kept when it is not the language's usual one (FLORES `zho_Hant` -> `zh-Hant`,
    `arb_Latn` -> `arb-Latn`, `kas_Deva` -> `ks-Deva`), so two scripts of one language stay two languages;
    the usual script is dropped (`deu_Latn` -> `de`, `zho_Hans` -> `zh`). A language CLDR folds into another's
    regional variety keeps its own code (Dari, `prs_Arab` -> `prs`, not `fa`, which is Iranian Persian's here).
    Names are read in English and in
    the language itself, with or without diacritics ("Yorùbá", "Espanol", "Türkçe", "Kiswahili").
    """
    text = str(value or "").strip()
    if not text or not text[0].isalpha() or not all(
            ch.isalpha() or ch in " _()-'’‘ʻʼ" or unicodedata.category(ch).startswith("M") for ch in text):
        return None
    text = CODE_FIXES.get(text.lower(), text)
    if re.fullmatch(r"[A-Za-z]{2,3}(?:[_-][A-Za-z]{4})?(?:[_-][A-Za-z]{2})?", text):
        try:
            language = langcodes.Language.get(text.replace("_", "-"))
            stated = langcodes.Language.get(text.replace("_", "-"), normalize=False)
            if language.territory and not stated.territory:  # CLDR folds a regional variety into another language
                language = language.update_dict({"language": stated.language, "territory": None})  # (prs -> fa-AF)
            if language.language and language.is_valid():
                usual = langcodes.Language.get(language.language).maximize().script
                if language.script and language.script != usual and language.script not in SCRIPT_PARTS.get(usual, ()):
                    return f"{language.language}-{language.script}"
                return language.language
        except (ValueError, LookupError):
            pass
    return _name_code(text)


def language_name(code: str) -> str:
    try:
        return langcodes.Language.get(code).display_name()
    except (ValueError, LookupError):
        return code


def registry_language(token: str) -> str | None:
    """A registry language code (LANGUAGES) for an ISO 639-1/2/3 code, BCP-47 tag or English name, else None."""
    code = language_code(token)
    return code if code in LANGUAGES else None


# ----------------------------------------------------------------------------- every FLORES-200 language

# The standard varieties the hand table named by their macrolanguage: FLORES arb_Arab is "ar", not one of nine
# Arabic varieties; likewise Iranian Persian and (individual-language) Swahili.
_HAND_NAMED = {"arb_Arab": "ar", "pes_Arab": "fa", "swh_Latn": "sw"}
ALIASES: dict[str, str] = {}  # lower-cased code, tag or FLORES code -> registry key


@cache
def _flores_codes() -> tuple[str, ...]:
    text = (resources.files("salt_core") / "data" / "flores200.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _add_catalogue() -> None:
    """Every FLORES-200 language joins the registry: its key is language_code() of its FLORES code (the code the
    run importers give it), its name CLDR's, its scripts the FLORES script subtag's Unicode scripts."""
    from dataclasses import replace

    for flores in _flores_codes():
        key = _HAND_NAMED.get(flores) or language_code(flores) or flores
        if key in LANGUAGES and LANGUAGES[key].flores:  # Dari and Iranian Persian are both "fa" to CLDR
            key = flores.split("_")[0]
        subtag = flores.split("_")[1]
        parts = _SCRIPT_PARTS.get(subtag, (subtag,))
        if key in LANGUAGES:
            LANGUAGES[key] = replace(LANGUAGES[key], flores=flores)
        else:
            LANGUAGES[key] = Language(key, language_name(key), tuple(script_name(part) for part in parts), "",
                                      spaced=parts[0] not in _UNSPACED, flores=flores)
    for key, language in LANGUAGES.items():
        names = [key, language.flores]
        try:
            tag = langcodes.Language.get(key)
            names += [tag.language, tag.to_alpha3(), macrolanguage(tag.language)]
        except (ValueError, LookupError):
            pass
        if language.flores:
            names.append(language.flores.split("_")[0])
        for name in names:
            if name:
                ALIASES.setdefault(name.lower(), key)
    for key in LANGUAGES:  # a registry key always names its own language
        ALIASES[key.lower()] = key


def get_language(code: str) -> Language:
    """The registry entry for a FLORES-200 code (yor_Latn), ISO 639 code (yo, yor), BCP-47 tag or English name,
    or UnknownLanguageError saying why not."""
    text = code.strip() if isinstance(code, str) else ""
    key = ALIASES.get(text.lower())
    if key is None and text:
        resolved = language_code(text)
        key = ALIASES.get(resolved.lower()) if resolved else None
        if key is None and resolved:
            raise UnknownLanguageError(
                f"{language_name(resolved)} ({code}) is not one of the {len(_flores_codes())} FLORES-200 languages "
                "of SIB-200 that this tool has vocabulary rules for.")
    if key is None:
        raise UnknownLanguageError(
            f"Unknown language code {code!r}: give a FLORES-200 code (yor_Latn), an ISO 639 code (yo or yor) or "
            "an English name (Yoruba).")
    return LANGUAGES[key]


_add_catalogue()
