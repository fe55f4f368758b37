#!/usr/bin/env python3
"""A synth source from text the tool was not developed on: the Chinese Debian
Administrator's Handbook (package debian-handbook, zh-CN) and the GNOME desktop help
(package gnome-user-docs, zh_CN), rendered the way a scraper keeps a page's prose.

usage: bench/handbook_source.py HTML_GLOB [HTML_GLOB ...] --out DIR

Every paragraph element (`<p>`, or DocBook's `<div class="para">`) outside `<pre>`
becomes one line: whitespace collapsed, the spaces between two Chinese characters
dropped. A line is kept when it has at least 30 characters, ends a sentence or a
colon, is mostly Chinese (at least 60% of its non-space characters are ideographs)
and was not seen before. The lines are split into blocks of 60 in order, the even
blocks to DIR/dev.txt and the odd ones to DIR/held.txt, so that each half has whole
stretches of the books.
"""
import glob
import html.parser
import os
import re
import sys

SKIP = ("pre", "screen", "script", "style")
CJK = re.compile(r"[\u4e00-\u9fff]")
WIDE = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"
BLOCK = 60


class Paras(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.out, self.buf, self.tag, self.depth, self.skip = [], None, None, 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        para = tag == "p" or (tag == "div" and ("class", "para") in attrs)
        if para and self.buf is None:
            self.buf, self.tag, self.depth = [], tag, 0
        elif self.buf is not None and tag == self.tag:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in SKIP:
            self.skip = max(0, self.skip - 1)
        if self.buf is not None and tag == self.tag:
            if self.depth:
                self.depth -= 1
            else:
                self.out.append("".join(self.buf))
                self.buf = None

    def handle_data(self, data):
        if self.buf is not None and not self.skip:
            self.buf.append(data)


def lines(patterns):
    seen = set()
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            p = Paras()
            with open(path, encoding="utf-8") as f:
                p.feed(f.read())
            for t in p.out:
                t = re.sub(r"\s+", " ", t).strip()
                t = re.sub(f"(?<={WIDE}) (?={WIDE})", "", t)
                nonspace = len(t.replace(" ", ""))
                if len(t) < 30 or t in seen or t[-1] not in "。！？：；":
                    continue
                if len(CJK.findall(t)) < 0.6 * nonspace:
                    continue
                seen.add(t)
                yield t


def main():
    args = sys.argv[1:]
    if "--out" not in args or args.index("--out") + 1 >= len(args):
        sys.exit(__doc__)
    i = args.index("--out")
    out, patterns = args[i + 1], args[:i] + args[i + 2:]
    got = list(lines(patterns))
    if not got:
        sys.exit(f"no paragraphs found in {patterns}")
    os.makedirs(out, exist_ok=True)
    halves = ([], [])
    for k, t in enumerate(got):
        halves[(k // BLOCK) % 2].append(t)
    for name, half in zip(("dev", "held"), halves):
        with open(os.path.join(out, name + ".txt"), "w", encoding="utf-8") as f:
            f.write("".join(t + "\n" for t in half))
    print(f"{len(got)} paragraphs: {len(halves[0])} dev, {len(halves[1])} held, in {out}")


if __name__ == "__main__":
    main()
