"""What an experiment is: its methods (each a named, documented setting) and its fixed hyper-parameters.

Compute is matched by default (`augmentation="replace"`): every method of an experiment trains for the same number
of optimisation steps on batches of the same size (`TrainConfig.steps`, or `epochs` passes over the *source*
training set), and augmentation replaces or mixes examples, it never adds steps. Each time an example is served, a
code-switching method serves, with probability `switch_probability`, a code-switched version drawn afresh (its
words, and their substitutes, re-drawn every epoch as CoSDA-ML re-draws per batch), else the original.
`augmentation="additive"` is the earlier scheme, kept for ablations: the originals plus one fixed code-switched copy
each, so more steps; its runs say "not compute-matched".

Methods (`METHODS`):

* `baseline` — fine-tune on the source language only (zero-shot transfer).
* `salt-codeswitch` — SALT's offline step: mine the source training set with the model itself, restricted to each
  augmentation language (`mine`), and serve code-switched versions (thresholds and ratio of `CodeSwitchSettings`).
* `salt-mixup` — SALT's online step: the originals, each token's input embedding mixed with its code-switched
  substitute's, h = r*h_s + (1-r)*h_t, a fresh r per instance per step (`salt_core.mixup`), a fresh partner per
  epoch.
* `salt` — both: code-switched versions served with `switch_probability`, the other times the original with mixup.
* `similarity-codeswitch` — *not SALT's method*: code-switching as `salt-codeswitch`, candidates from the
  embedding-similarity miner (works for a model without a masked-LM head).
* `dictionary-codeswitch` — *a control, not SALT's method*: CoSDA-ML-style code-switching (Qin et al. 2020) from a
  bilingual dictionary, every translation of a word equally likely, re-drawn each epoch.
* `random-mixup` — *a control, not SALT's method*: mixup as `salt-mixup`, but each substitute replaced by a random
  word-initial vocabulary entry of the same language: does the substitute help, or the noise?

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
    copies: bool  # serve code-switched versions of the examples (additive scheme: add them as copies)
    salt: bool  # SALT's own method (mined by the model itself)
    summary: str
    partner: str = "substitute"  # mixup partner: the code-switched substitute, or "random" (the control)


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
           False, True, False, "code-switched from a bilingual dictionary, re-drawn each epoch (a control, not SALT)"),
    Method("random-mixup", "mixup with random same-language partners (control, not SALT)", "model", True, False,
           False, "mixup whose partners are random vocabulary entries of the substitute's language (a control)",
           partner="random"),
)}
SHORT_NAMES = {m.run_method: m.key for m in METHODS.values()}  # runs' method -> the CLI's name of it
AUGMENTATION = ("replace", "additive")
SCHEDULES = ("constant", "linear")


@dataclass(frozen=True)
class TrainConfig:
    """Fixed hyper-parameters of every run of an experiment (all methods, all seeds)."""

    epochs: float = 3.0  # passes over the *source* training set: the budget in steps unless `steps` is given
    steps: int | None = None  # the budget in optimisation steps, the same for every method (None: from epochs)
    learning_rate: float = 1e-4  # AdamW; a plain loop at a constant 1e-4 reached 91% English on SIB-200 in 66 steps
    schedule: str = "constant"  # "constant" or "linear" decay (5e-5 with linear decay over 66 steps undertrained)
    pooling: str = "auto"  # "mean", "cls" (the checkpoint's pretrained pooler) or "auto" (salt_core.training.head)
    batch_size: int = 32  # examples per step per process
    max_length: int = 128  # pieces per example (SIB-200's longest English sentence is ~90 pieces in XLM-R's vocabulary)
    warmup: float = 0.0  # share of the steps with a linear warm-up
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
        if self.steps is not None and not 1 <= self.steps <= 10_000_000:
            raise InputError(f"the step budget must be a positive number of steps, not {self.steps}.")
        if self.schedule not in SCHEDULES:
            raise InputError(f"the schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}.")
        from salt_core.training.head import POOLINGS

        if self.pooling not in POOLINGS:
            raise InputError(f"pooling must be one of {', '.join(POOLINGS)}, not {self.pooling!r}.")
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
    augment_languages: tuple[str, ...] = ()  # languages substitutes are mined in; () = up to max_augment of the
    # evaluated languages, in turn from each CC-100 resource level (salt_core.training.plan.augmentation_languages)
    max_augment: int = 8  # MAX_AUGMENT; each language costs a pass of the miner over the training set
    miner: str = "auto"  # "mlm" (SALT), "similarity" (a baseline), "auto": mlm when the model has a head
    dictionary: str | None = None  # for dictionary-codeswitch: a CSV/TSV/CC-CEDICT file, or "installed"
    train: TrainConfig = field(default_factory=TrainConfig)
    codeswitch: CodeSwitchSettings = field(default_factory=lambda: CodeSwitchSettings(synonym_threshold=None))
    mixup: MixupConfig = field(default_factory=MixupConfig)
    max_train_examples: int | None = None  # a subset of the source training split (first n), for quick runs
    augmentation: str = "replace"  # "replace": compute matched (module docstring); "additive": copies add steps
    switch_probability: float = 0.5  # replace: the chance an example is served code-switched (assumption)

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
        if self.augmentation == "additive" and "random-mixup" in self.methods:
            raise InputError("random-mixup draws its partners as examples are served: it needs augmentation "
                             "'replace' (the default).")
        if self.augmentation not in AUGMENTATION:
            raise InputError(f"augmentation must be one of {', '.join(AUGMENTATION)}, not {self.augmentation!r}.")
        if not 0 <= self.switch_probability <= 1:
            raise InputError(f"the switch probability is a share between 0 and 1, not {self.switch_probability}.")
        self.train.validate()
        self.codeswitch.validate()
        self.mixup.validate()

    def settings(self) -> dict:
        """Everything that decides a run's result, for its record and for resuming."""
        return {"model": self.model, "data": self.data, "source": self.source, "miner": self.miner,
                "augment_languages": list(self.augment_languages), "dictionary": self.dictionary,
                "max_train_examples": self.max_train_examples, "train": asdict(self.train),
                "augmentation": self.augmentation, "switch_probability": self.switch_probability,
                "codeswitch": asdict(self.codeswitch), "mixup": asdict(self.mixup)}


MAX_AUGMENT = 8  # augmentation languages by default: each one costs a pass of the miner over the training set
