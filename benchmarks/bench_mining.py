"""Benchmark: batched restricted mining against the fill-mask pipeline and against a bare encoder pass.

Not a test: it prints ratios measured in one run, on one machine, so noise between machines cancels.

    python benchmarks/bench_mining.py [--sentences 32] [--words 20] [--device cpu] [--threads N]

The model has bert-base-multilingual-cased's shape (vocabulary 119,547, 12 layers, hidden 768) with random
weights; its WordPiece vocabulary is filled with real words of many languages from wordfreq, so that the
German vocabulary has a realistic size. Sentences are 20 English words drawn (seeded) from wordfreq's
most frequent English words: word choice does not change the cost, only the length does.

(a) salt_core.substitutions.mine_substitutions, target German, no synonyms, top-5;
(b) transformers' fill-mask pipeline, called once per masked word, targets = the German vocabulary, top-5;
(c) the bare encoder over exactly the masked inputs that (a) builds, in the same batches — the floor.
Targets (issue 3): (a) at least 8x faster than (b); (a) within 1.15x of (c).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors  # noqa: E402
from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast, pipeline  # noqa: E402

from salt_core.languages import CORE, LANGUAGES, common_words, language_vocabulary  # noqa: E402
from salt_core.models import MaskedLM  # noqa: E402
from salt_core.substitutions.mining import MiningReport, mine_substitutions, prepare_items  # noqa: E402
from salt_core.text import Eligibility  # noqa: E402

MBERT_VOCAB = 119_547


def mbert_shaped_tokenizer() -> BertTokenizerFast:
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab: dict[str, int] = {t: i for i, t in enumerate(specials)}
    words = [common_words(code, 12_000) for code in CORE]
    for ch in sorted({c for lang_words in words for w in lang_words for c in w}):  # every character, alone
        vocab.setdefault(ch, len(vocab))
        vocab.setdefault("##" + ch, len(vocab))
    for rank in range(12_000):  # interleave languages so each gets its most frequent words first
        for lang_words in words:
            if rank < len(lang_words):
                for form in (lang_words[rank], lang_words[rank].capitalize()):
                    if len(vocab) < MBERT_VOCAB:
                        vocab.setdefault(form, len(vocab))
    filler = 0
    while len(vocab) < MBERT_VOCAB:
        vocab.setdefault(f"[unused{filler}]", len(vocab))
        filler += 1
    raw = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    raw.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    raw.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    raw.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]",
                                                       special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return BertTokenizerFast(tokenizer_object=raw, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                             sep_token="[SEP]", mask_token="[MASK]", model_max_length=512)


def sentences(n: int, length: int) -> list[str]:
    rng = random.Random(0)
    pool = [w for w in common_words("en", 3000) if w.isalpha() and len(w) > 1]
    return [" ".join(rng.choice(pool) for _ in range(length)).capitalize() + "." for _ in range(n)]


class PeakMemory:
    """Peak resident memory above the starting point while the block runs (sampled every 2 ms)."""

    def __init__(self, device: str):
        self.device, self.peak, self._stop = device, 0, threading.Event()

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def __enter__(self):
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.base = torch.cuda.memory_allocated()
            return self
        self.base = self._rss()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss() - self.base)
            time.sleep(0.002)

    def __exit__(self, *exc):
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
            self.peak = torch.cuda.max_memory_allocated() - self.base
        else:
            self._stop.set()
            self.thread.join()


def timed(device: str, fn):
    with PeakMemory(device) as memory:
        start = time.perf_counter()
        result = fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    return seconds, memory.peak, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=32)
    parser.add_argument("--words", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of (a) and (c); best of each")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tokenizer = mbert_shaped_tokenizer()
    config = BertConfig(vocab_size=MBERT_VOCAB, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                        intermediate_size=3072, max_position_embeddings=512)
    model = BertForMaskedLM(config).eval().to(args.device)
    mlm = MaskedLM(model, tokenizer, "mbert-shaped (random weights)", "benchmark", is_demo=True, device=args.device)
    german = language_vocabulary(tokenizer, "de")
    texts = sentences(args.sentences, args.words)
    items = prepare_items(mlm, texts, list(range(len(texts))), LANGUAGES["en"], Eligibility(), MiningReport())
    items.sort(key=lambda item: len(item.input_ids))
    print(f"device {args.device}, torch threads {torch.get_num_threads()}, vocabulary {len(tokenizer):,}, "
          f"German vocabulary {len(german.initial_ids):,} tokens")
    print(f"{len(texts)} sentences, {len(items)} masked words, mean input length "
          f"{sum(len(i.input_ids) for i in items) / len(items):.1f} tokens")

    def run_a():
        return mine_substitutions(mlm, texts, "en", ["de"], top_k=5, synonyms=False, batch_size=args.batch_size)

    def run_c():
        pad = tokenizer.pad_token_id
        with torch.inference_mode():
            for begin in range(0, len(items), args.batch_size):
                batch = items[begin:begin + args.batch_size]
                longest = max(len(i.input_ids) for i in batch)
                ids = torch.full((len(batch), longest), pad, dtype=torch.long)
                attention = torch.zeros_like(ids)
                for row, item in enumerate(batch):
                    ids[row, :len(item.input_ids)] = torch.tensor(item.input_ids)
                    attention[row, :len(item.input_ids)] = 1
                model.bert(input_ids=ids.to(args.device), attention_mask=attention.to(args.device))

    targets = tokenizer.convert_ids_to_tokens(list(german.initial_ids))
    fill = pipeline("fill-mask", model=model, tokenizer=tokenizer, device=torch.device(args.device))
    masked_texts = [texts[i.sentence_pos][:i.word.start] + "[MASK]" + texts[i.sentence_pos][i.word.end:]
                    for i in items]

    def run_b():
        return [fill(text, targets=targets, top_k=5) for text in masked_texts]

    # warm-up: one sentence's worth of each, so that lazy initialisation is not timed
    mine_substitutions(mlm, texts[:1], "en", ["de"], synonyms=False)
    fill(masked_texts[0], targets=targets, top_k=5)

    # (a) and (c) alternate, best of `rounds` each: machines here drift by 10-20% between runs
    a_runs, c_runs = [], []
    for _ in range(args.rounds):
        c_runs.append(timed(args.device, run_c))
        a_runs.append(timed(args.device, run_a))
    b_s, b_mem, _ = timed(args.device, run_b)
    a_s, c_s = min(r[0] for r in a_runs), min(r[0] for r in c_runs)
    a_mem, c_mem = max(r[1] for r in a_runs), max(r[1] for r in c_runs)
    rows = len(a_runs[0][2])
    mib = 1 / 2**20
    print(f"(a) mine_substitutions        {a_s:8.2f} s   peak +{a_mem * mib:7.1f} MiB   {rows:,} rows   "
          f"(runs: {', '.join(f'{r[0]:.2f}' for r in a_runs)})")
    print(f"(b) fill-mask pipeline/word   {b_s:8.2f} s   peak +{b_mem * mib:7.1f} MiB")
    print(f"(c) bare encoder (floor)      {c_s:8.2f} s   peak +{c_mem * mib:7.1f} MiB   "
          f"(runs: {', '.join(f'{r[0]:.2f}' for r in c_runs)})")
    print(f"(b)/(a) = {b_s / a_s:.1f}x faster than the pipeline   (target >= 8x)")
    print(f"(a)/(c) = {a_s / c_s:.3f} of the encoder floor       (target <= 1.15)")


if __name__ == "__main__":
    main()
