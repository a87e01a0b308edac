"""Which code-switched pieces each source piece is mixed with.

Alignment rule (an assumption of this project, not SALT's): the mixed sequence keeps the source sentence's
pieces. A piece of an unchanged word pairs with the same piece in the code-switched sentence; for a replaced
word with m source pieces and n substitute pieces, piece i pairs with piece i when m == n, and otherwise every
source piece pairs with the mean of the substitute's n pieces. Special tokens pair with themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from salt_core.errors import InputError
from salt_core.text import segment_words


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
