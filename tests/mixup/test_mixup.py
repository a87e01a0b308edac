import numpy as np
import pandas as pd
import pytest
import torch

from salt_core.errors import InputError
from salt_core.mixup.alignment import align, replacements_from_sentences
from salt_core.mixup.explore import (
    Projection,
    cosine_curve,
    explore_word,
    nearest_tokens,
    predictions_under_mix,
)
from salt_core.mixup.mixing import MixupConfig, mix, sample_r
from salt_core.mixup.training import EmbeddingMixup, collate_pairs

SHAPE = (3, 5, 16)


def test_mix_follows_the_formula():
    g = torch.Generator().manual_seed(0)
    h_s, h_t = torch.randn(SHAPE, generator=g), torch.randn(SHAPE, generator=g)
    assert torch.equal(mix(h_s, h_t, 1.0), h_s)
    assert torch.equal(mix(h_s, h_t, 0.0), h_t)
    r = torch.rand(SHAPE, generator=g)
    out = mix(h_s, h_t, r)
    b, t, j = 1, 2, 7  # each dimension j follows its own r_j
    assert out[b, t, j] == pytest.approx(float(r[b, t, j] * h_s[b, t, j] + (1 - r[b, t, j]) * h_t[b, t, j]))
    per_token = torch.rand(3, 5, 1, generator=g)  # one scalar per token broadcasts over dimensions
    assert torch.allclose(mix(h_s, h_t, per_token)[0, 0], per_token[0, 0] * h_s[0, 0] + (1 - per_token[0, 0]) * h_t[0, 0])
    with pytest.raises(InputError):
        mix(h_s, h_t[:, :4], 0.5)


@pytest.mark.parametrize("granularity, shape", [("dimension", (3, 5, 16)), ("token", (3, 5, 1)),
                                                ("instance", (3, 1, 1))])
@pytest.mark.parametrize("distribution", ["uniform", "beta"])
def test_samplers_shapes_range_and_seed(granularity, shape, distribution):
    cfg = MixupConfig(granularity, distribution, alpha=0.4)
    r = sample_r(SHAPE, cfg, torch.Generator().manual_seed(1))
    assert r.shape == shape and r.dtype == torch.float32
    assert (r >= 0).all() and (r <= 1).all()
    assert torch.equal(r, sample_r(SHAPE, cfg, torch.Generator().manual_seed(1)))
    assert sample_r(SHAPE, cfg, dtype=torch.float64).dtype == torch.float64


def test_beta_alpha_shapes_the_distribution():
    g = torch.Generator().manual_seed(0)
    u_shaped = sample_r((1, 1, 20000), MixupConfig(distribution="beta", alpha=0.2), g)
    peaked = sample_r((1, 1, 20000), MixupConfig(distribution="beta", alpha=5.0), g)
    extreme = lambda r: float(((r < 0.1) | (r > 0.9)).float().mean())  # noqa: E731
    assert extreme(u_shaped) > 0.5 > extreme(peaked)
    assert float(peaked.mean()) == pytest.approx(0.5, abs=0.01)


def test_bad_sampler_settings_are_input_errors():
    for cfg in [MixupConfig(distribution="beta", alpha=0.0), MixupConfig(granularity="pixel"),
                MixupConfig(distribution="normal")]:
        with pytest.raises(InputError):
            sample_r(SHAPE, cfg)


def test_alignment_rule_for_equal_and_different_piece_counts(demo_bert):
    tok = demo_bert.tokenizer
    a = align(tok, "The cat sat.", "The Katze sat.")
    source, target = tok.convert_ids_to_tokens(a.source_ids), tok.convert_ids_to_tokens(a.target_ids)
    assert source[0] == "[CLS]" and a.pairs[0] == [0] and a.pairs[-1] == [len(target) - 1]
    cat = [i for i, (s, e, w) in enumerate(a.source_words) if w == "cat"][0]
    start, end, _ = a.source_words[cat]
    katze = [p for p, t in enumerate(target) if t in ("Ka", "##tz", "##e")]
    for p in range(start, end):  # 2 pieces against 3: every source piece pairs with all 3
        assert a.pairs[p] == katze
    assert a.replaced == [w == "cat" for _, _, w in a.source_words]
    same = align(tok, "The cat sat.", "The dog sat.")  # 1 piece each side after "The"? pair position-wise
    for (s, e, _w), replaced in zip(same.source_words, same.replaced):
        if not replaced:
            assert all(len(same.pairs[p]) == 1 for p in range(s, e))
    assert np.allclose(a.matrix().sum(dim=1).numpy(), 1.0)


def test_alignment_from_codeswitch_spans_matches_typed(demo_xlmr):
    tok = demo_xlmr.tokenizer
    typed = align(tok, "The cat sat.", "The Katze sat.")
    spans = align(tok, "The cat sat.", "The Katze sat.", [(4, 7, 4, 9)])
    assert typed.pairs == spans.pairs


def test_pairs_that_do_not_align_are_input_errors():
    with pytest.raises(InputError, match="do not align"):
        replacements_from_sentences("The cat sat.", "The cat sat down.")
    with pytest.raises(InputError, match="both sentences"):
        replacements_from_sentences("", "The cat.")


def test_training_component_mixes_in_training_and_is_inert_in_eval(demo_bert):
    import copy

    model = copy.deepcopy(demo_bert.model)
    wrapped = EmbeddingMixup(model, MixupConfig(), seed=0)
    batch = collate_pairs(demo_bert.tokenizer, [("The cat sat on the mat.", "The Katze sat on the mat.", None),
                                                ("A dog runs.", "A Hund runs.", None)])
    labels = batch["input_ids"].clone()
    optimiser = torch.optim.AdamW(wrapped.parameters(), lr=1e-3)
    wrapped.train()
    embeddings_before = model.get_input_embeddings().weight.detach().clone()
    rs = []
    for _ in range(3):
        out = wrapped(**batch, labels=labels)
        out.loss.backward()
        assert model.get_input_embeddings().weight.grad is not None
        assert model.get_input_embeddings().weight.grad.abs().sum() > 0
        optimiser.step()
        optimiser.zero_grad()
        rs.append(wrapped.last_r.clone())
    assert not torch.equal(rs[0], rs[1])  # a fresh r every forward pass
    assert not torch.equal(model.get_input_embeddings().weight, embeddings_before)
    wrapped.eval()
    with torch.inference_mode():
        plain = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        other = EmbeddingMixup(model, MixupConfig("instance", "beta", 0.3)).eval()
        for sampler in (wrapped, other):
            mixed = sampler(**batch).logits
            assert torch.equal(mixed, plain)


def test_nearest_tokens_projection_and_cosine(demo_bert):
    embed = demo_bert.model.get_input_embeddings().weight.detach()
    cat_id = demo_bert.tokenizer.convert_tokens_to_ids("The")
    table = nearest_tokens(demo_bert, embed[[cat_id]], k=5)[0]
    assert table["token"].iloc[0] == "The" and table["cosine"].iloc[0] == pytest.approx(1.0, abs=1e-5)
    assert table["cosine"].is_monotonic_decreasing and "en" in table["language"].iloc[0]
    reference = embed[:50].numpy()
    projection = Projection.fit(reference)
    assert projection(reference).shape == (50, 2)
    # Fitted on fixed points only: projecting other points (the mixes) never moves the fixed ones, and the
    # projection is an orthonormal linear map of the centred data.
    projection(embed[60:65].numpy())
    assert np.allclose(projection(reference), Projection.fit(reference)(reference))
    assert np.allclose(projection.components @ projection.components.T, np.eye(2), atol=1e-5)
    assert np.allclose(projection(reference).mean(axis=0), 0, atol=1e-4)
    curve = cosine_curve(embed[5], embed[6], [0.0, 0.5, 1.0])
    assert curve["cos_to_source"].iloc[-1] == pytest.approx(1.0, abs=1e-5)
    assert curve["cos_to_target"].iloc[0] == pytest.approx(1.0, abs=1e-5)


def test_predictions_at_r_one_equal_the_unmixed_model(demo_bert):
    tok = demo_bert.tokenizer
    a = align(tok, "The cat sat on the mat.", "The Katze sat on the mat.")
    table = predictions_under_mix(demo_bert, a, word=1, masked_word=2, rs=[1.0, 0.0], k=3)
    text = "The cat [MASK] on the mat."
    inputs = tok(text, return_tensors="pt")
    with torch.inference_mode():
        logits = demo_bert.model(**inputs).logits[0, int((inputs["input_ids"][0] == tok.mask_token_id).nonzero()[0, 0])]
    expected = torch.topk(torch.softmax(logits, -1), 3)
    at_one = table[table["r"] == 1.0]
    assert at_one["probability"].to_numpy() == pytest.approx(expected.values.numpy(), abs=1e-5)
    with pytest.raises(InputError):
        predictions_under_mix(demo_bert, a, word=1, masked_word=1, rs=[0.5])


def test_explore_word_keeps_the_projection_fixed_and_validates(demo_bert):
    from salt_core.mixup.explore import explore_word
    from salt_core.mixup.mixing import MAX_SAMPLES

    a = align(demo_bert.tokenizer, "The cat sat on the mat.", "The Katze sat on the mat.")
    half = explore_word(demo_bert, a, 1, MixupConfig(), seed=0, n_samples=50, r=0.5)
    one = explore_word(demo_bert, a, 1, MixupConfig(), seed=0, n_samples=50, r=1.0)
    beta = explore_word(demo_bert, a, 1, MixupConfig("token", "beta", 0.3), seed=4, n_samples=50, r=0.0)
    pd_equal = half.reference[["x", "y"]].equals
    assert pd_equal(one.reference[["x", "y"]]) and pd_equal(beta.reference[["x", "y"]])  # points stay put
    source_point = one.reference[one.reference["role"] == "source"][["x", "y"]].to_numpy()
    target_point = beta.reference[beta.reference["role"] == "target"][["x", "y"]].to_numpy()
    assert np.allclose(one.current, source_point, atol=1e-5) and np.allclose(beta.current, target_point, atol=1e-5)
    assert half.cloud.shape == (50, 2) and len(half.r_values) == 50 * demo_bert.model.config.hidden_size
    assert len(beta.r_values) == 50  # one scalar per token
    assert "first piece" in half.source_word and "mean of 3 pieces" in half.target_word
    for bad in [dict(n_samples=0), dict(n_samples=MAX_SAMPLES + 1), dict(word=99), dict(r=1.5)]:
        args = dict(word=1, n_samples=10, r=0.5) | bad
        with pytest.raises(InputError):
            explore_word(demo_bert, a, args["word"], MixupConfig(), 0, args["n_samples"], args["r"])


def test_explore_word_at_an_encoder_layer_uses_contextual_states(demo_bert):
    from salt_core.mixup.explore import explore_word, layer_states

    a = align(demo_bert.tokenizer, "The cat sat on the mat.", "The Katze sat on the mat.")
    view = explore_word(demo_bert, a, 1, MixupConfig(), seed=0, n_samples=20, r=1.0, layer=2)
    with torch.inference_mode():
        direct = demo_bert.model.bert(input_ids=torch.tensor([a.source_ids]), output_hidden_states=True)
    assert torch.allclose(layer_states(demo_bert, a.source_ids, 2), direct.hidden_states[2][0])
    neighbours = view.reference[view.reference["role"] == "neighbour"]
    assert len(neighbours) == (len(a.source_ids) - 2) + (len(a.target_ids) - 2)  # every non-special token
    assert view.nearest_now.empty and view.nearest_along.empty
    source_point = view.reference[view.reference["role"] == "source"][["x", "y"]].to_numpy()
    assert np.allclose(view.current, source_point, atol=1e-4)  # r = 1 is h_s at that layer too
    with pytest.raises(InputError, match="Layer 9"):
        explore_word(demo_bert, a, 1, MixupConfig(), 0, 10, 0.5, layer=9)


def test_the_fixed_points_do_not_move_when_r_sampler_or_seed_change(demo_bert):
    a = align(demo_bert.tokenizer, "The cat sat on the mat.", "The Katze sat on the mat.")
    first = explore_word(demo_bert, a, 1, MixupConfig(), seed=0, n_samples=50, r=0.0)
    second = explore_word(demo_bert, a, 1, MixupConfig("token", "beta", 0.5), seed=7, n_samples=80, r=1.0)
    pd.testing.assert_frame_equal(first.reference, second.reference)
    assert not np.allclose(first.current, second.current)  # the star moved: r = 0 is h_t, r = 1 is h_s
    source = first.reference[first.reference["role"] == "source"][["x", "y"]].to_numpy()
    assert np.allclose(second.current, source, atol=1e-4)


def test_embedding_rows_beyond_the_tokenizer_are_never_neighbours(demo_bert):
    """multilingual-e5-small has 250,037 embedding rows for 250,002 pieces: rows without a token must not be
    proposed (they have no label)."""
    import copy

    import torch

    from salt_core.mixup.explore import nearest_tokens

    mlm = copy.copy(demo_bert)
    model = copy.deepcopy(demo_bert.model)
    size = len(demo_bert.tokenizer)
    model.resize_token_embeddings(size + 5)
    target = model.get_input_embeddings().weight.detach()[10].clone()
    with torch.no_grad():
        model.get_input_embeddings().weight[size:] = target * 3  # the closest rows of all, but no token's
    mlm.model = model
    table = nearest_tokens(mlm, target[None, :], k=4)[0]
    assert len(table) == 4 and table["token"].map(lambda t: isinstance(t, str) and t != "").all()


def test_a_continuation_piece_is_marked_so_look_alikes_differ(demo_xlmr):
    from salt_core.languages import vocabulary_entries
    from salt_core.mixup.explore import CONTINUATION, _token_label, nearest_tokens

    entries = vocabulary_entries(demo_xlmr.tokenizer)
    by_surface = {}
    for entry in entries:
        if entry.surface:
            by_surface.setdefault(entry.surface, {})[entry.initial] = entry.token_id
    surface, ids = next((s, i) for s, i in by_surface.items() if len(i) == 2)
    word, inside = _token_label(demo_xlmr, ids[True]), _token_label(demo_xlmr, ids[False])
    assert word == surface and inside == CONTINUATION + surface
    table = nearest_tokens(demo_xlmr, demo_xlmr.model.get_input_embeddings().weight[[ids[False]]].detach(), 3)[0]
    assert table["token"].iloc[0] == inside and table["piece"].iloc[0] == "inside a word"
