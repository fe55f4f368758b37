#!/usr/bin/env bash
# Writes a synth source from Chinese text the tool was not developed on (see
# bench/handbook_source.py): DIR/dev.txt and DIR/held.txt, from Debian's packages
# debian-handbook (zh-CN) and gnome-user-docs (zh_CN), downloaded with apt-get.
#
# usage: bench/handbook_source.sh [DIR]          (default target/handbook)
# then:  SOURCE=DIR/dev.txt DOCS=120 SEED=53 bench/quality.sh target/quality-handbook
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-target/handbook}
mkdir -p "$DIR/deb"
DIR=$(cd "$DIR" && pwd)
(cd "$DIR/deb" && apt-get download debian-handbook gnome-user-docs)
for deb in "$DIR"/deb/*.deb; do dpkg-deb -x "$deb" "$DIR/x"; done
python3 bench/handbook_source.py \
    "$DIR/x/usr/share/doc/debian-handbook/html/zh-CN/*.html" \
    "$DIR/x/usr/share/help/zh_CN/gnome-help/*.page" --out "$DIR"
