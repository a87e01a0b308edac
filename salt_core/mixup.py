"""SALT's online embedding mixup: h = r * h_s + (1 - r) * h_t with a random vector r, and tools to see it.

During fine-tuning SALT mixes each token's embedding h_s with the embedding h_t of its code-switched
substitute, with r = {r_j}, r_j in [0, 1], sampled anew at each step for each instance. The paper's layer
and distribution of r are not available to us; this project's assumptions (defaults of `MixupConfig`):
the input token (word-piece) embeddings, r_j ~ Uniform(0, 1) drawn per dimension, per token, per instance.
Beta(alpha, alpha), one scalar per token, and one scalar per instance are offered.

Alignment rule (also an assumption): the mixed sequence keeps the source sentence's pieces. A piece of an
unchanged word pairs with the same piece in the code-switched sentence; for a replaced word with m source
pieces and n substitute pieces, piece i pairs with piece i when m == n, and otherwise every source piece
pairs with the mean of the substitute's n pieces. Special tokens pair with themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from salt_core.errors import InputError
from salt_core.languages import token_languages, vocabulary_entries
from salt_core.models import MaskedLM
from salt_core.text import segment_words

GRANULARITIES = ("dimension", "token", "instance")
DISTRIBUTIONS = ("uniform", "beta")
MAX_SAMPLES = 5000


@dataclass(frozen=True)
class MixupConfig:
    granularity: str = "dimension"  # assumption: one r_j per embedding dimension (SALT's "random vector")
    distribution: str = "uniform"  # assumption: r_j ~ Uniform(0, 1)
    alpha: float = 1.0  # Beta(alpha, alpha) when distribution == "beta"; Beta(1, 1) is uniform

    def validate(self) -> None:
        if self.granularity not in GRANULARITIES:
            raise InputError(f"granularity must be one of {GRANULARITIES}, not {self.granularity!r}.")
        if self.distribution not in DISTRIBUTIONS:
            raise InputError(f"distribution must be one of {DISTRIBUTIONS}, not {self.distribution!r}.")
        if self.distribution == "beta" and not self.alpha > 0:
            raise InputError(f"Beta(alpha, alpha) needs alpha > 0; got {self.alpha}.")


def sample_r(shape: tuple[int, int, int], cfg: MixupConfig, generator: torch.Generator | None = None,
             dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu") -> torch.Tensor:
    """r for embeddings of `shape` = (batch, seq, hidden), broadcastable to it.

    granularity "dimension" -> (batch, seq, hidden); "token" -> (batch, seq, 1); "instance" -> (batch, 1, 1).
    Drawn in float32 on the CPU generator (reproducible everywhere), then moved to dtype and device.
    """
    cfg.validate()
    batch, seq, hidden = shape
    r_shape = {"dimension": (batch, seq, hidden), "token": (batch, seq, 1), "instance": (batch, 1, 1)}[cfg.granularity]
    if cfg.distribution == "uniform":
        r = torch.rand(r_shape, generator=generator)
    else:  # Beta(a, a) as X / (X + Y) with X, Y ~ Gamma(a): torch's Beta has no generator argument
        a = torch.full(r_shape, float(cfg.alpha))
        x, y = torch._standard_gamma(a, generator=generator), torch._standard_gamma(a, generator=generator)
        r = x / (x + y)
    return r.to(dtype=dtype, device=device)


def mix(h_s: torch.Tensor, h_t: torch.Tensor, r: torch.Tensor | float) -> torch.Tensor:
    """h = r * h_s + (1 - r) * h_t, elementwise with broadcasting: r = 1 gives h_s, r = 0 gives h_t.

    h_s and h_t have the same shape (..., hidden); r is a float or any tensor that broadcasts to it
    (per dimension: same shape; per token: (..., 1); per instance: (batch, 1, 1)).
    """
    if h_s.shape != h_t.shape:
        raise InputError(f"h_s and h_t must have the same shape, got {tuple(h_s.shape)} and {tuple(h_t.shape)}.")
    return r * h_s + (1 - r) * h_t


# ----------------------------------------------------------------------------- alignment


@dataclass
class Alignment:
    """Source pieces and, for each, the code-switched pieces whose mean embedding is its h_t."""

    source_ids: list[int]  # with special tokens
    target_ids: list[int]  # with special tokens
    pairs: list[list[int]]  # pairs[i]: positions in target_ids paired with source position i
    source_words: list[tuple[int, int, str]]  # (first position, last position + 1, word) of each source word
    replaced: list[bool]  # per source word: was it replaced?

    def matrix(self) -> torch.Tensor:
        """(len(source_ids), len(target_ids)) averaging matrix: h_t = A @ E[target_ids]."""
        a = torch.zeros(len(self.source_ids), len(self.target_ids))
        for i, positions in enumerate(self.pairs):
            a[i, positions] = 1.0 / len(positions)
        return a


def replacements_from_sentences(source: str, codeswitched: str) -> list[tuple[int, int, int, int]]:
    """Spans (start, end, new_start, new_end) of the words that differ between two typed sentences.

    The code-switched sentence must replace words one for one: the same number of words, in order.
    """
    if not source.strip() or not codeswitched.strip():
        raise InputError("Type both sentences: the source and its code-switched version.")
    a, b = segment_words(source), segment_words(codeswitched)
    if len(a) != len(b):
        raise InputError(f"The sentences do not align: {len(a)} words and punctuation marks in the source, "
                         f"{len(b)} in the code-switched one. A code-switched sentence replaces words one for one.")
    return [(x.start, x.end, y.start, y.end) for x, y in zip(a, b) if x.text != y.text]


def _pieces(tokenizer, text: str):
    enc = tokenizer(text, return_offsets_mapping=True, split_special_tokens=True)
    return enc["input_ids"], enc["offset_mapping"]


def _overlapping(offsets, start: int, end: int) -> list[int]:
    return [p for p, (s, e) in enumerate(offsets) if s < e and s < end and start < e]


def align(tokenizer, source: str, codeswitched: str, spans: list[tuple[int, int, int, int]] | None = None) -> Alignment:
    """Align a source sentence with its code-switched version (see the module docstring for the rule).

    `spans` are the replacements' (start, end, new_start, new_end); None derives them from the words.
    """
    spans = replacements_from_sentences(source, codeswitched) if spans is None else sorted(spans)
    s_ids, s_off = _pieces(tokenizer, source)
    t_ids, t_off = _pieces(tokenizer, codeswitched)

    def to_target(pos: int) -> int:  # character position in source -> in code-switched, outside replacements
        shift = 0
        for _start, end, _new_start, new_end in spans:
            if pos >= end:
                shift = new_end - end
        return pos + shift

    pairs: list[list[int]] = [[] for _ in s_ids]
    specials = set(tokenizer.all_special_ids)
    special = [p for p, token_id in enumerate(s_ids) if token_id in specials]
    t_special = [p for p, token_id in enumerate(t_ids) if token_id in specials]
    for i, j in zip(special, t_special):  # [CLS] with [CLS], [SEP] with [SEP]
        pairs[i] = [j]
    words, replaced = [], []
    for word in segment_words(source):
        mine = _overlapping(s_off, word.start, word.end)
        if not mine:
            continue
        span = next((sp for sp in spans if sp[0] <= word.start and word.end <= sp[1]), None)
        theirs = _overlapping(t_off, span[2], span[3]) if span else \
            _overlapping(t_off, to_target(word.start), to_target(word.end))
        if not theirs:
            raise InputError(f"'{word.text}' has no counterpart in the code-switched sentence.")
        for k, p in enumerate(mine):
            pairs[p] = [theirs[k]] if len(mine) == len(theirs) else list(theirs)
        words.append((mine[0], mine[-1] + 1, word.text))
        replaced.append(span is not None)
    for i, found in enumerate(pairs):  # a bare "▁" or a piece no word claimed: its own position if it exists
        if not found:
            pairs[i] = [min(i, len(t_ids) - 1)]
    return Alignment(s_ids, t_ids, pairs, words, replaced)


# ----------------------------------------------------------------------------- training-time component


class EmbeddingMixup(torch.nn.Module):
    """Wrap a Hugging Face model so that, in training mode, its input token embeddings are mixed.

    forward(input_ids, attention_mask, mix_target_ids, mix_alignment, **rest): h_s = E[input_ids],
    h_t = mix_alignment @ E[mix_target_ids] (batch, seq_s, seq_t) @ (batch, seq_t, hidden), a fresh r is
    drawn on every call, and the model runs on inputs_embeds = mix(h_s, h_t, r). In eval mode the mixup
    inputs are ignored and the model runs on input_ids exactly as unwrapped. Works in a plain PyTorch
    loop or a `Trainer` whose data collator produces these keys (see `collate_pairs`).
    """

    def __init__(self, model: torch.nn.Module, cfg: MixupConfig | None = None, seed: int | None = None):
        super().__init__()
        self.model, self.cfg = model, cfg or MixupConfig()
        self.cfg.validate()
        self.generator = torch.Generator()
        if seed is not None:
            self.generator.manual_seed(seed)
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


# ----------------------------------------------------------------------------- helpers for the page


def check_fits(mlm: MaskedLM, alignment: Alignment) -> None:
    """A pair the model cannot read in one pass gets a message that says so (the encoder has a fixed number of
    positions; beyond it the page used to fail with a generic error)."""
    longest = max(len(alignment.source_ids), len(alignment.target_ids))
    if longest > mlm.max_length:
        raise InputError(f"These sentences are {longest:,} pieces long; {mlm.label} reads at most "
                         f"{mlm.max_length:,} (special tokens included). Shorten them to a sentence or two.")


def _most_similar(mlm: MaskedLM, table: torch.Tensor, vectors: torch.Tensor, k: int):
    """topk (values, indices) of cosine similarity between vectors and the rows of table, specials excluded."""
    sims = torch.nn.functional.normalize(vectors.detach().float(), dim=-1) @ torch.nn.functional.normalize(table, dim=-1).T
    sims[:, torch.tensor(mlm.tokenizer.all_special_ids, dtype=torch.long)] = -2.0  # never propose [CLS], [MASK], ...
    return torch.topk(sims, k, dim=-1)


def vocabulary_table(mlm: MaskedLM) -> torch.Tensor:
    """The input embeddings of the tokenizer's entries: (len(tokenizer), hidden). A model may carry more rows
    than its tokenizer has entries (multilingual-e5-small: 250,037 rows, 250,002 pieces); those rows name no
    token and are never a neighbour."""
    weight = mlm.model.get_input_embeddings().weight.detach().float().cpu()
    return weight[:len(mlm.tokenizer)]


def _token_label(mlm: MaskedLM, token_id: int) -> str:
    return vocabulary_entries(mlm.tokenizer)[token_id].surface or mlm.tokenizer.convert_ids_to_tokens(token_id)


def nearest_tokens(mlm: MaskedLM, vectors: torch.Tensor, k: int = 8) -> list[pd.DataFrame]:
    """For each vector, the k vocabulary tokens whose input embedding is most cosine-similar."""
    table = vocabulary_table(mlm)
    top = _most_similar(mlm, table, vectors.cpu(), k)
    owners = token_languages(mlm.tokenizer)
    return [pd.DataFrame({"token": [_token_label(mlm, int(t)) for t in ids],
                          "cosine": [float(v) for v in values],
                          "language": [owners.get(int(t), "—") for t in ids]})
            for values, ids in zip(top.values, top.indices)]


@dataclass
class Projection:
    """A 2-D PCA fitted once on a fixed reference set, so points stay put while r changes."""

    mean: np.ndarray  # (hidden,)
    components: np.ndarray  # (2, hidden)

    @classmethod
    def fit(cls, reference: np.ndarray) -> Projection:
        mean = reference.mean(axis=0)
        _, _, vt = np.linalg.svd(reference - mean, full_matrices=False)
        return cls(mean, vt[:2])

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        return (np.asarray(vectors) - self.mean) @ self.components.T  # (n, 2)


def cosine_curve(h_s: torch.Tensor, h_t: torch.Tensor, rs) -> pd.DataFrame:
    """Cosine similarity of the scalar mix to h_s and to h_t, for each r."""
    rows = []
    for r in rs:
        m = mix(h_s, h_t, float(r))
        rows.append({"r": float(r), "cos_to_source": float(torch.cosine_similarity(m, h_s, dim=0)),
                     "cos_to_target": float(torch.cosine_similarity(m, h_t, dim=0))})
    return pd.DataFrame(rows)


def predictions_under_mix(mlm: MaskedLM, alignment: Alignment, word: int, masked_word: int, rs,
                          k: int = 5) -> pd.DataFrame:
    """Mask source word `masked_word`, mix the embeddings of word `word` with its substitute, and record the
    masked LM's top-k predictions at the mask for each scalar r in `rs`."""
    if word == masked_word:
        raise InputError("Mask a different word from the one being mixed.")
    start, end, _ = alignment.source_words[masked_word]
    ids = alignment.source_ids[:start] + [mlm.tokenizer.mask_token_id] + alignment.source_ids[end:]
    keep = list(range(start)) + [None] + list(range(end, len(alignment.source_ids)))  # new pos -> old pos
    embed = mlm.model.get_input_embeddings()
    with torch.inference_mode():
        h = embed(torch.tensor([ids], device=mlm.device))[0]  # (seq, hidden)
        target = alignment.matrix().to(mlm.device) @ embed(torch.tensor(alignment.target_ids, device=mlm.device))
        w_start, w_end, _ = alignment.source_words[word]
        mixed_positions = [new for new, old in enumerate(keep) if old is not None and w_start <= old < w_end]
        mask_at = keep.index(None)
        rows = []
        for r in rs:
            inputs = h.clone()
            for new in mixed_positions:
                inputs[new] = mix(h[new], target[keep[new]], float(r))
            logits = mlm.model(inputs_embeds=inputs[None]).logits[0, mask_at]
            probs = torch.softmax(logits.float(), dim=-1)
            top = torch.topk(probs, k)
            for rank, (p, t) in enumerate(zip(top.values, top.indices), start=1):
                rows.append({"r": float(r), "rank": rank, "prediction": mlm.tokenizer.convert_ids_to_tokens(int(t)),
                             "probability": float(p)})
    return pd.DataFrame(rows)


@dataclass
class WordMixView:
    """Everything the Mixup page draws for one word of a pair (see `explore_word`)."""

    source_word: str
    target_word: str
    reference: pd.DataFrame  # x, y, label, role: the fixed set the projection was fitted on
    cloud: np.ndarray  # (n_samples, 2) mixes with random vector r
    path: np.ndarray  # (len(R_GRID), 2) scalar mixes
    current: np.ndarray  # (1, 2) the mix at the chosen scalar r
    r_values: np.ndarray  # sampled r_j, flattened (at most 100,000 shown)
    samples: pd.DataFrame  # per sampled vector: mean_r, cos_to_source, cos_to_target
    curve: pd.DataFrame  # cosine_curve over R_GRID
    nearest_now: pd.DataFrame  # nearest tokens of the mix at the chosen r (layer 0 only)
    nearest_along: pd.DataFrame  # r, rank, token, cosine, language for r in R_STEPS (layer 0 only)


R_GRID = np.linspace(0, 1, 21)
R_STEPS = (0.0, 0.25, 0.5, 0.75, 1.0)


def _target_label(mlm: MaskedLM, alignment: Alignment, targets: list[int]) -> str:
    return mlm.tokenizer.convert_tokens_to_string(mlm.tokenizer.convert_ids_to_tokens(
        [alignment.target_ids[t] for t in targets])).strip()


def _neighbours(mlm: MaskedLM, table: torch.Tensor, vectors: torch.Tensor, k: int) -> tuple[list[str], torch.Tensor]:
    """Labels and embeddings of the k nearest vocabulary tokens of each vector (without repeats)."""
    ids = list(dict.fromkeys(int(t) for row in _most_similar(mlm, table, vectors, k + 1).indices for t in row))
    return [_token_label(mlm, t) for t in ids], table[ids]


def layer_states(mlm: MaskedLM, ids: list[int], layer: int) -> torch.Tensor:
    """(seq, hidden) representations of a sequence: layer 0 = input token embeddings (no positions),
    layer k = output of encoder layer k, in context."""
    embeddings = mlm.model.get_input_embeddings()
    with torch.inference_mode():
        tensor = torch.tensor([ids], device=mlm.device)
        if layer == 0:
            return embeddings(tensor)[0].float().cpu()
        out = mlm.model.base_model(input_ids=tensor, output_hidden_states=True)
        return out.hidden_states[layer][0].float().cpu()


def _reference_set(mlm: MaskedLM, alignment: Alignment, states: tuple[torch.Tensor, torch.Tensor], h_s, h_t,
                   layer: int, k: int):
    """Fixed points the projection is fitted on: nearest vocabulary tokens (layer 0), or every token of both
    sentences at that layer (contextual states have no vocabulary to compare with). `states` are the
    source's and the code-switched sentence's layer states, already computed."""
    if layer == 0:
        return _neighbours(mlm, vocabulary_table(mlm), torch.stack([h_s, h_t]), k)
    specials = set(mlm.tokenizer.all_special_ids)
    labels, vectors = [], []
    for ids, sentence_states in zip((alignment.source_ids, alignment.target_ids), states):
        for position, token_id in enumerate(ids):
            if token_id not in specials:
                labels.append(mlm.tokenizer.convert_ids_to_tokens(token_id))
                vectors.append(sentence_states[position])
    return labels, torch.stack(vectors)


def explore_word(mlm: MaskedLM, alignment: Alignment, word: int, cfg: MixupConfig, seed: int, n_samples: int,
                 r: float, k: int = 8, layer: int = 0) -> WordMixView:
    """Mix the first piece of source word `word` with its aligned substitute vector, many ways.

    layer 0 (the default) mixes input token embeddings; layer k mixes the outputs of encoder layer k, where
    nearest vocabulary tokens do not apply (their tables are empty). The projection is fitted on h_s, h_t
    and a fixed reference set only, so it does not move when r, the sampler or the seed change.
    """
    cfg.validate()
    if not 1 <= n_samples <= MAX_SAMPLES:
        raise InputError(f"Choose between 1 and {MAX_SAMPLES:,} samples of r (got {n_samples:,}).")
    if not 0 <= word < len(alignment.source_words):
        raise InputError(f"Word {word} is out of range: the source sentence has {len(alignment.source_words)} "
                         "words and punctuation marks (counting from 0).")
    if not 0.0 <= r <= 1.0:
        raise InputError("r must be between 0 and 1.")
    n_layers = int(getattr(mlm.model.config, "num_hidden_layers", 0))
    if not 0 <= layer <= n_layers:
        raise InputError(f"Layer {layer} does not exist: choose 0 (input embeddings) to {n_layers}.")
    position = alignment.source_words[word][0]
    targets = alignment.pairs[position]
    states = layer_states(mlm, alignment.source_ids, layer), layer_states(mlm, alignment.target_ids, layer)
    h_s = states[0][position]  # (hidden,)
    h_t = states[1][targets].mean(dim=0)  # (hidden,)
    labels, neighbour_vectors = _reference_set(mlm, alignment, states, h_s, h_t, layer, k)
    fixed = torch.cat([h_s[None], h_t[None], neighbour_vectors]).numpy()
    projection = Projection.fit(fixed)
    points = projection(fixed)
    target_word = _target_label(mlm, alignment, targets)
    source_word, piece = alignment.source_words[word][2], vocabulary_entries(mlm.tokenizer)[
        alignment.source_ids[position]].surface
    # Short labels on the figure (a long one is cut at the plot's edge); the details go to the hover.
    source_label = source_word if piece == source_word else f"{source_word} (first piece '{piece}')"
    target_label = target_word if len(targets) == 1 else f"{target_word} (mean of {len(targets)} pieces)"
    reference = pd.DataFrame({"x": points[:, 0], "y": points[:, 1],
                              "label": [f"h_s: {source_word}", f"h_t: {target_word}"] + labels,
                              "hover": [f"h_s: {source_label}", f"h_t: {target_label}"] + labels,
                              "role": ["source", "target"] + ["neighbour"] * len(labels)})
    r_samples = sample_r((n_samples, 1, h_s.shape[0]), cfg, torch.Generator().manual_seed(seed))[:, 0, :]
    mixes = mix(h_s.expand(n_samples, -1), h_t.expand(n_samples, -1), r_samples)  # (n, hidden)
    samples = pd.DataFrame({"mean_r": r_samples.mean(dim=-1).numpy(),
                            "cos_to_source": torch.cosine_similarity(mixes, h_s[None], dim=-1).numpy(),
                            "cos_to_target": torch.cosine_similarity(mixes, h_t[None], dim=-1).numpy()})
    current = mix(h_s, h_t, float(r))[None]  # (1, hidden)
    if layer == 0:
        along = nearest_tokens(mlm, torch.stack([mix(h_s, h_t, float(x)) for x in R_STEPS]), 3)
        nearest_now = nearest_tokens(mlm, current, k)[0]
    else:  # contextual states live in no vocabulary's space
        along = [pd.DataFrame(columns=["token", "cosine", "language"]) for _ in R_STEPS]
        nearest_now = pd.DataFrame(columns=["token", "cosine", "language"])
    return WordMixView(
        source_word=source_label, target_word=target_label, reference=reference,
        cloud=projection(mixes.numpy()),
        path=projection(torch.stack([mix(h_s, h_t, float(x)) for x in R_GRID]).numpy()),
        current=projection(current.numpy()), r_values=r_samples.flatten()[:100_000].numpy(), samples=samples,
        curve=cosine_curve(h_s, h_t, R_GRID), nearest_now=nearest_now,
        nearest_along=pd.concat([t.assign(r=x, rank=range(1, len(t) + 1)) for x, t in zip(R_STEPS, along)],
                                ignore_index=True))
