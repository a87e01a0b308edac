"""Fine-tuning and evaluation on Hugging Face `Trainer`: one CPU, one GPU, or several through torchrun/accelerate.

One run = one model, method and seed: a sequence classifier initialised from the chosen encoder, trained on the
source language's examples (and, by method, their code-switched copies and mixup pairs), the checkpoint chosen
on the source language's dev split only, then evaluated on every chosen language's test split.

The Trainer does everything a hand loop would get wrong: seeds, checkpoints with optimizer, scheduler and RNG
states (so a killed run resumes from its last checkpoint and reproduces the uninterrupted result), mixed
precision on GPUs, distributed data parallelism (`torchrun --nproc_per_node N python -m salt_core train ...`;
gloo on CPU), its own progress bar. Mixup rides on it as a model wrapper (`EmbeddingMixup`) whose random vector r
comes from torch's global generator, which the Trainer checkpoints and restores.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from salt_core.errors import InputError
from salt_core.mixup.alignment import align
from salt_core.mixup.mixing import MixupConfig
from salt_core.mixup.training import EmbeddingMixup
from salt_core.models.hf import one_at_a_time, transformers_names
from salt_core.training.config import TrainConfig
from salt_core.training.head import build_classifier


@dataclass
class Encoded:
    """One tokenised example; `mix_*` present for mixup runs (a copy without a substitute mixes with itself)."""

    input_ids: list[int]
    label: int
    mix_target_ids: list[int] | None = None
    mix_pairs: list[list[int]] | None = None  # for each source position, the target positions averaged


def encode(tokenizer, texts: list[str], pairs: list[str | None] | None, labels: list[int], max_length: int,
           mix_with: list[tuple[str, list] | None] | None = None) -> tuple[list[Encoded], int]:
    """Tokenise examples (user text never becomes a special token). `mix_with[i]` = (code-switched text, spans)
    gives example i a mixup partner; returns the examples and how many partners were too long to mix."""
    pairs = pairs or [None] * len(texts)
    out, too_long = [], 0
    for i, (text, pair, label) in enumerate(zip(texts, pairs, labels)):
        ids = tokenizer(text, pair, truncation=True, max_length=max_length, split_special_tokens=True)["input_ids"]
        example = Encoded(ids, int(label))
        if mix_with is not None:
            partner = mix_with[i]
            try:
                alignment = align(tokenizer, text, partner[0], partner[1]) if partner and pair is None else None
            except InputError:  # a partner that does not align word for word: this example mixes with itself
                alignment = None
            if alignment is not None and max(len(alignment.source_ids), len(alignment.target_ids)) <= max_length \
                    and alignment.source_ids == ids:
                example.mix_target_ids, example.mix_pairs = alignment.target_ids, alignment.pairs
            else:
                too_long += partner is not None and alignment is not None
                example.mix_target_ids, example.mix_pairs = ids, [[p] for p in range(len(ids))]
        out.append(example)
    return out, too_long


class Collator:
    """Pads a batch; with mixup, builds each example's (seq_s, seq_t) averaging matrix (h_t = A @ E[targets])."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, batch: list[Encoded]) -> dict[str, torch.Tensor]:
        seq = max(len(e.input_ids) for e in batch)
        out = {"input_ids": torch.full((len(batch), seq), self.pad_id, dtype=torch.long),
               "attention_mask": torch.zeros(len(batch), seq, dtype=torch.long),
               "labels": torch.tensor([e.label for e in batch], dtype=torch.long)}
        for row, e in enumerate(batch):
            out["input_ids"][row, :len(e.input_ids)] = torch.tensor(e.input_ids)
            out["attention_mask"][row, :len(e.input_ids)] = 1
        if batch[0].mix_target_ids is not None:
            seq_t = max(len(e.mix_target_ids) for e in batch)
            out["mix_target_ids"] = torch.full((len(batch), seq_t), self.pad_id, dtype=torch.long)
            out["mix_alignment"] = torch.zeros(len(batch), seq, seq_t)  # (batch, seq_s, seq_t)
            for row, e in enumerate(batch):
                out["mix_target_ids"][row, :len(e.mix_target_ids)] = torch.tensor(e.mix_target_ids)
                for i, positions in enumerate(e.mix_pairs):
                    out["mix_alignment"][row, i, positions] = 1.0 / len(positions)
        return out


def classifier(mlm, labels: list[str], freeze_embeddings: bool, seed: int, pooling: str = "auto"):
    """A sequence classifier with the encoder's pretrained weights and a pooling that fits the checkpoint
    (`salt_core.training.head`: mean pooling, or the first token through its own pretrained pooler); its linear
    layer is new, trained here.

    The new layer is drawn from `seed`, not from whatever the global generator holds: a run restarted from scratch
    (killed before its first whole checkpoint, or mined from cache the second time) draws the same head.
    """
    (set_seed,) = transformers_names("set_seed")

    set_seed(seed)
    with one_at_a_time():  # never beside another thread's model load (salt_core.models.hf)
        model, _ = build_classifier(mlm, len(labels), pooling, seed, freeze_embeddings)
    model.config.num_labels = len(labels)
    model.config.id2label = dict(enumerate(labels))
    model.config.label2id = {label: i for i, label in enumerate(labels)}
    return model


def precision_flags(cfg: TrainConfig) -> dict:
    if cfg.device == "cpu" or cfg.precision == "fp32":
        return {}
    if cfg.precision == "bf16" or (cfg.precision == "auto" and torch.cuda.is_bf16_supported()):
        return {"bf16": True}
    return {"fp16": True}


def device_name(device: str) -> str:
    """What a run's wall time was measured on: the GPU's name, or the CPU threads torch used."""
    if device == "cuda" and torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()} x{torch.cuda.device_count()}"
    return f"cpu, {torch.get_num_threads()} threads"


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def metrics(logits: np.ndarray, labels: np.ndarray, n_labels: int) -> dict[str, float]:
    """Accuracy and macro-F1 (each class's F1, averaged; a class never predicted nor present is left out)."""
    predictions = np.asarray(logits).argmax(-1)
    labels = np.asarray(labels)
    f1s = []
    for c in range(n_labels):
        tp = int(((predictions == c) & (labels == c)).sum())
        fp, fn = int(((predictions == c) & (labels != c)).sum()), int(((predictions != c) & (labels == c)).sum())
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return {"accuracy": float((predictions == labels).mean() * 100), "macro_f1": float(np.mean(f1s) * 100)}


EVALUATIONS = 6  # source-dev evaluations (and checkpoints) per run: the learning curve's points


def budget_steps(cfg: TrainConfig, n_source: int) -> int:
    """The experiment's budget in optimisation steps: `cfg.steps`, else `epochs` passes over the source training
    set at the global batch size. The same number for every method (config's docstring)."""
    if cfg.steps:
        return int(cfg.steps)
    per_epoch = -(-n_source // (max(1, cfg.batch_size // world_size()) * world_size()))
    return max(1, int(-(-cfg.epochs * per_epoch // 1)))


def make_trainer(model, train, dev: list[Encoded], pad_id: int, n_labels: int, cfg: TrainConfig,
                 seed: int, folder: str, mixup: MixupConfig | None, progress: Callable | None, quiet: bool,
                 steps: int | None = None, report_to: str = "none"):
    """A Trainer for one run. `steps`: the budget in optimisation steps (None: `cfg.epochs` over `train`, the
    additive scheme's way); the source dev split is evaluated EVALUATIONS times and the best checkpoint kept."""
    Trainer, TrainerCallback, TrainingArguments = transformers_names("Trainer", "TrainerCallback", "TrainingArguments")

    if mixup is not None:
        model = EmbeddingMixup(model, mixup)  # r from torch's global generator: checkpointed by the Trainer
    per_device = max(1, cfg.batch_size // world_size())
    total = steps or budget_steps(cfg, len(train))
    every = max(1, -(-total // EVALUATIONS))
    args = TrainingArguments(
        output_dir=folder, num_train_epochs=cfg.epochs, max_steps=steps or -1, learning_rate=cfg.learning_rate,
        lr_scheduler_type=cfg.schedule, per_device_train_batch_size=per_device,
        per_device_eval_batch_size=max(per_device, 64), warmup_steps=cfg.warmup, weight_decay=cfg.weight_decay,
        eval_strategy="steps", eval_steps=every, save_strategy="steps", save_steps=every,
        load_best_model_at_end=True, metric_for_best_model=cfg.select_on, greater_is_better=True,
        save_total_limit=2, seed=seed, data_seed=seed, report_to=report_to,
        logging_strategy="steps", logging_steps=max(1, total // 30),  # the learning curve's training loss
        disable_tqdm=quiet, use_cpu=cfg.device == "cpu", ddp_backend="gloo" if cfg.device == "cpu" and world_size() > 1 else None,
        label_names=["labels"], remove_unused_columns=False, dataloader_num_workers=0,
        **precision_flags(cfg))

    class Progress(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if progress and state.is_world_process_zero:
                progress(state.global_step, state.max_steps)

        def on_epoch_begin(self, args, state, control, **kwargs):  # items drawn as served: a new draw per epoch
            if hasattr(train, "set_epoch"):
                train.set_epoch(int(state.epoch or 0))

    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=dev, data_collator=Collator(pad_id),
                      compute_metrics=lambda p: metrics(p.predictions, p.label_ids, n_labels), callbacks=[Progress()])
    (PrinterCallback,) = transformers_names("PrinterCallback", module="transformers.trainer_callback")
    trainer.remove_callback(PrinterCallback)  # the log history keeps every number; the console keeps its bar
    return trainer


def learning_curve(trainer) -> dict:
    """What a reader checks convergence with: training loss by step, source-dev accuracy per evaluation, the
    chosen checkpoint's step, and whether it was the last evaluation while dev accuracy was still rising."""
    history = trainer.state.log_history
    loss = [{"step": e["step"], "loss": e["loss"]} for e in history if "loss" in e and "step" in e]
    dev = [{"step": e["step"], "accuracy": e["eval_accuracy"]} for e in history if "eval_accuracy" in e]
    best = trainer.state.best_model_checkpoint
    chosen = int(best.rsplit("-", 1)[-1]) if best else (dev[-1]["step"] if dev else None)
    rising = len(dev) >= 2 and dev[-1]["accuracy"] > dev[-2]["accuracy"]
    return {"loss": loss, "dev": dev, "chosen_step": chosen, "steps": trainer.state.global_step,
            "may_be_undertrained": bool(dev) and chosen == dev[-1]["step"] and rising}


def last_checkpoint(folder: str) -> str | None:
    """The latest checkpoint in `folder` that was written to its end, or None.

    The Trainer writes a checkpoint's trainer_state.json last. A run killed while writing one leaves a folder without
    it (or with it cut short); the Trainer would load that folder's weights and silently restart from step 0, so such
    a folder is removed, and the one before it, which is whole, is resumed instead.
    """
    (PREFIX_CHECKPOINT_DIR,) = transformers_names("PREFIX_CHECKPOINT_DIR", module="transformers.trainer_utils")

    if not os.path.isdir(folder):
        return None
    steps = {}
    for name in os.listdir(folder):
        found = re.fullmatch(rf"{PREFIX_CHECKPOINT_DIR}-(\d+)", name)
        if found and os.path.isdir(os.path.join(folder, name)):
            steps[int(found.group(1))] = os.path.join(folder, name)
    for step in sorted(steps, reverse=True):
        if _whole(steps[step]):
            return steps[step]
        shutil.rmtree(steps[step], ignore_errors=True)  # a half-written checkpoint: the step is trained again
    return None


def _whole(checkpoint: str) -> bool:
    try:
        with open(os.path.join(checkpoint, "trainer_state.json"), encoding="utf-8") as f:
            return isinstance(json.load(f).get("global_step"), int)
    except (OSError, ValueError, AttributeError):
        return False


def evaluate(trainer, examples: list[Encoded], n_labels: int) -> dict[str, float]:
    """Accuracy and macro-F1 of the trained (best) model on one language's test examples. Batched by length (the
    examples sorted by their number of pieces, so a batch pads little), the predictions put back in test order."""
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))
    prediction = trainer.predict([examples[i] for i in order])
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    back = np.empty(len(order), dtype=int)
    back[order] = np.arange(len(order))
    logits, gold = np.asarray(logits)[back], np.asarray(prediction.label_ids)[back]
    # each example's prediction is kept, in test order: a paired bootstrap over test sentences needs them
    return metrics(logits, gold, n_labels) | {"n": len(examples), "predicted": logits.argmax(-1).tolist(),
                                              "gold": gold.tolist()}
