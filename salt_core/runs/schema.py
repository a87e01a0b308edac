"""Saved runs: one schema, loaders for the formats researchers keep results in, and the bundled reference runs.

Schema (one row per model x language x task x method x seed):

    run_id, model, model_family, params (integer parameter count), pretraining_corpus, language,
    language_kind ("natural" | "programming"), pretraining_data, pretraining_data_unit, task, split,
    method (controlled vocabulary, salt_core.runs.identity), protocol (harness, decoding, prompt details),
    metric, score (0-100), score_stderr (same scale), seed, source, notes, flags (known problems)

Models are named as the catalogue names them (salt_core.runs.catalogue), languages by ISO 639 code
(salt_core.languages); the importers for other formats live in salt_core.runs.importers.

Volumes carry their unit in `pretraining_data_unit` ("GiB", "bytes", "tokens (Gemma3 tokenizer)", ...):
values with different units are never put on one axis; the one conversion we apply is bytes -> GiB
(divide by 2**30), and only when asked (`to_gib`). Every loader returns the good rows *and* a list of
problems (row number, reason); nothing the user gave is dropped silently or altered, except the
documented unit conversions of a format (lm-evaluation-harness and Trainer report accuracy as 0-1; it
is multiplied by 100, and the row's notes say so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from salt_core.errors import InputError
from salt_core.languages import language_code
from salt_core.runs.catalogue import resolve_model
from salt_core.runs.identity import normalise_method

COLUMNS = ["run_id", "model", "model_family", "params", "pretraining_corpus", "language", "language_kind",
           "pretraining_data", "pretraining_data_unit", "task", "split", "method", "protocol", "metric", "score",
           "score_stderr", "seed", "source", "notes", "flags"]
REQUIRED = ["model", "language", "task", "method", "metric", "score"]
NUMERIC = {"params", "pretraining_data", "score", "score_stderr", "seed"}
KINDS = ("natural", "programming")
GIB = 2**30
# Known problems have a severity. "exclude: ..." marks a run whose value is not a measurement of the setting
# (chance-level artefact, wrong setting, broken harness value): left out of fits by default. Every other flag
# is a caveat (rounding, a stand-in volume, a third-party recount, a size label): shown, never left out.
EXCLUDE = "exclude: "


def severity(flags: str) -> str:
    """"excluded by default", "caveat", or "" for a run's flags (one rule, used by the filter and the table)."""
    flags = str(flags or "")
    if not flags.strip() or flags == "nan":
        return ""
    return "excluded by default" if any(part.startswith(EXCLUDE) for part in flags.split("; ")) else "caveat"


def excluded_by_default(runs: pd.DataFrame) -> pd.Series:
    """Whether each run carries a known problem serious enough to leave it out unless the user asks."""
    return runs["flags"].fillna("").map(severity) == "excluded by default"
PROGRAMMING_LANGUAGES = frozenset({
    "Python", "JavaScript", "TypeScript", "Java", "D", "C++", "C", "R", "Rust", "Julia", "Bash", "C#", "Go", "Lua",
    "Perl", "PHP", "Ruby", "Scala", "Swift", "Racket", "OCaml", "Haskell", "Kotlin", "Elixir", "Clojure"})


def _empty(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or \
        str(value).strip() in ("", "nan", "None", "<NA>")


def canonicalise(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One identity per run: the catalogue's model name, family, size and corpus (the file's own values
    win where it has them); methods from the controlled vocabulary with details moved to `protocol`.
    Returns the frame and, in words, what was inferred."""
    frame = frame.copy()
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame = frame.astype(object)  # values of any kind may be filled in; validate() sets the dtypes
    notes, renamed, from_name = [], {}, set()
    for index, row in frame.iterrows():
        if not _empty(row["model"]):
            info = resolve_model(str(row["model"]), _number(row["params"]))
            if info.name != row["model"]:
                renamed[str(row["model"])] = info.name
            frame.at[index, "model"] = info.name
            if _empty(row["model_family"]):
                frame.at[index, "model_family"] = info.family
            if _empty(row["params"]) and info.params:
                frame.at[index, "params"] = info.params
                if info.how == "name":
                    from_name.add(f"{info.name} = {info.params:,}")
            if _empty(row["pretraining_corpus"]) and info.corpus:
                frame.at[index, "pretraining_corpus"] = info.corpus
        if not _empty(row["method"]):
            method, protocol = normalise_method(str(row["method"]))
            frame.at[index, "method"] = method
            if _empty(row["protocol"]) and protocol:
                frame.at[index, "protocol"] = protocol
    for given, canonical in sorted(renamed.items()):
        notes.append(f"model {given!r} is {canonical!r} (model catalogue).")
    if from_name:
        notes.append("size read from the model name: " + "; ".join(sorted(from_name)) + ".")
    return frame, notes


@dataclass
class LoadResult:
    runs: pd.DataFrame
    problems: list[dict] = field(default_factory=list)  # {"row": n, "reason": "..."}
    messages: list[str] = field(default_factory=list)  # what was inferred or converted, in words

    def extend(self, other: LoadResult) -> LoadResult:
        frames = [f for f in (self.runs, other.runs) if len(f)]
        runs = pd.concat(frames, ignore_index=True) if frames else self.runs
        return LoadResult(runs, self.problems + other.problems, self.messages + other.messages)


def _number(value) -> float | None:
    """A finite number, or None (empty, NA, text, inf)."""
    if value is None or value is pd.NA or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


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
    kind = row["language_kind"] if row["language_kind"] not in (None, "") and str(row["language_kind"]) != "nan" \
        else ("programming" if str(row["language"]).strip() in PROGRAMMING_LANGUAGES else "natural")
    if kind not in KINDS:
        return f"language_kind must be natural or programming, not {kind!r}"
    row["language_kind"] = kind
    if kind == "natural":
        code = language_code(str(row["language"]))
        if code is None:
            return (f"unknown language {row['language']!r} (give an ISO 639 code such as sw or eus, a BCP-47 tag "
                    "such as zho_Hans, or an English name such as Hausa)")
        row["language"] = code
    if not _empty(row["params"]):
        params = _number(row["params"])
        if params is None or params <= 0 or params != int(params) or params > 1e15:
            return f"params {str(row['params'])[:40]!r} is not a parameter count (a whole number, at most 10^15)"
        row["params"] = int(params)
    if not _empty(row["score_stderr"]):
        stderr = _number(row["score_stderr"])
        if stderr is None or stderr < 0:
            return f"score_stderr {str(row['score_stderr'])[:40]!r} is not a non-negative number"
    if not _empty(row["seed"]) and _number(row["seed"]) is None:
        return f"seed {str(row['seed'])[:40]!r} is not a number"
    volume = _number(row["pretraining_data"])
    if row["pretraining_data"] not in (None, "") and volume is None and not (
            isinstance(row["pretraining_data"], float) and math.isnan(row["pretraining_data"])):
        return f"pretraining_data {row['pretraining_data']!r} is not a number"
    if volume is not None:
        if volume < 0:  # 0 is a real value: the model never saw the language (drawn beside the log axis)
            return f"pretraining_data {volume} must not be negative"
        if not row["pretraining_data_unit"] or str(row["pretraining_data_unit"]) in ("nan", "None"):
            return "pretraining_data has no unit (pretraining_data_unit)"
    return None


# ----------------------------------------------------------------------------- bundled reference runs


def reference_runs() -> pd.DataFrame:
    """The bundled reference runs (published figures, each row with its source and known problems)."""
    with (resources.files("salt_core") / "data" / "reference_runs.csv").open("rb") as handle:
        return read_runs_csv(handle)


OWN_RUNS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "sib200-runs.csv"


def own_runs(path: Path | None = None) -> pd.DataFrame:
    """This tool's own SIB-200 experiment (benchmarks/bench_salt_sib200.py; every row trained here and committed
    with its runs folder), or an empty frame where the file is absent (an installed package without the repo).
    $SALT_OWN_RUNS names another file of the same schema (a rerun of the experiment elsewhere)."""
    import os

    path = Path(path or os.environ.get("SALT_OWN_RUNS") or OWN_RUNS)
    if not path.is_file():
        return pd.DataFrame(columns=COLUMNS)
    with open(path, "rb") as handle:
        return read_runs_csv(handle)


def own_plan(path: Path | None = None) -> tuple[list[str], list[int]] | None:
    """The (methods, seeds) the own experiment means to run, from the plan file beside its runs CSV
    (`sib200-runs.plan.json`, written with it), so a report of its first runs says it is partial; None where
    there is no plan file. A plan file that is not {"methods": [names], "seeds": [integers]} is refused."""
    import json
    import os

    from salt_core.errors import InputError

    path = Path(path or os.environ.get("SALT_OWN_RUNS") or OWN_RUNS)
    plan = path.with_suffix(".plan.json")
    if not plan.is_file():
        return None
    try:
        found = json.loads(plan.read_text(encoding="utf-8"))
        methods, seeds = found["methods"], found["seeds"]
        if not (isinstance(methods, list) and all(isinstance(m, str) for m in methods) and isinstance(seeds, list)
                and all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InputError(f"{plan.name} is not a plan of the form {{\"methods\": [names], \"seeds\": [integers]}}; "
                         "the own runs are reported without it.") from exc
    return methods, seeds


def read_runs_csv(handle) -> pd.DataFrame:
    """A runs CSV written by this project, with the schema's dtypes."""
    frame = pd.read_csv(handle, keep_default_na=False, na_values=[""])
    frame["params"] = frame["params"].astype("Int64")
    for column in set(COLUMNS) - NUMERIC:  # a text column left empty in every row reads as float: keep it text
        if column in frame and frame[column].isna().all():
            frame[column] = frame[column].astype(object)
    return frame[COLUMNS]


def corpus_volumes() -> pd.DataFrame:
    """Bundled per-language volumes: corpus, language, pretraining_data, pretraining_data_unit, source."""
    with (resources.files("salt_core") / "data" / "corpus_volumes.csv").open("rb") as handle:
        return pd.read_csv(handle, keep_default_na=False, na_values=[""])


def macrolanguage(code: str) -> str | None:
    """The macrolanguage CLDR prefers for an individual language (`swh` -> `sw`, `arb` -> `ar`, `zsm` -> `ms`),
    or None: corpus statistics are usually counted per macrolanguage, results per individual language."""
    import langcodes

    try:
        preferred = langcodes.Language.get(str(code)).prefer_macrolanguage().language
    except (ValueError, LookupError):
        return None
    return preferred if preferred and preferred != str(code).split("-")[0] else None


def cldr_alias(code: str, known) -> str | None:
    """The code among `known` that CLDR's alias data makes the same language as `code` (CC-100's `tl` and
    SIB-200's `fil`; `iw`/`he`, `in`/`id`, `mo`/`ro`), or None. Only exact aliases: `sh` (Serbo-Croatian in
    Latin) is not `sr`, and `no` is not `nb`."""
    import langcodes

    def standard(tag: str) -> str | None:
        try:
            return langcodes.standardize_tag(str(tag))
        except (ValueError, LookupError):
            return None

    own = standard(code)
    if own is None:
        return None
    return next((other for other in known if other != code and standard(other) == own), None)


def join_volumes(runs: pd.DataFrame, corpus: str) -> pd.DataFrame:
    """Fill missing volumes from a bundled corpus (given volumes are kept); joined rows say so in flags. A language
    the statistics lack is joined through its macrolanguage when CLDR names one (SIB-200's swh -> CC-100's sw), or
    through the code CLDR makes an alias of it (SIB-200's fil -> CC-100's tl), and its flags say so; Moroccan
    Arabic (ary) has neither, and stays unknown rather than borrow Standard Arabic's."""
    table = corpus_volumes()
    table = table[table["corpus"] == corpus].set_index("language")
    if table.empty:
        raise InputError(f"No bundled volumes for corpus {corpus!r}.")
    joined = runs.copy()
    for column in ("pretraining_data_unit", "flags"):  # the text this join writes; all-empty reads as float
        joined[column] = joined[column].astype(object)
    codes = joined["language"].astype(str)
    through = codes.map(lambda c: None if c in table.index else macrolanguage(c))
    through = through.where(through.isin(table.index), None)
    alias = codes.map(lambda c: None if c in table.index else cldr_alias(c, table.index))
    how = pd.Series("macrolanguage", index=codes.index).where(through.notna(), "CLDR alias")
    through = through.fillna(alias)
    key = codes.where(codes.isin(table.index), through)
    missing = joined["pretraining_data"].isna() & key.notna()
    joined.loc[missing, "pretraining_data"] = key[missing].map(table["pretraining_data"])
    joined.loc[missing, "pretraining_data_unit"] = key[missing].map(table["pretraining_data_unit"])
    note = f"volume joined from bundled {corpus} statistics"
    for index in joined.index[missing]:
        text = note if pd.isna(through[index]) else f"{note} for its {how[index]} {through[index]}"
        joined.loc[index, "flags"] = f"{joined.loc[index, 'flags'] or ''}; {text}".lstrip("; ") \
            if str(joined.loc[index, "flags"]) != "nan" else text
    return joined


def to_gib(runs: pd.DataFrame) -> pd.DataFrame:
    """The documented conversion: volumes in bytes become GiB (bytes / 2**30); other units are untouched."""
    converted = runs.copy()
    in_bytes = converted["pretraining_data_unit"].astype(str).str.startswith("bytes")
    converted.loc[in_bytes, "pretraining_data"] = converted.loc[in_bytes, "pretraining_data"] / GIB
    converted.loc[in_bytes, "pretraining_data_unit"] = converted.loc[in_bytes, "pretraining_data_unit"].str.replace(
        "bytes", "GiB", n=1)
    return converted
