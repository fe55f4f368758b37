#!/usr/bin/env bash
# Before/after timing of zhclean binaries on one corpus: the binaries run in turn,
# ROUNDS times, each writing to a fresh folder under OUT_ROOT (default /dev/shm, so the
# disk's state stays out of the figure) that is removed after the run. Prints the
# median, minimum and maximum wall time of each binary.
#
# usage: bench/ab.sh ROUNDS JOBS CORPUS BINARY...
#   e.g. bench/ab.sh 5 2 target/compare/corpus-30M-5/corpus /tmp/zhclean-old target/release/zhclean
set -euo pipefail
ROUNDS=$1 JOBS=$2 CORPUS=$3
shift 3
OUT_ROOT=${OUT_ROOT:-/dev/shm}
declare -A T
for r in $(seq 1 "$ROUNDS"); do
    k=0
    for b in "$@"; do
        k=$((k + 1))
        out="$OUT_ROOT/zhclean-ab-$$-$k-$r"
        s=$(date +%s.%N)
        # Exit status 1 (a file failed or decoded with errors) still is a whole run.
        "$b" clean "$CORPUS" --out "$out" -q -j "$JOBS" > /dev/null || [ $? -eq 1 ]
        e=$(date +%s.%N)
        T[$k]="${T[$k]:-} $(echo "$e - $s" | bc)"
        rm -rf "$out"
    done
done
k=0
for b in "$@"; do
    k=$((k + 1))
    echo ${T[$k]} | tr ' ' '\n' | sort -n | awk -v b="$b" '{a[NR] = $1}
        END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
             printf "%s: median %.3f s, min %.3f, max %.3f, runs %d\n", b, m, a[1], a[NR], NR}'
done
