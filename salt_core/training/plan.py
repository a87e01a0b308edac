"""The plan: what an experiment will do, decided and checked before any training — the task's languages, the
augmentation languages, the miner, the classifier's pooling, the budget in steps — and each run's identity.

Everything that can be refused is refused here (unknown method or language, a masked-LM method on a headless model),
before a single step is trained.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from salt_core.errors import EmptyLanguageError, InputError, UnknownLanguageError
from salt_core.languages import get_language
from salt_core.training import engine
from salt_core.training.config import MAX_AUGMENT, METHODS, Experiment
from salt_core.training.data import TaskData, load_task

NO_HEAD = ("{method} mines substitutes with the masked LM (SALT's miner), and {model} has no trained masked-LM head. "
           "Use --miner similarity (a baseline, not SALT's method) or the method similarity-codeswitch.")


def augmentation_languages(requested: tuple[str, ...], evaluated: list[str], source: str,
                           cap: int = MAX_AUGMENT, tokenizer=None) -> tuple[list[str], list[str]]:
    """(languages substitutes are mined in, notes). Those asked for (any FLORES-200 language, by FLORES or ISO
    code or name), else up to `cap` of the evaluated languages, taken in turn from each resource level (CC-100
    volume: high, mid, low, absent) so that scarce languages are augmented too, not only the first ones listed.
    A language whose vocabulary the rules cannot decide is refused when asked for and passed over otherwise."""
    from salt_core.languages import language_vocabulary
    from salt_core.runs.facets import RESOURCE_LEVELS, resource_levels

    def usable(code: str) -> str | None:  # None when the rules cannot give it a vocabulary; else why not
        if tokenizer is None:
            return None
        try:
            language_vocabulary(tokenizer, code)
        except EmptyLanguageError as exc:
            return str(exc)
        return None

    if requested:
        chosen = []
        for token in requested:
            try:
                code = get_language(token).code
            except UnknownLanguageError as exc:
                raise InputError(f"--augment-languages: {exc}") from None
            why = usable(code)
            if why:
                raise InputError(f"--augment-languages: {why}")
            if code != get_language(source).code:
                chosen.append(code)
        return list(dict.fromkeys(chosen)), []
    candidates, notes = [], []
    for token in evaluated:
        try:
            code = get_language(token).code
        except UnknownLanguageError:
            continue
        if code == get_language(source).code or code in candidates:
            continue
        why = usable(code)
        if why:
            notes.append(f"not augmented: {why}")
            continue
        candidates.append(code)
    levels = resource_levels(candidates)
    by_level = {level: [code for code in candidates if levels[code] == level] for level in RESOURCE_LEVELS}
    chosen = []
    while len(chosen) < min(cap, len(candidates)):
        for level in RESOURCE_LEVELS:
            if by_level[level] and len(chosen) < cap:
                chosen.append(by_level[level].pop(0))
    if len(candidates) > cap:
        notes.append(f"augmenting {cap} of {len(candidates)} evaluated languages (--max-augment-languages), taken in "
                     "turn from each CC-100 resource level: " + ", ".join(f"{code} ({levels[code]})" for code in chosen))
    return chosen, notes


@dataclass
class Plan:
    """What an experiment will do, decided before any training."""

    experiment: Experiment
    task: TaskData
    source: str
    languages: list[str]  # evaluated, source first
    augment_languages: list[str]
    miner: str | None  # the miner the model-mined methods use ("mlm" or "similarity")
    notes: list[str] = field(default_factory=list)
    pooling: str = "mean"  # the classifier's pooling, resolved from the checkpoint (salt_core.training.head)
    steps: int = 0  # the budget in optimisation steps, the same for every method (compute-matched scheme)
    tuned_grid: tuple[tuple[float, float], ...] = ()  # (learning rate, epochs) points chosen from on source dev


def plan(experiment: Experiment, mlm) -> Plan:
    """Check everything that can be checked before training; the notes say what was decided and why."""
    experiment.validate()
    wanted = list(experiment.languages) + [experiment.source] if experiment.languages else None
    task = load_task(experiment.data, wanted)
    source = task.resolve([experiment.source])[0]
    languages = task.resolve(list(experiment.languages)) if experiment.languages else sorted(task.languages)
    languages = [source] + [code for code in languages if code != source]
    notes = []
    mined_methods = [m for m in experiment.methods if METHODS[m].codeswitch == "model"]
    miner = None
    if mined_methods:
        salt = [m for m in mined_methods if METHODS[m].salt]
        miner = experiment.miner if experiment.miner != "auto" else ("mlm" if mlm.has_mlm_head else "similarity")
        if salt and miner == "mlm" and not mlm.has_mlm_head:
            raise InputError(NO_HEAD.format(method=salt[0], model=mlm.label))
        if salt and miner == "similarity":
            notes.append(f"{mlm.label} has no masked-LM head: the substitutes of {', '.join(salt)} come from the "
                         "embedding-similarity miner (a baseline, not SALT's method); the runs' protocol says so."
                         if not mlm.has_mlm_head else "substitutes come from the embedding-similarity miner (asked "
                                                      "for with --miner similarity), not SALT's masked-LM miner.")
    augment_languages = []
    if any(METHODS[m].codeswitch for m in experiment.methods):
        augment_languages, chosen_notes = augmentation_languages(experiment.augment_languages, languages, source,
                                                                 experiment.max_augment, mlm.tokenizer)
        notes += chosen_notes
        if not augment_languages:
            raise InputError("No language to code-switch into: none of the evaluated languages is one a miner or "
                             "dictionary can target here; name some with --augment-languages.")
        notes.append(f"code-switching into {', '.join(augment_languages)}")
    if mlm.is_demo:
        notes.append("the demo model has random weights: its runs show the plumbing, never SALT's effect")
    from salt_core.training.head import resolve_pooling

    pooling, _ = resolve_pooling(mlm, experiment.train.pooling)
    n_train = len(task.split(source, "train"))
    if experiment.max_train_examples:
        n_train = min(n_train, experiment.max_train_examples)
    steps = engine.budget_steps(experiment.train, n_train)
    notes.append(f"{pooling} pooling; budget {steps} optimisation steps for every method"
                 + (" (additive augmentation: code-switching methods add steps)"
                    if experiment.augmentation == "additive" else ""))
    return Plan(experiment, task, source, languages, augment_languages, miner, notes, pooling, steps)


def miner_for(p: Plan, method: str) -> str | None:
    """The miner whose substitutes a method trains on (None: it uses none)."""
    if METHODS[method].codeswitch != "model":
        return None
    return "similarity" if method == "similarity-codeswitch" else p.miner


def fingerprint(experiment: Experiment, method: str, seed: int, languages: list[str], miner: str | None = None,
                augmented: list[str] | tuple[str, ...] = ()) -> str:
    """A run's identity. A method whose substitutes the similarity miner (`miner`) gives also depends on that
    miner's rank and calibration, so a run made under other ones is trained again rather than taken as done; a
    code-switching method depends on the languages it was `augmented` into (chosen by a rule that may change)."""
    from salt_core.substitutions.similarity import scoring

    settings = experiment.settings() | {"method": method, "seed": seed, "languages": languages}
    if augmented:
        settings["augmented_into"] = list(augmented)
    if miner and (scored_by := scoring(miner)):
        settings["similarity_scoring"] = scored_by
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:12]


def run_id(experiment: Experiment, task: str, method: str, seed: int, digest: str) -> str:
    model = re.sub(r"[^A-Za-z0-9.]+", "-", Path(experiment.model).name or experiment.model).strip("-")[:40]
    return f"{model}-{re.sub(r'[^A-Za-z0-9]+', '-', task).strip('-')}-{method}-seed{seed}-{digest}"
