"""What the Scaling page shows by default, and what a selection leaves out: the page's choices as tested functions.

The page is widgets in, these functions, figures out. Defaults follow the user's own runs when there are
any (an upload moves the view to its task, method and metric); otherwise XNLI zero-shot transfer for
natural languages and MultiPL-E HumanEval for code. English is left out of zero-shot transfer targets (it
is the fine-tuning language). Protocols (harness, decoding) are not mixed on one curve unless asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from salt_core.runs.catalogue import resolve_model
from salt_core.runs.identity import ZERO_SHOT
from salt_core.runs.schema import EXCLUDE, corpus_volumes, join_volumes, severity

PUBLISHED = "published"
OWN = "this tool's own SIB-200 runs"  # bundled like the published ones, trained by benchmarks/bench_salt_sib200.py
# the bundled sets a reader picks from: published runs by language kind, and this tool's own experiment
BUNDLES = {"natural-language reference runs": "natural", "code-generation reference runs": "programming", OWN: "own"}
ALL_PROTOCOLS = "all protocols (mixes harnesses and decoding)"
PREFERRED_TASK = {"natural": "XNLI", "programming": "MultiPL-E HumanEval"}
# catalogue corpus (prefix) -> bundled per-language volumes of that corpus
CORPUS_VOLUMES = {"CC-100-XL": "CC-100-XL", "CC-100": "CC-100", "ROOTS": "ROOTS", "Wikipedia": "Wikipedia 2020-10",
                  "StarCoderData": "StarCoderData"}


def is_upload(runs: pd.DataFrame) -> pd.Series:
    """Runs the user brought (uploaded or trained here), ringed in figures; the bundled sets are not."""
    if "origin" not in runs:
        return pd.Series(False, index=runs.index)
    return ~runs["origin"].fillna(PUBLISHED).isin([PUBLISHED, OWN])


def _mode(values: pd.Series, preferred=None):
    values = values.dropna().astype(str)
    if preferred is not None and preferred in set(values):
        return preferred
    return values.mode().sort_values().iloc[0] if len(values) else None


def default_kind(runs: pd.DataFrame) -> str:
    uploads = runs[is_upload(runs)]
    return _mode(uploads["language_kind"]) if len(uploads) else _mode(runs["language_kind"], "natural")


def default_task(runs: pd.DataFrame, kind: str) -> str:
    uploads = runs[is_upload(runs) & (runs["language_kind"] == kind)]
    return _mode(uploads["task"]) if len(uploads) else _mode(runs["task"], PREFERRED_TASK.get(kind))


def default_method(runs: pd.DataFrame) -> str:
    """For the runs of one task: the uploads' method, else zero-shot transfer, else the method the card can read
    best (the most languages that have both a volume and a model size, in a family with two sizes or more)."""
    uploads = runs[is_upload(runs)]
    if len(uploads):
        return _mode(uploads["method"])
    if ZERO_SHOT in set(runs["method"].dropna()):
        return ZERO_SHOT
    usable = runs.dropna(subset=["pretraining_data", "params"])
    sized = usable.groupby(["method", "model_family"])["params"].transform("nunique") >= 2
    readable = usable[sized].groupby("method")["language"].nunique()
    return str(readable.sort_values(ascending=False).index[0]) if len(readable) else _mode(runs["method"])


def default_metric(runs: pd.DataFrame) -> str:
    uploads = runs[is_upload(runs)]
    return _mode(uploads["metric"]) if len(uploads) else _mode(runs["metric"], "accuracy")


def protocol_options(runs: pd.DataFrame) -> tuple[list[str], str]:
    """(protocols offered, default). Mixing is the default only when no (model, language) pair was measured
    under two protocols; otherwise the protocol of the uploads, or of the most runs."""
    protocols = runs["protocol"].fillna("").astype(str)
    options = sorted(protocols.unique())
    if len(options) <= 1:
        return [ALL_PROTOCOLS], ALL_PROTOCOLS
    clash = runs.assign(p=protocols).groupby(["model", "language"])["p"].nunique().max() > 1
    uploads = protocols[is_upload(runs)]
    default = (_mode(uploads) if len(uploads) else _mode(protocols)) if clash else ALL_PROTOCOLS
    return [ALL_PROTOCOLS, *options], default


def by_protocol(runs: pd.DataFrame, protocol: str) -> pd.DataFrame:
    return runs if protocol == ALL_PROTOCOLS else runs[runs["protocol"].fillna("").astype(str) == protocol]


def transfer_targets(languages: list[str], kind: str, method: str) -> list[str]:
    """Languages selected by default: all but English for zero-shot transfer (English is the training language)."""
    if kind == "natural" and method == ZERO_SHOT:
        return [code for code in languages if code != "en"] or languages
    return list(languages)


def salt_methods(methods) -> list[str]:
    return [m for m in methods if str(m).lower().startswith("salt")]


def units_by_use(selection: pd.DataFrame) -> list[str]:
    """Data units present: the unit of the user's own runs first (so an upload is on the axis shown), then the
    one with the most runs that also have a size."""
    units = list(selection["pretraining_data_unit"].dropna().unique())
    has = {u: selection["pretraining_data_unit"] == u for u in units}
    mine = {u: int((has[u] & is_upload(selection)).sum()) for u in units}
    usable = {u: int((has[u] & selection["params"].notna()).sum()) for u in units}
    return sorted(units, key=lambda u: (-mine[u], -usable[u], str(u)))


def join_model_volumes(runs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Fill missing data volumes from the bundled statistics of each model's pretraining corpus (catalogue).
    Returns the runs and, per corpus, a sentence saying what was joined."""
    bundled = set(corpus_volumes()["corpus"])
    runs, notes = runs.copy(), []
    missing = runs["pretraining_data"].isna()
    for model in runs.loc[missing, "model"].dropna().unique():
        corpus = resolve_model(str(model)).corpus or ""
        target = next((v for k, v in CORPUS_VOLUMES.items() if corpus.startswith(k) and v in bundled), None)
        rows = missing & (runs["model"] == model)
        if target and rows.any():
            joined = join_volumes(runs[rows], target)
            runs.loc[rows, ["pretraining_data", "pretraining_data_unit", "flags"]] = joined[
                ["pretraining_data", "pretraining_data_unit", "flags"]]
            notes.append(f"{model}: volumes joined from the bundled {target} statistics (the catalogue's corpus "
                         f"for this model)")
    return runs, notes


@dataclass
class Hidden:
    """What a view leaves out, in words the page prints."""

    uploads_hidden: int  # the user's runs that the filters hide
    no_volume: pd.DataFrame  # selected runs without a usable data volume (model, language, origin)


def hidden(runs: pd.DataFrame, selection: pd.DataFrame, with_volume: pd.DataFrame) -> Hidden:
    uploads_hidden = int(is_upload(runs).sum() - is_upload(selection).sum())
    missing = selection[~selection.index.isin(with_volume.index)]
    columns = [c for c in ("model", "language", "origin", "pretraining_data", "pretraining_data_unit") if c in missing]
    return Hidden(uploads_hidden, missing[columns])


PARAMETER_COUNTS = {
    "total": "total parameters (embeddings included)",
    "non-embedding": "non-embedding parameters (the catalogue's; runs of models without one are left out)",
}


def with_parameter_count(runs: pd.DataFrame, which: str) -> tuple[pd.DataFrame, list[str]]:
    """The runs with `params` as total or non-embedding parameters, and which families were left out and why.

    Multilingual models spend much of their size on the vocabulary (XLM-R Base: 85M of 250M parameters are not
    embeddings), so "10x more parameters" means different things in the two counts. Non-embedding counts come
    from the model catalogue only (published, or computed from the architecture where its source says so).
    """
    if which == "total":
        return runs, []
    if which != "non-embedding":
        raise ValueError(f"unknown parameter count {which!r}")
    names = runs["model"].astype(str)
    lookup = {name: resolve_model(name).non_embedding_params for name in names.unique()}
    counts = names.map(lookup)
    known = counts.notna()
    missing = sorted(runs.loc[~known, "model_family"].dropna().astype(str).unique())
    notes = [f"No non-embedding count in the catalogue for {', '.join(missing)}: their runs are left out "
             "(choose total parameters to see them)."] if missing else []
    return runs[known].assign(params=counts[known].astype(float)), notes


def bundled_sets(bundled: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The rows of the bundled runs (`origin` PUBLISHED or OWN) that belong to any of the named BUNDLES."""
    chosen = pd.Series(False, index=bundled.index)
    for name in names:
        kind = BUNDLES[name]
        chosen |= bundled["origin"].eq(OWN) if kind == "own" else (
            bundled["origin"].eq(PUBLISHED) & bundled["language_kind"].eq(kind))
    return bundled[chosen]


def known_problems(runs: pd.DataFrame) -> pd.DataFrame:
    """Every flagged run with its severity and its flags in words (the exclusion marker left out)."""
    problems = runs[runs["flags"].fillna("").ne("")][["run_id", "model", "language", "score", "flags"]]
    problems = problems.assign(severity=problems["flags"].map(severity),
                               flags=problems["flags"].str.replace(EXCLUDE, "", regex=False))
    return problems[["run_id", "model", "language", "score", "severity", "flags"]]
