"""Batched restricted-MLM substitution mining: SALT's offline step, as a tidy DataFrame.

For every eligible word of every sentence we replace all of the word's pieces by one mask token and ask
the masked LM what goes there, with its prediction restricted to a language's word-initial vocabulary
(`salt_core.languages`): target languages give *translation* candidates, the source language gives
*synonym* candidates (the original word excluded). Three numbers describe each candidate:

    p_restricted  softmax renormalised over the language's vocabulary (what SALT thresholds, we assume)
    p_full        probability under the model's full softmax
    lang_mass     total full-softmax probability on the language's vocabulary at that position

Unlike transformers' fill-mask pipeline, which scores one mask per forward pass over the whole
sequence, the engine runs the masked variants of many sentences together (sorted by length, so padding
is minimal), runs the encoder once per batch, and applies the LM head only at the masked positions.
Sentences longer than the model's input are handled by a window around each masked word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import torch

from salt_core.errors import InputError
from salt_core.languages import (
    DEFAULT_STRICTNESS,
    LanguageVocabulary,
    common_words,
    get_language,
    language_vocabulary,
    vocabulary_entries,
)
from salt_core.models.loading import MaskedLM
from salt_core.text import Eligibility, Word, ineligible_reason, segment_words

COLUMNS = ["sentence_id", "sentence", "word_index", "word", "start", "end", "n_pieces", "windowed", "kind",
           "language", "rank", "candidate", "token_id", "p_restricted", "p_full", "lang_mass"]
MAX_SENTENCE_CHARS = 100_000  # a sentence longer than this is almost surely a whole file pasted by mistake

NO_HEAD = ("{name} has no trained masked-LM head (its head weights were newly initialised when it was loaded), so "
           "its predictions would be noise. SALT's mining needs a masked LM such as bert-base-multilingual-cased.")
DEFAULT_TOP_K = 5  # candidates kept per word and language; the page, the CLI and this function share it


@dataclass
class MaskedItem:
    """One word of one sentence, masked: the unit of work of a forward pass."""

    sentence_pos: int  # index into the caller's list of sentences
    word: Word
    n_pieces: int
    input_ids: list[int]  # with special tokens and exactly one mask
    mask_position: int
    windowed: bool


@dataclass
class MiningReport:
    """What could not be mined and why; attached to the result as `df.attrs`."""

    skipped: list[dict] = field(default_factory=list)  # {"sentence_id", "reason"}
    warnings: list[str] = field(default_factory=list)


def _word_pieces(words: list[Word], offsets: list[tuple[int, int]], tokens: list[str], sentence: str):
    """Group piece indices by word; words that share a piece are merged into one unit.

    One sweep over pieces and words (both in text order), so a 100,000-character line takes a fraction of a
    second instead of minutes (each piece used to be compared with every word).
    """
    owner: list[tuple[int, ...] | None] = []
    first = 0  # the first word that may still overlap the current piece
    for start, end in offsets:
        while start < end and sentence[start].isspace():
            start += 1
        if start >= end:
            owner.append(None)
            continue
        if first > 0 and words[first - 1].end > start:  # offsets went backwards (rare): look again from the top
            first = 0
        while first < len(words) and words[first].end <= start:
            first += 1
        hits, k = [], first
        while k < len(words) and words[k].start < end:
            if start < words[k].end:
                hits.append(words[k].index)
            k += 1
        owner.append(tuple(hits) if hits else None)
    for i, token in enumerate(tokens):  # a bare "▁" marker belongs to the word it introduces
        if owner[i] is None and token == "▁" and i + 1 < len(tokens):
            owner[i] = owner[i + 1]
    groups: dict[tuple[int, ...], list[int]] = {}
    for piece, who in enumerate(owner):
        if who is not None:
            groups.setdefault(who, []).append(piece)
    merged: list[tuple[set[int], list[int]]] = []
    for key in sorted(groups):  # keys in text order: a group can only overlap the one before it
        if merged and merged[-1][0] & set(key):
            merged[-1][0].update(key)
            merged[-1][1].extend(groups[key])
        else:
            merged.append((set(key), list(groups[key])))
    for indices, pieces in merged:
        first_word, last_word = words[min(indices)], words[max(indices)]
        yield (Word(first_word.index, sentence[first_word.start:last_word.end], first_word.start, last_word.end),
               sorted(pieces))


def encode_as_text(tokenizer, sentence: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Token ids and character offsets of `sentence` with every special-token string read as plain text.

    A sentence that spells "<mask>", "[MASK]" or "</s>" must not put a control token into the input: the
    word would be predicted at the wrong position. Tokenizers differ in whether they honour
    `split_special_tokens` (an XLM-R fast tokenizer keeps "<mask>" as the mask token), so we do not rely
    on it: text around such strings is encoded normally, and the strings themselves one character at a time.
    """
    specials = sorted({t for t in tokenizer.all_special_tokens if isinstance(t, str) and len(t) > 1},
                      key=len, reverse=True)
    special_ids = set(tokenizer.all_special_ids)
    pattern = re.compile("|".join(map(re.escape, specials))) if specials else None
    spans, cursor = [], 0
    for match in (pattern.finditer(sentence) if pattern else ()):
        spans.append((cursor, match.start(), False))
        spans.append((match.start(), match.end(), True))
        cursor = match.end()
    spans.append((cursor, len(sentence), False))
    ids, offsets = [], []
    for begin, end, literal in spans:
        pieces = [(i, i + 1) for i in range(begin, end)] if literal else [(begin, end)]
        for a, b in pieces:
            if a == b:
                continue
            encoding = tokenizer(sentence[a:b], add_special_tokens=False, return_offsets_mapping=True)
            for token_id, (s, e) in zip(encoding["input_ids"], encoding["offset_mapping"]):
                if token_id in special_ids and token_id != tokenizer.unk_token_id:
                    continue  # never a control token from the user's text
                ids.append(token_id)
                offsets.append((s + a, e + a))
    return ids, offsets


def special_affixes(tokenizer) -> tuple[list[int], list[int]]:
    """The special tokens the tokenizer puts before and after a single sequence ([CLS] ... [SEP])."""
    bare = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    for start in range(len(full) - len(bare) + 1):
        if full[start:start + len(bare)] == bare:
            return full[:start], full[start + len(bare):]
    return [], []


def _masked_items(mlm: MaskedLM, pos: int, sentence: str, source, rules, stopwords, report, sentence_id,
                  masked: bool = True):
    """One item per eligible word. `masked=False` keeps the word's pieces in place (the similarity miner reads
    the word in its sentence); `mask_position` is then the word's first piece and `n_pieces` its length."""
    tok = mlm.tokenizer
    ids, offsets = encode_as_text(tok, sentence)  # "[MASK]" or "<s>" in the text is text, not a control token
    tokens = tok.convert_ids_to_tokens(ids)
    words = segment_words(sentence)
    prefix, suffix = special_affixes(tok)
    width = mlm.max_length - len(prefix) - len(suffix)  # room for [CLS] and [SEP], or <s> and </s>
    items, windowed_any = [], False
    for word, pieces in _word_pieces(words, offsets, tokens, sentence):
        if ineligible_reason(word, source, rules, stopwords) is not None:
            continue
        if pieces != list(range(pieces[0], pieces[-1] + 1)):
            continue  # a word whose pieces are not contiguous cannot be masked as one unit
        span = [tok.mask_token_id] if masked else ids[pieces[0]:pieces[-1] + 1]
        body = ids[:pieces[0]] + span + ids[pieces[-1] + 1:]
        mask_at = pieces[0]
        windowed = len(body) > width
        if windowed:  # keep a window of `width` tokens centred on the mask
            begin = max(0, min(mask_at - width // 2, len(body) - width))
            begin = min(begin, mask_at)  # the word's first piece stays inside
            body, mask_at = body[begin:begin + width], mask_at - begin
            windowed_any = True
        full = prefix + body + suffix
        items.append(MaskedItem(pos, word, len(pieces), full, len(prefix) + mask_at, windowed))
    if windowed_any:
        report.warnings.append(
            f"Sentence {sentence_id} is longer than the model's {mlm.max_length} tokens: each word was "
            f"predicted from a {width}-token window around it.")
    return items


def prepare_items(mlm: MaskedLM, sentences: Sequence[str], sentence_ids: Sequence, source, rules: Eligibility,
                  report: MiningReport, masked: bool = True) -> list[MaskedItem]:
    """Validate sentences and build one masked variant per eligible word; problems go to the report."""
    stopwords = frozenset(w.lower() for w in common_words(source.code, rules.stopword_count)) \
        if rules.skip_stopwords else frozenset()
    items = []
    for pos, (sentence_id, sentence) in enumerate(zip(sentence_ids, sentences)):
        if not isinstance(sentence, str):
            report.skipped.append({"sentence_id": sentence_id, "reason": f"not text ({type(sentence).__name__})"})
        elif not sentence.strip():
            report.skipped.append({"sentence_id": sentence_id, "reason": "empty or whitespace only"})
        elif len(sentence) > MAX_SENTENCE_CHARS:
            report.skipped.append({"sentence_id": sentence_id,
                                   "reason": f"longer than {MAX_SENTENCE_CHARS:,} characters"})
        else:
            found = _masked_items(mlm, pos, sentence, source, rules, stopwords, report, sentence_id, masked)
            if not found:
                report.skipped.append({"sentence_id": sentence_id,
                                       "reason": f"no eligible {source.name} words (all punctuation, digits, "
                                                 "symbols, too short, or in another script)"})
            items.extend(found)
    return items


def _split_model(model):
    """(encoder, head) when the LM head can be applied to selected positions; (None, None) otherwise."""
    for attr in ("cls", "lm_head", "predictions"):  # BERT; RoBERTa/XLM-R/CamemBERT; ALBERT
        head = getattr(model, attr, None)
        if isinstance(head, torch.nn.Module):
            return model.base_model, head
    return None, None


def pad_batch(mlm: MaskedLM, sequences: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id lists padded to the longest: (input_ids, attention_mask), on the model's device."""
    pad = mlm.tokenizer.pad_token_id if mlm.tokenizer.pad_token_id is not None else 0
    longest = max(len(seq) for seq in sequences)
    input_ids = torch.full((len(sequences), longest), pad, dtype=torch.long)
    attention = torch.zeros((len(sequences), longest), dtype=torch.long)
    for row, seq in enumerate(sequences):
        input_ids[row, :len(seq)] = torch.tensor(seq)
        attention[row, :len(seq)] = 1
    return input_ids.to(mlm.device), attention.to(mlm.device)


def masked_logits(mlm: MaskedLM, batch: list[MaskedItem]) -> torch.Tensor:
    """Full-vocabulary logits at the masked position of each item: (len(batch), vocab)."""
    input_ids, attention = pad_batch(mlm, [item.input_ids for item in batch])
    rows = torch.arange(len(batch))
    positions = torch.tensor([item.mask_position for item in batch])
    encoder, head = _split_model(mlm.model)
    if encoder is None:
        return mlm.model(input_ids=input_ids, attention_mask=attention).logits[rows, positions].float()
    hidden = encoder(input_ids=input_ids, attention_mask=attention).last_hidden_state  # (batch, seq, hidden)
    return head(hidden[rows, positions]).float()  # (batch, vocab)


@dataclass(frozen=True)
class _Restriction:
    kind: str  # "translation" or "synonym"
    vocab: LanguageVocabulary
    ids: torch.Tensor  # (n_lang,)
    columns_by_surface: dict[str, list[int]]  # lower-cased surface -> columns of `ids` (synonym exclusion)


def exclude_own_word(scores: torch.Tensor, restriction: _Restriction, batch: list[MaskedItem]) -> None:
    """For synonyms, set the score of the word's own vocabulary entries to -inf: a word is not its own synonym."""
    if restriction.kind == "synonym":
        for row, item in enumerate(batch):
            scores[row, restriction.columns_by_surface.get(item.word.text.lower(), [])] = float("-inf")


def _restriction(kind: str, vocab: LanguageVocabulary, surfaces: list[str], device) -> _Restriction:
    columns: dict[str, list[int]] = {}
    for column, token_id in enumerate(vocab.initial_ids):
        columns.setdefault(surfaces[token_id].lower(), []).append(column)
    return _Restriction(kind, vocab, torch.tensor(vocab.initial_ids, device=device), columns)


def _score(logits: torch.Tensor, restriction: _Restriction, batch: list[MaskedItem], surfaces, top_k: int):
    """Rows of the result for one language over one batch."""
    log_z = torch.logsumexp(logits, dim=-1, keepdim=True)  # (batch, 1)
    restricted = logits[:, restriction.ids]  # (batch, n_lang)
    p_full = torch.exp(restricted - log_z)
    lang_mass = p_full.sum(dim=-1)
    exclude_own_word(restricted, restriction, batch)
    p_restricted = torch.softmax(restricted, dim=-1)
    k = min(top_k, restricted.shape[1])
    top_p, top_j = torch.topk(p_restricted, k, dim=-1)
    rows = []
    for row, item in enumerate(batch):
        for rank in range(k):
            j = int(top_j[row, rank])
            if float(top_p[row, rank]) == 0.0 and restricted[row, j] == float("-inf"):
                continue
            token_id = restriction.vocab.initial_ids[j]
            rows.append((item, restriction.kind, restriction.vocab.language.code, rank + 1, surfaces[token_id],
                         token_id, float(top_p[row, rank]), float(p_full[row, j]), float(lang_mass[row])))
    return rows


def _restrictions(mlm: MaskedLM, source: str, targets, synonyms: bool, strictness: str = DEFAULT_STRICTNESS):
    if isinstance(targets, str):
        targets = [t for t in targets.split(",") if t.strip()]
    if not targets and not synonyms:
        raise InputError("Choose at least one target language (or ask for synonyms).")
    source_language = get_language(source)
    wanted = [(code, "translation") for code in dict.fromkeys(get_language(t).code for t in targets)]
    if synonyms:
        wanted.append((source_language.code, "synonym"))
    surfaces = [entry.surface for entry in vocabulary_entries(mlm.tokenizer)]
    restrictions = [_restriction(kind, language_vocabulary(mlm.tokenizer, code, strictness), surfaces, mlm.device)
                    for code, kind in wanted]
    return source_language, restrictions, surfaces


def check_languages(mlm: MaskedLM, source: str, targets, synonyms: bool = True,
                    strictness: str = DEFAULT_STRICTNESS) -> None:
    """Raise our error now if a language is unknown or absent from the tokenizer (before any work)."""
    _restrictions(mlm, source, targets, synonyms, strictness)


def mine_substitutions(mlm: MaskedLM, sentences: Sequence[str], source: str = "en", targets: Sequence[str] = ("de",),
                       top_k: int = DEFAULT_TOP_K, *, synonyms: bool = True, eligibility: Eligibility | None = None,
                       batch_size: int = 64, sentence_ids: Sequence | None = None,
                       progress: Callable[[int, int], None] | None = None,
                       strictness: str = DEFAULT_STRICTNESS) -> pd.DataFrame:
    """Mine translation (and synonym) candidates for every eligible word; one row per candidate.

    Columns: see COLUMNS. `df.attrs` holds "skipped" (sentences not mined, with the reason),
    "warnings", "model" and "is_demo". Raises UnknownLanguageError / EmptyLanguageError for a language
    the registry or tokenizer lacks, InputError for unusable arguments.
    """
    if isinstance(sentences, str):
        sentences = [sentences]
    if len(sentences) == 0:
        raise InputError("No sentences given: type at least one sentence.")
    if top_k < 1 or batch_size < 1:
        raise InputError("top_k and batch_size must be at least 1.")
    if not getattr(mlm, "has_mlm_head", True):
        raise InputError(NO_HEAD.format(name=mlm.name))
    sentence_ids = list(range(len(sentences))) if sentence_ids is None else list(sentence_ids)
    source_language, restrictions, surfaces = _restrictions(mlm, source, targets, synonyms, strictness)
    report = MiningReport()
    items = prepare_items(mlm, sentences, sentence_ids, source_language, eligibility or Eligibility(), report)
    items.sort(key=lambda item: len(item.input_ids))  # similar lengths together: little padding
    records = []
    with torch.inference_mode():
        for begin in range(0, len(items), batch_size):
            batch = items[begin:begin + batch_size]
            logits = masked_logits(mlm, batch)
            for restriction in restrictions:
                records.extend(_score(logits, restriction, batch, surfaces, top_k))
            if progress:
                progress(min(begin + batch_size, len(items)), len(items))
    return _to_frame(records, sentences, sentence_ids, report, mlm)


def _to_frame(records, sentences, sentence_ids, report: MiningReport, mlm: MaskedLM,
              extra: dict[str, list] | None = None) -> pd.DataFrame:
    rows = [{
        "sentence_id": sentence_ids[item.sentence_pos], "sentence": sentences[item.sentence_pos],
        "word_index": item.word.index, "word": item.word.text, "start": item.word.start, "end": item.word.end,
        "n_pieces": item.n_pieces, "windowed": item.windowed, "kind": kind, "language": language, "rank": rank,
        "candidate": candidate, "token_id": token_id, "p_restricted": p_r, "p_full": p_f, "lang_mass": mass,
    } for item, kind, language, rank, candidate, token_id, p_r, p_f, mass in records]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column, values in (extra or {}).items():  # columns of a particular miner, one value per record
        frame[column] = pd.Series(values, dtype=float) if values else pd.Series(dtype=float)
    order = {sid: n for n, sid in enumerate(sentence_ids)}
    frame = frame.sort_values(["sentence_id", "word_index", "kind", "language", "rank"],
                              key=lambda col: col.map(order) if col.name == "sentence_id" else col,
                              kind="stable").reset_index(drop=True)
    frame.attrs.update(skipped=report.skipped, warnings=report.warnings, model=mlm.name, is_demo=mlm.is_demo)
    return frame
