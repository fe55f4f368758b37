"""The Spark job on records (JSON Lines and Parquet) read through Spark's own readers from a
``file://`` URI, the object-store code path: its reports are byte for byte those of
`zhclean clean` on the same files, and its clean/ holds the same records in the same files.

Run by `python/test.sh`, with the session and helpers of test_spark.py.
"""

import gzip
import json
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from test_spark import (  # noqa: F401
    BIN, FIXTURES, assert_same_reports, local_run, session, spark_run,
)


def decompressed(path):
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        return gzip.decompress(data)
    if path.name.endswith(".zst"):
        return pa.CompressedInputStream(pa.BufferReader(data), "zstd").read()
    return data


def files_under(d):
    return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*") if p.is_file())


def assert_same_jsonl(local, dist):
    a, b = files_under(local / "clean"), files_under(dist / "clean")
    assert a == b, "clean/ holds different files"
    for rel in a:
        x, y = decompressed(local / "clean" / rel), decompressed(dist / "clean" / rel)
        assert x == y, f"clean/{rel} differs"
        for line in y.decode("utf-8").splitlines():
            json.loads(line)


def seed_texts():
    return [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "seeds").glob("*.txt"))]


def write_jsonl(path, lines):
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        data = gzip.compress(data)
    elif path.name.endswith(".zst"):
        data = pa.compress(data, codec="zstd", asbytes=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def jsonl_corpus(tmp_path_factory):
    """Seeds as records in plain, .gz and .zst files, with copies across files, bad
    records, blank lines, an empty text, a file whose every record is a copy, a hidden
    file and a file of another kind."""
    d = tmp_path_factory.mktemp("jsonl") / "in"
    texts = seed_texts()
    rec = lambda i, t, **kw: json.dumps({"id": f"r{i}", "n": i, "text": t, **kw},  # noqa: E731
                                        ensure_ascii=False)
    write_jsonl(d / "a.jsonl", [rec(0, texts[0]), "", rec(1, texts[1], tags=["x", 2]),
                                "{not json", json.dumps({"id": "r9", "body": "没有文本"})])
    write_jsonl(d / "b" / "c.jsonl.gz", [rec(2, texts[2]), rec(3, texts[0]),
                                         json.dumps({"id": "r8", "text": 17}), rec(4, "")])
    write_jsonl(d / "b" / "d.jsonl.zst", [rec(5, texts[3]), rec(6, texts[4]),
                                          rec(7, texts[1].replace("。", "。\n", 3))])
    write_jsonl(d / "e.jsonl", [rec(10, texts[0]), rec(11, texts[2])])
    write_jsonl(d / ".hidden.jsonl", [rec(12, texts[0])])
    (d / "notes.md").write_text("not a record file\n", encoding="utf-8")
    return d


@pytest.mark.parametrize("mode", [[], ["--annotate"]])
def test_jsonl_records_from_a_uri_give_the_same_outputs(session, tmp_path, jsonl_corpus, mode):
    flags = ["--id-field", "id", *mode]
    local, dist = tmp_path / "local", tmp_path / "spark"
    # Bad records are reported with their file and line, the run goes on, exit status 1.
    assert local_run(jsonl_corpus, local, *flags) == 1
    rc, logs = spark_run(session, jsonl_corpus.as_uri(), dist, *flags)
    assert rc == 1
    assert any("a.jsonl:4" in line for line in logs), logs
    s = assert_same_reports(local, dist)
    assert_same_jsonl(local, dist)
    assert {f["file"] for f in s["failed"]} == {"a.jsonl", "b/c.jsonl.gz"}
    assert s["options"]["records"]["format"] == "jsonl"
    clusters = (dist / "report" / "clusters.jsonl").read_text().splitlines()
    assert any('"record":"r10"' in c for c in clusters), "e.jsonl copies a.jsonl"
    if not mode:
        # e.jsonl is all copies: its file is there, with no record in it.
        assert decompressed(dist / "clean" / "e.jsonl") == b""


def test_parquet_shards_from_a_uri_give_the_same_outputs(session, tmp_path):
    src = tmp_path / "source.txt"
    src.write_text("".join(seed_texts()), encoding="utf-8")
    subprocess.run(
        [BIN, "synth", str(src), "--out", str(tmp_path / "syn"), "--seed", "5", "--docs", "25",
         "--format", "parquet"],
        check=True, capture_output=True,
    )
    synth = tmp_path / "syn" / "corpus"
    # Shards with other columns around the text, in their order and types.
    rich = tmp_path / "rich"
    rich.mkdir()
    t = seed_texts()
    for name, texts in [("a.parquet", t[:2] + [None]), ("b.parquet", [t[0], t[3], t[4]])]:
        pq.write_table(pa.table({
            "n": pa.array([1, 2, 3], pa.int64()),
            "text": texts,
            "id": [f"{name}-{i}" for i in range(3)],
            "score": [0.5, 1.5, 2.5],
        }), rich / name)
    for corpus, mode, bad in [(synth, ["--annotate"], []), (rich, [], [2]),
                              (rich, ["--keep-empty"], [2])]:
        local, dist = tmp_path / "local", tmp_path / "spark"
        flags = ["--id-field", "id", "--force", *mode]
        assert local_run(corpus, local, *flags) == (1 if bad else 0)
        rc, logs = spark_run(session, corpus.as_uri(), dist, *flags)
        assert rc == (1 if bad else 0)
        s = assert_same_reports(local, dist)
        assert [f["row"] for f in s["failed"]] == bad
        assert files_under(local / "clean") == files_under(dist / "clean")
        for rel in files_under(local / "clean"):
            a, b = pq.read_table(local / "clean" / rel), pq.read_table(dist / "clean" / rel)
            assert a.schema.names == b.schema.names, rel
            assert a.to_pylist() == b.to_pylist(), f"clean/{rel} differs"
        if corpus == rich:
            assert pq.read_table(dist / "clean" / "a.parquet").schema.names == \
                ["n", "text", "id", "score"]
        else:
            assert s["counts"]["clusters"]["paragraph"] > 10


def test_an_output_inside_the_input_is_refused(session, tmp_path, jsonl_corpus):
    with pytest.raises(ValueError, match="inside the input folder"):
        spark_run(session, jsonl_corpus.as_uri(), jsonl_corpus / "out")
    assert not (jsonl_corpus / "out").exists()


def test_an_output_format_other_than_the_input_is_refused(session, tmp_path, jsonl_corpus):
    with pytest.raises(ValueError, match="--output-format"):
        spark_run(session, jsonl_corpus.as_uri(), tmp_path / "out", "--output-format",
                  "parquet")
    assert not (tmp_path / "out").exists()
