"""Task data for zero-shot transfer: one table of examples, whatever the source.

Three sources, one result (`TaskData`, a frame with columns id, text, text_pair, label, language, split):

* a folder in SIB-200's layout, `<flores code>/{train,dev,test}.tsv` with columns `index_id`, `category`, `text`
  (tab-separated, no quoting: Adelani et al. 2024, `dadelani/sib-200`);
* a Hugging Face dataset by name when the user has the hub (`Davlan/sib200`, `xnli`, `paws-x`), loaded lazily
  with `datasets`; an offline machine gets a message that says so;
* a plain table (.csv, .tsv, .jsonl) with `text` (and `text_pair` for pair tasks such as XNLI and PAWS-X),
  `label`, `language`, `split` (and optionally `id`).

Language codes go through `salt_core.languages.language_code`: FLORES `deu_Latn` -> `de`, a script that is not
the language's usual one kept (`zho_Hant` -> `zh-Hant`, `arb_Latn` -> `arb-Latn`). Bad data is refused with a
message naming the file and row: a label in dev/test that the training split never shows, an empty split, a
language without a test split, a duplicated id, a missing value. Nothing is silently dropped.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from salt_core.errors import InputError, SaltError
from salt_core.files import decode_text, jsonl_records
from salt_core.languages import language_code

SPLITS = ("train", "dev", "test")
FIELDS = ["id", "text", "text_pair", "label", "language", "split", "origin"]  # origin: file and row, for messages
HUB_TASKS = {"Davlan/sib200": "SIB-200", "xnli": "XNLI", "paws-x": "PAWS-X", "google-research-datasets/paws-x": "PAWS-X",
             "facebook/xnli": "XNLI"}
MAX_ROWS = 2_000_000  # a table larger than this is not a task's examples


@dataclass
class TaskData:
    """Examples of one task in every language it has; `languages` maps the project's code to the source's."""

    name: str  # "SIB-200", "XNLI", or the file's name
    examples: pd.DataFrame  # FIELDS
    labels: list[str]  # in a fixed order (training split's first appearance); a model's class i is labels[i]
    languages: dict[str, str] = field(default_factory=dict)  # project code -> the code the data used (deu_Latn)
    is_pair: bool = False

    def split(self, language: str, split: str) -> pd.DataFrame:
        rows = self.examples[(self.examples["language"] == language) & (self.examples["split"] == split)]
        return rows.reset_index(drop=True)

    def resolve(self, requested: list[str]) -> list[str]:
        """The project's codes for languages given as FLORES or ISO codes; a language the data lacks is refused."""
        known = {**{code: code for code in self.languages}, **{source: code for code, source in self.languages.items()}}
        resolved, missing = [], []
        for token in requested:
            code = known.get(token) or known.get(language_code(token) or "")
            (resolved if code else missing).append(code or token)
        if missing:
            raise InputError(f"{self.name} has no {', '.join(missing)}: it holds {len(self.languages)} languages "
                             f"(e.g. {', '.join(sorted(self.languages.values())[:6])}).")
        return list(dict.fromkeys(resolved))


def _code(source: str, where: str) -> str:
    code = language_code(source)
    if not code:
        raise InputError(f"{where}: {source!r} is not a language code (use ISO 639 or FLORES codes such as deu_Latn).")
    return code


def read_sib200_folder(folder: str | Path, languages: list[str] | None = None) -> TaskData:
    """A folder in SIB-200's layout. `languages` (FLORES or ISO codes) limits what is read; None reads all."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder (expected <flores code>/train.tsv, dev.tsv, test.tsv inside).")
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and any((p / f"{s}.tsv").is_file() for s in SPLITS))
    if not subfolders:
        raise InputError(f"{folder} holds no <language>/{{train,dev,test}}.tsv files: is it SIB-200's data/annotated?")
    wanted = None
    if languages:
        wanted = {t for t in languages} | {language_code(t) for t in languages}
    frames, names = [], {}
    for sub in subfolders:
        code = _code(sub.name, str(sub))
        if wanted is not None and sub.name not in wanted and code not in wanted and sub.name != "eng_Latn":
            continue
        if code in names:
            raise InputError(f"{sub} and {folder / names[code]} are the same language ({code}); keep one.")
        names[code] = sub.name
        for split in SPLITS:
            path = sub / f"{split}.tsv"
            if path.is_file():
                frames.append(_read_sib200_file(path, code, split))
    examples = pd.concat(frames, ignore_index=True)
    return _checked(TaskData("SIB-200", examples, [], names), str(folder))


def _read_sib200_file(path: Path, code: str, split: str) -> pd.DataFrame:
    text = decode_text(path.read_bytes(), str(path))
    rows = list(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or [c.strip() for c in rows[0][:3]] != ["index_id", "category", "text"]:
        raise InputError(f"{path}: the header must be index_id, category, text (SIB-200's layout).")
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 3:
            raise InputError(f"{path}, line {number}: {len(row)} columns, expected 3 (index_id, category, text).")
        records.append({"id": row[0].strip(), "text": row[2], "text_pair": None, "label": row[1].strip(),
                        "language": code, "split": split, "origin": f"{path}, line {number}"})
    return pd.DataFrame(records, columns=FIELDS)


def read_table_data(data: bytes, name: str) -> TaskData:
    """A plain table: text, (text_pair,) label, language, split (and optionally id), as CSV, TSV or JSONL."""
    suffix = Path(name).suffix.lower()
    text = decode_text(data, name)
    if suffix in (".csv", ".tsv"):
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        records = [(number, row) for number, row in enumerate(reader, start=2)]
    elif suffix == ".jsonl":
        records = []
        for number, record, problem in jsonl_records(text):
            if problem:
                raise InputError(f"{name}, line {number}: {problem}.")
            if not isinstance(record, dict):
                raise InputError(f"{name}, line {number}: not a JSON object.")
            records.append((number, record))
    else:
        raise InputError(f"{name}: task tables are .csv, .tsv or .jsonl.")
    if len(records) > MAX_ROWS:
        raise InputError(f"{name} holds {len(records):,} rows; the limit is {MAX_ROWS:,}.")
    if not records:
        raise InputError(f"{name} holds no examples.")
    missing = [c for c in ("text", "label", "language", "split") if c not in records[0][1]]
    if missing:
        raise InputError(f"{name}: no column {', '.join(missing)} (a task table has text, label, language, split, "
                         "and text_pair for pair tasks).")
    rows, names = [], {}
    for number, record in records:
        where = f"{name}, line {number}"
        for column in ("text", "label", "language", "split"):
            if record.get(column) in (None, ""):
                raise InputError(f"{where}: {column} is empty.")
        split = str(record["split"]).strip().lower()
        split = {"validation": "dev", "valid": "dev"}.get(split, split)
        if split not in SPLITS:
            raise InputError(f"{where}: split {record['split']!r} is not train, dev or test.")
        code = _code(str(record["language"]).strip(), where)
        names.setdefault(code, str(record["language"]).strip())
        pair = record.get("text_pair")
        rows.append({"id": str(record.get("id") or f"row{number}"), "text": str(record["text"]),
                     "text_pair": None if pair in (None, "") else str(pair), "label": str(record["label"]).strip(),
                     "language": code, "split": split, "origin": where})
    examples = pd.DataFrame(rows, columns=FIELDS)
    return _checked(TaskData(Path(name).stem, examples, [], names, bool(examples["text_pair"].notna().any())), name)


def read_hub_dataset(name: str, languages: list[str]) -> TaskData:
    """`Davlan/sib200`, `xnli` or `paws-x` through Hugging Face `datasets`, one config per language: from its
    local cache first (which is all a node without internet has, with HF_HUB_OFFLINE=1), from the hub otherwise.
    Refused in one line when a language is neither cached nor reachable."""
    try:
        import datasets
    except ImportError as exc:
        raise InputError("Reading a hub dataset needs the `datasets` package (pip install -r requirements-hub.txt), "
                         "or pass a folder in SIB-200's layout or a table.") from exc
    if not languages:
        raise InputError(f"Name the languages of {name} to read (--languages, its configs such as eng_Latn).")
    configs: dict[str, str] = {}  # project code -> the dataset's config; "en" and "eng_Latn" are one language
    for token in languages:
        config = token
        if HUB_TASKS.get(name) == "SIB-200" and "_" not in token:  # SIB-200's configs are FLORES codes
            from salt_core.languages import get_language

            try:
                config = get_language(token).flores or token
            except SaltError:
                pass
        configs.setdefault(_code(config, name), config)
    frames, names = [], {}
    for source in configs.values():
        try:
            loaded = datasets.load_dataset(name, source)
        except Exception as exc:  # noqa: BLE001 - datasets raises ConnectionError, ValueError, FileNotFoundError ...
            offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
            where = datasets.config.HF_DATASETS_CACHE
            raise InputError(
                f"{name} ({source}) is not in the local datasets cache ({where}) and "
                + ("HF_HUB_OFFLINE is set, so it was not downloaded" if offline else
                   f"could not be downloaded ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})")
                + ". Load it once where the hub is reachable (same HF_DATASETS_CACHE), or pass a local folder in "
                  "SIB-200's layout or a table.") from exc
        code = _code(source, name)
        names[code] = source
        for split, part in loaded.items():
            split = {"validation": "dev"}.get(split, split)
            frame = part.to_pandas()
            text = frame["text"] if "text" in frame else frame.get("premise", frame.get("sentence1"))
            pair = frame.get("hypothesis", frame.get("sentence2"))
            label = frame["category"] if "category" in frame else frame["label"]
            frames.append(pd.DataFrame({"id": frame.get("index_id", pd.Series(range(len(frame)))).astype(str),
                                        "text": text, "text_pair": pair, "label": label.astype(str), "language": code,
                                        "split": split, "origin": [f"{name}/{source}/{split} row {i}"
                                                                   for i in range(len(frame))]}))
    examples = pd.concat(frames, ignore_index=True)
    return _checked(TaskData(HUB_TASKS.get(name, name), examples, [], names, examples["text_pair"].notna().any()), name)


def load_task(source: str, languages: list[str] | None = None) -> TaskData:
    """A folder, a table file, or a hub dataset name, read by the rule of its kind (see the module docstring)."""
    path = Path(source)
    if path.is_dir():
        return read_sib200_folder(path, languages)
    if path.is_file():
        return read_table_data(path.read_bytes(), path.name)
    if source in HUB_TASKS or re.fullmatch(r"[\w.-]+/[\w.-]+", source) and not path.suffix and not path.parent.exists():
        return read_hub_dataset(source, languages or [])
    raise InputError(f"{source} is neither a folder, a table file nor a known hub dataset ({', '.join(HUB_TASKS)}).")


def _checked(task: TaskData, where: str) -> TaskData:
    """Refuse data the protocol cannot use, naming the file and row."""
    examples = task.examples
    empty = examples[examples["text"].fillna("").str.strip() == ""]
    if len(empty):
        raise InputError(f"{empty['origin'].iloc[0]}: the text is empty.")
    duplicated = examples[examples.duplicated(["language", "split", "id"], keep="first")]
    if len(duplicated):
        row = duplicated.iloc[0]
        raise InputError(f"{row['origin']}: id {row['id']!r} appears twice in {row['language']} {row['split']}.")
    train_labels = list(dict.fromkeys(examples.loc[examples["split"] == "train", "label"]))
    if not train_labels:
        raise InputError(f"{where}: no training split in any language.")
    unknown = examples[~examples["label"].isin(train_labels)]
    if len(unknown):
        row = unknown.iloc[0]
        raise InputError(f"{row['origin']}: label {row['label']!r} never appears in a training split "
                         f"(known: {', '.join(train_labels)}).")
    for code in task.languages:
        if not (examples["language"] == code).any():
            continue
        if not ((examples["language"] == code) & (examples["split"] == "test")).any():
            raise InputError(f"{where}: {task.languages[code]} has no test split, so it cannot be evaluated.")
    task.labels = sorted(train_labels)  # a stable order, whatever the file's row order
    return task


def check_zero_shot(task: TaskData, source: str, train: pd.DataFrame, select: pd.DataFrame) -> None:
    """The zero-shot rule, enforced: only source-language examples are trained on and selected on."""
    for name, frame in (("training", train), ("model-selection", select)):
        foreign = frame[frame["language"] != source]
        if len(foreign):
            raise InputError(f"zero-shot rule: the {name} data holds {len(foreign)} examples in "
                             f"{', '.join(sorted(foreign['language'].unique()))}, not only in {source}.")
    if train.empty:
        raise InputError(f"{task.name} has no training examples in {task.languages.get(source, source)}.")
    if select.empty:
        raise InputError(f"{task.name} has no dev split in {task.languages.get(source, source)} to select the model on.")
