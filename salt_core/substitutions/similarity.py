"""A second miner: embedding similarity. Dictionary-free, needs no masked-LM head — and it is *not* SALT's method.

SALT asks a masked LM what fits in a word's place. This baseline, in the spirit of SimAlign-style aligners, asks
which target-language vocabulary entry *looks most like* the word under the same encoder:

1. the word's vector: the mean of its pieces' hidden states at layer `layer`, read in its sentence
   (contextual) and alone between `<s>`/`</s>` (isolated); the two, each centred and normalised, are mixed
   `alpha * context + (1 - alpha) * isolated`;
2. each word-initial vocabulary entry of the target language (`salt_core.languages`) gets its isolated vector
   the same way (cached per tokenizer, language and layer);
3. every vector is centred on its language's mean vector (this removes most of the "which language" direction
   that otherwise dominates cosine similarity across languages) and L2-normalised;
4. `similarity` is the cosine between the word and the entry; `p_restricted` turns the similarities over the
   language's vocabulary into a distribution, softmax(similarity / temperature), so the thresholds and the
   code-switching of the masked-LM miner apply unchanged. `p_full` and `lang_mass` do not exist for this miner
   (NaN): there is no full-vocabulary prediction;
5. entries that differ only in case ("Aqua", "aqua") are one candidate (the more similar one is kept).

The defaults (layer, alpha, temperature) were chosen by `benchmarks/bench_substitution_quality.py` on the
offline multilingual-e5-small; they are this project's assumptions.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import torch

from salt_core.errors import InputError
from salt_core.languages import DEFAULT_STRICTNESS, language_vocabulary, tokenizer_fingerprint
from salt_core.models.loading import MaskedLM
from salt_core.substitutions.mining import (
    COLUMNS,
    DEFAULT_TOP_K,
    MaskedItem,
    MiningReport,
    _restrictions,
    _to_frame,
    exclude_own_word,
    mine_substitutions,
    pad_batch,
    prepare_items,
    special_affixes,
)
from salt_core.text import Eligibility

MINERS = ("mlm", "similarity")
MINER_LABELS = {"mlm": "masked LM (SALT)", "similarity": "embedding similarity (baseline, not SALT)"}
SIMILARITY_COLUMNS = [*COLUMNS, "miner", "similarity"]


@dataclass(frozen=True)
class SimilaritySettings:
    layer: int | None = None  # hidden layer read (0 = embeddings); None: a quarter of the depth (3 of 12)
    alpha: float = 0.5  # weight of the word-in-context vector against the word alone
    temperature: float = 0.02  # similarity -> p_restricted softmax temperature
    batch_size: int = 512  # vocabulary entries or sentences per forward pass

    def validate(self, mlm: MaskedLM) -> int:
        layers = int(getattr(mlm.model.config, "num_hidden_layers", 0))
        layer = max(1, layers // 4) if self.layer is None else int(self.layer)
        if not 0 <= layer <= layers:
            raise InputError(f"Layer {self.layer} does not exist: this model has layers 0 to {layers}.")
        if not 0.0 <= self.alpha <= 1.0:
            raise InputError("alpha (weight of the context) must be between 0 and 1.")
        if not self.temperature > 0:
            raise InputError("The temperature must be positive.")
        if self.batch_size < 1:
            raise InputError("The batch size must be at least 1.")
        return layer


def _encoder(mlm: MaskedLM):
    return getattr(mlm.model, "base_model", mlm.model)


def _states(mlm: MaskedLM, sequences: list[list[int]], layer: int) -> torch.Tensor:
    """Hidden states at `layer` for equally long or padded sequences: (n, longest, hidden)."""
    ids, attention = pad_batch(mlm, sequences)
    encoder = _encoder(mlm)
    inputs = dict(input_ids=ids, attention_mask=attention)
    stop_at = _layer_module(encoder, layer)
    if stop_at is None:
        return encoder(**inputs, output_hidden_states=True).hidden_states[layer].float()
    return _run_until(encoder, stop_at, inputs).float()


class _Reached(Exception):
    """Raised by a forward hook once the wanted layer has run: the layers above it are not computed."""


def _layer_module(encoder, layer: int):
    """The module whose output is hidden state `layer` (embeddings for 0), where the architecture is the usual
    BERT/RoBERTa layout; None otherwise (then every layer runs)."""
    layers = getattr(getattr(encoder, "encoder", None), "layer", None)
    if layer == 0:
        return getattr(encoder, "embeddings", None)
    return layers[layer - 1] if isinstance(layers, torch.nn.ModuleList) and layer <= len(layers) else None


def _run_until(encoder, module, inputs) -> torch.Tensor:
    """Run `encoder` up to `module` only (half the cost for a middle layer). The hook answers only this thread:
    a model shared by several sessions of the app may run forward passes of its own meanwhile."""
    me, caught = threading.get_ident(), {}

    def hook(_module, _args, output):
        if threading.get_ident() == me:
            caught["states"] = output[0] if isinstance(output, tuple) else output
            raise _Reached

    handle = module.register_forward_hook(hook)
    try:
        encoder(**inputs)
    except _Reached:
        pass
    finally:
        handle.remove()
    return caught["states"]


def _isolated(mlm: MaskedLM, pieces: list[list[int]], layer: int, batch_size: int) -> torch.Tensor:
    """Mean hidden state of each piece list read alone between the model's special tokens: (n, hidden)."""
    prefix, suffix = special_affixes(mlm.tokenizer)
    order = sorted(range(len(pieces)), key=lambda i: len(pieces[i]))
    result = None
    for begin in range(0, len(order), batch_size):
        rows = order[begin:begin + batch_size]
        chunk = [pieces[i] for i in rows]
        states = _states(mlm, [prefix + p + suffix for p in chunk], layer)
        lengths = torch.tensor([len(p) for p in chunk])
        span = torch.arange(states.shape[1])[None, :]
        inside = ((span >= len(prefix)) & (span < len(prefix) + lengths[:, None])).float()  # the word's pieces
        means = (states * inside[..., None]).sum(dim=1) / lengths[:, None]
        if result is None:
            result = torch.empty((len(pieces), states.shape[-1]))
        result[torch.tensor(rows)] = means
    return result if result is not None else torch.empty((0, 0))


@dataclass(frozen=True)
class TargetTable:
    token_ids: tuple[int, ...]
    vectors: torch.Tensor  # (n, hidden), centred and L2-normalised
    mean: torch.Tensor  # the language's mean isolated vector (before centring)


# model -> {(tokenizer fingerprint, language, layer, strictness): table}; a model that is gone takes its tables
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def target_table(mlm: MaskedLM, code: str, layer: int, batch_size: int = 512,
                 strictness: str = DEFAULT_STRICTNESS) -> TargetTable:
    """Isolated vectors of every word-initial entry of a language (cached per model, language, layer and
    strictness)."""
    tables = _TABLES.setdefault(mlm.model, {})
    key = (tokenizer_fingerprint(mlm.tokenizer), code, layer, strictness)
    if key not in tables:
        shared = target_table(mlm, code, layer, batch_size) if strictness != DEFAULT_STRICTNESS else None
        ids = language_vocabulary(mlm.tokenizer, code, strictness).initial_ids
        if shared is not None:  # a subset of the default table: no forward pass needed
            position = {token_id: row for row, token_id in enumerate(shared.token_ids)}
            rows = torch.tensor([position[i] for i in ids])
            tables[key] = TargetTable(tuple(ids), shared.vectors[rows], shared.mean)
            return tables[key]
        with torch.inference_mode():
            raw = _isolated(mlm, [[i] for i in ids], layer, batch_size)
        mean = raw.mean(dim=0)
        tables[key] = TargetTable(tuple(ids), torch.nn.functional.normalize(raw - mean, dim=-1), mean)
    return tables[key]


def _contextual(mlm: MaskedLM, items: list[MaskedItem], layer: int, batch_size: int) -> torch.Tensor:
    """Mean hidden state of each item's word in its sentence; one forward pass per distinct input."""
    distinct: dict[tuple[int, ...], int] = {}
    for item in items:
        distinct.setdefault(tuple(item.input_ids), len(distinct))
    inputs = sorted(distinct, key=len)
    states_of: dict[tuple[int, ...], torch.Tensor] = {}
    for begin in range(0, len(inputs), max(1, batch_size // 16)):
        chunk = inputs[begin:begin + max(1, batch_size // 16)]
        states = _states(mlm, [list(c) for c in chunk], layer)
        for row, c in enumerate(chunk):
            states_of[c] = states[row, :len(c)]
    return torch.stack([states_of[tuple(item.input_ids)][item.mask_position:item.mask_position + item.n_pieces]
                        .mean(dim=0) for item in items]) if items else torch.empty(0)


def word_vectors(mlm: MaskedLM, items: list[MaskedItem], mean: torch.Tensor, layer: int,
                 settings: SimilaritySettings) -> torch.Tensor:
    """The mixed, centred, normalised vectors of the items' words (see the module docstring)."""
    normalise = torch.nn.functional.normalize
    pieces = [item.input_ids[item.mask_position:item.mask_position + item.n_pieces] for item in items]
    mixed = torch.zeros((len(items), mean.shape[0]))
    if settings.alpha > 0:
        mixed += settings.alpha * normalise(_contextual(mlm, items, layer, settings.batch_size) - mean, dim=-1)
    if settings.alpha < 1:
        mixed += (1 - settings.alpha) * normalise(_isolated(mlm, pieces, layer, settings.batch_size) - mean, dim=-1)
    return normalise(mixed, dim=-1)


def mine_by_similarity(mlm: MaskedLM, sentences: Sequence[str], source: str = "en", targets: Sequence[str] = ("de",),
                       top_k: int = DEFAULT_TOP_K, *, synonyms: bool = True, eligibility: Eligibility | None = None,
                       settings: SimilaritySettings | None = None, sentence_ids: Sequence | None = None,
                       progress: Callable[[int, int], None] | None = None,
                       strictness: str = DEFAULT_STRICTNESS) -> pd.DataFrame:
    """Candidates by embedding similarity for every eligible word; the masked-LM miner's columns plus `miner`
    ("similarity") and `similarity` (the cosine). Works with any encoder, masked-LM head or not."""
    if isinstance(sentences, str):
        sentences = [sentences]
    if len(sentences) == 0:
        raise InputError("No sentences given: type at least one sentence.")
    if top_k < 1:
        raise InputError("top_k must be at least 1.")
    settings = settings or SimilaritySettings()
    layer = settings.validate(mlm)
    sentence_ids = list(range(len(sentences))) if sentence_ids is None else list(sentence_ids)
    source_language, restrictions, surfaces = _restrictions(mlm, source, targets, synonyms, strictness)
    report = MiningReport()
    items = prepare_items(mlm, sentences, sentence_ids, source_language, eligibility or Eligibility(), report,
                          masked=False)
    records, similarities = [], []
    with torch.inference_mode():
        source_mean = target_table(mlm, source_language.code, layer, settings.batch_size).mean
        chunk_size = 256
        for begin in range(0, len(items), chunk_size):
            batch = items[begin:begin + chunk_size]
            words = word_vectors(mlm, batch, source_mean, layer, settings)
            for restriction in restrictions:
                table = target_table(mlm, restriction.vocab.language.code, layer, settings.batch_size, strictness)
                sim = words @ table.vectors.T  # (batch, n_lang)
                exclude_own_word(sim, restriction, batch)
                p = torch.softmax(sim / settings.temperature, dim=-1)
                # Case variants ("▁Aqua", "▁aqua") get almost the same vector: look deeper, keep the best of each.
                k = min(top_k * 3, sim.shape[1])
                top_p, top_j = torch.topk(p, k, dim=-1)
                for row, item in enumerate(batch):
                    seen: set[str] = set()
                    for column in range(k):
                        j = int(top_j[row, column])
                        token_id = table.token_ids[j]
                        surface = surfaces[token_id]
                        if sim[row, j] == float("-inf") or surface.lower() in seen:
                            continue
                        seen.add(surface.lower())
                        records.append((item, restriction.kind, restriction.vocab.language.code, len(seen),
                                        surface, token_id, float(top_p[row, column]), float("nan"), float("nan")))
                        similarities.append(float(sim[row, j]))
                        if len(seen) == top_k:
                            break
            if progress:
                progress(min(begin + chunk_size, len(items)), len(items))
    frame = _to_frame(records, sentences, sentence_ids, report, mlm, extra={"similarity": similarities})
    frame.insert(len(frame.columns) - 1, "miner", "similarity")
    frame.attrs["settings"] = {"layer": layer, "alpha": settings.alpha, "temperature": settings.temperature}
    return frame


def mine(mlm: MaskedLM, sentences, *, miner: str = "mlm", settings: SimilaritySettings | None = None, **kwargs):
    """Either miner by name, with a `miner` column (and `similarity` for the similarity miner)."""
    if miner not in MINERS:
        raise InputError(f"Unknown miner {miner!r}: choose one of {', '.join(MINERS)}.")
    if miner == "similarity":
        batch_size = kwargs.pop("batch_size", None)
        if settings is None and batch_size:
            settings = SimilaritySettings(batch_size=batch_size)
        return mine_by_similarity(mlm, sentences, settings=settings, **kwargs)
    frame = mine_substitutions(mlm, sentences, **kwargs)
    frame["miner"] = "mlm"
    return frame
