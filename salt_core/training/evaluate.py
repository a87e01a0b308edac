"""Evaluation: the trained (best) model on every evaluated language's test split, zero-shot — accuracy and
macro-F1 per language, and each sentence's prediction kept for the paired bootstrap."""

from __future__ import annotations

from salt_core.training import engine
from salt_core.training.plan import Plan


def score_languages(trainer, p: Plan, mlm, label_ids: dict) -> dict[str, dict]:
    """{language: accuracy, macro_f1, n, predicted, gold} for every language of the plan, source first."""
    scores = {}
    for language in p.languages:
        test = p.task.split(language, "test")
        encoded = engine.encode(mlm.tokenizer, list(test["text"]), list(test["text_pair"]) if p.task.is_pair else None,
                                [label_ids[x] for x in test["label"]], p.experiment.train.max_length)[0]
        scores[language] = engine.evaluate(trainer, encoded, len(p.task.labels))
    return scores
