"""zhclean as a Spark job: the same clean as ``zhclean clean``, across a cluster.

    spark-submit --py-files ... -m zhclean.spark INPUT --out OUT [zhclean clean flags]
    python -m zhclean.spark INPUT --out OUT --master 'local[4]'

Every step that reads text, hashes, verifies, splits clusters, chooses the kept copy or
writes a record is the Rust library (``zhclean._core``); Spark does the shuffles:
grouping band keys into buckets, joining candidate pairs with their tokens, connected
components (large-star / small-star), document coverage sums, and putting rows of one
component or file together. Outputs are byte-identical to ``zhclean clean`` on the same
folder and flags (``summary.json``'s ``run`` section aside).

INPUT and OUT must be on a file system mounted at the same path on the driver and on
every executor (local disk in local mode; NFS, EFS, Lustre, /dbfs and the like on a
cluster).
"""

import argparse
import json
import os
import sys
import time

import pyarrow as pa

from zhclean import Engine, Staging, Totals
from zhclean._arrow import (
    spark_ddl, spark_struct, to_rust, to_spark, to_spark_array, whole_groups,
)


_ENGINES = {}


def engine(args, root):
    """The engine of this worker process for ``args`` (built once: jieba's dictionary
    and the boilerplate rules load once per Python worker)."""
    key = (tuple(args), root)
    e = _ENGINES.get(key)
    if e is None:
        e = _ENGINES[key] = Engine(list(args), root)
    return e


# ---- Spark schemas of the hand-offs (Rust schema with unsigned types widened) ----

def output_schemas(e, clean_root):
    """The Spark DDL of every batch the engine hands back, read off the batches its
    methods return for empty inputs: the Rust module is the one definition of them."""

    def empty(method):
        return pa.RecordBatch.from_pylist([], schema=e.inputs(method))

    files, docs, paras = e.analyze(empty("analyze"))
    nested = "docs array<%s>, paragraphs array<%s>" % (
        spark_struct(docs.schema, drop=("file_idx",)),
        spark_struct(paras.schema, drop=("file_idx",)),
    )
    out = {"files": spark_ddl(files.schema) + ", " + nested}
    for name, method, extra in [
        ("pairs", "bucket_pairs", ()), ("edges", "verify", ()), ("gains", "gap_cover", ()),
        ("clusters", "document_clusters", ()), ("records", "records", ()),
        ("written", "write", (clean_root,)),
    ]:
        out[name] = spark_ddl(getattr(e, method)(*extra, empty(method)).schema)
    return out


def _nest(parent_counts, child, names):
    """``child`` rows (a Rust batch) as one list<struct> per parent row."""
    offsets = [0]
    for n in parent_counts:
        offsets.append(offsets[-1] + n)
    fields = [to_spark_array(child.column(n)) for n in names]
    structs = pa.StructArray.from_arrays(fields, names=names)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), structs)


def analyze_partition(args, root):
    def run(batches):
        e = engine(args, root)
        types = input_types(e, "analyze")
        for b in batches:
            files, docs, paras = e.analyze(to_rust(b, types))
            out = to_spark(files)
            n_docs = files.column("n_docs").to_pylist()
            n_paras = files.column("n_paras").to_pylist()
            # Nested without their file_idx, which the file row holds (see output_schemas).
            docs_col = _nest(n_docs, docs, [n for n in docs.schema.names if n != "file_idx"])
            para_names = [n for n in paras.schema.names if n != "file_idx"]
            paras_col = _nest(n_paras, paras, para_names)
            yield pa.RecordBatch.from_arrays(
                list(out.columns) + [docs_col, paras_col],
                names=out.schema.names + ["docs", "paragraphs"],
            )

    return run


def input_types(e, method):
    """The columns of ``Engine.<method>``'s input batch and their Arrow types, as the
    Rust module defines them (``Engine.inputs``)."""
    return {f.name: f.type for f in e.inputs(method)}


def partition(args, root, method, group=None, extra=()):
    """A ``mapInArrow`` function calling ``Engine.<method>(*extra, batch)`` on each batch
    read as the method's input schema; with ``group``, batches are re-cut so no group
    spans two."""

    def run(batches):
        e = engine(args, root)
        call, types = getattr(e, method), input_types(e, method)
        for b in whole_groups(batches, group) if group else batches:
            yield to_spark(call(*extra, to_rust(b, types)))

    return run


# ---- graph steps in Spark ----


def connected_components(spark, edges):
    """Component label (smallest vertex id) of every vertex on an edge, by the
    large-star / small-star iterations (Kiveris et al., 2014). ``edges``: (u, v)."""
    from pyspark.sql import functions as F

    def undirected(e):
        return e.select("u", "v").union(e.select(F.col("v").alias("u"), F.col("u").alias("v")))

    e = edges.select("u", "v").where("u != v").distinct()
    rounds = 0
    while True:
        rounds += 1
        # Large star: link every larger neighbour of u to the smallest of u's
        # neighbourhood (u included).
        a = undirected(e).distinct()
        m = a.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
        large = (
            a.join(m, "u").where("v > u").select(F.col("v").alias("u"), F.col("m").alias("v"))
        ).distinct()
        # Small star: link u and its smaller neighbours to the smallest of them.
        oriented = large.select(
            F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v")
        ).where("u != v").distinct()
        m2 = oriented.groupBy("u").agg(F.min("v").alias("m"))
        small = (
            oriented.join(m2, "u")
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
            .union(m2.select("u", F.col("m").alias("v")))
            .where("u != v")
            .distinct()
        ).localCheckpoint()
        # One job: is any edge in one set and not the other?
        changed = (
            small.withColumn("new", F.lit(True))
            .join(e.withColumn("old", F.lit(True)), ["u", "v"], "full_outer")
            .where("new is null or old is null")
            .limit(1)
            .count()
        )
        e = small
        if changed == 0:
            break
    # Converged: every edge is (vertex, its component's smallest vertex).
    labels = e.groupBy("u").agg(F.min("v").alias("component"))
    roots = e.select(F.col("v").alias("u")).distinct().withColumn("component", F.col("u"))
    return labels.union(roots).groupBy("u").agg(F.min("component").alias("component")), rounds


def number_clusters(spark, clusters, base):
    """Cluster ids in order of each cluster's first member, from ``base``."""
    firsts = clusters.select("first").distinct().rdd.map(lambda r: r[0]).sortBy(lambda x: x)
    return spark.createDataFrame(
        firsts.zipWithIndex().map(lambda p: (p[0], p[1] + base)), "first bigint, cluster bigint"
    )


def absolute_rules(args):
    """``args`` with the ``--boilerplate-rules`` file made absolute, so executors, whose
    working folder may differ, read the same file."""
    out, it = [], iter(args)
    for a in it:
        if a == "--boilerplate-rules":
            out += [a, os.path.abspath(next(it, ""))]
        elif a.startswith("--boilerplate-rules="):
            out.append("--boilerplate-rules=" + os.path.abspath(a.split("=", 1)[1]))
        else:
            out.append(a)
    return out


def run(spark, args, partitions=0, log=print):
    """Run the clean of ``args`` (``zhclean clean`` flags). Returns the exit status."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    args = absolute_rules(args)
    t_all = time.time()
    phases = {}
    e = Engine(list(args))
    root = os.path.abspath(e.input)
    params = json.loads(e.params)
    doc_threshold = params["doc_threshold"]
    parts = partitions or max(2, spark.sparkContext.defaultParallelism * 2)
    if partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(partitions))

    t = time.time()
    paths, walk_state = e.walk()
    phases["1_walk"] = time.time() - t
    staging = Staging(e, False)
    try:
        totals = Totals(walk_state)
        status = _run(spark, args, root, e, staging, totals, paths, parts, doc_threshold,
                      phases, log, F, StorageLevel)
        wall = time.time() - t_all
        run_info = {
            "threads": spark.sparkContext.defaultParallelism,
            "wall_seconds": wall,
            "phase_seconds": phases,
            "stage_cpu_seconds": {},
        }
        summary, failed = totals.finish(e, json.dumps(status), json.dumps(run_info))
        with open(os.path.join(staging.report_root, "summary.json"), "wb") as f:
            f.write(summary)
        staging.commit()
    except BaseException:
        staging.discard()
        raise
    s = json.loads(summary)
    for f in s["failed"]:
        log(f"{f['file']}: {f['reason']}", file=sys.stderr)
    for d in s["decode_errors"]:
        log(
            f"{d['file']}:{d['first_bad_line'] or 1}: {d['bad_bytes']} invalid byte(s) for "
            f"{d['encoding']} (replaced with U+FFFD)",
            file=sys.stderr,
        )
    c = s["counts"]
    log(
        f"{c['files_processed']} files, {c['paragraphs']} paragraphs; "
        f"{c['clusters']['paragraph']} paragraph and {c['clusters']['document']} document "
        f"clusters; {c['removed_paragraphs']['paragraph'] + c['removed_paragraphs']['document']} "
        f"paragraphs removed; wrote {e.out}/clean and {e.out}/report in {wall:.1f} s",
        file=sys.stderr,
    )
    return 1 if failed else 0


def _run(spark, args, root, e, staging, totals, paths, parts, doc_threshold, phases, log,
         F, StorageLevel):
    disk = StorageLevel.MEMORY_AND_DISK
    ddl = output_schemas(e, staging.clean_root)

    # analyze
    t = time.time()
    files_in = spark.createDataFrame(
        list(enumerate(paths)), "file_idx bigint, rel_path string"
    ).repartition(parts)
    analyzed = files_in.mapInArrow(analyze_partition(args, root), ddl["files"]).persist(disk)
    for r in (
        analyzed.where("status != 'ok'").select("rel_path", "status", "reason")
        .orderBy("file_idx").toLocalIterator()
    ):
        (totals.skipped if r.status == "skipped" else totals.failed)(r.rel_path, r.reason)
    ok = analyzed.where("status = 'ok'")
    counts = ok.select("file_idx", "n_paras", "n_docs").orderBy("file_idx").collect()
    bases, pn, dn = [], 0, 0
    for r in counts:
        bases.append((r.file_idx, pn, dn))
        pn += r.n_paras
        dn += r.n_docs
    offsets = spark.createDataFrame(bases, "file_idx bigint, para_base bigint, doc_base bigint")
    files = ok.join(F.broadcast(offsets), "file_idx")
    paras = (
        files.select("file_idx", "para_base", "doc_base", F.explode("paragraphs").alias("p"))
        .select(
            (F.col("para_base") + F.col("p.para")).alias("pid"),
            (F.col("doc_base") + F.col("p.doc")).alias("doc"),
            "file_idx",
            F.col("p.para").alias("para"),
            F.col("p.first_line").alias("first_line"),
            F.col("p.last_line").alias("last_line"),
            F.col("p.masks").alias("masks"),
            F.col("p.key_chars").alias("key_chars"),
            F.col("p.key_hash").alias("key_hash"),
            F.col("p.searched").alias("searched"),
            F.col("p.traditional").alias("traditional"),
            F.col("p.first_col").alias("first_col"),
            F.col("p.last_col").alias("last_col"),
            F.col("p.tokens").alias("tokens"),
            F.col("p.band_keys").alias("band_keys"),
            F.col("p.params_id").alias("params_id"),
        )
        .persist(disk)
    )
    docs = files.select("file_idx", "doc_base", F.explode("docs").alias("d")).select(
        (F.col("doc_base") + F.col("d.doc")).alias("doc"),
        "file_idx",
        F.col("d.doc").alias("doc_in_file"),
        F.col("d.first_line").alias("first_line"),
        F.col("d.last_line").alias("last_line"),
        F.col("d.traditional").alias("traditional"),
        # A document is whole lines.
        F.lit(None).cast("bigint").alias("first_col"),
        F.lit(None).cast("bigint").alias("last_col"),
    )
    paras.count()
    phases["2_analyze"] = time.time() - t

    # group: exact groups
    t = time.time()
    searched = paras.where("searched")
    groups = searched.groupBy("key_hash").agg(F.min("pid").alias("grp"))
    sp = searched.join(groups, "key_hash").persist(disk)
    # LSH buckets among representatives
    reps = sp.where("pid = grp")
    buckets = (
        reps.select("pid", F.posexplode("band_keys").alias("band", "key"))
        .groupBy("band", "key")
        .agg(F.collect_list("pid").alias("ids"))
        .where(F.size("ids") > 1)
        .select("ids")
    )
    # A pair turns up once in each band whose bucket pairs it: the count is its bands.
    cands = (
        buckets.mapInArrow(partition(args, root, "bucket_pairs"), ddl["pairs"])
        .groupBy("a", "b")
        .agg(F.count("*").alias("hits"))
        .persist(disk)
    )
    candidate_pairs = cands.count()
    # Bounded partners, as the local run (zhclean::lsh::rank_partners): each paragraph
    # ranks its partners, those sharing the most bands (counted up to strong_bands)
    # first, then those in the document sharing the most candidate pairs with its own,
    # then the lowest ids, and keeps its first --max-partners.
    from pyspark.sql import Window

    doc_of = sp.select("pid", "doc")
    with_docs = (
        cands.join(doc_of.select(F.col("pid").alias("a"), F.col("doc").alias("da")), "a")
        .join(doc_of.select(F.col("pid").alias("b"), F.col("doc").alias("db")), "b")
        .withColumn("u1", F.least("da", "db"))
        .withColumn("u2", F.greatest("da", "db"))
    )
    shared = with_docs.groupBy("u1", "u2").agg(F.count("*").alias("shared"))
    ranked = with_docs.join(shared, ["u1", "u2"]).select(
        "a", "b", F.least(F.col("hits"), F.lit(e.strong_bands)).alias("strong"), "shared"
    )
    ends = ranked.select(F.col("a").alias("x"), F.col("b").alias("y"), "strong", "shared").union(
        ranked.select(F.col("b").alias("x"), F.col("a").alias("y"), "strong", "shared")
    )
    rank_order = Window.partitionBy("x").orderBy(F.desc("strong"), F.desc("shared"), "y")
    first = (
        ends.withColumn("r", F.row_number().over(rank_order))
        .where(F.col("r") <= e.max_partners)
        .persist(disk)
    )
    capped = first.select(F.least("x", "y").alias("a"), F.greatest("x", "y").alias("b")).distinct()
    # verification of every ranked pair (a verdict depends on the pair alone)
    tok = sp.select("pid", "tokens", "params_id")
    pairs = (
        capped.join(tok.select(F.col("pid").alias("a"), F.col("tokens").alias("a_tokens"),
                               "params_id"), "a")
        .join(tok.select(F.col("pid").alias("b"), F.col("tokens").alias("b_tokens")), "b")
        .repartition(parts, "a")
        .sortWithinPartitions("a", "b")
    )
    copies = pairs.mapInArrow(partition(args, root, "verify"), ddl["edges"]).withColumn(
        "copy", F.lit(1)
    )
    # The local run's early stop: the only searched paragraph of a document tries its
    # ranked partners in order until enough_copies of them are copies (the others try
    # them all). A pair is tried when it is tried from either end; only the copies tried
    # count.
    alone = (
        sp.groupBy("doc").agg(F.count("*").alias("n")).where("n = 1")
        .join(sp.select("pid", "doc"), "doc")
        .select(F.col("pid").alias("x"), F.lit(True).alias("alone"))
    )
    walked = (
        first.join(alone, "x", "left").join(
            copies.select(F.col("a").alias("x"), F.col("b").alias("y"), "copy").union(
                copies.select(F.col("b").alias("x"), F.col("a").alias("y"), "copy")
            ),
            ["x", "y"],
            "left",
        )
        .fillna(0, ["copy"])
        .withColumn(
            "before",
            F.sum("copy").over(rank_order.rowsBetween(Window.unboundedPreceding, -1)),
        )
        .where(
            F.col("alone").isNull()
            | (F.coalesce(F.col("before"), F.lit(0)) < F.lit(e.enough_copies))
        )
        .select(F.least("x", "y").alias("a"), F.greatest("x", "y").alias("b"), "copy")
        .distinct()
        # A checkpoint cuts the plan here: every later step builds on the verified pairs,
        # and with the ranking, verification and walk under them the plan's text grew
        # past the driver's heap.
        .localCheckpoint()
    )
    candidate_pairs_skipped = candidate_pairs - walked.count()
    verified = walked.where("copy = 1").select("a", "b").localCheckpoint()
    verified_pairs = verified.count()
    first.unpersist()
    cands.unpersist()

    # paragraph components: exact groups and verified pairs
    graph = sp.where("pid != grp").select(F.col("pid").alias("u"), F.col("grp").alias("v")).union(
        verified.select(F.col("a").alias("u"), F.col("b").alias("v"))
    )
    para_comp, _ = connected_components(spark, graph)
    para_comp = para_comp.select(F.col("u").alias("pid"), "component").persist(disk)

    # document coverage: a paragraph of d is covered by e when a copy (same exact group,
    # or a verified neighbour group) lies in e
    group_docs = sp.select(F.col("grp").alias("h"), F.col("doc").alias("e")).distinct()
    nb = verified.select(F.col("a").alias("g"), F.col("b").alias("h")).union(
        verified.select(F.col("b").alias("g"), F.col("a").alias("h"))
    )
    near = nb.union(sp.select(F.col("grp").alias("g"), F.col("grp").alias("h"))).distinct()
    near_docs = near.join(group_docs, "h").select("g", "e").distinct()
    covered = (
        sp.select(F.col("grp").alias("g"), F.col("doc").alias("d"), "key_chars")
        .join(near_docs, "g")
        .where("d != e")
        .groupBy("d", "e")
        .agg(F.sum("key_chars").alias("chars"))
    )
    searched_chars = sp.groupBy(F.col("doc").alias("d")).agg(F.sum("key_chars").alias("tot"))

    def with_coverage(df):
        return df.withColumn(
            "coverage",
            F.when(F.col("tot") == 0, F.lit(0.0)).otherwise(
                F.col("chars").cast("double") / F.col("tot").cast("double")
            ),
        )

    # Checkpoints cut the plan: its text, built for each job, grew past the driver's heap
    # once the gap step joined the coverage sums a second time.
    covered = with_coverage(covered.join(searched_chars, "d")).localCheckpoint()
    # The gaps between matched units (zhclean::gaps), as the local run: each document
    # under the threshold against the gap_partners documents covering the most of it.
    tried = (
        covered.where(F.col("coverage") < F.lit(doc_threshold))
        .withColumn(
            "r", F.row_number().over(Window.partitionBy("d").orderBy(F.desc("chars"), "e"))
        )
        .where(F.col("r") <= e.gap_partners)
        .select("d", "e")
    )
    units = sp.select(
        F.col("doc"), F.col("pid").alias("id"), F.col("grp").alias("group"), "key_chars",
        "tokens", "params_id",
    )
    near_lists = nb.groupBy(F.col("g").alias("group")).agg(F.collect_list("h").alias("near"))
    no_ids = F.array().cast("array<bigint>")
    own = (
        tried.select("d").distinct()
        .join(units.withColumnRenamed("doc", "d"), "d")
        .join(near_lists, "group", "left")
        .select("d", F.lit(0xFFFFFFFF).cast("bigint").alias("e"), "id", "group", "key_chars",
                "tokens", F.coalesce(F.col("near"), no_ids).alias("near"), "params_id")
    )
    theirs = tried.join(units.withColumnRenamed("doc", "e"), "e").select(
        "d", "e", "id", "group", "key_chars", "tokens", no_ids.alias("near"), "params_id"
    )
    gains = (
        own.unionByName(theirs)
        .repartition(parts, "d")
        .sortWithinPartitions("d", "e", "id")
        .mapInArrow(partition(args, root, "gap_cover", "d"), ddl["gains"])
        .withColumnRenamed("chars", "gained")
    )
    doc_edges = (
        with_coverage(
            covered.join(gains, ["d", "e"], "left").withColumn(
                "chars", F.col("chars") + F.coalesce(F.col("gained"), F.lit(0))
            )
        )
        .where(F.col("coverage") >= F.lit(doc_threshold))
        .select("d", "e", "chars", "tot", "coverage")
        .localCheckpoint()
    )
    doc_comp, _ = connected_components(
        spark, doc_edges.select(F.col("d").alias("u"), F.col("e").alias("v"))
    )
    doc_facts = paras.groupBy("doc").agg(
        F.sum("masks").alias("masks"), F.sum("key_chars").alias("key_chars")
    )
    covers = doc_edges.groupBy(F.col("e").alias("doc")).agg(
        F.array_sort(F.collect_list(F.struct("d", "coverage"))).alias("cv")
    )
    doc_rows = (
        doc_comp.select(F.col("u").alias("doc"), "component")
        .join(doc_facts, "doc")
        .join(covers, "doc", "left")
        .select(
            "component", "doc", "masks", "key_chars",
            F.coalesce(F.col("cv.d"), F.array().cast("array<bigint>")).alias("covers"),
            F.coalesce(F.col("cv.coverage"), F.array().cast("array<double>")).alias("coverage"),
        )
    )

    def split(rows, method, member):
        # The rows of a component meet in one partition, in member order.
        return (
            rows.repartition(parts, "component")
            .sortWithinPartitions("component", member)
            .mapInArrow(partition(args, root, method, "component"), ddl["clusters"])
            .persist(disk)
        )

    doc_clusters = split(doc_rows, "document_clusters", "doc")
    removed_docs = doc_clusters.where("member != kept").select(F.col("member").alias("doc"))

    # paragraph clusters around kept copies; copies inside removed documents rank last
    sizes = para_comp.groupBy("component").count().where("count > 1").select("component")
    neighbours = nb.groupBy(F.col("g").alias("pid")).agg(F.collect_list("h").alias("neighbours"))
    para_rows = (
        sp.join(para_comp, "pid")
        .join(sizes, "component")
        .join(removed_docs.withColumn("in_removed_doc", F.lit(True)), "doc", "left")
        .join(neighbours, "pid", "left")
        .select(
            "component", F.col("pid").alias("id"), F.col("grp").alias("group"), "masks",
            "key_chars", F.coalesce("in_removed_doc", F.lit(False)).alias("in_removed_doc"),
            "tokens",
            F.coalesce("neighbours", F.array().cast("array<bigint>")).alias("neighbours"),
            "params_id",
        )
    )
    para_clusters = split(para_rows, "paragraph_clusters", "id")

    # stable ids: paragraph clusters by first member, then document clusters likewise
    para_ids = number_clusters(spark, para_clusters, 0).persist(disk)
    n_para = para_ids.count()
    doc_ids = number_clusters(spark, doc_clusters, n_para).persist(disk)
    n_doc = doc_ids.count()
    pc = para_clusters.join(F.broadcast(para_ids) if n_para < 1_000_000 else para_ids, "first")
    dc = doc_clusters.join(doc_ids, "first")
    rel = files.select("file_idx", F.col("rel_path").alias("file"))
    place_cols = ["file_idx", "first_line", "last_line", "traditional", "first_col", "last_col"]
    para_place = paras.select(F.col("pid").alias("member"), *place_cols)
    doc_place = docs.select(F.col("doc").alias("member"), *place_cols)
    cols = ["cluster", "kept", "member", "level", "file", "first_line", "last_line",
            "similarity", "containment", "traditional", "first_col", "last_col"]
    records_in = (
        pc.join(para_place, "member").join(rel, "file_idx")
        .withColumn("level", F.lit("paragraph")).select(*cols)
        .union(dc.join(doc_place, "member").join(rel, "file_idx")
               .withColumn("level", F.lit("document")).select(*cols))
        .repartition(parts, "cluster")
        .sortWithinPartitions("cluster", "member")
    )
    records = records_in.mapInArrow(
        partition(args, root, "records", "cluster"), ddl["records"]
    )
    with open(os.path.join(staging.report_root, "clusters.jsonl"), "w", encoding="utf-8") as f:
        for r in records.orderBy("cluster").toLocalIterator():
            f.write(r.json)
    phases["3_group"] = time.time() - t

    # write
    t = time.time()
    para_removed = (
        pc.where("member != kept")
        .join(paras.select(F.col("pid").alias("member"), "file_idx", "para"), "member")
        .groupBy("file_idx")
        .agg(F.array_sort(F.collect_list(F.struct("para", "cluster"))).alias("rp"))
    )
    doc_removed = (
        dc.where("member != kept")
        .join(docs.select(F.col("doc").alias("member"), "file_idx", "doc_in_file"), "member")
        .groupBy("file_idx")
        .agg(F.array_sort(F.collect_list(F.struct("doc_in_file", "cluster"))).alias("rd"))
    )
    empty = F.array().cast("array<bigint>")
    write_in = (
        files.join(para_removed, "file_idx", "left")
        .join(doc_removed, "file_idx", "left")
        .select(
            "file_idx", "rel_path", "hash", "encoding", "n_paras", "n_docs", "params_id",
            F.coalesce(F.col("rp.para"), empty).alias("removed_paras"),
            F.coalesce(F.col("rp.cluster"), empty).alias("removed_para_clusters"),
            F.coalesce(F.col("rd.doc_in_file"), empty).alias("removed_docs"),
            F.coalesce(F.col("rd.cluster"), empty).alias("removed_doc_clusters"),
        )
        .repartition(parts)
    )
    written = write_in.mapInArrow(
        partition(args, root, "write", extra=(staging.clean_root,)),
        ddl["written"],
    )
    report = staging.report_root
    with open(os.path.join(report, "removed.jsonl"), "wb") as rm, open(
        os.path.join(report, "placeholders.jsonl"), "wb"
    ) as ph:
        rows = (
            written.join(files.select("file_idx", "rel_path", "summary"), "file_idx")
            .orderBy("file_idx")
            .toLocalIterator()
        )
        for r in rows:
            if r.ok:
                rm.write(r.removed)
                ph.write(r.placeholders)
                totals.file(r.summary, r.counts)
            else:
                totals.failed(r.rel_path, r.reason)
    phases["4_write"] = time.time() - t
    for df in (analyzed, paras, sp, cands, verified, para_comp, doc_edges, doc_clusters,
               para_clusters, para_ids, doc_ids):
        df.unpersist()
    return {
        "candidate_pairs": candidate_pairs,
        "candidate_pairs_skipped": candidate_pairs_skipped,
        "verified_pairs": verified_pairs,
        "clusters": {"paragraph": n_para, "document": n_doc},
    }


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="zhclean-spark",
        description="Run `zhclean clean` as a Spark job. Every `zhclean clean` flag is "
        "accepted (INPUT --out OUT, --threshold, --keep, ...); the flags below are the "
        "job's own.",
        epilog="INPUT and OUT must be visible at the same path to the driver and every "
        "executor.",
    )
    ap.add_argument("--master", help="Spark master when not run by spark-submit, "
                    "e.g. 'local[4]' (default: spark-submit's, else local[*])")
    ap.add_argument("--partitions", type=int, default=0,
                    help="partitions of the per-file and shuffle steps "
                    "(default: twice the default parallelism)")
    ap.add_argument("--app-name", default="zhclean")
    known, rest = ap.parse_known_args(argv)
    if not rest:
        ap.error("give the zhclean clean flags: INPUT --out OUT [...]")
    try:
        Engine(list(rest))  # flags are checked before Spark starts
    except ValueError as err:
        print(str(err).rstrip(), file=sys.stderr)
        return 2
    from pyspark.sql import SparkSession

    b = SparkSession.builder.appName(known.app_name)
    if known.master:
        b = b.master(known.master)
    spark = b.getOrCreate()
    try:
        return run(spark, rest, known.partitions)
    finally:
        spark.stop()


if __name__ == "__main__":
    sys.exit(main())
