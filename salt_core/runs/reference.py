"""Build the bundled reference runs from the curated public figures in ../shared/reference.

Run once when those figures change (`python -m salt_core runs build-reference --shared ../shared/reference`);
the result is committed as salt_core/data/reference_runs.csv, so the app never needs shared/. Curation,
all of it visible in the output's `flags` and `notes` columns:

* parameter labels become integers ("560M" -> 560000000); when sources disagree the first figure is
  used and the disagreement is flagged; "undisclosed" stays empty;
* averages (avg15, avg7, leaderboard_avg) are not runs and are left out, and so is a row whose score is
  "missing"; "jp" is read as "ja";
* MultiPL-E language codes (py, js, rkt ...) become language names, language_kind "programming";
  HumanEval in Python and its MultiPL-E translations are one task, "MultiPL-E HumanEval" (the task as
  the source named it stays in notes); EvalPlus and reworded variants stay apart;
* volumes are joined per language from one corpus per model family, never converted between units:
  XLM-R -> CC-100 GiB (zh = Simplified Chinese, Burmese left out: two rows, unlabelled), XGLM ->
  CC-100-XL GiB, BLOOM -> ROOTS bytes (three malformed source values left out), mBERT and XLM-100 ->
  Wikipedia 2020-10 bytes (a stand-in: mBERT used a 2018 dump), StarCoderBase/StarCoder ->
  StarCoderData tokens (Gemma3 tokenizer, third-party recount). LLaMA and others have no per-language
  volume: the column stays empty.
* the known problems listed in the reference README are attached to the rows they concern.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from salt_core.runs.catalogue import resolve_model
from salt_core.runs.schema import COLUMNS, EXCLUDE, canonicalise, validate

AGGREGATES = {"avg15", "avg7", "leaderboard_avg"}
PROGRAMMING = {"py": "Python", "js": "JavaScript", "ts": "TypeScript", "java": "Java", "d": "D", "cpp": "C++",
               "r": "R", "rs": "Rust", "jl": "Julia", "sh": "Bash", "cs": "C#", "go": "Go", "lua": "Lua",
               "pl": "Perl", "php": "PHP", "rb": "Ruby", "scala": "Scala", "swift": "Swift", "rkt": "Racket",
               "ml": "OCaml"}
STARCODERDATA = {"Python": "python", "Java": "java", "JavaScript": "javascript", "C++": "cpp", "PHP": "php",
                 "Rust": "rust", "Lua": "lua", "Julia": "julia", "R": "r", "Racket": "racket",
                 "TypeScript": "typescript", "C#": "c-sharp", "Go": "go", "Ruby": "ruby", "Scala": "scala",
                 "Perl": "perl", "Bash": "shell", "OCaml": "ocaml"}
UNIT_SCALE = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
# MultiPL-E's Python problems are HumanEval itself: one task, so that Python sits on the same axis.
SAME_TASK = {"HumanEval (Python, original prompts)", "HumanEval (Python)", "MultiPL-HumanEval",
             "MultiPL-E HumanEval (card model-index labels Python as MultiPL-HumanEval (Python))"}
CODE_TASK = "MultiPL-E HumanEval"


def parse_params(label, billions: bool = False) -> tuple[int | None, str | None]:
    """(integer parameter count, flag) from labels like "560M", "15.5", "250M (fairseq) / 270M (paper)"."""
    text = "" if label is None or (isinstance(label, float) and pd.isna(label)) else str(label).strip()
    if not text or text.lower().startswith("undisclosed"):
        return None, ("parameter count undisclosed" if text else None)
    exact = re.search(r"\(([\d,]{7,})\)", text)
    if exact:
        return int(exact.group(1).replace(",", "")), None
    match = re.match(r"([\d.]+)\s*([KMBT])?", text)
    if not match:
        return None, f"parameter label {text!r} not understood"
    scale = UNIT_SCALE.get(match.group(2) or "", 1e9 if billions else 1.0)
    value = int(round(float(match.group(1)) * scale))
    flag = None if re.fullmatch(r"[\d.]+\s*[KMBT]?", text) else f"parameter count as labelled: {text}"
    return value, flag


def _volumes(corpus_stats: pd.DataFrame) -> dict[str, pd.DataFrame]:
    def pick(corpus: str, unit: str, label: str) -> pd.DataFrame:
        rows = corpus_stats[(corpus_stats["corpus"] == corpus) & (corpus_stats["unit"] == unit)].copy()
        rows = rows[rows["language_iso"].str.fullmatch(r"[a-z]{2,3}", na=False)]
        rows = rows[~rows["note"].fillna("").str.contains("malformed")]
        if corpus == "CC-100":  # zh: Simplified (first row); Traditional is listed apart
            rows = rows[rows["language_name"] != "Chinese (Traditional)"]
        rows = rows[~rows["language_iso"].duplicated(keep=False)]  # ambiguous duplicates (Burmese) left out
        return rows.assign(unit_label=label, corpus_label=corpus)
    return {
        "XLM-R": pick("CC-100", "GiB_uncompressed", "GiB"),
        "XGLM": pick("CC-100-XL", "GiB", "GiB"),
        "BLOOM": pick("ROOTS", "bytes", "bytes"),
        "Wikipedia": pick("Wikipedia-20201001", "bytes_uncompressed_processed", "bytes"),
    }


def _family_corpus(family: str, model: str) -> str | None:
    family, model = str(family).lower(), str(model).lower()
    if family.startswith("xlm-r") or model.startswith("xlm-r"):
        return "XLM-R"
    if "xglm" in family or "xglm" in model:
        return "XGLM"
    if "bloom" in family or "bloom" in model:
        return "BLOOM"
    if model in ("mbert", "xlm-100"):
        return "Wikipedia"
    return None


def _flags(row: dict) -> list[str]:
    flags = []
    model, language, method = str(row["model"]), str(row["language"]), str(row["method"])
    if model == "XLM-100":
        flags.append("XLM-100 XNLI: the 15 values average 71.26 but the paper states 70.7; one value is probably "
                     "mistranscribed")
    if model == "XLM-R Base" and row["task"] == "XNLI":
        flags.append("ACL version of the XLM-R paper (avg 76.2); an older arXiv version has lower numbers (avg 74.5)")
    if model.lower() == "llama-13b":
        flags.append(EXCLUDE + "LLaMA-13B sits near chance on every language in the source files: an evaluation "
                     "artefact")
    if language == "ar" and "prompted" in method:
        flags.append(EXCLUDE + "Arabic is near chance for every prompted model in the source files: an evaluation "
                     "artefact")
    notes = str(row.get("notes") or "").lower()
    if "anomal" in notes or "non-monotone" in notes or "unreliable" in notes or (
            model.startswith("StarCoder") and "Base" not in model and language in ("Ruby", "Racket")
            and float(row["score"]) < 2):
        flags.append(EXCLUDE + "value looks broken in the source (see notes)")
    return flags


def _natural(reference: pd.DataFrame) -> pd.DataFrame:
    frame = reference[~reference["language"].isin(AGGREGATES)].copy()
    frame["language"] = frame["language"].replace({"jp": "ja"})
    programming = frame["task"].str.contains("HumanEval", na=False)
    frame["language_kind"] = programming.map({True: "programming", False: "natural"})
    frame.loc[programming, "language"] = frame.loc[programming, "language"].map(PROGRAMMING)
    frame["metric"] = frame["metric"].replace({"acc": "accuracy"})
    frame["split"] = frame.pop("setting")
    stderr = frame["notes"].fillna("").str.extract(r"stderr=([\d.]+)")[0].astype(float)
    frame["score_stderr"] = stderr * 100  # lm-eval reports a fraction
    parsed = [parse_params(p) for p in frame["params"]]
    frame["params"] = [p for p, _ in parsed]
    frame["flags"] = [[f] if f else [] for _, f in parsed]
    return frame


def _code(codegen: pd.DataFrame) -> pd.DataFrame:
    frame = codegen[~codegen["language"].isin(AGGREGATES)].copy()
    parsed = [parse_params(p, billions=True) for p in frame["params"]]
    frame["params"] = [p for p, _ in parsed]
    frame["flags"] = [[f] if f else [] for _, f in parsed]
    frame["language_kind"] = "programming"
    frame["split"] = "test"
    frame["pretraining_corpus"] = frame["pretraining_corpus"].replace({"missing": None})
    return frame


def build_volumes(shared: Path) -> pd.DataFrame:
    """Per-language volumes of each corpus the reference runs use, for joining with the user's own runs."""
    shared = Path(shared)
    rows = []
    for name, table in _volumes(pd.read_csv(shared / "corpus_stats.csv")).items():
        corpus = {"XLM-R": "CC-100", "XGLM": "CC-100-XL", "BLOOM": "ROOTS", "Wikipedia": "Wikipedia 2020-10"}[name]
        for row in table.to_dict("records"):
            rows.append({"corpus": corpus, "language": row["language_iso"], "pretraining_data": float(row["value"]),
                         "pretraining_data_unit": row["unit_label"], "source": row["source"]})
    code = pd.read_csv(shared / "code_corpus_stats.csv")
    code = code[code["unit"] == "tokens (Gemma3 tokenizer)"].set_index("language")
    for language, key in STARCODERDATA.items():
        if key in code.index:
            rows.append({"corpus": "StarCoderData", "language": language,
                         "pretraining_data": float(code.loc[key, "value"]),
                         "pretraining_data_unit": "tokens (Gemma3 tokenizer)", "source": code.loc[key, "source"]})
    return pd.DataFrame(rows)


def _merge_tasks(frame: pd.DataFrame) -> pd.DataFrame:
    renamed = frame["task"].isin(SAME_TASK)
    notes = frame["notes"].fillna("").astype(str)
    frame.loc[renamed, "notes"] = (notes[renamed] + "; task as given: " + frame.loc[renamed, "task"]).str.lstrip("; ")
    frame.loc[renamed, "task"] = CODE_TASK
    return frame


def build_reference(shared: Path) -> pd.DataFrame:
    """The reference runs in the project's schema, from the four CSV files in `shared`."""
    shared = Path(shared)
    corpus_stats = pd.read_csv(shared / "corpus_stats.csv")
    code_stats = pd.read_csv(shared / "code_corpus_stats.csv")
    frames = pd.concat([_natural(pd.read_csv(shared / "reference_runs.csv")),
                        _code(pd.read_csv(shared / "codegen_runs.csv"))], ignore_index=True)
    frames = _merge_tasks(frames)
    volumes = _volumes(corpus_stats)
    tokens = code_stats[code_stats["unit"] == "tokens (Gemma3 tokenizer)"].set_index("language")["value"]
    data, units, extra_flags = [], [], []
    for row in frames.to_dict("records"):
        volume, unit, flags = None, None, []
        if row["language_kind"] == "natural":
            corpus = _family_corpus(row["model_family"], row["model"])
            table = volumes.get(corpus)
            if table is not None:
                hit = table[table["language_iso"] == row["language"]]
                if len(hit) == 1:
                    volume, unit = float(hit["value"].iloc[0]), hit["unit_label"].iloc[0]
                    if corpus == "Wikipedia":
                        flags.append("volume from the 2020-10 Wikipedia dump, a stand-in: the model used a 2018 dump")
                    if corpus == "XLM-R" and row["language"] == "zh":
                        flags.append("CC-100 volume of Simplified Chinese (Traditional is listed apart, 16.6 GiB)")
        elif "StarCoderData" in str(row.get("pretraining_corpus") or "") or str(row["model"]).startswith(
                "StarCoderBase"):
            key = STARCODERDATA.get(row["language"])
            if key in tokens.index:
                volume, unit = float(tokens[key]), "tokens (Gemma3 tokenizer)"
                flags.append("StarCoderData tokens from a third-party recount (Gemma3 tokenizer)")
        data.append(volume)
        units.append(unit)
        extra_flags.append(flags)
    frames["pretraining_data"], frames["pretraining_data_unit"] = data, units
    frames["flags"] = [
        "; ".join(dict.fromkeys(base + more + _flags(row)))
        for base, more, row in zip(frames["flags"], extra_flags, frames.to_dict("records"))]
    frames["params"] = pd.array(frames["params"], dtype="Int64")
    frames = _one_identity(frames)
    checked = validate(frames[COLUMNS].reset_index(drop=True))  # e.g. a score given as "missing" is no run
    return checked.runs


def _one_identity(frames: pd.DataFrame) -> pd.DataFrame:
    """One name and one size per model (the catalogue's; a source's other label is kept as a flag), and the
    controlled method vocabulary with harness and decoding details in `protocol`."""
    frames = frames.copy()
    labelled = frames["params"].copy()
    frames["protocol"] = None
    harness = frames["source"].fillna("").str.contains("lm-evaluation-harness")
    frames.loc[harness, "protocol"] = "lm-evaluation-harness"
    given_models = frames["model"].copy()
    # "StarCoderBase-1B + MultiPL-T ft": the fine-tune is the method (already in `method`), not another model
    fine_tuned = frames["method"].fillna("").str.contains("finetune|fine-tune", case=False)
    frames.loc[fine_tuned, "model"] = frames.loc[fine_tuned, "model"].str.replace(
        r"\s*\+\s*(MultiPL-T ft|natural-\w+ ft|fine-tune on .*)$", "", regex=True)
    frames, _ = canonicalise(frames)
    for index, model in frames["model"].items():
        info = resolve_model(model)
        if not info.known:
            continue
        frames.at[index, "model_family"] = info.family
        if info.params and not pd.isna(labelled[index]) and int(labelled[index]) != info.params:
            frames.at[index, "flags"] = "; ".join(filter(None, [
                frames.at[index, "flags"], f"size as labelled by the source: {int(labelled[index]):,} "
                                           f"(catalogue: {info.params:,})"]))
        if info.params:
            frames.at[index, "params"] = info.params
        if given_models[index] != model:
            frames.at[index, "notes"] = "; ".join(filter(None, [str(frames.at[index, "notes"] or ""),
                                                               f"model as named by the source: {given_models[index]}"]))
    return frames
