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


def classifier(mlm, labels: list[str], freeze_embeddings: bool, seed: int):
    """A sequence classifier with the encoder's pretrained weights (its head is new: trained here).

    The new head is drawn from `seed`, not from whatever the global generator holds: a run restarted from scratch
    (killed before its first whole checkpoint, or mined from cache the second time) draws the same head.
    """
    AutoModelForSequenceClassification, set_seed = transformers_names("AutoModelForSequenceClassification", "set_seed")

    set_seed(seed)

    config = mlm.model.config.__class__.from_dict(mlm.model.config.to_dict())
    config.num_labels = len(labels)
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    config.architectures = None
    with one_at_a_time():  # never beside another thread's model load (salt_core.models.hf)
        model = AutoModelForSequenceClassification.from_config(config)
    missing, unexpected = model.base_model.load_state_dict(mlm.model.base_model.state_dict(), strict=False)
    if [k for k in missing if "pooler" not in k]:  # a new pooler is as a new head; anything else is an error
        raise InputError(f"{mlm.name}: its encoder's weights do not fit a classifier ({len(missing)} missing).")
    if freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    return model


def precision_flags(cfg: TrainConfig) -> dict:
    if cfg.device == "cpu" or cfg.precision == "fp32":
        return {}
    if cfg.precision == "bf16" or (cfg.precision == "auto" and torch.cuda.is_bf16_supported()):
        return {"bf16": True}
    return {"fp16": True}


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


def make_trainer(model, train: list[Encoded], dev: list[Encoded], pad_id: int, n_labels: int, cfg: TrainConfig,
                 seed: int, folder: str, mixup: MixupConfig | None, progress: Callable | None, quiet: bool):
    Trainer, TrainerCallback, TrainingArguments = transformers_names("Trainer", "TrainerCallback", "TrainingArguments")

    if mixup is not None:
        model = EmbeddingMixup(model, mixup)  # r from torch's global generator: checkpointed by the Trainer
    per_device = max(1, cfg.batch_size // world_size())
    args = TrainingArguments(
        output_dir=folder, num_train_epochs=cfg.epochs, learning_rate=cfg.learning_rate,
        per_device_train_batch_size=per_device, per_device_eval_batch_size=max(per_device, 64),
        warmup_steps=cfg.warmup, weight_decay=cfg.weight_decay, eval_strategy="epoch", save_strategy="epoch",
        load_best_model_at_end=True, metric_for_best_model=cfg.select_on, greater_is_better=True,
        save_total_limit=2, seed=seed, data_seed=seed, report_to="none",
        logging_strategy="no" if quiet else "epoch",
        disable_tqdm=quiet, use_cpu=cfg.device == "cpu", ddp_backend="gloo" if cfg.device == "cpu" and world_size() > 1 else None,
        label_names=["labels"], remove_unused_columns=False, dataloader_num_workers=0,
        **precision_flags(cfg))

    class Progress(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if progress and state.is_world_process_zero:
                progress(state.global_step, state.max_steps)

    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=dev, data_collator=Collator(pad_id),
                      compute_metrics=lambda p: metrics(p.predictions, p.label_ids, n_labels), callbacks=[Progress()])
    if quiet:  # the Trainer prints each evaluation's numbers when its progress bar is off
        (PrinterCallback,) = transformers_names("PrinterCallback", module="transformers.trainer_callback")

        trainer.remove_callback(PrinterCallback)
    return trainer


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
    """Accuracy and macro-F1 of the trained (best) model on one language's test examples."""
    prediction = trainer.predict(examples)
    logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
    return metrics(logits, prediction.label_ids, n_labels) | {"n": len(examples)}
