"""What an experiment is: its methods (each a named, documented setting) and its fixed hyper-parameters.

Methods (`METHODS`):

* `baseline` — fine-tune on the source language only (zero-shot transfer).
* `salt-codeswitch` — SALT's offline step: mine the source training set with the model itself, restricted to each
  augmentation language (`mine`), code-switch it with the thresholds and ratio of `CodeSwitchSettings`, and train
  on the originals plus one code-switched copy of each (the combination is this project's assumption).
* `salt-mixup` — SALT's online step: train on the originals, each token's input embedding mixed with its
  code-switched substitute's, h = r*h_s + (1-r)*h_t, a fresh r per instance per step (`salt_core.mixup`).
* `salt` — both: the originals with mixup, plus the code-switched copies.
* `similarity-codeswitch` — *not SALT's method*: code-switching as `salt-codeswitch`, candidates from the
  embedding-similarity miner (works for a model without a masked-LM head).
* `dictionary-codeswitch` — *not SALT's method*: CoSDA-ML-style code-switching (Qin et al. 2020) from a bilingual
  dictionary, every translation of a word equally likely.

SALT's own methods mine with the masked LM (`miner="mlm"`), which needs a trained masked-LM head; `miner="auto"`
uses the similarity miner for a headless model and labels the runs so. The paper's hyper-parameters are not
available to us: every default below is this project's choice, stated, and written into each run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from salt_core.errors import InputError
from salt_core.mixup.mixing import MixupConfig
from salt_core.substitutions.codeswitching import CodeSwitchSettings


@dataclass(frozen=True)
class Method:
    key: str
    run_method: str  # the runs' controlled vocabulary (salt_core.runs.identity.METHODS)
    codeswitch: str | None  # where substitutes come from: "model" (the miner), "dictionary", or None
    mixup: bool  # mix input embeddings with the substitutes' during training
    copies: bool  # add the code-switched copies as training examples
    salt: bool  # SALT's own method (mined by the model itself)
    summary: str


METHODS = {m.key: m for m in (
    Method("baseline", "zero-shot transfer (fine-tuned on English)", None, False, False, False,
           "fine-tune on the source language only"),
    Method("salt-codeswitch", "SALT (code-switching only)", "model", False, True, True,
           "originals + one code-switched copy each, substitutes mined by the model"),
    Method("salt-mixup", "SALT (mixup only)", "model", True, False, True,
           "originals, input embeddings mixed with their code-switched substitutes"),
    Method("salt", "SALT", "model", True, True, True,
           "originals with mixup + code-switched copies"),
    Method("similarity-codeswitch", "code-switching from embedding similarity (not SALT)", "model", False, True,
           False, "as salt-codeswitch with the embedding-similarity miner (not SALT's method)"),
    Method("dictionary-codeswitch", "code-switching from a dictionary (CoSDA-ML style, not SALT)", "dictionary",
           False, True, False, "originals + one copy code-switched from a bilingual dictionary (not SALT's method)"),
)}


@dataclass(frozen=True)
class TrainConfig:
    """Fixed hyper-parameters of every run of an experiment (all methods, all seeds)."""

    epochs: float = 3.0  # passes over the training examples (originals and copies)
    learning_rate: float = 5e-5  # AdamW peak learning rate, linear decay
    batch_size: int = 32  # examples per step per process
    max_length: int = 128  # pieces per example (SIB-200's longest English sentence is ~90 pieces in XLM-R's vocabulary)
    warmup: float = 0.1  # share of the steps with a linear warm-up
    weight_decay: float = 0.01
    freeze_embeddings: bool = True  # assumption: keep the word-embedding table fixed, so target-language rows that
    # English never updates are not moved by weight decay, and a 250k-row table costs no optimizer step on CPU
    select_on: str = "accuracy"  # the source-language dev metric that picks the checkpoint (zero-shot protocol)
    device: str = "cpu"  # "cpu" or "cuda" (bf16 where the GPU supports it, else fp16)
    precision: str = "auto"  # "auto" | "fp32" | "bf16" | "fp16"; auto: bf16/fp16 on CUDA, fp32 on CPU

    def validate(self) -> None:
        if not 0 < self.epochs <= 100:
            raise InputError(f"epochs must be between 0 and 100, not {self.epochs}.")
        if not 0 < self.learning_rate < 1:
            raise InputError(f"the learning rate must be between 0 and 1, not {self.learning_rate}.")
        if not 1 <= self.batch_size <= 4096:
            raise InputError(f"the batch size must be between 1 and 4096, not {self.batch_size}.")
        if not 8 <= self.max_length <= 8192:
            raise InputError(f"max length must be between 8 and 8192 pieces, not {self.max_length}.")
        if not 0 <= self.warmup < 1 or not 0 <= self.weight_decay < 1:
            raise InputError("warm-up and weight decay are shares between 0 and 1.")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            raise InputError(f"precision must be auto, fp32, bf16 or fp16, not {self.precision!r}.")


@dataclass(frozen=True)
class Experiment:
    """One experiment: methods x seeds on one model and task; evaluated on every language of `languages`."""

    model: str
    data: str
    methods: tuple[str, ...] = ("baseline", "salt")
    languages: tuple[str, ...] = ()  # evaluation languages, FLORES or ISO codes; () = every language of the data
    seeds: tuple[int, ...] = (1, 2, 3)
    source: str = "en"  # trained and selected on this language only
    augment_languages: tuple[str, ...] = ()  # languages substitutes are mined in; () = the evaluation languages
    # that the language registry knows (a miner needs a target vocabulary), at most MAX_AUGMENT of them
    miner: str = "auto"  # "mlm" (SALT), "similarity" (a baseline), "auto": mlm when the model has a head
    dictionary: str | None = None  # for dictionary-codeswitch: a CSV/TSV/CC-CEDICT file, or "installed"
    train: TrainConfig = field(default_factory=TrainConfig)
    codeswitch: CodeSwitchSettings = field(default_factory=lambda: CodeSwitchSettings(synonym_threshold=None))
    mixup: MixupConfig = field(default_factory=MixupConfig)
    max_train_examples: int | None = None  # a subset of the source training split (first n), for quick runs

    def validate(self) -> None:
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise InputError(f"Unknown method {', '.join(unknown)}: choose from {', '.join(METHODS)}.")
        if not self.methods:
            raise InputError("Choose at least one method.")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise InputError("Give one or more distinct seeds.")
        if self.miner not in ("auto", "mlm", "similarity"):
            raise InputError(f"miner must be auto, mlm or similarity, not {self.miner!r}.")
        if "dictionary-codeswitch" in self.methods and not self.dictionary:
            raise InputError("dictionary-codeswitch needs --dictionary (a bilingual word list, or 'installed').")
        self.train.validate()
        self.codeswitch.validate()
        self.mixup.validate()

    def settings(self) -> dict:
        """Everything that decides a run's result, for its record and for resuming."""
        return {"model": self.model, "data": self.data, "source": self.source, "miner": self.miner,
                "augment_languages": list(self.augment_languages), "dictionary": self.dictionary,
                "max_train_examples": self.max_train_examples, "train": asdict(self.train),
                "codeswitch": asdict(self.codeswitch), "mixup": asdict(self.mixup)}


MAX_AUGMENT = 8  # augmentation languages by default: each one costs a pass of the miner over the training set
