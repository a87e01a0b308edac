"""Self-augmentation of the source training set: substitutes mined by the model itself (SALT), or looked up in a
bilingual dictionary (CoSDA-ML style, a baseline), turned into one code-switched version of each example.

Mining does not depend on the seed, so it is done once per experiment and cached beside its runs (a resumed or
repeated experiment reuses it); the code-switching draw does, and uses the run's seed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from salt_core.errors import InputError
from salt_core.files import atomic_write
from salt_core.languages import LANGUAGES, common_words
from salt_core.substitutions.codeswitching import CodeSwitched, CodeSwitchSettings, codeswitch
from salt_core.substitutions.mining import COLUMNS
from salt_core.text import Eligibility, ineligible_reason, segment_words
from salt_core.training import engine
from salt_core.training.config import METHODS
from salt_core.training.plan import Plan, miner_for


def cached_mining(mlm, sentences: list[str], source: str, targets: list[str], miner: str, folder: Path,
                  batch_size: int = 64) -> pd.DataFrame:
    """Mine `sentences` once per (model, sentences, languages, miner and its scoring); the table is cached in
    `folder`."""
    from salt_core.substitutions.similarity import mine, scoring

    scored_by = scoring(miner)
    identity = [mlm.name, sentences, source, targets, miner] + ([scored_by] if scored_by else [])
    key = hashlib.sha256(json.dumps(identity).encode("utf-8")).hexdigest()[:16]
    path = Path(folder) / f"mined-{miner}-{key}.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    mined = mine(mlm, sentences, miner=miner, source=source, targets=targets, synonyms=False,
                 batch_size=batch_size)
    plain = mined.copy()
    plain.attrs = {}
    atomic_write(path, lambda tmp: plain.to_parquet(tmp, index=False))
    return plain


def dictionary_mined(sentences: list[str], dictionaries: dict[str, pd.DataFrame], source: str,
                     eligibility: Eligibility | None = None) -> pd.DataFrame:
    """A mined-substitutions table from dictionaries ({language: (source, target) pairs}): every eligible word
    the dictionary knows (lower-cased) gets each of its translations, all equally likely (CoSDA-ML's rule)."""
    eligibility = eligibility or Eligibility()
    lookup = {language: pairs.groupby(pairs["source"].str.lower())["target"].agg(list).to_dict()
              for language, pairs in dictionaries.items()}
    language = LANGUAGES[source]
    stopwords = frozenset(common_words(source, eligibility.stopword_count)) if eligibility.skip_stopwords else frozenset()
    rows = []
    for sentence_id, sentence in enumerate(sentences):
        for word_index, word in enumerate(segment_words(sentence)):
            if ineligible_reason(word, language, eligibility, stopwords):
                continue
            for target, table in lookup.items():
                translations = list(dict.fromkeys(table.get(word.text.lower(), [])))
                for rank, candidate in enumerate(translations, start=1):
                    rows.append({"sentence_id": sentence_id, "sentence": sentence, "word_index": word_index,
                                 "word": word.text, "start": word.start, "end": word.end, "n_pieces": 0,
                                 "windowed": False, "kind": "translation", "language": target, "rank": rank,
                                 "candidate": candidate, "token_id": -1, "p_restricted": 1.0 / len(translations),
                                 "p_full": float("nan"),
                                 "lang_mass": float("nan")})
    return pd.DataFrame(rows, columns=COLUMNS)


def codeswitched_examples(mined: pd.DataFrame, sentences: list[str], settings: CodeSwitchSettings,
                          seed: int) -> list[CodeSwitched]:
    """One code-switched version per sentence (the sentence itself where nothing passes the threshold), in the
    sentences' order; the draw uses `seed` (the run's)."""
    from dataclasses import replace

    switched = {r.sentence_id: r for r in codeswitch(mined, replace(settings, seed=seed))} if len(mined) else {}
    return [switched.get(i) or CodeSwitched(i, sentence, sentence, []) for i, sentence in enumerate(sentences)]


def spans(result: CodeSwitched) -> list[tuple[int, int, int, int]]:
    """The replacements of a code-switched sentence as (start, end, new_start, new_end), for `align`."""
    return [(r.start, r.end, r.new_start, r.new_end) for r in result.replacements]


class AugmentedExamples:
    """The training set as each optimisation step sees it, under the compute-matched scheme (config's docstring):
    one item per source example, so every method has the same number of steps per epoch; what an item holds is
    drawn when it is served, from `random.Random(f"{seed}:{epoch}:{index}")`, so a run is reproducible and a resumed
    run draws what the uninterrupted one did.

    * `switch` > 0: with that probability the item is a code-switched version (a fresh draw of its words and
      substitutes), else the original;
    * `mixup`: an original item is mixed with a freshly drawn code-switched partner (`partner="random"`: each
      substitute replaced by a random word-initial entry of its language, the control);
    * neither: the original (the baseline).
    `set_epoch` is called by the trainer at the start of every epoch."""

    def __init__(self, tokenizer, texts: list[str], pairs: list[str | None] | None, labels: list[int],
                 max_length: int, kept: dict, settings: CodeSwitchSettings, seed: int, switch: float = 0.0,
                 mixup: bool = False, partner: str = "substitute"):
        self.tokenizer, self.texts, self.pairs, self.labels = tokenizer, texts, pairs, labels
        self.max_length, self.kept, self.settings, self.seed = max_length, kept, settings, seed
        self.switch, self.mixup, self.partner, self.epoch = switch, mixup, partner, 0
        self._encode = engine.encode
        self._random_words: dict[str, list[str]] = {}
        self.served = {"original": 0, "code-switched": 0, "mixed": 0}

    def __len__(self) -> int:
        return len(self.texts)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _words_of(self, language: str) -> list[str]:
        """Word-initial vocabulary entries of a language, as text (the random partners' pool)."""
        if language not in self._random_words:
            from salt_core.languages import language_vocabulary

            ids = language_vocabulary(self.tokenizer, language).initial_ids
            words = [self.tokenizer.decode([i]).strip() for i in ids]
            self._random_words[language] = [w for w in words if w] or ["?"]
        return self._random_words[language]

    def draw(self, index: int, rng) -> CodeSwitched:
        """One code-switched version of example `index` (itself when no word has a kept candidate)."""
        import random as _random
        from dataclasses import replace as _replace

        from salt_core.substitutions.codeswitching import apply_replacements, switch_sentence

        drawn = switch_sentence(index, self.texts[index], self.kept.get(index, {}), self.settings, rng)
        if self.partner != "random" or not drawn.replacements:
            return drawn
        # the same words, each given a random word of the substitute's language
        reps = [_replace(rep, substitute=_random.Random(rng.random()).choice(self._words_of(rep.language)))
                for rep in drawn.replacements]
        return CodeSwitched(drawn.sentence_id, drawn.source, apply_replacements(drawn.source, reps), reps)

    def __getitem__(self, index: int):
        import random as _random

        rng = _random.Random(f"{self.seed}:{self.epoch}:{index}")
        pair = [self.pairs[index]] if self.pairs else None
        label = [self.labels[index]]
        if self.switch and rng.random() < self.switch:
            switched = self.draw(index, rng)
            self.served["code-switched"] += bool(switched.replacements)
            partner = [None] if self.mixup else None  # a switched item mixes with itself
            return self._encode(self.tokenizer, [switched.codeswitched], pair, label, self.max_length, partner)[0][0]
        if self.mixup:
            switched = self.draw(index, rng)
            self.served["mixed"] += bool(switched.replacements)
            return self._encode(self.tokenizer, [self.texts[index]], pair, label, self.max_length,
                                [(switched.codeswitched, spans(switched))])[0][0]
        self.served["original"] += 1
        return self._encode(self.tokenizer, [self.texts[index]], pair, label, self.max_length)[0][0]


def training_set(p: Plan, mlm, method: str, seed: int, train: pd.DataFrame, work: Path, label_ids: dict):
    """The examples a run trains on: under the compute-matched scheme an `AugmentedExamples` of one item per
    source example (drawn as served); under the additive scheme a list of the originals and fixed copies."""
    chosen, cfg = METHODS[method], p.experiment.train
    texts, pairs = list(train["text"]), list(train["text_pair"]) if p.task.is_pair else None
    labels = [label_ids[label] for label in train["label"]]
    if not chosen.codeswitch:
        return engine.encode(mlm.tokenizer, texts, pairs, labels, cfg.max_length)[0], {}
    if chosen.codeswitch == "dictionary":
        mined = dictionary_mined(texts, dictionaries_for(p), p.source)
    else:
        mined = cached_mining(mlm, texts, p.source, p.augment_languages, miner_for(p, method), work)
    if p.experiment.augmentation == "replace":
        from salt_core.substitutions.codeswitching import kept_by_sentence

        kept = kept_by_sentence(mined, p.experiment.codeswitch) if len(mined) else {}
        examples = AugmentedExamples(
            mlm.tokenizer, texts, pairs, labels, cfg.max_length, kept, p.experiment.codeswitch, seed,
            switch=p.experiment.switch_probability if chosen.copies else 0.0, mixup=chosen.mixup,
            partner=chosen.partner)
        return examples, {"examples": len(texts), "with a kept substitute": len(kept)}
    switched = codeswitched_examples(mined, texts, p.experiment.codeswitch, seed)
    changed = sum(1 for s in switched if s.replacements)
    report = {"code-switched": changed, "examples": len(texts)}
    examples = []
    if chosen.mixup:
        partners = [(s.codeswitched, spans(s)) for s in switched]
        mixed, too_long = engine.encode(mlm.tokenizer, texts, pairs, labels, cfg.max_length, partners)
        examples += mixed
        report["mixup pairs too long to mix"] = too_long
    else:
        examples += engine.encode(mlm.tokenizer, texts, pairs, labels, cfg.max_length)[0]
    if chosen.copies:
        copies = [s.codeswitched for s in switched]
        encoded = engine.encode(mlm.tokenizer, copies, pairs, labels, cfg.max_length,
                                [None] * len(copies) if chosen.mixup else None)[0]
        examples += [e for e, s in zip(encoded, switched) if s.replacements]  # an unchanged copy adds nothing
    return examples, report


def switched_into(p: Plan, method: str) -> list[str]:
    """The languages a method's examples are code-switched (or mixed) into: none for the baseline, the plan's
    augmentation languages for the miner's methods, and those of them a dictionary covers for the dictionary
    control (so its runs do not claim languages it never touched)."""
    chosen = METHODS[method]
    if not chosen.codeswitch:
        return []
    if chosen.codeswitch != "dictionary":
        return list(p.augment_languages)
    if p.experiment.dictionary == "installed":
        from salt_core.substitutions.dictionaries import installed_dictionaries

        covered = {target for source, target, _ in installed_dictionaries().values() if source == p.source}
    else:
        covered = set(dictionaries_for(p))
    return [language for language in p.augment_languages if language in covered]


def dictionaries_for(p: Plan) -> dict[str, pd.DataFrame]:
    from salt_core.substitutions.dictionaries import installed_dictionaries, read_dictionary

    if p.experiment.dictionary == "installed":
        found = {target: loader() for _label, (source, target, loader) in installed_dictionaries().items()
                 if source == p.source and target in p.augment_languages}
    else:
        path = Path(p.experiment.dictionary)
        if not path.is_file():
            raise InputError(f"{path} does not exist.")
        pairs = read_dictionary(path.read_bytes(), path.name)
        target = pairs.attrs.get("languages", (None, None))[1]
        if target is None:
            raise InputError(f"{path.name}: the dictionary names no target language (header such as en,de, or a "
                             "file name such as en-de.csv).")
        found = {target: pairs}
    if not found:
        raise InputError(f"No dictionary from {p.source} into {', '.join(p.augment_languages)} was found.")
    return found
