"""What the Mixup page shows of one mixed word: neighbours, a fixed projection, cosines, predictions under a mix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from salt_core.errors import InputError
from salt_core.languages import token_languages, vocabulary_entries
from salt_core.mixup.alignment import Alignment
from salt_core.mixup.mixing import MAX_SAMPLES, MixupConfig, mix, sample_r
from salt_core.models.loading import MaskedLM


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


CONTINUATION = "##"  # shown before a piece that continues a word, so "cat" (a word) and "##cat" (inside one) differ


def _token_label(mlm: MaskedLM, token_id: int) -> str:
    entry = vocabulary_entries(mlm.tokenizer)[token_id]
    if not entry.surface:
        return mlm.tokenizer.convert_ids_to_tokens(token_id)
    return entry.surface if entry.initial else CONTINUATION + entry.surface


def nearest_tokens(mlm: MaskedLM, vectors: torch.Tensor, k: int = 8) -> list[pd.DataFrame]:
    """For each vector, the k vocabulary tokens whose input embedding is most cosine-similar."""
    table = vocabulary_table(mlm)
    top = _most_similar(mlm, table, vectors.cpu(), k)
    owners = token_languages(mlm.tokenizer)
    entries = vocabulary_entries(mlm.tokenizer)
    return [pd.DataFrame({"token": [_token_label(mlm, int(t)) for t in ids],
                          "piece": ["word start" if entries[int(t)].initial else "inside a word" for t in ids],
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
        along = [pd.DataFrame(columns=["token", "piece", "cosine", "language"]) for _ in R_STEPS]
        nearest_now = pd.DataFrame(columns=["token", "piece", "cosine", "language"])
    return WordMixView(
        source_word=source_label, target_word=target_label, reference=reference,
        cloud=projection(mixes.numpy()),
        path=projection(torch.stack([mix(h_s, h_t, float(x)) for x in R_GRID]).numpy()),
        current=projection(current.numpy()), r_values=r_samples.flatten()[:100_000].numpy(), samples=samples,
        curve=cosine_curve(h_s, h_t, R_GRID), nearest_now=nearest_now,
        nearest_along=pd.concat([t.assign(r=x, rank=range(1, len(t) + 1)) for x, t in zip(R_STEPS, along)],
                                ignore_index=True))
