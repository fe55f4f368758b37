#!/usr/bin/env bash
# One whole run of each zhclean binary on a large corpus, one after the other, under
# /usr/bin/time -v, output on tmpfs. `cold` drops the page cache before each run (needs
# root), so the files come from the disk; `warm` does not. Prints per binary the wall
# time, the phase times and per-stage CPU from summary.json, user and sys CPU, and the
# peak RSS.
#
# usage: bench/big.sh cold|warm JOBS CORPUS BINARY...
#   e.g. bench/big.sh cold 2 /data/corpus-1G /tmp/zhclean-old target/release/zhclean
set -euo pipefail
MODE=$1 JOBS=$2 CORPUS=$3
shift 3
OUT=${OUT_ROOT:-/dev/shm}/zhclean-big-$$
TIMES=$(mktemp)
trap 'rm -rf "$OUT" "$TIMES"' EXIT
for b in "$@"; do
    rm -rf "$OUT"
    if [ "$MODE" = cold ]; then
        sync
        echo 3 > /proc/sys/vm/drop_caches
    fi
    /usr/bin/time -v "$b" clean "$CORPUS" --out "$OUT" -q -j "$JOBS" > /dev/null 2> "$TIMES" || [ $? -eq 1 ]
    python3 - "$b" "$MODE" "$OUT/report/summary.json" "$TIMES" <<'PY'
import json
import sys

b, mode, summary, times = sys.argv[1:]
r = json.load(open(summary))["run"]
t = {}
for line in open(times):
    k, _, v = line.strip().rpartition(": ")
    t[k] = v
print(
    f"{b} {mode}: wall {r['wall_seconds']:.2f} s, "
    f"phases {{{', '.join(f'{k}: {v:.2f}' for k, v in r['phase_seconds'].items())}}}, "
    f"stage cpu {{{', '.join(f'{k}: {v:.2f}' for k, v in r['stage_cpu_seconds'].items())}}}, "
    f"user {t['User time (seconds)']} s, sys {t['System time (seconds)']} s, "
    f"peak RSS {t['Maximum resident set size (kbytes)']} KiB"
)
PY
done
