"""The protocol a reviewer expects: every method at the same number of optimisation steps by default, the controls
beside SALT, hyper-parameters chosen on the source dev split only, and each run's curve kept."""

import json
import random
import re

import pytest

from salt_core.substitutions.codeswitching import CodeSwitchSettings
from salt_core.training.augment import AugmentedExamples
from salt_core.training.experiment import TUNING
from salt_core.training.record import DETAILS, read_learning_curves, read_trained_runs
from tests.training.test_train_cli import QUICK, SIB200, cli, needs_sib200

METHODS = "baseline,salt-codeswitch,salt-mixup,salt,similarity-codeswitch,random-mixup"


def steps_in(protocol: str) -> int:
    return int(re.search(r"(\d+) optimisation steps", protocol).group(1))


@needs_sib200
def test_every_method_records_the_same_number_of_steps_by_default(tmp_path):
    out = tmp_path / "runs"
    result = cli("--data", SIB200, "--methods", METHODS, "--languages", "eng_Latn,deu_Latn", "--seeds", "1",
                 "--output", out, *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = read_trained_runs(out)
    protocols = runs.drop_duplicates("source")["protocol"]
    assert len(protocols) == 6 and {steps_in(p) for p in protocols} == {3}  # 48 examples / 16 per step, 1 epoch
    assert protocols.str.contains("the same for every method").all()
    assert protocols.str.contains("mean pooling|cls pooling").all()
    curves = read_learning_curves(out)
    assert curves.groupby("method")["step"].max().to_dict() == {m: 3 for m in METHODS.split(",")}
    controls = runs[runs["method"].str.contains("not SALT")].drop_duplicates("method")["method"]
    assert len(controls) == 2  # similarity-codeswitch and random-mixup, labelled as not SALT's method
    details = [json.loads(p.read_text()) for p in out.glob(f"*{DETAILS}")]
    served = {d["method"]: d["served"] for d in details}
    assert served["baseline"] is None and served["salt-mixup"]["code-switched"] == 0
    assert all(len(d["predictions"]["de"]["predicted"]) == 204 for d in details)  # per-example, for bootstraps


@needs_sib200
def test_the_additive_scheme_adds_steps_and_says_it_is_not_compute_matched(tmp_path):
    out = tmp_path / "runs"
    result = cli("--data", SIB200, "--methods", "baseline,salt-codeswitch", "--languages", "eng_Latn,deu_Latn",
                 "--seeds", "1", "--output", out, "--augmentation", "additive", "--threshold", "0", *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    protocols = read_trained_runs(out).drop_duplicates("method").set_index("method")["protocol"]
    assert "not compute-matched" in protocols["SALT (code-switching only)"]
    curves = read_learning_curves(out).groupby("method")["step"].max()
    assert curves["salt-codeswitch"] > curves["baseline"]


@needs_sib200
def test_tuning_chooses_on_source_dev_and_keeps_the_grid(tmp_path):
    out = tmp_path / "runs"
    result = cli("--data", SIB200, "--methods", "baseline", "--languages", "eng_Latn,deu_Latn", "--seeds", "1",
                 "--output", out, "--tune-grid", "1e-4:1,3e-4:2", *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    grid = json.loads((out / TUNING).read_text())
    assert sorted((g["learning_rate"], g["epochs"]) for g in grid.values()) == [(1e-4, 1.0), (3e-4, 2.0)]
    best = max(grid.values(), key=lambda g: (g["dev_accuracy"], -g["steps"], -g["learning_rate"]))
    protocol = read_trained_runs(out)["protocol"].iloc[0]
    assert "chosen on source dev from a grid of 2" in protocol and steps_in(protocol) == best["steps"]
    # the console says the grid sets the budget, not the default budget the runs do not train for
    assert "budget 1, 2 source-set epoch(s) from the tuning grid, chosen per method: not compute-matched" in \
        result.stderr and "optimisation steps for every method" not in result.stderr
    [details] = [json.loads(p.read_text()) for p in out.glob(f"*{DETAILS}")]
    assert len(details["tuning"]) == 2
    again = cli("--data", SIB200, "--methods", "baseline", "--languages", "eng_Latn,deu_Latn", "--seeds", "1",
                "--output", out, "--tune-grid", "1e-4:1,3e-4:2", *QUICK)
    assert again.returncode == 0 and "wrote 1 runs" in again.stdout  # the grid and the run are read back


def test_items_are_drawn_as_served_reproducibly_and_the_random_partner_keeps_the_language(demo_xlmr):
    texts = ["The dog sleeps in the house.", "The river is near the town."]
    kept = {0: {1: [{"sentence_id": 0, "word_index": 1, "start": 4, "end": 7, "word": "dog", "candidate": "Hund",
                     "language": "de", "kind": "translation", "p_restricted": 0.9}]}}
    settings = CodeSwitchSettings(0.3, None, "p_restricted", 1.0, ["de"], 0)

    def items(seed, partner="substitute"):
        data = AugmentedExamples(demo_xlmr.tokenizer, texts, None, [0, 1], 64, kept, settings, seed, switch=0.0,
                                 mixup=True, partner=partner)
        return data, [data[i] for i in range(2)]

    (_, first), (_, again) = items(3), items(3)
    assert [e.mix_target_ids for e in first] == [e.mix_target_ids for e in again]
    assert first[0].mix_target_ids != first[0].input_ids  # mixed with "The Hund sleeps ..."
    assert first[1].mix_target_ids == first[1].input_ids  # no kept candidate: mixes with itself
    data, _ = items(3, "random")
    words = set(data._words_of("de"))
    drawn = [data.draw(0, random.Random(k)) for k in range(20)]
    assert all(d.replacements[0].substitute in words for d in drawn)
    assert len({d.replacements[0].substitute for d in drawn}) > 5  # random words, not the substitute
    assert all(d.codeswitched.startswith("The ") and d.codeswitched.endswith(" sleeps in the house.") for d in drawn)


def test_an_unknown_pooling_or_a_cls_pooling_without_a_pooler_is_refused(demo_bert):
    from salt_core.errors import InputError
    from salt_core.training.head import resolve_pooling

    assert resolve_pooling(demo_bert, "auto")[0] == "mean"  # the demo checkpoint holds no pooler
    with pytest.raises(InputError, match="no pretrained pooler"):
        resolve_pooling(demo_bert, "cls")
    with pytest.raises(InputError, match="pooling must be one of"):
        resolve_pooling(demo_bert, "max")


def test_mean_pooling_is_the_masked_mean_and_a_pretrained_pooler_is_loaded_not_drawn(demo_bert, tmp_path):
    import torch
    from transformers import BertForPreTraining

    from salt_core.models.loading import load_masked_lm
    from salt_core.training.head import build_classifier

    model, pooling = build_classifier(demo_bert, 3, "auto", seed=0, freeze_embeddings=True)
    assert pooling == "mean"
    ids = torch.tensor([[5, 6, 7, 0], [8, 9, 0, 0]])
    mask = (ids != 0).long()
    hidden = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
    expected = torch.stack([hidden[0, :3].mean(0), hidden[1, :2].mean(0)])
    assert torch.allclose(model.pool(hidden, mask), expected, atol=1e-6)

    # a checkpoint with a trained pooler (as mBERT's): a masked LM loads without it; the head reads it from disk
    pretraining = BertForPreTraining(demo_bert.model.config)
    with torch.no_grad():
        pretraining.bert.pooler.dense.weight.normal_()
    pretraining.save_pretrained(tmp_path)
    demo_bert.tokenizer.save_pretrained(tmp_path)
    with_pooler = load_masked_lm(str(tmp_path))
    model, pooling = build_classifier(with_pooler, 3, "auto", seed=0, freeze_embeddings=True)
    assert pooling == "cls"
    assert torch.equal(model.pooler.weight, pretraining.bert.pooler.dense.weight)


@needs_sib200
def test_runs_compare_pairs_by_seed_and_bootstraps_the_kept_sentences(tmp_path):
    import subprocess
    import sys

    from tests.paths import ROOT

    out = tmp_path / "runs"
    result = cli("--data", SIB200, "--methods", "baseline,salt", "--languages", "eng_Latn,deu_Latn,fra_Latn",
                 "--seeds", "1,2", "--output", out, *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    compared = subprocess.run([sys.executable, "-m", "salt_core", "runs", "compare", str(out), "--method", "SALT"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert compared.returncode == 0, compared.stderr[-2000:]
    text = compared.stdout
    assert "over 2 shared seeds" in text and "Target languages (2" in text and "Source language:" in text
    assert "paired bootstrap over test sentences" in text and "p_bh" in text
    wrong = subprocess.run([sys.executable, "-m", "salt_core", "runs", "compare", str(out), "--method", "magic"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert wrong.returncode != 0 and "No accuracy run of method 'magic'" in wrong.stderr
