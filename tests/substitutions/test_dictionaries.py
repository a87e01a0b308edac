"""Dictionary readers against real FreeDict and CC-CEDICT excerpts (tests/fixtures/real/SOURCES.md)."""


import pandas as pd
import pytest

from salt_core.errors import InputError
from salt_core.substitutions import dictionaries
from salt_core.substitutions.codeswitching import dictionary_precision_at_k
from tests.paths import REAL as REAL_FILES

REAL = REAL_FILES / "dictionaries"


def translations(frame: pd.DataFrame, word: str) -> set[str]:
    return set(frame.loc[frame["source"] == word, "target"])


def test_freedict_eng_fra_reads_numbered_senses_and_every_entry_of_a_headword():
    frame = dictionaries.read_dictd(REAL / "freedict-eng-fra.index")
    assert frame.attrs["languages"] == ("en", "fr")
    assert translations(frame, "dog") == {"chien", "clébard"}
    assert {"eau", "onde", "arroser", "aquatique"} <= translations(frame, "water")  # "2. eau, onde"
    assert {"temps", "fois", "heure"} <= translations(frame, "time")
    assert not frame["source"].str.startswith("00database").any()
    assert not frame["target"].str.contains(r"\d|\s").any()  # single words, no sense numbers


def test_freedict_deu_eng_reversed_gives_english_to_german_without_grammar_or_notes():
    frame = dictionaries.read_dictd(REAL / "freedict-deu-eng.index", reverse=True)
    assert frame.attrs["languages"] == ("en", "de")
    assert "hund" in translations(frame, "dog")
    assert "haus" in translations(frame, "house")
    assert not frame["target"].str.contains("<|>|masc").any()


def test_cedict_gives_english_to_simplified_chinese_and_skips_classifiers_and_surnames():
    frame = dictionaries.read_cedict(REAL / "cedict_excerpt.u8")
    assert frame.attrs["languages"] == ("en", "zh")
    assert {"狗", "犬"} <= translations(frame, "dog")
    assert "书" in translations(frame, "book") and "書" not in set(frame["target"])  # simplified side
    assert "水" in translations(frame, "water")
    assert "write" in set(frame["source"])  # "to write" -> write
    assert not frame["source"].str.startswith(("cl:", "surname")).any()
    assert "shui" not in set(frame["source"])  # "surname Shui" is no translation


def test_a_dictd_index_without_its_data_file_is_a_clear_error(tmp_path):
    index = tmp_path / "freedict-eng-fra.index"
    index.write_text((REAL / "freedict-eng-fra.index").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError, match="needs both"):
        dictionaries.read_dictd(index)


def test_installed_dictionaries_are_found_in_a_dictd_folder_and_offered_english_first(tmp_path):
    for name in ("freedict-eng-fra.index", "freedict-eng-fra.dict.dz", "freedict-deu-eng.index",
                 "freedict-deu-eng.dict.dz"):
        (tmp_path / name).write_bytes((REAL / name).read_bytes())
    found = dictionaries.installed_dictionaries(tmp_path)
    pairs = {label: (s, t) for label, (s, t, _) in found.items()}
    assert pairs["FreeDict eng-fra"] == ("en", "fr")
    assert pairs["FreeDict deu-eng, reversed"] == ("en", "de")
    assert "chien" in translations(found["FreeDict eng-fra"][2](), "dog")


def test_precision_at_k_counts_a_word_once_with_a_hit_among_its_k_best():
    dictionary = dictionaries.read_dictd(REAL / "freedict-eng-fra.index")
    rows = []
    for sid, (word, candidates) in enumerate([("dog", ["loup", "chien"]), ("house", ["maison", "toit"]),
                                              ("water", ["feu", "terre"]), ("zzz", ["chien", "x"])]):
        rows += [{"sentence_id": sid, "word_index": 0, "word": word, "kind": "translation", "language": "fr",
                  "rank": rank, "candidate": c} for rank, c in enumerate(candidates, start=1)]
    mined = pd.DataFrame(rows)
    result = dictionary_precision_at_k(mined, dictionary, "fr", ks=(1, 2)).iloc[0]
    assert result["words_in_dictionary"] == 3  # "zzz" is not in the dictionary and does not count
    assert result["precision@1"] == pytest.approx(1 / 3)  # house
    assert result["precision@2"] == pytest.approx(2 / 3)  # house, dog


def test_a_cedict_file_uploaded_on_the_page_is_read_as_cedict():
    from salt_core.substitutions.dictionaries import read_dictionary

    data = (REAL / "cedict_excerpt.u8").read_bytes()
    frame = read_dictionary(data, "cedict_excerpt.u8")
    assert frame.attrs["languages"] == ("en", "zh") and "狗" in translations(frame, "dog")
    plain = read_dictionary(b"source,target\ndog,chien\n", "en-fr.csv")  # an ordinary CSV stays one
    assert translations(plain, "dog") == {"chien"}


@pytest.mark.parametrize("text, name", [
    ("the der\nthe die\nhouse haus\nwater wasser\n", "en-de.0-5000.txt"),  # MUSE: one space, no header
    ("the\tder\nthe\tdie\nhouse\thaus\nwater\twasser\n", "en-de.txt"),
    ("source,target\nthe,der\nthe,die\nhouse,haus\nwater,wasser\n", "pairs_en_de.csv"),
    ("en de\nthe der\nthe  die\nhouse haus\n\nwater wasser\n", "lexicon.txt"),  # header of codes, runs of spaces
    ("English\tGerman\nthe\tder\nthe\tdie\nhouse\thaus\nwater\twasser\n", "lexicon.tsv"),
])
def test_dictionaries_in_the_formats_people_have(text, name):
    from salt_core.substitutions.dictionaries import read_dictionary

    frame = read_dictionary(text.encode(), name)
    assert frame[["source", "target"]].values.tolist() == [["the", "der"], ["the", "die"], ["house", "haus"],
                                                          ["water", "wasser"]]
    assert frame.attrs["languages"] == ("en", "de")


def test_space_separated_pairs_with_a_third_word_name_the_line():
    from salt_core.errors import InputError
    from salt_core.substitutions.dictionaries import read_dictionary

    with pytest.raises(InputError, match="line 2 has 3"):
        read_dictionary(b"the der\nice cream eis\n", "en-de.txt")
