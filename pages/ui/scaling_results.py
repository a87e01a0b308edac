"""Scaling's answers and views of a selection: the answer card, this tool's own experiment's card, the tabs
(data volume, model size, gains, method vs baseline, fit, languages, known problems) and the downloads."""


import pandas as pd
import streamlit as st

from pages import ui
from pages.ui import exports
from pages.ui.scaling_sources import own_report
from pages.ui.scaling_view import View
from salt_core.errors import SaltError
from salt_core.runs import experiment_report
from salt_core.runs.comparison import compare_by_seed, comparison_groups
from salt_core.runs.facets import language_table
from salt_core.runs.figures import (
    delta_figure,
    delta_volume_figure,
    figure_image,
    gain_figure,
    score_vs_data_figure,
    score_vs_params_figure,
    with_caption,
)
from salt_core.runs.identity import ZERO_SHOT
from salt_core.runs.scaling import (
    MIN_LANGUAGES,
    N_BOOT,
    answer,
    fit_scaling,
    method_deltas,
    model_gains,
    select,
)
from salt_core.runs.selection import (
    OWN,
    PARAMETER_COUNTS,
    is_upload,
    known_problems,
    salt_methods,
)
from salt_core.training.config import SHORT_NAMES


def cards(v: View) -> None:
    """More data or a bigger model: the answer card; and the own experiment's answer where selected."""
    (task, method, metric, protocol, runs, with_volume, unit, count) = \
        (v.task, v.method, v.metric, v.protocol, v.runs, v.with_volume, v.unit, v.count)
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


def tabs(v: View):
    """Every view of the selection; returns (data figure, fit terms) for the downloads."""
    (task, method, metric, protocol, runs, narrow, selection, with_volume, unit, left_out) = \
        (v.task, v.method, v.metric, v.protocol, v.runs, v.narrow, v.selection, v.with_volume, v.unit, v.left_out)
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
        problems = known_problems(narrow)
        if len(problems):
            st.dataframe(problems, hide_index=True)
        else:
            st.success("No known problems in this selection.")
    return data_figure, fit_terms


def downloads(v: View, data_figure, fit_terms) -> None:
    (task, method, metric, protocol, selection, with_volume, unit) = \
        (v.task, v.method, v.metric, v.protocol, v.selection, v.with_volume, v.unit)
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
