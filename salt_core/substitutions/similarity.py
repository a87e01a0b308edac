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
4. `similarity` is the cosine between the word and the entry. The `RERANK` most similar entries are scored by
   CSLS (Conneau et al. 2018, the hubness correction of MUSE): `csls = 2 cos - r_T(word) - r_S(entry)`, where
   r_T is the word's mean cosine to its `HUB_K` nearest target entries and r_S the entry's mean cosine to its
   `HUB_K` nearest source-language entries; an entry close to everything (a hub) loses its advantage;
5. candidates are ranked by `csls + frequency_weight * zipf`, where `zipf` is the entry's Zipf frequency in
   the target language (wordfreq; 0 for a word wordfreq does not list): a small prior for real, frequent words
   over rare pieces that happen to lie close ("hardt" for *hard*). It applies where both languages have a
   wordfreq list (else `zipf` is NaN and the rank is by CSLS alone). Entries that differ only in case ("Aqua",
   "aqua") are one candidate (the better-scored one is kept);
6. `p_restricted` is a *calibrated confidence* that the candidate is a translation, not a softmax: a logistic
   curve over four features of the candidate (`Calibration`):
   - `margin`: how far its rank score beats the best other candidate's (for the best one: the second's);
   - `copy`: it is the source word itself ("city" offered as German);
   - `gap`: how far its Zipf frequency is from the source word's (a translation is about as frequent as its
     word; only where both languages have wordfreq lists);
   - `reverse`: the reverse check, `cos(word, candidate)` minus the candidate's cosine to its nearest *other*
     source-language entry: positive when the word is the candidate's nearest source word (a mutual nearest
     neighbour), negative when the candidate is closer to some other word (for a synonym, "other" leaves out
     the candidate's own spellings too).
   The weights were fitted by `benchmarks/bench_substitution_quality.py --calibrate` on held-out dictionary
   pairs (English words 301-700 of the benchmark's frequency list, disjoint from the 300 it reports on) for de,
   fr, es and zh pooled; a second set without `gap` (and ranked by CSLS alone) serves languages without a
   wordfreq list (Swahili). A cosine says how alike two vectors are; these features say how clearly this
   candidate, and not another, is the word's counterpart, which is what a threshold on "is this the
   translation" needs. So the miner's default threshold is `DEFAULT_THRESHOLD` (0.5: more likely right than
   wrong on the held-out pairs), not the masked-LM miner's 0.3. `p_full` and `lang_mass` do not exist for this
   miner (NaN): there is no full-vocabulary prediction.

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

import numpy as np
import pandas as pd
import torch

from salt_core.errors import InputError
from salt_core.languages import DEFAULT_STRICTNESS, language_vocabulary, tokenizer_fingerprint, zipf_table
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
SIMILARITY_COLUMNS = [*COLUMNS, "miner", "similarity", "csls", "zipf", "reverse", "margin"]


RERANK = 20  # cosine neighbours re-ranked by CSLS (measured: 20 and 50 give the same best candidates)
HUB_K = 10  # neighbours whose mean cosine measures an entry's hubness (MUSE's k)
DEFAULT_THRESHOLD = SIMILARITY_THRESHOLD  # calibrated confidence: more likely right than wrong on held-out pairs


FEATURES = ("margin", "copy", "gap", "reverse")  # what the calibrated confidence reads (module docstring, 6.)


@dataclass(frozen=True)
class Calibration:
    """p_restricted = sigmoid(bias + margin * m + copy * c + gap * g + reverse * r) over a candidate's features."""

    bias: float
    margin: float
    copy: float = 0.0
    gap: float = 0.0  # 0 for the calibration used without word frequencies
    reverse: float = 0.0

    def confidence(self, features: pd.DataFrame) -> np.ndarray:
        z = self.bias + sum(getattr(self, name) * features[name].to_numpy(dtype=float) for name in FEATURES)
        return 1 / (1 + np.exp(-z))

    def describe(self) -> str:
        terms = "".join(f" {'−' if getattr(self, n) < 0 else '+'} {abs(getattr(self, n)):.2f}·{n}"
                        for n in FEATURES if getattr(self, n))
        return f"sigmoid({'−' if self.bias < 0 else ''}{abs(self.bias):.2f}{terms})"


# Fitted by `bench_substitution_quality.py --calibrate` on held-out pairs (de, fr, es, zh; 1,600 words), for the
# offline multilingual-e5-small at the default layer, alpha and frequency weight.
WITH_FREQUENCIES = Calibration(bias=0.64, margin=1.41, copy=-1.87, gap=-1.60, reverse=3.82)
WITHOUT_FREQUENCIES = Calibration(bias=-0.11, margin=1.04, copy=-1.65, reverse=4.16)


@dataclass(frozen=True)
class SimilaritySettings:
    layer: int | None = None  # hidden layer read (0 = embeddings); None: a quarter of the depth (3 of 12)
    alpha: float = 0.5  # weight of the word-in-context vector against the word alone
    frequency_weight: float = 0.15  # rank = csls + weight * Zipf frequency, where both languages have wordfreq
    frequencies: bool = True  # False: never use word frequencies (rank by CSLS, WITHOUT_FREQUENCIES calibration)
    with_frequencies: Calibration = WITH_FREQUENCIES
    without_frequencies: Calibration = WITHOUT_FREQUENCIES
    batch_size: int = 512  # vocabulary entries or sentences per forward pass

    def validate(self, mlm: MaskedLM) -> int:
        layers = int(getattr(mlm.model.config, "num_hidden_layers", 0))
        layer = max(1, layers // 4) if self.layer is None else int(self.layer)
        if not 0 <= layer <= layers:
            raise InputError(f"Layer {self.layer} does not exist: this model has layers 0 to {layers}.")
        if not 0.0 <= self.alpha <= 1.0:
            raise InputError("alpha (weight of the context) must be between 0 and 1.")
        if not (self.with_frequencies.margin > 0 and self.without_frequencies.margin > 0):
            raise InputError("The calibration must grow with the margin (a positive margin weight).")
        if not self.frequency_weight >= 0:
            raise InputError("The frequency weight must be 0 or more.")
        if self.batch_size < 1:
            raise InputError("The batch size must be at least 1.")
        return layer


def scoring(miner: str) -> str | None:
    """What a mined table's scores depend on besides its inputs, model and options: for the similarity miner its
    rank and calibration (this version's defaults), so a cached or half-finished table made under other ones is
    not reused; None for the masked-LM miner."""
    return repr(SimilaritySettings()) if miner == "similarity" else None


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
    # source table id -> (r_S, the HUB_K nearest source cosines, their rows), filled per entry as it is needed
    near: dict = field(default_factory=dict, compare=False, repr=False)
    cache: dict = field(default_factory=dict, compare=False, repr=False)  # Zipf frequencies, rows by surface

    def neighbours(self, source: TargetTable, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """For the entries at `rows`: r_S (each one's mean cosine to its HUB_K nearest `source` entries, shaped
        like `rows`), and those nearest cosines and source rows (shaped (*rows.shape, HUB_K), nearest first).
        Computed for an entry the first time it is a candidate, then kept (a whole table at once would be a
        40k x 60k product)."""
        k = min(HUB_K, source.vectors.shape[0])
        n = len(self.token_ids)
        hub, values, where = self.near.setdefault(id(source), (torch.full((n,), float("nan")), torch.zeros((n, k)),
                                                               torch.zeros((n, k), dtype=torch.long)))
        flat = rows.reshape(-1)
        missing = torch.unique(flat[torch.isnan(hub[flat])])
        for begin in range(0, len(missing), 2048):
            chunk = missing[begin:begin + 2048]
            top = torch.topk(self.vectors[chunk] @ source.vectors.T, k, dim=-1)
            hub[chunk], values[chunk], where[chunk] = top.values.mean(dim=-1), top.values, top.indices
        return (hub[flat].reshape(rows.shape), values[flat].reshape(*rows.shape, -1),
                where[flat].reshape(*rows.shape, -1))

    def nearest_other(self, source: TargetTable, row: int, excluded: frozenset[int]) -> float:
        """The cosine of entry `row` to its nearest `source` entry outside the rows `excluded` (the word's own
        entries), over the whole source table; NaN when there is none."""
        sims = source.vectors @ self.vectors[row]
        sims[list(excluded)] = float("-inf")
        best = float(sims.max()) if len(sims) else float("-inf")
        return best if best > float("-inf") else float("nan")

    def rows_of(self, surfaces, word: str) -> frozenset[int]:
        """The rows of the entries that spell `word` (any case)."""
        if "rows" not in self.cache:
            by_surface: dict[str, set[int]] = {}
            for row, token_id in enumerate(self.token_ids):
                by_surface.setdefault(surfaces[token_id].lower(), set()).add(row)
            self.cache["rows"] = {w: frozenset(r) for w, r in by_surface.items()}
        return self.cache["rows"].get(word.lower(), frozenset())

    def zipf(self, code: str, surfaces) -> torch.Tensor | None:
        """Each entry's Zipf frequency in language `code` (0 for a word wordfreq does not list); None when
        wordfreq has no list for the language."""
        if "zipf" not in self.cache:
            table = zipf_table(code)
            self.cache["zipf"] = None if table is None else torch.tensor(
                [table.get(surfaces[token_id].lower(), 0.0) for token_id in self.token_ids])
        return self.cache["zipf"]


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
    if key in tables:
        return tables[key]
    with _TABLE_LOCK:  # two sessions on a new machine compute a language's vectors once, not side by side
        return _compute_table(mlm, tables, key, code, layer, batch_size, strictness, progress)


_TABLE_LOCK = threading.RLock()


def _compute_table(mlm: MaskedLM, tables: dict, key, code: str, layer: int, batch_size: int, strictness: str,
                   progress: Callable[[int, int], None] | None) -> TargetTable:
    """target_table's first computation, under _TABLE_LOCK."""
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
    records, extra = [], {name: [] for name in ("similarity", "csls", "zipf", "reverse", "margin")}
    use_frequencies = settings.frequencies and zipf_table(source_language.code) is not None  # target: per table
    with torch.inference_mode():
        source = target_table(mlm, source_language.code, layer, settings.batch_size)
        chunk_size = 256
        for begin in range(0, len(items), chunk_size):
            batch = items[begin:begin + chunk_size]
            words = word_vectors(mlm, batch, source.mean, layer, settings)
            for restriction in restrictions:
                code = restriction.vocab.language.code
                table = target_table(mlm, code, layer, settings.batch_size, strictness)
                zipf = table.zipf(code, surfaces) if use_frequencies else None
                sim = words @ table.vectors.T  # (batch, n_lang)
                exclude_own_word(sim, restriction, batch)
                cos, rows = torch.topk(sim, min(max(RERANK, top_k * 3), sim.shape[1]), dim=-1)
                r_t = _hub_mean(sim, min(HUB_K, sim.shape[1]))
                r_s, near_values, near_rows = table.neighbours(source, rows)
                csls = 2 * cos - r_t[:, None] - r_s
                zipf_rows = zipf[rows] if zipf is not None else None
                score = csls + settings.frequency_weight * zipf_rows if zipf_rows is not None else csls
                near_values, near_rows = near_values[..., :3].tolist(), near_rows[..., :3].tolist()  # 3 suffice
                zipf_of = zipf_rows.tolist() if zipf_rows is not None else None
                rows_of, cos_of, csls_of, score_of = rows.tolist(), cos.tolist(), csls.tolist(), score.tolist()
                for row, item in enumerate(batch):
                    kept = _distinct(table, surfaces, rows_of[row], cos_of[row], score_of[row], top_k + 1)  # +rival
                    own = source.rows_of(surfaces, item.word.text)
                    best = score_of[row][kept[0][2]] if kept else None
                    for rank, (surface, token_id, column) in enumerate(kept[:top_k], start=1):
                        rival = (score_of[row][kept[1][2]] if len(kept) > 1 else None) if rank == 1 else best
                        records.append((item, restriction.kind, code, rank, surface, token_id, float("nan"),
                                        float("nan"), float("nan")))
                        cosine = cos_of[row][column]
                        extra["similarity"].append(cosine)
                        extra["csls"].append(csls_of[row][column])
                        extra["zipf"].append(zipf_of[row][column] if zipf_of is not None else float("nan"))
                        # a synonym is itself a source entry: its own spellings are not "another word" either
                        excluded = own | source.rows_of(surfaces, surface) if restriction.kind == "synonym" else own
                        other = next((v for v, r in zip(near_values[row][column], near_rows[row][column])
                                      if r not in excluded), None)
                        if other is None:  # every near source entry is the word's own: look further
                            other = table.nearest_other(source, rows_of[row][column], excluded)
                        extra["reverse"].append(cosine - other)
                        extra["margin"].append(score_of[row][column] - rival if rival is not None else float("nan"))
            if progress:
                progress(min(begin + chunk_size, len(items)), len(items))
    frame = _to_frame(records, sentences, sentence_ids, report, mlm, extra=extra)
    frame.insert(len(frame.columns) - len(extra), "miner", "similarity")
    frame["p_restricted"] = confidence(frame, source_language.code, settings)
    frame.attrs["settings"] = {"layer": layer, "alpha": settings.alpha,
                               "frequency_weight": settings.frequency_weight, "frequencies": settings.frequencies,
                               "with_frequencies": settings.with_frequencies.describe(),
                               "without_frequencies": settings.without_frequencies.describe()}
    return frame


def confidence_features(frame: pd.DataFrame, source: str = "en") -> pd.DataFrame:
    """The features the calibrated confidence reads (module docstring, 6.), from a similarity-mined table: a
    missing margin (the language had no second candidate) or reverse check counts as 0, so it says nothing."""
    words = frame["word"].astype(str).str.lower()
    table = zipf_table(source) or {}
    word_zipf = words.map(lambda w: table.get(w, 0.0))
    return pd.DataFrame({
        "margin": frame["margin"].fillna(0.0),
        "copy": (frame["candidate"].astype(str).str.lower() == words).astype(float),
        "gap": (frame["zipf"] - word_zipf).abs().fillna(0.0),
        "reverse": frame["reverse"].fillna(0.0),
    }, index=frame.index)


def confidence(frame: pd.DataFrame, source: str = "en", settings: SimilaritySettings | None = None) -> np.ndarray:
    """p_restricted of every row: the calibration with word frequencies where the row has them (`zipf`), the
    one without elsewhere."""
    settings = settings or SimilaritySettings()
    features = confidence_features(frame, source)
    with_frequencies = frame["zipf"].notna().to_numpy()
    return np.where(with_frequencies, settings.with_frequencies.confidence(features),
                    settings.without_frequencies.confidence(features))


def _hub_mean(sim: torch.Tensor, k: int) -> torch.Tensor:
    """r_T: each word's mean cosine to its k nearest target entries (an excluded entry, -inf, is not one)."""
    top = torch.topk(sim, k, dim=-1).values
    finite = torch.isfinite(top)
    return torch.where(finite, top, 0).sum(dim=-1) / finite.sum(dim=-1).clamp(min=1)


def _distinct(table: TargetTable, surfaces, rows: list[int], cos: list[float], score: list[float],
              top_k: int) -> list[tuple[str, int, int]]:
    """The top_k candidates by rank score as (surface, token id, column), one per case-insensitive surface (the
    better-scored one kept)."""
    seen, kept = set(), []
    for column in sorted(range(len(score)), key=lambda c: -score[c]):
        if not math.isfinite(cos[column]):
            continue
        token_id = table.token_ids[rows[column]]
        surface = surfaces[token_id]
        if surface.lower() in seen:
            continue
        seen.add(surface.lower())
        kept.append((surface, token_id, column))
        if len(kept) == top_k:
            break
    return kept


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
