"""Mixup: see SALT's embedding mixup h = r*h_s + (1-r)*h_t for one word of a (source, code-switched) pair."""

import streamlit as st

from pages import ui
from salt_core.display import isolate, probability_text
from salt_core.errors import SaltError
from salt_core.mixup.alignment import align
from salt_core.mixup.explore import R_STEPS, check_fits, explore_word, predictions_under_mix
from salt_core.mixup.figures import cosine_figure, mixup_projection_figure, r_histogram
from salt_core.mixup.mixing import GRANULARITIES, MAX_SAMPLES, MixupConfig

mlm = ui.model_page(
    "pages/mixup.py", "Mixup",
    "SALT mixes each token's embedding with its code-switched substitute's: h = r·h_s + (1 − r)·h_t, with a random "
    "vector r drawn anew at every step. Defaults are this project's assumptions (the paper's are not available): "
    "input token embeddings, r_j ~ Uniform(0, 1) per dimension, per token, per instance.")
if mlm.is_demo:
    st.info("The demo model's embeddings are random, so everything this page shows is random too: it shows what "
            "the mixup does geometrically, not what a trained model knows.")

EXAMPLE_SOURCE, EXAMPLE_CODESWITCHED = "The cat sat on the mat.", "The Katze sat on the mat."
pairs = st.session_state.get("codeswitched_pairs") or []


def _use_pair(pair: dict) -> None:
    st.session_state["mx_src"], st.session_state["mx_cs"] = pair["source"], pair["codeswitched"]


if pairs:
    p1, p2 = st.columns([4, 1], vertical_alignment="bottom")
    index = p1.selectbox(f"Code-switched on the Substitutions page ({len(pairs)} sentences changed)",
                         range(len(pairs)), key="mx_pick", format_func=lambda i: pairs[i]["codeswitched"][:100])
    p2.button("Use this pair", key="mx_use", on_click=_use_pair, args=(pairs[index],))
c1, c2 = st.columns(2)
source = c1.text_input("Source sentence", EXAMPLE_SOURCE, key="mx_src", bind="query-params", max_chars=2000)
codeswitched = c2.text_input("Code-switched sentence", EXAMPLE_CODESWITCHED, key="mx_cs", bind="query-params",
                             max_chars=2000)
# A pair made on the Substitutions page keeps its exact replacement spans; a typed pair derives them word by word.
spans = next(([(r["start"], r["end"], r["new_start"], r["new_end"]) for r in pair["replacements"]]
              for pair in pairs if (pair["source"], pair["codeswitched"]) == (source, codeswitched)), None)
try:
    alignment = align(mlm.tokenizer, source or "", codeswitched or "", spans)
    check_fits(mlm, alignment)
except SaltError as exc:
    st.error(ui.plain(exc))
    st.stop()
if not any(alignment.replaced):
    st.info("The two sentences are identical: nothing is mixed (h_t = h_s for every word). Replace a word.")
words = list(range(len(alignment.source_words)))
first_replaced = next((i for i, flag in enumerate(alignment.replaced) if flag), 0)
label = {i: f"{i}: {w}" + (" (replaced)" if alignment.replaced[i] else "") for i, (_, _, w) in
         enumerate(alignment.source_words)}
# A new pair resets the word to its first replaced one, in the widget and in the URL (a shared link must not
# carry a word of the previous pair).
ui.reset_on_change("mixup_word", (source, codeswitched), {"mx_word": label[first_replaced]})
ui.keep_offered("mx_word", [label[i] for i in words])
word = words[[label[i] for i in words].index(st.selectbox("Word to mix", [label[i] for i in words],
                                                           index=first_replaced, key="mx_word",
                                                           bind="query-params"))]
unk = mlm.tokenizer.unk_token_id
if unk is not None and (unk in alignment.source_ids or unk in alignment.target_ids):
    st.warning("The tokenizer maps part of this pair to its unknown token: those pieces all share one embedding.")


@st.fragment
def explorer():
    """Controls and figures: changing them reruns only this part (the model and embeddings are cached)."""
    c1, c2, c3, c4, c5, c6 = st.columns(6)
    granularity = c1.selectbox("r drawn per", GRANULARITIES, key="mx_gran", bind="query-params",
                               help="dimension: a random vector (SALT); token / instance: one scalar (the same "
                                    "for a single word)")
    distribution = c2.radio("Distribution", ["uniform", "beta"], key="mx_dist", bind="query-params")
    alpha = c3.number_input("alpha (Beta)", 0.0, 100.0, 1.0, 0.1, key="mx_alpha", bind="query-params",
                            disabled=distribution != "beta")
    seed = c4.number_input("Seed", 0, 2**31 - 1, 0, key="mx_seed", bind="query-params")
    n_samples = c5.number_input("Samples of r", 1, MAX_SAMPLES, 300, 50, key="mx_n", bind="query-params",
                                help=f"1 to {MAX_SAMPLES:,}")
    layers = int(mlm.model.config.num_hidden_layers)
    asked = str(st.query_params.get("mx_layer", ""))
    if asked.isdigit() and int(asked) > layers:  # the URL check knows no model: 96 is its generic ceiling
        ui.drop_from_url("mx_layer", f"is not a layer of this model (0 to {layers})")
    layer = c6.number_input("Layer", 0, layers, 0, key="mx_layer",
                            bind="query-params", help="0: input token embeddings (this project's default, and what "
                                                      "training mixes); k: output of encoder layer k, in context")
    r = st.slider("Scalar r (1 = source word, 0 = substitute)", 0.0, 1.0, 0.5, 0.05, key="mx_r",
                  bind="query-params")
    try:
        view = explore_word(mlm, alignment, word, MixupConfig(granularity, distribution, float(alpha)), int(seed),
                            int(n_samples), float(r), layer=int(layer))
    except SaltError as exc:
        st.error(ui.plain(exc))
        return
    grey = "nearest vocabulary tokens" if layer == 0 else f"tokens of both sentences at layer {layer}"
    figure = mixup_projection_figure(view.reference, view.cloud, view.path, view.current, mlm.is_demo, grey)
    st.plotly_chart(figure, width="stretch", key="mx_projection")
    if layer > 0:
        st.caption(f"Layer {layer} states are contextual: the grey points are every token of both sentences at that "
                   "layer, and nearest vocabulary tokens do not apply (they live in the input-embedding space).")
    else:
        left, right = st.columns(2)
        with left:
            st.markdown(f"**Nearest vocabulary tokens of the mix at r = {r:.2f}** (cosine, input embeddings)")
            st.table(view.nearest_now.assign(token=view.nearest_now["token"].map(isolate))
                     .style.format({"cosine": "{:.4f}"}).hide(axis="index"))
        with right:
            st.markdown("**Nearest tokens as r moves** (top 3 at each r)")
            st.table(view.nearest_along.assign(token=view.nearest_along["token"].map(isolate))
                     .pivot(index="rank", columns="r", values="token"))
    f1, f2 = st.columns(2)
    f1.plotly_chart(cosine_figure(view.curve, view.samples, r, mlm.is_demo), width="stretch")
    f2.plotly_chart(r_histogram(view.r_values, mlm.is_demo), width="stretch")
    st.download_button("Projection figure (HTML)", figure.to_html(include_plotlyjs=True), "mixup_projection.html",
                       "text/html", help="Self-contained, works offline. For a PNG, use the camera icon on the figure.")


explorer()

st.subheader("What the model makes of it")
if not mlm.has_mlm_head:
    st.info("This section needs a trained masked-LM head, and this checkpoint has none (its head would be random): "
            "the geometry above is all this model can show.")
    st.stop()
others = [i for i in words if i != word and alignment.source_words[i][2].isalnum()] or [i for i in words if i != word]
if not others:
    st.info("The sentence needs a second word to mask.")
    st.stop()
default = min(others, key=lambda i: (abs(i - word), i < word))
masked_label = st.selectbox("Masked neighbouring word", [label[i] for i in others], index=others.index(default),
                            key="mx_masked")
masked = others[[label[i] for i in others].index(masked_label)]
st.caption(f"The mixed embeddings of '{ui.plain(alignment.source_words[word][2])}' sit at their position, "
           f"'{ui.plain(alignment.source_words[masked][2])}' is masked, and the masked LM predicts it; scalar r from 0 "
           "(substitute) to 1 (source word).")
predictions = predictions_under_mix(mlm, alignment, word, masked, R_STEPS)
# Three significant digits: a random model's probabilities (~1e-5) all read "0.000" at three decimals.
predictions["prediction"] = predictions["prediction"].map(isolate) + " (" + \
    predictions["probability"].map(probability_text) + ")"
st.table(predictions.pivot(index="rank", columns="r", values="prediction"))
