"""Read a small corpus of sentences from bytes: .txt (one per line), .csv/.tsv or .jsonl (a text column).

The app's upload and the CLI share this reader. Bad lines are reported with their line number and
reason; good lines still load; nothing is silently dropped (empty lines are passed on, so the miner
reports them too). Only plain text formats are read: nothing is ever unpickled.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from salt_core.errors import InputError
from salt_core.files import decode_text, jsonl_records, lines

TEXT_COLUMNS = ("text", "sentence", "sentence1", "premise", "source")  # tried in this order
SUFFIXES = (".txt", ".csv", ".tsv", ".jsonl")


@dataclass
class Corpus:
    sentence_ids: list[int] = field(default_factory=list)  # 1-based line (or row) numbers of the file
    sentences: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # {"line", "reason"}


class NoTextColumn(InputError):
    """The file has columns but none of TEXT_COLUMNS: the caller can offer `columns` to choose from."""

    def __init__(self, message: str, columns: list[str]):
        super().__init__(message)
        self.columns = columns


def _pick_column(columns: list[str], text_column: str | None, name: str) -> str:
    if text_column:
        if text_column not in columns:
            raise InputError(f"{name} has no column {text_column!r}; its columns are: {', '.join(columns)}.")
        return text_column
    for candidate in TEXT_COLUMNS:
        if candidate in columns:
            return candidate
    if not columns:
        raise InputError(f"{name}: no columns found (looked for {', '.join(TEXT_COLUMNS)}).")
    raise NoTextColumn(f"{name}: no text column found (looked for {', '.join(TEXT_COLUMNS)}); its columns are: "
                       f"{', '.join(columns)}. Name the column to use (--text-column, or the page's picker).", columns)


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
        for number, record, problem in jsonl_records(text):
            if problem:
                corpus.problems.append({"line": number, "reason": problem})
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
