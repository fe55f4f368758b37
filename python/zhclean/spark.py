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
import re
import sys
import time
import uuid
from urllib.parse import unquote

import pyarrow as pa

from zhclean import Engine, Staging, Totals
from zhclean._arrow import (
    spark_ddl, spark_struct, to_rust, to_spark, to_spark_array, whole_groups,
)


_ENGINES = {}

# `whole_first` of a paragraph that is not a part of a paragraph searched in parts (the
# Rust module's NO_WHOLE).
NO_WHOLE = 0xFFFFFFFF


def engine(args, root, records=None):
    """The engine of this worker process for ``args`` (built once: jieba's dictionary
    and the boilerplate rules load once per Python worker); ``records``: the record
    format when the input is records."""
    key = (tuple(args), root, records)
    e = _ENGINES.get(key)
    if e is None:
        e = _ENGINES[key] = Engine(list(args), root, records)
    return e


# ---- Spark schemas of the hand-offs (Rust schema with unsigned types widened) ----

def output_schemas(e, clean_root, records=False):
    """The Spark DDL of every batch the engine hands back, read off the batches its
    methods return for empty inputs: the Rust module is the one definition of them."""

    def empty(method):
        return _empty_input(e, method, records)

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
        out[name] = ddl_of(e, method, extra, records)
    return out


def _empty_input(e, method, records=False):
    """An empty input batch of ``Engine.<method>`` (of its records variant when
    ``records`` and there is one)."""
    if records and method in ("analyze", "write"):
        method += "_records"
    return pa.RecordBatch.from_pylist([], schema=e.inputs(method))


def ddl_of(e, method, extra=(), records=False):
    """The Spark DDL of what ``Engine.<method>`` returns, read off its answer to an
    empty input."""
    return spark_ddl(getattr(e, method)(*extra, _empty_input(e, method, records)).schema)


def _nest(parent_counts, child, names):
    """``child`` rows (a Rust batch) as one list<struct> per parent row."""
    offsets = [0]
    for n in parent_counts:
        offsets.append(offsets[-1] + n)
    fields = [to_spark_array(child.column(n)) for n in names]
    structs = pa.StructArray.from_arrays(fields, names=names)
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), structs)


def analyze_partition(args, root, records=None):
    def run(batches):
        e = engine(args, root, records)
        types = input_types(e, "analyze_records" if records else "analyze")
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


def partition(args, root, method, group=None, extra=(), records=None, schema=None, keep=()):
    """A ``mapInArrow`` function calling ``Engine.<method>(*extra, batch)`` on each batch
    read as the method's input schema (or the one named ``schema``); with ``group``,
    batches are re-cut so no group spans two. ``records``: the engine's record format;
    ``keep``: input columns passed through ahead of what the method returns."""

    def run(batches):
        e = engine(args, root, records)
        call, types = getattr(e, method), input_types(e, schema or method)
        for b in whole_groups(batches, group) if group else batches:
            got = to_spark(call(*extra, to_rust(b, types)))
            if keep:
                got = pa.RecordBatch.from_arrays(
                    [b.column(k) for k in keep] + list(got.columns),
                    names=list(keep) + got.schema.names,
                )
            yield got

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


STAGING_PREFIX = ".zhclean-staging-"


def has_scheme(path):
    """Whether ``path`` is a URI (``s3a://…``, ``file:///…``) rather than a local path."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path) is not None


def as_uri(path):
    """A local path as a ``file://`` URI (a URI as it is)."""
    return path if has_scheme(path) else "file://" + os.path.abspath(path)


class LocalOut:
    """The output folder of a text-folder run: a staging folder of ``zhclean._core``
    (``clean/`` written by the workers on the shared file system) committed at once."""

    def __init__(self, e):
        self.staging = Staging(e, False)
        self.clean_root = self.staging.clean_root

    def open(self, name):
        return open(os.path.join(self.staging.report_root, name), "wb")

    def commit(self):
        self.staging.commit()

    def discard(self):
        self.staging.discard()


class _HadoopFile:
    """A file being written through Hadoop's FileSystem API, buffered."""

    def __init__(self, stream):
        self.stream, self.buf = stream, bytearray()

    def write(self, b):
        self.buf += b
        if len(self.buf) >= 4 << 20:
            self.flush()

    def flush(self):
        if self.buf:
            self.stream.write(bytes(self.buf))
            self.buf = bytearray()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.flush()
        self.stream.close()


class HadoopOut:
    """OUT on any file system Spark's Hadoop layer reaches (``s3a://``, ``gs://``,
    ``abfss://``, HDFS, ``file://``): ``clean/`` and ``report/`` are written into a
    staging folder in OUT and renamed into place when the run succeeds (a rename is
    atomic on HDFS and local disks; on object stores it is a copy, done last)."""

    def __init__(self, spark, out, inp, force):
        jvm = spark._jvm
        self.Path = jvm.org.apache.hadoop.fs.Path
        conf = spark._jsc.hadoopConfiguration()
        root = self.Path(as_uri(out))
        self.fs = root.getFileSystem(conf)
        # No checksum side files (.crc) beside what the driver writes on a local disk.
        self.fs.setWriteChecksum(False)
        self.root = self.fs.makeQualified(root)
        q_out, q_in = str(self.root.toString()).rstrip("/"), inp.rstrip("/")
        if q_out == q_in or q_out.startswith(q_in + "/"):
            raise ValueError(
                f"output folder {out} is inside the input folder {inp}; "
                "choose a folder outside it"
            )
        if self.fs.exists(self.root):
            if not self.fs.getFileStatus(self.root).isDirectory():
                raise ValueError(f"output {out} is not a folder")
            busy = [
                st for st in self.fs.listStatus(self.root)
                if not st.getPath().getName().startswith(STAGING_PREFIX)
            ]
            if busy and not force:
                raise ValueError(
                    f"output folder {out} is not empty; pass --force to replace its "
                    "clean/ and report/"
                )
        self.stage = self.Path(self.root, STAGING_PREFIX + uuid.uuid4().hex[:12])
        self.fs.mkdirs(self.Path(self.stage, "report"))
        self.fs.mkdirs(self.Path(self.stage, "clean"))
        self.clean_root = ""  # records are written back by Spark, not by the engine

    def path(self, *parts):
        p = self.stage
        for x in parts:
            p = self.Path(p, x)
        return p

    def uri(self, *parts):
        return str(self.path(*parts).toString())

    def open(self, name):
        return _HadoopFile(self.fs.create(self.path("report", name), True))

    def put(self, rel, data):
        """A file of ``clean/`` with the bytes ``data``."""
        p = self.path("clean", *rel.split("/"))
        self.fs.mkdirs(p.getParent())
        with _HadoopFile(self.fs.create(p, True)) as f:
            f.write(data)

    def move_into_clean(self, src, rel):
        p = self.path("clean", *rel.split("/"))
        self.fs.mkdirs(p.getParent())
        if not self.fs.rename(src, p):
            raise RuntimeError(f"cannot move {src.toString()} to {p.toString()}")
        # The local file system's checksum files came along: clean/ holds the data only.
        crc = self.Path(p.getParent(), "." + str(p.getName()) + ".crc")
        if self.fs.exists(crc):
            self.fs.delete(crc, False)

    def commit(self):
        for sub in ("clean", "report"):
            target = self.Path(self.root, sub)
            if self.fs.exists(target):
                self.fs.delete(target, True)
            if not self.fs.rename(self.path(sub), target):
                raise RuntimeError(f"cannot move {self.uri(sub)} to {target.toString()}")
        self.fs.delete(self.stage, True)

    def discard(self):
        self.fs.delete(self.stage, True)


class RecordInput:
    """A record input (JSON Lines or Parquet, a file or a folder) listed through
    Hadoop's FileSystem API as ``zhclean clean`` walks a local one: hidden names and
    ``--exclude`` passed over, other files counted, files in relative-path order."""

    def __init__(self, uri, fmt, files, walk_state):
        self.uri, self.fmt, self.files, self.walk_state = uri, fmt, files, walk_state

    @staticmethod
    def find(spark, e):
        """The record input of ``e``'s INPUT, or None for a folder of text files."""
        if e.input_format == "text":
            return None
        uri = as_uri(e.input)
        Path = spark._jvm.org.apache.hadoop.fs.Path
        root = Path(uri)
        fs = root.getFileSystem(spark._jsc.hadoopConfiguration())
        root = fs.makeQualified(root)
        if not fs.exists(root):
            raise ValueError(f"input {e.input}: no such file or folder")
        skipped, listed = [], []
        if fs.getFileStatus(root).isFile():
            name = str(root.getName())
            fmt = e.input_format if e.input_format != "auto" else Engine.record_format_of(name)
            if fmt is None:
                return None
            files = [(name, str(root.toString()))]
            return RecordInput(str(root.toString()), fmt, files, json.dumps(
                {"skipped": [], "failed": [], "other_files": 0}))

        def walk(d, prefix):
            for st in sorted(fs.listStatus(d), key=lambda x: str(x.getPath().getName())):
                name = str(st.getPath().getName())
                rel = prefix + name
                if name.startswith("."):
                    skipped.append({"file": rel, "reason": "hidden"})
                elif e.excluded(rel):
                    skipped.append({"file": rel, "reason": "excluded"})
                elif st.isDirectory():
                    walk(st.getPath(), rel + "/")
                elif st.isFile():
                    listed.append((rel, str(st.getPath().toString())))

        walk(root, "")
        fmt = e.input_format
        if fmt == "auto":
            fmt = e.folder_format([rel.rsplit("/", 1)[-1] for rel, _ in listed])
        if fmt == "text":
            if not has_scheme(e.input):
                return None
            raise ValueError(
                f"input {e.input} holds text files: a folder of text files is read from a "
                "path on a shared file system, not a URI (give the path)"
            )
        files = [(rel, u) for rel, u in listed if Engine.record_format_of(rel) == fmt]
        other = len(listed) - len(files)
        files.sort()
        skipped.sort(key=lambda x: (x["file"], x["reason"]))
        state = {"skipped": skipped, "failed": [], "other_files": other}
        return RecordInput(str(root.toString()), fmt, files, json.dumps(state))


def _path_key(p):
    """A file's path as Spark's ``_metadata.file_path`` and Hadoop's listing give it,
    made comparable (one is URL-encoded, and ``file:///x`` is ``file:/x``)."""
    p = unquote(p)
    return re.sub(r"^file:/+", "file:/", p)


class RecordsJob:
    """Records read with Spark's readers (``spark.read.text`` for JSON Lines, one line a
    row, so every field keeps its order and type and each line its number;
    ``spark.read.parquet`` for Parquet, with ``_metadata.row_index``), cleaned by the
    engine, and written back with Spark's writers: ``clean/<same name>`` for each input
    file, in its format and compression, as ``zhclean clean`` writes it."""

    def __init__(self, spark, e, args, inp, out, parts, F, disk):
        self.spark, self.e, self.args, self.inp, self.out = spark, e, args, inp, out
        self.parts, self.F, self.disk, self.fmt = parts, F, disk, inp.fmt

    def read(self, totals):
        """The records as the analyze step's input (``file_idx, rel_path, source``);
        bad records go to ``totals``."""
        from pyspark.sql import Window

        F, spark, e = self.F, self.spark, self.e
        uris = [u for _, u in self.inp.files]
        rank_of = {_path_key(u): k for k, (_, u) in enumerate(self.inp.files)}
        rels = [rel for rel, _ in self.inp.files]
        if not uris:
            self.rows = None
            return spark.createDataFrame([], "file_idx bigint, rel_path string, source string")
        scan = None
        if self.fmt == "jsonl":
            scan = (
                spark.read.option("lineSep", "\n").text(uris)
                .select(F.col("value").alias("source"),
                        F.col("_metadata.file_path").alias("fp"),
                        F.col("_metadata.file_block_start").alias("blk"))
                .withColumn("mid", F.monotonically_increasing_id())
                .persist(self.disk)
            )
            # A file split is read in order, in one partition: a line's number is the
            # lines of the file's earlier splits plus its place in its own.
            splits = scan.groupBy("fp", "blk").agg(F.min("mid").alias("m"), F.count("*").alias("n"))
            by_file = {}
            for r in splits.collect():
                by_file.setdefault(r.fp, []).append((r.blk, r.m, r.n))
            offs = []
            for fp, bs in by_file.items():
                base = 0
                for blk, m, n in sorted(bs):
                    offs.append((fp, blk, rank_of[_path_key(fp)], base - m))
                    base += n
            offs = spark.createDataFrame(offs, "fp string, blk bigint, file_rank bigint, off bigint")
            narrow = scan.join(F.broadcast(offs), ["fp", "blk"]).select(
                "file_rank", (F.col("mid") + F.col("off")).alias("position"), "source",
                F.lit(None).cast("string").alias("id"),
            )
            self.rows = None
        else:
            # Shards of one dataset share a schema; where they do not, every column of
            # any shard is read (null where a shard lacks it).
            df = spark.read.option("mergeSchema", "true").parquet(*uris)
            self.columns = df.columns
            if e.text_field not in df.columns:
                raise ValueError(
                    f"no \"{e.text_field}\" column (its columns: {', '.join(df.columns)})"
                )
            fps = [r.fp for r in df.select(F.col("_metadata.file_path").alias("fp")).distinct().collect()]
            ranks = spark.createDataFrame(
                [(fp, rank_of[_path_key(fp)]) for fp in fps], "fp string, file_rank bigint"
            )
            rows = (
                df.select("*", F.col("_metadata.file_path").alias("_zh_fp"),
                          F.col("_metadata.row_index").alias("_zh_position"))
                .join(F.broadcast(ranks.withColumnRenamed("fp", "_zh_fp")), "_zh_fp")
                .withColumnRenamed("file_rank", "_zh_rank")
                .drop("_zh_fp")
                .localCheckpoint()
            )
            self.rows = rows
            idc = e.id_field
            narrow = rows.select(
                F.col("_zh_rank").alias("file_rank"), F.col("_zh_position").alias("position"),
                F.col(e.text_field).cast("string").alias("source"),
                (F.col(idc).cast("string") if idc else F.lit(None).cast("string")).alias("id"),
            )
        ddl = ddl_of(e, "records_in")
        checked = narrow.mapInArrow(
            check_partition(self.args, self.fmt, rels),
            "file_rank bigint, position bigint, source string, " + ddl,
        ).persist(self.disk)
        for r in checked.where("status = 'bad'").select("failure").collect():
            totals.failed_record(r.failure)
        good = checked.where("status = 'ok'")
        counts = good.groupBy("file_rank").count().collect()
        base, bases = 0, []
        for r in sorted(counts, key=lambda r: r.file_rank):
            bases.append((r.file_rank, base))
            base += r["count"]
        bases = spark.createDataFrame(bases or [(0, 0)], "file_rank bigint, base bigint")
        w = Window.partitionBy("file_rank").orderBy("position")
        self.units = (
            good.join(F.broadcast(bases), "file_rank")
            .withColumn("file_idx", F.col("base") + F.row_number().over(w) - 1)
            .select("file_idx", "file_rank", "position", F.col("name").alias("rel_path"), "source")
            # A checkpoint cuts the plan here: every later step builds on the records,
            # and with the reading and checking under them the plan's text outgrew the
            # driver's default heap.
            .localCheckpoint()
        )
        checked.unpersist()
        if scan is not None:
            scan.unpersist()
        self.sources = self.units.select("file_idx", "source")
        return self.units.select("file_idx", "rel_path", "source").repartition(self.parts)

    def write_clean(self, written):
        """Write ``clean/``: each input file's records back, in order, with Spark's
        writer in the input's format and compression, then moved to its own name."""
        F, e, out = self.F, self.e, self.out
        back = written.select("file_idx", "out", "note")
        # Records the analysis passed over (an empty text) are written back too.
        missed = self.units.join(written.select("file_idx"), "file_idx", "left_anti")
        back = back.unionByName(
            missed.select("file_idx", "source").mapInArrow(
                partition(self.args, None, "write_back", records=self.fmt, keep=("file_idx",)),
                "file_idx bigint, " + ddl_of(self.e, "write_back"),
            )
        )
        placed = back.where("out is not null").join(
            self.units.select("file_idx", "file_rank", "position"), "file_idx"
        )
        parts_dir = out.uri("clean-parts")
        if self.fmt == "jsonl":
            codec = {"gz": "gzip", "zst": "org.apache.parquet.hadoop.codec.ZstandardCodec"}
            data = placed.select("file_rank", "position", F.col("out").alias("value"))
            names = {}
            for k, (rel, _) in enumerate(self.inp.files):
                names[k] = codec.get(rel.rsplit(".", 1)[-1].lower(), "none")
            # One codec a write: files are grouped by their compression.
            for c in sorted(set(names.values())):
                ks = [k for k, v in names.items() if v == c]
                (data.where(F.col("file_rank").isin(ks))
                 .repartition(self.parts, "file_rank")
                 .sortWithinPartitions("file_rank", "position")
                 .select("file_rank", "value")
                 .write.partitionBy("file_rank").option("compression", c)
                 .mode("append").text(parts_dir))
        else:
            cols = []
            for c in self.columns:
                if c == e.text_field and e.records_out != "annotate":
                    cols.append(F.col("out").alias(c))
                else:
                    cols.append(F.col(c))
            if e.records_out == "annotate":
                cols.append(F.col("note").alias("zhclean"))
            data = placed.join(
                self.rows.withColumnRenamed("_zh_rank", "file_rank")
                .withColumnRenamed("_zh_position", "position"),
                ["file_rank", "position"],
            )
            self.out_schema = data.select(*cols).schema
            (data.repartition(self.parts, "file_rank")
             .sortWithinPartitions("file_rank", "position")
             .select("file_rank", *cols)
             .write.partitionBy("file_rank").parquet(parts_dir))
        self._place(parts_dir)

    def _place(self, parts_dir):
        """Move each ``file_rank=K`` part file to ``clean/<K's name>``; a file that keeps
        no record gets an empty file of its format."""
        out = self.out
        fs, Path = out.fs, out.Path
        for k, (rel, _) in enumerate(self.inp.files):
            d = Path(parts_dir + f"/file_rank={k}")
            found = []
            if fs.exists(d):
                found = [
                    st.getPath() for st in fs.listStatus(d)
                    if not str(st.getPath().getName()).startswith(("_", "."))
                ]
            if len(found) > 1:
                raise RuntimeError(f"{rel}: Spark wrote {len(found)} part files, expected one")
            if found:
                out.move_into_clean(found[0], rel)
            else:
                out.put(rel, self._empty(rel))
        fs.delete(Path(parts_dir), True)

    def _empty(self, rel):
        """The bytes of a file of ``rel``'s kind holding no record."""
        import io

        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            from pyspark.sql.pandas.types import to_arrow_schema

            buf = io.BytesIO()
            pq.write_table(to_arrow_schema(self.out_schema).empty_table(), buf)
            return buf.getvalue()
        ext = rel.rsplit(".", 1)[-1].lower()
        if ext == "gz":
            return pa.compress(b"", codec="gzip", asbytes=True)
        if ext == "zst":
            return pa.compress(b"", codec="zstd", asbytes=True)
        return b""


def check_partition(args, fmt, rels):
    """``Engine.records_in`` on each batch, its input columns passed through."""

    def run(batches):
        e = engine(args, None, fmt)
        types = input_types(e, "records_in")
        for b in batches:
            ranks = b.column("file_rank").to_pylist()
            rel = pa.array([rels[k] for k in ranks], pa.string())
            rb = pa.RecordBatch.from_arrays(
                [rel, b.column("position"), b.column("source"), b.column("id")],
                names=["rel_path", "position", "source", "id"],
            )
            got = to_spark(e.records_in(to_rust(rb, types)))
            yield pa.RecordBatch.from_arrays(
                [b.column("file_rank"), b.column("position"), b.column("source")]
                + list(got.columns),
                names=["file_rank", "position", "source"] + got.schema.names,
            )

    return run


def cluster_notes(pc, dc, paras, docs, F):
    """Per unit (``file_idx``), the clusters it is a member of as ``--annotate`` notes
    them (JSON ``[{cluster, level, kept}]``, in ``clusters.jsonl`` order)."""
    members = pc.select("cluster", "member", "kept").join(
        paras.select(F.col("pid").alias("member"), "file_idx"), "member"
    ).withColumn("level", F.lit("paragraph")).unionByName(
        dc.select("cluster", "member", "kept").join(
            docs.select(F.col("doc").alias("member"), "file_idx"), "member"
        ).withColumn("level", F.lit("document"))
    )
    listed = members.groupBy("file_idx").agg(
        F.array_sort(F.collect_list(F.struct("cluster", "member", "level", "kept"))).alias("m")
    )
    return listed.select(
        "file_idx",
        F.to_json(F.transform("m", lambda x: F.struct(
            x["cluster"].alias("cluster"), x["level"].alias("level"),
            (x["member"] == x["kept"]).alias("kept"),
        ))).alias("clusters"),
    )


def run(spark, args, partitions=0, log=print):
    """Run the clean of ``args`` (``zhclean clean`` flags). Returns the exit status."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    args = absolute_rules(args)
    t_all = time.time()
    phases = {}
    e = Engine(list(args))
    params = json.loads(e.params)
    doc_threshold = params["doc_threshold"]
    parts = partitions or max(2, spark.sparkContext.defaultParallelism * 2)
    if partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    disk = StorageLevel.MEMORY_AND_DISK

    t = time.time()
    inp = RecordInput.find(spark, e)
    if e.output_format not in ("auto", inp.fmt if inp else "text"):
        raise ValueError(
            "--output-format: zhclean-spark writes clean/ as its input is (text files as "
            "text files, records in their own format); use `zhclean clean` for record shards"
        )
    rec = None
    if inp is None:
        root = os.path.abspath(e.input)
        paths, walk_state = e.walk()
        out = LocalOut(e)
        totals = Totals(walk_state)
    else:
        root = None
        e = Engine(list(args), None, inp.fmt)
        out = HadoopOut(spark, e.out, inp.uri, e.force)
        totals = Totals(inp.walk_state)
    phases["1_walk"] = time.time() - t
    try:
        if inp is None:
            files_in = spark.createDataFrame(
                list(enumerate(paths)), "file_idx bigint, rel_path string"
            ).repartition(parts)
        else:
            rec = RecordsJob(spark, e, args, inp, out, parts, F, disk)
            files_in = rec.read(totals)
        status = _run(spark, args, root, e, out, totals, files_in, parts, doc_threshold,
                      phases, log, F, StorageLevel, rec)
        wall = time.time() - t_all
        run_info = {
            "threads": spark.sparkContext.defaultParallelism,
            "wall_seconds": wall,
            "phase_seconds": phases,
            "stage_cpu_seconds": {},
        }
        summary, failed = totals.finish(e, json.dumps(status), json.dumps(run_info))
        with out.open("summary.json") as f:
            f.write(summary)
        out.commit()
    except BaseException:
        out.discard()
        raise
    s = json.loads(summary)
    for f in s["failed"]:
        where = f"{f['file']}:{f['line']}" if f.get("line") else f["file"]
        log(f"{where}: {f['reason']}", file=sys.stderr)
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


def _run(spark, args, root, e, out, totals, files_in, parts, doc_threshold, phases, log,
         F, StorageLevel, rec=None):
    """The analyze, group and write steps over ``files_in`` (``file_idx, rel_path``, and
    for records their ``source``), the reports into ``out``; ``rec``: a records job,
    which writes the cleaned records back."""
    disk = StorageLevel.MEMORY_AND_DISK
    fmt = rec.fmt if rec else None
    ddl = output_schemas(e, out.clean_root, records=bool(rec))

    # analyze
    t = time.time()
    analyzed = files_in.mapInArrow(
        analyze_partition(args, root, fmt), ddl["files"]
    ).persist(disk)
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
            # A part of a paragraph searched in parts: its whole's first and last ids
            # (NO_WHOLE when it is not a part) and key tokens.
            F.coalesce(F.col("para_base") + F.col("p.whole_first"), F.lit(NO_WHOLE))
            .alias("whole_first"),
            F.coalesce(F.col("para_base") + F.col("p.whole_last"), F.lit(NO_WHOLE))
            .alias("whole_last"),
            F.coalesce(F.col("p.whole_tokens"), F.array().cast("array<int>")).alias("whole"),
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
        buckets.mapInArrow(partition(args, root, "bucket_pairs", records=fmt), ddl["pairs"])
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
    tok = sp.select("pid", "tokens", "whole_first", "whole_last", "whole", "params_id")

    def side(x, *extra):
        return tok.select(
            F.col("pid").alias(x), F.col("tokens").alias(f"{x}_tokens"),
            *[F.col(c).alias(f"{x}_{c}") for c in ("whole_first", "whole_last", "whole")],
            *extra,
        )

    pairs = (
        capped.join(side("a", "params_id"), "a")
        .join(side("b"), "b")
        .repartition(parts, "a")
        .sortWithinPartitions("a", "b")
    )
    copies = pairs.mapInArrow(partition(args, root, "verify", records=fmt), ddl["edges"]).withColumn(
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
        .mapInArrow(partition(args, root, "gap_cover", "d", records=fmt), ddl["gains"])
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
            .mapInArrow(partition(args, root, method, "component", records=fmt), ddl["clusters"])
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
            "whole_first", "whole_last", "whole",
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
        partition(args, root, "records", "cluster", records=fmt), ddl["records"]
    )
    with out.open("clusters.jsonl") as f:
        for r in records.orderBy("cluster").toLocalIterator():
            f.write(r.json.encode("utf-8"))
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
    )
    if rec:
        # Records are written back by Spark: the engine gets each record again, and when
        # annotating the clusters it is in, and hands back what to write.
        write_in = write_in.join(rec.sources, "file_idx").join(
            cluster_notes(pc, dc, paras, docs, F), "file_idx", "left"
        )
    written = write_in.repartition(parts).mapInArrow(
        partition(args, root, "write", extra=(out.clean_root,), records=fmt,
                  schema="write_records" if rec else None),
        ddl["written"],
    )
    if rec:
        written = written.persist(disk)
    with out.open("removed.jsonl") as rm, out.open("placeholders.jsonl") as ph:
        rows = (
            written.select("file_idx", "ok", "reason", "removed", "placeholders", "counts")
            .join(files.select("file_idx", "rel_path", "summary"), "file_idx")
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
    if rec:
        rec.write_clean(written)
        written.unpersist()
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
