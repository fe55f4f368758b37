#!/usr/bin/env python3
"""Score `zhclean segment --level paragraphs` on a labelled line-break folder (pages
NAME.LAYOUT.txt with NAME.LAYOUT.units, as fixtures/labelled/paragraphs/make.py and
bench/labelled_fresh.py write them): precision and recall of joins, overall, per
layout and per source and layout, then the wrong decisions grouped by the reason
`--explain` gives (with N examples each).

usage: labelled_score.py DIR [ZHCLEAN_BINARY] [N]
"""
import collections
import glob
import re
import subprocess
import sys


def main():
    root = sys.argv[1]
    zbin = sys.argv[2] if len(sys.argv) > 2 else "target/release/zhclean"
    show = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    tot = collections.Counter()
    wrong = collections.defaultdict(list)
    for units in sorted(glob.glob(f"{root}/*.units")):
        txt = units[:-len(".units")] + ".txt"
        name = units.split("/")[-1]
        src, layout = name.split("-")[0], name.split(".")[-2]
        want = set()
        for line in open(units, encoding="utf-8"):
            if not line.startswith("#") and line.strip():
                a, b = line.split("\t")[0].split("-")
                want.update(range(int(a), int(b)))
        out = subprocess.run([zbin, "segment", txt, "--level", "paragraphs", "--explain"],
                             capture_output=True, text=True, check=True).stdout
        lines = open(txt, encoding="utf-8").read().splitlines()
        for m in re.finditer(r"^\t(\d+)\|(\d+)\t(\w+): (.*)$", out, re.M):
            ln, joined = int(m.group(1)), m.group(3) == "joined"
            right = ln in want
            for key in ("all", layout, f"{src}/{layout}"):
                tot[key, "tp"] += joined and right
                tot[key, "fp"] += joined and not right
                tot[key, "fn"] += right and not joined
            if joined != right:
                why = re.sub(r"\(\d+\)", "(N)", m.group(4))
                wrong["false" if joined else "missed", layout, why].append(
                    (name, ln, lines[ln - 1][-28:], lines[ln][:22]))
    for key in sorted({k for k, _ in tot}, key=lambda k: (k != "all", "/" in k, k)):
        tp, fp, fn = tot[key, "tp"], tot[key, "fp"], tot[key, "fn"]
        print(f"{key:22s} joins P {tp / max(1, tp + fp):.4f} R {tp / max(1, tp + fn):.4f}"
              f"  ({tp} right, {fp} false, {fn} missed)")
    for k, v in sorted(wrong.items(), key=lambda kv: -len(kv[1])):
        print(len(v), *k)
        for e in v[:show]:
            print("   ", *e)


if __name__ == "__main__":
    main()
