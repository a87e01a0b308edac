"""Mixup: SALT's online step, h = r * h_s + (1 - r) * h_t with a random vector r, and tools to see it.

    mixing.py     MixupConfig (granularity, distribution: this project's assumptions), sample_r, mix
    alignment.py  which code-switched pieces each source piece is mixed with (align)
    training.py   EmbeddingMixup, a model wrapper that mixes input embeddings in training mode; collate_pairs
    explore.py    what the Mixup page shows of one word: nearest tokens, a fixed projection, cosines,
                  masked-LM predictions under a mix
    figures.py    the page's figures
"""

from salt_core import lazy_exports

_EXPORTS = {name: "salt_core.mixup.mixing" for name in ("MixupConfig", "sample_r", "mix", "GRANULARITIES",
                                                         "DISTRIBUTIONS")}
_EXPORTS |= {name: "salt_core.mixup.alignment" for name in ("Alignment", "align", "replacements_from_sentences")}
_EXPORTS |= {name: "salt_core.mixup.training" for name in ("EmbeddingMixup", "collate_pairs")}
_EXPORTS |= {name: "salt_core.mixup.explore" for name in ("explore_word", "nearest_tokens", "predictions_under_mix",
                                                           "cosine_curve", "layer_states", "WordMixView")}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
