"""Read the files researchers keep results in, into the runs schema, saying what was read and what was inferred.

Formats: the project's runs table (CSV/JSONL/Parquet) and any table whose columns you map;
lm-evaluation-harness result JSON (v0.3 `acc`, v0.4 `acc,none` with `n-shot`, forks that add `model_name`);
a Hugging Face Trainer's `all_results.json`, `eval_results.json` or `trainer_state.json` (last evaluation in
`log_history`); MLflow file stores (`<experiment>/<run>/{metrics,params,tags}`) anywhere under a folder or a
zip. Every format takes the same `Overrides`: they fill what a file lacks, and replace what it has only when
`replace=True` (each replacement is reported). Scores: lm-eval and Trainer accuracies are 0-1 and become
0-100; a table's scale is decided per metric from its values, and the decision is reported in `messages`.
Tree walkers never follow a symbolic link.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from salt_core.errors import InputError
from salt_core.files import decode_text, lines
from salt_core.languages import language_code
from salt_core.runs.identity import TASK_FAMILIES, TRANSLATED, parse_tasks, prompted
from salt_core.runs.schema import COLUMNS, REQUIRED, LoadResult, canonicalise, validate

HARNESS_MODEL_CLASSES = {"hf", "hf-causal", "hf-causal-experimental", "hf-auto", "huggingface", "gpt2", "vllm",
                         "local-completions", "local-chat-completions", "openai-completions", "openai-chat-completions",
                         "anthropic", "textsynth", "gguf", "ggml", "sparseml", "neuronx", "mamba_ssm", "hf-seq2seq"}
ACCURACY_KEYS = ("acc", "acc_norm", "exact_match", "f1")
TRUTHFULQA_KEYS = ("mc2", "mc1", *ACCURACY_KEYS)  # truthfulqa_mc*: the harness reports mc1/mc2, no acc
MAX_ZIP_BYTES = 200 * 2**20  # uncompressed, all members together


@dataclass
class Overrides:
    """What the user says about a file: fills what the file lacks (or replaces it, with replace=True)."""

    model: str | None = None
    language: str | None = None
    task: str | None = None
    method: str | None = None
    params: int | None = None
    corpus: str | None = None
    replace: bool = False

    def apply(self, frame: pd.DataFrame, messages: list[str]) -> pd.DataFrame:
        frame = frame.copy()
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "replace" or value in (None, ""):
                continue
            column = "pretraining_corpus" if field.name == "corpus" else field.name
            if column not in frame:
                frame[column] = None
            empty = frame[column].isna() | frame[column].astype(str).str.strip().isin(["", "nan", "None"])
            if self.replace and (~empty).any():
                messages.append(f"{column}: {int((~empty).sum())} value(s) in the file replaced by {value!r}.")
                frame[column] = value
            else:
                frame.loc[empty, column] = value
                if (~empty).any() and (frame.loc[~empty, column].astype(str) != str(value)).any():
                    messages.append(f"{column}: the file's own values were kept; {value!r} filled only the "
                                    "rows that lacked one (tick 'replace' to override them).")
        return frame


# ----------------------------------------------------------------------------- lm-evaluation-harness


def _lm_eval_model(document: dict, config: dict) -> str | None:
    match = re.search(r"pretrained=([^,]+)", str(config.get("model_args") or ""))
    if match:
        return match.group(1)
    for candidate in (document.get("model_name"), config.get("model_name"), config.get("model")):
        if isinstance(candidate, str) and candidate and candidate.lower() not in HARNESS_MODEL_CLASSES:
            return candidate
    return None


def _shots(document: dict, config: dict, task: str) -> int:
    for source in (document.get("n-shot"), {task: ((document.get("configs") or {}).get(task) or {}).get("num_fewshot")}
                   if isinstance(document.get("configs"), dict) else None):
        if isinstance(source, dict) and isinstance(source.get(task), (int, float)):
            return int(source[task])
    value = config.get("num_fewshot")
    return int(value) if isinstance(value, (int, float)) else 0


def _metric(values: dict, task: str = "") -> tuple[str, float, float | None] | None:
    """(label, value, stderr) of the task's accuracy: TruthfulQA's multiple choice reports mc2 (then mc1), the
    metric the harness and its leaderboards read for it; every other task acc, acc_norm, exact_match, f1."""
    keys = TRUTHFULQA_KEYS if task.lower().startswith("truthfulqa_mc") else ACCURACY_KEYS
    for key in keys:
        for name in (key, f"{key},none"):
            value = values.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                stderr = values.get(f"{key}_stderr", values.get(f"{key}_stderr,none"))
                label = {"acc": "accuracy", "acc_norm": "accuracy (length-normalised)",
                         "mc2": "TruthfulQA mc2 (probability mass on the true answers)",
                         "mc1": "TruthfulQA mc1 (accuracy, one true answer)"}.get(key, key)
                return label, float(value), float(stderr) if isinstance(stderr, (int, float)) else None
    return None


def parse_lm_eval(document: dict, name: str, overrides: Overrides | None = None) -> LoadResult:
    """lm-evaluation-harness results (v0.3 and v0.4 layouts and their forks), one row per task x language."""
    overrides = overrides or Overrides()
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, dict):
        raise InputError(f"{name} is not an lm-evaluation-harness result file (no 'results' object).")
    config = document.get("config") if isinstance(document.get("config"), dict) else {}
    model = _lm_eval_model(document, config)
    rows, problems, messages = [], [], []
    groups = set(document.get("groups") or {}) if isinstance(document.get("groups"), dict) else set()
    names = parse_tasks(results)
    inferred = 0
    for number, (task_name, values) in enumerate(sorted(results.items()), start=1):
        if not isinstance(values, dict):
            problems.append({"row": number, "reason": f"{task_name}: no metrics"})
            continue
        if task_name.lower() in TASK_FAMILIES:
            problems.append({"row": number, "reason": f"{task_name}: names no language (a multilingual family's "
                                                      "average over its languages, or its English original): left "
                                                      "out"})
            continue
        if task_name in groups:
            problems.append({"row": number, "reason": f"{task_name}: a group (the file lists it under 'groups'), an "
                                                      "average over its subtasks, not a run (left out)"})
            continue
        parsed = names[task_name.strip()]
        if parsed.problem and not (overrides.task and overrides.language):
            problems.append({"row": number, "reason": parsed.problem})
            continue
        metric = _metric(values, task_name)
        if metric is None:
            problems.append({"row": number, "reason": f"{task_name}: no accuracy (acc, acc_norm, exact_match, f1"
                                                      f"{', mc2, mc1' if task_name.startswith('truthfulqa_mc') else ''})"})
            continue
        label, value, stderr = metric
        shots = _shots(document, config, task_name)
        notes = [f"task {task_name}", "lm-evaluation-harness reports 0-1, multiplied by 100"]
        if parsed.inferred:
            notes.insert(1, "inferred: " + parsed.inferred)
            inferred += 1
        if label.startswith("TruthfulQA"):
            notes.append(f"{label.split()[1]} read: TruthfulQA's multiple choice reports mc1/mc2, not acc "
                         "(mc2 first, as the harness's leaderboards do)")
        rows.append({"run_id": f"{Path(name).stem}:{task_name}", "model": model,
                     "params": config.get("model_num_parameters"), "language": parsed.language,
                     "task": parsed.task, "method": prompted(shots),
                     "protocol": "lm-evaluation-harness", "metric": label,
                     "score": 100 * value, "score_stderr": 100 * stderr if stderr is not None else None,
                     "source": name, "notes": "; ".join(notes), "flags": TRANSLATED if parsed.translated else None})
    if inferred:
        messages.append(f"{inferred} rows: language read from the task name by a general rule, not a known task "
                        "(each row's notes say how; the `_mt_<language>` ones are flagged as machine-translated).")
    if rows:
        messages.append(f"{len(rows)} results read; lm-evaluation-harness scores are 0-1 and were multiplied by 100.")
    if model is None and not overrides.model:
        raise InputError(f"{name} does not name its model (no pretrained= in config.model_args, no model_name); "
                         "give the model.")
    return _finish(pd.DataFrame(rows, columns=COLUMNS), overrides, problems, messages)


# ----------------------------------------------------------------------------- Trainer


def parse_trainer(document: dict, name: str, overrides: Overrides | None = None, folder_config: dict | None = None
                  ) -> LoadResult:
    """A Trainer's all_results.json / eval_results.json (flat) or trainer_state.json (last eval in log_history)."""
    overrides = overrides or Overrides()
    if not isinstance(document, dict):
        raise InputError(f"{name} is not a Trainer results file (expected a JSON object).")
    values = document
    if isinstance(document.get("log_history"), list):
        evaluations = [entry for entry in document["log_history"] if isinstance(entry, dict) and
                       any(k in entry for k in ("eval_accuracy", "eval_acc"))]
        values = evaluations[-1] if evaluations else {}
    key = next((k for k in ("eval_accuracy", "eval_acc", "test_accuracy", "predict_accuracy", "accuracy")
                if isinstance(values.get(k), (int, float)) and not isinstance(values.get(k), bool)), None)
    if key is None:
        where = " in its log_history (it logged no evaluation)" if "log_history" in document else ""
        raise InputError(f"{name} has no eval_accuracy / test_accuracy value{where}.")
    accuracy = float(values[key])
    folder = Path(name).parent.name
    parsed = _task_in(folder)
    model = (folder_config or {}).get("_name_or_path")
    row = {"run_id": folder or Path(name).stem, "model": model, "language": parsed[1], "task": parsed[0],
           "method": "fine-tuned (setting not stated)", "protocol": f"Hugging Face Trainer, {key}",
           "metric": "accuracy", "score": 100 * accuracy if accuracy <= 1 else accuracy, "source": name,
           "notes": f"Trainer {key}" + (" x 100" if accuracy <= 1 else "")}
    messages = [f"Trainer {key} = {accuracy:g}" + (" (0-1) multiplied by 100." if accuracy <= 1 else " taken as points.")]
    if not row["language"]:
        messages.append(f"No language code in the folder name {folder!r}: give the language.")
    return _finish(pd.DataFrame([row], columns=COLUMNS), overrides, [], messages)


def _task_in(text: str) -> tuple[str | None, str | None]:
    """(task, language) from a run folder such as 'mbert-xnli-sw' or 'xlmr_pawsx_de': only exact codes count."""
    tokens = [t for t in re.split(r"[-_./ ]+", text.lower()) if t]
    task = next((TASK_FAMILIES[t] for t in tokens if t in TASK_FAMILIES), None)
    codes = {language_code(t) for t in tokens if 2 <= len(t) <= 3 and t.isalpha() and language_code(t) == t}
    codes.discard(None)
    return task, (codes.pop() if len(codes) == 1 else None)


# ----------------------------------------------------------------------------- MLflow


def _walk(root: Path):
    """Folders under root, never through a symbolic link (a link could lead anywhere on the machine)."""
    for folder, subfolders, _ in os.walk(root, followlinks=False):
        subfolders[:] = [s for s in subfolders if not (Path(folder) / s).is_symlink()]
        yield Path(folder)


def parse_mlflow(location: str | Path, overrides: Overrides | None = None) -> LoadResult:
    """Every active MLflow run in a store (a tracking URI, a SQLite file, an mlruns folder): its accuracy metric's
    latest value, through MLflow's own client where installed (salt_core.runs.mlflow_store)."""
    from salt_core.runs import mlflow_store

    overrides = overrides or Overrides()
    found, how = mlflow_store.read_runs(location)
    label = Path(str(location)).name if not mlflow_store.URI.match(str(location)) else str(location)
    if not found:
        raise InputError(f"{label} holds no MLflow runs (deleted runs are never imported).")
    rows, problems = [], []
    for number, run in enumerate(found, start=1):
        params = run.params
        metric_name = next((m for m in mlflow_store.ACCURACY if m in run.metrics), None)
        value = run.metrics.get(metric_name) if metric_name else None
        if value is None:
            problems.append({"row": number, "reason": f"run {run.run_id}: no readable accuracy metric (eval_accuracy, "
                                                      f"accuracy, test_accuracy); found: "
                                                      f"{', '.join(sorted(run.metrics)[:8]) or 'none'}"})
            continue
        task, language = _task_in(params.get("task_name") or params.get("task") or "")
        rows.append({"run_id": run.run_id, "model": params.get("model") or params.get("model_name_or_path"),
                     "params": params.get("num_parameters"),
                     "language": params.get("language") or params.get("lang") or language,
                     "task": task or params.get("task") or params.get("task_name"),
                     "method": params.get("method") or "fine-tuned (setting not stated)",
                     "protocol": f"MLflow {metric_name}, last step", "metric": "accuracy",
                     "score": 100 * value if value <= 1 else value, "seed": params.get("seed"),
                     "source": f"mlflow {run.experiment}/{run.run_id}", "notes": run.name})
    messages = [f"{len(rows)} active MLflow runs found in {label}, read by {how}; each metric's value is its last "
                "step's; accuracies of 0-1 were multiplied by 100."]
    return _finish(pd.DataFrame(rows, columns=COLUMNS), overrides, problems, messages)


# ----------------------------------------------------------------------------- tables


def read_table_bytes(data: bytes, name: str) -> pd.DataFrame:
    """CSV, JSONL or Parquet into a DataFrame of strings/numbers (never a pickle).

    Bad lines do not reject the file: they are left out and listed in `frame.attrs["problems"]` with their
    line numbers (a JSON line that does not parse; a CSV row whose quote is never closed, which would
    otherwise swallow the lines after it)."""
    suffix = Path(name).suffix.lower()
    problems: list[dict] = []
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(io.BytesIO(data))
        elif suffix == ".csv":
            frame = _read_csv_lines(decode_text(data, name), problems)
        elif suffix == ".jsonl":
            records = []
            for number, line in enumerate(lines(decode_text(data, name)), start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except (json.JSONDecodeError, RecursionError) as exc:
                    problems.append({"row": number, "reason": f"line {number}: not valid JSON "
                                                              f"({getattr(exc, 'msg', 'nested too deeply')})"})
                    continue
                if isinstance(record, dict):
                    records.append(record)
                else:
                    problems.append({"row": number, "reason": f"line {number}: not a JSON object"})
            frame = pd.DataFrame(records)
        else:
            raise InputError(f"{name}: unsupported table type; use .csv, .jsonl or .parquet.")
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - the parser's complaint is about the user's file
        raise InputError(f"{name} could not be read: {str(exc)[:300]}") from exc
    frame.attrs["problems"] = problems
    return frame


def _read_csv_lines(text: str, problems: list[dict]) -> pd.DataFrame:
    """A CSV read one line at a time: a row whose quote is never closed, or with the wrong number of fields, is
    reported with its line number instead of swallowing the lines after it or rejecting the file."""
    rows = lines(text)
    if not rows:
        return pd.DataFrame()
    header = next(csv.reader([rows[0]]))
    records = []
    for number, line in enumerate(rows[1:], start=2):
        if not line.strip():
            continue
        try:
            fields = next(csv.reader([line], strict=True))
        except csv.Error:
            problems.append({"row": number, "reason": f"row {number}: a quote is never closed; left out"})
            continue
        if len(fields) != len(header):
            problems.append({"row": number, "reason": f"row {number}: {len(fields)} fields, the header has "
                                                      f"{len(header)}; left out"})
            continue
        records.append({column: (value if value != "" else None) for column, value in zip(header, fields)})
    return pd.DataFrame(records, columns=header, dtype=object)


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


def rescale(frame: pd.DataFrame, messages: list[str]) -> pd.DataFrame:
    """Per metric: scores that are all within 0-1 (and not all 0 or 1) are fractions; they become 0-100."""
    frame = frame.astype(object)  # a CSV is read as text; scaled scores are numbers
    scores = pd.to_numeric(frame["score"], errors="coerce")
    stderr = pd.to_numeric(frame.get("score_stderr"), errors="coerce") if "score_stderr" in frame else None
    for metric, rows in frame.groupby(frame["metric"].astype(str)).groups.items():
        values = scores.loc[rows].dropna()
        if len(values) and values.between(0, 1).all() and not values.isin([0, 1]).all():
            frame.loc[rows, "score"] = scores.loc[rows] * 100
            if stderr is not None:
                frame.loc[rows, "score_stderr"] = stderr.loc[rows] * 100
            messages.append(f"{metric}: all {len(values)} scores are between 0 and 1, read as fractions and "
                            "multiplied by 100 (give points 0-100 to keep them as they are).")
    return frame


class MappingNeeded(InputError):
    """A table without the schema's required columns: the user must say which of its columns are which."""

    def __init__(self, name: str, frame: pd.DataFrame):
        self.frame = frame
        missing = [c for c in REQUIRED if c not in frame.columns]
        super().__init__(f"{name} lacks the column(s) {', '.join(missing)}: map its columns to the schema.")


def load_table(frame: pd.DataFrame, name: str, overrides: Overrides | None = None, first_row: int = 1) -> LoadResult:
    messages: list[str] = []
    frame = (overrides or Overrides()).apply(frame, messages)
    if any(c not in frame.columns for c in REQUIRED):
        raise MappingNeeded(name, frame)
    frame = rescale(frame, messages)
    return _finish(frame, Overrides(), list(frame.attrs.get("problems", [])), messages, first_row)


# ----------------------------------------------------------------------------- entry points


def _finish(frame: pd.DataFrame, overrides: Overrides, problems: list[dict], messages: list[str],
            first_row: int = 1) -> LoadResult:
    frame = overrides.apply(frame, messages)
    frame, inferred = canonicalise(frame)
    loaded = validate(frame, first_row=first_row)
    return LoadResult(loaded.runs, problems + loaded.problems, messages + inferred)


def _json_bytes(data: bytes, name: str):
    try:
        return json.loads(decode_text(data, name))
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not valid JSON ({exc.msg}, line {exc.lineno}).") from exc
    except RecursionError as exc:
        raise InputError(f"{name} is nested too deeply to be a result file.") from exc


def _is_lm_eval(document) -> bool:
    return isinstance(document, dict) and isinstance(document.get("results"), dict)


def load_bytes(data: bytes, name: str, overrides: Overrides | None = None) -> LoadResult:
    """An uploaded file: a runs table, lm-evaluation-harness JSON, a Trainer JSON, an MLflow SQLite store
    (mlflow.db), or a zip of any of these."""
    from salt_core.runs.mlflow_store import SQLITE_HEADER

    suffix = Path(name).suffix.lower()
    if suffix == ".zip":
        return _load_zip(data, name, overrides)
    if data[:16] == SQLITE_HEADER:  # read from a private temporary copy, never in place
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "mlflow.db").write_bytes(data)
            return parse_mlflow(Path(folder) / "mlflow.db", overrides)
    if suffix == ".json":
        document = _json_bytes(data, name)
        if _is_lm_eval(document):
            return parse_lm_eval(document, name, overrides)
        return parse_trainer(document, name, overrides)
    frame = read_table_bytes(data, name)
    return load_table(frame, name, overrides, first_row=2 if suffix == ".csv" else 1)


def _load_zip(data: bytes, name: str, overrides: Overrides | None) -> LoadResult:
    """A zip (an MLflow store, Trainer folders, result files): unpacked into a temporary folder, safely."""
    import tempfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InputError(f"{name} is not a readable zip file.") from exc
    members = [m for m in archive.infolist() if not m.is_dir()]
    if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        raise InputError(f"{name} unpacks to more than {MAX_ZIP_BYTES // 2**20} MB; import it with the CLI.")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        for member in members:
            target = (root / member.filename).resolve()
            if root not in target.parents:  # "../" or an absolute path: never written outside the folder
                raise InputError(f"{name}: member {member.filename!r} points outside the archive.")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
        return load_runs(root, overrides=overrides, label=name)


def detect_format(path: Path) -> str:
    from salt_core.runs.mlflow_store import is_sqlite

    if path.is_file() and is_sqlite(path):
        return "mlflow"
    if path.is_dir():
        if any(folder.name == "metrics" for folder in _walk(path)) or any(is_sqlite(p) for p in path.glob("*.db")):
            return "mlflow"
        if any((path / f).exists() for f in ("all_results.json", "eval_results.json", "trainer_state.json")):
            return "trainer"
        if list(path.glob("*.json")):
            return "lm-eval-folder"
        raise InputError(f"{path}: a folder should hold an MLflow store (mlruns or mlflow.db), a Trainer output or "
                         "result files.")
    if path.suffix.lower() == ".json":
        return "lm-eval" if _is_lm_eval(_json_bytes(path.read_bytes(), path.name)) else "trainer"
    return "table"


def load_runs(path: Path, fmt: str | None = None, overrides: Overrides | None = None, label: str | None = None
              ) -> LoadResult:
    """Detect the format of a file or folder and load it (see the module docstring). An MLflow tracking URI
    (`sqlite:///…`, `http(s)://…`, `file://…`) is read by MLflow."""
    from salt_core.runs.mlflow_store import URI

    if URI.match(str(path)):
        return parse_mlflow(str(path), overrides)
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist.")
    fmt = fmt or detect_format(path)
    if fmt == "mlflow":
        return parse_mlflow(path, overrides)
    if fmt == "trainer":
        if path.is_dir():
            file = next(path / f for f in ("all_results.json", "eval_results.json", "trainer_state.json")
                        if (path / f).exists())
            config = _json_bytes((path / "config.json").read_bytes(), "config.json") \
                if (path / "config.json").is_file() else None
        else:
            file, config = path, None
        return parse_trainer(_json_bytes(file.read_bytes(), str(file)), str(file), overrides,
                             config if isinstance(config, dict) else None)
    if fmt == "lm-eval":
        return parse_lm_eval(_json_bytes(path.read_bytes(), path.name), path.name, overrides)
    if fmt == "lm-eval-folder":
        results = [load_runs(file, overrides=overrides) for file in sorted(path.glob("*.json"))]
        merged = LoadResult(pd.DataFrame(columns=COLUMNS))
        for result in results:
            merged = merged.extend(result)
        return merged
    if fmt == "table":
        if path.is_dir():
            raise InputError(f"{path} is a folder; --format table needs a file.")
        return load_table(read_table_bytes(path.read_bytes(), path.name), label or path.name, overrides,
                          first_row=2 if path.suffix.lower() == ".csv" else 1)
    raise InputError(f"Unknown format {fmt!r}; use table, lm-eval, trainer or mlflow.")
