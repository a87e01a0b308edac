"""Scaling's choices, each depending on the ones before it: language kind, task, method, metric, protocol,
families and languages, script/region/resource filters, flagged runs, the parameter count and the data unit."""

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from pages import ui
from salt_core.runs.facets import GROUPS, with_facets
from salt_core.runs.figures import settings_figure
from salt_core.runs.identity import ZERO_SHOT
from salt_core.runs.scaling import select
from salt_core.runs.schema import (
    excluded_by_default,
    to_gib,
)
from salt_core.runs.selection import (
    PARAMETER_COUNTS,
    by_protocol,
    default_kind,
    default_method,
    default_metric,
    default_task,
    hidden,
    is_upload,
    protocol_options,
    transfer_targets,
    units_by_use,
    with_parameter_count,
)

MANY_LANGUAGES = 20  # beyond this, the page offers script, region and resource-group filters


def pick(label, options, key, default):
    options = sorted(map(str, pd.unique(options)))
    return st.selectbox(label, options, index=options.index(default) if default in options else 0, key=key,
                        bind="query-params")


@dataclass
class View:
    """What the choices select; the cards, tabs and downloads read it."""

    kind: object
    task: object
    method: object
    metric: object
    protocol: object
    runs: object
    narrow: object
    selection: object
    with_volume: object
    unit: object
    left_out: object
    count: object


def choose(runs: pd.DataFrame, uploads: list[pd.DataFrame]) -> View:
    """Draw the choices and apply them (stops the page, saying why, when nothing is left)."""
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
    return View(kind=kind, task=task, method=method, metric=metric, protocol=protocol, runs=runs, narrow=narrow, selection=selection, with_volume=with_volume, unit=unit, left_out=left_out, count=count)
