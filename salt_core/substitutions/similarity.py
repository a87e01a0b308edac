"""A second miner: embedding similarity. Dictionary-free, needs no masked-LM head — and it is *not* SALT's method.

SALT asks a masked LM what fits in a word's place. This baseline, in the spirit of SimAlign-style aligners and
MUSE-style lexicon induction, asks which target-language vocabulary entry *looks most like* the word under the
same encoder:

1. the word's vector: the mean of its pieces' hidden states at layer `layer`, read in its sentence
   (contextual) and alone between `<s>`/`</s>` (isolated); the two, each centred and normalised, are mixed
   `alpha * context + (1 - alpha) * isolated`;
2. each word-initial vocabulary entry of the target language (`salt_core.languages`) gets its isolated vector
   the same way (cached per tokenizer, language and layer);
3. every vector is centred on its language's mean vector (this removes most of the "which language" direction
   that otherwise dominates cosine similarity across languages) and L2-normalised;
4. `similarity` is the cosine between the word and the entry. The `RERANK` most similar entries are ranked by
   CSLS (Conneau et al. 2018, the hubness correction of MUSE): `csls = 2 cos - r_T(word) - r_S(entry)`, where
   r_T is the word's mean cosine to its `HUB_K` nearest target entries and r_S the entry's mean cosine to its
   `HUB_K` nearest source-language entries; an entry close to everything (a hub) loses its advantage;
5. entries that differ only in case ("Aqua", "aqua") are one candidate (the more similar one is kept);
6. `p_restricted` is a *calibrated confidence* that the candidate is a translation, not a softmax: the CSLS
   margin of the candidate over the best other candidate (for the best one: over the second) through a logistic
   curve, `sigmoid(scale * margin + bias)`. `scale` and `bias` were fitted by
   `benchmarks/bench_substitution_quality.py --calibrate` on held-out dictionary pairs (English words 301-700
   of the benchmark's frequency list, disjoint from the 300 it reports on) for de, fr, es and zh. A cosine says how alike
   two vectors are; the margin says how much better the best candidate is than the next, which is what a
   threshold on "is this the translation" needs. So the miner's default threshold is `DEFAULT_THRESHOLD` (0.5:
   more likely right than wrong on the held-out pairs), not the masked-LM miner's 0.3. `p_full` and `lang_mass`
   do not exist for this miner (NaN): there is no full-vocabulary prediction.

The defaults (layer, alpha, the calibration) were chosen by `benchmarks/bench_substitution_quality.py` on the
offline multilingual-e5-small; they are this project's assumptions, and another encoder needs its own calibration
(the same command with `--model`).
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import torch

from salt_core.errors import InputError
from salt_core.languages import DEFAULT_STRICTNESS, language_vocabulary, tokenizer_fingerprint
from salt_core.models.loading import MaskedLM
from salt_core.substitutions.codeswitching import SIMILARITY_THRESHOLD
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
SIMILARITY_COLUMNS = [*COLUMNS, "miner", "similarity", "csls"]


RERANK = 20  # cosine neighbours re-ranked by CSLS (measured: 20 and 50 give the same best candidates)
HUB_K = 10  # neighbours whose mean cosine measures an entry's hubness (MUSE's k)
DEFAULT_THRESHOLD = SIMILARITY_THRESHOLD  # calibrated confidence: more likely right than wrong on held-out pairs


@dataclass(frozen=True)
class SimilaritySettings:
    layer: int | None = None  # hidden layer read (0 = embeddings); None: a quarter of the depth (3 of 12)
    alpha: float = 0.5  # weight of the word-in-context vector against the word alone
    scale: float = 1.69  # calibration: p_restricted = sigmoid(scale * CSLS margin + bias), fitted on held-out pairs
    bias: float = -0.28
    batch_size: int = 512  # vocabulary entries or sentences per forward pass

    def validate(self, mlm: MaskedLM) -> int:
        layers = int(getattr(mlm.model.config, "num_hidden_layers", 0))
        layer = max(1, layers // 4) if self.layer is None else int(self.layer)
        if not 0 <= layer <= layers:
            raise InputError(f"Layer {self.layer} does not exist: this model has layers 0 to {layers}.")
        if not 0.0 <= self.alpha <= 1.0:
            raise InputError("alpha (weight of the context) must be between 0 and 1.")
        if not self.scale > 0:
            raise InputError("The calibration scale must be positive.")
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


def _isolated(mlm: MaskedLM, pieces: list[list[int]], layer: int, batch_size: int,
              progress: Callable[[int, int], None] | None = None) -> torch.Tensor:
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
        if progress:
            progress(min(begin + batch_size, len(order)), len(order))
    return result if result is not None else torch.empty((0, 0))


@dataclass(frozen=True)
class TargetTable:
    token_ids: tuple[int, ...]
    vectors: torch.Tensor  # (n, hidden), centred and L2-normalised
    mean: torch.Tensor  # the language's mean isolated vector (before centring)
    hubness: dict = field(default_factory=dict, compare=False, repr=False)  # source table id -> r_S (NaN: not yet)

    def hubness_to(self, source: TargetTable, rows: torch.Tensor) -> torch.Tensor:
        """r_S of the entries at `rows`: each one's mean cosine to its HUB_K nearest `source` entries. Computed
        for an entry the first time it is a candidate, then kept (a whole table at once would be a 40k x 60k
        product)."""
        known = self.hubness.setdefault(id(source), torch.full((len(self.token_ids),), float("nan")))
        flat = rows.reshape(-1)
        missing = torch.unique(flat[torch.isnan(known[flat])])
        for begin in range(0, len(missing), 2048):
            chunk = missing[begin:begin + 2048]
            k = min(HUB_K, source.vectors.shape[0])
            known[chunk] = torch.topk(self.vectors[chunk] @ source.vectors.T, k, dim=-1).values.mean(dim=-1)
        return known[flat].reshape(rows.shape)


# model -> {(tokenizer fingerprint, language, layer, strictness): table}; a model that is gone takes its tables
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _table_key(mlm: MaskedLM, code: str, layer: int, strictness: str) -> tuple:
    return tokenizer_fingerprint(mlm.tokenizer), code, layer, strictness


def has_target_table(mlm: MaskedLM, code: str, layer: int, strictness: str = DEFAULT_STRICTNESS) -> bool:
    """Whether a language's vocabulary vectors are already computed (the first use takes seconds: a page shows
    a progress bar for it)."""
    return _table_key(mlm, code, layer, strictness) in _TABLES.get(mlm.model, {})


def target_table(mlm: MaskedLM, code: str, layer: int, batch_size: int = 512,
                 strictness: str = DEFAULT_STRICTNESS,
                 progress: Callable[[int, int], None] | None = None) -> TargetTable:
    """Isolated vectors of every word-initial entry of a language (cached per model, language, layer and
    strictness). `progress(done, total)` hears about each batch of entries on the first use."""
    tables = _TABLES.setdefault(mlm.model, {})
    key = _table_key(mlm, code, layer, strictness)
    if key not in tables:
        shared = target_table(mlm, code, layer, batch_size, progress=progress) \
            if strictness != DEFAULT_STRICTNESS else None
        ids = language_vocabulary(mlm.tokenizer, code, strictness).initial_ids
        if shared is not None:  # a subset of the default table: no forward pass needed
            position = {token_id: row for row, token_id in enumerate(shared.token_ids)}
            rows = torch.tensor([position[i] for i in ids])
            tables[key] = TargetTable(tuple(ids), shared.vectors[rows], shared.mean)
            return tables[key]
        with torch.inference_mode():
            raw = _isolated(mlm, [[i] for i in ids], layer, batch_size, progress)
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
    records, similarities, hub_scores = [], [], []
    with torch.inference_mode():
        source = target_table(mlm, source_language.code, layer, settings.batch_size)
        chunk_size = 256
        for begin in range(0, len(items), chunk_size):
            batch = items[begin:begin + chunk_size]
            words = word_vectors(mlm, batch, source.mean, layer, settings)
            for restriction in restrictions:
                table = target_table(mlm, restriction.vocab.language.code, layer, settings.batch_size, strictness)
                sim = words @ table.vectors.T  # (batch, n_lang)
                exclude_own_word(sim, restriction, batch)
                cos, rows = torch.topk(sim, min(max(RERANK, top_k * 3), sim.shape[1]), dim=-1)
                r_t = _hub_mean(sim, min(HUB_K, sim.shape[1]))
                csls = 2 * cos - r_t[:, None] - table.hubness_to(source, rows)
                for row, item in enumerate(batch):
                    kept = _distinct(table, surfaces, rows[row], cos[row], csls[row], top_k + 1)  # +1: a rival
                    scores = [score for _, _, score, _ in kept]
                    for rank, (surface, token_id, score, cosine) in enumerate(kept[:top_k], start=1):
                        rival = max(scores[1:], default=None) if rank == 1 else scores[0]
                        confidence = _confidence(score - rival if rival is not None else None, settings)
                        records.append((item, restriction.kind, restriction.vocab.language.code, rank, surface,
                                        token_id, confidence, float("nan"), float("nan")))
                        similarities.append(cosine)
                        hub_scores.append(score)
            if progress:
                progress(min(begin + chunk_size, len(items)), len(items))
    frame = _to_frame(records, sentences, sentence_ids, report, mlm,
                      extra={"similarity": similarities, "csls": hub_scores})
    frame.insert(len(frame.columns) - 2, "miner", "similarity")
    frame.attrs["settings"] = {"layer": layer, "alpha": settings.alpha, "scale": settings.scale,
                               "bias": settings.bias}
    return frame


def _hub_mean(sim: torch.Tensor, k: int) -> torch.Tensor:
    """r_T: each word's mean cosine to its k nearest target entries (an excluded entry, -inf, is not one)."""
    top = torch.topk(sim, k, dim=-1).values
    finite = torch.isfinite(top)
    return torch.where(finite, top, 0).sum(dim=-1) / finite.sum(dim=-1).clamp(min=1)


def _distinct(table: TargetTable, surfaces: dict, rows: torch.Tensor, cos: torch.Tensor, csls: torch.Tensor,
              top_k: int) -> list[tuple[str, int, float, float]]:
    """The top_k candidates by CSLS, one per case-insensitive surface (the better-scored one kept)."""
    seen, kept = set(), []
    for column in torch.argsort(csls, descending=True).tolist():
        if not torch.isfinite(cos[column]):
            continue
        token_id = table.token_ids[int(rows[column])]
        surface = surfaces[token_id]
        if surface.lower() in seen:
            continue
        seen.add(surface.lower())
        kept.append((surface, token_id, float(csls[column]), float(cos[column])))
        if len(kept) == top_k:
            break
    return kept


def _confidence(margin: float | None, settings: SimilaritySettings) -> float:
    """The calibrated confidence of a candidate from its CSLS margin over the best other candidate (None: the
    language has no other candidate, so nothing says how sure the match is: the margin counts as 0)."""
    return float(1 / (1 + math.exp(-(settings.scale * (margin or 0.0) + settings.bias))))


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
