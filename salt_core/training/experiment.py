"""An experiment end to end, each stage once: settings (config) -> plan (plan) -> task data (data) -> each method's
setting chosen on source dev when asked (tuning, here) -> per run: augmentation (augment) -> fit (engine) ->
evaluation (evaluate) -> record (record). Resumable: an interrupted run continues from its last checkpoint when
the same command is given again, and finished runs are not trained twice (matched by their settings' fingerprint,
never by name alone).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from salt_core.files import atomic_write
from salt_core.runs.schema import COLUMNS, read_runs_csv
from salt_core.training import augment, engine, evaluate, record
from salt_core.training.config import METHODS, Experiment
from salt_core.training.data import check_zero_shot
from salt_core.training.plan import Plan, fingerprint, miner_for, plan, run_id


def augmented_into(p, method: str) -> list[str]:
    """The languages a method's training examples are code-switched or mixed into (`augment.switched_into`)."""
    return augment.switched_into(p, method)


def _fit(p: Plan, mlm, method: str, seed: int, train: pd.DataFrame, dev_examples, label_ids: dict, work: Path,
         folder: Path, quiet: bool, step_progress, report_to: str, state):
    """Train one (method, seed) under `p`'s experiment and budget; returns (trainer, served examples, report,
    learning curve, the step it resumed from or None). Resumes from the folder's last whole checkpoint."""
    experiment = p.experiment
    with state.main_process_first():  # mining is cached: one process mines, the others read
        examples, report = augment.training_set(p, mlm, method, seed, train, work, label_ids)
    model = engine.classifier(mlm, p.task.labels, experiment.train.freeze_embeddings, seed, p.pooling)
    additive = experiment.augmentation == "additive" and METHODS[method].copies
    trainer = engine.make_trainer(
        model, examples, dev_examples, mlm.tokenizer.pad_token_id or 0, len(p.task.labels), experiment.train, seed,
        str(folder), experiment.mixup if METHODS[method].mixup else None, step_progress, quiet,
        steps=None if additive else p.steps, report_to=report_to)
    checkpoint = engine.last_checkpoint(str(folder))
    trainer.train(resume_from_checkpoint=checkpoint)
    resumed = int(checkpoint.rsplit("-", 1)[1]) if checkpoint else None
    return trainer, examples, report, engine.learning_curve(trainer), resumed


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
                        tuned_grid=tuple(grid))
        key = fingerprint(candidate, method, seed, ["dev"], miner_for(p, method), augmented_into(p, method))
        if key not in record:
            folder = output / ".work" / f"tune-{method}-{key}"
            started = time.perf_counter()
            trainer, _, _, curve, _ = _fit(point, mlm, method, seed, train, dev_examples, label_ids, output / ".work",
                                        folder, quiet, None, report_to, state)
            record[key] = {"method": method, "learning_rate": learning_rate, "epochs": epochs,
                           "steps": point.steps, "seed": seed,
                           "dev_accuracy": max((d["accuracy"] for d in curve["dev"]), default=float("nan")),
                           "wall_seconds": round(time.perf_counter() - started, 1)}
            if state.is_main_process:
                atomic_write(path, lambda tmp, r=dict(record): Path(tmp).write_text(json.dumps(r, indent=1),
                                                                                   encoding="utf-8"))
                shutil.rmtree(folder, ignore_errors=True)
        scored.append((record[key], point))
    best = max(scored, key=lambda item: (item[0]["dev_accuracy"], -item[0]["steps"], -item[0]["learning_rate"]))
    return best[1], [item[0] for item in scored]


# learning rate x source-set epochs. One budget, so every method trains the same steps (compute matched) and only
# the learning rate is chosen per method; the checkpoint is still chosen on source dev within the budget, which is
# why a longer budget at a constant rate already contains a shorter one.
DEFAULT_GRID = ((1e-4, 6.0), (2e-4, 6.0))


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
            if tune and "optimisation steps for every method" in note:  # the default budget; tuning sets it
                budgets = sorted({epochs for _, epochs in tune})
                note = (f"{base.pooling} pooling; budget {', '.join(f'{e:g}' for e in budgets)} source-set "
                        f"epoch(s) from the tuning grid" + (", the same for every method" if len(budgets) == 1
                                                            else ", chosen per method: not compute-matched"))
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
    done, frames = record.existing_runs(output), []
    # seed-major: an interrupted experiment holds every method of its first seeds, pairs a comparison can use
    jobs = [(method, seed) for seed in experiment.seeds for method in experiment.methods]
    for index, (method, seed) in enumerate(jobs):
        p = plans[method]
        digest = fingerprint(p.experiment, method, seed, p.languages, miner_for(p, method), augmented_into(p, method))
        rid = run_id(p.experiment, p.task.name, method, seed, digest)
        status = {"run": rid, "runs_done": index, "runs_total": len(jobs), "method": method, "seed": seed}
        if digest in done:
            frames.append(read_runs_csv(done[digest]))
            continue
        if progress:
            progress(status | {"stage": "preparing the training set"})
        folder = work / rid
        started = time.perf_counter()  # this process's share: a run resumed from a checkpoint counts from there
        trainer, examples, report, curve, resumed = _fit(
            p, mlm, method, seed, train, dev_examples, label_ids, work, folder, quiet,
            (lambda step, steps, s=status: progress(s | {"stage": "training", "step": step, "steps": steps}))
            if progress else None, report_to, state)
        if curve["may_be_undertrained"] and state.is_main_process:
            print(f"note: {rid} may be undertrained: its best source-dev accuracy was at its last evaluation and "
                  "still rising (see its learning curve)", file=sys.stderr)
        if progress:
            progress(status | {"stage": "evaluating"})
        scores = evaluate.score_languages(trainer, p, mlm, label_ids)
        flags = "; ".join(f"{k}: {v}" for k, v in report.items() if k == "mixup pairs too long to mix" and v)
        if curve["may_be_undertrained"]:
            flags = "; ".join(filter(None, [flags, record.UNDERTRAINED]))
        rows = record.run_rows(p, mlm, method, seed, rid, scores, flags)
        if state.is_main_process:
            details = {"run": rid, "method": method, "seed": seed, "pooling": p.pooling, "budget_steps": p.steps,
                       "learning_curve": curve, "training_set": report, "tuning": grids.get(method),
                       "served": getattr(examples, "served", None),
                       "wall_seconds": round(time.perf_counter() - started, 1), "resumed_from_step": resumed,
                       "device": engine.device_name(p.experiment.train.device),
                       "predictions": {language: {"predicted": r["predicted"], "gold": r["gold"]}
                                       for language, r in scores.items()}}
            record.write_run(output, rid, rows, details)
            if not keep_checkpoints:
                shutil.rmtree(folder, ignore_errors=True)
        state.wait_for_everyone()
        frames.append(rows)
    if progress:
        progress({"runs_done": len(jobs), "runs_total": len(jobs), "stage": "finished"})
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
