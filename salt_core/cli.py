"""Command line: python -m salt_core {mine, codeswitch, train, runs, languages} --help.

Every failure the user can fix ends with a one-line message on stderr and exit status 2; an interrupted
`mine` exits 130 and continues where it stopped when re-run with the same options.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

from salt_core.errors import SaltError


def _languages(value: str) -> list[str]:
    return [code.strip() for code in value.split(",") if code.strip()]


def _import_source(value: str):
    """A path, or an MLflow tracking URI kept as text (Path would fold sqlite:/// into sqlite:/)."""
    from salt_core.runs.mlflow_store import URI

    return value if URI.match(value) else Path(value)


def _probability(value: str) -> float | None:
    return None if value.lower() == "none" else _unit(value)


def _unit(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from exc
    if not 0.0 <= number <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return number


def _bounded(low, high, kind=int):
    """An argparse type: a number of `kind` within [low, high], with a one-line message otherwise."""
    def parse(value: str):
        try:
            number = kind(value)
        except ValueError as exc:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{value[:40]!r} is not {what}") from exc
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}" if kind is int else
                                             f"must be between {low:g} and {high:g}")
        return number
    return parse


def _device(value: str) -> str:
    if not re.fullmatch(r"cpu|cuda(:\d{1,2})?|mps", value):
        raise argparse.ArgumentTypeError("use cpu, cuda, cuda:N or mps")
    return value


def _model_name(value: str) -> str:
    if len(value) > 1000:
        raise argparse.ArgumentTypeError(f"a model name or path of {len(value):,} characters is not one")
    return value


def build_parser() -> argparse.ArgumentParser:
    from salt_core.languages import DEFAULT_STRICTNESS
    from salt_core.substitutions.codeswitching import SIMILARITY_THRESHOLD, CodeSwitchSettings
    from salt_core.substitutions.mining import DEFAULT_TOP_K
    from salt_core.text import Eligibility

    cs_defaults, eligible = CodeSwitchSettings(), Eligibility()
    parser = argparse.ArgumentParser(prog="python -m salt_core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    mine = commands.add_parser(
        "mine", help="mine translation and synonym candidates for a corpus",
        description="Mask each eligible word of each sentence and record the masked LM's predictions "
                    "restricted to each target language (and to the source language, for synonyms). "
                    "Resumable: re-run the same command after an interruption to continue.")
    mine.add_argument("--model", default=None, type=_model_name,
                      help="Hugging Face id, local folder, 'demo' (random weights) or 'e5-small-offline' (real weights, no "
                           "masked-LM head). Default: $SALT_MODEL "
                           "or bert-base-multilingual-cased")
    mine.add_argument("--source", default="en", help="source language code (default: en)")
    mine.add_argument("--targets", type=_languages, required=True, help="target languages: FLORES-200 or ISO codes or names, e.g. de,fr or yor_Latn,quy_Latn")
    mine.add_argument("--input", required=True,
                      help="corpus: .txt (one sentence per line), .csv/.tsv, .jsonl or .parquet with a text column; "
                           "or a folder or glob ('shards/*.jsonl') of such files, read in sorted order")
    mine.add_argument("--text-column", default=None, help="column holding the sentences (csv/jsonl)")
    mine.add_argument("--output", type=Path, required=True,
                      help="where to write the table: .parquet or .csv (a folder with --as-dataset)")
    mine.add_argument("--as-dataset", action="store_true",
                      help="keep the result as a folder of Parquet shards (with _manifest.json) instead of one file")
    mine.add_argument("--engine", choices=["local", "ray"], default="local",
                      help="local: this process (default); ray: Ray Data over an actor pool, one model per worker "
                           "(pip install -r requirements-cluster.txt)")
    mine.add_argument("--address", default=None,
                      help="with --engine ray: empty starts a local Ray cluster on this machine; 'auto' or host:port "
                           "joins a running one; ray://host:port joins through Ray Client")
    mine.add_argument("--workers", type=_bounded(1, 100_000), default=None,
                      help="with --engine ray: actors, each with its own model (default: the cluster's CPUs / "
                           "--threads, or its GPUs / --gpus-per-worker)")
    mine.add_argument("--gpus-per-worker", type=_bounded(0, 64, float), default=0,
                      help="with --engine ray: GPUs per actor, fractions allowed (default: 0, CPU)")
    mine.add_argument("--miner", choices=["mlm", "similarity"], default=None,
                      help="mlm: SALT's restricted masked-LM prediction; similarity: embedding similarity to the "
                           "target vocabulary (a baseline, not SALT's method; works without a masked-LM head). "
                           "Default: mlm, or similarity for a model without a masked-LM head")
    mine.add_argument("--strictness", choices=["shared", "exclusive"], default=DEFAULT_STRICTNESS,
                      help="target vocabulary: 'shared' keeps entries that are also words of another language "
                           f"(German 'Ray'), 'exclusive' drops them (default: {DEFAULT_STRICTNESS})")
    mine.add_argument("--top-k", type=_bounded(1, 1000), default=DEFAULT_TOP_K,
                      help=f"candidates kept per word and language (default: {DEFAULT_TOP_K})")
    synonyms = mine.add_mutually_exclusive_group()
    synonyms.add_argument("--synonyms", dest="synonyms", action="store_true", default=None,
                          help="mine source-language synonyms (default: yes for the masked-LM miner, no for the "
                               "similarity miner, whose synonyms were measured against WordNet and are mostly wrong)")
    synonyms.add_argument("--no-synonyms", dest="synonyms", action="store_false",
                          help="do not mine source-language synonyms")
    mine.add_argument("--min-word-chars", type=_bounded(1, 100), default=eligible.min_chars,
                      help=f"skip shorter words in spaced scripts (default: {eligible.min_chars}; project assumption)")
    mine.add_argument("--skip-stopwords", action="store_true",
                      help="skip the source language's 100 most frequent words")
    mine.add_argument("--batch-size", type=_bounded(1, 100_000), default=64, help="masked words per forward pass (default: 64)")
    mine.add_argument("--device", default="cpu", type=_device, help="cpu or cuda (default: cpu)")
    mine.add_argument("--threads", type=_bounded(1, 1024), default=None,
                      help="torch CPU threads (default: torch's choice; with --engine ray: 1 per worker)")
    mine.add_argument("--chunk-size", type=_bounded(1, 1_000_000), default=256,
                      help="lines per shard, the unit of checkpoints and of work for Ray; smaller loses less on "
                           "interruption (default: 256)")
    mine.add_argument("--restart", action="store_true", help="discard an interrupted run and start over")
    mine.add_argument("--quiet", action="store_true", help="no progress bar")

    cs = commands.add_parser(
        "codeswitch", help="code-switch the mined corpus with thresholds, a ratio and a seed",
        description="Filter a mined table by thresholds and replace a share of the words that have a kept "
                    "candidate. Runs no model. Output: JSON lines with the replacements and their spans.")
    cs.add_argument("--mined", type=Path, required=True, help="table written by `mine` (.parquet or .csv)")
    cs.add_argument("--threshold", type=_probability, default=None,
                    help="keep translations whose score is >= this (default: "
                         f"{cs_defaults.translation_threshold} for the masked-LM miner's tables, {SIMILARITY_THRESHOLD} "
                         "for the similarity miner's calibrated confidence; project assumptions)")
    cs.add_argument("--synonym-threshold", type=_probability, default=argparse.SUPPRESS,
                    help="keep synonyms whose score is >= this, or 'none' for no synonyms "
                         f"(default: {cs_defaults.synonym_threshold} for the masked-LM miner, {SIMILARITY_THRESHOLD} "
                         "for the similarity miner)")
    cs.add_argument("--score", choices=["p_restricted", "p_full"], default=cs_defaults.score,
                    help=f"which probability the thresholds read (default: {cs_defaults.score})")
    cs.add_argument("--ratio", type=_unit, default=cs_defaults.ratio,
                    help=f"share of words with a kept candidate to replace (default: {cs_defaults.ratio}; "
                         "project assumption)")
    cs.add_argument("--languages", type=_languages, default=None, help="target languages to use (default: all)")
    cs.add_argument("--seed", type=_bounded(0, 2**63 - 1), default=cs_defaults.seed,
                    help=f"random seed; same seed, same output (default: {cs_defaults.seed})")
    cs.add_argument("--output", type=Path, required=True, help="code-switched corpus, .jsonl")
    cs.add_argument("--engine", choices=["local", "ray"], default="local",
                    help="ray: read the mined table (a .parquet file or a dataset folder) with Ray Data and "
                         "code-switch sentences in parallel; same output as local")
    cs.add_argument("--address", default=None, help="with --engine ray: as for mine")

    add_train_parser(commands)

    runs = commands.add_parser("runs", help="saved runs: import other formats into the project's schema")
    runs_commands = runs.add_subparsers(dest="runs_command", required=True)
    imp = runs_commands.add_parser(
        "import", help="convert a file or folder of results into the project's runs format",
        description="Detects the format: the project's .csv/.jsonl/.parquet, lm-evaluation-harness result JSON "
                    "(old and new layouts), a Hugging Face Trainer output folder or results JSON, or an MLflow "
                    "store: a SQLite file (mlflow.db), a file store (mlruns), a zip of either, or a tracking URI, "
                    "read by mlflow itself when installed. Deleted runs are never imported. Bad rows are reported "
                    "with their reason; good rows are written.")
    imp.add_argument("path", type=_import_source, help="file or folder to import, or an MLflow tracking URI "
                                                       "(sqlite:///mlflow.db, http://host:5000)")
    imp.add_argument("--output", type=Path, required=True, help="runs file to write (.csv or .parquet)")
    imp.add_argument("--format", choices=["table", "lm-eval", "trainer", "mlflow"], default=None,
                     help="override the detected format")
    imp.add_argument("--model", default=None, help="model name or hub id, where the file lacks it")
    imp.add_argument("--language", default=None, help="language (ISO code, BCP-47 tag or English name), where the "
                                                      "file lacks it")
    imp.add_argument("--task", default=None, help="task name (e.g. XNLI), where the file lacks it")
    imp.add_argument("--method", default=None, help="method, e.g. 'zero-shot transfer (fine-tuned on English)', "
                                                    "'translate-train', 'SALT'; where the file lacks it")
    imp.add_argument("--params", type=_bounded(1, 10**15), default=None, help="parameter count, where the file lacks it")
    imp.add_argument("--corpus", default=None, help="pretraining corpus (e.g. CC-100), where the file lacks it")
    imp.add_argument("--replace", action="store_true",
                     help="let the options above replace values the file has (each replacement is reported)")
    compare = runs_commands.add_parser(
        "compare", help="a method against its baseline, paired by seed",
        description="Per model and task: per seed, the mean over the target languages of method minus baseline; "
                    "its 95% paired t interval and an exact sign-flip test over seeds; the source language and the "
                    "transfer gap apart; per language, the seed-paired delta with Holm's correction. Languages are "
                    "never counted as independent evidence (salt_core.runs.comparison).")
    compare.add_argument("path", type=Path, help="a runs file or a folder of runs (e.g. train's --output)")
    compare.add_argument("--method", required=True, help="e.g. SALT")
    compare.add_argument("--baseline", default=None,
                         help="default: zero-shot transfer (fine-tuned on English)")
    compare.add_argument("--metric", default="accuracy")
    compare.add_argument("--source", default="en", help="the language trained on, reported apart (default: en)")
    compare.add_argument("--augmented", type=_languages, default=[],
                         help="comma-separated augmented languages, reported apart from the others")
    build = runs_commands.add_parser("build-reference", help="rebuild salt_core/data/reference_runs.csv")
    build.add_argument("--shared", type=Path, default=Path("../shared/reference"),
                       help="folder with the curated public figures (default: ../shared/reference)")

    langs = commands.add_parser("languages", help="how many tokens each language holds in a model's tokenizer")
    langs.add_argument("--model", default=None, type=_model_name, help="as for mine")
    langs.add_argument("--languages", default="",
                       help="FLORES-200 or ISO codes or names, or 'all' for SIB-200's 205 (default: the 23 described "
                            "by hand); the first use of a language decides its vocabulary (seconds to a minute)")
    return parser


def _numbers(kind):
    def parse(value: str) -> list:
        try:
            return [kind(v) for v in value.split(",") if v.strip()]
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{value[:40]!r} is not a comma-separated list of numbers") from exc
    return parse


def _grid(value: str) -> list[tuple[float, float]]:
    """'1e-4:3,2e-4:6' -> [(0.0001, 3.0), (0.0002, 6.0)]: learning rate and source-set epochs per grid point."""
    points = []
    for part in [p for p in value.split(",") if p.strip()][:50]:
        try:
            rate, epochs = (float(x) for x in part.split(":"))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{part[:40]!r} is not learning-rate:epochs (e.g. 1e-4:3)") from exc
        if not (0 < rate < 1 and 0 < epochs <= 100):
            raise argparse.ArgumentTypeError(f"{part[:40]!r}: the rate must be in (0, 1), epochs in (0, 100]")
        points.append((rate, epochs))
    if not points:
        raise argparse.ArgumentTypeError("give at least one learning-rate:epochs point")
    return points


def add_train_parser(commands) -> None:
    from salt_core.training.config import METHODS, TrainConfig

    cfg = TrainConfig()
    train = commands.add_parser(
        "train", help="fine-tune with SALT's augmentations and evaluate zero-shot per language",
        description="Train every method x seed on the source language (model selection on its dev split only), "
                    "evaluate on each language's test split, and write one runs file per run (the Scaling page "
                    "reads them). Resumable: the same command continues an interrupted run from its last checkpoint "
                    "and skips finished ones. Several GPUs or machines: torchrun --nproc_per_node N -m salt_core "
                    "train ... (or accelerate launch).")
    train.add_argument("--model", default=None, type=_model_name, help="as for mine: hub id, folder, 'demo', "
                                                                       "'e5-small-offline'")
    train.add_argument("--data", required=True, help="a folder in SIB-200's layout (<flores code>/{train,dev,test}.tsv), "
                                                     "a table (.csv/.tsv/.jsonl: text, label, language, split), or a hub "
                                                     "dataset (Davlan/sib200, xnli, paws-x)")
    train.add_argument("--methods", type=_languages, default=["baseline", "salt"],
                       help=f"comma-separated, from {', '.join(METHODS)} (default: baseline,salt)")
    train.add_argument("--languages", type=_languages, default=[],
                       help="languages to evaluate, FLORES or ISO codes (default: all in the data)")
    train.add_argument("--source", default="en", help="the only language trained and selected on (default: en)")
    train.add_argument("--seeds", type=_numbers(int), default=[1, 2, 3], help="comma-separated (default: 1,2,3)")
    train.add_argument("--epochs", type=_bounded(0.01, 100, float), default=cfg.epochs,
                       help=f"default: {cfg.epochs:g}")
    train.add_argument("--learning-rate", type=_bounded(1e-8, 0.5, float), default=cfg.learning_rate,
                       help=f"default: {cfg.learning_rate:g}")
    train.add_argument("--batch-size", type=_bounded(1, 4096), default=cfg.batch_size,
                       help=f"global batch, split over processes (default: {cfg.batch_size})")
    train.add_argument("--max-length", type=_bounded(8, 8192), default=cfg.max_length,
                       help=f"pieces per example (default: {cfg.max_length})")
    train.add_argument("--warmup", type=_unit, default=cfg.warmup, help=f"share of steps (default: {cfg.warmup:g})")
    train.add_argument("--weight-decay", type=_unit, default=cfg.weight_decay, help=f"default: {cfg.weight_decay:g}")
    train.add_argument("--train-embeddings", action="store_true",
                       help="also train the word-embedding table (default: frozen; see docs/salt.md)")
    train.add_argument("--device", default="cpu", type=_device, help="cpu or cuda (default: cpu)")
    train.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"], default="auto",
                       help="auto: bf16 (or fp16) on CUDA, fp32 on CPU")
    train.add_argument("--miner", choices=["auto", "mlm", "similarity"], default="auto",
                       help="where SALT's substitutes come from: mlm (SALT's), similarity (a baseline); auto: mlm "
                            "when the model has a masked-LM head")
    train.add_argument("--augment-languages", type=_languages, default=[],
                       help="languages to code-switch into: any FLORES-200 language (yor_Latn, yo, Yoruba) whose "
                            "vocabulary the rules can decide (default: up to --max-augment-languages of the "
                            "evaluated ones, in turn from each CC-100 resource level)")
    train.add_argument("--max-augment-languages", type=_bounded(1, 205), default=8,
                       help="how many evaluated languages to code-switch into by default (8; each costs a pass of "
                            "the miner over the training set, once per experiment: 22-61 s per language with the "
                            "similarity miner on SIB-200's 701 English sentences on 2 CPU cores, "
                            "benchmarks/bench_language_vocabularies.py)")
    train.add_argument("--dictionary", default=None,
                       help="for dictionary-codeswitch: a CSV/TSV or CC-CEDICT file, or 'installed'")
    train.add_argument("--threshold", type=_unit, default=None, help="translation threshold (default: as codeswitch)")
    train.add_argument("--ratio", type=_unit, default=None, help="share of words replaced (default: as codeswitch)")
    train.add_argument("--steps", type=_bounded(1, 10_000_000), default=None,
                       help="the budget in optimisation steps, the same for every method (default: --epochs passes "
                            "over the source training set)")
    train.add_argument("--schedule", choices=["constant", "linear"], default=cfg.schedule,
                       help=f"learning-rate schedule (default: {cfg.schedule})")
    train.add_argument("--pooling", choices=["auto", "mean", "cls"], default=cfg.pooling,
                       help="mean of the last hidden states, or the first token through the checkpoint's own "
                            "pretrained pooler; auto: cls where the checkpoint has a pooler, else mean")
    train.add_argument("--augmentation", choices=["replace", "additive"], default="replace",
                       help="replace (default): compute matched, code-switched versions served with "
                            "--switch-probability and re-drawn each epoch; additive: the earlier scheme, one fixed "
                            "copy per example added (more steps; for ablations)")
    train.add_argument("--switch-probability", type=_unit, default=0.5,
                       help="replace: the chance an example is served code-switched (default: 0.5)")
    train.add_argument("--tune", action="store_true",
                       help="choose each method's learning rate on the source dev split first, from --tune-grid "
                            "(the grid's scores are kept with the runs; a grid of several budgets chooses the budget "
                            "too, and its runs say they are not compute-matched)")
    train.add_argument("--tune-grid", type=_grid, default=None,
                       help="learning rate:epochs pairs, comma-separated (default: 1e-4:6,2e-4:6)")
    train.add_argument("--report-to", choices=["none", "mlflow", "tensorboard", "wandb"], default="none",
                       help="also log training to this tracker through the Trainer (its package must be installed)")
    train.add_argument("--max-train-examples", type=_bounded(1, 10_000_000), default=None,
                       help="train on the first N source examples (a quick run)")
    train.add_argument("--output", type=Path, default=None, help="runs folder (default: $SALT_HOME/runs)")
    train.add_argument("--status-file", type=Path, default=None, help=argparse.SUPPRESS)  # the Experiments page's
    train.add_argument("--job-folder", type=Path, default=None, help=argparse.SUPPRESS)  # ... background job
    train.add_argument("--keep-checkpoints", action="store_true", help="keep each run's checkpoints after it ends")
    train.add_argument("--threads", type=_bounded(1, 1024), default=None, help="torch CPU threads")
    train.add_argument("--quiet", action="store_true", help="no progress bar")


def _progress_bar(quiet: bool):
    if quiet:
        return None, None
    from tqdm import tqdm

    bar = tqdm(unit="sentence", file=sys.stderr)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return bar, update


def run_mine(args) -> int:
    from salt_core.files import output_lock
    from salt_core.models.loading import load_masked_lm
    from salt_core.substitutions.codeswitching import SIMILARITY_SYNONYMS_OFF, default_synonyms
    from salt_core.substitutions.corpus import Corpus, corpus_inputs, read_inputs
    from salt_core.substitutions.jobs import (
        check_output,
        check_settings,
        fingerprint,
        mine_corpus,
        open_parts,
        parts_folder,
        skipped_rows,
        skipped_summary,
        write_skipped,
    )
    from salt_core.text import Eligibility

    check_output(args.output, args.as_dataset)
    if args.engine == "ray":
        from salt_core.substitutions.cluster import check_address, require_ray

        require_ray()  # before any model is loaded or file written
        check_address(args.address)
        if args.device != "cpu" and not args.gpus_per_worker:
            raise SaltError(f"--device {args.device} with --engine ray: give the workers GPUs with --gpus-per-worker "
                            "(they then run on cuda).")
    elif args.address or args.workers or args.gpus_per_worker:
        raise SaltError("--address, --workers and --gpus-per-worker go with --engine ray.")
    inputs = corpus_inputs(args.input)
    for source in inputs:
        if Path(source.path) == args.output.resolve():
            raise SaltError(f"{args.output} is the input corpus: choose another output file, nothing was written.")
    # with Ray the workers load the model; this process only checks it and the languages (on the CPU)
    mlm = load_masked_lm(args.model, device="cpu" if args.engine == "ray" else args.device, threads=args.threads)
    miner = args.miner or ("mlm" if mlm.has_mlm_head else "similarity")
    if miner == "mlm" and not mlm.has_mlm_head:  # refuse before anything is written (no .parts folder to clean up)
        from salt_core.substitutions.mining import NO_HEAD

        raise SaltError(NO_HEAD.format(name=mlm.name) + " Use --miner similarity (a baseline, not SALT's method).")
    if args.miner is None and miner == "similarity":
        print(f"note: {mlm.label} has no masked-LM head, so candidates come from embedding similarity "
              "(a baseline, not SALT's method)", file=sys.stderr)
    if mlm.is_demo:
        print("warning: the demo model has random weights; its predictions are meaningless", file=sys.stderr)
    synonyms = default_synonyms(miner) if args.synonyms is None else args.synonyms
    if args.synonyms is None and not synonyms:
        print("note: no source-language synonyms (--synonyms to mine them). " + SIMILARITY_SYNONYMS_OFF,
              file=sys.stderr)
    settings = dict(miner=miner, strictness=args.strictness, source=args.source, targets=args.targets,
                    top_k=args.top_k, synonyms=synonyms,
                    eligibility=Eligibility(min_chars=args.min_word_chars, skip_stopwords=args.skip_stopwords),
                    batch_size=args.batch_size)
    check_settings(mlm, settings)
    bar, update = _progress_bar(args.quiet)
    locked = (args.output if not args.as_dataset else args.output.with_name(args.output.name + ".dataset"))
    try:
        with output_lock(locked, tuple(Path(source.path) for source in inputs)):
            if args.engine == "ray":
                from salt_core.substitutions.cluster import mine_on_ray

                fresh = not parts_folder(args.output).exists()
                parts = open_parts(args.output, fingerprint(inputs, args.text_column, mlm.name, settings),
                                   args.restart)
                model, mlm = mlm.name, None  # freed before the workers load their copies
                try:
                    mined, problems = mine_on_ray(
                        model=model, device=args.device, inputs=inputs, text_column=args.text_column, parts=parts,
                        output=args.output, settings=settings, chunk_size=args.chunk_size, address=args.address,
                        workers=args.workers, gpus_per_worker=args.gpus_per_worker, threads=args.threads,
                        as_dataset=args.as_dataset, progress=update)
                except BaseException:
                    if fresh and parts.exists() and not any(parts.glob("part-*.json")):
                        shutil.rmtree(parts, ignore_errors=True)  # this run made it and finished nothing
                    raise
                where = Corpus(files=[(source.name, source.offset) for source in inputs])
            else:
                where = read_inputs(inputs, args.text_column)
                problems = where.problems
                mined = mine_corpus(mlm, where, args.output, settings=settings, chunk_size=args.chunk_size,
                                    restart=args.restart, progress=update, inputs=inputs,
                                    text_column=args.text_column, as_dataset=args.as_dataset)
            skipped = skipped_rows(where, problems, mined.skipped)
            sidecar = write_skipped(args.output, skipped)
    finally:
        if bar is not None:
            bar.close()
    for line in skipped_summary(skipped, sidecar):
        print(f"warning: {line}", file=sys.stderr)
    for warning in mined.warnings[:20]:
        print(f"warning: {warning}", file=sys.stderr)
    if len(mined.warnings) > 20:
        print(f"warning: … and {len(mined.warnings) - 20:,} more warnings of this kind", file=sys.stderr)
    what = "as a dataset folder " if args.as_dataset else ""
    print(f"wrote {mined.rows:,} rows for {mined.sentences:,} sentences {what}to {args.output}")
    return 0


def run_codeswitch(args) -> int:
    from salt_core.files import read_table
    from salt_core.substitutions.codeswitching import clean_mined, codeswitch, default_thresholds

    if args.output.suffix.lower() != ".jsonl":
        raise SaltError(f"{args.output}: the code-switched corpus is written as .jsonl.")
    if args.engine == "ray":
        return _codeswitch_on_ray(args)
    mined, problems = clean_mined(read_table(args.mined))
    translation, synonym = default_thresholds(_miner_of(set(mined["miner"]) if "miner" in mined.columns else set()))
    settings = _codeswitch_settings(args, translation, synonym)
    for problem in problems:
        print(f"warning: {args.mined}: {problem}", file=sys.stderr)
    results = codeswitch(mined, settings)
    lines = [json.dumps(r.to_dict(), ensure_ascii=False, default=str) for r in results]
    replaced = sum(len(r.replacements) for r in results)
    return _write_codeswitched(args, lines, replaced)


def _miner_of(miners: set) -> str:
    """The miner whose default thresholds fit a table with these `miner` values: similarity only when every row
    is the similarity miner's."""
    return "similarity" if miners == {"similarity"} else "mlm"


def _codeswitch_settings(args, translation: float, synonym: float | None):
    from salt_core.substitutions.codeswitching import CodeSwitchSettings

    translation = args.threshold if args.threshold is not None else translation
    synonym = args.synonym_threshold if hasattr(args, "synonym_threshold") else synonym
    settings = CodeSwitchSettings(translation_threshold=translation, synonym_threshold=synonym,
                                  score=args.score, ratio=args.ratio,
                                  languages=tuple(args.languages) if args.languages else None, seed=args.seed)
    settings.validate()
    return settings


def _write_codeswitched(args, lines: list[str], replaced: int) -> int:
    from salt_core.files import atomic_write, output_lock

    text = "".join(line + "\n" for line in lines)
    with output_lock(args.output, (args.mined,)):
        atomic_write(args.output, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    print(f"wrote {len(lines):,} sentences ({replaced:,} replacements) to {args.output}")
    return 0


def _codeswitch_on_ray(args) -> int:
    import pyarrow.parquet as pq

    from salt_core.substitutions.cluster import codeswitch_on_ray, require_ray
    from salt_core.substitutions.codeswitching import check_columns, default_thresholds

    require_ray()
    path = args.mined
    if not path.exists():
        raise SaltError(f"{path} does not exist.")
    if path.is_file() and path.suffix.lower() != ".parquet":
        raise SaltError(f"{path}: --engine ray reads a mined .parquet file or a dataset folder (mine --as-dataset); "
                        "use --engine local for a CSV table.")
    try:
        dataset = pq.ParquetDataset(str(path))
        names = set(dataset.schema.names)
        miners = set(dataset.read(columns=["miner"]).column("miner").unique().to_pylist()) if "miner" in names \
            else set()
    except Exception as exc:  # noqa: BLE001 - the user's file
        raise SaltError(f"{path} could not be read as Parquet: {str(exc)[:200]}") from None
    check_columns(names)
    translation, synonym = default_thresholds(_miner_of(miners))
    settings = _codeswitch_settings(args, translation, synonym)
    lines, problems = codeswitch_on_ray(path, settings, address=args.address)
    for problem in problems:
        print(f"warning: {args.mined}: {problem}", file=sys.stderr)
    replaced = sum(len(json.loads(line)["replacements"]) for line in lines)
    return _write_codeswitched(args, lines, replaced)


def run_runs(args) -> int:
    from salt_core.files import output_lock, write_table

    if args.runs_command == "build-reference":
        from importlib import resources

        from salt_core.runs.reference import build_reference, build_volumes

        folder = Path(str(resources.files("salt_core") / "data"))
        runs = build_reference(args.shared)
        write_table(runs, folder / "reference_runs.csv")
        write_table(build_volumes(args.shared), folder / "corpus_volumes.csv")
        print(f"wrote {len(runs):,} reference runs and the corpus volumes to {folder}")
        return 0
    if args.runs_command == "compare":
        return run_compare(args)
    from salt_core.runs.importers import Overrides, load_runs

    overrides = Overrides(model=args.model, language=args.language, task=args.task, method=args.method,
                          params=args.params, corpus=args.corpus, replace=args.replace)
    result = load_runs(args.path, args.format, overrides)
    for message in result.messages:
        print(f"note: {message}", file=sys.stderr)
    for problem in result.problems:
        print(f"warning: {args.path}: row {problem['row']}: {problem['reason']} (row skipped)", file=sys.stderr)
    if result.runs.empty:
        raise SaltError(f"{args.path}: no usable runs.")
    with output_lock(args.output, (args.path,)):
        write_table(result.runs, args.output)
    print(f"wrote {len(result.runs):,} runs to {args.output}" +
          (f" ({len(result.problems)} bad rows reported above)" if result.problems else ""))
    return 0


def run_compare(args) -> int:
    from salt_core.languages import language_code
    from salt_core.runs.comparison import compare_by_seed, per_language
    from salt_core.runs.identity import ZERO_SHOT
    from salt_core.runs.importers import load_runs
    from salt_core.training.record import read_trained_runs

    runs = read_trained_runs(args.path) if args.path.is_dir() else load_runs(args.path).runs
    runs = runs[runs["metric"] == args.metric] if "metric" in runs.columns else runs
    baseline = args.baseline or ZERO_SHOT
    for name in (args.method, baseline):
        if name not in set(runs.get("method", [])):
            raise SaltError(f"No {args.metric} run of method {name!r} in {args.path}; methods there: "
                            f"{', '.join(sorted(set(runs.get('method', [])))) or 'none'}.")
    augmented = {language_code(code) or code for code in args.augmented}
    groups = {"augmented": augmented, "not augmented": set(runs["language"]) - augmented - {args.source}} \
        if augmented else None
    results = compare_by_seed(runs, args.method, baseline, args.source, groups)
    if not results:
        raise SaltError("No model and task has both methods on shared seeds and languages.")
    for result in results:
        print("\n".join(result.lines()))
    table = per_language(runs, args.method, baseline)
    print("\nper language (seed-paired delta, 95% t interval over seeds, Holm-adjusted p across languages):")
    print(table.round(3).to_string(index=False))
    if args.path.is_dir():
        from salt_core.runs.comparison import per_language_bootstrap
        from salt_core.training.record import read_predictions

        correct = read_predictions(args.path)
        if len(correct):
            print("\nper language, paired bootstrap over test sentences (seeds averaged; 2,000 resamples; Holm and "
                  "Benjamini-Hochberg adjusted p across languages):")
            print(per_language_bootstrap(correct, args.method, baseline).round(3).to_string(index=False))
    return 0


def run_train(args) -> int:
    from dataclasses import replace

    from salt_core.models.loading import set_threads
    from salt_core.training.config import Experiment, TrainConfig
    from salt_core.training.experiment import run_experiment
    from salt_core.training.jobs import default_runs_folder, status_writer

    set_threads(args.threads)
    cfg = TrainConfig(epochs=args.epochs, learning_rate=args.learning_rate, batch_size=args.batch_size,
                      max_length=args.max_length, warmup=args.warmup, weight_decay=args.weight_decay,
                      freeze_embeddings=not args.train_embeddings, device=args.device, precision=args.precision,
                      steps=args.steps, schedule=args.schedule, pooling=args.pooling)
    experiment = Experiment(model=args.model or "", data=args.data, methods=tuple(args.methods),
                            languages=tuple(args.languages), seeds=tuple(args.seeds), source=args.source,
                            augment_languages=tuple(args.augment_languages), miner=args.miner,
                            max_augment=args.max_augment_languages,
                            dictionary=args.dictionary, train=cfg, max_train_examples=args.max_train_examples,
                            augmentation=args.augmentation, switch_probability=args.switch_probability)
    if args.report_to != "none":
        import importlib.util

        package = {"tensorboard": "tensorboard"}.get(args.report_to, args.report_to)
        if importlib.util.find_spec(package) is None:
            raise SaltError(f"--report-to {args.report_to} needs the {package} package, which is not installed "
                            f"(pip install {package}).")
    from salt_core.training.experiment import DEFAULT_GRID

    grid = (tuple(args.tune_grid) if args.tune_grid else DEFAULT_GRID) if args.tune or args.tune_grid else None
    changes = {k: v for k, v in (("translation_threshold", args.threshold), ("ratio", args.ratio)) if v is not None}
    if changes:
        experiment = replace(experiment, codeswitch=replace(experiment.codeswitch, **changes))
    if not experiment.model:
        from salt_core.models.loading import default_model_name

        experiment = replace(experiment, model=default_model_name())
    output = args.output or default_runs_folder()
    rows = run_experiment(experiment, output, quiet=args.quiet, progress=status_writer(args.status_file),
                          keep_checkpoints=args.keep_checkpoints, report_to=args.report_to, tune=grid)
    runs = rows["source"].nunique() if len(rows) else 0
    print(f"wrote {runs} runs ({len(rows):,} rows) to {output}")
    return 0


def run_languages(args) -> int:
    from salt_core.languages import LANGUAGES, coverage
    from salt_core.models.loading import load_masked_lm

    codes = list(LANGUAGES) if args.languages.strip().lower() == "all" else _languages(args.languages) or None
    mlm = load_masked_lm(args.model)
    print(coverage(mlm.tokenizer, codes).to_string(index=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code, message = _run(args)
    if message:
        print(f"error: {message}", file=sys.stderr)
    if getattr(args, "job_folder", None) is not None:  # a background job records how it ended
        from salt_core.training.jobs import finish

        finish(args.job_folder, code, message)
    return code


def _run(args) -> tuple[int, str]:
    """Run a subcommand: (exit status, the one-line message of a failure or "")."""
    handlers = {"mine": run_mine, "codeswitch": run_codeswitch, "train": run_train, "runs": run_runs,
                "languages": run_languages}
    try:
        return handlers[args.command](args), ""
    except SaltError as exc:
        return 2, str(exc)
    except KeyboardInterrupt:
        print("interrupted: re-run the same command to continue where it stopped", file=sys.stderr)
        return 130, ""
    except OSError as exc:  # unwritable, read-only, full or missing paths: the user's to fix
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return 2, f"{exc.strerror or exc}{where}"
    except (RecursionError, MemoryError) as exc:
        return 2, f"the input is too deeply nested or too large to read ({type(exc).__name__})"
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        return 1, f"unexpected {type(exc).__name__}: {str(exc)[:300]} (please report it with the command you ran)"
