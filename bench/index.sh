#!/usr/bin/env bash
# The saved index at scale: a synth corpus of SIZE, of which BATCH_MB of files (picked
# by a hash of their paths) are the new batch and the rest the corpus already cleaned.
#
# 1. `zhclean index build base/ --index IDX`: time, peak RSS, index size on disk;
# 2. `zhclean clean new/ --index IDX` (update mode, the index put back as it was after
#    each run): time and peak RSS, median of REPEATS;
# 3. `zhclean clean base/+new/` from scratch, as one folder: time and peak RSS, median
#    of REPEATS;
# and checks the answers: the batch against the index must remove from new/ what the
# run from scratch removes from it, and write the same text (every run is --keep
# first, under which the two are the same by design). Prints one line per run and the
# ratio of the medians.
#
# usage: bench/index.sh SIZE BATCH_MB JOBS WORK [REPEATS]
#   e.g. bench/index.sh 1G 10 2 /work/bench-index 3
set -euo pipefail
SIZE=$1 BATCH_MB=$2 JOBS=$3 WORK=$(realpath -m "$4") REPEATS=${5:-3}
mkdir -p "$WORK"
. "$(dirname "$0")/lib.sh"
source_and_build
C=$WORK/corpus-$SIZE
if [ ! -d "$C/base" ]; then
    rm -rf "$C" "$C.synth"
    "$Z" synth "$WORK/199801.txt" --out "$C.synth" --size "$SIZE" --seed 5 --no-truth > /dev/null
    python3 - "$C.synth/corpus" "$C" "$BATCH_MB" <<'PY'
import hashlib, os, sys
src, dst, mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
files = []
for root, _, names in os.walk(src):
    for n in names:
        p = os.path.join(root, n)
        files.append((hashlib.md5(os.path.relpath(p, src).encode()).hexdigest(), p))
files.sort()
budget, taken = mb * 1e6, 0
for _, p in files:
    rel = os.path.relpath(p, src)
    part = "new" if taken < budget else "base"
    if part == "new":
        taken += os.path.getsize(p)
    to = os.path.join(dst, part, rel)
    os.makedirs(os.path.dirname(to), exist_ok=True)
    os.rename(p, to)
PY
    rm -rf "$C.synth"
fi
echo "corpus: base $(du -sb "$C/base" | cut -f1) B, new $(du -sb "$C/new" | cut -f1) B, $(find "$C" -type f | wc -l) files"
T=$(mktemp)
R=$WORK/runs
trap 'rm -rf "$T" "$R"' EXIT
# `timed NAME CMD…`: run under /usr/bin/time -v; print wall seconds and peak RSS.
timed() {
    local name=$1
    shift
    /usr/bin/time -v "$@" > /dev/null 2> "$T" || [ $? -eq 1 ] || { cat "$T"; exit 1; }
    python3 - "$name" "$T" <<'PY'
import sys
name, times = sys.argv[1:]
t = {}
for line in open(times):
    k, _, v = line.strip().rpartition(": ")
    t[k] = v
h, m, s = (["0"] + t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"))[-3:]
wall = int(h) * 3600 + int(m) * 60 + float(s)
print(f"{name}: wall {wall:.2f} s, peak RSS {int(t['Maximum resident set size (kbytes)']) / 1024:.0f} MiB", flush=True)
PY
}
IDX=$WORK/index-$SIZE
rm -rf "$IDX" "$R"
mkdir -p "$R"
timed "index build (base)" "$Z" index build "$C/base" --index "$IDX" --keep first -q -j "$JOBS"
echo "index on disk: $(du -sb "$IDX" | cut -f1) B"
"$Z" index info "$IDX"
cp "$IDX/manifest.json" "$R/manifest.json"
for i in $(seq "$REPEATS"); do
    rm -rf "$R/new"
    timed "batch against the index, run $i" "$Z" clean "$C/new" --out "$R/new" --index "$IDX" --keep first -q -j "$JOBS"
    # Put the index back as it was, for the next run (segments are immutable).
    cp "$R/manifest.json" "$IDX/manifest.json"
    rm -f "$IDX"/run-000002.seg
done
for i in $(seq "$REPEATS"); do
    rm -rf "$R/all"
    timed "from scratch (base + new), run $i" "$Z" clean "$C" --out "$R/all" --keep first -q -j "$JOBS"
done
python3 - "$R/new" "$R/all" <<'PY'
import json, os, sys
new, full = sys.argv[1:]
def removed(out, prefix):
    got = set()
    for line in open(os.path.join(out, "report/removed.jsonl")):
        r = json.loads(line)
        if r["reason"] == "duplicate" and r["file"].startswith(prefix):
            got.add((r["file"][len(prefix):], str(r["lines"]), str(r.get("cols"))))
    return got
def texts(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out
a, b = removed(new, ""), removed(full, "new/")
ta, tb = texts(os.path.join(new, "clean")), texts(os.path.join(full, "clean", "new"))
s = json.load(open(os.path.join(new, "report/summary.json")))["index"]
print(f"against the index: {s['documents_loaded']} documents loaded, {s['removed_paragraphs']} paragraphs and {s['removed_documents']} documents removed as copies of indexed ones")
same = a == b and ta == tb
print(f"answers: {len(a)} units removed from new/ against the index, {len(b)} by the run from scratch; clean texts {len(ta)} and {len(tb)} files; {'the same' if same else 'DIFFERENT'}")
if not same:
    print("only against the index:", sorted(a - b)[:10], "only from scratch:", sorted(b - a)[:10])
    print("texts differing:", sorted(k for k in set(ta) | set(tb) if ta.get(k) != tb.get(k))[:10])
    sys.exit(1)
PY
