"""The plain MinHash pipelines other tools recommend, as peers for zhclean.

Every non-empty line of every .txt file under CORPUS is a paragraph (no furniture
removal, no line joining, no mask handling); its character 5-grams are hashed into a
128-permutation MinHash, LSH at threshold 0.7 finds candidates, and union-find over
the candidates forms clusters. Output is a clusters.jsonl in zhclean's format, so
`zhclean eval` scores it the same way, and a one-line JSON summary on stdout.

Tools:
  datasketch  MinHash.update_batch per paragraph, MinHashLSH (query, then insert).
  rensa       RMinHash.from_token_sets in one batch, RMinHashLSH.insert_many and
              query_all (rensa's batch path) on batches of 20,000
              paragraphs, 16 bands x 8 rows.
  jieba       Python jieba word segmentation (no HMM) of the same paragraphs only:
              the segmentation peer, no clusters.

usage: python peers.py TOOL CORPUS OUT_REPORT_DIR
"""

import json
import os
import sys
import time

NUM_PERM = 128
THRESHOLD = 0.7
GRAM = 5
SEED = 1
BATCH = 20_000


def read_text(path):
    data = open(path, "rb").read()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            pass
    return data.decode("utf-8", errors="replace")


def read_paragraphs(corpus):
    """(relative path, line number, text) of every line with at least GRAM chars."""
    paras = []
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
    return paras


def grams(text):
    return {text[k : k + GRAM] for k in range(len(text) - GRAM + 1)}


class UnionFind:
    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, x):
        p = self.parent
        while p[x] != x:
            p[x] = p[p[x]]
            x = p[x]
        return x

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def run_datasketch(paras, uf):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for i, (_, _, text) in enumerate(paras):
        m = MinHash(num_perm=NUM_PERM, seed=SEED)
        m.update_batch([g.encode("utf-8") for g in grams(text)])
        for j in lsh.query(m):
            uf.union(i, j)
        lsh.insert(i, m)


def run_rensa(paras, uf):
    from rensa import RMinHash, RMinHashLSH

    # rensa needs bands dividing the permutations: the divisor whose S-curve knee
    # (1/b)^(1/r) lies nearest the threshold (16 x 8 at 0.7).
    divisors = [b for b in range(1, NUM_PERM + 1) if NUM_PERM % b == 0]
    bands = min(divisors, key=lambda b: abs((1 / b) ** (b / NUM_PERM) - THRESHOLD))
    # Batches of BATCH paragraphs: one batch call for all would hold every paragraph's
    # gram list at once (15 GB of RSS on a 100 MB corpus).
    lsh = RMinHashLSH(THRESHOLD, NUM_PERM, bands)
    mhs = []
    for s in range(0, len(paras), BATCH):
        batch = [list(grams(t)) for _, _, t in paras[s : s + BATCH]]
        got = RMinHash.from_token_sets(batch, NUM_PERM, SEED)
        lsh.insert_many(got, start_key=s)
        mhs.extend(got)
    for s in range(0, len(mhs), BATCH):
        for k, cands in enumerate(lsh.query_all(mhs[s : s + BATCH])):
            for j in cands:
                if j != s + k:
                    uf.union(s + k, j)


def run_jieba(paras):
    import jieba

    jieba.initialize()
    return sum(len(jieba.lcut(t, HMM=False)) for _, _, t in paras)


def write_clusters(paras, uf, out_dir):
    groups = {}
    for i in range(len(paras)):
        groups.setdefault(uf.find(i), []).append(i)
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    with open(os.path.join(out_dir, "clusters.jsonl"), "w", encoding="utf-8") as f:
        for members in sorted(groups.values()):
            if len(members) < 2:
                continue
            rec = {
                "cluster": n,
                "level": "paragraph",
                "kept": 0,
                "members": [
                    {"file": paras[m][0], "lines": [paras[m][1], paras[m][1]], "similarity": None}
                    for m in members
                ],
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return n


def main(tool, corpus, out_dir):
    t0 = time.perf_counter()
    paras = read_paragraphs(corpus)
    t1 = time.perf_counter()
    summary = {"tool": tool, "paragraphs": len(paras), "read_seconds": round(t1 - t0, 3)}
    if tool == "jieba":
        summary["words"] = run_jieba(paras)
        summary["chars"] = sum(len(t) for _, _, t in paras)
    else:
        uf = UnionFind(len(paras))
        {"datasketch": run_datasketch, "rensa": run_rensa}[tool](paras, uf)
        summary["clusters"] = write_clusters(paras, uf, out_dir)
    summary["work_seconds"] = round(time.perf_counter() - t1, 3)
    print(json.dumps(summary))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("datasketch", "rensa", "jieba"):
        sys.exit(__doc__)
    main(*sys.argv[1:])
