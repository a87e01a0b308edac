"""The Trainer's pieces against invariants and slow references: metrics, the mixup collator, the classifier."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from salt_core.mixup.mixing import MixupConfig
from salt_core.mixup.training import EmbeddingMixup
from salt_core.training import augment, engine, plan
from salt_core.training.config import TrainConfig


def slow_metrics(predictions, labels, n_labels):
    table = pd.crosstab(pd.Series(labels, name="gold"), pd.Series(predictions, name="predicted"))
    table = table.reindex(index=range(n_labels), columns=range(n_labels), fill_value=0)
    f1 = []
    for c in range(n_labels):
        tp, fp, fn = table.loc[c, c], table[c].sum() - table.loc[c, c], table.loc[c].sum() - table.loc[c, c]
        if tp + fp + fn:
            f1.append(2 * tp / (2 * tp + fp + fn))
    return 100 * np.mean(np.asarray(predictions) == np.asarray(labels)), 100 * np.mean(f1)


def test_accuracy_and_macro_f1_equal_a_slow_reference():
    rng = np.random.default_rng(0)
    for n_labels in (2, 7):
        labels = rng.integers(0, n_labels, 300)
        logits = rng.normal(size=(300, n_labels))
        logits[np.arange(150), labels[:150]] += 3  # half of them right by construction
        got = engine.metrics(logits, labels, n_labels)
        accuracy, f1 = slow_metrics(logits.argmax(-1), labels, n_labels)
        assert got["accuracy"] == pytest.approx(accuracy) and got["macro_f1"] == pytest.approx(f1)
    assert engine.metrics(np.eye(3), np.arange(3), 3) == {"accuracy": 100.0, "macro_f1": 100.0}


def test_mixup_pairs_average_their_substitutes_and_a_partner_of_itself_changes_nothing(demo_xlmr):
    tokenizer = demo_xlmr.tokenizer
    texts = ["The dog sleeps in the house.", "A cat."]
    switched = "The Hund sleeps in the Hausgemeinschaft."
    spans = [(4, 7, 4, 8), (22, 27, 23, switched.index("."))]
    partners = [(switched, spans), None]
    examples, too_long = engine.encode(tokenizer, texts, None, [0, 1], 128, partners)
    assert too_long == 0
    batch = engine.Collator(tokenizer.pad_token_id)(examples)
    matrix = batch["mix_alignment"]  # (batch, seq_s, seq_t)
    real = batch["attention_mask"].bool()
    assert torch.allclose(matrix.sum(-1)[real], torch.ones(int(real.sum())))  # each real piece: a mean of targets
    assert (matrix.sum(-1)[~real] == 0).all()
    n = len(examples[1].input_ids)
    assert torch.equal(matrix[1, :n, :n], torch.eye(n))  # no partner: mixes with itself
    embed = demo_xlmr.model.get_input_embeddings()
    h_s, h_t = embed(batch["input_ids"][1:]), torch.bmm(matrix[1:], embed(batch["mix_target_ids"][1:]))
    assert torch.allclose(h_s, h_t, atol=1e-6)  # so mix(h_s, h_t, r) == h_s for any r
    # a partner longer than max_length is not truncated into a wrong alignment: the example mixes with itself
    long = engine.encode(tokenizer, ["word " * 40], None, [0], 16, [("wort " * 40, None)])
    assert long[1] == 1 and long[0][0].mix_target_ids == long[0][0].input_ids


def test_typed_special_tokens_stay_text(demo_bert):
    [example], _ = engine.encode(demo_bert.tokenizer, ["[SEP] [MASK] x"], None, [0], 32)
    tokenizer = demo_bert.tokenizer
    controls = {tokenizer.sep_token_id, tokenizer.mask_token_id, tokenizer.cls_token_id}
    assert [t for t in example.input_ids[1:-1] if t in controls] == []


def test_the_classifier_keeps_the_encoder_and_freezes_embeddings_on_request(demo_bert):
    model = engine.classifier(demo_bert, ["a", "b", "c"], freeze_embeddings=True, seed=0)
    assert model.config.num_labels == 3 and model.config.id2label[2] == "c"
    assert not model.get_input_embeddings().weight.requires_grad
    ours, theirs = model.base_model.state_dict(), demo_bert.model.base_model.state_dict()
    shared = [k for k in theirs if k in ours]
    assert shared and all(torch.equal(ours[k], theirs[k]) for k in shared)
    assert engine.classifier(demo_bert, ["a", "b"], False, 0).get_input_embeddings().weight.requires_grad


def test_the_new_head_comes_from_the_seed_whatever_the_global_generator_holds(demo_bert):
    def head(seed):
        model = engine.classifier(demo_bert, ["a", "b", "c"], False, seed)
        return {k: v for k, v in model.state_dict().items() if k not in model.base_model.state_dict()
                and not k.startswith(model.base_model_prefix)}

    torch.manual_seed(1)
    first = head(3)
    torch.rand(1000)  # what mining, or a cached mining that skips it, leaves in the global generator
    again, other = head(3), head(4)
    assert first and first.keys() == again.keys()
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)

def test_a_trainer_step_draws_r_and_evaluation_ignores_mixup(demo_bert, tmp_path):
    texts = ["The river is near the house."] * 8
    partners = [("The Fluss is near the Haus.", None)] * 8
    examples, _ = engine.encode(demo_bert.tokenizer, texts, None, [0, 1] * 4, 64, partners)
    model = engine.classifier(demo_bert, ["a", "b"], True, 0)
    trainer = engine.make_trainer(model, examples, examples, demo_bert.tokenizer.pad_token_id, 2,
                                  TrainConfig(epochs=1, batch_size=4), 0, str(tmp_path), MixupConfig(), None, True)
    assert isinstance(trainer.model, EmbeddingMixup)
    trainer.train()
    r = trainer.model.last_r
    assert r is not None and r.shape[-1] == demo_bert.model.config.hidden_size and 0 <= r.min() and r.max() <= 1
    trainer.model.last_r = None
    scores = engine.evaluate(trainer, examples, 2)
    assert trainer.model.last_r is None and scores["n"] == 8  # eval mode: no mixing


def test_dictionary_code_switching_offers_only_dictionary_translations():
    pairs = pd.DataFrame({"source": ["dog", "dog", "house"], "target": ["Hund", "Köter", "Haus"]})
    mined = augment.dictionary_mined(["The dog sleeps in the house.", "Nothing here."], {"de": pairs}, "en")
    assert set(zip(mined["word"].str.lower(), mined["candidate"])) <= set(zip(pairs["source"], pairs["target"]))
    assert set(mined["sentence_id"]) == {0}
    assert mined.groupby(["sentence_id", "word_index"])["p_restricted"].sum().tolist() == pytest.approx([1.0, 1.0])
    switched = augment.codeswitched_examples(mined, ["The dog sleeps in the house.", "Nothing here."],
                                             augment.CodeSwitchSettings(ratio=1.0, synonym_threshold=None), seed=3)
    assert switched[1].codeswitched == "Nothing here." and not switched[1].replacements
    assert "Haus" in switched[0].codeswitched and ("Hund" in switched[0].codeswitched or "Köter" in switched[0].codeswitched)
    again = augment.codeswitched_examples(mined, ["The dog sleeps in the house.", "Nothing here."],
                                          augment.CodeSwitchSettings(ratio=1.0, synonym_threshold=None), seed=3)
    assert [s.codeswitched for s in again] == [s.codeswitched for s in switched]  # the seed decides the draw


def test_augmentation_languages_are_the_miners_and_never_the_source():
    # every evaluated language the registry knows (SIB-200's swh is Swahili, sw), in turn by resource level
    assert plan.augmentation_languages((), ["en", "de", "swh", "zh-Hant", "fr"], "en")[0] == ["de", "sw", "zh-Hant",
                                                                                              "fr"]
    with pytest.raises(augment.InputError, match="Unknown language code 'xx'"):
        plan.augmentation_languages(("de", "xx"), ["en"], "en")
    assert plan.augmentation_languages(("en", "yor_Latn"), ["en"], "en")[0] == ["yo"]


def test_last_checkpoint_skips_and_removes_a_checkpoint_cut_short(tmp_path):
    def checkpoint(step: int, state: str | None) -> Path:
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"weights")
        if state is not None:
            (folder / "trainer_state.json").write_text(state)
        return folder

    whole = checkpoint(40, '{"global_step": 40}')
    cut = checkpoint(120, '{"global_st')  # killed while writing the file written last
    missing = checkpoint(80, None)  # killed before it
    checkpoint(9, '{"global_step": 9}')  # numbered, not sorted as text
    assert engine.last_checkpoint(str(tmp_path)) == str(whole)
    assert not cut.exists() and not missing.exists()
    assert engine.last_checkpoint(str(tmp_path / "nothing")) is None


def test_a_run_on_similarity_substitutes_depends_on_that_miners_scoring_and_no_other_run_does(monkeypatch, tmp_path):
    """A finished run (or a cached mined table) made under another rank or calibration of the similarity miner is
    not taken as done; baseline and masked-LM runs keep their identity."""
    from types import SimpleNamespace

    import salt_core.substitutions.similarity as similarity
    from salt_core.training.config import Experiment
    from salt_core.training.plan import fingerprint, miner_for

    experiment = Experiment(model="m", data="d")
    plan = SimpleNamespace(miner="mlm")
    assert miner_for(plan, "baseline") is None and miner_for(plan, "salt") == "mlm"
    assert miner_for(plan, "similarity-codeswitch") == "similarity"
    before = {m: fingerprint(experiment, m, 1, ["de"], miner_for(plan, m)) for m in ("baseline", "salt",
                                                                                    "similarity-codeswitch")}
    monkeypatch.setattr(similarity, "scoring", lambda miner: "other" if miner == "similarity" else None)
    after = {m: fingerprint(experiment, m, 1, ["de"], miner_for(plan, m)) for m in before}
    assert after["baseline"] == before["baseline"] and after["salt"] == before["salt"]
    assert after["similarity-codeswitch"] != before["similarity-codeswitch"]


def test_evaluation_batched_by_length_predicts_each_sentence_as_it_would_alone(demo_bert, tmp_path):
    """Sorted by length for batching, the predictions come back in test order and equal one-at-a-time forward
    passes (no padding at all): the slow reference."""
    words = "the river near a house with many old trees and one small boat".split()
    texts = [" ".join(words[: 2 + (7 * i) % 12]) + "." for i in range(21)]  # lengths out of order
    labels = [i % 3 for i in range(21)]
    examples, _ = engine.encode(demo_bert.tokenizer, texts, None, labels, 64)
    model = engine.classifier(demo_bert, ["a", "b", "c"], True, 0)
    trainer = engine.make_trainer(model, examples, examples, demo_bert.tokenizer.pad_token_id, 3,
                                  TrainConfig(epochs=1, batch_size=4), 0, str(tmp_path), None, None, True)
    seen, predict = [], trainer.predict
    trainer.predict = lambda batch: seen.extend(len(e.input_ids) for e in batch) or predict(batch)
    scores = engine.evaluate(trainer, examples, 3)
    assert seen == sorted(seen) and seen != [len(e.input_ids) for e in examples]  # batched by length
    assert scores["gold"] == labels
    model.eval()
    with torch.no_grad():
        alone = [int(model(input_ids=torch.tensor([e.input_ids]),
                           attention_mask=torch.ones(1, len(e.input_ids), dtype=torch.long)).logits.argmax(-1))
                 for e in examples]
    assert scores["predicted"] == alone
