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

from salt_core.languages import language_code
from salt_core.runs.catalogue import resolve_model
from salt_core.runs.identity import PROBE
from salt_core.runs.schema import COLUMNS, EXCLUDE, canonicalise, validate
from salt_core.runs.selection import CORPUS_VOLUMES

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


ROOTS_CODES = {"zhs": "zh", "zht": "zh-Hant"}  # ROOTS writes Simplified and Traditional Chinese as zhs / zht
CORPUS_NAMES = {"XLM-R": "CC-100", "XGLM": "CC-100-XL", "BLOOM": "ROOTS", "Wikipedia": "Wikipedia 2020-10"}


def _stats(corpus_stats: pd.DataFrame) -> pd.DataFrame:
    stats = corpus_stats.copy()
    roots = stats["corpus"] == "ROOTS"
    stats.loc[roots, "language_iso"] = stats.loc[roots, "language_iso"].replace(ROOTS_CODES)
    return stats


def _documented(corpus_stats: pd.DataFrame) -> dict[str, set[str]]:
    """Every language each corpus's statistics list, usable value or not (a malformed value is still a language
    the corpus has): a language outside this set is absent from the corpus as documented."""
    stats = _stats(corpus_stats)
    corpora = {"XLM-R": "CC-100", "XGLM": "CC-100-XL", "BLOOM": "ROOTS", "Wikipedia": "Wikipedia-20201001"}
    return {key: set(stats.loc[stats["corpus"] == name, "language_iso"].dropna().astype(str)) - {"-", "code"}
            for key, name in corpora.items()}


def _volumes(corpus_stats: pd.DataFrame) -> dict[str, pd.DataFrame]:
    corpus_stats = _stats(corpus_stats)

    def pick(corpus: str, unit: str, label: str) -> pd.DataFrame:
        rows = corpus_stats[(corpus_stats["corpus"] == corpus) & (corpus_stats["unit"] == unit)].copy()
        rows = rows[rows["language_iso"].str.fullmatch(r"[a-z]{2,3}(-[A-Z][a-z]{3})?", na=False)]
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


SIB_TASK = "SIB-200"
# One setting per file, never pooled: each keeps its method, and its protocol names the source's details.
SIB_FILES = {
    "sib200_mteb_embedding_logreg.csv": (PROBE, "MTEB SIB200Classification: logistic regression on 8 in-language "
                                                "examples per label, mean of 10 runs"),
    "sib200_emma500_3shot_icl.csv": ("prompted 3-shot", "EMMA-500: 3 demonstrations from the same language's train "
                                                        "split, argmax over the 7 label tokens"),
    "sib200_afrobench_0shot_prompting.csv": ("prompted 0-shot", "AfroBench 0-shot, English prompt template {prompt} "
                                                                "of 5"),
    "sib200_gpt35_gpt4_prompting_computed.csv": ("prompted 0-shot", "SIB-200 paper's prompt (GPT answers as free "
                                                                    "text; label parsed by the reference compilation)"),
}


def _sib_flags(file: str, row: dict) -> list[str]:
    flags = []
    if file.startswith("sib200_gpt"):
        flags.append("accuracy computed by the reference compilation from the raw GPT answers with its own label rule "
                     "(the paper's is undocumented); the prompt seems to have listed 6 of 7 categories (entertainment "
                     "missing), which lowers this number")
    if file.startswith("sib200_afrobench") and row.get("column_code") == "swa":
        flags.append("the source's column 'swa' was read as swh_Latn (the compilation's assumption)")
    if file.startswith("sib200_afrobench") and str(row.get("model_raw")) != str(row["model"]):
        flags.append(f"model named {row['model_raw']} in the source (a spreadsheet auto-increment)")
    if "multilingual-e5-large/4dc6d853" in str(row["source"]):
        flags.append("MTEB file under the revision hash of English e5-large; its values are multilingual "
                     "(see reference/sib200/SOURCES.md)")
    return flags


def build_sib200(folder: Path) -> pd.DataFrame:
    """SIB-200 runs from the four reference tables: one row per model x language (x prompt), scores as points."""
    frames = []
    for file, (method, protocol) in SIB_FILES.items():
        table = pd.read_csv(Path(folder) / file)
        scale = table["unit"].astype(str).str.startswith("fraction").map({True: 100.0, False: 1.0})
        rows = []
        for row, factor in zip(table.to_dict("records"), scale):
            rows.append({
                "model": row["model"], "language": language_code(row["language"]), "language_kind": "natural",
                "task": SIB_TASK, "split": "test", "method": method,
                "protocol": protocol.format(prompt=str(row.get("prompt", "")).replace("prompt_", "")),
                "metric": "accuracy", "score": float(row["accuracy"]) * factor,
                "source": row["source"], "params": None,
                "notes": f"FLORES code {row['language']}" + (f"; mteb {row['mteb_version']}" if "mteb_version" in row
                                                             else ""),
                "flags": "; ".join(_sib_flags(file, row))})
        frames.append(pd.DataFrame(rows))
    return pd.concat(frames, ignore_index=True)


def build_volumes(shared: Path) -> pd.DataFrame:
    """Per-language volumes of each corpus the reference runs use, for joining with the user's own runs."""
    shared = Path(shared)
    rows = []
    for name, table in _volumes(pd.read_csv(shared / "corpus_stats.csv")).items():
        corpus = CORPUS_NAMES[name]
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
    sib = build_sib200(shared / "sib200") if (shared / "sib200").is_dir() else frames.iloc[0:0]
    volumes = _volumes(corpus_stats)
    documented = _documented(corpus_stats)
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
                    if corpus == "BLOOM" and row["language"] == "zh":
                        flags.append("ROOTS volume of Simplified Chinese (zhs; Traditional, zht, is listed apart)")
                elif corpus == "BLOOM" and row["language"] not in documented["BLOOM"]:
                    volume, unit = 0.0, "bytes"
                    flags.append(ABSENT_FROM_ROOTS)
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
    if len(sib):
        sib = _one_identity(sib.assign(params=pd.array([None] * len(sib), dtype="Int64")))
        frames = pd.concat([frames, _sib_volumes(sib, volumes, documented)], ignore_index=True)
    checked = validate(frames[COLUMNS].reset_index(drop=True))  # e.g. a score given as "missing" is no run
    return checked.runs


ABSENT_FROM_ROOTS = ("not among ROOTS' languages (BigScience, the BLOOM paper's corpus table): no documented "
                     "pretraining data, drawn as zero")


def _corpus_key(model: str) -> str | None:
    """The volumes table of a model's catalogue corpus, by the rule the page joins uploads with (CORPUS_VOLUMES)."""
    corpus = resolve_model(model).corpus or ""
    target = next((name for prefix, name in CORPUS_VOLUMES.items() if corpus.startswith(prefix)), None)
    return {name: key for key, name in CORPUS_NAMES.items()}.get(target)


def _sib_volumes(sib: pd.DataFrame, volumes: dict[str, pd.DataFrame], documented: dict[str, set[str]]
                 ) -> pd.DataFrame:
    """Per-language volumes for SIB-200 runs from each model's documented corpus (the catalogue's), through CLDR's
    macrolanguage where the corpus counts one (swh -> sw); a language the corpus never lists is zero for ROOTS
    (BLOOM's documented 46) and unknown for CC-100 and CC-100-XL (the reference says: say so, never guess)."""
    from salt_core.runs.schema import macrolanguage

    sib = sib.copy()
    tables = {key: table.set_index("language_iso") for key, table in volumes.items()}
    macro_of = {code: macrolanguage(code) for code in sib["language"].astype(str).unique() if "-" not in code}
    data, units, flags = [], [], []
    for row in sib.to_dict("records"):
        key, language, extra = _corpus_key(row["model"]), str(row["language"]), []
        volume = unit = None
        if key:
            table = tables[key]
            base = language.split("-")[0]
            macro = macro_of.get(language)
            hit = language if language in table.index else macro if macro in table.index else None
            name = CORPUS_NAMES[key]
            if hit:
                volume, unit = float(table.loc[hit, "value"]), table.loc[hit, "unit_label"]
                if hit != language:
                    extra.append(f"{name} counts the macrolanguage {hit}; its volume is used for {language}")
                if row["model_family"] == "multilingual-e5":
                    extra.append("CC-100 stands in: multilingual-e5 starts from a CC-100 model, then trains on text "
                                 "pairs with no per-language counts")
            elif base in documented[key] or macro in documented[key]:
                extra.append(f"{name} lists {base} but no usable volume for {language} (script or value)")
            elif key == "BLOOM":
                volume, unit = 0.0, "bytes"
                extra.append(ABSENT_FROM_ROOTS)
            else:
                extra.append(f"not among {name}'s languages: volume unknown here (not guessed)")
        data.append(volume)
        units.append(unit)
        given = [part for part in str(row["flags"] or "").split("; ") if part and part != "nan"]
        flags.append("; ".join(dict.fromkeys([*given, *extra])))
    sib["pretraining_data"], sib["pretraining_data_unit"], sib["flags"] = data, units, flags
    sib["run_id"] = [f"sib-{number:05d}" for number in range(len(sib))]
    return sib


def _one_identity(frames: pd.DataFrame) -> pd.DataFrame:
    """One name and one size per model (the catalogue's; a source's other label is kept as a flag), and the
    controlled method vocabulary with harness and decoding details in `protocol`."""
    frames = frames.copy()
    labelled = frames["params"].copy()
    if "protocol" not in frames:  # the SIB-200 tables name theirs; the harness rule below fills the others
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
