#!/usr/bin/env python3
"""Pages with the HTML a scraper leaves in, and how well zhclean gives their units back.

usage: MODE=raw|display|none python3 bench/markup_pages.py SOURCE N SEED WIDTH BINARY...

SOURCE is a text file of one paragraph a line: People's Daily (`bench/quality.sh`'s
`WORK/199801.txt` with its tags stripped, `sed -E 's#/[a-zA-Z]+[[:space:]]*##g;
s#\[##g; s#\][a-z]+##g'`), or `DIR/all.txt` of `bench/install_guide_source.sh`. Twenty pages of N
paragraphs (60 to 300 characters, ending a sentence) are drawn with SEED, and each
page is written three times into a folder per binary: `plainK.txt` (a paragraph a
line), `linesK.txt` (the same with markup: each paragraph given one of `<p>…</p>`,
four `&nbsp;` of indentation, a trailing `<br />` or a `<span …>…</span><o:p></o:p>`
pair, chosen per page from SEED, and quotes, dashes, ellipses and middle dots as
references) and `wrappedK.txt` (the marked-up page hard-wrapped at WIDTH). MODE says
what the wrapper counted: `raw` the markup as written (it may cut a reference in two),
`display` what the page shows (a reference one character, a tag none), `none` writes
the pages without markup. For each binary it prints the share of the pages' paragraphs
that `zhclean segment --level paragraphs` gives back exactly (compared without white
space, references decoded and tags removed, so a binary that leaves markup in is not
counted wrong for that), the duplicate lines `zhclean clean --keep longest` removes,
and the pieces of markup left in `clean/`.
"""
import html
import json
import os
import random
import re
import shutil
import subprocess
import sys

src, N, seed, W = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
bins = sys.argv[5:]
MODE = os.environ.get("MODE", "raw")
OUT = os.environ.get("OUT", "/tmp/zhclean-markup-pages")
rng = random.Random(seed)
paras = [l.strip() for l in open(src, encoding="utf-8") if 60 <= len(l.strip()) <= 300 and l.strip()[-1] in "。！？”"]
paras = list(dict.fromkeys(paras))
pages = [rng.sample(paras, N) for _ in range(20)]


def marked_up(p, r):
    p = p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for c, ref in [("“", "&ldquo;"), ("”", "&rdquo;"), ("·", "&middot;"), ("—", "&mdash;"), ("…", "&hellip;")]:
        p = p.replace(c, ref)
    style = r.choice(["p", "nbsp", "br", "span"])
    if style == "p":
        return "<p>" + p + "</p>"
    if style == "nbsp":
        return "&nbsp;" * 4 + p
    if style == "br":
        return p + "<br />"
    return '<span style="font-size:16px">' + p + "</span><o:p></o:p>"


def wrap(line):
    if MODE != "display":
        return [line[i:i + W] for i in range(0, len(line), W)]
    out, cur, n = [], "", 0
    for t in re.findall(r"&[a-z#0-9]+;|<[^<>]+>|.", line):
        w = 0 if t.startswith("<") and len(t) > 1 else 1
        if n + w > W:
            out.append(cur)
            cur, n = "", 0
        cur += t
        n += w
    out.append(cur)
    return out


def norm(t):
    return re.sub(r"\s", "", html.unescape(re.sub(r"<[^<>]*>", "", t)))


for b in bins:
    d = os.path.join(OUT, str(bins.index(b)))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d + "/in")
    exact = total = 0
    for k, ps in enumerate(pages):
        r = random.Random(seed * 1000 + k)
        raw = [marked_up(p, r) if MODE != "none" else p for p in ps]
        files = {
            f"plain{k}": ps,
            f"lines{k}": raw,
            f"wrapped{k}": [piece for line in raw for piece in wrap(line)],
        }
        for name, lines in files.items():
            with open(f"{d}/in/{name}.txt", "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
        for name in (f"lines{k}", f"wrapped{k}"):
            out = subprocess.run([b, "segment", f"{d}/in/{name}.txt", "--level", "paragraphs"],
                                 capture_output=True, text=True, check=True).stdout
            got = {norm(l) for l in out.split("\n") if l}
            want = [norm(p) for p in ps]
            total += len(want)
            exact += sum(1 for w in want if w in got)
    subprocess.run([b, "clean", d + "/in", "--out", d + "/out", "-q", "--keep", "longest"], check=False)
    junk = 0
    for f in os.listdir(d + "/out/clean"):
        t = open(os.path.join(d, "out/clean", f), encoding="utf-8").read()
        junk += len(re.findall(r"&[a-z#0-9]+;|</?(?:p|br|span|o:p)\b", t))
    dup = 0
    for line in open(d + "/out/report/removed.jsonl", encoding="utf-8"):
        rec = json.loads(line)
        if rec["reason"] == "duplicate":
            dup += rec["lines"][1] - rec["lines"][0] + 1
    print(f"{b}: units exact {exact}/{total} = {exact / total:.4f}; duplicate lines removed {dup}; markup left in clean/ {junk}")
