#!/usr/bin/env bash
# Goldens on large corpora (tests/goldens.rs holds the small ones and runs in CI):
# digests of every output file of a binary's runs on a synth corpus, recorded once from
# a known binary and compared after each step of a change that must not alter outputs.
# summary.json is digested without its `run` section.
#
# usage: bench/goldens.sh record|check MANIFEST [BINARY] [SIZE]
#   e.g. bench/goldens.sh record /tmp/goldens-100M.tsv /tmp/zhclean-before 100M
#        bench/goldens.sh check  /tmp/goldens-100M.tsv target/release/zhclean 100M
# The corpus (seed 3, --varied, made from fixtures/seeds) is cached under target/goldens/.
set -euo pipefail
MODE=$1 MANIFEST=$2 BIN=${3:-target/release/zhclean} SIZE=${4:-100M}
cd "$(dirname "$0")/.."
ROOT=target/goldens
CORPUS=$ROOT/synth-$SIZE/corpus
if [ ! -d "$CORPUS" ]; then
    mkdir -p "$ROOT"
    cat fixtures/seeds/*.txt > "$ROOT/source.txt"
    "$BIN" synth "$ROOT/source.txt" --out "$ROOT/synth-$SIZE" --seed 3 --size "$SIZE" --varied --no-truth
fi
GOT=$(mktemp)
trap 'rm -f "$GOT"' EXIT
run() {
    local name=$1
    shift
    local out=/dev/shm/zhclean-goldens-$$
    "$BIN" clean "$CORPUS" --out "$out" -q "$@" || [ $? -eq 1 ]
    python3 - "$name" "$out" >> "$GOT" <<'PY'
import hashlib, json, os, sys
name, out = sys.argv[1:]
for root, dirs, files in os.walk(out):
    dirs.sort()
    for f in sorted(files):
        p = os.path.join(root, f)
        rel = os.path.relpath(p, out)
        data = open(p, "rb").read()
        if rel == "report/summary.json":
            v = json.loads(data)
            v.pop("run")
            data = json.dumps(v, sort_keys=True).encode()
        print(f"{name}\t{rel}\t{hashlib.sha256(data).hexdigest()}")
PY
    rm -rf "$out"
}
run default
run longest-token --keep longest --mask-style token --threshold 0.6
run fold-none --fold none --keep first
run simplified-capped --script simplified --max-partners 8 -j 1
sort -o "$GOT" "$GOT"
case $MODE in
    record) cp "$GOT" "$MANIFEST"; echo "recorded $(wc -l < "$MANIFEST") digests in $MANIFEST" ;;
    check)
        if diff -q "$MANIFEST" "$GOT" > /dev/null; then
            echo "same: $(wc -l < "$GOT") digests"
        else
            echo "DIFFERENT:"; diff "$MANIFEST" "$GOT" | head -20; exit 1
        fi ;;
    *) echo "usage: bench/goldens.sh record|check MANIFEST [BINARY] [SIZE]" >&2; exit 2 ;;
esac
