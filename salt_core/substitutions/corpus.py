"""Read a corpus of sentences: .txt (one per line), .csv/.tsv, .jsonl or .parquet (a text column); one file,
a folder of shards or a glob.

The app's upload, the CLI and both mining engines share this reader. Bad lines are reported with their line
number and reason; good lines still load; nothing is silently dropped (empty lines are passed on, so the
miner reports them too). Only plain formats are read: nothing is ever unpickled.

Sentence ids are global and stable: a file's sentence on line n has id offset + n, where the offset is the
number of lines of the files before it (in sorted path order). For a single file the id is the line number.
"""

from __future__ import annotations

import bisect
import csv
import glob
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from salt_core.errors import InputError
from salt_core.files import decode_text, jsonl_records, lines

TEXT_COLUMNS = ("text", "sentence", "sentence1", "premise", "source")  # tried in this order
SUFFIXES = (".txt", ".csv", ".tsv", ".jsonl", ".parquet")


@dataclass
class Corpus:
    sentence_ids: list[int] = field(default_factory=list)  # 1-based line (or row) numbers, plus the file's offset
    sentences: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # {"line" (a sentence id), "reason"}
    files: list[tuple[str, int]] = field(default_factory=list)  # (name, offset) per file, offsets ascending

    def where(self, sentence_id: int) -> tuple[str, int]:
        """The file and the line (or Parquet row) a sentence id stands for."""
        return self.locator()(sentence_id)

    def locator(self):
        """`where` for many ids: the files' offsets are gathered once."""
        files, offsets = list(self.files), [offset for _, offset in self.files]

        def where(sentence_id: int) -> tuple[str, int]:
            if not files:
                return "", int(sentence_id)
            name, offset = files[max(0, bisect.bisect_left(offsets, int(sentence_id)) - 1)]
            return name, int(sentence_id) - offset

        return where


@dataclass(frozen=True)
class InputFile:
    """One file of a corpus: where it is, what it holds (its digest) and where its ids start."""
    path: str
    name: str  # as reports show it: relative to the folder or glob it was found by
    sha256: str
    span: int  # lines (rows for Parquet): the next file's ids start after them
    offset: int


@dataclass(frozen=True)
class Shard:
    first: int  # the first id the shard may hold: its name
    sentence_ids: list[int]
    sentences: list[str]


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


def _parquet_column(data: bytes, name: str, text_column: str | None, corpus: Corpus) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        column = _pick_column(parquet.schema_arrow.names, text_column, name)
        values = parquet.read(columns=[column]).column(column).to_pylist()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the user's file
        raise InputError(f"{name} is not a readable Parquet file: {exc}") from exc
    for number, value in enumerate(values, start=1):
        if not isinstance(value, str):
            corpus.problems.append({"line": number, "reason": f"{column!r} is missing or not a string"})
            continue
        corpus.sentence_ids.append(number)
        corpus.sentences.append(value)


def read_corpus(data: bytes, name: str, text_column: str | None = None, max_sentences: int | None = None,
                allow_empty: bool = False) -> Corpus:
    """Parse `data` according to the suffix of `name` (ids are the file's line or row numbers)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(f"{name}: unsupported file type; use one of {', '.join(SUFFIXES)}.")
    corpus = Corpus(files=[(name, 0)])
    if suffix == ".parquet":
        _parquet_column(data, name, text_column, corpus)
        return _checked(corpus, name, max_sentences, allow_empty)
    text = decode_text(data, name)
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
    return _checked(corpus, name, max_sentences, allow_empty)


def _checked(corpus: Corpus, name: str, max_sentences: int | None, allow_empty: bool) -> Corpus:
    if max_sentences is not None and len(corpus.sentences) > max_sentences:
        raise InputError(f"{name} holds {len(corpus.sentences):,} sentences; the limit here is {max_sentences:,}. "
                         "Use the command line (python -m salt_core mine) for large corpora.")
    if not corpus.sentences and not allow_empty:
        raise no_sentences(name, corpus.problems)
    return corpus


def no_sentences(name: str, problems: list[dict]) -> InputError:
    """The error for a corpus without a single sentence, with its first problems."""
    reasons = "; ".join(f"line {p['line']}: {p['reason']}" for p in problems[:5])
    return InputError(f"{name} holds no sentences." + (f" Problems: {reasons}" if reasons else ""))


def _describe(path: Path, name: str) -> tuple[str, int]:
    """A file's sha256 and how many ids it takes (its lines as `lines` counts them; Parquet: its rows), read in
    blocks: the Ray engine's driver never holds a whole corpus."""
    digest, newlines, last, size = hashlib.sha256(), 0, b"", 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            newlines += block.count(b"\n")
            last, size = block[-1:], size + len(block)
    if Path(name).suffix.lower() != ".parquet":
        return digest.hexdigest(), newlines + (0 if not size or last == b"\n" else 1)
    import pyarrow.parquet as pq

    try:
        return digest.hexdigest(), pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:  # noqa: BLE001 - any parser failure is the user's file
        raise InputError(f"{name} is not a readable Parquet file: {exc}") from exc


def corpus_files(location: str | Path) -> list[tuple[Path, str]]:
    """The files a corpus is made of, in sorted order, with the names reports use: one file, every readable file
    in a folder (and its sub-folders; hidden ones skipped), or a glob pattern."""
    text = str(location)
    path = Path(text)
    if path.is_file():
        return [(path, path.name)]
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not found:
            raise InputError(f"{path} holds no corpus files ({', '.join(SUFFIXES)}).")
        return [(p, p.relative_to(path).as_posix()) for p in found]
    if glob.has_magic(text):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not found:
            raise InputError(f"{text} matches no files.")
        unsupported = [p.name for p in found if p.suffix.lower() not in SUFFIXES]
        if unsupported:
            raise InputError(f"{text} matches files of an unsupported type ({', '.join(unsupported[:3])}); use "
                             f"{', '.join(SUFFIXES)}.")
        return [(p, str(p)) for p in found]
    raise InputError(f"{text} does not exist.")


def corpus_inputs(location: str | Path) -> list[InputFile]:
    """The corpus's files with their digests and id offsets (each file read once, in blocks)."""
    inputs, offset = [], 0
    for path, name in corpus_files(location):
        digest, size = _describe(path, name)
        inputs.append(InputFile(str(path.resolve()), name, digest, size, offset))
        offset += size
    return inputs


def parse_input(data: bytes, source: InputFile, text_column: str | None) -> Corpus:
    """One file of a corpus with global ids (its offset added); a file without sentences is a reported problem."""
    corpus = read_corpus(data, source.name, text_column, allow_empty=True)
    return Corpus([sid + source.offset for sid in corpus.sentence_ids], corpus.sentences,
                  [{"line": p["line"] + source.offset, "reason": p["reason"]} for p in corpus.problems],
                  [(source.name, source.offset)])


def read_inputs(inputs: list[InputFile], text_column: str | None = None) -> Corpus:
    """All files of a corpus as one, ids global (what the local engine mines)."""
    corpus = Corpus()
    for source in inputs:
        part = parse_input(Path(source.path).read_bytes(), source, text_column)
        corpus.sentence_ids += part.sentence_ids
        corpus.sentences += part.sentences
        corpus.problems += part.problems
        corpus.files += part.files
    if not corpus.sentences:
        raise no_sentences(inputs[0].name if len(inputs) == 1 else "The corpus", corpus.problems)
    return corpus


def shards(corpus: Corpus, chunk_size: int) -> list[Shard]:
    """The corpus's sentences in fixed shards of one file's `chunk_size` consecutive lines (ids)."""
    grouped: dict[int, tuple[list[int], list[str]]] = {}
    where = corpus.locator()
    for sid, sentence in zip(corpus.sentence_ids, corpus.sentences):
        _, line = where(sid)
        first = sid - line + (line - 1) // chunk_size * chunk_size + 1
        ids, texts = grouped.setdefault(first, ([], []))
        ids.append(sid)
        texts.append(sentence)
    return [Shard(first, *grouped[first]) for first in sorted(grouped)]
