"""Runs: saved results (yours and published ones) in one schema, and the answer to the seed's question —
more pretraining data for a language, or a bigger model?

    schema.py     the run columns, validation, flags and their severity; the bundled runs and corpus volumes
    identity.py   what a run measured: task families in harness task names, the controlled list of methods
    catalogue.py  canonical model names with family, parameters and pretraining corpus (sourced)
    importers.py  the project's tables, lm-evaluation-harness JSON, Trainer folders, MLflow stores
    mlflow_store.py  MLflow stores through MLflow's client (SQLite, file store, server), deleted runs left out
    reference.py  builds the bundled published runs from ../shared/reference (python -m salt_core runs
                  build-reference)
    selection.py  the page's defaults and filters, volumes joined per model, what a filter hides
    facets.py     language facets for many-language views: name, script, region, resource group; the
                  per-language table; a language's CC-100 resource level
    scaling.py    fits (score against log data and log size), bootstrap over languages, the answer card,
                  method-vs-baseline deltas per language (Welch over seeds)
    comparison.py a method against its baseline paired by seed: the primary effect over target languages, the
                  source language and transfer gap apart, per-language deltas with Holm's correction
    experiment_report.py  an experiment's whole answer from its runs: the source language per method, each arm
                  paired by seed, per-language Bonferroni intervals, the gain against log CC-100 volume; the
                  README's SIB-200 section
    figures.py    the page's figures, and PNG/SVG/PDF export with caption
    export.py     tables for a paper: booktabs LaTeX and CSV, each with its caption
"""

from salt_core import lazy_exports

_EXPORTS = {name: "salt_core.runs.schema" for name in (
    "COLUMNS", "REQUIRED", "LoadResult", "canonicalise", "validate", "reference_runs", "read_runs_csv",
    "corpus_volumes", "join_volumes")}
_EXPORTS |= {name: "salt_core.runs.identity" for name in ("METHODS", "ZERO_SHOT", "parse_task", "normalise_method")}
_EXPORTS |= {name: "salt_core.runs.catalogue" for name in ("resolve_model", "ModelInfo", "size_label")}
_EXPORTS |= {name: "salt_core.runs.importers" for name in ("load_runs", "load_bytes", "load_table", "Overrides",
                                                            "detect_format")}
_EXPORTS |= {name: "salt_core.runs.scaling" for name in ("fit_scaling", "answer", "model_gains", "method_deltas",
                                                          "select")}
_EXPORTS |= {name: "salt_core.runs.comparison" for name in ("compare_by_seed", "per_language", "SeedComparison")}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
