"""Experiments: run SALT itself — train with code-switching and mixup, evaluate zero-shot, see the runs on Scaling."""

import pandas as pd
import streamlit as st

from pages import ui
from salt_core.models.loading import model_label
from salt_core.training import jobs
from salt_core.training.config import METHODS, TrainConfig
from salt_core.training.experiment import DEFAULT_GRID
from salt_core.training.figures import learning_curve_figure
from salt_core.training.record import read_learning_curves, read_trained_runs

ui.enter_page("pages/experiments.py")
st.title("Experiments")
st.caption("Fine-tune the sidebar's model on the source language only (checkpoint chosen on its dev split), with "
           "SALT's code-switching and mixup or a baseline, and evaluate every chosen language's test split. The job "
           "runs in the background (`python -m salt_core train`): reload the page, or close it, and it goes on. "
           "Finished runs appear on the Scaling page, ringed as yours. Compute is matched: every method trains the "
           "same number of optimisation steps (the epochs below are passes over the source training set), and "
           "code-switching replaces examples rather than adding them.")

model = ui.chosen_model_name()
st.markdown(f"**Model:** {ui.plain(model_label(model) if model else '(choose one in the sidebar)')}")
defaults = TrainConfig()
with st.form("experiment"):
    data = st.text_input("Task data", key="ex_data", max_chars=1000,
                         placeholder="a folder in SIB-200's layout (<flores code>/train.tsv …), a table, or Davlan/sib200",
                         help="SIB-200's data/annotated folder (dadelani/sib-200), a CSV/TSV/JSONL table with text, "
                              "label, language and split, or a hub dataset name when this machine reaches the hub.")
    methods = st.multiselect("Methods", list(METHODS), default=["baseline", "salt"], key="ex_methods",
                             format_func=lambda m: f"{m} — {METHODS[m].summary}")
    c1, c2, c3, c4 = st.columns(4)
    languages = c1.text_input("Languages to evaluate", "eng_Latn,deu_Latn,swh_Latn", key="ex_languages",
                              help="FLORES or ISO codes, comma-separated; empty: every language of the data.")
    seeds = c2.text_input("Seeds", "1,2,3", key="ex_seeds")
    epochs = c3.number_input("Epochs", 0.1, 100.0, float(defaults.epochs), 0.5, key="ex_epochs")
    subset = c4.number_input("Training examples (0: all)", 0, 10_000_000, 0, key="ex_subset",
                             help="The first N source-language examples, for a quick run.")
    a1, a2 = st.columns([3, 1])
    augment = a1.text_input("Languages to code-switch into", "", key="ex_augment",
                            placeholder="empty: evaluated languages in turn from each resource level",
                            help="Any of SIB-200's 205 languages whose vocabulary the rules can decide, by FLORES or "
                                 "ISO code or name (yor_Latn, so, Amharic). Empty: up to the number on the right of "
                                 "the evaluated languages, taken in turn from each CC-100 resource level (high, mid, "
                                 "low, absent).")
    max_augment = a2.number_input("At most (default choice)", 1, 205, 8, key="ex_max_augment",
                                  help="Each language costs one pass of the miner over the training set (22-61 s "
                                       "on SIB-200's English train with 2 CPU cores, once per experiment).")
    miner = st.radio("SALT's substitutes from", ["auto", "mlm", "similarity"], horizontal=True, key="ex_miner",
                     help="mlm: the masked LM restricted to each language (SALT's method); similarity: embedding "
                          "similarity (a baseline, not SALT's); auto: mlm when the model has a masked-LM head.")
    tune = st.checkbox("Choose each method's learning rate on the source dev split first", key="ex_tune",
                       help=f"From the grid {', '.join(f'{lr:g} x {ep:g} epochs' for lr, ep in DEFAULT_GRID)} (one "
                            "budget, so every method still trains the same steps), each point trained once with the "
                            "first seed; only source-language dev data is read. Costs "
                            f"{len(DEFAULT_GRID)} extra trainings per method.")
    submitted = st.form_submit_button("Start the experiment", type="primary")

if submitted:
    problems = []
    if not model:
        problems.append("choose a model in the sidebar")
    if not data.strip():
        problems.append("name the task data")
    if not methods:
        problems.append("choose at least one method")
    if not all(s.strip().isdigit() for s in seeds.split(",") if s.strip()) or not seeds.strip():
        problems.append("seeds are whole numbers separated by commas")
    if problems:
        st.error(ui.plain("To start: " + "; ".join(problems) + "."))
    else:
        args = ["--model", model, "--data", data.strip(), "--methods", ",".join(methods), "--seeds", seeds,
                "--epochs", f"{epochs:g}", "--miner", miner, "--output", str(jobs.default_runs_folder())]
        if languages.strip():
            args += ["--languages", languages.strip()]
        if augment.strip():
            args += ["--augment-languages", augment.strip()]
        args += ["--max-augment-languages", str(int(max_augment))]
        if subset:
            args += ["--max-train-examples", str(int(subset))]
        if tune:
            args += ["--tune"]
        job = jobs.start(args)
        st.toast(f"Started job {job.id}.", icon=":material/play_arrow:")


def job_list() -> None:
    """The jobs, read from their folders (so a reload or a second browser sees the same); refreshed every two
    seconds while one runs, and the whole page once none does (its finished runs then appear below)."""
    found = jobs.jobs()
    if watching and not any(job.state == "running" for job in found):
        st.rerun()
    if not found:
        st.caption("No experiment has been started on this machine yet.")
        return
    for job in found[:10]:
        with st.container(border=True):
            stage = job.status.get("stage") or "starting"
            run = job.status.get("run") or ""
            st.markdown(f"**{ui.plain(job.id)}** — {job.state}")
            st.caption(ui.plain(" ".join(job.args)))
            if job.state == "running":
                st.progress(job.fraction, text=ui.plain(f"{stage} {run} ({job.status.get('runs_done', 0)} of "
                                                        f"{job.status.get('runs_total', '?')} runs done)"))
                st.button("Cancel", key=f"cancel_{job.id}", on_click=jobs.cancel, args=(job,))
            elif job.state == "finished":
                st.success(f"Finished: {job.status.get('runs_total', 0)} runs written.", icon=":material/check:")
            else:
                st.warning(ui.plain(job.message or f"{job.state}."), icon=":material/info:")


st.subheader("Jobs")
watching = any(job.state == "running" for job in jobs.jobs())
st.fragment(job_list, run_every=2 if watching else None)()

st.subheader("Finished runs")
trained = read_trained_runs(jobs.default_runs_folder())
if trained.empty:
    st.caption(f"None yet in {ui.plain(jobs.default_runs_folder())}.")
else:
    accuracy = trained[trained["metric"] == "accuracy"]
    summary = (accuracy.groupby(["model", "task", "method", "seed"])
               .agg(languages=("language", "nunique"), mean_accuracy=("score", "mean")).reset_index())
    st.dataframe(summary, hide_index=True, column_config={
        "mean_accuracy": st.column_config.NumberColumn("mean accuracy over languages", format="%.1f")})
    st.caption(f"{len(trained):,} rows from {trained['source'].nunique()} runs in "
               f"{ui.plain(jobs.default_runs_folder())}. A demo model's runs show the plumbing only.")
    st.page_link("pages/scaling.py", label="See them on Scaling: method against baseline per language",
                 icon=":material/trending_up:")
    st.download_button("All finished runs (CSV)", pd.DataFrame(trained).to_csv(index=False), "trained_runs.csv",
                       "text/csv")

    st.subheader("Learning curves")
    curves = read_learning_curves(jobs.default_runs_folder())
    if curves.empty:
        st.caption("No finished run kept its learning curve (runs trained before curves were kept).")
    else:
        st.plotly_chart(learning_curve_figure(curves), width="stretch")
        st.caption("Each run's training loss and source-dev accuracy by optimisation step (every method trains the "
                   "same number of steps); a star marks the checkpoint chosen on source dev. Before believing a "
                   "gain, check that the baseline's dev accuracy has levelled off.")
        undertrained = sorted(curves.loc[curves["may_be_undertrained"] == True, "run"].unique())  # noqa: E712
        if undertrained:
            st.warning(ui.plain(f"May be undertrained ({len(undertrained)}): " + ", ".join(undertrained) + ". Their "
                                "best source-dev accuracy came at the last evaluation and was still rising: a "
                                "larger budget may change the comparison."), icon=":material/warning:")
