"""Moving batches between the Rust schemas (``docs/arrow-schemas.md``) and Spark.

Spark has no unsigned integers: a ``uint32`` id travels as ``bigint`` (widened, so ids
keep their order), a ``uint64`` hash or key as ``bigint`` with the same 64 bits, and a
``list<uint32>`` of token hashes as ``array<int>`` with the same 32 bits. Nothing here
changes a value; it only changes how Spark is told to read it.
"""

import pyarrow as pa
import pyarrow.compute as pc


def _to_spark_type(t):
    if t == pa.uint32():
        return pa.int64(), "cast"
    if t == pa.uint64():
        return pa.int64(), "view"
    if pa.types.is_list(t) and t.value_type == pa.uint32():
        return pa.list_(pa.int32()), "view"
    if pa.types.is_list(t) and t.value_type == pa.uint64():
        return pa.list_(pa.int64()), "view"
    return t, None


_DDL = {
    pa.int64(): "bigint", pa.int32(): "int", pa.float64(): "double", pa.bool_(): "boolean",
    pa.string(): "string", pa.binary(): "binary",
}


def spark_type(t):
    """The Spark SQL type (DDL) that a Rust column of Arrow type ``t`` travels as."""
    s, _ = _to_spark_type(t)
    if pa.types.is_list(s):
        return "array<%s>" % spark_type(s.value_type)
    return _DDL[s]


def spark_ddl(schema, drop=()):
    """The Spark DDL of a Rust batch schema (the columns in ``drop`` left out)."""
    return ", ".join("%s %s" % (f.name, spark_type(f.type)) for f in schema if f.name not in drop)


def spark_struct(schema, drop=()):
    """A Rust batch schema as one Spark ``struct<…>`` (the columns in ``drop`` left out)."""
    return "struct<%s>" % ", ".join(
        "%s:%s" % (f.name, spark_type(f.type)) for f in schema if f.name not in drop
    )


def to_spark_array(a):
    """One Rust column as Spark reads it."""
    t, how = _to_spark_type(a.type)
    if how == "cast":
        return a.cast(t)
    if how == "view":
        return a.view(t)
    return a


def to_spark(batch, names=None):
    """A Rust batch as Spark reads it (optionally only the columns in ``names``)."""
    names = names or batch.schema.names
    return pa.RecordBatch.from_arrays(
        [to_spark_array(batch.column(n)) for n in names], names=names
    )


def to_rust(batch, types):
    """A Spark batch with its columns read as the Rust schema's ``types`` say
    (``{name: arrow type}``); other columns are dropped."""
    arrays = []
    for name, t in types.items():
        a = batch.column(name)
        if isinstance(a, pa.ChunkedArray):
            a = a.combine_chunks()
        if pa.types.is_large_string(a.type) and t == pa.string():
            a = a.cast(pa.string())
        elif t == pa.uint64() and a.type == pa.int64():
            a = a.view(t)
        elif pa.types.is_list(t) and pa.types.is_list(a.type):
            item, have = t.value_type, a.type.value_type
            if have.bit_width == item.bit_width and have != item:
                a = a.view(t)
            elif have != item:
                a = a.cast(t)
        elif a.type != t:
            a = a.cast(t)
        arrays.append(a)
    return pa.RecordBatch.from_arrays(arrays, names=list(types))


def whole_groups(batches, key):
    """Re-cut a stream of batches whose rows are sorted by ``key`` so that no group of
    equal keys spans two batches (Spark cuts a partition into batches of a fixed row
    count, regardless of groups)."""
    held = None
    for b in batches:
        if b.num_rows == 0:
            continue
        t = pa.Table.from_batches([b])
        if held is not None:
            t = pa.concat_tables([held, t])
        keys = t.column(key)
        last = keys[len(keys) - 1]
        # Rows of the last key are held back until a batch starts with another key.
        tail = pc.sum(pc.equal(keys, last)).as_py()
        cut = t.num_rows - tail
        held = t.slice(cut)
        if cut > 0:
            yield t.slice(0, cut).combine_chunks().to_batches()[0]
    if held is not None and held.num_rows > 0:
        yield held.combine_chunks().to_batches()[0]
