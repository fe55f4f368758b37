"""Rows per second per core of the Spark job's per-shard step against the local run.

    python bench/spark_shard.py CORPUS ZHCLEAN_BIN [RUNS]

The per-shard step is `Engine.analyze` (read, decode, clean, segment, fingerprint, band
keys) on batches of 256 files, in one Python process on one core, as a Spark task runs
it. The local figure is the analyze phase of `zhclean clean -j1` on the same corpus
(`summary.json`'s `run.phase_seconds.2_analyze`), which does the same work. Runs
alternate; medians are printed. Checks that both count the same paragraphs.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import pyarrow as pa

from zhclean import Engine


def shard_run(corpus):
    e = Engine([corpus, "--out", os.path.join(tempfile.gettempdir(), "unused-out")])
    paths, _ = e.walk()
    rows = 0
    t = time.perf_counter()
    for i in range(0, len(paths), 256):
        chunk = paths[i:i + 256]
        batch = pa.RecordBatch.from_arrays(
            [pa.array(range(i, i + len(chunk)), pa.uint32()), pa.array(chunk)],
            names=["file_idx", "rel_path"],
        )
        _, _, paras = e.analyze(batch)
        rows += paras.num_rows
    return rows, time.perf_counter() - t


def local_run(corpus, binary):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([binary, "clean", corpus, "--out", d + "/o", "-q", "-j", "1"], check=True)
        s = json.load(open(d + "/o/report/summary.json"))
    return s["counts"]["paragraphs"], s["run"]["phase_seconds"]["2_analyze"]


def main():
    corpus, binary = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    shard, local = [], []
    for _ in range(runs):
        shard.append(shard_run(corpus))
        local.append(local_run(corpus, binary))
    assert len({r for r, _ in shard + local}) == 1, f"paragraph counts differ: {shard} {local}"
    rows = shard[0][0]
    ts = statistics.median(t for _, t in shard)
    tl = statistics.median(t for _, t in local)
    size = sum(
        os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(corpus) for f in fs
    )
    print(f"corpus: {corpus} ({size / 1e6:.1f} MB, {rows} paragraphs), {runs} runs each")
    print(f"per-shard step (Engine.analyze, 1 core): median {ts:.2f} s, "
          f"{rows / ts:,.0f} rows/s, {size / ts / 1e6:.2f} MB/s")
    print(f"zhclean clean -j1 analyze phase:        median {tl:.2f} s, "
          f"{rows / tl:,.0f} rows/s, {size / tl / 1e6:.2f} MB/s")
    print(f"ratio per-shard / local: {tl / ts:.3f}")


if __name__ == "__main__":
    main()
