"""The Spark job gives what `zhclean clean` gives, byte for byte (ids included).

Run by `python/test.sh` (a step of `.ci/run`), which builds the wheel, installs it with
PySpark in a virtualenv and points `ZHCLEAN_BIN` at the release binary.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from zhclean import Engine
from zhclean._arrow import whole_groups
from zhclean import spark as zspark

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("ZHCLEAN_BIN", str(ROOT / "target" / "release" / "zhclean"))
FIXTURES = ROOT / "fixtures"


@pytest.fixture(scope="module")
def session():
    from pyspark.sql import SparkSession

    s = (
        SparkSession.builder.master("local[2]")
        .appName("zhclean-test")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        # The default 1 GiB heap ran out in the last of several runs in one session.
        .config("spark.driver.memory", "3g")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def local_run(inp, out, *flags):
    r = subprocess.run([BIN, "clean", str(inp), "--out", str(out), "-q", *flags])
    return r.returncode


def spark_run(session, inp, out, *flags):
    logs = []
    rc = zspark.run(session, [str(inp), "--out", str(out), *flags], partitions=3,
                    log=lambda *a, **k: logs.append(" ".join(map(str, a))))
    return rc, logs


def tree(d):
    return {
        str(p.relative_to(d)): p.read_bytes() for p in sorted(Path(d).rglob("*")) if p.is_file()
    }


def assert_same(local, dist):
    a, b = tree(local / "clean"), tree(dist / "clean")
    assert sorted(a) == sorted(b), "clean/ holds different files"
    for k in a:
        assert a[k] == b[k], f"clean/{k} differs"
    assert_same_reports(local, dist)


def assert_same_reports(local, dist):
    """The reports of both runs are the same bytes (summary.json's `run` aside); returns
    the Spark run's summary."""
    for name in ["clusters.jsonl", "removed.jsonl", "placeholders.jsonl"]:
        x = (local / "report" / name).read_bytes()
        y = (dist / "report" / name).read_bytes()
        assert x == y, f"report/{name} differs"
    sx = json.loads((local / "report" / "summary.json").read_text())
    sy = json.loads((dist / "report" / "summary.json").read_text())
    # `run` holds times and thread counts; everything else must be equal.
    sx.pop("run")
    sy.pop("run")
    assert sx == sy
    return sy


def test_fixtures_give_the_same_outputs(session, tmp_path):
    # The fixtures hold a file with invalid bytes: both runs report it and exit 1.
    assert local_run(FIXTURES, tmp_path / "local") == 1
    rc, logs = spark_run(session, FIXTURES, tmp_path / "spark")
    assert rc == 1
    assert any("invalid byte" in line for line in logs)
    assert_same(tmp_path / "local", tmp_path / "spark")
    clusters = (tmp_path / "spark" / "report" / "clusters.jsonl").read_text().splitlines()
    assert len(clusters) > 5, "the fixtures have duplicates to find"


def test_synth_corpus_gives_the_same_outputs(session, tmp_path):
    src = tmp_path / "source.txt"
    src.write_bytes(b"".join(p.read_bytes() for p in sorted((FIXTURES / "seeds").glob("*.txt"))))
    subprocess.run(
        [BIN, "synth", str(src), "--out", str(tmp_path / "syn"), "--seed", "3", "--docs", "120"],
        check=True, capture_output=True,
    )
    corpus = tmp_path / "syn" / "corpus"
    # A page that lost its line breaks, and a copy of its second half: searched in
    # parts, so members with columns (`cols`) travel through Spark too.
    stream = "".join(
        line.strip() for p in sorted((FIXTURES / "seeds").glob("*.txt"))
        for line in p.read_text(encoding="utf-8").splitlines()
    )
    (corpus / "long_page.txt").write_text(stream[:6000] + "\n", encoding="utf-8")
    (corpus / "long_half.txt").write_text(stream[3000:6000] + "\n", encoding="utf-8")
    # Non-default flags travel to the workers too.
    rules = tmp_path / "rules.txt"
    rules.write_text("prefix:our-footer:责任编辑\nliteral:thanks:谢谢大家！\n", encoding="utf-8")
    # --max-partners 3 makes the candidate cap drop pairs, so both runs must drop the
    # same ones; --script writes simplified text.
    flags = ["--keep", "longest", "--mask-style", "token", "--threshold", "0.6",
             "--boilerplate-rules", str(rules), "--max-partners", "3", "--script", "simplified"]
    assert local_run(corpus, tmp_path / "local", *flags) == 0
    rc, _ = spark_run(session, corpus, tmp_path / "spark", *flags)
    assert rc == 0
    assert_same(tmp_path / "local", tmp_path / "spark")
    summary = json.loads((tmp_path / "spark" / "report" / "summary.json").read_text())
    assert summary["counts"]["clusters"]["document"] > 0
    assert summary["counts"]["clusters"]["paragraph"] > 100
    assert summary["counts"]["candidate_pairs_skipped"] > 0
    assert '"cols"' in (tmp_path / "spark" / "report" / "clusters.jsonl").read_text()


def test_dense_excerpts_give_the_same_outputs(session, tmp_path):
    # 300 windows of one 600-character passage (an excerpt site, dense): every window
    # has many copies among its partners, so paragraphs stop trying them at
    # enough_copies, and both runs must stop at the same pairs.
    import random

    stream = "".join(
        line.strip() for p in sorted((FIXTURES / "seeds").glob("*.txt"))
        for line in p.read_text(encoding="utf-8").splitlines()
    )
    corpus = tmp_path / "excerpts"
    corpus.mkdir()
    rng = random.Random(7)
    for i in range(300):
        k = rng.randint(80, 200)
        a = rng.randrange(0, 600 - k)
        (corpus / f"{i:04d}.txt").write_text(stream[a:a + k] + "\n", encoding="utf-8")
    assert local_run(corpus, tmp_path / "local") == 0
    rc, _ = spark_run(session, corpus, tmp_path / "spark")
    assert rc == 0
    assert_same(tmp_path / "local", tmp_path / "spark")
    summary = json.loads((tmp_path / "spark" / "report" / "summary.json").read_text())
    assert summary["counts"]["candidate_pairs_skipped"] > 1000
    assert summary["counts"]["removed_documents"] > 200


def test_no_duplicates_and_an_empty_folder(session, tmp_path):
    # No candidate, no component, no cluster: every empty step must still run.
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.txt").write_text("第一段文字，讲的是经济工作，内容完全不同于其他任何段落。\n", encoding="utf-8")
    (inp / "b.txt").write_text("这是另外一个文件，谈论安全生产问题，没有重复的内容出现。\n", encoding="utf-8")
    (inp / "bin.txt").write_bytes(b"\x00\x01binary")
    empty = tmp_path / "empty"
    empty.mkdir()
    for src in (inp, empty):
        local, dist = tmp_path / (src.name + "-local"), tmp_path / (src.name + "-spark")
        assert local_run(src, local) == 0
        assert spark_run(session, src, dist)[0] == 0
        assert_same(local, dist)
        assert (dist / "report" / "clusters.jsonl").read_bytes() == b""


def test_output_inside_input_is_refused(session, tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "a.txt").write_text("一段文字。\n", encoding="utf-8")
    with pytest.raises(ValueError, match="inside the input folder"):
        spark_run(session, inp, inp / "out")
    assert sorted(p.name for p in inp.iterdir()) == ["a.txt"]


def analyze(engine, rel):
    batch = pa.RecordBatch.from_arrays(
        [pa.array([0], pa.uint32()), pa.array([rel])], names=["file_idx", "rel_path"]
    )
    return engine.analyze(batch)


def test_batches_of_other_parameters_are_refused(tmp_path):
    args = [str(FIXTURES / "seeds"), "--out", str(tmp_path / "o")]
    e1, e2 = Engine(args), Engine(args + ["--seed", "2"])
    assert e1.params_id != e2.params_id
    rel = sorted(p.name for p in (FIXTURES / "seeds").glob("*.txt"))[0]
    files, docs, paras = analyze(e1, rel)
    assert json.loads(paras.schema.metadata[b"zhclean.params"])["seed"] == 1
    assert paras.schema.metadata[b"zhclean.schema"] == b"paragraphs/1"
    searched = paras.filter(paras.column("searched"))
    assert searched.num_rows > 0
    sig = e1.signatures(searched.select(["tokens", "params_id"]))
    t = sig.schema.field("signature").type
    assert pa.types.is_fixed_size_list(t) and t.list_size == 128 and t.value_type == pa.uint32()
    assert sig.num_rows == searched.num_rows
    with pytest.raises(ValueError, match="refusing to mix runs"):
        e2.signatures(searched.select(["tokens", "params_id"]))
    # Without the metadata, the params_id column still tells.
    bare = pa.RecordBatch.from_arrays(
        [searched.column("tokens"), searched.column("params_id")], names=["tokens", "params_id"]
    )
    with pytest.raises(ValueError, match="refusing to mix runs"):
        e2.signatures(bare)


def test_signatures_and_band_keys_are_stable(tmp_path):
    args = [str(FIXTURES / "seeds"), "--out", str(tmp_path / "o")]
    rel = sorted(p.name for p in (FIXTURES / "seeds").glob("*.txt"))[0]
    # Two engines (as on two machines) give the same keys.
    _, _, p1 = analyze(Engine(args), rel)
    _, _, p2 = analyze(Engine(args), rel)
    assert p1.column("band_keys").equals(p2.column("band_keys"))
    assert p1.column("key_hash").equals(p2.column("key_hash"))
    keys = [k for k in p1.column("band_keys").to_pylist() if k is not None]
    params = json.loads(Engine(args).params)
    assert all(len(k) == params["bands"] for k in keys)


def test_params_stay_what_they_were(tmp_path):
    # The params string is hashed into params_id, which batches and saved band keys
    # carry: these are the strings of the version that first built them from the
    # summary's options echo (the same values, the same keys).
    args = [str(FIXTURES / "seeds"), "--out", str(tmp_path / "o")]
    common = (
        '"min_chars":20,"num_perm":128,"rows":4,"schema_version":1,'
        '"scheme":"xxh3-32/minhash-affine-u32/lsh-band-key-1/t2s-1",'
    )
    assert Engine(args).params == (
        '{"bands":32,"boilerplate_rules":null,"doc_threshold":0.8,"encoding":null,'
        '"fold":"entities","keep":"best","keep_boilerplate":false,'
        '"mask_style":"conventional",' + common + '"seed":1,"shingle":"word:3",'
        '"threshold":0.7,"zhclean":"0.1.0"}'
    )
    flags = ["--max-partners", "8", "--script", "simplified", "--encoding", "gbk",
             "--keep", "longest", "--fold", "none"]
    assert Engine(args + flags).params == (
        '{"bands":32,"boilerplate_rules":null,"doc_threshold":0.8,"encoding":"GBK",'
        '"fold":"none","keep":"longest","keep_boilerplate":false,'
        '"mask_style":"conventional","max_partners":8,' + common + '"script":"simplified",'
        '"seed":1,"shingle":"word:3","threshold":0.7,"zhclean":"0.1.0"}'
    )


def test_input_schemas_come_from_the_engine(tmp_path):
    # The driver casts Spark's columns to what the Rust module says each method reads.
    e = Engine([str(FIXTURES / "seeds"), "--out", str(tmp_path / "o")])
    s = e.inputs("verify")
    assert s.names == [
        "a", "b", "a_tokens", "b_tokens", "a_whole_first", "a_whole_last", "a_whole",
        "b_whole_first", "b_whole_last", "b_whole", "params_id",
    ]
    assert s.field("a").type == pa.uint32()
    assert s.field("a_tokens").type == pa.list_(pa.uint32())
    assert s.field("params_id").type == pa.uint64()
    for method in ["analyze", "signatures", "bucket_pairs", "gap_cover", "paragraph_clusters",
                   "document_clusters", "records", "write"]:
        assert len(e.inputs(method).names) > 0, method
        assert hasattr(e, method), method
    with pytest.raises(ValueError, match="no engine method"):
        e.inputs("nope")


def test_output_schemas_are_read_off_the_engine(tmp_path):
    # The Spark DDL of what comes back, from the batches the engine returns for empty
    # inputs: the types the Arrow contract gives, as Spark reads them.
    e = Engine([str(FIXTURES / "seeds"), "--out", str(tmp_path / "o")])
    ddl = zspark.output_schemas(e, str(tmp_path / "clean"))
    assert ddl["pairs"] == "a bigint, b bigint"
    assert ddl["gains"] == "d bigint, e bigint, chars bigint"
    assert ddl["records"] == "cluster bigint, json string"
    assert ddl["clusters"] == (
        "component bigint, first bigint, kept bigint, member bigint, similarity double, "
        "containment boolean"
    )
    assert "removed binary" in ddl["written"]
    assert "tokens:array<int>, band_keys:array<bigint>" in ddl["files"]
    assert ddl["files"].startswith("file_idx bigint, rel_path string, status string")
    assert not (tmp_path / "clean").exists()


def test_rules_file_travels_as_an_absolute_path():
    got = zspark.absolute_rules(["in", "--boilerplate-rules", "r.txt", "--boilerplate-rules=s"])
    assert got[:2] == ["in", "--boilerplate-rules"]
    assert got[2] == os.path.abspath("r.txt")
    assert got[3] == "--boilerplate-rules=" + os.path.abspath("s")


def test_bad_flags_are_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="--threshold"):
        Engine([str(FIXTURES), "--out", str(tmp_path), "--threshold", "2"])


def test_whole_groups_never_split_a_group():
    keys = [1, 1, 2, 2, 2, 3, 4, 4]
    batches = [
        pa.RecordBatch.from_arrays([pa.array(keys[i:i + 3], pa.int64())], names=["k"])
        for i in range(0, len(keys), 3)
    ]
    out = [b.column("k").to_pylist() for b in whole_groups(iter(batches), "k")]
    assert sum(out, []) == keys
    seen = set()
    for b in out:
        for k in set(b):
            assert k not in seen, f"group {k} split across batches: {out}"
            seen.add(k)


def test_connected_components_match_union_find(session):
    edges = [(1, 2), (2, 3), (5, 4), (7, 8), (8, 9), (9, 7), (10, 3), (20, 21)]
    df = session.createDataFrame(edges, "u bigint, v bigint")
    comp, rounds = zspark.connected_components(session, df)
    got = {r.u: r.component for r in comp.collect()}
    assert got == {1: 1, 2: 1, 3: 1, 10: 1, 4: 4, 5: 4, 7: 7, 8: 7, 9: 7, 20: 20, 21: 20}
    assert rounds >= 1


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
