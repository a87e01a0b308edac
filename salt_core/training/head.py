"""The classifier on the encoder: a pooling that fits how the checkpoint was trained, then one linear layer.

`AutoModelForSequenceClassification` classifies from the first token through a pooler (dense + tanh). For a
checkpoint without a trained pooler that pooler is *newly initialised*: multilingual-e5 was trained with mean
pooling and ships none, and a `...ForMaskedLM` checkpoint loads without the pooler mBERT does have. On SIB-200 with
e5-small that head stopped the baseline at 66% English accuracy where mean pooling and a linear layer reach 91% in
the same 66 steps. So pooling is a setting, chosen from the checkpoint by default (`resolve_pooling`):

* `mean` — the mean of the last hidden states over the real tokens (what sentence encoders such as e5 were
  trained with); the default wherever the checkpoint has no pretrained pooler;
* `cls` — the first token through the checkpoint's own *pretrained* pooler (mBERT), loaded from its weight files,
  never re-initialised; refused for a checkpoint that has none.

The head's linear layer (and its dropout) is new: it is drawn from the run's seed.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch

from salt_core.errors import InputError
from salt_core.models.hf import transformers_names

POOLINGS = ("auto", "mean", "cls")
POOLER_KEYS = ("pooler.dense.weight", "pooler.dense.bias")


def _weight_files(mlm) -> list[Path]:
    """The checkpoint's weight files on this machine (a folder, or a hub id in the local cache)."""
    location = str(getattr(mlm.model.config, "_name_or_path", "") or mlm.name)
    folder = Path(location)
    if folder.is_dir():
        return sorted(folder.glob("*.safetensors")) or sorted(folder.glob("pytorch_model*.bin"))
    (cached_file,) = transformers_names("cached_file", module="transformers.utils")
    for name in ("model.safetensors", "pytorch_model.bin"):
        try:
            path = cached_file(location, name, local_files_only=True, _raise_exceptions_for_missing_entries=False)
        except (OSError, ValueError):
            path = None
        if path:
            return [Path(path)]
    return []


def pretrained_pooler(mlm) -> dict[str, torch.Tensor] | None:
    """The checkpoint's pooler weights ({"weight", "bias"} of its dense layer), or None where it has none.
    Weights are read with safetensors or `torch.load(weights_only=True)`: nothing is unpickled."""
    found: dict[str, torch.Tensor] = {}
    for path in _weight_files(mlm):
        if path.suffix == ".safetensors":
            from safetensors import safe_open

            with safe_open(str(path), "pt") as handle:
                for key in handle.keys():
                    if key.endswith(POOLER_KEYS):
                        found[key.rsplit(".", 1)[-1]] = handle.get_tensor(key)
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
            found |= {key.rsplit(".", 1)[-1]: value for key, value in state.items() if key.endswith(POOLER_KEYS)}
    return found if set(found) == {"weight", "bias"} else None


def resolve_pooling(mlm, pooling: str = "auto") -> tuple[str, dict[str, torch.Tensor] | None]:
    """(pooling, pooler weights): `auto` is `cls` where the checkpoint has a pretrained pooler, else `mean`."""
    if pooling not in POOLINGS:
        raise InputError(f"pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}.")
    pooler = pretrained_pooler(mlm) if pooling in ("auto", "cls") else None
    if pooling == "cls" and pooler is None:
        raise InputError(f"{mlm.label} has no pretrained pooler, so 'cls' pooling would classify from a newly "
                         "initialised layer; use mean pooling (the default for such a checkpoint).")
    if pooling == "auto":
        pooling = "cls" if pooler is not None else "mean"
    return pooling, pooler


class PooledClassifier(torch.nn.Module):
    """encoder -> pooling (`mean` or `cls` through the pretrained pooler) -> dropout -> linear -> logits.

    forward(input_ids | inputs_embeds, attention_mask, labels) returns a SequenceClassifierOutput-like object with
    `loss` (cross-entropy, when labels are given) and `logits`, as the Trainer and `EmbeddingMixup` expect."""

    base_model_prefix = "encoder"

    def __init__(self, encoder: torch.nn.Module, n_labels: int, pooling: str,
                 pooler: dict[str, torch.Tensor] | None = None, dropout: float = 0.1):
        super().__init__()
        hidden = encoder.config.hidden_size
        self.encoder, self.pooling = encoder, pooling
        self.config = copy.deepcopy(encoder.config)  # the Trainer reads it; labels are written into it
        if pooling == "cls":
            self.pooler = torch.nn.Linear(hidden, hidden)
            with torch.no_grad():
                self.pooler.weight.copy_(pooler["weight"])
                self.pooler.bias.copy_(pooler["bias"])
        self.dropout = torch.nn.Dropout(dropout)
        self.classifier = torch.nn.Linear(hidden, n_labels)
        (self.output,) = transformers_names("SequenceClassifierOutput", module="transformers.modeling_outputs")

    @property
    def base_model(self) -> torch.nn.Module:
        return self.encoder

    def get_input_embeddings(self) -> torch.nn.Module:
        return self.encoder.get_input_embeddings()

    def pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        if self.pooling == "cls":
            return torch.tanh(self.pooler(hidden[:, 0]))  # (batch, hidden)
        if attention_mask is None:
            return hidden.mean(dim=1)
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (batch, seq, 1)
        return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None, labels=None, **_):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              inputs_embeds=inputs_embeds).last_hidden_state  # (batch, seq, hidden)
        logits = self.classifier(self.dropout(self.pool(hidden, attention_mask)))  # (batch, labels)
        loss = torch.nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return self.output(loss=loss, logits=logits)


def build_classifier(mlm, n_labels: int, pooling: str, seed: int, freeze_embeddings: bool,
                     dropout: float = 0.1) -> tuple[PooledClassifier, str]:
    """A classifier on a copy of `mlm`'s encoder (its pretrained weights, any masked-LM head left behind) with
    the chosen pooling; the new linear layer is drawn from `seed`. Returns (model, the pooling used)."""
    pooling, pooler = resolve_pooling(mlm, pooling)
    encoder = copy.deepcopy(mlm.model.base_model).train()
    torch.manual_seed(seed)
    model = PooledClassifier(encoder, n_labels, pooling, pooler, dropout)
    if freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    return model, pooling
