#!/usr/bin/env python3
"""Page-long paragraphs: scrapes that lost their line breaks put a page on one line.

    bench/longlines.py copies N CHARS OUT_DIR [SEED]
        N files, each one paragraph of about CHARS characters: the same text (the seed
        speeches' text, repeated to length) with its own edits. The first has `XX`
        every 50 characters, the second has one clause in ten deleted, the rest have
        `某` written over a few characters in a hundred.
    bench/longlines.py line MB OUT_DIR
        One file, one line of MB megabytes (UTF-8) of the seeds' text.

Reads fixtures/seeds/*.txt.
"""
import os
import random
import re
import sys

root = os.path.join(os.path.dirname(__file__), "..", "fixtures", "seeds")
text = "".join(
    "".join(l.strip() for l in open(os.path.join(root, f), encoding="utf-8"))
    for f in sorted(os.listdir(root))
)


def base(chars):
    return (text * (chars // len(text) + 1))[:chars]


mode = sys.argv[1]
if mode == "copies":
    n, chars, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    page = base(chars)
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        if i == 0:
            t = "".join(page[k:k + 50] + "XX" for k in range(0, len(page), 50))
        elif i == 1:
            clauses = re.split(r"(?<=[，。；！？])", page)
            t = "".join(c for c in clauses if rng.random() >= 0.1)
        else:
            t = "".join("某" if rng.random() < 0.01 else c for c in page)
        with open(os.path.join(out, f"{i:04d}.txt"), "w", encoding="utf-8") as f:
            f.write(t + "\n")
elif mode == "line":
    mb, out = float(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    want = int(mb * 1_000_000)
    chunk = text.encode("utf-8")
    with open(os.path.join(out, "line.txt"), "wb") as f:
        written = 0
        while written < want:
            piece = chunk[: want - written] if want - written < len(chunk) else chunk
            # Cut on a character boundary.
            piece = piece.decode("utf-8", errors="ignore").encode("utf-8")
            f.write(piece)
            written += len(piece)
            if len(piece) < len(chunk):
                break
        f.write(b"\n")
else:
    sys.exit(__doc__)
