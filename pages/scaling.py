"""Scaling: from saved runs, does more data for a low-resource language beat a bigger model?"""

import pandas as pd
import streamlit as st

from pages import ui
from salt_core.errors import SaltError
from salt_core.runs import (
    COLUMNS,
    MappingNeeded,
    apply_mapping,
    corpus_volumes,
    join_volumes,
    load_bytes,
    reference_runs,
    to_gib,
    validate,
)
from salt_core.scaling import answer, fit_scaling, method_deltas, model_gains, select
from salt_core.views import delta_figure, gain_figure, score_vs_data_figure, score_vs_params_figure

BUNDLES = {"natural-language reference runs": "natural", "code-generation reference runs": "programming"}
CORPORA = sorted(corpus_volumes()["corpus"].unique())


@st.cache_data(show_spinner=False)
def bundled() -> pd.DataFrame:
    return reference_runs()


def uploaded_runs(files) -> list[pd.DataFrame]:
    frames = []
    for file in files:
        with st.expander(f"Upload: {file.name}", expanded=True):
            try:
                c1, c2, c3 = st.columns(3)
                model = c1.text_input("Model (if the file lacks it)", key=f"m_{file.name}") or None
                language = c2.text_input("Language (if the file lacks it)", key=f"l_{file.name}") or None
                task = c3.text_input("Task (if the file lacks it)", key=f"t_{file.name}") or None
                try:
                    result = load_bytes(file.getvalue(), file.name, model=model, language=language, task=task)
                except MappingNeeded as need:
                    result = validate(column_mapping(need.frame, file.name))
            except SaltError as exc:
                st.error(str(exc))
                continue
            st.success(f"{len(result.runs)} runs loaded.")
            corpus = st.selectbox("Join missing data volumes from", ["none"] + CORPORA, key=f"corpus_{file.name}",
                                  help="Bundled per-language statistics; volumes in the file are kept.")
            if corpus != "none":
                result.runs = join_volumes(result.runs, corpus)
            if result.problems:
                st.warning(f"{len(result.problems)} rows were not loaded:")
                st.table(pd.DataFrame(result.problems))
            frames.append(result.runs.assign(source=result.runs["source"].fillna(file.name)))
    return frames


def column_mapping(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    st.info(f"{name} is not in the runs format. Say which of its columns hold what, or give a constant.")
    choices = ["—"] + list(frame.columns)
    mapping, constants = {}, {}
    for column in ("model", "language", "task", "method", "metric", "score", "params", "pretraining_data",
                   "pretraining_data_unit", "model_family", "language_kind"):
        c1, c2 = st.columns(2)
        guess = column if column in frame.columns else "—"
        picked = c1.selectbox(f"{column}", choices, index=choices.index(guess), key=f"map_{name}_{column}")
        mapping[column] = None if picked == "—" else picked
        if picked == "—":
            constants[column] = c2.text_input(f"or a constant for {column}", key=f"const_{name}_{column}") or None
    return apply_mapping(frame, mapping, constants)


ui.enter_page("pages/scaling.py")
st.title("Scaling")
st.caption("Accuracy against a language's pretraining-data volume and against model size, from saved runs. "
           "Bundled runs are published figures, each with its source; known problems travel with them as flags.")

sets = st.multiselect("Bundled runs", list(BUNDLES), default=list(BUNDLES)[:1], key="sets", bind="query-params")
files = st.file_uploader("Your runs: runs CSV/JSONL/Parquet, lm-evaluation-harness JSON, Trainer results JSON, or "
                         "any table (you map its columns)", type=["csv", "jsonl", "parquet", "json"],
                         accept_multiple_files=True)
reference = bundled()
frames = [reference[reference["language_kind"].isin([BUNDLES[s] for s in sets])]] + uploaded_runs(files or [])
runs = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else \
    pd.DataFrame(columns=COLUMNS)
if runs.empty:
    st.info("Choose a bundled set or upload runs.")
    st.stop()


def pick(label, options, key, preferred=None):
    options = sorted(map(str, pd.unique(options)))
    default = options.index(preferred) if preferred in options else 0
    return st.selectbox(label, options, index=default, key=key, bind="query-params")


kind = st.radio("Language kind", sorted(runs["language_kind"].unique()), horizontal=True, key="kind",
                bind="query-params")
runs = runs[runs["language_kind"] == kind]
# Each choice depends on the ones before it. When a choice changes, everything after it is reset to the new
# context's default *and* written back to the URL (a programmatic set is synced to the URL), so a shared link
# reopens exactly the view it was copied from.
preferred_task = "XNLI" if kind == "natural" else "MultiPL-E HumanEval"
ui.reset_on_change("scaling_task", (kind,), {"task": preferred_task if preferred_task in set(runs["task"]) else
                                             sorted(map(str, runs["task"].unique()))[0]})
c1, c2, c3, c4 = st.columns(4)
with c1:
    task = pick("Task", runs["task"], "task", preferred_task)
task_methods = runs.loc[runs["task"] == task, "method"]
preferred_method = "finetune-en_zero-shot" if "finetune-en_zero-shot" in set(task_methods) else \
    task_methods.mode().iloc[0]
ui.reset_on_change("scaling_method", (kind, task), {"method": preferred_method})
with c2:
    method = pick("Method", task_methods, "method", preferred_method)
metrics = runs.loc[(runs["task"] == task) & (runs["method"] == method), "metric"]
ui.reset_on_change("scaling_metric", (kind, task, method), {"metric": sorted(map(str, metrics.unique()))[0]})
with c3:
    metric = pick("Metric", metrics, "metric")
narrow = select(runs, task=task, method=method, metric=metric)
all_families = sorted(narrow["model_family"].dropna().unique())
all_languages = sorted(narrow["language"].unique())
# English is the fine-tuning language of zero-shot transfer, not a transfer target: left out by default.
transfer_targets = [code for code in all_languages if not (kind == "natural" and code == "en")] or all_languages
ui.reset_on_change("scaling", (kind, task, method, metric), {"families": all_families, "languages": transfer_targets})
with c4:
    families = st.multiselect("Model families", all_families, key="families", bind="query-params",
                              **ui.default_unless_set("families", all_families))
languages = st.multiselect("Languages", all_languages, key="languages", bind="query-params",
                           help="English is left out by default: in zero-shot transfer it is the training language.",
                           **ui.default_unless_set("languages", transfer_targets))
selection = select(narrow, families=families, languages=languages)
if selection.empty:
    st.info("No runs match these filters.")
    st.stop()

units = list(selection["pretraining_data_unit"].dropna().unique())
if any(str(u).startswith("bytes") for u in units) and len(units) > 1 and st.checkbox(
        "Convert bytes to GiB (bytes / 2^30) so the units can share an axis", key="to_gib"):
    selection = to_gib(selection)
    units = list(selection["pretraining_data_unit"].dropna().unique())
fittable_count = {u: int(((selection["pretraining_data_unit"] == u) & selection["params"].notna()).sum()) for u in units}
units.sort(key=lambda u: -fittable_count[u])  # the unit with the most fittable runs comes first
unit = st.radio("Data unit on the axis", units, horizontal=True, key="unit",
                help="Volumes in different units never share an axis.") if len(units) > 1 else \
    (units[0] if units else None)
with_volume = selection[selection["pretraining_data_unit"] == unit] if unit else selection.iloc[0:0]
flagged = selection["flags"].fillna("").ne("").sum()
st.caption(f"{len(selection)} runs selected; {len(with_volume)} with a data volume in {unit or '—'}; "
           f"{flagged} carry a known-problem flag (see the last tab).")

with st.container(border=True):
    st.markdown("#### More data for a language, or a bigger model?")
    verdict = answer(with_volume, n_boot=500)
    if verdict.ok:
        st.markdown(verdict.headline)
    else:
        st.warning(verdict.headline)
    for line in verdict.details:
        st.markdown(f"- {line}")

facet = st.radio("Facet the data plot by", ["none", "model_family", "task"], horizontal=True, key="facet",
                 bind="query-params")
tabs = st.tabs(["Data volume", "Model size", "Gain from scaling", "Method vs baseline", "Fit", "Known problems"])
data_figure = score_vs_data_figure(with_volume, None if facet == "none" else facet) if len(with_volume) else None
with tabs[0]:
    if data_figure is None:
        st.info("No run in this selection has a data volume.")
    else:
        st.plotly_chart(data_figure, width="stretch")
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
    salt_like = [m for m in methods if "salt" in m.lower()]
    if not salt_like:
        st.info("No run in this task carries a SALT method: upload runs whose method names SALT and a baseline "
                "to compare them per language. (No per-language SALT results are published.)")
    else:
        treated = st.selectbox("Method", salt_like, key="treated")
        baseline = st.selectbox("Baseline", [m for m in methods if m != treated], key="baseline")
        deltas = method_deltas(select(runs, task=task, metric=metric), treated, baseline)
        if len(deltas):
            st.plotly_chart(delta_figure(deltas), width="stretch")
        else:
            st.info("No shared languages.")
fit_terms = None
with tabs[4]:
    try:
        fit = fit_scaling(with_volume, families=st.checkbox("Per-family intercepts", key="fam"),
                          interaction=st.checkbox("Data x size interaction", key="inter"), n_boot=500)
        fit_terms = fit.terms
        st.markdown(f"OLS on {fit.n} runs, R² = {fit.r2:.2f}; 95% bootstrap intervals (500 resamples).")
        st.table(fit.terms.style.format({"estimate": "{:+.2f}", "low": "{:+.2f}", "high": "{:+.2f}"}))
    except SaltError as exc:
        st.info(str(exc))
with tabs[5]:
    problems = selection[selection["flags"].fillna("").ne("")][["run_id", "model", "language", "score", "flags"]]
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
