"""Benchmark: the training loop's overhead over a plain PyTorch loop of the same model, batches and steps.

Not a test: it prints a ratio measured in one run, on one machine, so noise between machines cancels.

    python benchmarks/bench_training_overhead.py [--data ../shared/data/sib200] [--steps 44] [--repeats 2]

Both sides train the same classifier (multilingual-e5-small, real offline weights, mean pooling, embeddings frozen,
seed 1) on the same English SIB-200 batches (batch 32, AdamW at 1e-4, constant rate), evaluate English dev the same
number of times and keep the best state:

(a) `salt_core.training.engine.make_trainer(...).train()` — Hugging Face Trainer with what the experiment needs:
    checkpoints with optimizer and RNG state at each evaluation (so a killed run resumes), the best checkpoint
    reloaded at the end, the learning curve logged;
(b) a plain loop: `for batch in loader: loss.backward(); optimizer.step()`, dev evaluated with `torch.no_grad()`
    at the same steps, the best weights copied in memory (nothing written, nothing resumable).

Target (issue 32): (a) / (b) <= 1.15. The sides alternate, `--repeats` times each; the best time of each is compared.

(c) Evaluation as the experiment runs it (`engine.evaluate`: test sentences sorted by length into batches of 64,
    predictions put back in order) against the same predictions in test order, over `--eval-languages` SIB-200
    test sets (204 sentences each).
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from salt_core.models.loading import load_masked_lm  # noqa: E402
from salt_core.training import engine  # noqa: E402
from salt_core.training.config import TrainConfig  # noqa: E402
from salt_core.training.data import read_sib200_folder  # noqa: E402


def examples(mlm, task, split: str, n: int | None, label_ids: dict) -> list[engine.Encoded]:
    frame = task.split("en", split)
    frame = frame.head(n) if n else frame
    return engine.encode(mlm.tokenizer, list(frame["text"]), None, [label_ids[x] for x in frame["label"]], 128)[0]


def with_trainer(mlm, labels, train, dev, cfg: TrainConfig, steps: int) -> float:
    folder = tempfile.mkdtemp(prefix="salt-overhead-")
    try:
        model = engine.classifier(mlm, labels, cfg.freeze_embeddings, 1, "mean")
        trainer = engine.make_trainer(model, train, dev, mlm.tokenizer.pad_token_id, len(labels), cfg, 1, folder,
                                      None, None, True, steps=steps)
        start = time.perf_counter()
        trainer.train()
        return time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def plain_loop(mlm, labels, train, dev, cfg: TrainConfig, steps: int) -> float:
    model = engine.classifier(mlm, labels, cfg.freeze_embeddings, 1, "mean")
    collate = engine.Collator(mlm.tokenizer.pad_token_id)
    generator = torch.Generator().manual_seed(1)
    loader = torch.utils.data.DataLoader(train, batch_size=cfg.batch_size, shuffle=True, collate_fn=collate,
                                         generator=generator)
    dev_batches = [collate(dev[i:i + 64]) for i in range(0, len(dev), 64)]
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    every = max(1, -(-steps // engine.EVALUATIONS))
    start = time.perf_counter()
    step, best, best_state = 0, -1.0, None
    model.train()
    while step < steps:
        for batch in loader:
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            step += 1
            if step % every == 0 or step == steps:
                model.eval()
                with torch.no_grad():
                    right = sum(int((model(**b).logits.argmax(-1) == b["labels"]).sum()) for b in dev_batches)
                model.train()
                if right > best:
                    best, best_state = right, copy.deepcopy({k: v for k, v in model.state_dict().items()})
            if step == steps:
                break
    model.load_state_dict(best_state)
    return time.perf_counter() - start


def evaluation(mlm, labels, languages: list[str], data: Path, label_ids: dict) -> tuple[float, float]:
    """Seconds to predict the test sets batched by length (engine.evaluate) and in test order."""
    task = read_sib200_folder(data, languages)
    folder = tempfile.mkdtemp(prefix="salt-eval-")
    try:
        model = engine.classifier(mlm, labels, True, 1, "mean")
        sets = [engine.encode(mlm.tokenizer, list(task.split(code, "test")["text"]), None,
                              [label_ids[x] for x in task.split(code, "test")["label"]], 128)[0]
                for code in task.languages]
        trainer = engine.make_trainer(model, sets[0], sets[0], mlm.tokenizer.pad_token_id, len(labels),
                                      TrainConfig(), 1, folder, None, None, True, steps=1)
        start = time.perf_counter()
        by_length = [engine.evaluate(trainer, s, len(labels))["predicted"] for s in sets]
        sorted_time = time.perf_counter() - start
        start = time.perf_counter()
        in_order = [trainer.predict(s).predictions.argmax(-1).tolist() for s in sets]
        order_time = time.perf_counter() - start
        assert by_length == in_order, "batching by length changed a prediction"
        return sorted_time, order_time
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "sib200")
    parser.add_argument("--steps", type=int, default=44, help="optimisation steps of each side (default 44)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--eval-languages", default="deu_Latn,yor_Latn,amh_Ethi,zho_Hans,tam_Taml,fin_Latn")
    parser.add_argument("--skip-training", action="store_true", help="only (c)")
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    mlm = load_masked_lm("e5-small-offline")
    task = read_sib200_folder(args.data, ["eng_Latn"])
    labels = task.labels
    label_ids = {label: i for i, label in enumerate(labels)}
    train, dev = examples(mlm, task, "train", None, label_ids), examples(mlm, task, "dev", None, label_ids)
    cfg = TrainConfig()
    by_length, in_order = evaluation(mlm, labels, args.eval_languages.split(","), args.data, label_ids)
    print(f"(c) evaluation of {args.eval_languages}: batched by length {by_length:.1f} s, in test order "
          f"{in_order:.1f} s: {in_order / by_length:.2f}x faster, the same predictions")
    if args.skip_training:
        return
    times = {"trainer": [], "plain": []}
    for _ in range(args.repeats):
        times["trainer"].append(with_trainer(mlm, labels, train, dev, cfg, args.steps))
        times["plain"].append(plain_loop(mlm, labels, train, dev, cfg, args.steps))
        print(f"trainer {times['trainer'][-1]:.1f} s, plain loop {times['plain'][-1]:.1f} s", flush=True)
    trainer, plain = min(times["trainer"]), min(times["plain"])
    print(f"{args.steps} steps of batch {cfg.batch_size}, dev evaluated {engine.EVALUATIONS} times, "
          f"{torch.get_num_threads()} threads")
    print(f"(a) salt_core's Trainer loop: {trainer:.1f} s ({trainer / args.steps:.2f} s/step)")
    print(f"(b) plain PyTorch loop:       {plain:.1f} s ({plain / args.steps:.2f} s/step)")
    print(f"(a) / (b) = {trainer / plain:.2f}x (target <= 1.15x)")


if __name__ == "__main__":
    main()
