import json
import shutil

import pytest
import torch

from salt_core.errors import ModelLoadError, SaltError
from salt_core.models.loading import DEFAULT_MODEL, default_model_name, load_masked_lm, set_threads
from salt_core.models.tiny import DEMO_MARKER, ensure_demo_model


def test_demo_models_load_as_masked_lms_in_eval_mode(demo_bert, demo_xlmr):
    for mlm, model_type in ((demo_bert, "bert"), (demo_xlmr, "xlm-roberta")):
        assert mlm.is_demo and mlm.source == "demo"
        assert "random weights" in mlm.label
        assert mlm.model.config.model_type == model_type
        assert not mlm.model.training
        assert mlm.tokenizer.is_fast and mlm.tokenizer.mask_token_id is not None
        assert mlm.max_length == 128


def test_demo_build_is_reproducible_up_to_token_order(tmp_path):
    # The tokenizers trainer breaks frequency ties in hash order, so ids may differ between builds; the
    # vocabulary and the seeded weights do not. (That is why a built demo folder is cached and reused.)
    from transformers import AutoTokenizer

    from salt_core.models.tiny import TinyConfig, build_tiny_model

    cfg = TinyConfig(kind="xlmr", vocab_size=2000, words_per_language=200)
    a, b = build_tiny_model(tmp_path / "a", cfg), build_tiny_model(tmp_path / "b", cfg)
    assert set(AutoTokenizer.from_pretrained(a).get_vocab()) == set(AutoTokenizer.from_pretrained(b).get_vocab())
    assert (a / "model.safetensors").read_bytes() == (b / "model.safetensors").read_bytes()


def test_folder_loads_and_demo_flag_follows_the_marker(tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(ensure_demo_model("bert"), folder)
    assert load_masked_lm(str(folder)).source == "folder"
    assert load_masked_lm(str(folder)).is_demo
    (folder / DEMO_MARKER).unlink()
    assert not load_masked_lm(str(folder)).is_demo


def test_unknown_model_offline_raises_our_error_with_advice():
    with pytest.raises(ModelLoadError) as info:
        load_masked_lm("no-such-org/no-such-model")
    message = str(info.value)
    assert "no-such-org/no-such-model" in message and "SALT_MODEL" in message and "demo" in message


def test_folder_that_is_not_a_model_gives_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelLoadError, match="does not hold a usable"):
        load_masked_lm(str(tmp_path))


def test_causal_lm_is_rejected(tmp_path):
    from transformers import GPT2Config

    GPT2Config(n_layer=1, n_head=1, n_embd=8, vocab_size=10).save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="not a masked language model"):
        load_masked_lm(str(tmp_path))


def test_tokenizer_without_mask_token_is_rejected(tmp_path):
    folder = tmp_path / "nomask"
    shutil.copytree(ensure_demo_model("bert"), folder)
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["mask_token"] = None
    config_path.write_text(json.dumps(config))
    tok = json.loads((folder / "tokenizer.json").read_text())
    tok["added_tokens"] = [t for t in tok["added_tokens"] if t["content"] != "[MASK]"]
    tok["model"]["vocab"].pop("[MASK]")
    (folder / "tokenizer.json").write_text(json.dumps(tok))
    with pytest.raises(ModelLoadError, match="no mask token"):
        load_masked_lm(str(folder))


def test_a_folder_whose_tokenizer_files_are_missing_is_refused_not_loaded_as_an_empty_tokenizer(tmp_path):
    # config.json alone makes transformers build an empty tokenizer of the config's family (5 special tokens):
    # every word became [UNK], and Substitutions said "no word-initial tokens of German"
    folder = tmp_path / "partial"
    shutil.copytree(ensure_demo_model("bert"), folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        (folder / name).unlink(missing_ok=True)
    with pytest.raises(ModelLoadError, match="tokenizer's files are missing"):
        load_masked_lm(str(folder))


def test_remote_code_is_never_executed(tmp_path):
    sentinel = tmp_path / "pwned"
    (tmp_path / "config.json").write_text(json.dumps({
        "model_type": "evil", "auto_map": {"AutoConfig": "evil.EvilConfig", "AutoModelForMaskedLM": "evil.Evil"}}))
    (tmp_path / "evil.py").write_text(f"open({str(sentinel)!r}, 'w').write('x')\n")
    with pytest.raises(SaltError):
        load_masked_lm(str(tmp_path))
    assert not sentinel.exists()


def test_salt_model_environment_variable_picks_the_default(monkeypatch):
    monkeypatch.delenv("SALT_MODEL", raising=False)
    assert default_model_name() == DEFAULT_MODEL
    monkeypatch.setenv("SALT_MODEL", "/models/mine")
    assert default_model_name() == "/models/mine"


def test_thread_count_is_settable():
    before = torch.get_num_threads()
    try:
        set_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_unavailable_cuda_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ModelLoadError, match="CUDA"):
        load_masked_lm("demo", device="cuda")


def test_a_checkpoint_without_a_trained_head_is_never_presented_as_a_masked_lm(tmp_path, demo_bert):
    """A bare encoder checkpoint loads into ...ForMaskedLM with a random head: detected, and mining refuses."""
    from transformers import BertModel

    from salt_core.errors import InputError
    from salt_core.substitutions.mining import mine_substitutions

    folder = tmp_path / "encoder-only"
    BertModel(demo_bert.model.config).save_pretrained(folder)
    demo_bert.tokenizer.save_pretrained(folder)
    encoder = load_masked_lm(folder)
    assert not encoder.has_mlm_head and not encoder.is_demo
    with pytest.raises(InputError, match="no trained masked-LM head"):
        mine_substitutions(encoder, ["The cat sat."], "en", ["de"])
    assert load_masked_lm("demo").has_mlm_head  # a full checkpoint keeps its head (random here, but trained shape)
