"""Record corpora round trip through `zhclean clean` and open in the tools people use:
Parquet shards written back open with pyarrow and with the `datasets` library (same
schema, metadata, column order and types); JSON Lines written back passes `jq -c .`
line by line and loads with `datasets` too. The cleaned texts are those of the same
texts cleaned as `.txt` files."""

import gzip
import json
import os
import pathlib
import shutil
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "fixtures/seeds").iterdir())


def zh(*args):
    return subprocess.run([os.environ["ZHCLEAN_BIN"], *map(str, args)], capture_output=True, text=True)


def seed_texts():
    # The seeds are UTF-8 but for one GB18030 page.
    out = []
    for p in SEEDS:
        b = p.read_bytes()
        try:
            out.append((p.name, b.decode("utf-8")))
        except UnicodeDecodeError:
            out.append((p.name, b.decode("gb18030")))
    return out


def datasets_offline(tmp_path):
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["HF_HOME"] = str(tmp_path / "hf")
    import datasets

    return datasets


def test_parquet_shards_round_trip_and_load_with_datasets(tmp_path):
    texts = seed_texts()
    table = pa.table(
        {
            "id": [n for n, _ in texts],
            "text": pa.array([t for _, t in texts], pa.large_string()),
            "meta": [{"site": i % 2, "tags": ["a", "b"]} for i in range(len(texts))],
            "score": pa.array([i + 0.5 for i in range(len(texts))], pa.float32()),
        }
    ).replace_schema_metadata({"huggingface": json.dumps({"info": {"features": {}}})})
    src = tmp_path / "in" / "data"
    src.mkdir(parents=True)
    pq.write_table(table.slice(0, 2), src / "train-00000-of-00002.parquet", compression="zstd")
    pq.write_table(table.slice(2), src / "train-00001-of-00002.parquet")
    files = tmp_path / "files"
    files.mkdir()
    for n, t in texts:
        (files / n).write_text(t, encoding="utf-8")

    r = zh("clean", tmp_path / "in", "--out", tmp_path / "out", "--id-field", "id", "-q")
    assert r.returncode == 0, r.stderr
    t = zh("clean", files, "--out", tmp_path / "tout", "-q")
    assert t.returncode == 0, t.stderr

    shards = sorted((tmp_path / "out/clean/data").glob("*.parquet"))
    assert [s.name for s in shards] == ["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    got = pa.concat_tables([pq.read_table(s) for s in shards])
    # The schema the input shards read back with (Parquet names a list's items
    # "element", whatever the table in memory called them).
    want = pq.read_table(src / "train-00000-of-00002.parquet").schema
    assert got.schema.equals(want, check_metadata=True)
    assert pq.ParquetFile(shards[0]).metadata.row_group(0).column(0).compression == "ZSTD"
    kept = {n: (tmp_path / "tout/clean" / n).read_text(encoding="utf-8") for n, _ in texts if (tmp_path / "tout/clean" / n).exists()}
    assert got.column("id").to_pylist() == [n for n, _ in texts if n in kept]
    for n, text in zip(got.column("id").to_pylist(), got.column("text").to_pylist()):
        assert text.rstrip("\n") == kept[n].rstrip("\n")
    rows = {r["id"]: r for r in got.to_pylist()}
    orig = {r["id"]: r for r in table.to_pylist()}
    for n in rows:
        assert rows[n]["meta"] == orig[n]["meta"] and rows[n]["score"] == orig[n]["score"]

    datasets = datasets_offline(tmp_path)
    ds = datasets.load_dataset("parquet", data_files=[str(s) for s in shards], split="train")
    assert ds.num_rows == len(kept)
    assert ds.column_names == ["id", "text", "meta", "score"]
    assert ds[0]["id"] == got.column("id")[0].as_py()

    # The reports name the shard and the row's id.
    rec = json.loads((tmp_path / "out/report/removed.jsonl").read_text().splitlines()[0])
    assert rec["file"].startswith("data/train-") and rec["record"] in dict(texts)


def test_jsonl_output_passes_jq_and_loads_with_datasets(tmp_path):
    texts = seed_texts()
    src = tmp_path / "in"
    src.mkdir()
    with gzip.open(src / "dump.jsonl.gz", "wt", encoding="utf-8") as f:
        for i, (n, t) in enumerate(texts):
            f.write(json.dumps({"url": f"http://example.com/{i}", "text": t, "n": i, "x": None}, ensure_ascii=False) + "\n")
    for flags in ([], ["--annotate"]):
        out = tmp_path / ("ann" if flags else "out")
        r = zh("clean", src / "dump.jsonl.gz", "--out", out, "-q", *flags)
        assert r.returncode == 0, r.stderr
        lines = gzip.open(out / "clean/dump.jsonl.gz", "rt", encoding="utf-8").read().splitlines()
        assert lines and len(lines) <= len(texts)
        jq = shutil.which("jq")
        assert jq, "jq is needed for this test (.ci/run installs it)"
        for line in lines:
            p = subprocess.run([jq, "-c", "."], input=line, capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
            assert json.loads(p.stdout) == json.loads(line)
        first = json.loads(lines[0])
        assert list(first) == ["url", "text", "n", "x"] + (["zhclean"] if flags else [])
        if flags:
            assert len(lines) == len(texts)
            assert first["zhclean"]["kept"] is False  # 000 is a copy of 001's third speech
    datasets = datasets_offline(tmp_path)
    ds = datasets.load_dataset("json", data_files=str(tmp_path / "out/clean/dump.jsonl.gz"), split="train")
    assert ds.num_rows == len(texts) - 1
    assert "text" in ds.column_names
