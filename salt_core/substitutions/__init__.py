"""Substitutions: SALT's offline step — which target-language words a model proposes for each word of a
sentence, which survive a threshold, and the code-switched text they make.

    mining.py        SALT's miner: mask each eligible word, predict it with the masked LM's output restricted
                     to a target language's vocabulary (and the source's, for synonyms)
    similarity.py    a second miner, embedding similarity to the target vocabulary (a baseline, not SALT's
                     method; works without a masked-LM head); mine() dispatches between the two
    codeswitching.py thresholds, ratio and seed -> code-switched sentences; threshold curves; dictionary
                     precision/recall and precision@k; agreement between miners
    dictionaries.py  bilingual dictionaries: CSV/TSV uploads, FreeDict (dictd), CC-CEDICT
    corpus.py        corpora of sentences from .txt/.csv/.tsv/.jsonl/.parquet (a file, a folder or a glob of shards),
                     bad lines reported by number, global sentence ids, fixed shards
    jobs.py          resumable, atomic corpus mining (python -m salt_core mine): parts, manifest, merge,
                     the skipped-lines report
    cluster.py       the same job on Ray Data (mine/codeswitch --engine ray): an actor pool over the shards
    figures.py       the page's figures and the code-switched HTML
"""

from salt_core import lazy_exports

_EXPORTS = {
    "mine_substitutions": "salt_core.substitutions.mining", "DEFAULT_TOP_K": "salt_core.substitutions.mining",
    "mine": "salt_core.substitutions.similarity", "mine_by_similarity": "salt_core.substitutions.similarity",
    "SimilaritySettings": "salt_core.substitutions.similarity", "MINERS": "salt_core.substitutions.similarity",
    "CodeSwitchSettings": "salt_core.substitutions.codeswitching", "CodeSwitched": "salt_core.substitutions.codeswitching",
    "codeswitch": "salt_core.substitutions.codeswitching", "clean_mined": "salt_core.substitutions.codeswitching",
    "kept_substitutions": "salt_core.substitutions.codeswitching",
    "threshold_curve": "salt_core.substitutions.codeswitching",
    "dictionary_precision_recall": "salt_core.substitutions.codeswitching",
    "dictionary_precision_at_k": "salt_core.substitutions.codeswitching",
    "miner_agreement": "salt_core.substitutions.codeswitching",
    "read_dictionary": "salt_core.substitutions.dictionaries", "read_dictd": "salt_core.substitutions.dictionaries",
    "read_cedict": "salt_core.substitutions.dictionaries",
    "installed_dictionaries": "salt_core.substitutions.dictionaries",
    "Corpus": "salt_core.substitutions.corpus", "read_corpus": "salt_core.substitutions.corpus",
    "mine_corpus": "salt_core.substitutions.jobs",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
