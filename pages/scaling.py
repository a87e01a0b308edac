"""Scaling: from saved runs, does more data for a low-resource language beat a bigger model?"""

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from pages import ui
from pages.ui import exports
from salt_core.errors import SaltError
from salt_core.files import first_of_each_content
from salt_core.runs import experiment_report
from salt_core.runs.comparison import compare_by_seed, comparison_groups
from salt_core.runs.facets import GROUPS, language_table, with_facets
from salt_core.runs.figures import (
    delta_figure,
    delta_volume_figure,
    figure_image,
    gain_figure,
    score_vs_data_figure,
    score_vs_params_figure,
    settings_figure,
    with_caption,
)
from salt_core.runs.identity import METHODS, ZERO_SHOT
from salt_core.runs.importers import MappingNeeded, Overrides, apply_mapping, load_bytes, load_table
from salt_core.runs.scaling import (
    MIN_LANGUAGES,
    N_BOOT,
    answer,
    fit_scaling,
    method_deltas,
    model_gains,
    select,
)
from salt_core.runs.schema import (
    COLUMNS,
    EXCLUDE,
    canonicalise,
    corpus_volumes,
    excluded_by_default,
    join_volumes,
    own_runs,
    reference_runs,
    severity,
    to_gib,
    validate,
)
from salt_core.runs.selection import (
    OWN,
    PARAMETER_COUNTS,
    PUBLISHED,
    by_protocol,
    default_kind,
    default_method,
    default_metric,
    default_task,
    hidden,
    is_upload,
    join_model_volumes,
    protocol_options,
    salt_methods,
    transfer_targets,
    units_by_use,
    with_parameter_count,
)
from salt_core.training.config import SHORT_NAMES
from salt_core.training.jobs import default_runs_folder
from salt_core.training.record import read_trained_runs

BUNDLES = {"natural-language reference runs": "natural", "code-generation reference runs": "programming",
           OWN: "own"}
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
    return experiment_report.report(own.drop(columns=["origin"]))


def in_set(runs: pd.DataFrame, name: str) -> pd.Series:
    return runs["origin"].eq(OWN) if BUNDLES[name] == "own" else (
        runs["origin"].eq(PUBLISHED) & runs["language_kind"].eq(BUNDLES[name]))


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


def pick(label, options, key, default):
    options = sorted(map(str, pd.unique(options)))
    return st.selectbox(label, options, index=options.index(default) if default in options else 0, key=key,
                        bind="query-params")


ui.enter_page("pages/scaling.py")
st.title("Scaling")
st.caption("Accuracy against a language's pretraining-data volume and against model size, from saved runs. "
           "Bundled runs are published figures, each with its source; known problems travel with them as flags. "
           f"*{OWN}* are the experiment this tool ran itself (benchmarks/bench_salt_sib200.py), every row trained "
           "here and committed with its runs.")

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
chosen_sets = pd.Series(False, index=reference.index)
for name in sets:
    chosen_sets |= in_set(reference, name)
frames = [reference[chosen_sets], *uploads]
frames = [f for f in frames if len(f)]
runs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*COLUMNS, "origin"])
if runs.empty:
    st.info("Choose a bundled set or upload runs.")
    st.stop()

# Each choice depends on the ones before it. When a choice (or the set of uploads) changes, everything after it is
# reset to the new context's default *and* written back to the URL, so a shared link reopens exactly this view; a
# new upload moves the view to its own task, method and metric.
upload_ids = tuple(sorted(runs.loc[is_upload(runs), "origin"].unique()))
kind_default = default_kind(runs)
ui.reset_on_change("scaling_kind", (upload_ids,), {"kind": kind_default})
kinds = sorted(runs["language_kind"].unique())
kind = st.radio("Language kind", kinds, horizontal=True, key="kind", bind="query-params",
                index=kinds.index(kind_default) if kind_default in kinds else 0)
runs = runs[runs["language_kind"] == kind]
ui.reset_on_change("scaling_task", (kind, upload_ids), {"task": default_task(runs, kind)})
c1, c2, c3, c4 = st.columns(4)
with c1:
    task = pick("Task", runs["task"], "task", default_task(runs, kind))
task_runs = runs[runs["task"] == task]
ui.reset_on_change("scaling_method", (kind, task, upload_ids), {"method": default_method(task_runs)})
with c2:
    method = pick("Method", task_runs["method"], "method", default_method(task_runs))
method_runs = task_runs[task_runs["method"] == method]
ui.reset_on_change("scaling_metric", (kind, task, method, upload_ids), {"metric": default_metric(method_runs)})
with c3:
    metric = pick("Metric", method_runs["metric"], "metric", default_metric(method_runs))
settings = task_runs[~excluded_by_default(task_runs)]
if settings["method"].nunique() > 1 and settings["params"].notna().any():
    with st.expander(f"Every setting of {task}, side by side (never pooled)",
                     expanded=ZERO_SHOT not in set(settings["method"])):  # open where no transfer runs lead
        st.plotly_chart(settings_figure(settings), width="stretch")
        sources = settings.groupby("method").agg(models=("model", "nunique"), languages=("language", "nunique"),
                                                 runs=("score", "size"), source=("source", "first")).reset_index()
        st.dataframe(sources, hide_index=True, width="stretch")
        st.caption("Each panel is one method; the choices above pick the one the card, the fits and the tabs read. "
                   "Sources: first source per method shown; every run's own source is in the hover and the table.")
narrow = select(runs, task=task, method=method, metric=metric)
protocols, protocol_default = protocol_options(narrow)
ui.reset_on_change("scaling_protocol", (kind, task, method, metric, upload_ids), {"protocol": protocol_default})
with c4:
    protocol = st.selectbox("Protocol", protocols, index=protocols.index(protocol_default), key="protocol",
                            format_func=lambda p: p or "(not stated)",
                            help="Harness, prompt and decoding. Runs of one model and language under two protocols "
                                 "are not comparable, so such views pick one protocol by default.")
narrow = by_protocol(narrow, protocol)
all_families = sorted(narrow["model_family"].dropna().unique())
all_languages = sorted(narrow["language"].unique())
targets = transfer_targets(all_languages, kind, method)
ui.reset_on_change("scaling", (kind, task, method, metric, protocol, upload_ids),
                   {"families": all_families, "languages": targets})
f1, f2 = st.columns(2)
ui.keep_offered("families", all_families)
ui.keep_offered("languages", all_languages)
families = f1.multiselect("Model families", all_families, key="families", bind="query-params",
                          **ui.default_unless_set("families", all_families))
languages = f2.multiselect("Languages", all_languages, key="languages", bind="query-params",
                           help="English is left out of zero-shot transfer by default: it is the training language.",
                           **ui.default_unless_set("languages", targets))
selection = select(narrow, families=families, languages=languages)
if selection.empty:
    st.info("No runs match these filters.")
    st.stop()
selection = with_facets(selection)
if selection["language"].nunique() > MANY_LANGUAGES or any(
        st.session_state.get(k) for k in ("scripts", "continents", "groups")):
    g1, g2, g3 = st.columns(3)
    chosen = {
        "script": g1.multiselect("Scripts", sorted(selection["script"].unique()), key="scripts", bind="query-params",
                                 placeholder="all scripts"),
        "continent": g2.multiselect("Regions", sorted(selection["continent"].unique()), key="continents",
                                    bind="query-params", placeholder="all regions",
                                    help="Continent of the language's likely territory (CLDR, UN M49); unknown where "
                                         "CLDR does not know the language."),
        "resource_group": g3.multiselect("Resource groups", list(GROUPS), key="groups", bind="query-params",
                                         placeholder="all groups",
                                         help="Thirds of this selection's languages by log pretraining volume (per "
                                              "unit): high, mid, low; none = zero data; unknown = no volume.")}
    keep = pd.Series(True, index=selection.index)
    for column, values in chosen.items():
        if values:
            keep &= selection[column].isin(values)
    if not keep.all():
        gone = set(selection["language"]) - set(selection.loc[keep, "language"])
        st.caption(f"The script/region/resource filters hide {len(gone)} of {selection['language'].nunique()} "
                   f"languages ({int((~keep).sum())} runs).")
        selection = selection[keep]
    if selection.empty:
        st.info("No language of this selection is in the chosen scripts, regions and resource groups.")
        st.stop()
serious = excluded_by_default(selection)
include_serious = st.toggle("Include runs with serious known problems", key="with_flagged", bind="query-params",
                            help="Chance-level artefacts, wrong settings and broken source values are left out of "
                                 "the figures and fits by default; caveats (rounding, stand-in volumes, recounts) "
                                 "never are. The last tab lists both.")
if serious.any():
    st.caption(f"{int(serious.sum())} runs with serious known problems are "
               + ("included (toggle off to leave them out)." if include_serious else
                  "left out of the figures and fits (toggle to include them).")
               + f" {int((~serious & selection['flags'].fillna('').ne('')).sum())} more carry caveats and are kept.")
    if not include_serious:
        selection = selection[~serious]
if selection.empty:
    st.info("Every run of this selection has a serious known problem; toggle above to see them anyway.")
    st.stop()

count = st.radio("Parameters", list(PARAMETER_COUNTS), horizontal=True, key="param_count", bind="query-params",
                 help="Total parameters, or non-embedding parameters: multilingual models spend much of their size on "
                      "the vocabulary (XLM-R Base: 85M of 250M are not embeddings).")
selection, count_notes = with_parameter_count(selection, count)
for note in count_notes:
    st.caption(note)
if selection.empty:
    st.info("No run of this selection has a non-embedding parameter count in the catalogue.")
    st.stop()

units = units_by_use(selection)
if any(str(u).startswith("bytes") for u in units) and len(units) > 1 and st.checkbox(
        "Convert bytes to GiB (bytes / 2^30) so the units can share an axis", key="to_gib"):
    selection = to_gib(selection)
    units = units_by_use(selection)
ui.reset_on_change("scaling_unit", (tuple(units), upload_ids), {"unit": units[0] if units else None})
if len(units) > 1:
    unit = st.radio("Data unit on the axis", units, horizontal=True, key="unit",
                    help="Volumes in different units never share an axis.")
else:
    unit = units[0] if units else None
with_volume = selection[selection["pretraining_data_unit"] == unit] if unit else selection.iloc[0:0]
left_out = hidden(pd.concat(uploads, ignore_index=True) if uploads else runs.iloc[0:0], selection, with_volume)
flagged = selection["flags"].fillna("").ne("").sum()
st.caption(f"{len(selection)} runs selected ({int(is_upload(selection).sum())} of them yours); {len(with_volume)} "
           f"with a data volume in {unit or '—'}; {flagged} carry a known-problem flag (see the last tab).")
off_axis = sorted(set(selection["model_family"].dropna()) - set(with_volume["model_family"].dropna()))
if off_axis and unit:
    reasons = [f"{family} ({', '.join(map(str, selection.loc[selection['model_family'] == family, 'pretraining_data_unit'].dropna().unique())) or 'no volume'})"
               for family in off_axis]
    other_units = set(selection["pretraining_data_unit"].dropna()) - {unit}
    st.caption("Not on the data axis in " + str(unit) + ": " + "; ".join(reasons) + ". "
               + ("Pick their unit above (or convert bytes to GiB) to see those with another unit; " if other_units
                  else "Their volume is unknown (no per-language counts are bundled for their corpus); ")
               + "the model-size figure shows every family.")
if left_out.uploads_hidden:
    st.warning(f"{left_out.uploads_hidden} of your runs (uploaded or trained here) are hidden by the choices above "
               "(language kind, task, method, metric, protocol, families or languages).")

with st.container(border=True):
    st.markdown("#### More data for a language, or a bigger model?")
    st.caption(ui.plain(f"Reading {task} · {method} · protocol: {protocol or 'not stated'} · "
                        f"{with_volume['language'].nunique()} languages with a volume in {unit or '—'}."))
    verdict = answer(with_volume, n_boot=N_BOOT)
    if verdict.ok:
        st.markdown(verdict.headline)
        st.caption(f"Model size counted as {PARAMETER_COUNTS[count]}.")
    else:
        st.warning(verdict.headline)
    for line in verdict.details:
        st.markdown(f"- {line}")
    if verdict.ok and verdict.table is not None:
        card_caption = (f"More data for a language, or a bigger model? {task}, {method}, {metric}; protocol: "
                        f"{protocol or 'not stated'}; {len(with_volume)} runs, {with_volume['language'].nunique()} "
                        f"languages, data in {unit}. OLS of score on log10(data) and log10(params); 95% percentile "
                        f"bootstrap intervals over languages ({N_BOOT:,} resamples, seed 0). "
                        + " ".join(verdict.headline.split()))
        exports.tables(verdict.table, card_caption, "tab:salt-answer", "answer",
                       {"estimate": "+.2f", "low": "+.2f", "high": "+.2f"}, what="The answer's numbers")

own = runs[runs["origin"].eq(OWN) & runs["task"].eq(task)]
if len(own):
    with st.container(border=True):
        st.markdown(f"#### {OWN}: does SALT help, and more where data is scarce?")
        report = own_report(own)
        st.markdown(experiment_report.answer(report, names=SHORT_NAMES))
        with st.expander("Every number: English per method, each arm paired by seed, the gain against CC-100 volume"):
            st.markdown(experiment_report.markdown(report, names=SHORT_NAMES))
            st.caption("Computed here from the committed runs (salt_core.runs.experiment_report), as the README's "
                       "section is; how they were made: benchmarks/bench_salt_sib200.py.")

facet = st.radio("Facet the data plot by", ["none", "model_family", "task"], horizontal=True, key="facet",
                 bind="query-params")
# Not bound to the link (bind="query-params"): that makes every tab switch a full rerun of this page, 2-2.5 s in
# Chromium here, where an unbound switch is instant.
tabs = st.tabs(["Data volume", "Model size", "Gain from scaling", "Method vs baseline", "Fit", "Languages",
                "Known problems"])
unknown_volume = selection[selection["pretraining_data"].isna()]
zero_volume = with_volume[with_volume["pretraining_data"].astype(float) <= 0]
data_figure = score_vs_data_figure(with_volume, None if facet == "none" else facet, unknown=unknown_volume) \
    if len(with_volume) else None
with tabs[0]:
    if data_figure is None:
        st.info("No run in this selection has a data volume.")
    else:
        st.plotly_chart(data_figure, width="stretch")
    if len(zero_volume) or len(unknown_volume):
        where = "listed below (the figure is faceted)" if facet != "none" else "drawn in the grey strip on the right"
        st.caption(f"Not on the log axis, {where}: {len(zero_volume)} runs whose model had no pretraining data for "
                   f"the language (log10 of 0 does not exist; also left out of the fits) and {len(unknown_volume)} "
                   "runs whose volume is unknown.")
    other_unit = int((selection["pretraining_data"].notna() & (selection["pretraining_data_unit"] != unit)).sum())
    if other_unit > 0:
        st.caption(f"In another unit than {unit}, so not in this figure: {other_unit} runs (pick their unit above).")
    if len(left_out.no_volume) or len(zero_volume):
        st.dataframe(pd.concat([zero_volume[left_out.no_volume.columns], left_out.no_volume]), hide_index=True)
with tabs[1]:
    st.plotly_chart(score_vs_params_figure(selection), width="stretch")
with tabs[2]:
    gains = model_gains(with_volume)
    if gains.empty:
        st.info("Gains need at least two sizes of one family with data volumes.")
    else:
        st.plotly_chart(gain_figure(gains), width="stretch")
        st.dataframe(gains, hide_index=True)
with tabs[3]:
    methods = sorted(select(runs, task=task, metric=metric)["method"].unique())
    treated_options = salt_methods(methods)
    if not treated_options:
        st.info("No run in this task carries a SALT method: upload runs whose method is SALT and a baseline to "
                "compare them per language. (No per-language SALT results are published.)")
    else:
        treated = st.selectbox("Method", treated_options, key="treated")
        others = [m for m in methods if m != treated]
        others.sort(key=lambda m: m != ZERO_SHOT)  # the baseline SALT is measured against, when there is one
        baseline = st.selectbox("Baseline", others, key="baseline")
        deltas = method_deltas(select(runs, task=task, metric=metric), treated, baseline)
        if len(deltas):
            st.plotly_chart(delta_figure(deltas), width="stretch")
            exports.tables(deltas, f"{treated} minus {baseline} per language: {task}, {metric}; protocol: "
                                   f"{protocol or 'not stated'}; delta = difference of the seed means; 95% Welch "
                                   "interval over each side's seeds (none with one seed on a side); the paired-by-seed "
                                   "comparison is in the text.", "tab:salt-deltas", "method_vs_baseline",
                           {c: "+.2f" for c in ("delta", "low", "high")}, what="Method vs baseline")
            volumes = runs[runs["method"] == treated].drop_duplicates(["model", "language"])[
                ["model", "language", "pretraining_data", "pretraining_data_unit"]]
            deltas = deltas.merge(volumes, on=["model", "language"], how="left")
            drawn = int(deltas["pretraining_data"].astype(float).gt(0).sum())
            if drawn:
                st.plotly_chart(delta_volume_figure(deltas), width="stretch")
                st.caption(f"{drawn} of {len(deltas)} languages have a volume in the model's corpus; the others are "
                           "not drawn here.")
            chosen = select(runs, task=task, metric=metric)
            comparisons = compare_by_seed(chosen, treated, baseline, groups=comparison_groups(chosen, treated)) \
                if chosen["seed"].notna().any() else []
            for comparison in comparisons:
                st.markdown(ui.plain("  \n".join(comparison.lines())))
            if not comparisons:
                st.info("No seeds shared by the two methods: without them there is no paired comparison. Per "
                        "language, the bars show each side's seed mean with a Welch interval.")
            st.caption("Paired by seed, the unit that was replicated: per seed, the mean over the target languages of "
                       "method minus baseline; a 95% paired t interval and an exact sign-flip test over seeds. Languages "
                       "scored by the same models are never counted as independent evidence. Per-language bars: "
                       "Welch intervals over each side's seeds.")
        else:
            st.info("No shared languages.")
fit_terms = None
with tabs[4]:
    try:
        fit = fit_scaling(with_volume, families=st.checkbox("Per-family intercepts", key="fam"),
                          interaction=st.checkbox("Data x size interaction", key="inter"), n_boot=N_BOOT)
        fit_terms = fit.terms
        st.markdown(f"OLS on {fit.n} runs, R² = {fit.r2:.2f}; 95% bootstrap intervals over languages ({N_BOOT:,} "
                    "resamples).")
        terms = fit.terms.copy()
        if fit.languages < MIN_LANGUAGES:
            terms[["low", "high"]] = float("nan")
            st.caption(f"{fit.languages} languages: too few for intervals over languages (at least {MIN_LANGUAGES}).")
        if fit.sizes == 2:  # a line through two sizes is no rate: the card gives their difference instead
            terms.loc[terms["term"].astype(str).str.contains("params"), ["low", "high"]] = float("nan")
            st.caption("Two model sizes only: the log10(params) coefficient is the line through two points, not a "
                       "rate; it has no interval here, and the card gives the two sizes' difference instead.")
        st.table(terms.style.format({"estimate": "{:+.2f}", "low": "{:+.2f}", "high": "{:+.2f}"}, na_rep="—"))
    except SaltError as exc:
        st.info(ui.plain(exc))
with tabs[5]:
    table = language_table(selection)
    st.caption(f"{table['language'].nunique()} languages × {table['model'].nunique()} models. Click a column header "
               "to sort (by volume, by score); the search icon above the table finds a language.")
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"score": st.column_config.NumberColumn(format="%.1f"),
                                "pretraining_data": st.column_config.NumberColumn("volume", format="%.4g"),
                                "n": st.column_config.NumberColumn(help="runs averaged (seeds, prompts)")})
    exports.tables(table, f"Per-language scores: {task}, {method}, {metric}; protocol: {protocol or 'not stated'}; "
                          f"{table['language'].nunique()} languages x {table['model'].nunique()} models; score: the "
                          "mean over a language's runs (n: runs averaged); volume in the model's corpus unit. No "
                          "interval: one number per language and model.", "tab:salt-languages", "languages",
                   {"score": ".1f", "pretraining_data": ".4g"}, what="Per-language table")
with tabs[6]:
    problems = narrow[narrow["flags"].fillna("").ne("")][["run_id", "model", "language", "score", "flags"]]
    problems = problems.assign(severity=problems["flags"].map(severity),
                               flags=problems["flags"].str.replace(EXCLUDE, "", regex=False))[
        ["run_id", "model", "language", "score", "severity", "flags"]]
    if len(problems):
        st.dataframe(problems, hide_index=True)
    else:
        st.success("No known problems in this selection.")

d1, d2, d3 = st.columns(3)
d1.download_button("Selected runs (CSV)", selection.to_csv(index=False), "runs.csv", "text/csv")
if fit_terms is not None:
    d2.download_button("Fit (CSV)", fit_terms.to_csv(index=False), "fit.csv", "text/csv")
if data_figure is not None:
    d3.download_button("Data plot (HTML)", data_figure.to_html(include_plotlyjs=True), "scaling.html", "text/html",
                       help="Self-contained, works offline; the camera icon on a figure saves a PNG.")
    drawn, yours = with_volume, int(is_upload(with_volume).sum())  # what the figure draws, not what the filters allow
    caption = (f"{task} · {method} · {metric} · protocol: {protocol or 'not stated'} · {len(with_volume)} runs, "
               f"{with_volume['language'].nunique()} languages, families drawn: "
               f"{', '.join(sorted(drawn['model_family'].dropna().unique())) or 'none'} · data in "
               f"{unit}.\nDotted lines: OLS trend per model. Card: OLS of score on log10(data) and log10(params); "
               f"95% percentile bootstrap over languages ({N_BOOT:,} resamples, seed 0). Sources: salt_core reference "
               "runs" + (f" and {yours} of the user's runs (uploaded or trained here; ringed)." if yours else "."))
    e1, e2, e3 = st.columns(3)
    for column, fmt, mime in ((e1, "png", "image/png"), (e2, "svg", "image/svg+xml"), (e3, "pdf", "application/pdf")):
        column.download_button(f"Data plot with its caption ({fmt.upper()})",
                               lambda fmt=fmt: figure_image(with_caption(data_figure, caption), fmt),
                               f"scaling.{fmt}", mime, on_click="ignore", key=f"export_{fmt}",
                               help="For a paper: the figure with the selection, fit and interval method under it.")
