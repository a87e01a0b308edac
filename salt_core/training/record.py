"""The record: each finished run written to the runs folder in the project's schema (one row per model, method,
seed, language, metric; atomically, so the folder only ever holds finished runs), its details beside it (learning
curve, each test sentence's prediction, pooling, budget, tuning grid), and the readers the pages and the CLI use.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from salt_core.files import atomic_write
from salt_core.runs.schema import COLUMNS, read_runs_csv
from salt_core.training.augment import switched_into
from salt_core.training.config import METHODS
from salt_core.training.plan import Plan

TRAINED_HERE = "your runs (trained here)"  # the Scaling page's origin for runs from this folder
DETAILS = ".details.json"  # beside each run's CSV: learning curve, per-example predictions, pooling, budget
UNDERTRAINED = "may be undertrained: best source-dev accuracy at the last evaluation, still rising"


def protocol(p: Plan, method: str) -> str:
    """How the run was made, in words: everything but the seed (runs differing only by seed are one setting)."""
    cfg, cs = p.experiment.train, p.experiment.codeswitch
    chosen = METHODS[method]
    additive = p.experiment.augmentation == "additive" and chosen.copies
    budgets = {epochs for _, epochs in p.tuned_grid}
    matched = "chosen per method on source dev: not compute-matched" if len(budgets) > 1 else "the same for every method"
    budget = (f"{cfg.epochs:g} epochs over the originals and copies (additive: not compute-matched)" if additive else
              f"{p.steps} optimisation steps (" + (f"{cfg.steps} given" if cfg.steps else
                                                   f"{cfg.epochs:g} source-set epochs") + f"), {matched}")
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
        parts.append(f"code-switched into {','.join(switched_into(p, method))} from {source}, threshold "
                     f"{cs.translation_threshold:g}, ratio {cs.ratio:g}" + (f", {served}" if chosen.copies else ""))
    if chosen.mixup:
        mx = p.experiment.mixup
        parts.append(f"mixup r per {mx.granularity}, {mx.distribution}"
                     + (", partners random words of the substitute's language (control)"
                        if chosen.partner == "random" else ""))
    if p.tuned_grid:
        rates = ", ".join(f"{rate:g}" for rate in sorted({rate for rate, _ in p.tuned_grid}))
        parts.append(f"learning rate chosen on source dev from {rates}" if len(budgets) == 1 else
                     f"learning rate and budget chosen on source dev from a grid of {len(p.tuned_grid)}")
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


def write_run(output: Path, rid: str, rows: pd.DataFrame, details: dict) -> None:
    """The run's details, then its rows: a run is done when its CSV exists."""
    atomic_write(output / f"{rid}{DETAILS}", lambda tmp: Path(tmp).write_text(json.dumps(details), encoding="utf-8"))
    atomic_write(output / f"{rid}.csv", lambda tmp: rows.to_csv(tmp, index=False))


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
