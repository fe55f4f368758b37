"""The plain MinHash pipeline other tools recommend for Chinese, as a baseline.

Every non-empty line of every .txt file under CORPUS is a paragraph (no furniture
removal, no line joining, no mask handling); its character 5-grams go into a
datasketch MinHash (128 permutations, update_batch), MinHashLSH at threshold 0.7 finds
candidates, and union-find over the query results forms clusters. Output is a
clusters.jsonl in zhclean's format, so `zhclean eval` scores it the same way.

usage: python datasketch_baseline.py CORPUS OUT_REPORT_DIR
"""

import json
import os
import sys

from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
THRESHOLD = 0.7
GRAM = 5


def read_text(path):
    data = open(path, "rb").read()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    return data.decode("utf-8", errors="replace")


def main(corpus, out_dir):
    paras = []  # (relative path, line number, text)
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".txt"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, corpus).replace(os.sep, "/")
            for no, line in enumerate(read_text(path).splitlines(), 1):
                line = line.strip()
                if len(line) >= GRAM:
                    paras.append((rel, no, line))
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    parent = list(range(len(paras)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, (_, _, text) in enumerate(paras):
        grams = {text[k : k + GRAM].encode("utf-8") for k in range(len(text) - GRAM + 1)}
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch(list(grams))
        for j in lsh.query(m):
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
        lsh.insert(i, m)
    groups = {}
    for i in range(len(paras)):
        groups.setdefault(find(i), []).append(i)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "clusters.jsonl"), "w", encoding="utf-8") as f:
        cid = 0
        for members in sorted(groups.values()):
            if len(members) < 2:
                continue
            rec = {
                "cluster": cid,
                "level": "paragraph",
                "kept": 0,
                "members": [
                    {"file": paras[m][0], "lines": [paras[m][1], paras[m][1]], "similarity": None}
                    for m in members
                ],
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            cid += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
