#!/usr/bin/env bash
# A longer run of the property tests (tests/properties.rs) than CI's: the text stages
# on arbitrary bytes and strings (no panic, offsets inside the line, output a function
# of the input) and whole runs on random trees (--jobs 1 = --jobs 2, nothing lost).
# CI runs 256 cases of each text-stage property and 12 whole runs; this runs CASES of
# each (whole runs: CASES / 20 + 12, each a pair of real runs), stopping after SECONDS.
# A failure prints the shrunk input; pin it as a regression test before fixing it.
#
# usage: fuzz/properties.sh [CASES] [SECONDS]      (defaults 20000 and 1800)
set -euo pipefail
CASES=${1:-20000}
SECONDS_MAX=${2:-1800}
cd "$(dirname "$0")/.."
PROPTEST_CASES=$CASES timeout "$SECONDS_MAX" \
    cargo test --release --test tests properties -- --test-threads 2
