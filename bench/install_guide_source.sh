#!/usr/bin/env bash
# Writes a synth source from a third text the tool was not developed on: the Debian
# Installation Guide in Simplified Chinese (package installation-guide-amd64, zh_CN),
# rendered by bench/handbook_source.py. DIR/all.txt holds every paragraph (session 24
# scored it whole, with seeds 67 and 71); DIR/dev.txt and DIR/held.txt are its halves.
#
# usage: bench/install_guide_source.sh [DIR]          (default target/install-guide)
# then:  SOURCE=DIR/all.txt DOCS=120 SEED=71 bench/quality.sh target/quality-install-guide
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-target/install-guide}
mkdir -p "$DIR/deb"
DIR=$(cd "$DIR" && pwd)
(cd "$DIR/deb" && apt-get download installation-guide-amd64)
for deb in "$DIR"/deb/*.deb; do dpkg-deb -x "$deb" "$DIR/x"; done
python3 bench/handbook_source.py \
    "$DIR/x/usr/share/doc/installation-guide-amd64/zh_CN/*.html" --out "$DIR"
cat "$DIR/dev.txt" "$DIR/held.txt" > "$DIR/all.txt"
