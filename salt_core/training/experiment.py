"""An experiment end to end: methods x seeds, trained on the source language, evaluated zero-shot per language,
each run written to the runs folder in the project's schema (one row per model, method, seed, language, metric).

Everything that can be refused is refused before any training starts (unknown method or language, a masked-LM
method on a headless model, an unreadable dictionary). A run's rows are written atomically when it has been
evaluated, so a runs folder only ever holds finished runs; an interrupted run resumes from its last checkpoint
when the same command is given again, and finished runs are not trained twice (matched by their settings'
fingerprint, never by name alone).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from salt_core.errors import InputError
from salt_core.files import atomic_write
from salt_core.runs.schema import COLUMNS, read_runs_csv
from salt_core.training import augment, engine
from salt_core.training.config import METHODS, Experiment
from salt_core.training.data import TaskData, check_zero_shot, load_task

TRAINED_HERE = "your runs (trained here)"  # the Scaling page's origin for runs from this folder
DETAILS = ".details.json"  # beside each run's CSV: learning curve, per-example predictions, pooling, budget
UNDERTRAINED = "may be undertrained: best source-dev accuracy at the last evaluation, still rising"
NO_HEAD = ("{method} mines substitutes with the masked LM (SALT's miner), and {model} has no trained masked-LM head. "
           "Use --miner similarity (a baseline, not SALT's method) or the method similarity-codeswitch.")


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
    tuned_from: int = 0  # grid points the learning rate and budget were chosen from on source dev (0: not tuned)


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
        augment_languages = augment.augmentation_languages(experiment.augment_languages, languages, source)
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


def fingerprint(experiment: Experiment, method: str, seed: int, languages: list[str], miner: str | None = None) -> str:
    """A run's identity. A method whose substitutes the similarity miner (`miner`) gives also depends on that
    miner's rank and calibration, so a run made under other ones is trained again rather than taken as done."""
    from salt_core.substitutions.similarity import scoring

    settings = experiment.settings() | {"method": method, "seed": seed, "languages": languages}
    if miner and (scored_by := scoring(miner)):
        settings["similarity_scoring"] = scored_by
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:12]


def run_id(experiment: Experiment, task: str, method: str, seed: int, digest: str) -> str:
    model = re.sub(r"[^A-Za-z0-9.]+", "-", Path(experiment.model).name or experiment.model).strip("-")[:40]
    return f"{model}-{re.sub(r'[^A-Za-z0-9]+', '-', task).strip('-')}-{method}-seed{seed}-{digest}"


def protocol(p: Plan, method: str) -> str:
    """How the run was made, in words: everything but the seed (runs differing only by seed are one setting)."""
    cfg, cs = p.experiment.train, p.experiment.codeswitch
    chosen = METHODS[method]
    additive = p.experiment.augmentation == "additive" and chosen.copies
    budget = (f"{cfg.epochs:g} epochs over the originals and copies (additive: not compute-matched)" if additive else
              f"{p.steps} optimisation steps (" + (f"{cfg.steps} given" if cfg.steps else
                                                   f"{cfg.epochs:g} source-set epochs") + "), the same for every method")
    parts = [f"trained here: zero-shot from {p.task.languages.get(p.source, p.source)}, checkpoint selected on its dev "
             f"{cfg.select_on}", f"{p.pooling} pooling, {budget}, lr {cfg.learning_rate:g} {cfg.schedule}, batch "
             f"{cfg.batch_size}, max length {cfg.max_length}, warm-up {cfg.warmup:g}, weight decay {cfg.weight_decay:g}"
             + (", embeddings frozen" if cfg.freeze_embeddings else "")]
    if chosen.codeswitch:
        source = {"dictionary": "a dictionary", "model": f"the {p.miner} miner"}[chosen.codeswitch]
        if chosen.codeswitch == "model" and p.miner == "similarity" and chosen.salt:
            source += " (not SALT's masked-LM miner)"
        served = ("one fixed copy each" if additive else
                  f"served code-switched with probability {p.experiment.switch_probability:g}, re-drawn each epoch")
        parts.append(f"code-switched into {','.join(p.augment_languages)} from {source}, threshold "
                     f"{cs.translation_threshold:g}, ratio {cs.ratio:g}" + (f", {served}" if chosen.copies else ""))
    if chosen.mixup:
        mx = p.experiment.mixup
        parts.append(f"mixup r per {mx.granularity}, {mx.distribution}"
                     + (", partners random words of the substitute's language (control)"
                        if chosen.partner == "random" else ""))
    if p.tuned_from:
        parts.append(f"learning rate and budget chosen on source dev from a grid of {p.tuned_from}")
    if p.experiment.max_train_examples:
        parts.append(f"first {p.experiment.max_train_examples} training examples")
    return "; ".join(parts)


def existing_runs(output: Path) -> dict[str, Path]:
    """Finished runs in a runs folder, by fingerprint (the last part of each run id)."""
    return {path.stem.rsplit("-", 1)[-1]: path for path in Path(output).glob("*.csv") if "-seed" in path.stem}


def run_rows(p: Plan, mlm, method: str, seed: int, rid: str, scores: dict[str, dict], extra_flags: str) -> pd.DataFrame:
    from salt_core.runs.catalogue import resolve_model

    info = resolve_model(mlm.name if not mlm.is_demo else "demo")
    rows = []
    for language, result in scores.items():
        n = result["n"]
        for metric, key in (("accuracy", "accuracy"), ("macro-F1", "macro_f1")):
            p_hat = result[key] / 100
            stderr = math.sqrt(max(p_hat * (1 - p_hat), 0) / n) * 100 if metric == "accuracy" and n else None
            rows.append({"run_id": f"{rid}-{language}-{metric}", "model": info.name if info.known else mlm.name,
                         "model_family": info.family if info.known else None,
                         "params": info.params if info.known else sum(t.numel() for t in mlm.model.parameters()),
                         "pretraining_corpus": info.corpus if info.known else None, "language": language,
                         "language_kind": "natural", "pretraining_data": None, "pretraining_data_unit": None,
                         "task": p.task.name, "split": "test", "method": METHODS[method].run_method,
                         "protocol": protocol(p, method), "metric": metric, "score": round(result[key], 4),
                         "score_stderr": None if stderr is None else round(stderr, 4), "seed": seed,
                         "source": f"salt_core train, run {rid}",
                         "notes": f"{n} test examples ({p.task.languages.get(language, language)})",
                         "flags": extra_flags or None})
    return pd.DataFrame(rows, columns=COLUMNS)


def _training_set(p: Plan, mlm, method: str, seed: int, train: pd.DataFrame, work: Path, label_ids: dict):
    """The examples a run trains on: under the compute-matched scheme an `AugmentedExamples` of one item per
    source example (drawn as served); under the additive scheme a list of the originals and fixed copies."""
    chosen, cfg = METHODS[method], p.experiment.train
    texts, pairs = list(train["text"]), list(train["text_pair"]) if p.task.is_pair else None
    labels = [label_ids[label] for label in train["label"]]
    if not chosen.codeswitch:
        return engine.encode(mlm.tokenizer, texts, pairs, labels, cfg.max_length)[0], {}
    if chosen.codeswitch == "dictionary":
        mined = augment.dictionary_mined(texts, _dictionaries(p), p.source)
    else:
        mined = augment.cached_mining(mlm, texts, p.source, p.augment_languages, miner_for(p, method), work)
    if p.experiment.augmentation == "replace":
        from salt_core.substitutions.codeswitching import kept_by_sentence

        kept = kept_by_sentence(mined, p.experiment.codeswitch) if len(mined) else {}
        examples = augment.AugmentedExamples(
            mlm.tokenizer, texts, pairs, labels, cfg.max_length, kept, p.experiment.codeswitch, seed,
            switch=p.experiment.switch_probability if chosen.copies else 0.0, mixup=chosen.mixup,
            partner=chosen.partner)
        return examples, {"examples": len(texts), "with a kept substitute": len(kept)}
    switched = augment.codeswitched_examples(mined, texts, p.experiment.codeswitch, seed)
    changed = sum(1 for s in switched if s.replacements)
    report = {"code-switched": changed, "examples": len(texts)}
    examples = []
    if chosen.mixup:
        partners = [(s.codeswitched, augment.spans(s)) for s in switched]
        mixed, too_long = engine.encode(mlm.tokenizer, texts, pairs, labels, cfg.max_length, partners)
        examples += mixed
        report["mixup pairs too long to mix"] = too_long
    else:
        examples += engine.encode(mlm.tokenizer, texts, pairs, labels, cfg.max_length)[0]
    if chosen.copies:
        copies = [s.codeswitched for s in switched]
        encoded = engine.encode(mlm.tokenizer, copies, pairs, labels, cfg.max_length,
                                [None] * len(copies) if chosen.mixup else None)[0]
        examples += [e for e, s in zip(encoded, switched) if s.replacements]  # an unchanged copy adds nothing
    return examples, report


def _dictionaries(p: Plan) -> dict[str, pd.DataFrame]:
    from salt_core.substitutions.dictionaries import installed_dictionaries, read_dictionary

    if p.experiment.dictionary == "installed":
        found = {target: loader() for _label, (source, target, loader) in installed_dictionaries().items()
                 if source == p.source and target in p.augment_languages}
    else:
        path = Path(p.experiment.dictionary)
        if not path.is_file():
            raise InputError(f"{path} does not exist.")
        pairs = read_dictionary(path.read_bytes(), path.name)
        target = pairs.attrs.get("languages", (None, None))[1]
        if target is None:
            raise InputError(f"{path.name}: the dictionary names no target language (header such as en,de, or a "
                             "file name such as en-de.csv).")
        found = {target: pairs}
    if not found:
        raise InputError(f"No dictionary from {p.source} into {', '.join(p.augment_languages)} was found.")
    return found


def _fit(p: Plan, mlm, method: str, seed: int, train: pd.DataFrame, dev_examples, label_ids: dict, work: Path,
         folder: Path, quiet: bool, step_progress, report_to: str, state):
    """Train one (method, seed) under `p`'s experiment and budget; returns (trainer, served examples, report,
    learning curve). Resumes from the folder's last whole checkpoint."""
    experiment = p.experiment
    with state.main_process_first():  # mining is cached: one process mines, the others read
        examples, report = _training_set(p, mlm, method, seed, train, work, label_ids)
    model = engine.classifier(mlm, p.task.labels, experiment.train.freeze_embeddings, seed, p.pooling)
    additive = experiment.augmentation == "additive" and METHODS[method].copies
    trainer = engine.make_trainer(
        model, examples, dev_examples, mlm.tokenizer.pad_token_id or 0, len(p.task.labels), experiment.train, seed,
        str(folder), experiment.mixup if METHODS[method].mixup else None, step_progress, quiet,
        steps=None if additive else p.steps, report_to=report_to)
    trainer.train(resume_from_checkpoint=engine.last_checkpoint(str(folder)))
    return trainer, examples, report, engine.learning_curve(trainer)


TUNING = "tuning.json"  # in the runs folder: every grid point's source-dev accuracy, by its fingerprint


def _tune(p: Plan, mlm, method: str, grid: list[tuple[float, float]], train, dev_examples, label_ids, output: Path,
          quiet: bool, report_to: str, state) -> tuple[Plan, list[dict]]:
    """The method's learning rate and budget (source-set epochs) chosen on the source dev split alone: each grid
    point trained with the experiment's first seed, scored by the best dev accuracy of its curve; the best wins
    (ties: the smaller budget, then the smaller rate). Finished points are read back from TUNING."""
    from dataclasses import replace

    path = output / TUNING
    record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    seed, scored = p.experiment.seeds[0], []
    for learning_rate, epochs in grid:
        candidate = replace(p.experiment, train=replace(p.experiment.train, learning_rate=learning_rate,
                                                        epochs=epochs, steps=None))
        point = replace(p, experiment=candidate, steps=engine.budget_steps(candidate.train, len(train)),
                        tuned_from=len(grid))
        key = fingerprint(candidate, method, seed, ["dev"], miner_for(p, method))
        if key not in record:
            folder = output / ".work" / f"tune-{method}-{key}"
            trainer, _, _, curve = _fit(point, mlm, method, seed, train, dev_examples, label_ids, output / ".work",
                                        folder, quiet, None, report_to, state)
            record[key] = {"method": method, "learning_rate": learning_rate, "epochs": epochs,
                           "steps": point.steps, "seed": seed,
                           "dev_accuracy": max((d["accuracy"] for d in curve["dev"]), default=float("nan"))}
            if state.is_main_process:
                atomic_write(path, lambda tmp, r=dict(record): Path(tmp).write_text(json.dumps(r, indent=1),
                                                                                   encoding="utf-8"))
                shutil.rmtree(folder, ignore_errors=True)
        scored.append((record[key], point))
    best = max(scored, key=lambda item: (item[0]["dev_accuracy"], -item[0]["steps"], -item[0]["learning_rate"]))
    return best[1], [item[0] for item in scored]


DEFAULT_GRID = ((1e-4, 3.0), (2e-4, 3.0), (1e-4, 6.0), (2e-4, 6.0))  # learning rate x source-set epochs


def run_experiment(experiment: Experiment, output: str | Path, *, quiet: bool = False,
                   progress: Callable[[dict], None] | None = None, keep_checkpoints: bool = False,
                   mlm=None, report_to: str = "none", tune: tuple[tuple[float, float], ...] | None = None
                   ) -> pd.DataFrame:
    """Train and evaluate every (method, seed) of `experiment`; write each run to `output` and return all rows.

    `tune`: a grid of (learning rate, source-set epochs) from which each method's setting is chosen on the source
    dev split first (`_tune`; the grid's scores are kept in the runs folder and in each run's details).
    `progress(status)` hears about each stage and step: {"run", "runs_done", "runs_total", "stage", "step", "steps"}.
    """
    from accelerate import PartialState

    from salt_core.models.loading import load_masked_lm

    output = Path(output)
    mlm = mlm or load_masked_lm(experiment.model, device=experiment.train.device)
    base = plan(experiment, mlm)
    state = PartialState(cpu=experiment.train.device == "cpu")
    if state.is_main_process:
        for note in base.notes:
            print(f"note: {note}", file=sys.stderr)
    train = base.task.split(base.source, "train")
    if experiment.max_train_examples:
        train = train.head(experiment.max_train_examples)
    dev = base.task.split(base.source, "dev")
    check_zero_shot(base.task, base.source, train, dev)
    label_ids = {label: i for i, label in enumerate(base.task.labels)}
    dev_examples = engine.encode(mlm.tokenizer, list(dev["text"]), list(dev["text_pair"]) if base.task.is_pair else
                                 None, [label_ids[x] for x in dev["label"]], experiment.train.max_length)[0]
    output.mkdir(parents=True, exist_ok=True)
    work = output / ".work"
    plans, grids = {method: base for method in experiment.methods}, {}
    for method in experiment.methods if tune else ():
        if progress:
            progress({"stage": f"tuning {method} on the source dev split", "runs_done": 0,
                      "runs_total": len(experiment.methods) * len(experiment.seeds)})
        plans[method], grids[method] = _tune(base, mlm, method, list(tune), train, dev_examples, label_ids, output,
                                             quiet, report_to, state)
        chosen = plans[method].experiment.train
        if state.is_main_process:
            print(f"note: {method}: learning rate {chosen.learning_rate:g}, {chosen.epochs:g} source-set epochs "
                  f"({plans[method].steps} steps), chosen on source dev from {len(tune)} grid points", file=sys.stderr)
    done, frames = existing_runs(output), []
    jobs = [(method, seed) for method in experiment.methods for seed in experiment.seeds]
    for index, (method, seed) in enumerate(jobs):
        p = plans[method]
        digest = fingerprint(p.experiment, method, seed, p.languages, miner_for(p, method))
        rid = run_id(p.experiment, p.task.name, method, seed, digest)
        status = {"run": rid, "runs_done": index, "runs_total": len(jobs), "method": method, "seed": seed}
        if digest in done:
            frames.append(read_runs_csv(done[digest]))
            continue
        if progress:
            progress(status | {"stage": "preparing the training set"})
        folder = work / rid
        trainer, examples, report, curve = _fit(
            p, mlm, method, seed, train, dev_examples, label_ids, work, folder, quiet,
            (lambda step, steps, s=status: progress(s | {"stage": "training", "step": step, "steps": steps}))
            if progress else None, report_to, state)
        if curve["may_be_undertrained"] and state.is_main_process:
            print(f"note: {rid} may be undertrained: its best source-dev accuracy was at its last evaluation and "
                  "still rising (see its learning curve)", file=sys.stderr)
        if progress:
            progress(status | {"stage": "evaluating"})
        scores = {}
        for language in p.languages:
            test = p.task.split(language, "test")
            encoded = engine.encode(mlm.tokenizer, list(test["text"]), list(test["text_pair"]) if p.task.is_pair
                                    else None, [label_ids[x] for x in test["label"]], experiment.train.max_length)[0]
            scores[language] = engine.evaluate(trainer, encoded, len(p.task.labels))
        flags = "; ".join(f"{k}: {v}" for k, v in report.items() if k == "mixup pairs too long to mix" and v)
        if curve["may_be_undertrained"]:
            flags = "; ".join(filter(None, [flags, UNDERTRAINED]))
        rows = run_rows(p, mlm, method, seed, rid, scores, flags)
        if state.is_main_process:
            details = {"run": rid, "method": method, "seed": seed, "pooling": p.pooling, "budget_steps": p.steps,
                       "learning_curve": curve, "training_set": report, "tuning": grids.get(method),
                       "served": getattr(examples, "served", None),
                       "predictions": {language: {"predicted": r["predicted"], "gold": r["gold"]}
                                       for language, r in scores.items()}}
            atomic_write(output / f"{rid}{DETAILS}", lambda tmp, d=details: Path(tmp).write_text(
                json.dumps(d), encoding="utf-8"))  # before the CSV: a run is done when its CSV exists
            atomic_write(output / f"{rid}.csv", lambda tmp, r=rows: r.to_csv(tmp, index=False))
            if not keep_checkpoints:
                shutil.rmtree(folder, ignore_errors=True)
        state.wait_for_everyone()
        frames.append(rows)
    if progress:
        progress({"runs_done": len(jobs), "runs_total": len(jobs), "stage": "finished"})
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def read_trained_runs(folder: str | Path) -> pd.DataFrame:
    """Every finished run in a runs folder, validated, with origin TRAINED_HERE (empty when there are none)."""
    from salt_core.runs.schema import canonicalise, validate

    paths = sorted(Path(folder).glob("*.csv")) if Path(folder).is_dir() else []
    frames = []
    for path in paths:
        try:
            frames.append(read_runs_csv(path))
        except (OSError, ValueError, KeyError):
            continue  # not a run file of this project's: the folder may hold other tables
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS, "origin"])
    checked = validate(canonicalise(pd.concat(frames, ignore_index=True))[0])
    return checked.runs.assign(origin=TRAINED_HERE)


def read_learning_curves(folder: str | Path) -> pd.DataFrame:
    """Every finished run's learning curve (its `.details.json`): one row per point, with the run, method, seed,
    `curve` ("training loss" or "source-dev accuracy"), step and value, the chosen checkpoint's step and whether
    the run may be undertrained. Empty when no run kept one."""
    rows = []
    for path in sorted(Path(folder).glob(f"*{DETAILS}")) if Path(folder).is_dir() else []:
        try:
            details = json.loads(path.read_text(encoding="utf-8"))
            curve = details["learning_curve"]
            base = {"run": details["run"], "method": details["method"], "seed": details["seed"],
                    "chosen_step": curve.get("chosen_step"), "may_be_undertrained": curve.get("may_be_undertrained")}
            rows += [base | {"curve": "training loss", "step": p["step"], "value": p["loss"]} for p in curve["loss"]]
            rows += [base | {"curve": "source-dev accuracy", "step": p["step"], "value": p["accuracy"]}
                     for p in curve["dev"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a details file of this project's
    return pd.DataFrame(rows, columns=["run", "method", "seed", "chosen_step", "may_be_undertrained", "curve", "step",
                                       "value"])


def read_predictions(folder: str | Path) -> pd.DataFrame:
    """Each test sentence's outcome of every finished run that kept its predictions: method (as the runs name it),
    seed, language, sentence (its position in the language's test split) and correct (0/1)."""
    from salt_core.runs.identity import language_code

    frames = []
    for path in sorted(Path(folder).glob(f"*{DETAILS}")) if Path(folder).is_dir() else []:
        try:
            details = json.loads(path.read_text(encoding="utf-8"))
            method = METHODS[details["method"]].run_method
            for language, outcome in details["predictions"].items():
                correct = [int(a == b) for a, b in zip(outcome["predicted"], outcome["gold"])]
                frames.append(pd.DataFrame({"method": method, "seed": details["seed"],
                                            "language": language_code(language) or language,
                                            "sentence": range(len(correct)), "correct": correct}))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["method", "seed", "language", "sentence", "correct"])
