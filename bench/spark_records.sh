#!/usr/bin/env bash
# zhclean-spark on records next to zhclean clean on the same corpus: one synth corpus
# (the People's Daily 1998 text, as bench/formats.sh) as text files, as JSON Lines
# shards (.jsonl.zst) and as Parquet shards; the Spark job in local[JOBS] reads the
# record corpora through file:// URIs (the object-store code path) and the text folder
# from the shared file system. One run each, under /usr/bin/time; prints wall time,
# MB/s of text and peak RSS of the Python driver as a markdown table.
#
# It checks its answer before it prints: each Spark run's reports are byte-identical to
# zhclean clean's on the same input (summary.json's `run` aside).
#
# Needs a virtualenv with the zhclean wheel and PySpark (python/test.sh makes one).
# usage: bench/spark_records.sh [SIZE] [JOBS] [WORKDIR] [VENV]
#        (10M, 2, target/formats, target/spark-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-10M}
JOBS=${2:-2}
WORK=${3:-target/formats}
VENV=${4:-target/spark-venv}
SEED=${SEED:-5}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
VENV=$(cd "$VENV" && pwd)
. bench/lib.sh
source_and_build
export PYSPARK_PYTHON="$VENV/bin/python" PYSPARK_DRIVER_PYTHON="$VENV/bin/python"
LOG="$WORK/spark-times.log"
: > "$LOG"
for f in text jsonl parquet; do
    d="$WORK/$SIZE-$SEED-$f"
    if [ ! -d "$d/corpus" ]; then
        rm -rf "$d"
        "$Z" synth "$WORK/199801.txt" --out "$d" --size "$SIZE" --seed "$SEED" --format "$f" 2> "$d.log" \
            || { cat "$d.log" >&2; exit 1; }
    fi
    in="$d/corpus"
    [ "$f" = text ] || in="file://$d/corpus"
    rm -rf "$WORK/sl-$f" "$WORK/ss-$f"
    /usr/bin/time -f "$f local %e %M" -a -o "$LOG" \
        "$Z" clean "$d/corpus" --out "$WORK/sl-$f" --id-field id -q -j "$JOBS"
    /usr/bin/time -f "$f spark %e %M" -a -o "$LOG" \
        "$VENV/bin/zhclean-spark" --master "local[$JOBS]" --partitions $((JOBS * 4)) \
        "$in" --out "$WORK/ss-$f" --id-field id -q 2> "$WORK/ss-$f.log" \
        || { cat "$WORK/ss-$f.log" >&2; exit 1; }
    for n in clusters.jsonl removed.jsonl placeholders.jsonl; do
        cmp -s "$WORK/sl-$f/report/$n" "$WORK/ss-$f/report/$n" \
            || { echo "spark_records.sh: $f: report/$n differs" >&2; exit 1; }
    done
done
"$VENV/bin/python" - "$WORK" "$LOG" "$SIZE" "$SEED" "$JOBS" <<'PY'
import json, sys
work, log, size, seed, jobs = sys.argv[1:]
for f in ("text", "jsonl", "parquet"):
    a = json.load(open(f"{work}/sl-{f}/report/summary.json"))
    b = json.load(open(f"{work}/ss-{f}/report/summary.json"))
    a.pop("run"), b.pop("run")
    if a != b:
        sys.exit(f"spark_records.sh: {f}: summary.json differs")
text_mb = json.load(open(f"{work}/sl-jsonl/report/summary.json"))["counts"]["bytes"] / 1e6
runs = {}
for line in open(log):
    f, how, wall, rss = line.split()
    runs[(f, how)] = (float(wall), int(rss) / 1024)
print(f"corpus: {size} seed {seed}, {text_mb:.1f} MB of text; local[{jobs}] against -j {jobs}")
print("| input | `zhclean clean` | `zhclean-spark` | Spark vs local | MB/s (Spark) | Spark driver peak RSS |")
print("|---|---|---|---|---|---|")
for f, name in (("text", "text files"), ("jsonl", "JSON Lines (.jsonl.zst), file:// URI"),
                ("parquet", "Parquet (zstd), file:// URI")):
    (lw, _), (sw, sr) = runs[(f, "local")], runs[(f, "spark")]
    print(f"| {name} | {lw:.1f} s | {sw:.1f} s | {sw / lw:.1f}× | {text_mb / sw:.2f} | {sr:.0f} MiB |")
PY
