"""The corpus job both engines share: global ids over shards of files, fixed shards, the streaming merge, the
dataset folder, the skipped-lines report, and the id ranges of the Ray code-switcher (without Ray)."""

import json

import pandas as pd
import pytest

from salt_core.errors import InputError
from salt_core.substitutions.corpus import Corpus, corpus_inputs, read_inputs, shards
from salt_core.substitutions.jobs import (
    assemble,
    commit_shard,
    open_parts,
    skipped_rows,
    skipped_summary,
    write_skipped,
)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "a.txt").write_text("one\n\nthree\n", encoding="utf-8")  # 3 lines
    (tmp_path / "b.jsonl").write_text('{"text": "four"}\n{broken\n{"text": "six"}', encoding="utf-8")  # no final \n
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.csv").write_text("id,text\n1,eight\n", encoding="utf-8")
    pd.DataFrame({"text": ["ten", None]}).to_parquet(tmp_path / "sub" / "d.parquet")
    (tmp_path / ".hidden.txt").write_text("never\n")
    (tmp_path / "notes.md").write_text("not a corpus\n")
    return tmp_path


def test_ids_are_global_over_the_files_of_a_folder_in_sorted_order(folder):
    inputs = corpus_inputs(folder)
    assert [(i.name, i.span, i.offset) for i in inputs] == [
        ("a.txt", 3, 0), ("b.jsonl", 3, 3), ("sub/c.csv", 2, 6), ("sub/d.parquet", 2, 8)]
    corpus = read_inputs(inputs)
    assert dict(zip(corpus.sentence_ids, corpus.sentences)) == {1: "one", 2: "", 3: "three", 4: "four", 6: "six",
                                                                 8: "eight", 9: "ten"}
    assert [(p["line"], corpus.where(p["line"])) for p in corpus.problems] == [
        (5, ("b.jsonl", 2)), (10, ("sub/d.parquet", 2))]
    assert corpus.where(8) == ("sub/c.csv", 2)  # the CSV's first row is its line 2
    # a glob names the same files; a single file keeps its own line numbers
    assert [i.name.rsplit("/", 1)[-1] for i in corpus_inputs(str(folder / "*.txt"))] == ["a.txt"]
    assert read_inputs(corpus_inputs(folder / "b.jsonl")).sentence_ids == [1, 3]
    with pytest.raises(InputError, match="matches no files"):
        corpus_inputs(str(folder / "*.tsv"))
    with pytest.raises(InputError, match="does not exist"):
        corpus_inputs(folder / "missing.txt")


def test_shards_are_fixed_line_ranges_of_one_file(folder):
    corpus = read_inputs(corpus_inputs(folder))
    got = [(s.first, s.sentence_ids) for s in shards(corpus, 2)]
    # a.txt lines 1-2, 3; b.jsonl lines 1 (id 4), 3 (id 6): 2 is bad; c.csv line 2 (id 8); d.parquet row 1 (id 9)
    assert got == [(1, [1, 2]), (3, [3]), (4, [4]), (6, [6]), (7, [8]), (9, [9])]
    # the same whatever was mined before: shards depend on the corpus and the size alone
    assert [s.first for s in shards(corpus, 2)] == [s.first for s in shards(corpus, 2)]


def _frame(ids):
    rows = [{"sentence_id": i, "sentence": f"s{i}", "word_index": w, "word": "x", "start": 0, "end": 1, "n_pieces": 1,
             "windowed": False, "kind": "translation", "language": "de", "rank": r, "candidate": f"c{r}",
             "token_id": r, "p_restricted": 0.5, "p_full": 0.1, "lang_mass": 0.2, "miner": "mlm"}
            for i in ids for w in (1, 0) for r in (2, 1)]  # written out of order: the merge sorts
    frame = pd.DataFrame(rows)
    frame.attrs.update(skipped=[], warnings=[])
    return frame


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_the_merge_streams_shards_in_id_order(tmp_path, suffix):
    from salt_core.files import read_table
    from salt_core.substitutions.corpus import Shard

    output = tmp_path / f"mined{suffix}"
    parts = open_parts(output, {"job": 1})
    for first, ids in ((5, [5, 6]), (1, [1, 3]), (7, [])):  # committed in any order, one of them empty
        commit_shard(parts, Shard(first, ids, [""] * len(ids)), _frame(ids))
    result = assemble(parts, output)
    merged = read_table(output)
    assert result.rows == len(merged) == 16 and result.sentences == 4 and not parts.exists()
    keys = ["sentence_id", "word_index", "kind", "language", "rank"]
    assert merged[keys].equals(merged[keys].sort_values(keys).reset_index(drop=True))
    assert merged["sentence_id"].unique().tolist() == [1, 3, 5, 6]


def test_a_job_of_other_settings_is_refused_naming_what_differs(tmp_path):
    output = tmp_path / "mined.parquet"
    open_parts(output, {"input_sha256": "a", "top_k": "5"})
    with pytest.raises(InputError, match=r"\(top_k differ\).*--restart"):
        open_parts(output, {"input_sha256": "a", "top_k": "3"})
    assert open_parts(output, {"input_sha256": "a", "top_k": "3"}, restart=True).exists()


def test_an_interrupted_similarity_job_of_another_scoring_is_not_continued(tmp_path, folder):
    """The similarity miner's rank and calibration decide every row: parts mined under other ones (an earlier
    version's, whose manifest lacks the entry) are refused, not mixed with new rows."""
    from salt_core.substitutions.jobs import fingerprint
    from salt_core.substitutions.similarity import SimilaritySettings

    inputs = corpus_inputs(folder)
    similarity = fingerprint(inputs, None, "m", {"miner": "similarity", "top_k": 5})
    assert similarity["similarity_scoring"] == repr(SimilaritySettings())
    assert "similarity_scoring" not in fingerprint(inputs, None, "m", {"miner": "mlm", "top_k": 5})
    output = tmp_path / "mined.parquet"
    earlier = {k: v for k, v in similarity.items() if k != "similarity_scoring"}
    open_parts(output, earlier)
    with pytest.raises(InputError, match=r"\(similarity_scoring differ\)"):
        open_parts(output, similarity)


def test_a_dataset_folder_is_readable_as_one_table(tmp_path):
    from salt_core.files import read_table
    from salt_core.substitutions.corpus import Shard

    output = tmp_path / "mined"
    parts = open_parts(output, {"job": 2})
    for first, ids in ((1, [1]), (2, [2]), (3, [])):
        commit_shard(parts, Shard(first, ids, [""] * len(ids)), _frame(ids))
    assemble(parts, output, as_dataset=True)
    assert sorted(p.name for p in output.iterdir()) == ["_manifest.json", "part-000000000001.parquet",
                                                        "part-000000000002.parquet"]
    assert json.loads((output / "_manifest.json").read_text())["rows"] == 8
    assert sorted(read_table(output)["sentence_id"].unique()) == [1, 2]


def test_skipped_lines_are_summarised_by_reason_and_listed_in_full(tmp_path):
    corpus = Corpus(files=[("a.txt", 0), ("b.txt", 500)])
    problems = [{"line": 502, "reason": "not valid JSON"}]
    skipped = [{"sentence_id": i, "reason": "empty or whitespace only"} for i in range(3, 240, 3)]
    rows = skipped_rows(corpus, problems, skipped)
    assert len(rows) == 80 and rows[-1] == {"file": "b.txt", "line": 2, "stage": "read", "reason": "not valid JSON"}
    sidecar = write_skipped(tmp_path / "out.parquet", rows)
    lines = skipped_summary(rows, sidecar)
    assert lines[0] == ("79 lines not mined: empty or whitespace only (lines a.txt:3, a.txt:6, a.txt:9, a.txt:12, "
                        "a.txt:15, … (74 more))")
    assert lines[1] == "1 line not mined: not valid JSON (line b.txt:2)" and str(sidecar) in lines[2]
    assert len(pd.read_csv(sidecar)) == 80
    assert write_skipped(tmp_path / "out.parquet", []) is None and not sidecar.exists()  # no stale list


def test_id_ranges_cut_at_row_groups_and_each_range_codeswitches_like_the_whole(tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    from salt_core.substitutions.cluster import codeswitch_range, id_ranges
    from salt_core.substitutions.codeswitching import CodeSwitchSettings, codeswitch

    frame = _frame(range(1, 41)).assign(sentence=lambda f: "x y", end=1)
    path = tmp_path / "mined.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=16)  # 4 sentences each
    ranges = id_ranges(path, rows_per_task=32)
    assert ranges[0][0] is None and ranges[-1][1] is None and len(ranges) == 5
    settings = CodeSwitchSettings(translation_threshold=0.0, ratio=1.0, seed=3)
    pieces = [line for low, high in ranges for line in codeswitch_range(str(path), low, high, settings)[0]]
    whole = [json.dumps(r.to_dict(), ensure_ascii=False, default=str) for r in
             codeswitch(frame.sort_values(["sentence_id", "word_index", "kind", "language", "rank"]), settings)]
    assert pieces == whole and len(whole) == 40


def test_a_workers_error_reaches_the_user_as_its_own_one_line_message():
    from salt_core.substitutions.cluster import _ray_error

    class RayTaskError(Exception):  # Ray's wrapper: the worker's traceback in its text, the error in .cause
        pass

    RayTaskError.__module__ = "ray.exceptions"
    wrapped = RayTaskError("Traceback (most recent call last):\n  File ...\nInputError: x")
    wrapped.cause = InputError("/data/out.parquet.parts is not visible on worker node-2")
    outer = RuntimeError("Dataset execution failed")
    outer.__cause__ = wrapped
    assert str(_ray_error(outer)) == "/data/out.parquet.parts is not visible on worker node-2"
    failed = _ray_error(RuntimeError("Traceback ...\n  File x\nObjectLostError: gone"))
    assert str(failed) == "the Ray job failed: RuntimeError: ObjectLostError: gone" and "\n" not in str(failed)
