#!/usr/bin/env bash
# Before/after timing of zhclean binaries on one corpus: the binaries run in turn,
# ROUNDS times, each under /usr/bin/time and writing to a fresh folder under OUT_ROOT
# (default /dev/shm, so the disk's state stays out of the figure) that is removed after
# the run. Prints, per binary, the median wall time (with min and max) and the medians
# of CPU time (user + sys), user, sys and peak RSS.
#
# usage: bench/ab.sh ROUNDS JOBS CORPUS BINARY...
#   e.g. bench/ab.sh 5 2 target/compare/corpus-30M-5/corpus /tmp/zhclean-old target/release/zhclean
set -euo pipefail
ROUNDS=$1 JOBS=$2 CORPUS=$3
shift 3
OUT_ROOT=${OUT_ROOT:-/dev/shm}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
for r in $(seq 1 "$ROUNDS"); do
    k=0
    for b in "$@"; do
        k=$((k + 1))
        out="$OUT_ROOT/zhclean-ab-$$-$k-$r"
        # Exit status 1 (a file failed or decoded with errors) still is a whole run.
        /usr/bin/time -f "$k %e %U %S %M" -a -o "$LOG" \
            "$b" clean "$CORPUS" --out "$out" -q -j "$JOBS" > /dev/null || [ $? -eq 1 ]
        rm -rf "$out"
    done
done
python3 - "$LOG" "$@" <<'PY'
import statistics as st
import sys

log, bins = sys.argv[1], sys.argv[2:]
# Lines "k wall user sys maxrss_kib"; /usr/bin/time adds others for a non-zero exit.
rows = [l.split() for l in open(log) if l[:1].isdigit()]
for k, b in enumerate(bins, 1):
    r = [[float(x) for x in row[1:]] for row in rows if row[0] == str(k)]
    wall = [x[0] for x in r]
    print(
        f"{b}: median {st.median(wall):.3f} s, min {min(wall):.3f}, max {max(wall):.3f}, "
        f"cpu {st.median(x[1] + x[2] for x in r):.3f} s (user {st.median(x[1] for x in r):.3f}, "
        f"sys {st.median(x[2] for x in r):.3f}), peak RSS {st.median(x[3] for x in r) / 1024:.0f} MiB, "
        f"runs {len(r)}"
    )
PY
