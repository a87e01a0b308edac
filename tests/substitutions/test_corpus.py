import pytest

from salt_core.errors import InputError
from salt_core.substitutions.corpus import read_corpus


def test_txt_keeps_every_line_with_its_number():
    corpus = read_corpus(b"One.\n\nTwo.\n", "c.txt")
    assert corpus.sentence_ids == [1, 2, 3] and corpus.sentences == ["One.", "", "Two."]


def test_csv_finds_the_text_column_or_uses_the_named_one():
    data = b"id,text\n1,Hello there\n2,\"Quoted, with comma\"\n"
    assert read_corpus(data, "c.csv").sentences == ["Hello there", "Quoted, with comma"]
    assert read_corpus(b"a\tb\nx\ty\n", "c.tsv", text_column="b").sentences == ["y"]
    with pytest.raises(InputError, match="no text column"):
        read_corpus(b"a,b\n1,2\n", "c.csv")
    with pytest.raises(InputError, match="no column 'zzz'"):
        read_corpus(b"text\nx\n", "c.csv", text_column="zzz")


def test_jsonl_reports_bad_lines_and_keeps_good_ones():
    data = b'{"text": "Good one."}\n{broken\n[1, 2]\n{"text": 5}\n{"text": "Another."}\n'
    corpus = read_corpus(data, "c.jsonl")
    assert corpus.sentences == ["Good one.", "Another."] and corpus.sentence_ids == [1, 5]
    assert [p["line"] for p in corpus.problems] == [2, 3, 4]
    assert "not valid JSON" in corpus.problems[0]["reason"]


def test_non_utf8_empty_unknown_type_and_too_many_are_clear_errors():
    with pytest.raises(InputError, match="not UTF-8"):
        read_corpus(b"caf\xe9\n", "c.txt")
    with pytest.raises(InputError, match="no sentences"):
        read_corpus(b"", "c.txt")
    with pytest.raises(InputError, match="unsupported"):
        read_corpus(b"x", "c.pkl")
    with pytest.raises(InputError, match="limit"):
        read_corpus(b"a\nb\nc\n", "c.txt", max_sentences=2)
    assert read_corpus("\ufeffBOM line\n".encode(), "c.txt").sentences == ["BOM line"]


def test_dictionary_with_or_without_header_and_bad_lines():
    from salt_core.substitutions.dictionaries import read_dictionary

    assert read_dictionary(b"source,target\ncat,Katze\ndog,Hund\n", "d.csv")["target"].tolist() == ["Katze", "Hund"]
    assert read_dictionary(b"cat\tKatze\n", "d.tsv")["source"].tolist() == ["cat"]
    with pytest.raises(InputError, match="two columns"):
        read_dictionary(b"cat,Katze\nlonely\n", "d.csv")


def test_lines_split_on_newline_only_and_bad_jsonl_lines_do_not_reject_the_file():
    from salt_core.substitutions.corpus import read_corpus

    text = 'The cat\u2028sat.\nA dog\x85runs\x0chome.\r\n'.encode()
    corpus = read_corpus(text, "c.txt")
    assert corpus.sentence_ids == [1, 2] and corpus.sentences[0] == "The cat\u2028sat."
    jsonl = '{"text": "one\u2028line"}\n{broken\n{"text": "three"}\n'.encode()
    read = read_corpus(jsonl, "c.jsonl")
    assert read.sentence_ids == [1, 3] and read.problems[0]["line"] == 2
