"""Tiny masked LMs built offline in seconds: random weights, a real multilingual subword tokenizer.

No machine of this project reaches a model hub, yet every test and the app's demo need a masked LM with a
genuinely multilingual vocabulary. This module trains a subword tokenizer from word-frequency lists
(wordfreq, plus the curated lists in salt_core/data for languages wordfreq lacks) covering Latin,
Cyrillic, Greek, Arabic, Devanagari, Han, kana, Hangul and Thai scripts, puts a tiny randomly initialised
BERT-style (WordPiece, "##") or XLM-R-style (Unigram, "▁") masked LM behind it, and saves both as an
ordinary Hugging Face folder. A marker file `salt_demo.json` in the folder records that the weights are
random, so whoever loads the folder knows its predictions mean nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from salt_core.files import build_folder, build_lock, salt_home
from salt_core.languages import CORE, common_words, zipf_table
from salt_core.models.hf import one_at_a_time, transformers_names

DEMO_MARKER = "salt_demo.json"
BUILD_VERSION = 1  # bump when the recipe changes, so cached demo folders are rebuilt


@dataclass
class TinyConfig:
    kind: str = "bert"  # "bert" (WordPiece, like mBERT) or "xlmr" (Unigram sentencepiece, like XLM-R)
    vocab_size: int = 16000  # holds the commonest few hundred words of each of 20+ languages whole
    hidden_size: int = 64  # tiny: the point is shape and plumbing, not quality
    num_layers: int = 2
    num_heads: int = 2
    intermediate_size: int = 128
    max_positions: int = 128  # small on purpose, so tests exercise long-sentence windowing
    words_per_language: int = 1500  # from each language's frequency list
    seed: int = 0  # weights and tokenizer are reproducible


def _training_corpus(cfg: TinyConfig):
    """Lines of words, each word repeated roughly by its frequency (capped), language by language."""
    for code in CORE:  # the 23 described by hand; the demo model must not change when the catalogue grows
        words = common_words(code, cfg.words_per_language)
        table = zipf_table(code) or {}
        for word in words:
            repeats = int(min(300, max(1, 10 ** (table.get(word, 3.0) - 4.0))))
            # Frequency lists are lower-case; sentences start with capitals and nouns are capitalised.
            yield " ".join([word] * repeats + [word.capitalize()] * max(1, repeats // 2))


def _train_tokenizer(cfg: TinyConfig):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    if cfg.kind == "bert":
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix="##"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False, clean_text=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece(prefix="##")
        trainer = trainers.WordPieceTrainer(vocab_size=cfg.vocab_size, special_tokens=specials,
                                            continuing_subword_prefix="##")
        tok.train_from_iterator(_training_corpus(cfg), trainer)
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
            special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
        return tok
    if cfg.kind == "xlmr":
        specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
        tok = Tokenizer(models.Unigram())
        tok.normalizer = normalizers.NFKC()
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
        tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
        trainer = trainers.UnigramTrainer(vocab_size=cfg.vocab_size, special_tokens=specials, unk_token="<unk>")
        tok.train_from_iterator(_training_corpus(cfg), trainer)
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
            special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
        return tok
    raise ValueError(f"unknown tiny model kind {cfg.kind!r}; use 'bert' or 'xlmr'")


def _wrap(cfg: TinyConfig, raw):
    BertTokenizerFast, XLMRobertaTokenizerFast = transformers_names("BertTokenizerFast", "XLMRobertaTokenizerFast")

    if cfg.kind == "bert":
        return BertTokenizerFast(tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                 sep_token="[SEP]", mask_token="[MASK]", do_lower_case=False,
                                 model_max_length=cfg.max_positions)
    return XLMRobertaTokenizerFast(tokenizer_object=raw, bos_token="<s>", eos_token="</s>", sep_token="</s>",
                                   cls_token="<s>", unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
                                   model_max_length=cfg.max_positions)


def _build_model(cfg: TinyConfig, tokenizer):
    BertConfig, BertForMaskedLM, XLMRobertaConfig, XLMRobertaForMaskedLM = transformers_names(
        "BertConfig", "BertForMaskedLM", "XLMRobertaConfig", "XLMRobertaForMaskedLM")

    common = dict(vocab_size=len(tokenizer), hidden_size=cfg.hidden_size, num_hidden_layers=cfg.num_layers,
                  num_attention_heads=cfg.num_heads, intermediate_size=cfg.intermediate_size)
    with one_at_a_time():  # never beside another thread's from_pretrained (salt_core.models.hf)
        torch.manual_seed(cfg.seed)
        if cfg.kind == "bert":
            config = BertConfig(max_position_embeddings=cfg.max_positions, pad_token_id=tokenizer.pad_token_id,
                                **common)
            return BertForMaskedLM(config).eval()
        # XLM-R offsets positions by padding_idx + 1, hence the two extra slots.
        config = XLMRobertaConfig(max_position_embeddings=cfg.max_positions + 2,
                                  pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                                  eos_token_id=tokenizer.eos_token_id, **common)
        return XLMRobertaForMaskedLM(config).eval()


def build_tiny_model(folder: str | os.PathLike, cfg: TinyConfig | None = None) -> Path:
    """Build a tiny random-weight masked LM with a trained multilingual tokenizer into `folder`.

    The folder appears complete or not at all: everything is written to a sibling temporary folder first
    and renamed into place.
    """
    cfg = cfg or TinyConfig()
    folder = Path(folder)
    tokenizer = _wrap(cfg, _train_tokenizer(cfg))
    model = _build_model(cfg, tokenizer)

    def write(staging: Path) -> None:
        tokenizer.save_pretrained(staging)
        model.save_pretrained(staging, safe_serialization=True)
        marker = {"random_weights": True, "kind": cfg.kind, "seed": cfg.seed, "build_version": BUILD_VERSION,
                  "note": "Built by salt_core.tiny: random weights, predictions are meaningless."}
        (staging / DEMO_MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")

    return build_folder(folder, write)


def demo_cache_dir() -> Path:
    """Where demo models live: $SALT_HOME, else ~/.cache/salt-explorer."""
    return salt_home()


def ensure_demo_model(kind: str = "bert") -> Path:
    """The folder of the demo model of this kind, built on first use (a few seconds, offline)."""
    folder = demo_cache_dir() / f"demo-{kind}"
    if _marker_version(folder) != BUILD_VERSION:
        with build_lock(folder):
            if _marker_version(folder) != BUILD_VERSION:  # built by another session while this one waited
                build_tiny_model(folder, TinyConfig(kind=kind))
    return folder


def _marker_version(folder: Path) -> int | None:
    try:
        return json.loads((folder / DEMO_MARKER).read_text(encoding="utf-8")).get("build_version")
    except (OSError, ValueError, AttributeError):
        return None
