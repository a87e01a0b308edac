"""Scaling's inputs: the bundled sets (published runs and this tool's own SIB-200 runs), the user's uploads
(each read through salt_core.runs.importers, with what the file lacks filled in and every cell editable) and the
runs trained here, gathered into one frame."""

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from pages import ui
from salt_core.errors import SaltError
from salt_core.files import first_of_each_content
from salt_core.runs import experiment_report, schema
from salt_core.runs.identity import METHODS
from salt_core.runs.importers import MappingNeeded, Overrides, apply_mapping, load_bytes, load_table
from salt_core.runs.schema import (
    COLUMNS,
    canonicalise,
    corpus_volumes,
    join_volumes,
    own_runs,
    reference_runs,
    validate,
)
from salt_core.runs.selection import (
    BUNDLES,
    OWN,
    PUBLISHED,
    bundled_sets,
    join_model_volumes,
)
from salt_core.training.jobs import default_runs_folder
from salt_core.training.record import read_trained_runs

CORPORA = sorted(corpus_volumes()["corpus"].unique())
MANY_LANGUAGES = 20  # beyond this, the page offers script, region and resource-group filters
MAX_UPLOAD_ROWS = 20_000  # per file: the fits and bootstraps rerun on every change; the CLI takes any size
EDITABLE = ["model", "model_family", "params", "language", "task", "method", "metric", "score", "pretraining_data",
            "pretraining_data_unit", "flags"]


@st.cache_data(show_spinner=False)
def bundled() -> pd.DataFrame:
    published, own = reference_runs().assign(origin=PUBLISHED), own_runs()
    if own.empty:  # an installed package without the repository's benchmarks/results
        return published
    own, _notes = join_model_volumes(own)
    return pd.concat([published, own.assign(origin=OWN)], ignore_index=True)


@st.cache_data(show_spinner=False, max_entries=2)
def own_report(own: pd.DataFrame):
    """The own experiment's report, partial against its plan where the plan file says what is still to run."""
    try:
        planned = schema.own_plan()
    except SaltError as exc:
        st.warning(str(exc))
        planned = None
    return experiment_report.report(own.drop(columns=["origin"]), planned=planned)


@st.cache_data(show_spinner=False, max_entries=4)
def trained_runs(folder: str, stamp: tuple) -> pd.DataFrame:
    """The runs trained here (python -m salt_core train, the Experiments page), volumes joined from each model's
    corpus; `stamp` (file names and times) makes a new run show up without a restart."""
    runs, _notes = join_model_volumes(read_trained_runs(folder))
    return runs


def folder_stamp(folder: str) -> tuple:
    path = Path(folder)
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in path.glob("*.csv"))) if path.is_dir() else ()


@st.cache_data(show_spinner=False, max_entries=16)
def read_upload(data: bytes, name: str, overrides: Overrides):
    """Cached by content and overrides: a rerun never parses a file again."""
    return load_bytes(data, name, overrides)


def overrides_for(key: str) -> Overrides:
    with st.popover("Say what the file lacks (or correct it)"):
        c1, c2, c3 = st.columns(3)
        values = dict(model=c1.text_input("Model", key=f"m_{key}"), language=c2.text_input("Language", key=f"l_{key}"),
                      task=c3.text_input("Task", key=f"t_{key}"),
                      method=c1.selectbox("Method", ["", *METHODS, "prompted 0-shot", "prompted 5-shot"],
                                          key=f"me_{key}"),
                      corpus=c2.text_input("Pretraining corpus", key=f"c_{key}"))
        params = c3.number_input("Parameters", 0, 10**13, 0, key=f"p_{key}")
        replace = st.checkbox("Replace values the file has (not only fill missing ones)", key=f"r_{key}")
    return Overrides(**{k: (v or None) for k, v in values.items()}, params=int(params) or None, replace=replace)


def one_upload(file) -> pd.DataFrame | None:
    data = file.getvalue()
    key = hashlib.sha256(data).hexdigest()[:12]  # keyed by content: two all_results.json never collide
    with st.expander(f"Upload: {ui.plain(file.name)}", expanded=True):
        overrides = overrides_for(key)
        try:
            try:
                result = read_upload(data, file.name, overrides)
            except MappingNeeded as need:
                result = load_table(column_mapping(need.frame, file.name, key), file.name)
        except SaltError as exc:
            st.error(ui.plain(f"{file.name}: {exc}"))
            return None
        for message in result.messages:
            st.caption(ui.plain(message))
        if result.problems:
            st.warning(f"{len(result.problems)} rows were not loaded:")
            st.table(pd.DataFrame(result.problems[:50]).set_index("row"))
            if len(result.problems) > 50:
                st.caption(f"… and {len(result.problems) - 50} more.")
        if result.runs.empty:
            st.info("Nothing from this file can be plotted yet: fill in what it lacks above.")
            return None
        if len(result.runs) > MAX_UPLOAD_ROWS:
            st.warning(f"{len(result.runs):,} runs: this page keeps the first {MAX_UPLOAD_ROWS:,} so that fitting stays "
                       f"interactive ({len(result.runs) - MAX_UPLOAD_ROWS:,} left out). Filter the file, or use "
                       "`python -m salt_core runs import` and salt_core.runs.scaling for all of them.")
            result.runs = result.runs.head(MAX_UPLOAD_ROWS)
        corpus = st.selectbox("Join missing data volumes from", ["the model's own corpus", "none", *CORPORA],
                              key=f"corpus_{key}", help="Bundled per-language statistics; volumes in the file "
                                                        "are kept.")
        runs = result.runs
        if corpus == "the model's own corpus":
            runs, notes = join_model_volumes(runs)
            for note in notes:
                st.caption(ui.plain(note))
        elif corpus != "none":
            runs = join_volumes(runs, corpus)
        st.success(f"{len(runs)} runs loaded. What was read (edit a cell to correct it):")
        # notes (read-only) say row by row what was inferred, e.g. a language read from a task name's ending
        edited = st.data_editor(runs[[*EDITABLE, "notes"]], key=f"edit_{key}", hide_index=True, width="stretch",
                                num_rows="fixed", disabled=["notes"])
        runs = runs.copy()
        runs[EDITABLE] = edited[EDITABLE].to_numpy()
        checked = validate(canonicalise(runs)[0])
        for problem in checked.problems:
            st.warning(ui.plain(f"Row {problem['row']} as edited: {problem['reason']} (left out)."))
        runs = checked.runs
        return runs.assign(origin=f"yours: {file.name}", source=runs["source"].fillna(file.name))


def column_mapping(frame: pd.DataFrame, name: str, key: str) -> pd.DataFrame:
    st.info(f"{ui.plain(name)} is not in the runs format. Say which of its columns hold what, or give a constant.")
    choices = ["—"] + list(frame.columns)
    mapping, constants = {}, {}
    for column in ("model", "language", "task", "method", "metric", "score", "params", "pretraining_data",
                   "pretraining_data_unit", "model_family", "language_kind"):
        c1, c2 = st.columns(2)
        guess = column if column in frame.columns else "—"
        picked = c1.selectbox(f"{column}", choices, index=choices.index(guess), key=f"map_{key}_{column}")
        mapping[column] = None if picked == "—" else picked
        if picked == "—":
            constants[column] = c2.text_input(f"or a constant for {column}", key=f"const_{key}_{column}") or None
    return apply_mapping(frame, mapping, constants)


def gather() -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """The chosen bundled sets, the uploads and the runs trained here as one frame, and the user's own frames
    apart; stops the page when there is nothing to show."""
    sets = st.multiselect("Bundled runs", list(BUNDLES), default=list(BUNDLES)[:1], key="sets", bind="query-params")
    files = st.file_uploader("Your runs: lm-evaluation-harness JSON, Trainer all_results/eval_results/trainer_state JSON, "
                             "an MLflow store (mlflow.db, or a zip of it or of mlruns), a zip of result folders, a runs "
                             "CSV/JSONL/Parquet, or any table (you map its columns)",
                             type=["csv", "jsonl", "parquet", "json", "zip", "db"],
                             accept_multiple_files=True)
    with st.expander("Your runs trained here (python -m salt_core train, or the Experiments page)"):
        runs_folder = st.text_input("Runs folder", value=str(default_runs_folder()), key="runs_folder", max_chars=1000,
                                    help="Every finished run in this folder is read; they are ringed as yours.")
        mine = trained_runs(runs_folder, folder_stamp(runs_folder))
        st.caption(f"{mine['source'].nunique()} runs ({len(mine)} rows) in {ui.plain(runs_folder)}." if len(mine) else
                   f"No finished runs in {ui.plain(runs_folder)} yet.")
    reference = bundled()
    if OWN in sets and not reference["origin"].eq(OWN).any():
        st.info(f"No {OWN} in this copy (benchmarks/results/sib200-runs.csv is absent).")
    files = files or []
    kept, twins = first_of_each_content([(file.name, file.getvalue()) for file in files])
    for name, twin in twins:  # one file read once: a second copy would draw every widget twice (and clash)
        st.info(ui.plain(f"{name} is byte-identical to {twin}: it is read once, as {twin}."), icon=":material/content_copy:")
    uploads = [frame for frame in (one_upload(files[i]) for i in kept) if frame is not None]
    if len(mine):
        uploads.append(mine)
    frames = [bundled_sets(reference, sets), *uploads]
    frames = [f for f in frames if len(f)]
    runs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*COLUMNS, "origin"])
    if runs.empty:
        st.info("Choose a bundled set or upload runs.")
        st.stop()
    return runs, uploads
