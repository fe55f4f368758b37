#!/usr/bin/env python3
"""Document clusters of two runs checked against a synth truth.json.

    bench/doc_members.py TRUTH.json OUT_BEFORE OUT_AFTER

For each removed member of a document cluster (clusters.jsonl) found in one run and
not the other: is it a true copy, that is, does it share a truth document (the `doc`
of its paragraphs) with its cluster's kept member? Prints the counts, and every member
that does not.
"""
import json
import sys

truth = json.load(open(sys.argv[1], encoding="utf-8"))
by_file = {}
for p in truth["paragraphs"]:
    by_file.setdefault(p["file"], []).append(p)


def docs_in(f, first, last):
    return {p["doc"] for p in by_file.get(f, []) if p["lines"][0] >= first and p["lines"][1] <= last}


def members(out):
    """Removed member (file, lines) -> its kept member, for document clusters."""
    found = {}
    for line in open(out + "/report/clusters.jsonl", encoding="utf-8"):
        c = json.loads(line)
        if c["level"] != "document":
            continue
        kept = c["members"][c["kept"]]
        for m in c["members"]:
            if m is not kept:
                found[(m["file"], tuple(m["lines"]))] = (kept["file"], tuple(kept["lines"]))
    return found


def judge(found, keys):
    good = bad = 0
    for m in sorted(keys):
        k = found[m]
        if docs_in(m[0], *m[1]) & docs_in(k[0], *k[1]):
            good += 1
        else:
            bad += 1
            print("  not a copy:", m, "kept", k)
    return good, bad


before, after = members(sys.argv[2]), members(sys.argv[3])
print("members before", len(before), "after", len(after))
print("only after: %d (true copies %d, not %d)" % ((len(set(after) - set(before)),) + judge(after, set(after) - set(before))))
print("only before: %d (true copies %d, not %d)" % ((len(set(before) - set(after)),) + judge(before, set(before) - set(after))))
