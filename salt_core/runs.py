"""Saved runs: one schema, loaders for the formats researchers keep results in, and the bundled reference runs.

Schema (one row per model x language x task x method x seed):

    run_id, model, model_family, params (integer parameter count), pretraining_corpus, language,
    language_kind ("natural" | "programming"), pretraining_data, pretraining_data_unit, task, split,
    method, metric, score (0-100), score_stderr (same scale), seed, source, notes, flags (known problems)

Volumes carry their unit in `pretraining_data_unit` ("GiB", "bytes", "tokens (Gemma3 tokenizer)", ...):
values with different units are never put on one axis; the one conversion we apply is bytes -> GiB
(divide by 2**30), and only when asked (`to_gib`). Every loader returns the good rows *and* a list of
problems (row number, reason); nothing the user gave is dropped silently or altered, except the
documented unit conversions of a format (lm-evaluation-harness and Trainer report accuracy as 0-1; it
is multiplied by 100, and the row's notes say so).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from salt_core.corpus import decode_text
from salt_core.errors import InputError

COLUMNS = ["run_id", "model", "model_family", "params", "pretraining_corpus", "language", "language_kind",
           "pretraining_data", "pretraining_data_unit", "task", "split", "method", "metric", "score",
           "score_stderr", "seed", "source", "notes", "flags"]
REQUIRED = ["model", "language", "task", "method", "metric", "score"]
KINDS = ("natural", "programming")
GIB = 2**30


@dataclass
class LoadResult:
    runs: pd.DataFrame
    problems: list[dict] = field(default_factory=list)  # {"row": n, "reason": "..."}

    def extend(self, other: LoadResult) -> LoadResult:
        return LoadResult(pd.concat([self.runs, other.runs], ignore_index=True), self.problems + other.problems)


@cache
def known_natural_languages() -> frozenset[str]:
    """ISO 639 codes a natural-language run may use (bundled list; the registry's codes included)."""
    text = (resources.files("salt_core") / "data" / "language_codes.txt").read_text(encoding="utf-8")
    return frozenset(line.split()[0] for line in text.splitlines() if line and not line.startswith("#"))


def _number(value) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def validate(frame: pd.DataFrame, first_row: int = 1) -> LoadResult:
    """Check rows against the schema; bad rows go to problems with their reason, good rows are kept as given."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"The table lacks the required column(s) {', '.join(missing)}. Required: "
                         f"{', '.join(REQUIRED)}; map your columns to these names first.")
    frame = frame.copy()
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    good, problems, seen = [], [], set()
    for offset, row in enumerate(frame[COLUMNS].to_dict("records")):
        number = first_row + offset
        reason = _row_problem(row)
        has_id = row["run_id"] not in (None, "") and str(row["run_id"]) != "nan"
        key = ("run_id", str(row["run_id"])) if has_id else tuple(
            str(row[c]) for c in ("model", "language", "task", "method", "metric", "seed", "split", "source", "notes"))
        if reason is None and key in seen:
            reason = ("duplicate run_id" if has_id else
                      "duplicate of an earlier row (same model, language, task, method, metric, seed, source)")
        if reason:
            problems.append({"row": number, "reason": reason})
            continue
        seen.add(key)
        good.append(row)
    runs = pd.DataFrame(good, columns=COLUMNS)
    for column in set(COLUMNS) - {"score", "score_stderr", "pretraining_data", "params", "seed"}:
        runs[column] = runs[column].astype(object)  # text columns stay text even when all empty
    for column in ("score", "score_stderr", "pretraining_data"):
        runs[column] = pd.to_numeric(runs[column])
    runs["params"] = pd.to_numeric(runs["params"]).astype("Int64")
    return LoadResult(runs, problems)


def _row_problem(row: dict) -> str | None:
    for column in REQUIRED:
        if row[column] is None or str(row[column]).strip() in ("", "nan"):
            return f"missing {column}"
    score = _number(row["score"])
    if score is None:
        return f"score {row['score']!r} is not a number"
    if not 0 <= score <= 100:
        return f"score {score} is outside 0-100 (give percentages)"
    kind = row["language_kind"] or "natural"
    if kind not in KINDS:
        return f"language_kind must be natural or programming, not {kind!r}"
    row["language_kind"] = kind
    if kind == "natural" and str(row["language"]).strip().lower() not in known_natural_languages():
        return f"unknown language code {row['language']!r} (use ISO 639-1, e.g. sw, de)"
    if row["params"] not in (None, "") and not (isinstance(row["params"], float) and math.isnan(row["params"])):
        params = _number(row["params"])
        if params is None or params <= 0:
            return f"params {row['params']!r} is not a positive parameter count"
    volume = _number(row["pretraining_data"])
    if row["pretraining_data"] not in (None, "") and volume is None and not (
            isinstance(row["pretraining_data"], float) and math.isnan(row["pretraining_data"])):
        return f"pretraining_data {row['pretraining_data']!r} is not a number"
    if volume is not None:
        if volume <= 0:
            return f"pretraining_data {volume} must be positive"
        if not row["pretraining_data_unit"] or str(row["pretraining_data_unit"]) in ("nan", "None"):
            return "pretraining_data has no unit (pretraining_data_unit)"
    return None


# ----------------------------------------------------------------------------- formats


def read_table_bytes(data: bytes, name: str) -> pd.DataFrame:
    """CSV, JSONL or Parquet into a DataFrame of strings/numbers (never a pickle)."""
    import io

    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(io.BytesIO(data))
        text = decode_text(data, name)
        if suffix == ".csv":
            return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""], dtype=str)
        if suffix == ".jsonl":
            records = []
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{name}, line {number}: not valid JSON ({exc.msg}).") from exc
            return pd.DataFrame(records)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - the parser's complaint is about the user's file
        raise InputError(f"{name} could not be read: {exc}") from exc
    raise InputError(f"{name}: unsupported table type; use .csv, .jsonl or .parquet.")


LM_EVAL_TASKS = {"xnli": "XNLI", "pawsx": "PAWS-X", "xcopa": "XCOPA", "xstorycloze": "XStoryCloze",
                 "xwinograd": "XWinograd", "belebele": "Belebele"}


def _lm_eval_model(config: dict) -> str | None:
    args = str(config.get("model_args") or "")
    match = re.search(r"pretrained=([^,]+)", args)
    return match.group(1) if match else config.get("model_name") or config.get("model")


def parse_lm_eval(document: dict, name: str, model: str | None = None, params: int | None = None) -> LoadResult:
    """lm-evaluation-harness results: old (`acc`, `acc_stderr`) and new (`acc,none`) layouts."""
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, dict):
        raise InputError(f"{name} is not an lm-evaluation-harness result file (no 'results' object).")
    config = document.get("config") or {}
    model = model or _lm_eval_model(config)
    params = params or config.get("model_num_parameters")
    rows, problems = [], []
    for number, (task_name, metrics) in enumerate(sorted(results.items()), start=1):
        family, _, language = task_name.rpartition("_")
        if not family or not isinstance(metrics, dict):
            problems.append({"row": number, "reason": f"task {task_name!r} has no language suffix"})
            continue
        value = metrics.get("acc", metrics.get("acc,none"))
        stderr = metrics.get("acc_stderr", metrics.get("acc_stderr,none"))
        if _number(value) is None:
            problems.append({"row": number, "reason": f"{task_name}: no numeric acc"})
            continue
        rows.append({"run_id": f"{Path(name).stem}:{task_name}", "model": model, "params": params,
                     "language": language, "language_kind": "natural", "task": LM_EVAL_TASKS.get(family, family),
                     "method": f"prompted {document.get('config', {}).get('num_fewshot', 0) or 0}-shot",
                     "metric": "accuracy", "score": 100 * float(value),
                     "score_stderr": 100 * float(stderr) if _number(stderr) is not None else None,
                     "source": name, "notes": "lm-evaluation-harness acc x 100"})
    if model is None:
        raise InputError(f"{name} does not name its model (no pretrained= in config.model_args); supply --model.")
    loaded = validate(pd.DataFrame(rows, columns=COLUMNS)) if rows else LoadResult(pd.DataFrame(columns=COLUMNS))
    return LoadResult(loaded.runs, problems + loaded.problems)


def parse_trainer(document: dict, name: str, model: str | None, language: str | None, task: str | None,
                  params: int | None = None) -> LoadResult:
    """A Hugging Face Trainer's all_results.json / eval_results.json: eval_accuracy (0-1) and friends."""
    if not isinstance(document, dict):
        raise InputError(f"{name} is not a Trainer results file (expected a JSON object).")
    accuracy = next((document[k] for k in ("eval_accuracy", "test_accuracy", "predict_accuracy", "accuracy")
                     if _number(document.get(k)) is not None), None)
    if accuracy is None:
        raise InputError(f"{name} has no eval_accuracy / test_accuracy value.")
    folder = Path(name).parent.name
    language = language or _code_in(folder)
    if not (model and language and task):
        raise InputError(f"{name}: a Trainer result does not say which model, language and task it is; supply "
                         "them (the folder name is used for the language when it holds a code like '-sw').")
    row = {"run_id": f"{folder or Path(name).stem}", "model": model, "params": params, "language": language,
           "language_kind": "natural", "task": task, "method": "fine-tuned (Trainer)", "metric": "accuracy",
           "score": 100 * float(accuracy) if float(accuracy) <= 1 else float(accuracy), "source": name,
           "notes": "Trainer accuracy x 100"}
    return validate(pd.DataFrame([row], columns=COLUMNS))


def _code_in(text: str) -> str | None:
    codes = [t for t in re.split(r"[-_./ ]", text.lower()) if t in known_natural_languages() and len(t) == 2]
    return codes[-1] if len(set(codes)) == 1 else None


def parse_mlflow(root: Path) -> LoadResult:
    """An MLflow file store: mlruns/<experiment>/<run>/{metrics,params,tags}/<name>."""
    rows, problems = [], []
    run_dirs = sorted(p for p in Path(root).glob("*/*") if (p / "metrics").is_dir())
    if not run_dirs:
        raise InputError(f"{root} holds no MLflow runs (expected <experiment>/<run>/metrics/).")
    def read(run: Path, kind: str, key: str) -> str | None:
        path = run / kind / key
        return path.read_text(encoding="utf-8").strip() if path.is_file() else None

    for number, run in enumerate(run_dirs, start=1):
        params = {p.name: read(run, "params", p.name) for p in (run / "params").glob("*")} \
            if (run / "params").is_dir() else {}
        metric_name = next((m for m in ("eval_accuracy", "accuracy", "test_accuracy") if (run / "metrics" / m).is_file()),
                           None)
        if metric_name is None:
            problems.append({"row": number, "reason": f"run {run.name}: no accuracy metric"})
            continue
        last = (run / "metrics" / metric_name).read_text(encoding="utf-8").strip().splitlines()[-1].split()
        value = float(last[1])
        rows.append({"run_id": run.name, "model": params.get("model") or params.get("model_name_or_path"),
                     "params": params.get("num_parameters"), "language": params.get("language") or params.get("lang"),
                     "language_kind": params.get("language_kind", "natural"),
                     "task": params.get("task") or params.get("task_name"), "method": params.get("method", "mlflow run"),
                     "metric": "accuracy", "score": 100 * value if value <= 1 else value,
                     "seed": params.get("seed"), "source": f"mlflow {run.parent.name}/{run.name}",
                     "notes": read(run, "tags", "mlflow.runName")})
    loaded = validate(pd.DataFrame(rows, columns=COLUMNS)) if rows else LoadResult(pd.DataFrame(columns=COLUMNS))
    return LoadResult(loaded.runs, problems + loaded.problems)


def apply_mapping(frame: pd.DataFrame, mapping: dict[str, str], constants: dict[str, str] | None = None) -> pd.DataFrame:
    """Rename the user's columns to schema names ({schema: theirs}) and fill constant columns."""
    unknown = [theirs for theirs in mapping.values() if theirs and theirs not in frame.columns]
    if unknown:
        raise InputError(f"No column named {', '.join(unknown)} in the table.")
    mapped = pd.DataFrame({schema: frame[theirs] for schema, theirs in mapping.items() if theirs})
    for schema, value in (constants or {}).items():
        if value not in (None, ""):
            mapped[schema] = value
    return mapped


def load_runs(path: Path, fmt: str | None = None, *, model: str | None = None, language: str | None = None,
              task: str | None = None, params: int | None = None) -> LoadResult:
    """Detect the format of a file or folder and load it (see the module docstring)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    fmt = fmt or detect_format(path)
    if fmt == "mlflow":
        return parse_mlflow(path)
    if fmt == "trainer":
        file = path / "all_results.json" if path.is_dir() and (path / "all_results.json").exists() else \
            path / "eval_results.json" if path.is_dir() else path
        return parse_trainer(_json(file), str(file), model, language, task, params)
    if fmt == "lm-eval":
        return parse_lm_eval(_json(path), path.name, model, params)
    if fmt == "table":
        frame = read_table_bytes(path.read_bytes(), path.name)
        for column, value in (("model", model), ("language", language), ("task", task), ("params", params)):
            if value is not None:
                frame[column] = value
        return validate(frame, first_row=2 if path.suffix.lower() == ".csv" else 1)
    raise InputError(f"Unknown format {fmt!r}; use table, lm-eval, trainer or mlflow.")


def _json_bytes(data: bytes, name: str):
    try:
        return json.loads(decode_text(data, name))
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not valid JSON ({exc.msg}, line {exc.lineno}).") from exc


def _json(path: Path):
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path} could not be read: {exc}") from exc
    return _json_bytes(data, str(path))


def _is_lm_eval(document) -> bool:
    return isinstance(document, dict) and isinstance(document.get("results"), dict)


def detect_format(path: Path) -> str:
    if path.is_dir():
        if any(path.glob("*/*/metrics")):
            return "mlflow"
        if (path / "all_results.json").exists() or (path / "eval_results.json").exists():
            return "trainer"
        raise InputError(f"{path}: a folder should be an MLflow store (mlruns) or a Trainer output folder.")
    if path.suffix.lower() == ".json":
        if _is_lm_eval(_json(path)):
            return "lm-eval"
        return "trainer"
    return "table"


# ----------------------------------------------------------------------------- bundled reference runs


def reference_runs() -> pd.DataFrame:
    """The bundled reference runs (published figures, each row with its source and known problems)."""
    with (resources.files("salt_core") / "data" / "reference_runs.csv").open("rb") as handle:
        return read_runs_csv(handle)


def read_runs_csv(handle) -> pd.DataFrame:
    """A runs CSV written by this project, with the schema's dtypes."""
    frame = pd.read_csv(handle, keep_default_na=False, na_values=[""])
    frame["params"] = frame["params"].astype("Int64")
    return frame[COLUMNS]


def corpus_volumes() -> pd.DataFrame:
    """Bundled per-language volumes: corpus, language, pretraining_data, pretraining_data_unit, source."""
    with (resources.files("salt_core") / "data" / "corpus_volumes.csv").open("rb") as handle:
        return pd.read_csv(handle, keep_default_na=False, na_values=[""])


def join_volumes(runs: pd.DataFrame, corpus: str) -> pd.DataFrame:
    """Fill missing volumes from a bundled corpus (given volumes are kept); joined rows say so in flags."""
    table = corpus_volumes()
    table = table[table["corpus"] == corpus].set_index("language")
    if table.empty:
        raise InputError(f"No bundled volumes for corpus {corpus!r}.")
    joined = runs.copy()
    missing = joined["pretraining_data"].isna() & joined["language"].isin(table.index)
    joined.loc[missing, "pretraining_data"] = joined.loc[missing, "language"].map(table["pretraining_data"])
    joined.loc[missing, "pretraining_data_unit"] = joined.loc[missing, "language"].map(table["pretraining_data_unit"])
    note = f"volume joined from bundled {corpus} statistics"
    joined.loc[missing, "flags"] = joined.loc[missing, "flags"].fillna("").map(lambda f: f"{f}; {note}".lstrip("; "))
    return joined


def to_gib(runs: pd.DataFrame) -> pd.DataFrame:
    """The documented conversion: volumes in bytes become GiB (bytes / 2**30); other units are untouched."""
    converted = runs.copy()
    in_bytes = converted["pretraining_data_unit"].astype(str).str.startswith("bytes")
    converted.loc[in_bytes, "pretraining_data"] = converted.loc[in_bytes, "pretraining_data"] / GIB
    converted.loc[in_bytes, "pretraining_data_unit"] = converted.loc[in_bytes, "pretraining_data_unit"].str.replace(
        "bytes", "GiB", n=1)
    return converted


class MappingNeeded(InputError):
    """A table without the schema's required columns: the user must say which of its columns are which."""

    def __init__(self, name: str, frame: pd.DataFrame):
        self.frame = frame
        missing = [c for c in REQUIRED if c not in frame.columns]
        super().__init__(f"{name} lacks the column(s) {', '.join(missing)}: map its columns to the schema.")


def load_bytes(data: bytes, name: str, *, model: str | None = None, language: str | None = None,
               task: str | None = None, params: int | None = None) -> LoadResult:
    """An uploaded file: a runs table, lm-evaluation-harness JSON or a Trainer results JSON."""
    if Path(name).suffix.lower() == ".json":
        document = _json_bytes(data, name)
        if _is_lm_eval(document):
            return parse_lm_eval(document, name, model, params)
        return parse_trainer(document, name, model, language, task, params)
    frame = read_table_bytes(data, name)
    if any(c not in frame.columns for c in REQUIRED):
        raise MappingNeeded(name, frame)
    return validate(frame, first_row=2 if name.lower().endswith(".csv") else 1)
