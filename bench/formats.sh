#!/usr/bin/env bash
# The same corpus as text files, as JSON Lines shards (.jsonl.zst) and as Parquet
# shards: `zhclean synth` writes the three from one seed (the People's Daily 1998
# text, as bench/compare.sh), then `zhclean clean` runs on each in turn, ROUNDS times,
# under /usr/bin/time. Prints, per format, the median wall time, MB/s of text (the
# UTF-8 text of the pages, the same for all three), CPU seconds and peak RSS, and the
# ratio to the text run, as a markdown table.
#
# It checks its answer before it prints: the JSON Lines and Parquet runs' reports
# are the same line for line (shard names aside), and the three runs score the same
# against truth.json (`zhclean eval`).
#
# usage: bench/formats.sh [SIZE] [ROUNDS] [JOBS] [WORKDIR]   (100M, 3, 2, target/formats)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-100M}
ROUNDS=${2:-3}
JOBS=${3:-2}
WORK=${4:-target/formats}
SEED=${SEED:-5}
# Outputs go to memory (as in bench/ab.sh), so the disk's state stays out of the figure.
OUT_ROOT=${OUT_ROOT:-/dev/shm/zhclean-formats}
mkdir -p "$WORK" "$OUT_ROOT"
WORK=$(cd "$WORK" && pwd)
. bench/lib.sh
source_and_build
FORMATS="text jsonl parquet"
for f in $FORMATS; do
    d="$WORK/$SIZE-$SEED-$f"
    if [ ! -d "$d/corpus" ]; then
        rm -rf "$d"
        "$Z" synth "$WORK/199801.txt" --out "$d" --size "$SIZE" --seed "$SEED" --format "$f" 2> "$d.log" \
            || { cat "$d.log" >&2; exit 1; }
    fi
done
LOG="$WORK/times.log"
: > "$LOG"
# Every run writes a folder of its own, removed only after the last (a folder deleted
# just before makes the next run's file creation slower, as bench/compare.sh notes); the
# last round's outputs are kept under WORKDIR and checked.
rm -rf "$WORK"/out-* "$OUT_ROOT"/out-*
for r in $(seq 1 "$ROUNDS"); do
    for f in $FORMATS; do
        /usr/bin/time -f "$f %e %U %S %M" -a -o "$LOG" \
            "$Z" clean "$WORK/$SIZE-$SEED-$f/corpus" --out "$OUT_ROOT/out-$f-$r" --id-field id -q -j "$JOBS"
    done
done
for f in $FORMATS; do
    mv "$OUT_ROOT/out-$f-$ROUNDS" "$WORK/out-$f"
done
rm -rf "$OUT_ROOT"
# The answer: record runs agree with each other line for line and with the text run in
# their scores.
for n in clusters removed placeholders; do
    sed 's/\.parquet"/.jsonl.zst"/g' "$WORK/out-parquet/report/$n.jsonl" | cmp -s - "$WORK/out-jsonl/report/$n.jsonl" \
        || { echo "formats.sh: $n.jsonl differs between the JSON Lines and Parquet runs" >&2; exit 1; }
done
for f in $FORMATS; do
    "$Z" eval "$WORK/$SIZE-$SEED-$f/truth.json" "$WORK/out-$f/report" --json > "$WORK/eval-$f.json"
done
python3 - "$WORK" "$LOG" "$SIZE" "$SEED" <<'PY'
import json, statistics as st, sys
work, log, size, seed = sys.argv[1:]
ev = {f: json.load(open(f"{work}/eval-{f}.json")) for f in ("text", "jsonl", "parquet")}
keys = ("paragraph_pairs", "placeholders", "furniture", "units")
for f in ("jsonl", "parquet"):
    for k in keys:
        if ev[f][k] != ev["text"][k]:
            sys.exit(f"formats.sh: {f} scores {k} {ev[f][k]} where the text run scores {ev['text'][k]}")
# The UTF-8 text of the pages: what a record run reads (its counts.bytes).
text_mb = json.load(open(f"{work}/out-jsonl/report/summary.json"))["counts"]["bytes"] / 1e6
file_mb = json.load(open(f"{work}/out-text/report/summary.json"))["counts"]["bytes"] / 1e6
rows = {}
for line in open(log):
    f, wall, user, sys_, rss = line.split()
    rows.setdefault(f, []).append((float(wall), float(user) + float(sys_), int(rss)))
base = st.median(w for w, _, _ in rows["text"])
print(f"corpus: {size} seed {seed}, {text_mb:.1f} MB of text ({file_mb:.1f} MB as files); pairs P/R "
      f"{ev['text']['paragraph_pairs']['precision']:.4f}/{ev['text']['paragraph_pairs']['recall']:.4f} for all three")
print("| input | wall (median) | MB/s of text | CPU s | peak RSS | wall vs text files |")
print("|---|---|---|---|---|---|")
for f, name in (("text", "text files"), ("jsonl", "JSON Lines (.jsonl.zst)"), ("parquet", "Parquet (zstd)")):
    w = st.median(x[0] for x in rows[f])
    c = st.median(x[1] for x in rows[f])
    m = st.median(x[2] for x in rows[f]) / 1024
    print(f"| {name} | {w:.2f} s | {text_mb / w:.1f} | {c:.2f} | {m:.0f} MiB | {w / base:.2f}× |")
PY
