#!/usr/bin/env python3
"""Many short files that share passages: what an excerpt or quotation site looks like.

Each file holds one paragraph: a random window (40 to 400 characters) of the seed
speeches' text, joined into one stream. Windows of one stream overlap, so a passage
recurs in many files, each time cut differently.

usage: bench/excerpts.py N OUT_DIR [SEED]     (reads fixtures/seeds/*.txt)
"""
import os
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
root = os.path.join(os.path.dirname(__file__), "..", "fixtures", "seeds")
text = "".join(
    "".join(l.strip() for l in open(os.path.join(root, f), encoding="utf-8"))
    for f in sorted(os.listdir(root))
)
os.makedirs(out, exist_ok=True)
for i in range(n):
    k = rng.randint(40, 400)
    a = rng.randrange(0, len(text) - k)
    d = os.path.join(out, f"{i // 1000:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{i:06d}.txt"), "w", encoding="utf-8") as f:
        f.write(text[a:a + k] + "\n")
