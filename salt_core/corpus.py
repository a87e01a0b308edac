"""Read a small corpus of sentences from bytes: .txt (one per line), .csv/.tsv or .jsonl (a text column).

The app's upload and the CLI share this reader. Bad lines are reported with their line number and
reason; good lines still load; nothing is silently dropped (empty lines are passed on, so the miner
reports them too). Only plain text formats are read: nothing is ever unpickled.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from salt_core.errors import InputError

TEXT_COLUMNS = ("text", "sentence", "sentence1", "premise", "source")  # tried in this order
SUFFIXES = (".txt", ".csv", ".tsv", ".jsonl")


@dataclass
class Corpus:
    sentence_ids: list[int] = field(default_factory=list)  # 1-based line (or row) numbers of the file
    sentences: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # {"line", "reason"}


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text (a BOM is dropped), or an InputError that says where the first bad byte is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not UTF-8 text (first undecodable byte at offset {exc.start}). "
                         "Save it as UTF-8 and upload it again.") from exc


def lines(text: str) -> list[str]:
    """Lines split on "\\n" only (a trailing "\\r" dropped): U+2028, NEL and form feed inside a line are
    text, not line breaks, so line numbers match what an editor shows and valid JSON lines stay whole."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [part[:-1] if part.endswith("\r") else part for part in parts]


def _pick_column(columns: list[str], text_column: str | None, name: str) -> str:
    if text_column:
        if text_column not in columns:
            raise InputError(f"{name} has no column {text_column!r}; its columns are: {', '.join(columns)}.")
        return text_column
    for candidate in TEXT_COLUMNS:
        if candidate in columns:
            return candidate
    raise InputError(f"{name}: no text column found (looked for {', '.join(TEXT_COLUMNS)}); its columns are: "
                     f"{', '.join(columns) or 'none'}. Name the column to use.")


def read_corpus(data: bytes, name: str, text_column: str | None = None, max_sentences: int | None = None) -> Corpus:
    """Parse `data` according to the suffix of `name`."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{name}: unsupported file type; use one of {', '.join(SUFFIXES)}.")
    text = decode_text(data, name)
    corpus = Corpus()
    if suffix == ".txt":
        for number, line in enumerate(lines(text), start=1):
            corpus.sentence_ids.append(number)
            corpus.sentences.append(line)
    elif suffix in (".csv", ".tsv"):
        try:
            reader = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
            column = _pick_column(list(reader.fieldnames or []), text_column, name)
            for number, row in enumerate(reader, start=2):  # line 1 is the header
                value = row.get(column)
                if value is None:
                    corpus.problems.append({"line": number, "reason": f"row has no {column!r} value"})
                    continue
                corpus.sentence_ids.append(number)
                corpus.sentences.append(value)
        except csv.Error as exc:
            raise InputError(f"{name} is not a readable CSV file: {exc}") from exc
    else:
        column = text_column
        for number, line in enumerate(lines(text), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                corpus.problems.append({"line": number, "reason": f"not valid JSON ({exc.msg})"})
                continue
            if not isinstance(record, dict):
                corpus.problems.append({"line": number, "reason": "not a JSON object"})
                continue
            column = column or _pick_column(list(record), None, name)
            value = record.get(column)
            if not isinstance(value, str):
                corpus.problems.append({"line": number, "reason": f"{column!r} is missing or not a string"})
                continue
            corpus.sentence_ids.append(number)
            corpus.sentences.append(value)
    if max_sentences is not None and len(corpus.sentences) > max_sentences:
        raise InputError(f"{name} holds {len(corpus.sentences):,} sentences; the limit here is {max_sentences:,}. "
                         "Use the command line (python -m salt_core mine) for large corpora.")
    if not corpus.sentences:
        reasons = "; ".join(f"line {p['line']}: {p['reason']}" for p in corpus.problems[:5])
        raise InputError(f"{name} holds no sentences." + (f" Problems: {reasons}" if reasons else ""))
    return corpus


def language_code(token: str) -> str | None:
    """A registry language code for an ISO 639-1/2/3 code, BCP-47 tag or English name, else None."""
    from salt_core.identity import language_code as iso_code
    from salt_core.languages import LANGUAGES

    code = iso_code(token)
    return code if code in LANGUAGES else None


def dictionary_languages(name: str, header: list[str] | None = None) -> tuple[str | None, str | None]:
    """(source, target) languages a dictionary names in its header ("en,de") or file name ("eng-deu.tsv",
    "dictionary_en_de.csv"); None where it names none. The page asks the user whenever this is unsure."""
    if header and len(header) >= 2:
        codes = [language_code(cell) for cell in header[:2]]
        if all(codes):
            return codes[0], codes[1]
    import re

    tokens = [t for t in re.split(r"[-_. ]+", Path(name).stem) if 2 <= len(t) <= 3]
    codes = [code for code in (language_code(t) for t in tokens) if code]
    if len(codes) >= 2:
        return codes[-2], codes[-1]
    return None, None


def read_dictionary(data: bytes, name: str):
    """A bilingual dictionary: two columns (source word, target word), CSV or TSV, header optional; or a
    CC-CEDICT file (read English -> Chinese).

    The header may name the languages ("en,de" or "English,German"); they are kept, with any the file
    name names, in attrs["languages"] = (source, target) (None where unknown).
    """
    import pandas as pd

    text = decode_text(data, name)
    from salt_core.dictionaries import looks_like_cedict, read_cedict_text

    if looks_like_cedict(text):  # CC-CEDICT's own format: English -> Chinese pairs from its glosses
        return read_cedict_text(text)
    delimiter = "\t" if Path(name).suffix.lower() == ".tsv" or "\t" in text.split("\n", 1)[0] else ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(cell.strip() for cell in row)]
    languages = dictionary_languages(name, rows[0] if rows else None)
    header = [c.strip().lower() for c in rows[0][:2]] if rows else []
    if header == ["source", "target"] or (rows and all(language_code(c) for c in rows[0][:2])):
        rows = rows[1:]
    bad = [n for n, row in enumerate(rows, start=1) if len(row) < 2 or not row[0].strip() or not row[1].strip()]
    if bad:
        raise InputError(f"{name}: every line needs two columns, source word and target word (see line "
                         f"{bad[0]}).")
    if not rows:
        raise InputError(f"{name} holds no word pairs.")
    frame = pd.DataFrame({"source": [r[0].strip() for r in rows], "target": [r[1].strip() for r in rows]})
    frame.attrs["languages"] = languages
    return frame
