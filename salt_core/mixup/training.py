"""The training-time component: a model wrapper that mixes input embeddings, and its batch collator."""

from __future__ import annotations

import torch

from salt_core.mixup.alignment import align
from salt_core.mixup.mixing import MixupConfig, mix, sample_r


class EmbeddingMixup(torch.nn.Module):
    """Wrap a Hugging Face model so that, in training mode, its input token embeddings are mixed.

    forward(input_ids, attention_mask, mix_target_ids, mix_alignment, **rest): h_s = E[input_ids],
    h_t = mix_alignment @ E[mix_target_ids] (batch, seq_s, seq_t) @ (batch, seq_t, hidden), a fresh r is
    drawn on every call, and the model runs on inputs_embeds = mix(h_s, h_t, r). In eval mode the mixup
    inputs are ignored and the model runs on input_ids exactly as unwrapped. Works in a plain PyTorch
    loop or a `Trainer` whose data collator produces these keys (see `collate_pairs`,
    `salt_core.training.engine.Collator`).
    """

    def __init__(self, model: torch.nn.Module, cfg: MixupConfig | None = None, seed: int | None = None):
        super().__init__()
        self.model, self.cfg = model, cfg or MixupConfig()
        self.cfg.validate()
        # seed=None draws r from torch's global generator, which a Hugging Face Trainer seeds, checkpoints and
        # restores: a resumed run then draws the same r as an uninterrupted one
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None
        self.last_r: torch.Tensor | None = None

    def forward(self, input_ids, attention_mask=None, mix_target_ids=None, mix_alignment=None, **rest):
        if not self.training or mix_target_ids is None:
            return self.model(input_ids=input_ids, attention_mask=attention_mask, **rest)
        embed = self.model.get_input_embeddings()
        h_s = embed(input_ids)  # (batch, seq_s, hidden)
        h_t = torch.bmm(mix_alignment.to(h_s.dtype), embed(mix_target_ids))  # (batch, seq_s, hidden)
        self.last_r = sample_r(tuple(h_s.shape), self.cfg, self.generator, h_s.dtype, h_s.device)
        return self.model(inputs_embeds=mix(h_s, h_t, self.last_r), attention_mask=attention_mask, **rest)


def collate_pairs(tokenizer, pairs: list[tuple[str, str, list | None]]) -> dict[str, torch.Tensor]:
    """A padded batch for EmbeddingMixup from (source, code-switched, spans or None) triples."""
    alignments = [align(tokenizer, s, c, spans) for s, c, spans in pairs]
    seq_s = max(len(a.source_ids) for a in alignments)
    seq_t = max(len(a.target_ids) for a in alignments)
    pad = tokenizer.pad_token_id or 0
    batch = {"input_ids": torch.full((len(pairs), seq_s), pad), "attention_mask": torch.zeros(len(pairs), seq_s,
                                                                                                dtype=torch.long),
             "mix_target_ids": torch.full((len(pairs), seq_t), pad), "mix_alignment": torch.zeros(len(pairs), seq_s,
                                                                                                   seq_t)}
    for row, a in enumerate(alignments):
        batch["input_ids"][row, :len(a.source_ids)] = torch.tensor(a.source_ids)
        batch["attention_mask"][row, :len(a.source_ids)] = 1
        batch["mix_target_ids"][row, :len(a.target_ids)] = torch.tensor(a.target_ids)
        batch["mix_alignment"][row, :len(a.source_ids), :len(a.target_ids)] = a.matrix()
    return batch
